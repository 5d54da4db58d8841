"""The report: training progress for an asker's scope and a period, as one
:class:`bot.report_data.Report` that every format (chat, CSV, Excel, and later HTML,
PDF and charts) is written from.

What it holds, section by section (each a table with every figure's n):

- ``completion_team``, ``completion_discipline``, ``completion_pathway``,
  ``completion_level``: completions in the period, verified and self-reported counted
  apart (``Completion.verified``; a person's own word never verifies);
- ``critical_mass``: the share of each team trained now (every course of at least one
  of their pathways done, as ``report``'s "finished") against the content's target
  (``initiative.yaml`` ``reports: target``), and whether the team reaches it;
- ``senior``: senior leaders (role ``senior_leader``) and senior clinicians, shown on
  their own (see :data:`SENIOR_CLINICIANS`);
- ``credits``: credits earned in the period by credit type and discipline;
- ``trend``: completions a week (a period under two months) or a month;
- ``due``: enrolments due in the next 30 days and overdue, not finished, per team;
- ``contest``: the latest contest's standings; ``recognition``: shout-outs per team;
- ``attendance``: group sessions and case discussions attended per team;
- ``comfort``: the comfort surveys (``bot.survey_results``): before, looking back and
  after, with n;
- ``measures``: the organisation's measures beside the share trained (``bot.measures``);
- ``stuck``: only in a champion's report about their own team: who had three reminders
  with no progress in the last week, as the champion digest counts them.

Privacy: no group of fewer than ``minimum_group`` people is shown apart. Where a section
splits people into groups (teams, disciplines), the groups under the minimum are merged
into "Other"; when those together are still too few, the next smallest group joins them
(so no small group can be had by subtracting the others from a total), and when the
whole scope is too few nothing is shown. A pathway, level or contest team under the
minimum is left out. Each such merge or omission is a note of its section. The comfort
and measures figures keep their own modules' rules, which are the same in spirit.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Pool, case, func
from sqlmodel import Session, col, select

from bot import attendance, contests, freshness, shoutouts, survey_results
from bot import measures as measures_rules
from bot.content import Content
from bot.counts import _per_enrolled
from bot.models import (
    Completion,
    Contest,
    Enrolment,
    OutboxMessage,
    Person,
    PersonRole,
    Team,
)
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
from bot.templates import Templates

#: Senior clinicians: physicians and advanced practice providers who are champions or
#: senior leaders, the clinicians others look to. Senior leaders are everyone with the
#: ``senior_leader`` role, whatever their discipline.
SENIOR_CLINICIANS = ("physician", "advanced_practice_provider")
SENIOR_ROLES = ("champion", "senior_leader")
#: Enrolments due within this many days are "due soon".
DUE_DAYS = 30
SOURCE = "Huddle: completions (verified and self-reported), enrolments, surveys, measures"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_QUARTER = re.compile(r"(?P<year>\d{4})[- ]?q(?P<q>[1-4])")
_MONTH_NUMBER = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})")
_MONTH_NAME = re.compile(r"(?P<name>[a-z]+)\s+(?P<year>\d{4})")
_YEAR = re.compile(r"\d{4}")
PERIOD_EXAMPLES = "2026-Q4, 2026-11, November 2026, this month, last month, this quarter, 2026"


class PeriodError(ValueError):
    """Words that name no period; the message says what would."""


def _month(year: int, month: int) -> Period:
    start = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(start, following - timedelta(days=1), start.strftime("%B %Y"))


def _quarter(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    end = _month(year, 3 * quarter).end
    return Period(start, end, f"{year}-Q{quarter}")


def parse_period(text: str, today: date) -> Period:
    """``2026-Q4``, ``2026-11``, ``November 2026`` (or ``nov 2026``), ``this month``,
    ``last month``, ``this quarter``, ``last quarter``, ``2026``, ``this year``; anything
    else raises :class:`PeriodError` naming the forms it takes."""
    words = " ".join(text.strip().lower().split())
    if words in ("this month", "month"):
        return _month(today.year, today.month)
    if words == "last month":
        before = today.replace(day=1) - timedelta(days=1)
        return _month(before.year, before.month)
    if words in ("this quarter", "quarter"):
        return _quarter(today.year, (today.month - 1) // 3 + 1)
    if words == "last quarter":
        quarter = (today.month - 1) // 3
        return _quarter(today.year, quarter) if quarter else _quarter(today.year - 1, 4)
    if words in ("this year", "year"):
        words = str(today.year)
    if found := _QUARTER.fullmatch(words):
        return _quarter(int(found["year"]), int(found["q"]))
    if (found := _MONTH_NUMBER.fullmatch(words)) and 1 <= int(found["month"]) <= 12:
        return _month(int(found["year"]), int(found["month"]))
    if (found := _MONTH_NAME.fullmatch(words)) and found["name"] in _MONTHS:
        return _month(int(found["year"]), _MONTHS[found["name"]])
    if _YEAR.fullmatch(words):
        year = int(words)
        return Period(date(year, 1, 1), date(year, 12, 31), words)
    raise PeriodError(f"'{text.strip()}' is not a period; try {PERIOD_EXAMPLES}")


# --- groups and the minimum ----------------------------------------------------------------


@dataclass
class _Group:
    key: Any
    label: str
    people: int
    values: list[int | float]


def _kept_apart(
    groups: Sequence[_Group], minimum: int, other: str
) -> tuple[list[_Group], int, bool]:
    """The groups shown: those of at least ``minimum`` people, and "Other" for the rest,
    grown by the next smallest group until it is large enough. Returns the groups, how
    many were merged into Other, and whether nothing could be shown at all."""
    if not groups:
        return [], 0, False
    if sum(g.people for g in groups) < minimum:
        return [], len(groups), True
    small = [g for g in groups if g.people < minimum]
    large = sorted((g for g in groups if g.people >= minimum), key=lambda g: g.people)
    if not small:
        return list(groups), 0, False
    while sum(g.people for g in small) < minimum and large:
        small.append(large.pop(0))
    merged = _Group(
        None,
        other,
        sum(g.people for g in small),
        [sum(vs) for vs in zip(*(g.values for g in small), strict=True)],
    )
    kept_keys = {id(g) for g in large}
    shown = [g for g in groups if id(g) in kept_keys]
    return [*shown, merged], len(small), False


# --- building ------------------------------------------------------------------------------


@dataclass
class _Builder:
    session: Session
    content: Content
    words: Templates
    team_ids: list[int] | None
    period: Period
    discipline: str | None
    pathway: str | None
    champion_team_id: int | None
    now: datetime

    def __post_init__(self) -> None:
        self.minimum = self.content.initiative.defaults.minimum_group
        self.zone = ZoneInfo(self.content.initiative.defaults.timezone)
        self.since = datetime.combine(self.period.start, time(0), tzinfo=self.zone)
        self.until = datetime.combine(self.period.end + timedelta(days=1), time(0), self.zone)
        self.today = self.now.astimezone(self.zone).date()
        self.team_names = {
            t.id: t.name
            for t in self.session.exec(select(Team))
            if self.team_ids is None or t.id in self.team_ids
        }
        self.other = self.words.plain("reports.other")
        self.no_team = self.words.plain("reports.no_team")
        pathways = [self.pathway] if self.pathway else list(self.content.pathways)
        self.pathways = [self.content.pathways[p] for p in pathways if p in self.content.pathways]
        self.courses = sorted({c for p in self.pathways for c in p.courses})

    # -- helpers

    def say(self, key: str, **values: Any) -> str:
        return self.words.plain(key, **values)

    def columns(self, key: str, kinds: Sequence[ColumnKind]) -> tuple[Column, ...]:
        labels = self.say(f"reports.columns.{key}").split("|")
        assert len(labels) == len(kinds), key
        names = [re.sub(r"\W+", "_", lab.lower()).strip("_") for lab in labels]
        return tuple(Column(n, lab, k) for n, lab, k in zip(names, labels, kinds, strict=True))

    def section(
        self,
        key: str,
        kinds: Sequence[ColumnKind],
        rows: Iterable[tuple[Cell, ...]],
        notes: Iterable[str] = (),
    ) -> Section:
        return Section(
            key,
            self.say(f"reports.section.{key}"),
            self.columns(key, kinds),
            tuple(rows),
            tuple(n for n in notes if n),
        )

    def people_filter(self) -> list[Any]:
        where: list[Any] = []
        if self.team_ids is not None:
            where.append(col(Person.team_id).in_(self.team_ids))
        if self.discipline:
            where.append(col(Person.discipline) == self.discipline)
        if self.pathway:
            enrolled = select(Enrolment.person_id).where(Enrolment.pathway_id == self.pathway)
            where.append(col(Person.id).in_(enrolled))
        return where

    def by_person(self) -> Any:
        """Completions joined to their people. For everyone, the period's completions are
        read in date order from ``ix_completion_period`` (``person_id + 0`` keeps a
        database from starting at the people, as ``bot.contests`` does); for some teams,
        from their people through the completions' (person, course) key."""
        if self.team_ids is None:
            return col(Person.id) == col(Completion.person_id) + 0
        return col(Person.id) == col(Completion.person_id)

    def completions_in_period(self) -> list[Any]:
        """The period's completions of people in scope. Narrowed to the pathways' courses
        only when a pathway narrows the report (every course is in some pathway): without
        it, a count reads ``ix_completion_period`` alone, not the table."""
        courses = [col(Completion.course_id).in_(self.courses)] if self.pathway else []
        return [
            col(Completion.completed_at) >= self.since,
            col(Completion.completed_at) < self.until,
            *courses,
            *self.people_filter(),
        ]

    def team_label(self, key: int | None) -> str:
        return self.team_names.get(key, "-") if key is not None else self.no_team

    def merge_note(self, merged: int, nothing: bool, what: str) -> str:
        if nothing:
            return self.say("reports.note.too_few", minimum=self.minimum, what=what)
        if merged:
            return self.say("reports.note.merged", count=merged, minimum=self.minimum, what=what)
        return ""

    def grouped(self, groups: list[_Group], what: str) -> tuple[list[_Group], list[str]]:
        shown, merged, nothing = _kept_apart(groups, self.minimum, self.other)
        return shown, [self.merge_note(merged, nothing, what)]

    # -- the figures everything shares

    def load(self) -> None:
        s = self.session
        where = self.people_filter()
        self.people: Counter[tuple[int | None, str]] = Counter()
        for team_id, discipline, n in s.exec(
            select(Person.team_id, Person.discipline, func.count())
            .where(*where)
            .group_by(col(Person.team_id), col(Person.discipline))
        ):
            self.people[(team_id, discipline)] = int(n)
        self.team_people: Counter[int | None] = Counter()
        self.discipline_people: Counter[str] = Counter()
        for (team_id, discipline), n in self.people.items():
            self.team_people[team_id] += n
            self.discipline_people[discipline] += n
        # Who is trained now (as the report's "finished"), and which pathways each
        # finished: (person, pathway) pairs.
        self.finished: set[tuple[int, str]] = set()
        self.trained: dict[int, int | None] = {}
        for pathway in self.pathways:
            courses = list(pathway.courses)
            if not courses:
                continue
            for person_id, team_id, _ in s.exec(
                _per_enrolled(pathway.id, courses, func.count(col(Completion.id)))
                .where(*where)
                .having(func.count(col(Completion.id)) >= len(courses))
            ):
                self.finished.add((person_id, pathway.id))
                self.trained[person_id] = team_id
        self.enrolled: Counter[int | None] = Counter(
            dict(
                s.exec(
                    select(Person.team_id, func.count(func.distinct(Enrolment.person_id)))
                    .join(Person, col(Person.id) == col(Enrolment.person_id))
                    .where(*where, col(Enrolment.pathway_id).in_([p.id for p in self.pathways]))
                    .group_by(col(Person.team_id))
                ).all()
            )
        )

    # -- sections

    def completion_by_team(self) -> Section:
        counts: dict[int | None, list[int | float]] = defaultdict(lambda: [0, 0])
        for team_id, verified, n in self.session.exec(
            select(Person.team_id, Completion.verified, func.count())
            .select_from(Completion)
            .join(Person, self.by_person())
            .where(*self.completions_in_period())
            .group_by(col(Person.team_id), col(Completion.verified))
        ):
            counts[team_id][0 if verified else 1] += int(n)
        groups = [
            _Group(t, self.team_label(t), n, [self.enrolled[t], *counts[t]])
            for t, n in self._teams_in_order()
        ]
        shown, notes = self.grouped(groups, self.say("reports.what.teams"))
        rows = [(g.label, g.people, g.values[0], g.values[1], g.values[2]) for g in shown]
        self.completion_totals = (
            sum(int(r[3]) for r in rows),
            sum(int(r[4]) for r in rows),
        )
        return self.section("completion_team", ("text", "int", "int", "int", "int"), rows, notes)

    def _teams_in_order(self) -> list[tuple[int | None, int]]:
        return sorted(
            self.team_people.items(), key=lambda kv: (kv[0] is None, self.team_label(kv[0]))
        )

    def completion_by_discipline(self) -> Section:
        counts: dict[str, list[int | float]] = defaultdict(lambda: [0, 0])
        for discipline, verified, n in self.session.exec(
            select(Person.discipline, Completion.verified, func.count())
            .select_from(Completion)
            .join(Person, self.by_person())
            .where(*self.completions_in_period())
            .group_by(col(Person.discipline), col(Completion.verified))
        ):
            counts[discipline][0 if verified else 1] += int(n)
        groups = [
            _Group(d, self._discipline(d), n, counts[d])
            for d, n in sorted(self.discipline_people.items())
        ]
        shown, notes = self.grouped(groups, self.say("reports.what.disciplines"))
        rows = [(g.label, g.people, g.values[0], g.values[1]) for g in shown]
        return self.section("completion_discipline", ("text", "int", "int", "int"), rows, notes)

    def _discipline(self, discipline: str) -> str:
        key = f"discipline.{discipline}"
        return self.say(key) if key in self.words else discipline

    def read_period(self) -> None:
        """The period's completions read once, kept as counts: by (the set of pathways
        the person is enrolled in, course, verified), for the pathway and level sections,
        and by (discipline, course, the learning site's credits), for credits."""
        where = self.people_filter()
        wanted = [p.id for p in self.pathways]
        enrolled: dict[int, set[str]] = defaultdict(set)
        for person_id, pathway_id in self.session.execute(
            select(col(Enrolment.person_id), col(Enrolment.pathway_id))
            .join(Person, col(Person.id) == col(Enrolment.person_id))
            .where(*where, col(Enrolment.pathway_id).in_(wanted))
        ):
            enrolled[person_id].add(pathway_id)
        kinds: dict[frozenset[str], frozenset[str]] = {}
        self.enrolled_in: dict[int, frozenset[str]] = {
            p: kinds.setdefault(frozenset(pw), frozenset(pw)) for p, pw in enrolled.items()
        }
        self.enrolled_kinds: Counter[frozenset[str]] = Counter(self.enrolled_in.values())
        discipline_of: dict[int, str] = {}
        for person_id, discipline in self.session.execute(
            select(col(Person.id), col(Person.discipline)).where(*where)
        ):
            discipline_of[person_id] = discipline
        query = select(
            col(Completion.person_id),
            col(Completion.course_id),
            col(Completion.verified),
            col(Completion.credits),
        ).where(
            col(Completion.completed_at) >= self.since,
            col(Completion.completed_at) < self.until,
            col(Completion.course_id).in_(self.courses),
        )
        if where:
            query = query.join(Person, self.by_person()).where(*where)
        none: frozenset[str] = frozenset()
        self.by_enrolment: Counter[tuple[frozenset[str], str, bool]] = Counter()
        self.by_discipline: Counter[tuple[str, str, float | None]] = Counter()
        # Streamed in batches: a year of an organisation is a million rows.
        rows = self.session.execute(query.execution_options(yield_per=20_000))
        for person_id, course_id, verified, credits in rows:
            discipline = discipline_of.get(person_id)
            if discipline is None:
                continue
            self.by_enrolment[(self.enrolled_in.get(person_id, none), course_id, verified)] += 1
            self.by_discipline[(discipline, course_id, credits)] += 1

    def _by_pathways(self, pathway_ids: list[str], courses: list[str]) -> tuple[int, int, int, int]:
        """People enrolled in any of the pathways, how many finished one, and completions
        of their courses in the period by those enrolled (verified, self-reported)."""
        ids = set(pathway_ids)
        people = sum(n for kinds, n in self.enrolled_kinds.items() if kinds & ids)
        finished = len({p for p, pw in self.finished if pw in ids})
        verified = self_reported = 0
        wanted = set(courses)
        for (kinds, course_id, is_verified), n in self.by_enrolment.items():
            if course_id in wanted and kinds & ids:
                if is_verified:
                    verified += n
                else:
                    self_reported += n
        return people, finished, verified, self_reported

    def completion_by_pathway(self) -> Section:
        rows: list[tuple[Cell, ...]] = []
        left_out = 0
        for pathway in self.pathways:
            people, finished, verified, self_reported = self._by_pathways(
                [pathway.id], list(pathway.courses)
            )
            if people == 0:
                continue
            if people < self.minimum:
                left_out += 1
                continue
            rows.append(
                (
                    pathway.title,
                    self._level(pathway.level),
                    people,
                    finished,
                    finished / people,
                    verified,
                    self_reported,
                )
            )
        note = self._left_out(left_out, "reports.what.pathways")
        return self.section(
            "completion_pathway",
            ("text", "text", "int", "int", "share", "int", "int"),
            rows,
            [note],
        )

    def _left_out(self, count: int, what: str) -> str:
        if not count:
            return ""
        return self.say(
            "reports.note.left_out", count=count, minimum=self.minimum, what=self.say(what)
        )

    def _level(self, level_id: str) -> str:
        found = next((lv for lv in self.content.initiative.levels if lv.id == level_id), None)
        return found.title if found else level_id

    def completion_by_level(self) -> Section:
        rows: list[tuple[Cell, ...]] = []
        left_out = 0
        for level in self.content.initiative.levels:
            pathways = [p for p in self.pathways if p.level == level.id]
            if not pathways:
                continue
            courses = sorted({c for p in pathways for c in p.courses})
            people, finished, verified, self_reported = self._by_pathways(
                [p.id for p in pathways], courses
            )
            if people == 0:
                continue
            if people < self.minimum:
                left_out += 1
                continue
            rows.append((level.title, people, finished, finished / people, verified, self_reported))
        note = self._left_out(left_out, "reports.what.levels")
        return self.section(
            "completion_level", ("text", "int", "int", "share", "int", "int"), rows, [note]
        )

    def critical_mass(self) -> tuple[Section, Headline, tuple[Bar, ...]]:
        target = self.content.initiative.reports.target
        trained = Counter(self.trained.values())
        groups = [_Group(t, self.team_label(t), n, [trained[t]]) for t, n in self._teams_in_order()]
        shown, notes = self.grouped(groups, self.say("reports.what.teams"))
        yes, no = self.say("reports.yes"), self.say("reports.no")
        rows: list[tuple[Cell, ...]] = []
        bars: list[Bar] = []
        for g in shown:
            share = g.values[0] / g.people
            rows.append(
                (g.label, g.people, int(g.values[0]), share, target, yes if share >= target else no)
            )
            bars.append(Bar(g.label, share, g.people))
        people = sum(g.people for g in shown)
        done = sum(int(g.values[0]) for g in shown)
        reaching = sum(1 for r in rows if r[5] == yes)
        if rows:
            notes.append(
                self.say(
                    "reports.note.reaching",
                    count=reaching,
                    teams=len(rows),
                    target=f"{100 * target:.0f}%",
                )
            )
        headline = Headline(
            self.say("reports.headline", percent=f"{100 * done / people:.0f}%" if people else "-"),
            done / people if people else 0.0,
            people,
        )
        bars.sort(key=lambda b: (-b.share, b.label))
        section = self.section(
            "critical_mass", ("text", "int", "int", "share", "share", "text"), rows, notes
        )
        return section, headline, tuple(bars)

    def senior(self) -> Section:
        where = self.people_filter()
        roles: dict[int, set[str]] = defaultdict(set)
        discipline_of: dict[int, str] = {}
        for person_id, role, discipline in self.session.exec(
            select(PersonRole.person_id, PersonRole.role, Person.discipline)
            .join(Person, col(Person.id) == col(PersonRole.person_id))
            .where(*where, col(PersonRole.role).in_(SENIOR_ROLES))
        ):
            roles[person_id].add(role)
            discipline_of[person_id] = discipline
        leaders = {p for p, r in roles.items() if "senior_leader" in r}
        clinicians = {p for p in roles if discipline_of[p] in SENIOR_CLINICIANS}
        rows: list[tuple[Cell, ...]] = []
        left_out = 0
        for key, ids in (("senior_leaders", leaders), ("senior_clinicians", clinicians)):
            if not ids:
                continue
            if len(ids) < self.minimum:
                left_out += 1
                continue
            enrolled = self.session.exec(
                select(func.count(func.distinct(Enrolment.person_id))).where(
                    col(Enrolment.person_id).in_(ids)
                )
            ).one()
            finished = len(ids & set(self.trained))
            completions = self.session.exec(
                select(func.count())
                .select_from(Completion)
                .where(
                    col(Completion.completed_at) >= self.since,
                    col(Completion.completed_at) < self.until,
                    col(Completion.course_id).in_(self.courses),
                    col(Completion.person_id).in_(ids),
                )
            ).one()
            rows.append(
                (
                    self.say(f"reports.{key}"),
                    len(ids),
                    int(enrolled),
                    finished,
                    finished / len(ids),
                    int(completions),
                )
            )
        notes = [self.say("reports.note.senior"), self._left_out(left_out, "reports.what.groups")]
        return self.section("senior", ("text", "int", "int", "int", "share", "int"), rows, notes)

    def credits(self) -> Section:
        initiative = self.content.initiative
        earned: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for (discipline, course_id, own), n in self.by_discipline.items():
            course = self.content.courses.get(course_id)
            claimable = initiative.credits_for(discipline, dict(course.credits)) if course else {}
            for kind, amount in claimable.items():
                earned[discipline][kind] += (own if own is not None else amount) * int(n)
        kinds = sorted({k for c in earned.values() for k in c})
        groups = [
            _Group(d, self._discipline(d), n, [earned[d].get(k, 0.0) for k in kinds])
            for d, n in sorted(self.discipline_people.items())
        ]
        shown, notes = self.grouped(groups, self.say("reports.what.disciplines"))
        rows = [
            (kind, g.label, g.people, round(float(g.values[i]), 2))
            for i, kind in enumerate(kinds)
            for g in shown
            if g.values[i]
        ]
        notes.append(self.say("reports.note.credits"))
        return self.section("credits", ("text", "text", "int", "number"), rows, notes)

    def trend(self) -> tuple[Section, tuple[Point, ...], str]:
        weekly = (self.period.end - self.period.start).days < 62
        starts: list[date] = [self.period.start]
        while True:
            last = starts[-1]
            if weekly:
                following = last + timedelta(days=7 - last.weekday())
            else:
                following = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
            if following > self.period.end:
                break
            starts.append(following)
        edges = [datetime.combine(d, time(0), tzinfo=self.zone) for d in starts[1:]]
        bucket: Any = (
            case(
                *((col(Completion.completed_at) < e, i) for i, e in enumerate(edges)),
                else_=len(edges),
            )
            if edges
            else 0
        )
        counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        total = 0
        for number, verified, n in self.session.exec(
            select(bucket, Completion.verified, func.count())
            .select_from(Completion)
            .join(Person, self.by_person())
            .where(*self.completions_in_period())
            .group_by(bucket, col(Completion.verified))
        ):
            counts[int(number)][0 if verified else 1] += int(n)
            total += int(n)
        scope_people = sum(self.team_people.values())
        if 0 < scope_people < self.minimum:
            return (
                self.section(
                    "trend",
                    ("date", "int", "int"),
                    (),
                    [
                        self.say(
                            "reports.note.too_few",
                            minimum=self.minimum,
                            what=self.say("reports.what.people"),
                        )
                    ],
                ),
                (),
                "week" if weekly else "month",
            )
        points = tuple(Point(d, counts[i][0], counts[i][1]) for i, d in enumerate(starts))
        rows = [(p.start, p.verified, p.self_reported) for p in points]
        unit = "week" if weekly else "month"
        note = self.say(f"reports.note.trend_{unit}")
        return self.section("trend", ("date", "int", "int"), rows, [note]), points, unit

    def due(self) -> Section:
        soon = self.today + timedelta(days=DUE_DAYS)
        counts: dict[int | None, list[int | float]] = defaultdict(lambda: [0, 0])
        for person_id, pathway_id, team_id, due_on in self.session.exec(
            select(
                col(Enrolment.person_id),
                col(Enrolment.pathway_id),
                col(Person.team_id),
                col(Enrolment.due_on),
            )
            .join(Person, col(Person.id) == col(Enrolment.person_id))
            .where(
                *self.people_filter(),
                col(Enrolment.due_on).is_not(None),
                col(Enrolment.due_on) <= soon,
                col(Enrolment.pathway_id).in_([p.id for p in self.pathways]),
            )
        ):
            if (person_id, pathway_id) in self.finished:
                continue
            counts[team_id][1 if due_on is not None and due_on < self.today else 0] += 1
        groups = [_Group(t, self.team_label(t), n, counts[t]) for t, n in self._teams_in_order()]
        shown, notes = self.grouped(groups, self.say("reports.what.teams"))
        rows = [(g.label, g.people, int(g.values[0]), int(g.values[1])) for g in shown]
        notes.append(self.say("reports.note.due", days=DUE_DAYS))
        return self.section("due", ("text", "int", "int", "int"), rows, notes)

    def contest(self) -> Section:
        found = self.session.exec(
            select(Contest)
            .where(col(Contest.status).in_(("approved", "running", "finished")))
            .where(col(Contest.starts_on) <= self.today)
            .order_by(col(Contest.starts_on).desc(), col(Contest.id).desc())
            .limit(1)
        ).first()
        if found is None:
            return self.section(
                "contest",
                ("int", "text", "int", "int", "int", "number"),
                (),
                [self.say("reports.note.no_contest")],
            )
        standings = contests.latest(
            self.session, self.content, found, self.now, with_entrants=False
        )
        rows: list[tuple[Cell, ...]] = []
        left_out = 0
        for score in [*standings.ranked, *standings.unranked]:
            if self.team_ids is not None and score.team_id not in self.team_ids:
                continue
            if score.members < self.minimum:
                left_out += 1
                continue
            rows.append(
                (
                    score.rank,
                    score.name,
                    score.members,
                    score.done,
                    score.out_of,
                    round(score.value, 4),
                )
            )
        notes = [
            self.say(
                "reports.note.contest",
                name=found.name,
                metric=found.metric,
                start=found.starts_on.isoformat(),
                end=found.ends_on.isoformat(),
            ),
            self._left_out(left_out, "reports.what.teams"),
        ]
        return self.section("contest", ("int", "text", "int", "int", "int", "number"), rows, notes)

    def recognition(self) -> Section:
        counts = shoutouts.counts(self.session, self.since, self.until)
        groups = [
            _Group(
                t,
                self.team_label(t),
                n,
                [counts.received[t or 0], counts.given[t or 0], counts.people_thanked[t or 0]],
            )
            for t, n in self._teams_in_order()
            if t is not None
        ]
        shown, notes = self.grouped(groups, self.say("reports.what.teams"))
        rows: list[tuple[Cell, ...]] = [
            (g.label, g.people, int(g.values[0]), int(g.values[1]), int(g.values[2])) for g in shown
        ]
        return self.section("recognition", ("text", "int", "int", "int", "int"), rows, notes)

    def attendance(self) -> Section:
        went = attendance.by_team(self.session, self.since, self.until)
        groups = [
            _Group(t, self.team_label(t), n, [went[t or 0]])
            for t, n in self._teams_in_order()
            if t is not None
        ]
        shown, notes = self.grouped(groups, self.say("reports.what.teams"))
        rows = [(g.label, g.people, int(g.values[0])) for g in shown]
        return self.section("attendance", ("text", "int", "int"), rows, notes)

    def comfort(self) -> tuple[Section, tuple[Comfort, ...]]:
        found = survey_results.results(
            self.session,
            self.content,
            team_ids=self.team_ids,
            pathway=self.pathway,
            discipline=self.discipline,
        )
        rows: list[tuple[Cell, ...]] = []
        chart: list[Comfort] = []
        topics = self.content.initiative.topics
        for topic in found.topics:
            title = topics[topic.topic].title if topic.topic in topics else topic.topic
            f = topic.figures
            rows.append((title, "", f.pre.value, f.retro.value, f.post.value, f.people))
            chart.append(Comfort(title, f.pre.value, f.retro.value, f.post.value, f.people))
            for item in topic.items:
                g = item.figures
                rows.append(
                    (title, item.item.text, g.pre.value, g.retro.value, g.post.value, g.people)
                )
        notes = []
        if found.left_out_people:
            notes.append(
                self.say(
                    "reports.note.comfort_left_out",
                    people=found.left_out_people,
                    minimum=found.minimum,
                )
            )
        if found.empty:
            notes.append(self.say("reports.note.no_comfort"))
        section = self.section(
            "comfort", ("text", "text", "number", "number", "number", "int"), rows, notes
        )
        return section, tuple(chart)

    def measures(self) -> Section:
        chosen = list(self.content.measures.values())
        shown = (
            measures_rules.figures(
                self.session,
                self.content,
                chosen,
                team_ids=self.team_ids,
                organisation=self.team_ids is None,
            )
            if chosen
            else []
        )
        rows: list[tuple[Cell, ...]] = []
        merged = left_out = 0
        for result in shown:
            merged += result.merged
            left_out += result.left_out
            for line in result.lines:
                label = (
                    self.say("reports.organisation")
                    if line.kind == "organisation"
                    else self.other
                    if line.kind == "other"
                    else line.label
                )
                big = line.people >= self.minimum
                rows.append(
                    (
                        result.measure.name,
                        label,
                        line.period,
                        line.value,
                        line.n,
                        line.trained / line.people if big and line.people else None,
                        line.people if big else None,
                    )
                )
        notes = [self.say("reports.note.measures")]
        if merged:
            notes.append(self.merge_note(merged, False, self.say("reports.what.teams")))
        notes.append(self._left_out(left_out, "reports.what.figures"))
        return self.section(
            "measures", ("text", "text", "date", "number", "int", "share", "int"), rows, notes
        )

    def stuck(self) -> Section | None:
        if self.champion_team_id is None:
            return None
        week_ago = self.now - timedelta(days=7)
        names = sorted(
            self.session.exec(
                select(Person.name)
                .where(Person.team_id == self.champion_team_id)
                .where(
                    col(Person.id).in_(
                        select(OutboxMessage.person_id).where(
                            OutboxMessage.kind == "next_course",
                            OutboxMessage.status == "skipped",
                            col(OutboxMessage.last_error).startswith("stuck"),
                            col(OutboxMessage.created_at) >= week_ago,
                        )
                    )
                )
            )
        )
        return self.section(
            "stuck", ("text",), [(n,) for n in names], [self.say("reports.note.stuck")]
        )


def build(
    session: Session,
    content: Content,
    *,
    team_ids: list[int] | None,
    period: Period,
    discipline: str | None = None,
    pathway: str | None = None,
    champion_team_id: int | None = None,
    now: datetime,
    scope: str = "",
) -> Report:
    """The report for these teams (None: everyone) over ``period``. ``champion_team_id``
    is the asker's own team when a champion asks (it adds who is stuck); ``scope`` names
    whom it covers, in words (default: the teams' names, or "Everyone")."""
    words = Templates(content.templates)
    b = _Builder(
        session, content, words, team_ids, period, discipline, pathway, champion_team_id, now
    )
    b.load()
    b.read_period()
    mass, headline, bars = b.critical_mass()
    trend, points, unit = b.trend()
    comfort, comfort_chart = b.comfort()
    sections: list[Section] = [
        b.completion_by_team(),
        b.completion_by_discipline(),
        b.completion_by_pathway(),
        b.completion_by_level(),
        mass,
        b.senior(),
        b.credits(),
        trend,
        b.due(),
        b.contest(),
        b.recognition(),
        b.attendance(),
        comfort,
        b.measures(),
    ]
    stuck = b.stuck()
    if stuck is not None:
        sections.append(stuck)
    if not scope:
        scope = (
            words.plain("reports.everyone")
            if team_ids is None
            else ", ".join(sorted(b.team_names.values())) or "-"
        )
    return Report(
        title=words.plain("reports.title", name=content.initiative.name),
        scope=scope,
        period=period,
        generated_at=now,
        source=SOURCE,
        headline=headline,
        target=content.initiative.reports.target,
        sections=tuple(sections),
        charts=Charts(
            teams=bars,
            trend=points,
            trend_unit="week" if unit == "week" else "month",
            comfort=comfort_chart,
        ),
        minimum_group=b.minimum,
    )


# --- the latest report, kept while nothing it counts has changed --------------------------


@dataclass(frozen=True)
class _Kept:
    content: Content
    generation: int
    at: datetime
    report: Report


#: Reports kept per database (connection pool), by what was asked; a few, newest last.
_kept: WeakKeyDictionary[Pool, dict[tuple[Any, ...], _Kept]] = WeakKeyDictionary()
_kept_lock = Lock()
#: How many different reports one process keeps per database.
KEEP = 16


def latest(
    session: Session,
    content: Content,
    *,
    team_ids: list[int] | None,
    period: Period,
    discipline: str | None = None,
    pathway: str | None = None,
    champion_team_id: int | None = None,
    now: datetime,
    scope: str = "",
) -> Report:
    """The report, as :func:`build`, reusing the same one built at most the content's
    ``standings_max_age`` seconds ago on the same day when this process has committed no
    change to what it counts since (``bot.freshness``): a summary and then its Excel file,
    or the dashboard's views, cost one build. A champion's report of their own team (who
    is stuck, read from the outbox) and a session with uncommitted writes of its own are
    always built afresh; so is everything when ``standings_max_age`` is 0."""
    max_age = content.initiative.contests.standings_max_age
    engine = freshness.engine_of(session)

    def fresh() -> Report:
        return build(
            session,
            content,
            team_ids=team_ids,
            period=period,
            discipline=discipline,
            pathway=pathway,
            champion_team_id=champion_team_id,
            now=now,
            scope=scope,
        )

    if engine is None or max_age <= 0 or champion_team_id is not None or freshness.pending(session):
        return fresh()
    key = (tuple(team_ids) if team_ids is not None else None, period, discipline, pathway, scope)
    generation = freshness.generation(engine)  # read before building: a change meanwhile
    kept = _kept.get(engine.pool, {}).get(key)  # leaves what is kept out of date
    if (
        kept is not None
        and kept.content is content
        and kept.generation == generation
        and kept.at.date() == now.date()
        and timedelta(0) <= now - kept.at < timedelta(seconds=max_age)
    ):
        return kept.report
    report = fresh()
    with _kept_lock:
        reports = _kept.setdefault(engine.pool, {})
        reports.pop(key, None)
        reports[key] = _Kept(content, generation, now, report)
        while len(reports) > KEEP:
            reports.pop(next(iter(reports)))
    return report
