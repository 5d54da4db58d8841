"""Handlers for conversation basics and a person's own settings."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import col

from bot import commands as c
from bot import views
from bot.compose import bullets, first_name, me, setup_blocks
from bot.context import Ctx
from bot.dates import read_date
from bot.messages import Block, Button, Heading, Message, Text
from bot.models import OutboxMessage
from bot.parser import normalize, suggest
from bot.recurrence import to_utc
from bot.store import champions_of
from bot.templates import Markdown
from bot.timeparse import (
    find_zone,
    format_date,
    format_quiet_hours,
    parse_clock,
    parse_quiet_hours,
)

YES = {"yes", "y", "on", "true", "sure", "ok", "please", "yes please", "1"}
NO = {"no", "n", "off", "false", "nope", "no thanks", "0"}
PAUSE_LIMIT_DAYS = 366


def help_(ctx: Ctx, cmd: c.Help) -> list[Message]:
    """What a person can say, by the roles they hold."""
    actor = ctx.actor
    sections = ["help.clinician"]
    if actor.has("champion") or actor.is_admin:
        sections.append("help.champion")
    if actor.has("senior_leader") or actor.has("champion") or actor.is_admin:
        sections.append("help.reporter")
    if actor.is_admin:
        sections.append("help.admin")
    wanted = {
        "admin": "help.admin",
        "champion": "help.champion",
        "report": "help.reporter",
        "reports": "help.reporter",
    }.get(cmd.topic.split(" ")[0] if cmd.topic else "")
    if wanted in sections:
        sections = [wanted]
    blocks: list[Block] = [
        Heading(ctx.plain("help.heading", initiative=ctx.content.initiative.name))
    ]
    blocks += [Text(ctx.md(key)) for key in sections]
    blocks.append(
        ctx.actions(
            ctx.button("button.next", "next", "primary"),
            ctx.button("button.show_progress", "progress"),
            ctx.button("button.pathways", "pathways"),
            ctx.button("button.settings", "settings"),
        )
    )
    return [ctx.message("help", blocks)]


def hello(ctx: Ctx, cmd: c.Hello) -> list[Message]:
    """A greeting with the few things worth saying first, setup steps until confirmed."""
    person = me(ctx)
    blocks: list[Block] = []
    buttons = [ctx.button("button.next", "next", "primary")]
    if person.account_confirmed_at is None:
        blocks += setup_blocks(ctx)
        buttons.append(ctx.button("button.account_created", "I've created my account"))
    buttons.append(ctx.button("button.pathways", "pathways"))
    return [
        ctx.say(
            "hello",
            *blocks,
            ctx.actions(*buttons),
            name=first_name(person),
            initiative=ctx.content.initiative.name,
        )
    ]


def thanks(ctx: Ctx, cmd: c.Thanks) -> list[Message]:
    """A short acknowledgement."""
    return [ctx.say("thanks")]


def about(ctx: Ctx, cmd: c.About) -> list[Message]:
    """What the initiative is for, and why each topic matters for this person's role."""
    init = ctx.content.initiative
    discipline = ctx.actor.person.discipline if ctx.actor.person else "other"
    topics = Markdown(
        "\n".join(
            "- " + ctx.md("about.topic_item", topic=t.title, why=t.why.for_discipline(discipline))
            for t in init.topics.values()
        )
    )
    blocks: list[Block] = [
        Heading(ctx.plain("about.heading", initiative=init.name)),
        Text(ctx.md("about.purpose", purpose=init.purpose)),
        Text(ctx.md("about.priorities", items=bullets(init.priorities))),
        Text(ctx.md("about.changes", items=bullets(init.practice_changes))),
        Text(ctx.md("about.topics", items=topics)),
        ctx.actions(
            ctx.button("button.next", "next", "primary"), ctx.button("button.pathways", "pathways")
        ),
    ]
    return [ctx.message("about", blocks, init.name)]


def unknown(ctx: Ctx, cmd: c.Unknown) -> list[Message]:
    """Say what was not understood, suggest a close command, and offer help."""
    shown = cmd.text if len(cmd.text) <= 200 else cmd.text[:200] + "…"
    blocks: list[Block] = []
    buttons: list[Button] = []
    suggestion = cmd.suggestion or suggest(normalize(cmd.text.split("\n", 1)[0]))
    if suggestion:
        blocks.append(Text(ctx.md("did_you_mean", suggestion=suggestion)))
        buttons.append(Button(suggestion, suggestion, "primary"))
    buttons += [ctx.button("button.next", "next"), Button("help", "help")]
    return [ctx.say("not_understood", *blocks, ctx.actions(*buttons), text=shown)]


# --- settings ------------------------------------------------------------------------------


def show_settings(ctx: Ctx, cmd: c.ShowSettings) -> list[Message]:
    """All of a person's settings, and how to change them."""
    return views.settings(ctx)


def pause(ctx: Ctx, cmd: c.Pause) -> list[Message]:
    """Pause nudges until a date (leave, nights); the plan itself is kept."""
    person = me(ctx)
    today = ctx.today()
    example = format_date(today + timedelta(days=14))
    if not cmd.until:
        return [ctx.say("pause.ask", example=example)]
    until = read_date(
        ctx,
        cmd.until,
        ending=True,
        again=lambda day: f"pause until {day.isoformat()}",
        hint=Text(ctx.md("pause.ask", example=example)),
    )
    if until <= today:
        return [ctx.say("pause.past", date=format_date(until))]
    if until > today + timedelta(days=PAUSE_LIMIT_DAYS):
        return [ctx.say("pause.too_far", date=format_date(until))]
    person.paused_until = until
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [
        ctx.say(
            "pause.done",
            ctx.actions(ctx.button("button.resume", "resume")),
            date=format_date(until),
        )
    ]


def resume(ctx: Ctx, cmd: c.Resume) -> list[Message]:
    """Lift a pause now."""
    person = me(ctx)
    stopped = person.stopped_at is not None
    person.stopped_at = None
    if person.paused_until is None or person.paused_until <= ctx.today():
        person.paused_until = None
        ctx.session.add(person)
        if stopped:
            return [
                ctx.say("resume.done", ctx.actions(ctx.button("button.next", "next", "primary")))
            ]
        return [ctx.say("resume.not_paused")]
    # Messages held for the end of the pause may go now (quiet hours still apply when sent).
    zone = ctx.zone
    held_from = to_utc(datetime.combine(person.paused_until, time(0)), zone)
    ctx.session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.person_id) == person.id,
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.next_attempt_at) >= held_from,
            col(OutboxMessage.next_attempt_at) < held_from + timedelta(days=1),
        )
        .values(next_attempt_at=ctx.now(), updated_at=ctx.now())
    )
    person.paused_until = None
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [ctx.say("resume.done", ctx.actions(ctx.button("button.next", "next", "primary")))]


def set_timezone(ctx: Ctx, cmd: c.SetTimezone) -> list[Message]:
    """Show or set the person's time zone (IANA names, cities and common abbreviations)."""
    person = me(ctx)
    if not cmd.zone:
        zone = ctx.zone
        return [
            ctx.say(
                "timezone.show", zone=zone.key, local_time=f"{ctx.now().astimezone(zone):%H:%M}"
            )
        ]
    name, suggestions = find_zone(cmd.zone)
    if name is None:
        extra: list[Block] = []
        if suggestions:
            extra.append(Text(ctx.md("timezone.suggest", zones=", ".join(suggestions))))
            extra.append(ctx.actions(*(Button(z, f"timezone {z}") for z in suggestions)))
        return [ctx.say("timezone.unknown", *extra, text=cmd.zone)]
    person.timezone = name
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [
        ctx.say(
            "timezone.set",
            zone=name,
            local_time=f"{ctx.now().astimezone(ctx.zone_for(person)):%H:%M}",
        )
    ]


def set_quiet_hours(ctx: Ctx, cmd: c.SetQuietHours) -> list[Message]:
    """Show or set the hours when no nudge may arrive."""
    person = me(ctx)
    default = ctx.content.initiative.defaults.quiet_hours
    text = cmd.hours.strip().lower()
    if not text:
        shown = person.quiet_hours or ctx.plain("value.default", value=default)
        if person.quiet_hours == "off":
            shown = ctx.plain("value.off")
        return [ctx.say("quiet.show", hours=shown)]
    if text in ("off", "none", "no"):
        person.quiet_hours = "off"
        ctx.session.add(person)
        return [ctx.say("quiet.off")]
    if text in ("default", "reset"):
        person.quiet_hours = None
        ctx.session.add(person)
        return [ctx.say("quiet.default", hours=default)]
    span = parse_quiet_hours(text)
    if span is None:
        return [ctx.say("quiet.bad", text=cmd.hours)]
    person.quiet_hours = format_quiet_hours(span)
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [ctx.say("quiet.set", hours=person.quiet_hours)]


def set_celebrate(ctx: Ctx, cmd: c.SetCelebrate) -> list[Message]:
    """Whether the person's completions may be celebrated in their team channel."""
    person = me(ctx)
    answer = " ".join(cmd.answer.strip().lower().split())
    if not answer:
        current = person.celebrate_publicly
        if current is None:
            current = ctx.content.initiative.defaults.celebrate_publicly
        return [ctx.say("celebrate.show", answer=views.yes_no(ctx, current))]
    if answer in YES:
        person.celebrate_publicly = True
    elif answer in NO:
        person.celebrate_publicly = False
    else:
        return [ctx.say("celebrate.bad", text=cmd.answer)]
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [ctx.say("celebrate.yes" if person.celebrate_publicly else "celebrate.no")]


def set_weekends(ctx: Ctx, cmd: c.SetWeekends) -> list[Message]:
    """Whether reminders may arrive on Saturdays and Sundays."""
    person = ctx.actor.person
    assert person is not None
    answer = cmd.answer.lower().strip()
    if not answer:
        current = person.weekends_off
        if current is None:
            current = ctx.content.initiative.defaults.weekends_off
        return [ctx.say("weekends.show", answer=ctx.plain("value.no" if current else "value.yes"))]
    if answer in ("off", "no", "free", "never"):
        person.weekends_off = True
    elif answer in ("on", "yes", "ok", "fine"):
        person.weekends_off = False
    else:
        return [ctx.say("weekends.bad", text=cmd.answer)]
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [ctx.say("weekends.off" if person.weekends_off else "weekends.on")]


# --- stopping, shifts ----------------------------------------------------------------------


def never_mind(ctx: Ctx, cmd: c.NeverMind) -> list[Message]:
    """An offer declined: nothing changes."""
    return [ctx.say("never_mind")]


def _celebrating(ctx: Ctx) -> str:
    person = me(ctx)
    on = person.celebrate_publicly
    if on is None:
        on = ctx.content.initiative.defaults.celebrate_publicly
    return views.yes_no(ctx, on)


def stop(ctx: Ctx, cmd: c.Stop) -> list[Message]:
    """Always understood: the ways to stop, one tap each."""
    return [
        ctx.say(
            "stop.options",
            ctx.actions(
                ctx.button("button.pause_week", "pause for 1 week", "primary"),
                ctx.button("button.pause_until", "pause"),
                ctx.button("button.stop_all", "stop all", "danger"),
            ),
            celebrate=_celebrating(ctx),
        )
    ]


def stop_all(ctx: Ctx, cmd: c.StopAll) -> list[Message]:
    """No reminders or scheduled direct messages until 'resume'."""
    person = me(ctx)
    if person.stopped_at is None:
        person.stopped_at = ctx.now()
        person.updated_at = ctx.now()
        ctx.session.add(person)
    buttons = [ctx.button("button.resume", "resume")]
    if _celebrating(ctx) == ctx.plain("value.yes"):
        buttons.append(ctx.button("button.celebrate_no", "celebrate me: no"))
    return [ctx.say("stop.done", ctx.actions(*buttons), celebrate=_celebrating(ctx))]


SHIFT_LIMIT_DAYS = 120


def shift_nights(ctx: Ctx, cmd: c.ShiftNights) -> list[Message]:
    """On nights until a date: reminders wait for the waking day; back to normal after."""
    person = me(ctx)
    today = ctx.today()
    example = format_date(today + timedelta(days=7))
    if not cmd.until:
        return [ctx.say("shift.ask", example=example)]
    wake = None
    if cmd.wake:
        wake = parse_clock(cmd.wake)
        if wake is None:
            return [ctx.say("shift.bad_wake", text=cmd.wake)]
    until = read_date(
        ctx,
        cmd.until,
        ending=True,
        again=lambda day: (
            f"shift nights until {day.isoformat()}" + (f" wake {cmd.wake}" if cmd.wake else "")
        ),
        hint=Text(ctx.md("shift.ask", example=example)),
    )
    if until <= today:
        return [ctx.say("shift.past", date=format_date(until))]
    if until > today + timedelta(days=SHIFT_LIMIT_DAYS):
        return [ctx.say("shift.too_far", date=format_date(until))]
    person.shift_until = until
    if wake is not None:
        person.shift_wake = f"{wake:%H:%M}"
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [
        ctx.say(
            "shift.done",
            ctx.actions(ctx.button("button.shift_days", "shift days")),
            date=format_date(until),
            wake=views.waking(ctx, person),
        )
    ]


def shift_days(ctx: Ctx, cmd: c.ShiftDays) -> list[Message]:
    """Off nights: quiet hours are the person's own again."""
    person = me(ctx)
    if person.shift_until is None or person.shift_until <= ctx.today():
        person.shift_until = None
        ctx.session.add(person)
        return [ctx.say("shift.not_on")]
    person.shift_until = None
    person.updated_at = ctx.now()
    ctx.session.add(person)
    return [ctx.say("shift.days")]


def who_to_ask(ctx: Ctx, cmd: c.WhoToAsk) -> list[Message]:
    """The person's champions and the initiative's contact."""
    person = ctx.actor.person
    names = champions_of(ctx.session, person.team_id) if person else []
    contact = ctx.content.initiative.setup.contact
    first = ctx.md("who.champions", names=", ".join(names)) if names else ctx.md("who.no_champion")
    return [
        ctx.say(
            "who.contact",
            Text(first),
            contact_name=contact.name,
            contact_email=contact.email,
            contact_phone=contact.phone,
        )
    ]
