"""A message an admin or champion wrote, to people or team channels (screened for patient
details when it was scheduled)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.messages import Message
from bot.models import Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.planning.state import PersonState
from bot.templates import Markdown


def for_person(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    state: PersonState,
    cache: dict[Any, str],
) -> str | None:
    if "custom" not in cache:
        ctx = planning.ctx(session, state.person)
        cache["custom"] = ctx.say("custom.message", text=Markdown(params.get("text", ""))).to_json()
    return cache["custom"]


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
    return ctx.say("custom.message", text=Markdown(params.get("text", "")))


KIND = Kind(
    name="custom",
    words=("custom", "message"),
    reaches="either",
    for_person=for_person,
    for_channel=for_channel,
    light=True,
)
