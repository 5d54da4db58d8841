"""The report on a schedule (bot.planning.kinds.report): ``nudge schedule report to
channel:leaders first monday of the month 09:00`` posts the summary with its three charts
and the Excel file and PDF, once an occurrence, on the hand-computed fixture of
tests/test_reports.py (3 teams, 20 people). Then the same post through the real Slack and
Teams senders: uploaded files on Slack, images inside the card on Teams."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest
import pytest_asyncio
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from adapters.slack.sender import SlackSender
from adapters.slack.settings import SlackSettings
from adapters.teams.cards import MAX_CARD_BYTES
from adapters.teams.sender import TeamsSender
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.messages import Attachment, ChannelRef, Message, Picture
from bot.models import Schedule
from bot.outbox import Outbox
from scheduler.delivery import Worker
from tests.fakechat import FakeChat
from tests.slack_fake import BOT_TOKEN
from tests.slack_harness import SlackHarness, sample_slack, text_of
from tests.teams_cards import card_problems
from tests.teams_fake import cards_in
from tests.teams_fake import text_of as teams_text
from tests.teams_harness import TeamsHarness, TeamsUser, sample_teams
from tests.test_reports import email, fill

#: The first Monday of December, 09:01 in Chicago (the organisation's zone).
FIRST_MONDAY = datetime(2026, 12, 7, 15, 1, tzinfo=UTC)
LEADERS = ChannelRef("C-LEAD", "leaders")
ICU = ChannelRef("C-ICU", "icu-team")
MONTHLY = "first monday of the month 09:00"


@pytest.fixture
def room(bot: Bot, clock: FrozenClock, engine: Engine) -> FakeChat:
    """The fixture, an admin (Wes, also a senior leader), and a Leaders team whose
    channel is the leaders' channel."""
    fill(engine)
    chat = FakeChat(bot, clock)
    assert "now has the admin role" in chat.operator(f"grant {email('w1')} admin").text
    wes = chat.person(email("w1"))
    assert "added" in wes.says("team add Leaders").text
    assert "Linked" in wes.says("team link #leaders Leaders", channels=(LEADERS,)).text
    assert "Linked" in wes.says("team link #icu-team ICU", channels=(ICU,)).text
    return chat


def _posts(chat: FakeChat, channel: str) -> list[Message]:
    return [m for _, m in chat.delivered.get(channel, [])]


def _schedules(chat: FakeChat) -> list[Schedule]:
    with Session(chat.bot.engine) as s:
        return list(s.exec(select(Schedule).where(Schedule.kind == "report")))


def _png(picture: Picture) -> Image.Image:
    image = Image.open(io.BytesIO(picture.data))
    assert image.format == "PNG"
    low, high = image.convert("L").getextrema()
    assert high - low > 100, "a blank chart"
    return image


def test_the_monthly_report_posts_the_summary_its_charts_and_its_files(room: FakeChat) -> None:
    wes = room.person(email("w1"))
    reply = wes.says(f"nudge schedule report to channel:leaders {MONTHLY} period this quarter")
    assert "Scheduled **#" in reply.messages[0].blocks[0].markdown  # type: ignore[union-attr]
    (schedule,) = _schedules(room)
    assert json.loads(schedule.params) == {"period": "this quarter"}
    assert room.run_scheduler() == 0  # not before the first Monday

    room.clock.set(FIRST_MONDAY)
    assert room.run_scheduler() == 1
    (post,) = _posts(room, LEADERS.id)
    assert post.kind == "report"
    text = room.channel(LEADERS.id)[0]
    assert "Report: Everyone, 2026-Q4" in text
    assert "70% of clinicians trained (of 20)" in text
    assert "31 verified, 11 self-reported" in text
    assert "Comfort, Serious-illness communication: 2.4 before, 4.2 after (n=5)" in text
    assert "Stuck" not in text and "Ivan Eight" not in text  # names are the champion's

    teams, trend, comfort = post.pictures
    for picture in post.pictures:
        assert _png(picture).size == (1200, 675)
    assert teams.name == "report-2026-q4-everyone-teams.png"
    assert teams.alt == (
        "Team completion against the target, target 80%: Other 73% of 11; ICU 67% of 9."
    )
    assert "31 verified and 11 self-reported in all" in trend.alt
    assert "Serious-illness communication 2.4 before, 4.2 after (n=5)" in comfort.alt

    excel, pdf = post.attachments
    assert (excel.name, pdf.name) == (
        "report-2026-q4-everyone.xlsx",
        "report-2026-q4-everyone.pdf",
    )
    stored = room.bot.stored_file(excel.file_id)
    assert stored is not None
    book = openpyxl.load_workbook(io.BytesIO(stored[2]))
    assert book["completion_team"]["D3"].value == 13  # ICU's verified completions
    stored = room.bot.stored_file(pdf.file_id)
    assert stored is not None and stored[2].startswith(b"%PDF-")
    # Whoever presses a button gets the file within what they may see.
    assert [b.command for b in post.buttons] == [
        "report xlsx 2026-Q4",
        "report csv 2026-Q4",
        "report pdf 2026-Q4",
    ]

    # Pressed by a senior leader, each button answers with its file.
    got = wes.clicks("Printable PDF", post)
    (pressed,) = [b for m in got.messages for b in m.blocks if isinstance(b, Attachment)]
    assert pressed.name == "report-2026-q4-everyone.pdf"
    assert pressed.media_type == "application/pdf"

    # Exactly once: another tick the same morning sends nothing more.
    assert room.run_scheduler() == 0
    assert len(_posts(room, LEADERS.id)) == 1


def test_the_period_is_last_month_unless_said_and_a_bad_one_is_refused(room: FakeChat) -> None:
    wes = room.person(email("w1"))
    bad = wes.says(f"nudge schedule report to channel:leaders {MONTHLY} period someday")
    assert bad.kinds == ["reports.bad_period"]
    assert "Try 2026-Q4" in bad.text
    assert _schedules(room) == []
    wes.says(f"nudge schedule report to channel:leaders {MONTHLY}")
    (schedule,) = _schedules(room)
    assert json.loads(schedule.params) == {}
    room.clock.set(FIRST_MONDAY)
    room.run_scheduler()
    assert "Report: Everyone, November 2026" in room.channel(LEADERS.id)[0]


def test_people_not_champions_or_admins_cannot_schedule_it(room: FakeChat) -> None:
    ida = room.person(email("i1"))
    assert ida.says(f"nudge schedule report to channel:leaders {MONTHLY}").kinds == ["needs_role"]
    assert _schedules(room) == []


def test_a_champions_report_is_their_own_team_without_who_is_stuck(room: FakeChat) -> None:
    ike = room.person(email("i6"))  # an ICU champion
    beyond = ike.says(f"nudge schedule report to channel:leaders {MONTHLY}")
    assert _schedules(room) == [], beyond.text
    ike.says(f"nudge schedule report to channel:icu {MONTHLY} period this quarter")
    (schedule,) = _schedules(room)
    assert schedule.team_id is not None
    room.clock.set(FIRST_MONDAY)
    room.run_scheduler()
    assert _posts(room, LEADERS.id) == []
    (text,) = room.channel(ICU.id)
    assert "Report: ICU, 2026-Q4" in text
    assert "67% of clinicians trained (of 9)" in text
    assert "Stuck" not in text and "Ivan Eight" not in text
    (post,) = _posts(room, ICU.id)
    assert post.buttons[0].command == "report xlsx 2026-Q4 team:icu"


def test_one_report_is_built_for_every_channel_it_goes_to(room: FakeChat) -> None:
    wes = room.person(email("w1"))
    wes.says(f"nudge schedule report to channel:leaders channel:icu {MONTHLY}")
    room.clock.set(FIRST_MONDAY)
    assert room.run_scheduler() == 2
    (leaders,) = _posts(room, LEADERS.id)
    (icu,) = _posts(room, ICU.id)
    assert leaders == icu  # the same summary, charts and kept files
    assert len({a.file_id for a in leaders.attachments + icu.attachments}) == 2


# --- on the platforms ---------------------------------------------------------------------------


def _schedule(bot: Bot) -> None:
    """The monthly report to the leaders' channel, scheduled by the server's operator."""
    chat = FakeChat(bot, bot.clock)  # type: ignore[arg-type]
    reply = chat.operator(f"nudge schedule report to channel:leaders {MONTHLY} period this quarter")
    assert "Scheduled" in reply.text, reply.text


def _admin_with_leaders_team(bot: Bot) -> None:
    chat = FakeChat(bot, bot.clock)  # type: ignore[arg-type]
    assert "now has the admin role" in chat.operator(f"grant {email('w1')} admin").text
    assert "added" in chat.operator("team add Leaders").text


async def _deliver(bot: Bot, platform: str, sender: Any) -> None:
    planner = bot.planner((platform,))
    await asyncio.to_thread(bot.tick, planner)
    worker = Worker(
        Outbox(bot.engine, bot.content, f"{platform}-worker", quiet=planner),
        {platform: sender},
        bot.clock,
    )
    while await worker.run_once():
        pass


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[SlackHarness]:
    fill(engine)
    users = [("UWES", email("w1"), "Wes One", None)]
    async with sample_slack(engine, sample_content, clock, users, [("CLEAD", "member")]) as harness:
        _admin_with_leaders_team(harness.adapter.bot)
        yield harness


async def test_slack_the_post_then_its_charts_and_files_uploaded_together(
    slack: SlackHarness, clock: FrozenClock
) -> None:
    fake, bot = slack.fake, slack.adapter.bot
    _, key = await slack.command("UWES", "team link <#CLEAD|leaders> Leaders", channel="CLEAD")
    await fake.wait_for(lambda: fake.responses.get(key))
    _schedule(bot)
    clock.set(FIRST_MONDAY)
    sender = SlackSender(
        SlackSettings(bot_token=BOT_TOKEN, signing_secret="s", api_url=fake.api_url),
        files=bot.stored_file,
    )
    try:
        await _deliver(bot, "slack", sender)
    finally:
        await sender.close()
    (post,) = [p for p in fake.posts("CLEAD") if "Report:" in text_of(p.get("blocks") or [])]
    shown = text_of(post["blocks"])
    # The platform harness adds the sample roster's twelve (none trained) to the fixture.
    assert "Report: Everyone, 2026-Q4" in shown and "*31* verified, *11* self-reported" in shown
    assert not [b for b in post["blocks"] if b["type"] == "image"]  # images are uploaded
    uploads = fake.uploaded("CLEAD")
    assert [u.filename for u in uploads] == [
        "report-2026-q4-everyone-teams.png",
        "report-2026-q4-everyone-trend.png",
        "report-2026-q4-everyone-comfort.png",
        "report-2026-q4-everyone.xlsx",
        "report-2026-q4-everyone.pdf",
    ]
    (complete,) = fake.of("files.completeUploadExternal")  # they arrive as one message
    assert complete.args["channel_id"] == "CLEAD"
    assert Image.open(io.BytesIO(uploads[0].data)).size == (1200, 675)
    assert uploads[0].title == "Team completion against the target"
    book = openpyxl.load_workbook(io.BytesIO(uploads[3].data))
    assert book["completion_team"]["D3"].value == 13
    assert uploads[4].data.startswith(b"%PDF-")
    alts = [c.args.get("alt_txt", "") for c in fake.of("files.getUploadURLExternal")]
    assert alts[0].startswith("Team completion against the target, target 80%: ")


async def test_slack_report_summary_in_a_dm_uploads_the_team_chart_there(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    await slack.dm("UWES", "report summary 2026-Q4")
    (answer,) = await fake.wait_for(lambda: fake.posts("DUWES"))
    assert "*31* verified, *11* self-reported" in text_of(answer["blocks"])
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUWES"))
    assert upload.filename == "report-2026-q4-everyone-teams.png"
    assert Image.open(io.BytesIO(upload.data)).size == (1200, 675)


WES = TeamsUser("29:wes", "Wes One", "aad-wes", "a:personal-wes")
LEADERS_TEAMS = "19:leaders@thread.tacv2"


@pytest_asyncio.fixture
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock
) -> AsyncIterator[TeamsHarness]:
    fill(engine)
    async with sample_teams(engine, sample_content, clock, [(WES, email("w1"))]) as harness:
        _admin_with_leaders_team(harness.adapter.bot)
        yield harness


def _images(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for c in cards_in(activity) for e in c["body"] if e.get("type") == "Image"]


async def test_teams_the_post_carries_its_charts_inside_the_cards(
    teams: TeamsHarness, clock: FrozenClock
) -> None:
    fake, bot = teams.fake, teams.adapter.bot
    await teams.in_channel(WES, LEADERS_TEAMS, "link team Leaders")
    _schedule(bot)
    clock.set(FIRST_MONDAY)
    await _deliver(bot, "teams", TeamsSender(teams.adapter))
    posted = [s for s in fake.messages() if LEADERS_TEAMS in str(s.activity.get("conversation"))]
    assert posted, [teams_text(s.activity)[:60] for s in fake.messages()]
    shown = " ".join(teams_text(s.activity) for s in posted)
    assert "Report: Everyone, 2026-Q4" in shown and "**31** verified" in shown
    images = [image for sent in posted for image in _images(sent.activity)]
    assert len(images) == 3
    for image in images:
        assert image["url"].startswith("data:image/png;base64,")
        picture = Image.open(io.BytesIO(base64.b64decode(image["url"].split(",", 1)[1])))
        assert picture.width <= 1024 and picture.height <= 1024
    assert images[0]["altText"].startswith("Team completion against the target, target 80%")
    labels = [
        a.get("title")
        for sent in posted
        for card in cards_in(sent.activity)
        for element in card["body"]
        if element.get("type") == "ActionSet"
        for a in element["actions"]
    ]
    assert labels == ["Excel file", "CSV files", "Printable PDF"]
    # Teams sends files in personal chats only: one line in the channel says how.
    assert shown.count("only send files in our personal chat") == 1
    assert "report pdf 2026-Q4 for report-2026-q4-everyone.pdf" in shown
    for sent in posted:
        for card in cards_in(sent.activity):
            assert card_problems(card) == [], card_problems(card)
            assert len(json.dumps(card, ensure_ascii=False).encode()) <= MAX_CARD_BYTES


async def test_teams_report_summary_shows_the_team_chart_in_the_card(teams: TeamsHarness) -> None:
    fake = teams.fake
    assert await teams.says(WES, "report summary 2026-Q4") in (200, 202)
    sent = fake.messages(WES.conversation)[-1]
    assert "Report: Everyone, 2026-Q4" in teams_text(sent.activity)
    (image,) = _images(sent.activity)
    assert image["url"].startswith("data:image/png;base64,")
    assert image["altText"].startswith("Team completion against the target")


def test_attachments_and_pictures_travel_through_the_outbox_as_json(room: FakeChat) -> None:
    room.person(email("w1")).says(f"nudge schedule report to channel:leaders {MONTHLY}")
    room.clock.set(FIRST_MONDAY)
    room.run_scheduler()
    (post,) = _posts(room, LEADERS.id)
    again = Message.from_json(post.to_json())
    assert again == post
    assert all(isinstance(a, Attachment) for a in again.attachments)
    assert again.pictures[0].data == post.pictures[0].data
