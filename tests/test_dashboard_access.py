"""The coordinators' dashboard over real HTTP (``huddle run``'s aiohttp app): a one-time
link from chat, the session it starts, the views run as the signed-in person, and every
way in that must fail: an expired link, a reused one, a tampered one, a champion asking
for another team, a write without its CSRF token, a role revoked under a session."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest_asyncio
from aiohttp.test_utils import TestServer
from sqlmodel import Session, select

from adapters.server import Platforms, build
from bot import markup
from bot.clock import FrozenClock
from bot.core import Bot
from bot.messages import Text
from bot.models import AuditEntry, OutboxMessage, Schedule
from tests.fakechat import FakeChat
from tests.nudging import BEN, CARLA, FEMI, HANA, SAM, schedule


@pytest_asyncio.fixture
async def server(bot: Bot) -> AsyncIterator[TestServer]:
    _chat(bot).load_sample_roster()
    test_server = TestServer(build(bot, Platforms()))
    await test_server.start_server()
    bot.web = type(bot.web)(public_url=str(test_server.make_url("")).rstrip("/"))
    try:
        yield test_server
    finally:
        await test_server.close()


def _clock(bot: Bot) -> FrozenClock:
    assert isinstance(bot.clock, FrozenClock)  # the conftest's bot runs on a frozen clock
    return bot.clock


def _chat(bot: Bot) -> FakeChat:
    return FakeChat(bot, _clock(bot))


def _client(server: TestServer) -> aiohttp.ClientSession:
    # The cookie is Secure: this local test origin is treated as a secure one, as
    # browsers treat http://localhost.
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[server.make_url("")])
    return aiohttp.ClientSession(cookie_jar=jar)


def _link(bot: Bot, email: str) -> str:
    chat = _chat(bot)
    reply = chat.person(email).says("dashboard")
    found = [
        span.url
        for block in reply.messages[0].blocks
        if isinstance(block, Text)
        for line in markup.parse(block.markdown)
        for span in line.spans
        if span.url and "/dashboard/login?t=" in span.url
    ]
    assert found, reply.text
    return found[0]


async def _sign_in(client: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    token = parse_qs(urlsplit(link).query)["t"][0]
    async with client.get(link) as page:
        assert page.status == 200
        assert "Open the dashboard" in await page.text()
    base = link.split("/dashboard", 1)[0]
    return await client.post(f"{base}/dashboard/login", data={"t": token}, allow_redirects=False)


async def _page(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with client.get(url) as response:
        return response.status, unescape(await response.text())


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_a_link_from_chat_signs_in_once_and_shows_the_report(
    server: TestServer, bot: Bot
) -> None:
    link = _link(bot, SAM)
    assert link.startswith(str(server.make_url("/dashboard/login?t=")))
    async with _client(server) as client:
        # A preview (a GET) does not spend the link.
        async with client.get(link) as preview:
            assert preview.status == 200
        signed = await _sign_in(client, link)
        assert signed.status == 303 and signed.headers["Location"] == "/dashboard"
        cookie = signed.headers["Set-Cookie"]
        for part in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/dashboard"):
            assert part in cookie, cookie
        status, html = await _page(client, str(server.make_url("/dashboard")))
        assert status == 200
        assert "Signed in as Sam Okafor (admin)" in html
        assert "ICU" in html and "Oncology Clinic" in html  # every team, for an admin
        assert (
            "default-src 'none'"
            in (await client.get(server.make_url("/dashboard"))).headers["Content-Security-Policy"]
        )
        assert not re.search(r'(src|href)="https?://(?!127\.0\.0\.1)', html)  # nothing fetched
    async with _client(server) as other:
        again = await _sign_in(other, link)
        assert again.status == 403
        assert "used already" in await again.text()


async def test_an_expired_or_tampered_link_is_refused(server: TestServer, bot: Bot) -> None:
    link = _link(bot, SAM)
    _clock(bot).set(bot.clock.now() + timedelta(minutes=16))
    async with _client(server) as client:
        expired = await _sign_in(client, link)
        assert expired.status == 403 and "15 minutes" in await expired.text()
        fresh = _link(bot, SAM)
        tampered = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
        refused = await _sign_in(client, tampered)
        assert refused.status == 403 and "isn't a link Huddle made" in await refused.text()
        status, html = await _page(client, str(server.make_url("/dashboard")))
        assert status == 401 and "sign in again" in html


async def test_a_clinician_gets_no_link(server: TestServer, bot: Bot) -> None:
    reply = _chat(bot).person(CARLA).says("dashboard")
    assert "/dashboard/login" not in str(reply.messages)
    assert "admins, senior leaders and champions" in reply.text or "role" in reply.text


async def test_a_champion_sees_their_own_team_only(server: TestServer, bot: Bot) -> None:
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, BEN))).status == 303
        status, html = await _page(client, str(server.make_url("/dashboard?view=report")))
        assert status == 200 and "(champion)" in html
        assert "Ana Ruiz" in html  # Ben's team, ICU, person by person
        assert "Ella Grant" not in html
        # Another team's page: the command's own check answers, not the page.
        status, html = await _page(
            client, str(server.make_url("/dashboard?view=report&team=oncology"))
        )
        assert "Ella Grant" not in html and "your own team" in html, html
        assert 'value="oncology"' not in html  # not offered as a filter either


async def test_pausing_a_schedule_needs_the_csrf_token_and_is_audited(
    server: TestServer, bot: Bot
) -> None:
    sid = schedule(_chat(bot), "next-course to team:icu every monday 09:00")
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        status, html = await _page(client, str(server.make_url("/dashboard?view=schedules")))
        assert status == 200 and f"#{sid}" in html
        csrf = _csrf(html)
        do = str(server.make_url("/dashboard/do"))
        async with client.post(do, data={"command": f"nudge pause {sid}"}) as missing:
            assert missing.status == 403
        async with client.post(do, data={"command": f"nudge pause {sid}", "csrf": "x"}) as bad:
            assert bad.status == 403
        assert _status(bot, sid) == "active"
        async with client.post(do, data={"command": f"nudge pause {sid}", "csrf": csrf}) as ok:
            assert ok.status == 200
            assert f"Schedule #{sid} is paused" in re.sub(r"<[^>]+>", "", await ok.text())
    assert _status(bot, sid) == "paused"
    with Session(bot.engine) as s:
        trail = [(a.actor, a.action) for a in s.exec(select(AuditEntry))]
    assert (SAM, "nudge.pause") in trail, trail


async def test_revoking_the_role_ends_the_session(server: TestServer, bot: Bot) -> None:
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, HANA))).status == 303
        assert (await _page(client, str(server.make_url("/dashboard"))))[0] == 200
        reply = _chat(bot).person(SAM).says(f"revoke {HANA} senior leader")
        assert "Revoked" in reply.text or "no longer" in reply.text, reply.text
        status, html = await _page(client, str(server.make_url("/dashboard")))
        assert status == 401 and "sign in again" in html


async def test_a_session_ends_after_eight_idle_hours_and_on_signing_out(
    server: TestServer, bot: Bot
) -> None:
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        _, html = await _page(client, str(server.make_url("/dashboard")))
        clock: Any = bot.clock
        clock.set(clock.now() + timedelta(hours=7, minutes=59))
        assert (await _page(client, str(server.make_url("/dashboard"))))[0] == 200
        clock.set(clock.now() + timedelta(hours=8, minutes=1))
        assert (await _page(client, str(server.make_url("/dashboard"))))[0] == 401
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        _, html = await _page(client, str(server.make_url("/dashboard")))
        out = await client.post(server.make_url("/dashboard/logout"), data={"csrf": _csrf(html)})
        assert out.status == 200 and "Signed out" in await out.text()
        assert (await _page(client, str(server.make_url("/dashboard"))))[0] == 401


def _status(bot: Bot, sid: int) -> str:
    with Session(bot.engine) as s:
        found = s.get(Schedule, sid)
        assert found is not None
        return found.status


async def test_the_roster_view_pages_and_keeps_a_champion_to_their_team(
    server: TestServer, bot: Bot
) -> None:
    rows = ["email,name,discipline,team,role,pathway"] + [
        f"zz{n:02d}@example.org,Zed {n:02d},nurse,ICU,clinician,essentials" for n in range(30)
    ]
    assert "30 added" in _chat(bot).operator("roster import\n" + "\n".join(rows)).text
    url = str(server.make_url("/dashboard?view=roster"))
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        status, html = await _shown(client, url)
        assert status == 200 and "Showing 1–25 of 42 people (page 1 of 2)" in html, html
        assert 'href="/dashboard?view=roster&page=2"' in html  # a link: it only shows
        status, html = await _shown(client, url + "&page=2")
        assert "Showing 26–42 of 42 people (page 2 of 2)" in html and "Zed 29" in html
        assert 'href="/dashboard?view=roster&page=1"' in html
        status, html = await _shown(client, url + "&team=icu")
        assert "Roster: team ICU" in html and "of 34 people" in html, html
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, BEN))).status == 303
        status, html = await _shown(client, url)
        assert "Roster: team ICU" in html and "Ella Grant" not in html
        status, html = await _shown(client, url + "&team=oncology")
        assert "Ella Grant" not in html and "your own team" in html, html


async def test_an_imports_refused_rows_download_for_whoever_may_have_them(
    server: TestServer, bot: Bot, tmp_path: Path
) -> None:
    export = tmp_path / "november.csv"
    export.write_text(
        "email,course,completed_at\n"
        "ana.ruiz@example.org,comm-101,2026-11-20\n"
        "nobody@example.org,comm-101,2026-11-20\n"
    )
    assert "refused" in _chat(bot).person(SAM).sends_file(export).text
    download = str(server.make_url("/dashboard/imports/1/errors"))
    async with _client(server) as client:
        async with client.get(download) as anonymous:
            assert anonymous.status == 401
            assert "nobody@example.org" not in await anonymous.text()
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        status, html = await _shown(client, str(server.make_url("/dashboard?view=imports")))
        assert status == 200 and "november.csv" in html and "Showing the latest 1 of 1" in html
        assert 'href="/dashboard/imports/1/errors"' in html
        async with client.get(download) as got:
            assert got.status == 200
            assert got.headers["Content-Disposition"].startswith("attachment;")
            assert "november" in got.headers["Content-Disposition"]
            assert "no-store" in got.headers["Cache-Control"]
            assert got.headers["Content-Type"].startswith("text/csv")
            body = await got.text()
        assert "nobody@example.org" in body and "ana.ruiz@example.org" not in body
        async with client.get(str(server.make_url("/dashboard/imports/7/errors"))) as none:
            assert none.status == 404 and "no import 7" in unescape(await none.text())
    async with _client(server) as client:  # a champion who did not run it
        assert (await _sign_in(client, _link(bot, FEMI))).status == 303
        async with client.get(download) as refused:
            text = unescape(await refused.text())
            assert refused.status == 404 and "nobody@example.org" not in text
            assert "no import 1 of yours" in text


async def test_the_schedules_view_opens_a_history_and_shows_delivery_problems(
    server: TestServer, bot: Bot
) -> None:
    sid = schedule(_chat(bot), "next-course to team:icu every monday 09:00")
    now = bot.clock.now()
    with Session(bot.engine) as s:
        s.add(
            OutboxMessage(
                dedupe_key="failed-1",
                kind="next_course",
                schedule_id=sid,
                platform="slack",
                target="D-1",
                message="{}",
                status="failed",
                last_error="the person has left the workspace",
                due_at=now,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        s.commit()
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        base = str(server.make_url("/dashboard?view=schedules"))
        status, html = await _shown(client, base)
        assert status == 200 and "Delivery problems in the last 30 days" in html
        assert "the person has left the workspace" in html
        assert f'href="/dashboard?view=schedules&schedule={sid}"' in html
        status, html = await _shown(client, f"{base}&schedule={sid}")
        assert f"History of #{sid}" in html and "failed 1" in re.sub(r"<[^>]+>", "", html)


async def test_the_report_view_takes_a_period(server: TestServer, bot: Bot) -> None:
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        url = str(server.make_url("/dashboard?view=report"))
        status, html = await _shown(client, url)
        assert status == 200 and "Report: Everyone, 2026-Q4" in html, html
        status, html = await _shown(client, url + "&period=2026-10")
        assert "Report: Everyone, October 2026" in html
        assert 'value="2026-10"' in html  # the filter keeps what was chosen
        status, html = await _shown(client, url + "&period=someday")
        assert "can't read 'someday' as a period" in html


async def _shown(client: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    """A page's status and its HTML with the tags of its text taken out (links kept)."""
    status, html = await _page(client, url)
    return status, re.sub(r"</?(?:strong|em|code|p|span)>", "", html)


async def test_the_reports_files_and_printable_page_download_within_the_askers_reach(
    server: TestServer, bot: Bot
) -> None:
    async with _client(server) as client:
        assert (await _sign_in(client, _link(bot, SAM))).status == 303
        status, html = await _shown(
            client, str(server.make_url("/dashboard?view=report&period=2026-Q4"))
        )
        assert status == 200
        # The summary's buttons are links to the files, made for the signed-in person.
        assert 'href="/dashboard/report/xlsx?words=2026-Q4"' in html
        assert 'href="/dashboard/report/pdf?words=2026-Q4"' in html
        assert 'href="/dashboard/report/html?words=2026-Q4"' in html  # the printable page
        assert '<img src="data:image/png;base64,' in html  # the team chart
        async with client.get(str(server.make_url("/dashboard/report/xlsx?words=2026-Q4"))) as got:
            assert got.status == 200
            assert got.headers["Content-Disposition"].startswith("attachment;")
            assert "no-store" in got.headers["Cache-Control"]
            assert (await got.read()).startswith(b"PK")  # a zip: the workbook
        async with client.get(str(server.make_url("/dashboard/report/html?words=2026-Q4"))) as got:
            assert got.status == 200 and got.headers["Content-Type"].startswith("text/html")
            assert got.headers["Content-Disposition"].startswith("inline;")
            assert "default-src 'none'" in got.headers["Content-Security-Policy"]
            page = await got.text()
            assert page.count("<svg") == 3 and "2026-Q4" in page
        async with client.get(str(server.make_url("/dashboard/report/pdf?words=someday"))) as bad:
            assert bad.status == 404 and "as a period" in unescape(await bad.text())
    async with _client(server) as client:  # a champion: their own team only
        assert (await _sign_in(client, _link(bot, BEN))).status == 303
        url = str(server.make_url("/dashboard/report/csv?words=team:oncology"))
        async with client.get(url) as refused:
            assert refused.status == 404 and "your own team" in unescape(await refused.text())
    async with _client(server) as client:  # nobody signed in
        url = str(server.make_url("/dashboard/report/xlsx"))
        async with client.get(url) as anonymous:
            assert anonymous.status == 401
