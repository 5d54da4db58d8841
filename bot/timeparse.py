"""Reading the times, dates and zones people type, and showing them back.

Everything here is pure: "today" is passed in, never read from a clock.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

ZONE_ALIASES: dict[str, str] = {
    "eastern": "America/New_York",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "arizona": "America/Phoenix",
    "pacific": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "uk": "Europe/London",
    "gmt": "Europe/London",
    "bst": "Europe/London",
    "utc": "UTC",
    "ireland": "Europe/Dublin",
    "cet": "Europe/Paris",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "nz": "Pacific/Auckland",
}

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

WEEKDAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Lower-cased lookup keys for every IANA zone: full name and city part."""
    names: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if zone.startswith(("Etc/", "SystemV/")) or zone in ("localtime", "Factory"):
            continue
        names.setdefault(zone.lower(), zone)
    for zone in list(names.values()):
        city = zone.rsplit("/", 1)[-1].lower()
        names.setdefault(city, zone)
        names.setdefault(city.replace("_", " "), zone)
    return names


def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone for an exact IANA name, or None."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def find_zone(text: str) -> tuple[str | None, list[str]]:
    """Match what someone typed to an IANA zone; else up to three suggestions."""
    key = " ".join(text.strip().split()).lower()
    if not key:
        return None, []
    if key in ZONE_ALIASES:
        return ZONE_ALIASES[key], []
    names = _zone_names()
    if key in names:
        return names[key], []
    underscored = key.replace(" ", "_")
    if underscored in names:
        return names[underscored], []
    close = difflib.get_close_matches(underscored, list(names), n=3, cutoff=0.75)
    return None, sorted({names[c] for c in close})


_CLOCK_RE = re.compile(r"^([0-9]{1,2})(?:[:.h]([0-9]{2}))?\s*(am|pm|a|p)?$")


def parse_clock(text: str) -> time | None:
    """'20:00', '8pm', '8:30 am', '21h30', '7' -> a time of day, or None."""
    m = _CLOCK_RE.match(text.strip().lower())
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    suffix = m.group(3)
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix.startswith("p") else 0)
    if hour == 24 and minute == 0:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """'20:00-08:00', '8pm to 8am' -> (start, end); None if not understood or empty."""
    parts = re.split(r"\s*(?:-|–|—|\bto\b|\buntil\b)\s*", text.strip().lower())
    if len(parts) != 2:
        return None
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if start is None or end is None or start == end:
        return None
    return start, end


def format_quiet_hours(span: tuple[time, time]) -> str:
    return f"{span[0]:%H:%M}-{span[1]:%H:%M}"


def in_quiet_hours(moment: time, span: tuple[time, time]) -> bool:
    start, end = span
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


class DateError(ValueError):
    """A date that could not be read.

    ``code`` is one of ``unreadable``, ``ambiguous`` or ``no_such_day``; the
    words shown to a person come from the ``date.<code>`` template.
    """

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


_ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_SLASH_RE = re.compile(r"^([0-9]{1,2})[/.]([0-9]{1,2})(?:[/.]([0-9]{2,4}))?$")
_RELATIVE_RE = re.compile(
    r"^(?:in\s+|for\s+)?(a|an|one|two|three|four|[0-9]{1,4})\s+(day|week|month)s?$"
)
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}


def parse_date(text: str, today: date) -> date:
    """Read a date as people type it, relative to their own ``today``.

    Understands 2026-12-01, 'dec 1', '1 december 2026', 'tomorrow',
    'monday' / 'next monday', 'in 2 weeks', 'for 3 days'. Slashed dates such as
    12/01 are refused unless unambiguous, because 12/01 means different days
    in different countries.
    """
    words = " ".join(text.strip().lower().replace(",", " ").split())
    words = words.removesuffix(".")
    if not words:
        raise DateError("unreadable", text)
    if words in ("today",):
        return today
    if words in ("tomorrow", "tmrw", "tmr"):
        return today + timedelta(days=1)
    if words in ("next week",):
        return today + timedelta(days=7 - today.weekday())
    m = _ISO_RE.match(words)
    if m:
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _RELATIVE_RE.match(words)
    if m:
        count = _WORD_NUMBERS.get(m.group(1)) or int(m.group(1))
        unit = m.group(2)
        if count > 3660:
            raise DateError("unreadable", text)
        if unit == "day":
            return today + timedelta(days=count)
        if unit == "week":
            return today + timedelta(weeks=count)
        return _add_months(today, count)
    day_name = words.removeprefix("next ").removeprefix("this ")
    if day_name in WEEKDAYS:
        ahead = (WEEKDAYS[day_name] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = _SLASH_RE.match(words)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        year = _year(m.group(3), today)
        if a > 12 and b <= 12:
            return _make(year, b, a)
        if b > 12 and a <= 12:
            return _make(year, a, b)
        raise DateError("ambiguous", text.strip())
    return _month_day(words, today)


def _month_day(words: str, today: date) -> date:
    tokens = [re.sub(r"^([0-9]+)(st|nd|rd|th)$", r"\1", t) for t in words.split()]
    month = day = year = None
    for tok in tokens:
        if tok in ("of", "the"):
            continue
        if tok in MONTHS and month is None:
            month = MONTHS[tok]
        elif _ascii_number(tok) and len(tok) == 4 and year is None:
            year = int(tok)
        elif _ascii_number(tok) and len(tok) <= 2 and day is None:
            day = int(tok)
        else:
            raise DateError("unreadable", words)
    if month is None or day is None:
        raise DateError("unreadable", words)
    if year is None:
        candidate = _make(today.year, month, day)
        return candidate if candidate >= today else _make(today.year + 1, month, day)
    return _make(year, month, day)


def _ascii_number(token: str) -> bool:
    return token.isascii() and token.isdigit()


def _year(raw: str | None, today: date) -> int:
    if raw is None:
        return today.year
    year = int(raw)
    return year + 2000 if year < 100 else year


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("no_such_day", f"{year:04d}-{month:02d}-{day:02d}") from None


def _add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise DateError("no_such_day", str(start))  # pragma: no cover - day 28 always exists


def format_date(day: date) -> str:
    """'Mon 1 Dec 2026': unambiguous in every country."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def format_local(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone.key})"


def spoken(moment: datetime) -> str:
    """'Tue 1 Dec 2026, 14:00 (America/Chicago)': a moment in its own zone, named."""
    zone = moment.tzinfo
    name = getattr(zone, "key", "") or str(zone)
    return f"{format_date(moment.date())}, {moment:%H:%M} ({name})"
