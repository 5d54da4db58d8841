"""The organisation's measures: monthly figures brought in from a file, and shown beside
training progress.

A measures file (CSV in any encoding and separator :mod:`bot.imports.reading` knows, or
XLSX, read as CSV text by ``reading.as_text``) holds one figure a row: the month, the
team (or the organisation), the measure (``content/measures.yaml``), its value, how many
patients or responses are behind it (``n``) and where it came from. Its header is found
among the first rows by its column names, as an export's is. These are team and
organisation figures only: a file with a column that looks like it names or identifies
patients (:func:`bot.privacy.identifier_columns`) is refused whole, before any row is
read. Otherwise every row is checked: a bad row is reported with its line and the reason
and never guessed at; good rows are applied (:func:`apply`): a new figure added, a
changed one (the same month, team and measure) updated, the same one left unchanged, so
importing a file again changes nothing.

:func:`figures` puts each measure's months beside the share of the team trained then
(:func:`bot.counts.trained_over_time`). Teams under the content's minimum group are
shown together as "Other" (values weighted by their n), or left out when even together
they are fewer; a value on fewer patients or responses than the minimum is not shown.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain, islice
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot import privacy
from bot.content import Content, Measure
from bot.counts import trained_over_time
from bot.imports.reading import HEADER_SEARCH_ROWS, ReadProblem
from bot.models import OrganisationMeasure, Team
from bot.roster import slugify
from bot.timeparse import MONTHS

Say = Callable[..., str]

#: What each column may be headed (folded: see privacy.fold_heading).
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "period": ("period", "month", "reporting period", "report month", "period start", "date"),
    "team": (
        "team",
        "team key",
        "team name",
        "team or organisation",
        "team or organization",
        "unit",
        "department",
        "service",
        "clinic",
        "ward",
        "scope",
    ),
    "measure": ("measure", "measure id", "measure name", "metric", "indicator", "kpi"),
    "value": ("value", "score", "rate", "result", "percent", "percentage", "%"),
    "n": (
        "n",
        "count",
        "responses",
        "patients",
        "number of patients",
        "number of responses",
        "patient count",
        "response count",
        "denominator",
        "sample size",
        "n size",
        "base",
    ),
    "source": ("source", "data source", "source name", "from"),
}
REQUIRED = ("period", "measure", "value", "n")
#: Words in the team column that mean the whole organisation (besides a blank cell).
ORGANISATION = frozenset(
    {
        "organisation",
        "organization",
        "org",
        "all",
        "all teams",
        "overall",
        "total",
        "whole organisation",
        "whole organization",
        "-",
    }
)
#: Columns only rows about patients have (names and emails may be staff's).
PATIENT_ONLY = frozenset(
    {"record_number", "ssn", "plan_number", "date", "age", "room", "device_number", "patient"}
)
SOURCE_LIMIT = 200
MIN_YEAR = 2000
#: How many months of each measure are shown, the latest first chosen.
MONTHS_SHOWN = 6
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?)?$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_NAME_YEAR = re.compile(r"^([a-z]+)\.?[\s,/-]*('?\d{2}|\d{4})$")
_YEAR_NAME = re.compile(r"^(\d{4})[\s/-]*([a-z]+)$")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


@dataclass(frozen=True)
class Figure:
    """A checked row: one month's value of one measure for a team or the organisation."""

    line: int
    period: date
    team_id: int | None
    measure_id: str
    value: float
    n: int
    source: str

    @property
    def key(self) -> tuple[date, int, str]:
        return (self.period, self.team_id or 0, self.measure_id)


@dataclass(frozen=True)
class Bad:
    """A refused row: its line in the file, its cells and why."""

    line: int
    cells: list[str]
    reason: str


@dataclass
class Sheet:
    """What a measures file holds, checked."""

    header_line: int
    figures: list[Figure] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.figures) + len(self.bad)


@dataclass
class Applied:
    """What applying good rows did."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


# --- reading ---------------------------------------------------------------------------------


def _columns_of(cells: Sequence[str]) -> dict[str, int]:
    """Which cell of a header row is which column (the first of each)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        folded = privacy.fold_heading(cell)
        for name, aliases in COLUMNS.items():
            if folded in aliases and name not in found:
                found[name] = index
                break
    return found


def find_header(rows: Sequence[Sequence[str]]) -> int | None:
    """The index of the header row among the first rows: the first with a period, a
    measure and a value column; None if there is none."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        named = _columns_of([str(c) for c in row])
        if {"period", "measure", "value"} <= named.keys():
            return index
    return None


def header_fits(rows: Sequence[Sequence[str]]) -> bool:
    """Whether a file's first rows are a measures file's (for a file sent in chat)."""
    return find_header(rows) is not None


def _ours() -> list[str]:
    return [alias for aliases in COLUMNS.values() for alias in aliases]


def read(
    csv_text: str,
    content: Content,
    teams: Iterable[Team],
    say: Say,
    *,
    today: date,
    staff: privacy.Staff,
) -> Sheet:
    """Check every row of a measures file (as CSV text; rows are numbered as its lines).

    Raises :class:`ReadProblem` when the file cannot be imported at all: no header, a column
    missing, or a column that looks like patient identifiers."""
    numbered = _numbered(csv_text)
    head = list(islice(numbered, HEADER_SEARCH_ROWS))
    if not any(cell.strip() for _, row in head for cell in row):
        raise ReadProblem("measures.empty")
    index = find_header([row for _, row in head])
    if index is None:
        # Not our layout; but a header of patient details is named as what it is (a
        # roster's names and emails are staff's: just not a measures file).
        for _, row in head:
            kinds = {k for _, k in privacy.identifier_columns(row, _ours())}
            if kinds & PATIENT_ONLY:
                _refuse_identifiers(row, say)
        raise ReadProblem(
            "measures.no_header",
            rows=str(HEADER_SEARCH_ROWS),
            columns=", ".join(REQUIRED),
        )
    header_line, header = head[index]
    _refuse_identifiers(header, say)
    columns = _columns_of(header)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ReadProblem(
            "measures.missing_columns",
            missing=", ".join(missing),
            columns=", ".join(REQUIRED),
            optional="team, source",
        )
    checker = _Checker(content, teams, say, today, staff, columns, len(header))
    sheet = Sheet(header_line)
    for line, raw in chain(head[index + 1 :], numbered):
        if not any(cell.strip() for cell in raw):
            continue
        result = checker.check(line, raw)
        if isinstance(result, Bad):
            sheet.bad.append(result)
        else:
            sheet.figures.append(result)
    return sheet


def _refuse_identifiers(header: Sequence[str], say: Say) -> None:
    """Refuse the file if any column of ``header`` looks like patient identifiers."""
    identifying = privacy.identifier_columns(header, _ours())
    if identifying:
        raise ReadProblem(
            "measures.patient_columns",
            columns="; ".join(
                say("measures.column", heading=h, why=say(f"measures.column.{k}"))
                for h, k in identifying
            ),
        )


def _numbered(csv_text: str) -> Iterator[tuple[int, list[str]]]:
    """The rows of CSV text, each with its line (the last, for a row over several)."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    for raw in reader:
        yield reader.line_num, raw


class _Checker:
    """Checks one row at a time, remembering the rows seen (a repeated key is refused)."""

    def __init__(
        self,
        content: Content,
        teams: Iterable[Team],
        say: Say,
        today: date,
        staff: privacy.Staff,
        columns: Mapping[str, int],
        width: int,
    ) -> None:
        self.content = content
        self.say = say
        self.this_month = today.replace(day=1)
        self.staff = staff
        self.columns = columns
        self.width = width
        self.teams: dict[str, int | None] = {}
        for team in teams:
            self.teams[team.key] = team.id
            self.teams[_fold(team.name)] = team.id
        self.measures: dict[str, Measure] = {}
        for measure in content.measures.values():
            self.measures[measure.id] = measure
            self.measures[_fold(measure.name)] = measure
        self.seen: dict[tuple[date, int, str], int] = {}

    def cell(self, raw: Sequence[str], name: str) -> str:
        index = self.columns.get(name)
        return raw[index].strip() if index is not None and index < len(raw) else ""

    def check(self, line: int, raw: list[str]) -> Figure | Bad:
        def bad(key: str, **values: str) -> Bad:
            return Bad(line, raw, self.say(f"measures.reason.{key}", **values))

        if len(raw) > self.width and any(c.strip() for c in raw[self.width :]):
            return Bad(
                line,
                raw,
                self.say("import.reason.cells", count=len(raw), expected=self.width),
            )
        text = self.cell(raw, "period")
        if not text:
            return bad("no_period")
        period = read_period(text)
        if period is None:
            return bad("bad_period", value=text)
        if period > self.this_month:
            return bad("future_period", value=text)
        team_text = self.cell(raw, "team")
        team_id: int | None = None
        if _fold(team_text) not in ORGANISATION and team_text:
            folded = _fold(team_text)
            if folded in self.teams:
                team_id = self.teams[folded]
            elif slugify(team_text) in self.teams:
                team_id = self.teams[slugify(team_text)]
            else:
                return bad("unknown_team", value=team_text)
        measure_text = self.cell(raw, "measure")
        if not measure_text:
            return bad("no_measure")
        measure = self.measures.get(measure_text.casefold()) or self.measures.get(
            _fold(measure_text)
        )
        if measure is None:
            return bad(
                "unknown_measure",
                value=measure_text,
                options=", ".join(self.content.measures) or "-",
            )
        value_text = self.cell(raw, "value")
        if not value_text:
            return bad("no_value")
        value = read_number(value_text.removesuffix("%").strip())
        if value is None:
            return bad("bad_value", value=value_text)
        if measure.percent and not 0 <= value <= 100:
            return bad("percent_range", value=value_text)
        n_text = self.cell(raw, "n")
        if not n_text:
            return bad("no_n")
        n = read_number(n_text)
        if n is None or not n.is_integer() or n < 1:
            return bad("bad_n", value=n_text)
        source = " ".join(self.cell(raw, "source").split())
        if len(source) > SOURCE_LIMIT:
            return bad("source_too_long", limit=str(SOURCE_LIMIT))
        found = privacy.screen(source, self.staff) if source else []
        if found:
            parts = ", ".join(f"“{f.text}”" for f in found[:3])
            return bad("source_identifier", parts=parts)
        figure = Figure(line, period, team_id, measure.id, value, int(n), source)
        first = self.seen.get(figure.key)
        if first is not None:
            return bad("duplicate", first_line=str(first))
        self.seen[figure.key] = line
        return figure


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def read_period(text: str) -> date | None:
    """The month a cell names, as its first day: 2026-10, 2026-10-01 (or any day of it),
    10/2026, Oct 2026, October 2026, Oct-26, 2026 Oct."""
    folded = _fold(text)
    year = month = 0
    if m := _YEAR_MONTH.match(folded):
        year, month = int(m[1]), int(m[2])
    elif m := _YEAR_MONTH_DAY.match(folded):
        year, month = int(m[1]), int(m[2])
        try:
            date(year, month, int(m[3]))
        except ValueError:
            return None
    elif m := _MONTH_YEAR.match(folded):
        month, year = int(m[1]), int(m[2])
    elif m := _NAME_YEAR.match(folded):
        month = MONTHS.get(m[1], 0)
        digits = m[2].lstrip("'")
        year = int(digits) + (2000 if len(digits) == 2 else 0)
    elif m := _YEAR_NAME.match(folded):
        year, month = int(m[1]), MONTHS.get(m[2], 0)
    if not 1 <= month <= 12 or year < MIN_YEAR:
        return None
    return date(year, month, 1)


def read_number(text: str) -> float | None:
    """A number as written in a figures file: 68.2, 1,204 (grouped), -3; None if not one."""
    text = text.strip()
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# --- applying --------------------------------------------------------------------------------


def apply(session: Session, figures: Sequence[Figure], *, now: datetime, actor: str) -> Applied:
    """Add new figures, update changed ones, leave the same ones be (one look-up for all:
    a measures file is a few thousand rows at most). The unique key (month, team or
    organisation, measure) is the database's: a figure is never there twice."""
    applied = Applied()
    if not figures:
        return applied
    measure_ids = sorted({f.measure_id for f in figures})
    periods = sorted({f.period for f in figures})
    existing = {
        (row.period, row.scope_id, row.measure_id): row
        for row in session.exec(
            select(OrganisationMeasure).where(
                col(OrganisationMeasure.measure_id).in_(measure_ids),
                col(OrganisationMeasure.period).in_(periods),
            )
        )
    }
    for figure in figures:
        row = existing.get(figure.key)
        if row is None:
            row = OrganisationMeasure(
                period=figure.period,
                team_id=figure.team_id,
                scope_id=figure.team_id or 0,
                measure_id=figure.measure_id,
                value=figure.value,
                n=figure.n,
                source=figure.source,
                imported_at=now,
                imported_by=actor[:255],
            )
            session.add(row)
            existing[figure.key] = row
            applied.added += 1
        elif (row.value, row.n, row.source) == (figure.value, figure.n, figure.source):
            applied.unchanged += 1
        else:
            row.value, row.n, row.source = figure.value, figure.n, figure.source
            row.imported_at, row.imported_by = now, actor[:255]
            session.add(row)
            applied.updated += 1
    session.flush()
    return applied


# --- what the numbers say --------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One month of a measure for a team, the organisation, or the small teams together
    ("other"), beside the share of its people trained by the month's end."""

    kind: str  # organisation, team, other
    label: str  # the team's name ("" for the organisation and other)
    period: date
    #: None when fewer patients or responses than the minimum are behind it.
    value: float | None
    n: int
    trained: int
    people: int
    team_id: int | None = None


@dataclass
class Shown:
    """A measure's lines, and what was merged or left out to keep small groups apart."""

    measure: Measure
    lines: list[Line] = field(default_factory=list)
    #: Small teams merged into "Other" lines (distinct teams).
    merged: int = 0
    #: Small teams' figures (team-months) left out: too few people even together, or a
    #: team asked for by itself.
    left_out: int = 0
    sources: list[str] = field(default_factory=list)
    #: Rows in the months before those shown.
    earlier_months: int = 0


def month_end(period: date, zone: ZoneInfo) -> datetime:
    """The instant a month ends, in the organisation's zone."""
    following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(following, time(0), tzinfo=zone)


def figures(
    session: Session,
    content: Content,
    measures: Sequence[Measure],
    *,
    team_ids: Sequence[int] | None = None,
    organisation: bool = True,
    months: int = MONTHS_SHOWN,
) -> list[Shown]:
    """Each measure's latest ``months`` months beside training, for every team and the
    organisation, or only the teams ``team_ids`` (and the organisation if asked)."""
    minimum = content.initiative.defaults.minimum_group
    zone = ZoneInfo(content.initiative.defaults.timezone)
    names = {t.id: t.name for t in session.exec(select(Team))}
    wanted = [col(OrganisationMeasure.measure_id).in_([m.id for m in measures])]
    if team_ids is not None:
        scopes = [*team_ids, *([0] if organisation else [])]
        wanted.append(col(OrganisationMeasure.scope_id).in_(scopes))
    months_of: dict[str, list[date]] = {}
    for measure_id, period in session.exec(
        select(col(OrganisationMeasure.measure_id), col(OrganisationMeasure.period))
        .where(*wanted)
        .distinct()
        .order_by(col(OrganisationMeasure.period))
    ):
        months_of.setdefault(measure_id, []).append(period)
    chosen = {m.id: months_of.get(m.id, [])[-months:] for m in measures}
    periods_shown = sorted({p for periods in chosen.values() for p in periods})
    rows = list(
        session.exec(
            select(OrganisationMeasure).where(
                *wanted, col(OrganisationMeasure.period).in_(periods_shown)
            )
        )
    )
    ends = sorted({month_end(p, zone) for periods in chosen.values() for p in periods})
    # Nothing to stand beside (no figures yet): no need to count who was trained.
    trained = trained_over_time(session, content, ends) if ends else {}
    shown: list[Shown] = []
    for measure in measures:
        result = Shown(measure)
        periods = set(chosen[measure.id])
        result.earlier_months = len(months_of.get(measure.id, [])) - len(periods)
        mine = [r for r in rows if r.measure_id == measure.id and r.period in periods]
        result.sources = sorted({r.source for r in mine if r.source})
        merged: set[int] = set()
        for period in sorted(periods):
            at = trained[month_end(period, zone)]
            small: list[OrganisationMeasure] = []
            for row in (r for r in mine if r.period == period):
                if row.team_id is None:
                    people = sum(at.people.values())
                    done = sum(at.trained.values())
                    result.lines.append(_line("organisation", "", row, people, done, minimum, None))
                    continue
                people = at.people[row.team_id]
                if people >= minimum:
                    result.lines.append(
                        _line(
                            "team",
                            names.get(row.team_id, "-"),
                            row,
                            people,
                            at.trained[row.team_id],
                            minimum,
                            row.team_id,
                        )
                    )
                else:
                    small.append(row)
            if not small:
                continue
            people = sum(at.people[r.team_id] for r in small)
            if team_ids is not None or people < minimum:
                # Teams asked for by name (a champion's own) are not merged with others
                # into "Other", and small teams too few even together are not shown.
                result.left_out += len(small)
                continue
            merged.update(r.team_id or 0 for r in small)
            n = sum(r.n for r in small)
            value = sum(r.value * r.n for r in small) / n
            result.lines.append(
                Line(
                    "other",
                    "",
                    period,
                    value if n >= minimum else None,
                    n,
                    sum(at.trained[r.team_id] for r in small),
                    people,
                )
            )
        order = {"organisation": 0, "team": 1, "other": 2}
        result.lines.sort(key=lambda ln: (order[ln.kind], ln.label.casefold(), ln.period))
        result.merged = len(merged)
        shown.append(result)
    return shown


def _line(
    kind: str,
    label: str,
    row: OrganisationMeasure,
    people: int,
    trained: int,
    minimum: int,
    team_id: int | None,
) -> Line:
    return Line(
        kind,
        label,
        row.period,
        row.value if row.n >= minimum else None,
        row.n,
        trained,
        people,
        team_id,
    )
