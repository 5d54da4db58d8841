"""The suite's shared ``huddle run``: one process per test module (starting one takes
seconds on a busy machine), on a fresh SQLite file with the sample roster, serving
Slack, Teams (anonymous local mode) and xAPI, with the scheduler off. A module that
uses it marks its tests ``pytest.mark.asyncio(loop_scope="module")``."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.content import Content
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
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


@pytest.fixture
def database() -> Iterator[str]:
    """A database of its own on the shared server (dropped afterwards)."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (HUDDLE_REQUIRE_POSTGRES=1)")
        pytest.skip("HUDDLE_TEST_POSTGRES_URL is not set")
    name = f"huddle_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        make_url(POSTGRES_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
