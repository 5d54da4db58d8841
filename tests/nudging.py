"""Helpers for scenario tests of scheduled messages: people, instants, and what arrived when.

Times in these tests are UTC instants written out in full (``utc(2026, 11, 30, 14)``),
so each assertion states exactly when a person in a given zone should be reached.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from adapters.console import Style, render_all
from bot.messages import ChannelRef, Message
from bot.models import AuditEntry, OutboxMessage, Schedule
from tests.fakechat import FakeChat, Talker

SAM = "sam.okafor@example.org"  # admin, Clinical Education
ANA = "ana.ruiz@example.org"  # ICU nurse (essentials)
BEN = "ben.cho@example.org"  # ICU physician, champion
CARLA = "carla.diaz@example.org"  # ICU social worker
DEV = "dev.patel@example.org"  # ICU pharmacist (prescriber-symptoms)
ELLA = "ella.grant@example.org"  # Oncology nurse
FEMI = "femi.ade@example.org"  # Oncology champion
GUS = "gus.lind@example.org"  # Oncology chaplain (psychosocial)
HANA = "hana.ito@example.org"  # Oncology physician, senior leader
IVY = "ivy.moss@example.org"  # Home Health nurse (bedside-care)
ICU_TEAM = (ANA, BEN, CARLA, DEV)


def link_channel(chat: FakeChat, channel: str, team: str) -> None:
    """The admin links a team to channel ``C-<channel>`` (named ``#<channel>``)."""
    reply = chat.person(SAM).says(
        f"team link #{channel} {team}", channels=(ChannelRef(f"C-{channel}", channel),)
    )
    assert f"Linked team {team} to #{channel}" in reply, reply.text


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def join(chat: FakeChat, email: str, zone: str | None = None) -> Talker:
    """A person who has talked to the bot (so it can write to them), optionally in a zone."""
    talker = chat.person(email)
    talker.says("hello")
    if zone is not None:
        assert f"Time zone set to {zone}" in talker.says(f"timezone {zone}")
    return talker


def schedule(chat: FakeChat, words: str, who: str = SAM) -> int:
    """Schedule as ``who`` (the admin by default) and return the new schedule's id."""
    reply = chat.person(who).says(f"nudge schedule {words}")
    assert reply.text.startswith("Scheduled #"), reply.text
    return int(reply.text.split("#", 1)[1].split(":", 1)[0])


def times(chat: FakeChat, target: str) -> list[datetime]:
    """When each scheduled message reached a person (by email) or a channel (by id)."""
    key = f"U-{target}" if "@" in target else target
    return [at for at, _ in chat.delivered.get(key, [])]


def messages(chat: FakeChat, target: str) -> list[Message]:
    key = f"U-{target}" if "@" in target else target
    return [m for _, m in chat.delivered.get(key, [])]


def text(message: Message) -> str:
    return render_all([message], Style(color=False)).text


def tick_at(chat: FakeChat, moments: Iterable[datetime]) -> None:
    """Run the scheduler (plan, then deliver) at each of these instants, in order."""
    for moment in moments:
        assert moment >= chat.clock.now(), "the clock only moves forward"
        chat.clock.set(moment)
        chat.run_scheduler()


def tick_around(chat: FakeChat, instants: Iterable[datetime], spread: timedelta) -> None:
    """Tick at each instant and ``spread`` either side of it.

    A message due earlier or later than expected then lands on a neighbouring tick (and
    a message due twice on two of them), so the recorded times tell the difference.
    """
    now = chat.clock.now()
    moments = {e + d for e in instants for d in (-spread, timedelta(0), spread)}
    tick_at(chat, sorted(m for m in moments if m > now))


def every(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """start, start + step, ... up to and including end."""
    out = []
    moment = start
    while moment <= end:
        out.append(moment)
        moment += step
    return out


def run_every(chat: FakeChat, end: datetime, step: timedelta) -> None:
    """Tick like the real scheduler would, every ``step`` from now (exclusive) to ``end``."""
    tick_at(chat, every(chat.clock.now() + step, end, step))


def outbox(chat: FakeChat, schedule_id: int | None = None) -> list[OutboxMessage]:
    with Session(chat.bot.engine) as s:
        query = select(OutboxMessage).order_by(OutboxMessage.id)  # type: ignore[arg-type]
        if schedule_id is not None:
            query = query.where(OutboxMessage.schedule_id == schedule_id)
        return list(s.exec(query))


def schedules(chat: FakeChat) -> list[Schedule]:
    with Session(chat.bot.engine) as s:
        return list(s.exec(select(Schedule).order_by(Schedule.id)))  # type: ignore[arg-type]


def audit_actions(chat: FakeChat) -> list[tuple[str, str, str]]:
    """(actor, action, target) of every audit entry, oldest first."""
    with Session(chat.bot.engine) as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id))  # type: ignore[arg-type]
        return [(a.actor, a.action, a.target) for a in rows]
