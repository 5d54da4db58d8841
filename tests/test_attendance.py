"""Attendance through the fake chat: after a group session the champion records who came
in one tap (from those who said they'd join) and by mention, a case discussion counts
too (with the case shown), and reports count sessions attended.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from bot import attendance, contests
from bot.messages import Mention
from bot.models import Attendance, Contest, Person
from tests.fakechat import FakeChat
from tests.nudging import (
    ANA,
    BEN,
    CARLA,
    DEV,
    ELLA,
    FEMI,
    SAM,
    audit_actions,
    join,
    link_channel,
    schedule,
    tick_at,
    utc,
)

SESSION = (
    "session to team:icu 2026-11-24 09:00 once session 2026-11-26 12:00 "
    "https://meet.example.org/goc Goals-of-care practice"
)


def recorded(chat: FakeChat) -> list[tuple[str, str, str, str]]:
    """(email, occurrence, case, recorded by) of every attendance, by person."""
    with Session(chat.bot.engine) as s:
        rows = s.exec(
            select(Person.email, Attendance.occurrence, Attendance.case_id, Attendance.recorded_by)
            .join(Person, col(Person.id) == col(Attendance.person_id))
            .order_by(col(Person.email))
        ).all()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def ids(chat: FakeChat, *emails: str) -> dict[str, int]:
    with Session(chat.bot.engine) as s:
        return {
            p.email: p.id or 0 for p in s.exec(select(Person).where(col(Person.email).in_(emails)))
        }


def test_the_champion_records_who_came_in_one_tap_and_by_mention(chat: FakeChat) -> None:
    ana, ben, carla = join(chat, ANA), join(chat, BEN), join(chat, CARLA)
    join(chat, DEV)
    sid = schedule(chat, SESSION)
    for person in (ana, carla):
        assert "You're down for Goals-of-care practice" in person.says(f"rsvp {sid}")

    early = ben.says(f"attendance {sid}")
    assert "Goals-of-care practice begins Thu 26 Nov 2026, 12:00" in early
    assert recorded(chat) == []

    chat.clock.set(utc(2026, 11, 26, 19))  # an hour after it began
    listed = ben.says(f"attendance {sid}")
    assert "Who came to Goals-of-care practice (Thu 26 Nov 2026, 12:00 (America/Chicago))?" in (
        listed
    )
    assert [b.label for b in listed.buttons] == ["Ana Ruiz", "Carla Diaz", "All of them (2)"]
    assert {b.owner for b in listed.buttons} == {ben.user_id}
    assert listed.button("Ana Ruiz").command == f"attendance {sid} {ANA}"

    one = ben.clicks("Ana Ruiz", on=listed)
    assert "Recorded 1 at Goals-of-care practice" in one and "Ana Ruiz" in one
    again = ben.says(f"attendance {sid}")
    assert "Recorded already: Ana Ruiz." in again
    assert [b.label for b in again.buttons] == ["Carla Diaz"]  # one left: no "all" needed

    # Dev did not say he'd join, but came: by mention.
    dev = Mention(user_id=f"U-{DEV}", name="Dev Patel", email=DEV)
    named = ben.says(f"attendance {sid} @Dev Patel", mentions=(dev,))
    assert "Recorded 1 at Goals-of-care practice" in named and "Dev Patel" in named
    everyone = ben.says(f"attendance {sid} all")
    assert "Recorded 1" in everyone and "Carla Diaz" in everyone
    assert "Already recorded: Ana Ruiz." in everyone
    assert [r[0] for r in recorded(chat)] == [ANA, CARLA, DEV]
    assert {r[1:] for r in recorded(chat)} == {("2026-11-26T12:00", "", BEN)}
    audits = [a for a in audit_actions(chat) if a[1] == "attendance"]
    assert audits == [(BEN, "attendance", f"#{sid} 2026-11-26T12:00")] * 3

    # Errors change nothing and say what to type.
    assert "attendance 4 @Ana @Ben" in ben.says("attendance")
    assert "I didn't follow" in ben.says(f"attendance {sid} the usual crowd")
    assert "I can't find nobody@example.org" in ben.says(f"attendance {sid} nobody@example.org")
    assert "isn't a group session" in ben.says("attendance 999")
    assert "needs the champion role" in ana.says(f"attendance {sid} all")
    ella = Mention(user_id=f"U-{ELLA}", name="Ella Grant", email=ELLA)
    assert "your own team, ICU, only" in ben.says(f"attendance {sid} @Ella Grant", mentions=(ella,))
    assert len(recorded(chat)) == 3


def test_attendance_counts_in_reports_and_as_a_rule_for_contests(chat: FakeChat) -> None:
    ana, ben, carla = join(chat, ANA), join(chat, BEN), join(chat, CARLA)
    ella = join(chat, ELLA)
    first = schedule(chat, SESSION)
    second = schedule(
        chat,
        "session to everyone 2026-11-27 09:00 once session 2026-12-03 12:00 "
        "https://meet.example.org/x Breaking bad news",
    )
    for person in (ana, carla):
        person.says(f"rsvp {first}")
    for person in (ana, ella):
        person.says(f"rsvp {second}")
    chat.clock.set(utc(2026, 11, 26, 19))
    ben.says(f"attendance {first} all")
    chat.clock.set(utc(2026, 12, 3, 19))
    listed = ben.says(f"attendance {second}")
    assert [b.label for b in listed.buttons] == ["Ana Ruiz"]  # his own team's only
    ben.clicks("Ana Ruiz", on=listed)
    femi = chat.person(FEMI)
    assert "Recorded 1" in femi.says(f"attendance {second} all")  # Ella, for Oncology

    people = ben.says("report team:icu")
    assert "Sessions attended" in people
    rows = {line.split("  ")[0]: line.split() for line in people.text.splitlines()}
    assert rows["Ana Ruiz"][-1] == "2" and rows["Carla Diaz"][-1] == "1"
    assert rows["Ben Cho"][-1] == "0"
    teams = chat.person(SAM).says("report")
    assert "Sessions attended" in teams
    icu = next(line for line in teams.text.splitlines() if line.startswith("ICU"))
    onc = next(line for line in teams.text.splitlines() if line.startswith("Oncology"))
    assert icu.split()[-1] == "3" and onc.split()[-1] == "1"

    # The rule a contest can use: per person, for teams, within a period.
    people_ids = ids(chat, ANA, CARLA, ELLA)
    with Session(chat.bot.engine) as s:
        team_of = {p.id: p.team_id for p in s.exec(select(Person))}
        icu_id = team_of[people_ids[ANA]] or 0
        everything = attendance.attended(s, [icu_id])
        december = attendance.attended(s, [icu_id], since=utc(2026, 12, 1), until=utc(2027, 1, 1))
        everyone = attendance.attended(s, None)
    assert everything == {people_ids[ANA]: 2, people_ids[CARLA]: 1}
    assert december == {people_ids[ANA]: 1}
    assert everyone[people_ids[ELLA]] == 1


def test_a_case_discussion_counts_and_records_the_case_shown(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ben = join(chat, BEN)
    sid = schedule(chat, "case to channel:icu every tuesday 11:00")
    assert "No case from schedule" in ben.says(f"attendance {sid}")
    tick_at(chat, [utc(2026, 11, 24, 17), utc(2026, 12, 1, 17)])  # two Tuesdays: two cases
    chat.clock.set(utc(2026, 12, 1, 19))
    listed = ben.says(f"attendance {sid}")
    assert 'Who came to the case discussion "Breakthrough doses piling up on the ward"' in listed
    assert [b.label for b in listed.buttons] == ["Ana Ruiz", "Ben Cho", "Carla Diaz", "Dev Patel"]
    ben.clicks("Carla Diaz", on=listed)
    ana = Mention(user_id=f"U-{ANA}", name="Ana Ruiz", email=ANA)
    ben.says(f"attendance {sid} @Ana Ruiz", mentions=(ana,))
    rows = recorded(chat)
    assert [r[0] for r in rows] == [ANA, CARLA]
    assert {r[2] for r in rows} == {"breakthrough-doses-piling-up"}  # the second case
    assert {r[1] for r in rows} == {"2026-12-01T11:00"}
    # The next week's case is another occurrence: Carla counts twice.
    tick_at(chat, [utc(2026, 12, 8, 17)])
    chat.clock.set(utc(2026, 12, 8, 17) + timedelta(hours=2))
    ben.says(f"attendance {sid} {CARLA}")
    assert [r[0] for r in recorded(chat)] == [ANA, CARLA, CARLA]
    assert "Sessions attended" in ben.says("report team:icu")


def test_a_contest_on_sessions_counts_attendance_per_member_in_its_period(
    chat: FakeChat,
) -> None:
    ana, ben, carla = join(chat, ANA), join(chat, BEN), join(chat, CARLA)
    femi = chat.person(FEMI)
    join(chat, ELLA)
    first = schedule(chat, SESSION)  # held 26 November, before the contest
    second = schedule(
        chat,
        "session to everyone 2026-11-27 09:00 once session 2026-12-03 12:00 "
        "https://meet.example.org/x Breaking bad news",
    )
    reply = chat.person(SAM).says(
        "contest new Come together teams icu, oncology metric sessions from dec 1 to dec 20"
    )
    assert reply.text.startswith("Contest #"), reply.text
    contest_id = int(reply.text.split("#", 1)[1].split(" ", 1)[0])
    for person in (ana, carla):
        person.says(f"rsvp {first}")
    chat.clock.set(utc(2026, 11, 26, 19))
    ben.says(f"attendance {first} all")  # Ana and Carla: outside the contest's period
    chat.clock.set(utc(2026, 12, 3, 19))
    ben.says(f"attendance {second} {ANA} {CARLA} {BEN}")
    femi.says(f"attendance {second} {ELLA}")

    team_of = ids(chat, ANA, ELLA)
    with Session(chat.bot.engine) as s:
        contest = s.get(Contest, contest_id)
        assert contest is not None and contest.metric == "sessions"
        found = contests.standings(s, chat.bot.content, contest)
        icu_team = s.get(Person, team_of[ANA])
        onc_team = s.get(Person, team_of[ELLA])
        assert icu_team is not None and onc_team is not None
        icu, onc = found.of(icu_team.team_id), found.of(onc_team.team_id)
    # Per enrolled member: three of ICU's sessions in the period, one of Oncology's.
    assert icu is not None and onc is not None
    assert icu.done == 3 and onc.done == 1
    assert icu.out_of == icu.members and onc.out_of == onc.members
    board = ana.says(f"leaderboard {contest_id}").text
    assert "sessions per member" in board and "sessions and case discussions attended" in board
