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
