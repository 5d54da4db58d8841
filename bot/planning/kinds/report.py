"""The report posted to a channel on a schedule, for committees and leaders:
``nudge schedule report to channel:leaders first monday of the month 09:00``.

Each occurrence posts the report's summary (``bot.report_chat``) with its three charts,
and the Excel file and the printed PDF attached. The period is the one before the post by
default (``last month``), or what the schedule says (``period last quarter``), read on the
day of the occurrence in the organisation's zone. An admin's schedule reports on the whole
organisation; a champion's on their own team. Who is stuck is never in a post: names of
people behind belong to their champion alone.

The report is built once an occurrence and shared by every channel it is posted to (kept
in the session for the pass); its files are kept once too (``bot.store.keep_file``, for
30 days), so the buttons and the platforms fetch the same bytes. The outbox key
(schedule, occurrence, channel) makes each post once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import report_chat, report_files, reports
from bot.messages import Attachment, Message
from bot.models import Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.store import keep_file

#: The period a post reports on unless its schedule names one.
DEFAULT_PERIOD = "last month"
#: The files attached to each post, when their writer is registered.
FILES = ("xlsx", "pdf")
#: Where a planning pass keeps what it has built (Session.info).
_CACHE = "huddle.report_posts"


def _built(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    occurrence: str,
) -> Message:
    cache: dict[tuple[int, str], Message] = session.info.setdefault(_CACHE, {})
    key = (schedule.id or 0, occurrence)
    if key in cache:
        return cache[key]
    ctx = planning.ctx(session, None)
    zone = planning.schedule_zone(schedule)
    try:
        on = datetime.fromisoformat(occurrence).astimezone(zone).date()
    except ValueError:  # "now-…": sent by hand
        on = ctx.today()
    words = str(params.get("period") or DEFAULT_PERIOD)
    period = reports.parse_period(words, on)
    team = session.get(Team, schedule.team_id) if schedule.team_id is not None else None
    report = reports.latest(
        session,
        planning.content,
        team_ids=[team.id or 0] if team is not None else None,
        period=period,
        now=planning.clock.now(),
    )
    again = period.label + (f" team:{team.key}" if team is not None else "")
    files: list[Attachment] = []
    for fmt in FILES:
        writer = report_files.FORMATS.get(fmt)
        if writer is None:
            continue
        data = writer.write(report)
        name = report_files.file_name(report, fmt)
        file_id = keep_file(
            session,
            name=name,
            data=data,
            owner=f"schedule #{schedule.id}",
            now=planning.clock.now(),
            media_type=writer.media_type,
        )
        files.append(
            Attachment(
                file_id,
                name,
                len(data),
                media_type=writer.media_type,
                again=f"report {fmt} {again}",
            )
        )
    message = report_chat.summary_message(
        ctx, report, again, charts=report_files.CHARTS, files=files, kind="report"
    )
    cache[key] = message
    return message


def for_channel(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    team: Team,
    platform: str,
    occurrence: str,
) -> Message | None:
    return _built(planning, session, schedule, params, occurrence)


KIND = Kind(
    name="report",
    words=("report", "reports", "monthly-report"),
    reaches="channels",
    for_channel=for_channel,
)
