"""A soak: mixed Slack and Teams traffic against two replicas on PostgreSQL, for MINUTES minutes.

Not part of CI. In a fresh PostgreSQL database (DATABASE, dropped and created at
the start, left behind at the end for a look), with PEOPLE people linked on both
Slack and Teams, each with a saved Teams personal conversation:

- two `huddle run` processes (the replicas) on that one database, each serving
  Slack over HTTP (signing secret checked) and Teams (anonymous local mode: the
  SDK's token validation only fetches keys from Microsoft's own sign-in hosts, so
  there is no local issuer to sign with), each running the scheduler;
- RATE requests a second, open loop (sent on the clock, whatever the answers do),
  alternating between the replicas as a load balancer would: signed `/huddle
  next` and `/huddle progress` slash commands (answered at response_url), signed
  DM message events (answered with chat.postMessage), and Teams personal-chat
  messages (answered through the local Bot Connector);
- schedules (a custom message every minute to a few teams) delivered through the
  outbox by whichever replica claims each message;
- a completions import (`huddle completions import`, a fresh IMPORT_ROWS-row
  export each time) started after the first minute and again two minutes after
  each one ends, until the last two minutes.

Every minute it prints the requests sent, errors (an HTTP status other than
200/202, or no answer within 30 s), p50/p99 latency from sending to the answer
arriving (all, Slack, Teams), the outbox rows sent so far and each replica's RSS.
At the end: RSS of each replica at the start (after a 30 s warm-up) and the end,
the imports, the outbox by status, and the log lines at ERROR from the replicas.

    python bench/soak.py [--minutes 20] [--rate 20] [--people 20000] [--import-rows 50000]
        [--server postgresql+psycopg://postgres@127.0.0.1:5432/] [--database huddle_soak]

Targets: no errors; RSS growth under 10% from start to end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import create_engine, text, update
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataset import fill  # noqa: E402
from harness import free_port, pct, wait_healthy  # noqa: E402

from bot import content as content_mod  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.core import Bot  # noqa: E402
from bot.db import make_engine, upgrade  # noqa: E402
from bot.models import Person  # noqa: E402
from bot.settings import PROJECT_ROOT  # noqa: E402
from tests.slack_fake import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.slack_harness import sign  # noqa: E402
from tests.teams_fake import BOT_ID, TENANT, FakeConnector  # noqa: E402

ANSWER_TIMEOUT = 30.0
WARM_UP = 30.0
SCHEDULED_TEAMS = 5
WORDS = "The soak's scheduled reminder: the pain guide is on the intranet."


@dataclass
class Outcome:
    minute: int
    platform: str
    kind: str
    ms: float | None  # None: an error
    why: str = ""


@dataclass
class Replica:
    name: str
    port: int
    proc: asyncio.subprocess.Process
    log: Path
    rss_start: int = 0
    rss_end: int = 0
    samples: list[int] = field(default_factory=list)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fresh_database(server: str, name: str) -> str:
    """Drop and create ``name`` on the server; return its URL."""
    admin = create_engine(server.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rstrip("/") + "/" + name


def reference(connector: str, user: str) -> dict[str, object]:
    """The reference Huddle saves for a Teams personal chat (adapters/teams/translate.py)."""
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


def prepare(url: str, people: int, connector: str) -> float:
    """Schema, roster (Slack identities from the bench data set, Teams ones beside them,
    each with a saved personal conversation), and the schedules. Returns seconds."""
    started = time.perf_counter()
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, people, 500, people * 5, platform="slack")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO platform_identity (platform, external_id, person_id, linked_at) "
                "SELECT 'teams', 'U' || id, id, now() FROM person"
            )
        )
        rows = [
            {
                "cid": f"a:personal-U{pid}",
                "pid": pid,
                "ref": json.dumps(reference(connector, f"U{pid}"), sort_keys=True),
            }
            for pid in range(1, people + 1)
        ]
        conn.execute(
            text(
                "INSERT INTO conversation (platform, conversation_id, kind, person_id, "
                "reference, updated_at, unreachable_reason) "
                "VALUES ('teams', :cid, 'personal', :pid, :ref, now(), '')"
            ),
            rows,
        )
        conn.execute(text("ANALYZE"))
    with Session(engine) as s:
        s.execute(update(Person).values(quiet_hours="off", weekends_off=False))
        s.commit()
    content = content_mod.load(PROJECT_ROOT / "content")
    admin = Bot(content, engine, SystemClock())
    for team in range(1, SCHEDULED_TEAMS + 1):
        reply = admin.run_as_operator(
            f"nudge schedule custom to team:team-{team} * * * * * in UTC say {WORDS}", "soak"
        )
        if not any("Scheduled" in m.summary for m in reply):
            raise SystemExit(f"could not schedule: {[m.summary for m in reply]}")
    engine.dispose()
    return time.perf_counter() - started


def write_export(path: Path, rows: int, people: int, seed: int) -> None:
    """A plain-profile export of ``rows`` good rows (completed long enough ago that no
    celebration is due)."""
    courses = list(content_mod.load(PROJECT_ROOT / "content").courses)
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=400)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["email", "name", "course", "completed_at", "score", "credits", "credit_type"])
        for _ in range(rows):
            pid = rng.randint(1, people)
            when = start + timedelta(minutes=rng.randint(0, 300 * 24 * 60))
            out.writerow(
                [
                    f"p{pid}@example.org",
                    f"Person {pid}",
                    rng.choice(courses),
                    when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    rng.randint(60, 100),
                    "1.0",
                    "CME",
                ]
            )


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.slack = FakeSlack()
        self.teams = FakeConnector()
        self.secret = secrets.token_hex(16)
        self.outcomes: list[Outcome] = []
        self.started = 0.0
        #: DM channel -> waiters for Huddle's answer there (a post without a delivery key).
        self._dm_waiters: dict[str, list[asyncio.Future[float]]] = defaultdict(list)
        self._response_waiters: dict[str, asyncio.Future[float]] = {}
        self._teams_waiters: dict[str, asyncio.Future[float]] = {}
        self.imports: list[dict[str, Any]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the fakes, timestamping answers ------------------------------------------------

    def hook(self) -> None:
        slack_record = self.slack._record
        teams_record = self.teams._record

        async def on_slack(call):  # type: ignore[no-untyped-def]
            now = time.perf_counter()
            if call.method == "response_url":
                waiter = self._response_waiters.pop(call.args.get("key"), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)
            elif call.method == "chat.postMessage" and not call.args.get("metadata"):
                waiters = self._dm_waiters.get(str(call.args.get("channel")))
                while waiters:
                    waiter = waiters.pop(0)
                    if not waiter.done():
                        waiter.set_result(now)
                        break
            await slack_record(call)

        async def on_teams(sent):  # type: ignore[no-untyped-def]
            waiter = self._teams_waiters.pop(sent.path.rsplit("/", 1)[-1], None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())
            await teams_record(sent)

        self.slack._record = on_slack  # type: ignore[method-assign]
        self.teams._record = on_teams  # type: ignore[method-assign]

    # --- one request of each kind ------------------------------------------------------

    def minute(self) -> int:
        return int((time.perf_counter() - self.started) // 60)

    async def _timed(
        self, platform_: str, kind: str, send: Any, waiter: asyncio.Future[float]
    ) -> None:
        minute = self.minute()
        started = time.perf_counter()
        try:
            status = await send()
            if status not in (200, 202):
                self.outcomes.append(Outcome(minute, platform_, kind, None, f"HTTP {status}"))
                return
            arrived = await asyncio.wait_for(waiter, ANSWER_TIMEOUT)
        except TimeoutError:
            self.outcomes.append(Outcome(minute, platform_, kind, None, "no answer in 30 s"))
            return
        except aiohttp.ClientError as exc:
            self.outcomes.append(Outcome(minute, platform_, kind, None, repr(exc)[:100]))
            return
        self.outcomes.append(Outcome(minute, platform_, kind, (arrived - started) * 1000))

    async def slack_command(
        self, session: aiohttp.ClientSession, base: str, n: int, user: str, words: str
    ) -> None:
        key = f"soak-{n}"
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._response_waiters[key] = waiter
        body = urlencode(
            {
                "team_id": "T0TEST",
                "channel_id": "D" + user,
                "channel_name": "directmessage",
                "user_id": user,
                "command": "/huddle",
                "text": words,
                "response_url": self.slack.response_url(key),
                "trigger_id": f"t{n}",
            }
        )

        async def send() -> int:
            async with session.post(
                f"{base}/slack/events",
                data=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    **sign(self.secret, body),
                },
            ) as r:
                await r.read()
                return r.status

        await self._timed("slack", f"/huddle {words}", send, waiter)
        self._response_waiters.pop(key, None)

    async def slack_event(
        self, session: aiohttp.ClientSession, base: str, n: int, user: str, words: str
    ) -> None:
        channel = "D" + user
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._dm_waiters[channel].append(waiter)
        body = json.dumps(
            {
                "token": "unused",
                "team_id": "T0TEST",
                "api_app_id": "A0TEST",
                "type": "event_callback",
                "event_id": f"Ev{n:08d}",
                "event_time": int(time.time()),
                "authorizations": [{"user_id": "UBOT", "is_bot": True}],
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "channel": channel,
                    "user": user,
                    "text": words,
                    "ts": f"{time.time():.6f}",
                },
            }
        )

        async def send() -> int:
            async with session.post(
                f"{base}/slack/events",
                data=body,
                headers={"Content-Type": "application/json", **sign(self.secret, body)},
            ) as r:
                await r.read()
                return r.status

        await self._timed("slack", f"DM {words}", send, waiter)
        if waiter in self._dm_waiters.get(channel, []):
            self._dm_waiters[channel].remove(waiter)

    async def teams_message(
        self, session: aiohttp.ClientSession, base: str, n: int, user: str, words: str
    ) -> None:
        activity_id = f"soak{n}"
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._teams_waiters[activity_id] = waiter
        body = {
            "type": "message",
            "id": activity_id,
            "channelId": "msteams",
            "serviceUrl": self.teams.url,
            "from": {"id": user, "name": "Person", "aadObjectId": f"aad-{user}"},
            "conversation": {
                "id": f"a:personal-{user}",
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "recipient": {"id": BOT_ID, "name": "Huddle"},
            "channelData": {"tenant": {"id": TENANT}},
            "text": words,
            "textFormat": "plain",
        }

        async def send() -> int:
            async with session.post(f"{base}/api/messages", json=body) as r:
                await r.read()
                return r.status

        await self._timed("teams", words, send, waiter)
        self._teams_waiters.pop(activity_id, None)

    # --- the load, the import, the report -----------------------------------------------

    async def load(self, replicas: list[Replica], until: float, first: int = 0) -> None:
        """RATE requests a second on the clock, alternating replicas, mixed kinds; numbered
        from ``first`` (event ids must never repeat: Huddle acts on each only once)."""
        people, rate = self.args.people, self.args.rate
        kinds = [
            (self.slack_command, "next"),
            (self.teams_message, "what's my next course"),
            (self.slack_event, "progress"),
            (self.teams_message, "progress"),
            (self.slack_command, "progress"),
        ]
        rng = random.Random(11)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            start = time.perf_counter()
            for i in itertools.count():
                n = first + i
                at = start + i / rate
                if at >= until:
                    break
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                replica = replicas[n % len(replicas)]
                send, words = kinds[n % len(kinds)]
                user = f"U{rng.randint(1, people)}"
                task = asyncio.create_task(
                    send(session, f"http://127.0.0.1:{replica.port}", n, user, words)
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=ANSWER_TIMEOUT + 5)

    async def import_loop(self, env: dict[str, str], tmp: str, until: float) -> None:
        await asyncio.sleep(60)
        number = 0
        while time.perf_counter() < until - 120:
            number += 1
            export = Path(tmp) / f"export-{number}.csv"
            await asyncio.to_thread(
                write_export, export, self.args.import_rows, self.args.people, number
            )
            started = time.perf_counter()
            minute = self.minute()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "completions",
                "import",
                str(export),
                "--errors",
                str(Path(tmp) / f"refused-{number}.csv"),
                cwd=str(ROOT),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await proc.communicate()
            took = time.perf_counter() - started
            summary = out.decode(errors="replace").strip().splitlines()
            self.imports.append(
                {
                    "number": number,
                    "minute": minute,
                    "rows": self.args.import_rows,
                    "seconds": round(took, 1),
                    "exit": proc.returncode,
                    "said": summary[-1][:160] if summary else err.decode(errors="replace")[-300:],
                }
            )
            print(
                f"# import {number} (started minute {minute}): exit {proc.returncode} in "
                f"{took:.1f} s",
                flush=True,
            )
            await asyncio.sleep(120)

    async def report(self, replicas: list[Replica], url: str, until: float) -> None:
        """A row a minute while the load runs."""
        engine = make_engine(url)
        print(
            "| minute | requests | errors | p50 ms | p99 ms | Slack p99 ms | Teams p99 ms "
            "| outbox sent | "
            + " | ".join(f"{r.name} RSS MiB" for r in replicas)
            + " | load average |",
            flush=True,
        )
        print("| --- " * (9 + len(replicas)) + "|", flush=True)
        shown = 0
        while True:
            now = time.perf_counter()
            await asyncio.sleep(max(0.0, self.started + (shown + 1) * 60 + 1 - now))
            minute = [o for o in self.outcomes if o.minute == shown]
            ok = [o.ms for o in minute if o.ms is not None]
            slack = [o.ms for o in minute if o.ms is not None and o.platform == "slack"]
            teams = [o.ms for o in minute if o.ms is not None and o.platform == "teams"]
            for r in replicas:
                r.samples.append(rss_kib(r.proc.pid))
            sent = await asyncio.to_thread(outbox_sent, engine)

            def p(values: list[float], q: float) -> str:
                return f"{pct(values, q):.0f}" if values else "-"

            print(
                f"| {shown + 1} | {len(minute)} | {len(minute) - len(ok)} | {p(ok, 0.5)} | "
                f"{p(ok, 0.99)} | {p(slack, 0.99)} | {p(teams, 0.99)} | {sent} | "
                + " | ".join(f"{r.samples[-1] / 1024:.0f}" for r in replicas)
                + f" | {os.getloadavg()[0]:.2f} |",
                flush=True,
            )
            shown += 1
            if self.started + shown * 60 >= until - 1:
                break
        engine.dispose()


def outbox_sent(engine: Any) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM outbox_message WHERE status = 'sent'")).scalar()
            or 0
        )


async def start_replica(
    name: str, env: dict[str, str], tmp: str, port: int
) -> tuple[asyncio.subprocess.Process, Path]:
    log = Path(tmp) / f"{name}.log"
    handle = log.open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp,
        env={**env, "HUDDLE_PORT": str(port)},
        stdout=handle,
        stderr=handle,
    )
    handle.close()
    return proc, log


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--rate", type=float, default=20, help="requests a second, in all")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--database", default="huddle_soak")
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {args.minutes:g} minutes at {args.rate:g} "
        f"requests/s, {args.people} people, two replicas on PostgreSQL ({args.database}); "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    soak = Soak(args)
    await soak.slack.start()
    await soak.teams.start()
    for n in range(1, args.people + 1):
        soak.slack.add_user(f"U{n}", f"p{n}@example.org", f"Person {n}")
    url = fresh_database(args.server, args.database)
    seconds = await asyncio.to_thread(prepare, url, args.people, soak.teams.url)
    print(f"# database {args.database} ready in {seconds:.1f} s", flush=True)
    soak.hook()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUDDLE_", "HTTP", "http"))}
    env.update(
        {
            "HUDDLE_DATABASE_URL": url,
            "HUDDLE_HOST": "127.0.0.1",
            "HUDDLE_LOG_LEVEL": "WARNING",
            "HUDDLE_SLACK_BOT_TOKEN": BOT_TOKEN,
            "HUDDLE_SLACK_SIGNING_SECRET": soak.secret,
            "HUDDLE_SLACK_API_URL": soak.slack.api_url,
            "HUDDLE_TEAMS_ANONYMOUS": "1",
            "HUDDLE_OPERATOR": "soak",
        }
    )
    replicas: list[Replica] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for name in ("replica-1", "replica-2"):
                port = free_port()
                proc, log = await start_replica(name, env, tmp, port)
                replicas.append(Replica(name, port, proc, log))
            for r in replicas:
                await wait_healthy(f"http://127.0.0.1:{r.port}/healthz", r.proc, seconds=60)
            # Warm-up: a little traffic, then the starting RSS.
            soak.started = time.perf_counter()
            await soak.load(replicas, time.perf_counter() + WARM_UP)
            soak.outcomes.clear()
            for r in replicas:
                r.rss_start = rss_kib(r.proc.pid)
            print(
                "# after the warm-up: "
                + ", ".join(f"{r.name} RSS {r.rss_start / 1024:.1f} MiB" for r in replicas),
                flush=True,
            )
            soak.started = time.perf_counter()
            until = soak.started + args.minutes * 60
            await asyncio.gather(
                soak.load(replicas, until, first=1_000_000),
                soak.import_loop(env, tmp, until),
                soak.report(replicas, url, until),
            )
            for r in replicas:
                r.rss_end = rss_kib(r.proc.pid)
            summarise(soak, replicas, url)
        finally:
            for r in replicas:
                if r.proc.returncode is None:
                    r.proc.terminate()
                    await r.proc.wait()
            await soak.slack.stop()
            await soak.teams.stop()


def summarise(soak: Soak, replicas: list[Replica], url: str) -> None:
    outcomes = soak.outcomes
    ok = [o.ms for o in outcomes if o.ms is not None]
    errors = [o for o in outcomes if o.ms is None]
    print(
        f"# {len(outcomes)} requests, {len(errors)} errors; p50 {pct(ok, 0.5):.0f} ms, "
        f"p99 {pct(ok, 0.99):.0f} ms, mean {statistics.fmean(ok):.0f} ms"
    )
    by_kind: dict[str, list[float]] = defaultdict(list)
    for o in outcomes:
        if o.ms is not None:
            by_kind[f"{o.platform} {o.kind}"].append(o.ms)
    for kind, values in sorted(by_kind.items()):
        print(
            f"#   {kind}: {len(values)}, p50 {pct(values, 0.5):.0f} ms, p99 {pct(values, 0.99):.0f}"
        )
    reasons: dict[str, int] = defaultdict(int)
    for o in errors:
        reasons[f"{o.platform} {o.kind}: {o.why}"] += 1
    for reason, n in sorted(reasons.items()):
        print(f"#   error {reason}: {n}")
    for r in replicas:
        growth = (r.rss_end - r.rss_start) / r.rss_start * 100 if r.rss_start else 0.0
        error_lines = [
            line
            for line in r.log.read_text(errors="replace").splitlines()
            if '"level": "ERROR"' in line or " ERROR " in line or "Traceback" in line
        ]
        print(
            f"# {r.name}: RSS {r.rss_start / 1024:.1f} MiB at the start, {r.rss_end / 1024:.1f} "
            f"MiB at the end ({growth:+.1f}%); {len(error_lines)} log lines at ERROR"
        )
        for line in error_lines[:5]:
            print(f"#   {line[:300]}")
    for done in soak.imports:
        print(f"# import {json.dumps(done)}")
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM outbox_message GROUP BY status ORDER BY status")
        ).all()
    engine.dispose()
    print("# outbox: " + ", ".join(f"{status} {n}" for status, n in rows))
    keys = soak.slack.delivered_keys()
    print(
        f"# Slack: {sum(keys.values())} scheduled posts carrying {len(keys)} delivery keys, "
        f"{sum(1 for n in keys.values() if n > 1)} keys posted more than once"
    )
    # A proactive message is POSTed to .../activities; a reply to .../activities/<its id>.
    proactive = [s for s in soak.teams.sent if s.path.endswith("/activities")]
    print(
        f"# Teams: {len(proactive)} proactive (scheduled) messages to "
        f"{len({s.conversation for s in proactive})} conversations"
    )


if __name__ == "__main__":
    asyncio.run(main())
