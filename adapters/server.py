"""The HTTP server behind ``huddle run``: one aiohttp app, one port, every platform.

``POST /slack/events`` (Slack over HTTP; with several workspaces also
``GET /slack/install`` and ``GET /slack/oauth_redirect``, Slack's OAuth flow),
``POST /api/messages`` (Teams),
``POST /xapi/statements`` (xAPI statements from a learning site or an LRS), the
dashboard, and for whoever runs it:

- ``GET /healthz``: the process is up and serving (which platforms, the xAPI counts); it
  asks nothing of the database, so a database outage never gets a healthy process killed.
- ``GET /readyz``: ready for traffic: the database answers, its schema is at this code's
  newest migration, and each platform was reachable when the process started. 503 with
  what is wrong otherwise; it recovers by itself when the database does.
- ``GET /metrics``: Prometheus's text format (``bot.metrics``), with
  ``Authorization: Bearer HUDDLE_METRICS_TOKEN``, or without a token on a port of its own
  (``HUDDLE_METRICS_PORT``, for a network only Prometheus reaches). With neither set it is
  not served.

Slack in Socket Mode needs no route: it dials out to Slack.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from adapters.dashboard import Dashboard
from adapters.xapi import XapiReceiver
from bot import logs, metrics
from bot.core import Bot
from bot.db import current_revision, head_revision
from scheduler.delivery import Sender
from scheduler.runner import Scheduling
from scheduler.settings import SchedulingSettings

log = logging.getLogger("huddle.server")
OK = "ok"
CONFIGURED = "configured"


@dataclass
class Platforms:
    """The adapters this server runs (any of them may be absent): the chat platforms,
    and the xAPI receiver."""

    slack: Any = None
    teams: Any = None
    xapi: XapiReceiver | None = None
    #: Who may read /metrics: a bearer token, and/or a port of its own.
    metrics_token: str = ""
    metrics_port: int = 0
    #: Each platform's check when the process started ("ok", or what went wrong).
    checked: dict[str, str] = field(default_factory=dict)

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
            found["slack"] = SlackSender(
                self.slack.settings,
                files=self.slack.bot.stored_file,
                installations=self.slack.installations,
            )
        if self.teams is not None:
            found["teams"] = TeamsSender(self.teams)
        return found

    async def close(self) -> None:
        for adapter in (self.slack, self.teams, self.xapi):
            if adapter is not None:
                await adapter.close()


@web.middleware
async def _counted(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every request counted by its route's pattern (never its path: no ids in labels)."""
    started = time.perf_counter()
    logs.new_event("r")
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.HTTP_REQUESTS.labels(route=route, method=request.method, status=str(status)).inc()
        metrics.HTTP_SECONDS.labels(route=route).observe(time.perf_counter() - started)


def build(bot: Bot, platforms: Platforms) -> web.Application:
    """The aiohttp application with every route this deployment serves."""
    app = web.Application(client_max_size=2 * 1024 * 1024, middlewares=[_counted])

    async def healthz(_: web.Request) -> web.Response:
        health: dict[str, Any] = {"ok": True, "platforms": platforms.names}
        if platforms.xapi is not None:
            health["xapi"] = platforms.xapi.counts()
        return web.json_response(health)

    async def readyz(_: web.Request) -> web.Response:
        found = await asyncio.to_thread(readiness, bot, platforms)
        return web.json_response(found, status=200 if found["ready"] else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if platforms.metrics_token:
        app.router.add_get("/metrics", metrics_handler(bot, platforms.metrics_token))
    Dashboard(bot).mount(app)
    if platforms.slack is not None and not platforms.slack.settings.socket_mode:
        app.router.add_post("/slack/events", platforms.slack.handle_http)
        slack_settings = platforms.slack.settings
        if slack_settings.multi_workspace:
            app.router.add_get(slack_settings.install_path, platforms.slack.handle_oauth)
            app.router.add_get(slack_settings.redirect_path, platforms.slack.handle_oauth)
    if platforms.teams is not None:
        platforms.teams.mount(app, "/api/messages")
    if platforms.xapi is not None:
        platforms.xapi.mount(app, "/xapi/statements")
    return app


def readiness(bot: Bot, platforms: Platforms) -> dict[str, Any]:
    """What /readyz says: the database, its schema, and the platforms' start-up checks."""
    found: dict[str, Any] = {"ready": True, "platforms": dict(platforms.checked)}
    try:
        revision = current_revision(bot.engine)
    except Exception as exc:
        log.warning("readiness: the database is unreachable: %s", type(exc).__name__)
        return {**found, "ready": False, "database": "unreachable"}
    found["database"] = "ok"
    head = head_revision()
    found["schema"] = "current" if revision == head else f"at {revision}, code needs {head}"
    bad = [name for name, state in platforms.checked.items() if state not in (OK, CONFIGURED)]
    found["ready"] = revision == head and not bad
    return found


def metrics_handler(bot: Bot, token: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """GET /metrics; with ``token``, only for ``Authorization: Bearer <token>``."""
    expected = f"Bearer {token}".encode()

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").encode()
        if token and not hmac.compare_digest(given, expected):
            return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
        body = await asyncio.to_thread(metrics.exposition, bot.engine, bot.clock.now())
        response = web.Response(body=body)
        response.content_type = "text/plain"
        response.headers["Content-Type"] = metrics.CONTENT_TYPE_LATEST
        return response

    return handle


def metrics_app(bot: Bot) -> web.Application:
    """/metrics alone, for a port of its own (HUDDLE_METRICS_PORT): no token there."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler(bot, ""))
    return app


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
    metrics: web.AppRunner | None = None

    async def close(self, platforms: Platforms) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        await platforms.close()
        if self.runner is not None:
            await self.runner.cleanup()
        if self.metrics is not None:
            await self.metrics.cleanup()


async def _start(
    bot: Bot,
    platforms: Platforms,
    host: str,
    port: int,
    scheduling: SchedulingSettings | None,
    running: _Running,
) -> None:
    if platforms.slack is not None:
        await platforms.slack.check()  # a wrong token or URL stops the start here
        platforms.checked["slack"] = "ok"
        if platforms.slack.settings.socket_mode:
            await platforms.slack.start_socket_mode()
    if platforms.teams is not None:
        # Nothing in Microsoft's cloud is asked at start (the connector's token is fetched
        # on the first send); a configured Teams is taken as ready.
        platforms.checked["teams"] = CONFIGURED
    running.runner = web.AppRunner(build(bot, platforms), access_log=None)
    await running.runner.setup()
    site = web.TCPSite(running.runner, host, port)
    await site.start()
    if platforms.metrics_port:
        running.metrics = web.AppRunner(metrics_app(bot), access_log=None)
        await running.metrics.setup()
        await web.TCPSite(running.metrics, host, platforms.metrics_port).start()
        log.info("metrics on http://%s:%s/metrics", host, platforms.metrics_port)
    log.info("Huddle is serving %s on http://%s:%s", ", ".join(platforms.served), host, port)
    if scheduling is not None and scheduling.scheduler_enabled:
        running.scheduler = Scheduling(bot, platforms.senders(), scheduling)
        await running.scheduler.start()
