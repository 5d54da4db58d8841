"""Huddle in the Microsoft 365 Agents Playground, driven like a person in headless Chromium.

`huddle playground` (what `make playground` runs) starts Huddle on SQLite with the sample
initiative and the pinned Playground beside it; Playwright opens the Playground's page,
types "what's my next course", sees the card, presses "Mark complete" and sees the next
course. Only the page is used, never the Playground's internal routes.

Needs Node.js/npm (the Playground is installed from npm on first use) and Debian's
Chromium at /usr/bin/chromium. Without them the test skips with the reason, unless
HUDDLE_REQUIRE_PLAYGROUND=1 (CI), which makes it fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("HUDDLE_REQUIRE_PLAYGROUND") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str | None:
    if not (shutil.which("node") and shutil.which("npm")):
        return "Node.js and npm are needed to install the Agents Playground"
    if not Path(CHROMIUM).exists():
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[str], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds  # the first run installs the Playground from npm
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"huddle playground exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listening on {port} after {seconds} s")


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[str]:
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"HUDDLE_REQUIRE_PLAYGROUND=1 but {reason}")
        pytest.skip(reason)
    huddle_port, page_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUDDLE_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "playground",
            "--port",
            str(huddle_port),
            "--playground-port",
            str(page_port),
        ],
        cwd=tmp_path,
        env={**env, "HUDDLE_LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_port(page_port, proc)
        yield f"http://localhost:{page_port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        print(output)


def test_a_clinician_in_the_playground_gets_her_next_course(playground: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(playground)
            cards = page.locator(".fai-OutputCard")
            # Installing the app greets her with the account-setup steps.
            expect(cards.filter(has_text="Hi Ana").first).to_be_visible(timeout=30_000)
            expect(cards.filter(has_text="Set up your account").first).to_be_visible()

            page.get_by_role("textbox").fill("what's my next course")
            page.keyboard.press("Enter")
            first = cards.filter(has_text="Talking about serious illness: the first conversation")
            expect(first.first).to_be_visible(timeout=15_000)
            expect(first.first).to_contain_text("Why it matters for you")

            page.get_by_role("button", name="Mark complete").last.click()
            expect(cards.filter(has_text="Recorded:").first).to_be_visible(timeout=15_000)
            expect(
                cards.filter(has_text="Goals-of-care conversations that fit").first
            ).to_be_visible(timeout=15_000)
            # The clicked card was replaced, so its button cannot be pressed again.
            expect(cards.filter(has_text="✓ Mark complete").first).to_be_visible()

            # Help's placeholders show as placeholders in Microsoft's card renderer.
            page.get_by_role("textbox").fill("help")
            page.keyboard.press("Enter")
            helped = cards.filter(has_text="What you can say to Huddle")
            expect(helped.first).to_be_visible(timeout=15_000)
            expect(helped.first).to_contain_text("join <pathway>")
            expect(helped.first).to_contain_text("pause until <date>")
        finally:
            browser.close()
