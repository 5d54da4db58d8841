"""Comfort surveys on the platforms, end to end against the local Slack Web API and the
local Teams connector: the first question arrives by the scheduler with a button per point
and Skip; a tap records the answer, marks the question as answered, and brings the next.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from adapters.teams.cards import MAX_ACTIONS
from adapters.teams.sender import TeamsSender
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.models import SurveyAnswer
from bot.outbox import Outbox
from scheduler.delivery import Worker
from tests.slack_harness import SlackHarness, find_button, sample_slack, text_of
from tests.teams_cards import card_problems
from tests.teams_fake import button, cards_in
from tests.teams_fake import text_of as teams_text
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams
from tests.test_slack_delivery import deliver, sender_for

ANA_SLACK = "UANA"
ANA = TeamsUser("29:ana", "Ana Ruiz", "aad-ana", "a:personal-ana")
POINTS = [
    "Not at all comfortable",
    "Slightly comfortable",
    "Somewhat comfortable",
    "Very comfortable",
    "Completely comfortable",
]


def _answers(bot: Bot) -> list[tuple[str, str, int]]:
    with Session(bot.engine) as s:
        rows = s.exec(select(SurveyAnswer).order_by(col(SurveyAnswer.id)))
        return [(a.item_id, a.phase, a.value) for a in rows]


def _start_and_enrol(bot: Bot, clock: FrozenClock, platform: str) -> None:
    """The surveys' record begins, then, a minute later, Ana is enrolled in a pathway."""
    bot.tick(bot.planner((platform,)))
    clock.set(clock.now() + timedelta(minutes=1))
    (said,) = bot.run_as_operator("enrol ana.ruiz@example.org in bedside-care", "tester")
    assert "Enrolled" in said.summary, said.summary


# --- Slack ------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [(ANA_SLACK, "ana.ruiz@example.org", "Ana Ruiz", "America/Chicago")]
    async with sample_slack(engine, sample_content, clock, users) as harness:
        yield harness


def _survey_posts(posts: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    return [p for p in posts if words in text_of(p.get("blocks") or [])]


async def test_slack_a_survey_is_one_button_tap_per_question(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    await slack.dm(ANA_SLACK, "hello")
    await fake.wait_for(lambda: fake.posts("DUANA"))
    _start_and_enrol(bot, clock, "slack")
    sender = sender_for(fake)
    try:
        await deliver(bot, sender)
    finally:
        await sender.close()
    (asked,) = _survey_posts(fake.posts(ANA_SLACK), "1 of 3.")
    shown = text_of(asked["blocks"])
    assert "Before you start *Bedside symptom and family care*" in shown
    (actions,) = [b for b in asked["blocks"] if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == [*POINTS, "Skip"]

    await slack.click(ANA_SLACK, asked, "Very comfortable")
    (second,) = await fake.wait_for(lambda: _survey_posts(fake.posts(), "2 of 3."))
    assert "breathlessness" in text_of(second["blocks"])
    # The tapped question shows the choice, and its buttons are gone.
    (update,) = await fake.wait_for(lambda: fake.of("chat.update"))
    assert "✓ Very comfortable" in text_of(update.args["blocks"])
    assert not [b for b in update.args["blocks"] if b["type"] == "actions"]
    assert _answers(bot) == [("pain-assessment", "pre", 4)]

    await slack.click(ANA_SLACK, second, "Skip")
    await fake.wait_for(lambda: _survey_posts(fake.posts(), "I won't ask these again"))
    assert find_button(second["blocks"], "Skip")["value"].startswith("survey skip")
    assert _answers(bot) == [("pain-assessment", "pre", 4)]


# --- Teams ------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    async with sample_teams(engine, sample_content, clock, [(ANA, "ana.ruiz@example.org")]) as h:
        yield h


async def _deliver_teams(bot: Bot, teams: TeamsHarness) -> None:
    planner = bot.planner(("teams",))
    await asyncio.to_thread(bot.tick, planner)
    worker = Worker(
        Outbox(bot.engine, bot.content, "teams-worker", quiet=planner),
        {"teams": TeamsSender(teams.adapter)},
        bot.clock,
    )
    while await worker.run_once():
        pass


async def test_teams_a_survey_is_a_card_of_choices_one_tap_per_question(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.install(ANA)  # added the app: Huddle can write to her
    _start_and_enrol(bot, clock, "teams")
    await _deliver_teams(bot, teams)
    asked = [s for s in fake.messages(ANA.conversation) if "1 of 3." in teams_text(s.activity)]
    (sent,) = asked
    (card,) = cards_in(sent.activity)
    assert card_problems(card) == [], card_problems(card)
    sets = [e for e in card["body"] if e.get("type") == "ActionSet"]
    assert all(len(s["actions"]) <= MAX_ACTIONS for s in sets)
    labels = [a["title"] for s in sets for a in s["actions"]]
    assert labels == [*POINTS, "Skip"]

    data = button(sent.activity, "Somewhat comfortable")
    assert await teams.clicks(ANA, sent.activity_id, data) == 202
    latest = teams_text(fake.messages(ANA.conversation)[-1].activity)
    assert "2 of 3." in latest and "breathlessness" in latest
    assert fake.updates(), "the tapped card is replaced by the choice"
    assert _answers(bot) == [("pain-assessment", "pre", 3)]
    # The clock has not moved: the pre survey came at once, inside Ana's allowed hours.
    assert clock.now() == datetime(2026, 11, 23, 15, 1, tzinfo=UTC)
