"""Verification: a self-report stays self-reported until a champion, an admin or the
learning site's records verify it; champions verify their team's list in one tap; the
person sees what is unverified and why it matters; reports show the two apart."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from bot.models import AuditEntry, Completion, CompletionSource
from tests.fakechat import FakeChat
from tests.nudging import ANA, BEN, CARLA, ELLA, FEMI, SAM, join


def _verified(chat: FakeChat) -> dict[str, bool]:
    with Session(chat.bot.engine) as s:
        return {
            c.course_id + "/" + str(c.person_id): c.verified for c in s.exec(select(Completion))
        }


def _audit(chat: FakeChat, action: str) -> list[AuditEntry]:
    with Session(chat.bot.engine) as s:
        return list(s.exec(select(AuditEntry).where(col(AuditEntry.action) == action)))


def test_a_person_sees_what_is_unverified_and_why_it_matters(chat: FakeChat) -> None:
    ana = join(chat, ANA)
    ana.says("done comm-101")
    ana.says("done pain-101")
    progress = ana.says("progress")
    assert "Self-reported, not yet verified (2):" in progress, progress.text
    assert "Talking about serious illness: the first conversation" in progress.text
    assert "contests may count verified completions only" in progress.text
    chat.person(BEN).says(f"verify {ANA} comm-101")
    progress = ana.says("progress")
    assert "not yet verified (1): Pain assessment and management basics" in progress.text


def test_a_champion_verifies_the_team_list_in_one_tap_and_nothing_reported_later(
    chat: FakeChat,
) -> None:
    for email in (ANA, CARLA, ELLA):
        join(chat, email)
    chat.person(ANA).says("done comm-101")
    chat.person(CARLA).says("done comm-101")
    chat.person(ELLA).says("done comm-101")  # Oncology: not Ben's to verify
    ben = chat.person(BEN)
    listed = ben.says("verify")
    assert "2 completions in team ICU are self-reported" in listed, listed.text
    assert "Ana Ruiz" in listed.text and "Carla Diaz" in listed.text
    assert "Ella Grant" not in listed.text
    chat.clock.advance(minutes=5)
    chat.person(ANA).says("done pain-101")  # after the list was shown
    done = ben.clicks("Verify these 2")
    assert "Verified 2 completions in team ICU" in done, done.text
    assert "Still waiting for a word: 1" in done.text
    with Session(chat.bot.engine) as s:
        waiting = [
            c.course_id
            for c in s.exec(select(Completion).where(col(Completion.verified).is_(False)))
        ]
        assert sorted(waiting) == ["comm-101", "pain-101"]  # Ella's, and Ana's newer one
        sources = list(s.exec(select(CompletionSource)))
        assert {x.kind for x in sources} == {"champion"} and len(sources) == 2
    (entry,) = _audit(chat, "completion.verify_batch")
    assert BEN in entry.actor
    assert json.loads(entry.detail)["count"] == 2
    # The same button again verifies nothing more.
    again = ben.clicks("Verify these 2", on=listed)
    assert "Those were verified already; nothing changed." in again, again.text
    assert "Still waiting for a word: 1" in again.text


def test_one_at_a_time_only_for_your_own_team_and_only_what_was_reported(chat: FakeChat) -> None:
    join(chat, ELLA)
    chat.person(ELLA).says("done comm-101")
    ben = chat.person(BEN)
    reply = ben.says(f"verify {ELLA} comm-101")
    assert "for your own team, ICU, only. Nothing was changed." in reply, reply.text
    assert not any(_verified(chat).values())
    femi = chat.person(FEMI)  # Oncology's champion
    assert "now verified, on your word" in femi.says(f"verify {ELLA} comm-101")
    assert "already finished" in femi.says(f"verify {ELLA} comm-101")
    assert "hasn't reported finishing" in femi.says(f"verify {ELLA} pain-101")
    assert len(_audit(chat, "completion.verify")) == 1
    # A clinician cannot verify at all.
    reply = chat.person(CARLA).says(f"verify {ELLA} comm-101")
    assert "That needs the champion role" in reply, reply.text


def test_an_admin_verifies_anyone_and_reports_show_verified_and_self_reported(
    chat: FakeChat,
) -> None:
    for email in (ANA, CARLA, ELLA):
        join(chat, email)
    for email in (ANA, CARLA, ELLA):
        chat.person(email).says("done comm-101")
    sam = chat.person(SAM)
    report = sam.says("report")
    assert "Courses finished: 0 verified, 3 self-reported" in report, report.text
    assert "Courses verified" in report.text and "Self-reported" in report.text
    listed = sam.says("verify")
    assert "3 completions in everyone are self-reported" in listed, listed.text
    sam.clicks("Verify these 3")
    report = sam.says("report")
    assert "Courses finished: 3 verified, 0 self-reported" in report, report.text
    people = sam.says("report team:icu")
    assert "Self-reported" in people.text
    assert "Nothing to verify" in sam.says("verify")
