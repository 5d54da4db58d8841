"""The language of scheduled messages, on its own: what `nudge schedule ...` reads into a
plan, and the answer for each part that is wrong. The chat, the forms and the CLI all
go through it (the form fills in the same words; `huddle nudge` parses them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from bot import schedule_language as language
from bot.clock import FrozenClock
from bot.context import Actor, Ctx, Refused
from bot.core import Bot
from bot.templates import Templates
from tests.fakechat import FakeChat
from tests.test_cli import huddle


@pytest.fixture
def ctx(chat: FakeChat, clock: FrozenClock) -> Iterator[Ctx]:
    bot: Bot = chat.bot
    with Session(bot.engine) as session:
        yield Ctx(
            session=session,
            content=bot.content,
            clock=clock,
            templates=Templates(bot.content.templates),
            actor=Actor(label="test", roles=frozenset({"admin"})),
        )


def _read_all(ctx: Ctx, words: str) -> None:
    plan = language.read(ctx, words)
    language.check_when(ctx, plan.when, plan.kind)
    language.read_params(ctx, plan)


def _refusal(ctx: Ctx, words: str) -> str:
    with pytest.raises(Refused) as caught:
        _read_all(ctx, words)
    return caught.value.message.summary


@pytest.mark.parametrize(
    ("words", "kind", "audience", "when", "zone"),
    [
        (
            "next-course to team:icu every monday 09:00",
            "next_course",
            "team:icu",
            "every monday 09:00",
            "",
        ),
        ("reminder team:icu weekdays 8:30am", "next_course", "team:icu", "weekdays 8:30am", ""),
        ("setup to not started weekdays 08:30", "setup", "not started", "weekdays 08:30", ""),
        ("case to channels 1 day before meeting", "case", "channels", "1 day before meeting", ""),
        (
            "custom to everyone every friday 16:00 in Europe/London say Have a rest",
            "custom",
            "everyone",
            "every friday 16:00",
            "Europe/London",
        ),
        (
            "digest to champions 0 9 * * 1 org time",
            "digest",
            "champions",
            "0 9 * * 1",
            "America/Chicago",
        ),
    ],
)
def test_a_line_reads_into_kind_audience_when_and_zone(
    ctx: Ctx, words: str, kind: str, audience: str, when: str, zone: str
) -> None:
    plan = language.read(ctx, words)
    assert (plan.kind, plan.audience.text, plan.when, plan.timezone) == (kind, audience, when, zone)


def test_a_message_and_a_session_are_read_and_checked(ctx: Ctx) -> None:
    plan = language.read(ctx, "custom to everyone weekdays 08:30 say The new pain guide is out")
    assert language.read_params(ctx, plan) == {"text": "The new pain guide is out"}
    plan = language.read(
        ctx,
        "session to team:icu tomorrow 09:00 session next friday 12:00 "
        "https://meet.example.org/x Goals-of-care practice",
    )
    assert language.check_when(ctx, plan.when, plan.kind) == "2026-11-24 09:00 once"
    assert language.read_params(ctx, plan) == {
        "at": "2026-11-27T12:00",
        "link": "https://meet.example.org/x",
        "title": "Goals-of-care practice",
    }


def test_anyway_is_read_first_and_kept_apart() -> None:
    assert language.insisted("anyway next-course to everyone daily 9am") == (
        "next-course to everyone daily 9am",
        True,
    )
    assert language.insisted("next-course to everyone daily 9am") == (
        "next-course to everyone daily 9am",
        False,
    )
    assert language.insisted("anyway") == ("", True)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("newsletter to everyone every monday 09:00", "isn't a kind of message I can schedule"),
        ("next-course to bar every monday 09:00", 'I can\'t read the audience "bar"'),
        ("next-course to team:nowhere every monday 09:00", 'There\'s no team "nowhere"'),
        ("next-course to everyone whenever", "as a time to send"),
        ("next-course to everyone every monday 25:00", "needs a time of day that exists"),
        ("next-course to everyone 0 9 31 2 *", "never happens"),
        ("setup to everyone 2 hours before meeting", "Only case-discussion prompts"),
        ("custom to everyone weekdays 08:30", "Add the message after say"),
        ("custom to everyone weekdays 08:30 say Bed 4, MRN 12345678", "patient"),
        ("session to team:icu tomorrow 09:00 session soon", "Describe the session after session"),
    ],
)
def test_each_wrong_part_is_named(ctx: Ctx, words: str, says: str) -> None:
    assert says in _refusal(ctx, words)


def test_the_cli_schedules_in_the_same_words(tmp_path: Path) -> None:
    assert huddle("chat", cwd=tmp_path).returncode == 0  # the sample roster, as a newcomer has it
    ok = huddle(
        "nudge",
        "schedule",
        "next-course",
        "to",
        "team:icu",
        "every",
        "monday",
        "09:00",
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr + ok.stdout
    assert "Scheduled #2: next-course reminder to team:icu, every monday 09:00" in ok.stdout
    bad = huddle(
        "nudge", "schedule", "next-course", "to", "bar", "every", "monday", "09:00", cwd=tmp_path
    )
    assert bad.returncode == 1 and 'I can\'t read the audience "bar"' in bad.stdout
    listed = huddle("nudge", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "champion's digest" in listed.stdout
