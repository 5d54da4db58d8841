"""The HTTP server behind ``huddle run``: one aiohttp app, one port, every platform.

``POST /slack/events`` (Slack over HTTP), ``POST /api/messages`` (Teams),
and ``GET /healthz`` (the database, and which platforms are served). Slack in
Socket Mode needs no route: it dials out to Slack.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import text

from bot.core import Bot
from scheduler.delivery import Sender
from scheduler.runner import Scheduling
from scheduler.settings import SchedulingSettings

log = logging.getLogger("huddle.server")


@dataclass
class Platforms:
    """The adapters this server runs (any of them may be absent)."""

    slack: Any = None
    teams: Any = None

    @property
    def names(self) -> list[str]:
        names = []
        if self.slack is not None:
            names.append("slack-socket" if self.slack.settings.socket_mode else "slack")
        if self.teams is not None:
            names.append("teams-anonymous" if self.teams.settings.anonymous else "teams")
        return names

    def senders(self) -> dict[str, Sender]:
        """The delivery worker's way out on each platform served."""
        from adapters.slack.sender import SlackSender
        from adapters.teams.sender import TeamsSender

        found: dict[str, Sender] = {}
        if self.slack is not None:
            found["slack"] = SlackSender(self.slack.settings)
        if self.teams is not None:
            found["teams"] = TeamsSender(self.teams)
        return found

    async def close(self) -> None:
        for adapter in (self.slack, self.teams):
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
        return web.json_response({"ok": True, "database": "ok", "platforms": platforms.names})

    app.router.add_get("/healthz", healthz)
    if platforms.slack is not None and not platforms.slack.settings.socket_mode:
        app.router.add_post("/slack/events", platforms.slack.handle_http)
    if platforms.teams is not None:
        platforms.teams.mount(app, "/api/messages")
    return app


def _ping(bot: Bot) -> None:
    with bot.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def serve(
    bot: Bot,
    platforms: Platforms,
    host: str,
    port: int,
    scheduling: SchedulingSettings | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then close the adapters cleanly.

    With ``scheduling`` (and it enabled), the same process ticks the schedules and
    delivers the outbox through each platform served.
    """
    if platforms.slack is not None:
        await platforms.slack.check()
        if platforms.slack.settings.socket_mode:
            await platforms.slack.start_socket_mode()
    runner = web.AppRunner(build(bot, platforms), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("Huddle is serving %s on http://%s:%s", ", ".join(platforms.names), host, port)
    scheduler = None
    if scheduling is not None and scheduling.scheduler_enabled:
        scheduler = Scheduling(bot, platforms.senders(), scheduling)
        await scheduler.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        if scheduler is not None:
            await scheduler.stop()
        await platforms.close()
        await runner.cleanup()
