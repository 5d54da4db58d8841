"""How fast Huddle answers "what's my next course" and "progress" with a big roster.

Fills a database with PEOPLE people in TEAMS teams and COMPLETIONS completions
(plus enrolments and platform identities), then times Bot.handle in-process for
random people, and prints p50/p99/mean per question and database.

    python bench/next_course.py                       # SQLite and PostgreSQL, full size
    python bench/next_course.py --db sqlite --people 10000 --completions 100000

PostgreSQL uses HUDDLE_BENCH_POSTGRES_URL (default: the local `test` database),
in a private schema dropped afterwards. Target: p99 under 20 ms on SQLite.

Free text (issue 11): the same through the intent matcher, for phrasings the exact
grammar does not take ("which course should I take next", "wats my nxt corse"),
and the matcher's own time per message over a mix of phrasings (the grammar, the
date finder and the intent match, as the core runs them). Targets: "what's my
next course" p99 under 5 ms on SQLite at 100,000 people; the matcher adds under
1 ms p99 per message.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime

from dataset import NOW, fill
from sqlalchemy import Engine, event, text

from bot import content as content_mod
from bot.clock import FrozenClock
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.messages import Incoming
from bot.settings import PROJECT_ROOT

PG_URL = os.environ.get(
    "HUDDLE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def measure(bot: Bot, people: int, words: str, requests: int, seed: int = 11) -> list[float]:
    rng = random.Random(seed)
    timings = []
    for _ in range(requests):
        uid = f"U{rng.randint(1, people)}"
        incoming = Incoming(platform="bench", user_id=uid, text=words)
        t0 = time.perf_counter()
        replies = bot.handle(incoming)
        timings.append((time.perf_counter() - t0) * 1000)
        if not replies or replies[0].message.kind == "error":
            raise SystemExit(f"bench request failed: {replies}")
    return timings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(label: str, engine: Engine, args: argparse.Namespace) -> list[str]:
    upgrade(engine)
    load_s = fill(engine, args.people, args.teams, args.completions)
    with engine.connect() as conn:
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("person", "team", "completion", "enrolment")
        }
    print(f"[{label}] loaded {counts} in {load_s:.1f} s", flush=True)
    bot = Bot(content_mod.load(PROJECT_ROOT / "content"), engine, FrozenClock(NOW))
    lines = []
    for words in (
        "what's my next course",
        "progress",
        "which course should I take next",
        "wats my nxt corse",
        "how far along am i",
    ):
        measure(bot, args.people, words, 200)  # warm caches and the connection pool
        timings = measure(bot, args.people, words, args.requests)
        line = (
            f"| {label} | {words} | {args.requests} | {pct(timings, 0.5):.2f} | "
            f"{pct(timings, 0.99):.2f} | {statistics.fmean(timings):.2f} |"
        )
        print(line, flush=True)
        lines.append(line)
    lines.append(matcher_line(label, bot))
    print(lines[-1], flush=True)
    return lines


#: A mix of what people type: read-only questions, writes that are confirmed, dates,
#: typos, and chit-chat that matches nothing.
PHRASINGS = (
    "which course should I take next",
    "wats my nxt corse",
    "anything else I need to complete",
    "how far along am i",
    "what have i completed so far",
    "am i on track",
    "I'm on nights until the 15th",
    "on leave till jan 3",
    "no nudges this week please",
    "cant log in",
    "forgot my password",
    "how many credits do i have",
    "whos my champion",
    "the patient in bed 4 needs more morphine",
    "whats the weather like",
    "just wrapped up the goals of care module",
    "i live in london",
    "dont message me after 9pm",
    "stop sending me these",
    "lol",
)


def matcher_line(label: str, bot: Bot) -> str:
    """The second stage's own time per message: grammar, date finder, intent match."""
    from datetime import date

    from bot import parser
    from bot.guessing import _DATE_HINT
    from bot.timeparse import find_date

    book = bot.content.intents
    today = date(2026, 11, 23)

    def once(words: str) -> None:
        parser.parse(words)
        said = {}
        if _DATE_HINT.search(words):
            found = find_date(words, today, "MDY", ending=True)
            if found:
                said["date"] = found[1]
        named = book.catalog_words(words)
        if named:
            said["course"] = named
        book.match(words, said)

    rows = []
    for cold in (True, False):
        timings = []
        for _ in range(3):  # warm-up round
            for words in PHRASINGS:
                once(words)
        for _ in range(100):
            for words in PHRASINGS:
                if cold:  # every word's spelling neighbours looked up afresh
                    book._near.clear()
                t0 = time.perf_counter()
                once(words)
                timings.append((time.perf_counter() - t0) * 1000)
        what = "cold: no word seen before" if cold else "words seen before"
        p50, p99, mean = pct(timings, 0.5), pct(timings, 0.99), statistics.fmean(timings)
        rows.append(
            f"| {label} | the matcher alone, {len(PHRASINGS)} phrasings, {what} | "
            f"{len(timings)} | {p50:.2f} | {p99:.2f} | {mean:.2f} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--completions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2_000)
    args = parser.parse_args()
    print(
        f"# {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, {datetime.now(UTC):%Y-%m-%d}"
    )
    print(f"# {args.people} people, {args.teams} teams, {args.completions} completions")
    print("| database | question | requests | p50 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            run("SQLite", engine, args)
            engine.dispose()
    if args.db in ("postgresql", "both"):
        schema = f"huddle_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(PG_URL)

        @event.listens_for(engine, "connect")
        def _path(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{schema}"')
            cur.close()
            dbapi_conn.commit()

        try:
            run("PostgreSQL", engine, args)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
