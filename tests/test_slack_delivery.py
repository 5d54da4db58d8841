"""Scheduled delivery to Slack: the real sender against the local Slack Web API.

A schedule made by a signed ``/huddle`` command is planned by the tick and
delivered by the worker through :class:`adapters.slack.sender.SlackSender`;
each message carries its outbox key in Slack metadata, which reconciling after
a crash finds again through ``conversations.history``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from adapters.slack.sender import SlackSender
from adapters.slack.settings import SlackSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.messages import Message, Text
from bot.models import OutboxMessage, Person
from bot.outbox import Outbox
from scheduler.delivery import DeliveryError, Limits, Pacer, Worker
from tests.fakechat import FakeChat
from tests.slack_fake import BOT_TOKEN, FakeSlack
from tests.slack_harness import SlackHarness, sample_slack, text_of

ANA, BEN, CARLA, SAM = "UANA", "UBEN", "UCARLA", "USAM"


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [
        (ANA, "ana.ruiz@example.org", "Ana Ruiz", "America/New_York"),
        (BEN, "ben.cho@example.org", "Ben Cho", "America/Chicago"),
        (CARLA, "carla.diaz@example.org", "Carla Diaz", "Europe/London"),
        (SAM, "sam.okafor@example.org", "Sam Okafor", None),
    ]
    channels = [("CICU", "member"), ("CGONE", "archived")]
    async with sample_slack(engine, sample_content, clock, users, channels) as harness:
        yield harness


def sender_for(fake: FakeSlack) -> SlackSender:
    return SlackSender(SlackSettings(bot_token=BOT_TOKEN, signing_secret="s", api_url=fake.api_url))


async def deliver(bot: Bot, sender: SlackSender, pacer: Pacer | None = None) -> Worker:
    """One planning tick, then drain everything due through the Slack sender."""
    planner = bot.planner(("slack",))
    await asyncio.to_thread(bot.tick, planner)
    worker = Worker(
        Outbox(bot.engine, bot.content, "test-worker", quiet=planner),
        {"slack": sender},
        bot.clock,
        pacer,
    )
    while await worker.run_once():
        pass
    return worker


def nudges(fake: FakeSlack, user: str) -> list[dict[str, object]]:
    return [p for p in fake.posts(user) if p.get("metadata")]


async def test_a_slash_command_schedule_reaches_each_person_at_their_local_nine(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    for user in (ANA, BEN, CARLA):  # each says hello once, so Huddle knows them and their zone
        await slack.dm(user, "hi")
    # Known once each has been answered (linked by email, zone saved), not when looked up.
    await fake.wait_for(lambda: all(fake.posts("D" + u) for u in (ANA, BEN, CARLA)))
    sent, key = await slack.command(
        SAM, "nudge schedule next-course to team:icu every monday 09:00"
    )
    assert sent.status == 200
    reply = await fake.wait_for(lambda: fake.responses.get(key))
    assert "Scheduled" in text_of(reply[0]["blocks"])

    sender = sender_for(fake)
    try:
        # Monday 30 Nov, hour by hour in UTC: London 09:00 is 09:00 UTC, New York 14:00,
        # Chicago 15:00.
        clock.set(datetime(2026, 11, 30, 8, 59, tzinfo=UTC))
        await deliver(bot, sender)
        assert not nudges(fake, CARLA)
        seen: dict[str, datetime] = {}
        for hour in (9, 14, 15):
            clock.set(datetime(2026, 11, 30, hour, 0, tzinfo=UTC))
            await deliver(bot, sender)
            for user in (ANA, BEN, CARLA):
                if nudges(fake, user) and user not in seen:
                    seen[user] = clock.now()
        assert seen == {
            CARLA: datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
            ANA: datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
            BEN: datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
        }
        (post,) = nudges(fake, ANA)
        assert "here's your next course" in text_of(post["blocks"])
        meta = post["metadata"]
        assert isinstance(meta, dict) and meta["event_type"] == "huddle_delivery"
        # Ticking again the same hour sends nothing more; each key reached Slack once.
        await deliver(bot, sender)
        keys = fake.delivered_keys()
        assert len(keys) == 3 and set(keys.values()) == {1}
        with Session(bot.engine) as s:
            rows = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "next_course")).all()
        assert {r.status for r in rows} == {"sent"}
        assert all(r.platform_message_id and r.platform_message_id.startswith("D") for r in rows)
        assert {r.workspace for r in rows} == {""}  # one workspace: none is recorded
    finally:
        await sender.close()


async def test_reconcile_finds_a_message_by_its_key(slack: SlackHarness) -> None:
    fake = slack.fake
    sender = sender_for(fake)
    since = datetime.now(UTC) - timedelta(minutes=1)
    try:
        message = Message((Text("Hello from the schedule"),), "Hello")
        sent = await sender.send(ANA, message, "s1|2026-11-30T09:00|p1")
        await sender.send(BEN, message, "s1|2026-11-30T09:00|p2")
        assert sent.startswith("DUANA:")
        assert await sender.reconcile(ANA, "s1|2026-11-30T09:00|p1", since) == sent
        assert await sender.reconcile(ANA, "s1|2026-11-30T09:00|p2", since) is None
        assert await sender.reconcile(ANA, "s1|2026-11-30T09:00|p1", datetime.now(UTC)) is None
        history = fake.of("conversations.history")[-1].args
        assert history["channel"] == "DUANA"
    finally:
        await sender.close()


async def test_slack_refusals_and_rate_limits_become_delivery_errors(slack: SlackHarness) -> None:
    fake = slack.fake
    sender = sender_for(fake)
    message = Message((Text("Case of the week"),), "Case")
    try:
        with pytest.raises(DeliveryError) as refused:
            await sender.send("CGONE", message, "k1")
        assert refused.value.permanent and refused.value.reason == "is_archived"
        fake.retry_after = 7
        fake.fail_next["chat.postMessage"] = [429]
        with pytest.raises(DeliveryError) as limited:
            await sender.send("CICU", message, "k2")
        assert not limited.value.permanent and limited.value.retry_after == 7
        fake.fail_next["chat.postMessage"] = [503]
        with pytest.raises(DeliveryError) as unknown:
            await sender.send("CICU", message, "k3")
        assert unknown.value.unknown and not unknown.value.permanent
    finally:
        await sender.close()


async def test_a_crashed_send_is_reconciled_not_repeated(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    """Rows left 'sending' by a dead worker: found in Slack's history, or sent once."""
    fake, bot = slack.fake, slack.adapter.bot
    for user in (ANA, BEN):
        await slack.dm(user, "hi")
    await fake.wait_for(lambda: all(fake.posts("D" + u) for u in (ANA, BEN)))
    await slack.command(SAM, "nudge schedule custom to team:icu every monday 09:00 in UTC say Hi")
    await fake.wait_for(lambda: fake.of("response_url"))
    # Slack stamps messages with the wall clock, so this test runs on it, at any hour.
    clock.set(datetime.now(UTC).replace(microsecond=0))
    with Session(bot.engine) as s:
        s.execute(update(Person).values(quiet_hours="off", weekends_off=False))
        s.commit()
    planner = bot.planner(("slack",))
    # Plan a "send now", then pretend a worker claimed both rows and died after
    # delivering Ana's only.
    reply = FakeChat(bot, clock).operator("nudge send 1 now")
    assert "Queued 2 messages" in reply.text, reply.text
    sender = sender_for(fake)
    try:
        with Session(bot.engine) as s:
            rows = s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        by_target = {r.target: r for r in rows}
        ana_row = by_target[ANA]
        await sender.send(ANA, Message.from_json(ana_row.message), ana_row.dedupe_key)
        with Session(bot.engine) as s:
            s.execute(
                update(OutboxMessage).values(
                    status="sending",
                    claimed_by="dead-worker",
                    lease_until=clock.now() - timedelta(seconds=1),
                )
            )
            s.commit()
        worker = Worker(
            Outbox(bot.engine, bot.content, "new-worker", quiet=planner),
            {"slack": sender},
            clock,
            Pacer({"slack": Limits(0)}),
        )
        while await worker.run_once():
            pass
        assert fake.delivered_keys() == {r.dedupe_key: 1 for r in rows}
        with Session(bot.engine) as s:
            after = {
                r.target: r for r in s.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
            }
        assert {r.status for r in after.values()} == {"sent"}
        assert after[ANA].resends == 0  # found in history, not sent again
        assert after[BEN].resends == 1  # not found: sent once more, and counted
    finally:
        await sender.close()


async def test_in_slack_nights_come_at_five_stop_stops_and_leave_is_one_tap(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    for user in (ANA, BEN, CARLA):
        await slack.dm(user, "hi")
    await fake.wait_for(lambda: all(fake.posts("D" + u) for u in (ANA, BEN, CARLA)))
    _, key = await slack.command(SAM, "nudge schedule next-course to team:icu every day 09:00")
    await fake.wait_for(lambda: fake.responses.get(key))

    async def answer_to(user: str, text: str) -> dict[str, object]:
        count = len(fake.posts("D" + user))
        await slack.dm(user, text)
        posts = await fake.wait_for(
            lambda: len(fake.posts("D" + user)) > count and fake.posts("D" + user)
        )
        return posts[-1]

    for user in (ANA, BEN, CARLA):
        await answer_to(user, "weekends on")
    # Ana (New York) is on nights till the 3rd; Ben on leave till the 5th: one tap each.
    asked = await answer_to(ANA, "im on nights till the 3rd")
    assert "On nights until *Thu 3 Dec 2026*?" in text_of(asked["blocks"])
    await slack.click(ANA, asked, "Yes")
    await fake.wait_for(
        lambda: any("come from" in text_of(p["blocks"]) for p in fake.posts("DUANA"))
    )
    asked = await answer_to(BEN, "on leave till dec 5")
    assert "Pause reminders until *Sat 5 Dec 2026*?" in text_of(asked["blocks"])
    await slack.click(BEN, asked, "Yes")
    await fake.wait_for(
        lambda: any("No reminders until" in text_of(p["blocks"]) for p in fake.posts("DUBEN"))
    )
    # Carla (London) says stop, then stops everything.
    asked = await answer_to(CARLA, "stop")
    assert "Celebrations in your team channel follow" in text_of(asked["blocks"])
    await slack.click(CARLA, asked, "Stop all reminders")
    await fake.wait_for(
        lambda: any("until you say" in text_of(p["blocks"]) for p in fake.posts("DUCARLA"))
    )

    sender = sender_for(fake)
    try:
        # Tuesday 1 December: 09:00 New York is 14:00 UTC, 17:00 is 22:00 UTC.
        for hour in (9, 14, 15, 22):
            clock.set(datetime(2026, 12, 1, hour, 1, tzinfo=UTC))
            await deliver(bot, sender)
        assert [p["_ts"] is not None for p in nudges(fake, ANA)] == [True]
        assert nudges(fake, BEN) == [] and nudges(fake, CARLA) == []
        with Session(bot.engine) as s:
            (row,) = s.exec(select(OutboxMessage).where(OutboxMessage.status == "sent")).all()
        assert row.sent_at is not None and row.sent_at.hour == 22  # 17:00 in New York
    finally:
        await sender.close()
