"""Noticing what is worth celebrating: a course finished, a pathway completed, a team milestone.

Every completion, whatever its source (self-report, import, admin), passes
through :func:`on_completion`, which records a :class:`bot.models.Celebration`
for the planner to post in the team channel. The database decides that each
is recorded once (a unique key per person and course, per pathway, and per
team and milestone). People who said "celebrate me: no" are never posted
about; team milestones count them without naming anyone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func
from sqlmodel import Session, col, delete, select, update

from bot.content import Content
from bot.db import insert_ignore
from bot.models import Celebration, Completion, Enrolment, OutboxMessage, Person
from bot.progress import PathwayStatus

MILESTONES = (50, 75, 100)


def celebrates(person: Person, content: Content) -> bool:
    """Whether the person's completions may be celebrated publicly."""
    if person.celebrate_publicly is None:
        return content.initiative.defaults.celebrate_publicly
    return person.celebrate_publicly


def on_completion(
    session: Session,
    content: Content,
    person: Person,
    course_id: str,
    before: Iterable[PathwayStatus],
    now: datetime,
) -> None:
    """Record the celebrations one completion earns (``before``: statuses before it)."""
    rows = []
    if celebrates(person, content):
        rows.append(
            {
                "dedupe_key": f"course:{person.id}:{course_id}",
                "kind": "course",
                "team_id": person.team_id,
                "person_id": person.id,
                "subject": course_id,
                "created_at": now,
            }
        )
        for status in before:
            if [c.id for c in status.remaining] == [course_id]:
                rows.append(
                    {
                        "dedupe_key": f"pathway:{person.id}:{status.pathway.id}",
                        "kind": "pathway",
                        "team_id": person.team_id,
                        "person_id": person.id,
                        "subject": status.pathway.id,
                        "created_at": now,
                    }
                )
    insert_ignore(session, Celebration, rows)
    if person.team_id is not None:
        team_milestones(session, content, [person.team_id], now)


def on_many(
    session: Session,
    content: Content,
    new: Sequence[tuple[int, str, datetime]],
    now: datetime,
) -> set[int]:
    """Record the celebrations a batch of new completions earns (an import, xAPI):
    those finished within ``celebrate_within_days`` (sources.yaml) of ``now`` only, so
    importing old history congratulates nobody. The planner posts many at once as one
    digest per team. Team milestones are looked at for the teams of those who finished
    a pathway. Returns the teams concerned."""
    since = now - timedelta(days=content.sources.celebrate_within_days)
    recent = [(p, c) for p, c, when in new if when >= since]
    if not recent:
        return set()
    ids = sorted({p for p, _ in recent})
    people: dict[int, Person] = {}
    done: dict[int, set[str]] = {}
    enrolled: dict[int, set[str]] = {}
    for part in (ids[i : i + IN_LIMIT] for i in range(0, len(ids), IN_LIMIT)):
        for found in session.exec(select(Person).where(col(Person.id).in_(part))):
            people[found.id or 0] = found
        for pid, course in session.exec(
            select(Completion.person_id, Completion.course_id).where(
                col(Completion.person_id).in_(part)
            )
        ):
            done.setdefault(pid, set()).add(course)
        for pid, path in session.exec(
            select(Enrolment.person_id, Enrolment.pathway_id).where(
                col(Enrolment.person_id).in_(part)
            )
        ):
            enrolled.setdefault(pid, set()).add(path)
    rows: list[dict[str, object]] = []
    teams: set[int] = set()
    # Only someone finishing a pathway raises their team's count of people trained, so
    # only those teams can cross a milestone by this batch (counting costs a query per
    # pathway, and most completions finish no pathway).
    counting: set[int] = set()
    for pid, course_id in recent:
        person = people.get(pid)
        if person is None:
            continue
        finished = [
            pathway
            for pathway in (content.pathways.get(p) for p in sorted(enrolled.get(pid, ())))
            if pathway is not None
            and course_id in pathway.courses
            and set(pathway.courses) <= done.get(pid, set())
        ]
        if person.team_id is not None:
            teams.add(person.team_id)
            if finished:
                counting.add(person.team_id)
        if not celebrates(person, content):
            continue
        rows.append(_row("course", person, course_id, now))
        rows.extend(_row("pathway", person, pathway.id, now) for pathway in finished)
    insert_ignore(session, Celebration, list({r["dedupe_key"]: r for r in rows}.values()))
    team_milestones(session, content, counting, now)
    return teams


#: Ids per IN list (SQLite and PostgreSQL both take far more; this keeps statements small).
IN_LIMIT = 5000


def _row(kind: str, person: Person, subject: str, now: datetime) -> dict[str, object]:
    return {
        "dedupe_key": f"{kind}:{person.id}:{subject}",
        "kind": kind,
        "team_id": person.team_id,
        "person_id": person.id,
        "subject": subject,
        "created_at": now,
    }


def team_milestones(
    session: Session, content: Content, team_ids: Iterable[int], now: datetime
) -> None:
    """Record each team's crossing of 50%, 75% and 100% of members trained, once each.

    "Trained" is :func:`trained_in`'s. Teams whose three milestones are all recorded are
    not counted again, and the rest are counted together (a few queries for any number
    of teams: a batch of xAPI statements or an import touches many at once).
    """
    teams = sorted(set(team_ids))
    if not teams:
        return
    recorded: dict[int, set[str]] = {}
    for part in _parts(teams):
        for team_id, subject in session.exec(
            select(Celebration.team_id, Celebration.subject).where(
                col(Celebration.kind) == "milestone", col(Celebration.team_id).in_(part)
            )
        ):
            recorded.setdefault(team_id or 0, set()).add(subject)
    open_teams = [t for t in teams if len(recorded.get(t, ())) < len(MILESTONES)]
    members: dict[int, int] = {}
    for part in _parts(open_teams):
        for team_id, count in session.exec(
            select(Person.team_id, func.count())
            .where(col(Person.team_id).in_(part))
            .group_by(col(Person.team_id))
        ):
            members[team_id or 0] = count
    counted = [t for t in open_teams if members.get(t)]
    trained = _trained_by_team(session, content, counted)
    rows = [
        {
            "dedupe_key": f"milestone:{team_id}:{m}",
            "kind": "milestone",
            "team_id": team_id,
            "person_id": None,
            "subject": str(m),
            "created_at": now,
        }
        for team_id in counted
        for m in MILESTONES
        if 100 * len(trained.get(team_id, ())) / members[team_id] >= m
        and str(m) not in recorded.get(team_id, ())
    ]
    insert_ignore(session, Celebration, rows)


def _parts(ids: list[int]) -> Iterable[list[int]]:
    return (ids[i : i + IN_LIMIT] for i in range(0, len(ids), IN_LIMIT))


def withdraw(
    session: Session, content: Content, person: Person, course_id: str, now: datetime
) -> str:
    """Take back what a completion that was undone earned: its course celebration and
    that of any pathway it finished. Returns "posted" if any had gone out already,
    "withdrawn" if they were still to be posted and now will not be, or "" if there was
    nothing to celebrate (the person had said "celebrate me: no")."""
    keys = [f"course:{person.id}:{course_id}"] + [
        f"pathway:{person.id}:{p.id}" for p in content.pathways.values() if course_id in p.courses
    ]
    found = session.exec(select(Celebration).where(col(Celebration.dedupe_key).in_(keys))).all()
    outcomes: set[str] = set()
    for celebration in found:
        if not celebration.posted:
            session.execute(delete(Celebration).where(col(Celebration.id) == celebration.id))
            outcomes.add("withdrawn")
            continue
        # Planned already: a message still waiting in the outbox is not sent.
        waiting = session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.dedupe_key).startswith(f"celebration:{celebration.id}:"),
                col(OutboxMessage.status) == "pending",
            )
            .values(status="skipped", last_error="completion undone", updated_at=now)
        )
        outcomes.add("withdrawn" if getattr(waiting, "rowcount", 0) else "posted")
    return "posted" if "posted" in outcomes else "withdrawn" if outcomes else ""


def trained_in(session: Session, content: Content, team_id: int) -> set[int]:
    """The members of a team who are trained: every course of at least one pathway they
    are enrolled in done (the same rule as "finished" in :mod:`bot.counts`)."""
    return _trained_by_team(session, content, [team_id]).get(team_id, set())


def _trained_by_team(
    session: Session, content: Content, team_ids: list[int]
) -> dict[int, set[int]]:
    """:func:`trained_in` for several teams at once: one query per pathway for the
    members who finished it."""
    trained: dict[int, set[int]] = {}
    connection = session.connection()  # plain rows: the ORM adds nothing to two columns
    for part in _parts(team_ids):
        for pathway in content.pathways.values():
            query = _finished_query(pathway.id, tuple(pathway.courses))
            for team_id, pid in connection.execute(query, {"teams": part}):
                trained.setdefault(team_id, set()).add(pid)
    return trained


@lru_cache(maxsize=256)
def _finished_query(pathway_id: str, courses: tuple[str, ...]) -> Any:
    """(team, person) of the members of the teams ``:teams`` who finished a pathway.

    The members are a subquery by team, which the database reads first (by the team's
    index) and looks up person by person, rather than reading everyone enrolled in the
    pathway (which it chooses for the longer pathways when the query starts from the
    enrolments). Built once per pathway: a batch of completions asks it often."""
    members = select(col(Person.id)).where(
        col(Person.team_id).in_(bindparam("teams", expanding=True))
    )
    finished = (
        select(col(Enrolment.person_id))
        .join(
            Completion,
            and_(
                col(Completion.person_id) == col(Enrolment.person_id),
                col(Completion.course_id).in_(list(courses)),
            ),
        )
        .where(col(Enrolment.pathway_id) == pathway_id, col(Enrolment.person_id).in_(members))
        .group_by(col(Enrolment.person_id))
        .having(func.count(col(Completion.id)) >= len(courses))
    )
    return select(col(Person.team_id), col(Person.id)).where(col(Person.id).in_(finished))
