"""The one-page report as HTML (Jinja2, autoescaped) and as PDF (WeasyPrint, from the
same HTML).

The page is the template ``templates/report.html``: the headline number, the three
charts inline as SVG, every section's table, and the date, scope, period and data source.
It fetches nothing: its styles are in the page, the charts are inline, and the PDF is made
with a URL fetcher that refuses every URL (hospitals block other sites, and a report must
not call out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from adapters.report import charts
from bot.report_data import Cell, ColumnKind, Report

PageSize = Literal["A4", "letter"]
#: Written where a figure is not shown.
MISSING = "–"


def cell(value: Cell, kind: ColumnKind) -> str:
    """A cell as the page writes it: shares as percentages, whole numbers with thousands
    separators, other numbers to two places, dates as "2 Dec 2026", None as "–"."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "share" and isinstance(value, int | float):
        return f"{value:.0%}"
    if kind == "int" and isinstance(value, int | float):
        return f"{round(value):,}"
    if kind == "number" and isinstance(value, int | float):
        return f"{value:,.2f}"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return str(value)


@dataclass(frozen=True)
class _Figure:
    title: str
    svg: Markup


@dataclass(frozen=True)
class _Table:
    key: str
    title: str
    headings: tuple[tuple[str, str], ...]
    rows: list[list[tuple[str, str]]]
    notes: tuple[str, ...]
    #: Rows left out for length (the Excel file and the CSV have every row).
    more: int = 0


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("adapters.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _when(moment: datetime) -> str:
    text = f"{charts.day(moment)}, {moment:%H:%M}"
    zone = moment.tzname()
    return f"{text} {zone}" if zone else text


#: Rows of each table in the printed report: a committee pack reads the top of each table
#: and the files carry every row (a PDF of thousands of rows takes WeasyPrint minutes).
PDF_ROWS = 25


def render_html(report: Report, max_rows: int | None = None) -> str:
    """The report as one HTML page (UTF-8, no external assets); ``max_rows``: at most so
    many rows of each table, with a note of how many more the files hold."""
    figures = [
        _Figure(
            title=charts.title(report, which),
            # Drawn by matplotlib, which escapes every text it writes into the SVG.
            svg=Markup(charts.inline_svg(charts.svg(report, which), f"chart-{which}")),  # noqa: S704
        )
        for which in charts.CHARTS
    ]
    tables = [
        _Table(
            key=section.key,
            title=section.title,
            headings=tuple((c.label, c.kind) for c in section.columns),
            rows=[
                [(cell(v, c.kind), c.kind) for c, v in zip(section.columns, row, strict=False)]
                for row in section.rows[:max_rows]
            ],
            notes=section.notes,
            more=max(0, len(section.rows) - max_rows) if max_rows is not None else 0,
        )
        for section in report.sections
    ]
    period = report.period
    return (
        _environment()
        .get_template("report.html")
        .render(
            report=report,
            headline_share=f"{report.headline.share:.0%}",
            headline_n=f"{report.headline.n:,}",
            target=f"{report.target:.0%}",
            period_dates=f"{charts.day(period.start)} – {charts.day(period.end)}",
            generated=_when(report.generated_at),
            figures=figures,
            tables=tables,
        )
    )


class _SvgStyles(logging.Filter):
    """WeasyPrint's CSS reader warns of every SVG presentation property in the inline
    charts' ``style`` attributes (``fill``, ``stroke``), which its SVG renderer then draws
    correctly: dozens of lines a report that say nothing. Those alone are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return not (text.startswith("Ignored `") and text.endswith("unknown property."))


logging.getLogger("weasyprint").addFilter(_SvgStyles())


def render_pdf(
    report: Report, page_size: PageSize = "A4", max_rows: int | None = PDF_ROWS
) -> bytes:
    """The report as PDF, from :func:`render_html` (the first ``max_rows`` rows of each
    table), on A4 or US Letter paper."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    refuse_all = URLFetcher(allowed_protocols=(), fail_on_errors=True)
    page = HTML(string=render_html(report, max_rows), url_fetcher=refuse_all)
    size = CSS(string=f"@page {{ size: {page_size}; }}", url_fetcher=refuse_all)
    pdf: bytes = page.write_pdf(stylesheets=[size])
    return pdf
