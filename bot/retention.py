"""Data retention: what Huddle deletes once it is past its use, and when.

Huddle keeps workforce training records (people, enrolments, completions, surveys,
attendance, contests): those are the initiative's data and are never swept. What it
keeps only to work (delivered messages, event ids seen, files it made, sign-in links and
sessions, refused deliveries, help requests, xAPI statement ids, snoozes that have run
out) is deleted once older than the settings below say, by ``huddle retention`` and,
inside ``huddle run``, once a day on one replica.

The audit log is never swept: HIPAA's audit controls expect it kept, and it records each
sweep that deleted anything, and every ``huddle retention`` run (how many rows of each
kind).

Some rows are kept on purpose whatever their age: a team's case-discussion posts (the
next case shown is counted from them) and any message still pending or being sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from bot.db import insert_ignore, session_scope
from bot.models import (
    AuditEntry,
    DashboardLink,
    DashboardSession,
    DeliveryIssue,
    HandledEvent,
    HelpRequest,
    OutboxMessage,
    PlannerMark,
    Snooze,
    StoredFile,
    XapiStatement,
)

#: Event ids are remembered this long: platforms retry for minutes, never for days.
EVENT_MEMORY = timedelta(days=7)
#: A file Huddle made (a report, an import's refused rows) is fetched again for this long.
KEEP_FILES = timedelta(days=30)
#: How often ``huddle run`` sweeps (the first replica to claim the day does it).
EVERY = timedelta(days=1)
#: The planner mark that says when the last automatic sweep ran.
MARK = "retention"
#: Outbox rows that are finished: delivered, given up on, or skipped on purpose.
FINISHED = ("sent", "failed", "skipped")


class RetentionSettings(BaseSettings):
    """How long Huddle keeps what it holds only to work (days). Training records and the
    audit log are not swept."""

    model_config = SettingsConfigDict(env_prefix="HUDDLE_RETENTION_", extra="ignore")

    messages_days: int = Field(
        default=180,
        ge=30,
        le=3650,
        description=(
            "Delivered, failed and skipped scheduled messages are deleted after this many days "
            "(their schedule's history shows no further back). At least 30."
        ),
    )
    delivery_problems_days: int = Field(
        default=365,
        ge=7,
        le=3650,
        description="Refused deliveries (nudge problems) are deleted after this many days.",
    )
    help_requests_days: int = Field(
        default=730,
        ge=30,
        le=3650,
        description=(
            "Help requests (counted by team for the admins) are deleted after this many days."
        ),
    )
    xapi_days: int = Field(
        default=365,
        ge=30,
        le=3650,
        description=(
            "xAPI statement ids (kept so a statement sent twice counts once) are deleted after "
            "this many days."
        ),
    )
    dashboard_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description=(
            "Used or expired dashboard sign-in links, and ended or idle sessions, are deleted "
            "after this many days."
        ),
    )
    automatic: bool = Field(
        default=True,
        description=(
            "huddle run sweeps once a day (one replica); false: only huddle retention does."
        ),
    )


@dataclass(frozen=True)
class Rule:
    """One kind of row, and which of its rows are past keeping at ``now``."""

    name: str
    what: str
    table: type
    past: Callable[[RetentionSettings, datetime], ColumnElement[bool]]


def _idle_sessions(settings: RetentionSettings, now: datetime) -> ColumnElement[bool]:
    cutoff = now - timedelta(days=settings.dashboard_days)
    return col(DashboardSession.last_seen_at) < cutoff


RULES: tuple[Rule, ...] = (
    Rule(
        "messages",
        "scheduled messages delivered, failed or skipped",
        OutboxMessage,
        lambda s, now: (
            col(OutboxMessage.status).in_(FINISHED)
            & (col(OutboxMessage.kind) != "case")
            & (col(OutboxMessage.updated_at) < now - timedelta(days=s.messages_days))
        ),
    ),
    Rule(
        "events",
        "platform event ids seen",
        HandledEvent,
        lambda s, now: col(HandledEvent.received_at) < now - EVENT_MEMORY,
    ),
    Rule(
        "delivery_problems",
        "refused deliveries",
        DeliveryIssue,
        lambda s, now: col(DeliveryIssue.at) < now - timedelta(days=s.delivery_problems_days),
    ),
    Rule(
        "help_requests",
        "help requests",
        HelpRequest,
        lambda s, now: col(HelpRequest.at) < now - timedelta(days=s.help_requests_days),
    ),
    Rule(
        "files",
        "files Huddle made (reports, refused rows)",
        StoredFile,
        lambda s, now: col(StoredFile.created_at) < now - KEEP_FILES,
    ),
    Rule(
        "xapi",
        "xAPI statement ids",
        XapiStatement,
        lambda s, now: col(XapiStatement.received_at) < now - timedelta(days=s.xapi_days),
    ),
    Rule(
        "dashboard_links",
        "dashboard sign-in links",
        DashboardLink,
        lambda s, now: col(DashboardLink.issued_at) < now - timedelta(days=s.dashboard_days),
    ),
    Rule("dashboard_sessions", "dashboard sessions", DashboardSession, _idle_sessions),
    Rule(
        "snoozes",
        "snoozes that have run out",
        Snooze,
        lambda s, now: col(Snooze.until) < (now - timedelta(days=1)).date(),
    ),
)


@dataclass
class Swept:
    """What a sweep deleted (or, in a dry run, would delete): rows by rule name."""

    counts: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def detail(self) -> str:
        return ", ".join(f"{name} {n}" for name, n in self.counts.items() if n) or "nothing"


def sweep(
    session: Session,
    settings: RetentionSettings,
    now: datetime,
    *,
    actor: str,
    dry_run: bool = False,
    record_empty: bool = True,
) -> Swept:
    """Delete every row past its keeping, in this session's transaction, and record the
    sweep in the audit log (one that deleted nothing only with ``record_empty``).
    ``dry_run``: count them only; nothing is written."""
    swept = Swept(dry_run=dry_run)
    for rule in RULES:
        past = rule.past(settings, now)
        if dry_run:
            counted = session.execute(select(func.count()).select_from(rule.table).where(past))
            swept.counts[rule.name] = int(counted.scalar_one())
        else:
            result = session.execute(delete(rule.table).where(past))
            swept.counts[rule.name] = int(getattr(result, "rowcount", 0) or 0)
    if not dry_run and (swept.total or record_empty):
        session.add(
            AuditEntry(
                at=now,
                actor=actor[:255],
                action="retention",
                target="held data past its keeping",
                detail=swept.detail()[:4000],
            )
        )
    return swept


def claim_day(session: Session, now: datetime) -> bool:
    """Whether this process is the one to sweep now: True for one caller a day, on any
    replica (the mark moves forward in one conditional update)."""
    insert_ignore(session, PlannerMark, [{"name": MARK, "at": now - EVERY, "began": now}])
    moved = session.execute(
        update(PlannerMark)
        .where(col(PlannerMark.name) == MARK, col(PlannerMark.at) <= now - EVERY)
        .values(at=now)
    )
    return bool(getattr(moved, "rowcount", 0))


def daily(engine: Engine, settings: RetentionSettings, now: datetime) -> Swept | None:
    """The automatic sweep: at most once a day across every replica (None when it was not
    this process's turn, or automatic sweeping is off)."""
    if not settings.automatic:
        return None
    with session_scope(engine) as session:
        if not claim_day(session, now):
            return None
        return sweep(
            session, settings, now, actor="huddle run (daily retention)", record_empty=False
        )
