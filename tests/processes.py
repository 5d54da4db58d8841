"""Huddle as separate processes (`python -m bot.cli ...`), for tests that need real ones."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import IO, Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_huddle(
    *args: str,
    cwd: Path,
    env: dict[str, str],
    stdout: int | IO[Any] = asyncio.subprocess.PIPE,
    stderr: int | IO[Any] = asyncio.subprocess.PIPE,
) -> asyncio.subprocess.Process:
    """Start `huddle ARGS` with this environment's HUDDLE_* settings replaced by ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUDDLE_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env={**clean, **env},
        stdout=stdout,
        stderr=stderr,
    )


async def huddle(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 60
) -> tuple[int, str, str]:
    """Run `huddle ARGS` to the end: (exit code, stdout, stderr)."""
    proc = await start_huddle(*args, cwd=cwd, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode or 0, out.decode(), err.decode()


async def wait_for_port(port: int, seconds: float = 30) -> None:
    """Until something accepts connections on the port (the server has started)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise AssertionError(f"nothing listening on {port}") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
