"""Reading a nudge's "when" (words and cron), listing its times, and mapping them to UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.recurrence import Recurrence, RecurrenceError, parse_when, to_utc

TODAY = date(2026, 6, 15)  # a Monday
CODES = {
    "empty",
    "unreadable",
    "bad_time",
    "bad_day",
    "cron_fields",
    "cron_value",
    "in_past",
    "too_far",
}
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")


def parse(text: str, today: date = TODAY) -> Recurrence:
    return parse_when(text, today)


def code_of(text: str, today: date = TODAY) -> str:
    with pytest.raises(RecurrenceError) as caught:
        parse_when(text, today)
    return caught.value.code


def dt(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi)


def days_of(times: list[datetime]) -> list[int]:
    return [t.day for t in times]


# ------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every day 09:00", (9, 0)),
        ("every day 9:00", (9, 0)),
        ("every day 9am", (9, 0)),
        ("every day 9 am", (9, 0)),
        ("every day 9:30 pm", (21, 30)),
        ("every day 9:30pm", (21, 30)),
        ("every day 9 p.m.", (21, 0)),
        ("every day 21:15", (21, 15)),
        ("every day 12pm", (12, 0)),
        ("every day 12am", (0, 0)),
        ("every day 12:30am", (0, 30)),
        ("every day at noon", (12, 0)),
        ("every day at midnight", (0, 0)),
        ("every day at 00:00", (0, 0)),
        ("every day at 23:59", (23, 59)),
        ("every day at 14:00:00", (14, 0)),
        ("EVERY DAY AT 9AM", (9, 0)),
    ],
)
def test_time_forms(text: str, expected: tuple[int, int]) -> None:
    assert parse(text).times == (expected,)


def test_several_times_are_sorted_and_deduplicated() -> None:
    assert parse("every day 17:00 and 08:00").times == ((8, 0), (17, 0))
    assert parse("daily 5pm, 8am and 12:30").times == ((8, 0), (12, 30), (17, 0))
    assert parse("daily 9am and 09:00").times == ((9, 0),)


@pytest.mark.parametrize(
    "text",
    [
        "every day 24:00",
        "every day 9:60",
        "every day 25:00",
        "every day 13pm",
        "every day 0am",
        "every day 9:5",
        "every day 123:00",
        "every day 14:00:30",
        "every day 9.30",
        "every monday",
        "every monday at 9",
        "weekdays",
        "first tuesday of the month",
        "every month on the 1st",
        "dec 1",
        "dec 1 9",
        "tomorrow",
        "tomorrow 9am and 5pm",
    ],
)
def test_bad_or_missing_time(text: str) -> None:
    assert code_of(text) == "bad_time"


# ------------------------------------------------------------------------- daily


@pytest.mark.parametrize(
    "text", ["every day 08:00", "daily 8am", "everyday 08:00", "each day at 8:00 am"]
)
def test_every_day(text: str) -> None:
    rec = parse(text)
    assert (rec.weekdays, rec.days, rec.months, rec.nth_weekday, rec.once) == (
        None,
        None,
        None,
        None,
        None,
    )
    got = rec.occurrences(dt(2026, 6, 15, 8, 0), dt(2026, 6, 18, 8, 0))
    assert got == [dt(2026, 6, 16, 8), dt(2026, 6, 17, 8), dt(2026, 6, 18, 8)]


def test_window_is_after_exclusive_until_inclusive_and_spans_the_year_end() -> None:
    rec = parse("every day 08:00 and 17:00")
    assert rec.occurrences(dt(2026, 6, 15, 8), dt(2026, 6, 15, 17)) == [dt(2026, 6, 15, 17)]
    assert rec.occurrences(dt(2026, 6, 15, 17), dt(2026, 6, 15, 17)) == []
    assert rec.occurrences(dt(2026, 6, 16), dt(2026, 6, 15)) == []
    got = rec.occurrences(dt(2026, 12, 31, 12), dt(2027, 1, 1, 12))
    assert got == [dt(2026, 12, 31, 17), dt(2027, 1, 1, 8)]


def test_text_is_lowercased_with_whitespace_collapsed() -> None:
    assert parse("  Every   MONDAY\t 09:00 ").text == "every monday 09:00"
    assert parse(" 0  9 * *   MON ").text == "0 9 * * mon"


# ------------------------------------------------------------------ days of week


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("every monday 09:00", {0}),
        ("mondays 09:00", {0}),
        ("on mondays at 09:00", {0}),
        ("every mon, wed and fri 12:00", {0, 2, 4}),
        ("every monday and thursday at 9am", {0, 3}),
        ("every monday and every thursday at 9am", {0, 3}),
        ("tuesdays and thursdays 10:00", {1, 3}),
        ("every tues, thurs 10:00", {1, 3}),
        ("every sun 10:00", {6}),
        ("weekdays 08:30", {0, 1, 2, 3, 4}),
        ("every weekday 08:30", {0, 1, 2, 3, 4}),
        ("weekends 10:00", {5, 6}),
        ("every weekend at 10:00", {5, 6}),
        ("weekly on fridays at 4pm", {4}),
    ],
)
def test_days_of_the_week(text: str, weekdays: set[int]) -> None:
    rec = parse(text)
    assert rec.weekdays == frozenset(weekdays)
    assert rec.days is None and rec.nth_weekday is None and rec.once is None
    # 2026-06-15 is a Monday: a fortnight's window holds each chosen weekday twice.
    got = rec.occurrences(dt(2026, 6, 15), dt(2026, 6, 28, 23, 59))
    assert len(got) == 2 * len(weekdays)
    assert {t.weekday() for t in got} == weekdays
    assert got == sorted(got)


def test_every_monday_occurrences() -> None:
    rec = parse("every monday 09:00")
    got = rec.occurrences(dt(2026, 6, 1), dt(2026, 7, 1))
    assert got == [dt(2026, 6, d, 9) for d in (1, 8, 15, 22, 29)]


# --------------------------------------------------------------- nth of the month


@pytest.mark.parametrize(
    ("text", "nth", "dates"),
    [
        ("first tuesday of the month 12:00", (1, 1), [(6, 2), (7, 7), (8, 4)]),
        ("second tuesday of the month 12:00", (2, 1), [(6, 9), (7, 14), (8, 11)]),
        ("third tuesday of every month 12:00", (3, 1), [(6, 16), (7, 21), (8, 18)]),
        ("fourth tuesday of the month 12:00", (4, 1), [(6, 23), (7, 28), (8, 25)]),
        ("1st wednesday of each month 12:00", (1, 2), [(6, 3), (7, 1), (8, 5)]),
        ("last friday of the month 12:00", (-1, 4), [(6, 26), (7, 31), (8, 28)]),
        ("on the last friday of every month at 12pm", (-1, 4), [(6, 26), (7, 31), (8, 28)]),
        ("monthly on the first monday at 12:00", (1, 0), [(6, 1), (7, 6), (8, 3)]),
    ],
)
def test_nth_weekday_of_the_month(
    text: str, nth: tuple[int, int], dates: list[tuple[int, int]]
) -> None:
    rec = parse(text)
    assert rec.nth_weekday == nth
    got = rec.occurrences(dt(2026, 6, 1), dt(2026, 8, 31, 23, 59))
    assert got == [dt(2026, m, d, 12) for m, d in dates]


def test_last_friday_in_a_five_friday_month_is_the_fifth() -> None:
    # July 2026 has Fridays on 3, 10, 17, 24 and 31.
    last = parse("last friday of the month 15:00")
    fourth = parse("fourth friday of the month 15:00")
    window = (dt(2026, 7, 1), dt(2026, 7, 31, 23, 59))
    assert last.occurrences(*window) == [dt(2026, 7, 31, 15)]
    assert fourth.occurrences(*window) == [dt(2026, 7, 24, 15)]


def test_last_weekday_across_a_leap_february() -> None:
    rec = parse("last tuesday of the month 09:00")
    assert rec.occurrences(dt(2028, 2, 1), dt(2028, 3, 1)) == [dt(2028, 2, 29, 9)]
    assert rec.occurrences(dt(2027, 2, 1), dt(2027, 3, 1)) == [dt(2027, 2, 23, 9)]


# --------------------------------------------------------------- days of a month


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("every month on the 1st 09:00", {1}),
        ("on the 15th of every month 9am", {15}),
        ("monthly on the 3rd at 10:00", {3}),
        ("on the 2nd of the month at 9am", {2}),
        ("every month on the 1st and 15th at 9am", {1, 15}),
        ("on the first of every month 9am", {1}),
        ("monthly on 22 at 9am", {22}),
    ],
)
def test_days_of_the_month(text: str, days: set[int]) -> None:
    rec = parse(text)
    assert rec.days == frozenset(days)
    assert rec.weekdays is None and rec.nth_weekday is None
    got = rec.occurrences(dt(2026, 6, 1), dt(2026, 7, 31, 23, 59))
    assert len(got) == 2 * len(days)
    assert {t.day for t in got} == days


def test_monthly_across_the_year_end() -> None:
    rec = parse("every month on the 1st 09:00")
    got = rec.occurrences(dt(2026, 12, 1, 9), dt(2027, 2, 15))
    assert got == [dt(2027, 1, 1, 9), dt(2027, 2, 1, 9)]


def test_days_a_month_lacks_do_not_occur() -> None:
    rec = parse("monthly on the 31st at 09:00")
    got = rec.occurrences(dt(2026, 1, 1), dt(2026, 12, 31, 23, 59))
    assert [t.month for t in got] == [1, 3, 5, 7, 8, 10, 12]


def test_the_29th_in_february_only_on_leap_years() -> None:
    rec = parse("on the 29th of every month 9am")
    assert rec.occurrences(dt(2027, 2, 1), dt(2027, 3, 1)) == []
    assert rec.occurrences(dt(2028, 2, 1), dt(2028, 3, 1)) == [dt(2028, 2, 29, 9)]


@pytest.mark.parametrize(
    "text", ["every month on the 32nd 9am", "every month on the 0th 9am", "monthly on 45 at 9am"]
)
def test_impossible_day_of_month(text: str) -> None:
    assert code_of(text) == "bad_day"


# ------------------------------------------------------------------------ one-off


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 14:00 once",
        "once 2026-12-01 14:00",
        "once on 2026-12-01 at 2pm",
        "2026-12-01T14:00",
        "2026-12-01 at 14:00",
        "on dec 1 at 2pm",
        "dec 1 14:00 once",
        "december 1st 2pm",
        "1st december 2pm",
        "on the 1st of december at 2pm",
        "dec 1 2026 2pm",
        "Dec 1, 2026 at 2 PM",
    ],
)
def test_one_off(text: str) -> None:
    rec = parse(text)
    assert rec.once == dt(2026, 12, 1, 14)
    assert rec.times == ((14, 0),)
    assert rec.occurrences(dt(2026, 12, 1), dt(2026, 12, 2)) == [dt(2026, 12, 1, 14)]
    assert rec.occurrences(dt(2026, 12, 1, 14), dt(2026, 12, 2)) == []
    assert rec.occurrences(dt(2026, 11, 1), dt(2026, 12, 1, 13, 59)) == []


def test_today_and_tomorrow() -> None:
    assert parse("tomorrow 9am").once == dt(2026, 6, 16, 9)
    assert parse("today at 17:00").once == dt(2026, 6, 15, 17)
    assert parse("tomorrow 9am", today=date(2026, 12, 31)).once == dt(2027, 1, 1, 9)


def test_month_day_without_a_year_is_the_next_one_on_or_after_today() -> None:
    assert parse("dec 1 2pm", today=date(2026, 12, 1)).once == dt(2026, 12, 1, 14)
    assert parse("dec 1 2pm", today=date(2026, 12, 2)).once == dt(2027, 12, 1, 14)
    assert parse("may 5 9am").once == dt(2027, 5, 5, 9)


def test_february_29_one_offs() -> None:
    assert parse("2028-02-29 9am").once == dt(2028, 2, 29, 9)
    assert code_of("2027-02-29 9am") == "bad_day"
    assert parse("feb 29 9am").once == dt(2028, 2, 29, 9)
    assert parse("feb 29 9am", today=date(2028, 1, 10)).once == dt(2028, 2, 29, 9)
    assert code_of("feb 29 2027 9am") == "bad_day"
    # The next Feb 29 after 1 March 2028 is in 2032: more than two years away.
    assert code_of("feb 29 9am", today=date(2028, 3, 1)) == "too_far"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-06-14 09:00", "in_past"),
        ("2025-12-01 09:00 once", "in_past"),
        ("dec 1 2025 9am", "in_past"),
        ("2028-06-16 09:00", "too_far"),
        ("2030-01-01 09:00", "too_far"),
        ("2026-02-30 09:00", "bad_day"),
        ("2026-13-01 09:00", "bad_day"),
        ("feb 30 9am", "bad_day"),
        ("apr 31 9am", "bad_day"),
        ("dec 0 9am", "bad_day"),
        ("dec 32 9am", "bad_day"),
    ],
)
def test_one_off_errors(text: str, code: str) -> None:
    assert code_of(text) == code


def test_one_off_limits() -> None:
    assert parse("2026-06-15 00:00").once == dt(2026, 6, 15)
    assert parse("2028-06-15 23:59").once == dt(2028, 6, 15, 23, 59)


# ---------------------------------------------------------------------------- cron


def test_cron_basics() -> None:
    rec = parse("0 9 * * 1-5")
    assert rec.times == ((9, 0),)
    assert rec.weekdays == frozenset({0, 1, 2, 3, 4})
    assert (rec.days, rec.months, rec.nth_weekday, rec.once) == (None, None, None, None)
    got = rec.occurrences(dt(2026, 6, 15), dt(2026, 6, 21, 23, 59))
    assert days_of(got) == [15, 16, 17, 18, 19]


@pytest.mark.parametrize("prefix", ["", "cron ", "cron: ", "cron:", "CRON "])
def test_cron_prefix_is_optional(prefix: str) -> None:
    assert parse(f"{prefix}30 8 * * mon").weekdays == frozenset({0})


def test_cron_either_day_rule() -> None:
    window = (dt(2026, 6, 1), dt(2026, 6, 30, 23, 59))
    # June 2026: Fridays are 5, 12, 19, 26; the 13th is a Saturday.
    assert days_of(parse("0 9 13 * 5").occurrences(*window)) == [5, 12, 13, 19, 26]
    assert days_of(parse("0 9 13 * *").occurrences(*window)) == [13]
    assert days_of(parse("0 9 * * fri").occurrences(*window)) == [5, 12, 19, 26]


def test_cron_names() -> None:
    rec = parse("0 9 * jan,dec sun")
    assert rec.months == frozenset({1, 12})
    assert rec.weekdays == frozenset({6})
    rec = parse("0 9 * feb-apr mon-wed")
    assert rec.months == frozenset({2, 3, 4})
    assert rec.weekdays == frozenset({0, 1, 2})
    got = parse("0 9 * jan,dec sun").occurrences(dt(2026, 11, 1), dt(2027, 1, 10, 9))
    assert got[0] == dt(2026, 12, 6, 9)
    assert got[-1] == dt(2027, 1, 10, 9)
    assert all(t.weekday() == 6 and t.month in (1, 12) for t in got)


def test_cron_steps_ranges_and_lists() -> None:
    rec = parse("*/20 */6 * * *")
    assert rec.times == tuple((h, m) for h in (0, 6, 12, 18) for m in (0, 20, 40))
    assert parse("0 8-18/5 * * *").times == ((8, 0), (13, 0), (18, 0))
    assert parse("15,45 9 * * *").times == ((9, 15), (9, 45))
    assert parse("0 22/1 * * *").times == ((22, 0), (23, 0))
    assert parse("0 9 1-7 * *").days == frozenset(range(1, 8))
    assert parse("0 9 * * */2").weekdays == frozenset({6, 1, 3, 5})  # sun, tue, thu, sat


def test_cron_every_minute_over_a_window() -> None:
    rec = parse("* * * * *")
    got = rec.occurrences(dt(2026, 6, 15, 23, 58), dt(2026, 6, 16, 0, 2))
    assert got == [dt(2026, 6, 15, 23, 59)] + [dt(2026, 6, 16, 0, m) for m in range(3)]


@pytest.mark.parametrize("dow", ["0", "7", "sun", "0,7"])
def test_cron_sunday_is_0_and_7(dow: str) -> None:
    assert parse(f"0 9 * * {dow}").weekdays == frozenset({6})


def test_cron_weekday_numbers_map_to_monday_zero() -> None:
    assert parse("0 9 * * 1").weekdays == frozenset({0})
    assert parse("0 9 * * 6").weekdays == frozenset({5})
    assert parse("0 9 * * 5-7").weekdays == frozenset({4, 5, 6})


def test_cron_february_29() -> None:
    rec = parse("0 9 29 2 *")
    got = rec.occurrences(dt(2026, 1, 1), dt(2029, 12, 31))
    assert got == [dt(2028, 2, 29, 9)]
    assert rec.next_times(dt(2027, 6, 1), 2) == [dt(2028, 2, 29, 9), dt(2032, 2, 29, 9)]
    assert rec.next_times(dt(2096, 3, 1), 1) == [dt(2104, 2, 29, 9)]  # 2100 is no leap year


@pytest.mark.parametrize(
    "text",
    ["0 9 * * 1 2026", "0 9 1 * * *", "cron 0 9 * *", "cron 0 9 * * 1 0", "cron", "0 9 * *"],
)
def test_cron_wrong_field_count(text: str) -> None:
    assert code_of(text) == "cron_fields"


@pytest.mark.parametrize(
    "text",
    [
        "60 9 * * *",
        "0 24 * * *",
        "0 9 0 * *",
        "0 9 32 * *",
        "0 9 * 0 *",
        "0 9 * 13 *",
        "0 9 * * 8",
        "*/0 9 * * *",
        "5-1 9 * * *",
        "0 9 1,,2 * *",
        "0 9 * * mon-",
        "cron 0 9 * foo *",
        "cron 0 9:30 * * *",
        "0 9 * jan/0 *",
        "0 9 * * 1/2/3",
    ],
)
def test_cron_value_out_of_range_or_malformed(text: str) -> None:
    assert code_of(text) == "cron_value"


@pytest.mark.parametrize(
    "text",
    [
        "every monday 09:00",
        "every mon wed fri 9am",
        "on dec 1 at 2pm",
        "dec 1 14:00 once",
        "first tuesday of the month 12:00",
        "every month on the 1st 09:00",
        "weekdays 08:30",
        "tuesdays and thursdays 10:00",
    ],
)
def test_words_are_never_read_as_cron(text: str) -> None:
    rec = parse(text)
    assert len(rec.times) == 1  # cron would have produced a different shape or an error


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("   \t\n ", "empty"),
        ("blah", "unreadable"),
        ("9am", "unreadable"),
        ("monday 9am", "unreadable"),
        ("every 9am", "unreadable"),
        ("every blursday 9am", "unreadable"),
        ("fifth tuesday of the month 9am", "unreadable"),
        ("every month 9am", "unreadable"),
        ("once 9am", "unreadable"),
        ("every day dec 1 9am", "unreadable"),
        ("every day 9am pm", "unreadable"),
    ],
)
def test_empty_and_unreadable(text: str, code: str) -> None:
    assert code_of(text) == code


def test_error_carries_code_and_typed_text() -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_when("  Every Blursday 9am ", TODAY)
    assert caught.value.code == "unreadable"
    assert caught.value.text == "  Every Blursday 9am "
    assert isinstance(caught.value, ValueError)
    assert "Blursday" in str(caught.value)


# --------------------------------------------------------------------- next_times


def test_next_times() -> None:
    rec = parse("every monday 09:00")
    assert rec.next_times(dt(2026, 6, 15, 9), 3) == [
        dt(2026, 6, 22, 9),
        dt(2026, 6, 29, 9),
        dt(2026, 7, 6, 9),
    ]
    assert rec.next_times(dt(2026, 6, 15, 8, 59), 1) == [dt(2026, 6, 15, 9)]
    assert rec.next_times(dt(2026, 6, 15), 0) == []
    daily = parse("daily 08:00 and 17:00")
    assert daily.next_times(dt(2026, 12, 31, 12), 3) == [
        dt(2026, 12, 31, 17),
        dt(2027, 1, 1, 8),
        dt(2027, 1, 1, 17),
    ]


def test_next_times_of_a_one_off_and_a_rare_schedule() -> None:
    once = parse("2026-12-01 14:00")
    assert once.next_times(dt(2026, 6, 15), 5) == [dt(2026, 12, 1, 14)]
    assert once.next_times(dt(2026, 12, 1, 14), 5) == []
    # Feb 29 is found however far away it is (2028 from mid-2026, 2104 from 2097).
    assert parse("0 9 29 2 *").next_times(dt(2026, 6, 15), 1) == [dt(2028, 2, 29, 9)]
    assert parse("0 9 29 2 *").next_times(dt(2097, 1, 1), 1) == [dt(2104, 2, 29, 9)]


# -------------------------------------------------------------------------- to_utc


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        # New York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT.
        (NEW_YORK, dt(2026, 3, 8, 1, 30), dt(2026, 3, 8, 6, 30)),
        (NEW_YORK, dt(2026, 3, 8, 2, 30), dt(2026, 3, 8, 7, 30)),  # gap: 03:30 EDT
        (NEW_YORK, dt(2026, 3, 8, 3, 30), dt(2026, 3, 8, 7, 30)),
        # New York: fall back 2026-11-01 02:00 EDT -> 01:00 EST.
        (NEW_YORK, dt(2026, 11, 1, 1, 30), dt(2026, 11, 1, 5, 30)),  # first of two
        (NEW_YORK, dt(2026, 11, 1, 2, 30), dt(2026, 11, 1, 7, 30)),
        # London: spring forward 2026-03-29 01:00 GMT -> 02:00 BST.
        (LONDON, dt(2026, 3, 29, 0, 30), dt(2026, 3, 29, 0, 30)),
        (LONDON, dt(2026, 3, 29, 1, 30), dt(2026, 3, 29, 1, 30)),  # gap: 02:30 BST
        (LONDON, dt(2026, 3, 29, 2, 30), dt(2026, 3, 29, 1, 30)),
        # London: fall back 2026-10-25 02:00 BST -> 01:00 GMT.
        (LONDON, dt(2026, 10, 25, 1, 30), dt(2026, 10, 25, 0, 30)),  # first of two
        (LONDON, dt(2026, 10, 25, 2, 30), dt(2026, 10, 25, 2, 30)),
        # Sydney: fall back 2026-04-05 03:00 AEDT -> 02:00 AEST.
        (SYDNEY, dt(2026, 4, 5, 2, 30), dt(2026, 4, 4, 15, 30)),  # first of two
        (SYDNEY, dt(2026, 4, 5, 3, 30), dt(2026, 4, 4, 17, 30)),
        # Sydney: spring forward 2026-10-04 02:00 AEST -> 03:00 AEDT.
        (SYDNEY, dt(2026, 10, 4, 1, 30), dt(2026, 10, 3, 15, 30)),
        (SYDNEY, dt(2026, 10, 4, 2, 30), dt(2026, 10, 3, 16, 30)),  # gap: 03:30 AEDT
        (SYDNEY, dt(2026, 10, 4, 3, 30), dt(2026, 10, 3, 16, 30)),
    ],
)
def test_to_utc(zone: ZoneInfo, local: datetime, utc: datetime) -> None:
    got = to_utc(local, zone)
    assert got == utc.replace(tzinfo=UTC)
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "local", "shown"),
    [
        (NEW_YORK, dt(2026, 3, 8, 2, 30), dt(2026, 3, 8, 3, 30)),
        (NEW_YORK, dt(2026, 3, 8, 2, 0), dt(2026, 3, 8, 3, 0)),
        (LONDON, dt(2026, 3, 29, 1, 15), dt(2026, 3, 29, 2, 15)),
        (SYDNEY, dt(2026, 10, 4, 2, 59), dt(2026, 10, 4, 3, 59)),
    ],
)
def test_a_spring_gap_time_moves_forward_by_the_gap(
    zone: ZoneInfo, local: datetime, shown: datetime
) -> None:
    assert to_utc(local, zone).astimezone(zone).replace(tzinfo=None) == shown


def test_to_utc_of_an_aware_time_just_converts() -> None:
    aware = datetime(2026, 6, 15, 9, tzinfo=LONDON)
    assert to_utc(aware, NEW_YORK) == datetime(2026, 6, 15, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "clock", "start", "end", "gap_day"),
    [
        (NEW_YORK, "02:30", date(2026, 3, 1), date(2026, 11, 10), date(2026, 3, 8)),
        (NEW_YORK, "01:30", date(2026, 3, 1), date(2026, 11, 10), None),
        (LONDON, "01:30", date(2026, 3, 20), date(2026, 11, 1), date(2026, 3, 29)),
        (LONDON, "02:30", date(2026, 3, 20), date(2026, 11, 1), None),
        (SYDNEY, "02:30", date(2026, 3, 25), date(2026, 10, 15), date(2026, 10, 4)),
    ],
)
def test_daily_schedule_fires_once_per_local_day_across_both_changes(
    zone: ZoneInfo, clock: str, start: date, end: date, gap_day: date | None
) -> None:
    rec = parse(f"every day {clock}")
    hour, minute = rec.times[0]
    after = datetime.combine(start, datetime.min.time())
    until = datetime.combine(end, datetime.min.time())
    local = rec.occurrences(after, until)
    expected_days = (end - start).days
    assert len(local) == expected_days
    assert [t.date() for t in local] == [start + timedelta(days=i) for i in range(expected_days)]
    instants = [to_utc(t, zone) for t in local]
    assert instants == sorted(set(instants))  # strictly increasing: no repeats, no reordering
    shown = [i.astimezone(zone).replace(tzinfo=None) for i in instants]
    assert [s.date() for s in shown] == [t.date() for t in local]  # one per local day
    for when, seen in zip(local, shown, strict=True):
        if when.date() == gap_day:
            assert (seen.hour, seen.minute) == (hour + 1, minute)
        else:
            assert (seen.hour, seen.minute) == (hour, minute)


def test_daily_0230_over_sydneys_autumn_change_uses_the_first_0230() -> None:
    local = parse("every day 02:30").occurrences(dt(2026, 4, 4), dt(2026, 4, 6))
    assert local == [dt(2026, 4, 4, 2, 30), dt(2026, 4, 5, 2, 30)]
    assert to_utc(local[1], SYDNEY).utcoffset() == timedelta(0)
    assert to_utc(local[1], SYDNEY).astimezone(SYDNEY).utcoffset() == timedelta(hours=11)


# ---------------------------------------------------------------------- properties

WORDS = [
    "every", "day", "daily", "monday", "mondays", "mon", "fri", "weekdays", "weekend",
    "first", "last", "second", "tuesday", "of", "the", "month", "monthly", "on", "at",
    "and", ",", "once", "tomorrow", "today", "dec", "feb", "29", "1", "1st", "31st", "0th",
    "9am", "12pm", "9:30", "25:00", "9", "pm", "am", "2026-12-01", "2026-02-30",
    "2026-12-01t14:00", "cron", "cron:", "*", "*/5", "1-5", "0", "7", "8", "jan-mar",
    "mon-fri", "60", "/", "-", "9:", "noon", "0000-01-01", "9999-12-31", "99999999999",
]  # fmt: skip


def check_parse(text: str) -> None:
    outcome: Recurrence | RecurrenceError
    try:
        outcome = parse_when(text, TODAY)
    except RecurrenceError as error:  # anything else escapes and fails the test
        outcome = error
    if isinstance(outcome, RecurrenceError):
        assert outcome.code in CODES
        assert outcome.text == text
    else:
        assert isinstance(outcome, Recurrence)
        assert outcome.times == tuple(sorted(outcome.times))
        outcome.occurrences(dt(2026, 6, 15), dt(2026, 6, 17))


@settings(deadline=None, max_examples=200, database=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_recurrence_error(text: str) -> None:
    check_parse(text)


@settings(deadline=None, max_examples=200, database=None)
@given(st.lists(st.sampled_from(WORDS), max_size=7).map(" ".join))
def test_word_salad_parses_or_raises_recurrence_error(text: str) -> None:
    check_parse(text)
