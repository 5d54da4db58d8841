"""Turning an export's rows into completions, by its profile, a batch at a time.

Each batch is worked on as columns (pyarrow compute), not row by row: people are
looked up in the roster, courses by id (Huddle's or the site's) or by title (as the
chat matches titles, once per distinct title), statuses compared with the
profile's completed values, and dates read in the profile's formats and order in
its time zone. A row that cannot be a completion for a known person and course is
a bad row, with its number and the reason; it is never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from sqlmodel import Session, select

from bot import matching
from bot.catalog import courses_to_match
from bot.content import Content, Course
from bot.imports.reading import Chunk, Layout, ReadProblem
from bot.models import Person
from bot.sources import Profile, fold

#: Always read, whatever a profile lists: ISO 8601 dates and times (fractions of a
#: second and a "Z" are taken care of first).
ISO_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
EMAIL = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$"
NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
#: The date examples in a refused row's reason are written on (5 March 2026, 14:07).
SAMPLE_DATE = datetime(2026, 3, 5, 14, 7, tzinfo=UTC)
#: Dates before this year are misreadings (a two-digit year read as four).
MIN_YEAR = 1900
#: A completion dated further ahead than this is a mistake in the file.
FUTURE_GRACE = timedelta(days=1)

Say = Callable[..., str]


@dataclass
class Bad:
    """A row that was refused, and why."""

    row: int
    cells: list[str]
    reason: str


@dataclass
class Mapped:
    """What one batch held."""

    good: pa.Table
    bad: list[Bad] = field(default_factory=list)
    not_completed: int = 0
    ignored: int = 0  # empty rows, metadata rows
    unknown: list[str] = field(default_factory=list)  # people not on the roster, in order


class People:
    """The roster, for looking people up a column at a time: by email or username."""

    def __init__(self, rows: Sequence[tuple[int, str, str | None, int | None]]) -> None:
        self._keys = {
            "email": pa.array([email.lower() for _, email, _, _ in rows], pa.string()),
            "username": pa.array([u.lower() for _, _, u, _ in rows if u], pa.string()),
        }
        self._ids = {
            "email": pa.array([i for i, _, _, _ in rows], pa.int64()),
            "username": pa.array([i for i, _, u, _ in rows if u], pa.int64()),
        }
        self._team_ids = pa.array([i for i, *_ in rows], pa.int64())
        self._teams = pa.array([t for *_, t in rows], pa.int64())

    @classmethod
    def load(cls, session: Session) -> People:
        found = session.exec(select(Person.id, Person.email, Person.username, Person.team_id))
        return cls([(i or 0, e, u, t) for i, e, u, t in found])

    def ids(self, values: pa.Array, by: str) -> pa.Array:
        """The person id for each value (null when nobody on the roster has it)."""
        return pc.take(self._ids[by], pc.index_in(values, value_set=self._keys[by]))

    def teams(self, ids: pa.Array) -> pa.Array:
        return pc.take(self._teams, pc.index_in(ids, value_set=self._team_ids))


def fits(content: Content) -> Callable[[Profile, Sequence[str], str], bool]:
    """Whether a header row is ``profile``'s layout (for finding the header)."""

    def check(profile: Profile, cells: Sequence[str], file_name: str) -> bool:
        folded = [fold(c) for c in cells]
        present = set(folded)
        if len([c for c in folded if c]) < 2:
            return False
        if profile.header_starts_empty and folded[0]:
            return False
        if not set(profile.recognise) <= present:
            return False
        if not any(p.column in present for p in profile.people):
            return False
        course = profile.course
        if course.each:
            return any(_course_of_header(content, profile, c) for c in cells if fold(c))
        if course.column and course.column not in present and course.title_column not in present:
            return False
        if profile.status_column and profile.status_column not in present:
            return False
        return not profile.date_column or profile.date_column in present

    return check


def _course_of_header(content: Content, profile: Profile, header: str) -> Course | None:
    found = content.course_by_id(header, profile.site)
    if found is None and profile.course.by in ("title", "id_or_title"):
        chosen, _ = matching.pick(header, courses_to_match(content))
        found = content.courses[chosen.id] if chosen else None
    return found


@dataclass(frozen=True)
class Activity:
    """In a layout with one column per course: where a course's status and date are."""

    course_id: str
    title: str
    status: int
    date: int


class Mapper:
    """Maps batches of one file's rows to completions."""

    def __init__(
        self,
        layout: Layout,
        content: Content,
        people: People,
        say: Say,
        *,
        now: datetime,
        zone: str,
        order: str | None = None,
        course: Course | None = None,
        file_name: str = "",
        team_id: int | None = None,
    ) -> None:
        self.profile = profile = layout.profile
        self.content = content
        self.people = people
        self.say = say
        self.now = now
        self.zone = zone
        self.team_id = team_id
        self.formats = (*profile.formats(order), *ISO_FORMATS)
        self.shown_formats = " or ".join(
            [
                *[*dict.fromkeys(SAMPLE_DATE.strftime(f) for f in profile.formats(order))][:3],
                "2026-03-05",
            ]
        )
        self.header = layout.header
        self._taken: set[int] = set()
        header = layout.folded
        self.width = len(header)
        person = next((p for p in profile.people if p.column in header), None)
        if person is None:  # the header was found by this profile, so this is a bad profile
            raise ReadProblem("import.no_person_column", profile=profile.id)
        self.person_index, self.person_by = header.index(person.column), person.by
        self.score_index = _index(header, profile.score_column)
        self.credits_index = _index(header, profile.credits_column)
        self.status_index = _index(header, profile.status_column)
        self.date_index = _index(header, profile.date_column)
        self.course_index = _index(header, profile.course.column)
        self.title_index = _index(header, profile.course.title_column)
        self.fixed: Course | None = course
        self.activities: list[Activity] = []
        self.unmatched: list[str] = []
        self._checked_unmatched = False
        self._courses: dict[str, str | None] = {}
        self._reasons: dict[str, str] = {}
        self._candidates = courses_to_match(content)
        if profile.course.each:
            self._find_activities(layout)
        elif self.fixed is None and profile.course.file_name:
            self.fixed = self._course_from_name(file_name)

    # --- the layout ------------------------------------------------------------------------

    def _course_from_name(self, file_name: str) -> Course:
        pattern = self.profile.course.file_name
        found = re.search(pattern, file_name, re.IGNORECASE)
        if found is None:
            raise ReadProblem("import.course_not_in_name", name=file_name, pattern=pattern)
        course = self.content.course_by_id(found.group(1), self.profile.site)
        if course is None:
            raise ReadProblem(
                "import.course_of_name_unknown",
                name=file_name,
                value=found.group(1),
                site=self.profile.site or "-",
            )
        return course

    def _find_activities(self, layout: Layout) -> None:
        header = layout.header
        folded = layout.folded
        taken = {self.person_index}
        for index, cell in enumerate(header):
            if index in taken or not cell.strip():
                continue
            course = _course_of_header(self.content, self.profile, cell)
            if course is None:
                continue
            date = index + 1
            if self.profile.course.date != "next":
                wanted = fold(self.profile.course.date.replace("{course}", cell))
                date = folded.index(wanted) if wanted in folded else -1
            if not 0 <= date < len(header):
                continue
            self.activities.append(Activity(course.id, cell.strip(), index, date))
            taken.update({index, date})
        self._taken = taken
        if not self.activities:
            raise ReadProblem("import.no_course_columns", profile=self.profile.id)

    def _note_unmatched(self, table: pa.Table) -> None:
        """Columns of statuses that name no course: said in the summary, never guessed."""
        self._checked_unmatched = True
        statuses = pa.array(self.profile.completed_values, pa.string())
        for index, cell in enumerate(self.header):
            if index in self._taken or not cell.strip():
                continue
            values = _clean(table.column(index))
            looks = pc.or_(pc.is_in(values, value_set=statuses), pc.starts_with(values, "not "))
            if pc.any(looks).as_py():
                self.unmatched.append(cell.strip())

    # --- a batch -----------------------------------------------------------------------------

    def map(self, chunk: Chunk) -> Mapped:
        """The completions in one batch, and its bad rows."""
        table, rows = chunk.table, chunk.rows
        out = Mapped(good=_empty())
        for number, text, cells in chunk.invalid:
            reason = self.say("import.reason.cells", count=cells, expected=self.width)
            out.bad.append(Bad(number, [text], reason))
        if not table.num_rows:
            return out
        skip = _const(False, table.num_rows)
        for pattern in self.profile.skip:
            skip = pc.or_(skip, pc.match_substring_regex(table.column(0), pattern))
        blank = _all_empty(table)
        keep = pc.invert(pc.or_(blank, skip))
        out.ignored = table.num_rows - (pc.sum(keep).as_py() or 0)
        if self.profile.course.each:
            if not self._checked_unmatched:
                self._note_unmatched(table)
            self._map_wide(table, rows, keep, out)
        else:
            self._map_long(table, rows, keep, out)
        return out

    def _map_long(self, table: pa.Table, rows: pa.Array, keep: pa.Array, out: Mapped) -> None:
        completed = self._completed(table, self.status_index, self.date_index)
        out.not_completed += pc.sum(pc.and_(keep, pc.invert(completed))).as_py() or 0
        keep = pc.and_(keep, completed)
        table, rows = table.filter(keep), rows.filter(keep)
        if not table.num_rows:
            return
        ok, person_ids = self._people(table, rows, out)
        courses = self._course_column(table)
        ok = self._refuse(
            table, rows, ok, pc.is_null(courses), out, lambda i: self._course_reason(table, i)
        )
        dates = self._dates(table.column(self.date_index))
        ok = self._check_dates(table, rows, ok, dates, table.column(self.date_index), out)
        good = pa.table(
            {
                "person_id": person_ids,
                "course_id": courses,
                "completed_at": dates,
                "score": self._number(table, self.score_index),
                "credits": self._number(table, self.credits_index),
            }
        ).filter(ok)
        out.good = _concat(out.good, good)

    def _map_wide(self, table: pa.Table, rows: pa.Array, keep: pa.Array, out: Mapped) -> None:
        done = [self._completed(table, a.status, None) for a in self.activities]
        anything = done[0]
        for more in done[1:]:
            anything = pc.or_(anything, more)
        out.not_completed += pc.sum(pc.and_(keep, pc.invert(anything))).as_py() or 0
        keep = pc.and_(keep, anything)
        table, rows = table.filter(keep), rows.filter(keep)
        if not table.num_rows:
            return
        ok, person_ids = self._people(table, rows, out)
        for activity in self.activities:
            here = pc.and_(ok, self._completed(table, activity.status, None))
            raw = table.column(activity.date)
            dates = self._dates(raw)
            here = self._check_dates(table, rows, here, dates, raw, out, activity.title)
            count = pc.sum(here).as_py() or 0
            if not count:
                continue
            good = pa.table(
                {
                    "person_id": person_ids.filter(here),
                    "course_id": pa.repeat(pa.scalar(activity.course_id), count),
                    "completed_at": dates.filter(here),
                    "score": pa.nulls(count, pa.float64()),
                    "credits": pa.nulls(count, pa.float64()),
                }
            )
            out.good = _concat(out.good, good)

    def _completed(self, table: pa.Table, status: int | None, date: int | None) -> pa.Array:
        """Rows that say the course was completed: a completed status, or (with no status
        column) a completion date at all."""
        if status is not None:
            values = pa.array(self.profile.completed_values, pa.string())
            return pc.fill_null(pc.is_in(_clean(table.column(status)), value_set=values), False)
        if date is not None:
            return pc.not_equal(pc.utf8_trim_whitespace(table.column(date)), "")
        return _const(True, table.num_rows)

    def _people(self, table: pa.Table, rows: pa.Array, out: Mapped) -> tuple[pa.Array, pa.Array]:
        raw = table.column(self.person_index)
        values = pc.utf8_lower(pc.utf8_trim_whitespace(raw))
        ok = _const(True, table.num_rows)
        empty = pc.equal(values, "")
        ok = self._refuse(
            table, rows, ok, empty, out, lambda _: self.say("import.reason.no_person")
        )
        if self.person_by == "email":
            bad = pc.invert(pc.match_substring_regex(values, EMAIL))
            ok = self._refuse(
                table,
                rows,
                ok,
                bad,
                out,
                lambda i: self.say("import.reason.not_email", value=raw[i].as_py().strip()),
            )
        ids = self.people.ids(values, self.person_by)
        unknown = pc.and_(ok, pc.is_null(ids))
        for value in pc.unique(values.filter(unknown)).to_pylist():
            out.unknown.append(value)
        ok = self._refuse(
            table,
            rows,
            ok,
            pc.is_null(ids),
            out,
            lambda i: self.say("import.reason.unknown_person", value=raw[i].as_py().strip()),
        )
        if self.team_id is not None:
            other = pc.fill_null(pc.not_equal(self.people.teams(ids), self.team_id), True)
            ok = self._refuse(
                table,
                rows,
                ok,
                other,
                out,
                lambda i: self.say("import.reason.other_team", value=raw[i].as_py().strip()),
            )
        return ok, ids

    def _refuse(
        self,
        table: pa.Table,
        rows: pa.Array,
        ok: pa.Array,
        bad: pa.Array,
        out: Mapped,
        reason: Callable[[int], str],
    ) -> pa.Array:
        """Refuse the rows still ``ok`` that are ``bad``, each with its reason."""
        refused = pc.fill_null(pc.and_(ok, bad), False)
        indices = pc.indices_nonzero(refused)
        if len(indices):
            picked = table.take(indices)
            cells = [list(r.values()) for r in picked.to_pylist()]
            for n, index in enumerate(indices.to_pylist()):
                out.bad.append(Bad(rows[index].as_py(), cells[n], reason(index)))
        return pc.and_(ok, pc.invert(refused))

    # --- courses -----------------------------------------------------------------------------

    def _course_column(self, table: pa.Table) -> pa.Array:
        count = table.num_rows
        if self.fixed is not None:
            return pa.repeat(pa.scalar(self.fixed.id), count)
        found = pa.nulls(count, pa.string())
        if self.course_index is not None:
            found = self._lookup(table.column(self.course_index), self.profile.course.by)
        if self.title_index is not None:
            titles = self._lookup(table.column(self.title_index), "title")
            found = pc.coalesce(found, titles)
        return found

    def _lookup(self, values: pa.ChunkedArray, by: str) -> pa.Array:
        cleaned = pc.utf8_trim_whitespace(values)
        distinct = pc.unique(cleaned)
        for value in distinct.to_pylist():
            key = f"{by}\0{value}"
            if key not in self._courses:
                self._courses[key] = self._resolve(value, by)
        mapped = pa.array([self._courses[f"{by}\0{v}"] for v in distinct.to_pylist()], pa.string())
        return pc.take(mapped, pc.index_in(cleaned, value_set=distinct))

    def _resolve(self, value: str, by: str) -> str | None:
        """One course for a cell, or None with the reason kept (never a guess)."""
        if not value:
            self._reasons[value] = self.say("import.reason.no_course")
            return None
        if by in ("id", "id_or_title"):
            course = self.content.course_by_id(value, self.profile.site)
            if course is not None:
                return course.id
        if by in ("title", "id_or_title"):
            chosen, options = matching.pick(value, self._candidates)
            if chosen is not None:
                return chosen.id
            if len(options) > 1:
                self._reasons[value] = self.say(
                    "import.reason.several_courses",
                    value=value,
                    courses="; ".join(self.content.courses[o.id].title for o in options[:3]),
                )
                return None
        self._reasons[value] = self.say("import.reason.unknown_course", value=value)
        return None

    def _course_reason(self, table: pa.Table, index: int) -> str:
        for column in (self.course_index, self.title_index):
            if column is not None:
                value = (table.column(column)[index].as_py() or "").strip()
                if value in self._reasons:
                    return self._reasons[value]
        return self.say("import.reason.no_course")

    # --- dates and numbers -------------------------------------------------------------------

    def _dates(self, values: pa.ChunkedArray) -> pa.Array:
        """Each cell as a UTC time: the profile's formats (in its order), then ISO 8601;
        times without an offset are in the profile's (or the initiative's) zone."""
        cleaned = pc.utf8_trim_whitespace(values)
        cleaned = pc.replace_substring_regex(cleaned, r"(\d\d:\d\d:\d\d)[.,]\d+", r"\1")
        cleaned = pc.replace_substring_regex(cleaned, r"(\d)Z$", r"\1+00:00")
        cleaned = cleaned.combine_chunks() if isinstance(cleaned, pa.ChunkedArray) else cleaned
        result = pa.nulls(len(cleaned), pa.timestamp("us", tz="UTC"))
        todo = pc.not_equal(cleaned, "")
        holds: dict[str, pa.Array] = {}  # which cells hold a mark, found once a batch
        for fmt in self.formats:
            if not pc.any(todo).as_py():
                break
            # Only cells with every mark the format writes ("/", "-", ":" ...) can be read
            # by it, so the others are not tried: a file of ISO dates then skips the
            # profile's formats with slashes in one pass each rather than six
            # strptime passes that fail. (Letters and spaces are not checked: strptime
            # lets a space match any, and may not care about case.)
            maybe = todo
            for mark in _marks(fmt):
                if mark not in holds:
                    holds[mark] = pc.match_substring(cleaned, mark)
                maybe = pc.and_(maybe, holds[mark])
            if not pc.any(maybe).as_py():
                continue
            parsed = pc.strptime(cleaned.filter(maybe), format=fmt, unit="us", error_is_null=True)
            # %Y reads "26" as the year 26: no completion is that old, so a later format
            # (%y) gets its turn.
            parsed = pc.if_else(
                pc.fill_null(pc.less(pc.year(parsed), MIN_YEAR), False),
                pa.scalar(None, parsed.type),
                parsed,
            )
            if "%z" not in fmt:
                parsed = pc.assume_timezone(
                    parsed, timezone=self.zone, ambiguous="earliest", nonexistent="earliest"
                )
            parsed = parsed.cast(pa.timestamp("us", tz="UTC"))
            result = pc.replace_with_mask(result, maybe, parsed)
            todo = pc.and_(todo, pc.is_null(result))
        return result

    def _check_dates(
        self,
        table: pa.Table,
        rows: pa.Array,
        ok: pa.Array,
        dates: pa.Array,
        raw: pa.ChunkedArray,
        out: Mapped,
        activity: str = "",
    ) -> pa.Array:
        def reason(key: str) -> Callable[[int], str]:
            def say(i: int) -> str:
                text = self.say(key, value=raw[i].as_py().strip(), formats=self.shown_formats)
                return f"{activity}: {text}" if activity else text

            return say

        empty = pc.equal(pc.utf8_trim_whitespace(raw), "")
        ok = self._refuse(table, rows, ok, empty, out, reason("import.reason.no_date"))
        ok = self._refuse(table, rows, ok, pc.is_null(dates), out, reason("import.reason.bad_date"))
        late = pa.scalar(self.now + FUTURE_GRACE, pa.timestamp("us", tz="UTC"))
        ahead = pc.fill_null(pc.greater(dates, late), False)
        return self._refuse(table, rows, ok, ahead, out, reason("import.reason.future_date"))

    def _number(self, table: pa.Table, index: int | None) -> pa.Array:
        """A score or credits column as numbers (a cell that is not one counts as empty)."""
        if index is None:
            return pa.nulls(table.num_rows, pa.float64())
        text = pc.utf8_trim_whitespace(table.column(index))
        text = pc.replace_substring_regex(text, r"\s*%$", "")
        text = pc.replace_substring(text, ",", ".")
        numeric = pc.match_substring_regex(text, NUMBER)
        return pc.if_else(numeric, text, pa.scalar(None, pa.string())).cast(pa.float64())


def _marks(fmt: str) -> set[str]:
    """The punctuation a strptime format writes outside its %-directives."""
    outside = re.sub(r"%.", "", fmt)
    return {c for c in outside if not c.isalnum() and not c.isspace()}


def _index(header: Sequence[str], name: str) -> int | None:
    return header.index(name) if name and name in header else None


def _clean(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))


def _all_empty(table: pa.Table) -> pa.Array:
    blank = _const(True, table.num_rows)
    for column in table.columns:
        blank = pc.and_(blank, pc.equal(column, ""))
    return blank


def _const(value: bool, count: int) -> pa.Array:
    return pa.repeat(pa.scalar(value), count)


def _empty() -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array([], pa.int64()),
            "course_id": pa.array([], pa.string()),
            "completed_at": pa.array([], pa.timestamp("us", tz="UTC")),
            "score": pa.array([], pa.float64()),
            "credits": pa.array([], pa.float64()),
        }
    )


def _concat(a: pa.Table, b: pa.Table) -> pa.Table:
    if not a.num_rows:
        return b
    return pa.concat_tables([a, b.cast(a.schema)])
