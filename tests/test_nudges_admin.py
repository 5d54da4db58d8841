"""Admins and champions scheduling messages: the one-line command, who may reach whom,
the audit trail, input errors with examples, and list / preview / pause / resume /
cancel / send now / history.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.messages import ChannelRef, Message
from bot.outbox import Outbox
from scheduler.delivery import DeliveryError, Worker
from tests.fakechat import FakeChat
from tests.nudging import (
    ANA,
    BEN,
    CARLA,
    ELLA,
    FEMI,
    IVY,
    SAM,
    audit_actions,
    join,
    outbox,
    schedule,
    schedules,
    tick_at,
    times,
    utc,
)


def test_admin_schedules_every_kind_of_when_and_is_told_the_next_time(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    cases = {
        "next-course to team:icu every monday 09:00": (
            "next-course reminder to team:icu, every monday 09:00",
            "Mon 30 Nov 2026, 09:00 (America/Chicago)",
        ),
        "setup to not started weekdays 08:30": (
            "account-setup reminder to not started, weekdays 08:30",
            "Tue 24 Nov 2026, 08:30 (America/Chicago)",
        ),
        "custom to everyone first tuesday of the month 12:00 say Journal club today": (
            "custom message to everyone, first tuesday of the month 12:00",
            "Tue 1 Dec 2026, 12:00 (America/Chicago)",
        ),
        "custom to discipline:nurse 2026-12-01 14:00 once say Skills lab is open": (
            "custom message to discipline:nurse, 2026-12-01 14:00 once",
            "Tue 1 Dec 2026, 14:00 (America/Chicago)",
        ),
        "custom to senior leaders 30 7 * * 1-5 say Dashboard updated": (
            "custom message to senior leaders, 30 7 * * 1-5",
            "Tue 24 Nov 2026, 07:30 (America/Chicago)",
        ),
        "custom to pathway:bedside-care every friday 16:00 in Europe/London say Have a rest": (
            "custom message to pathway:bedside-care, every friday 16:00 (Europe/London)",
            "Fri 27 Nov 2026, 16:00 (Europe/London)",
        ),
        "digest to champions every monday 10:00 org time": (
            "champion's digest to champions, every monday 10:00 (America/Chicago)",
            "Mon 23 Nov 2026, 10:00 (America/Chicago)",
        ),
        "leaderboard to channels every friday 15:00": (
            "progress post to channels, every friday 15:00",
            "Fri 27 Nov 2026, 15:00 (America/Chicago)",
        ),
    }
    for number, (words, (what, when)) in enumerate(cases.items(), start=1):
        reply = sam.says(f"nudge schedule {words}")
        assert reply.text == f"Scheduled #{number}: {what}. Next: {when}.", words
    listing = sam.says("nudge list")
    assert "Scheduled messages (8)" in listing
    assert "first tuesday of the month 12:00" in listing and "Tue 1 Dec 2026, 12:00" in listing
    assert [s.kind for s in schedules(chat)] == [
        "next_course",
        "setup",
        "custom",
        "custom",
        "custom",
        "custom",
        "digest",
        "leaderboard",
    ]
    assert audit_actions(chat)[-8:] == [(SAM, "nudge.schedule", f"#{n}") for n in range(1, 9)]


def test_each_audience_reaches_the_people_it_names(chat: FakeChat) -> None:
    def recipients(audience: str) -> str:
        # The same audience is asked about twice: the second is the same schedule again.
        sid = schedule(chat, f"anyway custom to {audience} every friday 12:00 say Hello")
        reply = chat.person(SAM).says(f"nudge preview {sid}")
        return reply.text.splitlines()[1]

    assert recipients("everyone") == (
        "12 recipients. By team: ICU 4, Oncology Clinic 4, Home Health 3, Clinical Education 1."
    )
    assert recipients("team:icu") == "4 recipients. By team: ICU 4."
    assert recipients("team:oncology-clinic discipline:nurse") == (
        "1 recipients. By team: Oncology Clinic 1."
    )
    assert recipients("discipline:nurse") == (
        "3 recipients. By team: Home Health 1, ICU 1, Oncology Clinic 1."
    )
    assert recipients("pathway:psychosocial") == "1 recipients. By team: Oncology Clinic 1."
    assert recipients("senior leaders") == "1 recipients. By team: Oncology Clinic 1."
    assert recipients("not started") == (
        "11 recipients. By team: ICU 4, Oncology Clinic 4, Home Health 3."
    )
    assert recipients("behind:2") == "0 recipients. By team: -."
    chat.person(ANA).says("done comm-101")
    assert recipients("not started") == (
        "10 recipients. By team: Oncology Clinic 4, Home Health 3, ICU 3."
    )
    chat.clock.advance(days=10)
    chat.person(ELLA).says("done comm-101")
    chat.clock.advance(days=5)
    # Enrolled over two weeks ago, nothing finished in the last two: not Ella (5 days ago),
    # but Ana (15 days ago) again.
    assert recipients("behind:2") == (
        "10 recipients. By team: ICU 4, Home Health 3, Oncology Clinic 3."
    )


def test_preview_counts_three_samples_and_next_times_in_recipients_own_zones(
    chat: FakeChat,
) -> None:
    join(chat, ANA, "America/New_York")
    join(chat, CARLA, "Australia/Sydney")
    sid = schedule(chat, "next-course to team:icu every monday 09:00")
    preview = chat.person(SAM).says(f"nudge preview {sid}")
    text = preview.text
    assert text.startswith(f"Preview of #{sid}: next-course reminder to team:icu, every monday")
    assert "4 recipients. By team: ICU 4." in text
    assert "America/New_York: Mon 30 Nov 2026, 09:00; Mon 7 Dec 2026, 09:00; Mon 14 Dec" in text
    assert "America/Chicago: Mon 30 Nov 2026, 09:00;" in text
    assert "Australia/Sydney: Mon 30 Nov 2026, 09:00;" in text
    assert [line for line in text.splitlines() if line.startswith("Sample")] == [
        "Sample 1, for Ana Ruiz:",
        "Sample 2, for Ben Cho:",
        "Sample 3, for Carla Diaz:",
    ]
    assert "Ana, here's your next course" in text and "Carla, here's your next course" in text
    assert "Dev Patel" not in text
    # Previewing sends nothing and plans nothing.
    assert outbox(chat) == []
    assert ("sam.okafor@example.org", "nudge.preview", f"#{sid}") not in audit_actions(chat)


def test_a_champion_schedules_for_their_own_team_only(chat: FakeChat) -> None:
    ben = chat.person(BEN)
    for email in (ANA, ELLA, IVY):
        join(chat, email)
    reply = ben.says("nudge schedule next-course to discipline:nurse every tuesday 09:00")
    assert "Scheduled #1: next-course reminder to discipline:nurse (ICU)" in reply
    own_team = ben.says("nudge schedule custom every wednesday 09:00 say Team huddle")
    assert "Scheduled #2: custom message to team:icu" in own_team
    before = (schedules(chat), audit_actions(chat))
    for words in (
        "custom to team:oncology-clinic every monday 09:00 say Hi",
        "custom to everyone every monday 09:00 say Hi",
        "case to channel:oncology-clinic every tuesday 11:00",
    ):
        refused = ben.says(f"nudge schedule {words}")
        assert refused.text == (
            "As a champion you can schedule and manage messages for your own team, ICU, only."
        ), words
    assert (schedules(chat), audit_actions(chat)) == before

    # A nurse on his team is reached; nurses on other teams are not.
    tick_at(chat, [utc(2026, 11, 24, 15), utc(2026, 11, 25, 15)])
    assert times(chat, ANA) == [utc(2026, 11, 24, 15), utc(2026, 11, 25, 15)]
    assert times(chat, ELLA) == [] and times(chat, IVY) == []
    assert chat.inbox(ANA)[1] == "Team huddle"


def test_champions_manage_only_their_teams_schedules_and_clinicians_none(
    chat: FakeChat,
) -> None:
    everyone = schedule(chat, "custom to everyone every monday 09:00 say For all")
    icu = schedule(chat, "custom to team:icu every monday 09:00 say For ICU", who=BEN)
    ben, femi = chat.person(BEN), chat.person(FEMI)
    listing = ben.says("nudge list")
    assert "Scheduled messages (1)" in listing
    assert f"#{icu}" in listing and f"#{everyone}" not in listing
    before = (schedules(chat), audit_actions(chat))
    for who, words in (
        (ben, f"nudge pause {everyone}"),
        (ben, f"nudge cancel {everyone}"),
        (ben, f"nudge send {everyone} now"),
        (ben, f"nudge history {everyone}"),
        (femi, f"nudge cancel {icu}"),
        (femi, f"nudge preview {icu}"),
    ):
        assert "for your own team" in who.says(words), words
    ana = chat.person(ANA)
    for words in (
        "nudge schedule custom to team:icu every monday 09:00 say Hi",
        "nudge list",
        f"nudge cancel {icu}",
        "nudge new",
    ):
        assert "That needs the champion role, so I haven't changed anything" in ana.says(words)
    assert (schedules(chat), audit_actions(chat)) == before
    assert outbox(chat) == []
    assert f"Schedule #{icu} is paused" in ben.says(f"nudge pause {icu}")
    assert audit_actions(chat)[-1] == (BEN, "nudge.pause", f"#{icu}")


def test_every_input_error_answers_with_a_correct_example_and_saves_nothing(
    chat: FakeChat,
) -> None:
    sam = chat.person(SAM)
    errors = {
        "next-course to team:nowhere every monday 09:00": (
            'There\'s no team "nowhere". Type teams to see their keys, then for example '
            "to team:icu."
        ),
        "next-course to everyone every monday 25:00": (
            '"every monday 25:00" needs a time of day that exists, such as 09:00, 8:30am or 14:15.'
        ),
        "next-course to everyone 0 9 * * 1 *": (
            'A cron line has five fields (minute hour day month weekday), not "0 9 * * 1 *". '
            "For example 0 9 * * 1 is every Monday at 09:00."
        ),
        "next-course to everyone 0 25 * * 1": "for example 30 8 * * 1-5",
        "next-course to everyone on the 31st of february 09:00": "on the 15th of every month 9am",
        "next-course to everyone 2025-01-05 09:00 once": "is in the past",
        "next-course to everyone whenever you like": "Try every monday 09:00, weekdays 08:30",
        "newsletter to everyone every monday 09:00": (
            '"newsletter" isn\'t a kind of message I can schedule. Kinds: next-course, setup, '
            "case, leaderboard, session, custom, digest, recognition, standings, report. "
            "For example: nudge schedule "
            "next-course to team:icu every monday 09:00."
        ),
        "next-course to discipline:wizard every monday 09:00": "for example to team:icu",
        "custom to everyone every monday 09:00": (
            "for example nudge schedule custom to everyone weekdays 08:30 say The new pain"
        ),
        "session to team:icu 2026-12-01 09:00 once session next week sometime": (
            "for example nudge schedule session to team:icu tomorrow 09:00 session next friday "
            "12:00 https://meet.example.org/x Goals-of-care practice"
        ),
        "next-course to everyone 0 9 31 2 *": (
            '"0 9 31 2 *" never happens: no month has that day. Pick a day every month has'
        ),
        "next-course to everyone 0 9 * * 7/2": "for example 0 9 * * 0/2",
        "case to discipline:nurse every tuesday 11:00": "Try to channel:icu or to channels.",
        "setup to channels every tuesday 11:00": "Try to team:icu instead of a channel.",
    }
    for words, example in errors.items():
        reply = sam.says(f"nudge schedule {words}")
        assert example in reply, (words, reply.text)
        assert not reply.text.startswith("Scheduled"), words
    assert "nudge list" in sam.says("nudge pause 42")  # there's no #42: says how to look
    for bare in ("nudge", "nudge schedule"):
        usage = sam.says(bare)
        assert usage.kinds == ["nudge.usage"], bare
        assert "nudge schedule next-course to team:icu every monday 09:00" in usage, bare
        assert (
            "Kinds: next-course, setup, case, leaderboard, session, custom, digest, recognition, "
            "standings" in usage
        )
    assert schedules(chat) == []
    assert [a for a in audit_actions(chat) if a[1].startswith("nudge")] == []


def test_pause_resume_send_now_cancel_and_history(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    join(chat, ANA)
    join(chat, BEN)
    join(chat, CARLA, "Australia/Sydney")
    sid = schedule(chat, "custom to team:icu weekdays 09:00 in America/Chicago say Stretch")
    # Tuesday 09:00 in Chicago; for Carla it is 02:00 on Wednesday, so hers waits until 08:00.
    tick_at(chat, [utc(2026, 11, 24, 15), utc(2026, 11, 24, 21)])
    assert times(chat, ANA) == times(chat, BEN) == [utc(2026, 11, 24, 15)]
    assert times(chat, CARLA) == [utc(2026, 11, 24, 21)]

    assert sam.says(f"nudge pause {sid}").text == (
        f"Schedule #{sid} is paused. nudge resume {sid} starts it again."
    )
    assert f"Schedule #{sid} is already paused" in sam.says(f"nudge pause {sid}")
    assert "paused" in sam.says("nudge list")
    tick_at(chat, [utc(2026, 11, 25, 15), utc(2026, 11, 25, 21)])  # Wednesday: paused
    assert times(chat, ANA) == [utc(2026, 11, 24, 15)]
    assert times(chat, CARLA) == [utc(2026, 11, 24, 21)]

    chat.clock.set(utc(2026, 11, 25, 18))
    assert sam.says(f"nudge resume {sid}").text == (
        f"Schedule #{sid} is running again. Next: Thu 26 Nov 2026, 09:00 (America/Chicago)."
    )
    tick_at(chat, [utc(2026, 11, 25, 19), utc(2026, 11, 26, 15)])  # Wednesday not replayed
    assert times(chat, ANA) == [utc(2026, 11, 24, 15), utc(2026, 11, 26, 15)]

    # Send now, at noon in Chicago: 05:00 on Friday for Carla, who waits until 08:00.
    chat.clock.set(utc(2026, 11, 26, 18))
    sent_now = sam.says(f"nudge send {sid} now")
    assert sent_now.text == (
        f"Queued 3 messages for schedule #{sid} now. 1 of them wait for the end of the "
        "person's quiet hours or pause."
    )
    chat.run_scheduler()
    assert times(chat, ANA)[-1] == utc(2026, 11, 26, 18)
    assert times(chat, CARLA)[-1] == utc(2026, 11, 24, 21)

    history = sam.says(f"nudge history {sid}")
    assert "Sent 7, waiting 2, failed 0, skipped 0." in history  # Carla's Thursday and now

    assert sam.says(f"nudge cancel {sid}").text == (
        f"Schedule #{sid} is cancelled; messages already queued for it won't be sent."
    )
    tick_at(chat, [utc(2026, 11, 26, 21), utc(2026, 11, 27, 15)])
    assert times(chat, CARLA) == [utc(2026, 11, 24, 21)]  # the queued ones were dropped
    assert times(chat, ANA)[-1] == utc(2026, 11, 26, 18)
    history = sam.says(f"nudge history {sid}")
    assert "Sent 7, waiting 0, failed 0, skipped 2." in history
    assert "2 × schedule cancelled" in history
    assert f"Schedule #{sid} is already cancelled" in sam.says(f"nudge resume {sid}")
    assert f"#{sid}" not in sam.says("nudge list").text
    assert [a for a in audit_actions(chat) if a[1].startswith("nudge")] == [
        (SAM, action, f"#{sid}")
        for action in (
            "nudge.schedule",
            "nudge.pause",
            "nudge.resume",
            "nudge.send",
            "nudge.cancel",
        )
    ]
    assert "nudge.cancel" in sam.says("audit")


class _Flaky:
    """A platform that refuses Ana for good and asks to slow down for Ben."""

    platform = "fake"

    def __init__(self, chat: FakeChat) -> None:
        self.chat = chat

    async def send(self, target: str, message: Message, key: str) -> str:
        if target == f"U-{ANA}":
            raise DeliveryError("user_not_found", permanent=True)
        if target == f"U-{BEN}":
            raise DeliveryError("ratelimited", retry_after=30)
        return await self.chat.send(target, message, key)

    async def reconcile(self, target: str, key: str, since: datetime) -> str | None:
        raise NotImplementedError


def test_history_shows_failures_with_their_reasons(chat: FakeChat) -> None:
    for email in (ANA, BEN, CARLA):
        join(chat, email)
    sid = schedule(chat, "custom to team:icu every tuesday 09:00 say Ward round tips")
    chat.clock.set(utc(2026, 11, 24, 15))
    planner = chat.bot.planner(("fake",))
    chat.bot.tick(planner)
    outbox_ = Outbox(chat.bot.engine, chat.bot.content, "flaky-worker", quiet=planner)
    worker = Worker(outbox_, {"fake": _Flaky(chat)}, chat.clock)
    assert asyncio.run(worker.run_once()) == 3
    assert times(chat, CARLA) == [utc(2026, 11, 24, 15)]
    history = chat.person(SAM).says(f"nudge history {sid}")
    assert "Sent 1, waiting 1, failed 1, skipped 0." in history
    assert "1 × user_not_found" in history
    statuses = sorted(r.status for r in outbox(chat, sid))
    assert statuses == ["failed", "pending", "sent"]


def test_case_and_leaderboard_previews_show_the_channels(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    sam.says("team link #icu-team ICU", channels=(ChannelRef("C-ICU", "icu-team"),))
    sam.says("team link Home Health", in_channel=True, conversation_id="C-HH")
    sid = schedule(chat, "case to channels every tuesday 11:00")
    preview = sam.says(f"nudge preview {sid}")
    assert "2 recipients. By team: ICU 1, Home Health 1." in preview
    assert "Sample 1, for C-ICU:" in preview and "Sample 2, for C-HH:" in preview
    assert "This week's case: Breathless at night, frightened family" in preview
    assert "America/Chicago: Tue 24 Nov 2026, 11:00; Tue 1 Dec 2026, 11:00" in preview


def test_a_rare_schedule_finds_its_next_time_however_far(chat: FakeChat) -> None:
    reply = chat.person(SAM).says("nudge schedule custom to everyone 0 9 29 2 * say Leap day")
    assert "Next: Tue 29 Feb 2028, 09:00 (America/Chicago)." in reply, reply.text


def test_previews_list_each_instant_once_and_none_already_past(chat: FakeChat) -> None:
    join(chat, ANA, "America/New_York")
    sam = chat.person(SAM)
    # 01:45 EST on 7 November 2027, in the hour the autumn change repeats: 01:50 has passed
    # (it was at 01:50 EDT), so the next is 02:00.
    chat.clock.set(utc(2027, 11, 7, 6, 45))
    sid = schedule(chat, "custom to team:icu */20 * * * * say Rounds")
    preview = sam.says(f"nudge preview {sid}")
    assert "America/New_York: Sun 7 Nov 2027, 02:00; Sun 7 Nov 2027, 02:20;" in preview, (
        preview.text
    )
    # The night of the spring change: 02:30 does not exist, and moved forward it is 03:30.
    chat.clock.set(utc(2028, 3, 12, 5))
    sid = schedule(chat, "custom to team:icu 30 2,3 * * * say Night check")
    preview = sam.says(f"nudge preview {sid}")
    assert (
        "America/New_York: Sun 12 Mar 2028, 03:30; Mon 13 Mar 2028, 02:30; Mon 13 Mar 2028, 03:30"
    ) in preview, preview.text


def test_the_part_that_is_wrong_is_named_with_an_example_of_that_part(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    for words, bad in (
        ("next-course to bar every monday 09:00", "bar"),
        ("next-course to evryone weekdays 08:30", "evryone"),
        ("case to icu team every tuesday 11:00", "icu team"),
    ):
        reply = sam.says(f"nudge schedule {words}")
        assert f'I can\'t read the audience "{bad}"' in reply, (words, reply.text)
        assert "for example to team:icu discipline:nurse" in reply
    # A when that is wrong is still called a when.
    reply = sam.says("nudge schedule next-course to team:icu evry monday 09:00")
    assert "as a time to send" in reply, reply.text
    assert schedules(chat) == []


def test_a_schedule_identical_to_one_running_is_kept_once_unless_insisted(
    chat: FakeChat,
) -> None:
    sam = chat.person(SAM)
    first = schedule(chat, "next-course to team:icu every monday 09:00")
    again = sam.says("nudge schedule next-course to team:icu every monday 09:00")
    assert f"That's the same as schedule #{first} (active)" in again
    assert len(schedules(chat)) == 1
    # Different words, audience or time are different schedules.
    schedule(chat, "next-course to team:icu every monday 10:00")
    sam.says(f"nudge pause {first}")
    paused = sam.says("nudge schedule next-course to team:icu every monday 09:00")
    assert f"same as schedule #{first} (paused)" in paused
    insisted = sam.clicks("Schedule it anyway")
    assert insisted.text.startswith("Scheduled #"), insisted.text
    assert len(schedules(chat)) == 3


def test_the_champions_digest_is_listed_and_an_admin_can_pause_it(chat: FakeChat) -> None:
    chat.bot.ensure_default_schedules()  # as `huddle chat` and `huddle run` do at start
    sam, ben = chat.person(SAM), chat.person(BEN)
    listed = sam.says("nudge list")
    assert "champion's digest  champions  every monday 09:00  active" in listed, listed.text
    (digest,) = [s for s in schedules(chat) if s.kind == "digest"]
    assert f"#{digest.id}" in ben.says("nudge list")  # a champion sees what reaches them
    refused = ben.says(f"nudge pause {digest.id}")
    assert "only an admin can pause or change it" in refused
    assert f"Schedule #{digest.id} is paused" in sam.says(f"nudge pause {digest.id}")
