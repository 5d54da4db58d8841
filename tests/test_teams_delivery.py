"""Scheduled delivery to Teams: the Teams sender through the real SDK and a local connector.

Teams offers a bot no way to list what it sent, so a message whose outcome is
unknown after a crash is sent again at most once, and then parked as failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from adapters.teams.sender import TeamsSender
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.models import DeliveryIssue, OutboxMessage
from bot.outbox import Outbox
from scheduler.delivery import Worker
from tests.teams_fake import FakeConnector, button, text_of
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams

ANA = TeamsUser("29:ana", "Ana Ruiz", "aad-ana", "a:personal-ana")
BEN = TeamsUser("29:ben", "Ben Cho", "aad-ben", "a:personal-ben")
SAM = TeamsUser("29:sam", "Sam Okafor", "aad-sam", "a:personal-sam")
MONDAY_NINE_CHICAGO = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    members = [
        (ANA, "ana.ruiz@example.org"),
        (BEN, "ben.cho@example.org"),
        (SAM, "sam.okafor@example.org"),
    ]
    async with sample_teams(engine, sample_content, clock, members) as harness:
        for user in (ANA, BEN, SAM):
            await harness.install(user)
        yield harness


async def deliver(teams: TeamsHarness) -> Worker:
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
    return worker


def nudges(fake: FakeConnector, user: TeamsUser) -> list[str]:
    return [
        text_of(m.activity)
        for m in fake.messages(user.conversation)
        if "here's your next course" in text_of(m.activity)
    ]


def rows(bot: Bot) -> list[OutboxMessage]:
    with Session(bot.engine) as s:
        return list(s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


async def test_a_schedule_made_in_teams_arrives_once_at_nine(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.says(SAM, "nudge schedule next-course to team:icu every monday 09:00")
    assert "Scheduled" in text_of(fake.messages(SAM.conversation)[-1].activity)
    clock.set(MONDAY_NINE_CHICAGO - timedelta(minutes=1))
    await deliver(teams)
    assert nudges(fake, ANA) == []
    clock.set(MONDAY_NINE_CHICAGO)
    fake.fail_next(429, count=2, retry_after="0.05")  # the adapter waits and tries again
    await deliver(teams)
    await deliver(teams)
    assert len(nudges(fake, ANA)) == 1 and len(nudges(fake, BEN)) == 1
    assert "Talking about serious illness" in nudges(fake, ANA)[0]
    assert {r.status for r in rows(bot)} == {"sent"}


async def test_a_person_who_removed_the_app_is_a_failure_with_its_reason(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.says(SAM, "nudge schedule next-course to team:icu every monday 09:00")
    clock.set(MONDAY_NINE_CHICAGO)
    fake.fail_next(403, code="BotDisabledByAdmin")
    await deliver(teams)
    by_target = {r.target: r for r in rows(bot)}
    failed = [r for r in by_target.values() if r.status == "failed"]
    assert len(failed) == 1 and "unreachable" in failed[0].last_error
    with Session(bot.engine) as s:  # and it is in the admins' summary of delivery problems
        issues = s.exec(select(DeliveryIssue).where(DeliveryIssue.target == failed[0].target))
        assert any("scheduled next_course" in i.detail for i in issues)
    await teams.says(SAM, "nudge history 1")
    history = text_of(fake.messages(SAM.conversation)[-1].activity)
    assert "failed" in history.lower() and "unreachable" in history


async def test_an_unknown_outcome_is_resent_at_most_once(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.says(SAM, "nudge schedule next-course to team:icu every monday 09:00")
    planner = bot.planner(("teams",))
    clock.set(MONDAY_NINE_CHICAGO)
    await asyncio.to_thread(bot.tick, planner)

    def crash() -> None:  # a worker claimed every row and died mid-send
        with Session(bot.engine) as s:
            s.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.status) != "failed")
                .values(
                    status="sending",
                    claimed_by="dead",
                    lease_until=clock.now() - timedelta(seconds=1),
                )
            )
            s.commit()

    crash()
    worker = Worker(
        Outbox(bot.engine, bot.content, "w2", quiet=planner),
        {"teams": TeamsSender(teams.adapter)},
        clock,
    )
    while await worker.run_once():
        pass
    first = rows(bot)
    assert {r.status for r in first} == {"sent"} and {r.resends for r in first} == {1}
    sent_before = len(nudges(fake, ANA))
    crash()  # and again: this time nobody can say whether it arrived, so it is not resent
    while await worker.run_once():
        pass
    second = rows(bot)
    assert {r.status for r in second} == {"failed"}
    assert all("already resent once" in r.last_error for r in second)
    assert len(nudges(fake, ANA)) == sent_before


def _last_card(fake: FakeConnector, user: TeamsUser) -> tuple[str, dict[str, object]]:
    message = fake.messages(user.conversation)[-1]
    return message.activity_id, message.activity


async def test_in_teams_nights_come_at_five_stop_stops_and_leave_is_one_tap(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.says(SAM, "nudge schedule next-course to team:icu every day 09:00")
    await teams.says(ANA, "weekends on")
    await teams.says(BEN, "weekends on")
    # Ana: on nights until Thursday, in her own words, confirmed with one tap.
    await teams.says(ANA, "im on nights till the 3rd")
    card_id, card = _last_card(fake, ANA)
    assert "On nights until **Thu 3 Dec 2026**?" in text_of(card)
    await teams.clicks(ANA, card_id, button(card, "Yes"))
    assert "come from **17:00**" in text_of(fake.messages(ANA.conversation)[-1].activity)
    # Ben: on leave till the 5th, one tap.
    await teams.says(BEN, "on leave till dec 5")
    card_id, card = _last_card(fake, BEN)
    assert "Pause reminders until **Sat 5 Dec 2026**?" in text_of(card)
    await teams.clicks(BEN, card_id, button(card, "Yes"))
    # Tuesday 1 December: 09:00 Chicago is 15:00 UTC; 17:00 is 23:00 UTC.
    clock.set(datetime(2026, 12, 1, 15, 1, tzinfo=UTC))
    await deliver(teams)
    assert nudges(fake, ANA) == [] and nudges(fake, BEN) == []
    clock.set(datetime(2026, 12, 1, 23, 1, tzinfo=UTC))
    await deliver(teams)
    assert len(nudges(fake, ANA)) == 1 and nudges(fake, BEN) == []
    # Ana says stop, and stops everything: the next day brings nothing.
    await teams.says(ANA, "stop")
    card_id, card = _last_card(fake, ANA)
    assert "Celebrations in your team channel follow" in text_of(card)
    await teams.clicks(ANA, card_id, button(card, "Stop all reminders"))
    for hour in (15, 23):
        clock.set(datetime(2026, 12, 2, hour, 1, tzinfo=UTC))
        await deliver(teams)
    assert len(nudges(fake, ANA)) == 1 and nudges(fake, BEN) == []
    stopped_at = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    ana_id = bot.conversation("teams", ANA.conversation)
    assert ana_id is not None
    later = [r for r in rows(bot) if r.person_id == ana_id.person_id and r.created_at > stopped_at]
    assert later == []  # nothing is even planned for her
