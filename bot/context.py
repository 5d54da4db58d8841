"""What a handler works with: the session, content, clock, and who is asking.

:class:`Ctx` also carries the small helpers every handler uses to speak: a
message from a template (:meth:`Ctx.say`), buttons whose labels come from
templates, and the person's zone and local date.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from bot import markup
from bot.clock import Clock
from bot.content import Content
from bot.messages import Actions, Block, Button, ButtonStyle, Incoming, Message, Outgoing, Text
from bot.models import AuditEntry, Person
from bot.templates import Markdown, Templates, Value
from bot.timeparse import zone_or_none


@dataclass(frozen=True)
class Actor:
    """Who is asking: a person from the roster, or the server operator at the CLI.

    The operator (someone with shell access to the server) may do every admin
    action; that is how the first admin is made.
    """

    label: str
    roles: frozenset[str]
    person: Person | None = None

    @property
    def is_operator(self) -> bool:
        return self.person is None

    def has(self, role: str) -> bool:
        return self.is_operator or role in self.roles

    @property
    def is_admin(self) -> bool:
        return self.has("admin")


@dataclass(frozen=True)
class WebAccess:
    """Where Huddle's web pages are reached (``huddle run``'s public address), and the
    deployment's own key for signing dashboard links ("": one kept in the database)."""

    public_url: str = "http://localhost:3978"
    dashboard_key: str = ""


#: Work an answer promised, run after its transaction: it returns more to say.
Job = Callable[[], Sequence[Message | Outgoing]]


@dataclass
class Ctx:
    """Everything a handler needs for one request."""

    session: Session
    content: Content
    clock: Clock
    templates: Templates
    actor: Actor
    #: What the person sent, when the request came from a chat (None for the CLI).
    incoming: Incoming | None = None
    #: Called as (done, total) during long work such as a large roster import.
    progress: Callable[[int, int], None] | None = None
    #: The database, for long work that commits as it goes (an import), outside this
    #: request's transaction.
    engine: Engine | None = None
    #: Long work this answer promised: run after the request's transaction, off the
    #: chat path, its messages sent to the same conversation.
    jobs: list[Job] = field(default_factory=list)
    #: Runs another command for the same person in a transaction of its own (for a job).
    run_command: Callable[[Any], Sequence[Message | Outgoing]] | None = None
    web: WebAccess = field(default_factory=WebAccess)

    # --- time ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def zone_for(self, person: Person | None) -> ZoneInfo:
        name = person.timezone if person and person.timezone else None
        zone = zone_or_none(name) if name else None
        return zone or ZoneInfo(self.content.initiative.defaults.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return self.zone_for(self.actor.person)

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    # --- speaking -----------------------------------------------------------------------

    def md(self, template: str, /, **values: Value) -> Markdown:
        return self.templates.md(template, **values)

    def plain(self, template: str, /, **values: Value) -> str:
        return self.templates.plain(template, **values)

    def button(
        self, template: str, command: str, style: ButtonStyle = "default", /, **values: Value
    ) -> Button:
        return Button(label=self.plain(template, **values), command=command, style=style)

    def say(self, template: str, /, *extra: Block, **values: Value) -> Message:
        """A one-paragraph message from a template, with optional extra blocks."""
        text = self.md(template, **values)
        return Message(blocks=(Text(text), *extra), summary=markup.to_plain(text), kind=template)

    def message(self, kind: str, blocks: list[Block], summary: str = "") -> Message:
        """A message from blocks; the summary defaults to the first text block."""
        if not summary:
            first = next((b for b in blocks if isinstance(b, Text)), None)
            summary = markup.to_plain(first.markdown) if first else kind
        return Message(blocks=tuple(blocks), summary=summary, kind=kind)

    @staticmethod
    def actions(*buttons: Button) -> Actions:
        return Actions(tuple(buttons))

    # --- records ------------------------------------------------------------------------

    def audit(self, action: str, target: str, detail: str = "") -> None:
        """Write one line of the audit trail for an admin or champion action."""
        self.session.add(
            AuditEntry(
                at=self.now(),
                actor=self.actor.label,
                action=action,
                target=target[:500],
                detail=detail[:4000],
            )
        )


class Refused(Exception):
    """A handler cannot go on; ``message`` says why. Nothing has been written."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.summary)
        self.message = message
