"""Where completions come from, as content: mapping profiles for learning-site exports and
the xAPI settings (``sources.yaml``).

A :class:`Profile` says, for one site's export layout, which columns hold the person,
the course, the status (and its completed values), the completion date (its formats,
day/month order and time zone), and the score and credits where present, so another
site's export is a content change, not code. Course ids on a site map to courses
through each course's ``ids`` in ``courses.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.timeparse import zone_or_none
from bot.yamlines import LineDict, LineList


class _Reader(Protocol):
    """What reading sources.yaml needs of the content reader (bot.content)."""

    def error(self, line: int, message: str) -> None: ...

    def mapping(self, data: Any, line: int, what: str) -> LineDict | None: ...

    def keys(self, data: LineDict, what: str, required: set[str], optional: set[str]) -> None: ...

    def text(self, data: LineDict, key: str, what: str, default: str = "") -> str: ...

    def text_list(self, data: LineDict, key: str, what: str) -> tuple[str, ...]: ...

    def url(self, value: str, line: int, what: str) -> str: ...


SOURCES = "sources.yaml"
PERSON_KEYS = ("email", "username")
COURSE_KEYS = ("id", "title", "id_or_title")
ORDERS = ("DMY", "MDY")
#: How long ago a completion may be and still be celebrated when it comes in.
CELEBRATE_WITHIN_DAYS = 14


@dataclass(frozen=True)
class PersonColumn:
    """A column naming people, and how it names them (email, or the learning site's
    username or id, which the roster's ``username`` holds)."""

    column: str
    by: str


@dataclass(frozen=True)
class CourseSpec:
    """Where the course is: one column; the file's name (one file per course); or one
    column per course (``columns: each``), the header naming the course, the cell
    holding its status, and its date in the next column or a column named by
    ``date`` (``{course}`` standing for the course's header)."""

    by: str = "id_or_title"
    column: str = ""
    title_column: str = ""  # when the id column's value is not known, try this title
    file_name: str = ""  # a pattern whose first group is the course id
    each: bool = False
    date: str = "next"

    @property
    def wide(self) -> bool:
        return self.each


@dataclass(frozen=True)
class Profile:
    """One export layout."""

    id: str
    title: str
    site: str
    recognise: tuple[str, ...]
    header_starts_empty: bool
    people: tuple[PersonColumn, ...]
    course: CourseSpec
    status_column: str
    completed_values: tuple[str, ...]
    date_column: str
    date_formats: tuple[str, ...]
    date_order: str  # the order the formats are written in ("" when none is day/month)
    zone: str  # "" for the initiative's default zone
    score_column: str = ""
    credits_column: str = ""
    skip: tuple[str, ...] = ()  # patterns for metadata rows under the header

    def formats(self, order: str | None = None) -> tuple[str, ...]:
        """The date formats, read in ``order`` (DMY or MDY) when given; year-first
        formats are always year-month-day."""
        if not order or not self.date_order or order == self.date_order:
            return self.date_formats
        return tuple(_swap_day_month(f) for f in self.date_formats)


def _swap_day_month(fmt: str) -> str:
    year = min((fmt.find(y) for y in ("%Y", "%y") if y in fmt), default=-1)
    day, month = fmt.find("%d"), fmt.find("%m")
    if day < 0 or month < 0 or (0 <= year < min(day, month)):
        return fmt
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


@dataclass(frozen=True)
class XapiAccount:
    """Agents with an ``account`` on this home page are matched by its name, to the
    roster's ``username`` (or ``email``)."""

    home_page: str
    by: str


@dataclass(frozen=True)
class Sources:
    """Everything ``sources.yaml`` says."""

    profiles: dict[str, Profile] = field(default_factory=dict)
    celebrate_within_days: int = CELEBRATE_WITHIN_DAYS
    xapi_accounts: tuple[XapiAccount, ...] = ()

    def account_rule(self, home_page: str) -> XapiAccount | None:
        wanted = home_page.rstrip("/").lower()
        return next(
            (a for a in self.xapi_accounts if a.home_page.rstrip("/").lower() == wanted), None
        )


def read(r: _Reader, data: Any) -> Sources:
    """``sources.yaml``: profiles, how recent a completion must be to be celebrated, and
    how xAPI agents map to the roster."""
    doc = r.mapping(data, 1, SOURCES) if data is not None else None
    if doc is None:
        return Sources()
    r.keys(doc, SOURCES, set(), {"profiles", "celebrate_within_days", "xapi"})
    days = doc.get("celebrate_within_days", CELEBRATE_WITHIN_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        r.error(doc.line_of("celebrate_within_days"), "celebrate_within_days: a number of days")
        days = CELEBRATE_WITHIN_DAYS
    profiles: dict[str, Profile] = {}
    raw = r.mapping(doc.get("profiles", LineDict()), doc.line_of("profiles"), "'profiles'")
    for pid, entry in (raw or {}).items():
        assert raw is not None
        item = r.mapping(entry, raw.line_of(pid), f"profile '{pid}'")
        if item is not None:
            profile = _profile(r, str(pid), item)
            if profile is not None:
                profiles[profile.id] = profile
    return Sources(profiles, days, _xapi(r, doc.get("xapi"), doc.line_of("xapi")))


def _profile(r: _Reader, pid: str, item: LineDict) -> Profile | None:
    what = f"profile '{pid}'"
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", pid):
        r.error(item.line, f"{what}: a profile id is lower-case letters, digits and -")
    r.keys(
        item,
        what,
        {"title", "person", "course", "completed"},
        {"site", "recognise", "header_starts_empty", "status", "zone", "score", "credits", "skip"},
    )
    people = _people(r, item.get("person"), item.line_of("person"), what)
    course = _course(r, item.get("course"), item.line_of("course"), what)
    status_column, completed_values = _status(r, item, what)
    date_column, formats, order = _dates(r, item.get("completed"), item.line_of("completed"), what)
    if course.wide and date_column:
        r.error(item.line_of("completed"), f"{what}: with one column per course, dates follow it")
    if not course.wide and not date_column:
        r.error(item.line_of("completed"), f"{what}: completed needs the 'column' of the date")
    if course.wide and not completed_values:
        r.error(item.line, f"{what}: with one column per course, say the status 'completed' values")
    zone = r.text(item, "zone", what)
    if zone and zone_or_none(zone) is None:
        r.error(item.line_of("zone"), f"{what}: unknown time zone '{zone}'")
    skip = r.text_list(item, "skip", what) if "skip" in item else ()
    for pattern in skip:
        try:
            re.compile(pattern)
        except re.error as exc:
            r.error(item.line_of("skip"), f"{what}: skip pattern '{pattern}': {exc}")
    starts_empty = item.get("header_starts_empty", False)
    if not isinstance(starts_empty, bool):
        r.error(item.line_of("header_starts_empty"), f"{what}: header_starts_empty: true or false")
        starts_empty = False
    return Profile(
        id=pid,
        title=r.text(item, "title", what),
        site=r.text(item, "site", what).lower(),
        recognise=tuple(fold(c) for c in r.text_list(item, "recognise", what))
        if "recognise" in item
        else (),
        header_starts_empty=starts_empty,
        people=people,
        course=course,
        status_column=status_column,
        completed_values=completed_values,
        date_column=date_column,
        date_formats=formats,
        date_order=order,
        zone=zone,
        score_column=fold(r.text(item, "score", what)),
        credits_column=fold(r.text(item, "credits", what)),
        skip=skip,
    )


def fold(header: str) -> str:
    """A header cell as compared: case and spacing do not matter."""
    return " ".join(header.split()).casefold()


def _people(r: _Reader, data: Any, line: int, what: str) -> tuple[PersonColumn, ...]:
    items = data if isinstance(data, LineList) else LineList() if data is None else [data]
    found: list[PersonColumn] = []
    for index, entry in enumerate(items):
        where = items.line_of(index) if isinstance(items, LineList) else line
        block = r.mapping(entry, where, f"{what}: person")
        if block is None:
            continue
        r.keys(block, f"{what}: person", {"column", "by"}, set())
        by = r.text(block, "by", what)
        if by not in PERSON_KEYS:
            r.error(block.line_of("by"), f"{what}: person 'by' is one of {', '.join(PERSON_KEYS)}")
        found.append(PersonColumn(fold(r.text(block, "column", what)), by))
    if not found:
        r.error(line, f"{what}: person: name the column (and 'by': email or username)")
    return tuple(found)


def _course(r: _Reader, data: Any, line: int, what: str) -> CourseSpec:
    block = r.mapping(data, line, f"{what}: course")
    if block is None:
        return CourseSpec()
    r.keys(block, f"{what}: course", {"by"}, {"column", "title", "file_name", "columns", "date"})
    by = r.text(block, "by", what)
    if by not in COURSE_KEYS:
        r.error(block.line_of("by"), f"{what}: course 'by' is one of {', '.join(COURSE_KEYS)}")
    where = [k for k in ("column", "file_name", "columns") if k in block]
    if len(where) != 1:
        r.error(block.line, f"{what}: course needs one of column, file_name or columns: each")
    file_name = r.text(block, "file_name", what)
    if file_name:
        try:
            if re.compile(file_name).groups < 1:
                r.error(block.line_of("file_name"), f"{what}: file_name needs a (group)")
        except re.error as exc:
            r.error(block.line_of("file_name"), f"{what}: file_name pattern: {exc}")
    each = "columns" in block
    if each and block.get("columns") != "each":
        r.error(block.line_of("columns"), f"{what}: course columns: each (one per course)")
    return CourseSpec(
        by=by,
        column=fold(r.text(block, "column", what)),
        title_column=fold(r.text(block, "title", what)),
        file_name=file_name,
        each=each,
        date=r.text(block, "date", what) or "next",
    )


def _status(r: _Reader, item: LineDict, what: str) -> tuple[str, tuple[str, ...]]:
    if "status" not in item:
        return "", ()
    block = r.mapping(item.get("status"), item.line_of("status"), f"{what}: status")
    if block is None:
        return "", ()
    r.keys(block, f"{what}: status", {"completed"}, {"column"})
    values = r.text_list(block, "completed", what)
    if not values:
        r.error(block.line_of("completed"), f"{what}: status: list the 'completed' values")
    return fold(r.text(block, "column", what)), tuple(fold(v) for v in values)


def _dates(r: _Reader, data: Any, line: int, what: str) -> tuple[str, tuple[str, ...], str]:
    block = r.mapping(data, line, f"{what}: completed")
    if block is None:
        return "", (), ""
    r.keys(block, f"{what}: completed", set(), {"column", "formats", "order"})
    formats = r.text_list(block, "formats", what) if "formats" in block else ()
    for fmt in formats:
        if "%" not in fmt:
            r.error(block.line_of("formats"), f"{what}: date format '{fmt}' has no %-fields")
    order = r.text(block, "order", what).upper()
    day_month = [f for f in formats if "%d" in f and "%m" in f and _swap_day_month(f) != f]
    if day_month and order not in ORDERS:
        r.error(
            block.line_of("order") if "order" in block else block.line,
            f"{what}: dates with day and month: state the 'order' they are in (DMY or MDY)",
        )
    return fold(r.text(block, "column", what)), formats, order if day_month else ""


def _xapi(r: _Reader, data: Any, line: int) -> tuple[XapiAccount, ...]:
    if data is None:
        return ()
    block = r.mapping(data, line, "'xapi'")
    if block is None:
        return ()
    r.keys(block, "xapi", set(), {"accounts"})
    accounts = block.get("accounts", LineList())
    if not isinstance(accounts, LineList):
        r.error(block.line_of("accounts"), "xapi: accounts must be a list")
        return ()
    found: list[XapiAccount] = []
    for index, entry in enumerate(accounts):
        item = r.mapping(entry, accounts.line_of(index), "an xapi account")
        if item is None:
            continue
        r.keys(item, "xapi account", {"home_page", "by"}, set())
        by = r.text(item, "by", "xapi account")
        if by not in PERSON_KEYS:
            r.error(item.line_of("by"), f"xapi account: 'by' is one of {', '.join(PERSON_KEYS)}")
        home = r.url(r.text(item, "home_page", "xapi account"), item.line_of("home_page"), "xapi")
        found.append(XapiAccount(home, by))
    return tuple(found)
