"""Delivery under faults: real ``huddle run`` processes against the local Slack Web API.

Every message is counted at the server by the outbox key it carries in Slack
message metadata. The process is killed with SIGKILL in the middle of a
fan-out and started again; the server answers 429 with Retry-After to 30% of
posts; two processes share one PostgreSQL. Each time, every message arrives,
and none twice.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import Engine, text, update
from sqlmodel import Session, func, select

from bench.dataset import fill
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.models import OutboxMessage, Person
from tests.conftest import POSTGRES_URL, data_tables, postgres_engine
from tests.processes import free_port, start_huddle
from tests.slack_fake import BOT_TOKEN, FakeSlack

FANOUT = 2000


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@dataclass
class Huddle:
    """One ``huddle run`` process."""

    proc: asyncio.subprocess.Process
    log: Path

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 30)
        return self.log.read_text(encoding="utf-8", errors="replace")


async def serve(database_url: str, fake: FakeSlack, tmp: Path, name: str) -> Huddle:
    env = {
        "HUDDLE_DATABASE_URL": database_url,
        "HUDDLE_SLACK_BOT_TOKEN": BOT_TOKEN,
        "HUDDLE_SLACK_SIGNING_SECRET": "fault-test-secret",
        "HUDDLE_SLACK_API_URL": fake.api_url,
        "HUDDLE_HOST": "127.0.0.1",
        "HUDDLE_PORT": str(free_port()),
        "HUDDLE_TICK_SECONDS": "1",
        "HUDDLE_DELIVERY_LEASE_SECONDS": "3",
        "HUDDLE_SLACK_PER_MINUTE": "0",  # the local server sets no limits unless told
        "HUDDLE_SLACK_CHANNEL_GAP": "0",
    }
    log = tmp / f"{name}.log"
    handle = log.open("wb")
    proc = await start_huddle("run", cwd=tmp, env=env, stdout=handle, stderr=handle)
    handle.close()
    return Huddle(proc, log)


def prepare(engine: Engine, content: Content, fake: FakeSlack, people: int) -> None:
    """People known to Slack, free at any hour, and a daily message due a minute ago.

    The schedule is made as an admin three minutes ago, so the first tick of
    ``huddle run`` finds its occurrence due (a minute late, well inside the grace).
    """
    fill(engine, people=people, teams=20, completions=0, platform="slack")
    with Session(engine) as s:
        s.execute(update(Person).values(quiet_hours="off", weekends_off=False))
        s.commit()
    for pid in range(1, people + 1):
        fake.add_user(f"U{pid}", f"p{pid}@example.org", f"Person {pid}")
    now = datetime.now(UTC)
    bot = Bot(content, engine, FrozenClock(now - timedelta(minutes=3)))
    due = (now - timedelta(minutes=1)).strftime("%H:%M")
    reply = bot.run_as_operator(
        f"nudge schedule custom to everyone every day {due} in UTC say The pain-management "
        "module is open this week",
        "tester",
    )
    assert any("Scheduled" in m.summary for m in reply), [m.summary for m in reply]


def outbox_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.exec(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    return dict(rows)


async def until(check: object, seconds: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


async def all_sent(engine: Engine, expected: int) -> None:
    await until(lambda: outbox_counts(engine) == {"sent": expected}, 120, "every row sent")


def assert_each_once(fake: FakeSlack, engine: Engine, expected: int) -> None:
    keys = fake.delivered_keys()
    doubled = {k: n for k, n in keys.items() if n > 1}
    assert not doubled, f"{len(doubled)} messages delivered twice, e.g. {list(doubled)[:3]}"
    assert len(keys) == expected
    counts = outbox_counts(engine)
    assert counts == {"sent": expected}, counts


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'huddle.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()


async def kill_in_the_middle_of_a_fanout(
    fake: FakeSlack, content: Content, url: str, engine: Engine, tmp_path: Path
) -> int:
    """``huddle run`` killed (SIGKILL) a quarter into a fan-out of FANOUT messages and
    started again: every message reached Slack once, and each row the dead process held
    was looked for in Slack's history first: found (delivered before the kill) or sent
    again once, and logged either way. Returns how many rows it held."""
    prepare(engine, content, fake, FANOUT)
    first = await serve(url, fake, tmp_path, "first")
    try:
        await until(lambda: len(fake.posts()) >= FANOUT // 4, 90, "a quarter of the fan-out")
        first.kill()
        await first.proc.wait()
    finally:
        if first.proc.returncode is None:
            first.kill()
    at_kill = len(fake.posts())
    assert at_kill < FANOUT, "the fan-out finished before the kill; nothing was tested"
    in_flight = outbox_counts(engine).get("sending", 0)

    second = await serve(url, fake, tmp_path, "second")
    try:
        await all_sent(engine, FANOUT)
    finally:
        log = await second.stop()
    assert_each_once(fake, engine, FANOUT)
    found = log.count("was delivered before the crash")
    resent = log.count("sending it again once")
    assert found + resent == in_flight, (found, resent, in_flight, log[-2000:])
    return in_flight


async def test_sigkill_in_the_middle_of_a_fanout_loses_and_doubles_nothing(
    fake: FakeSlack,
    sample_content: Content,
    sqlite_url: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    url, engine = sqlite_url
    in_flight = await kill_in_the_middle_of_a_fanout(fake, sample_content, url, engine, tmp_path)
    assert len(fake.of("conversations.history")) >= in_flight


async def test_429_with_retry_after_on_30_percent_of_posts(
    fake: FakeSlack,
    sample_content: Content,
    sqlite_url: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    url, engine = sqlite_url
    people = 300
    prepare(engine, sample_content, fake, people)
    fake.rate_limit_fraction = 0.3
    fake.retry_after = 1
    huddle = await serve(url, fake, tmp_path, "limited")
    try:
        await all_sent(engine, people)
    finally:
        await huddle.stop()
    assert_each_once(fake, engine, people)
    posts = [c for c in fake.calls if c.method == "chat.postMessage"]
    limited = [c for c in posts if c.status == 429]
    assert len(limited) >= people * 0.2  # the fault really happened
    # After a 429 for a message, its next attempt came no sooner than Retry-After.
    by_key: dict[str, list[tuple[float, int]]] = {}
    for call in posts:
        key = (call.args.get("metadata") or {}).get("event_payload", {}).get("key")
        by_key.setdefault(key, []).append((call.at, call.status))
    for attempts in by_key.values():
        for (at, status), (next_at, _) in itertools.pairwise(attempts):
            if status == 429:
                assert next_at - at >= fake.retry_after, (at, next_at)


@pytest.fixture
def postgres_url(postgres_schema: str) -> Iterator[tuple[str, Engine]]:
    """The suite's PostgreSQL schema, emptied, and a URL that puts a process in it."""
    engine = postgres_engine(postgres_schema)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(data_tables())} RESTART IDENTITY CASCADE"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{postgres_schema}", engine
    engine.dispose()


async def test_two_replicas_on_one_postgresql_deliver_each_message_once(
    fake: FakeSlack,
    sample_content: Content,
    postgres_url: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    url, engine = postgres_url
    prepare(engine, sample_content, fake, FANOUT)
    replicas = [await serve(url, fake, tmp_path, f"replica{n}") for n in (1, 2)]
    logs = []
    try:
        await all_sent(engine, FANOUT)
    finally:
        for replica in replicas:
            logs.append(await replica.stop())
    assert_each_once(fake, engine, FANOUT)
    # Both replicas ticked (each planned, the database kept one copy) and the digest
    # schedule both would create exists once.
    with Session(engine) as s:
        digests = s.exec(text("SELECT count(*) FROM schedule WHERE kind = 'digest'")).one()
    assert digests[0] == 1
    assert all("scheduling: ticks every 1 s" in log for log in logs), logs
