"""The terminal chat as a person uses it: numbered buttons, and @name read as a mention
(first name, full name or email from the roster; a choice when several people match),
so a champion's shout-out works there as it does in Slack and Teams."""

from __future__ import annotations

from adapters.console import ConsoleChat
from bot.core import Bot
from tests.fakechat import FakeChat

BEN = "ben.cho@example.org"  # the ICU champion


def _console(chat: FakeChat, email: str) -> ConsoleChat:
    return ConsoleChat(chat.bot, email, color=False)


def _shoutout_posts(bot: Bot) -> list[str]:
    from sqlmodel import Session, select

    from bot.models import AuditEntry

    with Session(bot.engine) as s:
        return [e.target for e in s.exec(select(AuditEntry).where(AuditEntry.action == "shoutout"))]


def test_a_shoutout_in_the_terminal_mentions_by_first_name_full_name_or_email(
    chat: FakeChat,
) -> None:
    ben = _console(chat, BEN)
    for said in ("@Ana", "@ana ruiz", "@ana.ruiz@example.org"):
        shown = ben.answer(f"shoutout {said} for finishing Essentials!")
        assert "Posted for the whole team to see:" in shown, shown
        assert "@Ana Ruiz: for finishing Essentials! (from Ben Cho)" in shown, shown
    assert _shoutout_posts(chat.bot) == ["ana.ruiz@example.org"] * 3


def test_the_helps_own_shoutout_example_works_in_the_terminal(chat: FakeChat) -> None:
    ben = _console(chat, BEN)
    shown = ben.answer("shoutout @Carla, for leading Tuesday's huddle")
    assert "@Carla Diaz: for leading Tuesday's huddle (from Ben Cho)" in shown, shown


def test_an_at_name_that_matches_several_people_asks_which(chat: FakeChat) -> None:
    chat.person("sam.okafor@example.org").says("add ana.lopez@example.org, Ana Lopez, nurse, ICU")
    ben = _console(chat, BEN)
    asked = ben.answer("shoutout @Ana for the family meeting")
    assert "Several people could be @Ana" in asked
    assert "[1] Ana Lopez (ana.lopez@example.org, ICU)" in asked
    assert "[2] Ana Ruiz (ana.ruiz@example.org, ICU)" in asked
    assert _shoutout_posts(chat.bot) == []
    shown = ben.answer("1")
    assert "@Ana Lopez: for the family meeting (from Ben Cho)" in shown, shown
    assert _shoutout_posts(chat.bot) == ["ana.lopez@example.org"]
    # Anything but a number starts again; nothing is sent.
    assert "Several people" in ben.answer("shoutout @Ana for the family meeting")
    assert "Posted" not in ben.answer("never mind")
    assert _shoutout_posts(chat.bot) == ["ana.lopez@example.org"]


def test_an_unknown_at_name_is_left_as_typed(chat: FakeChat) -> None:
    ben = _console(chat, BEN)
    shown = ben.answer("shoutout @Zed for everything")
    assert "Posted" not in shown
    assert _shoutout_posts(chat.bot) == []


EXPORT = (
    "email,course,completed_at\n"
    "ana.ruiz@example.org,comm-101,2026-11-20\n"
    "nobody@example.org,comm-101,2026-11-20\n"
)
SAM = "sam.okafor@example.org"  # an admin


def test_a_file_sent_in_the_terminal_is_imported_and_its_refused_rows_saved_beside_it(
    chat: FakeChat,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    folder = tmp_path / "my exports"
    folder.mkdir()
    export = folder / "completion-comm101.csv"
    export.write_text(EXPORT)
    sam = _console(chat, SAM)
    shown = sam.answer(f"/file '{export}' profile plain")
    assert "Importing 2 rows from completion-comm101.csv (plain layout" in shown, shown
    assert "1 new completions" in shown and "1 rows were refused" in shown
    saved = folder / "completion-comm101-refused-rows.csv"
    assert f"[file: completion-comm101-refused-rows.csv, {saved.stat().st_size} bytes]" in shown
    assert f"Saved to {saved}" in shown
    assert saved.read_text().splitlines() == [
        "line,row,reason",
        '3,"nobody@example.org,comm-101,2026-11-20",nobody@example.org is not on the roster',
    ]
    assert export.read_text() == EXPORT  # the person's own file is left as it was
    # Fetched again later: saved in the current folder, beside nothing it would overwrite.
    monkeypatch.chdir(folder)
    again = sam.answer("import errors 1")
    assert f"Saved to {folder / 'completion-comm101-refused-rows-2.csv'}" in again, again


def test_file_in_the_terminal_explains_itself_and_checks_the_path(
    chat: FakeChat,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    sam = _console(chat, SAM)
    assert "Type /file and the path of a file" in sam.answer("/file")
    assert f"There is no file at {tmp_path / 'nope.csv'}" in sam.answer(
        f"/file {tmp_path}/nope.csv"
    )
    assert "/file" in sam.answer("help")  # help says how to send a file here
    assert "/file" not in _console(chat, "ana.ruiz@example.org").answer("help")


def test_a_roster_file_in_the_terminal_and_a_clinicians_file(
    chat: FakeChat,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,discipline,team,role,pathway\n"
        "zed.new@example.org,Zed New,nurse,ICU,clinician,essentials\n"
    )
    shown = _console(chat, SAM).answer(f"/file {roster}")
    assert "Importing the roster in roster.csv" in shown and "Roster imported: 1 added" in shown
    refused = _console(chat, "ana.ruiz@example.org").answer(f"/file {roster}")
    assert "That needs the champion role" in refused
