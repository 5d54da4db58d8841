"""The Markdown subset and the reading of dates, clocks and zones."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import markup
from bot.templates import Templates
from bot.timeparse import DateError, find_zone, parse_date, parse_quiet_hours


def test_parse_styles_and_links() -> None:
    (line,) = markup.parse("**Next:** [Pain & <more>](https://x.org/a_b) _why_ `join x`")
    assert [(s.text, s.bold, s.italic, s.url, s.code) for s in line.spans] == [
        ("Next:", True, False, None, False),
        (" ", False, False, None, False),
        ("Pain & <more>", False, False, "https://x.org/a_b", False),
        (" ", False, False, None, False),
        ("why", False, True, None, False),
        (" ", False, False, None, False),
        ("join x", False, False, None, True),
    ]


def test_bullets_and_snake_case() -> None:
    lines = markup.parse("- one\nsnake_case_word")
    assert lines[0].bullet and lines[0].spans[0].text == "one"
    assert lines[1].spans == (markup.Span("snake_case_word"),)


@given(st.text(max_size=200))
def test_escaped_values_come_back_exactly(value: str) -> None:
    lines = markup.parse(markup.escape(value))
    assert "\n".join("".join(s.text for s in ln.spans) for ln in lines) == value
    assert not any(ln.bullet for ln in lines)
    assert all(not (s.bold or s.italic or s.url or s.code) for ln in lines for s in ln.spans)


def test_template_values_cannot_inject_markup() -> None:
    t = Templates({"done.recorded": "Recorded: **{title}** ({credits})"})
    md = t.md("done.recorded", title="A *bold* [link](http://evil) & <tag>", credits="1 CE")
    (line,) = markup.parse(md)
    assert line.spans[1] == markup.Span("A *bold* [link](http://evil) & <tag>", bold=True)


TODAY = date(2026, 11, 22)  # a Sunday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("dec 1", date(2026, 12, 1)),
        ("1 December 2026", date(2026, 12, 1)),
        ("tomorrow", date(2026, 11, 23)),
        ("monday", date(2026, 11, 23)),
        ("next friday", date(2026, 11, 27)),
        ("in 2 weeks", date(2026, 12, 6)),
        ("3 days", date(2026, 11, 25)),
        ("25/12", date(2026, 12, 25)),
        ("12/25/2026", date(2026, 12, 25)),
        ("march 1st", date(2027, 3, 1)),
        ("a month", date(2026, 12, 22)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("12/01", "ambiguous"),
        ("blursday", "unreadable"),
        ("2026-02-30", "no_such_day"),
        ("", "unreadable"),
    ],
)
def test_bad_dates(text: str, code: str) -> None:
    with pytest.raises(DateError) as err:
        parse_date(text, TODAY)
    assert err.value.code == code


@given(st.text(max_size=60))
def test_dates_raise_only_date_errors(text: str) -> None:
    """Any text gives a date or a DateError; any other exception fails the test."""
    result: date | str
    try:
        result = parse_date(text, TODAY)
    except DateError as err:
        result = err.code
    assert isinstance(result, date) or result in ("unreadable", "ambiguous", "no_such_day")


def test_quiet_hours_and_zones() -> None:
    assert parse_quiet_hours("20:00-08:00") == (time(20), time(8))
    assert parse_quiet_hours("9pm to 7:30am") == (time(21), time(7, 30))
    assert parse_quiet_hours("25:00-01:00") is None
    assert parse_quiet_hours("8-8") is None
    assert find_zone("london") == ("Europe/London", [])
    assert find_zone("New York") == ("America/New_York", [])
    assert find_zone("pacific") == ("America/Los_Angeles", [])
    assert find_zone("Amercia/Chicago") == (None, ["America/Chicago"])
    assert find_zone("../../etc/passwd")[0] is None
