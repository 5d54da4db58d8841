"""What a kind of scheduled message is: its names, whom it reaches, and what it says.

A kind composes its message for one recipient (:attr:`Kind.for_person`) or one
team channel (:attr:`Kind.for_channel`); the planner decides when and for whom,
and keeps quiet hours, pauses, dedupe keys and the outbox. The few services a
kind may use from the planner are the :class:`Planning` protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.clock import Clock
from bot.content import Content
from bot.context import Ctx
from bot.messages import Message
from bot.models import Person, Schedule, Team
from bot.planning.state import PersonState, Target

Reach = Literal["people", "channels", "either"]


class Planning(Protocol):
    """What the planner offers a kind while it composes."""

    content: Content
    clock: Clock

    def ctx(self, session: Session, person: Person | None) -> Ctx: ...

    def load(
        self, session: Session, persons: list[Person], light: bool = False
    ) -> dict[int, PersonState]: ...

    def zone_of(self, person: Person) -> ZoneInfo: ...

    def schedule_zone(self, schedule: Schedule) -> ZoneInfo: ...

    def row(
        self,
        key: str,
        kind: str,
        target: Target,
        message: str | None,
        due: datetime,
        *,
        schedule_id: int | None = None,
        person_id: int | None = None,
        team_id: int | None = None,
        course_id: str = "",
        occurrence: str = "",
        status: str = "pending",
        reason: str = "",
        created: datetime | None = None,
    ) -> dict[str, Any]: ...


#: (planning, session, schedule, its params, the recipient, a cache shared across one
#: batch) -> the message as JSON, or None when this person gets nothing.
ForPerson = Callable[
    [Planning, Session, Schedule, dict[str, Any], PersonState, dict[Any, str]], str | None
]
#: (planning, session, schedule, its params, the team, the platform, the occurrence)
ForChannel = Callable[[Planning, Session, Schedule, dict[str, Any], Team, str, str], Message | None]
#: More rows to write after the occurrences (a session's reminders): (written, skipped).
FollowUp = Callable[[Planning, Session, Schedule, dict[str, Any], datetime], tuple[int, int]]


@dataclass(frozen=True)
class Kind:
    """One kind of scheduled message."""

    #: What a schedule row stores (``next_course``).
    name: str
    #: What people type for it (``next-course``, ``reminder``); the name is one too.
    words: tuple[str, ...]
    #: People, team channels, or either (the audience decides).
    reaches: Reach
    for_person: ForPerson | None = None
    for_channel: ForChannel | None = None
    #: For people: needs only where to write to them, not their progress.
    light: bool = False
    #: For people: who of the audience it is for at all.
    suits: Callable[[Person], bool] | None = None
    #: The course a reminder is about, when it is about one: the three-nudge stop
    #: counts reminders per course.
    course_of: Callable[[Content, PersonState], str | None] | None = None
    #: Rows to write after the occurrences, such as a session's reminders.
    follow_up: FollowUp | None = None
    #: A one-off schedule is done once its time has passed (a session lasts longer).
    done_when_sent: bool = True
