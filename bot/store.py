"""Queries the handlers share. Each is one small indexed query.

The hot ones (everything "what's my next course" needs) are built once, with
bound parameters, so SQLAlchemy does not rebuild the statement and its cache
key on every request; that was most of the time of answering.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, delete, select

from bot import matching
from bot.content import Content
from bot.db import insert_ignore
from bot.models import (
    Completion,
    Conversation,
    Enrolment,
    Person,
    PersonRole,
    PlatformIdentity,
    StoredFile,
    Team,
)
from bot.progress import Enrolled, PathwayStatus, statuses
from bot.retention import KEEP_FILES
from bot.roster import slugify

_BY_EMAIL = select(Person).where(col(Person.email) == bindparam("email"))
_ROLES = select(PersonRole.role).where(col(PersonRole.person_id) == bindparam("pid"))
# Plain columns, not ORM objects: building objects was a third of the time of answering.
_ENROLLED = select(Enrolment.pathway_id, Enrolment.enrolled_at, col(Enrolment.due_on)).where(
    col(Enrolment.person_id) == bindparam("pid")
)
_COMPLETED = select(Completion.course_id, Completion.completed_at).where(
    col(Completion.person_id) == bindparam("pid")
)
_BY_IDENTITY = (
    select(Person)
    .join(PlatformIdentity, col(PlatformIdentity.person_id) == col(Person.id))
    .where(
        col(PlatformIdentity.platform) == bindparam("platform"),
        col(PlatformIdentity.external_id) == bindparam("external_id"),
    )
)
_CONVERSATION_STATE = select(
    Conversation.reference, col(Conversation.unreachable_since), col(Conversation.person_id)
).where(
    col(Conversation.platform) == bindparam("platform"),
    col(Conversation.conversation_id) == bindparam("conversation_id"),
)
_IDENTITY_EXISTS = select(PlatformIdentity.id).where(
    col(PlatformIdentity.platform) == bindparam("platform"),
    col(PlatformIdentity.external_id) == bindparam("external_id"),
)


def person_by_email(session: Session, email: str) -> Person | None:
    return session.exec(_BY_EMAIL, params={"email": email.strip().lower()}).first()


def _rows(session: Session, statement: Any, **params: Any) -> Sequence[Any]:
    """Plain rows through the Core connection: for column reads the ORM layer adds nothing."""
    return session.connection().execute(statement, params).all()


def roles_of(session: Session, person_id: int) -> frozenset[str]:
    return frozenset(role for (role,) in _rows(session, _ROLES, pid=person_id))


def enrolled_in(session: Session, person_id: int) -> list[Enrolled]:
    """The person's enrolments: pathway, when, due date."""
    rows = _rows(session, _ENROLLED, pid=person_id)
    return [Enrolled(pathway, at, due) for pathway, at, due in rows]


def completed_by(session: Session, person_id: int) -> dict[str, datetime]:
    """When the person finished each course they finished, by course id."""
    return dict(_rows(session, _COMPLETED, pid=person_id))


def unverified_courses(session: Session, person_id: int) -> list[str]:
    """The courses the person reported finishing that nothing has verified yet."""
    return list(
        session.exec(
            select(Completion.course_id)
            .where(col(Completion.person_id) == person_id, col(Completion.verified).is_(False))
            .order_by(col(Completion.completed_at))
        )
    )


def completions_by_team(
    session: Session, team_ids: list[int] | None = None, discipline: str | None = None
) -> dict[int | None, tuple[int, int]]:
    """(verified, self-reported) completions of each team's people (of one discipline)."""
    query = select(Person.team_id, Completion.verified, func.count()).join(
        Person, col(Person.id) == col(Completion.person_id)
    )
    if team_ids is not None:
        query = query.where(col(Person.team_id).in_(team_ids))
    if discipline is not None:
        query = query.where(col(Person.discipline) == discipline)
    found: dict[int | None, tuple[int, int]] = {}
    for team_id, verified, count in session.exec(
        query.group_by(col(Person.team_id), col(Completion.verified))
    ):
        yes, no = found.get(team_id, (0, 0))
        found[team_id] = (yes + count, no) if verified else (yes, no + count)
    return found


def conversation_state(
    session: Session, platform: str, conversation_id: str
) -> tuple[str, bool, bool] | None:
    """A saved conversation's (reference JSON, unreachable?, tied to a person?), or None."""
    rows = _rows(session, _CONVERSATION_STATE, platform=platform, conversation_id=conversation_id)
    if not rows:
        return None
    reference, unreachable_since, person_id = rows[0]
    return reference, unreachable_since is not None, person_id is not None


def identity_exists(session: Session, platform: str, external_id: str) -> bool:
    found = session.exec(
        _IDENTITY_EXISTS, params={"platform": platform, "external_id": external_id}
    ).first()
    return found is not None


def status_of(
    session: Session, content: Content, person_id: int
) -> tuple[list[PathwayStatus], dict[str, datetime], list[Enrolled]]:
    """A person's pathway statuses, when they finished each course, and their enrolments."""
    enrolments = enrolled_in(session, person_id)
    completed = completed_by(session, person_id)
    return statuses(content, enrolments, completed.keys()), completed, enrolments


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
    session: Session,
    platform: str,
    external_id: str,
    person_id: int,
    now: datetime,
    workspace: str = "",
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
                "workspace": workspace,
            }
        ],
    )


def keep_workspace(session: Session, platform: str, external_id: str, workspace: str) -> None:
    """Remember the workspace an identity last wrote from (an Enterprise Grid member can
    write from several), so what is sent to them later uses a token that reaches them."""
    found = session.exec(
        select(PlatformIdentity).where(
            PlatformIdentity.platform == platform, PlatformIdentity.external_id == external_id
        )
    ).first()
    if found is not None and found.workspace != workspace:
        found.workspace = workspace
        session.add(found)


def person_for_identity(session: Session, platform: str, external_id: str) -> Person | None:
    params = {"platform": platform, "external_id": external_id}
    return session.exec(_BY_IDENTITY, params=params).first()


def admin_count(session: Session) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(PersonRole).where(PersonRole.role == "admin")
        ).one()
    )


def people_named(session: Session, words: str, limit: int = 10) -> list[tuple[Person, str]]:
    """People an ``@words`` mention could mean: by email, full name, first or last name
    (case-insensitive), with their team's name; the closest kind of match only."""
    query = " ".join(words.lower().split())
    if not query:
        return []
    name = func.lower(col(Person.name))
    for condition in (
        func.lower(col(Person.email)) == query,
        name == query,
        name.startswith(query + " ", autoescape=True) | name.endswith(" " + query, autoescape=True),
    ):
        found = session.exec(
            select(Person).where(condition).order_by(col(Person.name)).limit(limit)
        ).all()
        if found:
            return [
                (p, (team.name if (team := team_of(session, p.team_id)) else "")) for p in found
            ]
    return []


def champions_of(session: Session, team_id: int | None) -> list[str]:
    """The names of a team's champions."""
    if team_id is None:
        return []
    return list(
        session.exec(
            select(Person.name)
            .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
            .where(Person.team_id == team_id, PersonRole.role == "champion")
            .order_by(col(Person.name))
        )
    )


#: How long a file kept for sending (an import's refused rows) can be fetched again.


def keep_file(
    session: Session,
    *,
    name: str,
    data: bytes,
    owner: str,
    now: datetime,
    media_type: str = "text/csv",
) -> str:
    """Keep a file (a CSV unless ``media_type`` says otherwise) in this session's
    transaction (dropping those past KEEP_FILES): its id, for the adapter to send it and
    for it to be fetched again for a while."""
    file_id = uuid.uuid4().hex
    session.execute(delete(StoredFile).where(col(StoredFile.created_at) < now - KEEP_FILES))
    session.add(
        StoredFile(
            id=file_id,
            name=name[:255],
            media_type=media_type,
            content=data,
            created_at=now,
            owner=owner[:255],
        )
    )
    return file_id
