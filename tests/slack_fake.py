"""A local HTTP server that speaks the Slack Web API methods Huddle uses.

The real slack_sdk client talks to it over HTTP (``base_url``). It checks the
token and the arguments as Slack would (an unknown channel is
``channel_not_found``, a message with blocks and no ``text`` gets a
``missing_text`` warning, blocks over Slack's limits are ``invalid_blocks``),
records every call, can answer 429 with Retry-After, and serves the
``response_url`` endpoints that slash commands and buttons answer through.

Files too: ``files.info``, the private download (which needs the bot token and,
as Slack does, answers a sign-in page in HTML without it), and the three steps
of an upload (``files.getUploadURLExternal``, the POST of the bytes to the URL
it gave, ``files.completeUploadExternal``), recording what was uploaded where.
A call can be held until the test lets it go (:meth:`FakeSlack.hold`).

Several workspaces too (:meth:`FakeSlack.add_workspace`): each has its own bot user and
its tokens, and every call is recorded with the workspace its token belongs to. Slack's
OAuth: ``oauth.v2.access`` exchanges an install code (:meth:`FakeSlack.install_code`)
for a workspace's bot token, checking the app's client id and secret (HTTP Basic, as
slack_sdk sends them); with :attr:`FakeSlack.token_lifetime` set, tokens rotate as they
do with token rotation on (``xoxe.xoxb-`` tokens that expire, a refresh token, and
``grant_type=refresh_token`` for a new pair: the refresh token is good once, and the
old access token stops working, stricter than Slack, so a send with a stale token
shows). ``oauth.v2.exchange`` turns a long-lived token into a rotating one.
:meth:`FakeSlack.revoke` makes a token ``token_revoked``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web

BOT_TOKEN = "xoxb-test-huddle"
APP_TOKEN = "xapp-test-huddle"
BOT_USER = "UHUDDLEBOT"
TEAM = "T0TEST"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
APP_ID = "A0HUDDLE"
#: Methods the app calls with its client id and secret rather than a token.
OAUTH_METHODS = frozenset({"oauth.v2.access", "oauth.v2.exchange"})
SIGN_IN_PAGE = (
    "<!DOCTYPE html><html><head><title>Slack</title></head>"
    "<body><h1>Sign in to Huddle Test</h1></body></html>"
)


@dataclass
class SharedFile:
    """A file someone shared, as Slack keeps it."""

    id: str
    name: str
    content: bytes
    mimetype: str = "text/csv"
    #: A Slack Connect file: the event carries only its id (``file_access``).
    connect: bool = False
    mode: str = "hosted"


@dataclass
class Uploaded:
    """A file the bot uploaded and shared (files.completeUploadExternal)."""

    file_id: str
    filename: str
    title: str
    data: bytes
    channel: str
    thread_ts: str | None = None


@dataclass
class Call:
    """One request the fake received."""

    method: str
    args: dict[str, Any]
    at: float
    status: int = 200
    warnings: list[str] = field(default_factory=list)
    #: The token it came with, and the workspace that token belongs to.
    token: str = ""
    team: str = ""


@dataclass
class Workspace:
    """A Slack workspace the app can be installed in."""

    team_id: str
    name: str
    bot_user: str
    enterprise_id: str | None = None


@dataclass
class SlackUser:
    id: str
    email: str | None
    name: str
    tz: str | None = "America/Chicago"


class FakeSlack:
    """The fake Web API. Start it with :meth:`start`; point slack_sdk at :attr:`api_url`."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, str] = {}  # id -> state: "member", "not_member", "archived"
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.rate_limit_fraction = 0.0
        self.retry_after = 1
        #: Slack-like limits on chat.postMessage: at most one a ``channel_gap`` seconds per
        #: channel, and ``per_minute`` in any 60 s across the workspace (0: no limit).
        self.channel_gap = 0.0
        self.per_minute = 0
        self._last_post: dict[str, float] = {}
        self._window: list[float] = []
        self.fail_next: dict[str, list[int]] = {}  # method -> statuses for its next calls
        self.socket_url = ""
        self.files: dict[str, SharedFile] = {}
        #: The token the file server takes (another one gets the sign-in page).
        self.file_token = BOT_TOKEN
        self.uploads: list[Uploaded] = []
        self._upload_bytes: dict[str, bytes | None] = {}
        self._upload_names: dict[str, str] = {}
        self._holds: list[tuple[Callable[[str, dict[str, Any]], bool], asyncio.Event]] = []
        self._random = random.Random(42)
        self._ts = itertools.count(1)
        self._last_ts = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0
        self.workspaces: dict[str, Workspace] = {TEAM: Workspace(TEAM, "Test", BOT_USER)}
        #: Live tokens -> the workspace they act in.
        self.tokens: dict[str, str] = {BOT_TOKEN: TEAM}
        self.revoked: set[str] = set()
        #: Seconds a token lasts when rotation is on; None: tokens that do not expire.
        self.token_lifetime: int | None = None
        self._codes: dict[str, str] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> workspace

    # --- setup -----------------------------------------------------------------------------

    def add_user(self, user_id: str, email: str | None, name: str, tz: str | None = None) -> None:
        self.users[user_id] = SlackUser(user_id, email, name, tz or "America/Chicago")

    def add_workspace(
        self, team_id: str, name: str, bot_user: str, enterprise_id: str | None = None
    ) -> None:
        self.workspaces[team_id] = Workspace(team_id, name, bot_user, enterprise_id)

    def add_org(self, enterprise_id: str, name: str, bot_user: str) -> None:
        """An Enterprise Grid organisation, for an org-wide install (its tokens act in
        every workspace of the organisation, and are kept under the enterprise id)."""
        self.workspaces[enterprise_id] = Workspace("", name, bot_user, enterprise_id)

    def install_code(self, team_id: str) -> str:
        """A code Slack would give the installer's browser for this workspace, or for an
        organisation (:meth:`add_org`), once."""
        code = f"code-{team_id}-{next(self._ts)}"
        self._codes[code] = team_id
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        return [t for t, team in self.tokens.items() if team == team_id]

    def revoke(self, team_id: str) -> None:
        """Every token of the workspace stops working (uninstalled, or revoked)."""
        for token in self.tokens_of(team_id):
            del self.tokens[token]
            self.revoked.add(token)

    def _issue(self, team_id: str) -> dict[str, Any]:
        """A new bot token for a workspace (rotating ones with a refresh token)."""
        number = next(self._ts)
        answer: dict[str, Any] = {"token_type": "bot"}
        if self.token_lifetime is None:
            token = f"xoxb-{team_id}-{number}"
        else:
            token = f"xoxe.xoxb-1-{team_id}-{number}"
            refresh = f"xoxe-1-{team_id}-{number}"
            self._refresh[refresh] = team_id
            answer.update(refresh_token=refresh, expires_in=self.token_lifetime)
        self.tokens[token] = team_id
        answer["access_token"] = token
        return answer

    def _client_auth(self, request: web.Request) -> bool:
        given = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return given == f"Basic {expected}"

    def _oauth(self, method: str, args: dict[str, Any], call: Call) -> dict[str, Any]:
        if method == "oauth.v2.exchange":
            team = self.tokens.pop(str(args.get("token", "")), None)
            if team is None:
                return {"ok": False, "error": "invalid_auth"}
            saved, self.token_lifetime = self.token_lifetime, self.token_lifetime or 43200
            try:
                return {"ok": True, "team": {"id": team}, **self._issue(team)}
            finally:
                self.token_lifetime = saved
        if args.get("grant_type") == "refresh_token":
            team = self._refresh.pop(str(args.get("refresh_token", "")), None)
            if team is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            call.team = team
            for old in self.tokens_of(team):  # the token it replaces stops working
                del self.tokens[old]
            return {"ok": True, "team": {"id": team}, **self._issue(team)}
        team = self._codes.pop(str(args.get("code", "")), None)
        if team is None:
            return {"ok": False, "error": "invalid_code"}
        call.team = team
        workspace = self.workspaces[team]
        enterprise = (
            {"id": workspace.enterprise_id, "name": "Org"} if workspace.enterprise_id else None
        )
        org_wide = not workspace.team_id
        return {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": "UINSTALLER"},
            "scope": str(args.get("_scopes", "")),
            "bot_user_id": workspace.bot_user,
            "team": None if org_wide else {"id": team, "name": workspace.name},
            "enterprise": enterprise,
            "is_enterprise_install": org_wide,
            **self._issue(team),
        }

    def add_channel(self, channel_id: str, state: str = "member") -> None:
        self.channels[channel_id] = state

    def add_file(
        self,
        name: str,
        content: bytes,
        mimetype: str = "text/csv",
        *,
        connect: bool = False,
        mode: str = "hosted",
    ) -> dict[str, Any]:
        """Keep a file someone shares; returns it as a file_share event lists it."""
        shared = SharedFile(f"F{next(self._ts):08d}", name, content, mimetype, connect, mode)
        self.files[shared.id] = shared
        if connect:
            return {"id": shared.id, "file_access": "check_file_info"}
        return self._file_object(shared)

    def hold(self, match: Callable[[str, dict[str, Any]], bool]) -> asyncio.Event:
        """Hold every API call that ``match(method, args)`` until the event is set; each
        one is recorded as ``held:<method>`` when it arrives."""
        release = asyncio.Event()
        self._holds.append((match, release))
        return release

    def uploaded(self, channel: str | None = None) -> list[Uploaded]:
        return [u for u in self.uploads if channel is None or u.channel == channel]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)  # uploads of refused rows
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/files-pri/{file_id}/download/{name}", self._download)
        app.router.add_post("/upload/v1/{upload_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.socket_url = f"ws://127.0.0.1:{self.port}/socket"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    # --- Socket Mode -----------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await self._record(Call("socket.connect", {}, time.monotonic()))
        await ws.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0HUDDLE"}}
        )
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                await self._record(Call("socket.ack", json.loads(message.data), time.monotonic()))
        self._sockets.remove(ws)
        return ws

    async def socket_send(self, envelope: dict[str, Any]) -> None:
        """Send an envelope to the connected Socket Mode client."""
        await self.wait_for(lambda: self._sockets)
        await self._sockets[-1].send_json(envelope)

    # --- what happened ---------------------------------------------------------------------

    def of(self, method: str, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [
            c.args
            for c in self.of("chat.postMessage")
            if channel is None or c.args.get("channel") == channel
        ]

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until ``check()`` is truthy (re-checked after every request); return it."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(check), timeout)
            except TimeoutError:
                raise AssertionError(
                    "timed out waiting; calls so far:\n"
                    + "\n".join(
                        f"{c.method} {c.status} {json.dumps(c.args)[:300]}" for c in self.calls
                    )
                ) from None
        return check()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # --- the API ---------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            raw = await request.text()
            if request.content_type == "application/json":
                args.update(json.loads(raw or "{}"))
            else:
                args.update({k: v[0] for k, v in parse_qs(raw).items()})
        for key in ("blocks", "view", "users", "metadata", "files"):
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        for match, release in list(self._holds):
            if match(method, args):
                await self._record(Call(f"held:{method}", dict(args), time.monotonic()))
                await release.wait()
        call = Call(method, args, time.monotonic())
        if self.fail_next.get(method):
            call.status = self.fail_next[method].pop(0)
        elif method != "auth.test" and self._random.random() < self.rate_limit_fraction:
            call.status = 429
        elif method == "chat.postMessage":
            wait = self._over_limits(str(args.get("channel", "")), call.at)
            if wait:
                call.status = 429
                call.args["_retry_after"] = wait
        if call.status == 429:
            await self._record(call)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(call.args.get("_retry_after", self.retry_after))},
            )
        if call.status != 200:
            await self._record(call)
            return web.Response(status=call.status, text="server error")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        call.token = token
        call.team = self.tokens.get(token, "")
        body: dict[str, Any]
        if method in OAUTH_METHODS:
            body = (
                self._oauth(method, args, call)
                if self._client_auth(request)
                else {"ok": False, "error": "invalid_client_id"}
            )
        elif method == "api.test":  # no token needed
            body = {"ok": True, "args": {}}
        elif token in self.revoked:
            body = {"ok": False, "error": "token_revoked"}
        elif token not in (
            {APP_TOKEN} if method == "apps.connections.open" else self.tokens.keys()
        ):
            body = {"ok": False, "error": "invalid_auth"}
        else:
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            body = handler(args, call) if handler else {"ok": False, "error": "unknown_method"}
        if call.warnings:
            body["response_metadata"] = {"warnings": call.warnings}
        call.args["_ok"] = body.get("ok")
        call.args["_error"] = body.get("error")
        await self._record(call)
        return web.json_response(body)

    async def _respond(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        payload = json.loads(await request.text())
        self.responses.setdefault(key, []).append(payload)
        await self._record(Call("response_url", {"key": key, **payload}, time.monotonic()))
        return web.Response(text="ok")

    # --- files ---------------------------------------------------------------------------

    def _file_object(self, shared: SharedFile) -> dict[str, Any]:
        base = f"http://127.0.0.1:{self.port}/files-pri/T0TEST-{shared.id}"
        found: dict[str, Any] = {
            "id": shared.id,
            "name": shared.name,
            "title": shared.name,
            "mimetype": shared.mimetype,
            "filetype": shared.name.rsplit(".", 1)[-1] if "." in shared.name else "binary",
            "size": len(shared.content),
            "mode": shared.mode,
            "is_external": shared.mode == "external",
        }
        if shared.mode == "hosted":
            found["url_private"] = f"{base}/{shared.name}"
            found["url_private_download"] = f"{base}/download/{shared.name}"
        return found

    def _files_info(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        shared = self.files.get(str(args.get("file", "")))
        if shared is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": self._file_object(shared)}

    async def _download(self, request: web.Request) -> web.Response:
        """The private download: the file with the right bearer token, Slack's sign-in page
        (HTML, status 200) without it."""
        file_id = request.match_info["file_id"].removeprefix("T0TEST-")
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        shared = self.files.get(file_id)
        allowed = token == self.file_token and shared is not None
        await self._record(
            Call("download", {"file": file_id, "authorized": allowed}, time.monotonic())
        )
        if not allowed or shared is None:
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        return web.Response(body=shared.content, content_type=shared.mimetype)

    def _files_getUploadURLExternal(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        length = str(args.get("length") or "")
        if not args.get("filename") or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        upload_id = f"F{next(self._ts):08d}"
        self._upload_bytes[upload_id] = None
        self._upload_names[upload_id] = str(args["filename"])
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{self.port}/upload/v1/{upload_id}",
            "file_id": upload_id,
        }

    async def _upload(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["upload_id"]
        data = await request.read()
        known = upload_id in self._upload_bytes
        if known:
            self._upload_bytes[upload_id] = data
        await self._record(
            Call("upload", {"file_id": upload_id, "bytes": len(data)}, time.monotonic())
        )
        if not known:
            return web.Response(status=404, text="unknown upload")
        return web.Response(text=f"OK - {len(data)}")

    def _files_completeUploadExternal(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        files = args.get("files")
        channel = str(args.get("channel_id") or "")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        if channel:
            problem = self._check_channel(channel)
            if problem:
                return {"ok": False, "error": problem}
        done = []
        for item in files:
            data = self._upload_bytes.get(str(item.get("id")))
            if data is None:
                return {"ok": False, "error": "file_not_found"}
            done.append((str(item["id"]), str(item.get("title") or ""), data))
        for file_id, title, data in done:
            self.uploads.append(
                Uploaded(
                    file_id,
                    self._upload_names[file_id],
                    title,
                    data,
                    channel,
                    args.get("thread_ts") or None,
                )
            )
        return {"ok": True, "files": [{"id": f, "title": t} for f, t, _ in done]}

    def _auth_test(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        """Who the token is: its workspace and that workspace's bot user."""
        workspace = self.workspaces[call.team]
        found = {
            "ok": True,
            "url": f"https://{workspace.name.lower()}.slack.com/",
            "team": workspace.name,
            "user": "huddle",
            "team_id": workspace.team_id or None,
            "user_id": workspace.bot_user,
            "bot_id": "B0HUDDLE" if workspace.team_id == TEAM else f"B{workspace.team_id}",
        }
        if workspace.enterprise_id:
            found["enterprise_id"] = workspace.enterprise_id
            found["is_enterprise_install"] = not workspace.team_id
        return found

    def _users_info(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        profile = {"real_name": user.name, "display_name": user.name}
        if user.email:
            profile["email"] = user.email
        return {
            "ok": True,
            "user": {"id": user.id, "name": user.name.lower(), "tz": user.tz, "profile": profile},
        }

    def _conversations_open(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        users = args.get("users", "")
        user = users.split(",")[0] if isinstance(users, str) else users[0]
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + user}}

    def _over_limits(self, channel: str, now: float) -> int:
        """Seconds to wait (Retry-After) if this post breaks the limits, else 0 (and count it)."""
        if channel.startswith("U"):
            channel = "D" + channel
        gap = self.channel_gap - (now - self._last_post.get(channel, -1e9))
        self._window = [t for t in self._window if now - t < 60.0]
        budget = 0.0
        if self.per_minute and len(self._window) >= self.per_minute:
            budget = 60.0 - (now - self._window[0])
        wait = max(gap, budget)
        if wait > 0:
            return max(1, int(wait + 0.999))
        if self.channel_gap:
            self._last_post[channel] = now
        if self.per_minute:
            self._window.append(now)
        return 0

    def delivered_keys(self) -> dict[str, int]:
        """How many accepted posts carried each Huddle delivery key (from message metadata)."""
        counts: dict[str, int] = {}
        for call in self.of("chat.postMessage"):
            if not call.args.get("_ok"):
                continue
            meta = call.args.get("metadata") or {}
            key = (meta.get("event_payload") or {}).get("key")
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
        return counts

    def _conversations_history(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if self._check_channel(channel):
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        with_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        found = []
        for (where, ts), posted in sorted(self.messages.items(), key=lambda kv: kv[0][1]):
            if where != channel or float(ts) < oldest:
                continue
            item: dict[str, Any] = {"type": "message", "ts": ts, "text": posted.get("text")}
            if with_meta and posted.get("metadata"):
                item["metadata"] = posted["metadata"]
            found.append(item)
        found.reverse()  # newest first, as Slack answers
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        page = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _check_channel(self, channel: str) -> str | None:
        if channel.startswith("U"):
            return None if channel in self.users else "channel_not_found"
        if channel.startswith("D") and channel[1:] in self.users:
            return None
        state = self.channels.get(channel)
        if state is None:
            return "channel_not_found"
        if state == "archived":
            return "is_archived"
        if state == "not_member":
            return "not_in_channel"
        if state == "inactive":
            return "account_inactive"
        return None

    @staticmethod
    def _blocks_problem(blocks: Any, limit: int = 50) -> str | None:
        if blocks is None:
            return None
        if not isinstance(blocks, list) or len(blocks) > limit:
            return "invalid_blocks"
        for block in blocks:
            kind = block.get("type")
            text = (block.get("text") or {}).get("text", "")
            if kind == "section" and (len(text) > 3000 or len(block.get("fields") or []) > 10):
                return "invalid_blocks"
            if kind == "header" and len(text) > 150:
                return "invalid_blocks"
            if kind == "actions" and len(block.get("elements") or []) > 25:
                return "invalid_blocks"
        return None

    def _message(self, args: dict[str, Any], call: Call) -> dict[str, Any] | None:
        problem = self._check_channel(str(args.get("channel", "")))
        if problem:
            return {"ok": False, "error": problem}
        problem = self._blocks_problem(args.get("blocks"))
        if problem:
            return {"ok": False, "error": problem}
        if not args.get("text"):
            if not args.get("blocks"):
                return {"ok": False, "error": "no_text"}
            call.warnings.append("missing_text")
        return None

    def _chat_postMessage(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        refused = self._message(args, call)
        if refused:
            return refused
        channel = str(args["channel"])
        if channel.startswith("U"):
            channel = "D" + channel
        ts = self._new_ts()
        self.messages[(channel, ts)] = dict(args)
        call.args["_ts"] = ts
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text")}}

    def _new_ts(self) -> str:
        """A message timestamp as Slack makes them: the wall clock, unique per message."""
        stamp = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = stamp
        return f"{stamp // 1_000_000}.{stamp % 1_000_000:06d}"

    def _chat_postEphemeral(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        refused = self._message(args, call)
        if refused:
            return refused
        return {"ok": True, "message_ts": f"{1_700_000_000 + next(self._ts)}.000200"}

    def _chat_update(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        key = (str(args.get("channel")), str(args.get("ts")))
        if key not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        problem = self._blocks_problem(args.get("blocks"))
        if problem:
            return {"ok": False, "error": problem}
        self.messages[key].update(args)
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _views_publish(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        if args.get("user_id") not in self.users:
            return {"ok": False, "error": "user_not_found"}
        view = args.get("view") or {}
        if view.get("type") != "home" or self._blocks_problem(view.get("blocks"), 100):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": "V1", "type": "home"}}

    def _views_open(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        """A modal, as Slack checks one: a trigger_id, a title and submit of at most 24
        characters, 1 to 100 blocks, private_metadata under 3,000 characters, and for
        each input a label and an element."""
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = args.get("view") or {}
        blocks = view.get("blocks")
        if (
            view.get("type") != "modal"
            or not 1 <= len((view.get("title") or {}).get("text", "")) <= 24
            or len((view.get("submit") or {}).get("text", "")) > 24
            or len(view.get("private_metadata") or "") > 3000
            or len(view.get("callback_id") or "") > 255
            or not blocks
            or self._blocks_problem(blocks, 100)
            or any(
                b.get("type") == "input" and not (b.get("label") and b.get("element"))
                for b in blocks
            )
        ):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": f"VMODAL{next(self._ts)}", **view}}

    def _apps_connections_open(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}
