"""``/xapi/statements``: where learning sites and LRS forwarders send xAPI statements.

A thin HTTP shell around :class:`bot.xapi.Receiver`: it checks what HTTP alone can
tell (method, the ``X-Experience-API-Version`` header, HTTP Basic, the content type,
the body's size), then hands the body to the core in a worker thread of its own, so
neither the hashing of a new secret nor the database holds up the event loop.

Every answer carries ``X-Experience-API-Version`` (errors and 401 included):

- ``POST``: 200 and the statement ids, in order; 400 naming the statement and property
  that is malformed (nothing is kept then); 409 for an id seen with other content.
- ``PUT ?statementId=``: 204.
- ``GET`` (or anything else): 405, since Huddle is not an LRS and keeps no statements
  to give back.
- 401 with ``WWW-Authenticate`` for a missing, unknown, revoked or wrong credential;
  413 past the body limit (``HUDDLE_XAPI_MAX_BODY_BYTES``); 415 for a body that is not
  ``application/json``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from aiohttp import web

from bot.core import Bot
from bot.xapi import SPOKEN, VERSION, Credential, Outcome, Receiver, Refused

log = logging.getLogger("huddle.xapi")

PATH = "/xapi/statements"
#: One thread takes the statements: the work is Python under one GIL, and a second
#: thread only made each wait for the other (measured: bench/RESULTS.md). Credentials are
#: checked on a thread of their own, so hashing a new secret delays no statements.
WORK_THREADS = 1
NOT_AN_LRS = (
    "Huddle is not an LRS: it receives xAPI statements (POST, or PUT with statementId) "
    "and keeps only the completions they report. Ask your LRS for statements."
)
T = TypeVar("T")


class XapiReceiver:
    """The xAPI route, its worker threads and the core's receiver."""

    def __init__(self, bot: Bot, max_body_bytes: int = 1_000_000) -> None:
        self.receiver = Receiver(bot.content, bot.engine, bot.clock)
        self.max_body_bytes = max_body_bytes
        self._pool = ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="huddle-xapi")
        self._auth = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huddle-xapi-auth")

    def mount(self, app: web.Application, path: str = PATH) -> None:
        app.router.add_route("*", path, self.handle)
        # The rest of an LRS's resources (about, state, activities ...) are not here;
        # even that answer says which xAPI version this speaks.
        app.router.add_route("*", path.rsplit("/", 1)[0] + "/{rest:.*}", _elsewhere)

    def counts(self) -> dict[str, int]:
        return self.receiver.counters.snapshot()

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for pool in (self._auth, self._pool):
            await loop.run_in_executor(None, partial(pool.shutdown, wait=True))

    async def _run(self, pool: ThreadPoolExecutor, work: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, work, *args)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except Exception:
            log.exception("xapi: could not take a request")
            return _answer(500, {"error": "Huddle could not take these statements: try again"})

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        counters = self.receiver.counters
        if request.method not in ("POST", "PUT"):
            counters.add(refused_requests=1)
            return _answer(
                405,
                {"error": NOT_AN_LRS},
                headers={"Allow": "POST, PUT"},
            )
        version = request.headers.get("X-Experience-API-Version", "").strip()
        if not version:
            counters.add(refused_requests=1)
            return _answer(400, {"error": "the X-Experience-API-Version header is required"})
        if not VERSION.fullmatch(version):
            counters.add(refused_requests=1)
            return _answer(
                400, {"error": f"xAPI version {version} is not taken here: send 1.0.0 to 1.0.3"}
            )
        basic = _basic(request.headers.get("Authorization", ""))
        if basic is None:
            counters.add(unauthorised=1)
            return _unauthorised()
        credential = await self._run(self._auth, self.receiver.authenticate, *basic)
        if credential is None:
            return _unauthorised()
        if request.content_type != "application/json":
            counters.add(refused_requests=1)
            return _answer(
                415,
                {
                    "error": "send statements as application/json "
                    "(attachments' content, multipart/mixed, is not taken)"
                },
            )
        too_long = (request.content_length or 0) > self.max_body_bytes
        raw = None if too_long else await _read(request, self.max_body_bytes)
        if raw is None:
            counters.add(refused_requests=1)
            return _too_large(self.max_body_bytes)
        statement_id = request.query.get("statementId")
        if request.method == "PUT" and statement_id is None:
            counters.add(refused_requests=1)
            return _answer(400, {"error": "PUT needs ?statementId=<the statement's UUID>"})

        def work(credential: Credential) -> Outcome:
            if request.method == "PUT":
                assert statement_id is not None
                return self.receiver.put(credential, statement_id, raw)
            return self.receiver.post(credential, raw)

        try:
            done = await self._run(self._pool, work, credential)
        except Refused as refused:
            log.info("xapi: refused a request (%d): %s", refused.status, refused.reason)
            return _answer(refused.status, refused.body())
        if request.method == "PUT":
            return _answer(204, None)
        return _answer(200, done.ids)


async def _elsewhere(request: web.Request) -> web.Response:
    return _answer(404, {"error": NOT_AN_LRS})


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    return (key, secret) if sep and key and secret else None


async def _read(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it passes ``limit`` bytes (chunked bodies have no length)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, body: object, headers: dict[str, str] | None = None) -> web.Response:
    all_headers = {"X-Experience-API-Version": SPOKEN, **(headers or {})}
    if body is None:
        return web.Response(status=status, headers=all_headers)
    return web.json_response(body, status=status, headers=all_headers)


def _unauthorised() -> web.Response:
    return _answer(
        401,
        {"error": "unknown, revoked or missing credential (HTTP Basic: key and secret)"},
        headers={"WWW-Authenticate": 'Basic realm="Huddle xAPI", charset="UTF-8"'},
    )


def _too_large(limit: int) -> web.Response:
    return _answer(413, {"error": f"the body is over {limit} bytes: send smaller batches"})
