"""Serving Teams: tokens are checked unless in anonymous local mode, which refuses to run
anywhere but localhost."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import Engine

from adapters.server import Platforms, build
from adapters.teams.adapter import TeamsAdapter
from adapters.teams.settings import TeamsSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from tests.processes import free_port, huddle, start_huddle, wait_for_port


async def test_anonymous_mode_refuses_to_listen_beyond_localhost(tmp_path: Path) -> None:
    code, _, err = await huddle("run", cwd=tmp_path, env={"HUDDLE_TEAMS_ANONYMOUS": "1"})
    assert code == 2
    assert "only runs on localhost" in err and "HUDDLE_HOST is 0.0.0.0" in err
    code, _, err = await huddle(
        "run", cwd=tmp_path, env={"HUDDLE_TEAMS_ANONYMOUS": "1", "HUDDLE_HOST": "10.1.2.3"}
    )
    assert code == 2 and "HUDDLE_HOST is 10.1.2.3" in err


async def test_missing_teams_settings_stop_the_start(tmp_path: Path) -> None:
    code, _, err = await huddle(
        "run", cwd=tmp_path, env={"HUDDLE_TEAMS_APP_ID": "c9e8c047-2a74-40a2-b28a-b162d5f5327c"}
    )
    assert code == 2 and "HUDDLE_TEAMS_TENANT_ID" in err


async def test_anonymous_mode_serves_on_localhost_until_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        "HUDDLE_TEAMS_ANONYMOUS": "1",
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_PORT": str(port),
    }
    proc = await start_huddle("run", cwd=tmp_path, env=env)
    try:
        await wait_for_port(port)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as r,
        ):
            assert (await r.json())["platforms"] == ["teams-anonymous"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()


@pytest.mark.parametrize(
    "moment",
    [
        "Huddle is starting",  # settings read, database and adapters not yet set up
        "Huddle is serving",  # the port is open; the scheduler is still starting
    ],
)
async def test_a_stop_during_start_up_is_as_clean_as_one_later(tmp_path: Path, moment: str) -> None:
    env = {
        "HUDDLE_TEAMS_ANONYMOUS": "1",
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_PORT": str(free_port()),
        "HUDDLE_LOG_LEVEL": "info",
    }
    proc = await start_huddle("run", cwd=tmp_path, env=env)
    assert proc.stderr is not None
    seen: list[str] = []
    while not any(moment in line for line in seen):
        line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
        assert line, "".join(seen)  # the process ended before it said so
        seen.append(line)
    proc.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(proc.communicate(), 60)
    log = "".join(seen) + rest.decode()
    assert proc.returncode == 0, log
    assert "shutting down" in log and "Traceback" not in log


def _token(header: dict[str, str]) -> str:
    import base64
    import json

    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {
        "aud": "c9e8c047-2a74-40a2-b28a-b162d5f5327c",
        "iss": "https://api.botframework.com",
        "exp": 4102444800,
        "serviceurl": "http://127.0.0.1:9/",
    }
    return f"{part(header)}.{part(claims)}.c2lnbmF0dXJl"


async def test_with_credentials_every_request_needs_a_valid_token(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> None:
    settings = TeamsSettings(
        app_id="c9e8c047-2a74-40a2-b28a-b162d5f5327c",
        app_password="not-a-real-secret",
        tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
    )
    adapter = TeamsAdapter(Bot(sample_content, engine, clock), settings)
    runner = web.AppRunner(build(adapter.bot, Platforms(teams=adapter)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    activity = {
        "type": "message",
        "id": "1",
        "channelId": "msteams",
        "text": "next",
        "serviceUrl": "http://127.0.0.1:9/",
        "from": {"id": "29:x"},
        "conversation": {"id": "a:x"},
        "recipient": {"id": "28:bot"},
    }
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/api/messages"
            async with session.post(url, json=activity) as r:
                assert r.status == 401
            for token in (
                "eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.",  # no key id
                _token({"alg": "RS256", "kid": "k1", "typ": "JWT"}),  # unknown key
                "not-a-jwt",
            ):
                headers = {"Authorization": f"Bearer {token}"}
                async with session.post(url, json=activity, headers=headers) as r:
                    assert r.status == 401, token
    finally:
        await adapter.close()
        await runner.cleanup()
