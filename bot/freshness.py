"""Has anything standings (or a report) are worked out from changed since? A generation
per database.

Standings over hundreds of teams and a million completions take a few hundred
milliseconds to work out, and people ask for them in bursts (the weekly post goes out,
and a team taps "leaderboard"). :mod:`bot.contests` keeps the last standings of each
contest and works them out again only when this process has committed a change to what
they count (completions, enrolments, people and teams, attendance, contests) or when
they are older than the content's ``standings_max_age`` (for changes another replica
made, which this process cannot see).

Changes are noticed where they happen, whatever the path: every ORM flush and every
statement run through a session that writes to a watched table marks the session, and
its commit moves the database's generation on. Writes that bypass the session (the
ledger's bulk path talks to the driver) call :func:`touched` themselves. A rolled-back
transaction changes nothing.
"""

from __future__ import annotations

from itertools import chain
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Pool, event
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

#: The tables standings and reports are worked out from.
WATCHED = frozenset(
    {
        "attendance",
        "completion",
        "contest",
        "contest_entrant",
        "contest_team",
        "enrolment",
        "person",
        "team",
        # and, for the report (bot.reports.latest), beside those:
        "person_role",
        "shoutout",
        "shoutout_recipient",
        "survey_answer",
        "organisation_measure",
    }
)
_MARK = "huddle.standings_touched"
#: By connection pool: one process's connections to one database (an engine made with
#: other execution options, as session_scope makes for SQLite writes, shares its pool).
_generations: WeakKeyDictionary[Pool, int] = WeakKeyDictionary()
_lock = Lock()


def generation(engine: Engine) -> int:
    """How many committed changes to the watched tables this process has seen."""
    return _generations.get(engine.pool, 0)


def touched(session: OrmSession) -> None:
    """This session wrote to a watched table: its commit makes standings out of date."""
    session.info[_MARK] = True


def pending(session: OrmSession) -> bool:
    """The session has written to a watched table and not yet committed."""
    return bool(session.info.get(_MARK))


def engine_of(session: OrmSession) -> Engine | None:
    """The engine a session works on (None for a session bound to nothing)."""
    try:
        bind = session.get_bind()
    except Exception:  # a session with no bind: nothing to count
        return None
    return bind if isinstance(bind, Engine) else bind.engine


def _table_of(instance: Any) -> str:
    return str(getattr(instance, "__tablename__", ""))


@event.listens_for(OrmSession, "after_flush")
def _flushed(session: OrmSession, _context: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(_table_of(obj) in WATCHED for obj in changed):
        touched(session)


@event.listens_for(OrmSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED:
        touched(state.session)


@event.listens_for(OrmSession, "after_commit")
def _committed(session: OrmSession) -> None:
    if not session.info.pop(_MARK, False):
        return
    engine = engine_of(session)
    if engine is None:
        return
    with _lock:
        _generations[engine.pool] = _generations.get(engine.pool, 0) + 1
