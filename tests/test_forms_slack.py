"""Forms in Slack, end to end: `nudge new` opens a modal, and submitting it schedules.

The real server and Bolt app, requests signed with a real secret, and the local
Slack Web API (which checks the modal as Slack would). Submitting the modal must
take the same road as typing the filled-in command, role checks included.
"""

from __future__ import annotations

import asyncio
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
from bot.models import Schedule
from tests.slack_harness import Sent, SlackHarness, sample_slack, sign, text_of

ANA, SAM = "UANA", "USAM"
MONDAYS = {"kind": "next-course", "audience": "team:icu", "when": "every monday 09:00"}


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [
        (ANA, "ana.ruiz@example.org", "Ana Ruiz", "America/New_York"),
        (SAM, "sam.okafor@example.org", "Sam Okafor", None),
    ]
    async with sample_slack(engine, sample_content, clock, users) as harness:
        yield harness


def _schedules(slack: SlackHarness) -> list[Schedule]:
    with Session(slack.adapter.bot.engine) as s:
        return list(s.exec(select(Schedule)).all())


def _submission(user: str, view: dict[str, Any], values: dict[str, str]) -> str:
    """The body Slack sends when someone submits the modal ``view`` with ``values``."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, value = block["element"], values.get(block["block_id"])
        if element["type"] == "static_select":
            option = next((o for o in element["options"] if o["value"] == value), None)
            state[block["block_id"]] = {
                element["action_id"]: {"type": "static_select", "selected_option": option}
            }
        else:
            state[block["block_id"]] = {
                element["action_id"]: {"type": "plain_text_input", "value": value}
            }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "huddle-test"},
        "user": {"id": user, "name": user.lower(), "team_id": "T0TEST"},
        "api_app_id": "A0HUDDLE",
        "token": "unused",
        "trigger_id": f"trig-submit-{user}",
        "view": {
            **view,
            "id": "VMODAL1",
            "team_id": "T0TEST",
            "state": {"values": state},
            "hash": "1.abc",
            "app_id": "A0HUDDLE",
            "bot_id": "B0HUDDLE",
        },
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


async def _submit(
    slack: SlackHarness, user: str, view: dict[str, Any], values: dict[str, str]
) -> Sent:
    return await slack.signed(_submission(user, view, values), "application/x-www-form-urlencoded")


def _check_modal(view: dict[str, Any]) -> None:
    """The modal is what the task asks: fields as inputs, metadata to fill the command."""
    assert view["type"] == "modal"
    assert view["callback_id"] == "huddle_form"
    assert 1 <= len(view["title"]["text"]) <= 24
    assert view["submit"]["text"] == "Schedule"
    assert len(view["private_metadata"]) < 3000
    meta = json.loads(view["private_metadata"])
    assert meta["command"] == "nudge schedule {kind} to {audience} {when} say {text}"
    assert meta["fields"] == ["kind", "audience", "when", "text"]
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert [b["type"] for b in view["blocks"]] == ["input"] * 4
    kind = blocks["kind"]["element"]
    assert kind["type"] == "static_select"
    assert {"next-course", "setup", "custom"} <= {o["value"] for o in kind["options"]}
    assert blocks["audience"]["element"]["type"] == "plain_text_input"
    assert blocks["audience"]["element"]["placeholder"]["text"] == "team:icu"
    assert not blocks["audience"].get("optional")
    assert blocks["text"]["optional"] is True
    assert blocks["text"]["element"]["multiline"] is True


async def test_an_admin_schedules_a_nudge_through_the_slash_command_form(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    sent, key = await slack.command(SAM, "nudge new")
    assert sent.status == 200
    (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
    assert opened.args["_ok"] is True
    assert opened.args["trigger_id"].startswith("trig")  # the slash command's own trigger
    view = opened.args["view"]
    _check_modal(view)

    started = time.perf_counter()
    sent = await _submit(slack, SAM, view, MONDAYS)
    assert sent.status == 200 and sent.body == ""  # acknowledged at once: the modal closes
    assert time.perf_counter() - started < 2.5

    (im,) = await fake.wait_for(lambda: fake.of("conversations.open"))
    assert im.args["users"] == SAM
    (confirmation,) = await fake.wait_for(lambda: fake.posts("DUSAM"))
    assert confirmation["channel"] == "DUSAM"
    assert "Scheduled *#1*: next-course reminder to team:icu, every monday 09:00" in text_of(
        confirmation["blocks"]
    )
    (schedule,) = _schedules(slack)
    assert (schedule.kind, schedule.audience, schedule.when, schedule.status) == (
        "next_course",
        "team:icu",
        "every monday 09:00",
        "active",
    )
    assert schedule.created_by.startswith("sam.okafor")
    # The modal was the answer to the command: the form was not also posted back.
    assert not fake.responses.get(key)

    _, key = await slack.command(SAM, "nudge list")
    (listing,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert "#1" in text_of(listing["blocks"]) and "every monday 09:00" in text_of(listing["blocks"])


async def test_a_custom_message_keeps_its_words(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.command(SAM, "nudge new")
    (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
    values = {
        "kind": "custom",
        "audience": "everyone",
        "when": "weekdays 08:30",
        "text": "The new pain guide\nis on the intranet & <here>",
    }
    assert (await _submit(slack, SAM, opened.args["view"], values)).status == 200
    (confirmation,) = await fake.wait_for(lambda: fake.posts("DUSAM"))
    assert "Scheduled *#1*" in text_of(confirmation["blocks"])
    (schedule,) = _schedules(slack)
    assert json.loads(schedule.params) == {"text": "The new pain guide is on the intranet & <here>"}


async def test_a_clinician_cannot_open_or_submit_the_form(slack: SlackHarness) -> None:
    fake = slack.fake
    _, key = await slack.command(ANA, "nudge new")
    (refusal,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert "champion role" in text_of(refusal["blocks"]) + refusal.get("text", "")

    # An admin's modal, submitted by someone without the role: refused, nothing created.
    await slack.command(SAM, "nudge new")
    (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
    assert (await _submit(slack, ANA, opened.args["view"], MONDAYS)).status == 200
    (answer,) = await fake.wait_for(lambda: fake.posts("DUANA"))
    assert "champion role" in text_of(answer["blocks"]) + answer["text"]
    assert "Scheduled" not in text_of(answer["blocks"])
    assert _schedules(slack) == []
    assert len(fake.of("views.open")) == 1


async def test_the_form_button_in_a_dm_opens_the_modal(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.dm(SAM, "nudge new")
    (post,) = await fake.wait_for(lambda: fake.posts("DUSAM"))
    assert not fake.of("views.open")  # a DM has no trigger_id: the form waits behind a button
    (button,) = [
        b["accessory"]
        for b in post["blocks"]
        if b.get("accessory", {}).get("action_id") == "huddle-form"
    ]
    assert button["text"]["text"] == "Schedule a message"
    assert len(button["value"]) <= 2000
    payload = {
        "type": "block_actions",
        "user": {"id": SAM, "name": "usam"},
        "api_app_id": "A0HUDDLE",
        "team": {"id": "T0TEST"},
        "container": {
            "type": "message",
            "message_ts": post["_ts"],
            "channel_id": "DUSAM",
            "is_ephemeral": False,
        },
        "channel": {"id": "DUSAM"},
        "message": {"type": "message", "ts": post["_ts"], "blocks": post["blocks"]},
        "response_url": fake.response_url("formclick"),
        "trigger_id": "trig-button",
        "actions": [{**button, "block_id": "b", "action_ts": str(time.time())}],
    }
    sent = await slack.signed(
        urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert sent.status == 200
    (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
    assert opened.args["trigger_id"] == "trig-button"
    _check_modal(opened.args["view"])
    assert not fake.of("chat.update")  # the button stays, in case the modal was closed

    await _submit(slack, SAM, opened.args["view"], MONDAYS)
    await fake.wait_for(
        lambda: [p for p in fake.posts("DUSAM") if "Scheduled *#1*" in text_of(p["blocks"])]
    )
    assert len(_schedules(slack)) == 1


async def test_a_forged_submission_is_refused(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.command(SAM, "nudge new")
    (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
    body = _submission(SAM, opened.args["view"], MONDAYS)
    forged = await slack.send(
        body, "application/x-www-form-urlencoded", sign("not-the-secret", body)
    )
    assert forged.status == 401
    unsigned = await slack.send(body, "application/x-www-form-urlencoded")
    assert unsigned.status == 401
    await asyncio.sleep(0.3)
    assert not fake.posts("DUSAM")
    assert _schedules(slack) == []
