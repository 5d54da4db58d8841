"""The report in chat: its summary message, and its charts as pictures.

Used by the ``report summary`` command (``bot.handlers.reports``) and by the scheduled
monthly report (``bot.planning.kinds.report``), so what a person asks for and what a
leaders' channel is sent read the same. The summary is a few lines (the headline, the
period's completions, the teams at the target, what is due, the comfort topics, who is
stuck), the charts as :class:`~bot.messages.Picture` blocks, each with alternative text
that says its figures in words, and buttons for the files.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import report_files
from bot.context import Ctx
from bot.messages import Actions, Attachment, Block, Heading, Message, Picture, Text
from bot.report_data import Report
from bot.templates import Markdown

#: Comfort topics said in the summary; the rest are in the files.
COMFORT_LINES = 3
#: Names said in the summary's "stuck" line.
STUCK_NAMES = 10
#: Teams and comfort items named in a chart's alternative text.
ALT_ITEMS = 10


def _total(report: Report, key: str, column: int) -> int:
    section = report.section(key)
    if section is None:
        return 0
    return sum(v for row in section.rows if isinstance(v := row[column], int))


def _percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def _more(ctx: Ctx, shown: list[str], total: int) -> str:
    extra = total - len(shown)
    return "; ".join(shown) + (ctx.plain("reports.alt.more", count=extra) if extra else "")


def chart_alt(ctx: Ctx, report: Report, which: str) -> str:
    """What a chart shows, in words: its title and its figures (for screen readers, and
    for a platform or person that sees no images)."""
    title = ctx.plain(f"reports.chart.{which}")
    charts = report.charts
    if which == "teams" and charts.teams:
        bars = [
            ctx.plain("reports.alt.bar", label=b.label, share=_percent(b.share), n=b.n)
            for b in charts.teams[:ALT_ITEMS]
        ]
        return ctx.plain(
            "reports.alt.teams",
            title=title,
            target=_percent(report.target),
            bars=_more(ctx, bars, len(charts.teams)),
        )
    if which == "trend" and charts.trend:
        busiest = max(charts.trend, key=lambda p: p.verified + p.self_reported)
        return ctx.plain(
            "reports.alt.trend",
            title=title,
            unit=ctx.plain(f"reports.alt.unit_{charts.trend_unit}"),
            start=charts.trend[0].start.isoformat(),
            verified=f"{sum(p.verified for p in charts.trend):,}",
            self_reported=f"{sum(p.self_reported for p in charts.trend):,}",
            busiest=busiest.start.isoformat(),
            most=f"{busiest.verified + busiest.self_reported:,}",
        )
    shown = [c for c in charts.comfort if c.before is not None or c.after is not None]
    if which == "comfort" and shown:
        items = [
            ctx.plain(
                "reports.alt.comfort_item",
                label=c.label,
                before="-" if c.before is None else f"{c.before:.1f}",
                after="-" if c.after is None else f"{c.after:.1f}",
                n=c.n,
            )
            for c in shown[:ALT_ITEMS]
        ]
        return ctx.plain(
            "reports.alt.comfort",
            title=title,
            points=shown[0].points,
            items=_more(ctx, items, len(shown)),
        )
    return ctx.plain("reports.alt.none", title=title)


def pictures(ctx: Ctx, report: Report, which: Sequence[str]) -> list[Picture]:
    """The charts named, drawn as PNG for chat (none when no drawer is registered)."""
    stem = report_files.file_name(report, "csv").removesuffix(".zip").removesuffix(".csv")
    found: list[Picture] = []
    for chart in which:
        data = report_files.chart_png(report, chart)
        if data is None:
            continue
        found.append(
            Picture.of(
                f"{stem}-{chart}.png",
                ctx.plain(f"reports.chart.{chart}"),
                chart_alt(ctx, report, chart),
                data,
            )
        )
    return found


def summary_message(
    ctx: Ctx,
    report: Report,
    again: str,
    *,
    charts: Sequence[str] = (),
    files: Sequence[Attachment] = (),
    kind: str = "report_summary",
) -> Message:
    """The report in a few lines, with ``charts`` drawn, ``files`` attached, and buttons
    that make the files again for whoever presses them (within what they may see)."""
    mass = report.section("critical_mass")
    reaching = sum(1 for row in mass.rows if row[-1] == ctx.plain("reports.yes")) if mass else 0
    text = ctx.md(
        "reports.summary",
        headline=report.headline.label,
        people=f"{report.headline.n:,}",
        verified=f"{_total(report, 'completion_team', 3):,}",
        self_reported=f"{_total(report, 'completion_team', 4):,}",
        reaching=reaching,
        teams=len(mass.rows) if mass else 0,
        target=_percent(report.target),
        due=f"{_total(report, 'due', 2):,}",
        overdue=f"{_total(report, 'due', 3):,}",
    )
    lines: list[str] = []
    for comfort in report.charts.comfort[:COMFORT_LINES]:
        if comfort.before is None or comfort.after is None:
            continue
        lines.append(
            ctx.md(
                "reports.comfort_line",
                topic=comfort.label,
                before=f"{comfort.before:.1f}",
                after=f"{comfort.after:.1f}",
                n=comfort.n,
            )
        )
    stuck = report.section("stuck")
    if stuck is not None and stuck.rows:
        names = [str(row[0]) for row in stuck.rows[:STUCK_NAMES]]
        more = len(stuck.rows) - len(names)
        shown = ", ".join(names) + (f" +{more}" if more else "")
        lines.append(ctx.md("reports.stuck_line", names=shown))
    blocks: list[Block] = [
        Heading(ctx.plain("reports.heading", scope=report.scope, period=report.period.label)),
        Text(text),
    ]
    if lines:
        blocks.append(Text(Markdown("\n".join(lines))))
    blocks.extend(pictures(ctx, report, charts))
    blocks.append(Text(ctx.md("reports.files")))
    suffix = f" {again}" if again else ""
    buttons = [
        ctx.button("button.report_xlsx", f"report xlsx{suffix}", "primary"),
        ctx.button("button.report_csv", f"report csv{suffix}"),
    ]
    if "pdf" in report_files.FORMATS:
        buttons.append(ctx.button("button.report_pdf", f"report pdf{suffix}"))
    blocks.append(Actions(tuple(buttons)))
    blocks.extend(files)
    return ctx.message(kind, blocks)
