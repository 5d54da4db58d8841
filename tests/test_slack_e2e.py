"""Huddle in Slack, end to end: the real server, real signed requests, a local Slack Web API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import FrozenClock
from bot.content import Content
from bot.models import (
    AuditEntry,
    Completion,
    DeliveryIssue,
    Enrolment,
    HandledEvent,
    PersonRole,
    TeamChannel,
)
from bot.store import person_by_email
from tests.slack_harness import SlackHarness, sample_slack, sign, text_of

ANA, SAM, BEN, ELLA, NEW = "UANA", "USAM", "UBEN", "UELLA", "UNEW"


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    users = [
        (ANA, "ana.ruiz@example.org", "Ana Ruiz", "America/New_York"),
        (SAM, "sam.okafor@example.org", "Sam Okafor", None),
        (BEN, "ben.cho@example.org", "Ben Cho", None),
        (ELLA, "ella.grant@example.org", "Ella Grant", None),
        (NEW, "new.doc@example.org", "New Doc", None),
    ]
    channels = [("CICU", "member"), ("CARCHIVED", "archived"), ("COUTSIDE", "not_member")]
    async with sample_slack(engine, sample_content, clock, users, channels) as harness:
        yield harness


def _db(slack: SlackHarness) -> Session:
    return Session(slack.adapter.bot.engine)


async def test_a_new_clinicians_first_week(slack: SlackHarness) -> None:
    fake = slack.fake
    sent = await slack.dm(ANA, "what's my next course")
    assert sent.status == 200
    (first,) = await fake.wait_for(lambda: fake.posts("DUANA"))
    blocks = first["blocks"]
    text = text_of(blocks)
    assert [b["type"] for b in blocks][:2] == ["header", "section"]
    assert "Set up your account" in text and "clinical-education@example.org" in text
    assert (
        "<https://learning.example.org/REPLACE-ME/courses/comm-101|Talking about serious"
        " illness: the first conversation>" in text
    )
    assert first["text"].startswith("Your next course:")  # the notification fallback
    buttons = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [
        "Mark complete",
        "Snooze a week",
        "I've created my account",
        "Show my progress",
    ]
    assert len(fake.of("users.info")) == 1
    with _db(slack) as s:
        assert person_by_email(s, "ana.ruiz@example.org").timezone == "America/New_York"

    await slack.click(ANA, first, "I've created my account")
    (update,) = await fake.wait_for(lambda: fake.of("chat.update"))
    assert update.args["ts"] == first["_ts"]
    assert not [b for b in update.args["blocks"] if b["type"] == "actions"]
    assert "✓ I've created my account" in text_of(update.args["blocks"])
    posts = await fake.wait_for(lambda: len(fake.posts("DUANA")) >= 2 and fake.posts("DUANA"))
    assert "Your account is noted" in text_of(posts[1]["blocks"])
    home = await fake.wait_for(lambda: fake.of("views.publish"))
    assert "0/3" in text_of(home[-1].args["view"]["blocks"])

    next_course = await fake.wait_for(
        lambda: len(fake.posts("DUANA")) >= 3 and fake.posts("DUANA")[2]
    )
    assert "Set up your account" not in text_of(next_course["blocks"])
    await slack.click(ANA, next_course, "Mark complete")
    posts = await fake.wait_for(lambda: len(fake.posts("DUANA")) >= 5 and fake.posts("DUANA"))
    assert "Recorded: *Talking about serious illness" in text_of(posts[3]["blocks"])
    assert "Goals-of-care conversations" in text_of(posts[4]["blocks"])
    homes = await fake.wait_for(
        lambda: [c for c in fake.of("views.publish") if "1/3" in text_of(c.args["view"]["blocks"])]
    )
    assert homes
    # The same DM again: the person is linked, so no second profile look-up.
    await slack.dm(ANA, "progress")
    await fake.wait_for(lambda: len(fake.posts("DUANA")) >= 6)
    assert len(fake.of("users.info")) == 1
    with _db(slack) as s:
        done = s.exec(select(Completion.course_id)).all()
    assert done == ["comm-101"]


async def test_a_stale_button_cannot_record_twice(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.dm(ANA, "next")
    (post,) = await fake.wait_for(lambda: fake.posts("DUANA"))
    await slack.click(ANA, post, "Mark complete")
    await slack.click(ANA, post, "Mark complete")  # the old message, pressed again
    replies = await fake.wait_for(
        lambda: [p for p in fake.posts("DUANA") if "already finished" in text_of(p["blocks"])]
    )
    assert replies
    with _db(slack) as s:
        assert len(s.exec(select(Completion)).all()) == 1


async def test_app_home_on_open(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.event({"type": "app_home_opened", "user": SAM, "channel": "DUSAM", "tab": "home"})
    (call,) = await fake.wait_for(lambda: fake.of("views.publish"))
    text = text_of(call.args["view"]["blocks"])
    assert call.args["user_id"] == SAM
    assert "The initiative at a glance" in text and "12* people" in text
    assert "Sam Okafor's settings" in text


async def test_admin_links_a_channel_and_enrols_a_team_by_slash_command(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    sent, key = await slack.command(SAM, "team link <#CICU|icu-team> ICU", channel="CICU")
    assert sent.status == 200 and sent.seconds < 3
    (answer,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert answer["response_type"] == "ephemeral"
    assert "Linked team *ICU* to <#CICU>" in text_of(answer["blocks"])
    (hello,) = await fake.wait_for(lambda: fake.posts("CICU"))
    assert "Hello, ICU!" in text_of(hello["blocks"])
    with _db(slack) as s:
        assert [(t.platform, t.channel_id) for t in s.exec(select(TeamChannel))] == [
            ("slack", "CICU")
        ]

    _, key = await slack.command(SAM, "enrol team:icu in bedside-care due 2027-03-01")
    (answer,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert "Enrolled *1* (team ICU) in *Bedside symptom and family care*" in text_of(
        answer["blocks"]
    )
    with _db(slack) as s:
        audit = [(a.actor, a.action) for a in s.exec(select(AuditEntry))]
    assert ("sam.okafor@example.org", "team.link") in audit
    assert ("sam.okafor@example.org", "enrol") in audit


async def test_a_champions_shoutout_is_public_with_a_real_mention(slack: SlackHarness) -> None:
    fake = slack.fake
    _, key = await slack.command(SAM, "team link <#CICU|icu-team> ICU")
    await fake.wait_for(lambda: fake.posts("CICU"))
    _, key = await slack.command(
        BEN, "shoutout <@UANA> for finishing Essentials in a week!", channel="CICU"
    )
    (confirmation,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert confirmation["response_type"] == "ephemeral"
    assert "Shout-out for Ana Ruiz posted" in text_of(confirmation["blocks"])
    posts = fake.posts("CICU")
    assert len(posts) == 2
    shout = text_of(posts[1]["blocks"])
    assert "<@UANA>" in shout and "for finishing Essentials in a week!" in shout


async def test_a_clinician_is_refused_an_admin_command(slack: SlackHarness) -> None:
    fake = slack.fake
    with _db(slack) as s:
        before = (len(s.exec(select(PersonRole)).all()), len(s.exec(select(Enrolment)).all()))
    _, key = await slack.command(ANA, "grant ana.ruiz@example.org admin")
    (answer,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert answer["response_type"] == "ephemeral"
    assert "needs the admin role" in text_of(answer["blocks"])
    _, key = await slack.command(ANA, "enrol team:icu in essentials", channel="CICU")
    (answer,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert "needs the champion role" in text_of(answer["blocks"])
    with _db(slack) as s:
        after = (len(s.exec(select(PersonRole)).all()), len(s.exec(select(Enrolment)).all()))
        assert not s.exec(
            select(AuditEntry).where(AuditEntry.actor == "ana.ruiz@example.org")
        ).all()
    assert before == after
    assert fake.posts("CICU") == []


async def test_a_retried_event_is_acted_on_once(slack: SlackHarness) -> None:
    fake = slack.fake
    first = await slack.dm(ANA, "done comm-101", event_id="EvRETRY1")
    retry = await slack.dm(ANA, "done comm-101", event_id="EvRETRY1", retry=1)
    assert first.status == retry.status == 200
    await fake.wait_for(lambda: fake.posts("DUANA"))
    await slack.dm(ANA, "progress")  # a later event, to know the earlier ones are done
    await fake.wait_for(
        lambda: any(
            "progress" in p.get("text", "").lower() or "1/3" in text_of(p["blocks"])
            for p in fake.posts("DUANA")
        )
    )
    recorded = [p for p in fake.posts("DUANA") if "Recorded:" in text_of(p["blocks"])]
    already = [p for p in fake.posts("DUANA") if "already finished" in text_of(p["blocks"])]
    assert len(recorded) == 1 and already == []
    with _db(slack) as s:
        assert (
            len(s.exec(select(HandledEvent).where(HandledEvent.event_id == "EvRETRY1")).all()) == 1
        )


async def test_forged_and_stale_signatures_are_refused(slack: SlackHarness) -> None:
    body = slack.event_body(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "DUANA",
            "user": ANA,
            "text": "done comm-101",
            "ts": "1.1",
        }
    )
    forged = await slack.send(body, "application/json", sign("not-the-secret", body))
    stale = await slack.send(
        body, "application/json", sign(slack.secret, body, int(time.time()) - 6 * 60)
    )
    missing = await slack.send(body, "application/json")
    tampered_headers = sign(slack.secret, body)
    tampered = await slack.send(
        body.replace("comm-101", "goals-101"), "application/json", tampered_headers
    )
    assert [forged.status, stale.status, missing.status, tampered.status] == [401] * 4
    assert slack.fake.calls == []
    with _db(slack) as s:
        assert s.exec(select(Completion)).all() == []
        assert s.exec(select(HandledEvent)).all() == []


async def test_a_mention_in_a_channel_is_answered_in_its_thread(slack: SlackHarness) -> None:
    fake = slack.fake
    _, ts = await slack.mention(ANA, "CICU", "next")
    (post,) = await fake.wait_for(lambda: fake.posts("CICU"))
    assert post["thread_ts"] == ts
    assert "Next up" in text_of(post["blocks"])


async def test_an_unknown_slack_user_is_told_how_to_get_enrolled_and_an_admin_adds_them(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    await slack.dm(NEW, "next")
    (post,) = await fake.wait_for(lambda: fake.posts("DUNEW"))
    assert "don't have you on the roster" in text_of(post["blocks"])
    _, key = await slack.command(SAM, "add new.doc@example.org, New Doc, MD, ICU")
    (answer,) = await fake.wait_for(lambda: fake.responses.get(key))
    assert "Added *New Doc*" in text_of(answer["blocks"])
    _, key = await slack.command(SAM, "enrol new.doc@example.org in essentials")
    await fake.wait_for(lambda: fake.responses.get(key))
    await slack.dm(NEW, "next")
    posts = await fake.wait_for(lambda: len(fake.posts("DUNEW")) >= 2 and fake.posts("DUNEW"))
    assert "Next up" in text_of(posts[1]["blocks"])


async def test_refused_posts_are_noted_for_admins_and_never_crash(slack: SlackHarness) -> None:
    fake = slack.fake
    _, key = await slack.command(SAM, "team link <#CARCHIVED|old-icu> ICU")
    answers = await fake.wait_for(
        lambda: len(fake.responses.get(key, [])) >= 2 and fake.responses[key]
    )
    assert "Linked team *ICU*" in text_of(answers[0]["blocks"])
    assert "the channel is archived" in text_of(answers[1]["blocks"])
    _, key = await slack.command(SAM, "team link <#COUTSIDE|outside> ICU")
    answers = await fake.wait_for(
        lambda: len(fake.responses.get(key, [])) >= 2 and fake.responses[key]
    )
    assert "invite me with /invite @Huddle" in text_of(answers[1]["blocks"])
    with _db(slack) as s:
        issues = sorted((i.target, i.error) for i in s.exec(select(DeliveryIssue)))
    assert issues == [("CARCHIVED", "is_archived"), ("COUTSIDE", "not_in_channel")]
    # The server is fine and the admin summary shows the problems.
    await slack.event({"type": "app_home_opened", "user": SAM, "channel": "DUSAM", "tab": "home"})
    assert await fake.wait_for(
        lambda: [
            c
            for c in fake.of("views.publish")
            if "Delivery problems in the last 7 days: 2" in text_of(c.args["view"]["blocks"])
        ]
    )


async def test_429_is_retried_after_retry_after(slack: SlackHarness) -> None:
    fake = slack.fake
    fake.fail_next["chat.postMessage"] = [429]
    await slack.dm(ANA, "progress")
    await fake.wait_for(lambda: fake.posts("DUANA"), timeout=15)
    attempts = fake.of("chat.postMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # Retry-After: 1


async def test_health_check(slack: SlackHarness) -> None:
    async with slack.session.get(f"{slack.base_url}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"ok": True, "platforms": ["slack"]}


@pytest.mark.parametrize("text", ["help", "pathways all", "about", "report", "audit 200"])
async def test_long_answers_fit_slacks_limits(slack: SlackHarness, text: str) -> None:
    fake = slack.fake
    _, key = await slack.command(SAM, text)
    answers = await fake.wait_for(lambda: fake.responses.get(key))
    for answer in answers:
        assert len(answer["blocks"]) <= 50 and answer["text"]
        assert fake._blocks_problem(answer["blocks"]) is None


async def test_acks_come_quickly_even_when_the_work_is_slow(slack: SlackHarness) -> None:
    # A roster import is the slowest command; Slack must still get its ack at once.
    rows = "\n".join(f"p{i}@example.org,Person {i},nurse,ICU" for i in range(300))
    await slack.dm(SAM, "roster import\nemail,name,discipline,team\n" + rows)
    sent, key = await slack.command(SAM, "report")
    assert sent.status == 200 and sent.seconds < 1.0
    await slack.fake.wait_for(lambda: slack.fake.responses.get(key))
    await asyncio.sleep(0)


async def test_someone_elses_button_in_a_thread_does_nothing_for_the_presser(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    await slack.mention(ANA, "CICU", "next")
    (post,) = await fake.wait_for(lambda: fake.posts("CICU"))
    sent = await slack.click(BEN, post, "Mark complete")
    assert sent.status == 200
    (refusal,) = await fake.wait_for(lambda: fake.of("response_url"))
    assert "someone else's message" in text_of(refusal.args["blocks"])
    assert refusal.args.get("replace_original") in (None, False)
    assert fake.of("chat.update") == []  # Ana's message keeps its buttons
    with _db(slack) as s:
        assert s.exec(select(Completion)).all() == []
    await slack.click(ANA, post, "Mark complete")
    await fake.wait_for(lambda: any("Recorded" in p.get("text", "") for p in fake.posts("CICU")))
    with _db(slack) as s:
        done = s.exec(select(Completion)).all()
        ana = person_by_email(s, "ana.ruiz@example.org")
        assert ana is not None and [c.person_id for c in done] == [ana.id]


async def _thread_reply(slack: SlackHarness, user: str, text: str, parent: str) -> None:
    await slack.event(
        {
            "type": "message",
            "channel_type": "channel",
            "channel": "CICU",
            "user": user,
            "text": text,
            "ts": f"{int(time.time())}.{900000 + len(text):06d}",
            "thread_ts": "1700000000.000100",
            "parent_user_id": parent,
        }
    )


async def test_a_thread_reply_with_patient_details_gets_a_private_note(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    await _thread_reply(slack, ANA, "Agree with the plan; Ben led it well.", "UHUDDLEBOT")
    await _thread_reply(
        slack, ANA, "Same as Mr. Delgado in bed 14, MRN 00482913, last week", "UHUDDLEBOT"
    )
    await _thread_reply(slack, ANA, "MRN 00482913 (someone else's thread)", "UBEN")
    (note,) = await fake.wait_for(
        lambda: [c for c in fake.calls if c.method == "chat.postEphemeral"]
    )
    await slack.dm(ANA, "progress")  # a later event, to know the earlier ones are done
    await fake.wait_for(lambda: fake.posts("DUANA"))
    notes = [c for c in fake.calls if c.method == "chat.postEphemeral"]
    assert notes == [note]
    assert note.args["user"] == ANA and note.args["channel"] == "CICU"
    assert note.args["thread_ts"] == "1700000000.000100"
    said = text_of(note.args["blocks"])
    assert "can't delete" in said or "cannot delete" in said, said
    assert "00482913" in said
    assert fake.posts("CICU") == []
