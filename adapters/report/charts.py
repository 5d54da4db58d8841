"""The report's three charts, drawn from :class:`bot.report_data.Charts` with matplotlib.

- ``teams``: each team's share trained, as horizontal bars largest first, against a
  dashed line at ``Report.target``; bars at or above it in blue, below it in orange, each
  with its share and n written beside it. Over :data:`MANY_TEAMS` teams, the top and the
  bottom :data:`EACH_END` are drawn and the chart says how many are not.
- ``trend``: completions a week or month, verified (solid blue) and self-reported
  (dashed orange), each line named at its last point.
- ``comfort``: each item's mean before (orange circle), looking back (sky-blue square)
  and after (blue diamond) on the item's scale, with its n; the top row's markers are
  named. Over :data:`MANY_ITEMS` items, the first are drawn and the chart says so.

Every chart has the report's title for its own, a subtitle saying the scope, the period
and what is shown, labelled axes, and a footnote with the data source and the report's
date. With nothing to draw it says "No data yet" instead. Colours are Okabe and Ito's
(colour-blind safe), and markers and line styles differ too, so nothing rests on colour.

A PNG is :data:`WIDTH_PX` x :data:`HEIGHT_PX` pixels (16:9, for chat), quantized to
:data:`PNG_COLOURS` colours: tens of kilobytes. An SVG is the same drawing at
8 x 4.5 inches, its text kept as text (searchable, and read by screen readers), with a
``<title>``; :func:`inline_svg` readies it to sit inside an HTML page.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, get_args

from adapters import drawing
from bot.report_data import Bar, Comfort, Point, Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Which = Literal["teams", "trend", "comfort"]
#: The charts there are, in the order a report shows them.
CHARTS: tuple[Which, ...] = get_args(Which)

WIDTH_IN = 8.0
HEIGHT_IN = 4.5
DPI = 150
WIDTH_PX = round(WIDTH_IN * DPI)  # 1200
HEIGHT_PX = round(HEIGHT_IN * DPI)  # 675
PNG_COLOURS = 64
#: Over this many teams, only the top and bottom EACH_END are drawn.
MANY_TEAMS = 17
EACH_END = 8
#: Over this many comfort items, only the first MANY_ITEMS are drawn.
MANY_ITEMS = 10
LABEL_CHARS = 34

MET = drawing.BLUE
BELOW = drawing.ORANGE
VERIFIED = drawing.BLUE
SELF_REPORTED = drawing.ORANGE
#: Comfort phases: (attribute, name, colour, marker).
PHASES = (
    ("before", "Before", drawing.ORANGE, "o"),
    ("looking_back", "Looking back", drawing.SKY_BLUE, "s"),
    ("after", "After", drawing.BLUE, "D"),
)
SUBTLE = "#4b5563"
#: rc_context changes matplotlib's global settings while an SVG is saved: one at a time,
#: so a chart drawn on another worker thread never sees another's settings restored.
_SVG_SETTINGS = threading.Lock()


def png(
    report: Report, which: Which, width_px: int = WIDTH_PX, colours: int = PNG_COLOURS
) -> bytes:
    """The chart as PNG bytes, WIDTH_PX x HEIGHT_PX unless ``width_px`` asks for another
    width (the same drawing at another resolution, still 16:9): a card that carries its
    images inside it wants them small."""
    dpi = DPI if width_px == WIDTH_PX else width_px / WIDTH_IN
    return drawing.png(_draw(report, which), dpi, colours=colours)


def svg(report: Report, which: Which) -> str:
    """The chart as a standalone SVG document."""
    import matplotlib

    drawn = _draw(report, which)
    out = io.StringIO()
    with (
        _SVG_SETTINGS,
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"huddle-{which}"}),
    ):
        drawn.savefig(
            out,
            format="svg",
            facecolor="white",
            metadata={
                "Title": title(report, which),
                "Date": None,
                "Creator": None,
                "Format": None,
                "Type": None,
            },
        )
    return out.getvalue()


def inline_svg(document: str, prefix: str) -> str:
    """An SVG document as an element for an HTML page: no XML declaration or doctype, no
    namespace declarations (HTML's parser gives inline SVG its namespace), and every id
    prefixed, so several charts on one page keep their clip paths and markers apart."""
    start = document.index("<svg")
    element = document[start:]
    element = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", element)
    element = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', element)
    element = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", element)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', element)


def title(report: Report, which: Which) -> str:
    what = {
        "teams": "Team completion against the target",
        "trend": "Completions over time",
        "comfort": "Comfort before, looking back and after",
    }[which]
    return f"{what}: {report.title}"


def footnote(report: Report) -> str:
    return f"Source: {report.source}. Report of {day(report.generated_at)}. Huddle."


def day(when: date | datetime) -> str:
    return f"{when.day} {when:%B %Y}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _percent(share: float) -> str:
    return f"{share:.0%}"


def _draw(report: Report, which: Which) -> Figure:
    if which not in CHARTS:
        raise ValueError(f"no chart {which!r}: one of {', '.join(CHARTS)}")
    drawn = drawing.figure(WIDTH_IN, HEIGHT_IN, DPI)
    drawn.text(
        0.02,
        0.95,
        _short_title(title(report, which)),
        fontsize=12,
        fontweight="bold",
        color=drawing.TEXT,
        va="top",
        parse_math=False,
    )
    drawn.text(
        0.02,
        0.02,
        footnote(report),
        fontsize=6.5,
        color=SUBTLE,
        va="bottom",
        parse_math=False,
    )
    if which == "teams":
        subtitle = _teams(drawn, report)
    elif which == "trend":
        subtitle = _trend(drawn, report)
    else:
        subtitle = _comfort(drawn, report)
    drawn.text(
        0.02, 0.885, subtitle, fontsize=8, color=SUBTLE, va="top", parse_math=False, wrap=True
    )
    return drawn


def _short_title(text: str) -> str:
    return text if len(text) <= 90 else text[:89] + "…"


def _scope(report: Report) -> str:
    return f"{report.scope}, {report.period.label}"


def _no_data(drawn: Figure, what: str) -> None:
    drawn.text(0.5, 0.52, "No data yet", fontsize=20, color=SUBTLE, ha="center", va="center")
    drawn.text(
        0.5, 0.42, what, fontsize=9, color=SUBTLE, ha="center", va="center", parse_math=False
    )


def _plain_axes(axes: Axes) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(drawing.MUTED)
    axes.tick_params(colors=drawing.TEXT, labelsize=7.5)
    axes.xaxis.label.set_color(drawing.TEXT)
    axes.yaxis.label.set_color(drawing.TEXT)


def _teams(drawn: Figure, report: Report) -> str:
    bars = sorted(report.charts.teams, key=lambda b: (-b.share, b.label))
    target = report.target
    if not bars:
        _no_data(drawn, "No team is large enough to show yet.")
        return _scope(report)
    rows: list[Bar | None]
    if len(bars) > MANY_TEAMS:
        rows = [*bars[:EACH_END], None, *bars[-EACH_END:]]
        hidden = len(bars) - 2 * EACH_END
        shown = f"The top {EACH_END} and bottom {EACH_END} of {len(bars):,} teams"
    else:
        rows, hidden = list(bars), 0
        shown = f"{len(bars):,} team{'s' if len(bars) != 1 else ''}"
    subtitle = (
        f"{_scope(report)}. {shown}, largest share first; blue: at or above the "
        f"{_percent(target)} target, orange: below it."
    )
    axes = drawn.add_axes((0.30, 0.17, 0.62, 0.63))
    positions = list(range(len(rows)))[::-1]
    labels = []
    for y, bar in zip(positions, rows, strict=True):
        if bar is None:
            labels.append("")
            axes.text(
                0.5,
                y,
                f"… {hidden:,} teams not shown …",
                ha="center",
                va="center",
                fontsize=7.5,
                style="italic",
                color=SUBTLE,
                parse_math=False,
            )
            continue
        labels.append(_short(bar.label))
        axes.barh(y, bar.share, color=MET if bar.share >= target else BELOW, height=0.7)
        axes.text(
            min(bar.share, 1.0) + 0.01,
            y,
            f"{_percent(bar.share)} (n={bar.n:,})",
            va="center",
            fontsize=7,
            color=drawing.TEXT,
            parse_math=False,
        )
    axes.set_yticks(positions, labels=labels, parse_math=False)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xlim(0, 1.15)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0], labels=["0%", "25%", "50%", "75%", "100%"])
    axes.axvline(target, color=drawing.BLACK, linestyle="--", linewidth=1)
    axes.text(
        target,
        len(rows) - 0.4,
        f" Target {_percent(target)}",
        ha="left",
        va="bottom",
        fontsize=7.5,
        color=drawing.BLACK,
        parse_math=False,
    )
    axes.set_xlabel("Share of the team trained", fontsize=8)
    axes.set_ylabel("Team", fontsize=8)
    axes.tick_params(axis="y", length=0)
    _plain_axes(axes)
    return subtitle


def _trend(drawn: Figure, report: Report) -> str:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.ticker import MaxNLocator

    unit = report.charts.trend_unit
    points: Sequence[Point] = sorted(report.charts.trend, key=lambda p: p.start)
    subtitle = f"{_scope(report)}. Completions a {unit}, verified and self-reported."
    if not points:
        _no_data(drawn, "No completions recorded in this period yet.")
        return _scope(report)
    axes = drawn.add_axes((0.09, 0.17, 0.74, 0.63))
    starts = date2num([p.start for p in points])  # type: ignore[no-untyped-call]
    verified = [p.verified for p in points]
    reported = [p.self_reported for p in points]
    axes.plot(starts, verified, color=VERIFIED, linewidth=2, marker="o", markersize=3)
    axes.plot(
        starts, reported, color=SELF_REPORTED, linewidth=2, linestyle="--", marker="s", markersize=3
    )
    top = max(max(verified), max(reported), 1)
    axes.set_ylim(0, top * 1.12)
    # Name each line at its last point; push the names apart when the ends are close.
    ends = [("Verified", verified[-1], VERIFIED), ("Self-reported", reported[-1], SELF_REPORTED)]
    close = abs(verified[-1] - reported[-1]) < top * 0.08
    for name, value, colour in ends:
        lift = 0.0 if not close else (5.0 if value == max(e[1] for e in ends) else -5.0)
        if close and verified[-1] == reported[-1]:
            lift = 5.0 if name == "Verified" else -5.0
        axes.annotate(
            f"{name} {value:,}",
            (starts[-1], value),
            xytext=(6, lift),
            textcoords="offset points",
            va="center",
            fontsize=7.5,
            color=colour,
            fontweight="bold",
            annotation_clip=False,
            parse_math=False,
        )
    locator = AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", color=drawing.GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    axes.set_xlabel("Week beginning" if unit == "week" else "Month", fontsize=8)
    axes.set_ylabel(f"Completions a {unit}", fontsize=8)
    _plain_axes(axes)
    return subtitle


def _comfort(drawn: Figure, report: Report) -> str:
    items: Sequence[Comfort] = report.charts.comfort
    if not items:
        _no_data(drawn, "No comfort survey answers in this period yet.")
        return _scope(report)
    shown = list(items[:MANY_ITEMS])
    points = max(item.points for item in shown)
    subtitle = f"{_scope(report)}. Mean comfort on a scale of 1 to {points}, with n"
    if len(items) > len(shown):
        subtitle += f"; the first {len(shown)} of {len(items)} items"
    subtitle += "."
    axes = drawn.add_axes((0.34, 0.17, 0.60, 0.60))
    positions = list(range(len(shown)))[::-1]
    named = False
    for y, item in zip(positions, shown, strict=True):
        present = [
            (getattr(item, attr), name, colour, marker)
            for attr, name, colour, marker in PHASES
            if getattr(item, attr) is not None
        ]
        if not present:
            axes.text(
                (1 + points) / 2,
                y,
                f"too few answers (fewer than {report.minimum_group})",
                ha="center",
                va="center",
                fontsize=7,
                style="italic",
                color=SUBTLE,
                parse_math=False,
            )
            continue
        values = [p[0] for p in present]
        axes.plot([min(values), max(values)], [y, y], color=drawing.MUTED, linewidth=2, zorder=1)
        for value, _name, colour, marker in present:
            axes.scatter([value], [y], color=colour, marker=marker, s=28, zorder=2)
        if not named:
            named = True
            _name_phases(axes, present, y)
    labels = [f"{_short(item.label)} (n={item.n:,})" for item in shown]
    axes.set_yticks(positions, labels=labels, parse_math=False)
    axes.set_ylim(-0.6, len(shown) - 0.4)
    axes.set_xlim(0.8, points + 0.2)
    axes.set_xticks(list(range(1, points + 1)))
    axes.grid(axis="x", color=drawing.GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    axes.set_xlabel(f"Mean comfort (1 = least, {points} = most)", fontsize=8)
    axes.set_ylabel("Item", fontsize=8)
    axes.tick_params(axis="y", length=0)
    _plain_axes(axes)
    return subtitle


def _name_phases(axes: Axes, present: list[tuple[float, str, str, str]], y: float) -> None:
    """Name the top row's markers above them, staggered where two are close."""
    previous: float | None = None
    lift = 7.0
    for value, name, colour, _marker in sorted(present):
        lift = 15.0 if previous is not None and value - previous < 0.45 and lift == 7.0 else 7.0
        axes.annotate(
            name,
            (value, y),
            xytext=(0, lift),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color=colour,
            fontweight="bold",
            annotation_clip=False,
        )
        previous = value
