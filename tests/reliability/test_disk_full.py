"""The disk filling up under ``huddle run`` on SQLite: the database lives on a small
tmpfs that the test fills to the last byte.

While it is full, a person's change gets the short apology (their words are not lost
to a crash; nothing half-written is kept), an xAPI sender gets a 5xx to retry, the log
says plainly that the disk is full, and the process keeps serving. Once space is freed
the same change goes through without a restart, and ``PRAGMA integrity_check`` finds
the database intact. Mounting a tmpfs needs root: elsewhere the test skips, saying so.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sqlite3
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.content import Content
from tests.reliability.running import ANA_SLACK, Stack, close_stack, open_stack

SIZE = "24m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        why = f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}"
        if os.environ.get("HUDDLE_REQUIRE_TMPFS") == "1":  # set by CI, which runs as root
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no byte left."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as f:
        block = b"\0" * (1 << 20)
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    f.write(block[:size])
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return filler


@pytest_asyncio.fixture
async def stack(small_disk: Path, tmp_path: Path, sample_content: Content) -> AsyncIterator[Stack]:
    running = await open_stack(
        tmp_path, sample_content, f"sqlite:///{small_disk / 'huddle.db'}",
        HUDDLE_SCHEDULER_ENABLED="false",
    )  # fmt: skip
    await running.start()
    try:
        yield running
    finally:
        await close_stack(running)


def statement(email: str) -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": f"mailto:{email}", "objectType": "Agent"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms.example.org/courses/comm-101", "objectType": "Activity"},
            "result": {"completion": True},
            "timestamp": "2026-11-20T10:00:00Z",
        }
    ).encode()


async def test_a_full_disk_gets_a_clear_error_and_corrupts_nothing(
    stack: Stack, small_disk: Path
) -> None:
    fake = stack.slack_fake
    slack = stack.slack

    def answers(words: str) -> list[str]:
        return [
            str(p.get("text")) for p in fake.posts("D" + ANA_SLACK) if words in str(p.get("text"))
        ]

    assert (await slack.dm(ANA_SLACK, "weekends off", "EvDISK1")).status == 200
    await fake.wait_for(lambda: answers("No reminders on Saturdays"))
    filler = fill(small_disk)
    # A message Slack will retry (it is not lost), a slash command answered with the
    # apology, a statement the sender will send again.
    assert (await slack.dm(ANA_SLACK, "celebrate me: no", "EvDISK2")).status >= 500
    sent, key = await slack.command(ANA_SLACK, "weekends on")
    assert sent.status == 200
    (sorry,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert "Sorry, something went wrong on my side" in json.dumps(sorry), sorry
    status, text = await stack.post(
        "/xapi/statements", statement("ana.ruiz@example.org"), stack.xapi_headers()
    )
    assert status >= 500, text
    async with stack.http.get(f"{stack.base}/healthz") as r:
        assert r.status == 200
    assert stack.proc is not None and stack.proc.returncode is None
    assert "database or disk is full" in stack.log(), stack.log()[-3000:]

    filler.unlink()
    retried = await slack.dm(ANA_SLACK, "celebrate me: no", "EvDISK2", retry=1)
    assert retried.status == 200
    await fake.wait_for(lambda: answers("your completions stay private"))
    status, text = await stack.post(
        "/xapi/statements", statement("ana.ruiz@example.org"), stack.xapi_headers()
    )
    assert status == 200, text
    log = await stack.stop()
    assert stack.proc.returncode == 0, log[-3000:]
    stack.engine.dispose()
    with contextlib.closing(sqlite3.connect(small_disk / "huddle.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (private,) = conn.execute(
            "SELECT celebrate_publicly FROM person WHERE email = 'ana.ruiz@example.org'"
        ).fetchone()
        assert not private
