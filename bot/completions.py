"""Recording a completion: once per person and course, whatever the source, celebrated
through :mod:`bot.celebrations`, and said back with the pathway it finished."""

from __future__ import annotations

from bot.celebrations import on_completion
from bot.compose import credits_text
from bot.content import Course
from bot.contests import hold_if_burst
from bot.context import Ctx
from bot.ledger import SELF_REPORT
from bot.ledger import record as ledger_record
from bot.messages import Message, Text
from bot.models import Person
from bot.store import status_of
from bot.timeparse import format_date


def record(ctx: Ctx, person: Person, course: Course, *, source: str) -> list[Message]:
    """Record a completion once (``source``: self_report, admin or champion); say so, and
    name any pathway it finished."""
    before, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
    now = ctx.now()
    done = ledger_record(
        ctx.session,
        person_id=person.id or 0,
        course_id=course.id,
        kind=source,
        ref=ctx.actor.label,
        completed_at=now,
        now=now,
        actor=ctx.actor.label,
    )
    if not done.added:
        # Another request recorded it a moment ago (a double click): say so, once.
        return [ctx.say("done.already", title=course.title, date=format_date(ctx.today()))]
    on_completion(ctx.session, ctx.content, person, course.id, before, now)
    held = source == SELF_REPORT and hold_if_burst(ctx.session, ctx.content, done.completion, now)
    # A person's own report can be taken back for a day; a verified one is an admin's.
    undo = (
        (ctx.actions(ctx.button("button.undo", f"undo {course.id}")),)
        if source == SELF_REPORT
        else ()
    )
    burst = (
        (Text(ctx.md("done.held", limit=ctx.content.initiative.contests.burst_limit)),)
        if held
        else ()
    )
    messages = [
        ctx.say(
            "done.recorded",
            *burst,
            *undo,
            title=course.title,
            credits=credits_text(ctx, dict(course.credits), person.discipline),
        )
    ]
    for status in before:
        if [x.id for x in status.remaining] == [course.id]:
            messages.append(
                ctx.say(
                    "done.pathway_complete",
                    pathway=status.pathway.title,
                    designation=status.pathway.designation,
                )
            )
    return messages
