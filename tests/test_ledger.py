"""The completion ledger on both databases: one completion, every source of it, verified
by anything but the person's own word, the earliest date kept; and the bulk path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import ledger
from bot.db import session_scope
from bot.models import Completion, CompletionSource, Person

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _people(engine: Engine, n: int) -> list[int]:
    with session_scope(engine) as session:
        people = [
            Person(
                email=f"p{i}@example.org",
                name=f"P {i}",
                discipline="nursing",
                created_at=NOW,
                updated_at=NOW,
            )
            for i in range(n)
        ]
        session.add_all(people)
        session.flush()
        return [p.id or 0 for p in people]


def _completion(engine: Engine, person: int, course: str) -> Completion:
    with Session(engine) as session:
        found = ledger.find(session, person, course)
        assert found is not None
        return found


def test_a_self_report_stays_self_reported_until_another_source_confirms_it(
    engine: Engine,
) -> None:
    (ana,) = _people(engine, 1)
    with session_scope(engine) as session:
        done = ledger.record(
            session,
            person_id=ana,
            course_id="pain-101",
            kind="self_report",
            ref="ana@example.org",
            completed_at=NOW,
            now=NOW,
            actor="ana@example.org",
        )
        assert done.added and not done.completion.verified
    # The same person saying so again adds nothing.
    with session_scope(engine) as session:
        again = ledger.record(
            session,
            person_id=ana,
            course_id="pain-101",
            kind="self_report",
            ref="ana@example.org",
            completed_at=NOW + timedelta(hours=1),
            now=NOW + timedelta(hours=1),
            actor="ana@example.org",
        )
        assert not (again.added or again.confirmed or again.verified_now)
    # An import says she finished three days earlier: verified, and the earlier date kept.
    earlier = NOW - timedelta(days=3)
    with session_scope(engine) as session:
        imported = ledger.record(
            session,
            person_id=ana,
            course_id="pain-101",
            kind="import",
            ref="import:moodle-course:completion-pain.csv",
            completed_at=earlier,
            now=NOW + timedelta(days=1),
            actor="cli:op",
        )
        assert imported.confirmed and imported.verified_now and not imported.added
    completion = _completion(engine, ana, "pain-101")
    assert completion.verified
    assert completion.completed_at == earlier
    assert completion.source == "self_report"  # the first source stays the first
    with Session(engine) as session:
        kinds = [(s.kind, s.ref) for s in ledger.sources(session, completion)]
    assert kinds == [
        ("self_report", "ana@example.org"),
        ("import", "import:moodle-course:completion-pain.csv"),
    ]


def test_a_champion_verifies_once(engine: Engine) -> None:
    (ana,) = _people(engine, 1)
    with session_scope(engine) as session:
        ledger.record(
            session,
            person_id=ana,
            course_id="pain-101",
            kind="self_report",
            ref="ana",
            completed_at=NOW,
            now=NOW,
            actor="ana",
        )
    with session_scope(engine) as session:
        found = ledger.find(session, ana, "pain-101")
        assert found is not None
        assert ledger.verify(session, found, kind="champion", ref="cat@example.org", now=NOW)
        assert not ledger.verify(session, found, kind="admin", ref="ed@example.org", now=NOW)
    completion = _completion(engine, ana, "pain-101")
    with Session(engine) as session:
        assert [s.kind for s in ledger.sources(session, completion)] == [
            "self_report",
            "champion",
        ]


def test_an_xapi_statement_first_then_the_import_confirms(engine: Engine) -> None:
    (ana,) = _people(engine, 1)
    with session_scope(engine) as session:
        ledger.record(
            session,
            person_id=ana,
            course_id="goals-201",
            kind="xapi",
            ref="xapi:lms:6c2f0b9e-5d7a-4d3c-9a53-0f6c3b1f2a11",
            completed_at=NOW,
            now=NOW,
            actor="xapi:lms",
        )
    assert _completion(engine, ana, "goals-201").verified
    with session_scope(engine) as session:
        batch = ledger.record_many(
            session,
            ledger.as_batch([(ana, "goals-201", NOW + timedelta(days=1))]),
            kind="import",
            ref="import:plain:a.csv",
            now=NOW,
            actor="cli:op",
        )
    assert (batch.added, batch.confirmed, batch.already) == (0, 1, 0)
    assert _completion(engine, ana, "goals-201").completed_at == NOW  # the earlier kept


def test_a_batch_adds_confirms_and_changes_nothing_the_second_time(engine: Engine) -> None:
    people = _people(engine, 30)
    # Two of them had said so themselves already.
    with session_scope(engine) as session:
        for person in people[:2]:
            ledger.record(
                session,
                person_id=person,
                course_id="pain-101",
                kind="self_report",
                ref="self",
                completed_at=NOW,
                now=NOW,
                actor="self",
            )
    day = NOW - timedelta(days=30)
    rows = [(p, course, day) for p in people for course in ("pain-101", "goals-201")]
    rows.append((people[5], "pain-101", day + timedelta(days=1)))  # twice in one file
    with session_scope(engine) as session:
        first = ledger.record_many(
            session,
            ledger.as_batch(rows),
            kind="import",
            ref="import:plain:x.csv",
            now=NOW,
            actor="op",
        )
    assert (first.added, first.confirmed, first.already) == (58, 2, 1)
    assert sorted(first.new) == sorted(
        (p, c, w)
        for p, c, w in rows[:-1]
        if (p, c)
        not in {
            (people[0], "pain-101"),
            (people[1], "pain-101"),
        }
    )
    with session_scope(engine) as session:
        second = ledger.record_many(
            session,
            ledger.as_batch(rows),
            kind="import",
            ref="import:plain:x.csv",
            now=NOW + timedelta(hours=1),
            actor="op",
        )
    assert (second.added, second.confirmed, second.already, second.new) == (0, 0, 61, [])
    with Session(engine) as session:
        completions = session.exec(select(Completion)).all()
        assert len(completions) == 60
        assert all(c.verified for c in completions)
        confirmed = session.exec(select(CompletionSource)).all()
        assert len(confirmed) == 2
        # The self-reports were verified and given the import's earlier date.
        for person in people[:2]:
            found = ledger.find(session, person, "pain-101")
            assert found is not None and found.completed_at == day and found.verified
        # A time written by the bulk path reads back as the ORM wrote it.
        found = ledger.find(session, people[9], "goals-201")
        assert found is not None and found.completed_at == day and found.recorded_at == NOW


def test_a_batch_with_a_reference_per_row(engine: Engine) -> None:
    people = _people(engine, 3)
    table = ledger.as_batch([(p, "pain-101", NOW) for p in people])
    refs = [f"xapi:lms:{i}" for i in range(3)]
    table = table.append_column("ref", pa.array(refs))
    with session_scope(engine) as session:
        batch = ledger.record_many(session, table, kind="xapi", ref="", now=NOW, actor="xapi:lms")
    assert batch.added == 3
    with Session(engine) as session:
        assert sorted(c.source_ref for c in session.exec(select(Completion))) == refs


@pytest.mark.parametrize("size", [1, 5000])
def test_a_batch_on_an_empty_table_is_all_new(engine: Engine, size: int) -> None:
    people = _people(engine, 50)
    rows = [(people[i % 50], f"course-{i // 50}", NOW) for i in range(size)]
    with session_scope(engine) as session:
        batch = ledger.record_many(
            session, ledger.as_batch(rows), kind="import", ref="r", now=NOW, actor="op"
        )
    assert batch.added == size and len(batch.new) == size and batch.already == 0
