"""How many people each team has, and how many are enrolled, started and trained.

Counted in the database, so they stay quick for a whole health system. Reports,
the home summary and the progress post all count the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from bot.content import Content
from bot.context import Ctx
from bot.models import Completion, Enrolment, Person
from bot.scopes import Scope


@dataclass
class TeamCounts:
    """How many people each team has, and how many are enrolled, started and finished."""

    people: Counter[int | None]
    enrolled: Counter[int | None]
    started: Counter[int | None]
    finished: Counter[int | None]


def team_counts(ctx: Ctx, scope: Scope) -> TeamCounts:
    """Per-team counts computed in the database, so they stay quick for a whole health system.

    "Started" means at least one course done in an enrolled pathway; "finished"
    means every course of at least one enrolled pathway done.
    """
    s = ctx.session
    person_filter = []
    if scope.discipline:
        person_filter.append(col(Person.discipline) == scope.discipline)
    people = Counter(
        dict(
            s.exec(
                select(Person.team_id, func.count())
                .where(*person_filter)
                .group_by(col(Person.team_id))
            ).all()
        )
    )
    enrol_q = (
        select(Person.team_id, func.count(func.distinct(Enrolment.person_id)))
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .where(*person_filter)
    )
    if scope.pathway:
        enrol_q = enrol_q.where(col(Enrolment.pathway_id) == scope.pathway)
    enrolled = Counter(dict(s.exec(enrol_q.group_by(col(Person.team_id))).all()))
    pathway_ids = [scope.pathway] if scope.pathway else list(ctx.content.pathways)
    started: set[int] = set()
    finished: set[int] = set()
    team_of_person: dict[int, int | None] = {}
    for pid in pathway_ids:
        courses = list(ctx.content.pathways[pid].courses)
        per_person = s.exec(
            _per_enrolled(pid, courses, func.count(col(Completion.id))).where(*person_filter)
        ).all()
        for person_id, team_id, count in per_person:
            team_of_person[person_id] = team_id
            started.add(person_id)
            if count >= len(courses):
                finished.add(person_id)
    return TeamCounts(
        people=people,
        enrolled=enrolled,
        started=Counter(team_of_person[p] for p in started),
        finished=Counter(team_of_person[p] for p in finished),
    )


def _per_enrolled(pathway_id: str, courses: list[str], measure: Any) -> Any:
    """Per person enrolled in a pathway who has completed any of its courses: their id,
    their team, and ``measure`` over those completions."""
    return (
        select(Enrolment.person_id, Person.team_id, measure)
        .join(Person, col(Person.id) == col(Enrolment.person_id))
        .join(
            Completion,
            and_(
                col(Completion.person_id) == col(Enrolment.person_id),
                col(Completion.course_id).in_(courses),
            ),
        )
        .where(col(Enrolment.pathway_id) == pathway_id)
        .group_by(col(Enrolment.person_id), col(Person.team_id))
    )


def initiative_totals(ctx: Ctx) -> tuple[int, int, int, int]:
    """(people, enrolled, started, finished) across the whole initiative."""
    counts = team_counts(ctx, Scope(everyone=True))
    return (
        sum(counts.people.values()),
        sum(counts.enrolled.values()),
        sum(counts.started.values()),
        sum(counts.finished.values()),
    )


@dataclass
class TrainedBy:
    """At one instant: per team (None: no team), its people (those in it now) and how
    many of them were trained by then."""

    people: Counter[int | None]
    trained: Counter[int | None]


def trained_over_time(
    session: Session, content: Content, instants: Sequence[datetime]
) -> dict[datetime, TrainedBy]:
    """Per team, how many of its people were trained at each of ``instants``: "trained"
    as in :func:`team_counts` ("finished": every course of at least one enrolled pathway
    done), from the latest of those completions' dates. Teams are as they are now (the
    roster keeps no history of moves), so a month before the roster was loaded counts
    today's people, and whoever had finished by then from their completions' dates."""
    people: Counter[int | None] = Counter(
        dict(session.exec(select(Person.team_id, func.count()).group_by(col(Person.team_id))).all())
    )
    # Each trained person: their team, and when they first finished a pathway (the date
    # of its last course).
    became: dict[int, tuple[int | None, datetime]] = {}
    for pathway in content.pathways.values():
        courses = list(pathway.courses)
        if not courses:
            continue
        finished = session.exec(
            _per_enrolled(pathway.id, courses, func.max(Completion.completed_at)).having(
                func.count(col(Completion.id)) >= len(courses)
            )
        ).all()
        for person_id, team_id, last in finished:
            earlier = became.get(person_id)
            if earlier is None or last < earlier[1]:
                became[person_id] = (team_id, last)
    return {
        at: TrainedBy(people, Counter(team for team, done in became.values() if done < at))
        for at in instants
    }
