"""Contest standings at scale: 500 teams, 100,000 people, 1,000,000 completions.

    .venv/bin/python -m bench.contests [--postgres URL] [--runs 200]

The data: 500 teams of uneven size (a few under the minimum of 5, most 50-400), 100,000
people (about 94% enrolled in one or two pathways), and 1,000,000 completions spread
evenly over the year before the contest ends (a third self-reported, some of those
verified since, one in a hundred held as part of a burst; credits from the learning
site on a fifth), and about 250,000 attendances at 20 weekly group sessions. Loaded
with the drivers' bulk paths.

Measured, in this process, on one database:

- standings (every team's score, ranks, what would move a team) for a 4-week contest of
  all 500 teams, for each metric, ``--runs`` times after 5 warm-up runs: p50, p99, mean;
- the same for a contest that spans the whole year, so that all 1,000,000 completions
  fall in its period: the worst case;
- what the leaderboard asks (``contests.latest``) when nothing has changed since the last
  ask: the standings kept from it (after a change, an ask costs a full count, as above);
- the weekly standings post planned for 500 linked team channels (one planner pass of
  the schedule: the standings once, a message with its chart for each channel, 500
  outbox rows), timed 5 times on fresh schedules.

Targets: standings under 200 ms p99 on SQLite; the weekly post planned in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from bench.harness import own_schema, pct
from bot import content as content_mod
from bot import contests
from bot.clock import FrozenClock
from bot.db import make_engine, session_scope, upgrade
from bot.models import DISCIPLINES, Contest, Schedule
from bot.planning import Planner
from bot.settings import PROJECT_ROOT
from bot.templates import Templates

TEAMS = 500
PEOPLE = 100_000
COMPLETIONS = 1_000_000
#: The contest's last day, and "now" for the run (a Monday morning in Chicago).
ENDS = date(2026, 11, 29)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
SCHEMA = "huddle_bench_contests"


def team_sizes(rng: random.Random) -> list[int]:
    """500 sizes adding up to PEOPLE: ten teams under the minimum, the rest uneven."""
    small = [rng.randint(2, 4) for _ in range(10)]
    weights = [rng.uniform(0.25, 2.0) for _ in range(TEAMS - len(small))]
    left = PEOPLE - sum(small)
    sizes = [max(5, int(left * w / sum(weights))) for w in weights]
    sizes[0] += PEOPLE - sum(small) - sum(sizes)
    return small + sizes


def fill(engine: Engine, seed: int = 13) -> float:
    """Bulk-load the data set (see the module docstring). Returns seconds."""
    content = content_mod.load(PROJECT_ROOT / "content")
    rng = random.Random(seed)
    started = time.perf_counter()
    ts = NOW
    year_start = datetime.combine(ENDS - timedelta(days=365), datetime.min.time(), tzinfo=UTC)
    sizes = team_sizes(rng)
    teams = [(i + 1, f"team-{i + 1}", f"Team {i + 1}", ts) for i in range(TEAMS)]
    people, enrolments, pools = [], [], []
    pid = 0
    for team, size in enumerate(sizes, start=1):
        for _ in range(size):
            pid += 1
            discipline = DISCIPLINES[pid % len(DISCIPLINES)]
            people.append((pid, f"p{pid}@example.org", f"Person {pid}", discipline, team, ts, ts))
            courses: list[str] = []
            if rng.random() < 0.94:
                open_paths = [p for p in content.pathways.values() if p.open_to(discipline)]
                for p in rng.sample(open_paths, k=min(rng.choice((1, 2)), len(open_paths))):
                    enrolments.append((pid, p.id, ts, "bench"))
                    courses += [c for c in p.courses if c not in courses]
            pools.append(courses)
    all_courses = list(content.courses)
    seen: set[tuple[int, str]] = set()
    rows = []
    span = (ENDS - year_start.date()).days * 86400
    while len(rows) < COMPLETIONS:
        person = rng.randint(1, PEOPLE)
        own = pools[person - 1]
        course = rng.choice(own) if own and rng.random() < 0.8 else rng.choice(all_courses)
        if (person, course) in seen:
            continue
        seen.add((person, course))
        at = year_start + timedelta(seconds=rng.randrange(span))
        self_report = rng.random() < 0.33
        verified = not self_report or rng.random() < 0.4
        held = self_report and not verified and rng.random() < 0.03
        credits = round(rng.choice((0.5, 1.0, 1.5)), 2) if rng.random() < 0.2 else None
        rows.append(
            (
                person,
                course,
                at.strftime(SQLITE_TIME) if engine.dialect.name == "sqlite" else at,
                ts.strftime(SQLITE_TIME) if engine.dialect.name == "sqlite" else ts,
                "self_report" if self_report else "import",
                verified,
                held,
                credits,
                "bench",
            )
        )
    # Group sessions: 20 weekly schedules over the year, and about 250,000 attendances
    # (each person at 0-5 of them, as champions recorded).
    schedules = [
        (
            sid,
            "session",
            "everyone",
            "every wednesday 12:00",
            "",
            "{}",
            "active",
            "bench",
            ts,
            ts,
            year_start,
        )
        for sid in range(1, 21)
    ]
    weeks = (ENDS - year_start.date()).days // 7
    attended = []
    for person in range(1, PEOPLE + 1):
        picked = {(rng.randint(1, 20), rng.randrange(weeks)) for _ in range(rng.randint(0, 5))}
        for sid, week in picked:
            held = year_start + timedelta(days=7 * week + 2, hours=18)
            attended.append((sid, held.strftime("%Y-%m-%dT%H:%M"), person, "", held, "bench", ts))
    tables = [
        ("team", "id, key, name, created_at", teams),
        ("person", "id, email, name, discipline, team_id, created_at, updated_at", people),
        ("enrolment", "person_id, pathway_id, enrolled_at, enrolled_by", enrolments),
        (
            "team_channel",
            "team_id, platform, channel_id, linked_at, linked_by",
            [(t[0], "bench", f"C{t[0]:05d}", ts, "bench") for t in teams],
        ),
        (
            "completion",
            "person_id, course_id, completed_at, recorded_at, source, verified, held, credits, "
            "recorded_by",
            rows,
        ),
        (
            "schedule",
            'id, kind, audience, "when", timezone, params, status, created_by, created_at, '
            "updated_at, starts_at",
            schedules,
        ),
        (
            "attendance",
            "schedule_id, occurrence, person_id, case_id, held_at, recorded_by, at",
            attended,
        ),
    ]
    if engine.dialect.name == "sqlite":
        tables = [
            (
                n,
                c,
                [
                    tuple(v.strftime(SQLITE_TIME) if isinstance(v, datetime) else v for v in r)
                    for r in rs
                ],
            )
            for n, c, rs in tables
        ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")
            for name, cols, data in tables:
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", data)
        else:
            for name, cols, data in tables:
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in data:
                        copy.write_row(row)
            for seq in ("team", "person", "schedule"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{seq}', 'id'), "
                    f"(SELECT max(id) FROM {seq}))"
                )
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def contest(session: Session, metric: str, days: int) -> Contest:
    row = Contest(
        name=f"{metric} over {days} days",
        metric=metric,
        level="bronze" if metric == "level" else "",
        starts_on=ENDS - timedelta(days=days - 1),
        ends_on=ENDS,
        all_teams=True,
        status="running",
        proposed_by="bench",
        approved_by="bench",
        created_at=NOW,
    )
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


#: A configuration stops after this many seconds of runs (at least MIN_RUNS), so a slow one
#: does not take an hour; the table says how many runs each had.
BUDGET_S = 60.0
MIN_RUNS = 20


def time_standings(engine: Engine, metric: str, days: int, runs: int) -> list[float]:
    content = content_mod.load(PROJECT_ROOT / "content")
    with Session(engine) as session:
        row = contest(session, metric, days)
    timings: list[float] = []
    began = time.perf_counter()
    for n in range(runs + 5):
        if len(timings) >= MIN_RUNS and time.perf_counter() - began > BUDGET_S:
            break
        with Session(engine) as session:
            started = time.perf_counter()
            found = contests.standings(session, content, row)
            contests.move(found, found.ranked[len(found.ranked) // 2].team_id)
            elapsed = time.perf_counter() - started
        if n >= 5:
            timings.append(elapsed * 1000)
    assert len(found.teams) == TEAMS and found.unranked, "every team, the small ones unranked"
    return timings


def time_kept(engine: Engine, metric: str, days: int, runs: int) -> list[float]:
    """The leaderboard's ask when nothing changed since the last one (the first ask counts)."""
    content = content_mod.load(PROJECT_ROOT / "content")
    with Session(engine) as session:
        row = contest(session, metric, days)
    timings: list[float] = []
    for n in range(runs + 1):
        with Session(engine) as session:
            started = time.perf_counter()
            found = contests.latest(session, content, row, NOW)
            contests.move(found, found.ranked[len(found.ranked) // 2].team_id)
            elapsed = time.perf_counter() - started
        if n >= 1:
            timings.append(elapsed * 1000)
    return timings


def time_weekly_post(engine: Engine, tries: int = 5) -> list[tuple[float, int]]:
    """Plan the weekly standings post for every linked channel; (seconds, rows written)."""
    content = content_mod.load(PROJECT_ROOT / "content")
    clock = FrozenClock(NOW)
    planner = Planner(content, Templates(content.templates), clock, ("bench",))
    with Session(engine) as session:
        row = contest(session, "active", 28)
    out = []
    for n in range(tries):
        with session_scope(engine) as session:
            schedule = Schedule(
                kind="standings",
                audience="channels",
                when="every monday 09:00",
                params=json.dumps({"contest": row.id}),
                created_by="bench",
                created_at=NOW,
                updated_at=NOW,
                starts_at=NOW - timedelta(days=1),
                planned_until=NOW - timedelta(hours=1, minutes=n),
            )
            session.add(schedule)
            session.flush()
            started = time.perf_counter()
            written, _ = planner.plan_schedule(session, schedule, NOW)
            out.append((time.perf_counter() - started, written))
    return out


def run(engine: Engine, label: str, runs: int) -> None:
    upgrade(engine)
    print(f"[{label}] loading the data set ...", flush=True)
    print(f"[{label}] loaded in {fill(engine):.1f} s", flush=True)
    print("| database | contest | metric | runs | p50 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for days, what in ((28, "4 weeks"), (366, "the whole year (worst case)")):
        for metric in contests.METRICS:
            timings = time_standings(engine, metric, days, runs)
            print(
                f"| {label} | {what} | {metric} | {len(timings)} | {pct(timings, 0.5):.1f} | "
                f"{pct(timings, 0.99):.1f} | {statistics.mean(timings):.1f} |",
                flush=True,
            )
    for metric in contests.METRICS:
        timings = time_kept(engine, metric, 366, runs)
        print(
            f"| {label} | the whole year, asked again, nothing changed | {metric} | "
            f"{len(timings)} | {pct(timings, 0.5):.2f} | {pct(timings, 0.99):.2f} | "
            f"{statistics.mean(timings):.2f} |",
            flush=True,
        )
    planned = time_weekly_post(engine)
    print(
        f"[{label}] weekly standings post planned for {planned[0][1]} channels: "
        + ", ".join(f"{s:.2f} s" for s, _ in planned)
        + f" (max {max(s for s, _ in planned):.2f} s)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="", help="also run on this PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        run(engine, "SQLite", args.runs)
        engine.dispose()
    if args.postgres:
        with own_schema(args.postgres, SCHEMA) as engine:
            run(engine, "PostgreSQL", args.runs)


if __name__ == "__main__":
    sys.exit(main())
