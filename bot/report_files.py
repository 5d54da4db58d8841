"""A report written as files: Excel (a cover sheet, then a sheet per section) and CSV
(one section, or every section as a zip of one CSV each).

Both write from the :class:`~bot.report_data.Report` alone. Excel cells are real
numbers and dates (a share is a number from 0 to 1 with a percent format); the workbook
is written in openpyxl's write-only mode, row by row, so its size is bounded by the
rows, not by a model of every cell. ``FORMATS`` names each format with its writer,
media type and file extension: adding a format is one entry.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.report_data import Cell, Column, Report, Section

PERCENT = "0%"
DATE = "yyyy-mm-dd"
NUMBER = "0.00"
#: Excel's limit on a sheet's name.
SHEET_NAME = 31


def _cell(sheet: WriteOnlyWorksheet, value: Cell, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if value is None:
        return cell
    if column.kind == "share":
        cell.number_format = PERCENT
    elif column.kind == "date":
        cell.number_format = DATE
    elif column.kind == "number":
        cell.number_format = NUMBER
    return cell


def _sheet_name(section: Section, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", section.key)[:SHEET_NAME]
    base, n = name, 2
    while name.lower() in used:
        suffix = f"-{n}"
        name, n = base[: SHEET_NAME - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def to_xlsx(report: Report) -> bytes:
    """The report as an Excel workbook: a cover sheet (title, scope, period, when, source,
    headline), then a sheet per section: its title, a header row, its rows, its notes."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    cover = book.create_sheet("Report")
    cover.column_dimensions["A"].width = 18
    cover.column_dimensions["B"].width = 60

    def line(label: str, value: Cell, number_format: str = "") -> list[WriteOnlyCell]:
        head = WriteOnlyCell(cover, value=label)
        head.font = bold
        cell = WriteOnlyCell(cover, value=value)
        if number_format:
            cell.number_format = number_format
        return [head, cell]

    title = WriteOnlyCell(cover, value=report.title)
    title.font = Font(bold=True, size=14)
    cover.append([title])
    cover.append(line("Scope", report.scope))
    cover.append(line("Period", report.period.label))
    cover.append(line("From", report.period.start, DATE))
    cover.append(line("To", report.period.end, DATE))
    generated = report.generated_at.replace(tzinfo=None)
    cover.append(line("Generated (UTC)", generated, "yyyy-mm-dd hh:mm"))
    cover.append(line("Source", report.source))
    cover.append(line(report.headline.label, report.headline.share, PERCENT))
    cover.append(line("Of people", report.headline.n))
    cover.append(line("Target", report.target, PERCENT))
    cover.append(line("Smallest group shown", report.minimum_group))
    cover.append([])
    cover.append([WriteOnlyCell(cover, value="Sections")])
    for section in report.sections:
        cover.append([section.key, section.title])
    used = {"report"}
    for section in report.sections:
        sheet = book.create_sheet(_sheet_name(section, used))
        heading = WriteOnlyCell(sheet, value=section.title)
        heading.font = bold
        sheet.append([heading])
        header = []
        for column in section.columns:
            cell = WriteOnlyCell(sheet, value=column.label)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in section.rows:
            sheet.append([_cell(sheet, v, c) for v, c in zip(row, section.columns, strict=True)])
        if section.notes:
            sheet.append([])
            for note in section.notes:
                sheet.append([note])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_value(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_lines(section: Section) -> Iterator[list[str | int | float]]:
    """The section's header row, then its rows: numbers as numbers (a share from 0 to 1),
    dates as ISO dates, nothing shown as an empty cell. Notes are not rows: they are in
    the Excel file and the summary."""
    yield [c.label for c in section.columns]
    for row in section.rows:
        yield [_csv_value(v) for v in row]


def section_csv(section: Section) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _csv_lines(section):
        writer.writerow(line)
    return out.getvalue().encode("utf-8")


def to_csv(report: Report, section_key: str | None = None) -> bytes:
    """One section as CSV (``section_key``), or, with none, every section as a zip of one
    CSV each (``<key>.csv``), with ``report.csv`` naming the scope, period and source.
    Raises KeyError for a section the report does not have."""
    if section_key is not None:
        found = report.section(section_key)
        if found is None:
            raise KeyError(section_key)
        return section_csv(found)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        about = io.StringIO()
        writer = csv.writer(about)
        writer.writerow(["title", report.title])
        writer.writerow(["scope", report.scope])
        writer.writerow(["period", report.period.label])
        writer.writerow(["from", report.period.start.isoformat()])
        writer.writerow(["to", report.period.end.isoformat()])
        writer.writerow(["generated", report.generated_at.isoformat()])
        writer.writerow(["source", report.source])
        writer.writerow(["headline", report.headline.label])
        writer.writerow(["share", report.headline.share])
        writer.writerow(["n", report.headline.n])
        writer.writerow(["target", report.target])
        archive.writestr("report.csv", about.getvalue())
        for section in report.sections:
            archive.writestr(f"{section.key}.csv", section_csv(section))
    return out.getvalue()


@dataclass(frozen=True)
class Format:
    """A format a report is written in: its writer, media type and file extension."""

    write: Callable[[Report], bytes]
    media_type: str
    extension: str


FORMATS: dict[str, Format] = {
    "xlsx": Format(
        to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
    "csv": Format(to_csv, "application/zip", "zip"),
}


def register(name: str, fmt: Format) -> None:
    """Another format, written outside the core (the page, its PDF and a chart are drawn
    by adapters; the composition root registers them, :func:`bot.app.report_formats`)."""
    FORMATS[name] = fmt


#: (report, which chart, width in pixels) -> PNG bytes; drawn outside the core.
ChartDrawer = Callable[[Report, str, int], bytes]
#: The report's charts, in the order a report shows them.
CHARTS = ("teams", "trend", "comfort")
#: How wide a chart in chat is drawn (16:9).
CHAT_WIDTH_PX = 1200
_DRAWERS: dict[str, ChartDrawer] = {}


def register_charts(draw: ChartDrawer) -> None:
    """How the report's charts are drawn as PNG (by adapters; the composition root
    registers it, :func:`bot.app.report_formats`)."""
    _DRAWERS["png"] = draw


def chart_png(report: Report, which: str, width_px: int = CHAT_WIDTH_PX) -> bytes | None:
    """One of the report's charts as PNG bytes, or None where no drawer is registered (a
    core used without its adapters): the message then says the figures in words only."""
    draw = _DRAWERS.get("png")
    return draw(report, which, width_px) if draw is not None else None


def file_name(report: Report, fmt: str) -> str:
    """``report-2026-Q4-everyone.xlsx``: the period and scope, in safe characters."""
    words = f"report-{report.period.label}-{report.scope}"
    safe = re.sub(r"[^A-Za-z0-9]+", "-", words).strip("-").lower()[:80]
    return f"{safe}.{FORMATS[fmt].extension}"
