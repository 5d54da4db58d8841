"""Huddle's cron against an independent implementation (cronsim), over random expressions.

For random valid five-field expressions, zones on both sides of the equator and start
instants that include the days the clocks change, the next five instants must be the
ones cronsim gives, except within two hours of a clock change. There Huddle follows
its own documented policy (docs/architecture.md, "Clock changes"), which this test
checks from first principles, with cronsim only deciding whether a wall-clock time
matches the expression:

- a wall-clock time that exists once fires at that instant;
- a wall-clock time the autumn change repeats fires at its first instant only;
- a wall-clock time the spring change skips fires at the same time moved forward by
  the gap, and is one occurrence with any other that lands on the same instant;

and no instant appears twice, or at or before the start.

cronsim aims to match Debian's cron, and so does Huddle (a day field starting with
``*`` does not count for the either-day rule). croniter was tried first and left: it
reads ``1-1`` in the day of the month as every day. cronsim reads a one-value range
with a step (``5-5/2``) as ``5/2``, to the end of the field; Debian's cron and Huddle
read it as ``5``, so those are not generated.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim, CronSimError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.recurrence import RecurrenceError, next_instants, parse_when, to_utc

ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC")
COUNT = 5
NEAR_CHANGE = timedelta(hours=2)
TODAY = date(2026, 12, 2)


@cache
def changes(zone_name: str) -> tuple[datetime, ...]:
    """Every instant the zone's UTC offset changes, 2025-2032 (found hour by hour)."""
    zone = ZoneInfo(zone_name)
    found = []
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment.year < 2032:
        later = moment + timedelta(hours=1)
        if later.astimezone(zone).utcoffset() != offset:
            # Narrow down to the minute.
            step = moment
            while step.astimezone(zone).utcoffset() == offset:
                step += timedelta(minutes=1)
            found.append(step)
            offset = later.astimezone(zone).utcoffset()
        moment = later
    return tuple(found)


def near_change(zone: str, instant: datetime) -> bool:
    return any(abs(instant - change) <= NEAR_CHANGE for change in changes(zone))


# --- random valid cron expressions ---------------------------------------------------------

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _part(
    low: int, high: int, names: tuple[str, ...] = (), names_from: int = 0
) -> st.SearchStrategy[str]:
    def number(value: int) -> st.SearchStrategy[str]:
        if names and names_from <= value < names_from + len(names):
            return st.sampled_from([str(value), names[value - names_from]])
        return st.just(str(value))

    def spans(ab: st.SearchStrategy[list[int]]) -> st.SearchStrategy[str]:
        return ab.flatmap(lambda ab: st.tuples(number(ab[0]), number(ab[1]))).map("-".join)

    single = st.integers(low, high).flatmap(number)
    ranged = st.tuples(st.integers(low, high), st.integers(low, high)).map(sorted)
    # cronsim reads a one-value range with a step ('5-5/2') as '5/2', to the field's end.
    wide = ranged.filter(lambda ab: ab[0] < ab[1])
    step = st.integers(1, max(1, high - low))
    return st.one_of(
        single,
        spans(ranged),
        step.map(lambda n: f"*/{n}"),
        st.tuples(spans(wide), step).map(lambda t: f"{t[0]}/{t[1]}"),
        # 'a/n' from a start; a day-of-week step from 7 is refused (crons disagree on it).
        st.tuples(st.integers(low, min(high, 6) if names is DAY_NAMES else high), step).map(
            lambda t: f"{t[0]}/{t[1]}"
        ),
    )


def _field(
    low: int, high: int, names: tuple[str, ...] = (), names_from: int = 0
) -> st.SearchStrategy[str]:
    listed = st.lists(_part(low, high, names, names_from), min_size=1, max_size=3).map(",".join)
    return st.one_of(st.just("*"), listed)


CRON = st.tuples(
    st.one_of(st.integers(0, 59).map(str), _field(0, 59)),
    st.one_of(st.integers(0, 23).map(str), _field(0, 23)),
    _field(1, 31),
    _field(1, 12, MONTH_NAMES, 1),
    _field(0, 7, DAY_NAMES, 0),
).map(" ".join)


@st.composite
def start_instants(draw: st.DrawFn, zone: str) -> datetime:
    """Any minute of 2026-2028, or one within a few hours of a clock change."""
    if draw(st.booleans()) and changes(zone):
        change = draw(st.sampled_from([c for c in changes(zone) if c.year <= 2028]))
        return change + timedelta(minutes=draw(st.integers(-240, 240)))
    minutes = draw(st.integers(0, 3 * 365 * 24 * 60))
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)


def reference(expr: str, zone: str, start: datetime) -> list[datetime]:
    it = CronSim(expr, start.astimezone(ZoneInfo(zone)))
    return [next(it).astimezone(UTC) for _ in range(COUNT)]


# --- the policy at clock changes -----------------------------------------------------------


def _matches(expr: str, wall: datetime) -> bool:
    """Whether the expression fires at this wall-clock minute (asked of cronsim in UTC,
    where no clock changes)."""
    before = (wall - timedelta(minutes=1)).replace(tzinfo=UTC)
    return next(CronSim(expr, before)) == wall.replace(tzinfo=UTC)


def expected_near_changes(
    expr: str, zone_name: str, start: datetime, until: datetime
) -> set[datetime]:
    """Huddle's instants in (start, until] that lie near a clock change, from the policy."""
    zone = ZoneInfo(zone_name)
    out: set[datetime] = set()
    for change in changes(zone_name):
        if change + NEAR_CHANGE <= start - timedelta(hours=3) or change - NEAR_CHANGE > until:
            continue
        # Every wall-clock minute around the change, whether it exists, repeats or not.
        first = (change - timedelta(hours=4)).astimezone(zone).replace(tzinfo=None)
        for m in range(8 * 60 + 1):
            wall = first + timedelta(minutes=m)
            if not _matches(expr, wall):
                continue
            at = to_utc(wall, zone)
            # to_utc is the code under test: check its instant against the policy directly.
            earlier = wall.replace(tzinfo=zone, fold=0)
            later = wall.replace(tzinfo=zone, fold=1)
            if earlier.utcoffset() >= later.utcoffset():  # type: ignore[operator]
                assert at == earlier.astimezone(UTC)  # exists once, or the first of two
            else:  # skipped: forward by the gap
                gap = later.utcoffset() - earlier.utcoffset()  # type: ignore[operator]
                assert at.astimezone(zone).replace(tzinfo=None) == wall + gap
            if start < at <= until and near_change(zone_name, at):
                out.add(at)
    return out


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
@given(data=st.data(), expr=CRON, zone=st.sampled_from(ZONES))
@example(data=None, expr="30 2,3 * * *", zone="America/New_York")
@example(data=None, expr="*/30 * * * *", zone="America/New_York")
@example(data=None, expr="*/20 1 * * *", zone="Europe/London")
def test_next_five_instants_agree_with_croniter(
    data: st.DataObject | None, expr: str, zone: str
) -> None:
    start = (
        data.draw(start_instants(zone))
        if data is not None
        else datetime(2027, 3, 14, 5, 0, tzinfo=UTC)
        if zone == "America/New_York"
        else datetime(2027, 10, 31, 0, 0, tzinfo=UTC)
    )
    try:
        recurrence = parse_when(expr, TODAY)
    except RecurrenceError as exc:
        code = exc.code
    else:
        code = ""
    if code:
        assert code == "never", (expr, code)
        with pytest.raises(CronSimError):  # e.g. '0 9 31 2 *': cronsim searches in vain too
            reference(expr, zone, start)
        return
    ours = next_instants(recurrence, ZoneInfo(zone), start, COUNT)
    assert len(ours) == COUNT
    assert ours == sorted(set(ours)), "in order, each instant once"
    assert ours[0] > start
    theirs = reference(expr, zone, start)

    # Away from clock changes: exactly cronsim's instants.
    far_ours = [t for t in ours if not near_change(zone, t)]
    far_theirs = [t for t in theirs if not near_change(zone, t)]
    shared = min(len(far_ours), len(far_theirs))
    assert far_ours[:shared] == far_theirs[:shared], (expr, zone, start)

    # Near them: exactly what the policy gives, up to the last instant listed.
    near_ours = {t for t in ours if near_change(zone, t)}
    assert near_ours == expected_near_changes(expr, zone, start, ours[-1]), (expr, zone, start)


@pytest.mark.parametrize("expr", ["0 9 * * 7/2", "0 9 * * 1,7/3"])
def test_a_weekday_step_from_seven_is_refused_with_an_example(expr: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_when(expr, TODAY)
    assert caught.value.code == "cron_seven_step"


@pytest.mark.parametrize("expr", ["0 9 31 2 *", "0 9 30,31 2 *", "0 9 31 4,6,9,11 *"])
def test_a_schedule_that_never_happens_is_refused(expr: str) -> None:
    with pytest.raises(RecurrenceError) as caught:
        parse_when(expr, TODAY)
    assert caught.value.code == "never"


def test_29_february_is_found_however_far_away() -> None:
    recurrence = parse_when("0 9 29 2 *", TODAY)
    new_york = ZoneInfo("America/New_York")
    got = next_instants(recurrence, new_york, datetime(2096, 3, 1, tzinfo=UTC), 2)
    assert [t.astimezone(new_york).date() for t in got] == [date(2104, 2, 29), date(2108, 2, 29)]


#: Vixie cron's shorthands, as its manual writes them out (cronsim has none of them).
SHORTHANDS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


@pytest.mark.parametrize("macro", list(SHORTHANDS))
def test_vixie_shorthands_agree_with_cronsim(macro: str) -> None:
    start = datetime(2027, 5, 17, 10, 30, tzinfo=UTC)
    for zone in ZONES:
        ours = next_instants(parse_when(macro, TODAY), ZoneInfo(zone), start, COUNT)
        assert ours == reference(SHORTHANDS[macro], zone, start), (macro, zone)
