"""Rendering the report at scale: the PDF, the HTML, and each chart as PNG and SVG.

    .venv/bin/python bench/report_render.py [--runs 5]

The Report is built by hand (rendering never asks the database): 500 teams in the team
chart, 52 weekly trend points, 8 comfort items, and fifteen sections of 500 rows each,
with the columns the report's sections have (team, pathway and level completions,
critical mass, senior leaders, credits, the trend, due and overdue, contest standings,
recognition, attendance, comfort, measures, the stuck list): 7,500 table rows in all.

Measured in this process after one warm-up run of each (imports, fonts, templates),
``--runs`` times: ``render_pdf``, ``render_html``, and ``chart_png`` / ``chart_svg`` for
each chart. Median, slowest and mean, and the sizes.

Targets: the PDF under 5 s; each chart under 500 ms.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.report import CHARTS, chart_png, chart_svg, render_html, render_pdf
from bot.report_data import (
    Bar,
    Cell,
    Charts,
    Column,
    ColumnKind,
    Comfort,
    Headline,
    Period,
    Point,
    Report,
    Section,
)

ROWS = 500
TEAMS = 500
WEEKS = 52
ITEMS = 8
#: Each section's columns: (key, title, kinds).
SECTIONS: tuple[tuple[str, str, tuple[ColumnKind, ...]], ...] = (
    ("completion_team", "Completions by team", ("text", "int", "int", "int", "int")),
    ("completion_discipline", "Completions by discipline", ("text", "int", "int", "int")),
    (
        "completion_pathway",
        "Completions by pathway",
        ("text", "text", "int", "int", "share", "int", "int"),
    ),
    ("completion_level", "Completions by level", ("text", "int", "int", "share", "int", "int")),
    ("critical_mass", "Critical mass", ("text", "int", "int", "share", "share", "text")),
    ("senior", "Senior leaders", ("text", "int", "int", "int", "share", "int")),
    ("credits", "Credits earned", ("text", "text", "int", "number")),
    ("trend", "Completions over time", ("date", "int", "int")),
    ("due", "Due and overdue", ("text", "int", "int", "int")),
    ("contest", "Contest standings", ("int", "text", "int", "int", "int", "number")),
    ("recognition", "Recognition", ("text", "int", "int", "int", "int")),
    ("attendance", "Group sessions attended", ("text", "int", "int")),
    ("comfort", "Comfort", ("text", "text", "number", "number", "number", "int")),
    (
        "measures",
        "Organisation measures",
        ("text", "text", "date", "number", "int", "share", "int"),
    ),
    ("stuck", "Stuck", ("text",)),
)


def _value(kind: ColumnKind, rng: random.Random, row: int) -> Cell:
    if rng.random() < 0.03:
        return None
    if kind == "text":
        return f"Team {row:03} {rng.choice(['ICU', 'Oncology', 'Cardiology', 'Wards'])}"
    if kind == "int":
        return rng.randint(0, 5000)
    if kind == "share":
        return rng.random()
    if kind == "number":
        return rng.uniform(1, 5)
    return date(2026, 1, 1) + timedelta(days=rng.randint(0, 330))


def big_report() -> Report:
    rng = random.Random(15)
    sections = tuple(
        Section(
            key,
            title,
            tuple(Column(f"c{i}", f"Column {i}", kind) for i, kind in enumerate(kinds)),
            tuple(tuple(_value(k, rng, r) for k in kinds) for r in range(ROWS)),
            notes=(f"{rng.randint(1, 9)} teams with fewer than 5 people are left out.",),
        )
        for key, title, kinds in SECTIONS
    )
    teams = tuple(
        sorted(
            (
                Bar(label=f"Team {i:03}", share=rng.random(), n=rng.randint(5, 400))
                for i in range(TEAMS)
            ),
            key=lambda b: (-b.share, b.label),
        )
    )
    trend = tuple(
        Point(
            start=date(2025, 12, 1) + timedelta(weeks=w),
            verified=rng.randint(100, 900),
            self_reported=rng.randint(10, 300),
        )
        for w in range(WEEKS)
    )
    comfort = tuple(
        Comfort(
            label=f"Comfort item {i}: talking with families about care",
            before=rng.uniform(1.5, 3),
            looking_back=rng.uniform(1.2, 2.8),
            after=rng.uniform(3, 4.8),
            n=rng.randint(50, 3000),
        )
        for i in range(ITEMS)
    )
    return Report(
        title="Palliative care training",
        scope="Everyone",
        period=Period(date(2025, 12, 1), date(2026, 11, 29), "The last 52 weeks"),
        generated_at=datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
        source="Huddle's ledger (learning-site imports, xAPI and self-reports)",
        headline=Headline(label="of clinicians trained", share=0.62, n=100_000),
        target=0.8,
        sections=sections,
        charts=Charts(teams=teams, trend=trend, trend_unit="week", comfort=comfort),
    )


def measure(name: str, run: Callable[[], bytes | str], runs: int) -> None:
    size = len(run())  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"| {name} | {runs} | {statistics.median(times):,.0f} | {max(times):,.0f} "
        f"| {statistics.mean(times):,.0f} | {size / 1024:,.0f} |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    report = big_report()
    print(
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}; {TEAMS} teams, {WEEKS} weeks, {ITEMS} items, "
        f"{len(report.sections)} sections of {ROWS} rows"
    )
    print("| what | runs | median ms | slowest ms | mean ms | KB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for which in CHARTS:
        measure(f"chart_png {which}", lambda w=which: chart_png(report, w), args.runs)
        measure(f"chart_svg {which}", lambda w=which: chart_svg(report, w), args.runs)
    measure("render_html", lambda: render_html(report), args.runs)
    measure("render_pdf (25 rows a table, as printed)", lambda: render_pdf(report), args.runs)
    measure("render_pdf (every row)", lambda: render_pdf(report, max_rows=None), 1)


if __name__ == "__main__":
    main()
