"""Slack for several workspaces: Huddle installed through Slack's OAuth flow in each.

The real server (the aiohttp app ``huddle run`` serves), Bolt's OAuth flow with the
state in a browser cookie and in the database, installations in slack_sdk's tables on
Huddle's database, signed requests from two workspaces, and the real Slack sender for
scheduled messages, all against the local Slack Web API (:mod:`tests.slack_fake`),
which issues each workspace its own tokens and rotates them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from adapters.slack.manifest import load
from adapters.slack.sender import SlackSender
from adapters.slack.settings import SlackSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.messages import Message, Text
from bot.models import DeliveryIssue, OutboxMessage, PlatformIdentity, Schedule
from bot.notices import notify
from bot.outbox import Outbox
from scheduler.delivery import Worker
from tests.fakechat import FakeChat
from tests.slack_fake import CLIENT_ID, CLIENT_SECRET, FakeSlack
from tests.slack_harness import SlackHarness, sample_slack, text_of

ALPHA, BETA = "TALPHA", "TBETA"
ANA, BEN, SAM = "UANA", "UBEN", "USAM"
COOKIE = "slack-app-oauth-state"


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [
        (ANA, "ana.ruiz@example.org", "Ana Ruiz", "America/New_York"),
        (BEN, "ben.cho@example.org", "Ben Cho", "America/Chicago"),
        (SAM, "sam.okafor@example.org", "Sam Okafor", None),
    ]
    async with sample_slack(
        engine,
        sample_content,
        clock,
        users,
        bot_token="",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    ) as harness:
        harness.fake.add_workspace(ALPHA, "Alpha", "UBOTALPHA")
        harness.fake.add_workspace(BETA, "Beta", "UBOTBETA")
        yield harness


async def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``check`` until it is truthy (for what no request to the fake marks)."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
    return found


async def begin_install(slack: SlackHarness) -> tuple[str, str, str]:
    """Open the install page: (the authorise URL on it, its state, the state cookie)."""
    async with slack.session.get(
        f"{slack.base_url}/slack/install", allow_redirects=False
    ) as response:
        assert response.status == 200
        page = await response.text()
        cookie = response.headers["Set-Cookie"]
    (url,) = set(re.findall(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page))
    url = url.replace("&amp;", "&")
    state = parse_qs(urlsplit(url).query)["state"][0]
    assert cookie.startswith(f"{COOKIE}={state};") and "HttpOnly" in cookie
    return url, state, f"{COOKIE}={state}"


async def come_back(slack: SlackHarness, query: str, cookie: str | None) -> tuple[int, str]:
    """The installer's browser back from Slack at the redirect URL."""
    headers = {"Cookie": cookie} if cookie else {}
    async with slack.session.get(
        f"{slack.base_url}/slack/oauth_redirect?{query}", headers=headers, allow_redirects=False
    ) as response:
        return response.status, await response.text()


async def install(slack: SlackHarness, team: str) -> str:
    """Install Huddle in a workspace as an admin would; returns its bot token."""
    _, state, cookie = await begin_install(slack)
    code = slack.fake.install_code(team)
    status, page = await come_back(slack, f"code={code}&state={state}", cookie)
    assert status == 200, page
    return bot_token(slack.adapter.bot.engine, team)


def bot_token(engine: Engine, team: str) -> str:
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT bot_token FROM slack_installations WHERE team_id = :t"
                " OR (team_id IS NULL AND enterprise_id = :t)"  # an org-wide install
            ),
            {"t": team},
        ).scalar()
    return str(found or "")


def issue_for(engine: Engine, workspace: str) -> DeliveryIssue | None:
    with Session(engine) as s:  # a new session each time: a fresh view of the database
        return s.exec(select(DeliveryIssue).where(DeliveryIssue.target == workspace)).first()


def installations(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            (str(r[0]), str(r[1]))
            for r in conn.execute(text("SELECT team_id, bot_token FROM slack_installations"))
        ]


async def deliver(bot: Bot, sender: SlackSender) -> None:
    """One planning tick, then everything due through the real Slack sender."""
    planner = bot.planner(("slack",))
    await asyncio.to_thread(bot.tick, planner)
    worker = Worker(
        Outbox(bot.engine, bot.content, "test-worker", quiet=planner), {"slack": sender}, bot.clock
    )
    while await worker.run_once():
        pass


def sender_for(slack: SlackHarness) -> SlackSender:
    return SlackSender(slack.adapter.settings, installations=slack.adapter.installations)


def nudges(fake: FakeSlack, user: str) -> list[Any]:
    return [c for c in fake.of("chat.postMessage") if c.args.get("channel") == user]


async def test_installing_in_two_workspaces_each_answered_with_its_own_token(
    slack: SlackHarness,
) -> None:
    fake, engine = slack.fake, slack.adapter.bot.engine
    url, _, _ = await begin_install(slack)
    asked = parse_qs(urlsplit(url).query)
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["scope"][0].split(",") == load()["oauth_config"]["scopes"]["bot"]

    alpha = await install(slack, ALPHA)
    beta = await install(slack, BETA)
    assert alpha and beta and alpha != beta
    assert sorted(installations(engine)) == [(ALPHA, alpha), (BETA, beta)]
    (exchange, _) = fake.of("oauth.v2.access")
    assert exchange.args["code"].startswith(f"code-{ALPHA}-")

    ana = replace(slack, team=ALPHA)
    ben = replace(slack, team=BETA)
    assert (await ana.dm(ANA, "what's my next course")).status == 200
    assert (await ben.dm(BEN, "progress")).status == 200
    (to_ana,) = await fake.wait_for(lambda: nudges(fake, "DUANA"))
    (to_ben,) = await fake.wait_for(lambda: nudges(fake, "DUBEN"))
    assert "Your next course" in to_ana.args["text"]
    assert (to_ana.token, to_ana.team) == (alpha, ALPHA)
    assert (to_ben.token, to_ben.team) == (beta, BETA)
    # Every call made while answering someone went with their workspace's token.
    for call in fake.calls:
        if call.method in ("users.info", "chat.postMessage", "views.publish"):
            assert call.team in (ALPHA, BETA), call
    # Each token was checked (auth.test) at its install and once more when first used.
    await ana.dm(ANA, "progress")
    await fake.wait_for(lambda: len(nudges(fake, "DUANA")) == 2)
    assert sorted(c.team for c in fake.of("auth.test")) == [ALPHA, ALPHA, BETA, BETA]
    with Session(engine) as s:
        found = {i.external_id: i.workspace for i in s.exec(select(PlatformIdentity))}
    assert found == {ANA: ALPHA, BEN: BETA}


async def test_an_install_with_a_missing_forged_or_used_state_is_refused(
    slack: SlackHarness,
) -> None:
    fake, engine = slack.fake, slack.adapter.bot.engine
    _, state, cookie = await begin_install(slack)
    code = fake.install_code(ALPHA)
    # No state at all, or a state this browser was never given: refused before Slack is asked.
    assert (await come_back(slack, f"code={code}", cookie))[0] == 400
    assert (await come_back(slack, f"code={code}&state={state}", None))[0] == 400
    other = f"{COOKIE}=not-the-state"
    assert (await come_back(slack, f"code={code}&state={state}", other))[0] == 400
    # A state that matches its cookie but Huddle never issued (a forged pair).
    forged = "00000000-0000-0000-0000-000000000000"
    status, page = await come_back(slack, f"code={code}&state={forged}", f"{COOKIE}={forged}")
    assert status == 401 and "invalid_state" in page
    assert not fake.of("oauth.v2.access", ok_only=False)
    assert installations(engine) == []
    # The real pair works once; the same state again is refused (it was used up).
    assert (await come_back(slack, f"code={code}&state={state}", cookie))[0] == 200
    again = fake.install_code(ALPHA)
    status, _ = await come_back(slack, f"code={again}&state={state}", cookie)
    assert status == 401
    assert len(installations(engine)) == 1
    # A code Slack refuses (used, or made up) stores nothing either.
    _, state, cookie = await begin_install(slack)
    status, _ = await come_back(slack, f"code=made-up&state={state}", cookie)
    assert status == 401 and len(installations(engine)) == 1
    # States nobody came back with go once past their time, when the next link is made.
    with engine.begin() as conn:
        conn.execute(text("UPDATE slack_oauth_states SET expire_at = '2000-01-01 00:00:00'"))
    _, fresh, _ = await begin_install(slack)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT state FROM slack_oauth_states")).scalars().all()
    assert left == [fresh]


async def test_a_rotating_token_is_refreshed_before_a_scheduled_send(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    fake.token_lifetime = 12 * 3600  # token rotation on: tokens last 12 hours
    first = await install(slack, ALPHA)
    assert first.startswith("xoxe.xoxb-")
    ana, sam = replace(slack, team=ALPHA), replace(slack, team=ALPHA)
    await ana.dm(ANA, "hi")
    await fake.wait_for(lambda: nudges(fake, "DUANA"))
    _, key = await sam.command(SAM, "nudge schedule next-course to team:icu every monday 09:00")
    reply = await fake.wait_for(lambda: fake.responses.get(key))
    assert "Scheduled" in text_of(reply[0]["blocks"])
    with Session(bot.engine) as s:
        (schedule,) = s.exec(select(Schedule).where(Schedule.kind == "next_course")).all()
    assert schedule.workspace == ALPHA
    assert not fake.of("oauth.v2.access", ok_only=False)[1:]  # nothing rotated yet

    # Eleven hours on, no one has written: the token expires within the rotation window,
    # and no request from Slack will refresh it.
    with bot.engine.begin() as conn:
        for table in ("slack_installations", "slack_bots"):
            conn.execute(
                text(f"UPDATE {table} SET bot_token_expires_at = :at"),
                {"at": datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=30)},
            )
    clock.set(datetime(2026, 11, 30, 14, 0, tzinfo=UTC))  # Monday 09:00 in New York
    sender = sender_for(slack)
    try:
        await deliver(bot, sender)
    finally:
        await sender.close()
    (refresh,) = [c for c in fake.of("oauth.v2.access") if c.args.get("grant_type")]
    (post,) = [c for c in nudges(fake, ANA) if c.args.get("metadata")]
    assert refresh.args["grant_type"] == "refresh_token"
    assert fake.calls.index(refresh) < fake.calls.index(post)
    renewed = bot_token(bot.engine, ALPHA)
    assert renewed != first and post.token == renewed and post.args["_ok"]
    assert first not in fake.tokens  # the old token would not have worked
    with Session(bot.engine) as s:
        (row,) = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "next_course")).all()
    assert (row.status, row.workspace) == ("sent", ALPHA)


async def test_uninstalling_stops_sends_there_and_shows_a_delivery_problem(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    await install(slack, ALPHA)
    beta = await install(slack, BETA)
    ana, ben = replace(slack, team=ALPHA), replace(slack, team=BETA)
    await ana.dm(ANA, "hi")
    await ben.dm(BEN, "hi")
    await fake.wait_for(lambda: nudges(fake, "DUANA") and nudges(fake, "DUBEN"))
    _, key = await ben.command(SAM, "nudge schedule next-course to team:icu every monday 09:00")
    await fake.wait_for(lambda: fake.responses.get(key))

    # Monday 09:00 in New York: Ana's reminder is written, not sent yet; then Alpha's
    # admin removes Huddle (Slack revokes its tokens and sends app_uninstalled).
    clock.set(datetime(2026, 11, 30, 14, 0, tzinfo=UTC))
    await asyncio.to_thread(bot.tick, bot.planner(("slack",)))
    fake.revoke(ALPHA)
    since = len(fake.calls)
    sent = await ana.event({"type": "app_uninstalled"})
    assert sent.status == 200
    await eventually(lambda: installations(bot.engine) == [(BETA, beta)])
    issue = await eventually(lambda: issue_for(bot.engine, ALPHA))
    with Session(bot.engine) as s:
        (waiting,) = s.exec(select(OutboxMessage).where(OutboxMessage.workspace == ALPHA)).all()
    assert issue.error == "app_uninstalled" and issue.platform == "slack"
    assert (waiting.status, waiting.last_error) == ("failed", "app_uninstalled")

    # Chicago's 09:00: Ben, in Beta, still gets his; nothing goes to Alpha.
    clock.set(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    sender = sender_for(slack)
    try:
        await deliver(bot, sender)
        (to_ben,) = [c for c in nudges(fake, BEN) if c.args.get("metadata")]
        assert (to_ben.token, to_ben.team) == (beta, BETA)
        # A week on, the next reminder for Ana is written and refused before any request.
        clock.set(datetime(2026, 12, 7, 14, 0, tzinfo=UTC))
        await deliver(bot, sender)
    finally:
        await sender.close()
    assert not [c for c in nudges(fake, ANA) if c.args.get("metadata")]
    assert not [c for c in fake.calls[since:] if c.token in fake.revoked]  # none tried at all
    with Session(bot.engine) as s:
        failed = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.workspace == ALPHA, OutboxMessage.status == "failed"
            )
        ).all()
    assert len(failed) == 2 and {r.last_error for r in failed} == {"app_uninstalled"}
    # The admins see it in `nudge problems`, wherever they ask.
    chat = FakeChat(bot, clock)
    problems = chat.person("sam.okafor@example.org").says("nudge problems")
    assert "app_uninstalled" in problems.text  # the two messages given up, by schedule
    assert "uninstalled from this Slack workspace" in problems.text


async def test_tokens_revoked_removes_the_workspace_too(slack: SlackHarness) -> None:
    fake, engine = slack.fake, slack.adapter.bot.engine
    await install(slack, ALPHA)
    await install(slack, BETA)
    fake.revoke(BETA)
    beta = replace(slack, team=BETA)
    sent = await beta.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOTBETA"]}})
    assert sent.status == 200
    await eventually(lambda: [t for t, _ in installations(engine)] == [ALPHA])
    issue = await eventually(lambda: issue_for(engine, BETA))
    assert issue.error == "tokens_revoked"


async def test_an_org_wide_install_on_enterprise_grid_serves_every_workspace_in_it(
    slack: SlackHarness,
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    fake.add_org("E0ORG", "Health System", "UBOTORG")
    org = await install(slack, "E0ORG")  # an org admin installs it once, for the organisation
    with bot.engine.connect() as conn:
        row = conn.execute(
            text("SELECT enterprise_id, team_id, is_enterprise_install FROM slack_installations")
        ).one()
    assert (row[0], row[1], bool(row[2])) == ("E0ORG", None, True)
    # Ana writes from one of the organisation's workspaces, Ben from another.
    ana = replace(slack, team="TGRID1", enterprise="E0ORG", org_wide=True)
    ben = replace(slack, team="TGRID2", enterprise="E0ORG", org_wide=True)
    await ana.dm(ANA, "progress")
    await ben.dm(BEN, "progress")
    (to_ana,) = await fake.wait_for(lambda: nudges(fake, "DUANA"))
    (to_ben,) = await fake.wait_for(lambda: nudges(fake, "DUBEN"))
    assert to_ana.token == to_ben.token == org
    with Session(bot.engine) as s:
        found = {i.external_id: i.workspace for i in s.exec(select(PlatformIdentity))}
        ana_id = s.exec(
            select(PlatformIdentity.person_id).where(PlatformIdentity.external_id == ANA)
        ).one()
    assert found == {ANA: "E0ORG:", BEN: "E0ORG:"}
    # A message for Ana, sent later with no request behind it, uses the org's token.
    with Session(bot.engine) as s:
        assert notify(
            s,
            ana_id,
            Message(blocks=(Text("Hello from the scheduler"),), summary="Hello"),
            "hello",
            bot.clock.now(),
        )
        s.commit()
    sender = sender_for(slack)
    try:
        worker = Worker(Outbox(bot.engine, bot.content, "w"), {"slack": sender}, bot.clock)
        while await worker.run_once():
            pass
    finally:
        await sender.close()
    (sent,) = [c for c in nudges(fake, ANA) if c.args.get("metadata")]
    assert (sent.token, sent.args["_ok"]) == (org, True)
    # Uninstalled from the organisation: every workspace in it is gone.
    fake.revoke("E0ORG")
    await ana.event({"type": "app_uninstalled"})
    await eventually(lambda: installations(bot.engine) == [])
    issue = await eventually(lambda: issue_for(bot.engine, "E0ORG:"))
    assert issue.error == "app_uninstalled"


async def test_a_request_with_a_token_about_to_expire_is_answered_with_a_fresh_one(
    slack: SlackHarness,
) -> None:
    """Bolt rotates a workspace's token when a request finds it close to expiry, through
    the configured Web API (not slack.com), and saves the new one for every replica."""
    fake, engine = slack.fake, slack.adapter.bot.engine
    fake.token_lifetime = 12 * 3600
    first = await install(slack, ALPHA)
    with engine.begin() as conn:
        for table in ("slack_installations", "slack_bots"):
            conn.execute(
                text(f"UPDATE {table} SET bot_token_expires_at = :at"),
                {"at": datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5)},
            )
    await replace(slack, team=ALPHA).dm(ANA, "progress")
    (answer,) = await fake.wait_for(lambda: nudges(fake, "DUANA"))
    (refresh,) = [c for c in fake.of("oauth.v2.access") if c.args.get("grant_type")]
    renewed = bot_token(engine, ALPHA)
    assert renewed != first and answer.token == renewed
    assert fake.calls.index(refresh) < fake.calls.index(answer)


def test_the_settings_for_several_workspaces() -> None:
    """Several workspaces when the client id and secret are set; the scopes asked for are
    the manifest's unless given; settings that cannot work name the one to fix."""
    one = SlackSettings(bot_token="xoxb-1", signing_secret="s")
    assert not one.multi_workspace and one.configured
    several = SlackSettings(client_id="1.2", client_secret="c", signing_secret="s")
    assert several.multi_workspace and several.configured and not several.socket_mode
    assert several.bot_scopes() == load()["oauth_config"]["scopes"]["bot"]
    assert SlackSettings(
        client_id="1.2", client_secret="c", signing_secret="s", scopes="chat:write, commands"
    ).bot_scopes() == ["chat:write", "commands"]
    for wrong, named in [
        ({"client_id": "1.2", "signing_secret": "s"}, "HUDDLE_SLACK_CLIENT_SECRET"),
        ({"client_secret": "c", "signing_secret": "s"}, "HUDDLE_SLACK_CLIENT_ID"),
        (
            {"client_id": "1", "client_secret": "c", "signing_secret": "s", "app_token": "xapp-1"},
            "HUDDLE_SLACK_APP_TOKEN",
        ),
        (
            {"client_id": "1", "client_secret": "c", "signing_secret": "s", "install_path": "x"},
            "install_path",
        ),
        (
            {"client_id": "1", "client_secret": "c", "signing_secret": "s", "redirect_url": "x"},
            "redirect_url",
        ),
    ]:
        with pytest.raises(ValidationError, match=named):
            SlackSettings(**wrong)
