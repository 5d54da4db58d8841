"""The one way in: :meth:`Bot.handle` takes an :class:`Incoming` and answers.

Flow for every request: find the person behind the platform identity (linking
it by email the first time), parse the text into a command, check the role the
command needs, run its handler in one database transaction, and wrap the
messages as :class:`Outgoing`. A refusal or a person's mistake gets a friendly
answer and changes nothing; anything unexpected is logged with its context,
rolled back, and answered with a short apology.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from bot import commands as c
from bot import parser
from bot.clock import Clock
from bot.content import Content
from bot.context import Actor, Ctx
from bot.db import session_scope
from bot.handlers import HANDLERS, PERSONAL
from bot.handlers.admin import Refused
from bot.markup import to_plain
from bot.messages import Incoming, Message, Outgoing, Text
from bot.models import Person
from bot.store import link_identity, person_by_email, person_for_identity, roles_of
from bot.templates import Templates
from bot.timeparse import zone_or_none

log = logging.getLogger("huddle.core")

ROLE_FOR_NEED = {"champion": "champion", "admin": "admin", "reporter": "champion"}


class Bot:
    """Huddle's core, independent of any chat platform."""

    def __init__(self, content: Content, engine: Engine, clock: Clock) -> None:
        self.content = content
        self.engine = engine
        self.clock = clock
        self.templates = Templates(content.templates)

    # --- the way in ---------------------------------------------------------------------

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Answer one message, slash command or button click."""
        try:
            with session_scope(self.engine) as session:
                person = self._identify(session, incoming)
                if person is None:
                    return [Outgoing(self._unknown_person())]
                actor = Actor(
                    label=person.email, roles=roles_of(session, person.id or 0), person=person
                )
                messages = self._run(session, actor, parser.parse(incoming.text))
            return [Outgoing(m) for m in messages]
        except Exception:
            log.exception(
                "could not handle %s message from %s:%s (%r)",
                incoming.via,
                incoming.platform,
                incoming.user_id,
                incoming.text[:200],
            )
            return [Outgoing(self._apology(incoming.text))]

    def run_as_operator(
        self, text: str, operator: str, progress: Callable[[int, int], None] | None = None
    ) -> list[Message]:
        """Run typed admin words for someone with shell access to the server."""
        return self.run_command(parser.parse(text), operator, progress)

    def run_command(
        self,
        command: c.Command,
        operator: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Message]:
        """Run a command for the server operator (the CLI): the same handlers as chat."""
        actor = Actor(label=f"cli:{operator}", roles=frozenset({"admin"}))
        with session_scope(self.engine) as session:
            return self._run(session, actor, command, progress)

    # --- inside -------------------------------------------------------------------------

    def _run(
        self,
        session: Session,
        actor: Actor,
        command: c.Command,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Message]:
        ctx = Ctx(
            session=session,
            content=self.content,
            clock=self.clock,
            templates=self.templates,
            actor=actor,
            progress=progress,
        )
        refusal = self._refusal(ctx, command)
        if refusal is not None:
            return [refusal]
        savepoint = session.begin_nested()
        try:
            messages = HANDLERS[type(command)](ctx, command)
        except Refused as refused:
            # A refusal is decided before writing; roll back anything a handler began anyway.
            savepoint.rollback()
            return [refused.message]
        savepoint.commit()
        return messages

    def _refusal(self, ctx: Ctx, command: c.Command) -> Message | None:
        if ctx.actor.is_operator:
            if type(command) in PERSONAL:
                return ctx.say("needs_person")
            return None
        need = command.needs
        if need == "anyone":
            return None
        if need == "admin" and not ctx.actor.is_admin:
            return ctx.say("needs_role", role=ctx.plain("role.admin"))
        if need == "champion" and not (ctx.actor.is_admin or ctx.actor.has("champion")):
            return ctx.say("needs_role", role=ctx.plain("role.champion"))
        if need == "reporter" and not (
            ctx.actor.is_admin or ctx.actor.has("champion") or ctx.actor.has("senior_leader")
        ):
            return ctx.say("needs_role", role=ctx.plain("role.champion"))
        return None

    def _identify(self, session: Session, incoming: Incoming) -> Person | None:
        """The person behind a platform identity, linking it by email the first time."""
        person = person_for_identity(session, incoming.platform, incoming.user_id)
        if person is None and incoming.email:
            person = person_by_email(session, incoming.email)
            if person is not None:
                link_identity(
                    session, incoming.platform, incoming.user_id, person.id or 0, self.clock.now()
                )
        if (
            person is not None
            and not person.timezone
            and incoming.timezone
            and zone_or_none(incoming.timezone) is not None
        ):
            person.timezone = incoming.timezone
            session.add(person)
        return person

    def _unknown_person(self) -> Message:
        init = self.content.initiative
        text = self.templates.md(
            "unknown_person",
            initiative=init.name,
            contact_name=init.setup.contact.name,
            contact_email=init.setup.contact.email,
            contact_phone=init.setup.contact.phone,
        )
        return Message(blocks=(Text(text),), summary=to_plain(text), kind="unknown_person")

    def _apology(self, text: str) -> Message:
        shown = text if len(text) <= 200 else text[:200] + "…"
        md = self.templates.md("error.apology", text=shown)
        return Message(blocks=(Text(md),), summary=to_plain(md), kind="error")
