"""What the benchmarks share: ports, waiting for a server, CPU time, percentiles, and a
PostgreSQL schema of their own."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import Engine, event, text

from bot.db import make_engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(url: str, proc: asyncio.subprocess.Process, seconds: float = 30) -> None:
    """Until ``url`` answers 200; stop if the server process exits first."""
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds / 0.05)):
            if proc.returncode is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit(f"{url} never became healthy")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def start_huddle_run(tmp: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`huddle run` on the SQLite file in ``tmp``, quietly, with these settings added."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=tmp,
        env={
            **env,
            "HUDDLE_DATABASE_URL": f"sqlite:///{tmp}/huddle.db",
            "HUDDLE_HOST": "127.0.0.1",
            "HUDDLE_LOG_LEVEL": "WARNING",
        },
    )


@contextmanager
def own_schema(url: str, schema: str) -> Iterator[Engine]:
    """An engine on PostgreSQL whose every connection works in ``schema``, made empty at
    the start and dropped at the end: nothing else in the database is touched."""
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()

    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
