"""Account setup: enrolled people who have not confirmed their learning-site account get
the steps and the contact; those who have, but not started, get their first course."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.compose import first_name, setup_blocks
from bot.messages import Block, Text
from bot.models import Schedule
from bot.planning.kinds import next_course
from bot.planning.kinds.base import Kind, Planning
from bot.planning.state import PersonState
from bot.progress import next_step, statuses


def for_person(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    state: PersonState,
    cache: dict[Any, str],
) -> str | None:
    person = state.person
    ctx = planning.ctx(session, person)
    cache_key: tuple[Any, ...]
    if not state.enrolled:
        return None
    if person.account_confirmed_at is not None:
        # Set up but not started: the first step, introduced as a first step.
        if state.completed:
            return None
        step = next_step(statuses(planning.content, state.enrolled, ()))
        if step is None:
            return None
        cache_key = ("start", step[1].id, step[0].pathway.id, person.discipline)
        cache_key += (first_name(person),)
        if cache_key not in cache:
            cache[cache_key] = next_course.message(
                planning.content, ctx, step[0], step[1], "nudge.not_started"
            ).to_json()
        return cache[cache_key]
    cache_key = ("setup", first_name(person))
    if cache_key not in cache:
        blocks: list[Block] = [
            Text(ctx.md("nudge.setup", name=first_name(person))),
            *setup_blocks(ctx),
            ctx.actions(ctx.button("button.account_created", "I've created my account", "primary")),
        ]
        cache[cache_key] = ctx.message("nudge.setup", blocks).to_json()
    return cache[cache_key]


KIND = Kind(
    name="setup",
    words=("setup", "account-setup", "account"),
    reaches="people",
    for_person=for_person,
)
