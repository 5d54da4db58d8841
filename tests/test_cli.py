"""The `huddle` command as a newcomer and an operator use it, in a fresh folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SAMPLE


def huddle(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HUDDLE_DATABASE_URL", "HUDDLE_CONTENT_DIR")
    }
    full_env.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        check=False,
        timeout=120,
    )


def test_chat_on_an_empty_folder_sets_everything_up(tmp_path: Path) -> None:
    result = huddle("chat", cwd=tmp_path, stdin="what's my next course\n1\nprogress\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "created the database schema" in out and "loaded the sample roster" in out
    assert "Talking as Ana Ruiz" in out
    assert "Set up your account" in out and "Next up" in out
    assert "Recorded: Talking about serious illness" in out  # "1" pressed "Mark complete"
    assert "1/3" in out
    assert (tmp_path / "huddle.db").exists()
    again = huddle("chat", cwd=tmp_path, stdin="progress\n")
    assert "created the database schema" not in again.stdout and "1/3" in again.stdout


def test_chat_as_someone_else_and_an_unknown_person(tmp_path: Path) -> None:
    ok = huddle("chat", "--as", "sam.okafor@example.org", cwd=tmp_path, stdin="help\nnudge list\n")
    assert "For admins" in ok.stdout
    # What sends by default is listed from the first moment, and can be paused there.
    assert "champion's digest  champions  every monday 09:00  active" in ok.stdout
    bad = huddle("chat", "--as", "who@example.org", cwd=tmp_path)
    assert bad.returncode == 2 and "nobody with the email who@example.org" in bad.stderr


def test_the_first_admin_is_made_from_the_cli(tmp_path: Path) -> None:
    assert huddle("db", "upgrade", cwd=tmp_path).returncode == 0
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,discipline,team\nlee@example.org,Lee Park,nurse,ICU\nbad,Bad,nurse,ICU\n"
    )
    imported = huddle("roster", "import", str(roster), cwd=tmp_path)
    assert imported.returncode == 1  # a row was skipped
    assert (
        "1 added" in imported.stdout and 'line 3: "bad" is not an email address' in imported.stdout
    )
    granted = huddle("grant", "lee@example.org", "admin", cwd=tmp_path)
    assert granted.returncode == 0 and "Lee Park now has the admin role" in granted.stdout
    chat = huddle("chat", "--as", "lee@example.org", cwd=tmp_path, stdin="audit\n")
    assert "role.grant" in chat.stdout and "cli:" in chat.stdout
    missing = huddle("grant", "nobody@example.org", "admin", cwd=tmp_path)
    assert missing.returncode == 1 and "nobody with the email" in missing.stdout


def test_bad_settings_name_the_setting(tmp_path: Path) -> None:
    result = huddle("db", "upgrade", cwd=tmp_path, env={"HUDDLE_DATABASE_URL": "mysql://x"})
    assert result.returncode == 2
    assert "HUDDLE_DATABASE_URL" in result.stderr


def test_commands_before_the_schema_exists_say_what_to_run(tmp_path: Path) -> None:
    result = huddle("team", "list", cwd=tmp_path)
    assert result.returncode == 2 and "huddle db upgrade" in result.stderr


def test_broken_content_stops_the_start_with_the_list(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "content"
    shutil.copytree(SAMPLE, folder)
    (folder / "courses.yaml").write_text("courses: [")
    result = huddle("chat", cwd=tmp_path, env={"HUDDLE_CONTENT_DIR": str(folder)})
    assert result.returncode == 2
    assert "courses.yaml:" in result.stderr and "huddle content check" in result.stderr


def test_contests_from_the_cli(tmp_path: Path) -> None:
    assert huddle("db", "upgrade", cwd=tmp_path).returncode == 0
    for name in ("ICU", "Oncology"):
        assert huddle("team", "add", name, cwd=tmp_path).returncode == 0
    made = huddle(
        "contest",
        "new",
        "Winter sprint",
        "teams",
        "icu,",
        "oncology",
        "metric",
        "credits",
        "to",
        "in 3 weeks",
        "prize",
        "a team breakfast",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Contest #1 is on: Winter sprint. Teams: ICU, Oncology." in made.stdout
    listed = huddle("contest", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "Winter sprint" in listed.stdout
    shown = huddle("contest", "standings", "1", cwd=tmp_path)
    assert shown.returncode == 0 and "Winter sprint: standings" in shown.stdout
    bad = huddle("contest", "new", "Sprint", "teams", "icu,", "oncology", cwd=tmp_path)
    assert bad.returncode == 1 and "When does it end?" in bad.stdout
    nonsense = huddle("contest", "frobnicate", cwd=tmp_path)
    assert nonsense.returncode == 2
