"""`huddle completions import` as an operator runs it: exit codes, the error file beside
the export, and a SIGKILL in the middle of a large import, after which the database is
consistent and the re-run completes with nothing doubled."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.test_cli import huddle

ROSTER = PROJECT_ROOT / "content" / "sample-roster.csv"
COURSES = ("comm-101", "goals-101", "pain-101", "dyspnea-101", "nausea-101", "acp-101")


def _ready(folder: Path) -> None:
    for args in (("db", "upgrade"), ("roster", "import", str(ROSTER))):
        result = huddle(*args, cwd=folder)
        assert result.returncode == 0, result.stdout + result.stderr


def test_exit_codes_and_the_error_file(tmp_path: Path) -> None:
    _ready(tmp_path)
    good = tmp_path / "good.csv"
    good.write_text("email,course,completed_at\nana.ruiz@example.org,pain-101,2026-11-20\n")
    result = huddle("completions", "import", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 new completions" in result.stdout
    assert not (tmp_path / "good-refused-rows.csv").exists()

    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        "email,course,completed_at\n"
        "ben.cho@example.org,pain-101,2026-11-20\n"
        "nobody@example.org,pain-101,2026-11-20\n"
    )
    result = huddle("completions", "import", str(mixed), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 rows were refused" in result.stdout
    with (tmp_path / "mixed-refused-rows.csv").open(newline="") as f:
        assert list(csv.reader(f)) == [
            ["line", "row", "reason"],
            [
                "3",
                "nobody@example.org,pain-101,2026-11-20",
                "nobody@example.org is not on the roster",
            ],
        ]
    # Again: nothing new, the same row refused.
    result = huddle("completions", "import", str(mixed), "--errors", "again.csv", cwd=tmp_path)
    assert result.returncode == 1 and "1 already recorded" in result.stdout
    assert (tmp_path / "again.csv").exists()

    for args, expected in (
        (("nope.csv",), "No file"),
        ((str(good), "--profile", "canvas"), "There is no layout called canvas"),
        ((str(good), "--zone", "Mars/Olympus"), "Unknown time zone"),
    ):
        result = huddle("completions", "import", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert expected in result.stdout + result.stderr, args


def _big_export(path: Path, people: list[str], rows: int) -> set[tuple[str, str]]:
    """An export of ``rows`` rows over ``people``; returns the (email, course) pairs."""
    pairs: set[tuple[str, str]] = set()
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["email", "course", "completed_at", "score"])
        for i in range(rows):
            email = people[i % len(people)]
            course = COURSES[(i // len(people)) % len(COURSES)]
            day = 1 + i % 20
            writer.writerow([email, course, f"2026-11-{day:02d}", str(50 + i % 50)])
            pairs.add((email, course))
    return pairs


def _counts(db: Path) -> tuple[int, int, str, int]:
    """(completions, distinct pairs, the last run's status, the last run's added)."""
    with sqlite3.connect(db, timeout=30) as conn:
        completions = conn.execute("SELECT count(*) FROM completion").fetchone()[0]
        pairs = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT person_id, course_id FROM completion)"
        ).fetchone()[0]
        run = conn.execute(
            "SELECT status, added FROM import_run ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return completions, pairs, run[0] if run else "", run[1] if run else 0


def test_a_sigkill_mid_import_leaves_every_finished_batch_whole_and_the_rerun_completes(
    tmp_path: Path,
) -> None:
    _ready(tmp_path)
    people = [f"person{i}@example.org" for i in range(30_000)]
    roster = tmp_path / "people.csv"
    with roster.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["email", "name", "discipline", "team"])
        writer.writerows(
            [e, f"Person {i}", "nurse", f"Team {i % 40}"] for i, e in enumerate(people)
        )
    assert huddle("roster", "import", str(roster), cwd=tmp_path).returncode == 0
    db = tmp_path / "huddle.db"
    rows = 120_000
    while True:
        export = tmp_path / f"big-{rows}.csv"
        pairs = _big_export(export, people, rows)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("HUDDLE_DATABASE_URL", "HUDDLE_CONTENT_DIR")
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "completions", "import", str(export)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        killed = False
        while child.poll() is None and time.monotonic() < deadline:
            try:
                _, _, status, added = _counts(db)
            except sqlite3.OperationalError:  # locked for a moment by the writer
                status, added = "", 0
            if status == "running" and added > 0:
                child.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.01)  # a poll interval, not a wait for the import
        child.wait(timeout=60)
        if killed:
            break
        # The import finished before a batch could be seen: a bigger file, and again.
        assert child.returncode == 0 and rows < 2_000_000
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM completion")
        rows *= 2

    completions, distinct, status, added = _counts(db)
    # Consistent: no pair twice, and exactly the finished batches' completions, as counted.
    assert completions == distinct == added and status == "running"
    assert 0 < completions < len(pairs)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "completions", "import", str(export)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    completions, distinct, status, added_again = _counts(db)
    assert completions == distinct == len(pairs) and status == "done"
    assert added + added_again == len(pairs)
