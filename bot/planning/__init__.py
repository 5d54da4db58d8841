"""Planning: from schedules and celebrations to outbox rows, exactly once.

:mod:`bot.planning.planner` decides when and for whom (occurrences in each
recipient's zone, quiet hours, weekends, pauses, the three-nudge stop, dedupe
keys, outbox rows). :mod:`bot.planning.kinds` holds one module per kind of
scheduled message, each composing its message for one recipient or one team
channel, listed in one table.
"""

from bot.planning.kinds import KINDS, TABLE, Kind, kind_of
from bot.planning.planner import GRACE, Planner
from bot.planning.state import PersonState, PlanReport, Target

__all__ = [
    "GRACE",
    "KINDS",
    "TABLE",
    "Kind",
    "PersonState",
    "PlanReport",
    "Planner",
    "Target",
    "kind_of",
]
