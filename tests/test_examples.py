"""Every example Huddle gives of a date or a time works, whatever the date is.

The examples are read from where people see them: the words to type in every
message template (bold or code spans) and in the README's "What people can say".
Each one that pauses, snoozes, enrols with a due date or schedules a message is
run on several days of the year, the awkward ones included (the 1st of December,
leap day, New Year's Eve late at night), and must do what it says.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import yaml

from bot import commands as c
from bot import markup
from bot.parser import parse
from bot.settings import PROJECT_ROOT
from tests.fakechat import FakeChat
from tests.nudging import ANA, SAM, join, link_channel

#: The answer each kind of example must get.
SUCCESS = {
    c.Pause: "pause.done",
    c.Snooze: "snooze.done",
    c.Enrol: "enrol.done",
    c.NudgeSchedule: "nudge.created",
}
DAYS = [
    datetime(2026, 12, 1, 15, tzinfo=UTC),
    datetime(2027, 3, 1, 15, tzinfo=UTC),
    datetime(2027, 7, 4, 4, tzinfo=UTC),  # late on the 3rd in Chicago
    datetime(2028, 2, 29, 15, tzinfo=UTC),
    datetime(2028, 1, 1, 5, 30, tzinfo=UTC),  # 23:30 on New Year's Eve in Chicago
]


def _spans(markdown: str) -> list[str]:
    return [
        span.text.strip()
        for line in markup.parse(markdown)
        for span in line.spans
        if (span.bold or span.code) and not span.url
    ]


def examples() -> list[str]:
    found: list[str] = []
    messages = yaml.safe_load((PROJECT_ROOT / "content" / "messages.yaml").read_text())
    for text in messages.values():
        found += _spans(str(text))
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## What people can say", 1)[1].split("\n## ", 1)[0]
    found += re.findall(r"`([^`\n]+)`", section)
    dated = []
    for example in dict.fromkeys(found):
        if "<" in example or "{" in example or example.endswith(" say"):
            continue  # a placeholder to fill in, or a message still to be written
        command = parse(example)
        bare = (
            (isinstance(command, c.Enrol) and not command.due)
            or (isinstance(command, c.NudgeSchedule) and not command.text)
            or (isinstance(command, c.Pause) and not command.until)
        )
        if type(command) in SUCCESS and not bare:  # a command word alone is no example
            dated.append(example)
    return dated


def test_the_examples_are_found() -> None:
    found = examples()
    assert any(e.startswith("pause until") for e in found), found
    assert any(e.startswith("snooze") for e in found), found
    assert any(" due " in e for e in found), found
    assert sum(e.startswith("nudge schedule") for e in found) >= 5, found


@pytest.mark.parametrize("day", DAYS, ids=[d.isoformat() for d in DAYS])
def test_every_dated_example_works_on_any_day(chat: FakeChat, day: datetime) -> None:
    chat.clock.set(day)
    join(chat, ANA)
    ana, sam = chat.person(ANA), chat.person(SAM)
    link_channel(chat, "icu", "ICU")  # for the case prompts timed before its meeting
    assert "added" in sam.says("team add Leaders")
    link_channel(chat, "leaders", "Leaders")  # the channel the report's example posts to
    assert "tue 12:00" in sam.says("team meeting icu tuesday 12:00")
    for example in examples():
        command = parse(example)
        who = ana if isinstance(command, c.Pause | c.Snooze) else sam
        reply = who.says(example)
        assert reply.kinds[0] == SUCCESS[type(command)], (day, example, reply.text)
        if isinstance(command, c.NudgeSchedule):
            assert "Next: -" not in reply, (day, example, reply.text)
        if isinstance(command, c.Pause):
            ana.says("resume")
