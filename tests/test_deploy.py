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
from pathlib import Path

import aiohttp
import yaml

from bot.settings import PROJECT_ROOT
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
