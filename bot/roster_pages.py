"""The roster with each person's progress, one page at a time (the ``roster`` command and
the dashboard's Roster view).

The count and the page of people are read in SQL (ordered by name, then id, so a page
is the same page however often it is asked); enrolments and completions are read for that
page's people only. A page costs about the same with 100,000 people on the roster as with
twenty, and nothing returns the whole roster at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func
from sqlmodel import Session, col, select

from bot.content import Content
from bot.models import Completion, Enrolment, Person, Team
from bot.progress import Enrolled, PathwayStatus, statuses

#: People on a page: a table a phone can scroll, a chat message can hold.
PAGE_SIZE = 25


@dataclass(frozen=True)
class Row:
    """One person and where they stand."""

    person: Person
    team: str
    statuses: tuple[PathwayStatus, ...]
    verified: int
    self_reported: int
    last: datetime | None


@dataclass(frozen=True)
class Page:
    """A page of the roster: ``rows`` are people ``first`` to ``last`` of ``total``."""

    rows: tuple[Row, ...]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page(
    session: Session,
    content: Content,
    *,
    team_id: int | None = None,
    discipline: str | None = None,
    pathway: str | None = None,
    number: int = 1,
    size: int = PAGE_SIZE,
) -> Page:
    """Page ``number`` (from 1; past the end, the last page) of the people matching the
    filters, by name."""
    where = []
    if team_id is not None:
        where.append(col(Person.team_id) == team_id)
    if discipline is not None:
        where.append(col(Person.discipline) == discipline)
    if pathway is not None:
        where.append(
            exists().where(
                and_(
                    col(Enrolment.person_id) == col(Person.id),
                    col(Enrolment.pathway_id) == pathway,
                )
            )
        )
    total = int(session.exec(select(func.count()).select_from(Person).where(*where)).one())
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    people = list(
        session.exec(
            select(Person)
            .where(*where)
            .order_by(col(Person.name), col(Person.id))
            .offset((number - 1) * size)
            .limit(size)
        )
    )
    ids = [p.id or 0 for p in people]
    enrolled: dict[int, list[Enrolled]] = defaultdict(list)
    done: dict[int, dict[str, datetime]] = defaultdict(dict)
    verified: dict[int, int] = defaultdict(int)
    self_reported: dict[int, int] = defaultdict(int)
    if ids:
        for pid, pathway_id, at, due in session.exec(
            select(
                Enrolment.person_id,
                Enrolment.pathway_id,
                Enrolment.enrolled_at,
                col(Enrolment.due_on),
            ).where(col(Enrolment.person_id).in_(ids))
        ):
            enrolled[pid].append(Enrolled(pathway_id, at, due))
        for pid, course, at, sure in session.exec(
            select(
                Completion.person_id,
                Completion.course_id,
                Completion.completed_at,
                Completion.verified,
            ).where(col(Completion.person_id).in_(ids))
        ):
            done[pid][course] = at
            if sure:
                verified[pid] += 1
            else:
                self_reported[pid] += 1
    team_ids = {p.team_id for p in people if p.team_id is not None}
    names = (
        {t.id: t.name for t in session.exec(select(Team).where(col(Team.id).in_(team_ids)))}
        if team_ids
        else {}
    )
    rows = tuple(
        Row(
            person=p,
            team=names.get(p.team_id, "-") if p.team_id is not None else "-",
            statuses=tuple(statuses(content, enrolled[p.id or 0], done[p.id or 0].keys())),
            verified=verified[p.id or 0],
            self_reported=self_reported[p.id or 0],
            last=max(done[p.id or 0].values(), default=None),
        )
        for p in people
    )
    return Page(rows=rows, total=total, number=number, size=size)
