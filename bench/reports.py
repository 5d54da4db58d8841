"""The report at scale: 100,000 people in 500 teams, 1,000,000 completions.

    .venv/bin/python -m bench.reports [--postgres URL] [--runs 20]

The data is bench/contests.py's (``fill``): 500 teams of uneven size (ten under the
minimum of 5), 100,000 people (about 94% enrolled in one or two pathways), 1,000,000
completions over the year before 29 November 2026 (a third self-reported), about 250,000
attendances. It has no comfort answers or measures, so those two sections cost only
their empty queries here (bench/surveys.py measures the comfort figures at scale).

Measured, in this process, on one database, ``--runs`` times after 2 warm-up runs:

- ``bot.reports.build`` for the whole organisation over 2026-Q4 (about 160,000
  completions in the period) and over 2026 (every completion), and for one team;
- the chat summary: ``report summary 2026-Q4`` through ``Bot.run_command`` (the report
  built and its message composed), once with the report built each time (as after a
  change to what it counts) and once asked again (``reports.latest`` reuses the report
  while nothing it counts has changed);
- the Excel file: ``report_files.to_xlsx`` of the organisation's 2026 report, with its
  time, the file's size, the peak of Python allocations while writing it (tracemalloc)
  and the process's peak RSS (``resource.getrusage``, which includes the data load).

Targets: build and chat summary under 500 ms; the Excel file under 10 s and 300 MB peak.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from bench.contests import NOW, SCHEMA, fill
from bench.harness import own_schema, pct
from bot import commands as c
from bot import content as content_mod
from bot import report_files, reports
from bot.clock import FrozenClock
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.report_data import Period
from bot.settings import PROJECT_ROOT

Q4 = Period(date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31), "2026")


def timed(action: Callable[[], object], runs: int) -> list[float]:
    for _ in range(2):
        action()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        out.append((time.perf_counter() - started) * 1000)
    return out


def line(label: str, what: str, timings: list[float]) -> str:
    return (
        f"| {label} | {what} | {len(timings)} | {pct(timings, 0.5):.0f} | "
        f"{pct(timings, 0.99):.0f} | {statistics.mean(timings):.0f} |"
    )


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MB; ru_maxrss where there is no /proc."""
    status = Path("/proc/self/status")
    if status.exists():
        for text_line in status.read_text().splitlines():
            if text_line.startswith("VmHWM:"):
                return int(text_line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def xlsx_alone(url: str, schema: str) -> None:
    """In a fresh process: build the 2026 report and write its Excel file; print the
    time and this process's peak RSS (no data load in it)."""
    engine = make_engine(url)
    if schema:

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{schema}"')
            cur.close()
            dbapi_conn.commit()

    content = content_mod.load(PROJECT_ROOT / "content")
    started = time.perf_counter()
    with Session(engine) as s:
        report = reports.build(s, content, team_ids=None, period=YEAR, now=NOW)
    built = time.perf_counter() - started
    data = report_files.to_xlsx(report)
    took = time.perf_counter() - started
    # VmHWM, this process's own peak: ru_maxrss would carry the parent's over fork+exec.
    rss = peak_rss_mb()
    print(
        f"build {built * 1000:.0f} ms + xlsx: {took * 1000:.0f} ms in all, "
        f"{len(data) / 1024:.0f} KB, peak RSS {rss:.0f} MB"
    )


def run(engine: Engine, label: str, runs: int, url: str = "", schema: str = "") -> None:
    upgrade(engine)
    print(f"[{label}] loading the data set ...", flush=True)
    print(f"[{label}] loaded in {fill(engine):.1f} s", flush=True)
    content = content_mod.load(PROJECT_ROOT / "content")

    def build(period: Period, teams: list[int] | None = None) -> reports.Report:
        with Session(engine) as s:
            return reports.build(s, content, team_ids=teams, period=period, now=NOW)

    bot = Bot(content, engine, FrozenClock(NOW))

    def summary() -> None:
        messages = bot.run_command(c.ReportSummary(text="2026-Q4"), "bench")
        assert messages and messages[0].kind == "report_summary", messages

    def summary_cold() -> None:
        reports._kept.clear()  # as after a change to what it counts
        summary()

    print("| database | what | runs | p50 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(line(label, "build, organisation, 2026-Q4", timed(lambda: build(Q4), runs)), flush=True)
    print(line(label, "build, organisation, 2026", timed(lambda: build(YEAR), runs)), flush=True)
    print(line(label, "build, one team, 2026-Q4", timed(lambda: build(Q4, [42]), runs)), flush=True)
    print(
        line(label, "chat summary, organisation, 2026-Q4, built", timed(summary_cold, runs)),
        flush=True,
    )
    print(
        line(label, "chat summary, organisation, 2026-Q4, again (reused)", timed(summary, runs)),
        flush=True,
    )

    report = build(YEAR)
    tracemalloc.start()
    started = time.perf_counter()
    data = report_files.to_xlsx(report)
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = sum(len(s.rows) for s in report.sections)
    # ru_maxrss is in kilobytes on Linux.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"[{label}] xlsx of the 2026 report ({len(report.sections)} sections, {rows} rows): "
        f"{took * 1000:.0f} ms, {len(data) / 1024:.0f} KB, Python peak while writing "
        f"{peak / 2**20:.1f} MB; process peak RSS so far {rss:.0f} MB",
        flush=True,
    )
    alone = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--xlsx-only", url, "--schema", schema],
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"[{label}] in a fresh process, 2026 report: {alone.stdout.strip()}", flush=True)
    started = time.perf_counter()
    zipped = report_files.to_csv(report)
    print(
        f"[{label}] csv zip of the same: {(time.perf_counter() - started) * 1000:.0f} ms, "
        f"{len(zipped) / 1024:.0f} KB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="", help="also run on this PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--xlsx-only", default="", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.xlsx_only:
        xlsx_alone(args.xlsx_only, args.schema)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        run(engine, "SQLite", args.runs, url)
        engine.dispose()
    if args.postgres:
        schema = SCHEMA + "_reports"
        with own_schema(args.postgres, schema) as engine:
            run(engine, "PostgreSQL", args.runs, args.postgres, schema)


if __name__ == "__main__":
    sys.exit(main())
