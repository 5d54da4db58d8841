"""Huddle running as in production (its aiohttp server on a free port), and a Slack for it.

Requests are signed with a real signing secret exactly as Slack signs them;
the bot's Web API calls go to :class:`tests.slack_fake.FakeSlack`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from adapters.server import Platforms, build
from adapters.slack.adapter import SlackAdapter
from adapters.slack.settings import SlackSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from tests.fakechat import FakeChat
from tests.slack_fake import BOT_TOKEN, FakeSlack

#: (Slack user id, email, name, time zone or None)
SlackUserSpec = tuple[str, str | None, str, str | None]


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends: v0 HMAC-SHA256 of 'v0:timestamp:body'."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Sent:
    """What Huddle's server answered to one request."""

    status: int
    body: str
    seconds: float


@dataclass
class SlackHarness:
    fake: FakeSlack
    adapter: SlackAdapter
    base_url: str
    secret: str
    session: aiohttp.ClientSession
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    #: The workspace requests come from (``dataclasses.replace`` for another one), and
    #: for Enterprise Grid its organisation, and whether Huddle is installed org-wide.
    team: str = "T0TEST"
    enterprise: str | None = None
    org_wide: bool = False

    # --- raw requests -------------------------------------------------------------------

    async def send(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> Sent:
        started = time.perf_counter()
        async with self.session.post(
            f"{self.base_url}/slack/events",
            data=body.encode(),
            headers={"Content-Type": content_type, **(headers or {})},
        ) as response:
            text = await response.text()
        return Sent(response.status, text, time.perf_counter() - started)

    async def signed(self, body: str, content_type: str, **extra: str) -> Sent:
        return await self.send(body, content_type, {**sign(self.secret, body), **extra})

    # --- Slack-shaped requests ----------------------------------------------------------

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        return json.dumps(
            {
                "token": "unused",
                "team_id": self.team,
                "api_app_id": "A0HUDDLE",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):06d}",
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [
                    {
                        "enterprise_id": self.enterprise,
                        # An org-wide install is authorised for the organisation, not a team.
                        "team_id": None if self.org_wide else self.team,
                        "user_id": "UHUDDLEBOT",
                        "is_bot": True,
                        "is_enterprise_install": self.org_wide,
                    }
                ],
                **({"enterprise_id": self.enterprise} if self.enterprise else {}),
                "is_ext_shared_channel": False,
            }
        )

    async def event(
        self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None
    ) -> Sent:
        extra = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else {}
        )
        return await self.signed(self.event_body(event, event_id), "application/json", **extra)

    async def dm(
        self, user: str, text: str, event_id: str | None = None, retry: int | None = None
    ) -> Sent:
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        return await self.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "ts": ts,
            },
            event_id,
            retry,
        )

    async def file_share(
        self, user: str, files: list[dict[str, Any]], text: str = "", event_id: str | None = None
    ) -> Sent:
        """A person sends files (from :meth:`FakeSlack.add_file`) in their DM with the bot."""
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        return await self.event(
            {
                "type": "message",
                "subtype": "file_share",
                "channel_type": "im",
                "channel": "D" + user,
                "user": user,
                "text": text,
                "files": files,
                "upload": False,
                "display_as_bot": False,
                "ts": ts,
            },
            event_id,
        )

    async def mention(self, user: str, channel: str, text: str) -> tuple[Sent, str]:
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        sent = await self.event(
            {
                "type": "app_mention",
                "channel": channel,
                "user": user,
                "text": f"<@UHUDDLEBOT> {text}",
                "ts": ts,
            }
        )
        return sent, ts

    async def command(self, user: str, text: str, channel: str | None = None) -> tuple[Sent, str]:
        key = f"cmd{next(self._ids)}"
        channel = channel or "D" + user
        body = urlencode(
            {
                "token": "unused",
                "team_id": self.team,
                "team_domain": "huddle-test",
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "icu-team",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/huddle",
                "text": text,
                "api_app_id": "A0HUDDLE",
                "response_url": self.fake.response_url(key),
                "trigger_id": f"trig{next(self._ids)}",
            }
        )
        return await self.signed(body, "application/x-www-form-urlencoded"), key

    async def click(self, user: str, post: dict[str, Any], label: str) -> Sent:
        """Press a button on a message the bot posted (as recorded by the fake)."""
        button = find_button(post["blocks"], label)
        payload = {
            "type": "block_actions",
            "user": {"id": user, "name": user.lower()},
            "api_app_id": "A0HUDDLE",
            "team": {"id": self.team},
            "container": {
                "type": "message",
                "message_ts": post["_ts"],
                "channel_id": post["channel"],
                "is_ephemeral": False,
            },
            "channel": {"id": post["channel"]},
            "message": {
                "type": "message",
                "ts": post["_ts"],
                "text": post.get("text"),
                "blocks": post["blocks"],
            },
            "response_url": self.fake.response_url(f"click{next(self._ids)}"),
            "trigger_id": f"trig{next(self._ids)}",
            "actions": [{**button, "block_id": "b", "action_ts": str(time.time())}],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.signed(body, "application/x-www-form-urlencoded")

    async def click_home(self, user: str, view: dict[str, Any], label: str) -> Sent:
        button = find_button(view["blocks"], label)
        payload = {
            "type": "block_actions",
            "user": {"id": user},
            "api_app_id": "A0HUDDLE",
            "team": {"id": self.team},
            "container": {"type": "view", "view_id": "V1"},
            "view": {"id": "V1", "type": "home", "blocks": view["blocks"]},
            "trigger_id": "trig",
            "actions": [{**button, "block_id": "b", "action_ts": "1"}],
        }
        return await self.signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )


def find_button(blocks: list[dict[str, Any]], label: str) -> dict[str, Any]:
    for block in blocks:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["text"]["text"] == label:
                return element
    labels = [
        e["text"]["text"]
        for b in blocks
        for e in b.get("elements") or []
        if e.get("type") == "button"
    ]
    raise AssertionError(f"no button {label!r}; buttons: {labels}")


def text_of(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in a list of blocks, joined, for assertions."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)


async def start(bot: Bot, fake: FakeSlack, **settings_: Any) -> tuple[SlackHarness, web.AppRunner]:
    secret = secrets.token_hex(16)
    settings = SlackSettings(
        **{"bot_token": BOT_TOKEN, "signing_secret": secret, "api_url": fake.api_url, **settings_}
    )
    adapter = SlackAdapter(bot, settings)
    runner = web.AppRunner(build(bot, Platforms(slack=adapter)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = aiohttp.ClientSession()
    harness = SlackHarness(fake, adapter, f"http://127.0.0.1:{port}", secret, session)
    return harness, runner


@asynccontextmanager
async def sample_slack(
    engine: Engine,
    content: Content,
    clock: FrozenClock,
    users: Iterable[SlackUserSpec],
    channels: Iterable[tuple[str, str]] = (),
    **settings: Any,
) -> AsyncIterator[SlackHarness]:
    """The sample initiative and roster behind a running Huddle, with a Slack for it
    (``settings``: SlackSettings fields to change, such as ``max_file_mb``)."""
    fake = FakeSlack()
    await fake.start()
    for user_id, email, name, tz in users:
        fake.add_user(user_id, email, name, tz=tz)
    for channel_id, state in channels:
        fake.add_channel(channel_id, state)
    bot = Bot(content, engine, clock)
    FakeChat(bot, clock).load_sample_roster()
    harness, runner = await start(bot, fake, **settings)
    try:
        yield harness
    finally:
        await harness.session.close()
        await harness.adapter.close()
        await runner.cleanup()
        await fake.stop()
