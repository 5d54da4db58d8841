"""Slow and failing platform servers in front of the real ``huddle run``.

Slack's Web API holds the fan-out's posts (slow), then answers 500 and 503 to many of
them (failing): events are still acknowledged at once and /healthz answers while posts
hang, every failed post is retried with backoff, and every message arrives exactly
once. Teams' connector answers 502 with Retry-After, then takes the reply: it arrives
once; a 403 (the person blocked the bot) is taken calmly.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.content import Content
from tests.reliability.running import ANA_TEAMS, Stack, close_stack, open_stack, until
from tests.teams_fake import text_of
from tests.test_delivery_faults import assert_each_once, outbox_counts, prepare

PEOPLE = 60


@pytest_asyncio.fixture
async def stack(tmp_path: Path, sample_content: Content) -> AsyncIterator[Stack]:
    running = await open_stack(tmp_path, sample_content, roster=False)
    prepare(running.engine, sample_content, running.slack_fake, PEOPLE)
    try:
        yield running
    finally:
        await close_stack(running)


async def test_a_slow_then_failing_slack_loses_and_doubles_nothing(stack: Stack) -> None:
    fake = stack.slack_fake
    release = fake.hold(lambda method, args: method == "chat.postMessage" and "metadata" in args)
    fake.fail_next["chat.postMessage"] = [500] * 12 + [503] * 8
    await stack.start()
    await fake.wait_for(lambda: len(fake.of("held:chat.postMessage")) >= 10, timeout=60)
    # Slack hangs; Huddle does not: an event is acknowledged at once, health answers.
    sent = await stack.slack.dm("U1", "weekends off", "EvSLOW1")
    assert sent.status == 200 and sent.seconds < 3, sent
    started = time.perf_counter()
    async with stack.http.get(f"{stack.base}/healthz") as r:
        assert r.status == 200 and time.perf_counter() - started < 3
    release.set()
    await until(lambda: outbox_counts(stack.engine) == {"sent": PEOPLE}, 90, "every row sent")
    failed = [c for c in fake.of("chat.postMessage", ok_only=False) if c.status in (500, 503)]
    assert len(failed) == 20  # the faults really happened, and were retried
    log = await stack.stop()
    assert stack.proc is not None and stack.proc.returncode == 0, log[-3000:]
    assert_each_once(fake, stack.engine, PEOPLE)


async def test_teams_connector_failing_then_taking_the_reply(stack: Stack) -> None:
    fake = stack.teams_fake
    await stack.start(HUDDLE_SCHEDULER_ENABLED="false")
    fake.fail_next(502, count=2, retry_after="1")
    status = await stack.teams.says(ANA_TEAMS, "about")
    assert status in (200, 202)
    replies = await fake.wait_for(lambda: fake.messages(ANA_TEAMS.conversation))
    assert len(replies) == 1, [text_of(r.activity)[:80] for r in replies]
    assert len(fake.messages(ANA_TEAMS.conversation, ok_only=False)) == 3
    fake.fail_next(403, code="MessageWritesBlocked")
    assert await stack.teams.says(ANA_TEAMS, "about") < 500
    assert await stack.teams.says(ANA_TEAMS, "help") in (200, 202)
    await fake.wait_for(lambda: len(fake.messages(ANA_TEAMS.conversation)) >= 2)
    log = await stack.stop()
    assert stack.proc is not None and stack.proc.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
