"""PostgreSQL going away under the running bot (a restart, as the bot sees one): a TCP
proxy between ``huddle run`` and the server is cut (every connection dropped, new
ones refused) in the middle of a fan-out, and restored.

While it is cut, chat requests get a clean error (a 5xx Slack will retry, no crash),
/healthz stays 200 and /readyz says 503; once restored the bot recovers by itself,
without a restart: /readyz is 200 again, Slack's retry of the refused event is
answered, and every outbox row is delivered exactly once (the rows whose result could
not be recorded are found in Slack's history, not sent again).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from sqlalchemy.engine import make_url

from bot.content import Content
from bot.db import make_engine, upgrade
from tests.reliability.pgproxy import Proxy
from tests.reliability.running import Stack, close_stack, open_stack, until
from tests.slack_harness import sign
from tests.test_delivery_faults import assert_each_once, outbox_counts, prepare

PEOPLE = 40


@pytest_asyncio.fixture
async def proxied(
    database: str, tmp_path: Path, sample_content: Content
) -> AsyncIterator[tuple[Stack, Proxy]]:
    url = make_url(database)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(database)
    upgrade(engine)
    engine.dispose()
    stack = await open_stack(tmp_path, sample_content, database, process_url=through, roster=False)
    try:
        yield stack, proxy
    finally:
        await close_stack(stack)
        await proxy.stop()


async def status(stack: Stack, path: str) -> int:
    async with stack.http.get(f"{stack.base}{path}") as r:
        return r.status


async def test_a_database_restart_under_the_running_bot(
    proxied: tuple[Stack, Proxy], sample_content: Content
) -> None:
    stack, proxy = proxied
    fake = stack.slack_fake
    prepare(stack.engine, sample_content, fake, PEOPLE)
    # The fan-out's posts are held at Slack until the database is gone, so their
    # results cannot be recorded: the worst moment for a restart.
    release = fake.hold(lambda method, args: method == "chat.postMessage" and "metadata" in args)
    await stack.start()
    await fake.wait_for(lambda: len(fake.of("held:chat.postMessage")) >= 5, timeout=60)
    assert outbox_counts(stack.engine).get("sending", 0) >= 5

    await proxy.cut()
    release.set()
    await fake.wait_for(lambda: len(fake.of("chat.postMessage")) >= 5, timeout=30)
    # A person writes meanwhile: refused cleanly, so Slack retries it later.
    body = stack.slack.event_body(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DU1",
            "user": "U1",
            "text": "weekends off",
            "ts": "1764000000.000100",
        },
        "EvOUTAGE",
    )
    headers = {"Content-Type": "application/json", **sign(stack.secret, body)}
    async with stack.http.post(f"{stack.base}/slack/events", data=body, headers=headers) as r:
        assert r.status >= 500, await r.text()
    assert await status(stack, "/healthz") == 200  # the process is fine: not restarted
    assert await status(stack, "/readyz") == 503
    assert stack.proc is not None and stack.proc.returncode is None

    proxy.restore()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while await status(stack, "/readyz") != 200:
        assert loop.time() < deadline, "not ready again after the database came back"
        await asyncio.sleep(0.2)
    retry = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    async with stack.http.post(f"{stack.base}/slack/events", data=body, headers=retry) as r:
        assert r.status == 200, await r.text()
    await fake.wait_for(
        lambda: any("No reminders on Saturdays" in str(p.get("text")) for p in fake.posts("DU1")),
        timeout=30,
    )
    await until(lambda: outbox_counts(stack.engine) == {"sent": PEOPLE}, 90, "every row sent")
    log = await stack.stop()
    assert stack.proc.returncode == 0, log[-3000:]
    assert_each_once(fake, stack.engine, PEOPLE)
    # The posts that went out while the database was away were looked for, and found.
    assert log.count("was delivered before the crash") >= 5, log[-3000:]
    assert "sending it again once" not in log
