"""A local HTTP server that plays the Bot Connector (the service a Teams bot calls back).

It answers the calls Huddle makes through the Agents SDK (send and reply,
update, member look-up), records every activity the bot sends, and can answer
403 (the person blocked the bot) or 429 / 412 / 5xx with Retry-After on demand.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TENANT = "11111111-2222-3333-4444-555555555555"
BOT_ID = "28:huddle-bot"


@dataclass
class Sent:
    """One request the bot made to the connector."""

    method: str
    path: str
    conversation: str
    activity: dict[str, Any]
    status: int
    at: float
    activity_id: str = ""
    replaced: str = ""  # the activity id an update replaced


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    code: str = ""


@dataclass
class FakeConnector:
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def add_member(self, user_id: str, name: str, email: str, aad: str) -> None:
        self.members[user_id] = {
            "id": user_id,
            "name": name,
            "email": email,
            "userPrincipalName": email,
            "aadObjectId": aad,
            "tenantId": TENANT,
            "userRole": "user",
        }

    def fail_next(
        self, status: int, count: int = 1, retry_after: str | None = None, code: str = ""
    ) -> None:
        self.failures += [Failure(status, retry_after, code) for _ in range(count)]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # --- what happened ----------------------------------------------------------------

    def messages(self, conversation: str | None = None, ok_only: bool = True) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.method == "POST"
            and (conversation is None or s.conversation == conversation)
            and (s.status < 300 or not ok_only)
        ]

    def updates(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "PUT" and s.status < 300]

    async def wait_for(self, check: Callable[[], Any], timeout: float = 15.0) -> Any:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(check), timeout)
            except TimeoutError:
                raise AssertionError(
                    "timed out waiting; sent so far:\n"
                    + "\n".join(
                        f"{s.method} {s.status} {s.conversation} {json.dumps(s.activity)[:300]}"
                        for s in self.sent
                    )
                ) from None
        return check()

    # --- the API ----------------------------------------------------------------------

    async def _record(self, sent: Sent) -> None:
        async with self._changed:
            self.sent.append(sent)
            self._changed.notify_all()

    def _failure(self) -> web.Response | None:
        if not self.failures:
            return None
        failure = self.failures.pop(0)
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
        body = {
            "error": {
                "code": failure.code or f"Status{failure.status}",
                "message": "refused by the fake connector",
            }
        }
        return web.json_response(body, status=failure.status, headers=headers)

    async def _send(self, request: web.Request) -> web.Response:
        activity = await request.json()
        cid = request.match_info["cid"]
        refused = self._failure()
        sent = Sent(
            "POST",
            request.path,
            cid,
            activity,
            refused.status if refused else 200,
            time.monotonic(),
        )
        if refused is None:
            sent.activity_id = f"act-{next(self._ids)}"
        await self._record(sent)
        return refused or web.json_response({"id": sent.activity_id})

    async def _update(self, request: web.Request) -> web.Response:
        activity = await request.json()
        refused = self._failure()
        sent = Sent(
            "PUT",
            request.path,
            request.match_info["cid"],
            activity,
            refused.status if refused else 200,
            time.monotonic(),
            replaced=request.match_info["aid"],
        )
        await self._record(sent)
        return refused or web.json_response({"id": request.match_info["aid"]})

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["mid"])
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation", "message": "not a member"}},
                status=404,
            )
        return web.json_response(member)


def cards_in(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        a["content"]
        for a in activity.get("attachments") or []
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


def text_of(activity: dict[str, Any]) -> str:
    """Every piece of text in an activity (its text and its cards), for assertions."""
    out: list[str] = [activity.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(cards_in(activity))
    return "\n".join(out)


def button(activity: dict[str, Any], label: str) -> dict[str, Any]:
    """The Action.Submit data of the button with this label, in the card."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(cards_in(activity))
    for action in found:
        if action["title"] == label:
            return dict(action["data"])
    raise AssertionError(f"no button {label!r}; buttons: {[a['title'] for a in found]}")
