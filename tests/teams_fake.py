"""A local HTTP server that plays the Bot Connector (the service a Teams bot calls back).

It answers the calls Huddle makes through the Agents SDK (send and reply,
update, delete, member look-up, a team's members page by page, starting a personal
conversation), records every activity the bot sends, and can answer 403 (the person
blocked the bot) or 429 / 412 / 5xx with Retry-After on demand.

It also plays the OneDrive side of files in a personal chat: a short-lived download
URL for a file someone sends (no token needed), and upload sessions that take a
file's bytes by PUT with ``Content-Range``, as the bot does after a FileConsentCard
is accepted. A send can be held until the test lets it go (:meth:`hold`).
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
class UploadSession:
    """An upload URL handed to the bot (in a fileConsent/invoke), and what it received."""

    name: str
    data: bytearray = field(default_factory=bytearray)
    total: int | None = None
    puts: list[dict[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.total is not None and len(self.data) == self.total


@dataclass
class Failure:
    status: int
    retry_after: str | None = None
    code: str = ""
    #: Which requests it hits: "" a send or an update (as ever), else "members" (a page
    #: of a team's members) or "create" (a new conversation).
    on: str = ""


@dataclass
class FakeConnector:
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    port: int = 0
    downloads: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    uploads: dict[str, UploadSession] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    #: team id -> its members' ids (each in ``members``), for ``pagedmembers``.
    teams: dict[str, list[str]] = field(default_factory=dict)
    #: At most this many members a page, whatever the bot asks for.
    page_cap: int = 500
    #: Each ``POST /v3/conversations`` the bot made (its body and the answer's status).
    created: list[Sent] = field(default_factory=list)
    #: While set and not yet set free, a request for a team's members waits for it.
    members_gate: asyncio.Event | None = None

    def __post_init__(self) -> None:
        self._ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._holds: list[tuple[Callable[[dict[str, Any]], bool], asyncio.Event]] = []

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

    def add_download(self, name: str, content: bytes) -> str:
        """Keep a file someone sends; returns its (short-lived, token-free) download URL."""
        key = f"d{next(self._ids)}"
        self.downloads[key] = (name, content)
        return f"{self.url}onedrive/download/{key}"

    def upload_url(self, name: str) -> str:
        """A new upload session, as Teams puts in a fileConsent/invoke when someone accepts."""
        key = f"u{next(self._ids)}"
        self.uploads[key] = UploadSession(name)
        return f"{self.url}onedrive/upload/{key}"

    def hold(self, match: Callable[[dict[str, Any]], bool]) -> asyncio.Event:
        """Hold every activity the bot sends that ``match`` until the event is set (each is
        recorded with the method ``HELD`` when it arrives)."""
        release = asyncio.Event()
        self._holds.append((match, release))
        return release

    def fail_next(
        self,
        status: int,
        count: int = 1,
        retry_after: str | None = None,
        code: str = "",
        on: str = "",
    ) -> None:
        self.failures += [Failure(status, retry_after, code, on) for _ in range(count)]

    async def start(self) -> None:
        # OneDrive takes up to 60 MiB in one PUT of an upload session.
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_get("/onedrive/download/{key}", self._download)
        app.router.add_put("/onedrive/upload/{key}", self._upload)
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

    def _failure(self, on: str = "") -> web.Response | None:
        failure = next((f for f in self.failures if f.on == on), None)
        if failure is None:
            return None
        self.failures.remove(failure)
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
        for match, release in list(self._holds):
            if match(activity):
                await self._record(Sent("HELD", request.path, cid, activity, 0, time.monotonic()))
                await release.wait()
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

    async def _delete(self, request: web.Request) -> web.Response:
        self.deleted.append(request.match_info["aid"])
        await self._record(
            Sent("DELETE", request.path, request.match_info["cid"], {}, 200, time.monotonic())
        )
        return web.Response(status=200)

    async def _download(self, request: web.Request) -> web.Response:
        found = self.downloads.get(request.match_info["key"])
        self.fetched.append(request.match_info["key"])
        if found is None:
            return web.Response(status=404, text="expired")
        return web.Response(body=found[1], content_type="application/octet-stream")

    async def _upload(self, request: web.Request) -> web.Response:
        """One PUT to an upload session: ``Content-Range: bytes first-last/total`` and a
        ``Content-Length`` that match the body, pieces in order; 202 until complete."""
        session = self.uploads.get(request.match_info["key"])
        body = await request.read()
        headers = {k: request.headers.get(k, "") for k in ("Content-Range", "Content-Length")}
        if session is None:
            return web.json_response({"error": {"code": "itemNotFound"}}, status=404)
        session.puts.append(headers)
        given = headers["Content-Range"].removeprefix("bytes ").replace("/", "-").split("-")
        ok = (
            len(given) == 3
            and all(g.isdigit() for g in given)
            and int(given[0]) == len(session.data)
            and int(given[1]) - int(given[0]) + 1 == len(body)
            and headers["Content-Length"] == str(len(body))
            and session.total in (None, int(given[2]))
        )
        if not ok:
            await self._record(Sent("UPLOAD", request.path, "", headers, 416, time.monotonic()))
            return web.json_response({"error": {"code": "invalidRange"}}, status=416)
        session.total = int(given[2])
        session.data += body
        status = 201 if session.complete else 202
        await self._record(Sent("UPLOAD", request.path, "", headers, status, time.monotonic()))
        if session.complete:
            return web.json_response({"id": "item-1", "name": session.name}, status=201)
        return web.json_response({"nextExpectedRanges": [f"{len(session.data)}-"]}, status=202)

    async def _paged_members(self, request: web.Request) -> web.Response:
        """A page of a team's members; ``continuationToken`` is where the next page starts."""
        team = self.teams.get(request.match_info["cid"])
        if self.members_gate is not None:
            await self.members_gate.wait()
        refused = self._failure("members")
        await self._record(
            Sent(
                "MEMBERS",
                request.path_qs,
                request.match_info["cid"],
                {},
                refused.status if refused else 200,
                time.monotonic(),
            )
        )
        if refused:
            return refused
        if team is None:
            return web.json_response({"error": {"code": "ConversationNotFound"}}, status=404)
        size = min(int(request.query.get("pageSize") or 500), self.page_cap)
        start = int(request.query.get("continuationToken") or 0)
        page = team[start : start + size]
        body: dict[str, Any] = {"members": [self.members[m] for m in page]}
        if start + size < len(team):
            body["continuationToken"] = str(start + size)
        return web.json_response(body)

    async def _create(self, request: web.Request) -> web.Response:
        """A new 1:1 conversation: the bot and one member of the tenant, not a group. Teams
        answers with the same id for the same person each time."""
        body = await request.json()
        members = body.get("members") or []
        ok = (
            body.get("isGroup") is False
            and (body.get("bot") or {}).get("id") == BOT_ID
            and body.get("tenantId") == TENANT
            and len(members) == 1
            and members[0].get("id") in self.members
        )
        refused = self._failure("create") if ok else web.json_response({}, status=400)
        sent = Sent(
            "CREATE",
            request.path,
            "",
            body,
            refused.status if refused else 201,
            time.monotonic(),
        )
        if refused is None:
            sent.conversation = f"a:1on1-{members[0]['id']}"
        self.created.append(sent)
        await self._record(sent)
        return refused or web.json_response({"id": sent.conversation}, status=201)

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
