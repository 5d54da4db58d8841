"""What planning knows about a recipient, and where a message goes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.models import Person
from bot.progress import Enrolled


@dataclass(frozen=True)
class Target:
    """Where a message goes: a platform and its id for the person or channel."""

    platform: str
    target: str
    #: The Slack workspace the person or channel is in, when Huddle serves several.
    workspace: str = ""


@dataclass
class PlanReport:
    """What a tick did."""

    schedules: int = 0
    written: int = 0
    skipped: int = 0
    celebrations: int = 0
    #: Comfort-survey questions and reminders written (bot.survey_asking).
    surveys: int = 0
    #: Rows deleted by the day's retention sweep, when this tick ran it (bot.retention).
    swept: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class PersonState:
    """One recipient, loaded for a batch: their progress, snoozes, past reminders and
    where Huddle can write to them."""

    person: Person
    enrolled: list[Enrolled] = field(default_factory=list)
    completed: dict[str, datetime] = field(default_factory=dict)
    targets: list[tuple[datetime, Target]] = field(default_factory=list)
    snoozes: dict[str, date] = field(default_factory=dict)
    nudges: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def last_progress(self) -> datetime | None:
        times = [*self.completed.values(), *(e.enrolled_at for e in self.enrolled)]
        if self.person.account_confirmed_at:
            times.append(self.person.account_confirmed_at)
        return max(times, default=None)

    def target(self) -> Target | None:
        return max(self.targets, key=lambda t: t[0])[1] if self.targets else None
