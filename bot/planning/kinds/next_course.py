"""Each person's next course: its link, time, credits and why it matters for their role.

After three of these about the same course with no progress, no more are planned
until something changes (the planner's three-nudge stop, by :attr:`Kind.course_of`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.compose import course_blocks, first_name
from bot.content import Content, Course
from bot.context import Ctx
from bot.messages import Block, Message, Text
from bot.models import Schedule
from bot.planning.kinds.base import Kind, Planning
from bot.planning.state import PersonState
from bot.progress import PathwayStatus, next_step, statuses


def message(
    content: Content,
    ctx: Ctx,
    status: PathwayStatus,
    course: Course,
    lead: str = "nudge.next_course",
) -> Message:
    """The reminder for one course of one pathway (``lead`` is its first line)."""
    person = ctx.actor.person
    assert person is not None
    blocks: list[Block] = [Text(ctx.md(lead, name=first_name(person)))]
    blocks += course_blocks(ctx, status, course)
    buttons = [
        ctx.button("button.mark_complete", f"done {course.id}", "primary"),
        ctx.button("button.snooze", f"snooze {course.id} a week"),
    ]
    if person.account_confirmed_at is None:
        buttons.append(ctx.button("button.setup", "setup"))
    buttons.append(ctx.button("button.pause", "pause for 2 weeks"))
    topic = content.initiative.topics[course.topic].title
    return ctx.message(
        "nudge.next_course",
        [*blocks, ctx.actions(*buttons)],
        ctx.plain("next.summary", title=course.title, topic=topic),
    )


def for_person(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    state: PersonState,
    cache: dict[Any, str],
) -> str | None:
    person = state.person
    found = statuses(planning.content, state.enrolled, state.completed.keys())
    step = next_step(found)
    if step is None:
        return None
    status, course = step
    confirmed = person.account_confirmed_at is not None
    # The same course at the same point reads the same for many people: built once.
    cache_key = (
        "next",
        course.id,
        status.pathway.id,
        len(status.done),
        status.total,
        person.discipline,
        status.enrolled.due_on,
        confirmed,
        first_name(person),
    )
    if cache_key not in cache:
        ctx = planning.ctx(session, person)
        cache[cache_key] = message(planning.content, ctx, status, course).to_json()
    return cache[cache_key]


def course_of(content: Content, state: PersonState) -> str | None:
    step = next_step(statuses(content, state.enrolled, state.completed.keys()))
    return step[1].id if step is not None else None


KIND = Kind(
    name="next_course",
    words=("next-course", "next", "reminder", "next_course"),
    reaches="people",
    for_person=for_person,
    course_of=course_of,
)
