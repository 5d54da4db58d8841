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


def zone_named(text: str) -> str | None:
    """The IANA zone a place or zone name stands for, exactly ("london", "US/Eastern",
    "new york", "est"), without guessing at typos; None otherwise."""
    key = " ".join(text.strip().split()).lower()
    if not key:
        return None
    if key in ZONE_ALIASES:
        return ZONE_ALIASES[key]
    names = _zone_names()
    return names.get(key) or names.get(key.replace(" ", "_"))


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

    ``code`` is one of ``unreadable``, ``ambiguous`` (``options`` holds the days it
    could be, the organisation's reading first), ``vague`` ("mid-January": which
    day?) or ``no_such_day``; the words shown to a person come from the
    ``date.<code>`` template.
    """

    def __init__(self, code: str, text: str, options: tuple[date, ...] = ()) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text
        self.options = options


_ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_NUMERIC_RE = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})(?:[/.-]([0-9]{2,4}))?$")
_RELATIVE_RE = re.compile(
    r"^(?:in\s+|for\s+|for\s+the\s+next\s+|the\s+next\s+|next\s+)?"
    r"(a|an|one|two|three|four|five|six|couple\s+of|a\s+couple\s+of|[0-9]{1,4})\s+"
    r"(day|week|month|fortnight)s?$"
)
_WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "couple of": 2,
    "a couple of": 2,
}
_ORDINAL_DAY = re.compile(r"^(?:the\s+)?([0-9]{1,2})(?:st|nd|rd|th)$")
_VAGUE = re.compile(r"^(?:mid|early|late|the\s+middle\s+of|middle\s+of)[\s-]+(?P<month>[a-z]+)$")
#: Words before a date that only say "until" ("till the 15th", "through jan 3").
_UNTIL = re.compile(
    r"^(?:(?:until|till|til|untill|to|through|thru|by|on|before|from\s+now\s+until)\s+)+"
)
_PERIOD = re.compile(r"^(?:the\s+)?(?:end\s+of\s+)?(?:the\s+|this\s+)?(week|month)$")


def parse_date(text: str, today: date, order: str = "MDY", ending: bool = False) -> date:
    """Read a date as people type it, relative to their own ``today``.

    Understands 2026-12-01, 'dec 1', '1 december 2026', 'the 3rd of January',
    'the 15th', 'tomorrow', 'monday' / 'next monday', 'in 2 weeks', 'for 3 days',
    'a fortnight', 'next week', 'this week', 'end of the month', with 'until',
    'till' and the like in front. Numeric dates (12/01, 3.4.2027) are read in the
    organisation's ``order`` ("MDY" or "DMY"); when both readings are real days it
    asks (``DateError("ambiguous")`` with both, that reading first). "mid-Jan" asks
    which day (``vague``).

    ``ending``: the date ends something (a pause, a snooze, a shift), so a period
    means the day after it is over ("this week" is next Monday, "end of the month"
    the 1st); otherwise its last day (a due date "end of the month").
    """
    words = " ".join(text.strip().lower().replace(",", " ").split())
    words = _UNTIL.sub("", words.removesuffix(".").removesuffix("!")).strip()
    if not words:
        raise DateError("unreadable", text)
    if words in ("today", "tonight"):
        return today
    if words in ("tomorrow", "tmrw", "tmr", "tomoz", "tommorow", "tomorow"):
        return today + timedelta(days=1)
    if words in ("next week", "the next week"):
        return today + timedelta(days=7 - today.weekday())
    period = _PERIOD.match(words)
    if period and (period.group(1) == "month" or "end" in words or "this" in words):
        if period.group(1) == "week":
            monday = today + timedelta(days=7 - today.weekday())
            return monday if ending else monday - timedelta(days=1)
        first = _add_months(today.replace(day=1), 1)
        return first if ending else first - timedelta(days=1)
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
        if unit == "fortnight":
            return today + timedelta(weeks=2 * count)
        return _add_months(today, count)
    day_name = words.removeprefix("next ").removeprefix("this ").removeprefix("coming ")
    if day_name in WEEKDAYS:
        ahead = (WEEKDAYS[day_name] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = _ORDINAL_DAY.match(words)
    if m:
        return _next_day_of_month(int(m.group(1)), today, words)
    vague = _VAGUE.match(words)
    if vague and vague.group("month") in MONTHS:
        raise DateError("vague", text.strip())
    m = _NUMERIC_RE.match(words)
    if m:
        return _numeric(int(m.group(1)), int(m.group(2)), m.group(3), today, order, text)
    return _month_day(words, today)


def _next_day_of_month(day: int, today: date, text: str) -> date:
    """'the 15th': this month's if it is still to come (or today), else next month's."""
    if not 1 <= day <= 31:
        raise DateError("no_such_day", text)
    month = today.replace(day=1)
    for _ in range(13):
        try:
            candidate = month.replace(day=day)
        except ValueError:  # a month without that day: the next one that has it
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        month = _add_months(month, 1)
    raise DateError("no_such_day", text)  # pragma: no cover - some month has any day 1-31


def _numeric(a: int, b: int, year_text: str | None, today: date, order: str, text: str) -> date:
    """A numeric date: in the organisation's order, asked about when both readings work."""
    first, second = (a, b) if order == "MDY" else (b, a)  # (month, day)
    readings = []
    for month, day in ((first, second), (second, first)):
        if 1 <= month <= 12:
            try:
                readings.append(_with_year(year_text, month, day, today))
            except DateError:
                continue
    unique = tuple(dict.fromkeys(readings))
    if not unique:
        raise DateError("no_such_day", text.strip())
    if len(unique) > 1:
        raise DateError("ambiguous", text.strip(), unique)
    return unique[0]


def _with_year(year_text: str | None, month: int, day: int, today: date) -> date:
    if year_text is not None:
        return _make(_year(year_text, today), month, day)
    candidate = _make(today.year, month, day)
    return candidate if candidate >= today else _make(today.year + 1, month, day)


def _month_day(words: str, today: date) -> date:
    tokens = [re.sub(r"^([0-9]+)(st|nd|rd|th)$", r"\1", t) for t in words.split()]
    month = day = year = None
    for tok in tokens:
        if tok in ("of", "the") or (tok in WEEKDAYS and len(tokens) > 2):
            continue  # 'wed 16 dec 2026': the weekday is said, the date decides
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


def find_date(
    text: str, today: date, order: str = "MDY", ending: bool = False
) -> tuple[date | DateError, str] | None:
    """A date said somewhere in free text ("I'm on nights until the 15th"), with the words
    that said it; a date that was meant but cannot be settled ("until mid-Jan", an
    ambiguous 03/04) comes back as its :class:`DateError`. None if no date is said.

    The longest run of words (up to six) that reads as a date wins, earliest first.
    """
    words = " ".join(text.lower().replace(",", " ").split()).rstrip(".!?").split()
    # A date ends with a word that says one (a number, a month, a day, "week"...):
    # only spans ending there are tried.
    ends = [i for i, w in enumerate(words) if _DATE_END.search(w)]
    best: tuple[int, int, date | DateError] | None = None
    for size in range(min(6, len(words)), 0, -1):
        for end in ends:
            start = end - size + 1
            if start < 0:
                continue
            span = " ".join(words[start : end + 1])
            if _UNTIL.fullmatch(span + " ") or span in _NOT_ALONE:
                continue
            try:
                found: date | DateError = parse_date(span, today, order, ending)
            except DateError as exc:
                if exc.code not in ("ambiguous", "vague", "no_such_day"):
                    continue
                found = exc
            best = (start, size, found)
            break
        if best is not None:
            break
    if best is None:
        return None
    start, size, found = best
    return found, " ".join(words[start : start + size])


_DATE_END = re.compile(
    r"\d|^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
    r"|^(?:week|month|today|tonight|tomorrow|tmrw|tmr|tomoz|fortnight|weeks|months|days?)$"
)
#: Words that read as a date alone but in free text rarely are one ("may", "a week"
#: is fine, "mar" is a word in other languages, "sun" and "sat" mostly not days).
_NOT_ALONE = frozenset({"may", "mar", "sun", "sat", "wed", "the", "a", "an", "on", "to", "of"})


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
