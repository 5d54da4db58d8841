"""The comfort surveys' pass at scale: what each planning tick pays for it.

    .venv/bin/python -m bench.survey_pass [--postgres URL] [--runs 20]

The data: 100,000 people in 500 teams, each enrolled in one or two pathways (about
190,000 enrolments) with 300,000 completions (``bench.dataset``), and a survey for every
enrolment already on record: half answered, a quarter reminded and never answered, a
quarter asked recently (not yet due a reminder). So the survey tables hold about 190,000
requests.

Measured, in this process, on one database, ``--runs`` ticks each:

- a tick with nothing new (every tick, most of the day): p50, p99;
- a tick after 1,000 new enrolments in a pathway with items (1,000 "before" surveys owed
  and sent);
- a tick after 1,000 people each finished a pathway (1,000 "after" surveys).

Target: a tick with nothing new well under a second (ticks run every minute).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, text, update
from sqlmodel import Session, col, func, select

from bench import dataset
from bench.harness import own_schema, pct
from bot import content as content_mod
from bot import survey_asking
from bot.clock import FrozenClock
from bot.db import make_engine, session_scope, upgrade
from bot.models import Completion, Enrolment, OutboxMessage, SurveyRequest
from bot.planning import Planner
from bot.settings import PROJECT_ROOT
from bot.templates import Templates

PEOPLE = 100_000
TEAMS = 500
COMPLETIONS = 300_000
NEW = 1_000
SCHEMA = "huddle_bench_survey_pass"


def seed_surveys(engine: Engine, content: content_mod.Content) -> int:
    """A survey for every enrolment on record (all made 20 days ago, as are the
    completions): half done, a quarter reminded, a quarter recently asked. Returns how
    many."""
    rng = random.Random(3)
    asked = dataset.NOW - timedelta(days=1)
    old = dataset.NOW - timedelta(days=20)
    with Session(engine) as s:
        enrolments = s.exec(select(Enrolment.person_id, Enrolment.pathway_id)).all()
    rows = []
    for pid, pathway in enrolments:
        items = ",".join(i.id for i in content.survey_items(pathway)[:3])
        roll = rng.random()
        if roll < 0.5:
            rows.append((pid, pathway, "pre", items, "done", "", old, old, old, None, old))
        elif roll < 0.75:
            rows.append((pid, pathway, "pre", items, "asked", "", old, old, old, old, None))
        else:
            rows.append((pid, pathway, "pre", items, "asked", "", asked, asked, asked, None, None))
    keys = [
        "person_id",
        "pathway_id",
        "phase",
        "items",
        "status",
        "reason",
        "created_at",
        "tried_at",
        "asked_at",
        "reminded_at",
        "finished_at",
    ]
    with session_scope(engine) as session:
        # Through SQLAlchemy, so times are stored as Huddle stores them (and compared so).
        session.execute(
            update(Enrolment).values(enrolled_at=old),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            update(Completion).values(completed_at=old, recorded_at=old),
            execution_options={"synchronize_session": False},
        )
        session.execute(insert(SurveyRequest), [dict(zip(keys, row, strict=True)) for row in rows])
    return len(rows)


def tick(engine: Engine, planner: Planner, clock: FrozenClock) -> tuple[float, int]:
    """One survey pass a minute after the last. Returns (seconds, outbox rows written)."""
    clock.set(clock.now() + timedelta(minutes=1))
    started = time.perf_counter()
    with session_scope(engine) as session:
        written = survey_asking.plan(planner, session, clock.now())
    return time.perf_counter() - started, written


def new_enrolments(engine: Engine, clock: FrozenClock, count: int) -> None:
    """``count`` people, not yet in champion-gold, enrolled in it now."""
    with session_scope(engine) as s:
        have = set(
            s.exec(select(Enrolment.person_id).where(Enrolment.pathway_id == "champion-gold"))
        )
        chosen = [pid for pid in range(1, PEOPLE + 1) if pid not in have][:count]
        for pid in chosen:
            s.add(
                Enrolment(
                    person_id=pid,
                    pathway_id="champion-gold",
                    enrolled_at=clock.now(),
                    enrolled_by="bench",
                )
            )


def new_finishes(engine: Engine, clock: FrozenClock, content: content_mod.Content) -> int:
    """Up to NEW people enrolled in essentials finish it now. Returns how many."""
    courses = content.pathways["essentials"].courses
    with session_scope(engine) as s:
        enrolled = list(
            s.exec(
                select(Enrolment.person_id).where(Enrolment.pathway_id == "essentials").limit(NEW)
            )
        )
        marks = ", ".join(f"'{c}'" for c in courses)
        for pid in enrolled:
            s.execute(
                text(f"DELETE FROM completion WHERE person_id = :p AND course_id IN ({marks})"),
                {"p": pid},
            )
        rows = [
            {
                "person_id": pid,
                "course_id": course,
                "completed_at": clock.now(),
                "recorded_at": clock.now(),
                "source": "import",
                "verified": True,
                "recorded_by": "bench",
            }
            for pid in enrolled
            for course in courses
        ]
        s.execute(
            text(
                "INSERT INTO completion (person_id, course_id, completed_at, recorded_at, source,"
                " verified, recorded_by, source_ref, held) VALUES (:person_id, :course_id,"
                " :completed_at, :recorded_at, :source, :verified, :recorded_by, '', false)"
            ),
            rows,
        )
        # Their "after" surveys: make room (the seed has a "before" for each).
        s.execute(text("DELETE FROM survey_request WHERE phase = 'post'"))
    return len(enrolled)


def run(engine: Engine, label: str, runs: int) -> None:
    content = content_mod.load(PROJECT_ROOT / "content")
    upgrade(engine)
    loaded = dataset.fill(engine, PEOPLE, TEAMS, COMPLETIONS)
    seeded = seed_surveys(engine, content)
    print(f"[{label}] loaded {PEOPLE:,} people in {loaded:.1f}s; {seeded:,} surveys on record")
    clock = FrozenClock(dataset.NOW)
    planner = Planner(content, Templates(content.templates), clock, ("bench",))
    tick(engine, planner, clock)  # the first pass starts the record
    tick(engine, planner, clock)  # ...and the reminders then due are written once
    quiet = [tick(engine, planner, clock)[0] for _ in range(runs)]
    print(
        f"[{label}] tick, nothing new: p50 {statistics.median(quiet) * 1000:.1f} ms,"
        f" p99 {pct(quiet, 0.99) * 1000:.1f} ms ({runs} ticks)"
    )
    new_enrolments(engine, clock, NEW)
    took, written = tick(engine, planner, clock)
    print(f"[{label}] tick after {NEW:,} new enrolments: {took * 1000:.0f} ms, {written:,} sent")
    finished = new_finishes(engine, clock, content)
    took, written = tick(engine, planner, clock)
    print(f"[{label}] tick after {finished:,} finished a pathway: {took * 1000:.0f} ms,")
    with Session(engine) as s:
        after = s.exec(
            select(func.count()).select_from(SurveyRequest).where(SurveyRequest.phase == "post")
        ).one()
        outbox = s.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.kind) == survey_asking.KIND)
        ).one()
    print(f"[{label}]   {written:,} sent; {after:,} after-surveys owed; {outbox:,} survey rows")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        run(engine, "sqlite", args.runs)
        engine.dispose()
    if args.postgres:
        with own_schema(args.postgres, SCHEMA) as engine:
            run(engine, "postgresql", args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
