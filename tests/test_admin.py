"""Admins and champions managing the initiative from chat, and the audit trail."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import AuditEntry, Enrolment, Person, PersonRole, Team
from bot.store import person_by_email
from tests.fakechat import FakeChat

SAM = "sam.okafor@example.org"  # admin
BEN = "ben.cho@example.org"  # ICU champion
ANA = "ana.ruiz@example.org"  # ICU nurse, clinician
ELLA = "ella.grant@example.org"  # Oncology nurse


def _audit(chat: FakeChat) -> list[AuditEntry]:
    with Session(chat.bot.engine) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)))  # type: ignore[arg-type]


def _count(chat: FakeChat, model: type) -> int:
    with Session(chat.bot.engine) as s:
        return len(s.exec(select(model)).all())


def test_a_clinician_is_refused_admin_actions_and_nothing_changes(chat: FakeChat) -> None:
    ana = chat.person(ANA)
    before = (
        _count(chat, Enrolment),
        _count(chat, PersonRole),
        _count(chat, Team),
        len(_audit(chat)),
    )
    for words in (
        "grant ana.ruiz@example.org admin",
        "enrol team:icu in bedside-care",
        "team add Night Shift",
        "roster import\nemail,name,discipline,team\nx@example.org,X,nurse,ICU",
        "audit",
        "report",
        "record ella.grant@example.org pain-101",
        "revoke sam.okafor@example.org admin",
    ):
        reply = ana.says(words)
        assert "needs the" in reply and "haven't changed anything" in reply, words
    after = (
        _count(chat, Enrolment),
        _count(chat, PersonRole),
        _count(chat, Team),
        len(_audit(chat)),
    )
    assert after == before


def test_admin_adds_a_team_enrols_it_and_it_is_audited(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    assert "Team Palliative Care added (key palliative-care)" in sam.says(
        "team add Palliative Care"
    )
    assert "already a team" in sam.says("add team palliative care")
    reply = sam.says("enrol team:icu in bedside care due 2027-03-01")
    # Ana is the ICU nurse; the ICU physician, pharmacist and social worker are skipped.
    assert (
        "Enrolled 1 (team ICU) in Bedside symptom and family care, due by Mon 1 Mar 2027" in reply
    )
    assert "Skipped because the pathway isn't for their discipline: 3" in reply
    again = sam.says("enrol team:icu in bedside care")
    assert "Enrolled 0" in again and "Already enrolled: 1" in again
    actions = [(a.actor, a.action) for a in _audit(chat)]
    assert (SAM, "team.add") in actions and actions.count((SAM, "enrol")) == 2
    ana = chat.person(ANA).says("progress")
    assert "Bedside symptom and family care" in ana and "Due" not in ana


def test_enrol_a_discipline_and_one_person(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    reply = sam.says("enrol discipline:nurse in bedside-care")
    assert "Enrolled 2 (nurses)" in reply and "Already enrolled: 1" in reply  # Ivy was already
    assert "Enrolled 1 (Dev Patel)" in sam.says("enrol dev.patel@example.org in essentials")
    refused = sam.says("enrol gus.lind@example.org in prescriber-symptoms")
    assert "isn't meant for a chaplain" in refused


def test_enrol_input_errors_show_a_correct_example(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    assert "couldn't find a team" in sam.says("enrol team:narnia in essentials")
    assert "couldn't find a pathway" in sam.says("enrol team:icu in basket weaving")
    assert "enrol team:icu in essentials due mar 1" in sam.says(
        "enrol team:icu in essentials due someday"
    )
    assert "nobody@example.org" in sam.says("enrol nobody@example.org in essentials")


def test_champion_acts_for_own_team_only(chat: FakeChat) -> None:
    ben = chat.person(BEN)
    ok = ben.says("enrol discipline:nurse in bedside-care")
    assert "Enrolled 1 (team ICU, nurses)" in ok  # only ICU's nurse, not every nurse
    refused = ben.says("enrol team:oncology-clinic in essentials")
    assert "your own team, ICU, only" in refused
    refused = ben.says(f"record {ELLA} pain-101")
    assert "your own team, ICU, only" in refused
    recorded = ben.says(f"record {ANA} pain basics")
    assert "Recorded Pain assessment and management basics for Ana Ruiz (verified)" in recorded
    assert "needs the admin role" in ben.says("grant ana.ruiz@example.org champion")
    report = ben.says("report")
    assert "Where team ICU stands" in report and "Ana Ruiz" in report and "Ella" not in report
    added = ben.says("add nia.lee@example.org, Nia Lee, RN, ICU")
    assert "Added Nia Lee (nia.lee@example.org), nurse in ICU" in added
    assert "your own team" in ben.says("add zed@example.org, Zed Z, RN, Oncology Clinic")
    actions = [(a.actor, a.action) for a in _audit(chat)]
    assert (BEN, "enrol") in actions and (BEN, "completion.record") in actions
    assert (BEN, "person.add") in actions


def test_grant_and_revoke_roles(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    assert "Ana Ruiz now has the champion role" in sam.says("grant ana.ruiz@example.org champion")
    assert "already has the champion role" in sam.says("grant ana.ruiz@example.org champion")
    assert "For champions" in chat.person(ANA).says("help")
    assert "isn't a role" in sam.says("grant ana.ruiz@example.org wizard")
    assert "nobody with the email" in sam.says("grant who@example.org admin")
    assert "no longer has the champion role" in sam.says("revoke ana.ruiz@example.org champion")
    assert "doesn't have the champion role" in sam.says("revoke ana.ruiz@example.org champion")
    # The last admin cannot remove themselves from chat.
    assert "last admin" in sam.says("revoke sam.okafor@example.org admin")
    sam.says("grant ben.cho@example.org senior leader")
    with Session(chat.bot.engine) as s:
        ben = person_by_email(s, BEN)
        roles = set(s.exec(select(PersonRole.role).where(PersonRole.person_id == ben.id)))
    assert roles == {"champion", "senior_leader"}
    assert [a.action for a in _audit(chat)][-3:] == ["role.grant", "role.revoke", "role.grant"]


def test_report_for_everyone_counts_by_team(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    ana = chat.person(ANA)
    for course in ("comm-101", "goals-101", "pain-101"):
        ana.says(f"done {course}")
    chat.person(ELLA).says("done comm-101")
    report = sam.says("report")
    assert "12 people, 11 enrolled, 2 started, 1 finished a pathway" in report
    assert "ICU" in report and "Oncology Clinic" in report
    team = sam.says("report team:icu")
    assert "Ana Ruiz" in team and "3/3" in team
    leader = chat.person("hana.ito@example.org").says("report")  # senior leader sees all
    assert "12 people" in leader


def test_audit_lists_latest_actions(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    sam.says("team add Night Float")
    reply = sam.says("audit 5")
    assert "team.add" in reply and "night-float" in reply
    assert "roster.import" in reply and "cli:tester" in reply


def test_unenrol_keeps_completions(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    chat.person(ANA).says("done comm-101")
    assert "no longer enrolled" in sam.says("unenrol ana.ruiz@example.org from essentials")
    assert "isn't enrolled" in sam.says("unenrol ana.ruiz@example.org from essentials")
    assert "not in a pathway yet" in chat.person(ANA).says("next")
    chat.person(ANA).says("join essentials")
    assert "1/3" in chat.person(ANA).says("progress")


def test_admin_adds_an_unknown_person_who_can_then_talk(chat: FakeChat) -> None:
    stranger = chat.person("new.doc@example.org")
    assert "don't have you on the roster" in stranger.says("next")
    sam = chat.person(SAM)
    assert "Added New Doc" in sam.says("add new.doc@example.org, New Doc, MD, ICU")
    sam.says("enrol new.doc@example.org in essentials")
    assert "Next up" in stranger.says("next")
    with Session(chat.bot.engine) as s:
        assert person_by_email(s, "new.doc@example.org").discipline == "physician"
        assert s.exec(select(Person).where(Person.email == "new.doc@example.org")).one()


def test_a_team_name_with_patient_details_is_not_shared(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    reply = sam.says("team add Mr Jones room 12")
    assert "haven't shared that" in reply
    assert "a patient's or relative's name" in reply and "a room or bed number" in reply
    assert "Mr Jones room 12" in reply  # echoed back privately, nothing lost
    with Session(chat.bot.engine) as s:
        assert not s.exec(select(Team).where(Team.name.contains("Jones"))).all()  # type: ignore[attr-defined]


def test_audit_is_readable_paged_and_in_the_askers_time_zone(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    assert "Europe/London" in sam.says("timezone Europe/London")
    for n in range(55):
        sam.says(f"team add Ward {n}")
    sam.says("enrol team:icu in essentials due mar 1")
    page = sam.says("audit 60")
    assert "Admin actions, latest first (1-25)" in page and "Times are in Europe/London." in page
    # 15:00 UTC is 15:00 in London in November (the organisation's zone is Chicago, 09:00).
    assert "Mon 23 Nov 15:00" in page and "09:00" not in page
    assert "{" not in page.text and '"' not in page.text  # no raw JSON
    assert "added: 1; already: 3" in page  # the enrolment's detail, in words
    second = sam.clicks("Next 25")
    assert "Admin actions, latest first (26-50)" in second
    third = sam.clicks("Next 10")
    assert "Admin actions, latest first (51-57)" in third
    assert [b.label for b in third.buttons] == []
