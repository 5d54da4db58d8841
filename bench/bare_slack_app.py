"""The baseline for bench/slack_ack.py: a bare slack-bolt app answering a constant text.

Same Bolt version, same aiohttp server, same signature checks as Huddle; it
acknowledges `/huddle` and answers through response_url with a fixed sentence.
Run by the benchmark as its own process: `python bench/bare_slack_app.py PORT API_URL SECRET`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


async def main(port: int, api_url: str, secret: str, token: str) -> None:
    app = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url), signing_secret=secret)

    @app.command("/huddle")
    async def huddle(ack: Any, respond: Any) -> None:
        await ack()
        await respond("Your next course: Talking about serious illness (40 min, 0.75 CME).")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web_app.router.add_get("/healthz", lambda _: web.json_response({"ok": True}))
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]))
