"""Scheduled nudges reaching clinicians: their local time, quiet hours, weekends, pauses,
snoozes, the three-nudge stop, downtime, ticks that run twice, and daylight-saving changes.

The clock starts on Monday 23 November 2026, 15:00 UTC (09:00 in Chicago, the
sample organisation's zone). Every expected delivery is a UTC instant worked out
by hand from the recipient's zone, so a wrong offset shows as a wrong hour.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session

from bot.models import Schedule
from tests.fakechat import FakeChat
from tests.nudging import (
    ANA,
    BEN,
    CARLA,
    DEV,
    SAM,
    every,
    join,
    messages,
    outbox,
    schedule,
    schedules,
    text,
    tick_around,
    tick_at,
    times,
    utc,
)

HOUR = timedelta(hours=1)
HALF_HOUR = timedelta(minutes=30)


def test_a_monday_0900_nudge_reaches_each_person_at_0900_their_own_time(chat: FakeChat) -> None:
    join(chat, ANA, "America/New_York")
    join(chat, BEN, "Europe/London")
    join(chat, CARLA, "Australia/Sydney")
    join(chat, DEV)  # no zone of his own: the organisation's, America/Chicago
    schedule(chat, "next-course to team:icu every monday 09:00")

    tick_at(chat, [utc(2026, 11, 29, 12)])  # days pass with nothing due
    assert chat.delivered == {}
    expected = [utc(2026, 11, 29, 22), *(utc(2026, 11, 30, h) for h in (9, 14, 15))]
    tick_around(chat, expected, HOUR)

    assert times(chat, CARLA) == [utc(2026, 11, 29, 22)]  # Monday 09:00 AEDT (+11)
    assert times(chat, BEN) == [utc(2026, 11, 30, 9)]  # 09:00 GMT
    assert times(chat, ANA) == [utc(2026, 11, 30, 14)]  # 09:00 EST (-5)
    assert times(chat, DEV) == [utc(2026, 11, 30, 15)]  # 09:00 CST (-6)
    (nudge,) = chat.inbox(ANA)
    assert "Ana, here's your next course" in nudge
    assert "Talking about serious illness: the first conversation" in nudge
    (dev_nudge,) = chat.inbox(DEV)
    assert "Dev, here's your next course" in dev_nudge
    assert "Pain assessment and management basics" in dev_nudge  # his own pathway's first


def test_setup_reminders_reach_enrolled_people_without_an_account_or_not_started(
    chat: FakeChat,
) -> None:
    ana, ben = join(chat, ANA), join(chat, BEN)
    join(chat, SAM)  # not enrolled in anything
    assert "Your account is noted" in ana.says("I've created my account")
    schedule(chat, "setup to everyone every tuesday 09:00")
    tick_at(chat, [utc(2026, 11, 24, 15)])
    assert times(chat, SAM) == []
    assert times(chat, BEN) == [utc(2026, 11, 24, 15)]
    (reminder,) = messages(chat, BEN)
    assert "Ben, you're enrolled, but your learning-site account isn't set up yet" in text(reminder)
    assert "https://learning.example.org/REPLACE-ME/register" in text(reminder)
    (button,) = [b for b in reminder.buttons if b.label == "I've created my account"]
    assert "Your account is noted" in ben.says(button.command)
    # Ana has an account but has not started: her first course, introduced as a first step.
    (start,) = messages(chat, ANA)
    assert "Ana, your account is ready and your first course is waiting" in text(start)
    assert "Talking about serious illness: the first conversation" in text(start)
    assert "learning-site account isn't set up" not in text(start)
    ana.says("done talking about serious illness")
    tick_at(chat, [utc(2026, 12, 1, 15)])
    assert times(chat, ANA) == [utc(2026, 11, 24, 15)]  # started: no more
    assert times(chat, BEN) == [utc(2026, 11, 24, 15), utc(2026, 12, 1, 15)]
    assert "Ben, your account is ready" in text(messages(chat, BEN)[1])


def test_a_fixed_zone_or_org_time_is_one_instant_for_all_moved_out_of_quiet_hours(
    chat: FakeChat,
) -> None:
    join(chat, ANA, "America/New_York")
    join(chat, BEN, "Europe/London")
    join(chat, CARLA, "Australia/Sydney")
    join(chat, DEV)
    schedule(chat, "custom to team:icu every tuesday 08:30 in Europe/London say London calling")
    schedule(chat, "custom to team:icu every tuesday 12:00 org time say Chicago noon")

    expected = [utc(2026, 11, 24, 8, 30), *(utc(2026, 11, 24, h) for h in (13, 14, 18, 21))]
    tick_around(chat, expected, HALF_HOUR)

    def arrivals(email: str) -> list[tuple[str, object]]:
        return [(text(m), at) for at, m in chat.delivered.get(f"U-{email}", [])]

    # 08:30 London is 08:30 UTC: fine in London and in Sydney (19:30), but 03:30 in
    # New York and 02:30 in Chicago, which wait for the end of quiet hours (08:00).
    # Noon in Chicago is 18:00 UTC: 05:00 on Wednesday in Sydney, which waits until 08:00.
    assert arrivals(BEN) == [
        ("London calling", utc(2026, 11, 24, 8, 30)),
        ("Chicago noon", utc(2026, 11, 24, 18)),
    ]
    assert arrivals(CARLA) == [
        ("London calling", utc(2026, 11, 24, 8, 30)),
        ("Chicago noon", utc(2026, 11, 24, 21)),
    ]
    assert arrivals(ANA) == [
        ("London calling", utc(2026, 11, 24, 13)),
        ("Chicago noon", utc(2026, 11, 24, 18)),
    ]
    assert arrivals(DEV) == [
        ("London calling", utc(2026, 11, 24, 14)),
        ("Chicago noon", utc(2026, 11, 24, 18)),
    ]


def test_quiet_hours_personal_and_default_move_a_nudge_to_the_next_allowed_time(
    chat: FakeChat,
) -> None:
    ana = join(chat, ANA)
    assert "21:00-10:00" in ana.says("quiet hours 21:00-10:00")
    join(chat, BEN)  # the organisation's default, 20:00-08:00
    carla = join(chat, CARLA)
    carla.says("quiet hours off")
    schedule(chat, "next-course to team:icu every tuesday 07:00")

    tick_around(chat, [utc(2026, 11, 24, h) for h in (13, 14, 16)], HALF_HOUR)

    assert times(chat, CARLA) == [utc(2026, 11, 24, 13)]  # 07:00 Chicago, no quiet hours
    assert times(chat, BEN) == [utc(2026, 11, 24, 14)]  # 08:00, when default quiet hours end
    assert times(chat, ANA) == [utc(2026, 11, 24, 16)]  # 10:00, when her quiet hours end


def test_weekends_wait_for_monday_unless_a_person_turns_them_on(chat: FakeChat) -> None:
    ana = join(chat, ANA)  # the organisation keeps weekends free
    ben = join(chat, BEN)
    assert "may arrive on weekends" in ben.says("weekends on")
    assert "Reminders on weekends: yes\n" in ben.says("settings").text
    assert "Reminders on weekends: no (organisation default)" in ana.says("settings").text
    schedule(chat, "custom to team:icu every saturday 11:00 say Weekend reading")

    saturday, sunday, monday = (utc(2026, 11, d) for d in (28, 29, 30))
    hours = [saturday + h * HOUR for h in (16, 17, 18)] + [sunday + 17 * HOUR]
    tick_at(chat, hours + [monday + h * HOUR for h in (13, 14, 15)])

    assert times(chat, BEN) == [utc(2026, 11, 28, 17)]  # Saturday 11:00 CST
    assert times(chat, ANA) == [utc(2026, 11, 30, 14)]  # Monday 08:00, end of quiet hours


def test_a_one_off_message_reaches_each_person_at_that_local_time_even_west_of_the_org(
    chat: FakeChat,
) -> None:
    join(chat, BEN)  # Chicago, the organisation's zone
    join(chat, ANA, "America/Los_Angeles")
    dev = join(chat, DEV, "Pacific/Honolulu")
    dev.says("quiet hours off")
    sam = chat.person(SAM)
    assert "2026-11-24 10:00 once" in sam.says(
        "nudge schedule custom to team:icu tomorrow 10:00 say See you at ten"
    )
    schedule(chat, "custom to team:icu 2026-11-24 14:00 once say Flu clinic at two")
    schedule(chat, "custom to team:icu 2026-11-24 21:30 once say Night float social")
    ten = [utc(2026, 11, 24, 16), utc(2026, 11, 24, 18), utc(2026, 11, 24, 20)]
    two = [utc(2026, 11, 24, 20), utc(2026, 11, 24, 22), utc(2026, 11, 25, 0)]
    # 21:30 is inside Ben's and Ana's quiet hours: theirs wait for 08:00 on Wednesday.
    # Dev's 21:30 in Honolulu is 01:30 on Wednesday in Chicago.
    night_arrives = [utc(2026, 11, 25, 14), utc(2026, 11, 25, 16), utc(2026, 11, 25, 7, 30)]
    night_planned = [utc(2026, 11, 25, 3, 30), utc(2026, 11, 25, 5, 30)]
    tick_around(chat, [*ten, *two, *night_planned, *night_arrives], HALF_HOUR)

    def got(email: str, words: str) -> list[datetime]:
        return [at for at, m in chat.delivered[f"U-{email}"] if text(m) == words]

    for index, email in enumerate((BEN, ANA, DEV)):
        assert got(email, "See you at ten") == [ten[index]], email
        assert got(email, "Flu clinic at two") == [two[index]], email
        assert got(email, "Night float social") == [night_arrives[index]], email
    assert [s.status for s in schedules(chat)] == ["done", "done", "done"]


def test_a_pause_moves_the_nudge_to_the_end_of_the_pause_and_never_drops_it(
    chat: FakeChat,
) -> None:
    ana = join(chat, ANA)
    join(chat, BEN)
    assert "Wed 2 Dec 2026" in ana.says("pause until dec 2")
    schedule(chat, "next-course to team:icu every monday 09:00")

    days = [utc(2026, 11, 30, h) for h in (14, 15, 16)] + [utc(2026, 12, 1, 15)]
    tick_at(chat, days + [utc(2026, 12, 2, h) for h in (14, 15, 16)])

    assert times(chat, BEN) == [utc(2026, 11, 30, 15)]
    assert times(chat, ANA) == [utc(2026, 12, 2, 15)]  # Wednesday 09:00, the pause's end
    assert "Ana, here's your next course" in chat.inbox(ANA)[0]


def test_a_pause_begun_after_planning_holds_a_waiting_nudge(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    schedule(chat, "next-course to team:icu every tuesday 07:00")
    tick_at(chat, [utc(2026, 11, 24, 13)])  # 07:00: planned, waiting for 08:00
    assert [r.status for r in outbox(chat)] == ["pending"]
    ana.says("pause until nov 25")
    tick_at(chat, [utc(2026, 11, 24, 14), utc(2026, 11, 24, 15)])
    assert times(chat, ANA) == []
    tick_at(chat, [utc(2026, 11, 25, h) for h in (13, 14, 15)])
    assert times(chat, ANA) == [utc(2026, 11, 25, 14)]  # Wednesday 08:00, the pause's end


def test_resuming_early_releases_what_the_pause_held(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    ana.says("pause until dec 2")
    schedule(chat, "next-course to team:icu every monday 09:00")
    tick_at(chat, [utc(2026, 11, 30, 15)])  # Monday 09:00: held for Wednesday
    assert times(chat, ANA) == []
    assert "Reminders are on again" in ana.says("resume").text
    tick_at(chat, [utc(2026, 11, 30, 16)])
    assert times(chat, ANA) == [utc(2026, 11, 30, 16)]
    tick_at(chat, [utc(2026, 12, 2, 15)])  # and nothing again at the old pause's end
    assert times(chat, ANA) == [utc(2026, 11, 30, 16)]


def test_pausing_a_schedule_holds_what_it_queued_and_resuming_releases_it(
    chat: FakeChat,
) -> None:
    join(chat, ANA)
    sid = schedule(chat, "next-course to team:icu every tuesday 07:00")
    tick_at(chat, [utc(2026, 11, 24, 13)])  # 07:00 Chicago: queued for 08:00 (quiet hours)
    assert [r.status for r in outbox(chat)] == ["pending"]
    assert f"#{sid} is paused" in chat.person(SAM).says(f"nudge pause {sid}").text
    tick_at(chat, [utc(2026, 11, 24, 14), utc(2026, 11, 24, 16)])
    assert times(chat, ANA) == []  # held, not sent at 08:00
    chat.person(SAM).says(f"nudge resume {sid}")
    tick_at(chat, [utc(2026, 11, 24, 17)])
    assert times(chat, ANA) == [utc(2026, 11, 24, 17)]
    assert [r.status for r in outbox(chat)] == ["sent"]


def test_three_reminders_without_progress_then_silence_and_the_champion_hears(
    chat: FakeChat,
) -> None:
    ana = join(chat, ANA)
    join(chat, BEN)
    reminders = schedule(chat, "next-course to team:icu weekdays 09:00")
    schedule(chat, "digest to champions every monday 09:30")
    mornings = [utc(2026, 11, d, 15) for d in (24, 25, 26, 27, 30)]
    tick_at(chat, [*mornings[:-1], mornings[-1], utc(2026, 11, 30, 15, 30)])

    tuesday, wednesday, thursday = mornings[:3]
    assert times(chat, ANA) == [tuesday, wednesday, thursday]  # not Friday, not Monday
    digest = text(messages(chat, BEN)[-1])
    assert "ICU: your weekly champion digest" in digest
    stuck = digest.split("Stuck: three reminders, no progress (2)")[1]
    assert "Ana Ruiz" in stuck and "Ben Cho" in stuck
    history = chat.person(SAM).says(f"nudge history {reminders}")
    assert "Sent 6" in history and "stuck: 3 reminders without progress" in history

    # Progress changes things: the next course is nudged again, the old one is not.
    chat.clock.set(utc(2026, 11, 30, 17))
    ana.says("done comm-101")
    tick_at(chat, [utc(2026, 12, 1, 15)])
    assert times(chat, ANA)[-1] == utc(2026, 12, 1, 15)
    assert "Next up: Goals-of-care conversations" in chat.inbox(ANA)[-1]


def test_snooze_a_week_from_a_nudge_stops_that_course_for_a_week_without_counting_as_stuck(
    chat: FakeChat,
) -> None:
    ana = join(chat, ANA)
    join(chat, BEN)
    schedule(chat, "next-course to team:icu weekdays 09:00")
    schedule(chat, "digest to champions every monday 09:30")
    tick_at(chat, [utc(2026, 11, 24, 15)])
    (nudge,) = messages(chat, ANA)
    (snooze,) = [b for b in nudge.buttons if b.label == "Snooze a week"]
    assert snooze.command == "snooze comm-101 a week"
    assert "until Tue 1 Dec 2026" in ana.says(snooze.command)  # what the button says

    days = [utc(2026, 11, d, 15) for d in (25, 26, 27, 30)] + [utc(2026, 11, 30, 15, 30)]
    tick_at(chat, [*days, *(utc(2026, 12, d, 15) for d in (1, 2, 3, 4))])

    # Nothing during the week; then one reminder, not a pile of held ones.
    assert times(chat, ANA) == [utc(2026, 11, 24, 15), utc(2026, 12, 1, 15), utc(2026, 12, 2, 15)]
    assert times(chat, BEN)[:3] == [utc(2026, 11, d, 15) for d in (24, 25, 26)]
    digest = text(messages(chat, BEN)[3])
    assert "weekly champion digest" in digest
    stuck = digest.split("Stuck: three reminders, no progress")[1].split("Enrolled but")[0]
    assert "Ben Cho" in stuck and "Ana Ruiz" not in stuck  # she asked for a week off


def test_downtime_under_12_hours_still_sends_otherwise_skipped_with_a_reason(
    chat: FakeChat, caplog: pytest.LogCaptureFixture
) -> None:
    join(chat, ANA, "America/New_York")
    join(chat, DEV)
    join(chat, BEN, "Australia/Sydney")
    reminders = schedule(chat, "next-course to team:icu weekdays 09:00")

    # Down from Monday 09:00 until Tuesday 14:00 in Chicago.
    tick_at(chat, [utc(2026, 11, 24, 20)])
    # Dev's 09:00 is 5 h late and Ana's 6 h: still sent. Ben's Tuesday 09:00 in Sydney
    # was 23:00 UTC on Monday, 21 h ago: skipped.
    assert times(chat, DEV) == [utc(2026, 11, 24, 20)]
    assert times(chat, ANA) == [utc(2026, 11, 24, 20)]
    assert times(chat, BEN) == []

    # Down again until Wednesday 02:30 UTC: Wednesday 09:00 in Sydney is 22:00 UTC on Tuesday,
    # 4.5 h late but now 13:30 there, so sent; Tuesday's earlier rows are not sent twice.
    tick_at(chat, [utc(2026, 11, 25, 2, 30)])
    assert times(chat, BEN) == [utc(2026, 11, 25, 2, 30)]
    assert times(chat, DEV) == [utc(2026, 11, 24, 20)]

    # Wednesday 09:00 in Chicago comes; the worker is down until 20:30 (11.5 h late,
    # but inside Dev's quiet hours): skipped. Ana's (10:30 her time) is 12.5 h late: skipped.
    with caplog.at_level(logging.INFO):
        tick_at(chat, [utc(2026, 11, 26, 2, 30)])
    assert times(chat, DEV) == [utc(2026, 11, 24, 20)]
    assert times(chat, ANA) == [utc(2026, 11, 24, 20)]
    assert any("skipped" in r.getMessage() for r in caplog.records)
    tick_at(chat, every(utc(2026, 11, 26, 3), utc(2026, 11, 26, 12), HOUR))
    assert times(chat, DEV) == [utc(2026, 11, 24, 20)]  # and never sent later

    reasons = {(r.person_id, r.occurrence): (r.status, r.last_error) for r in outbox(chat)}
    assert ("skipped", "missed, and now inside quiet hours") in reasons.values()
    assert ("skipped", "missed by more than the grace period") in reasons.values()
    history = chat.person(SAM).says(f"nudge history {reminders}")
    assert "Sent 4" in history and "skipped 3" in history
    assert "missed, and now inside quiet hours" in history


def test_a_long_outage_sends_the_latest_reminder_and_does_not_count_missed_ones(
    chat: FakeChat,
) -> None:
    join(chat, DEV)
    reminders = schedule(chat, "next-course to team:icu weekdays 09:00")
    # Down from Monday until Friday 10:00 in Chicago: Tuesday to Thursday are long past.
    tick_at(chat, [utc(2026, 11, 27, 16)])
    assert times(chat, DEV) == [utc(2026, 11, 27, 16)]
    assert [r.status for r in outbox(chat, reminders)] == ["skipped"] * 3 + ["sent"]
    assert "stuck" not in chat.person(SAM).says(f"nudge history {reminders}")


def test_a_tick_that_runs_twice_or_on_two_replicas_writes_each_message_once(
    chat: FakeChat,
) -> None:
    for email in (ANA, BEN, CARLA):
        join(chat, email)
    sid = schedule(chat, "next-course to team:icu every tuesday 09:00")
    chat.clock.set(utc(2026, 11, 24, 15))
    first = chat.bot.tick(chat.bot.planner(("fake",)))
    assert first.written == 3
    # A second replica that read the schedule before the first saved how far it had
    # planned (or a tick that crashed just before saving it) plans the same occurrence.
    with Session(chat.bot.engine) as s:
        stale = s.get(Schedule, sid)
        assert stale is not None
        stale.planned_until = utc(2026, 11, 23, 15)
        s.add(stale)
        s.commit()
    again = chat.bot.tick(chat.bot.planner(("fake",)))
    assert again.written == 0 and again.errors == []
    chat.run_scheduler()
    chat.run_scheduler()
    for email in (ANA, BEN, CARLA):
        assert times(chat, email) == [utc(2026, 11, 24, 15)], email
    assert len(outbox(chat)) == 3


# --- daylight saving ---------------------------------------------------------------------

#: Each zone's two 2027 changes, in the order they come: (day, UTC offset before, after,
#: and the local time from which the new offset applies). Local times before it on the
#: change day take the old offset: the first of two 01:30s in autumn, and a spring time
#: that does not exist (02:30 in New York), which therefore arrives at 03:30 new time.
CHANGES = {
    "America/New_York": [("2027-03-14", -5, -4, "03:00"), ("2027-11-07", -4, -5, "02:00")],
    "Europe/London": [("2027-03-28", 0, 1, "02:00"), ("2027-10-31", 1, 0, "02:00")],
    "Australia/Sydney": [("2027-04-04", 11, 10, "03:00"), ("2027-10-03", 10, 11, "03:00")],
}
#: The schedules: every day at these local times, each with its own words.
DAILY = {"01:30": "one-thirty check-in", "02:30": "two-thirty check-in", "09:00": "good morning"}


def _expected(zone: str) -> dict[str, list[datetime]]:
    """When each daily message should arrive around both changes, from the table above."""
    out: dict[str, list[datetime]] = {words: [] for words in DAILY.values()}
    for day, before, after, switch in CHANGES[zone]:
        change = date.fromisoformat(day)
        for offset_day in (-1, 0, 1):
            local_day = change + timedelta(days=offset_day)
            for local, words in DAILY.items():
                old = offset_day < 0 or (offset_day == 0 and local < switch)
                wall = datetime.combine(local_day, time.fromisoformat(local), UTC)
                out[words].append(wall - timedelta(hours=before if old else after))
    return out


@pytest.mark.parametrize("zone", sorted(CHANGES))
def test_daylight_saving_exactly_one_message_per_occurrence_at_the_right_instant(
    chat: FakeChat, zone: str
) -> None:
    expected = _expected(zone)
    first = min(min(v) for v in expected.values())
    chat.clock.set(first - timedelta(days=1))
    ana = join(chat, ANA, zone)
    ana.says("quiet hours off")  # the night-time ones would otherwise wait until 08:00
    ana.says("weekends on")  # the changes happen on Sundays
    for local, words in DAILY.items():
        schedule(chat, f"custom to team:icu every day {local} say {words}")

    # A message an hour early or late, or twice in a repeated hour, lands on another tick.
    tick_around(chat, [e for v in expected.values() for e in v], HOUR)

    for words, when in expected.items():
        got = [at for at, m in chat.delivered[f"U-{ANA}"] if text(m) == words]
        assert got == when, words
    assert len(chat.delivered[f"U-{ANA}"]) == 18


def test_a_monday_0900_new_york_schedule_is_1400_utc_in_winter_and_1300_in_summer(
    chat: FakeChat,
) -> None:
    join(chat, ANA, "America/New_York")
    schedule(chat, "custom to team:icu every monday 09:00 say Monday huddle")
    winter, summer = utc(2027, 3, 8, 14), utc(2027, 3, 15, 13)
    tick_at(chat, [winter - HOUR, winter, summer - HOUR, summer, summer + HOUR])
    assert times(chat, ANA) == [winter, summer]


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        # 02:30 does not exist on 14 March 2027 in New York; moved forward by the gap it
        # is 03:30, which is an occurrence already: one message, not two.
        ("30 2,3 * * *", [utc(2027, 3, 14, 7, 30)]),
        # Every half hour: 02:00 and 02:30 move onto 03:00 and 03:30.
        (
            "*/30 * * * *",
            [utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 7), utc(2027, 3, 14, 7, 30)],
        ),
    ],
)
def test_a_time_moved_by_the_spring_change_onto_another_occurrence_is_one_message(
    chat: FakeChat, cron: str, expected: list[datetime]
) -> None:
    chat.clock.set(utc(2027, 3, 14, 6, 28))  # 01:28 EST, the night of the change
    ana = join(chat, ANA, "America/New_York")
    ana.says("quiet hours off")
    ana.says("weekends on")
    schedule(chat, f"custom to team:icu {cron} say Half-hourly check")
    # 01:30 EST (06:30 UTC) to 03:30 EDT (07:30 UTC): every minute, as the tick runs.
    tick_at(chat, [utc(2027, 3, 14, 6, 29) + timedelta(minutes=m) for m in range(62)])
    assert times(chat, ANA) == expected
