"""Duplicate and replayed requests to the real ``huddle run``: Slack's retries of an
event (``X-Slack-Retry-Num``), the same signed request replayed, and the same Teams
activity posted again, one after another and all at once. Each is acted on once: one
answer reaches the platform, one ``handled_event`` row is kept."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import Session, select

from bot.models import HandledEvent
from tests.reliability.running import ANA_SLACK, ANA_TEAMS, Stack
from tests.slack_harness import sign, text_of
from tests.teams_fake import text_of as teams_text

WEEKENDS = "No reminders on Saturdays"
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def stack(shared: Stack) -> Stack:
    return shared


def handled(stack: Stack, event_id: str) -> int:
    with Session(stack.engine) as s:
        return len(s.exec(select(HandledEvent).where(HandledEvent.event_id == event_id)).all())


def answers(posts: list[dict[str, object]], words: str) -> int:
    return sum(
        1
        for p in posts
        if words in f"{p.get('text')} {text_of(p.get('blocks') or [])}"  # type: ignore[arg-type]
    )


async def test_slack_retries_and_replays_of_an_event_are_acted_on_once(stack: Stack) -> None:
    slack = stack.slack
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "D" + ANA_SLACK,
        "user": ANA_SLACK,
        "text": "weekends off",
        "ts": "1764000000.000100",
    }
    body = slack.event_body(event, "EvDUPLICATE1")
    headers = {"Content-Type": "application/json", **sign(stack.secret, body)}
    first = await slack.send(body, "application/json", headers)
    assert first.status == 200
    # Slack's own retries (after a slow answer), then the very same signed request
    # replayed byte for byte inside the five minutes a signature is good for.
    for retry in (1, 2, 3):
        again = await slack.send(
            body,
            "application/json",
            {**headers, "X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"},
        )
        assert again.status == 200
    assert (await slack.send(body, "application/json", headers)).status == 200
    # And the same event five times at once, as replicas behind a balancer would get it.
    body2 = slack.event_body({**event, "ts": "1764000000.000200"}, "EvDUPLICATE2")
    at_once = await asyncio.gather(
        *(slack.send(body2, "application/json", sign(stack.secret, body2)) for _ in range(5))
    )
    assert [s.status for s in at_once] == [200] * 5
    # Every duplicate was decided before its ack; a later message's answer shows the
    # first ones' work is done.
    assert (await slack.dm(ANA_SLACK, "about", "EvAFTER")).status == 200
    fake = stack.slack_fake
    await fake.wait_for(lambda: answers(fake.posts("D" + ANA_SLACK), "About Serious Illness") >= 1)
    await fake.wait_for(lambda: answers(fake.posts("D" + ANA_SLACK), WEEKENDS) >= 2)
    assert answers(fake.posts("D" + ANA_SLACK), WEEKENDS) == 2, [
        text_of(p["blocks"])[:80] for p in fake.posts("D" + ANA_SLACK)
    ]
    assert handled(stack, "EvDUPLICATE1") == handled(stack, "EvDUPLICATE2") == 1


async def test_a_teams_activity_posted_again_is_acted_on_once(stack: Stack) -> None:
    teams = stack.teams
    fake = stack.teams_fake
    await teams.install(ANA_TEAMS)
    activity = teams.activity(ANA_TEAMS, text="weekends off", textFormat="plain")
    assert await teams.post(activity) in (200, 202)
    assert await teams.post(json.loads(json.dumps(activity))) in (200, 202)
    twice = teams.activity(ANA_TEAMS, text="weekends off", textFormat="plain")
    statuses = await asyncio.gather(*(teams.post(twice) for _ in range(5)))
    assert all(s in (200, 202) for s in statuses), statuses
    assert await teams.says(ANA_TEAMS, "about") in (200, 202)

    def progress() -> list[object]:
        return [
            m for m in fake.messages(ANA_TEAMS.conversation) if WEEKENDS in teams_text(m.activity)
        ]

    await fake.wait_for(
        lambda: any("About Serious Illness" in teams_text(m.activity) for m in fake.messages())
    )
    await fake.wait_for(lambda: len(progress()) >= 2)
    assert len(progress()) == 2, [teams_text(m.activity)[:80] for m in fake.messages()]
