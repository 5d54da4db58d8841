"""Contests on the platforms, end to end against the local Slack Web API and Teams connector.

- `contest new` opens a Slack modal and a Teams card of inputs; submitting either takes
  the road of the one-line command (role checks included).
- The weekly standings reach a team channel with the chart as an image: on Slack, the
  message by chat.postMessage (with its outbox key) and then the chart's PNG uploaded to
  the same channel in files_upload_v2's three steps; on Teams, an Adaptive Card whose
  Image is the PNG as a data: URI, within the card size Huddle keeps to.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from adapters.slack.sender import SlackSender
from adapters.slack.settings import SlackSettings
from adapters.teams.cards import MAX_CARD_BYTES
from adapters.teams.sender import TeamsSender
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.models import Contest
from bot.outbox import Outbox
from scheduler.delivery import Worker
from tests.fakechat import FakeChat
from tests.slack_fake import BOT_TOKEN
from tests.slack_harness import SlackHarness, sample_slack, text_of
from tests.teams_cards import card_problems
from tests.teams_fake import button, cards_in
from tests.teams_fake import text_of as teams_text
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams
from tests.test_forms_slack import _submit

SAM_SLACK, ANA_SLACK = "USAM", "UANA"
SAM = TeamsUser("29:sam", "Sam Okafor", "aad-sam", "a:personal-sam")
ICU_CHANNEL = "19:icu-team@thread.tacv2"
MONDAY_NINE_CHICAGO = datetime(2026, 11, 30, 15, 5, tzinfo=UTC)
#: Two more in ICU and Oncology, so both teams are big enough to be ranked.
MORE = (
    "email,name,discipline,team,role,pathway\n"
    "lena.park@example.org,Lena Park,nurse,ICU,clinician,essentials\n"
    "omar.haddad@example.org,Omar Haddad,nurse,ICU,clinician,essentials\n"
    "rui.costa@example.org,Rui Costa,nurse,Oncology Clinic,clinician,essentials\n"
    "tess.moreau@example.org,Tess Moreau,nurse,Oncology Clinic,clinician,essentials\n"
)
VALUES = {
    "name": "Winter sprint",
    "teams": "icu, oncology clinic",
    "metric": "active",
    "start": "today",
    "end": "dec 20",
    "counting": "all completions",
    "prize": "a team breakfast",
}


def _contests(bot: Bot) -> list[Contest]:
    with Session(bot.engine) as s:
        return list(s.exec(select(Contest)))


def _bigger_teams(bot: Bot) -> None:
    reply = FakeChat(bot, bot.clock).operator("roster import\n" + MORE)  # type: ignore[arg-type]
    assert "4 added" in reply.text, reply.text


async def _deliver(bot: Bot, platform: str, sender: Any) -> None:
    planner = bot.planner((platform,))
    await asyncio.to_thread(bot.tick, planner)
    worker = Worker(
        Outbox(bot.engine, bot.content, f"{platform}-worker", quiet=planner),
        {platform: sender},
        bot.clock,
    )
    while await worker.run_once():
        pass


# --- Slack ------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [
        (ANA_SLACK, "ana.ruiz@example.org", "Ana Ruiz", "America/New_York"),
        (SAM_SLACK, "sam.okafor@example.org", "Sam Okafor", None),
    ]
    async with sample_slack(engine, sample_content, clock, users, [("CICU", "member")]) as harness:
        yield harness


async def test_slack_the_contest_form_is_a_modal_and_its_submission_makes_the_contest(
    slack: SlackHarness,
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    await slack.command(SAM_SLACK, "contest new")
    (opened,) = await fake.wait_for(lambda: fake.of("views.open"))
    assert opened.args["_ok"] is True
    view = opened.args["view"]
    assert view["title"]["text"] == "New contest" and view["submit"]["text"] == "Start contest"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert list(blocks) == ["name", "teams", "metric", "start", "end", "counting", "prize"]
    assert blocks["metric"]["element"]["type"] == "static_select"
    assert {o["value"] for o in blocks["metric"]["element"]["options"]} == {
        "active",
        "steps",
        "credits",
        "level",
        "sessions",
    }
    assert blocks["teams"]["optional"] is True and blocks["prize"]["optional"] is True

    # Someone without the admin role submitting the admin's modal: refused, nothing made.
    assert (await _submit(slack, ANA_SLACK, view, VALUES)).status == 200
    (refusal,) = await fake.wait_for(lambda: fake.posts("DUANA"))
    assert "admin role" in text_of(refusal["blocks"]) + refusal["text"]
    assert _contests(bot) == []

    assert (await _submit(slack, SAM_SLACK, view, VALUES)).status == 200
    (made,) = await fake.wait_for(lambda: fake.posts("DUSAM"))
    shown = text_of(made["blocks"])
    assert "Contest #1 is on: Winter sprint" in shown and "ICU, Oncology Clinic" in shown
    (contest,) = _contests(bot)
    assert (contest.metric, contest.prize, contest.status) == (
        "active",
        "a team breakfast",
        "running",
    )


async def test_slack_the_weekly_standings_post_carries_the_chart_as_an_uploaded_png(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    _bigger_teams(bot)
    _, key = await slack.command(SAM_SLACK, "team link <#CICU|icu-team> ICU", channel="CICU")
    await fake.wait_for(lambda: fake.responses.get(key))
    words = "contest new Winter sprint teams icu, oncology clinic to dec 20 prize a breakfast"
    _, key = await slack.command(SAM_SLACK, words)
    await fake.wait_for(lambda: fake.responses.get(key))
    await slack.dm(ANA_SLACK, "done comm-101")
    await fake.wait_for(lambda: fake.posts("DUANA"))

    clock.set(MONDAY_NINE_CHICAGO)
    sender = SlackSender(
        SlackSettings(bot_token=BOT_TOKEN, signing_secret="s", api_url=fake.api_url)
    )
    try:
        await _deliver(bot, "slack", sender)
    finally:
        await sender.close()
    posts = [p for p in fake.posts("CICU") if "standings" in text_of(p.get("blocks") or [])]
    (post,) = posts
    assert post["metadata"]["event_type"] == "huddle_delivery"
    shown = text_of(post["blocks"])
    assert "ICU is in place 1 of 2*" in shown and "with 17%" in shown
    assert "█" not in shown  # the chart is not drawn as text in the post: it is an image
    (upload,) = fake.uploaded("CICU")
    assert upload.filename.endswith(".png") and upload.title == "Winter sprint"
    image = Image.open(io.BytesIO(upload.data))
    assert image.format == "PNG" and image.width <= 1024 and image.height <= 1024
    assert len(upload.data) < 60_000
    (step,) = fake.of("files.getUploadURLExternal")
    assert "ICU 17%" in step.args["alt_txt"]


# --- Teams ------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    async with sample_teams(engine, sample_content, clock, [(SAM, "sam.okafor@example.org")]) as h:
        yield h


async def test_teams_the_contest_form_is_a_card_and_its_submission_makes_the_contest(
    teams: TeamsHarness,
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    assert await teams.says(SAM, "contest new") == 202
    sent = fake.messages(SAM.conversation)[-1]
    (card,) = cards_in(sent.activity)
    assert card_problems(card) == [], card_problems(card)
    inputs = [e["id"] for e in card["body"] if str(e.get("type", "")).startswith("Input.")]
    assert inputs == [
        "field.name",
        "field.teams",
        "field.metric",
        "field.start",
        "field.end",
        "field.counting",
        "field.prize",
    ]
    data = button(sent.activity, "Start contest")
    values = {f"field.{k}": v for k, v in VALUES.items()}
    assert await teams.clicks(SAM, sent.activity_id, {**data, **values}) == 202
    made = teams_text(fake.messages(SAM.conversation)[-1].activity)
    assert "Contest #1 is on: Winter sprint" in made, made
    (contest,) = _contests(bot)
    assert contest.name == "Winter sprint" and contest.prize == "a team breakfast"


async def test_teams_the_weekly_standings_card_shows_the_chart_as_a_data_uri_png(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    _bigger_teams(bot)
    await teams.in_channel(SAM, ICU_CHANNEL, "link team ICU")
    await teams.says(SAM, "contest new Winter sprint teams icu, oncology clinic to dec 20")
    assert "Contest #1 is on" in teams_text(fake.messages(SAM.conversation)[-1].activity)
    clock.set(MONDAY_NINE_CHICAGO)
    await _deliver(bot, "teams", TeamsSender(teams.adapter))
    posted = [
        s
        for s in fake.messages()
        if "Winter sprint: standings" in teams_text(s.activity)
        and SAM.conversation not in str(s.activity.get("conversation", {}))
    ]
    assert posted, [teams_text(s.activity)[:80] for s in fake.messages()]
    images = [
        element
        for sent in posted
        for card in cards_in(sent.activity)
        for element in card["body"]
        if element.get("type") == "Image"
    ]
    (image,) = images
    assert image["url"].startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(base64.b64decode(image["url"].split(",", 1)[1])))
    assert picture.format == "PNG" and picture.width <= 1024 and picture.height <= 1024
    assert "ICU 0%" in image["altText"]
    for sent in posted:
        for card in cards_in(sent.activity):
            assert card_problems(card) == [], card_problems(card)
            assert len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_CARD_BYTES
