"""A contest's standings in each taking-part team's channel: weekly while it runs (with a
chart, the team's own bar marked), and once, the day after it ends, the final results
celebrating the winners with their prize.

A contest's approval schedules both (``params``: the contest, and ``final`` for the
results). A standings schedule made by hand without a contest posts the standings of the
contest each team is in at the time. The standings are counted once per planning pass
and shared by every channel's post (kept in the session for the pass); the outbox key
(schedule, occurrence, channel) makes each post once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot import contest_posts as posts
from bot import contests
from bot.messages import Message
from bot.models import Contest, Schedule, Team
from bot.planning.kinds.base import Kind, Planning

#: Where a planning pass keeps the standings it has counted (Session.info).
_CACHE = "huddle.standings"


def _counted(
    planning: Planning, session: Session, contest: Contest
) -> tuple[contests.Standings, set[int]]:
    cache: dict[int, tuple[contests.Standings, set[int]]] = session.info.setdefault(_CACHE, {})
    key = contest.id or 0
    if key not in cache:
        found = contests.standings(session, planning.content, contest)
        taking_part = {t.team_id for t in found.teams}
        # The planner looks each channel's team up by its key: read them all at once (and
        # hold them, so the session keeps them) rather than one query a channel.
        teams = session.exec(select(Team).where(col(Team.id).in_(taking_part))).all()
        session.info.setdefault(_CACHE + ".teams", []).extend(teams)
        cache[key] = (found, taking_part)
    return cache[key]


def _occurs_on(occurrence: str, fallback: date) -> date:
    try:
        return datetime.fromisoformat(occurrence).date()
    except ValueError:  # "now-…": sent by hand
        return fallback


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
    today = ctx.today()
    contest_id = params.get("contest")
    contest = (
        session.get(Contest, int(contest_id))
        if contest_id is not None
        else contests.current_for(session, team.id, today)
    )
    if contest is None or contest.status not in (*contests.GOING_AHEAD, "finished"):
        return None
    found, taking_part = _counted(planning, session, contest)
    if team.id not in taking_part:
        return None
    if params.get("final"):
        if contest.status != "finished":
            contest.status = "finished"
            contest.finished_at = planning.clock.now()
            session.add(contest)
            weekly = (
                session.get(Schedule, contest.weekly_schedule_id)
                if contest.weekly_schedule_id
                else None
            )
            if weekly is not None and weekly.status == "active":
                weekly.status = "done"
                session.add(weekly)
        return ctx.message("standings.final", posts.final_blocks(ctx, found, team.id))
    on = _occurs_on(occurrence, today)
    if contests.state(contest, on) != "running":
        return None  # before it starts, or after it ends (the final results say it all)
    if contest.status == "approved":
        contest.status = "running"
        session.add(contest)
    return ctx.message("standings", posts.standings_blocks(ctx, found, team.id, on))


KIND = Kind(
    name="standings",
    words=("standings", "contest-standings", "contest"),
    reaches="channels",
    for_channel=for_channel,
)
