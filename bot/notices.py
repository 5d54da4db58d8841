"""Telling someone other than the asker something, privately: through the outbox.

A handler answers the person who asked; anyone else hears through the outbox, like a
scheduled message (the delivery worker sends it, keeps it out of their quiet hours,
and retries). :func:`notify` writes one row for one person, to their personal chat
on the platform the asker is on if they have one there, else on the one they used
last. Buttons on it are that person's (:attr:`bot.messages.Button.owner`): pressed by
anyone else, they do nothing. The row's key makes the database decide that each
notice is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.db import insert_ignore
from bot.messages import Message
from bot.models import Conversation, OutboxMessage, PlatformIdentity


@dataclass(frozen=True)
class Reach:
    """Where a person can be written to: the platform, the target the sender takes (a
    user id; on Teams the personal conversation), and their user id there."""

    platform: str
    target: str
    user_id: str
    #: The Slack workspace, when Huddle serves several.
    workspace: str = ""


def reach(session: Session, person_id: int, prefer: str | None = None) -> Reach | None:
    """Where to write to a person: on ``prefer`` if they can be reached there, else on
    the platform they were linked on most recently; None if nowhere yet."""
    found: list[tuple[datetime, Reach]] = []
    identities = session.exec(
        select(
            PlatformIdentity.platform,
            PlatformIdentity.external_id,
            PlatformIdentity.linked_at,
            PlatformIdentity.workspace,
        ).where(PlatformIdentity.person_id == person_id)
    ).all()
    for platform, external, linked, workspace in identities:
        if platform != "teams":
            found.append((linked, Reach(platform, external, external, workspace)))
            continue
        # Teams writes to a person only through a conversation saved from them.
        conversation = session.exec(
            select(Conversation.conversation_id, Conversation.updated_at)
            .where(
                Conversation.platform == "teams",
                Conversation.person_id == person_id,
                Conversation.kind == "personal",
                col(Conversation.unreachable_since).is_(None),
            )
            .order_by(col(Conversation.updated_at).desc())
        ).first()
        if conversation is not None:
            found.append((conversation[1], Reach("teams", conversation[0], external)))
    if not found:
        return None
    preferred = [r for _, r in found if r.platform == prefer]
    if preferred:
        return preferred[0]
    return max(found, key=lambda pair: pair[0])[1]


def notify(
    session: Session,
    person_id: int,
    message: Message,
    key: str,
    now: datetime,
    *,
    kind: str = "notice",
    prefer: str | None = None,
    team_id: int | None = None,
) -> bool:
    """Queue ``message`` for one person, once per ``key``. False if they cannot be
    reached on any platform yet (they have never talked to Huddle)."""
    where = reach(session, person_id, prefer)
    if where is None:
        return False
    owned = message.owned_by(where.user_id)
    row = {
        "dedupe_key": f"{key}:p{person_id}"[:255],
        "kind": kind,
        "schedule_id": None,
        "person_id": person_id,
        "team_id": team_id,
        "course_id": "",
        "occurrence": "",
        "platform": where.platform,
        "target": where.target,
        "workspace": where.workspace,
        "message": owned.to_json(),
        "status": "pending",
        "due_at": now,
        "next_attempt_at": now,
        "attempts": 0,
        "claimed_by": "",
        "lease_until": None,
        "platform_message_id": "",
        "last_error": "",
        "in_doubt": False,
        "resends": 0,
        "sent_at": None,
        "created_at": now,
        "updated_at": now,
    }
    insert_ignore(session, OutboxMessage, [row])
    return True
