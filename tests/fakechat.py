"""A fake chat platform that drives the whole bot like a transcript.

    ana = chat.person("ana.ruiz@example.org")
    reply = ana.says("what's my next course")
    assert "Next up" in reply
    ana.clicks("Mark complete")
    chat.clock.advance(days=7)

Replies are rendered as plain text by the console renderer (no colour), so
assertions read like what a person sees. Clicking a button sends the
button's words with ``via="button"``, exactly as an adapter would.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.console import Style, render_all
from bot.app import SAMPLE_ROSTER
from bot.clock import FrozenClock
from bot.core import Bot
from bot.messages import Button, Incoming, IncomingFile, Message, Outgoing, Via
from bot.settings import PROJECT_ROOT

PLATFORM = "fake"


@dataclass
class Reply:
    """What the bot answered to one thing a person said or clicked."""

    messages: list[Message]
    text: str
    buttons: list[Button] = field(default_factory=list)

    def __contains__(self, needle: str) -> bool:
        return needle in self.text

    @property
    def kinds(self) -> list[str]:
        return [m.kind for m in self.messages]

    def button(self, label: str) -> Button:
        matches = [b for b in self.buttons if b.label == label]
        if not matches:
            raise AssertionError(
                f"no button {label!r}; buttons: {[b.label for b in self.buttons]}\n{self.text}"
            )
        return matches[0]


class Talker:
    """One person in the fake chat."""

    def __init__(self, chat: FakeChat, email: str, user_id: str) -> None:
        self.chat = chat
        self.email = email
        self.user_id = user_id
        self.last: Reply | None = None

    def _send(self, text: str, via: Via, **where: Any) -> Reply:
        outgoing = self.chat.bot.handle(
            Incoming(
                platform=PLATFORM,
                user_id=self.user_id,
                email=self.email,
                text=text,
                via=via,
                **where,
            )
        )
        self.chat.posts += [o for o in outgoing if o.visibility == "public"]
        messages = [o.message for o in outgoing if o.visibility == "private"]
        rendered = render_all(messages, Style(color=False))
        self.last = Reply(messages, rendered.text, rendered.buttons)
        self.chat.transcript.append((self.email, text, rendered.text))
        return self.last

    def says(self, text: str, **where: Any) -> Reply:
        """Say something; ``where`` sets Incoming fields such as mentions or in_channel."""
        return self._send(text, "direct", **where)

    def sends_file(self, path: Path, words: str = "", name: str = "") -> Reply:
        """Send a file (as a Slack file share or a Teams attachment would, downloaded)."""
        sent = IncomingFile(name or path.name, str(path), path.stat().st_size, "text/csv")
        return self._send(words, "direct", files=(sent,))

    def clicks(self, label: str, on: Reply | Message | None = None) -> Reply:
        """Press a button on the last reply, or on ``on`` (a reply or message someone else
        may have been shown), as an adapter would: its words, and whose button it is."""
        buttons = (
            on.buttons
            if isinstance(on, Reply)
            else list(on.buttons)
            if on is not None
            else self.last.buttons
            if self.last is not None
            else []
        )
        button = Reply([], "", buttons).button(label)
        return self._send(button.command, "button", button_owner=button.owner)


class FakeChat:
    """The whole bot behind a transcript, on a real database with a frozen clock.

    It is also the platform's :class:`scheduler.delivery.Sender`: scheduled messages
    land in ``delivered`` (per person or channel id), as they would reach a person.
    """

    platform = PLATFORM

    def __init__(self, bot: Bot, clock: FrozenClock) -> None:
        self.bot = bot
        self.clock = clock
        self.transcript: list[tuple[str, str, str]] = []
        #: Public posts the bot made, in order (each names its channel).
        self.posts: list[Outgoing] = []
        #: Scheduled deliveries: target id -> [(time sent, message)].
        self.delivered: dict[str, list[tuple[datetime, Message]]] = {}
        self._planner = bot.planner((PLATFORM,))

    # --- the Sender port --------------------------------------------------------------

    async def send(self, target: str, message: Message, key: str) -> str:
        self.delivered.setdefault(target, []).append((self.clock.now(), message))
        return f"fake-{sum(len(v) for v in self.delivered.values())}"

    async def reconcile(self, target: str, key: str, since: datetime) -> str | None:
        raise NotImplementedError

    def run_scheduler(self) -> int:
        """One planning tick, then deliver everything due now. Returns messages sent."""
        from bot.outbox import Outbox
        from scheduler.delivery import Worker

        self.bot.tick(self._planner)
        worker = Worker(
            Outbox(self.bot.engine, self.bot.content, "fake-worker", quiet=self._planner),
            {PLATFORM: self},
            self.clock,
        )

        async def drain() -> None:
            while await worker.run_once():
                pass

        asyncio.run(drain())
        return worker.sent_count

    def inbox(self, email: str) -> list[str]:
        """What a person received from the scheduler, as plain text, oldest first."""
        return [
            render_all([m], Style(color=False)).text
            for _, m in self.delivered.get(f"U-{email}", [])
        ]

    def channel(self, channel_id: str) -> list[str]:
        return [
            render_all([m], Style(color=False)).text for _, m in self.delivered.get(channel_id, [])
        ]

    def person(self, email: str, user_id: str | None = None) -> Talker:
        return Talker(self, email, user_id or f"U-{email}")

    def operator(self, text: str) -> Reply:
        """Run words as the server operator (what the CLI does)."""
        messages = self.bot.run_as_operator(text, "tester")
        rendered = render_all(messages, Style(color=False))
        return Reply(messages, rendered.text, rendered.buttons)

    def load_sample_roster(self) -> Reply:
        csv_text = (PROJECT_ROOT / "content" / SAMPLE_ROSTER).read_text(encoding="utf-8")
        return self.operator("roster import\n" + csv_text)
