"""The completion ledger: one completion per person and course, and every source of it.

A completion is recorded once (the database's unique key decides), with its first
source on the row itself: a person's own word (``self_report``), an import (which
profile and file), an xAPI statement (which credential and statement id), or an
admin's or champion's record. Later sources are confirmations, one row each in
``completion_source``; the completion keeps the earliest date any source gave. A
completion is *verified* once anything but the person's own word stands behind it.

:func:`record` takes one completion; :func:`record_many` a batch, through the
database's own bulk path (executemany on SQLite, COPY on PostgreSQL) with
conflicts settled by the unique key, so recording the same batch again changes
nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlmodel import Session, col, select

from bot import freshness
from bot.db import insert_ignore
from bot.models import Completion, CompletionSource

SELF_REPORT = "self_report"
#: Every kind of source.
KINDS = ("self_report", "import", "xapi", "admin", "champion")
#: The columns :func:`record_many` takes; ``ref`` (one reference per row), ``score`` and
#: ``credits`` (float64) are optional.
BATCH_SCHEMA = pa.schema(
    [
        ("person_id", pa.int64()),
        ("course_id", pa.string()),
        ("completed_at", pa.timestamp("us", tz="UTC")),
    ]
)
#: How SQLAlchemy writes a datetime in SQLite (UTC, no offset), for the raw bulk path.
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


@dataclass
class Recorded:
    """What recording one completion did."""

    completion: Completion
    added: bool = False  # a new completion
    confirmed: bool = False  # an existing one gained this source
    verified_now: bool = False  # it was self-reported and is verified now


def record(
    session: Session,
    *,
    person_id: int,
    course_id: str,
    kind: str,
    ref: str,
    completed_at: datetime,
    now: datetime,
    actor: str,
    score: float | None = None,
    credits: float | None = None,
) -> Recorded:
    """Record a completion from one source; a later source confirms the first."""
    row = {
        "person_id": person_id,
        "course_id": course_id,
        "completed_at": completed_at,
        "recorded_at": now,
        "source": kind,
        "verified": kind != SELF_REPORT,
        "recorded_by": actor[:255],
        "source_ref": ref[:255],
        "score": score,
        "credits": credits,
    }
    added = insert_ignore(session, Completion, [row])
    found = find(session, person_id, course_id)
    assert found is not None  # inserted, or there already (completions are never deleted here)
    if added:
        return Recorded(found, added=True)
    result = Recorded(found)
    if kind == SELF_REPORT or (found.source == kind and found.source_ref == ref[:255]):
        return result  # a person's word adds nothing to a record; nor the same source again
    result.confirmed = _confirm(session, found, kind=kind, ref=ref, at=now, when=completed_at)
    result.verified_now = not found.verified
    found.verified = True
    if completed_at < found.completed_at:
        found.completed_at = completed_at  # the first completion date any source gave
    session.add(found)
    return result


def verify(session: Session, completion: Completion, *, kind: str, ref: str, now: datetime) -> bool:
    """A champion's or admin's word for a self-reported completion; False if it was
    verified already (nothing changes then)."""
    if completion.verified:
        return False
    _confirm(session, completion, kind=kind, ref=ref, at=now, when=completion.completed_at)
    completion.verified = True
    session.add(completion)
    return True


def _confirm(
    session: Session, completion: Completion, *, kind: str, ref: str, at: datetime, when: datetime
) -> bool:
    source = {
        "completion_id": completion.id,
        "kind": kind,
        "ref": ref[:255],
        "at": at,
        "completed_at": when,
    }
    return bool(insert_ignore(session, CompletionSource, [source]))


def find(session: Session, person_id: int, course_id: str) -> Completion | None:
    """A person's completion of a course, if recorded."""
    return session.exec(
        select(Completion).where(
            Completion.person_id == person_id, Completion.course_id == course_id
        )
    ).first()


@dataclass(frozen=True)
class Source:
    """One source of a completion."""

    kind: str
    ref: str
    at: datetime
    completed_at: datetime


def sources(session: Session, completion: Completion) -> list[Source]:
    """Every source of a completion, the first first."""
    first = completion
    found = [Source(first.source, first.source_ref, first.recorded_at, first.completed_at)]
    rows = session.exec(
        select(CompletionSource)
        .where(CompletionSource.completion_id == completion.id)
        .order_by(col(CompletionSource.at), col(CompletionSource.id))
    ).all()
    found.extend(Source(r.kind, r.ref, r.at, r.completed_at) for r in rows)
    return found


# --- many at once ---------------------------------------------------------------------------


@dataclass
class Batch:
    """What recording a batch did: new completions, confirmations of existing ones (from
    another source), and rows that changed nothing (this source had said so already)."""

    added: int = 0
    confirmed: int = 0
    already: int = 0
    #: (person id, course id, completed at) of each completion added, for celebrations.
    new: list[tuple[int, str, datetime]] = field(default_factory=list)

    def __iadd__(self, other: Batch) -> Batch:
        self.added += other.added
        self.confirmed += other.confirmed
        self.already += other.already
        self.new.extend(other.new)
        return self


def as_batch(rows: Sequence[tuple[int, str, datetime]]) -> pa.Table:
    """(person id, course id, completed at) rows as the table :func:`record_many` takes."""
    return pa.Table.from_pylist(
        [{"person_id": p, "course_id": c, "completed_at": w} for p, c, w in rows],
        schema=BATCH_SCHEMA,
    )


def record_many(
    session: Session,
    rows: pa.Table,
    *,
    kind: str,
    ref: str,
    now: datetime,
    actor: str,
    new_since: datetime | None = None,
) -> Batch:
    """Record a batch from one kind of source, in bulk: columns ``person_id``,
    ``course_id``, ``completed_at`` (UTC) and, optionally, ``ref`` (one reference per
    row, as an xAPI statement id; else ``ref`` for all).

    A completion already there from another source gains this one as a confirmation
    (and is verified); one from this same source changes nothing. Within the batch,
    the earliest date of a person and course counts.

    ``Batch.new`` lists every completion added; with ``new_since``, only those completed
    at or after it (what celebrations look at: an import of a million rows of history
    then keeps a few thousand in hand instead of a million tuples).
    """
    if not rows.num_rows:
        return Batch()
    one_ref = "ref" not in rows.column_names
    if one_ref:
        rows = rows.append_column("ref", pa.repeat(pa.scalar(ref[:255]), rows.num_rows))
    for name in ("score", "credits"):
        if name not in rows.column_names:
            rows = rows.append_column(name, pa.nulls(rows.num_rows, pa.float64()))
    # In the order of the unique key (person, course): each row's index entry then lands
    # beside the previous one's, so the database touches a few index pages in turn
    # instead of a random one per row (a batch arrives in the file's order, which for a
    # big import is no order at all). Several times faster on SQLite for a million rows.
    key = [("person_id", "ascending"), ("course_id", "ascending")]
    columns = ["person_id", "course_id", "completed_at", "ref", "score", "credits"]
    rows = rows.select(columns)
    order = pc.sort_indices(rows.select(["person_id", "course_id"]), sort_keys=key)
    view = _Sorted(rows, order)
    repeated = _repeated(rows.select(["person_id", "course_id"]).take(order))
    if repeated is not None:
        # A person and course more than once: the earliest date, the first reference (in
        # the batch's order), the highest score and credits. Aggregated for those rows
        # alone: Arrow's hash aggregation of a whole 200,000-row batch needs about 100 MB.
        where = order.filter(repeated)  # their places in the batch, in the batch's order:
        again = rows.take(pc.take(where, pc.sort_indices(where)))
        grouped = again.group_by(["person_id", "course_id"], use_threads=False).aggregate(
            [("completed_at", "min"), ("ref", "first"), ("score", "max"), ("credits", "max")]
        )
        merged = pa.table(
            {
                "person_id": grouped.column("person_id"),
                "course_id": grouped.column("course_id"),
                "completed_at": grouped.column("completed_at_min"),
                "ref": grouped.column("ref_first"),
                "score": grouped.column("score_max").cast(pa.float64()),
                "credits": grouped.column("credits_max").cast(pa.float64()),
            }
        )
        once = rows.take(order.filter(pc.invert(repeated)))
        view = _Sorted(pa.concat_tables([once, merged.cast(once.schema)]).sort_by(key))
    connection = session.connection()
    freshness.touched(session)  # the bulk paths talk to the driver: no session event sees them
    if connection.dialect.name == "postgresql":
        batch = _bulk_postgresql(connection, view, kind, now, actor, new_since)
    else:
        batch = _bulk_sqlite(connection, view, kind, now, actor, new_since, one_ref)
    batch.already += rows.num_rows - len(view)
    return batch


#: Rows turned into Python values (or CSV) at a time by the bulk paths, the rest staying
#: in Arrow: memory stays small however big the batch.
SLICE_ROWS = 20_000


class _Sorted:
    """A batch's rows, one per person and course, in the key's order: the table and the
    order of its rows (or, with no order, the table is in order already). Taken a slice
    at a time, so a sorted copy of the whole batch is never made."""

    def __init__(self, rows: pa.Table, order: pa.Array | None = None) -> None:
        self.rows = rows
        self.order = order

    def __len__(self) -> int:
        return self.rows.num_rows if self.order is None else len(self.order)

    def slices(self) -> Iterator[pa.Table]:
        for start in range(0, len(self), SLICE_ROWS):
            if self.order is None:
                yield self.rows.slice(start, SLICE_ROWS)
            else:
                yield self.rows.take(self.order.slice(start, SLICE_ROWS))

    def recent(self, since: datetime | None) -> list[tuple[int, str, datetime]]:
        """(person, course, completed at) of the rows completed at or after ``since``."""
        rows = self.rows  # every row of it is one in the order (or it is in order)
        if since is not None:
            at = pa.scalar(since.astimezone(UTC), pa.timestamp("us", tz="UTC"))
            rows = rows.filter(pc.greater_equal(rows.column("completed_at"), at))
        return list(
            zip(
                rows.column("person_id").to_pylist(),
                rows.column("course_id").to_pylist(),
                rows.column("completed_at").to_pylist(),
                strict=True,
            )
        )


def _repeated(rows: pa.Table) -> pa.Array | None:
    """In a table sorted by person and course, the rows whose pair is there more than
    once (side by side, then); None when every pair is there once, as usual."""
    if rows.num_rows < 2:
        return None
    people, courses = rows.column("person_id"), rows.column("course_id")
    before, after = slice(0, rows.num_rows - 1), slice(1, rows.num_rows)
    same = pc.and_(
        pc.equal(people[after], people[before]), pc.equal(courses[after], courses[before])
    ).combine_chunks()
    if not pc.any(same).as_py():
        return None
    no = pa.array([False])
    # A row is repeated if it is the same as the one before it or the one after it.
    return pc.or_(pa.concat_arrays([no, same]), pa.concat_arrays([same, no]))


def _bulk_sqlite(
    connection: Any,
    rows: _Sorted,
    kind: str,
    now: datetime,
    actor: str,
    new_since: datetime | None,
    one_ref: bool,
) -> Batch:
    raw = connection.connection.driver_connection
    verified = int(kind != SELF_REPORT)
    stamp = now.astimezone(UTC).strftime(SQLITE_TIME)
    same_ref = rows.rows.column("ref")[0].as_py() if one_ref else None

    def values() -> Iterator[tuple[Any, ...]]:
        # A slice at a time, the values every row shares repeated rather than copied.
        for part in rows.slices():
            yield from zip(
                part.column("person_id").to_pylist(),
                part.column("course_id").to_pylist(),
                _stamps(part),
                repeat(stamp),
                repeat(kind),
                repeat(verified),
                repeat(actor[:255]),
                repeat(same_ref) if one_ref else part.column("ref").to_pylist(),
                part.column("score").to_pylist(),
                part.column("credits").to_pylist(),
            )

    before = raw.total_changes
    raw.executemany(
        "INSERT INTO completion (person_id, course_id, completed_at, recorded_at, source, "
        "verified, recorded_by, source_ref, score, credits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (person_id, course_id) DO NOTHING",
        values(),
    )
    added = raw.total_changes - before
    if added == len(rows):  # nothing was there before: the usual first import
        return Batch(added=added, new=rows.recent(new_since))
    # Some were there already: which, and from what source? A slice at a time.
    batch = Batch(added=added)
    since = new_since.astimezone(UTC) if new_since is not None else None
    for part in rows.slices():
        people = part.column("person_id").to_pylist()
        courses = part.column("course_id").to_pylist()
        stamps = _stamps(part)
        refs = part.column("ref").to_pylist()
        dates = part.column("completed_at").to_pylist()
        pairs = json.dumps(list(zip(people, courses, strict=True)))
        existing = raw.execute(
            "SELECT c.id, c.person_id, c.course_id, c.source, c.source_ref, c.recorded_at, "
            "c.completed_at, c.verified FROM json_each(?) AS j JOIN completion AS c "
            "ON c.person_id = json_extract(j.value, '$[0]') "
            "AND c.course_id = json_extract(j.value, '$[1]')",
            (pairs,),
        ).fetchall()
        index = {(p, c): i for i, (p, c) in enumerate(zip(people, courses, strict=True))}
        confirm: list[tuple[Any, ...]] = []
        earlier: list[tuple[str, int]] = []
        for cid, person, course, source, source_ref, recorded_at, completed_at, _ in existing:
            i = index[(person, course)]
            if source == kind and source_ref == refs[i]:
                if recorded_at == stamp and (since is None or dates[i] >= since):
                    batch.new.append((person, course, dates[i]))  # added by this very batch
                continue
            confirm.append((cid, kind, refs[i], stamp, stamps[i]))
            if stamps[i] < completed_at:
                earlier.append((stamps[i], cid))
        if confirm:
            before = raw.total_changes
            raw.executemany(
                "INSERT INTO completion_source (completion_id, kind, ref, at, completed_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (completion_id, kind, ref) DO NOTHING",
                confirm,
            )
            batch.confirmed += raw.total_changes - before
            if verified:
                raw.executemany(
                    "UPDATE completion SET verified = 1 WHERE id = ? AND verified = 0",
                    [(r[0],) for r in confirm],
                )
            raw.executemany("UPDATE completion SET completed_at = ? WHERE id = ?", earlier)
    batch.already = len(rows) - batch.added - batch.confirmed
    return batch


def _stamps(rows: pa.Table) -> list[str]:
    """Completion times as the SQLite bulk path writes them."""
    text = pc.strftime(rows.column("completed_at"), format="%Y-%m-%d %H:%M:%S")
    stamps: list[str] = text.to_pylist()
    return stamps


def _bulk_postgresql(
    connection: Any,
    rows: _Sorted,
    kind: str,
    now: datetime,
    actor: str,
    new_since: datetime | None,
) -> Batch:
    raw = connection.connection.driver_connection
    verified = kind != SELF_REPORT
    columns = ["person_id", "course_id", "completed_at", "ref", "score", "credits"]
    with raw.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS huddle_batch (person_id INTEGER, course_id TEXT, "
            "completed_at TIMESTAMPTZ, ref TEXT, score FLOAT, credits FLOAT) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE huddle_batch")
        with cursor.copy(
            "COPY huddle_batch (person_id, course_id, completed_at, ref, score, credits) "
            "FROM STDIN (FORMAT csv)"
        ) as copy:
            for part in rows.slices():  # written by Arrow (C++), a slice at a time
                buffer = io.BytesIO()
                pa_csv.write_csv(
                    part.select(columns),
                    buffer,
                    pa_csv.WriteOptions(include_header=False, quoting_style="needed"),
                )
                copy.write(buffer.getbuffer())
        # In the key's order (see record_many); the count of rows added and, as arrays in
        # one row, the new completions asked for (not a million rows sent back one by one
        # for celebrations that look at a few thousand).
        cursor.execute(
            "WITH added AS (INSERT INTO completion (person_id, course_id, completed_at, "
            "recorded_at, source, verified, recorded_by, source_ref, score, credits) "
            "SELECT person_id, course_id, completed_at, %(now)s, %(kind)s, %(verified)s, "
            "%(actor)s, ref, score, credits FROM huddle_batch ORDER BY person_id, course_id "
            "ON CONFLICT (person_id, course_id) DO NOTHING "
            "RETURNING person_id, course_id, completed_at) "
            "SELECT count(*), "
            "array_agg(person_id) FILTER (WHERE %(since)s::timestamptz IS NULL "
            "OR completed_at >= %(since)s::timestamptz), "
            "array_agg(course_id) FILTER (WHERE %(since)s::timestamptz IS NULL "
            "OR completed_at >= %(since)s::timestamptz), "
            "array_agg(completed_at) FILTER (WHERE %(since)s::timestamptz IS NULL "
            "OR completed_at >= %(since)s::timestamptz) FROM added",
            {
                "now": now,
                "kind": kind,
                "verified": verified,
                "actor": actor[:255],
                "since": new_since,
            },
        )
        found = cursor.fetchone()
        added = int(found[0])
        new = [
            (p, c, w.astimezone(UTC))
            for p, c, w in zip(found[1] or [], found[2] or [], found[3] or [], strict=True)
        ]
        if added == len(rows):
            return Batch(added=added, new=new)
        cursor.execute(
            "INSERT INTO completion_source (completion_id, kind, ref, at, completed_at) "
            "SELECT c.id, %s, b.ref, %s, b.completed_at FROM huddle_batch AS b "
            "JOIN completion AS c ON c.person_id = b.person_id AND c.course_id = b.course_id "
            "WHERE NOT (c.source = %s AND c.source_ref = b.ref) "
            "ON CONFLICT (completion_id, kind, ref) DO NOTHING RETURNING completion_id",
            (kind, now, kind),
        )
        confirmed = len(cursor.fetchall())
        cursor.execute(
            "UPDATE completion AS c SET verified = c.verified OR %s, "
            "completed_at = LEAST(c.completed_at, b.completed_at) FROM huddle_batch AS b "
            "WHERE c.person_id = b.person_id AND c.course_id = b.course_id "
            "AND NOT (c.source = %s AND c.source_ref = b.ref) "
            "AND (NOT c.verified AND %s OR b.completed_at < c.completed_at)",
            (verified, kind, verified),
        )
    batch = Batch(added=added, confirmed=confirmed, new=new)
    batch.already = len(rows) - batch.added - batch.confirmed
    return batch
