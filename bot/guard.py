"""Keeping patient details out: free text is screened before Huddle shares it.

:func:`privacy_refusal` is the answer when :func:`bot.privacy.screen` finds likely
identifiers in text a person asked the bot to post (a shout-out, a team name, a
custom nudge, a session title; later suggestions and contests). The refusal says
which parts looked like an identifier and hands the text back to edit; nothing is
posted or stored. :func:`reply_note` is the private note for a message already
posted in a thread (Huddle cannot delete it).

The screen is roster-aware (:func:`staff_for`): the roster's names and team names
are read once and kept per database, and read again only when the roster changes.
Each screen reads the newest person's and team's ids (primary-key look-ups), so
additions show at once; the counts and the latest update, which take a scan, are
looked at once a minute at most, so a rename shows within a minute.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot import privacy
from bot.content import Content
from bot.context import Ctx
from bot.markup import to_plain
from bot.messages import Message, Text
from bot.models import Person, Team
from bot.templates import Markdown, Templates

#: How long a roster is trusted before its counts and latest update are looked at again.
#: Additions show at once (the newest ids are read on every screen, from the primary
#: keys; people are never deleted); a rename, or a removed team, shows within this long.
RECHECK = timedelta(seconds=60)


@dataclass
class _Cached:
    quick: tuple[object, ...]
    full: tuple[object, ...]
    checked_at: datetime
    roster: privacy.Roster


_lock = threading.Lock()
_rosters: weakref.WeakKeyDictionary[Engine, _Cached] = weakref.WeakKeyDictionary()


def _quick_signature(session: Session) -> tuple[object, ...]:
    """The newest person's and team's ids: primary-key look-ups, well under 1 ms."""
    return (
        session.exec(select(func.max(Person.id))).one(),
        session.exec(select(func.max(Team.id))).one(),
    )


def _full_signature(session: Session, quick: tuple[object, ...]) -> tuple[object, ...]:
    """The quick signature, how many people and teams there are and the latest update
    (scans: tens of ms for 100,000 people)."""
    people = session.exec(select(func.count(), func.max(Person.updated_at))).one()
    teams = session.exec(select(func.count()).select_from(Team)).one()
    return (*quick, *people, teams)


def roster_for(session: Session, now: datetime) -> privacy.Roster:
    """The roster's names, emails and team names, read again only when they changed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    quick = _quick_signature(session)
    with _lock:
        cached = _rosters.get(engine)
    if cached is not None and cached.quick == quick and now - cached.checked_at < RECHECK:
        return cached.roster
    full = _full_signature(session, quick)
    if cached is not None and cached.full == full:
        with _lock:
            _rosters[engine] = _Cached(quick, full, now, cached.roster)
        return cached.roster
    people = session.exec(select(Person.name, Person.email)).all()
    teams = session.exec(select(Team.name).order_by(col(Team.id))).all()
    roster = privacy.Roster.of(people, teams)
    with _lock:
        _rosters[engine] = _Cached(quick, full, now, roster)
    return roster


def staff_for(session: Session, content: Content, now: datetime) -> privacy.Staff:
    """Everything the screen treats as ours: content's domains, places, titles and
    allowed words, and the roster's names."""
    return privacy.Staff(content.privacy_known, roster_for(session, now))


def findings(ctx: Ctx, text: str) -> list[privacy.Finding]:
    """Likely patient identifiers in ``text``, knowing this organisation's staff."""
    return privacy.screen(text, staff_for(ctx.session, ctx.content, ctx.now()))


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
    session: Session, content: Content, templates: Templates, now: datetime, text: str
) -> Message | None:
    """The private note for someone whose message (already posted, in a thread Huddle
    follows) looks like it holds patient identifiers; None if it does not."""
    found = privacy.screen(text, staff_for(session, content, now))
    if not found:
        return None
    kinds, parts = _described(templates, found)
    md = templates.md("privacy.reply_note", kinds=kinds, parts=parts)
    return Message(blocks=(Text(md),), summary=to_plain(md), kind="privacy.reply_note")
