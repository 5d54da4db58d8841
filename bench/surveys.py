"""Comfort survey results at scale: 100,000 people in 500 teams, 300,000 answers.

    .venv/bin/python -m bench.surveys [--postgres URL] [--runs 50]

The data: 500 teams of uneven size (ten under the minimum of 5), 100,000 people, each
in one pathway (one in twenty in a second one, sharing an item with the first, so that
"the latest answer" has work to do), and 300,000 answers to the pathway's comfort items
(content/surveys.yaml): a "before" from most people, "after" with its "looking back"
from those who finished, a follow-up from a few; values 1-5, after a little higher than
before. Requests and answers are loaded with the drivers' bulk paths (executemany on
SQLite, COPY on PostgreSQL): the point is to measure the results, not loading.

Measured, in this process, on one database, ``--runs`` times after 3 warm-up runs:
``bot.survey_results.results`` for the whole organisation (every item and topic, every
statistic, small teams left out), for one pathway, for one topic, and for one team (as a
champion asks); and the whole ``survey results`` answer (the command through
``Bot.run_command``, the message built) for the organisation. p50, p99, mean.

Target: the organisation's results under 500 ms p99 on SQLite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlmodel import Session

from bench.contests import team_sizes
from bench.harness import pct
from bot import commands as c
from bot import content as content_mod
from bot import survey_results
from bot.clock import FrozenClock
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.models import DISCIPLINES
from bot.settings import PROJECT_ROOT

TEAMS = 500
PEOPLE = 100_000
ANSWERS = 300_000
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
SCHEMA = "huddle_bench_surveys"
#: A configuration stops after this many seconds of runs (at least MIN_RUNS).
BUDGET_SECONDS = 60
MIN_RUNS = 20
WARM_UP = 3


def fill(engine: Engine, seed: int = 17) -> float:
    """Bulk-load the data set (see the module docstring). Returns seconds."""
    content = content_mod.load(PROJECT_ROOT / "content")
    rng = random.Random(seed)
    started = time.perf_counter()
    sqlite = engine.dialect.name == "sqlite"

    def when(at: datetime) -> Any:
        return at.strftime(SQLITE_TIME) if sqlite else at

    ts = when(NOW)
    teams = [(i + 1, f"team-{i + 1}", f"Team {i + 1}", ts) for i in range(TEAMS)]
    people = []
    pathways = [p for p in content.pathways.values() if content.survey_items(p.id)]
    plans: list[list[str]] = []
    pid = 0
    for team, size in enumerate(team_sizes(rng), start=1):
        for _ in range(size):
            pid += 1
            discipline = DISCIPLINES[pid % len(DISCIPLINES)]
            people.append((pid, f"p{pid}@example.org", f"Person {pid}", discipline, team, ts, ts))
            open_paths = [p.id for p in pathways if p.open_to(discipline)] or [pathways[0].id]
            chosen = [rng.choice(open_paths)]
            if rng.random() < 0.05 and len(open_paths) > 1:
                chosen.append(rng.choice([p for p in open_paths if p != chosen[0]]))
            plans.append(chosen)
    requests: list[tuple[Any, ...]] = []
    answers: list[tuple[Any, ...]] = []
    start = NOW - timedelta(days=300)
    order = list(range(1, PEOPLE + 1))
    rng.shuffle(order)
    # People answer in turn until there are ANSWERS answers: a "before" for most, an
    # "after" with its "looking back" for those who finished, a follow-up for a few.
    for person in order:
        for pathway in plans[person - 1]:
            items = [i.id for i in content.survey_items(pathway)][:3]
            comfort = {i: rng.randint(1, 4) for i in items}
            at = start + timedelta(minutes=rng.randrange(200 * 24 * 60))
            phases: list[tuple[str, list[str]]] = []
            if rng.random() < 0.55:
                phases.append(("pre", ["pre"]))
            if rng.random() < 0.2:
                phases.append(("post", ["post", "retro"]))
                if rng.random() < 0.25:
                    phases.append(("follow_up", ["follow_up"]))
            for number, (phase, asked) in enumerate(phases):
                rid = len(requests) + 1
                answered = at + timedelta(days=40 * number)
                requests.append(
                    (
                        rid,
                        person,
                        pathway,
                        phase,
                        ",".join(items),
                        "done",
                        "",
                        ts,
                        when(answered),
                        when(answered),
                    )
                )
                for item in items:
                    for kind in asked:
                        base = comfort[item]
                        if kind in ("post", "follow_up"):
                            value = base + rng.choice((0, 0, 1, 1, 2))
                        elif kind == "retro":
                            value = base - rng.choice((0, 0, 0, 1))
                        else:
                            value = base
                        value = min(5, max(1, value))
                        answers.append((rid, person, pathway, item, kind, value, when(answered)))
        if len(answers) >= ANSWERS:
            break
    del answers[ANSWERS:]
    used = {a[0] for a in answers}
    requests = [r for r in requests if r[0] in used]
    tables = [
        ("team", "id, key, name, created_at", teams),
        ("person", "id, email, name, discipline, team_id, created_at, updated_at", people),
        (
            "survey_request",
            "id, person_id, pathway_id, phase, items, status, reason, created_at, asked_at, "
            "finished_at",
            requests,
        ),
        (
            "survey_answer",
            "request_id, person_id, pathway_id, item_id, phase, value, answered_at",
            answers,
        ),
    ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if sqlite:
            cur.execute("BEGIN")
            for name, cols, data in tables:
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", data)
        else:
            for name, cols, data in tables:
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in data:
                        copy.write_row(row)
            for seq in ("team", "person", "survey_request", "survey_answer"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{seq}', 'id'), "
                    f"(SELECT max(id) FROM {seq}))"
                )
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return time.perf_counter() - started


def time_results(
    engine: Engine, runs: int, team: bool = False, **narrow: str
) -> tuple[list[float], survey_results.Results]:
    """``results`` for the organisation (or the largest team, as its champion asks),
    ``runs`` times after WARM_UP runs, each in a session of its own."""
    content = content_mod.load(PROJECT_ROOT / "content")
    team_ids = None
    if team:
        with engine.connect() as conn:
            largest = conn.exec_driver_sql(
                "SELECT team_id FROM person GROUP BY team_id ORDER BY count(*) DESC LIMIT 1"
            ).scalar_one()
        team_ids = [int(largest)]
    timings: list[float] = []
    began = time.perf_counter()
    for n in range(runs + WARM_UP):
        if len(timings) >= MIN_RUNS and time.perf_counter() - began > BUDGET_SECONDS:
            break
        with Session(engine) as session:
            started = time.perf_counter()
            found = survey_results.results(session, content, team_ids=team_ids, **narrow)
            elapsed = time.perf_counter() - started
        if n >= WARM_UP:
            timings.append(elapsed * 1000)
    return timings, found


def time_command(engine: Engine, runs: int) -> tuple[list[float], int]:
    """The whole ``survey results`` answer as the operator gets it (``Bot.run_command``:
    the transaction, the figures, the message)."""
    bot = Bot(content_mod.load(PROJECT_ROOT / "content"), engine, FrozenClock(NOW))
    timings: list[float] = []
    blocks = 0
    began = time.perf_counter()
    for n in range(runs + WARM_UP):
        if len(timings) >= MIN_RUNS and time.perf_counter() - began > BUDGET_SECONDS:
            break
        started = time.perf_counter()
        (message,) = bot.run_command(c.ShowSurveyResults(), "bench")
        elapsed = time.perf_counter() - started
        assert message.kind == "survey_results", message.summary
        blocks = len(message.blocks)
        if n >= WARM_UP:
            timings.append(elapsed * 1000)
    return timings, blocks


def _line(label: str, what: str, timings: list[float]) -> str:
    return (
        f"| {label} | {what} | {len(timings)} | {pct(timings, 0.5):.1f} | "
        f"{pct(timings, 0.99):.1f} | {statistics.mean(timings):.1f} |"
    )


def run(engine: Engine, label: str, runs: int) -> None:
    upgrade(engine)
    print(f"[{label}] loading the data set ...", flush=True)
    print(f"[{label}] loaded in {fill(engine):.1f} s", flush=True)
    with engine.connect() as conn:
        answered = conn.exec_driver_sql(
            "SELECT count(*), count(DISTINCT person_id) FROM survey_answer"
        ).one()
    print(f"[{label}] {answered[0]:,} answers from {answered[1]:,} people", flush=True)
    print("| database | results for | runs | p50 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    cases: list[tuple[str, dict[str, Any]]] = [
        ("the organisation (every item and topic)", {}),
        ("one pathway (essentials)", {"pathway": "essentials"}),
        ("one topic (symptom management)", {"topic": "symptom-management"}),
        ("the largest team (a champion's)", {"team": True}),
    ]
    for what, narrow in cases:
        timings, found = time_results(engine, runs, **narrow)
        print(_line(label, what, timings), flush=True)
        if not narrow:
            print(
                f"[{label}] counted {found.people:,} people and {found.answers:,} answers in "
                f"{found.teams} teams; left out {found.left_out_people} people in "
                f"{found.left_out_teams} teams under the minimum",
                flush=True,
            )
    timings, blocks = time_command(engine, runs)
    print(_line(label, "`survey results` answered (command, message)", timings), flush=True)
    print(f"[{label}] the answer: {blocks} blocks", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="", help="also run on this PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        run(engine, "SQLite", args.runs)
        engine.dispose()
    if args.postgres:
        # A schema of its own, dropped at the end: nothing else in the database is touched.
        admin = make_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        engine = make_engine(args.postgres)

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{SCHEMA}"')
            cur.close()
            dbapi_conn.commit()

        try:
            run(engine, "PostgreSQL", args.runs)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
