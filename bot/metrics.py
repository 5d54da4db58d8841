"""What ``GET /metrics`` says, in Prometheus's format (prometheus-client).

Counted where it happens, in this process (each replica has its own, and Prometheus sums
them): the commands answered and how long each took, by platform and command; HTTP
requests by route and status; deliveries sent, retried and failed, and 429s, by platform;
the scheduler's ticks; import rows by kind and result; dashboard pages by view. The
outbox's depth by state and its lag (how long the oldest message due has waited) are
read from the database when scraped, so every replica tells the same truth about it.

Labels are bounded: a command is its class name, a route its pattern, never a person,
a text or an id.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.models import OutboxMessage

__all__ = ["CONTENT_TYPE_LATEST", "REGISTRY", "exposition"]

# No ``*_created`` series: a timestamp per label set that no dashboard needs.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
#: Seconds: chat answers are tens of milliseconds; imports and reports take seconds.
LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

COMMANDS = Counter(
    "huddle_commands",
    "Messages, slash commands and clicks answered, by platform and command.",
    ["platform", "command"],
    registry=REGISTRY,
)
COMMAND_SECONDS = Histogram(
    "huddle_command_seconds",
    "Time to answer a command in the core (parse, role check, queries, commit).",
    ["platform", "command"],
    buckets=LATENCY,
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "huddle_http_requests",
    "Inbound HTTP requests, by route and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "huddle_http_request_seconds",
    "Time from an inbound request to its answer, by route.",
    ["route"],
    buckets=LATENCY,
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "huddle_deliveries",
    "Scheduled messages sent, retried later and failed for good, by platform.",
    ["platform", "result"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "huddle_rate_limited",
    "Platform answers of 429 (rate limited), by platform.",
    ["platform"],
    registry=REGISTRY,
)
TICK_SECONDS = Histogram(
    "huddle_scheduler_tick_seconds",
    "Time a planning tick took (every schedule, celebrations, surveys).",
    buckets=LATENCY,
    registry=REGISTRY,
)
TICKS = Counter(
    "huddle_scheduler_ticks",
    "Planning ticks run, by result (ok or error).",
    ["result"],
    registry=REGISTRY,
)
IMPORT_ROWS = Counter(
    "huddle_import_rows",
    "Rows of imported files, by kind and result (applied, refused).",
    ["kind", "result"],
    registry=REGISTRY,
)
DASHBOARD = Counter(
    "huddle_dashboard_requests",
    "Dashboard pages and actions, by view and status.",
    ["view", "status"],
    registry=REGISTRY,
)
OUTBOX = Gauge(
    "huddle_outbox_messages",
    "Outbox rows by state, read from the database when scraped.",
    ["state"],
    registry=REGISTRY,
)
OUTBOX_LAG = Gauge(
    "huddle_outbox_lag_seconds",
    "How long the oldest pending message that is due has waited (0 when none is).",
    registry=REGISTRY,
)
#: The states an outbox row can be in, so each is said even at 0.
STATES = ("pending", "sending", "sent", "failed", "skipped")


def count_import(kind: str, rows: int, refused: int) -> None:
    """A finished import's rows: those applied and those refused."""
    IMPORT_ROWS.labels(kind=kind, result="applied").inc(max(0, rows - refused))
    IMPORT_ROWS.labels(kind=kind, result="refused").inc(max(0, refused))


def read_outbox(engine: Engine, now: datetime) -> None:
    """Set the outbox gauges from the database."""
    with Session(engine) as session:
        counts = dict(
            session.exec(
                select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
            ).all()
        )
        oldest = session.exec(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                col(OutboxMessage.status) == "pending", col(OutboxMessage.next_attempt_at) <= now
            )
        ).one()
    for state in sorted({*STATES, *counts}):
        OUTBOX.labels(state=state).set(counts.get(state, 0))
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    OUTBOX_LAG.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)


def exposition(engine: Engine, now: datetime) -> bytes:
    """Everything, in the text exposition format, the outbox read afresh."""
    read_outbox(engine, now)
    return generate_latest(REGISTRY)
