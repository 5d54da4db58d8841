"""Scheduled-message fan-out: from a planning tick to every send recorded, against local Slack.

Huddle's real path in one process: a Bot on the system clock plans a custom
message due now to PEOPLE people (``bot.tick``: one outbox row each), then a
delivery Worker (``Outbox`` + ``SlackSender``, the Worker's default batch of 200
and concurrency of 50, as ``huddle run`` uses) drains the outbox through the
local Slack Web API. Time runs from the start of the tick to the last send
recorded in the outbox. The Web API is tests/slack_fake.py in a process of its
own (bench/fake_slack_server.py), so it does not share Huddle's event loop;
each run is a fresh child process, so peak memory is that run's own.

1. No limits at the server, on SQLite and on PostgreSQL, beside a bare
   slack_sdk AsyncWebClient loop posting the same message (text, blocks and
   metadata with a key) to the same people at the same concurrency.
   Target: at least 1,000 deliveries a second and at least 80% of the bare loop.
2. The server enforcing Slack-like limits, one post a second per channel and
   PER_MINUTE posts in any 60 s across the workspace (429 with Retry-After
   beyond them), to LIMITED_PEOPLE people, on SQLite, with Huddle's pacer set to
   the same budget, twice: ``Limits(PER_MINUTE, per_target_gap=1.0)`` (evenly
   spaced, as ``huddle run`` configures Slack) and the same with ``window=60``
   (a sliding window, as the server counts). Target: total time within 10% of
   the floor the budget allows; no message lost or doubled (counted at the
   server by key).

   The floor: the server counts posts in a sliding 60 s window, so the first
   PER_MINUTE may go at once and each later PER_MINUTE a minute after the one
   before: the last post cannot be accepted before 60 * (ceil(N / P) - 1) s.
   (A sender that spaces posts evenly, 60 / P s apart, needs (N - 1) * 60 / P.)

    python bench/fanout.py [--people 10000] [--limited-people 2000]
                           [--per-minute 1200] [--only sqlite|postgresql|bare|limited]
                           [--tracemalloc]

"CPU s" is the CPU time of the sending process (Huddle or the bare loop, every
thread) and of the server during the timed part: a number near the wall time
means that process was the bound (one core: Python's GIL).

PostgreSQL: HUDDLE_BENCH_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test), in a private schema dropped
afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import math
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dataset import fill  # noqa: E402
from harness import cpu_seconds  # noqa: E402
from sqlalchemy import Engine, event, text, update  # noqa: E402
from sqlmodel import Session  # noqa: E402

from adapters.slack import render  # noqa: E402
from adapters.slack.sender import EVENT_TYPE, SlackSender  # noqa: E402
from adapters.slack.settings import SlackSettings  # noqa: E402
from bot import content as content_mod  # noqa: E402
from bot.clock import FrozenClock, SystemClock  # noqa: E402
from bot.core import Bot  # noqa: E402
from bot.db import make_engine, upgrade  # noqa: E402
from bot.messages import Message, Text  # noqa: E402
from bot.models import Person  # noqa: E402
from bot.outbox import Outbox  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from scheduler.delivery import Limits, Pacer, Worker  # noqa: E402
from tests.slack_fake import BOT_TOKEN  # noqa: E402

PG_URL = os.environ.get(
    "HUDDLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WORDS = "The pain-management module is open this week"
#: The Worker's defaults, which ``huddle run`` uses (HUDDLE_CONCURRENCY is also 50).
CONCURRENCY: int = inspect.signature(Worker).parameters["concurrency"].default
BATCH: int = inspect.signature(Worker).parameters["batch"].default
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


# --- memory ---------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident memory since start or the last :func:`reset_peak_rss`."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_now() -> float:
    """CPU seconds (user + system, every thread) this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def reset_peak_rss() -> bool:
    """Start the peak over from the present (Linux: ``clear_refs`` 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# --- the Huddle run (a child process) -------------------------------------------------------


@contextmanager
def database(kind: str, tmp: str) -> Iterator[tuple[Engine, str]]:
    """A fresh, migrated database: a SQLite file, or a private PostgreSQL schema."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp}/huddle.db")
        upgrade(engine)
        try:
            yield engine, f"SQLite {sqlite3.sqlite_version} (WAL, local file)"
        finally:
            engine.dispose()
        return
    schema = f"huddle_fanout_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        version = conn.execute(text("SHOW server_version")).scalar_one()
    engine = make_engine(PG_URL)

    @event.listens_for(engine, "connect")
    def _path(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()

    try:
        upgrade(engine)
        yield engine, f"PostgreSQL {version.split()[0]} (TCP, same host)"
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(engine: Engine, content: content_mod.Content, people: int) -> None:
    """People on Slack (``U1`` ..), free at any hour, and a custom message due now.

    As tests/test_delivery_faults.py does: the schedule is made by an admin three
    minutes ago, for every day at the minute before now, so the next tick finds
    its occurrence due (a minute or two late, inside the grace).
    """
    fill(engine, people=people, teams=20, completions=0, platform="slack")
    with Session(engine) as s:
        s.execute(update(Person).values(quiet_hours="off", weekends_off=False))
        s.commit()
    now = datetime.now(UTC)
    admin = Bot(content, engine, FrozenClock(now - timedelta(minutes=3)))
    due = (now - timedelta(minutes=1)).strftime("%H:%M")
    reply = admin.run_as_operator(
        f"nudge schedule custom to everyone every day {due} in UTC say {WORDS}", "bench"
    )
    if not any("Scheduled" in m.summary for m in reply):
        raise SystemExit(f"could not schedule: {[m.summary for m in reply]}")


def outbox_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM outbox_message GROUP BY status")
        ).all()
    return {str(status): int(n) for status, n in rows}


async def huddle_run(args: argparse.Namespace) -> dict[str, Any]:
    content = content_mod.load(PROJECT_ROOT / "content")
    with tempfile.TemporaryDirectory() as tmp, database(args.db, tmp) as (engine, db_label):
        prepare(engine, content, args.people)
        bot = Bot(content, engine, SystemClock())
        planner = bot.planner(("slack",))
        sender = SlackSender(
            SlackSettings(bot_token=BOT_TOKEN, signing_secret="bench", api_url=args.api_url)
        )
        limits = (
            {
                "slack": Limits(
                    per_minute=args.pace_per_minute,
                    per_target_gap=args.channel_gap,
                    window=args.pace_window,
                )
            }
            if args.pace_per_minute or args.channel_gap
            else {}
        )
        worker = Worker(
            Outbox(engine, content, "bench-worker", quiet=planner),
            {"slack": sender},
            bot.clock,
            Pacer(limits),
        )
        # A long-running process has its HTTP connections and database pool warm.
        sender._http()
        await sender.client.auth_test()
        outbox_counts(engine)
        setup_peak = peak_rss_mib()
        reset = reset_peak_rss()
        if args.tracemalloc:
            tracemalloc.start()

        cpu = cpu_now()
        started = time.perf_counter()
        report = await asyncio.to_thread(bot.tick, planner)
        planned = time.perf_counter()
        tick_traced = 0.0
        if args.tracemalloc:
            tick_traced = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.reset_peak()
        last = planned
        rounds = 0
        # As Worker.run_forever does (idle 1 s when nothing is due), until nothing is left.
        while True:
            handled = await worker.run_once()
            if handled:
                rounds += 1
                last = time.perf_counter()
                continue
            counts = outbox_counts(engine)
            if not counts.get("pending") and not counts.get("sending"):
                break
            await asyncio.sleep(1.0)
        cpu = cpu_now() - cpu
        delivery_traced = 0.0
        if args.tracemalloc:
            delivery_traced = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        peak = peak_rss_mib()
        await sender.close()
        with engine.connect() as conn:
            retried = conn.execute(
                text("SELECT count(*) FROM outbox_message WHERE attempts > 0")
            ).scalar_one()
    return {
        "db": db_label,
        "written": report.written,
        "tick_s": planned - started,
        "delivery_s": last - planned,
        "total_s": last - started,
        "cpu_s": cpu,
        "rounds": rounds,
        "sent": worker.sent_count,
        "counts": counts,
        "retried_rows": int(retried),
        "setup_peak_mib": setup_peak,
        "run_peak_mib": peak if reset else None,
        "process_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tick_traced_mib": tick_traced,
        "delivery_traced_mib": delivery_traced,
        "batch": worker.batch_for("slack"),
        "concurrency": worker.concurrency,
    }


# --- the bare loop (a child process) --------------------------------------------------------


def huddle_message() -> tuple[str, list[dict[str, Any]]]:
    """The text and blocks Huddle posts for the custom message (one part)."""
    (part,) = render.render(Message((Text(WORDS),), WORDS, "custom.message"))
    return part.text, part.blocks


async def bare_run(args: argparse.Namespace) -> dict[str, Any]:
    from slack_sdk.web.async_client import AsyncWebClient

    words, blocks = huddle_message()
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100), timeout=aiohttp.ClientTimeout(total=30)
    )
    client = AsyncWebClient(
        token=BOT_TOKEN, base_url=args.api_url, timeout=30, retry_handlers=[], session=session
    )
    await client.auth_test()
    setup_peak = peak_rss_mib()
    reset = reset_peak_rss()
    if args.tracemalloc:
        tracemalloc.start()
    gate = asyncio.Semaphore(CONCURRENCY)
    failures = 0

    async def one(n: int) -> None:
        nonlocal failures
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": f"bare:{n}", "part": 0}}
        async with gate:
            response = await client.chat_postMessage(
                channel=f"U{n}", text=words, blocks=blocks, metadata=metadata, unfurl_links=False
            )
            if not response.get("ok"):
                failures += 1

    cpu = cpu_now()
    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(1, args.people + 1)))
    total = time.perf_counter() - started
    cpu = cpu_now() - cpu
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else 0.0
    peak = peak_rss_mib()
    await session.close()
    return {
        "db": "none",
        "total_s": total,
        "cpu_s": cpu,
        "failures": failures,
        "setup_peak_mib": setup_peak,
        "run_peak_mib": peak if reset else None,
        "process_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "delivery_traced_mib": traced,
        "concurrency": CONCURRENCY,
    }


# --- the conductor --------------------------------------------------------------------------


class Server:
    """bench/fake_slack_server.py, in its own process."""

    def __init__(self, users: int) -> None:
        self.users = users
        self.proc: asyncio.subprocess.Process | None = None
        self.api_url = ""
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "fake_slack_server.py"),
            str(self.users),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=clean_env(),
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if not line.strip():
            raise SystemExit("the fake Slack server did not start")
        self.api_url = f"http://127.0.0.1:{int(line)}/api/"
        self.session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {BOT_TOKEN}"})

    async def measure(
        self, phase: str, people: int, gap: float, budget: int, **options: Any
    ) -> dict[str, Any]:
        """Reset the server with these limits (per channel, per minute), run a phase in a
        child process, and add what the server saw."""
        assert self.proc is not None
        await self.call("bench.reset", channel_gap=gap, per_minute=budget)
        cpu = cpu_seconds(self.proc.pid)
        result = await child(phase, self.api_url, people, **options)
        result["server_cpu_s"] = cpu_seconds(self.proc.pid) - cpu
        result["stats"] = await self.call("bench.stats")
        return result

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.session is not None
        async with self.session.post(self.api_url + method, data=params) as response:
            body = await response.json()
        if not body.get("ok"):
            raise SystemExit(f"{method}: {body}")
        return body  # type: ignore[no-any-return]

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.proc is not None and self.proc.returncode is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.terminate()
                await self.proc.wait()


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HUDDLE_") and k not in PROXIES}


async def child(phase: str, api_url: str, people: int, **options: Any) -> dict[str, Any]:
    """Run one phase in a fresh process; return what it measured."""
    argv = [str(Path(__file__).resolve()), "--phase", phase, "--api-url", api_url]
    argv += ["--people", str(people)]
    for name, value in options.items():
        if value is True:
            argv.append(f"--{name.replace('_', '-')}")
        elif value not in (None, False):
            argv += [f"--{name.replace('_', '-')}", str(value)]
    env = clean_env()
    if "HUDDLE_BENCH_POSTGRES_URL" in os.environ:
        env["HUDDLE_BENCH_POSTGRES_URL"] = os.environ["HUDDLE_BENCH_POSTGRES_URL"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *argv, stdout=asyncio.subprocess.PIPE, env=env
    )
    out, _ = await proc.communicate()
    if proc.returncode:
        raise SystemExit(f"{phase} run failed ({proc.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


async def conduct(args: argparse.Namespace) -> None:
    only = args.only
    print(
        f"# fanout: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    print(
        f"# Worker defaults: batch {BATCH}, concurrency {CONCURRENCY}; the bare loop: "
        f"slack_sdk AsyncWebClient, {CONCURRENCY} posts in flight",
        flush=True,
    )
    server = Server(max(args.people, args.limited_people))
    await server.start()
    results: dict[str, dict[str, Any]] = {}
    tm = args.tracemalloc
    try:
        if only in (None, "sqlite", "postgresql", "bare"):
            print(
                f"\n## 1. {args.people} recipients, no limits at the server"
                + (" (tracemalloc on: times not comparable)" if tm else ""),
                flush=True,
            )
            print(
                "| run | database | tick s | delivery s | tick to last send s | per second "
                "| server: accepted / keys / doubled | CPU s (sender / server) "
                "| peak RSS MiB (setup / run) | tracemalloc peak MiB (tick / delivery) |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
            phases = [p for p in ("bare", "sqlite", "postgresql") if only in (None, p)]
            for phase in phases:
                if phase == "bare":
                    r = await server.measure("bare", args.people, 0, 0, tracemalloc=tm)
                else:
                    r = await server.measure("huddle", args.people, 0, 0, db=phase, tracemalloc=tm)
                results[phase] = r
                stats = r["stats"]
                check(phase, r, stats, args.people)
                label = "bare slack_sdk loop" if phase == "bare" else "Huddle"
                tick = f"{r['tick_s']:.2f}" if "tick_s" in r else "-"
                delivery = f"{r['delivery_s']:.2f}" if "delivery_s" in r else f"{r['total_s']:.2f}"
                traced = (
                    f"{r.get('tick_traced_mib', 0):.1f} / {r['delivery_traced_mib']:.1f}"
                    if tm
                    else "-"
                )
                print(
                    f"| {label} | {r['db']} | {tick} | {delivery} | {r['total_s']:.2f} "
                    f"| {args.people / r['total_s']:.0f} | {stats['accepted']} / "
                    f"{stats['keys']} / {stats['doubled']} | {r['cpu_s']:.1f} / "
                    f"{r['server_cpu_s']:.1f} | {mib(r['setup_peak_mib'])} / "
                    f"{mib(r['run_peak_mib'])} | {traced} |",
                    flush=True,
                )
            bare = results.get("bare")
            for phase in ("sqlite", "postgresql"):
                if phase not in results:
                    continue
                r = results[phase]
                rate = args.people / r["total_s"]
                line = (
                    f"# {r['db']}: {rate:.0f} a second from tick to last recorded send "
                    f"(target 1,000: {'met' if rate >= 1000 else 'NOT met'}); "
                    f"delivery alone {args.people / r['delivery_s']:.0f} a second"
                )
                if bare:
                    ratio = bare["total_s"] / r["total_s"]
                    alone = bare["total_s"] / r["delivery_s"]
                    line += (
                        f"; {ratio:.0%} of the bare loop (target 80%: "
                        f"{'met' if ratio >= 0.8 else 'NOT met'}), delivery alone {alone:.0%}"
                    )
                print(line, flush=True)
        if only in (None, "limited"):
            n, p = args.limited_people, args.per_minute
            floor = 60.0 * (math.ceil(n / p) - 1)
            even = (n - 1) * 60.0 / p
            print(
                f"\n## 2. {n} recipients, server limits: 1 post a second per channel and {p} "
                f"in any 60 s (429 with Retry-After beyond); SQLite",
                flush=True,
            )
            print(
                f"# floor: 60 * (ceil({n}/{p}) - 1) = {floor:.0f} s (the server counts a "
                f"sliding 60 s window: the first {p} at once, then {p} a minute later); "
                f"spaced evenly, 60/{p} s apart, the last goes at (N - 1) * 60 / P = "
                f"{even:.1f} s",
                flush=True,
            )
            print(
                "| Huddle's pacer | tick to last send s | floor s | ratio | server: first to last "
                "accepted s | 429s | most accepted in any 60 s | lost | doubled "
                "| peak RSS MiB (setup / run) |"
            )
            print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |", flush=True)
            variants = [
                (0.0, f"Limits({p}, per_target_gap=1.0): evenly spaced"),
                (60.0, f"Limits({p}, per_target_gap=1.0, window=60): sliding window"),
            ]
            notes = []
            for window, label in variants:
                r = await server.measure(
                    "huddle",
                    n,
                    1.0,
                    p,
                    db="sqlite",
                    pace_per_minute=p,
                    pace_window=window,
                    channel_gap=1.0,
                    tracemalloc=tm,
                )
                results[f"limited-window-{window:g}"] = r
                stats = r["stats"]
                lost = n - stats["keys"]
                span = stats["last_at"] - stats["first_at"] if stats["first_at"] else 0.0
                ratio = r["total_s"] / floor if floor else float("inf")
                print(
                    f"| {label} | {r['total_s']:.1f} | {floor:.0f} | {ratio:.2f} | {span:.1f} "
                    f"| {stats['limited']} | {stats['most_in_60s']} | {lost} | {stats['doubled']} "
                    f"| {mib(r['setup_peak_mib'])} / {mib(r['run_peak_mib'])} |",
                    flush=True,
                )
                notes.append(
                    f"# window {window:g}: within 10% of the floor: "
                    f"{'met' if ratio <= 1.1 else 'NOT met'} ({ratio:.2f}x; "
                    f"{r['total_s'] / even:.2f}x the evenly spaced time); lost/doubled "
                    f"{lost}/{stats['doubled']}; outbox {r['counts']}, "
                    f"{r['retried_rows']} rows retried"
                )
                check("limited", r, stats, n)
            print("\n".join(notes), flush=True)
        stats = await server.call("bench.stats")
        print(f"\n# fake Slack server peak RSS {stats['maxrss_kib'] / 1024:.0f} MiB", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        await server.stop()


def check(phase: str, r: dict[str, Any], stats: dict[str, Any], people: int) -> None:
    """Every message once at the server; every outbox row sent."""
    problems = []
    if stats["keys"] != people:
        problems.append(f"{stats['keys']} distinct keys at the server, not {people}")
    if stats["doubled"]:
        problems.append(f"{stats['doubled']} keys posted twice")
    if phase != "bare" and r["counts"] != {"sent": people}:
        problems.append(f"outbox {r['counts']}")
    if phase != "bare" and r["written"] != people:
        problems.append(f"the tick wrote {r['written']} rows")
    if problems:
        raise SystemExit(f"{phase}: " + "; ".join(problems))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--limited-people", type=int, default=2_000)
    parser.add_argument("--per-minute", type=int, default=1200)
    parser.add_argument("--only", choices=["sqlite", "postgresql", "bare", "limited"])
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (slows the runs: times not comparable)",
    )
    parser.add_argument("--json", help="write every measurement to this file")
    # One run in a fresh process (used by the conductor).
    parser.add_argument("--phase", choices=["huddle", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--pace-per-minute", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--pace-window", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--channel-gap", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for var in PROXIES:
        os.environ.pop(var, None)
    if args.phase is None:
        asyncio.run(conduct(args))
        return
    run = bare_run if args.phase == "bare" else huddle_run
    result = asyncio.run(run(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
