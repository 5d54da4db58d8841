"""The baseline for bench/teams_turn.py: a bare Agents SDK echo bot, anonymous mode.

Same SDK version, same aiohttp hosting as Huddle; it answers every message with
a constant text. Run by the benchmark as its own process:
`python bench/bare_teams_bot.py PORT`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
    MemoryStorage,
    TurnContext,
    TurnState,
)


class NoState(TurnState):
    async def load(self, context: TurnContext, storage: Any = None) -> NoState:
        return self


async def main(port: int) -> None:
    logging.getLogger("microsoft_agents").setLevel(logging.ERROR)
    config = AgentAuthConfiguration(anonymous_allowed=True)
    connections = ConnectionManager(
        lambda _: AnonymousTokenProvider(),
        connections_configurations={"SERVICE_CONNECTION": config},
    )
    adapter = CloudAdapter(connection_manager=connections)
    app = AgentApplication[TurnState](
        storage=MemoryStorage(),
        connection_manager=connections,
        start_typing_timer=False,
        turn_state_factory=NoState,
    )

    @app.message()
    async def echo(context: TurnContext, state: TurnState) -> None:
        await context.send_activity("Your next course: Talking about serious illness.")

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, app) or web.Response(status=202)

    web_app = web.Application()
    web_app.router.add_post("/api/messages", messages)
    web_app.router.add_get("/healthz", lambda _: web.json_response({"ok": True}))
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
