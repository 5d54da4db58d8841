"""The Microsoft 365 Agents Playground as a local Teams client: no Microsoft account needed.

Installs the pinned npm package into ``.playground/`` on first use and starts
it pointed at Huddle's ``/api/messages``, as the sample clinician (see
``playground.yml``). Used by ``huddle playground`` (``make playground``) and the
end-to-end tests. The Playground is Microsoft's pre-release software; it is
installed from npm, never copied into this repository.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path

from aiohttp import web

from bot.core import Bot

VERSION = "0.2.28"
PACKAGE = f"@microsoft/m365agentsplayground@{VERSION}"
CONFIG = Path(__file__).with_name("playground.yml")


class PlaygroundUnavailable(Exception):
    """Node/npm is missing or the package could not be installed; the message says which."""


def install(root: Path) -> Path:
    """Install the pinned Playground under ``root`` (once); return its cli.js."""
    cli = root / "node_modules" / "@microsoft" / "m365agentsplayground" / "cli.js"
    installed = root / "node_modules" / "@microsoft" / "m365agentsplayground" / "package.json"
    if cli.is_file() and f'"version": "{VERSION}"' in installed.read_text(encoding="utf-8"):
        return cli
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise PlaygroundUnavailable("the Agents Playground needs Node.js and npm on the PATH")
    root.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(  # noqa: S603 - a fixed command, no shell
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(root), PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0 or not cli.is_file():
        raise PlaygroundUnavailable(f"npm install {PACKAGE} failed: {result.stderr[-500:]}")
    return cli


def command(cli: Path, bot_url: str, port: int) -> list[str]:
    node = shutil.which("node") or "node"
    return [node, str(cli), "-e", bot_url, "-c", "msteams", "--disable-telemetry", "-p", str(port)]


def environment() -> dict[str, str]:
    """Run headless (it opens no browser itself) with Huddle's user config."""
    return {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(CONFIG),
    }


async def serve_with_playground(
    bot: Bot, port: int, playground_port: int, workdir: Path, cli: Path
) -> int:
    """Serve Huddle's Teams endpoint on localhost and the Playground beside it, until Ctrl-C.

    Returns the exit code. The Playground writes its log under ``workdir/devTools``.
    """
    from adapters.server import Platforms, build
    from adapters.teams.adapter import TeamsAdapter
    from adapters.teams.settings import TeamsSettings

    platforms = Platforms(teams=TeamsAdapter(bot, TeamsSettings(anonymous=True)))
    runner = web.AppRunner(build(bot, platforms), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    workdir.mkdir(parents=True, exist_ok=True)
    proc = await asyncio.create_subprocess_exec(
        *command(cli, f"http://127.0.0.1:{port}/api/messages", playground_port),
        env=environment(),
        cwd=workdir,
    )
    print(f"Huddle is answering at http://127.0.0.1:{port}/api/messages.")
    print(
        f"Open http://localhost:{playground_port} in your browser to chat as Ana Ruiz, "
        "an ICU nurse on the sample roster. Ctrl-C stops both.",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ended = asyncio.ensure_future(proc.wait())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({ended, stopped}, return_when=asyncio.FIRST_COMPLETED)
    code = 0
    if proc.returncode is None:
        proc.terminate()
        await proc.wait()
    elif not stop.is_set():
        code = 1
        print(f"The Playground stopped (exit {proc.returncode}); see {workdir}/devTools.")
    stopped.cancel()
    await platforms.close()
    await runner.cleanup()
    return code
