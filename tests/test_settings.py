"""A person's own settings: pause, resume, time zone, quiet hours, celebration."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.store import person_by_email
from tests.fakechat import FakeChat

ANA = "ana.ruiz@example.org"


def _ana(chat: FakeChat):  # type: ignore[no-untyped-def]
    with Session(chat.bot.engine) as s:
        return person_by_email(s, ANA)


def test_pause_and_resume(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    assert "Until when?" in ana.says("pause")
    reply = ana.says("pause until dec 14")
    assert "No reminders until Mon 14 Dec 2026" in reply
    assert _ana(chat).paused_until == date(2026, 12, 14)
    assert "paused until Mon 14 Dec 2026" in ana.says("settings")
    assert "Reminders are on again" in ana.clicks("Resume reminders")
    assert _ana(chat).paused_until is None
    assert "aren't paused" in ana.says("resume")


def test_pause_with_bad_dates_explains_and_keeps_settings(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    for typed, expect in (
        ("pause until blursday", "can't read"),
        ("pause until 12/01", "could be either of these days"),
        ("pause until 2026-02-30", "no such day"),
        ("pause until 2026-01-01", "already come"),
        ("pause until 2030-01-01", "more than a year"),
    ):
        reply = ana.says(typed)
        assert expect in reply, typed
        assert _ana(chat).paused_until is None
    # Both readings of 12/01 are offered, the organisation's (month first) first; one tap.
    asked = ana.says("pause until 12/01")
    assert [b.command for b in asked.buttons] == [
        "pause until 2026-12-01",
        "pause until 2027-01-12",
    ]
    assert "No reminders until Tue 12 Jan 2027" in ana.clicks("Tue 12 Jan 2027")


def test_pause_for_a_fortnight_uses_the_persons_own_date(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    ana.says("pause for 2 weeks")
    assert _ana(chat).paused_until == date(2026, 12, 7)


def test_timezone(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    assert "America/Chicago" in ana.says("timezone")
    assert "Europe/London" in ana.says("timezone london")
    assert _ana(chat).timezone == "Europe/London"
    unknown = ana.says("timezone Amercia/New_York")
    assert "don't know the time zone" in unknown
    assert "America/New_York" in [b.label for b in unknown.buttons]
    assert _ana(chat).timezone == "Europe/London"
    ana.clicks("America/New_York")
    assert _ana(chat).timezone == "America/New_York"


def test_quiet_hours(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    assert "20:00-08:00 (organisation default)" in ana.says("quiet hours")
    assert "21:00-07:00" in ana.says("quiet hours 9pm to 7am")
    assert _ana(chat).quiet_hours == "21:00-07:00"
    assert "can't read" in ana.says("quiet hours whenever")
    assert _ana(chat).quiet_hours == "21:00-07:00"
    ana.says("quiet hours off")
    assert _ana(chat).quiet_hours == "off"
    ana.says("quiet hours default")
    assert _ana(chat).quiet_hours is None


def test_celebrate_me(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    assert "yes" in ana.says("celebrate me")
    assert "stay private" in ana.says("celebrate me: no")
    assert _ana(chat).celebrate_publicly is False
    assert "answer yes or no" in ana.says("celebrate me: maybe")
    assert _ana(chat).celebrate_publicly is False
    ana.says("celebrate me: yes")
    assert _ana(chat).celebrate_publicly is True


def test_settings_shows_everything(chat: FakeChat) -> None:
    reply = chat.person(ANA).says("settings")
    for label in (
        "Time zone",
        "Quiet hours",
        "Reminders",
        "Celebrate me",
        "Team: ICU",
        "Discipline: nurse",
        "Roles: clinician",
    ):
        assert label in reply, label


def test_snooze_a_week_from_the_button(chat: FakeChat) -> None:
    from bot.models import Snooze

    ana = chat.person(ANA)
    ana.says("next")
    reply = ana.clicks("Snooze a week")
    assert "no reminders about Talking about serious illness" in reply
    assert "Mon 30 Nov 2026" in reply
    with Session(chat.bot.engine) as s:
        (row,) = s.exec(select(Snooze)).all()
    assert (row.course_id, row.until) == ("comm-101", date(2026, 11, 30))
    # Snoozing again moves the date; the plan itself is unchanged.
    ana.says("snooze comm-101 for 3 days")
    with Session(chat.bot.engine) as s:
        assert s.exec(select(Snooze)).one().until == date(2026, 11, 26)
    assert "Next up: Talking about serious illness" in ana.says("next")


def test_snooze_explains_what_it_cannot_read(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    assert "snooze a week" in ana.says("snooze forever and ever")
    assert "up to 90 days" in ana.says("snooze until 2027-06-01")
    assert "no course to snooze" in chat.person("sam.okafor@example.org").says("snooze")
