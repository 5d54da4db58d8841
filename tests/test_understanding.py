"""Understanding clinicians as they write: the phrasing corpus (tests/phrasings.yaml).

Every line is judged by what the bot would do with it, exactly as a chat message:
the exact grammar first, then the intent matcher. A line is right when the bot acts
on (or asks to confirm, or offers first) the intent it was written for; a line under
``none`` is right when the bot takes it for nothing confidently. Nothing may be
written on a guess: whatever the matcher runs by itself must only answer.

The corpus was written apart from content/intents.yaml (no line is copied from
there; a test checks it), so the score says how the matching generalises.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import Session

from bot import commands as c
from bot import guessing, parser
from bot.context import Actor, Ctx
from bot.messages import Message
from bot.store import person_by_email, roles_of
from tests.fakechat import FakeChat

CORPUS = yaml.safe_load((Path(__file__).parent / "phrasings.yaml").read_text())
#: Lines for these are asked by an admin (they are admin and champion commands).
ADMIN_INTENTS = {"report", "teams", "audit", "nudge_list", "nudge_new"}
ANA, SAM = "ana.ruiz@example.org", "sam.okafor@example.org"
TARGET = 0.95


def _ctx(chat: FakeChat, session: Session, email: str) -> Ctx:
    person = person_by_email(session, email)
    assert person is not None
    actor = Actor(label=email, roles=roles_of(session, person.id or 0), person=person)
    bot = chat.bot
    return Ctx(session, bot.content, bot.clock, bot.templates, actor)


def _command_of(words: str) -> type[c.Command]:
    return type(parser.parse(words))


def _judge(ctx: Ctx, line: str, expected: set[type[c.Command]]) -> tuple[bool, str]:
    """(right, what the bot did); asserts nothing is written on a guess."""
    command = parser.parse(line)
    if not isinstance(command, c.Unknown):
        return type(command) in expected, f"grammar: {type(command).__name__}"
    result: Any = guessing.understand(ctx, command)
    if isinstance(result, c.Command):
        assert result.only_answers, f"{line!r} would write without a tap: {result}"
        return type(result) in expected, f"ran {type(result).__name__}"
    (message,) = result
    assert isinstance(message, Message)
    buttons = message.buttons
    if message.kind in ("guess.confirm", "date.which"):
        return _command_of(buttons[0].command) in expected, f"asked {buttons[0].command!r}"
    if message.kind == "guess.did_you_mean":
        offered = [b.command for b in buttons]
        # "Did you mean" takes nothing on itself: right for chit-chat, and right for an
        # intent when it is one of the two or three offers (one tap away).
        hit = any(_command_of(words) in expected for words in offered)
        return not expected or hit, f"offered {offered}"
    return not expected, message.kind


def _expected(chat: FakeChat, intent_id: str) -> set[type[c.Command]]:
    """The commands an intent stands for: with its values, and without them."""
    if intent_id == "none":
        return set()
    (intent,) = [i for i in chat.bot.content.intents.intents if i.id == intent_id]
    samples = {"date": "friday", "course": "comm-101", "pathway": "essentials"}
    samples |= {"zone": "Europe/London", "hours": "21:00-07:00"}
    says = intent.says.format(**samples)
    return {_command_of(says)} | ({_command_of(intent.without)} if intent.without else set())


def test_the_corpus_is_written_apart_from_the_examples(chat: FakeChat) -> None:
    examples = {
        " ".join(e.lower().split()) for i in chat.bot.content.intents.intents for e in i.examples
    }
    lines = [str(line) for lines in CORPUS.values() for line in lines]
    assert [line for line in lines if " ".join(line.lower().split()) in examples] == []
    assert sum(len(v) for k, v in CORPUS.items() if k != "none") >= 400
    assert len(CORPUS["none"]) >= 100
    known = {i.id for i in chat.bot.content.intents.intents}
    assert set(CORPUS) - {"none"} == known  # every intent has lines, and only those


@pytest.mark.parametrize("part", ["intents", "none"])
def test_at_least_95_percent_right_and_no_write_without_a_tap(
    chat: FakeChat, part: str, capsys: pytest.CaptureFixture[str]
) -> None:
    right, misses, how = 0, [], Counter[str]()
    total = 0
    with Session(chat.bot.engine) as session:
        ana, sam = _ctx(chat, session, ANA), _ctx(chat, session, SAM)
        for intent_id, lines in CORPUS.items():
            if (intent_id == "none") != (part == "none"):
                continue
            expected = _expected(chat, intent_id)
            ctx = sam if intent_id in ADMIN_INTENTS else ana
            for line in lines:
                total += 1
                ok, did = _judge(ctx, str(line), expected)
                how[did.split(" ")[0]] += 1
                if ok:
                    right += 1
                else:
                    misses.append(f"{intent_id}: {line!r} -> {did}")
    share = right / total
    with capsys.disabled():
        print(f"\n{part}: {right}/{total} right ({share:.1%}); {dict(how)}")
        for miss in misses:
            print("  miss:", miss)
    assert share >= TARGET, "\n".join(misses)
