"""Buttons act only for the person they were meant for.

Every message that someone other than the person it is about can see is checked:
answers in a channel thread (their buttons are the asker's), previews (their samples
have no buttons at all), and posts to team channels (only buttons that act for
whoever presses them, such as "I'll join" a session).

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot.messages import Mention, Message
from bot.models import Completion, Person
from tests.fakechat import FakeChat
from tests.nudging import ANA, BEN, CARLA, SAM, join, link_channel, schedule, tick_at, utc

#: Commands a button on a channel post may carry: each acts for whoever presses it.
FOR_WHOEVER_PRESSES = ("rsvp ",)


def _completions(chat: FakeChat) -> list[tuple[str, str]]:
    """(email, course) of every completion recorded."""
    with Session(chat.bot.engine) as s:
        rows = s.exec(
            select(Person.email, Completion.course_id).join(
                Person, col(Person.id) == col(Completion.person_id)
            )
        ).all()
        return [(email, course) for email, course in rows]


def test_an_answer_in_a_channel_thread_acts_only_for_its_asker(chat: FakeChat) -> None:
    ana, ben = chat.person(ANA), chat.person(BEN)
    shown = ana.says("next", in_channel=True, conversation_id="C-icu")
    assert shown.buttons and all(b.owner == ana.user_id for b in shown.buttons)

    refused = ben.clicks("Mark complete", on=shown)
    assert "someone else's message" in refused
    assert _completions(chat) == []
    refused = ben.clicks("Snooze a week", on=shown)
    assert "someone else's message" in refused

    assert "Recorded" in ana.clicks("Mark complete", on=shown)
    assert _completions(chat) == [(ANA, "comm-101")]


def test_preview_samples_have_no_buttons_and_say_which_they_would_have(chat: FakeChat) -> None:
    join(chat, ANA)
    sam = chat.person(SAM)
    for words in (
        "next-course to team:icu every monday 09:00",
        "setup to team:icu every tuesday 09:00",
        "session to team:icu tomorrow 09:00 session dec 3 12:00 https://meet.example.org/x "
        "Goals-of-care practice",
    ):
        sid = schedule(chat, words)
        preview = sam.says(f"nudge preview {sid}")
        headings = ("nudge.preview", "nudge.preview_sample")
        samples = [m for m in preview.messages if m.kind not in headings]
        assert samples, (words, preview.text)
        assert all(m.buttons == () for m in preview.messages), words
        assert "In a preview they do nothing." in preview, preview.text
    assert _completions(chat) == []


def test_posts_to_team_channels_carry_only_buttons_for_whoever_presses(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    for person in (ANA, BEN):
        join(chat, person)
    for words in (
        "case to channel:icu every tuesday 11:00",
        "leaderboard to channel:icu every friday 15:00",
        "custom to channel:icu every wednesday 10:00 say Journal club at noon",
        "recognition to channel:icu every thursday 09:00",
        "session to channel:icu tomorrow 09:00 session dec 3 12:00 https://meet.example.org/x "
        "Goals-of-care practice",
    ):
        schedule(chat, words)
    chat.person(ANA).says("done comm-101")  # a celebration for the channel
    tick_at(chat, [utc(2026, 11, 23, 15, 5), *(utc(2026, 11, d, 22) for d in range(24, 28))])
    posts: list[Message] = [m for _, m in chat.delivered["C-icu"]]
    kinds = {m.kind for m in posts}
    assert {"case", "leaderboard", "custom.message", "session.announce", "recognition"} <= kinds
    assert any(m.kind.startswith("celebrate") for m in posts), kinds
    for post in posts:
        for button in post.buttons:
            assert button.command.startswith(FOR_WHOEVER_PRESSES), (post.kind, button)
            assert button.owner == ""


def test_a_notice_for_someone_else_carries_their_buttons_and_public_posts_none(
    chat: FakeChat,
) -> None:
    link_channel(chat, "icu", "ICU")
    ana, ben = join(chat, ANA), join(chat, BEN)
    carla = Mention(user_id="U-carla.diaz@example.org", name="Carla Diaz", email=CARLA)
    offer = ana.says("shoutout @Carla Diaz for the handover", mentions=(carla,))
    assert {b.owner for b in offer.buttons} == {ana.user_id}
    ana.clicks("Suggest it")
    chat.run_scheduler()
    # The suggestion reached Ben, not Ana: its buttons act for Ben only.
    (review,) = [m for _, m in chat.delivered[ben.user_id]]
    assert review.buttons and {b.owner for b in review.buttons} == {ben.user_id}
    assert "someone else's message" in ana.clicks("Approve", on=review)
    ben.clicks("Approve", on=review)
    chat.run_scheduler()
    (told,) = [m for _, m in chat.delivered[ana.user_id]]
    assert told.buttons == ()
    (post,) = [o.message for o in chat.posts if o.message.kind == "shoutout.post"]
    assert post.buttons == ()
