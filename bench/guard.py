"""The patient-detail screen on the privacy corpus: what it catches, what it flags, how fast.

    .venv/bin/python -m bench.guard [--people 100000] [--db sqlite|postgresql|both]

For each screen: messages with an identifier caught and innocent messages flagged, by
category and by half of the corpus (tuning, held-out), from tests/privacy_corpus.yaml.
Screens measured:

- old: the screen on main before the roster-aware guard (bench/old_privacy.py, verbatim);
- new: bot.privacy.screen with the sample content and the corpus roster;
- new, no staff: the same screen knowing nothing of the roster or content;
- new + phonenumbers: phone and fax numbers found by Google's libphonenumber
  (``phonenumbers``, if installed) instead of the screen's own patterns.

Then the time one message takes (p50/p99 over the corpus, repeated), and the guard's
roster cost with a large roster: building the name sets, and the per-screen check that
the roster has not changed, on SQLite (and PostgreSQL if HUDDLE_TEST_POSTGRES_URL or
--pg-url is set).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine, event, text
from sqlmodel import Session

from bench import old_privacy
from bench.dataset import NOW, fill
from bot import guard, privacy
from bot.db import make_engine, upgrade
from tests import privacy_corpus as corpus

try:
    import phonenumbers
except ImportError:  # optional: measured when installed
    phonenumbers = None


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def with_phonenumbers(staff: privacy.Staff) -> Callable[[str], list[str]]:
    def run(text_: str) -> list[str]:
        kinds = [f.kind for f in privacy.screen(text_, staff) if f.kind not in ("phone", "fax")]
        for match in phonenumbers.PhoneNumberMatcher(
            text_, "US", leniency=phonenumbers.Leniency.POSSIBLE
        ):
            before = text_[max(0, match.start - 40) : match.start].casefold()
            kinds.append("fax" if "fax" in before else "phone")
        return kinds

    return run


def timing(screen: Callable[[str], list[str]], texts: list[str], rounds: int) -> str:
    for t in texts:
        screen(t)
    times: list[float] = []
    for _ in range(rounds):
        for t in texts:
            started = time.perf_counter()
            screen(t)
            times.append((time.perf_counter() - started) * 1000)
    return f"{pct(times, 0.5):.3f} | {pct(times, 0.99):.3f} | {statistics.fmean(times):.3f}"


def roster_cost(label: str, engine: Engine, people: int) -> list[str]:
    upgrade(engine)
    fill(engine, people, 500, 0)
    rows: list[tuple[str, list[float]]] = []
    now = NOW
    with Session(engine) as s:
        started = time.perf_counter()
        guard.roster_for(s, now)
        rows.append(("first screen: read the roster and build the name sets", [_ms(started)]))
        quick = []
        for _ in range(500):
            started = time.perf_counter()
            guard.roster_for(s, now)
            quick.append(_ms(started))
        rows.append(("later screens, within a minute: the newest ids", quick))
        full = []
        for _ in range(50):
            now += guard.RECHECK
            started = time.perf_counter()
            guard.roster_for(s, now)
            full.append(_ms(started))
        rows.append(("once a minute: also counts and the latest update (scans)", full))
    return [
        f"| {label} | {people} people, 500 teams | {what} | {len(times)} | "
        f"{pct(times, 0.5):.2f} | {pct(times, 0.99):.2f} |"
        for what, times in rows
    ]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both", "none"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("HUDDLE_TEST_POSTGRES_URL", ""))
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    items, _ = corpus.load()
    staff = corpus.staff()
    screens: dict[str, Callable[[str], list[str]]] = {
        "old (main)": lambda t: [f.kind for f in old_privacy.screen(t)],
        "new": lambda t: [f.kind for f in privacy.screen(t, staff)],
        "new, no staff knowledge": lambda t: [f.kind for f in privacy.screen(t)],
    }
    if phonenumbers is not None:
        screens[f"new + phonenumbers {phonenumbers.__version__}"] = with_phonenumbers(staff)
    print(f"# corpus: {corpus.counts(items)}")
    print()
    print("| screen | half | caught | false alarms | hard caught | hard false alarms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, screen in screens.items():
        for half in ("tuning", "held-out", "fresh", "all"):
            chosen = [
                i
                for i in items
                if half == "all" or (i.fresh if half == "fresh" else i.half == half)
            ]
            s = corpus.score(screen, chosen)
            print(
                f"| {name} | {half} | {s.caught}/{s.positives} ({s.recall:.0%}) | "
                f"{s.flagged}/{s.negatives} ({s.false_alarm_rate:.0%}) | "
                f"{s.hard_caught}/{s.hard_positives} | {s.hard_flagged}/{s.hard_negatives} |"
            )
    for name, screen in screens.items():
        print()
        print(corpus.report(name, corpus.score(screen, items)))
    print()
    texts = [i.text for i in items]
    print("| screen | messages x rounds | p50 ms | p99 ms | mean ms |")
    print("| --- | --- | --- | --- | --- |")
    for name, screen in screens.items():
        print(f"| {name} | {len(texts)} x {args.rounds} | {timing(screen, texts, args.rounds)} |")
    if args.db == "none":
        return
    print()
    print("| database | roster | step | calls | p50 ms | p99 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            print("\n".join(roster_cost("SQLite", engine, args.people)), flush=True)
            engine.dispose()
    if args.db in ("postgresql", "both") and args.pg_url:
        schema = f"huddle_guard_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.pg_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.pg_url)

        @event.listens_for(engine, "connect")
        def _path(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute(f'SET search_path TO "{schema}"')
            cur.close()

        try:
            print("\n".join(roster_cost("PostgreSQL", engine, args.people)), flush=True)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
