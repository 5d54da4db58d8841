"""Read a nudge's "when" -- in words or as a cron expression -- and list when it fires.

Times are wall-clock times in each recipient's own time zone, so a `Recurrence`
works with naive local datetimes; `to_utc` turns one of those into a UTC instant
for a particular zone, handling daylight-saving changes.

The language (case-insensitive; extra spaces, commas, "and", "at", "on", "the"
and "of" are tolerated wherever they read naturally):

Times -- at least one is required, several may be joined with "and" or ",":
    ``09:00``, ``9:00``, ``21:15``, ``9am``, ``9 am``, ``9:30 pm``, ``12pm`` (noon),
    ``12am`` (midnight), ``noon``, ``midnight``, ``14:00:00`` (seconds must be 00).

Every day:
    ``every day 08:00``, ``each day 8am``, ``daily 8am``, ``everyday 08:00 and 17:00``.

Days of the week (names, plurals or abbreviations such as mon, tue, tues, wed,
thu, thur, thurs, fri, sat, sun; "weekday(s)" is Monday-Friday and
"weekend(s)" is Saturday and Sunday). "every", "each" or "weekly" is needed
unless a plural is used:
    ``every monday 09:00``, ``mondays 09:00``, ``every mon, wed and fri 12:00``,
    ``every monday and thursday at 9am``, ``weekdays 08:30``, ``every weekday 08:30``,
    ``weekends 10:00``, ``weekly on fridays at 4pm``.

The nth weekday of the month (first..fourth, 1st..4th, or last):
    ``first tuesday of the month 12:00``, ``last friday of every month 15:00``,
    ``monthly on the second monday at 9am``.

Days of the month (1..31; days a month lacks simply do not occur in it):
    ``every month on the 1st 09:00``, ``on the 15th of every month 9am``,
    ``monthly on the 3rd at 10:00``, ``every month on the 1st and 15th at 9am``.

Once (exactly one time; "once" is optional whenever a date is given):
    ``2026-12-01 14:00 once``, ``once 2026-12-01 14:00``, ``once on 2026-12-01 at 2pm``,
    ``2026-12-01T14:00``, ``on dec 1 at 2pm``, ``dec 1 14:00 once``, ``1st december 9am``,
    ``dec 1 2027 9am``, ``today 17:00``, ``tomorrow 9am``, ``next friday 12:00``,
    ``friday 12:00 once`` (the next Friday after today). A month and day without a
    year is the next such date on or after today. The date may not be before today
    nor more than two years after it.

Cron -- five fields ``minute hour day-of-month month day-of-week``, optionally
after the word ``cron`` or ``cron:``, or one of Vixie cron's shorthands ``@hourly``,
``@daily`` (``@midnight``), ``@weekly``, ``@monthly``, ``@yearly`` (``@annually``).
Each field is ``*`` or a comma list of numbers, ranges ``a-b`` and steps ``*/n``,
``a-b/n`` or ``a/n`` (from a to the field's end); months may be written jan..dec
and days of the week sun..sat, where 0 and 7 are both Sunday. When both day
fields are restricted and neither starts with ``*``, a day matches if either
matches; if one starts with ``*`` (``*/2``), a day must match both. That is Vixie
and Debian cron's rule.

Errors raise `RecurrenceError` whose ``code`` is one of: ``empty`` (nothing typed),
``unreadable``, ``bad_time`` (missing or impossible time), ``bad_day`` (impossible
day or date), ``cron_fields`` (not five cron fields), ``cron_value`` (a cron value
out of range or malformed), ``cron_seven_step`` (a day-of-week step from 7, such as
``7/2``, which crons read differently: write ``0/2`` or ``7``), ``never`` (a day that
no month has, such as ``0 9 31 2 *``), ``in_past`` and ``too_far`` (for one-off dates).

Clock changes (see :func:`instants`): a time the spring change skips moves forward by
the gap, and is one occurrence with any other that lands on the same instant; a time
the autumn change repeats happens at its first instant only.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

__all__ = [
    "Recurrence",
    "RecurrenceError",
    "before_meeting",
    "instants",
    "meeting_recurrence",
    "next_instants",
    "parse_when",
    "to_utc",
]

_MESSAGES = {
    "empty": "Say when, for example 'every monday 09:00'",
    "unreadable": "I couldn't read that 'when'",
    "bad_time": "That needs a valid time such as 09:00 or 9am",
    "bad_day": "That day or date doesn't exist",
    "cron_fields": "A cron expression needs exactly five fields",
    "cron_value": "A cron field has a value out of range or malformed",
    "in_past": "That date has already passed",
    "too_far": "That date is more than two years away",
    "cron_seven_step": "A day-of-week step from 7 means different days to different crons",
    "never": "That never happens",
}

#: How far ahead to look for each next occurrence: far enough for the rarest schedule
#: that can happen at all (29 February on a Monday is 40 years from 2072 to 2112).
_SEARCH_YEARS = 50
_ONE_DAY = timedelta(days=1)
#: Wide enough around a window to catch every local time whose instant falls inside it
#: (clock changes move wall-clock times by at most two hours).
_MARGIN = timedelta(hours=3)


class RecurrenceError(ValueError):
    """The 'when' could not be read. `code` names why; `text` is what was typed."""

    def __init__(self, code: str, text: str) -> None:
        self.code = code
        self.text = text
        super().__init__(f"{_MESSAGES.get(code, code)}: {text!r}")


@dataclass(frozen=True)
class Recurrence:
    """When a schedule fires, as local wall-clock times (naive datetimes).

    A day matches when it is in `months` (if set) and, if `nth_weekday` is set,
    it is that weekday of the month; `days` and `weekdays` each restrict the day
    alone, but when both are set a day matching either one matches (cron's rule),
    unless `days_and` says it must match both (cron's rule when either day field
    starts with ``*``, such as ``*/2``).
    """

    text: str
    times: tuple[tuple[int, int], ...]
    weekdays: frozenset[int] | None = None
    days: frozenset[int] | None = None
    months: frozenset[int] | None = None
    nth_weekday: tuple[int, int] | None = None
    once: datetime | None = None
    days_and: bool = False

    def occurrences(self, after: datetime, until: datetime) -> list[datetime]:
        """Naive local times t with after < t <= until, in order."""
        return list(self._iter(after, until))

    def next_times(self, after: datetime, count: int) -> list[datetime]:
        """The next `count` naive local times after `after` (searching 50 years ahead for
        each, which finds every schedule that can happen at all; see :meth:`can_occur`)."""
        if count <= 0:
            return []
        return list(islice(self._iter(after, _horizon(after, count)), count))

    def can_occur(self) -> bool:
        """Whether this ever happens (``31 2 *`` in cron, 31 February, never does)."""
        if self.once is not None or self.nth_weekday is not None:
            return True  # every month has a first..fourth and a last of each weekday
        if self.weekdays is not None and not self.weekdays:
            return False
        if self.days is None or (self.weekdays is not None and not self.days_and):
            return True  # some weekday of some allowed month (either day field may match)
        # A day of the month that some allowed month has (over the 400-year Gregorian
        # cycle every such date falls on every weekday, so `weekdays` cannot rule it out).
        months = self.months if self.months is not None else range(1, 13)
        return any(day <= calendar.monthrange(2000, m)[1] for m in months for day in self.days)

    def _matches_day(self, day: date) -> bool:
        if self.months is not None and day.month not in self.months:
            return False
        if self.nth_weekday is not None:
            n, weekday = self.nth_weekday
            if day.weekday() != weekday:
                return False
            if n == -1:
                if day.day + 7 <= calendar.monthrange(day.year, day.month)[1]:
                    return False
            elif (day.day - 1) // 7 + 1 != n:
                return False
        if self.days is not None and self.weekdays is not None:
            if self.days_and:
                return day.day in self.days and day.weekday() in self.weekdays
            return day.day in self.days or day.weekday() in self.weekdays
        if self.days is not None and day.day not in self.days:
            return False
        return self.weekdays is None or day.weekday() in self.weekdays

    def _iter(self, after: datetime, until: datetime) -> Iterator[datetime]:
        if self.once is not None:
            if after < self.once <= until:
                yield self.once
            return
        if until <= after:
            return
        day, last = after.date(), until.date()
        while day <= last:
            if self.months is not None and day.month not in self.months:
                # A month it never fires in: on to the first of the next one.
                day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
                continue
            if self._matches_day(day):
                edge = day in (after.date(), last)
                for hour, minute in self.times:
                    moment = datetime.combine(day, time(hour, minute))
                    if not edge or after < moment <= until:
                        yield moment
            day += _ONE_DAY


def _horizon(after: datetime, count: int) -> datetime:
    """Far enough ahead for ``count`` occurrences of the rarest schedule that happens."""
    year = min(after.year + _SEARCH_YEARS * max(count, 1), 9998)
    return datetime.combine(date(year, 12, 31), time(23, 59))  # naive: a local time


def instants(
    recurrence: Recurrence, zone: ZoneInfo, after: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Each occurrence whose instant is in (after, until] (aware datetimes), once, in order.

    Returns (wall-clock time, UTC instant) pairs, the wall-clock time being what a
    clock in ``zone`` shows at that instant. Huddle's clock-change policy (see
    :func:`to_utc`): a time that does not exist moves forward by the gap; if that
    lands on the instant of another occurrence, the two are one occurrence (one
    message). A time that happens twice is the first of the two.
    """
    start = after.astimezone(zone).replace(tzinfo=None) - _MARGIN
    end = until.astimezone(zone).replace(tzinfo=None) + _MARGIN
    found: dict[datetime, datetime] = {}
    for local in recurrence.occurrences(start, end):
        at = to_utc(local, zone)
        if after < at <= until and at not in found:
            found[at] = at.astimezone(zone).replace(tzinfo=None)
    return [(found[at], at) for at in sorted(found)]


def next_instants(
    recurrence: Recurrence, zone: ZoneInfo, after: datetime, count: int
) -> list[datetime]:
    """The next ``count`` UTC instants strictly after the aware ``after``, each once.

    A preview never lists an instant twice, nor one before ``after`` (in the hour an
    autumn clock change repeats, a wall-clock time just ahead may already be past).
    """
    if count <= 0:
        return []
    start = after.astimezone(zone).replace(tzinfo=None) - _MARGIN
    found: list[datetime] = []
    limit: datetime | None = None
    for local in recurrence._iter(start, _horizon(start, count)):
        # Once `count` instants are in hand, a wall-clock time later than the last of them
        # by the margin can only map to a later instant: nothing more can come before it.
        if limit is not None and local > limit:
            break
        at = to_utc(local, zone)
        if at > after and at not in found:
            found = sorted([*found, at])[:count]
            if len(found) == count:
                limit = found[-1].astimezone(zone).replace(tzinfo=None) + _MARGIN
    return found


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The aware UTC instant of a naive local wall-clock time in `zone`.

    A time that does not exist (the spring-forward gap) moves forward by the gap
    (02:30 on the spring-change day becomes 03:30 local); a time that happens twice
    (autumn) is the first of the two (fold=0). An aware datetime is simply converted.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    # PEP 495: with fold=0 an ambiguous time takes the earlier (pre-transition) offset,
    # and a time in a gap also takes the pre-transition offset, which lands the instant
    # exactly `gap` later on the wall clock -- both are the behaviour wanted here.
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


# ---------------------------------------------------------------------------- cron

_CRON_MONTHS = {
    name: i
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_CRON_DAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_CRON_CHARS = re.compile(r"[0-9a-z*/,\-]+")
_LETTERS = re.compile(r"[a-z]+")
_NUMBER = re.compile(r"[0-9]{1,4}")


def _cron_token(token: str, names: set[str] | dict[str, int]) -> bool:
    if not _CRON_CHARS.fullmatch(token):
        return False
    return all(run in names for run in _LETTERS.findall(token))


#: Vixie cron's shorthands for the common schedules.
_CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def _cron_parts(norm: str) -> list[str] | None:
    """The cron fields if `norm` is meant as cron, else None; wrong counts raise."""
    macro = norm.removeprefix("cron").strip().lstrip(":").strip()
    if macro in _CRON_MACROS:
        return _CRON_MACROS[macro].split()
    tokens = norm.split()
    if tokens and tokens[0].startswith("cron:"):
        rest = tokens[0][len("cron:") :]
        return ([rest] if rest else []) + tokens[1:]
    if tokens and tokens[0] == "cron":
        return tokens[1:]
    if len(tokens) == 5:
        allowed: list[set[str]] = [set(), set(), set(), set(_CRON_MONTHS), set(_CRON_DAYS)]
        if all(_cron_token(tok, names) for tok, names in zip(tokens, allowed, strict=True)):
            return tokens
        return None
    if len(tokens) >= 2:
        names = set(_CRON_MONTHS) | set(_CRON_DAYS)
        if all(_cron_token(tok, names) for tok in tokens) and (
            any("*" in tok for tok in tokens)
            or (len(tokens) > 5 and any(ch.isdigit() for tok in tokens for ch in tok))
        ):
            return tokens
    return None


def _cron_field(
    field: str, low: int, high: int, star_high: int, names: dict[str, int], text: str
) -> frozenset[int]:
    def value(raw: str) -> int:
        if raw in names:
            return names[raw]
        if not _NUMBER.fullmatch(raw):
            raise RecurrenceError("cron_value", text)
        number = int(raw)
        if not low <= number <= high:
            raise RecurrenceError("cron_value", text)
        return number

    found: set[int] = set()
    for part in field.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not _NUMBER.fullmatch(step_text) or int(step_text) == 0:
                raise RecurrenceError("cron_value", text)
            step = int(step_text)
        if base == "*":
            start, end = low, star_high
        elif "-" in base:
            first, _, second = base.partition("-")
            start, end = value(first), value(second)
            if start > end:
                raise RecurrenceError("cron_value", text)
        else:
            start = value(base)
            if slash and high == 7 and start == 7:
                # '7/2': some crons read Sunday-and-every-other-day-on, others Sundays only.
                raise RecurrenceError("cron_seven_step", text)
            end = high if slash else start  # to the field's end: weekday 7 is Sunday too
        found.update(range(start, end + 1, step))
    return frozenset(found)


def _parse_cron(fields: list[str], norm: str, text: str) -> Recurrence:
    if len(fields) != 5:
        raise RecurrenceError("cron_fields", text)
    minute, hour, dom, month, dow = fields
    minutes = _cron_field(minute, 0, 59, 59, {}, text)
    hours = _cron_field(hour, 0, 23, 23, {}, text)
    days = _cron_field(dom, 1, 31, 31, {}, text)
    months = _cron_field(month, 1, 12, 12, _CRON_MONTHS, text)
    cron_days = _cron_field(dow, 0, 7, 6, _CRON_DAYS, text)
    weekdays = frozenset((d - 1) % 7 for d in cron_days)  # cron 1=Monday -> 0, 0/7 -> 6
    return Recurrence(
        text=norm,
        times=tuple(sorted((h, m) for h in hours for m in minutes)),
        weekdays=None if dow == "*" else weekdays,
        days=None if dom == "*" else days,
        months=None if month == "*" else months,
        # As Vixie and Debian cron: a day field starting with '*' ('*/2') does not count
        # as restricting the day for the either-day rule, so the other must match too.
        days_and=dom.startswith("*") or dow.startswith("*"),
    )


# --------------------------------------------------------------------------- words


def _numbered(groups: tuple[str, ...], first: int) -> dict[str, int]:
    """Map each space-separated spelling in groups[i] to first + i."""
    return {name: first + i for i, group in enumerate(groups) for name in group.split()}


_SINGLE_DAYS = _numbered(
    (
        "mon monday mondays",
        "tue tues tuesday tuesdays",
        "wed weds wednesday wednesdays",
        "thu thur thurs thursday thursdays",
        "fri friday fridays",
        "sat saturday saturdays",
        "sun sunday sundays",
    ),
    0,
)
_WEEKDAY_WORDS: dict[str, tuple[int, ...]] = {
    **{name: (day,) for name, day in _SINGLE_DAYS.items()},
    "weekday": (0, 1, 2, 3, 4),
    "weekdays": (0, 1, 2, 3, 4),
    "weekend": (5, 6),
    "weekends": (5, 6),
}
_PLURALS = frozenset(name for name in _WEEKDAY_WORDS if name.endswith(("days", "weekends")))
_MONTH_WORDS = _numbered(
    (
        "jan january",
        "feb february",
        "mar march",
        "apr april",
        "may",
        "jun june",
        "jul july",
        "aug august",
        "sep sept september",
        "oct october",
        "nov november",
        "dec december",
    ),
    1,
)

_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_NTH = {**_ORDINAL_WORDS, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "last": -1}
_FILLER = {"at", "and", ",", "on", "the", "of"}
_EVERY = {"every", "each", "weekly"}

_ISO_T = re.compile(r"\b([0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2})t(?=[0-9])")
_ISO_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_DAY_NUMBER = re.compile(r"([0-9]+)(st|nd|rd|th)?")
_BARE_NUMBER = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")
_TIME_24 = re.compile(r"([0-9]+):([0-9]+)(?::([0-9]+))?")
_TIME_12 = re.compile(r"([0-9]+)(?::([0-9]+))?(am|pm)")
_TIME_ALMOST = re.compile(r"[0-9]{1,2}[.h][0-9]{2}(am|pm)?")
_NAMED_TIMES = {"noon": (12, 0), "midnight": (0, 0)}
_MERGEABLE = re.compile(r"[0-9]{1,2}(:[0-9]{2})?")


def _read_time(token: str, text: str) -> tuple[int, int] | None:
    """(hour, minute) for a time token, None if it is no time; impossible times raise."""
    if token in _NAMED_TIMES:
        return _NAMED_TIMES[token]
    match = _TIME_12.fullmatch(token)
    if match:
        hour_text, minute_text, half = match.groups()
        minute_text = minute_text or "00"
        if len(hour_text) > 2 or len(minute_text) != 2:
            raise RecurrenceError("bad_time", text)
        hour, minute = int(hour_text), int(minute_text)
        if not 1 <= hour <= 12 or minute > 59:
            raise RecurrenceError("bad_time", text)
        return (hour % 12 + (12 if half == "pm" else 0), minute)
    match = _TIME_24.fullmatch(token)
    if match:
        hour_text, minute_text, second_text = match.groups()
        if len(hour_text) > 2 or len(minute_text) != 2 or second_text not in (None, "00"):
            raise RecurrenceError("bad_time", text)
        hour, minute = int(hour_text), int(minute_text)
        if hour > 23 or minute > 59:
            raise RecurrenceError("bad_time", text)
        return (hour, minute)
    if ":" in token or _TIME_ALMOST.fullmatch(token):
        raise RecurrenceError("bad_time", text)
    return None


def _tokens(norm: str) -> list[str]:
    spaced = _ISO_T.sub(r"\1 ", norm).replace("a.m.", "am").replace("p.m.", "pm")
    raw = spaced.rstrip(".!").replace(",", " , ").split()
    merged: list[str] = []
    for token in raw:
        if token in ("am", "pm") and merged and _MERGEABLE.fullmatch(merged[-1]):
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def _day_of_month(token: str, text: str) -> int | None:
    if token in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[token]
    match = _DAY_NUMBER.fullmatch(token)
    if not match:
        return None
    digits = match.group(1)
    if len(digits) > 2 or not 1 <= int(digits) <= 31:
        raise RecurrenceError("bad_day", text)
    return int(digits)


def _monthly(core: list[str], norm: str, text: str) -> Recurrence | None:
    rest = [tok for tok in core if tok not in ("month", "monthly", "every", "each")]
    if not rest:
        return None
    if any(tok in _SINGLE_DAYS for tok in rest):
        if len(rest) == 2 and rest[0] in _NTH and rest[1] in _SINGLE_DAYS:
            return Recurrence(
                text=norm, times=(), nth_weekday=(_NTH[rest[0]], _SINGLE_DAYS[rest[1]])
            )
        return None
    days: set[int] = set()
    for tok in rest:
        day = _day_of_month(tok, text)
        if day is None:
            return None
        days.add(day)
    return Recurrence(text=norm, times=(), days=frozenset(days))


def _weekly(core: list[str], norm: str) -> Recurrence | None:
    if core in (["daily"], ["everyday"]):
        return Recurrence(text=norm, times=())
    every = [tok for tok in core if tok in _EVERY]
    rest = [tok for tok in core if tok not in _EVERY]
    if every and rest == ["day"] and "weekly" not in every:
        return Recurrence(text=norm, times=())
    if not rest or not all(tok in _WEEKDAY_WORDS for tok in rest):
        return None
    if not every and not any(tok in _PLURALS for tok in rest):
        return None
    weekdays = frozenset(d for tok in rest for d in _WEEKDAY_WORDS[tok])
    return Recurrence(text=norm, times=(), weekdays=weekdays)


def _make_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise RecurrenceError("bad_day", text) from None


def _next_month_day(month: int, day: int, today: date, text: str) -> date:
    if day > calendar.monthrange(2000, month)[1]:  # 2000 is a leap year: Feb allows 29
        raise RecurrenceError("bad_day", text)
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise RecurrenceError("too_far", text)  # unreachable for real calendars


def _one_off_date(core: list[str], today: date, text: str) -> date | None:
    rest = [tok for tok in core if tok != "once"]
    if len(core) - len(rest) > 1:
        return None
    if rest == ["today"]:
        return today
    if rest == ["tomorrow"]:
        return today + _ONE_DAY
    if rest and rest[-1] in _SINGLE_DAYS and rest[:-1] in ([], ["next"], ["this"]):
        # 'next friday', 'this friday', 'friday once': the next Friday after today.
        ahead = (_SINGLE_DAYS[rest[-1]] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    if len(rest) == 1:
        match = _ISO_DATE.fullmatch(rest[0])
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
        return _make_date(year, month, day, text)
    if len(rest) not in (2, 3):
        return None
    year_text = rest[2] if len(rest) == 3 else None
    if year_text is not None and not _YEAR.fullmatch(year_text):
        return None
    if rest[0] in _MONTH_WORDS and _DAY_NUMBER.fullmatch(rest[1]):
        month, day_token = _MONTH_WORDS[rest[0]], rest[1]
    elif rest[1] in _MONTH_WORDS and _DAY_NUMBER.fullmatch(rest[0]):
        month, day_token = _MONTH_WORDS[rest[1]], rest[0]
    else:
        return None
    day_number = _day_of_month(day_token, text)
    assert day_number is not None  # the token matched _DAY_NUMBER
    if year_text is not None:
        return _make_date(int(year_text), month, day_number, text)
    return _next_month_day(month, day_number, today, text)


def _is_one_off(core: list[str]) -> bool:
    return any(
        tok in ("once", "today", "tomorrow") or tok in _MONTH_WORDS or _ISO_DATE.fullmatch(tok)
        for tok in core
    ) or (len(core) == 2 and core[0] in ("next", "this") and core[1] in _SINGLE_DAYS)


def _match(core: list[str], norm: str, today: date, text: str) -> Recurrence | date | None:
    """The day part of a 'when': a Recurrence without times, a one-off date, or None."""
    if "month" in core or "monthly" in core:
        return _monthly(core, norm, text)
    if _is_one_off(core):
        return _one_off_date(core, today, text)
    return _weekly(core, norm)


def _two_years_on(today: date) -> date:
    year = today.year + 2
    return date(year, today.month, min(today.day, calendar.monthrange(year, today.month)[1]))


def _parse_words(norm: str, today: date, text: str) -> Recurrence:
    times: set[tuple[int, int]] = set()
    core: list[str] = []
    for token in _tokens(norm):
        moment = _read_time(token, text)
        if moment is not None:
            times.add(moment)
        elif token not in _FILLER:
            core.append(token)
    found = _match(core, norm, today, text)
    if found is None:
        # "every monday at 9": a bare number where a time was meant.
        bare = [i for i, tok in enumerate(core) if _BARE_NUMBER.fullmatch(tok)]
        without = core[: bare[-1]] + core[bare[-1] + 1 :] if bare else []
        if bare and _match(without, norm, today, text) is not None:
            raise RecurrenceError("bad_time", text)
        raise RecurrenceError("unreadable", text)
    if not times:
        raise RecurrenceError("bad_time", text)
    ordered = tuple(sorted(times))
    if isinstance(found, Recurrence):
        return Recurrence(
            text=norm,
            times=ordered,
            weekdays=found.weekdays,
            days=found.days,
            months=found.months,
            nth_weekday=found.nth_weekday,
        )
    if len(ordered) != 1:
        raise RecurrenceError("bad_time", text)  # a one-off happens at exactly one time
    if found < today:
        raise RecurrenceError("in_past", text)
    if found > _two_years_on(today):
        raise RecurrenceError("too_far", text)
    hour, minute = ordered[0]
    return Recurrence(text=norm, times=ordered, once=datetime.combine(found, time(hour, minute)))


def parse_when(text: str, today: date) -> Recurrence:
    """Read a 'when' in words or cron into a Recurrence; raise RecurrenceError if unreadable
    or if it can never happen (``0 9 31 2 *``)."""
    norm = " ".join(text.lower().split())
    if not norm:
        raise RecurrenceError("empty", text)
    fields = _cron_parts(norm)
    found = _parse_cron(fields, norm, text) if fields is not None else None
    if found is None:
        found = _parse_words(norm, today, text)
    if not found.can_occur():
        raise RecurrenceError("never", text)
    return found


# ------------------------------------------------------------------- before meeting

_BEFORE_MEETING = re.compile(
    r"^(?:(?P<n>\d{1,3})\s*(?P<unit>hours?|hrs?|h|days?|d)\s+)?(?:before|ahead of)\s+"
    r"(?:the\s+|each\s+|its\s+|every\s+)?(?:team'?s?\s+|standing\s+)*meetings?$",
    re.I,
)
DEFAULT_AHEAD = timedelta(days=1)
_MEETING_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def before_meeting(text: str) -> timedelta | None:
    """'before meeting', '2 hours before meeting', '1 day ahead of the meeting' -> how long
    before each team's standing meeting; None if the text is not of that form."""
    m = _BEFORE_MEETING.match(" ".join(text.split()))
    if m is None:
        return None
    if m.group("n") is None:
        return DEFAULT_AHEAD
    n = int(m.group("n"))
    ahead = timedelta(days=n) if m.group("unit").lower().startswith("d") else timedelta(hours=n)
    return ahead if timedelta(0) < ahead <= timedelta(days=6) else None


def meeting_recurrence(meeting: str) -> Recurrence | None:
    """A team's standing meeting as stored ('tue 12:00') as a weekly recurrence."""
    parts = meeting.split()
    if len(parts) != 2 or parts[0] not in _MEETING_DAYS:
        return None
    hour, _, minute = parts[1].partition(":")
    if not (hour.isdigit() and minute.isdigit()):
        return None
    return Recurrence(
        text=f"every {meeting}",
        times=((int(hour), int(minute)),),
        weekdays=frozenset({_MEETING_DAYS.index(parts[0])}),
    )
