"""`huddle run` as an operator starts it: settings errors name the setting, Socket Mode works."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import Engine

from adapters.slack.adapter import SlackAdapter
from adapters.slack.settings import SlackSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from tests.fakechat import FakeChat
from tests.processes import free_port, huddle, start_huddle, wait_for_port
from tests.slack_fake import APP_TOKEN, BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, FakeSlack
from tests.slack_harness import sign, text_of


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    server.add_user("UANA", "ana.ruiz@example.org", "Ana Ruiz")
    yield server
    await server.stop()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HUDDLE_SLACK_BOT_TOKEN": "xoxb-1"}, "HUDDLE_SLACK_SIGNING_SECRET"),
        (
            {"HUDDLE_SLACK_BOT_TOKEN": "abc", "HUDDLE_SLACK_SIGNING_SECRET": "s"},
            "HUDDLE_SLACK_BOT_TOKEN",
        ),
        ({"HUDDLE_SLACK_SIGNING_SECRET": "s"}, "HUDDLE_SLACK_BOT_TOKEN"),
        (
            {"HUDDLE_SLACK_BOT_TOKEN": "xoxb-1", "HUDDLE_SLACK_APP_TOKEN": "xoxb-2"},
            "HUDDLE_SLACK_APP_TOKEN",
        ),
        (
            {
                "HUDDLE_SLACK_BOT_TOKEN": "xoxb-1",
                "HUDDLE_SLACK_SIGNING_SECRET": "s",
                "HUDDLE_SLACK_API_URL": "slack.com/api",
            },
            "HUDDLE_SLACK_API_URL",
        ),
        (
            {
                "HUDDLE_SLACK_BOT_TOKEN": "xoxb-1",
                "HUDDLE_SLACK_SIGNING_SECRET": "s",
                "HUDDLE_PORT": "99999",
            },
            "HUDDLE_PORT",
        ),
        ({}, "Nothing to serve"),
        # Several workspaces: both OAuth credentials, a signing secret, and no bot token.
        (
            {"HUDDLE_SLACK_CLIENT_ID": "1.2", "HUDDLE_SLACK_SIGNING_SECRET": "s"},
            "HUDDLE_SLACK_CLIENT_SECRET",
        ),
        (
            {"HUDDLE_SLACK_CLIENT_ID": "1.2", "HUDDLE_SLACK_CLIENT_SECRET": "c"},
            "HUDDLE_SLACK_SIGNING_SECRET",
        ),
        (
            {
                "HUDDLE_SLACK_CLIENT_ID": "1.2",
                "HUDDLE_SLACK_CLIENT_SECRET": "c",
                "HUDDLE_SLACK_SIGNING_SECRET": "s",
                "HUDDLE_SLACK_BOT_TOKEN": "xoxb-1",
            },
            "HUDDLE_SLACK_BOT_TOKEN",
        ),
        (
            {
                "HUDDLE_SLACK_CLIENT_ID": "1.2",
                "HUDDLE_SLACK_CLIENT_SECRET": "c",
                "HUDDLE_SLACK_SIGNING_SECRET": "s",
                "HUDDLE_SLACK_API_URL": "http://127.0.0.1:1/api/",
            },
            "Cannot reach Slack at HUDDLE_SLACK_API_URL",
        ),
    ],
)
async def test_missing_or_wrong_settings_stop_the_start(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    code, _, err = await huddle("run", cwd=tmp_path, env=env)
    assert code == 2
    assert named in err


async def test_a_token_slack_refuses_or_an_unreachable_api_stops_the_start(
    tmp_path: Path, fake: FakeSlack
) -> None:
    env = {
        "HUDDLE_SLACK_BOT_TOKEN": "xoxb-wrong",
        "HUDDLE_SLACK_SIGNING_SECRET": "s",
        "HUDDLE_SLACK_API_URL": fake.api_url,
        "HUDDLE_PORT": str(free_port()),
    }
    code, _, err = await huddle("run", cwd=tmp_path, env=env)
    assert code == 2 and "HUDDLE_SLACK_BOT_TOKEN" in err and "invalid_auth" in err
    env.update(
        {
            "HUDDLE_SLACK_BOT_TOKEN": BOT_TOKEN,
            "HUDDLE_SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
        }
    )
    code, _, err = await huddle("run", cwd=tmp_path, env=env)
    assert code == 2 and "Cannot reach Slack at HUDDLE_SLACK_API_URL" in err


async def test_huddle_run_serves_slack_until_sigterm(tmp_path: Path, fake: FakeSlack) -> None:
    port = free_port()
    secret = "0123456789abcdef0123456789abcdef"
    env = {
        "HUDDLE_SLACK_BOT_TOKEN": BOT_TOKEN,
        "HUDDLE_SLACK_SIGNING_SECRET": secret,
        "HUDDLE_SLACK_API_URL": fake.api_url,
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_PORT": str(port),
        "HUDDLE_LOG_LEVEL": "WARNING",
    }
    # An empty folder: `huddle chat` style set-up is not needed, run creates the schema.
    roster = str(Path(__file__).parent.parent / "content" / "sample-roster.csv")
    # Importing before the schema exists is refused with what to run first.
    code, _, err = await huddle("roster", "import", roster, cwd=tmp_path, env={})
    assert code == 2 and "run `huddle db upgrade` first" in err
    await huddle("db", "upgrade", cwd=tmp_path, env={})
    code, _, err = await huddle("roster", "import", roster, cwd=tmp_path, env={})
    assert code == 0, err
    proc = await start_huddle("run", cwd=tmp_path, env=env)
    try:
        await wait_for_port(port)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                assert r.status == 200
            body = json.dumps(
                {
                    "type": "event_callback",
                    "event_id": "EvRUN1",
                    "team_id": "T0TEST",
                    "event": {
                        "type": "message",
                        "channel_type": "im",
                        "channel": "DUANA",
                        "user": "UANA",
                        "text": "next",
                        "ts": "1.1",
                    },
                }
            )
            async with session.post(
                f"http://127.0.0.1:{port}/slack/events",
                data=body,
                headers={"Content-Type": "application/json", **sign(secret, body)},
            ) as r:
                assert r.status == 200
        (post,) = await fake.wait_for(lambda: fake.posts("DUANA"))
        assert "Next up" in text_of(post["blocks"])
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err_bytes.decode()


async def test_socket_mode_receives_a_slash_command_and_answers(
    engine: Engine, sample_content: Content, clock: FrozenClock, fake: FakeSlack
) -> None:
    bot = Bot(sample_content, engine, clock)
    FakeChat(bot, clock).load_sample_roster()
    settings = SlackSettings(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.api_url)
    adapter = SlackAdapter(bot, settings)
    await adapter.check()
    await adapter.start_socket_mode()
    try:
        await fake.socket_send(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": "T0TEST",
                    "channel_id": "DUANA",
                    "channel_name": "directmessage",
                    "user_id": "UANA",
                    "command": "/huddle",
                    "text": "progress",
                    "response_url": fake.response_url("sock1"),
                    "trigger_id": "t1",
                    "api_app_id": "A0HUDDLE",
                },
            }
        )
        (answer,) = await fake.wait_for(lambda: fake.responses.get("sock1"))
        assert "Ana Ruiz's progress" in text_of(answer["blocks"])
        # The ack travels on the websocket, the answer over HTTP: either may land first.
        acks = await fake.wait_for(lambda: fake.of("socket.ack"))
        assert acks[0].args["envelope_id"] == "env-1"
    finally:
        await adapter.close()


async def test_huddle_run_serves_the_install_flow_for_several_workspaces(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """With a client id and secret, `huddle run` serves Slack's install link and its
    redirect, and is ready with no bot token to test at start."""
    port = free_port()
    env = {
        "HUDDLE_SLACK_CLIENT_ID": CLIENT_ID,
        "HUDDLE_SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "HUDDLE_SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "HUDDLE_SLACK_API_URL": fake.api_url,
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_PORT": str(port),
        "HUDDLE_LOG_LEVEL": "WARNING",
    }
    await huddle("db", "upgrade", cwd=tmp_path, env={})
    proc = await start_huddle("run", cwd=tmp_path, env=env)
    try:
        await wait_for_port(port)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/readyz") as r:
                assert r.status == 200, await r.text()
            async with session.get(f"http://127.0.0.1:{port}/slack/install") as r:
                assert r.status == 200
                assert r.headers["Set-Cookie"].startswith("slack-app-oauth-state=")
                assert f"client_id={CLIENT_ID}" in await r.text()
            async with session.get(f"http://127.0.0.1:{port}/slack/oauth_redirect?code=x") as r:
                assert r.status == 400  # no state, no cookie: refused
        assert not fake.of("oauth.v2.access", ok_only=False)
        assert fake.of("api.test")  # the start-up check, with no token to test
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err_bytes.decode()
