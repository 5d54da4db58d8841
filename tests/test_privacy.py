"""The screen for likely patient identifiers in text the bot would share: each kind, what
the roster and content make ours, the roster cache, and the guard through the chat."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from bot.guard import RECHECK, roster_for
from bot.messages import ChannelRef, Mention
from bot.models import AuditEntry
from bot.privacy import KINDS, Finding, Known, Pattern, Roster, Rules, Staff, screen
from tests.fakechat import FakeChat


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("MRN 00482913 had a great family meeting", "record_number"),
        ("acct# 5567123", "record_number"),
        ("call her at (312) 555-0199", "phone"),
        ("SSN 123-45-6789", "ssn"),
        ("DOB is 3/4/41, per the chart", "date"),
        ("seen on 03/14/1950", "date"),
        ("lives at 42 Elm Street", "address"),
        ("the patient in room 12B", "room"),
        ("a 93-year-old with COPD", "age"),
        ("thanks to Mrs. Alvarez's daughter", "name"),
        ("patient Maria Lopez asked about hospice", "name"),
    ],
)
def test_likely_identifiers_are_found(text: str, kind: str) -> None:
    assert kind in {f.kind for f in screen(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Huge thanks to the ICU night team for finishing Essentials!",
        "Team 4 West reached 75% trained",
        "Ana finished Pain assessment and management basics (0.75 CNE)",
        "Goals-of-care conversation practice on Tuesday at 12:00",
        "Oncology Clinic",
        "Patient Experience",
        "Patient Safety and Quality",
        "A 64-year-old with heart failure and worsening breathlessness",
    ],
)
def test_ordinary_team_text_passes(text: str) -> None:
    assert screen(text) == []


@given(st.text(max_size=300))
def test_screen_never_raises_and_names_known_kinds(text: str) -> None:
    assert all(f.kind in KINDS and f.text for f in screen(text))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("the son's email is tj.whitaker@yahoo.com", "email"),
        ("chart: https://ehr.example.net/patient/483920", "url"),
        ("saved as garcia_jose_discharge.pdf", "url"),
        ("lives at 12 Oak Street, Evanston IL 60201", "zip"),
        ("fax the POLST to 847-555-0170", "fax"),
        ("member ID W123456789 for the authorization", "plan_number"),
        ("driver's license D123-4567-8901", "licence_number"),
        ("pacemaker serial PJN123456", "device_number"),
        ("R.T., 81F, COPD", "initials_combo"),
        ("JS 78M w/ CHF", "initials_combo"),
        ("date of death 11/29/2026", "date"),
        ("she turned 97 yesterday", "age"),
        ("Gloria Petrakis passed overnight with her daughters there", "name"),
    ],
)
def test_every_kind_is_found_without_staff_knowledge(text: str, kind: str) -> None:
    assert kind in {f.kind for f in screen(text)}


@pytest.mark.parametrize(
    "text",
    [
        "an 89-year-old with advanced dementia: how would you open the conversation?",
        "The session runs 90 minutes",
        "Complete your bronze pathway by 12/31/2026",
        "Pain score went from 8/10 to 3/10",
        "Our outreach covers 60623 and 60624",
        "Read goals_of_care_guide.pdf before Tuesday",
        "RN and MD pairs practise the SPIKES protocol",
        "Case: 72M with metastatic prostate cancer and back pain",
        "Family Meeting Skills Lab",
        "Meeting ID 934 5671 2345, passcode 4410",
    ],
)
def test_look_alikes_pass_without_staff_knowledge(text: str) -> None:
    assert screen(text) == []


STAFF = Staff(
    Known.of(
        Rules(
            domains=("example.org",),
            places=("Conference Room 3", "4 West"),
            allowed=("Daisy Award", "312-555-0100"),
            patterns=(Pattern("record_number", re.compile(r"\bHX-\d{6}\b")),),
        ),
        titles=("Goals of Care Basics",),
    ),
    Roster.of(
        [("Priya Shah", "priya.shah@example.org"), ("Sam Okafor", "sam.okafor@example.org")],
        ["Home Health"],
    ),
)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks @Priya Shah for covering the family meeting",
        "Thanks Priya Shah for covering the family meeting",
        "Dr. Okafor led the debrief",
        "Priya Shah's daughter brought cupcakes for the unit",
        "Email sam.okafor@example.org about the hospice talk",
        "Debrief in Conference Room 3 after the family meeting",
        "Congrats Sam Okafor on the Daisy Award!",
        "The consult line is 312-555-0100",
        "Home Health finished Goals of Care Basics",
    ],
)
def test_staff_names_places_and_allowed_words_are_ours(text: str) -> None:
    assert screen(text, STAFF) == []


def test_what_only_the_roster_makes_staff_is_flagged_without_it() -> None:
    text = "Thanks Priya Shah for covering the family meeting"
    assert [f.kind for f in screen(text)] == ["name"]
    assert screen(text, STAFF) == []


@pytest.mark.parametrize(
    ("text", "kind", "part"),
    [
        ("Thanks Priya for the family meeting for Lucille Dawson", "name", "Lucille Dawson"),
        ("Priya Okafor's son asked about hospice at home", "name", "Priya Okafor"),
        ("Mrs. Shah wants her advance directive updated", "name", "Mrs. Shah"),
        ("Email the daughter at sam.okafor@gmail.com", "email", "sam.okafor@gmail.com"),
        ("the patient in room 12B asked for the chaplain", "room", "room 12B"),
        ("see HX-123456 for the proxy", "record_number", "HX-123456"),
    ],
)
def test_unknown_people_and_personal_details_are_still_flagged(
    text: str, kind: str, part: str
) -> None:
    assert Finding(kind, part) in screen(text, STAFF)


def test_an_unknown_name_is_flagged_only_next_to_clinical_words() -> None:
    assert screen("Great talk by Lucille Dawson on leadership", STAFF) == []
    assert screen("Lucille Dawson was admitted with sepsis", STAFF) == [
        Finding("name", "Lucille Dawson")
    ]


@given(st.text(max_size=300))
def test_the_staff_aware_screen_never_raises(text: str) -> None:
    assert all(f.kind in KINDS and f.text for f in screen(text, STAFF))


# --- the roster, read once and again when it changes ---------------------------------------


def test_the_roster_is_read_again_only_when_it_changes(chat: FakeChat) -> None:
    now = chat.clock.now
    with Session(chat.bot.engine) as s:
        first = roster_for(s, now())
        assert roster_for(s, now()) is first
        assert "ana ruiz" in first.full_names and "ICU" in first.teams
    # Someone added shows at once.
    chat.person(SAM).says("add priya.shah@example.org, Priya Shah, physician, ICU")
    with Session(chat.bot.engine) as s:
        second = roster_for(s, now())
        assert second is not first and "priya shah" in second.full_names
    # A rename shows once the roster is looked at again (within RECHECK).
    chat.clock.advance(seconds=5)
    chat.person(SAM).says("add priya.shah@example.org, Priya Shah-Lee, physician, ICU")
    with Session(chat.bot.engine) as s:
        assert roster_for(s, now()) is second
    chat.clock.advance(seconds=RECHECK.total_seconds())
    with Session(chat.bot.engine) as s:
        third = roster_for(s, now())
        assert "priya shah-lee" in third.full_names and "priya shah" not in third.full_names
    chat.clock.advance(seconds=RECHECK.total_seconds())
    with Session(chat.bot.engine) as s:
        assert roster_for(s, now()) is third  # nothing changed since: not read again


# --- through the chat ----------------------------------------------------------------------

SAM = "sam.okafor@example.org"  # admin
BEN = "ben.cho@example.org"  # ICU champion
ICU_CHANNEL = ChannelRef("C-ICU", "icu-team")


def _shoutout(chat: FakeChat, words: str) -> str:
    ana = Mention(user_id="U-ana.ruiz@example.org", name="Ana Ruiz", email="ana.ruiz@example.org")
    return chat.person(BEN).says(f"shoutout @Ana Ruiz {words}", mentions=(ana,)).text


def _shoutouts(chat: FakeChat) -> int:
    with Session(chat.bot.engine) as s:
        return len(s.exec(select(AuditEntry).where(AuditEntry.action == "shoutout")).all())


def test_a_shoutout_naming_a_colleague_next_to_clinical_words_is_posted(chat: FakeChat) -> None:
    chat.person(SAM).says("team link #icu-team ICU", channels=(ICU_CHANNEL,))
    chat.posts.clear()
    said = _shoutout(chat, "for covering Carla Diaz's family meeting with a hospice family")
    assert "Shout-out for Ana Ruiz posted" in said
    (post,) = chat.posts
    assert "Carla Diaz's family meeting" in post.message.summary


def test_a_shoutout_naming_an_unknown_person_with_a_diagnosis_is_refused(chat: FakeChat) -> None:
    chat.person(SAM).says("team link #icu-team ICU", channels=(ICU_CHANNEL,))
    chat.posts.clear()
    words = "for sitting with Harold Jennings after his metastatic cancer diagnosis"
    said = _shoutout(chat, words)
    assert "haven't shared that" in said and "a patient's or relative's name" in said
    assert "“Harold Jennings”" in said  # the part that looked like an identifier
    assert words in said  # the text handed back to edit and send again
    assert chat.posts == [] and _shoutouts(chat) == 0  # not posted, not kept
    fixed = _shoutout(chat, "for sitting with a patient after a hard diagnosis")
    assert "Shout-out for Ana Ruiz posted" in fixed and len(chat.posts) == 1


def test_nudges_and_session_titles_are_screened_knowing_the_roster(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    refused = sam.says(
        "nudge schedule custom to team:icu weekdays 08:30 say Remember Agnes Whitcombe's family"
    )
    assert "haven't shared that" in refused and "“Agnes Whitcombe”" in refused
    ok = sam.says(
        "nudge schedule custom to team:icu weekdays 08:30 say Dev Patel leads the opioid huddle"
    )
    assert "haven't shared that" not in ok
    session = sam.says(
        "nudge schedule session to team:icu tomorrow 09:00 session dec 3 12:00 "
        "https://meet.example.org/x Debrief on Mr. Haskins in 12"
    )
    assert "haven't shared that" in session and "“Mr. Haskins”" in session


def test_a_thread_reply_with_an_identifier_gets_a_private_note(chat: FakeChat) -> None:
    assert chat.bot.screen_reply("slack", "U1", "Thanks Ana Ruiz, great family meeting") is None
    note = chat.bot.screen_reply("slack", "U1", "Her daughter's cell is (312) 555-0199")
    assert note is not None and note.kind == "privacy.reply_note"
    assert "can't delete it" in note.summary and "edit it" in note.summary
    assert "“(312) 555-0199”" in note.summary and "a phone number" in note.summary
