"""The dashboard in a real browser: Debian's Chromium driven by Playwright (its
``executable_path``; never a browser a tool downloaded), against the same aiohttp app as
``huddle run``, with the sample initiative.

A person opens the link from chat, sees the figures (checked against the hand-computed
fixture of tests/test_reports.py), applies a filter and sees them change, pages through
the roster, opens a schedule's history, pauses a schedule and downloads an import's
refused rows; a reused link, an expired link, a champion asking for another team's report
or roster and a write without its CSRF token are refused. axe-core (from npm, pinned)
runs in the page and reports no serious or critical violation. Screenshots at phone
(360 px) and desktop widths are saved with the test output (``HUDDLE_SCREENSHOTS``,
default ``test-output/dashboard``).

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
from tests.test_reports import email, fill

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
    async for base in _serve(bot):
        yield base


@pytest_asyncio.fixture
async def report_site(bot: Bot) -> AsyncIterator[str]:
    """The report's hand-computed fixture (3 teams, 20 people, one team of three)."""
    fill(bot.engine)
    async for base in _serve(bot):
        yield base


async def _serve(bot: Bot) -> AsyncIterator[str]:
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


async def test_the_dashboard_in_chromium(site: str, bot: Bot, tmp_path: Path) -> None:
    axe = _needs()
    from playwright.async_api import async_playwright

    sid = schedule(_chat(bot), "next-course to team:icu every monday 09:00")
    export = tmp_path / "november-export.csv"
    export.write_text(
        "email,course,completed_at\n"
        "ana.ruiz@example.org,comm-101,2026-11-20\n"
        "nobody@example.org,comm-101,2026-11-20\n"
    )
    assert "refused" in _chat(bot).person(SAM).sends_file(export).text
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

            # The roster, with each person's progress.
            await page.get_by_role("link", name="Roster").click()
            await page.wait_for_url("**view=roster**")
            roster = await page.inner_text("main")
            assert "Showing 1–12 of 12 people (page 1 of 1)" in roster, roster
            assert "Ana Ruiz" in roster and "Ella Grant" in roster
            assert "Essentials for every clinician 1/3" in roster  # Ana's import
            assert await _violations(page, axe) == []
            await page.screenshot(path=str(SHOTS / "roster-desktop.png"), full_page=True)

            # An import's refused rows, downloaded.
            await page.get_by_role("link", name="Imports").click()
            await page.wait_for_url("**view=imports**")
            assert "november-export.csv" in await page.inner_text("main")
            assert await _violations(page, axe) == []
            async with page.expect_download() as fetched:
                await page.get_by_role("link", name="Refused rows of #1").click()
            download = await fetched.value
            assert download.suggested_filename.endswith(".csv")
            saved = tmp_path / "refused.csv"
            await download.save_as(saved)
            rows = saved.read_text("utf-8")
            assert "nobody@example.org" in rows and "ana.ruiz@example.org" not in rows

            # A schedule's history, from the list.
            await page.get_by_role("link", name="Schedules").click()
            await page.wait_for_url("**view=schedules**")
            assert "No delivery problems in the last 30 days" in await page.inner_text("main")
            await page.get_by_role("link", name=f"History #{sid}").click()
            await page.wait_for_url(f"**schedule={sid}**")
            assert f"Nothing has been sent for schedule #{sid} yet" in await page.inner_text("main")

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
            champion = await (await browser.new_context(bypass_csp=True)).new_page()
            await champion.goto(_link(bot, BEN))
            await champion.get_by_role("button", name="Open the dashboard").click()
            await champion.wait_for_url("**/dashboard")
            await champion.goto(f"{site}/dashboard?view=report&team=oncology")
            text = await champion.inner_text("main")
            assert "Ella Grant" not in text and "your own team" in text
            # ... and another team's roster: refused; their own is there.
            await champion.goto(f"{site}/dashboard?view=roster&team=oncology")
            text = await champion.inner_text("main")
            assert "Ella Grant" not in text and "your own team" in text, text
            await champion.goto(f"{site}/dashboard?view=roster")
            text = await champion.inner_text("main")
            assert "Roster: team ICU" in text and "of 4 people" in text, text
            assert "Ella Grant" not in text
            assert await _violations(champion, axe) == []
            await champion.set_viewport_size({"width": 360, "height": 800})
            await champion.screenshot(path=str(SHOTS / "champion-phone.png"), full_page=True)
        finally:
            await browser.close()


async def test_the_report_figures_in_chromium(report_site: str, bot: Bot) -> None:
    """The report page against tests/test_reports.py's hand-computed fixture: a senior
    leader sees everyone, then one team; every figure below is worked out by hand there."""
    axe = _needs()
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                bypass_csp=True, viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            await page.goto(_link(bot, email("w1")))  # Wes, a senior leader
            await page.get_by_role("button", name="Open the dashboard").click()
            await page.wait_for_url("**/dashboard")
            shown = " ".join((await page.inner_text("main")).split())
            # 14 of 20 trained; 31 verified and 11 self-reported completions in Q4; ICU
            # 6 of 9 and Other (Ward and Tiny) 8 of 11, neither at 80%; Ivo and Walt due
            # within 30 days, Ivan and Tor overdue.
            assert "Report: Everyone, 2026-Q4" in shown
            assert "70% of clinicians trained (of 20)" in shown, shown
            assert "Completions in the period: 31 verified, 11 self-reported" in shown
            assert "0 of 2 teams reach the target of 80%" in shown
            assert "Enrolments due in 30 days: 2; overdue: 2" in shown
            assert "Comfort, Serious-illness communication: 2.4 before, 4.2 after (n=5)" in shown
            # Every team's people, enrolled, started, finished (all time): ICU's nine,
            # eight started (all but Ivan), six finished; 16 verified courses and 4 not.
            icu = await _row(page, "ICU")
            assert icu == ["ICU", "9", "9", "8", "6", "67%", "16", "4", "3"], icu
            assert await _violations(page, axe) == []
            await page.screenshot(path=str(SHOTS / "figures-desktop.png"), full_page=True)

            # One team: Ward's eight, seven trained (88%, over the target); 15 verified
            # and 6 self-reported in Q4; Walt due in 30 days, nobody overdue.
            await page.select_option("#f-team", "ward")
            await page.get_by_role("button", name="Show").click()
            await page.wait_for_url("**team=ward**")
            shown = " ".join((await page.inner_text("main")).split())
            assert "Report: Ward, 2026-Q4" in shown, shown
            assert "88% of clinicians trained (of 8)" in shown
            assert "Completions in the period: 15 verified, 6 self-reported" in shown
            assert "1 of 1 teams reach the target of 80%" in shown
            assert "Enrolments due in 30 days: 1; overdue: 0" in shown
            assert "70% of clinicians" not in shown and "Ida One" not in shown
            assert "Wes One" in shown  # the team, person by person
            await page.set_viewport_size({"width": 360, "height": 800})
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 360, f"the page is {wide} px wide on a 360 px screen"
            await page.screenshot(path=str(SHOTS / "figures-phone.png"), full_page=True)
            assert await _violations(page, axe) == []
        finally:
            await browser.close()


async def _row(page: Any, first: str) -> list[str]:
    """The cells of the first table row whose first cell is ``first``."""
    cells: list[str] = await page.evaluate(
        """(first) => {
            for (const row of document.querySelectorAll("main tbody tr")) {
                const cells = [...row.cells].map(c => c.innerText.trim());
                if (cells[0] === first) return cells;
            }
            return [];
        }""",
        first,
    )
    return cells
