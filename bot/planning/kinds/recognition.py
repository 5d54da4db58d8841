"""A team's monthly recognition summary, in its channel: last month's shout-outs for the
team and its people, and those its members gave, with every team's counts by name.

Counts of thanks only: no one is ranked, no one's name is listed, and a team with
none hears an invitation rather than a zero.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.messages import Block, Heading, Message, Table, Text
from bot.models import Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.recurrence import to_utc
from bot.shoutouts import counts

#: Teams listed in the post at most (the rest are counted as "more").
ROWS = 20


def last_month(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime, date]:
    """The calendar month before the one ``now`` is in, in ``zone``: (start, end) as UTC
    instants, and its first day."""
    today = now.astimezone(zone).date()
    end_day = today.replace(day=1)
    start_day = (
        end_day.replace(year=end_day.year - 1, month=12)
        if end_day.month == 1
        else end_day.replace(month=end_day.month - 1)
    )
    start = to_utc(datetime.combine(start_day, datetime.min.time()), zone)
    end = to_utc(datetime.combine(end_day, datetime.min.time()), zone)
    return start, end, start_day


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
    since, until, first = last_month(planning.clock.now(), planning.schedule_zone(schedule))
    month = f"{first:%B %Y}"
    tally = counts(session, since, until)
    tid = team.id or 0
    blocks: list[Block] = [Heading(ctx.plain("recognition.heading", team=team.name, month=month))]
    if tally.received[tid] or tally.given[tid]:
        blocks.append(
            Text(
                ctx.md(
                    "recognition.summary",
                    team=team.name,
                    received=tally.received[tid],
                    people=tally.people_thanked[tid],
                    whole=tally.whole_team[tid],
                    given=tally.given[tid],
                    suggested=tally.suggested[tid],
                )
            )
        )
    else:
        blocks.append(Text(ctx.md("recognition.none", team=team.name, month=month)))
    active = set(tally.received) | set(tally.given)
    if active:
        names = {t.id: t.name for t in session.exec(select(Team))}
        rows = sorted(
            ((names[t], str(tally.given[t]), str(tally.received[t])) for t in active if t in names),
            key=lambda row: row[0].lower(),
        )
        blocks.append(Text(ctx.md("recognition.teams")))
        blocks.append(
            Table(
                tuple(ctx.plain("recognition.columns").split("|")),
                tuple(rows[:ROWS]),
                more=max(0, len(rows) - ROWS),
            )
        )
    blocks.append(Text(ctx.md("recognition.footer")))
    return ctx.message("recognition", blocks)


KIND = Kind(
    name="recognition",
    words=("recognition", "recognition-summary", "shoutout-summary"),
    reaches="channels",
    for_channel=for_channel,
)
