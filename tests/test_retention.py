"""Retention: what is past its keeping is deleted, training records and the audit log are
kept, each sweep is audited, and ``huddle run`` sweeps once a day whatever the replicas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bot.messages import Message, Text
from bot.models import (
    AuditEntry,
    Completion,
    DashboardLink,
    DashboardSession,
    DeliveryIssue,
    HandledEvent,
    HelpRequest,
    OutboxMessage,
    Person,
    Snooze,
    StoredFile,
    XapiCredential,
    XapiStatement,
)
from bot.retention import RULES, RetentionSettings, claim_day, daily, sweep
from tests.fakechat import FakeChat
from tests.test_cli import huddle

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _outbox(n: int, *, status: str, kind: str, age: timedelta) -> dict[str, object]:
    at = NOW - age
    return {
        "dedupe_key": f"k{n}",
        "kind": kind,
        "platform": "fake",
        "target": "C1",
        "message": Message(blocks=(Text("Hello"),), summary="Hello", kind=kind).to_json(),
        "status": status,
        "due_at": at,
        "next_attempt_at": at,
        "created_at": at,
        "updated_at": at,
    }


def _fill(session: Session) -> dict[str, int]:
    """Rows of every kind, each once past its keeping and once within it. Returns how many
    of each kind must go with the default settings."""
    person = session.exec(select(Person)).first()
    assert person is not None and person.id is not None
    pid = person.id
    old, young = timedelta(days=400), timedelta(days=2)
    n = 0
    for status in ("sent", "failed", "skipped", "pending", "sending"):
        for kind, age in (("nudge", old), ("nudge", young), ("case", old)):
            n += 1
            session.add(OutboxMessage(**_outbox(n, status=status, kind=kind, age=age)))  # type: ignore[arg-type]
    for age in (old, young):
        session.add(HandledEvent(platform="slack", event_id=f"e{age.days}", received_at=NOW - age))
        session.add(DeliveryIssue(at=NOW - age, platform="slack", target="C1", error="gone"))
        session.add(HelpRequest(at=NOW - age, person_id=pid, kind="account"))
        session.add(
            StoredFile(
                id=f"f{age.days}",
                name="a.csv",
                media_type="text/csv",
                content=b"x",
                created_at=NOW - age,
                owner="a",
            )
        )
        session.add(
            DashboardLink(nonce=f"n{age.days}", person_id=pid, role="admin", issued_at=NOW - age)
        )
        session.add(
            DashboardSession(
                key_hash=f"h{age.days}",
                person_id=pid,
                role="admin",
                csrf="c",
                created_at=NOW - age,
                last_seen_at=NOW - age,
            )
        )
        session.add(AuditEntry(at=NOW - age, actor="a", action="verify", target="t"))
    credential = XapiCredential(
        name="lms", key="k", secret_hash="s", created_at=NOW, created_by="admin"
    )
    session.add(credential)
    session.flush()
    for age in (old, young):
        session.add(
            XapiStatement(
                statement_id=f"00000000-0000-0000-0000-{age.days:012d}",
                credential_id=credential.id or 0,
                digest="d",
                received_at=NOW - age,
            )
        )
    session.add(Snooze(person_id=pid, course_id="c-old", until=date(2026, 1, 1), created_at=NOW))
    session.add(Snooze(person_id=pid, course_id="c-new", until=date(2026, 12, 1), created_at=NOW))
    session.flush()
    # Finished messages (sent, failed, skipped) past 180 days, not the case posts.
    return {
        "messages": 3,
        "events": 1,
        "delivery_problems": 1,
        "help_requests": 0,  # 400 days is within the default 730
        "files": 1,
        "xapi": 1,
        "dashboard_links": 1,
        "dashboard_sessions": 1,
        "snoozes": 1,
    }


def _count(session: Session, table: type) -> int:
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _sweeps(session: Session) -> int:
    return len(session.exec(select(AuditEntry.id).where(AuditEntry.action == "retention")).all())


def test_a_sweep_deletes_what_is_past_keeping_and_keeps_the_rest(
    chat: FakeChat, engine: Engine
) -> None:
    with Session(engine) as session:
        expected = _fill(session)
        completions = _count(session, Completion)
        before = {rule.name: _count(session, rule.table) for rule in RULES}
        audit_before = _count(session, AuditEntry)

        dry = sweep(session, RetentionSettings(), NOW, actor="t", dry_run=True)
        assert dry.counts == expected
        assert {rule.name: _count(session, rule.table) for rule in RULES} == before
        assert _count(session, AuditEntry) == audit_before  # a dry run writes nothing

        swept = sweep(session, RetentionSettings(), NOW, actor="cli:ops (huddle retention)")
        session.commit()
        assert swept.counts == expected
        for rule in RULES:
            assert _count(session, rule.table) == before[rule.name] - expected[rule.name]

        kept = session.exec(select(OutboxMessage.status, OutboxMessage.kind)).all()
        assert ("pending", "nudge") in kept and ("sending", "nudge") in kept
        assert sum(1 for _, kind in kept if kind == "case") == 5  # the rotation counts them
        assert _count(session, Completion) == completions
        # The audit log keeps even its 400-day-old entry, and gains the sweep.
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
        assert len(entries) == audit_before + 1
        assert entries[-1].action == "retention" and entries[-1].actor.startswith("cli:ops")
        assert "messages 3" in entries[-1].detail and "files 1" in entries[-1].detail

        # Shorter settings reach further; a second sweep finds only what they add.
        shorter = RetentionSettings(help_requests_days=30)
        assert sweep(session, shorter, NOW, actor="t").counts["help_requests"] == 1
        assert sweep(session, shorter, NOW, actor="t").total == 0


def test_the_settings_refuse_a_keeping_too_short_to_work() -> None:
    with pytest.raises(ValueError, match="messages_days"):
        RetentionSettings(messages_days=3)  # the planner looks back a week at what it sent


def test_one_sweep_a_day_whatever_the_replicas(chat: FakeChat, engine: Engine) -> None:
    with Session(engine) as session:
        assert claim_day(session, NOW)
        assert not claim_day(session, NOW + timedelta(hours=23))  # another replica, same day
        assert claim_day(session, NOW + timedelta(days=1))
        session.commit()
    settings = RetentionSettings()
    assert daily(engine, settings, NOW + timedelta(days=1, hours=1)) is None  # already swept
    with Session(engine) as session:
        _fill(session)
        session.commit()
    later = NOW + timedelta(days=2)
    swept = daily(engine, settings, later)
    assert swept is not None and swept.counts["files"] == 1
    assert daily(engine, settings, later) is None
    assert daily(engine, RetentionSettings(automatic=False), later + timedelta(days=3)) is None
    with Session(engine) as session:
        actions = session.exec(select(AuditEntry.actor).where(AuditEntry.action == "retention"))
        assert list(actions) == ["huddle run (daily retention)"]


def test_the_tick_sweeps_and_an_empty_sweep_is_not_audited(chat: FakeChat, engine: Engine) -> None:
    chat.run_scheduler()  # the day's sweep, at NOW: nothing is old yet
    with Session(engine) as session:
        assert _sweeps(session) == 0
        _fill(session)
        session.commit()
    chat.run_scheduler()  # the same day: no second sweep
    with Session(engine) as session:
        assert len(session.exec(select(StoredFile.id)).all()) == 2
    chat.clock.set(NOW + timedelta(days=1, minutes=1))
    chat.run_scheduler()
    with Session(engine) as session:
        assert session.exec(select(StoredFile.id)).all() == ["f2"]  # the 400-day-old one went
        assert _sweeps(session) == 1


def test_huddle_retention_on_the_command_line(tmp_path: Path) -> None:
    assert huddle("db", "upgrade", cwd=tmp_path).returncode == 0
    dry = huddle("retention", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "Would delete" in dry.stdout and "rows in all" in dry.stdout
    done = huddle("retention", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Deleted        0  scheduled messages" in done.stdout
    audit = huddle("audit", cwd=tmp_path)
    assert "retention" in audit.stdout
    bad = huddle("retention", cwd=tmp_path, env={"HUDDLE_RETENTION_MESSAGES_DAYS": "3"})
    assert bad.returncode == 2 and "HUDDLE_RETENTION_MESSAGES_DAYS" in bad.stderr
