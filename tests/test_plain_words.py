"""What clinicians say in their own words, through the fake chat: leave and nights in
plain words, "stop" that always works, and the questions people ask.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from bot.models import OutboxMessage, Person
from bot.store import person_by_email
from bot.timeparse import DateError, find_date, parse_date
from tests.fakechat import FakeChat
from tests.nudging import (
    ANA,
    BEN,
    SAM,
    join,
    link_channel,
    outbox,
    schedule,
    tick_at,
    times,
    utc,
)

MONDAY = date(2026, 11, 23)


def _ana(chat: FakeChat) -> Person:
    with Session(chat.bot.engine) as s:
        person = person_by_email(s, ANA)
        assert person is not None
        return person


# --- dates in plain words ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "ending", "expected"),
    [
        ("until the 15th", True, date(2026, 12, 15)),
        ("the 30th", True, date(2026, 11, 30)),
        ("till jan 3", True, date(2027, 1, 3)),
        ("the 3rd of January", True, date(2027, 1, 3)),
        ("for 2 weeks", True, date(2026, 12, 7)),
        ("a fortnight", True, date(2026, 12, 7)),
        ("until next monday", True, date(2026, 11, 30)),
        ("this week", True, date(2026, 11, 30)),
        ("this week", False, date(2026, 11, 29)),
        ("end of the month", True, date(2026, 12, 1)),
        ("end of the month", False, date(2026, 11, 30)),
        ("tomorrow", True, date(2026, 11, 24)),
        ("wed 16 dec 2026", True, date(2026, 12, 16)),
        ("12/20", True, date(2026, 12, 20)),  # unambiguous: there is no 20th month
        ("20.12.2026", True, date(2026, 12, 20)),
    ],
)
def test_dates_in_plain_words(words: str, ending: bool, expected: date) -> None:
    assert parse_date(words, MONDAY, "MDY", ending) == expected


def test_numeric_dates_follow_the_organisation_and_ask_when_both_are_days() -> None:
    with pytest.raises(DateError) as caught:
        parse_date("03/04", MONDAY, "MDY")
    assert caught.value.code == "ambiguous"
    assert caught.value.options == (date(2027, 3, 4), date(2027, 4, 3))  # MDY first
    with pytest.raises(DateError) as caught:
        parse_date("03/04", MONDAY, "DMY")
    assert caught.value.options == (date(2027, 4, 3), date(2027, 3, 4))
    assert parse_date("04/04", MONDAY, "DMY") == date(2027, 4, 4)  # the same day either way


def test_a_vague_date_is_asked_about() -> None:
    with pytest.raises(DateError) as caught:
        parse_date("mid-jan", MONDAY)
    assert caught.value.code == "vague"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I'm on nights until the 15th", "until the 15th"),
        ("on leave till jan 3", "till jan 3"),
        ("can you pause my reminders till Dec 20", "till dec 20"),
        ("no nudges this week please", "this week"),
    ],
)
def test_a_date_is_found_inside_free_text(text: str, said: str) -> None:
    found = find_date(text, MONDAY, ending=True)
    assert found is not None and found[1] == said and isinstance(found[0], date)


# --- leave, in one tap -----------------------------------------------------------------------


def test_on_leave_till_jan_3_pauses_after_one_tap(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    asked = ana.says("on leave till jan 3")
    assert "Pause reminders until Sun 3 Jan 2027?" in asked
    assert "Nothing changes until you say yes" in asked
    assert _ana(chat).paused_until is None  # nothing on a guess
    assert "No reminders until Sun 3 Jan 2027" in ana.clicks("Yes")
    assert _ana(chat).paused_until == date(2027, 1, 3)


def test_saying_no_to_the_question_changes_nothing(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    ana.says("I'm away until the 3rd of January")
    assert "nothing changed" in ana.clicks("No, thanks")
    assert _ana(chat).paused_until is None


# --- nights ------------------------------------------------------------------------------------


def test_on_nights_a_reminder_comes_at_five_in_the_afternoon_then_back_to_nine(
    chat: FakeChat,
) -> None:
    ana = join(chat, ANA)  # the organisation's zone: Chicago
    asked = ana.says("I'm on nights until the 26th")
    assert "On nights until Thu 26 Nov 2026?" in asked
    done = ana.clicks("Yes")
    assert "reminders wait for your waking day and come from 17:00" in done
    assert "nights until Thu 26 Nov 2026, reminders from 17:00" in ana.says("settings")
    schedule(chat, "next-course to team:icu every day 09:00")
    ana.says("weekends on")
    # Tuesday 24 and Wednesday 25: on nights, so 17:00 Chicago (23:00 UTC), not 09:00.
    # Thursday 26: the nights are over; back to 09:00 (15:00 UTC) with nothing said.
    moments = [utc(2026, 11, d, h) for d in (24, 25, 26) for h in (15, 23)]
    tick_at(chat, moments)
    assert times(chat, ANA) == [utc(2026, 11, 24, 23), utc(2026, 11, 25, 23), utc(2026, 11, 26, 15)]
    assert _ana(chat).shift_until == date(2026, 11, 26)


def test_a_waking_time_of_ones_own_and_back_on_days(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    done = ana.says("shift nights until friday wake 16:00")
    assert "come from 16:00" in done
    assert "Back on days" in ana.clicks("Back on days")
    assert _ana(chat).shift_until is None
    assert "16:00 or 4pm" in ana.says("shift nights until friday wake soonish")


# --- stop ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words", ["stop", "unsubscribe", "mute", "leave me alone", "no more messages", "pls stop"]
)
def test_stop_is_always_understood_and_offers_the_ways_to_stop(chat: FakeChat, words: str) -> None:
    reply = chat.person(ANA).says(words)
    assert reply.kinds == ["stop.options"], (words, reply.text)
    assert [b.label for b in reply.buttons] == [
        "Pause for a week",
        "Pause until a date",
        "Stop all reminders",
    ]
    assert "Celebrations in your team channel follow celebrate me (now: yes)" in reply


def test_stop_all_stops_every_reminder_and_scheduled_message_until_resume(
    chat: FakeChat,
) -> None:
    link_channel(chat, "icu", "ICU")
    ana, ben = join(chat, ANA), join(chat, BEN)
    schedule(chat, "next-course to team:icu every day 10:00")
    schedule(chat, "custom to team:icu every day 22:00 say Late news")
    ana.says("weekends on")
    ben.says("weekends on")
    tick_at(chat, [utc(2026, 11, 23, 16, 5)])  # 10:05 Chicago: today's reminder is out
    assert len(times(chat, ANA)) == 1
    # 22:00 is inside quiet hours: planned, and held until 08:00 (14:00 UTC).
    tick_at(chat, [utc(2026, 11, 24, 4, 5)])
    ana.says("stop")
    stopped = ana.clicks("Stop all reminders")
    assert "no more reminders or scheduled messages from me until you say resume" in stopped
    assert _ana(chat).stopped_at is not None
    assert "stopped (say resume)" in ana.says("settings")
    tick_at(chat, [utc(2026, 11, 24, 14, 5), *(utc(2026, 11, d, 16, 5) for d in (24, 25))])
    assert len(times(chat, ANA)) == 1  # nothing more, not even what was already queued
    assert len(times(chat, BEN)) == 4  # Ben still gets his
    skipped = [r for r in outbox(chat) if r.status == "skipped" and "stopped" in r.last_error]
    assert [r.person_id for r in skipped] == [_ana(chat).id]
    # Her completions are still celebrated in the channel: that follows "celebrate me".
    ana.says("done comm-101")
    chat.clock.advance(minutes=2)
    chat.run_scheduler()
    assert any("Ana Ruiz" in m.summary for _, m in chat.delivered["C-icu"])
    # The report counts her; her champion sees her name.
    assert "Asked for no reminders: 1." in chat.person(SAM).says("report")
    assert "Asked for no reminders: Ana Ruiz." in ben.says("report team:icu")
    # Resume lifts it.
    assert "Reminders are on again" in ana.says("resume")
    tick_at(chat, [utc(2026, 11, 26, 16, 5)])
    assert len(times(chat, ANA)) == 2


# --- questions people ask ----------------------------------------------------------------------


def test_credits_whats_left_on_track_and_who_to_ask(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    sam.says("enrol ana.ruiz@example.org in bedside-care due dec 21")
    ana = chat.person(ANA)
    assert "No credits yet" in ana.says("how many credits do I have")
    ana.says("done comm-101")
    credits = ana.says("credits")
    assert "Credits you have earned: 0.75 CNE." in credits  # a nurse: nursing credit only
    left = ana.says("what's left")
    assert "Bedside symptom and family care, due Mon 21 Dec 2026" in left
    assert "Goals-of-care conversations" in left and "Talking about serious" not in left
    track = ana.says("am I on track?")
    assert "Essentials for every clinician: 1/3 done, no due date." in track
    assert (
        "Bedside symptom and family care: 0/5 done, due Mon 21 Dec 2026 (28 days): on track."
        in (track)
    )
    chat.clock.advance(days=20)
    assert "a little behind" in ana.says("on track")
    chat.clock.advance(days=10)
    assert "was due Mon 21 Dec 2026" in ana.says("on track")
    who = ana.says("who do I ask")
    assert "Your team's champion: Ben Cho." in who
    assert "clinical-education@example.org" in who


def test_account_trouble_gives_the_reset_link_and_is_counted_for_admins(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    for words in ("can't log in", "forgot password", "the link doesn't work"):
        reply = ana.says(words)
        assert "Sorry you're stuck" in reply, words
        assert "https://learning.example.org/REPLACE-ME/forgot-password" in reply, words
        assert "clinical-education@example.org" in reply, words
    home = chat.person(SAM).says("home")
    assert "Account trouble in the last 7 days: 3 (ICU 3)" in home


def test_nothing_is_written_on_a_guess(chat: FakeChat) -> None:
    """Guesses at writes only ask; the database is as it was until the tap."""
    ana = join(chat, ANA)
    before = _ana(chat)
    for words in (
        "I'm on nights until the 15th",
        "on leave till jan 3",
        "just wrapped up the goals of care module",
        "oops i didnt finish that one",
        "im back from my holiday",
        "change my timezone to london",
    ):
        reply = ana.says(words)
        assert reply.kinds[0] in ("guess.confirm", "guess.did_you_mean", "date.which"), (
            words,
            reply.text,
        )
    after = _ana(chat)
    for field in ("paused_until", "shift_until", "timezone", "quiet_hours", "stopped_at"):
        assert getattr(after, field) == getattr(before, field), field
    with Session(chat.bot.engine) as s:
        assert s.exec(OutboxMessage.__table__.select()).all() == []  # type: ignore[attr-defined]
