"""Watching Huddle: /healthz, /readyz, /metrics and the logs.

The first test runs the real ``huddle run`` (Teams in anonymous local mode, SQLite, JSON
logs) with a local Teams connector, has a conversation with it, and reads its metrics
and every line it logged: each is a JSON object, the lines of one request share an event
id, and no word typed in the conversation is in any line at INFO or above. Then /readyz
through a real PostgreSQL outage (the database taken away and given back), and the
redaction of secrets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import uuid
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, text

from adapters.server import Platforms, build
from bot import logs, metrics
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.processes import free_port, huddle, start_huddle, wait_for_port
from tests.teams_fake import BOT_ID, TENANT, FakeConnector

#: What the person types: none of it may reach a log line at INFO or above.
TYPED = (
    "what is my next course zebrafinch",
    "I talked with Mrs Quillfeather in bed 12 about goals of care",
    "snooze until thursday marmalade",
)
TOKEN = "metrics-" + uuid.uuid4().hex


def _activity(fake: FakeConnector, number: int, words: str) -> dict[str, object]:
    return {
        "type": "message",
        "id": f"act-{number}",
        "timestamp": "2026-11-23T15:00:00.000Z",
        "serviceUrl": fake.url,
        "channelId": "msteams",
        "from": {"id": "29:ana", "name": "Ana Ruiz", "aadObjectId": "aad-ana"},
        "conversation": {"id": "a:ana", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": BOT_ID, "name": "Huddle"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": words,
        "textFormat": "plain",
    }


async def test_huddle_run_tells_its_health_readiness_and_metrics_and_logs_json(
    tmp_path: Path,
) -> None:
    roster = PROJECT_ROOT / "content" / "sample-roster.csv"
    shutil.copy(roster, tmp_path / "roster.csv")
    for step in (("db", "upgrade"), ("roster", "import", "roster.csv")):
        code, _, err = await huddle(*step, cwd=tmp_path, env={})
        assert code == 0, err
    fake = FakeConnector()
    await fake.start()
    fake.add_member("29:ana", "Ana Ruiz", "ana.ruiz@example.org", "aad-ana")
    port, metrics_port = free_port(), free_port()
    env = {
        "HUDDLE_TEAMS_ANONYMOUS": "1",
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_PORT": str(port),
        "HUDDLE_LOG_FORMAT": "json",
        "HUDDLE_LOG_LEVEL": "debug",
        "HUDDLE_METRICS_TOKEN": TOKEN,
        "HUDDLE_METRICS_PORT": str(metrics_port),
        "HUDDLE_SCHEDULER_ENABLED": "false",
    }
    proc = await start_huddle("run", cwd=tmp_path, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_for_port(port)
        await wait_for_port(metrics_port)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
                health = await r.json()
                assert (health["ok"], health["platforms"]) == (True, ["teams-anonymous"])
            async with http.get(f"{base}/readyz") as r:
                assert r.status == 200
                assert await r.json() == {
                    "ready": True,
                    "database": "ok",
                    "schema": "current",
                    "platforms": {"teams": "configured"},
                }
            for number, words in enumerate(TYPED, start=1):
                async with http.post(
                    f"{base}/api/messages", json=_activity(fake, number, words)
                ) as r:
                    assert r.status in (200, 202), await r.text()
            await fake.wait_for(lambda: len(fake.messages("a:ana")) >= len(TYPED))
            async with http.get(f"{base}/metrics") as r:
                assert r.status == 401
            async with http.get(f"{base}/metrics", headers={"Authorization": "Bearer wrong"}) as r:
                assert r.status == 401
            async with http.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
            ) as r:
                assert r.status == 200
                assert r.headers["Content-Type"].startswith("text/plain; version=")
                shown = await r.text()
            async with http.get(f"http://127.0.0.1:{metrics_port}/metrics") as r:
                assert r.status == 200  # its own port needs no token
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 60)
        await fake.stop()
    assert proc.returncode == 0, err_bytes.decode()[-2000:]

    assert 'huddle_commands_total{command="Snooze",platform="teams"} 1.0' in shown
    assert 'huddle_command_seconds_count{command="Snooze",platform="teams"} 1.0' in shown
    assert 'huddle_http_requests_total{method="POST",route="/api/messages",status="' in shown
    assert 'huddle_outbox_messages{state="pending"}' in shown
    assert "huddle_command_seconds_bucket" in shown and "huddle_outbox_lag_seconds" in shown

    lines = [json.loads(line) for line in err_bytes.decode().splitlines() if line.strip()]
    assert lines, "huddle run logged nothing"
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line), line
    loud = [json.dumps(line) for line in lines if line["level"] not in ("DEBUG",)]
    for words in TYPED:
        for piece in (words, words.split()[-1]):
            assert not [line for line in loud if piece in line], piece
    every = err_bytes.decode()
    assert TOKEN not in every
    # Each Teams turn's lines carry its own event id: the first message's two answers
    # (asked again once the person's email was looked up) share one.
    answered = [line for line in lines if "answered in" in line["message"]]
    assert len(answered) == len(TYPED) + 1
    events = [line.get("event", "") for line in answered]
    assert all(e.startswith("r-") for e in events) and events[0] == events[1], events
    assert len(set(events)) == len(TYPED)


async def test_readyz_fails_while_the_database_is_away_and_recovers_by_itself(
    sample_content: Content, clock: FrozenClock
) -> None:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (HUDDLE_REQUIRE_POSTGRES=1)")
        pytest.skip("HUDDLE_TEST_POSTGRES_URL is not set")
    name = f"huddle_ready_{uuid.uuid4().hex[:8]}"
    away = f"{name}_away"
    admin_url = POSTGRES_URL.rsplit("/", 1)[0] + "/postgres"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade(engine)
        bot = Bot(sample_content, engine, clock)
        app = build(bot, Platforms())
        async with TestClient(TestServer(app)) as client:
            response = await client.get("/readyz")
            assert response.status == 200 and (await response.json())["ready"] is True

            def take_away(old: str, new: str) -> None:
                with admin.connect() as conn:
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :db AND pid <> pg_backend_pid()"
                        ),
                        {"db": old},
                    )
                    conn.execute(text(f'ALTER DATABASE "{old}" RENAME TO "{new}"'))

            await asyncio.to_thread(take_away, name, away)
            response = await client.get("/readyz")
            assert response.status == 503
            assert await response.json() == {
                "ready": False,
                "database": "unreachable",
                "platforms": {},
            }
            response = await client.get("/healthz")
            assert response.status == 200  # the process itself is fine: don't restart it

            await asyncio.to_thread(take_away, away, name)
            response = await client.get("/readyz")
            assert response.status == 200, await response.text()
    finally:
        engine.dispose()
        with admin.connect() as conn:
            for db in (name, away):
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :db AND pid <> pg_backend_pid()"
                    ),
                    {"db": db},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
        admin.dispose()


@pytest.mark.parametrize(
    ("secret", "kept"),
    [
        ("xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "Authorization: "),
        ("xapp-1-A0123456789-1234567890123-abcdef0123456789", "while sending"),
        ("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl", "Authorization:"),
        ("https://huddle.example.org/dashboard/login?t=InNhbSI.Z1x2.abcdefgh", "login?t="),
        ("postgresql://huddle:s3cr3tpass@db.internal/huddle", "postgresql://huddle:"),
        ("signing_secret=8f14e45fceea167a5a36dedd4bea2543", "signing_secret="),
    ],
)
def test_secrets_are_redacted_from_every_line(secret: str, kept: str) -> None:
    stream_lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stream_lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.Redact())
    logger = logging.getLogger("huddle.test_redaction")
    logger.setLevel(logging.DEBUG)  # at every level, DEBUG too
    logger.addHandler(handler)
    try:
        logs.EVENT.set("r-test")
        logger.debug("Authorization: %s while sending", secret)
        try:
            raise RuntimeError(f"failed with {secret}")
        except RuntimeError:
            logger.exception("it went wrong")
    finally:
        logger.removeHandler(handler)
    assert len(stream_lines) == 2
    for line in stream_lines:
        parsed = json.loads(line)
        assert parsed["event"] == "r-test"
        assert secret not in line and logs.REDACTED in line
    assert kept in json.loads(stream_lines[0])["message"]
    assert json.loads(stream_lines[1])["exception"] == "RuntimeError"


async def test_dashboard_pages_are_counted_by_view_and_status(bot: Bot) -> None:
    def count(view: str, status: str) -> float:
        found = metrics.REGISTRY.get_sample_value(
            "huddle_dashboard_requests_total", {"view": view, "status": status}
        )
        return found or 0.0

    before = (count("roster", "401"), count("other", "401"))
    async with TestClient(TestServer(build(bot, Platforms()))) as client:
        assert (await client.get("/dashboard?view=roster")).status == 401
        assert (await client.get("/dashboard?view=<script>")).status == 401
    assert (count("roster", "401"), count("other", "401")) == (before[0] + 1, before[1] + 1)
