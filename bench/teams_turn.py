"""How fast Huddle answers "what's my next course" in Teams, beside a bare Agents SDK bot.

With PEOPLE people in the database, posts REQUESTS personal-chat message
activities at a concurrency of CONCURRENCY to `huddle run` (its own process,
anonymous mode on localhost, SQLite), then the same to a bare Agents SDK echo
bot (bench/bare_teams_bot.py, its own process). Both answer through a local
Bot Connector (tests/teams_fake.py) in this process, which timestamps every
reply. Prints p50/p99 from posting the activity to its reply reaching the
connector.

    python bench/teams_turn.py [--people 100000] [--requests 1000] [--concurrency 50] [--rounds 1]

Target: Huddle within 2x of the bare bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataset import fill  # noqa: E402
from harness import cpu_seconds, free_port, pct, start_huddle_run, wait_healthy  # noqa: E402

from bot.db import make_engine, upgrade  # noqa: E402
from tests.teams_fake import BOT_ID, TENANT, FakeConnector  # noqa: E402


def reference(connector: str, user: str) -> dict[str, object]:
    """The reference Huddle saves for a personal chat (as adapters/teams/translate.py does)."""
    return {
        "channel_id": "msteams",
        "service_url": connector,
        "tenant_id": TENANT,
        "conversation_id": f"a:personal-{user}",
        "conversation_type": "personal",
        "bot_id": BOT_ID,
        "bot_name": "Huddle",
        "user_id": user,
        "aad_object_id": f"aad-{user}",
    }


def activity(connector: str, n: int, people: int) -> tuple[str, dict[str, object]]:
    user = f"U{(n * 7919) % people + 1}"
    conversation = f"a:personal-{user}"
    return conversation, {
        "type": "message",
        "id": f"m{n}",
        "channelId": "msteams",
        "serviceUrl": connector,
        "from": {"id": user, "name": "Person", "aadObjectId": f"aad-{user}"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": BOT_ID, "name": "Huddle"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": "what's my next course",
        "textFormat": "plain",
    }


async def load(
    label: str, bot_url: str, fake: FakeConnector, people: int, requests: int, concurrency: int
) -> list[float]:
    arrived: dict[str, float] = {}
    original = fake._record

    async def record(sent):  # type: ignore[no-untyped-def]
        # A reply is POSTed to .../activities/<the id of the activity it answers>.
        arrived.setdefault(sent.path.rsplit("/", 1)[-1], time.perf_counter())
        await original(sent)

    fake._record = record  # type: ignore[method-assign]
    gate = asyncio.Semaphore(concurrency)
    timings: list[float] = []

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        _, body = activity(fake.url, n, people)
        key = str(body["id"])
        async with gate:
            started = time.perf_counter()
            async with session.post(bot_url, json=body) as response:
                await response.read()
                if response.status >= 300:
                    raise SystemExit(f"{label}: HTTP {response.status}")
            await fake.wait_for(lambda: key in arrived, timeout=60)
            timings.append((arrived[key] - started) * 1000)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        await asyncio.gather(*(one(s, 10_000_000 + n) for n in range(concurrency)))  # warm-up
        timings.clear()
        await asyncio.gather(*(one(s, n) for n in range(requests)))
    fake._record = original  # type: ignore[method-assign]
    return timings


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure both bots this many times, alternating"
    )
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}; {args.people} people, {args.requests} activities at "
        f"concurrency {args.concurrency}",
        flush=True,
    )
    fake = FakeConnector()
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUDDLE_", "HTTP", "http"))}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/huddle.db")
        upgrade(engine)
        seconds = fill(
            engine,
            args.people,
            500,
            args.people * 10,
            platform="teams",
            conversation=lambda user: reference(fake.url, user),
        )
        engine.dispose()
        print(
            f"# loaded {args.people} people and {args.people * 10} completions in {seconds:.1f} s",
            flush=True,
        )
        huddle_port, bare_port = free_port(), free_port()
        huddle = await start_huddle_run(
            tmp,
            {
                **env,
                "HUDDLE_TEAMS_ANONYMOUS": "1",
                "HUDDLE_PORT": str(huddle_port),
            },
        )
        bare = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "bare_teams_bot.py"), str(bare_port), env=env
        )
        try:
            await wait_healthy(f"http://127.0.0.1:{huddle_port}/healthz", huddle)
            await wait_healthy(f"http://127.0.0.1:{bare_port}/healthz", bare)
            print("| run | bot | p50 ms | p99 ms | mean ms | server CPU ms per activity |")
            print("| --- | --- | --- | --- | --- | --- |")
            procs = {"bare Agents SDK echo bot": bare, "Huddle": huddle}
            for run in range(1, args.rounds + 1):
                results = {}
                for label, port in (
                    ("bare Agents SDK echo bot", bare_port),
                    ("Huddle", huddle_port),
                ):
                    cpu_before = cpu_seconds(procs[label].pid)
                    timings = await load(
                        label,
                        f"http://127.0.0.1:{port}/api/messages",
                        fake,
                        args.people,
                        args.requests,
                        args.concurrency,
                    )
                    sent = args.requests + args.concurrency
                    cpu_ms = (cpu_seconds(procs[label].pid) - cpu_before) * 1000 / sent
                    results[label] = timings
                    print(
                        f"| {run} | {label} | {pct(timings, 0.5):.1f} | {pct(timings, 0.99):.1f} | "
                        f"{statistics.fmean(timings):.1f} | {cpu_ms:.2f} |",
                        flush=True,
                    )
                bare_t, huddle_t = results["bare Agents SDK echo bot"], results["Huddle"]
                p50 = pct(huddle_t, 0.5) / pct(bare_t, 0.5)
                print(
                    f"# run {run}: Huddle / bare: p50 {p50:.2f}x, "
                    f"p99 {pct(huddle_t, 0.99) / pct(bare_t, 0.99):.2f}x; "
                    f"load average {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        finally:
            for proc in (huddle, bare):
                if proc.returncode is None:
                    proc.terminate()
                    await proc.wait()
            await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
