"""Plain-text layout shared by renderers: progress bars and monospace tables."""

from __future__ import annotations

from bot.messages import Table

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
