"""The dashboard in a real browser: Debian's Chromium driven by Playwright (its
``executable_path``; never a browser a tool downloaded), against the same aiohttp app as
``huddle run``, with the sample initiative.

A person opens the link from chat, sees the figures, applies a filter, pauses a schedule;
a reused link, an expired link, a champion asking for another team and a write without
its CSRF token are refused. axe-core (from npm, pinned) runs in the page and reports no
serious or critical violation. Screenshots at phone (360 px) and desktop widths are
saved with the test output (``HUDDLE_SCREENSHOTS``, default ``test-output/dashboard``).

Needs /usr/bin/chromium and npm (for axe-core): CI installs both; elsewhere, without
them the test fails with the reason when HUDDLE_REQUIRE_PLAYGROUND=1, else skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from sqlmodel import Session

from adapters.server import Platforms, build
from bot.core import Bot
from bot.models import Schedule
from tests.nudging import BEN, SAM, schedule
from tests.test_dashboard_access import _chat, _clock, _link
from tests.test_playground_e2e import CHROMIUM, CHROMIUM_ARGS

AXE_VERSION = "4.14.1"
AXE = f"axe-core@{AXE_VERSION}"
AXE_HOME = Path(os.environ.get("HUDDLE_AXE_HOME", Path.home() / ".cache" / "huddle" / "axe"))
SHOTS = Path(os.environ.get("HUDDLE_SCREENSHOTS", "test-output/dashboard"))
REQUIRED = os.environ.get("HUDDLE_REQUIRE_PLAYGROUND") == "1"


def _axe() -> Path | str:
    """axe.min.js, installed from npm once (pinned); or why it could not be."""
    script = AXE_HOME / "node_modules" / "axe-core" / "axe.min.js"
    package = AXE_HOME / "node_modules" / "axe-core" / "package.json"
    if script.is_file() and f'"version": "{AXE_VERSION}"' in package.read_text("utf-8"):
        return script
    npm = shutil.which("npm")
    if npm is None:
        return "npm is needed to install axe-core"
    AXE_HOME.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(AXE_HOME),
            f"axe-core@{AXE_VERSION}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not script.is_file():
        return f"npm install axe-core failed: {done.stderr[-300:]}"
    return script


def _needs() -> Path:
    why = None if Path(CHROMIUM).exists() else f"Debian's chromium is not at {CHROMIUM}"
    axe = _axe() if why is None else why
    if isinstance(axe, str):
        if REQUIRED:
            pytest.fail(axe)
        pytest.skip(axe)
    return axe


@pytest_asyncio.fixture
async def site(bot: Bot) -> AsyncIterator[str]:
    _chat(bot).load_sample_roster()
    server = TestServer(build(bot, Platforms()), host="127.0.0.1")
    await server.start_server()
    # "localhost": a secure context for the browser, so the Secure cookie is kept.
    base = f"http://localhost:{server.port}"
    bot.web = type(bot.web)(public_url=base)
    try:
        yield base
    finally:
        await server.close()


async def _violations(page: Any, axe: Path) -> list[str]:
    await page.add_script_tag(content=axe.read_text("utf-8"))
    found = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
    )
    return [
        f"{v['id']} ({v['impact']}, {v['nodes']})"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


async def test_the_dashboard_in_chromium(site: str, bot: Bot) -> None:
    axe = _needs()
    from playwright.async_api import async_playwright

    sid = schedule(_chat(bot), "next-course to team:icu every monday 09:00")
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            # The page's CSP forbids every script; axe is injected by the test alone.
            context = await browser.new_context(
                bypass_csp=True, viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            link = _link(bot, SAM)
            await page.goto(link)
            await page.get_by_role("button", name="Open the dashboard").click()
            await page.wait_for_url("**/dashboard")
            body = await page.inner_text("main")
            assert "ICU" in body and "Oncology Clinic" in body and "Home Health" in body
            assert await _violations(page, axe) == []
            await page.screenshot(path=str(SHOTS / "report-desktop.png"), full_page=True)
            await page.set_viewport_size({"width": 360, "height": 800})
            await page.screenshot(path=str(SHOTS / "report-phone.png"), full_page=True)
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 360, f"the page is {wide} px wide on a 360 px screen"
            await page.set_viewport_size({"width": 1280, "height": 900})

            # A filter: one team, person by person.
            await page.select_option("#f-team", "icu")
            await page.get_by_role("button", name="Show").click()
            await page.wait_for_url("**team=icu**")
            shown = await page.inner_text("main")
            assert "Ana Ruiz" in shown and "Ella Grant" not in shown

            # Pause a schedule, in one tap.
            await page.get_by_role("link", name="Schedules").click()
            await page.get_by_role("button", name=f"Pause #{sid}").click()
            assert f"Schedule #{sid} is paused" in await page.inner_text("main")
            with Session(bot.engine) as s:
                paused = s.get(Schedule, sid)
                assert paused is not None and paused.status == "paused"
            assert await _violations(page, axe) == []
            await page.screenshot(path=str(SHOTS / "schedules-desktop.png"), full_page=True)

            # A write without its CSRF token changes nothing.
            answer = await page.evaluate(
                "async (sid) => (await fetch('/dashboard/do', {method: 'POST', headers:"
                " {'Content-Type': 'application/x-www-form-urlencoded'},"
                " body: 'command=nudge+resume+' + sid})).status",
                sid,
            )
            assert answer == 403
            with Session(bot.engine) as s:
                still = s.get(Schedule, sid)
                assert still is not None and still.status == "paused"

            # The same link again, in a fresh browser: refused.
            other = await (await browser.new_context()).new_page()
            await other.goto(link)
            await other.get_by_role("button", name="Open the dashboard").click()
            assert "used already" in await other.inner_text("main")

            # An expired link.
            late = _link(bot, SAM)
            _clock(bot).set(bot.clock.now() + timedelta(minutes=16))
            await other.goto(late)
            await other.get_by_role("button", name="Open the dashboard").click()
            assert "15 minutes" in await other.inner_text("main")

            # A champion reaching for another team's page sees only their own.
            champion = await (await browser.new_context()).new_page()
            await champion.goto(_link(bot, BEN))
            await champion.get_by_role("button", name="Open the dashboard").click()
            await champion.wait_for_url("**/dashboard")
            await champion.goto(f"{site}/dashboard?view=report&team=oncology")
            text = await champion.inner_text("main")
            assert "Ella Grant" not in text and "your own team" in text
            await champion.set_viewport_size({"width": 360, "height": 800})
            await champion.screenshot(path=str(SHOTS / "champion-phone.png"), full_page=True)
        finally:
            await browser.close()
