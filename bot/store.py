"""Queries the handlers share. Each is one small indexed query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot import matching
from bot.content import Content
from bot.db import insert_ignore
from bot.models import Completion, Enrolment, Person, PersonRole, PlatformIdentity, Team
from bot.progress import Enrolled, PathwayStatus, statuses
from bot.roster import slugify


def person_by_email(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()


def roles_of(session: Session, person_id: int) -> frozenset[str]:
    rows = session.exec(select(PersonRole.role).where(PersonRole.person_id == person_id))
    return frozenset(rows)


def enrolments_of(session: Session, person_id: int) -> list[Enrolment]:
    return list(session.exec(select(Enrolment).where(Enrolment.person_id == person_id)))


def completions_of(session: Session, person_id: int) -> dict[str, Completion]:
    rows = session.exec(select(Completion).where(Completion.person_id == person_id))
    return {c.course_id: c for c in rows}


def status_of(
    session: Session, content: Content, person_id: int
) -> tuple[list[PathwayStatus], dict[str, Completion], list[Enrolment]]:
    """A person's pathway statuses, their completions and their enrolments."""
    enrolments = enrolments_of(session, person_id)
    completed = completions_of(session, person_id)
    found = statuses(
        content,
        (Enrolled(e.pathway_id, e.enrolled_at, e.due_on) for e in enrolments),
        completed.keys(),
    )
    return found, completed, enrolments


def team_of(session: Session, team_id: int | None) -> Team | None:
    return session.get(Team, team_id) if team_id is not None else None


def find_team(session: Session, text: str) -> tuple[Team | None, list[Team]]:
    """A team by key or name, loosely; else (None, close teams)."""
    key = slugify(text)
    exact = session.exec(select(Team).where(Team.key == key)).first()
    if exact:
        return exact, []
    teams = list(session.exec(select(Team).order_by(col(Team.name))))
    by_key = {t.key: t for t in teams}
    chosen, options = matching.pick(text, (matching.Candidate(t.key, t.name) for t in teams))
    if chosen:
        return by_key[chosen.id], []
    return None, [by_key[o.id] for o in options]


def link_identity(
    session: Session, platform: str, external_id: str, person_id: int, now: datetime
) -> None:
    insert_ignore(
        session,
        PlatformIdentity,
        [
            {
                "platform": platform,
                "external_id": external_id,
                "person_id": person_id,
                "linked_at": now,
            }
        ],
    )


def person_for_identity(session: Session, platform: str, external_id: str) -> Person | None:
    return session.exec(
        select(Person)
        .join(PlatformIdentity, col(PlatformIdentity.person_id) == col(Person.id))
        .where(PlatformIdentity.platform == platform, PlatformIdentity.external_id == external_id)
    ).first()


def admin_count(session: Session) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(PersonRole).where(PersonRole.role == "admin")
        ).one()
    )
