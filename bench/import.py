"""How fast Huddle imports a big learning-site export, beside the databases' own bulk paths.

Generates a ROWS-row export in the plain profile's layout (deterministic seed) for a
roster of PEOPLE people and content with 25 courses (the sample's 14 and 11 more), a few
per cent of the rows bad (a person not on the roster, a date that is not one, a course
that is not one, an empty email cell; and an empty date cell, which the plain profile
reads as "not completed", so neither recorded nor refused). Then, in one run:

  (a) Huddle's import on a fresh SQLite file: ``Bot.import_completions``, as
      ``huddle completions import FILE`` calls it (recognising the layout, reading,
      mapping, recording batch by batch, celebrations, the error file and the summary);
  (b) baseline: the same good rows, already parsed into the tuples Huddle writes, loaded
      with sqlite3 ``executemany`` into the same completion table of a fresh database
      (same migrations, same indexes, same connection pragmas), in one transaction;
  (c) Huddle's import on PostgreSQL, in a database created (and dropped) for it;
  (d) baseline: PostgreSQL ``COPY ... FROM STDIN`` of the same rows (psycopg
      ``write_row``) into the same table of another fresh database;
  (e) for reference, Python's csv module alone reading the file.

Each Huddle import runs in its own child process, which reports its own peak RSS
(VmHWM, since ``ru_maxrss`` would include this parent's, see :func:`peak_mib`) for the
whole process (imports, content, the import) and the peak of the import alone (the peak
reset with ``/proc/self/clear_refs`` before it starts).

The export's 7 columns: ``email,name,course,completed_at,score,credits,credit_type``
(Huddle's course ids; ISO 8601 times in UTC with a ``Z``, as the plain profile's own
example; a score out of 100, credits, and a credit type, which Huddle does not read).
The rows are distinct (person, course) pairs in random order (the harder case for the
unique index than an export sorted by person); completion dates spread over the two years
before NOW, so about 2% are recent enough to be celebrated.

    python bench/import.py                          # 1,000,000 rows, SQLite and PostgreSQL
    python bench/import.py --rows 100000 --skip-postgres

PostgreSQL: HUDDLE_BENCH_POSTGRES_URL (default the local server, user postgres).
Targets, parse included: SQLite within 1.25x of executemany and under 20 s; PostgreSQL
within 1.5x of COPY; peak RSS under 200 MB for both.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bot.db import make_engine, upgrade
from bot.settings import PROJECT_ROOT

PG_URL = os.environ.get(
    "HUDDLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HEADER = ("email", "name", "course", "completed_at", "score", "credits", "credit_type")
EXTRA_COURSES = 11  # the sample's 14 courses and these make 25
TEAMS = 200
OPERATOR = "bench"
#: What Huddle writes for every row of this import (bot/ledger.py, bot/imports/running.py).
SOURCE = "import"
ACTOR = f"cli:{OPERATOR}"
FILE_NAME = "completions.csv"
REF = f"import:plain:{FILE_NAME}"
#: How Huddle (and SQLAlchemy) write a time in SQLite.
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
BAD_KINDS = ("unknown person", "bad date", "unknown course", "blank")

# --- the data -----------------------------------------------------------------------------


@dataclass
class Export:
    path: Path
    rows: int
    #: The good rows, parsed: (person id, course id, completed at (epoch s), score, credits).
    good: list[tuple[int, str, int, float | None, float]] = field(default_factory=list)
    bad: dict[str, int] = field(default_factory=dict)
    not_completed: int = 0
    seconds: float = 0.0


def make_content(folder: Path) -> Path:
    """The sample content with EXTRA_COURSES more courses (25 in all)."""
    target = folder / "content"
    shutil.copytree(PROJECT_ROOT / "content", target)
    extra = []
    for n in range(1, EXTRA_COURSES + 1):
        extra.append(
            f"""  - id: bench-{n:02d}
    title: "Benchmark course {n}: caring for people with serious illness, part {n}"
    url: https://learning.example.org/REPLACE-ME/courses/bench-{n:02d}
    topic: communication
    minutes: 30
    credits: {{CME: 0.5, CNE: 0.5, CE: 0.5}}
    provider: Placeholder Learning Network
    summary: One more course, so the benchmark has 25.
    ids:
      moodle: PC-BENCH{n:02d}
"""
        )
    with (target / "courses.yaml").open("a", encoding="utf-8") as f:
        f.write("".join(extra))
    return target


def course_ids(content_dir: Path) -> list[str]:
    from bot import content as content_mod

    return list(content_mod.load(content_dir).courses)


def make_export(
    folder: Path, rows: int, people: int, courses: list[str], bad: float, seed: int
) -> Export:
    """The export file, and what is in it."""
    started = time.perf_counter()
    rng = random.Random(seed)
    pairs = people * len(courses)
    if rows <= pairs:
        picked = rng.sample(range(pairs), rows)  # distinct (person, course), random order
    else:
        picked = [rng.randrange(pairs) for _ in range(rows)]
    span = int(timedelta(days=730).total_seconds())
    end = int(NOW.timestamp())
    export = Export(folder / FILE_NAME, rows, bad=dict.fromkeys(BAD_KINDS, 0))
    seen: set[int] = set()
    with export.path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(HEADER)
        for n, pair in enumerate(picked):
            pid, course = pair // len(courses) + 1, courses[pair % len(courses)]
            when = end - rng.randrange(span)
            stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            score = "" if rng.random() < 0.1 else str(rng.randint(60, 100))
            credits = rng.choice(("0.5", "0.75", "1.25", "1.5"))
            email = f"p{pid}@example.org"
            kind = BAD_KINDS[n % 4] if rng.random() < bad else ""
            if kind == "unknown person":
                email = f"nobody{rng.randrange(5000)}@example.org"
            elif kind == "bad date":
                stamp = rng.choice(("2026-13-45", "31/31/2026", "soon", "2026-00-10T10:00:00Z"))
            elif kind == "unknown course":
                course = f"no-such-course-{rng.randrange(20)}"
            elif kind == "blank":
                if rng.random() < 0.5:
                    email = ""
                else:
                    stamp = ""
            writer.writerow((email, f"Person {pid}", course, stamp, score, credits, "CME"))
            if kind == "blank" and not stamp:
                export.not_completed += 1  # no completion date: not a completion, not refused
            elif kind:
                export.bad[kind] += 1
            elif pair not in seen:  # (with more rows than pairs, a pair may come again)
                seen.add(pair)
                export.good.append(
                    (pid, course, when, float(score) if score else None, float(credits))
                )
    export.seconds = time.perf_counter() - started
    return export


def prepare(engine: Engine, people: int, content_dir: Path, seed: int) -> None:
    """The schema and the roster: PEOPLE people in TEAMS teams, each a clinician enrolled
    in one or two of the pathways open to their discipline (as bench/dataset.py does)."""
    from bot import content as content_mod
    from bot.models import DISCIPLINES

    upgrade(engine)
    content = content_mod.load(content_dir)
    rng = random.Random(seed)
    ts = NOW.isoformat()
    teams = [(i, f"team-{i}", f"Team {i}", ts) for i in range(1, TEAMS + 1)]
    persons = []
    enrolments = []
    for pid in range(1, people + 1):
        discipline = DISCIPLINES[pid % len(DISCIPLINES)]
        persons.append(
            (pid, f"p{pid}@example.org", f"Person {pid}", discipline, pid % TEAMS + 1, ts, ts)
        )
        open_paths = [p.id for p in content.pathways.values() if p.open_to(discipline)]
        for path in rng.sample(open_paths, k=min(rng.choice((1, 2)), len(open_paths))):
            enrolments.append((pid, path, ts, "bench"))
    tables = [
        ("team", "id, key, name, created_at", teams),
        ("person", "id, email, name, discipline, team_id, created_at, updated_at", persons),
        (
            "person_role",
            "person_id, role, granted_at, granted_by",
            [(p[0], "clinician", ts, "bench") for p in persons],
        ),
        ("enrolment", "person_id, pathway_id, enrolled_at, enrolled_by", enrolments),
    ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("BEGIN")
            for name, cols, rows in tables:
                marks = ", ".join("?" for _ in cols.split(","))
                cur.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)
        else:
            for name, cols, rows in tables:
                with cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
            for seq_table in ("team", "person"):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{seq_table}', 'id'), "
                    f"(SELECT max(id) FROM {seq_table}))"
                )
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        # As autovacuum would have, long before an import. (Not on SQLite: Huddle never
        # runs ANALYZE there, and statistics taken with no completions yet would mislead
        # its query planner for the whole import.)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


# --- the baselines ------------------------------------------------------------------------

COLUMNS = (
    "person_id, course_id, completed_at, recorded_at, source, verified, recorded_by, "
    "source_ref, score, credits"
)


@dataclass
class Timing:
    seconds: float
    cpu: float  # this process's CPU seconds
    server_cpu: float | None = None  # PostgreSQL's backends for the database, same host


def server_cpu(database: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends connected to ``database`` (on
    this host: their command lines name it), or None when they cannot be seen."""
    total, seen = 0.0, False
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            if not cmdline.startswith("postgres:") or f" {database} " not in cmdline:
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        seen = True
    return total if seen else None


def sqlite_baseline(engine: Engine, good: list[tuple[Any, ...]]) -> Timing:
    """The good rows, already parsed into what Huddle writes, by one executemany."""
    recorded = NOW.strftime(SQLITE_TIME)
    rows = [
        (
            p,
            c,
            datetime.fromtimestamp(w, UTC).strftime(SQLITE_TIME),
            recorded,
            SOURCE,
            1,
            ACTOR,
            REF,
            s,
            k,
        )
        for p, c, w, s, k in good
    ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        started, cpu = time.perf_counter(), time.process_time()
        cur.execute("BEGIN")
        cur.executemany(
            f"INSERT INTO completion ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        raw.commit()
        return Timing(time.perf_counter() - started, time.process_time() - cpu)
    finally:
        raw.close()


def postgres_baseline(engine: Engine, good: list[tuple[Any, ...]], database: str) -> Timing:
    """The good rows, already parsed (Python values), by COPY ... FROM STDIN."""
    rows = [
        (p, c, datetime.fromtimestamp(w, UTC), NOW, SOURCE, True, ACTOR, REF, s, k)
        for p, c, w, s, k in good
    ]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        server = server_cpu(database)
        started, cpu = time.perf_counter(), time.process_time()
        with cur.copy(f"COPY completion ({COLUMNS}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = server_cpu(database)
        used = after - server if after is not None and server is not None else None
        return Timing(seconds, cpu, used)
    finally:
        raw.close()


def csv_alone(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        count = sum(1 for _ in csv.reader(f))
    assert count > 0


# --- Huddle's import, in a child process --------------------------------------------------


def peak_mib() -> float:
    """This process's peak resident memory since exec (or the last reset), in MiB.

    Read from /proc (VmHWM), not ``ru_maxrss``: Linux carries ``ru_maxrss`` across
    fork and exec, so a child of this big parent would start with the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(spec: dict[str, Any]) -> None:
    """Run one import and print what it did as JSON (the last line of output)."""
    from bot import content as content_mod
    from bot.clock import FrozenClock
    from bot.core import Bot
    from bot.imports import Options

    engine = make_engine(spec["url"])
    bot = Bot(content_mod.load(Path(spec["content"])), engine, FrozenClock(NOW))
    database = spec["url"].rsplit("/", 1)[1] if spec["url"].startswith("postgresql") else ""
    server = server_cpu(database) or 0.0 if database else None
    setup_peak = peak_mib()
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts over from here
        reset = True
    except OSError:
        reset = False
    started = time.perf_counter()
    cpu = time.process_time()
    _messages, outcome = bot.import_completions(
        Path(spec["file"]), Options(), OPERATOR, errors_to=Path(spec["errors"])
    )
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    assert outcome is not None
    import_peak = peak_mib()
    after = server_cpu(database) if database else None
    engine.dispose()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "server_cpu": after - server if after is not None and server is not None else None,
                "setup_peak_mib": setup_peak,
                "import_peak_mib": import_peak if reset else None,
                "process_peak_mib": max(setup_peak, import_peak),
                "rows": outcome.rows,
                "added": outcome.added,
                "refused": outcome.refused,
                "not_completed": outcome.not_completed,
                "already": outcome.already,
                "unknown": outcome.unknown,
                "teams_celebrating": len(outcome.teams_celebrating),
            }
        ),
        flush=True,
    )


def run_child(
    url: str, content_dir: Path, export: Export, errors: Path, profile: bool
) -> dict[str, Any]:
    spec = {
        "url": url,
        "content": str(content_dir),
        "file": str(export.path),
        "errors": str(errors),
    }
    argv = [sys.executable]
    if profile:
        argv += ["-m", "cProfile", "-s", "cumulative"]
    argv += [__file__, "--child", json.dumps(spec)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    lines = done.stdout.splitlines()
    found = next(line for line in lines if line.startswith("{"))
    if profile:
        print("\n".join(lines[lines.index(found) + 1 :][:80]))
    return json.loads(found)


def completions(engine: Engine) -> tuple[Any, ...]:
    """What is in the completion table, in short (to compare a run with its baseline)."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT count(*), sum(score), sum(credits), min(completed_at), "
                    "max(completed_at), count(DISTINCT person_id), min(source_ref), "
                    "max(source_ref), sum(CASE WHEN verified THEN 1 ELSE 0 END) FROM completion"
                )
            ).one()
        )


# --- PostgreSQL databases -----------------------------------------------------------------


class Database:
    """A PostgreSQL database made for one run, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"huddle_bench_{uuid.uuid4().hex[:8]}"
        self.admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = PG_URL.rsplit("/", 1)[0] + f"/{self.name}"
        self.engine = make_engine(self.url)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_: object) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


# --- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--bad", type=float, default=0.03, help="the share of bad rows")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile each Huddle import")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return
    print(
        f"# {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    with tempfile.TemporaryDirectory(prefix="huddle-bench-import-") as tmp:
        folder = Path(tmp)
        content_dir = make_content(folder)
        courses = course_ids(content_dir)
        export = make_export(folder, args.rows, args.people, courses, args.bad, args.seed)
        size = export.path.stat().st_size / 1024 / 1024
        refused = sum(export.bad.values())
        print(
            f"# export: {export.rows:,} rows ({size:.0f} MiB), {args.people:,} people, "
            f"{len(courses)} courses, {len(export.good):,} good, {refused:,} bad "
            f"({', '.join(f'{k} {v:,}' for k, v in export.bad.items())}), "
            f"{export.not_completed:,} without a date; "
            f"generated in {export.seconds:.1f} s",
            flush=True,
        )
        results: list[Run] = []
        started, cpu = time.perf_counter(), time.process_time()
        csv_alone(export.path)
        parse = Timing(time.perf_counter() - started, time.process_time() - cpu)
        results.append(Run("-", "Python csv module, parse alone", export.rows, parse))
        if not args.skip_sqlite:
            results += sqlite_runs(folder, content_dir, export, args)
        if not args.skip_postgres:
            results += postgres_runs(folder, content_dir, export, args)
    report(results)


def check(
    label: str, got: dict[str, Any], export: Export, table: tuple[Any, ...], base: tuple[Any, ...]
) -> None:
    """Huddle wrote what the baseline wrote, and refused the bad rows."""
    refused = sum(export.bad.values())
    if (
        got["added"] != len(export.good)
        or got["refused"] != refused
        or got["not_completed"] != export.not_completed
        or table != base
    ):
        raise SystemExit(
            f"{label}: added {got['added']} (expected {len(export.good)}), refused "
            f"{got['refused']} (expected {refused}), table {table} (baseline {base})"
        )


@dataclass
class Run:
    db: str
    what: str
    rows: int
    timing: Timing
    baseline: Timing | None = None  # what the target compares with
    got: dict[str, Any] | None = None  # what Huddle's import said


def sorted_rows(export: Export) -> list[tuple[Any, ...]]:
    return sorted(export.good)  # by person id, then course id: the unique key's order


def sqlite_runs(
    folder: Path, content_dir: Path, export: Export, args: argparse.Namespace
) -> list[Run]:
    runs = []
    for label, good in (
        ("sqlite3 executemany, rows already parsed", export.good),
        ("for reference: the same, the rows sorted by (person, course) first", None),
    ):
        base_engine = make_engine(f"sqlite:///{folder}/baseline-{len(runs)}.db")
        prepare(base_engine, args.people, content_dir, args.seed)
        timing = sqlite_baseline(base_engine, good if good is not None else sorted_rows(export))
        base_table = completions(base_engine)
        base_engine.dispose()
        print(f"# SQLite {label}: {timing}", flush=True)
        runs.append(Run("SQLite", label, len(export.good), timing))
    url = f"sqlite:///{folder}/huddle.db"
    engine = make_engine(url)
    prepare(engine, args.people, content_dir, args.seed)
    engine.dispose()
    got = run_child(url, content_dir, export, folder / "refused-sqlite.csv", args.profile)
    engine = make_engine(url)
    check("SQLite", got, export, completions(engine), base_table)
    engine.dispose()
    print(f"# SQLite Huddle: {got}", flush=True)
    huddle = Timing(got["seconds"], got["cpu"])
    label = "Huddle import (parse included)"
    runs.append(Run("SQLite", label, export.rows, huddle, runs[0].timing, got))
    return runs


def postgres_runs(
    folder: Path, content_dir: Path, export: Export, args: argparse.Namespace
) -> list[Run]:
    runs = []
    for label, good in (
        ("COPY FROM STDIN, rows already parsed", export.good),
        ("for reference: the same, the rows sorted by (person, course) first", None),
    ):
        with Database() as db:
            prepare(db.engine, args.people, content_dir, args.seed)
            rows = good if good is not None else sorted_rows(export)
            timing = postgres_baseline(db.engine, rows, db.name)
            base_table = completions(db.engine)
        print(f"# PostgreSQL {label}: {timing}", flush=True)
        runs.append(Run("PostgreSQL", label, len(export.good), timing))
    with Database() as db:
        prepare(db.engine, args.people, content_dir, args.seed)
        db.engine.dispose()
        got = run_child(db.url, content_dir, export, folder / "refused-pg.csv", args.profile)
        check("PostgreSQL", got, export, completions(db.engine), base_table)
    print(f"# PostgreSQL Huddle: {got}", flush=True)
    huddle = Timing(got["seconds"], got["cpu"], got["server_cpu"])
    label = "Huddle import (parse included)"
    runs.append(Run("PostgreSQL", label, export.rows, huddle, runs[0].timing, got))
    return runs


def report(results: list[Run]) -> None:
    targets = {"SQLite": (1.25, 20.0), "PostgreSQL": (1.5, None)}
    print(
        "| database | run | rows | seconds | rows/s | ratio to baseline | CPU s (client / "
        "server) | peak RSS MiB (process / import alone) | targets |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for run in results:
        t = run.timing
        server = f" / {t.server_cpu:.1f}" if t.server_cpu is not None else ""
        head = (
            f"| {run.db} | {run.what} | {run.rows:,} | {t.seconds:.2f} | "
            f"{run.rows / t.seconds:,.0f} |"
        )
        if run.got is None or run.baseline is None:
            print(f"{head} - | {t.cpu:.1f}{server} | - | - |")
            continue
        ratio = t.seconds / run.baseline.seconds
        limit, under = targets[run.db]
        verdicts = [f"ratio <= {limit}: {'pass' if ratio <= limit else 'FAIL'}"]
        if under is not None:
            verdicts.append(f"< {under:.0f} s: {'pass' if t.seconds < under else 'FAIL'}")
        peak = run.got["process_peak_mib"]
        verdicts.append(f"RSS < 200 MB: {'pass' if peak * 1.048576 < 200 else 'FAIL'}")
        alone = run.got["import_peak_mib"]
        print(
            f"{head} {ratio:.2f}x | {t.cpu:.1f}{server} | {peak:.0f} / {alone:.0f} | "
            f"{'; '.join(verdicts)} |"
        )


if __name__ == "__main__":
    main()
