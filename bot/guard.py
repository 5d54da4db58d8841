"""Keeping patient details out: free text is screened before Huddle shares it.

:func:`privacy_refusal` is the answer when :func:`bot.privacy.screen` finds likely
identifiers in text a person asked the bot to post (a shout-out, a team name, a
custom nudge, a session title; later suggestions and contests). The refusal says
which parts looked like an identifier and hands the text back to edit; nothing is
posted or stored. :func:`reply_note` is the private note for a message already
posted in a thread (Huddle cannot delete it).

The screen is roster-aware (:func:`staff_for`): the roster's names and team names
are read once and kept per database, and read again only when the roster changes,
which one small aggregate query per screen notices (how many people and teams,
the newest ids, the latest update, the names' total length).
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot import privacy
from bot.content import Content
from bot.context import Ctx
from bot.markup import to_plain
from bot.messages import Message, Text
from bot.models import Person, Team
from bot.templates import Markdown, Templates

#: (people, newest person id, latest update, length of all names, teams, newest team id)
_Signature = tuple[object, ...]

_lock = threading.Lock()
_rosters: weakref.WeakKeyDictionary[Engine, tuple[_Signature, privacy.Roster]] = (
    weakref.WeakKeyDictionary()
)


def roster_signature(session: Session) -> _Signature:
    """What changes whenever a person or team is added, removed, renamed or updated."""
    people = session.exec(
        select(
            func.count(),
            func.max(Person.id),
            func.max(Person.updated_at),
            # A rename within the same instant as the last change still shows.
            func.sum(func.length(Person.name)),
        )
    ).one()
    teams = session.exec(select(func.count(), func.max(Team.id))).one()
    return (*people, *teams)


def roster_for(session: Session) -> privacy.Roster:
    """The roster's names, emails and team names, read again only when they changed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    signature = roster_signature(session)
    with _lock:
        cached = _rosters.get(engine)
    if cached is not None and cached[0] == signature:
        return cached[1]
    people = session.exec(select(Person.name, Person.email)).all()
    teams = session.exec(select(Team.name).order_by(col(Team.id))).all()
    roster = privacy.Roster.of(people, teams)
    with _lock:
        _rosters[engine] = (signature, roster)
    return roster


def staff_for(session: Session, content: Content) -> privacy.Staff:
    """Everything the screen treats as ours: content's domains, places, titles and
    allowed words, and the roster's names."""
    return privacy.Staff(content.privacy_known, roster_for(session))


def findings(ctx: Ctx, text: str) -> list[privacy.Finding]:
    """Likely patient identifiers in ``text``, knowing this organisation's staff."""
    return privacy.screen(text, staff_for(ctx.session, ctx.content))


def _described(templates: Templates, found: list[privacy.Finding]) -> tuple[str, Markdown]:
    kinds = ", ".join(dict.fromkeys(templates.plain(f"privacy.kind.{f.kind}") for f in found))
    parts = Markdown(
        ", ".join(dict.fromkeys(templates.md("privacy.part", text=f.text) for f in found))
    )
    return kinds, parts


def privacy_refusal(ctx: Ctx, text: str) -> Message | None:
    """A private refusal if ``text`` looks like it holds patient identifiers, else None:
    it names what looked like one and hands the text back to edit and send again."""
    found = findings(ctx, text)
    if not found:
        return None
    kinds, parts = _described(ctx.templates, found)
    return ctx.say("privacy.blocked", kinds=kinds, parts=parts, text=text)


def reply_note(
    session: Session, content: Content, templates: Templates, text: str
) -> Message | None:
    """The private note for someone whose message (already posted, in a thread Huddle
    follows) looks like it holds patient identifiers; None if it does not."""
    found = privacy.screen(text, staff_for(session, content))
    if not found:
        return None
    kinds, parts = _described(templates, found)
    md = templates.md("privacy.reply_note", kinds=kinds, parts=parts)
    return Message(blocks=(Text(md),), summary=to_plain(md), kind="privacy.reply_note")
