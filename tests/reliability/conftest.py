"""The suite's shared ``huddle run``: one process per test module (starting one takes
seconds on a busy machine), on a fresh SQLite file with the sample roster, serving
Slack, Teams (anonymous local mode) and xAPI, with the scheduler off. A module that
uses it marks its tests ``pytest.mark.asyncio(loop_scope="module")``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.content import Content
from tests.reliability.running import Stack, close_stack, open_stack


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(
    tmp_path_factory: pytest.TempPathFactory, sample_content: Content
) -> AsyncIterator[Stack]:
    stack = await open_stack(
        tmp_path_factory.mktemp("shared"), sample_content, HUDDLE_SCHEDULER_ENABLED="false"
    )
    await stack.start()
    try:
        yield stack
    finally:
        log = await stack.stop()
        await close_stack(stack)
    assert stack.proc is not None and stack.proc.returncode == 0, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
