"""The container, as far as a machine without a container engine can check it.

The Dockerfile's build stage is run here as written: its COPY lines give a clean source
folder, its install steps (between the ``# install:`` markers) run with /opt/huddle
replaced by a fresh virtual environment. The Huddle they give, started as the image
starts it (``huddle run`` in a working folder, the content where the image puts it),
must answer /readyz. And the image's other promises are read from the Dockerfile: a
slim Python 3.11, a non-root user, a HEALTHCHECK, the report's system libraries.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import aiohttp
import pytest
import yaml
from sqlalchemy import Engine, create_engine, text

from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.db import current_revision, head_revision, make_engine, upgrade
from bot.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.fakechat import FakeChat
from tests.processes import free_port, wait_for_port

DOCKERFILE = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _stages() -> list[str]:
    return re.split(r"(?m)^FROM ", DOCKERFILE)[1:]


def _install_steps() -> list[str]:
    block = DOCKERFILE.split("# install: begin", 1)[1].split("# install: end", 1)[0]
    run = block.replace("\\\n", " ").strip()
    assert run.startswith("RUN "), run
    return [step.strip() for step in run[len("RUN ") :].split("&&")]


def test_the_image_is_slim_two_staged_non_root_and_checks_its_health() -> None:
    build, final = _stages()
    assert build.startswith("python:3.11-slim AS build")
    assert final.startswith("python:3.11-slim\n")
    assert "COPY --from=build /opt/huddle /opt/huddle" in final
    assert re.search(r"(?m)^USER huddle$", final)
    assert "useradd --create-home --uid 10001 huddle" in final
    assert re.search(r"(?m)^HEALTHCHECK .*\n\s+CMD .*/healthz", final)
    for library in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert library in final  # the PDF's, as .ci/run installs them
    assert "HUDDLE_CONTENT_DIR=/content" in final and "COPY content /content" in final
    assert "apt-get" not in build  # nothing to compile: wheels only


def test_compose_runs_postgres_migrations_once_and_two_replicas_behind_a_proxy() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "migrate", "huddle-1", "huddle-2", "proxy"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for replica in ("huddle-1", "huddle-2"):
        wait = services[replica]["depends_on"]["migrate"]["condition"]
        assert wait == "service_completed_successfully"
        assert services[replica]["environment"]["HUDDLE_DATABASE_URL"].startswith("postgresql")
    caddyfile = COMPOSE["configs"]["caddyfile"]["content"]
    assert "huddle-1:3978 huddle-2:3978" in caddyfile and "health_uri /readyz" in caddyfile


async def test_the_images_install_steps_give_a_huddle_that_answers_readyz(
    tmp_path: Path,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    build = _stages()[0]
    for line in re.findall(r"(?m)^COPY (.+)$", build):
        *parts, _ = line.split()
        for part in parts:
            origin = PROJECT_ROOT / part
            if origin.is_dir():
                shutil.copytree(origin, source / part, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(origin, source / part)
    venv = tmp_path / "opt-huddle"
    for step in _install_steps():
        words = [w.replace("/opt/huddle", str(venv)) for w in shlex.split(step)]
        if words[:1] == ["python"]:
            words[0] = shutil.which("python3.11") or "python3"
        done = await asyncio.to_thread(
            subprocess.run, words, cwd=source, capture_output=True, text=True, timeout=1200
        )
        assert done.returncode == 0, (step, done.stderr[-3000:])

    data = tmp_path / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUDDLE_")}
    env.update(
        {
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            # The image's content (COPY content /content), outside the source folder.
            "HUDDLE_CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "HUDDLE_TEAMS_ANONYMOUS": "1",
            "HUDDLE_HOST": "127.0.0.1",
            "HUDDLE_SCHEDULER_ENABLED": "false",
        }
    )
    huddle = str(venv / "bin" / "huddle")
    upgraded = await asyncio.to_thread(
        subprocess.run, [huddle, "db", "upgrade"], cwd=data, env=env, capture_output=True
    )
    assert upgraded.returncode == 0, upgraded.stderr.decode()[-2000:]
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        huddle,
        "run",
        cwd=data,
        env={**env, "HUDDLE_PORT": str(port)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_for_port(port)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/readyz") as r,
        ):
            assert r.status == 200
            ready = await r.json()
        assert ready["ready"] is True and ready["schema"] == "current"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()[-2000:]
    # Installed, not run from the source folder: the code came from the environment.
    assert not (data / "migrations").exists()


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it (pg_dump, pg_restore)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("person", "enrolment", "completion", "audit_entry", "outbox_message")
        }


def test_the_restore_drill_dump_drop_restore_and_nothing_is_lost(
    tmp_path: Path, sample_content: Content, clock: FrozenClock
) -> None:
    """docs/deploy.md's drill, replayed: pg_dump, the database dropped, pg_restore into a
    new one, and the bot answers as before with every row there."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("PostgreSQL is required (HUDDLE_REQUIRE_POSTGRES=1)")
        pytest.skip("HUDDLE_TEST_POSTGRES_URL is not set")
    name = f"huddle_drill_{uuid.uuid4().hex[:8]}"
    server = POSTGRES_URL.rsplit("/", 1)[0]
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{server}/{name}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        bot = Bot(sample_content, engine, clock)
        chat = FakeChat(bot, clock)
        chat.load_sample_roster()
        ana = chat.person("ana.ruiz@example.org")
        assert "Recorded:" in ana.says("done comm-101").text
        chat.operator("nudge schedule next-course to everyone every monday 09:00")
        chat.run_scheduler()
        before_counts, before_progress = _counts(engine), ana.says("progress").text
        assert before_counts["completion"] >= 1 and before_counts["person"] >= 10
        engine.dispose()

        dump = tmp_path / "huddle.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", _libpq(url)], check=True)
        drop()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(url)}", str(dump)],
            check=True,
        )

        restored = make_engine(url)
        try:
            assert current_revision(restored) == head_revision()
            assert _counts(restored) == before_counts
            again = FakeChat(Bot(sample_content, restored, clock), clock)
            assert again.person("ana.ruiz@example.org").says("progress").text == before_progress
        finally:
            restored.dispose()
    finally:
        drop()
        admin.dispose()
