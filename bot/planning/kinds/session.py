"""A group session: announced with an "I'll join" button, and a reminder an hour before
to those who said they would join. The schedule is done once the session begins."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.context import Ctx
from bot.db import insert_ignore
from bot.messages import Message
from bot.models import OutboxMessage, Person, Schedule, SessionRsvp, Team
from bot.planning.kinds.base import Kind, Planning
from bot.planning.state import PersonState
from bot.recurrence import to_utc
from bot.timeparse import spoken

REMINDER = timedelta(hours=1)


def starts_at(schedule: Schedule, params: dict[str, Any], zone: ZoneInfo) -> datetime | None:
    """When the session begins (UTC), from its stored local time in the schedule's zone."""
    try:
        local = datetime.fromisoformat(params["at"])
    except (KeyError, ValueError):
        return None
    return to_utc(local, zone)


def announcement(ctx: Ctx, schedule: Schedule, params: dict[str, Any], zone: ZoneInfo) -> Message:
    at = starts_at(schedule, params, zone)
    when = spoken(at.astimezone(zone)) if at else params.get("at", "")
    return ctx.say(
        "session.announce",
        ctx.actions(ctx.button("button.rsvp", f"rsvp {schedule.id}", "primary")),
        title=params.get("title", ""),
        when=when,
        link=params.get("link", ""),
    )


def for_person(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    state: PersonState,
    cache: dict[Any, str],
) -> str | None:
    ctx = planning.ctx(session, state.person)
    return announcement(ctx, schedule, params, planning.schedule_zone(schedule)).to_json()


def for_channel(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    team: Team,
    platform: str,
    occurrence: str,
) -> Message | None:
    ctx = planning.ctx(session, None)
    return announcement(ctx, schedule, params, planning.schedule_zone(schedule))


def reminders(
    planning: Planning, session: Session, schedule: Schedule, params: dict[str, Any], now: datetime
) -> tuple[int, int]:
    """An hour before it begins, a reminder to each person who said they'd join."""
    at = starts_at(schedule, params, planning.schedule_zone(schedule))
    if at is not None and now >= at and schedule.status == "active":
        schedule.status = "done"  # the session has begun: nothing more to send
    if at is None or not at - REMINDER <= now < at:
        return 0, 0
    replies = session.exec(select(SessionRsvp).where(SessionRsvp.schedule_id == schedule.id))
    persons = [session.get(Person, r.person_id) for r in replies]
    states = planning.load(session, [p for p in persons if p is not None])
    rows = []
    for state in states.values():
        target = state.target()
        if target is None:
            continue
        ctx = planning.ctx(session, state.person)
        message = ctx.say(
            "session.reminder",
            title=params.get("title", ""),
            when=spoken(at.astimezone(planning.zone_of(state.person))),
            link=params.get("link", ""),
        )
        rows.append(
            planning.row(
                f"s{schedule.id}:reminder:p{state.person.id}",
                "session",
                target,
                message.to_json(),
                now,
                schedule_id=schedule.id,
                person_id=state.person.id,
            )
        )
    return insert_ignore(session, OutboxMessage, rows), 0


KIND = Kind(
    name="session",
    words=("session", "group-session"),
    reaches="either",
    for_person=for_person,
    for_channel=for_channel,
    light=True,
    follow_up=reminders,
    done_when_sent=False,
)
