"""Reaching everyone on the roster in a team Huddle is added to: the real server and SDK,
a local connector that lists a team's members page by page and starts 1:1 conversations,
and the scheduled sender reaching the people found that way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from adapters.teams.reach import THREAD_GAP
from adapters.teams.sender import TeamsSender
from bot.clock import FrozenClock
from bot.content import Content
from bot.models import Conversation, PlatformIdentity
from bot.outbox import Outbox
from bot.store import person_by_email
from scheduler.delivery import Worker
from tests.teams_fake import BOT_ID, TENANT, FakeConnector, text_of
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams

TEAM = "19:icu-general@thread.tacv2"


def _user(key: str, name: str) -> TeamsUser:
    # The 1:1 conversation Teams makes for the bot and this person (the fake's ids).
    return TeamsUser(f"29:{key}", name, f"aad-{key}", f"a:1on1-29:{key}")


ANA = _user("ana", "Ana Ruiz")
BEN = _user("ben", "Ben Cho")
CARLA = _user("carla", "Carla Diaz")
DEV = _user("dev", "Dev Patel")
SAM = _user("sam", "Sam Okafor")
ROSTERED = (ANA, BEN, CARLA)
VISITOR = _user("visitor", "Val Visitor")  # in the team, not on the roster
GUEST = _user("guest", "Gil Guest")  # from another organisation
MONDAY_NINE_CHICAGO = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
PER_SECOND = 20.0


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    members = [
        (ANA, "ana.ruiz@example.org"),
        (BEN, "ben.cho@example.org"),
        (CARLA, "carla.diaz@example.org"),
        (DEV, "dev.patel@example.org"),
        (SAM, "sam.okafor@example.org"),
        (VISITOR, "val.visitor@example.org"),
        (GUEST, "gil@partner.example.com"),
    ]
    async with sample_teams(
        engine, sample_content, clock, members, reach_per_second=PER_SECOND
    ) as harness:
        fake = harness.fake
        fake.members[GUEST.id]["tenantId"] = "99999999-0000-0000-0000-000000000000"
        # Ana's Teams profile gives only her UPN, as for some accounts.
        del fake.members[ANA.id]["email"]
        fake.teams[TEAM] = [ANA.id, VISITOR.id, BEN.id, GUEST.id, CARLA.id]
        fake.page_cap = 2  # three pages, with continuation tokens
        yield harness


def created(fake: FakeConnector) -> list[str]:
    """The members of every 1:1 conversation the connector started."""
    return [c.activity["members"][0]["id"] for c in fake.created if c.status == 201]


def saved(teams: TeamsHarness) -> dict[str, int | None]:
    """Saved personal conversations: id -> person."""
    with Session(teams.adapter.bot.engine) as s:
        rows = s.exec(select(Conversation).where(Conversation.kind == "personal")).all()
        return {r.conversation_id: r.person_id for r in rows}


async def deliver(teams: TeamsHarness) -> None:
    bot = teams.adapter.bot
    planner = bot.planner(("teams",))
    await asyncio.to_thread(bot.tick, planner)
    worker = Worker(
        Outbox(bot.engine, bot.content, "teams-worker", quiet=planner),
        {"teams": TeamsSender(teams.adapter)},
        bot.clock,
    )
    while await worker.run_once():
        pass


def nudged(fake: FakeConnector, user: TeamsUser) -> int:
    return sum(
        "here's your next course" in text_of(m.activity) for m in fake.messages(user.conversation)
    )


async def test_adding_huddle_to_a_team_starts_a_chat_with_each_member_on_the_roster(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    fake.members_gate = asyncio.Event()  # the member list waits: the turn must not
    await teams.adds_to_team(SAM, TEAM)
    (hello,) = fake.messages(TEAM)
    assert "@Huddle link team TEAM" in text_of(hello.activity)
    assert created(fake) == []  # answered first; the members come after the turn
    fake.members_gate.set()
    await teams.adapter.reached()

    pages = [s.path for s in fake.sent if s.method == "MEMBERS"]
    assert len(pages) == 3 and all(f"/v3/conversations/{TEAM}/pagedmembers" in p for p in pages)
    assert "continuationToken=2" in pages[1] and "continuationToken=4" in pages[2]
    assert sorted(created(fake)) == sorted(u.id for u in ROSTERED)
    for creation in fake.created:
        body = creation.activity
        assert body["isGroup"] is False and body["tenantId"] == TENANT
        assert body["bot"]["id"] == BOT_ID and len(body["members"]) == 1
        assert creation.path == "/v3/conversations"
    with Session(bot.engine) as s:
        people = {u.conversation: person_by_email(s, e).id for u, e in _emails()}
        linked = set(s.exec(select(PlatformIdentity.external_id)).all())
    assert saved(teams) == people
    reference = bot.conversation("teams", BEN.conversation)
    assert reference is not None and reference.reference["tenant_id"] == TENANT
    assert reference.reference["service_url"] == fake.url
    assert reference.reference["user_id"] == BEN.id
    # Nothing at all is kept about the members who are not on the roster.
    assert VISITOR.id not in linked and GUEST.id not in linked
    assert not fake.messages(VISITOR.conversation) and not fake.messages(GUEST.conversation)
    assert all(not fake.messages(u.conversation) for u in ROSTERED)  # nothing sent yet

    bot.run_as_operator("nudge schedule next-course to team:icu every monday 09:00", "ops")
    clock.set(MONDAY_NINE_CHICAGO)
    await deliver(teams)
    assert [nudged(fake, u) for u in ROSTERED] == [1, 1, 1]
    # When Ben answers, it is the same conversation: nothing new is saved.
    await teams.says(BEN, "progress")
    assert saved(teams) == people


def _emails() -> list[tuple[TeamsUser, str]]:
    return [
        (ANA, "ana.ruiz@example.org"),
        (BEN, "ben.cho@example.org"),
        (CARLA, "carla.diaz@example.org"),
    ]


async def test_adding_huddle_again_starts_no_chat_twice(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.install(CARLA)  # Carla opened Huddle herself: she has her chat already
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    assert sorted(created(fake)) == [ANA.id, BEN.id]
    before = saved(teams)
    await teams.removes_from_team(SAM, TEAM)
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    assert sorted(created(fake)) == [ANA.id, BEN.id]  # none started again
    assert len(fake.created) == 2 and saved(teams) == before
    pages = [s.at for s in fake.sent if s.method == "MEMBERS"]
    assert len(pages) == 6  # listed again, though: three pages one after the other, on
    # the team's thread, so kept THREAD_GAP apart (less one gap for the trip's variance)
    assert pages[-1] - pages[-3] >= THREAD_GAP


async def test_throttling_while_reaching_is_waited_out(teams: TeamsHarness) -> None:
    fake = teams.fake
    fake.fail_next(429, retry_after="0.3", on="members")
    fake.fail_next(429, retry_after="0.4", on="create")
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    listed = [s for s in fake.sent if s.method == "MEMBERS"]
    assert [s.status for s in listed] == [429, 200, 200, 200]
    assert listed[1].at - listed[0].at >= 0.3  # Retry-After respected
    assert [c.status for c in fake.created] == [429, 201, 201, 201]
    assert fake.created[1].at - fake.created[0].at >= 0.4
    assert sorted(created(fake)) == sorted(u.id for u in ROSTERED)


async def test_reaching_is_paced(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    calls = [s.at for s in fake.sent if s.method in ("MEMBERS", "CREATE")]
    assert len(calls) == 6  # three pages, three conversations
    # Spaced 1/PER_SECOND apart by the adapter (less one gap for the trip's variance).
    assert calls[-1] - calls[0] >= (len(calls) - 2) / PER_SECOND


async def test_someone_joining_the_team_later_is_reached(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    # Joining only a shared channel of the team is not joining the team.
    in_channel = teams.team_activity(
        SAM,
        "conversationUpdate",
        TEAM,
        channel="19:shared-rounds@thread.tacv2",
        event="channelMemberAdded",
        membersAdded=[{"id": DEV.id}],
    )
    assert await teams.post(in_channel) in (200, 202)
    await teams.adapter.reached()
    assert len(created(fake)) == 3
    joined = teams.team_activity(
        SAM,
        "conversationUpdate",
        TEAM,
        event="teamMemberAdded",
        membersAdded=[{"id": DEV.id}, {"id": VISITOR.id}],
    )
    assert await teams.post(joined) in (200, 202)
    await teams.adapter.reached()
    assert sorted(created(fake)) == sorted([*(u.id for u in ROSTERED), DEV.id])
    assert saved(teams)[DEV.conversation] is not None


async def test_a_member_who_removes_huddle_stays_unreachable(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    # Ana removes the app; Teams refuses Ben's next message (he blocked it).
    await teams.post(teams.activity(ANA, "installationUpdate", action="remove"))
    info = bot.conversation("teams", ANA.conversation)
    assert info is not None and info.unreachable
    fake.fail_next(403, code="ConversationBlockedByUser")
    bot.run_as_operator("nudge schedule next-course to team:icu every monday 09:00", "ops")
    clock.set(MONDAY_NINE_CHICAGO)
    await deliver(teams)
    assert nudged(fake, ANA) == 0
    blocked = [u for u in (BEN, CARLA) if bot.conversation("teams", u.conversation).unreachable]
    assert len(blocked) == 1  # whichever was sent to first got the 403
    # Huddle added to the team again: their choice stands, no chat is started again.
    await teams.removes_from_team(SAM, TEAM)
    await teams.adds_to_team(SAM, TEAM)
    await teams.adapter.reached()
    assert len(fake.created) == 3
    with Session(bot.engine) as s:
        stopped = s.exec(
            select(Conversation).where(col(Conversation.unreachable_since).is_not(None))
        ).all()
    assert {c.conversation_id for c in stopped} == {ANA.conversation, blocked[0].conversation}
    # Ana installs Huddle again herself: reachable, and greeted.
    await teams.install(ANA)
    assert not bot.conversation("teams", ANA.conversation).unreachable
    assert any("Hi Ana" in text_of(m.activity) for m in fake.messages(ANA.conversation))
