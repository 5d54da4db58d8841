"""Handlers for scheduled messages: schedule, list, preview, pause, resume, cancel, send,
history, and the "I'll join" of a group session.

Admins schedule for anyone; champions for their own team only (their
schedules carry the team, and the planner never reaches beyond it). Every
change is audited. Every input error answers with a correct example.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select, update

from bot import audience as aud
from bot import commands as c
from bot import schedule_language as language
from bot import scheduling
from bot.context import Ctx
from bot.db import insert_ignore
from bot.markup import escape
from bot.messages import Actions, Block, Choice, Form, FormField, Heading, Message, Table, Text
from bot.models import DeliveryIssue, OutboxMessage, Person, Schedule, SessionRsvp, Team
from bot.planning import KINDS, Planner
from bot.planning.kinds import session as session_kind
from bot.recurrence import (
    RecurrenceError,
    before_meeting,
    next_instants,
    parse_when,
)
from bot.store import team_of
from bot.templates import Markdown

PREVIEW_PLATFORMS = ("slack", "teams", "fake", "console")


def nudge_new(ctx: Ctx, cmd: c.NudgeNew) -> list[Message]:
    """A short form; submitting it types the one-line command."""
    kinds = tuple(Choice(scheduling.kind_name(ctx, k), k.replace("_", "-")) for k in KINDS)
    form = Form(
        title=ctx.plain("nudge.form_title"),
        fields=(
            FormField("kind", ctx.plain("nudge.form_kind"), kinds),
            FormField("audience", ctx.plain("nudge.form_audience"), placeholder="team:icu"),
            FormField("when", ctx.plain("nudge.form_when"), placeholder="every monday 09:00"),
            FormField("text", ctx.plain("nudge.form_text"), optional=True, multiline=True),
        ),
        command="nudge schedule {kind} to {audience} {when} say {text}",
        submit=ctx.plain("nudge.form_submit"),
        example=ctx.plain("nudge.form_example"),
    )
    return [
        ctx.message(
            "nudge.form",
            [Heading(form.title), form, Text(ctx.md("nudge.form_example"))],
            form.title,
        )
    ]


def nudge_schedule(ctx: Ctx, cmd: c.NudgeSchedule) -> list[Message]:
    """Create a schedule from the one-line form."""
    if not cmd.text.strip():
        return [ctx.say("nudge.usage")]
    words, insist = language.insisted(cmd.text)
    if not words:
        return [ctx.say("nudge.usage")]
    own = scheduling.own_team(ctx)
    # A champion's schedule is for their own team, which is also what saying no one means.
    plan = language.read(ctx, words, f"team:{own.key}" if own else "everyone")
    when = language.check_when(ctx, plan.when, plan.kind)
    scheduling.check_reach(ctx, plan, own)
    params = language.read_params(ctx, plan)
    twin = scheduling.same_schedule(ctx, plan, when, params, own)
    if twin is not None and not insist:
        return [
            ctx.say(
                "nudge.duplicate",
                ctx.actions(
                    ctx.button(
                        "button.schedule_anyway", f"nudge schedule {language.INSIST} {words}"
                    )
                ),
                id=twin.id or 0,
                status=twin.status,
            )
        ]
    now = ctx.now()
    schedule = Schedule(
        kind=plan.kind,
        audience=plan.audience.text,
        when=when,
        timezone=plan.timezone,
        params=json.dumps(params),
        team_id=own.id if own else None,
        created_by=ctx.actor.label,
        created_at=now,
        updated_at=now,
        starts_at=now,
        planned_until=now,
        workspace=ctx.incoming.workspace if ctx.incoming else "",
    )
    ctx.session.add(schedule)
    ctx.session.flush()
    ctx.audit(
        "nudge.schedule",
        f"#{schedule.id}",
        json.dumps(
            {
                "kind": plan.kind,
                "audience": plan.audience.text,
                "when": when,
                "timezone": plan.timezone,
            }
        ),
    )
    audience_text = plan.audience.text + (f" ({own.name})" if own else "")
    when_text = when + (f" ({plan.timezone})" if plan.timezone else "")
    return [
        ctx.say(
            "nudge.created",
            id=schedule.id or 0,
            kind=scheduling.kind_name(ctx, plan.kind),
            audience=audience_text,
            when=when_text,
            next=scheduling.next_text(ctx, schedule),
        ),
        *_meeting_hint(ctx, schedule),
    ]


def _meeting_hint(ctx: Ctx, schedule: Schedule) -> list[Message]:
    """For a prompt timed before meetings: which of its teams have no meeting set."""
    if before_meeting(schedule.when) is None:
        return []
    audience = aud.parse_audience(schedule.audience, set(ctx.content.pathways))
    missing = sorted(
        {
            team.name
            for link in aud.channels(ctx.session, audience)
            if (team := ctx.session.get(Team, link.team_id)) is not None and not team.meeting
        }
    )
    return [ctx.say("nudge.meeting_missing", teams=", ".join(missing))] if missing else []


#: Schedules with a pause or resume button in the list.
MAX_TAPS = 10


def nudge_list(ctx: Ctx, cmd: c.NudgeList) -> list[Message]:
    """The schedules (a champion sees their own team's)."""
    schedules = list(ctx.session.exec(scheduling.visible(ctx).order_by(col(Schedule.id))))
    if not schedules:
        return [ctx.say("nudge.none")]
    rows = tuple(
        (
            f"#{s.id}",
            scheduling.kind_name(ctx, s.kind),
            s.audience,
            s.when,
            s.status,
            scheduling.next_text(ctx, s) if s.status == "active" else "-",
            s.created_by.split("@")[0],
        )
        for s in schedules
    )
    columns = tuple(ctx.plain("nudge.list_columns").split("|"))
    # Pause or resume in one tap, for the first few that can be (the chat's row of buttons
    # and the dashboard's both; every other one by its words).
    taps = [
        ctx.button("button.nudge_pause", f"nudge pause {s.id}", number=s.id or 0)
        if s.status == "active"
        else ctx.button("button.nudge_resume", f"nudge resume {s.id}", number=s.id or 0)
        for s in schedules
        if s.status in ("active", "paused")
    ][:MAX_TAPS]
    blocks: list[Block] = [
        Heading(ctx.plain("nudge.list_heading", count=len(rows))),
        Table(columns, rows[:40], more=max(0, len(rows) - 40)),
    ]
    if taps:
        blocks.append(ctx.actions(*taps))
    # What each has sent, and what it could not (`nudge history`), for the first few.
    history = [
        ctx.button("button.nudge_history", f"nudge history {s.id}", number=s.id or 0)
        for s in schedules
    ][:MAX_TAPS]
    blocks.append(ctx.actions(*history))
    blocks.append(Text(ctx.md("nudge.list_problems")))
    return [ctx.message("nudge.list", blocks)]


#: How far back delivery problems are shown, and how many of each kind at once.
PROBLEM_DAYS = 30
PROBLEMS_SHOWN = 20


def nudge_problems(ctx: Ctx, cmd: c.NudgeProblems) -> list[Message]:
    """What could not be delivered lately: scheduled messages that failed (by schedule and
    reason) and messages a platform refused. A champion's: their own team's."""
    since = ctx.now() - timedelta(days=PROBLEM_DAYS)
    own = scheduling.own_team(ctx)
    failed = select(
        OutboxMessage.schedule_id,
        OutboxMessage.last_error,
        func.count(),
        func.max(OutboxMessage.updated_at),
    ).where(col(OutboxMessage.status) == "failed", col(OutboxMessage.updated_at) >= since)
    if own is not None:  # the team's schedules, and what else was written for the team
        visible = scheduling.visible(ctx).with_only_columns(col(Schedule.id))
        failed = failed.where(
            col(OutboxMessage.schedule_id).in_(visible.scalar_subquery())
            | (col(OutboxMessage.schedule_id).is_(None) & (col(OutboxMessage.team_id) == own.id))
        )
    groups = ctx.session.exec(
        failed.group_by(col(OutboxMessage.schedule_id), col(OutboxMessage.last_error)).order_by(
            func.max(OutboxMessage.updated_at).desc()
        )
    ).all()
    issues = select(DeliveryIssue).where(col(DeliveryIssue.at) >= since)
    if own is not None:
        issues = issues.join(Person, col(Person.id) == col(DeliveryIssue.person_id)).where(
            Person.team_id == own.id
        )
    refused_count = int(ctx.session.exec(select(func.count()).select_from(issues.subquery())).one())
    if not groups and not refused_count:
        return [ctx.say("nudge.problems_none", days=PROBLEM_DAYS)]
    blocks: list[Block] = [Heading(ctx.plain("nudge.problems_heading", days=PROBLEM_DAYS))]
    if groups:
        rows = tuple(
            (
                f"#{sid}" if sid is not None else "-",
                (error or "-")[:160],
                str(count),
                f"{last.astimezone(ctx.zone):%a %d %b %H:%M}",
            )
            for sid, error, count, last in groups[:PROBLEMS_SHOWN]
        )
        blocks += [
            Text(ctx.md("nudge.problems_failed", count=sum(n for _, _, n, _ in groups))),
            Table(
                tuple(ctx.plain("nudge.problems_failed_columns").split("|")),
                rows,
                more=max(0, len(groups) - PROBLEMS_SHOWN),
            ),
        ]
    if refused_count:
        recent = ctx.session.exec(
            issues.order_by(col(DeliveryIssue.at).desc(), col(DeliveryIssue.id).desc()).limit(
                PROBLEMS_SHOWN
            )
        ).all()
        names = {
            p.id: p.name
            for p in ctx.session.exec(
                select(Person).where(
                    col(Person.id).in_({i.person_id for i in recent if i.person_id is not None})
                )
            )
        }
        rows = tuple(
            (
                f"{i.at.astimezone(ctx.zone):%a %d %b %H:%M}",
                i.platform,
                names.get(i.person_id, i.target) if i.person_id is not None else i.target,
                ctx.plain(f"delivery.reason.{i.error}")
                if f"delivery.reason.{i.error}" in ctx.templates
                else i.error,
            )
            for i in recent
        )
        blocks += [
            Text(ctx.md("nudge.problems_refused", count=refused_count)),
            Table(
                tuple(ctx.plain("nudge.problems_refused_columns").split("|")),
                rows,
                more=max(0, refused_count - len(rows)),
            ),
        ]
    return [ctx.message("nudge.problems", blocks)]


#: How long a paused schedule's queued messages are held (until it is resumed).
HELD = timedelta(days=3650)
PAUSED = "schedule paused"


def nudge_action(ctx: Ctx, cmd: c.NudgeAction) -> list[Message]:
    """preview / pause / resume / cancel / send now / history of one schedule."""
    schedule = scheduling.schedule_for(ctx, cmd.schedule_id)
    sid = schedule.id or 0
    now = ctx.now()
    if cmd.action == "preview":
        return _preview(ctx, schedule)
    if cmd.action == "history":
        return _history(ctx, schedule)
    if (
        schedule.status in ("cancelled", "done")
        or (cmd.action == "pause" and schedule.status == "paused")
        or (cmd.action == "resume" and schedule.status == "active")
    ):
        return [ctx.say("nudge.status_is", id=sid, status=schedule.status)]
    if cmd.action == "pause":
        schedule.status = "paused"
        # Messages already queued (e.g. waiting for someone's quiet hours) wait too.
        ctx.session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.schedule_id) == sid, col(OutboxMessage.status) == "pending")
            .values(next_attempt_at=now + HELD, last_error=PAUSED, updated_at=now)
        )
        reply = ctx.say("nudge.paused", id=sid)
    elif cmd.action == "resume":
        # Occurrences during the pause are not replayed; what was queued goes out now
        # (each still kept out of its person's quiet hours when it is sent).
        schedule.status, schedule.starts_at, schedule.planned_until = "active", now, now
        ctx.session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.schedule_id) == sid,
                col(OutboxMessage.status) == "pending",
                col(OutboxMessage.last_error) == PAUSED,
            )
            .values(next_attempt_at=now, last_error="", updated_at=now)
        )
        reply = ctx.say("nudge.resumed", id=sid, next=scheduling.next_text(ctx, schedule))
    elif cmd.action == "cancel":
        schedule.status = "cancelled"
        ctx.session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.schedule_id) == sid, col(OutboxMessage.status) == "pending")
            .values(status="skipped", last_error="schedule cancelled", updated_at=now)
        )
        reply = ctx.say("nudge.cancelled", id=sid)
    else:  # send now
        planner = Planner(ctx.content, ctx.templates, ctx.clock, PREVIEW_PLATFORMS)
        written, _ = planner.plan_schedule(ctx.session, schedule, now, send_now=True)
        held = ctx.session.exec(
            select(OutboxMessage).where(
                OutboxMessage.schedule_id == sid,
                col(OutboxMessage.status) == "pending",
                col(OutboxMessage.due_at) > now,
                col(OutboxMessage.occurrence).startswith("now-"),
            )
        ).all()
        reply = ctx.say("nudge.sent_now", id=sid, count=written, held=len(held))
    schedule.updated_at = now
    ctx.session.add(schedule)
    ctx.audit(f"nudge.{cmd.action}", f"#{sid}")
    return [reply]


def _preview(ctx: Ctx, schedule: Schedule) -> list[Message]:
    """Who would get what: a count by team, three samples, and the next three times."""
    planner = Planner(ctx.content, ctx.templates, ctx.clock, PREVIEW_PLATFORMS)
    audience = aud.parse_audience(schedule.audience, set(ctx.content.pathways))
    if schedule.team_id is not None:
        team = ctx.session.get(Team, schedule.team_id)
        audience = aud.Audience(**{**audience.__dict__, "teams": (team.key,) if team else ()})
    now = ctx.now()
    blocks: list[Block] = [
        Heading(
            ctx.plain(
                "nudge.preview_heading",
                id=schedule.id or 0,
                kind=scheduling.kind_name(ctx, schedule.kind),
                audience=schedule.audience,
                when=schedule.when,
            )
        )
    ]
    samples: list[tuple[str, Message]] = []
    zones: dict[str, Any] = {}
    params = json.loads(schedule.params or "{}")
    if KINDS[schedule.kind] == "channels" or audience.to_channels:
        links = aud.channels(ctx.session, audience)
        names = Counter(
            (team_of(ctx.session, link.team_id) or Team(key="-", name="-", created_at=now)).name
            for link in links
        )
        blocks.append(
            Text(
                ctx.md(
                    "nudge.preview_counts",
                    count=len(links),
                    teams=", ".join(f"{name} {n}" for name, n in names.items()) or "-",
                )
            )
        )
        for link in links[:3]:
            message = planner.for_channel(
                ctx.session,
                schedule,
                params,
                team_of(ctx.session, link.team_id),
                link.platform,
                "preview",
            )
            if message is not None:
                samples.append((link.channel_id, message))
        zones[planner.schedule_zone(schedule).key] = planner.schedule_zone(schedule)
    else:
        persons = aud.people(ctx.session, audience, now)
        counts = aud.count_by_team(ctx.session, persons)
        blocks.append(
            Text(
                ctx.md(
                    "nudge.preview_counts",
                    count=len(persons),
                    teams=", ".join(f"{name} {n}" for name, n in counts) or "-",
                )
            )
        )
        states = planner.load(ctx.session, persons[:60])
        for person in persons[:60]:
            zone = planner.zones_of(schedule, [person])
            for z in zone:
                zones.setdefault(z.key, z)
            if len(samples) < 3:
                data = planner.for_person(ctx.session, schedule, params, states[person.id or 0], {})
                if data is not None:
                    samples.append((person.name, Message.from_json(data)))
    try:
        recurrence = parse_when(schedule.when, ctx.today())
        items = []
        for key, zone in list(zones.items())[:3]:
            times = next_instants(recurrence, zone, max(now, schedule.starts_at), 3)
            items.append(
                f"- {key}: "
                + "; ".join(scheduling.spoken(t.astimezone(zone)).rsplit(" (", 1)[0] for t in times)
            )
        if items:
            blocks.append(Text(ctx.md("nudge.preview_times", items=Markdown("\n".join(items)))))
    except RecurrenceError:
        pass
    messages = [ctx.message("nudge.preview", blocks)]
    if not samples:
        messages.append(ctx.say("nudge.preview_none"))
    for number, (name, sample) in enumerate(samples, start=1):
        messages.append(ctx.say("nudge.preview_sample", number=number, name=name))
        messages.append(_inert(ctx, sample))
    return messages


def _inert(ctx: Ctx, sample: Message) -> Message:
    """A sample as its recipient would see it, but with no buttons to press: pressed by
    whoever asked for the preview, they would act for the wrong person."""
    blocks: list[Block] = []
    for block in sample.blocks:
        if isinstance(block, Actions):
            labels = " · ".join(escape(b.label) for b in block.buttons)
            blocks.append(Text(ctx.md("preview.buttons", labels=Markdown(labels))))
        elif not isinstance(block, Form):
            blocks.append(block)
    return Message(tuple(blocks), sample.summary, sample.kind)


def _history(ctx: Ctx, schedule: Schedule) -> list[Message]:
    """Sent, waiting, failed (with reasons) and skipped messages of one schedule."""
    rows = ctx.session.exec(
        select(OutboxMessage.status, OutboxMessage.last_error).where(
            OutboxMessage.schedule_id == schedule.id
        )
    ).all()
    if not rows:
        return [ctx.say("nudge.history_empty", id=schedule.id or 0)]
    counts = Counter(status for status, _ in rows)
    blocks: list[Block] = [
        Heading(ctx.plain("nudge.history_heading", id=schedule.id or 0)),
        Text(
            ctx.md(
                "nudge.history_counts",
                sent=counts["sent"],
                pending=counts["pending"] + counts["sending"],
                failed=counts["failed"],
                skipped=counts["skipped"],
            )
        ),
    ]
    reasons = Counter(error for status, error in rows if status in ("failed", "skipped") and error)
    if reasons:
        items = Markdown(
            "\n".join(f"- {n} × " + privacy_safe(reason) for reason, n in reasons.most_common(6))
        )
        blocks.append(Text(ctx.md("nudge.history_reasons", items=items)))
    return [ctx.message("nudge.history", blocks)]


def privacy_safe(text: str) -> str:
    return escape(text[:160])


def rsvp(ctx: Ctx, cmd: c.Rsvp) -> list[Message]:
    """'I'll join' a group session: remembered, and reminded an hour before."""
    person = ctx.actor.person
    assert person is not None
    schedule = ctx.session.get(Schedule, cmd.schedule_id)
    if schedule is None or schedule.kind != "session" or schedule.status == "cancelled":
        return [ctx.say("rsvp.unknown")]
    params = json.loads(schedule.params or "{}")
    added = insert_ignore(
        ctx.session,
        SessionRsvp,
        [{"schedule_id": schedule.id, "person_id": person.id, "created_at": ctx.now()}],
    )
    if not added:
        return [ctx.say("rsvp.already", title=params.get("title", ""))]
    planner = Planner(ctx.content, ctx.templates, ctx.clock, ())
    at = session_kind.starts_at(schedule, params, planner.schedule_zone(schedule))
    when = scheduling.spoken(at.astimezone(ctx.zone)) if at else params.get("at", "")
    return [ctx.say("rsvp.done", title=params.get("title", ""), when=when)]
