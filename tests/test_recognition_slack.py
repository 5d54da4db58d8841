"""A teammate's shout-out suggestion on Slack, end to end: the real server and Bolt app,
signed requests, the local Slack Web API, and the real Slack sender for the private
notices (the champion's Approve / Edit / Decline, the suggester's outcome).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import FrozenClock
from bot.content import Content
from bot.models import Shoutout
from tests.slack_harness import SlackHarness, find_button, sample_slack, text_of
from tests.test_forms_slack import _submit
from tests.test_slack_delivery import deliver, sender_for

ANA, BEN, CARLA, SAM = "UANA", "UBEN", "UCARLA", "USAM"


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [
        (ANA, "ana.ruiz@example.org", "Ana Ruiz", "America/Chicago"),
        (BEN, "ben.cho@example.org", "Ben Cho", "America/Chicago"),
        (CARLA, "carla.diaz@example.org", "Carla Diaz", "America/Chicago"),
        (SAM, "sam.okafor@example.org", "Sam Okafor", None),
    ]
    async with sample_slack(engine, sample_content, clock, users, [("CICU", "member")]) as h:
        yield h


def _with(fake_posts: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    return [p for p in fake_posts if words in text_of(p["blocks"])]


def _statuses(slack: SlackHarness) -> list[str]:
    with Session(slack.adapter.bot.engine) as s:
        return [r.status for r in s.exec(select(Shoutout).order_by(Shoutout.id))]  # type: ignore[arg-type]


async def test_a_suggestion_is_approved_and_another_edited_through_slack_buttons(
    slack: SlackHarness,
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    await slack.command(SAM, "team link <#CICU|icu-team> ICU")
    await fake.wait_for(lambda: fake.posts("CICU"))
    for user in (ANA, BEN, CARLA):  # each has talked to Huddle, so it can write to them
        await slack.dm(user, "hi")
    await fake.wait_for(lambda: all(fake.posts("D" + u) for u in (ANA, BEN, CARLA)))

    await slack.dm(ANA, "shoutout <@UCARLA> for staying late with the family")
    (offer,) = await fake.wait_for(lambda: _with(fake.posts("DUANA"), "Shall I suggest"))
    assert "Ben Cho" in text_of(offer["blocks"])
    await slack.click(ANA, offer, "Suggest it")
    await fake.wait_for(lambda: _with(fake.posts("DUANA"), "Sent to Ben Cho"))

    sender = sender_for(fake)
    try:
        await deliver(bot, sender)
        (review,) = _with(fake.posts(BEN), "suggests a shout-out")
        assert "for staying late with the family" in text_of(review["blocks"])
        approve = find_button(review["blocks"], "Approve")
        assert BEN in approve["action_id"]  # Ben's button, whoever sees it

        # Carla pressing Ben's button changes nothing.
        await slack.click(CARLA, review, "Approve")
        await fake.wait_for(
            lambda: any(
                "someone else's message" in r.get("text", "")
                for answers in fake.responses.values()
                for r in answers
            )
        )
        assert not _with(fake.posts("CICU"), "staying late")

        await slack.click(BEN, review, "Approve")
        (post,) = await fake.wait_for(lambda: _with(fake.posts("CICU"), "staying late"))
        shown = text_of(post["blocks"])
        assert "<@UCARLA>" in shown and "from Ana Ruiz, shared by Ben Cho" in shown
        await deliver(bot, sender)
        (told,) = _with(fake.posts(ANA), "posted your shout-out")
        assert "Ben Cho posted your shout-out for Carla Diaz" in text_of(told["blocks"])

        # A second suggestion: Ben edits the words in a modal that holds them already.
        await slack.dm(ANA, "shoutout <@UCARLA> thx 4 the handover!!")
        offer = (await fake.wait_for(lambda: _with(fake.posts("DUANA"), "thx 4 the handover")))[-1]
        await slack.click(ANA, offer, "Suggest it")
        await fake.wait_for(lambda: len(_with(fake.posts("DUANA"), "Sent to Ben Cho")) == 2)
        await deliver(bot, sender)
        (review,) = _with(fake.posts(BEN), "thx 4 the handover")
        await slack.click(BEN, review, "Edit")
        (editing,) = await fake.wait_for(lambda: _with(fake.posts(), "Change the words"))
        (button,) = [
            b["accessory"]
            for b in editing["blocks"]
            if b.get("accessory", {}).get("action_id") == "huddle-form"
        ]
        payload = {
            "type": "block_actions",
            "user": {"id": BEN, "name": "uben"},
            "api_app_id": "A0HUDDLE",
            "team": {"id": "T0TEST"},
            "container": {
                "type": "message",
                "message_ts": editing["_ts"],
                "channel_id": editing["channel"],
                "is_ephemeral": False,
            },
            "channel": {"id": editing["channel"]},
            "message": {"type": "message", "ts": editing["_ts"], "blocks": editing["blocks"]},
            "response_url": fake.response_url("editclick"),
            "trigger_id": "trig-edit",
            "actions": [{**button, "block_id": "b", "action_ts": str(time.time())}],
        }
        await slack.signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
        (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
        view = opened.args["view"]
        (field,) = [b for b in view["blocks"] if b["type"] == "input"]
        assert field["element"]["initial_value"] == "thx 4 the handover!!"
        await _submit(slack, BEN, view, {"text": "Thank you, Carla, for a thorough handover!"})
        (edited,) = await fake.wait_for(
            lambda: _with(fake.posts("CICU"), "Thank you, Carla, for a thorough handover!")
        )
        assert "thx 4" not in text_of(edited["blocks"])
        await deliver(bot, sender)
        (told,) = _with(fake.posts(ANA), "with the words changed a little")
        assert "Thank you, Carla, for a thorough handover!" in text_of(told["blocks"])
        assert _statuses(slack) == ["posted", "posted"]
    finally:
        await sender.close()
