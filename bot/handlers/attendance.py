"""Handlers for attendance: who came to a group session or a case discussion.

After a session the champion taps the people who came, from the list of those who
said they would join ("I'll join"), or names anyone else by mention or email. A case
discussion counts too: it is the team's latest case post from that schedule, and the
case shown is recorded with it. Champions record their own team's people; every
record is audited.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot import attendance
from bot import commands as c
from bot.context import Ctx, Refused
from bot.markup import escape
from bot.mentions import mentioned_people, without_mentions
from bot.messages import Block, Button, Heading, Message, Text
from bot.models import OutboxMessage, Person, Schedule, SessionRsvp, Team
from bot.planning.kinds import case as case_kind
from bot.planning.kinds import session as session_kind
from bot.scopes import Scope, limit_to_own_team
from bot.store import person_by_email, team_of
from bot.templates import Markdown
from bot.timeparse import spoken, zone_or_none

#: People offered as buttons at once (the rest are named by mention).
BUTTONS = 20
_ALL = frozenset({"all", "everyone", "everybody", "all of them"})
_FILLER = frozenset({"and", "&", "+", "also"})
_SPLIT = re.compile(r"[\s,;]+")


def record_attendance(ctx: Ctx, cmd: c.RecordAttendance) -> list[Message]:
    """Who came to a session or case discussion: a list to tap, or the people named."""
    if cmd.schedule_id is None:
        return [ctx.say("attendance.usage")]
    schedule = ctx.session.get(Schedule, cmd.schedule_id)
    if schedule is None or schedule.kind not in ("session", "case"):
        return [ctx.say("attendance.not_session", id=cmd.schedule_id)]
    if schedule.status == "cancelled":
        return [ctx.say("rsvp.unknown")]
    own = None if ctx.actor.is_admin else limit_to_own_team(ctx, Scope()).team
    if own is not None and schedule.team_id is not None and schedule.team_id != own.id:
        raise Refused(ctx.say("champion.own_team_only", team=own.name))
    if schedule.kind == "session":
        return _session(ctx, cmd, schedule, own)
    return _case(ctx, cmd, schedule, own)


def _zone(ctx: Ctx, schedule: Schedule) -> ZoneInfo:
    named = zone_or_none(schedule.timezone) if schedule.timezone else None
    return named or ZoneInfo(ctx.content.initiative.defaults.timezone)


def _named(ctx: Ctx, cmd: c.RecordAttendance, invited: list[Person]) -> list[Person]:
    """The people ``who`` names: mentions, emails, or 'all' (everyone who said they'd join)."""
    people = mentioned_people(ctx, "attendance.unknown_person")
    words = without_mentions(ctx, cmd.who)
    if words.lower() in _ALL:
        if not invited:
            raise Refused(ctx.say("attendance.not_invited", id=cmd.schedule_id or 0))
        return invited
    for word in (w for w in _SPLIT.split(words) if w):
        if word.lower() in _FILLER:
            continue
        if word.lower() in _ALL:
            people += [p for p in invited if p not in people]
            continue
        person = person_by_email(ctx.session, word) if "@" in word else None
        if person is None:
            if "@" in word:
                raise Refused(ctx.say("attendance.unknown_person", name=word))
            raise Refused(ctx.say("attendance.unknown_words", id=cmd.schedule_id or 0, text=words))
        if person not in people:
            people.append(person)
    if not people:
        raise Refused(ctx.say("attendance.unknown_words", id=cmd.schedule_id or 0, text=cmd.who))
    for person in people:
        limit_to_own_team(ctx, Scope(person=person))
    return people


def _invited(ctx: Ctx, schedule: Schedule, own: Team | None) -> list[Person]:
    """Who said they'd join a session (a champion sees their own team's), by name."""
    query = (
        select(Person)
        .join(SessionRsvp, col(SessionRsvp.person_id) == col(Person.id))
        .where(SessionRsvp.schedule_id == schedule.id)
    )
    if own is not None:
        query = query.where(Person.team_id == own.id)
    return list(ctx.session.exec(query.order_by(col(Person.name))))


def _session(
    ctx: Ctx, cmd: c.RecordAttendance, schedule: Schedule, own: Team | None
) -> list[Message]:
    params = json.loads(schedule.params or "{}")
    at = session_kind.starts_at(schedule, params, _zone(ctx, schedule))
    if at is None:
        return [ctx.say("attendance.not_session", id=schedule.id or 0)]
    title = str(params.get("title", ""))
    when = spoken(at.astimezone(ctx.zone))
    if ctx.now() < at:
        return [ctx.say("attendance.not_yet", title=title, when=when)]
    occurrence = str(params["at"])
    invited = _invited(ctx, schedule, own)
    if not cmd.who:
        return [_pick(ctx, schedule, occurrence, title, when, invited, "attendance.pick")]
    people = _named(ctx, cmd, invited)
    return [_record(ctx, schedule, occurrence, people, at, title, when)]


def _latest_case(ctx: Ctx, schedule: Schedule, team: Team) -> tuple[str, datetime] | None:
    """The team's latest case post from this schedule that is due: (occurrence, when)."""
    found = ctx.session.exec(
        select(OutboxMessage.occurrence, OutboxMessage.due_at)
        .where(
            OutboxMessage.schedule_id == schedule.id,
            OutboxMessage.team_id == team.id,
            OutboxMessage.kind == "case",
            col(OutboxMessage.status).in_(("pending", "sending", "sent")),
            col(OutboxMessage.due_at) <= ctx.now(),
        )
        .order_by(col(OutboxMessage.due_at).desc(), col(OutboxMessage.id).desc())
    ).first()
    return (found[0], found[1]) if found is not None else None


def _case(ctx: Ctx, cmd: c.RecordAttendance, schedule: Schedule, own: Team | None) -> list[Message]:
    if not cmd.who:
        team = own or team_of(ctx.session, schedule.team_id)
        if team is None:
            return [ctx.say("attendance.usage")]
        held = _latest_case(ctx, schedule, team)
        if held is None:
            return [ctx.say("attendance.no_case_yet", id=schedule.id or 0, team=team.name)]
        title, when, _ = _case_words(ctx, team, *held)
        members = list(
            ctx.session.exec(
                select(Person).where(Person.team_id == team.id).order_by(col(Person.name))
            )
        )
        return [_pick(ctx, schedule, held[0], title, when, members, "attendance.team_case", team)]
    people = _named(ctx, cmd, [])
    by_team: dict[int, list[Person]] = {}
    for person in people:
        by_team.setdefault(person.team_id or 0, []).append(person)
    answers: list[Message] = []
    for team_id, group in by_team.items():
        team = team_of(ctx.session, team_id)
        held = _latest_case(ctx, schedule, team) if team is not None else None
        if team is None or held is None:
            name = team.name if team is not None else group[0].name
            answers.append(ctx.say("attendance.no_case_yet", id=schedule.id or 0, team=name))
            continue
        title, when, case_id = _case_words(ctx, team, *held)
        answers.append(
            _record(ctx, schedule, held[0], group, held[1], title, when, case_id=case_id)
        )
    return answers


def _case_words(ctx: Ctx, team: Team, occurrence: str, at: datetime) -> tuple[str, str, str]:
    """(title, when, case id) of the case a team was shown at an occurrence."""
    shown = case_kind.shown(ctx.content, ctx.session, team.id or 0, occurrence)
    title = ctx.plain("attendance.case_title", title=shown.title if shown else "-")
    return title, spoken(at.astimezone(ctx.zone)), shown.id if shown else ""


def _pick(
    ctx: Ctx,
    schedule: Schedule,
    occurrence: str,
    title: str,
    when: str,
    offered: list[Person],
    hint: str,
    team: Team | None = None,
) -> Message:
    """The one-tap list: a button for each person not yet recorded, and 'All of them'."""
    sid = schedule.id or 0
    done = attendance.recorded_at(ctx.session, sid, occurrence)
    left = [p for p in offered if p.id not in done]
    blocks: list[Block] = [Heading(ctx.plain("attendance.heading", title=title, when=when))]
    if not offered:
        blocks.append(Text(ctx.md("attendance.nobody_signed", id=sid)))
    else:
        blocks.append(Text(ctx.md(hint, id=sid, team=team.name if team else "")))
    recorded = [p.name for p in offered if p.id in done]
    if recorded:
        names = Markdown(", ".join(escape(n) for n in recorded))
        blocks.append(Text(ctx.md("attendance.recorded_list", names=names)))
    buttons: list[Button] = [
        ctx.button("button.attendance_person", f"attendance {sid} {p.email}", name=p.name)
        for p in left[:BUTTONS]
    ]
    if len(left) > 1 and team is None:
        buttons.append(
            ctx.button("button.attendance_all", f"attendance {sid} all", "primary", count=len(left))
        )
    if buttons:
        blocks.append(ctx.actions(*buttons))
    if len(left) > BUTTONS:
        blocks.append(Text(ctx.md("report.more", count=len(left) - BUTTONS)))
    return ctx.message("attendance.pick", blocks)


def _record(
    ctx: Ctx,
    schedule: Schedule,
    occurrence: str,
    people: list[Person],
    held_at: datetime,
    title: str,
    when: str,
    case_id: str = "",
) -> Message:
    new, already = attendance.record(
        ctx.session,
        schedule_id=schedule.id or 0,
        occurrence=occurrence,
        person_ids=[p.id or 0 for p in people],
        held_at=held_at,
        recorded_by=ctx.actor.label,
        now=ctx.now(),
        case_id=case_id,
    )
    names = {p.id: p.name for p in people}
    if new:
        ctx.audit(
            "attendance",
            f"#{schedule.id} {occurrence}" + (f" case:{case_id}" if case_id else ""),
            ", ".join(p.email for p in people if p.id in new),
        )
    parts: list[Block] = []
    if new:
        listed = Markdown(", ".join(escape(names[p]) for p in new))
        parts.append(
            Text(ctx.md("attendance.done", count=len(new), title=title, when=when, names=listed))
        )
    if already:
        listed = Markdown(", ".join(escape(names[p]) for p in already))
        parts.append(Text(ctx.md("attendance.already", names=listed)))
    return ctx.message("attendance.done", parts)
