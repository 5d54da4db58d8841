"""Taking back "Mark complete": one's own self-reported completion of the last day, its
celebration withdrawn while it is still to be posted, and an audit line; verified
completions are an admin's to correct.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC).
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import Completion
from tests.fakechat import FakeChat
from tests.nudging import ANA, BEN, SAM, audit_actions, join, link_channel


def _courses(chat: FakeChat) -> list[str]:
    with Session(chat.bot.engine) as s:
        return sorted(s.exec(select(Completion.course_id)).all())


def _channel_posts(chat: FakeChat) -> list[str]:
    chat.clock.advance(minutes=2)  # celebrations settle for a minute
    chat.run_scheduler()
    return [m.summary for _, m in chat.delivered.get("C-icu", [])]


def test_undo_on_the_confirmation_takes_it_back_and_withdraws_its_celebration(
    chat: FakeChat,
) -> None:
    link_channel(chat, "icu", "ICU")
    ana = join(chat, ANA)
    recorded = ana.says("done comm-101")
    assert "Recorded: Talking about serious illness" in recorded
    assert _courses(chat) == ["comm-101"]

    undone = ana.clicks("Undo")
    assert "Taken back: Talking about serious illness: the first conversation is no longer" in (
        undone
    )
    assert "Its celebration won't be posted." in undone
    assert "Talking about serious illness: the first conversation" in undone.text.split("\n", 2)[2]
    assert _courses(chat) == []
    assert not any("Ana" in post for post in _channel_posts(chat))
    assert (ANA, "completion.undo", ANA) in audit_actions(chat)
    # The next course is the one taken back again, and finishing it again celebrates it.
    assert "Recorded" in ana.says("done comm-101")
    assert any("Ana" in post for post in _channel_posts(chat))


def test_a_celebration_already_posted_stays_and_the_person_is_told(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ana = join(chat, ANA)
    ana.says("I finished goals of care")
    assert any("Ana" in post for post in _channel_posts(chat))
    undone = ana.says("undo")
    assert "Taken back: Goals-of-care conversations" in undone
    assert "was already posted in your team channel" in undone
    assert _courses(chat) == []


def test_undo_names_a_course_and_refuses_what_it_cannot_take_back(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    assert "nothing to take back" in ana.says("undo")
    ana.says("done comm-101")
    ana.says("done goals of care")
    assert "Taken back: Talking about serious illness" in ana.says("undo comm-101")
    assert _courses(chat) == ["goals-101"]
    assert 'haven\'t marked a course like "symptom basics"' in ana.says("undo symptom basics")

    chat.clock.advance(hours=25)
    old = ana.says("undo")
    assert "more than a day ago, so it can't be taken back from here" in old
    assert _courses(chat) == ["goals-101"]

    chat.person(SAM).says(f"record {ANA} comm-101")  # verified, by an admin
    verified = ana.says("undo comm-101")
    assert "was recorded by the learning site or an admin" in verified
    assert "clinical-education@example.org" in verified
    assert _courses(chat) == ["comm-101", "goals-101"]


def test_undo_is_only_for_ones_own_completions(chat: FakeChat) -> None:
    ana, ben = join(chat, ANA), join(chat, BEN)
    recorded = ana.says("done comm-101", in_channel=True, conversation_id="C-icu")
    assert "someone else's message" in ben.clicks("Undo", on=recorded)
    assert _courses(chat) == ["comm-101"]
    assert "nothing to take back" in ben.says("undo")
