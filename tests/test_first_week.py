"""A new clinician's first week, and the everyday questions, through the fake chat."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import Completion, Person
from tests.fakechat import FakeChat

ANA = "ana.ruiz@example.org"


def test_a_new_clinicians_first_week(chat: FakeChat) -> None:
    ana = chat.person(ANA)

    first = ana.says("what's my next course")
    # Not confirmed yet: the answer starts with account setup and the contact.
    assert first.text.index("Set up your account") < first.text.index("Next up")
    assert "clinical-education@example.org" in first
    assert "Talking about serious illness: the first conversation" in first
    assert "https://learning.example.org/REPLACE-ME/courses/comm-101" in first
    assert "40 min" in first and "0.75 CNE" in first
    assert "Why it matters for you" in first and "nurses" in first
    assert [b.label for b in first.buttons] == [
        "Mark complete",
        "Snooze a week",
        "I've created my account",
        "Show my progress",
    ]

    confirmed = ana.clicks("I've created my account")
    assert "Your account is noted" in confirmed
    assert "Set up your account" not in confirmed
    assert "I've created my account" not in [b.label for b in confirmed.buttons]

    chat.clock.advance(days=2)
    after_first = ana.clicks("Mark complete")
    assert "Recorded: **" not in after_first.text  # rendered, not raw Markdown
    assert "Recorded: Talking about serious illness" in after_first
    assert "Goals-of-care conversations" in after_first
    assert "Step 2 of 3" in after_first

    chat.clock.advance(days=3)
    done = ana.says("I finished goals of cre")  # a typo still finds the course
    assert "Recorded: Goals-of-care conversations" in done
    assert "Pain assessment and management basics" in done

    chat.clock.advance(days=2)
    last = ana.clicks("Mark complete")
    assert "That completes Essentials for every clinician" in last
    assert "Serious Illness Care, Bronze" in last
    assert "next level" in last
    assert "Join Bedside symptom and family care" in [b.label for b in last.buttons]

    progress = ana.says("progress")
    assert "3/3" in progress and "Complete" in progress
    assert "Highest level reached: Bronze, Essentials" in progress
    assert "2.25 CNE" in progress


def test_next_course_phrasings_all_give_the_course(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    for phrase in (
        "next",
        "next course?",
        "What should I take next?",
        "whats next",
        "@Huddle what's my next course please",
        "/huddle next",
    ):
        assert "Next up" in ana.says(phrase), phrase


def test_every_button_is_something_a_person_can_type(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    for words in ("next", "progress", "pathways", "settings", "help", "setup", "about", "hello"):
        reply = ana.says(words)
        for button in reply.buttons:
            typed = chat.person(ANA).says(button.command)
            assert "didn't follow" not in typed, (words, button)


def test_completion_recorded_twice_is_one_record(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    ana.says("done comm-101")
    again = ana.says("done comm-101")
    assert "already finished" in again
    with Session(chat.bot.engine) as s:
        rows = s.exec(select(Completion).join(Person).where(Person.email == ANA)).all()
    assert [r.course_id for r in rows] == ["comm-101"]
    assert rows[0].source == "self_report" and rows[0].verified is False


def test_several_matching_courses_are_offered_as_buttons(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    reply = ana.says("done conversations")
    assert "Several courses match" in reply
    assert "nothing was recorded" in reply
    labels = [b.label for b in reply.buttons]
    assert len(labels) >= 2
    picked = ana.clicks(labels[0])
    assert "Recorded:" in picked


def test_unknown_course_keeps_nothing_and_offers_own_courses(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    reply = ana.says("done underwater basket weaving")
    assert "couldn't find a course" in reply
    assert "underwater basket weaving" in reply
    assert reply.buttons[0].command == "done comm-101"


def test_pathways_by_level_and_join(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    menu = ana.says("menu")
    assert menu.text.index("Bronze") < menu.text.index("Silver") < menu.text.index("Gold")
    assert "Symptom management for prescribers" not in menu  # not for nurses
    assert "about half a day" in menu
    joined = ana.clicks("Join Bedside symptom and family care")
    assert "You're in Bedside symptom and family care" in joined
    assert "Next up" in joined
    again = ana.says("join bedside care")
    assert "already in" in again
    refused = ana.says("join prescriber symptoms")
    assert "isn't one of the pathways for a nurse" in refused


def test_someone_not_enrolled_is_shown_their_pathways(chat: FakeChat) -> None:
    sam = chat.person("sam.okafor@example.org")
    reply = sam.says("next")
    assert "not in a pathway yet" in reply
    assert "Essentials for every clinician" in reply


def test_unknown_person_is_told_how_to_get_enrolled(chat: FakeChat) -> None:
    stranger = chat.person("nobody@example.org")
    reply = stranger.says("next")
    assert "don't have you on the roster" in reply
    assert "clinical-education@example.org" in reply


def test_setup_any_time(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    reply = ana.says("setup")
    assert "HUDDLE-DEMO" in reply and "ext. 4410" in reply
    ana.clicks("I've created my account")
    assert "You told me on Mon 23 Nov 2026" in ana.says("setup")


def test_about_explains_purpose_and_why_by_role(chat: FakeChat) -> None:
    dev = chat.person("dev.patel@example.org")  # a pharmacist
    reply = dev.says("about")
    assert "patient-care priorities" in reply
    assert "Your review catches conversion errors" in reply


def test_help_is_short_and_by_role(chat: FakeChat) -> None:
    ana = chat.person(ANA).says("help")
    assert "For admins" not in ana and "champions" not in ana
    ben = chat.person("ben.cho@example.org").says("help")  # a champion
    assert "For champions" in ben and "For admins" not in ben
    sam = chat.person("sam.okafor@example.org").says("help")  # an admin
    assert "For admins" in sam


def test_unknown_words_get_a_suggestion_and_nothing_changes(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    # A typo of a command is understood (the intent matcher), not refused.
    assert ana.says("progres").kinds == ["progress"]
    # Words that mean nothing get the friendly answer, with buttons to go on with.
    reply = ana.says("blorptastic zorble")
    assert "didn't follow" in reply and "Nothing was changed" in reply
    assert [b.label for b in reply.buttons][-1] == "help"
    assert ana.clicks("help").kinds == ["help"]
