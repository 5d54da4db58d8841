"""Huddle in Teams, end to end: the real server and SDK, activities like Teams sends, and a
local Bot Connector that records what the bot sends back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, select

from adapters.teams.adapter import DeliveryFailed, Unreachable
from bot.clock import FrozenClock
from bot.content import Content
from bot.messages import Message, Text
from bot.models import Completion, DeliveryIssue, TeamChannel
from bot.store import person_by_email
from tests.teams_cards import card_problems
from tests.teams_fake import TENANT, FakeConnector, button, cards_in, text_of
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams

ANA = TeamsUser("29:ana", "Ana Ruiz", "aad-ana", "a:personal-ana")
SAM = TeamsUser("29:sam", "Sam Okafor", "aad-sam", "a:personal-sam")
BEN = TeamsUser("29:ben", "Ben Cho", "aad-ben", "a:personal-ben")
NEW = TeamsUser("29:new", "New Person", "aad-new", "a:personal-new")
ICU_CHANNEL = "19:icu-team@thread.tacv2"


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    members = [
        (ANA, "ana.ruiz@example.org"),
        (SAM, "sam.okafor@example.org"),
        (BEN, "ben.cho@example.org"),
        (NEW, "new.person@example.org"),
    ]
    async with sample_teams(engine, sample_content, clock, members) as harness:
        yield harness


def _all_cards_valid(fake: FakeConnector) -> None:
    for sent in fake.sent:
        for card in cards_in(sent.activity):
            assert card_problems(card) == [], (card, card_problems(card))


async def test_a_new_clinicians_first_week(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.install(ANA)
    greetings = fake.messages(ANA.conversation)
    assert len(greetings) == 1  # two install events, one greeting
    greeting = text_of(greetings[0].activity)
    assert "Hi Ana" in greeting and "Set up your account" in greeting
    assert "clinical-education@example.org" in greeting
    saved = teams.adapter.bot.conversation("teams", ANA.conversation)
    assert saved is not None and saved.person_id is not None
    assert saved.reference["tenant_id"] == TENANT and saved.reference["service_url"] == fake.url

    assert await teams.says(ANA, "what's my next course") == 202
    card_msg = fake.messages(ANA.conversation)[-1]
    text = text_of(card_msg.activity)
    assert "Talking about serious illness: the first conversation" in text
    assert "https://learning.example.org/REPLACE-ME/courses/comm-101" in text
    assert "40 min" in text and "Why it matters for you" in text
    assert card_msg.activity["summary"].startswith("Your next course")

    await teams.clicks(
        ANA, card_msg.activity_id, button(card_msg.activity, "I've created my account")
    )
    (update,) = fake.updates()
    assert update.replaced == card_msg.activity_id
    assert "✓ I've created my account" in text_of(update.activity)
    assert "Action.Submit" not in str(update.activity)
    replies = fake.messages(ANA.conversation)
    assert "Your account is noted" in text_of(replies[-2].activity)
    next_card = replies[-1]
    assert "Set up your account" not in text_of(next_card.activity)

    await teams.clicks(ANA, next_card.activity_id, button(next_card.activity, "Mark complete"))
    replies = fake.messages(ANA.conversation)
    assert "Recorded: **Talking about serious illness" in text_of(replies[-2].activity)
    assert "Goals-of-care conversations" in text_of(replies[-1].activity)
    assert len(fake.updates()) == 2
    with Session(teams.adapter.bot.engine) as s:
        assert s.exec(select(Completion.course_id)).all() == ["comm-101"]
    _all_cards_valid(fake)


async def test_a_stale_card_cannot_record_twice(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.says(ANA, "next")
    card = fake.messages(ANA.conversation)[-1]
    data = button(card.activity, "Mark complete")
    await teams.clicks(ANA, card.activity_id, data)
    await teams.clicks(ANA, card.activity_id, data)
    assert "already finished" in text_of(fake.messages(ANA.conversation)[-2].activity)
    with Session(teams.adapter.bot.engine) as s:
        assert len(s.exec(select(Completion)).all()) == 1


async def test_the_service_url_is_refreshed_from_every_activity(teams: TeamsHarness) -> None:
    await teams.says(ANA, "progress")
    moved = teams.activity(ANA, text="progress", serviceUrl=f"http://localhost:{teams.fake.port}/")
    await teams.post(moved)
    saved = teams.adapter.bot.conversation("teams", ANA.conversation)
    assert saved is not None and saved.reference["service_url"].startswith("http://localhost:")


async def test_a_proactive_message_goes_through_the_saved_reference(teams: TeamsHarness) -> None:
    await teams.install(ANA)
    before = len(teams.fake.messages(ANA.conversation))
    message = Message((Text("**Reminder:** your next course is waiting."),), "Reminder")
    activity_id = await teams.adapter.send(ANA.conversation, message)
    sent = teams.fake.messages(ANA.conversation)
    assert len(sent) == before + 1 and sent[-1].activity_id == activity_id
    assert "**Reminder:** your next course is waiting." in text_of(sent[-1].activity)
    assert "replyToId" not in sent[-1].activity
    assert sent[-1].path == f"/v3/conversations/{ANA.conversation}/activities"


async def test_a_person_who_blocked_the_bot_is_marked_unreachable(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.install(ANA)
    fake.fail_next(403, code="ConversationBlockedByUser")
    message = Message((Text("Reminder"),), "Reminder")
    with pytest.raises(Unreachable):
        await teams.adapter.send(ANA.conversation, message)
    saved = teams.adapter.bot.conversation("teams", ANA.conversation)
    assert saved is not None and saved.unreachable
    calls = len(fake.sent)
    with pytest.raises(Unreachable):
        await teams.adapter.send(ANA.conversation, message)
    assert len(fake.sent) == calls  # no more nudges there
    with Session(teams.adapter.bot.engine) as s:
        (issue,) = s.exec(select(DeliveryIssue)).all()
        assert (issue.error, issue.platform) == ("blocked", "teams")
        assert issue.person_id == person_by_email(s, "ana.ruiz@example.org").id
    home = await teams.says(SAM, "home")
    assert home == 202
    assert "the person has blocked or removed the bot" in text_of(
        fake.messages(SAM.conversation)[-1].activity
    )
    # Writing to the bot again makes her reachable again.
    await teams.says(ANA, "hi")
    assert not teams.adapter.bot.conversation("teams", ANA.conversation).unreachable


async def test_throttling_and_server_errors_are_retried(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.install(ANA)
    message = Message((Text("Reminder"),), "Reminder")
    fake.fail_next(429, retry_after="1")
    await teams.adapter.send(ANA.conversation, message)
    attempts = [s for s in fake.sent if s.method == "POST"][-2:]
    assert [a.status for a in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After: 1 was respected
    for status in (412, 502, 503, 504):
        fake.fail_next(status)
        await teams.adapter.send(ANA.conversation, message)
        assert [s.status for s in fake.sent[-2:]] == [status, 200]
    fake.fail_next(503, count=10)
    with pytest.raises(DeliveryFailed):
        await teams.adapter.send(ANA.conversation, message)
    assert [s.status for s in fake.sent[-5:]] == [503] * 5
    with Session(teams.adapter.bot.engine) as s:
        assert [i.error for i in s.exec(select(DeliveryIssue))] == ["failed"]


async def test_an_admin_links_a_team_channel_by_mentioning_the_bot(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.in_channel(SAM, ICU_CHANNEL, "link team ICU")
    posts = fake.messages(f"{ICU_CHANNEL};messageid=17000001")
    assert any("Linked team **ICU**" in text_of(p.activity) for p in posts)
    assert any("Hello, ICU!" in text_of(p.activity) for p in posts)
    with Session(teams.adapter.bot.engine) as s:
        (link,) = s.exec(select(TeamChannel)).all()
    assert (link.platform, link.channel_id) == ("teams", ICU_CHANNEL)


@pytest.mark.parametrize("kind", ["private", "shared"])
async def test_a_private_or_shared_channel_links_and_gets_the_teams_posts(
    teams: TeamsHarness, kind: str
) -> None:
    # The manifest's supportedChannelTypes lets Huddle into these; nothing else differs.
    fake, channel = teams.fake, f"19:{kind}-icu-rounds@thread.tacv2"
    await teams.in_channel(SAM, channel, "link team ICU", channel_type=kind)
    assert any(
        "Linked team **ICU**" in text_of(p.activity)
        for p in fake.messages(f"{channel};messageid=17000001")
    )
    with Session(teams.adapter.bot.engine) as s:
        (link,) = s.exec(select(TeamChannel)).all()
    assert link.channel_id == channel
    await teams.adapter.send(channel, Message((Text("This week's case"),), "case"))
    assert "This week's case" in text_of(fake.messages(channel)[-1].activity)


async def test_a_champions_shoutout_carries_a_real_teams_mention(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.says(ANA, "hi")  # Ana has used Huddle in Teams, so she is linked
    await teams.in_channel(SAM, ICU_CHANNEL, "link team ICU")
    ana_tag = "<at>Ana Ruiz</at>"
    mention = {"type": "mention", "text": ana_tag, "mentioned": {"id": ANA.id, "name": "Ana Ruiz"}}
    await teams.in_channel(
        BEN, ICU_CHANNEL, f"shoutout {ana_tag} for finishing Essentials!", [mention]
    )
    posts = [p for p in fake.messages() if "for finishing Essentials!" in text_of(p.activity)]
    (post,) = posts
    assert ana_tag in text_of(post.activity)
    assert {
        "type": "mention",
        "text": ana_tag,
        "mentioned": {"id": ANA.id, "name": "Ana Ruiz"},
    } in post.activity["entities"]


async def test_an_unknown_teams_user_is_told_how_to_get_enrolled(teams: TeamsHarness) -> None:
    await teams.install(NEW)
    (greeting,) = teams.fake.messages(NEW.conversation)
    assert "don't have you on the roster" in text_of(greeting.activity)
    assert "clinical-education@example.org" in text_of(greeting.activity)


async def test_installing_in_a_team_greets_the_channel(teams: TeamsHarness) -> None:
    conversation = {"id": ICU_CHANNEL, "conversationType": "channel", "tenantId": TENANT}
    await teams.post(
        teams.activity(
            SAM,
            "conversationUpdate",
            conversation=conversation,
            membersAdded=[{"id": "28:huddle-bot"}],
        )
    )
    (hello,) = teams.fake.messages(ICU_CHANNEL)
    assert "@Huddle link team TEAM" in text_of(hello.activity)
    saved = teams.adapter.bot.conversation("teams", ICU_CHANNEL)
    assert saved is not None and saved.kind == "channel"


async def test_removing_the_app_marks_the_chat_unreachable(teams: TeamsHarness) -> None:
    await teams.install(ANA)
    await teams.post(teams.activity(ANA, "installationUpdate", action="remove"))
    await teams.post(
        teams.activity(ANA, "conversationUpdate", membersRemoved=[{"id": "28:huddle-bot"}])
    )
    saved = teams.adapter.bot.conversation("teams", ANA.conversation)
    assert saved is not None and saved.unreachable  # kept, so a team does not reopen it
    with pytest.raises(Unreachable):
        await teams.adapter.send(ANA.conversation, Message((Text("Reminder"),), "Reminder"))
    with Session(teams.adapter.bot.engine) as s:
        (issue,) = s.exec(select(DeliveryIssue)).all()  # in the admins' summary, once
        assert (issue.error, issue.detail) == ("blocked", "removed the app")
    await teams.install(ANA)  # installed again: reachable and greeted again
    assert not teams.adapter.bot.conversation("teams", ANA.conversation).unreachable
    assert sum("Hi Ana" in text_of(m.activity) for m in teams.fake.messages(ANA.conversation)) == 2


async def test_an_install_after_another_replica_saw_a_403_greets_again(
    teams: TeamsHarness,
) -> None:
    await teams.install(ANA)
    await teams.says(ANA, "progress")  # this replica has her reference fresh in mind
    teams.adapter.bot.mark_unreachable("teams", ANA.conversation, "403 on another replica")
    await teams.install(ANA)
    assert not teams.adapter.bot.conversation("teams", ANA.conversation).unreachable
    assert sum("Hi Ana" in text_of(m.activity) for m in teams.fake.messages(ANA.conversation)) == 2


async def test_every_answer_is_a_valid_card(teams: TeamsHarness) -> None:
    for user, words in (
        (
            ANA,
            [
                "help",
                "pathways",
                "progress",
                "settings",
                "about",
                "setup",
                "done conversations",
                "timezone Amercia/Chicago",
                "home",
            ],
        ),
        (SAM, ["help", "report", "report team:icu", "teams", "audit", "home"]),
    ):
        for text in words:
            assert await teams.says(user, text) == 202
    assert len(teams.fake.messages()) >= 15
    _all_cards_valid(teams.fake)


async def test_health_check_names_teams(teams: TeamsHarness) -> None:
    async with teams.session.get(f"{teams.base_url}/healthz") as response:
        assert (await response.json())["platforms"] == ["teams-anonymous"]


async def test_someone_elses_card_button_in_a_channel_does_nothing_for_the_presser(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    await teams.says(ANA, "hi")
    await teams.says(BEN, "hi")
    await teams.in_channel(ANA, ICU_CHANNEL, "next")
    thread = f"{ICU_CHANNEL};messageid=17000001"
    card = next(p for p in fake.messages(thread) if "Mark complete" in str(p.activity))
    data = button(card.activity, "Mark complete")
    updates = len(fake.updates())
    await teams.clicks(BEN, card.activity_id, data)
    refusal = fake.messages()[-1]
    assert "someone else's message" in text_of(refusal.activity)
    assert len(fake.updates()) == updates  # Ana's card keeps its buttons
    with Session(teams.adapter.bot.engine) as s:
        assert s.exec(select(Completion)).all() == []
    await teams.clicks(ANA, card.activity_id, data)
    with Session(teams.adapter.bot.engine) as s:
        (done,) = s.exec(select(Completion)).all()
        ana = person_by_email(s, "ana.ruiz@example.org")
        assert ana is not None and done.person_id == ana.id
