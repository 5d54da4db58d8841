"""Handlers for what every clinician asks: next course, progress, pathways, completions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, delete, select

from bot import commands as c
from bot import views
from bot.catalog import find_course, find_pathway
from bot.celebrations import withdraw
from bot.completions import record
from bot.compose import credits_text, discipline_name, first_name, me, setup_blocks
from bot.context import Ctx, Refused
from bot.dates import read_date
from bot.db import insert_ignore
from bot.ledger import SELF_REPORT
from bot.messages import Block, Button, Heading, Message, Text
from bot.models import Completion, Enrolment, HelpRequest, Snooze
from bot.progress import PathwayStatus, next_step, sum_credits
from bot.store import status_of
from bot.templates import Markdown
from bot.timeparse import format_date

MAX_CHOICES = views.MAX_CHOICES


def next_course(ctx: Ctx, cmd: c.NextCourse) -> list[Message]:
    """The next course of the person's pathway, with setup instructions until they confirm."""
    return views.next_course(ctx)


def show_progress(ctx: Ctx, cmd: c.ShowProgress) -> list[Message]:
    """Steps done per pathway, credits earned and the tier reached."""
    return views.progress(ctx)


def list_pathways(ctx: Ctx, cmd: c.ListPathways) -> list[Message]:
    """The pathways open to the person's discipline, by level, with join buttons."""
    return views.pathways(ctx, cmd.everything)


# --- account setup -------------------------------------------------------------------------


def show_setup(ctx: Ctx, cmd: c.ShowSetup) -> list[Message]:
    """Account-setup instructions and the contact, any time."""
    person = me(ctx)
    blocks = setup_blocks(ctx)
    if person.account_confirmed_at is None:
        blocks.append(
            ctx.actions(ctx.button("button.account_created", "I've created my account", "primary"))
        )
    else:
        when = person.account_confirmed_at.astimezone(ctx.zone).date()
        blocks.append(Text(ctx.md("setup.already_confirmed", date=format_date(when))))
    return [
        ctx.message(
            "setup", blocks, ctx.plain("setup.heading", site=ctx.content.initiative.setup.site)
        )
    ]


def confirm_account(ctx: Ctx, cmd: c.ConfirmAccount) -> list[Message]:
    """Record that the person created their learning-site account, then show what's next."""
    person = me(ctx)
    if person.account_confirmed_at is None:
        person.account_confirmed_at = ctx.now()
        person.updated_at = ctx.now()
        ctx.session.add(person)
        first = ctx.say("setup.confirmed", name=first_name(person))
    else:
        when = person.account_confirmed_at.astimezone(ctx.zone).date()
        first = ctx.say("setup.already_confirmed", date=format_date(when))
    return [first, *views.next_course(ctx)]


# --- next course ---------------------------------------------------------------------------


# --- progress ------------------------------------------------------------------------------


# --- pathways ------------------------------------------------------------------------------


def join(ctx: Ctx, cmd: c.Join) -> list[Message]:
    """Enrol oneself in a pathway open to one's discipline."""
    person = me(ctx)
    pathway, options = find_pathway(ctx, cmd.pathway)
    if pathway is None:
        buttons = [ctx.button("button.join", f"join {p.id}", pathway=p.title) for p in options]
        return [
            ctx.say(
                "join.not_found",
                ctx.actions(*buttons, ctx.button("button.pathways", "pathways")),
                text=cmd.pathway,
            )
        ]
    if not pathway.open_to(person.discipline):
        return [
            ctx.say(
                "join.not_open",
                ctx.actions(ctx.button("button.pathways", "pathways")),
                pathway=pathway.title,
                discipline=discipline_name(ctx, person.discipline),
            )
        ]
    added = insert_ignore(
        ctx.session,
        Enrolment,
        [
            {
                "person_id": person.id,
                "pathway_id": pathway.id,
                "enrolled_at": ctx.now(),
                "enrolled_by": ctx.actor.label,
            }
        ],
    )
    if not added:
        return [ctx.say("join.already", pathway=pathway.title), *views.next_course(ctx)]
    level = ctx.content.level(pathway.level)
    first = ctx.say(
        "join.done",
        pathway=pathway.title,
        why=pathway.why.for_discipline(person.discipline),
        commitment=level.commitment,
    )
    return [first, *views.next_course(ctx)]


# --- completions ---------------------------------------------------------------------------


def done(ctx: Ctx, cmd: c.Done) -> list[Message]:
    """A self-reported completion, then what's next."""
    person = me(ctx)
    found, completed, _ = status_of(ctx.session, ctx.content, person.id or 0)
    remaining = [x for s in found for x in s.remaining]
    own = {x.id for s in found for x in (*s.done, *s.remaining)}
    if not cmd.course:
        own_remaining = {x.id: x for x in remaining}.values()
        buttons = [Button(x.title, f"done {x.id}") for x in own_remaining][:MAX_CHOICES]
        return [ctx.say("done.ask", ctx.actions(*buttons))]
    course, options = find_course(ctx, cmd.course, own)
    if course is None:
        choices = options or list({x.id: x for x in remaining}.values())
        buttons = [Button(x.title, f"done {x.id}") for x in choices][:MAX_CHOICES]
        key = "done.several" if options else "done.not_found"
        return [ctx.say(key, ctx.actions(*buttons), text=cmd.course)]
    if course.id in completed:
        when = completed[course.id].astimezone(ctx.zone).date()
        return [
            ctx.say("done.already", title=course.title, date=format_date(when)),
            *views.next_course(ctx),
        ]
    return record(ctx, person, course, source=SELF_REPORT) + next_course(ctx, c.NextCourse())


UNDO_WINDOW = timedelta(hours=24)


def undo(ctx: Ctx, cmd: c.Undo) -> list[Message]:
    """Take back one's own completion of the last day: the latest, or the course named."""
    person = me(ctx)
    mine = list(
        ctx.session.exec(
            select(Completion)
            .where(Completion.person_id == person.id)
            .order_by(col(Completion.recorded_at).desc(), col(Completion.id).desc())
        )
    )
    if cmd.course:
        course, _ = find_course(ctx, cmd.course, {x.course_id for x in mine})
        chosen = next((x for x in mine if course and x.course_id == course.id), None)
        if chosen is None:
            return [ctx.say("undo.not_found", text=cmd.course)]
    else:
        recent = [x for x in mine if x.source == "self_report"]
        chosen = recent[0] if recent else None
        if chosen is None:
            return [ctx.say("undo.nothing")]
    course = ctx.content.courses.get(chosen.course_id)
    title = course.title if course else chosen.course_id
    if chosen.source != "self_report" or chosen.verified:
        contact = ctx.content.initiative.setup.contact
        return [
            ctx.say(
                "undo.verified",
                title=title,
                contact_name=contact.name,
                contact_email=contact.email,
                contact_phone=contact.phone,
            )
        ]
    if chosen.recorded_at < ctx.now() - UNDO_WINDOW:
        when = chosen.recorded_at.astimezone(ctx.zone).date()
        return [ctx.say("undo.too_old", title=title, date=format_date(when))]
    ctx.session.execute(delete(Completion).where(col(Completion.id) == chosen.id))
    outcome = withdraw(ctx.session, ctx.content, person, chosen.course_id, ctx.now())
    ctx.audit("completion.undo", person.email, chosen.course_id)
    extra = [Text(ctx.md("undo.withdrawn" if outcome == "withdrawn" else "undo.already_posted"))]
    return [
        ctx.say("undo.done", *(extra if outcome else []), title=title),
        *views.next_course(ctx),
    ]


SNOOZE_LIMIT_DAYS = 90


def snooze(ctx: Ctx, cmd: c.Snooze) -> list[Message]:
    """No reminders about a course for a while; the plan itself does not change."""
    person = me(ctx)
    words = cmd.text.split()
    course = ctx.content.courses.get(words[0].lower()) if words else None
    if course is not None:
        words = words[1:]
    else:
        found, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
        step = next_step(found)
        if step is None:
            return [ctx.say("snooze.nothing")]
        course = step[1]
    spoken = " ".join(words) or "a week"
    today = ctx.today()
    try:
        until = read_date(
            ctx, spoken, ending=True, again=lambda day: f"snooze {course.id} until {day}"
        )
    except Refused as refused:
        if refused.message.kind == "date.which":
            raise
        return [ctx.say("snooze.bad", text=cmd.text)]
    if not today < until <= today + timedelta(days=SNOOZE_LIMIT_DAYS):
        return [ctx.say("snooze.bad", text=cmd.text)]
    row = {"person_id": person.id, "course_id": course.id, "until": until, "created_at": ctx.now()}
    if not insert_ignore(ctx.session, Snooze, [row]):
        existing = ctx.session.get(Snooze, (person.id, course.id))
        assert existing is not None
        existing.until = until
        ctx.session.add(existing)
    return [ctx.say("snooze.done", title=course.title, date=format_date(until))]


# --- questions people ask --------------------------------------------------------------------


def show_credits(ctx: Ctx, cmd: c.ShowCredits) -> list[Message]:
    """Credits earned, by type, as the person's discipline can claim them, per pathway."""
    person = me(ctx)
    found, completed, _ = status_of(ctx.session, ctx.content, person.id or 0)
    earned = sum_credits(ctx.content.courses[c_] for c_ in completed if c_ in ctx.content.courses)
    mine = ctx.content.initiative.credits_for(person.discipline, earned)
    if not mine:
        return [ctx.say("credits.none_yet", ctx.actions(ctx.button("button.next", "next")))]
    lines = [
        "- "
        + ctx.md(
            "credits.line",
            pathway=s.pathway.title,
            credits=credits_text(ctx, s.credits(), person.discipline),
        )
        for s in found
        if ctx.content.initiative.credits_for(person.discipline, s.credits())
    ]
    blocks: list[Block] = [Text(Markdown("\n".join(lines)))] if lines else []
    return [
        ctx.say(
            "credits.total",
            *blocks,
            credits=credits_text(ctx, earned, person.discipline),
        )
    ]


def whats_left(ctx: Ctx, cmd: c.WhatsLeft) -> list[Message]:
    """The steps still to do in each pathway, with their time and due dates."""
    person = me(ctx)
    found, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
    if not found:
        return views.pathways(ctx)
    blocks: list[Block] = []
    for status in found:
        if status.complete:
            continue
        due = (
            ctx.md("left.due", date=format_date(status.enrolled.due_on))
            if status.enrolled.due_on
            else ""
        )
        items = Markdown(
            "\n".join(
                "- " + ctx.md("left.item", title=course.title, minutes=course.minutes)
                for course in status.remaining
            )
        )
        blocks.append(
            Text(ctx.md("left.pathway", pathway=status.pathway.title, items=items, due=due))
        )
    if not blocks:
        return [ctx.say("left.none", ctx.actions(ctx.button("button.pathways", "pathways")))]
    blocks.append(ctx.actions(ctx.button("button.next", "next", "primary")))
    return [ctx.message("left", [Heading(ctx.plain("left.heading")), *blocks])]


def on_track(ctx: Ctx, cmd: c.OnTrack) -> list[Message]:
    """Against each enrolment's due date: done, on track, behind or overdue."""
    person = me(ctx)
    found, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
    if not found:
        return views.pathways(ctx)
    today = ctx.today()
    lines = []
    for status in found:
        verdict = track_verdict(status, today)
        lines.append(
            "- "
            + ctx.md(
                f"track.{verdict}",
                pathway=status.pathway.title,
                done=len(status.done),
                total=status.total,
                due=format_date(status.enrolled.due_on) if status.enrolled.due_on else "",
                days=(status.enrolled.due_on - today).days if status.enrolled.due_on else 0,
            )
        )
    buttons = [ctx.button("button.next", "next", "primary")] if next_step(found) else []
    return [
        ctx.message(
            "track",
            [
                Heading(ctx.plain("track.heading")),
                Text(Markdown("\n".join(lines))),
                ctx.actions(*buttons),
            ],
        )
    ]


#: How much behind the time elapsed a pathway may be and still count as on track.
TRACK_SLACK = 0.15


def track_verdict(status: PathwayStatus, today: date) -> str:
    """done, no_due, overdue, on (on track) or behind, for one enrolment."""
    if status.complete:
        return "done"
    due = status.enrolled.due_on
    if due is None:
        return "no_due"
    if today > due:
        return "overdue"
    start = status.enrolled.enrolled_at.date()
    span = max((due - start).days, 1)
    elapsed = min(max((today - start).days / span, 0.0), 1.0)
    done = len(status.done) / max(status.total, 1)
    return "on" if done + TRACK_SLACK >= elapsed else "behind"


def account_trouble(ctx: Ctx, cmd: c.AccountTrouble) -> list[Message]:
    """Trouble with the learning-site account: the steps, the contact and the reset link;
    counted by team for the admins."""
    person = me(ctx)
    ctx.session.add(
        HelpRequest(at=ctx.now(), person_id=person.id or 0, team_id=person.team_id, kind="account")
    )
    setup = ctx.content.initiative.setup
    blocks: list[Block] = []
    if setup.reset_url:
        blocks.append(Text(ctx.md("trouble.reset", url=setup.reset_url)))
    blocks += setup_blocks(ctx)
    return [ctx.say("trouble.intro", *blocks, site=setup.site)]
