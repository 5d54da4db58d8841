"""One import of a learning-site export, start to finish.

The file's layout is recognised (or the profile asked for is used), then its rows
stream through in batches: each batch is mapped to completions, and the batches are
recorded in the ledger in groups of about RECORD_ROWS good rows, each group in its own
transaction with the run's counts, so a process killed half-way leaves every finished
group whole and nothing of the unfinished one; running the file again completes it
with nothing doubled (the ledger's key is the person and course, and the source is the
file). Bad rows go to an error file as each group is recorded, so memory stays the same
whatever the file's size.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
from sqlalchemy import Engine
from sqlmodel import Session

from bot import celebrations, ledger, matching, metrics
from bot.catalog import courses_to_match
from bot.content import Content, Course
from bot.db import session_scope
from bot.imports.mapping import Bad, Mapped, Mapper, People, Say, fits
from bot.imports.reading import Chunk, Layout, ReadProblem, chunks, inspect
from bot.models import AuditEntry, ImportRun
from bot.sources import ORDERS, Profile
from bot.timeparse import zone_or_none

log = logging.getLogger("huddle.imports")

#: Good rows recorded together, in one transaction: the file is read in small batches
#: (see reading.BLOCK_BYTES) and recorded in bigger groups, since every transaction
#: costs a commit, its share of index pages written again, and a round of celebrations
#: (team milestones look at whole teams). 100,000 rows is 10 transactions for a
#: million-row file, with a few MB of Arrow columns in hand.
RECORD_ROWS = 100_000
#: People not on the roster named in the summary (all of them are in the error file).
UNKNOWN_SHOWN = 5
UNKNOWN_KEPT = 100_000
ERROR_COLUMNS = ("line", "row", "reason")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Options:
    """How to read one file, beyond what its header says."""

    profile: str = ""  # a profile id; empty: recognise the layout from the header
    date_order: str = ""  # DMY or MDY, instead of the profile's
    zone: str = ""  # the time zone of times written without one
    course: str = ""  # the course of a one-course export, instead of its file name
    team_id: int | None = None  # a champion's team: rows about anyone else are refused
    actor: str = "cli"


@dataclass
class Outcome:
    """What an import did."""

    file_name: str
    layout: Layout
    run_id: int
    rows: int = 0  # data rows read (blank and metadata rows aside)
    added: int = 0
    confirmed: int = 0
    already: int = 0
    not_completed: int = 0
    refused: int = 0
    ignored: int = 0
    unknown: int = 0
    unknown_sample: list[str] = field(default_factory=list)
    unmatched_columns: list[str] = field(default_factory=list)
    teams_celebrating: set[int] = field(default_factory=set)
    errors: Path | None = None  # the error file, when any row was refused

    @property
    def completions(self) -> int:
        return self.added + self.confirmed + self.already


def recognise(content: Content, path: Path, name: str, profile: str = "") -> Layout:
    """The file's layout: the profile asked for, or the one its header fits."""
    profiles = list(content.sources.profiles.values())
    wanted = _profile(content, profile) if profile else None
    layout = inspect(path, name, profiles, wanted, fits(content))
    if wanted is None and layout.also:
        raise ReadProblem("import.ambiguous", profiles=", ".join((layout.profile.id, *layout.also)))
    return layout


def _profile(content: Content, wanted: str) -> Profile:
    found = content.sources.profiles.get(wanted.strip().lower())
    if found is None:
        raise ReadProblem(
            "import.unknown_profile",
            profile=wanted,
            profiles=", ".join(content.sources.profiles) or "-",
        )
    return found


def run(
    engine: Engine,
    content: Content,
    path: Path,
    options: Options,
    *,
    name: str,
    now: datetime,
    say: Say,
    errors_to: Path,
    progress: Progress | None = None,
) -> Outcome:
    """Import the completions in ``path`` (called ``name`` where it came from).

    Raises :class:`ReadProblem` when the file cannot be imported at all (nothing is
    written then). Bad rows are written to ``errors_to`` (created only if there are any).
    """
    layout = recognise(content, path, name, options.profile)
    order = options.date_order.strip().upper()
    if order and order not in ORDERS:
        raise ReadProblem("import.bad_order", value=options.date_order)
    zone = options.zone.strip() or layout.profile.zone or content.initiative.defaults.timezone
    if zone_or_none(zone) is None:
        raise ReadProblem("import.bad_zone", value=zone)
    with Session(engine) as session:
        people = People.load(session)
    mapper = Mapper(
        layout,
        content,
        people,
        say,
        now=now,
        zone=zone,
        order=order or None,
        course=_course(content, layout.profile, options.course) if options.course else None,
        file_name=name,
        team_id=options.team_id,
    )
    ref = f"import:{layout.profile.id}:{name}"[:255]
    with session_scope(engine) as session:
        record = ImportRun(
            started_at=now,
            what="completions",
            file_name=name[:255],
            profile=layout.profile.id,
            actor=options.actor[:255],
        )
        session.add(record)
        session.flush()
        run_id = record.id or 0
    outcome = Outcome(name, layout, run_id)
    unknown: dict[str, None] = {}
    errors = _ErrorFile(errors_to)
    # Celebrations look only at completions this recent, so the ledger need not hand
    # back the rest (see ledger.record_many).
    since = now - timedelta(days=content.sources.celebrate_within_days)

    def write(group: _Group) -> None:
        """One group of batches, in one transaction with the run's counts."""
        with session_scope(engine) as session:
            batch = ledger.record_many(
                session,
                group.good(),
                kind="import",
                ref=ref,
                now=now,
                actor=options.actor,
                new_since=since,
            )
            outcome.teams_celebrating |= celebrations.on_many(session, content, batch.new, now)
            outcome.rows += group.rows
            outcome.added += batch.added
            outcome.confirmed += batch.confirmed
            outcome.already += batch.already
            outcome.not_completed += group.not_completed
            outcome.refused += len(group.bad)
            outcome.ignored += group.ignored
            for value in group.unknown:
                if len(unknown) < UNKNOWN_KEPT:
                    unknown.setdefault(value)
            _count(session, run_id, outcome, len(unknown), "running")
        errors.write(group.bad)

    try:
        group = _Group()
        for chunk in chunks(path, layout):
            group.add(chunk, mapper.map(chunk))
            if group.good_rows >= RECORD_ROWS:
                write(group)
                group = _Group()
            if progress is not None:
                progress(chunk.done, chunk.total)
        if group.batches:
            write(group)
    finally:
        errors.close()
    outcome.unknown = len(unknown)
    outcome.unknown_sample = list(unknown)[:UNKNOWN_SHOWN]
    outcome.unmatched_columns = mapper.unmatched
    outcome.errors = errors.path if errors.rows else None
    with session_scope(engine) as session:
        _count(session, run_id, outcome, outcome.unknown, "done", finished=now)
        session.add(
            AuditEntry(
                at=now,
                actor=options.actor[:255],
                action="completions.import",
                target=name[:500],
                detail=json.dumps(
                    {
                        "profile": layout.profile.id,
                        "rows": outcome.rows,
                        "added": outcome.added,
                        "confirmed": outcome.confirmed,
                        "already": outcome.already,
                        "refused": outcome.refused,
                        "unknown_people": outcome.unknown,
                    }
                ),
            )
        )
    log.info(
        "imported %s (%s): %d rows, %d added, %d confirmed, %d already, %d refused",
        name,
        layout.profile.id,
        outcome.rows,
        outcome.added,
        outcome.confirmed,
        outcome.already,
        outcome.refused,
    )
    return outcome


class _Group:
    """Batches as read, mapped and waiting to be recorded together: the good rows stay in
    Arrow (about 50 bytes a row), so a group of RECORD_ROWS costs a few MB."""

    def __init__(self) -> None:
        self.batches = 0
        self.tables: list[pa.Table] = []
        self.good_rows = 0
        self.rows = 0
        self.bad: list[Bad] = []
        self.not_completed = 0
        self.ignored = 0
        self.unknown: list[str] = []

    def add(self, chunk: Chunk, mapped: Mapped) -> None:
        self.batches += 1
        if mapped.good.num_rows:
            self.tables.append(mapped.good)
            self.good_rows += mapped.good.num_rows
        self.rows += chunk.table.num_rows - mapped.ignored + len(chunk.invalid)
        self.bad += mapped.bad
        self.not_completed += mapped.not_completed
        self.ignored += mapped.ignored
        self.unknown += mapped.unknown

    def good(self) -> pa.Table:
        if not self.tables:
            return pa.table({})
        first = self.tables[0]
        return pa.concat_tables([first, *(t.cast(first.schema) for t in self.tables[1:])])


def _course(content: Content, profile: Profile, wanted: str) -> Course:
    course = content.course_by_id(wanted, profile.site)
    if course is None:
        chosen, _ = matching.pick(wanted, courses_to_match(content))
        course = content.courses[chosen.id] if chosen else None
    if course is None:
        raise ReadProblem("import.unknown_course_option", value=wanted)
    return course


def _count(
    session: Session,
    run_id: int,
    outcome: Outcome,
    unknown: int,
    status: str,
    finished: datetime | None = None,
) -> None:
    record = session.get(ImportRun, run_id)
    if record is None:  # pragma: no cover - the run's row is never deleted
        return
    record.rows = outcome.rows
    record.added = outcome.added
    record.confirmed = outcome.confirmed
    record.already = outcome.already
    record.refused = outcome.refused
    record.unknown_people = unknown
    record.status = status
    record.finished_at = finished
    session.add(record)
    if finished is not None:
        metrics.count_import(record.what, outcome.rows, outcome.refused)


class _ErrorFile:
    """The bad rows as CSV (line, row, reason), written as they are met."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._file: TextIO | None = None
        self._writer: Any = None

    def write(self, bad: list[Bad]) -> None:
        if not bad:
            return
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(ERROR_COLUMNS)
        for item in sorted(bad, key=lambda b: b.row):
            self._writer.writerow((item.row or "", _as_csv(item.cells), item.reason))
        self.rows += len(bad)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _as_csv(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()
