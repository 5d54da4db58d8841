"""Where a person stands: pure functions over the content and their records.

No database here: callers pass the person's enrolments and the ids of the
courses they completed, so the same logic serves chat answers, reports and
benchmarks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.content import Content, Course, Pathway


@dataclass(frozen=True)
class Enrolled:
    """An enrolment as the progress logic needs it."""

    pathway_id: str
    enrolled_at: datetime
    due_on: date | None = None


@dataclass(frozen=True)
class PathwayStatus:
    """A person's standing in one pathway."""

    pathway: Pathway
    enrolled: Enrolled
    done: tuple[Course, ...]
    remaining: tuple[Course, ...]

    @property
    def complete(self) -> bool:
        return not self.remaining

    @property
    def total(self) -> int:
        return len(self.done) + len(self.remaining)

    def credits(self) -> dict[str, float]:
        return sum_credits(self.done)


def sum_credits(courses: Iterable[Course]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for course in courses:
        for kind, amount in course.credits.items():
            totals[kind] = totals.get(kind, 0.0) + amount
    return totals


def statuses(
    content: Content, enrolments: Iterable[Enrolled], completed: Collection[str]
) -> list[PathwayStatus]:
    """Status per enrolled pathway, lowest level first, then by enrolment date.

    Enrolments in pathways the content no longer has are left out.
    """
    rank = {lv.id: lv.rank for lv in content.initiative.levels}
    found: list[PathwayStatus] = []
    for enrolment in enrolments:
        pathway = content.pathways.get(enrolment.pathway_id)
        if pathway is None:
            continue
        courses = content.pathway_courses(pathway)
        found.append(
            PathwayStatus(
                pathway=pathway,
                enrolled=enrolment,
                done=tuple(c for c in courses if c.id in completed),
                remaining=tuple(c for c in courses if c.id not in completed),
            )
        )
    found.sort(key=lambda s: (rank.get(s.pathway.level, 99), s.enrolled.enrolled_at, s.pathway.id))
    return found


def next_step(found: Iterable[PathwayStatus]) -> tuple[PathwayStatus, Course] | None:
    """The first unfinished course of the first unfinished pathway, or None."""
    for status in found:
        if status.remaining:
            return status, status.remaining[0]
    return None


def highest_tier(content: Content, found: Iterable[PathwayStatus]) -> Pathway | None:
    """The completed pathway at the highest level, or None."""
    rank = {lv.id: lv.rank for lv in content.initiative.levels}
    done = [s.pathway for s in found if s.complete]
    return max(done, key=lambda p: rank.get(p.level, -1)) if done else None


def suggest_next_pathway(
    content: Content, discipline: str, enrolled: Mapping[str, object]
) -> Pathway | None:
    """The lowest-level pathway open to ``discipline`` that they are not enrolled in."""
    rank = {lv.id: lv.rank for lv in content.initiative.levels}
    options = [
        p for p in content.pathways.values() if p.open_to(discipline) and p.id not in enrolled
    ]
    return min(options, key=lambda p: rank.get(p.level, 99)) if options else None
