"""Help lists every command a role may use, with placeholders that read as placeholders.

The test walks the handler table: every command class that a role may run must be
reached by one of the words-to-type (code spans) in that role's help, once its
``<placeholders>`` are filled in, and every one of those words must parse into a
command the role may run. Adding a command without its line in the help fails here.
"""

from __future__ import annotations

import re

import pytest

from bot import commands as c
from bot import markup
from bot.handlers import HANDLERS
from bot.parser import parse
from tests.fakechat import FakeChat
from tests.nudging import ANA, BEN, SAM

HANA = "hana.ito@example.org"  # a senior leader

#: A sample value for each placeholder the help uses.
SAMPLES = {
    "pathway": "essentials",
    "course": "comm-101",
    "session number": "1",
    "date": "friday",
    "zone": "Europe/London",
    "who": "team:icu",
    "email": "ana.ruiz@example.org",
    "name": "Ana Ruiz",
    "discipline": "nurse",
    "team": "ICU",
    "someone": "Ana",
    "why": "for finishing the course",
    "day": "tuesday",
    "time": "12:00",
    "kind": "next-course",
    "audience": "team:icu",
    "when": "every monday 09:00",
    "number": "1",
    "key": "icu",
    "channel": "icu",
    "role": "champion",
    "handle": "Night Owl",
    "teams": "oncology clinic, home health",
    "metric": "active",
    "prize": "a team breakfast",
    "measure": "hospice-referral",
    "topic": "symptom-management",
}
PLACEHOLDER = re.compile(r"<([a-z][a-z ]*)>")
#: Not something to teach: what the parser answers when nothing matches; and a file sent
#: to the bot, which is no words to type (the help says to send one, checked below).
#: Not typed: a file sent, and the words behind a survey's buttons (a tap per question).
NOT_A_COMMAND = {c.Unknown, c.ImportFile, c.SurveyAnswer, c.SurveySkip, c.SurveyQuestion}

ROLE_NEEDS = {
    ANA: {"anyone"},
    HANA: {"anyone", "reporter"},
    BEN: {"anyone", "reporter", "champion"},
    SAM: {"anyone", "reporter", "champion", "admin"},
}


def _words_to_type(chat: FakeChat, email: str) -> list[str]:
    reply = chat.person(email).says("help")
    spans = [
        span.text
        for message in reply.messages
        for block in message.blocks
        if hasattr(block, "markdown")
        for line in markup.parse(block.markdown)  # type: ignore[attr-defined]
        for span in line.spans
        if span.code
    ]
    assert spans, reply.text
    return spans


def _filled(words: str) -> str:
    def sample(match: re.Match[str]) -> str:
        assert match.group(1) in SAMPLES, f"no sample for {match.group(0)} in {words!r}"
        return SAMPLES[match.group(1)]

    return PLACEHOLDER.sub(sample, words)


@pytest.mark.parametrize("email", list(ROLE_NEEDS))
def test_help_shows_every_command_the_role_may_use_and_nothing_else(
    chat: FakeChat, email: str
) -> None:
    needs = ROLE_NEEDS[email]
    expected = {cls for cls in HANDLERS if cls.needs in needs} - NOT_A_COMMAND
    reached: set[type[c.Command]] = set()
    for words in _words_to_type(chat, email):
        command = parse(_filled(words))
        assert type(command) is not c.Unknown, words
        assert command.needs in needs, (words, "is in the help of someone who may not use it")
        reached.add(type(command))
    missing = sorted(cls.__name__ for cls in expected - reached)
    assert missing == [], f"not in the help of {email}: {missing}"
    if c.ImportFile.needs in needs:
        assert "as a file in this chat" in chat.person(email).says("help").text


def test_placeholders_read_as_placeholders_on_every_platform(chat: FakeChat) -> None:
    from adapters.console import Style, render_all
    from adapters.slack.render import render
    from adapters.teams.cards import cards_for

    help_ = chat.person(SAM).says("help").messages
    console = render_all(help_, Style(color=False)).text
    slack = " ".join(part.text + str(part.blocks) for m in help_ for part in render(m))
    teams = " ".join(str(card.content) for m in help_ for card in cards_for(m))
    for shown in ("join <pathway>", "done <course>", "timezone <zone>", "pause until <date>"):
        assert shown in console, shown
        # Both show &lt;pathway&gt; as <pathway> (the Agents Playground test sees it on the
        # page); Teams would drop a bare <pathway> as an HTML tag.
        escaped = shown.replace("<", "&lt;").replace(">", "&gt;")
        assert escaped in slack, shown
        assert escaped in teams, shown
    assert "join pathway" not in console and "done course" not in console
