"""The outbox ledger: claiming due messages with a lease, and recording what happened.

The delivery worker (``scheduler/``) drives these; the database decides. A
claim is one statement that moves due rows to ``sending`` under this worker's
name with a lease (on PostgreSQL the candidate rows are locked with ``FOR
UPDATE SKIP LOCKED``, so replicas never claim the same row; SQLite has one
writer at a time). A row whose lease ran out while ``sending`` was being sent
when its worker died: it is claimed again marked ``in_doubt``, so the worker
reconciles it with the platform, or resends it at most once. Results are
recorded with a guarded update (``WHERE id = ? AND claimed_by = ?``), so a
worker that lost its lease cannot overwrite another's result.

Just before sending, each person's row is checked once more against the
present: a pause or quiet hours begun since planning hold it (it is not
dropped), progress since planning makes a next-course reminder unnecessary,
and a newer reminder from the same schedule replaces an older one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, bindparam, case, func, or_, update
from sqlmodel import Session, col, select

from bot.content import Content
from bot.db import session_scope
from bot.messages import Message
from bot.models import (
    Completion,
    Conversation,
    DeliveryIssue,
    Enrolment,
    OutboxMessage,
    Person,
)
from bot.progress import Enrolled, next_step, statuses

log = logging.getLogger("huddle.outbox")

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 6
MAX_RESENDS = 1
#: Kinds where only the newest pending reminder per schedule and person matters.
REPLACEABLE = frozenset({"next_course", "setup"})


_CLAIMED_COLUMNS = (
    "id",
    "dedupe_key",
    "kind",
    "schedule_id",
    "person_id",
    "course_id",
    "occurrence",
    "platform",
    "target",
    "message",
    "attempts",
    "in_doubt",
    "resends",
    "next_attempt_at",
    "workspace",
)


class _Row(NamedTuple):
    """The columns of a claimed row that sending and re-checking need."""

    id: int
    dedupe_key: str
    kind: str
    schedule_id: int | None
    person_id: int | None
    course_id: str
    occurrence: str
    platform: str
    target: str
    message: str
    attempts: int
    in_doubt: bool
    resends: int
    next_attempt_at: datetime
    workspace: str


@dataclass
class _Facts:
    """What the re-check of one claimed batch needs, read once for the batch."""

    persons: dict[int, Person] = field(default_factory=dict)
    newest: dict[tuple[int | None, int | None], str] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    enrolled: dict[int | None, list[Enrolled]] = field(default_factory=dict)
    done: dict[int | None, set[str]] = field(default_factory=dict)


@lru_cache(maxsize=512)
def _message(data: str) -> Message:
    """Messages are often identical across a fan-out (a custom text, a channel post)."""
    return Message.from_json(data)


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row, ready to send."""

    id: int
    dedupe_key: str
    kind: str
    platform: str
    target: str
    message: Message
    attempts: int
    in_doubt: bool
    resends: int
    person_id: int | None
    claimed_at: datetime
    #: The Slack workspace of the target when Huddle serves several (its token sends it).
    workspace: str = ""


class Outbox:
    """Claiming and recording deliveries for one worker."""

    def __init__(
        self,
        engine: Engine,
        content: Content,
        worker: str,
        quiet: Any = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.engine = engine
        self.content = content
        self.worker = worker
        self.quiet = quiet  # a Planner, to re-check quiet hours and pauses at send time
        self.lease = lease

    def claim(self, now: datetime, limit: int, platforms: Sequence[str]) -> list[Claimed]:
        """Claim up to ``limit`` due rows for these platforms, for one lease."""
        with session_scope(self.engine) as session:
            due = or_(
                and_(
                    col(OutboxMessage.status) == "pending",
                    col(OutboxMessage.next_attempt_at) <= now,
                ),
                and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.lease_until) < now),
            )
            candidates = (
                select(OutboxMessage.id)
                .where(col(OutboxMessage.platform).in_(list(platforms)), due)
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(limit)
            )
            if self.engine.dialect.name == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            claimed = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(candidates.scalar_subquery()))
                .values(
                    in_doubt=case(
                        (col(OutboxMessage.status) == "sending", True),
                        else_=col(OutboxMessage.in_doubt),
                    ),
                    status="sending",
                    claimed_by=self.worker,
                    lease_until=now + self.lease,
                    updated_at=now,
                )
                .returning(*(getattr(OutboxMessage, name) for name in _CLAIMED_COLUMNS))
            ).all()
            rows = [_Row(*r) for r in claimed]
            # RETURNING has no order: send in the order planned, so posts to one
            # conversation arrive as written (a course, then the pathway it finished).
            rows.sort(key=lambda r: (r.next_attempt_at, r.id))
            return self._recheck(session, rows, now)

    def _recheck(self, session: Session, rows: list[_Row], now: datetime) -> list[Claimed]:
        """Hold, drop or keep each claimed row in the light of the present.

        What the verdicts need is read for the whole batch in a few queries.
        """
        facts = self._facts(session, rows)
        ready: list[Claimed] = []
        for row in rows:
            verdict = self._verdict(row, now, facts)
            if verdict is None:
                ready.append(
                    Claimed(
                        id=row.id,
                        dedupe_key=row.dedupe_key,
                        kind=row.kind,
                        platform=row.platform,
                        target=row.target,
                        message=_message(row.message),
                        attempts=row.attempts,
                        in_doubt=row.in_doubt,
                        resends=row.resends,
                        person_id=row.person_id,
                        claimed_at=now,
                        workspace=row.workspace,
                    )
                )
                continue
            status, when, reason = verdict
            values: dict[str, Any] = {
                "status": status,
                "claimed_by": "",
                "lease_until": None,
                "updated_at": now,
            }
            if when is not None:
                values["next_attempt_at"] = when
            if reason:
                values["last_error"] = reason[:1000]
            session.execute(self._mine(row.id).values(**values))
        return ready

    def _facts(self, session: Session, rows: list[_Row]) -> _Facts:
        """People, newer reminders, unreachable conversations and progress for a batch."""
        facts = _Facts()
        checked = [r for r in rows if r.person_id is not None and not r.in_doubt]
        people = {r.person_id for r in checked if r.person_id is not None}
        if not people:
            return facts
        facts.persons = {
            p.id or 0: p for p in session.exec(select(Person).where(col(Person.id).in_(people)))
        }
        replaceable = [r for r in checked if r.kind in REPLACEABLE and r.schedule_id is not None]
        if replaceable:
            facts.newest = {
                (sid, pid): occurrence
                for sid, pid, occurrence in session.exec(
                    select(
                        OutboxMessage.schedule_id,
                        OutboxMessage.person_id,
                        func.max(OutboxMessage.occurrence),
                    )
                    .where(
                        col(OutboxMessage.schedule_id).in_({r.schedule_id for r in replaceable}),
                        col(OutboxMessage.person_id).in_({r.person_id for r in replaceable}),
                        col(OutboxMessage.status).in_(("pending", "sending", "sent")),
                    )
                    .group_by(col(OutboxMessage.schedule_id), col(OutboxMessage.person_id))
                )
            }
        teams = {r.target for r in checked if r.platform == "teams"}
        if teams:
            facts.unreachable = set(
                session.exec(
                    select(Conversation.conversation_id).where(
                        Conversation.platform == "teams",
                        col(Conversation.conversation_id).in_(teams),
                        col(Conversation.unreachable_since).is_not(None),
                    )
                )
            )
        learners = {r.person_id for r in checked if r.kind == "next_course" and r.course_id}
        if learners:
            for pid, pathway, at, due in session.exec(
                select(
                    Enrolment.person_id,
                    Enrolment.pathway_id,
                    Enrolment.enrolled_at,
                    col(Enrolment.due_on),
                ).where(col(Enrolment.person_id).in_(learners))
            ):
                facts.enrolled.setdefault(pid, []).append(Enrolled(pathway, at, due))
            for pid, course in session.exec(
                select(Completion.person_id, Completion.course_id).where(
                    col(Completion.person_id).in_(learners)
                )
            ):
                facts.done.setdefault(pid, set()).add(course)
        return facts

    def _verdict(
        self, row: _Row, now: datetime, facts: _Facts
    ) -> tuple[str, datetime | None, str] | None:
        """None to send now; else (status, next attempt, reason) to hold or drop it."""
        if row.person_id is None or row.in_doubt:
            return None
        if row.kind in REPLACEABLE and row.schedule_id is not None:
            newest = facts.newest.get((row.schedule_id, row.person_id))
            if newest is not None and newest > row.occurrence:
                return "skipped", None, "replaced by a newer reminder"
        person = facts.persons.get(row.person_id)
        if person is None:
            return "skipped", None, "person removed"
        if person.stopped_at is not None and row.kind != "celebration":
            # Said "stop all" since it was planned. Public celebrations follow
            # "celebrate me" instead.
            return "skipped", None, "stopped: asked for no reminders"
        if row.platform == "teams" and row.target in facts.unreachable:
            return "failed", None, "unreachable: blocked or removed the bot"
        if row.kind == "next_course" and row.course_id:
            enrolled = facts.enrolled.get(row.person_id, [])
            done = facts.done.get(row.person_id, set())
            step = next_step(statuses(self.content, enrolled, done))
            if step is None or step[1].id != row.course_id:
                return "skipped", None, "progress made since it was planned"
        if self.quiet is not None:
            zone: ZoneInfo = self.quiet.zone_of(person)
            when = self.quiet.deliverable(person, now, zone)
            if when > now:
                return "pending", when, ""
        return None

    def _mine(self, row_id: int) -> Any:
        """An UPDATE of one row that only applies while this worker holds its claim."""
        return update(OutboxMessage).where(
            col(OutboxMessage.id) == row_id, col(OutboxMessage.claimed_by) == self.worker
        )

    def extend(self, item: Claimed, now: datetime) -> bool:
        """Renew this worker's lease on a row before a late send; False if it was lost.

        A row that waited long (pacing, a platform's Retry-After) may have had its
        lease run out and been claimed by another worker; then it must not be sent
        here too.
        """
        with session_scope(self.engine) as session:
            result = session.execute(
                self._mine(item.id)
                .where(
                    col(OutboxMessage.status) == "sending",
                    col(OutboxMessage.lease_until) > now,
                )
                .values(lease_until=now + self.lease, updated_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    # --- results ----------------------------------------------------------------------

    def sent(self, results: Sequence[tuple[int, str]], now: datetime) -> int:
        """Record successful sends: (row id, platform message id). Returns rows recorded.

        One statement for the batch; a row whose lease passed to another worker is not
        overwritten (and is logged).
        """
        if not results:
            return 0
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                table.c.claimed_by == self.worker,
                table.c.status == "sending",
            )
            .values(
                status="sent",
                platform_message_id=bindparam("message_id"),
                sent_at=now,
                claimed_by="",
                lease_until=None,
                in_doubt=False,
                updated_at=now,
            )
        )
        ids = [row_id for row_id, _ in results]
        with session_scope(self.engine) as session:
            session.execute(
                statement,
                [{"row_id": r, "message_id": m[:255]} for r, m in results],
                execution_options={"synchronize_session": False},
            )
            recorded = set(
                session.exec(
                    select(OutboxMessage.id).where(
                        col(OutboxMessage.id).in_(ids),
                        OutboxMessage.status == "sent",
                        OutboxMessage.sent_at == now,
                    )
                )
            )
        for row_id in ids:
            if row_id not in recorded:
                log.warning(
                    "outbox row %s was sent, but its lease had passed to another "
                    "worker; not recorded twice",
                    row_id,
                )
        return len(recorded)

    def retry(
        self, item: Claimed, now: datetime, delay: timedelta, reason: str, in_doubt: bool = False
    ) -> bool:
        """Put a row back for another attempt after ``delay``; park it if attempts are spent.

        ``in_doubt``: the attempt may have reached the platform, so the next one
        reconciles (or resends at most once) instead of simply sending.
        """
        attempts = item.attempts + 1
        failed = attempts >= MAX_ATTEMPTS
        with session_scope(self.engine) as session:
            session.execute(
                self._mine(item.id).values(
                    status="failed" if failed else "pending",
                    attempts=attempts,
                    in_doubt=in_doubt,
                    next_attempt_at=now + delay,
                    last_error=reason[:1000],
                    claimed_by="",
                    lease_until=None,
                    updated_at=now,
                )
            )
            if failed:
                _note_failure(session, item, now, reason)
        if failed:
            log.error("outbox row %s failed after %s attempts: %s", item.id, attempts, reason)
        return not failed

    def fail(self, item: Claimed, now: datetime, reason: str) -> None:
        """Park a row as failed, with its reason (shown in nudge history)."""
        log.error(
            "outbox row %s (%s to %s:%s) failed: %s",
            item.id,
            item.kind,
            item.platform,
            item.target,
            reason,
        )
        with session_scope(self.engine) as session:
            session.execute(
                self._mine(item.id).values(
                    status="failed",
                    attempts=item.attempts + 1,
                    last_error=reason[:1000],
                    claimed_by="",
                    lease_until=None,
                    updated_at=now,
                )
            )
            _note_failure(session, item, now, reason)

    def resending(self, item: Claimed, now: datetime) -> None:
        """Note that an in-doubt row is being sent again (at most once)."""
        log.warning("outbox row %s: outcome unknown after a crash; sending it again once", item.id)
        with session_scope(self.engine) as session:
            session.execute(self._mine(item.id).values(resends=item.resends + 1, updated_at=now))


def _note_failure(session: Session, item: Claimed, now: datetime, reason: str) -> None:
    """A parked message is also a delivery problem in the admins' summary."""
    session.add(
        DeliveryIssue(
            at=now,
            platform=item.platform,
            target=item.target[:255],
            person_id=item.person_id,
            error=(reason.split(":")[0].split("(")[0].strip() or "failed")[:64],
            detail=f"scheduled {item.kind} message: {reason}"[:1000],
        )
    )
