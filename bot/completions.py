"""Recording a completion: once per person and course, whatever the source, celebrated
through :mod:`bot.celebrations`, and said back with the pathway it finished."""

from __future__ import annotations

from bot.celebrations import on_completion
from bot.compose import credits_text
from bot.content import Course
from bot.context import Ctx
from bot.db import insert_ignore
from bot.messages import Message
from bot.models import Completion, Person
from bot.store import status_of
from bot.timeparse import format_date


def record(
    ctx: Ctx, person: Person, course: Course, *, source: str, verified: bool
) -> list[Message]:
    """Record a completion once; say so, and name any pathway it finished."""
    before, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
    now = ctx.now()
    added = insert_ignore(
        ctx.session,
        Completion,
        [
            {
                "person_id": person.id,
                "course_id": course.id,
                "completed_at": now,
                "recorded_at": now,
                "source": source,
                "verified": verified,
                "recorded_by": ctx.actor.label,
            }
        ],
    )
    if not added:
        # Another request recorded it a moment ago (a double click): say so, once.
        return [ctx.say("done.already", title=course.title, date=format_date(ctx.today()))]
    on_completion(ctx.session, ctx.content, person, course.id, before, now)
    # A person's own report can be taken back for a day; a verified one is an admin's.
    undo = (
        (ctx.actions(ctx.button("button.undo", f"undo {course.id}")),)
        if source == "self_report"
        else ()
    )
    messages = [
        ctx.say(
            "done.recorded",
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
