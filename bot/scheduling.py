"""Who may schedule what, for whom, and when it goes next.

Admins schedule for anyone; a champion for their own team only (their schedules
carry the team, and the planner never reaches beyond it), and sees the schedules
that reach them. These rules serve the ``nudge`` handlers and anything else
that makes or shows schedules.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from bot import audience as aud
from bot.context import Ctx, Refused
from bot.models import Schedule, Team
from bot.planning import KINDS
from bot.recurrence import (
    RecurrenceError,
    before_meeting,
    meeting_recurrence,
    next_instants,
    parse_when,
)
from bot.schedule_language import Plan
from bot.store import team_of
from bot.timeparse import format_date, zone_or_none


def spoken(moment: datetime) -> str:
    name = getattr(moment.tzinfo, "key", "") or "UTC"
    return f"{format_date(moment.date())}, {moment:%H:%M} ({name})"


def kind_name(ctx: Ctx, kind: str) -> str:
    return ctx.plain(f"kind.{kind}")


def own_team(ctx: Ctx) -> Team | None:
    """The champion's own team (None for admins, who may reach anyone)."""
    if ctx.actor.is_admin:
        return None
    person = ctx.actor.person
    team = team_of(ctx.session, person.team_id) if person else None
    if team is None:
        raise Refused(ctx.say("champion.no_team"))
    return team


def _next_before_meeting(ctx: Ctx, schedule: Schedule, ahead: timedelta) -> str:
    """The earliest next post among the audience's teams that have a standing meeting."""
    audience = aud.parse_audience(schedule.audience, set(ctx.content.pathways))
    zone = ctx.zone_for(None)  # meetings are in organisation time
    after = max(ctx.now(), schedule.starts_at)
    soonest = None
    for link in aud.channels(ctx.session, audience):
        team = ctx.session.get(Team, link.team_id)
        meeting = meeting_recurrence(team.meeting) if team is not None else None
        if meeting is None:
            continue
        for upcoming in next_instants(meeting, zone, after + ahead, 1):
            at = upcoming - ahead
            soonest = at if soonest is None or at < soonest else soonest
    return spoken(soonest.astimezone(ctx.zone)) if soonest is not None else "-"


def next_text(ctx: Ctx, schedule: Schedule) -> str:
    ahead = before_meeting(schedule.when)
    if ahead is not None:
        return _next_before_meeting(ctx, schedule, ahead)
    try:
        recurrence = parse_when(schedule.when, ctx.today())
    except RecurrenceError:
        return "-"
    zone = zone_or_none(schedule.timezone) if schedule.timezone else None
    shown = zone or ctx.zone
    upcoming = next_instants(recurrence, shown, max(ctx.now(), schedule.starts_at), 1)
    if not upcoming:
        return "-"
    return spoken(upcoming[0].astimezone(shown))


def check_reach(ctx: Ctx, plan: Plan, own: Team | None) -> None:
    """Refuse a plan whose audience its kind cannot reach, or a champion's beyond their team."""
    who = KINDS[plan.kind]
    if who == "people" and plan.audience.to_channels:
        raise Refused(ctx.say("nudge.people_only", kind=kind_name(ctx, plan.kind)))
    if (
        who == "channels"
        and not plan.audience.to_channels
        and not plan.audience.teams
        and not plan.audience.everyone
    ):
        raise Refused(ctx.say("nudge.channels_only", kind=kind_name(ctx, plan.kind)))
    if own is not None and (
        plan.audience.everyone
        or plan.audience.channels
        or any(k != own.key for k in plan.audience.teams + plan.audience.channel_teams)
    ):
        raise Refused(ctx.say("nudge.own_team_only", team=own.name))


def same_schedule(
    ctx: Ctx, plan: Plan, when: str, params: dict[str, Any], own: Team | None
) -> Schedule | None:
    """A schedule already running (or paused) with the same kind, audience, when, zone
    and words: the same messages would go twice."""
    return ctx.session.exec(
        select(Schedule).where(
            col(Schedule.status).in_(("active", "paused")),
            Schedule.kind == plan.kind,
            Schedule.audience == plan.audience.text,
            Schedule.when == when,
            Schedule.timezone == plan.timezone,
            Schedule.team_id == (own.id if own else None),
            Schedule.params == json.dumps(params),
        )
    ).first()


def visible(ctx: Ctx) -> Any:
    """Everything that will send: a champion sees their team's schedules, and the
    initiative-wide ones that reach them (the champions' weekly digest)."""
    own = own_team(ctx)
    query = select(Schedule).where(col(Schedule.status) != "cancelled")
    if own is not None:
        query = query.where(
            (col(Schedule.team_id) == own.id)
            | (col(Schedule.team_id).is_(None) & (col(Schedule.kind) == "digest"))
        )
    return query


def schedule_for(ctx: Ctx, schedule_id: int) -> Schedule:
    schedule = ctx.session.get(Schedule, schedule_id)
    own = own_team(ctx)
    if schedule is None:
        raise Refused(ctx.say("nudge.not_found", id=schedule_id))
    if own is not None and schedule.team_id != own.id:
        if schedule.team_id is None and schedule.kind == "digest":
            raise Refused(ctx.say("nudge.initiative_wide", id=schedule.id or 0))
        raise Refused(ctx.say("nudge.own_team_only", team=own.name))
    return schedule
