"""What a report is, as data: the shape every report format is written from.

A :class:`Report` is built once for an asker's scope and period (``bot.reports``), and
each format renders it without asking the database again: the chat summary, CSV and
Excel (a sheet per :class:`Section`, real numbers and dates), the one-page HTML and its
PDF, and the charts (PNG for chat, SVG for the web). So every format says the same
thing, and the rule that no group under ``minimum_group`` people is shown apart is
applied once, where the report is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

#: How a column's values are written: text; a whole number; a share from 0 to 1 (shown as
#: a percentage); another number; a date.
ColumnKind = Literal["text", "int", "share", "number", "date"]
#: A cell: None where a figure is not shown (too few people, or nothing to show).
Cell = str | int | float | date | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Section:
    """One part of the report: a titled table, and notes that go with it (who was left
    out and why, what a figure means). ``key`` names its sheet and its CSV file."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Period:
    """The dates a report covers, both included, and how people name them (``2026-Q4``,
    ``November 2026``)."""

    start: date
    end: date
    label: str


@dataclass(frozen=True)
class Bar:
    """One bar of the team-completion chart: a team's share trained, with its n."""

    label: str
    share: float
    n: int


@dataclass(frozen=True)
class Point:
    """One point of the trend: completions (verified and self-reported) in a week or
    month beginning ``start``."""

    start: date
    verified: int
    self_reported: int


@dataclass(frozen=True)
class Comfort:
    """One comfort item or topic: mean before, looking back and after, with n (None
    where fewer than the minimum answered)."""

    label: str
    before: float | None
    looking_back: float | None
    after: float | None
    n: int
    points: int = 5


@dataclass(frozen=True)
class Charts:
    """What the charts draw, already within the privacy rule."""

    #: Team completion against the target (``Report.target``), largest share first.
    teams: tuple[Bar, ...] = ()
    #: Completions by month (or by week for a period of under two months).
    trend: tuple[Point, ...] = ()
    trend_unit: Literal["week", "month"] = "month"
    comfort: tuple[Comfort, ...] = ()


@dataclass(frozen=True)
class Headline:
    """The one number a committee reads first: e.g. "62% of clinicians trained", of n."""

    label: str
    share: float
    n: int


@dataclass(frozen=True)
class Report:
    title: str
    #: Whom it covers, in words ("Everyone", "ICU").
    scope: str
    period: Period
    generated_at: datetime
    #: Where the figures come from, for the footnote of every page and chart.
    source: str
    headline: Headline
    #: The share of a team that should be trained (critical mass), from 0 to 1.
    target: float
    sections: tuple[Section, ...]
    charts: Charts = field(default_factory=Charts)
    minimum_group: int = 5

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)
