"""The coordinators' lists behind the dashboard, in chat: the roster with each person's
progress a page at a time (``roster``), the latest imports with their refused rows
(``import list``), and recent delivery problems (``nudge problems``); each within what
the asker may see."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from bot.models import DeliveryIssue, OutboxMessage, Person
from tests.fakechat import FakeChat
from tests.nudging import ANA, BEN, ELLA, FEMI, HANA, SAM, schedule


def _many(chat: FakeChat, count: int) -> None:
    """``count`` more nurses in ICU, named so they sort after the sample's people."""
    rows = ["email,name,discipline,team,role,pathway"] + [
        f"zz{n:03d}@example.org,Zed {n:03d},nurse,ICU,clinician,essentials" for n in range(count)
    ]
    reply = chat.operator("roster import\n" + "\n".join(rows))
    assert f"{count}** added" in reply.text or f"{count} added" in reply.text, reply.text


def test_the_roster_shows_each_persons_progress(chat: FakeChat) -> None:
    chat.load_sample_roster()
    chat.person(ANA).says("done comm-101")
    reply = chat.person(SAM).says("roster")
    assert reply.kinds == ["roster"]
    assert "Showing 1–12 of 12 people (page 1 of 1)" in reply.text, reply.text
    table = reply.messages[0].blocks[2]
    rows = {row[0]: row for row in table.rows}  # type: ignore[attr-defined]
    assert rows["Ana Ruiz"][1:3] == ("ICU", "nurse")
    assert rows["Ana Ruiz"][3] == "Essentials for every clinician 1/3"
    assert rows["Ana Ruiz"][4:6] == ("0", "1")  # one self-reported, none verified yet
    assert rows["Sam Okafor"][3] == "not enrolled"
    assert [r[0] for r in table.rows] == sorted(rows)  # type: ignore[attr-defined]
    assert not [b for m in reply.messages for b in m.blocks if type(b).__name__ == "Actions"]


def test_the_roster_pages_through_a_large_team(chat: FakeChat) -> None:
    chat.load_sample_roster()
    _many(chat, 56)  # ICU: 4 + 56 = 60 people
    sam = chat.person(SAM)
    first = sam.says("roster team:icu")
    assert "Roster: team ICU" in first.text
    assert "Showing 1–25 of 60 people (page 1 of 3)" in first.text, first.text
    assert first.button("Next page").command == "roster team:icu page 2"
    second = sam.clicks("Next page", first)
    assert "Showing 26–50 of 60 people (page 2 of 3)" in second.text
    assert second.button("Previous page").command == "roster team:icu page 1"
    last = sam.clicks("Next page", second)
    assert "Showing 51–60 of 60 people (page 3 of 3)" in last.text
    assert "Zed 055" in last.text and "Zed 044" not in last.text
    assert [b.label for b in _buttons(last)] == ["Previous page"]
    beyond = sam.says("roster team:icu page 99")  # past the end: the last page
    assert "Showing 51–60 of 60 people (page 3 of 3)" in beyond.text
    everyone = sam.says("roster page 3")
    assert "Showing 51–68 of 68 people (page 3 of 3)" in everyone.text, everyone.text
    nurses = sam.says("roster discipline:nurse")
    assert "of 59 people" in nurses.text, nurses.text  # Ana, Ella, Ivy and the 56


def test_a_champion_sees_their_own_team_only_and_a_clinician_nothing(chat: FakeChat) -> None:
    chat.load_sample_roster()
    ben = chat.person(BEN)
    own = ben.says("roster")
    assert "Roster: team ICU" in own.text and "of 4 people" in own.text, own.text
    assert "Ana Ruiz" in own.text and "Ella Grant" not in own.text
    other = ben.says("roster team:oncology")
    assert "Ella Grant" not in other.text and "your own team" in other.text, other.text
    assert chat.person(ANA).says("roster").kinds == ["needs_role"]
    leader = chat.person(HANA).says("roster team:home-health")
    assert "Roster: team Home Health" in leader.text and "of 3 people" in leader.text, leader.text
    assert chat.person(SAM).says(f"roster {ELLA}").kinds == ["roster_page.usage"]


def test_import_list_shows_the_latest_imports_with_their_refused_rows(
    chat: FakeChat, tmp_path: Path
) -> None:
    chat.load_sample_roster()
    export = tmp_path / "completions-november.csv"
    export.write_text(
        "email,course,completed_at\n"
        f"{ANA},comm-101,2026-11-20\n"
        "nobody@example.org,comm-101,2026-11-20\n"
        f"{ELLA},no-such-course,2026-11-20\n"
    )
    sam = chat.person(SAM)
    assert "refused" in sam.sends_file(export).text
    listed = sam.says("import list")
    assert listed.kinds == ["import.list"]
    assert "Showing the latest 1 of 1" in listed.text, listed.text
    (row,) = listed.messages[0].blocks[2].rows  # type: ignore[attr-defined]
    assert row[0] == "#1" and row[3] == "completions-november.csv" and row[4] == "sam.okafor"
    assert row[5:] == ("done", "3", "1", "2"), row
    tap = listed.button("Refused rows of #1")
    assert tap.command == "import errors 1"
    again = sam.clicks("Refused rows of #1", listed)
    assert again.kinds == ["import.errors_again"]
    # A champion sees only their own imports; a clinician none.
    assert chat.person(FEMI).says("import list").kinds == ["import.list_none"]
    assert chat.person(FEMI).says("import errors 1").kinds == ["import.no_such_run"]
    assert chat.person(ANA).says("import list").kinds == ["needs_role"]


def test_nudge_problems_lists_failures_within_the_askers_reach(chat: FakeChat) -> None:
    chat.load_sample_roster()
    assert chat.person(SAM).says("nudge problems").kinds == ["nudge.problems_none"]
    icu = schedule(chat, "next-course to team:icu every monday 09:00", who=BEN)
    onc = schedule(chat, "next-course to team:oncology-clinic every monday 09:00", who=FEMI)
    now = chat.clock.now()
    with Session(chat.bot.engine) as s:
        ids = {p.email: p.id for p in s.exec(select(Person))}
        for n, (sid, who, error) in enumerate(
            [
                (icu, ANA, "the person has left the workspace"),
                (icu, BEN, "the person has left the workspace"),
                (onc, ELLA, "HTTP 500 six times"),
                (icu, ANA, "sent long ago"),
            ]
        ):
            at = now - timedelta(hours=n + 1, days=40 if error == "sent long ago" else 0)
            s.add(
                OutboxMessage(
                    dedupe_key=f"problem-{n}",
                    kind="next_course",
                    schedule_id=sid,
                    person_id=ids[who],
                    platform="slack",
                    target=f"D-{n}",
                    message="{}",
                    status="failed",
                    last_error=error,
                    due_at=at,
                    next_attempt_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
        for who, error in ((ANA, "account_inactive"), (ELLA, "blocked")):
            s.add(
                DeliveryIssue(
                    at=now - timedelta(hours=2),
                    platform="slack",
                    target=f"U-{who}",
                    person_id=ids[who],
                    error=error,
                )
            )
        s.commit()
    admin = chat.person(SAM).says("nudge problems")
    assert admin.kinds == ["nudge.problems"]
    assert "Messages that could not be sent: 3." in admin.text, admin.text
    failed, refused = [b for b in admin.messages[0].blocks if type(b).__name__ == "Table"]
    assert [r[:3] for r in failed.rows] == [  # type: ignore[attr-defined]
        (f"#{icu}", "the person has left the workspace", "2"),
        (f"#{onc}", "HTTP 500 six times", "1"),
    ]
    assert "Refused by the platform: 2." in admin.text
    assert sorted(r[2] for r in refused.rows) == ["Ana Ruiz", "Ella Grant"]  # type: ignore[attr-defined]
    assert "the account has been deactivated" in admin.text
    champion = chat.person(BEN).says("nudge problems")
    assert "Messages that could not be sent: 2." in champion.text, champion.text
    assert "HTTP 500" not in champion.text and "Ella Grant" not in champion.text
    assert "Refused by the platform: 1." in champion.text and "Ana Ruiz" in champion.text
    assert chat.person(ANA).says("nudge problems").kinds == ["needs_role"]
    listed = chat.person(BEN).says("nudge list")
    assert listed.button(f"History #{icu}").command == f"nudge history {icu}"
    history = chat.person(BEN).clicks(f"History #{icu}", listed)
    assert "failed **3**" in history.text or "failed 3" in history.text, history.text


def _buttons(reply: object) -> list[object]:
    return [
        b
        for m in reply.messages  # type: ignore[attr-defined]
        for block in m.blocks
        if type(block).__name__ == "Actions"
        for b in block.buttons
    ]
