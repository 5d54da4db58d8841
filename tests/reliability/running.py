"""``huddle run`` as a real process serving Slack, Teams and xAPI at once, with the
local Slack Web API and Teams connector it talks to, for the reliability suite.

The database is prepared in this process (schema, the sample roster, an xAPI
credential); the bot runs in its own, started with ``tests.processes`` and driven
over HTTP with the Slack and Teams harnesses' request builders (they need no adapter
of their own to build and post requests).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.models import (
    AuditEntry,
    Completion,
    Conversation,
    HandledEvent,
    OutboxMessage,
    PlatformIdentity,
)
from bot.xapi import new_credential
from tests.fakechat import FakeChat
from tests.processes import free_port, start_huddle, wait_for_port
from tests.slack_fake import BOT_TOKEN, FakeSlack
from tests.slack_harness import SlackHarness
from tests.teams_fake import FakeConnector
from tests.teams_harness import TeamsHarness, TeamsUser

ANA_SLACK = "UANA"
ANA_EMAIL = "ana.ruiz@example.org"
ANA_TEAMS = TeamsUser("29:ana", "Ana Ruiz", "aad-ana", "a:ana")
#: Tables a refused request must leave as they were.
WRITTEN = (HandledEvent, Conversation, PlatformIdentity, AuditEntry, Completion, OutboxMessage)


async def until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll ``check`` until it is truthy (returned) or ``seconds`` pass (an AssertionError)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        found = check()
        if found:
            return found
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


def stored(engine: Engine) -> dict[str, int]:
    """Rows in each table a request could write."""
    with Session(engine) as s:
        return {
            t.__tablename__: s.exec(select(func.count()).select_from(t)).one()  # type: ignore[attr-defined]
            for t in WRITTEN
        }


def prepare(engine: Engine, content: Content, roster: bool = True) -> tuple[str, str]:
    """The schema, the sample roster (unless not wanted) and an xAPI credential."""
    upgrade(engine)
    now = datetime.now(UTC)
    if roster:
        FakeChat(Bot(content, engine, FrozenClock(now)), FrozenClock(now)).load_sample_roster()
    return new_credential(engine, "lms", "tester", now)


@dataclass
class Stack:
    """One running ``huddle run`` and the platforms it talks to."""

    tmp: Path
    database_url: str
    engine: Engine
    slack_fake: FakeSlack
    teams_fake: FakeConnector
    secret: str
    xapi_key: tuple[str, str]
    env: dict[str, str]
    http: aiohttp.ClientSession
    proc: asyncio.subprocess.Process | None = None
    port: int = 0
    runs: int = 0
    logs: list[Path] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def slack(self) -> SlackHarness:
        return SlackHarness(self.slack_fake, None, self.base, self.secret, self.http)  # type: ignore[arg-type]

    @property
    def teams(self) -> TeamsHarness:
        return self._teams

    def __post_init__(self) -> None:
        self._teams = TeamsHarness(self.teams_fake, None, self.base, self.http)  # type: ignore[arg-type]

    def xapi_headers(self, key: str | None = None, secret: str | None = None) -> dict[str, str]:
        pair = f"{key or self.xapi_key[0]}:{secret or self.xapi_key[1]}".encode()
        return {
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }

    async def start(self, **env: str) -> None:
        """Start (or start again) ``huddle run``, and wait until it is ready."""
        self.port = free_port()
        self._teams.base_url = self.base
        self.runs += 1
        log = self.tmp / f"run{self.runs}.log"
        self.logs.append(log)
        with log.open("wb") as handle:
            self.proc = await start_huddle(
                "run",
                cwd=self.tmp,
                env={**self.env, "HUDDLE_PORT": str(self.port), **env},
                stdout=handle,
                stderr=handle,
            )
        await wait_for_port(self.port, 60)
        status, body = 0, ""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while status != 200:
            async with self.http.get(f"{self.base}/readyz") as r:
                status, body = r.status, await r.text()
            assert loop.time() < deadline, f"never ready: {body}\n{self.log()[-2000:]}"
            if status != 200:
                await asyncio.sleep(0.1)

    def log(self) -> str:
        return self.logs[-1].read_text(encoding="utf-8", errors="replace") if self.logs else ""

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> str:
        """SIGTERM, and the log of this run (asserting it stopped cleanly)."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 60)
        return self.log()

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        async with self.http.post(f"{self.base}{path}", data=body, headers=headers or {}) as r:
            return r.status, await r.text()


async def open_stack(
    tmp: Path,
    content: Content,
    database_url: str | None = None,
    *,
    process_url: str | None = None,
    roster: bool = True,
    **env: str,
) -> Stack:
    """Fakes started and the database prepared; ``huddle run`` not started yet.

    ``process_url``: where the process finds the database, if not where the test does
    (through a proxy the test can cut).
    """
    url = database_url or f"sqlite:///{tmp / 'huddle.db'}"
    engine = make_engine(url)
    key = prepare(engine, content, roster)
    slack = FakeSlack()
    await slack.start()
    slack.add_user(ANA_SLACK, ANA_EMAIL, "Ana Ruiz")
    teams = FakeConnector()
    await teams.start()
    teams.add_member(ANA_TEAMS.id, ANA_TEAMS.name, ANA_EMAIL, ANA_TEAMS.aad)
    secret = secrets.token_hex(16)
    base_env = {
        "HUDDLE_DATABASE_URL": process_url or url,
        "HUDDLE_SLACK_BOT_TOKEN": BOT_TOKEN,
        "HUDDLE_SLACK_SIGNING_SECRET": secret,
        "HUDDLE_SLACK_API_URL": slack.api_url,
        "HUDDLE_TEAMS_ANONYMOUS": "1",
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_LOG_LEVEL": "info",
        "HUDDLE_TICK_SECONDS": "1",
        "HUDDLE_DELIVERY_LEASE_SECONDS": "3",
        "HUDDLE_SLACK_PER_MINUTE": "0",
        "HUDDLE_SLACK_CHANNEL_GAP": "0",
        "HUDDLE_TEAMS_CONVERSATION_GAP": "0",
        **env,
    }
    return Stack(tmp, url, engine, slack, teams, secret, key, base_env, aiohttp.ClientSession())


async def close_stack(stack: Stack) -> None:
    try:
        await stack.stop()
    finally:
        stack.kill()
        await stack.http.close()
        await stack.slack_fake.stop()
        await stack.teams_fake.stop()
        stack.engine.dispose()
