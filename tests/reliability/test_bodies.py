"""Malformed and oversized bodies on every endpoint of the real ``huddle run``.

Hypothesis generates bytes, JSON of every shape and form bodies, and sends them to
Slack's endpoint (correctly signed, so they get past the signature to the parser),
Teams' (anonymous local mode: no token stands in front of the body), xAPI's (with a
good credential) and the dashboard's forms. Each is refused with a 4xx, nothing is
stored, and the process logs no traceback. Activities that are a real one with one
field changed to any JSON value never get a 5xx. Bodies over the server's limits are
refused with 413, with a length or chunked, before they are read whole.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.running import ANA_TEAMS, Stack, stored
from tests.slack_harness import sign

BOUNDED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
#: The server's limit on any body (adapters/server.py), and xAPI's own default.
MAX_BODY = 2 * 1024 * 1024
XAPI_MAX_BODY = 1_000_000

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Objects with the keys Slack's bodies and Teams' activities have, holding anything.
slackish = st.dictionaries(
    st.sampled_from(["type", "event", "event_id", "team_id", "command", "payload", "token"]),
    json_values,
    max_size=5,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=200).map(str.encode),
)
forms = st.dictionaries(
    st.sampled_from(["payload", "command", "text", "user_id", "x", "view", "type"]),
    st.one_of(st.text(max_size=40), json_values.map(json.dumps)),
    max_size=4,
).map(lambda d: urlencode(d).encode())


@pytest.fixture(scope="module")
def client(shared: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared.base, timeout=60, trust_env=False) as http:
        yield http


def _ok(status: int) -> bool:
    return 400 <= status < 500


@pytest.mark.asyncio(loop_scope="module")
async def test_slack_signed_malformed_bodies_get_a_4xx_and_store_nothing(
    client: httpx.Client, shared: Stack
) -> None:
    """The property runs in a thread: the fake platforms answer on this event loop."""

    @BOUNDED
    @given(
        body=st.one_of(bodies, forms, slackish.map(lambda d: json.dumps(d).encode())),
        content_type=st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain", ""]
        ),
    )
    def check(body: bytes, content_type: str) -> None:
        before = stored(shared.engine)
        try:
            headers = sign(shared.secret, body.decode("utf-8"))
        except UnicodeDecodeError:
            headers = {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"}
        response = client.post(
            "/slack/events", content=body, headers={"Content-Type": content_type, **headers}
        )
        assert _ok(response.status_code), (body, response.status_code, response.text)
        assert stored(shared.engine) == before

    await asyncio.to_thread(check)


@pytest.mark.asyncio(loop_scope="module")
async def test_teams_malformed_activities_get_a_4xx_and_store_nothing(
    client: httpx.Client, shared: Stack
) -> None:
    """The property runs in a thread: the fake platforms answer on this event loop."""

    @BOUNDED
    @given(body=st.one_of(bodies, slackish.map(lambda d: json.dumps(d).encode())))
    def check(body: bytes) -> None:
        before = stored(shared.engine)
        response = client.post(
            "/api/messages", content=body, headers={"Content-Type": "application/json"}
        )
        assert _ok(response.status_code), (body, response.status_code, response.text)
        assert stored(shared.engine) == before

    await asyncio.to_thread(check)


ACTIVITY_FIELDS = [
    "type", "id", "timestamp", "serviceUrl", "channelId", "from", "conversation",
    "recipient", "channelData", "text", "textFormat", "value", "attachments", "entities",
    "replyToId", "locale", "name", "action", "membersAdded",
]  # fmt: skip


@pytest.mark.asyncio(loop_scope="module")
async def test_a_real_activity_with_one_field_changed_never_gets_a_5xx(
    client: httpx.Client, shared: Stack
) -> None:
    """The property runs in a thread: the fake platforms answer on this event loop."""

    @BOUNDED
    @given(
        field=st.sampled_from(ACTIVITY_FIELDS),
        value=json_values,
        kind=st.sampled_from(
            ["message", "invoke", "conversationUpdate", "installationUpdate", "messageReaction"]
        ),
    )
    def check(field: str, value: Any, kind: str) -> None:
        activity = shared.teams.activity(ANA_TEAMS, kind, text="progress", textFormat="plain")
        activity[field] = value
        response = client.post("/api/messages", json=activity)
        # An invoke no handler takes gets 501, as the Bot Framework protocol says.
        allowed = {501} if activity.get("type") == "invoke" else set()
        assert response.status_code < 500 or response.status_code in allowed, (
            field,
            value,
            response.status_code,
            response.text,
        )

    await asyncio.to_thread(check)


@pytest.mark.asyncio(loop_scope="module")
async def test_xapi_malformed_statements_get_a_4xx_and_store_nothing(
    client: httpx.Client, shared: Stack
) -> None:
    """The property runs in a thread: the fake platforms answer on this event loop."""

    @BOUNDED
    @given(body=bodies)
    def check(body: bytes) -> None:
        before = stored(shared.engine)
        response = client.post("/xapi/statements", content=body, headers=shared.xapi_headers())
        if body.strip() == b"[]":  # no statements: a well-formed, empty batch
            assert response.status_code == 200
            return
        assert _ok(response.status_code), (body, response.status_code, response.text)
        assert stored(shared.engine) == before

    await asyncio.to_thread(check)


@pytest.mark.asyncio(loop_scope="module")
async def test_dashboard_forms_with_malformed_bodies_get_a_4xx_and_store_nothing(
    client: httpx.Client, shared: Stack
) -> None:
    """The property runs in a thread: the fake platforms answer on this event loop."""

    @BOUNDED
    @given(
        path=st.sampled_from(["/dashboard/login", "/dashboard/do", "/dashboard/logout"]),
        body=st.one_of(bodies, forms),
    )
    def check(path: str, body: bytes) -> None:
        before = stored(shared.engine)
        response = client.post(
            path,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )
        # A sign-out without a session sends the browser to the sign-in page: also nothing.
        assert _ok(response.status_code) or response.status_code in (302, 303), (
            path,
            body,
            response.status_code,
        )
        assert stored(shared.engine) == before

    await asyncio.to_thread(check)


def test_the_watchers_endpoints_take_no_bodies(client: httpx.Client) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.post(path, content=b"{}").status_code in (404, 405), path


def _chunks(size: int, piece: int = 256 * 1024) -> Iterator[bytes]:
    while size > 0:
        yield b"x" * min(piece, size)
        size -= piece


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/slack/events", MAX_BODY),
        ("/api/messages", MAX_BODY),
        ("/xapi/statements", XAPI_MAX_BODY),
        ("/dashboard/login", MAX_BODY),
        ("/dashboard/do", MAX_BODY),
    ],
)
@pytest.mark.parametrize("chunked", [False, True])
def test_oversized_bodies_are_refused_with_413(
    client: httpx.Client, shared: Stack, path: str, limit: int, chunked: bool
) -> None:
    before = stored(shared.engine)
    headers = {"Content-Type": "application/json"}
    if path == "/xapi/statements":
        headers = shared.xapi_headers()
    elif path.startswith("/dashboard"):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif path == "/slack/events":
        headers.update(sign(shared.secret, "x"))
    size = limit + 1
    content: bytes | Iterator[bytes] = _chunks(size) if chunked else b"x" * size
    try:
        response = client.post(path, content=content, headers=headers)
    except httpx.WriteError:
        return  # refused and closed while the rest was still being sent: also a refusal
    # The dashboard's actions need a session first: refused (401) before the body is read.
    refused = (401, 413) if path == "/dashboard/do" else (413,)
    assert response.status_code in refused, (path, chunked, response.status_code, response.text)
    assert stored(shared.engine) == before
    # Just under the limit is read (and refused for what it says, not its size).
    if not chunked and not path.startswith("/dashboard"):  # its forms have a lower limit
        fits = client.post(path, content=b"x" * (limit - 1024), headers=headers)
        assert fits.status_code != 413, path
