"""How fast `huddle run` takes xAPI statements: POST /xapi/statements over HTTP, on SQLite.

Fills a SQLite file (a temporary folder) with PEOPLE people, makes an xAPI credential as
`huddle xapi credentials new` does, starts `huddle run` (its own process, xAPI only: no
chat platform configured) and sends STATEMENTS statements in batches of BATCH from
CLIENTS concurrent httpx clients, each batch one request, each statement with its own id.
Most are completions by people on the roster of courses that list their xAPI activity
id (some repeat a person and course, so confirm a completion); about a fifth are other
verbs (experienced, attempted, answered), acknowledged and ignored. Prints statements/s
over the whole run, and p50/p99 per request.

    python bench/xapi.py [--people 20000] [--statements 100000] [--batch 50] [--clients 4]

Target: at least 2,000 statements/s on SQLite, with p99 under 250 ms per request.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataset import NOW, fill  # noqa: E402
from harness import cpu_seconds, free_port, pct, start_huddle_run, wait_healthy  # noqa: E402

from bot import content as content_mod  # noqa: E402
from bot.db import make_engine, upgrade  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from bot.xapi import new_credential  # noqa: E402

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
OTHER_VERBS = (
    "http://adlnet.gov/expapi/verbs/experienced",
    "http://adlnet.gov/expapi/verbs/attempted",
    "http://adlnet.gov/expapi/verbs/answered",
)
WARM_UP = 20  # requests before the timed run


def statements(count: int, people: int, seed: int) -> list[dict[str, Any]]:
    """Statements as a learning site's LRS forwards them."""
    content = content_mod.load(PROJECT_ROOT / "content")
    activities = [c.ids["xapi"][0] for c in content.courses.values() if c.ids.get("xapi")]
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        pid = rng.randint(1, people)
        roll = rng.random()
        verb = COMPLETED if roll < 0.6 else PASSED if roll < 0.8 else rng.choice(OTHER_VERBS)
        when = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 30))
        made.append(
            {
                "id": str(uuid.uuid4()),
                "actor": {
                    "objectType": "Agent",
                    "name": f"Person {pid}",
                    "mbox": f"mailto:p{pid}@example.org",
                },
                "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
                "object": {
                    "objectType": "Activity",
                    "id": rng.choice(activities),
                    "definition": {
                        "name": {"en-US": "A course"},
                        "type": "http://adlnet.gov/expapi/activities/course",
                    },
                },
                "result": {
                    "completion": verb in (COMPLETED, PASSED),
                    "success": verb == PASSED,
                    "score": {"scaled": round(rng.uniform(0.5, 1), 2)},
                    "duration": f"PT{rng.randint(5, 90)}M",
                },
                "context": {
                    "registration": str(uuid.uuid4()),
                    "platform": "Moodle",
                    "language": "en-US",
                    "contextActivities": {
                        "grouping": [{"id": "https://learning.example.org/pathways/essentials"}]
                    },
                },
                "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "version": "1.0.3",
            }
        )
    return made


async def send(
    url: str, auth: str, batches: list[bytes], clients: int
) -> tuple[list[float], float, dict[int, int]]:
    """Send every batch (CLIENTS at a time, one connection each); ms per request, seconds in
    all, and the count of each status."""
    headers = {
        "Authorization": auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
    }
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in batches:
        queue.put_nowait(body)
    times: list[float] = []
    statuses: dict[int, int] = {}

    async def client() -> None:
        async with httpx.AsyncClient(timeout=60, trust_env=False) as http:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                response = await http.post(url, content=body, headers=headers)
                times.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return times, time.perf_counter() - started, statuses


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]  # other work on the machine shows in the numbers
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/huddle.db")
        upgrade(engine)
        loaded = fill(engine, args.people, teams=max(1, args.people // 200), completions=0)
        key, secret = new_credential(engine, "bench", "bench", NOW)
        engine.dispose()
        print(f"{args.people} people loaded in {loaded:.1f} s; credential made")

        made = statements(args.statements + WARM_UP * args.batch, args.people, seed=11)
        bodies = [
            json.dumps(made[i : i + args.batch]).encode() for i in range(0, len(made), args.batch)
        ]
        warm, timed = bodies[:WARM_UP], bodies[WARM_UP:]
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUDDLE_")}
        env["HUDDLE_PORT"] = str(port)
        server = await start_huddle_run(tmp, env)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz", server)
            url = f"http://127.0.0.1:{port}/xapi/statements"
            auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
            await send(url, auth, warm, args.clients)
            cpu_before, own_before = cpu_seconds(server.pid), time.process_time()
            times, seconds, statuses = await send(url, auth, timed, args.clients)
            cpu = cpu_seconds(server.pid) - cpu_before
            own = time.process_time() - own_before
            async with httpx.AsyncClient(trust_env=False) as http:
                health = (await http.get(f"http://127.0.0.1:{port}/healthz")).json()
        finally:
            server.terminate()
            await server.wait()

        with sqlite3.connect(f"{tmp}/huddle.db") as db:
            completions = db.execute("SELECT count(*) FROM completion").fetchone()[0]
            confirmations = db.execute("SELECT count(*) FROM completion_source").fetchone()[0]
            kept = db.execute("SELECT count(*) FROM xapi_statement").fetchone()[0]
            celebrations = db.execute("SELECT count(*) FROM celebration").fetchone()[0]

    if set(statuses) != {200}:
        raise SystemExit(f"not every request was taken: {statuses}")
    sent = len(timed) * args.batch
    print(
        f"\nPython {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs; {args.clients} clients, batches of {args.batch}; "
        "load average before %.2f, after %.2f" % (load_before, os.getloadavg()[0])
    )
    print(f"statuses: {statuses}")
    print(f"statements sent: {sent} in {len(timed)} requests, {seconds:.1f} s")
    print(f"statements/s: {sent / seconds:.0f}")
    print(
        f"per request ms: p50 {pct(times, 0.5):.1f}  p99 {pct(times, 0.99):.1f}  "
        f"mean {statistics.mean(times):.1f}  max {max(times):.1f}"
    )
    print(
        f"CPU: server {cpu:.1f} s ({cpu / seconds * 100:.0f}% of one core), "
        f"clients {own:.1f} s ({own / seconds * 100:.0f}%)"
    )
    print(f"server counts: {health['xapi']}")
    print(
        f"database: {completions} completions, {confirmations} confirmations, "
        f"{kept} statement ids, {celebrations} celebrations"
    )


if __name__ == "__main__":
    asyncio.run(main())
