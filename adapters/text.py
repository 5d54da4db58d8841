"""Plain-text layout shared by renderers: progress bars and monospace tables."""

from __future__ import annotations

from collections.abc import Callable

from bot import markup
from bot.messages import Chart, Table

BAR_WIDTH = 20


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """'███████░░░░░░░░░░░░░' for 1 of 3."""
    filled = round(width * done / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def table_lines(table: Table, max_width: int = 40, rule: str = "─") -> list[str]:
    """A table as aligned monospace lines: header, rule, rows, and '… +N' for rows left out."""
    rows = [table.columns, *table.rows]
    widths = [
        min(max_width, max(len(r[i]) if i < len(r) else 0 for r in rows))
        for i in range(len(table.columns))
    ]

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            (row[i] if i < len(row) else "")[: widths[i]].ljust(widths[i])
            for i in range(len(widths))
        ]
        return "  ".join(cells).rstrip()

    lines = [fmt(table.columns), "  ".join(rule * w for w in widths), *(fmt(r) for r in table.rows)]
    if table.more:
        lines.append(f"… +{table.more}")
    return lines


def styled_line(
    line: markup.Line,
    inner: Callable[[markup.Span], str],
    bold: str,
    italic: str = "_",
    style_code: bool = True,
) -> str:
    """One parsed line in a platform's emphasis markers.

    ``inner`` renders a span's own text (escaped, links, mentions); runs of spans
    with the same emphasis get one pair of markers, kept against the words because
    both Slack and Teams ignore markers next to spaces. With ``style_code`` False,
    code spans are never emphasised (for platforms without code formatting).
    """
    runs: list[tuple[bool, bool, str]] = []
    for span in line.spans:
        styled = style_code or not span.code
        style = (span.bold and styled, span.italic and styled)
        piece = inner(span)
        if runs and runs[-1][:2] == style:
            runs[-1] = (*style, runs[-1][2] + piece)
        else:
            runs.append((*style, piece))
    return "".join(_wrap(text, b, i, bold, italic) for b, i, text in runs)


def _wrap(text: str, is_bold: bool, is_italic: bool, bold: str, italic: str) -> str:
    core = text.strip()
    if not core or not (is_bold or is_italic):
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if is_italic:
        core = f"{italic}{core}{italic}"
    if is_bold:
        core = f"{bold}{core}{bold}"
    return lead + core + trail


def split_text(text: str, limit: int) -> list[str]:
    """Split at line breaks (or hard, for one very long line) into pieces within ``limit``."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [" "]


def chart_lines(chart: Chart, width: int = BAR_WIDTH, label_width: int = 24) -> list[str]:
    """A bar chart as monospace lines, the marked bar pointed at: for platforms (or
    places) that cannot show the chart's image."""
    top = chart.top or max((b.value for b in chart.bars), default=0.0) or 1.0
    labels = [b.label[:label_width] for b in chart.bars]
    pad = max((len(label) for label in labels), default=0)
    lines = [chart.title] if chart.title else []
    for bar, label, shown in zip(chart.bars, labels, chart.shown, strict=False):
        filled = round(width * min(bar.value, top) / top) if top else 0
        mark = "  ◀" if bar.highlighted else ""
        lines.append(f"{label.ljust(pad)}  {'█' * filled}{'░' * (width - filled)}  {shown}{mark}")
    return lines
