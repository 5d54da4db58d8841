"""Who came to group sessions and case discussions, as champions recorded it.

A champion records attendance after a session (see :mod:`bot.handlers.attendance`):
one :class:`bot.models.Attendance` row per person and occurrence, unique in the
database, so tapping twice records once. Reports count sessions attended per person
and per team, and :func:`attended` is the rule a contest can use as a metric.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.db import insert_ignore
from bot.models import Attendance, Person


def record(
    session: Session,
    *,
    schedule_id: int,
    occurrence: str,
    person_ids: Iterable[int],
    held_at: datetime,
    recorded_by: str,
    now: datetime,
    case_id: str = "",
) -> tuple[list[int], list[int]]:
    """Record these people at one occurrence: (newly recorded, recorded already)."""
    wanted = list(dict.fromkeys(person_ids))
    if not wanted:
        return [], []
    before = set(
        session.exec(
            select(Attendance.person_id).where(
                Attendance.schedule_id == schedule_id,
                Attendance.occurrence == occurrence,
                col(Attendance.person_id).in_(wanted),
            )
        )
    )
    rows = [
        {
            "schedule_id": schedule_id,
            "occurrence": occurrence,
            "person_id": pid,
            "case_id": case_id,
            "held_at": held_at,
            "recorded_by": recorded_by,
            "at": now,
        }
        for pid in wanted
        if pid not in before
    ]
    insert_ignore(session, Attendance, rows)
    return [p for p in wanted if p not in before], [p for p in wanted if p in before]


def recorded_at(session: Session, schedule_id: int, occurrence: str) -> set[int]:
    """The people recorded at one occurrence."""
    return set(
        session.exec(
            select(Attendance.person_id).where(
                Attendance.schedule_id == schedule_id, Attendance.occurrence == occurrence
            )
        )
    )


def attended(
    session: Session,
    team_ids: Iterable[int] | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, int]:
    """Sessions and case discussions each person attended that were held in
    [since, until): person id -> count, for the members of these teams (None: everyone).
    People who attended nothing are not listed (a contest counts them as 0)."""
    query = (
        select(Attendance.person_id, func.count())
        .select_from(Attendance)
        .join(Person, col(Person.id) == col(Attendance.person_id))
    )
    if team_ids is not None:
        query = query.where(col(Person.team_id).in_(list(team_ids)))
    if since is not None:
        query = query.where(col(Attendance.held_at) >= since)
    if until is not None:
        query = query.where(col(Attendance.held_at) < until)
    return {pid: int(n) for pid, n in session.exec(query.group_by(col(Attendance.person_id)))}


def by_team(
    session: Session, since: datetime | None = None, until: datetime | None = None
) -> Counter[int]:
    """Attendances per team (by the attendee's team), held in [since, until)."""
    query = (
        select(Person.team_id, func.count())
        .select_from(Attendance)
        .join(Person, col(Person.id) == col(Attendance.person_id))
        .where(col(Person.team_id).is_not(None))
    )
    if since is not None:
        query = query.where(col(Attendance.held_at) >= since)
    if until is not None:
        query = query.where(col(Attendance.held_at) < until)
    return Counter(
        {tid: int(n) for tid, n in session.exec(query.group_by(col(Person.team_id))) if tid}
    )
