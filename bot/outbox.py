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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, case, or_, update
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
                .returning(OutboxMessage.__table__)  # type: ignore[attr-defined]
            ).all()
            rows = [OutboxMessage.model_validate(dict(r._mapping)) for r in claimed]
            # RETURNING has no order: send in the order planned, so posts to one
            # conversation arrive as written (a course, then the pathway it finished).
            rows.sort(key=lambda r: (r.next_attempt_at, r.id or 0))
            return self._recheck(session, rows, now)

    def _recheck(self, session: Session, rows: list[OutboxMessage], now: datetime) -> list[Claimed]:
        """Hold, drop or keep each claimed row in the light of the present."""
        ready: list[Claimed] = []
        for row in rows:
            verdict = self._verdict(session, row, now)
            if verdict is None:
                ready.append(
                    Claimed(
                        id=row.id or 0,
                        dedupe_key=row.dedupe_key,
                        kind=row.kind,
                        platform=row.platform,
                        target=row.target,
                        message=Message.from_json(row.message),
                        attempts=row.attempts,
                        in_doubt=row.in_doubt,
                        resends=row.resends,
                        person_id=row.person_id,
                        claimed_at=now,
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
                values["last_error"] = reason
            session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row.id, col(OutboxMessage.claimed_by) == self.worker
                )
                .values(**values)
            )
        return ready

    def _verdict(
        self, session: Session, row: OutboxMessage, now: datetime
    ) -> tuple[str, datetime | None, str] | None:
        """None to send now; else (status, next attempt, reason) to hold or drop it."""
        if row.person_id is None or row.in_doubt:
            return None
        if row.kind in REPLACEABLE and row.schedule_id is not None:
            newer = session.exec(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.schedule_id == row.schedule_id,
                    OutboxMessage.person_id == row.person_id,
                    col(OutboxMessage.occurrence) > row.occurrence,
                    col(OutboxMessage.status).in_(("pending", "sending", "sent")),
                )
                .limit(1)
            ).first()
            if newer is not None:
                return "skipped", None, "replaced by a newer reminder"
        person = session.get(Person, row.person_id)
        if person is None:
            return "skipped", None, "person removed"
        if row.platform == "teams":
            gone = session.exec(
                select(Conversation.id).where(
                    Conversation.platform == "teams",
                    Conversation.conversation_id == row.target,
                    col(Conversation.unreachable_since).is_not(None),
                )
            ).first()
            if gone is not None:
                return "failed", None, "unreachable: blocked or removed the bot"
        if row.kind == "next_course" and row.course_id:
            enrolled = [
                Enrolled(p, at, due)
                for p, at, due in session.exec(
                    select(
                        Enrolment.pathway_id, Enrolment.enrolled_at, col(Enrolment.due_on)
                    ).where(Enrolment.person_id == person.id)
                )
            ]
            done = set(
                session.exec(select(Completion.course_id).where(Completion.person_id == person.id))
            )
            step = next_step(statuses(self.content, enrolled, done))
            if step is None or step[1].id != row.course_id:
                return "skipped", None, "progress made since it was planned"
        if self.quiet is not None:
            zone: ZoneInfo = self.quiet.zone_of(person)
            when = self.quiet.deliverable(person, now, zone)
            if when > now:
                return "pending", when, ""
        return None

    def extend(self, item: Claimed, now: datetime) -> bool:
        """Renew this worker's lease on a row before a late send; False if it was lost.

        A row that waited long (pacing, a platform's Retry-After) may have had its
        lease run out and been claimed by another worker; then it must not be sent
        here too.
        """
        with session_scope(self.engine) as session:
            result = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == item.id,
                    col(OutboxMessage.claimed_by) == self.worker,
                    col(OutboxMessage.status) == "sending",
                    col(OutboxMessage.lease_until) > now,
                )
                .values(lease_until=now + self.lease, updated_at=now)
            )
            return bool(getattr(result, "rowcount", 0))

    # --- results ----------------------------------------------------------------------

    def sent(self, results: Sequence[tuple[int, str]], now: datetime) -> int:
        """Record successful sends: (row id, platform message id). Returns rows recorded."""
        recorded = 0
        with session_scope(self.engine) as session:
            for row_id, message_id in results:
                result = session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.id) == row_id,
                        col(OutboxMessage.claimed_by) == self.worker,
                        col(OutboxMessage.status) == "sending",
                    )
                    .values(
                        status="sent",
                        platform_message_id=message_id[:255],
                        sent_at=now,
                        claimed_by="",
                        lease_until=None,
                        in_doubt=False,
                        updated_at=now,
                    )
                )
                if getattr(result, "rowcount", 0):
                    recorded += 1
                else:
                    log.warning(
                        "outbox row %s was sent, but its lease had passed to another "
                        "worker; not recorded twice",
                        row_id,
                    )
        return recorded

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
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == item.id,
                    col(OutboxMessage.claimed_by) == self.worker,
                )
                .values(
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
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == item.id,
                    col(OutboxMessage.claimed_by) == self.worker,
                )
                .values(
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
            session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == item.id,
                    col(OutboxMessage.claimed_by) == self.worker,
                )
                .values(resends=item.resends + 1, updated_at=now)
            )


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
