"""Posts to team channels and group sessions: case prompts rotating through content/cases/,
progress posts, team meetings, and session announcements with "I'll join" and a reminder.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC); channel
posts follow the organisation's zone unless the schedule names another.
"""

from __future__ import annotations

from datetime import timedelta

from bot import markup
from bot.messages import Text
from tests.fakechat import FakeChat
from tests.nudging import (
    ANA,
    BEN,
    CARLA,
    ELLA,
    FEMI,
    SAM,
    audit_actions,
    join,
    link_channel,
    messages,
    run_every,
    schedule,
    schedules,
    text,
    tick_at,
    times,
    utc,
)

CASE_TITLES = [
    "Breathless at night, frightened family",
    "Breakthrough doses piling up on the ward",
    '"Are they telling me I\'m dying?"',
    "A divided family asks for everything in the ICU",
    "Who will speak for her?",
    "A caregiver at breaking point",
    "Back in the emergency department again",
    "What did I do to deserve this?",
]


def _case_titles(chat: FakeChat, channel: str) -> list[str]:
    return [m.summary for m in messages(chat, channel)]


def test_case_prompts_rotate_through_the_cases_for_each_team_channel(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    link_channel(chat, "onc", "Oncology Clinic")
    schedule(chat, "case to channels every tuesday 11:00")
    tuesdays = [utc(2026, 11, 24, 17) + timedelta(weeks=n) for n in range(10)]

    tick_at(chat, tuesdays[:2])
    link_channel(chat, "home", "Home Health")  # a team that joins later starts at the first case
    tick_at(chat, tuesdays[2:])

    assert times(chat, "C-icu") == tuesdays  # 11:00 in Chicago, every week
    icu = _case_titles(chat, "C-icu")
    assert icu == [f"This week's case: {t}" for t in CASE_TITLES + CASE_TITLES[:2]]
    assert _case_titles(chat, "C-onc") == icu
    assert _case_titles(chat, "C-home") == icu[:8]
    assert times(chat, "C-home")[0] == tuesdays[2]

    first = messages(chat, "C-icu")[0]
    body = chat.channel("C-icu")[0]
    assert "A man in his seventies with advanced lung cancer" in body
    assert "To discuss at this week's meeting (reply in this thread):" in body
    assert "How would you explain the use of a low dose of morphine" in body
    assert "The course behind this case: Managing breathlessness" in body
    links = [
        s.url
        for block in first.blocks
        if isinstance(block, Text)
        for line in markup.parse(block.markdown)
        for s in line.spans
        if s.url
    ]
    assert "https://learning.example.org/REPLACE-ME/courses/dyspnea-101" in links


def test_a_case_sent_now_counts_in_the_rotation(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    sid = schedule(chat, "case to channel:icu every tuesday 11:00")
    tick_at(chat, [utc(2026, 11, 24, 17)])
    chat.clock.set(utc(2026, 11, 25, 18))
    assert "Queued 1 messages" in chat.person(SAM).says(f"nudge send {sid} now")
    tick_at(chat, [utc(2026, 11, 25, 18, 1), utc(2026, 12, 1, 17)])
    assert _case_titles(chat, "C-icu") == [f"This week's case: {t}" for t in CASE_TITLES[:3]]


def test_a_champion_posts_cases_to_their_own_team_channel_only(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    link_channel(chat, "onc", "Oncology Clinic")
    ben = chat.person(BEN)
    assert "Scheduled #1: case-discussion prompt to team:icu (ICU)" in ben.says(
        "nudge schedule case every monday 16:00"
    )
    tick_at(chat, [utc(2026, 11, 30, 22)])
    assert [m.summary for m in messages(chat, "C-icu")] == [f"This week's case: {CASE_TITLES[0]}"]
    assert messages(chat, "C-onc") == []


def test_team_meeting_is_recorded_by_the_teams_champion_or_an_admin(chat: FakeChat) -> None:
    ben, femi = chat.person(BEN), chat.person(FEMI)
    assert ben.says("team meeting ICU tuesday 12:00").text == (
        "ICU's standing meeting is tue 12:00 (organisation time). Case prompts scheduled"
        " before meeting arrive ahead of it."
    )
    assert "own team" in ben.says("team meeting Oncology Clinic wednesday 08:00")
    assert "own team" in femi.says("team meeting ICU monday 08:00")
    bad = chat.person(SAM).says("team meeting ICU sometime soon")
    assert "For example team meeting icu tuesday 12:00" in bad
    assert "needs the champion role" in chat.person(ANA).says("team meeting ICU friday 09:00")
    assert [a for a in audit_actions(chat) if a[1] == "team.meeting"] == [
        (BEN, "team.meeting", "icu")
    ]


def test_case_prompts_timed_ahead_of_each_teams_standing_meeting(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    link_channel(chat, "onc", "Oncology Clinic")
    sam = chat.person(SAM)
    sam.says("team meeting ICU tuesday 12:00")
    sam.says("team meeting Oncology Clinic thursday 07:30")
    reply = sam.says("nudge schedule case to channels 1 day before meeting")
    # Next: the day before ICU's Tuesday 12:00, in Chicago (Sam's organisation zone).
    assert "every" not in reply.text and "1 day before meeting" in reply.text
    assert "Next: Mon 23 Nov 2026, 12:00" in reply.text, reply.text
    two_hours = sam.says("nudge schedule case to channel:icu 2 hours before the meeting")
    assert "2 hours before meeting" in two_hours.text
    assert "Next: Tue 24 Nov 2026, 10:00" in two_hours.text, two_hours.text

    # Over two weeks, ticking every 30 minutes: ICU's posts land a day and two hours before
    # each Tuesday 12:00 (18:00 UTC); Oncology's a day before each Thursday 07:30.
    run_every(chat, utc(2026, 12, 8, 19), timedelta(minutes=30))
    assert times(chat, "C-icu") == [
        utc(2026, 11, 23, 18),
        utc(2026, 11, 24, 16),
        utc(2026, 11, 30, 18),
        utc(2026, 12, 1, 16),
        utc(2026, 12, 7, 18),
        utc(2026, 12, 8, 16),
    ]
    assert times(chat, "C-onc") == [
        utc(2026, 11, 25, 13, 30),
        utc(2026, 12, 2, 13, 30),
    ]
    assert _case_titles(chat, "C-onc") == [f"This week's case: {t}" for t in CASE_TITLES[:2]]


def test_only_case_prompts_wait_for_meetings_and_teams_without_one_are_named(
    chat: FakeChat,
) -> None:
    link_channel(chat, "icu", "ICU")
    link_channel(chat, "onc", "Oncology Clinic")
    sam = chat.person(SAM)
    refused = sam.says("nudge schedule next-course to team:icu before meeting")
    assert "Only case-discussion prompts" in refused.text
    assert "nudge schedule case to channels 1 day before meeting" in refused.text
    assert schedules(chat) == []
    sam.says("team meeting ICU tuesday 12:00")
    reply = sam.says("nudge schedule case to channels before meeting")
    assert "1 day before meeting" in reply.text
    assert "No standing meeting is set for Oncology Clinic" in reply.text
    run_every(chat, utc(2026, 11, 26, 0), timedelta(hours=1))
    assert times(chat, "C-icu") == [utc(2026, 11, 23, 18)]
    assert times(chat, "C-onc") == []


def test_the_progress_post_ranks_teams_and_names_this_weeks_finishers(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ana = join(chat, ANA)
    carla = join(chat, CARLA)
    carla.says("celebrate me: no")
    schedule(chat, "leaderboard to channel:icu every friday 15:00")
    for course in ("comm-101", "goals-101", "pain-101"):
        ana.says(f"done {course}")
    carla.says("done comm-101")
    tick_at(chat, [utc(2026, 11, 27, 21)])

    (message,) = [m for m in messages(chat, "C-icu") if m.kind == "leaderboard"]
    post = text(message)
    assert "ICU: where we stand" in post
    assert "1 of 4 people in ICU have finished a pathway (25%)." in post
    assert "Finished a course this week: @Ana Ruiz. Thank you!" in post
    assert "Carla" not in post  # she asked not to be celebrated
    ranking = [line.split() for line in post.splitlines() if line.endswith("%")]
    assert ranking[0] == ["1", "ICU", "25%"]
    assert {tuple(r[1:]) for r in ranking[1:]} >= {("Home", "Health", "0%")}
    spans = [
        s
        for block in message.blocks
        if isinstance(block, Text)
        for line in markup.parse(block.markdown)
        for s in line.spans
    ]
    assert any(s.url == f"mention:U-{ANA}" and s.text == "Ana Ruiz" for s in spans)


def test_a_group_session_announcement_rsvp_and_a_reminder_an_hour_before(chat: FakeChat) -> None:
    ana = join(chat, ANA, "America/New_York")
    join(chat, BEN)
    join(chat, ELLA)  # another team: not invited
    sid = schedule(
        chat,
        "session to team:icu 2026-11-24 09:00 once session 2026-11-26 12:00 "
        "https://meet.example.org/goc Goals-of-care practice",
    )
    # Tuesday 09:00 in each person's own time: 14:00 UTC in New York, 15:00 in Chicago.
    tick_at(chat, [utc(2026, 11, 24, 14), utc(2026, 11, 24, 15)])
    assert times(chat, ANA) == [utc(2026, 11, 24, 14)]
    assert times(chat, BEN) == [utc(2026, 11, 24, 15)]
    assert times(chat, ELLA) == []
    (announcement,) = messages(chat, ANA)
    announced = chat.inbox(ANA)[0]
    assert "Group session: Goals-of-care practice" in announced
    assert "Thu 26 Nov 2026, 12:00 (America/Chicago)" in announced
    assert "Join here: https://meet.example.org/goc" in announced
    (join_button,) = announcement.buttons
    assert (join_button.label, join_button.command) == ("I'll join", f"rsvp {sid}")

    assert ana.says(join_button.command).text == (
        "You're down for Goals-of-care practice (Thu 26 Nov 2026, 13:00 (America/New_York)). "
        "I'll remind you an hour before."
    )
    assert "You're already down for Goals-of-care practice" in ana.says(f"rsvp {sid}")

    # Thursday: the session is at 12:00 in Chicago, 18:00 UTC; the reminder at 17:00.
    tick_at(chat, [utc(2026, 11, 25, 15), utc(2026, 11, 26, 16), utc(2026, 11, 26, 17)])
    assert times(chat, ANA) == [utc(2026, 11, 24, 14), utc(2026, 11, 26, 17)]
    assert chat.inbox(ANA)[1] == (
        "Starting in an hour: Goals-of-care practice, Thu 26 Nov 2026, 13:00 "
        "(America/New_York). Join here: https://meet.example.org/goc"
    )
    assert times(chat, BEN) == [utc(2026, 11, 24, 15)]  # he did not say he'd join
    tick_at(chat, [utc(2026, 11, 26, 17, 30), utc(2026, 11, 26, 18), utc(2026, 11, 27, 17)])
    assert len(times(chat, ANA)) == 2
    assert [s.status for s in schedules(chat)] == ["done"]


def test_a_session_announced_in_a_team_channel_and_cancelled(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ben = join(chat, BEN)
    sid = schedule(
        chat,
        "session to channel:icu 2026-11-24 10:00 once session 2026-11-24 12:30 "
        "https://meet.example.org/huddle Ten-minute symptom huddle",
    )
    tick_at(chat, [utc(2026, 11, 24, 16)])
    (post,) = messages(chat, "C-icu")
    assert "Group session: Ten-minute symptom huddle" in chat.channel("C-icu")[0]
    assert [b.command for b in post.buttons] == [f"rsvp {sid}"]
    assert "You're down for Ten-minute symptom huddle" in ben.says(f"rsvp {sid}")
    tick_at(chat, [utc(2026, 11, 24, 17, 30)])  # an hour before 12:30
    assert times(chat, BEN) == [utc(2026, 11, 24, 17, 30)]
    assert "Starting in an hour: Ten-minute symptom huddle" in chat.inbox(BEN)[0]

    other = schedule(
        chat,
        "session to channel:icu 2026-11-25 10:00 once session 2026-11-27 12:30 "
        "https://meet.example.org/huddle Friday huddle",
    )
    chat.person(SAM).says(f"nudge cancel {other}")
    assert ben.says(f"rsvp {other}").text == "That session is no longer scheduled."
    tick_at(chat, [utc(2026, 11, 25, 16)])
    assert len(messages(chat, "C-icu")) == 1
