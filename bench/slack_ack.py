"""How fast Huddle acknowledges and answers `/huddle next` over HTTP, beside a bare Bolt app.

With PEOPLE people in the database, sends REQUESTS signed `/huddle next` slash
commands at a concurrency of CONCURRENCY to `huddle run` (a separate process,
on SQLite), and the same to a bare slack-bolt app that answers a constant text
(bench/bare_slack_app.py, also its own process). Both talk to the same local
Slack Web API (tests/slack_fake.py) in this process, which timestamps each
response_url answer. Prints p50/p99 time to the HTTP ack and to the answer, and the
server process's CPU time per request.

    python bench/slack_ack.py [--people 100000] [--requests 1000] [--concurrency 50] [--rounds 1]

Targets: Huddle's p99 ack under 100 ms; its answer within 2x of the bare app.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataset import fill  # noqa: E402
from harness import cpu_seconds, free_port, pct, start_huddle_run, wait_healthy  # noqa: E402

from bot.db import make_engine, upgrade  # noqa: E402
from tests.slack_fake import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.slack_harness import sign  # noqa: E402


async def run_load(
    label: str,
    base: str,
    secret: str,
    fake: FakeSlack,
    people: int,
    requests: int,
    concurrency: int,
) -> tuple[list[float], list[float]]:
    """Send the commands; return (ack ms, answer ms) per request."""
    acks: list[float] = []
    answers: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    arrived: dict[str, float] = {}
    original = fake._record

    async def record(call):  # type: ignore[no-untyped-def]
        if call.method == "response_url":
            arrived.setdefault(call.args["key"], time.perf_counter())
        await original(call)

    fake._record = record  # type: ignore[method-assign]

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        key = f"{label}-{n}"
        user = f"U{(n * 7919) % people + 1}"
        body = urlencode(
            {
                "team_id": "T0TEST",
                "channel_id": "D" + user,
                "channel_name": "directmessage",
                "user_id": user,
                "command": "/huddle",
                "text": "next",
                "response_url": fake.response_url(key),
                "trigger_id": f"t{n}",
            }
        )
        async with gate:
            started = time.perf_counter()
            async with session.post(
                f"{base}/slack/events",
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", **sign(secret, body)},
            ) as r:
                await r.read()
                if r.status != 200:
                    raise SystemExit(f"{label}: HTTP {r.status}")
            acks.append((time.perf_counter() - started) * 1000)
            await fake.wait_for(lambda: key in arrived, timeout=60)
            answers.append((arrived[key] - started) * 1000)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one(session, -n - 1) for n in range(concurrency)))  # warm-up
        acks.clear()
        answers.clear()
        await asyncio.gather(*(one(session, n) for n in range(requests)))
    fake._record = original  # type: ignore[method-assign]
    return acks, answers


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure both apps this many times, alternating"
    )
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}; {args.people} people, {args.requests} requests at "
        f"concurrency {args.concurrency}",
        flush=True,
    )
    fake = FakeSlack()
    await fake.start()
    for n in range(1, args.people + 1):
        fake.add_user(f"U{n}", f"p{n}@example.org", f"Person {n}")
    secret = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUDDLE_", "HTTP", "http"))}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/huddle.db")
        upgrade(engine)
        seconds = fill(engine, args.people, 500, args.people * 10, platform="slack")
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
                "HUDDLE_SLACK_BOT_TOKEN": BOT_TOKEN,
                "HUDDLE_SLACK_SIGNING_SECRET": secret,
                "HUDDLE_SLACK_API_URL": fake.api_url,
                "HUDDLE_PORT": str(huddle_port),
            },
        )
        bare = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "bare_slack_app.py"),
            str(bare_port),
            fake.api_url,
            secret,
            BOT_TOKEN,
            env=env,
        )
        try:
            await wait_healthy(f"http://127.0.0.1:{huddle_port}/healthz", huddle)
            await wait_healthy(f"http://127.0.0.1:{bare_port}/healthz", bare)
            print(
                "| run | app | ack p50 ms | ack p99 ms | answer p50 ms | answer p99 ms "
                "| answer mean ms | server CPU ms per request |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- |")
            procs = {"bare slack-bolt": bare, "Huddle": huddle}
            for run in range(1, args.rounds + 1):
                results = {}
                for label, port in (("bare slack-bolt", bare_port), ("Huddle", huddle_port)):
                    cpu_before = cpu_seconds(procs[label].pid)
                    acks, answers = await run_load(
                        label,
                        f"http://127.0.0.1:{port}",
                        secret,
                        fake,
                        args.people,
                        args.requests,
                        args.concurrency,
                    )
                    sent = args.requests + args.concurrency
                    cpu_ms = (cpu_seconds(procs[label].pid) - cpu_before) * 1000 / sent
                    results[label] = answers
                    print(
                        f"| {run} | {label} | {pct(acks, 0.5):.1f} | {pct(acks, 0.99):.1f} | "
                        f"{pct(answers, 0.5):.1f} | {pct(answers, 0.99):.1f} | "
                        f"{statistics.fmean(answers):.1f} | {cpu_ms:.2f} |",
                        flush=True,
                    )
                ratio = pct(results["Huddle"], 0.5) / pct(results["bare slack-bolt"], 0.5)
                ratio99 = pct(results["Huddle"], 0.99) / pct(results["bare slack-bolt"], 0.99)
                print(
                    f"# run {run}: Huddle answer / bare answer: p50 {ratio:.2f}x, "
                    f"p99 {ratio99:.2f}x; load average {os.getloadavg()[0]:.2f}",
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
