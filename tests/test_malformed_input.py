"""Malformed requests get a 4xx, one log line without a traceback, and store nothing.

Every endpoint of the running server is sent a list of bodies no platform would
send: Slack's with and without a valid signature, and anonymous Teams' (the local
development mode, where no token check stands in front of the body).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from adapters.server import Platforms, build
from adapters.slack.adapter import SlackAdapter
from adapters.slack.settings import SlackSettings
from adapters.teams.adapter import TeamsAdapter
from adapters.teams.settings import TeamsSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.models import AuditEntry, Conversation, HandledEvent, PlatformIdentity
from tests.slack_harness import sign

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
GOOD_ACTIVITY = {
    "type": "message",
    "id": "1",
    "channelId": "msteams",
    "serviceUrl": "http://127.0.0.1:9/",
    "from": {"id": "29:x"},
    "conversation": {"id": "a:x"},
    "recipient": {"id": "28:bot"},
    "text": "next",
}

SLACK_BODIES = [
    ("application/x-www-form-urlencoded", "payload=%7Bbad"),
    ("application/x-www-form-urlencoded", "payload=%5B1%2C2%5D"),
    ("application/json", '{"type": "event_callback", "event": '),
    ("application/json", "[1, 2, 3]"),
    ("application/json", '"just a string"'),
    ("application/json", ""),
    ("application/octet-stream", "\x00\x01\x02 not text"),
]
TEAMS_BODIES: list[object] = [
    "not json at all",
    [],
    [GOOD_ACTIVITY],
    "a string",
    {},
    {"type": "message"},
    {**GOOD_ACTIVITY, "from": {}, "conversation": {}},
    {**GOOD_ACTIVITY, "from": None},
    {**GOOD_ACTIVITY, "conversation": {"id": ""}},
    {**GOOD_ACTIVITY, "serviceUrl": 5},
    {**GOOD_ACTIVITY, "text": {"nested": True}},
    {**GOOD_ACTIVITY, "type": ""},
]


@pytest_asyncio.fixture
async def server(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[tuple[str, Bot]]:
    bot = Bot(sample_content, engine, clock)
    slack = SlackAdapter(
        bot,
        SlackSettings(
            bot_token="xoxb-test", signing_secret=SECRET, api_url="http://127.0.0.1:9/api/"
        ),
    )
    teams = TeamsAdapter(bot, TeamsSettings(anonymous=True))
    runner = web.AppRunner(build(bot, Platforms(slack=slack, teams=teams)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", bot
    finally:
        await slack.close()
        await teams.close()
        await runner.cleanup()


def _stored(bot: Bot) -> int:
    with Session(bot.engine) as s:
        return sum(
            s.exec(select(func.count()).select_from(table)).one()
            for table in (HandledEvent, Conversation, PlatformIdentity, AuditEntry)
        )


async def test_malformed_bodies_are_refused_with_a_4xx_and_nothing_stored(
    server: tuple[str, Bot], caplog: pytest.LogCaptureFixture
) -> None:
    base, bot = server
    before = _stored(bot)
    caplog.set_level(logging.WARNING)
    async with aiohttp.ClientSession() as session:
        for content_type, body in SLACK_BODIES:
            for headers in ({}, sign(SECRET, body)):
                async with session.post(
                    f"{base}/slack/events",
                    data=body.encode(),
                    headers={"Content-Type": content_type, **headers},
                ) as r:
                    assert 400 <= r.status < 500, (body, bool(headers), r.status)
                    if not headers:
                        assert r.status == 401, body  # refused before the body is read
        for activity in TEAMS_BODIES:
            data = activity if isinstance(activity, str) else json.dumps(activity)
            async with session.post(
                f"{base}/api/messages",
                data=data.encode(),
                headers={"Content-Type": "application/json"},
            ) as r:
                assert 400 <= r.status < 500, (activity, r.status)
        async with session.post(f"{base}/healthz", data=b"x") as r:
            assert r.status == 405
    assert _stored(bot) == before
    records = [r for r in caplog.records if r.name.startswith(("huddle", "slack", "microsoft"))]
    assert records, "each refusal is logged"
    assert all(r.exc_info is None for r in caplog.records), [
        r.getMessage() for r in caplog.records if r.exc_info
    ]
    assert all(r.levelno < logging.ERROR for r in caplog.records), [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
