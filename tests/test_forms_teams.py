"""Forms in Teams, end to end: `nudge new` answers with an Adaptive Card of inputs, and
submitting it schedules, through the real server and SDK and the local Bot Connector.

Also the console's rendering of the same form, which has no inputs to offer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, select

from adapters.console import Style, render
from adapters.teams import translate
from bot.clock import FrozenClock
from bot.content import Content
from bot.messages import Choice, Form, FormField, Heading, Message
from bot.models import Schedule
from tests.fakechat import FakeChat
from tests.teams_cards import card_problems
from tests.teams_fake import button, cards_in, text_of
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams

ANA = TeamsUser("29:ana", "Ana Ruiz", "aad-ana", "a:personal-ana")
SAM = TeamsUser("29:sam", "Sam Okafor", "aad-sam", "a:personal-sam")

MONDAYS = {
    "field.kind": "next-course",
    "field.audience": "team:icu",
    "field.when": "every monday 09:00",
}


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    members = [(ANA, "ana.ruiz@example.org"), (SAM, "sam.okafor@example.org")]
    async with sample_teams(engine, sample_content, clock, members) as harness:
        yield harness


def _schedules(teams: TeamsHarness) -> list[Schedule]:
    with Session(teams.adapter.bot.engine) as s:
        return list(s.exec(select(Schedule)).all())


def _inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in card["body"] if str(e.get("type", "")).startswith("Input.")}


async def _form_card(teams: TeamsHarness, user: TeamsUser) -> tuple[str, dict[str, Any]]:
    assert await teams.says(user, "nudge new") == 202
    sent = teams.fake.messages(user.conversation)[-1]
    (card,) = cards_in(sent.activity)
    return sent.activity_id, card


async def test_an_admin_schedules_a_nudge_with_the_card_form(teams: TeamsHarness) -> None:
    fake = teams.fake
    card_id, card = await _form_card(teams, SAM)
    assert card_problems(card) == [], card_problems(card)
    inputs = _inputs(card)
    assert list(inputs) == ["field.kind", "field.audience", "field.when", "field.text"]
    kind = inputs["field.kind"]
    assert (kind["type"], kind["style"], kind["isRequired"]) == ("Input.ChoiceSet", "compact", True)
    assert kind["label"] == "What to send" and kind["errorMessage"]
    assert {"next-course", "setup", "custom"} <= {c["value"] for c in kind["choices"]}
    audience = inputs["field.audience"]
    assert audience["type"] == "Input.Text" and audience["placeholder"] == "team:icu"
    assert audience["isRequired"] is True and not audience["isMultiline"]
    text = inputs["field.text"]
    assert text["isMultiline"] is True and "isRequired" not in text

    # Teams sends the button's data with each input's value added under the input's id.
    data = button(fake.messages(SAM.conversation)[-1].activity, "Schedule")
    assert data["huddle"] == "nudge schedule {kind} to {audience} {when} say {text}"
    assert await teams.clicks(SAM, card_id, {**data, **MONDAYS, "field.text": ""}) == 202

    confirmation = fake.messages(SAM.conversation)[-1]
    assert "Scheduled **#1**: next-course reminder to team:icu, every monday 09:00" in text_of(
        confirmation.activity
    )
    (schedule,) = _schedules(teams)
    assert (schedule.kind, schedule.audience, schedule.when, schedule.status) == (
        "next_course",
        "team:icu",
        "every monday 09:00",
        "active",
    )
    # The form card is replaced, so it cannot schedule twice.
    (update,) = fake.updates()
    assert update.replaced == card_id and "✓ Schedule" in text_of(update.activity)
    assert "Input." not in json.dumps(update.activity)

    await teams.says(SAM, "nudge list")
    listing = text_of(fake.messages(SAM.conversation)[-1].activity)
    assert "#1" in listing and "every monday 09:00" in listing
    for sent in fake.sent:
        for card in cards_in(sent.activity):
            assert card_problems(card) == [], card_problems(card)


async def test_a_custom_message_from_the_card_keeps_its_words(teams: TeamsHarness) -> None:
    card_id, _ = await _form_card(teams, SAM)
    data = button(teams.fake.messages(SAM.conversation)[-1].activity, "Schedule")
    values = {
        "field.kind": "custom",
        "field.audience": "everyone",
        "field.when": "weekdays 08:30",
        "field.text": "The new pain guide\r\nis on the intranet",
    }
    await teams.clicks(SAM, card_id, {**data, **values})
    assert "Scheduled **#1**" in text_of(teams.fake.messages(SAM.conversation)[-1].activity)
    (schedule,) = _schedules(teams)
    assert json.loads(schedule.params) == {"text": "The new pain guide is on the intranet"}


async def test_a_clinician_submitting_the_card_is_refused(teams: TeamsHarness) -> None:
    await teams.says(ANA, "nudge new")
    refusal = teams.fake.messages(ANA.conversation)[-1].activity
    assert "champion role" in text_of(refusal) and not cards_in(refusal)

    card_id, _ = await _form_card(teams, SAM)
    data = button(teams.fake.messages(SAM.conversation)[-1].activity, "Schedule")
    # The admin's card's data, submitted by Ana: the command runs as Ana, and is refused.
    await teams.clicks(ANA, card_id, {**data, **MONDAYS})
    answer = text_of(teams.fake.messages(ANA.conversation)[-1].activity)
    assert "champion role" in answer and "Scheduled" not in answer
    assert _schedules(teams) == []


def test_a_form_submit_is_filled_in_like_typing() -> None:
    value = {
        "huddle": "nudge schedule {kind} to {audience} {when} say {text}",
        "form": ["kind", "audience", "when", "text"],
        "label": "Schedule",
        "card": "Schedule a message",
        "field.kind": "setup",
        "field.audience": "  not   started ",
        "field.when": "weekdays 08:30",
    }
    assert translate.submitted_command({"value": value}) == (
        "nudge schedule setup to not started weekdays 08:30 say"
    )
    incoming = translate.incoming(
        {"from": {"id": "29:x"}, "conversation": {"id": "a:1"}, "value": value}
    )
    assert incoming.via == "button" and incoming.text.startswith("nudge schedule setup")
    # An ordinary button still carries its words unchanged.
    assert translate.submitted_command({"value": {"huddle": "progress"}}) == "progress"


def test_the_console_shows_the_fields_and_the_one_line_command() -> None:
    form = Form(
        title="Schedule a message",
        fields=(
            FormField("kind", "What to send", (Choice("next-course reminder", "next-course"),)),
            FormField("audience", "To whom", placeholder="team:icu"),
            FormField("text", "Message", optional=True, multiline=True),
        ),
        command="nudge schedule {kind} to {audience} say {text}",
        submit="Schedule",
        example="Or in one line: nudge schedule next-course to team:icu",
    )
    text = render(Message((form,), "Schedule a message"), Style(color=False)).text
    assert text.splitlines() == [
        "Schedule a message",
        "  • What to send: next-course",
        "  • To whom: team:icu",
        "  • [Message]",
        "Or in one line: nudge schedule next-course to team:icu",
    ]
    # Under a heading of the same title, the title is not said twice.
    titled = render(Message((Heading(form.title), form), "s"), Style(color=False)).text
    assert titled.count("Schedule a message") == 1


def test_the_console_answer_to_nudge_new(chat: FakeChat) -> None:
    reply = chat.person("sam.okafor@example.org").says("nudge new")
    assert "What to send: next-course | setup" in reply.text
    assert "To whom: team:icu" in reply.text
    assert reply.text.count("Or in one line: nudge schedule next-course") == 1
