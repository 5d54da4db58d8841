"""The HTTP server behind ``huddle run``: one aiohttp app, one port, every platform.

``POST /slack/events`` (Slack over HTTP), ``POST /api/messages`` (Teams),
``POST /xapi/statements`` (xAPI statements from a learning site or an LRS), and
``GET /healthz`` (the database, which platforms are served, and the xAPI counts).
Slack in Socket Mode needs no route: it dials out to Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import text

from adapters.dashboard import Dashboard
from adapters.xapi import XapiReceiver
from bot.core import Bot
from scheduler.delivery import Sender
from scheduler.runner import Scheduling
from scheduler.settings import SchedulingSettings

log = logging.getLogger("huddle.server")


@dataclass
class Platforms:
    """The adapters this server runs (any of them may be absent): the chat platforms,
    and the xAPI receiver."""

    slack: Any = None
    teams: Any = None
    xapi: XapiReceiver | None = None

    @property
    def names(self) -> list[str]:
        names = []
        if self.slack is not None:
            names.append("slack-socket" if self.slack.settings.socket_mode else "slack")
        if self.teams is not None:
            names.append("teams-anonymous" if self.teams.settings.anonymous else "teams")
        return names

    @property
    def served(self) -> list[str]:
        """The chat platforms, and xAPI if statements are received."""
        return self.names + (["xapi"] if self.xapi is not None else [])

    def senders(self) -> dict[str, Sender]:
        """The delivery worker's way out on each platform served."""
        from adapters.slack.sender import SlackSender
        from adapters.teams.sender import TeamsSender

        found: dict[str, Sender] = {}
        if self.slack is not None:
            found["slack"] = SlackSender(self.slack.settings, files=self.slack.bot.stored_file)
        if self.teams is not None:
            found["teams"] = TeamsSender(self.teams)
        return found

    async def close(self) -> None:
        for adapter in (self.slack, self.teams, self.xapi):
            if adapter is not None:
                await adapter.close()


def build(bot: Bot, platforms: Platforms) -> web.Application:
    """The aiohttp application with every route this deployment serves."""
    app = web.Application(client_max_size=2 * 1024 * 1024)

    async def healthz(_: web.Request) -> web.Response:
        try:
            await asyncio.to_thread(_ping, bot)
        except Exception as exc:
            log.error("health check: database unreachable: %s", exc)
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        health: dict[str, Any] = {"ok": True, "database": "ok", "platforms": platforms.names}
        if platforms.xapi is not None:
            health["xapi"] = platforms.xapi.counts()
        return web.json_response(health)

    app.router.add_get("/healthz", healthz)
    Dashboard(bot).mount(app)
    if platforms.slack is not None and not platforms.slack.settings.socket_mode:
        app.router.add_post("/slack/events", platforms.slack.handle_http)
    if platforms.teams is not None:
        platforms.teams.mount(app, "/api/messages")
    if platforms.xapi is not None:
        platforms.xapi.mount(app, "/xapi/statements")
    return app


def _ping(bot: Bot) -> None:
    with bot.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def serve(
    bot: Bot,
    platforms: Platforms,
    host: str,
    port: int,
    scheduling: SchedulingSettings | None = None,
    stop_requested: Callable[[], bool] = lambda: False,
) -> None:
    """Serve until SIGTERM or SIGINT, then close the adapters cleanly.

    The signal handlers go in before anything that can take time, so a stop that
    arrives while Huddle is still starting (a quick rollout does that) is as clean
    as one later: start-up is abandoned where it is and whatever had started is
    closed. ``stop_requested`` says whether a signal came even earlier, before the
    event loop ran (the CLI catches those from its first line).

    With ``scheduling`` (and it enabled), the same process ticks the schedules and
    delivers the outbox through each platform served.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    if stop_requested():
        stop.set()
    running = _Running()
    starting = asyncio.ensure_future(_start(bot, platforms, host, port, scheduling, running))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            log.info("asked to stop while starting: stopping cleanly")
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            starting.result()  # a failed start (bad token, port taken) raises here
            await stopping
    finally:
        stopping.cancel()
        for sig in SIGNALS:
            loop.remove_signal_handler(sig)
        log.info("shutting down")
        await running.close(platforms)


@dataclass
class _Running:
    """What start-up got as far as starting, so a stop at any point closes just that."""

    runner: web.AppRunner | None = None
    scheduler: Scheduling | None = None

    async def close(self, platforms: Platforms) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await platforms.close()
        if self.runner is not None:
            await self.runner.cleanup()


async def _start(
    bot: Bot,
    platforms: Platforms,
    host: str,
    port: int,
    scheduling: SchedulingSettings | None,
    running: _Running,
) -> None:
    if platforms.slack is not None:
        await platforms.slack.check()
        if platforms.slack.settings.socket_mode:
            await platforms.slack.start_socket_mode()
    running.runner = web.AppRunner(build(bot, platforms), access_log=None)
    await running.runner.setup()
    site = web.TCPSite(running.runner, host, port)
    await site.start()
    log.info("Huddle is serving %s on http://%s:%s", ", ".join(platforms.served), host, port)
    if scheduling is not None and scheduling.scheduler_enabled:
        running.scheduler = Scheduling(bot, platforms.senders(), scheduling)
        await running.scheduler.start()
