"""Linking team channels, champions' shout-outs with real mentions, and the home view."""

from __future__ import annotations

from sqlmodel import Session, select

from bot import markup
from bot.messages import ChannelRef, Mention
from bot.models import AuditEntry, DeliveryIssue, HandledEvent, TeamChannel
from tests.fakechat import FakeChat

SAM = "sam.okafor@example.org"  # admin
BEN = "ben.cho@example.org"  # ICU champion
ANA = "ana.ruiz@example.org"  # ICU nurse
ELLA = "ella.grant@example.org"  # Oncology nurse
ICU_CHANNEL = ChannelRef("C-ICU", "icu-team")


def _links(chat: FakeChat) -> list[tuple[int, str, str]]:
    with Session(chat.bot.engine) as s:
        return [(t.team_id, t.platform, t.channel_id) for t in s.exec(select(TeamChannel))]


def test_admin_links_a_team_to_a_channel(chat: FakeChat) -> None:
    sam = chat.person(SAM)
    reply = sam.says("team link #icu-team ICU", channels=(ICU_CHANNEL,))
    assert "Linked team ICU to #icu-team" in reply
    assert _links(chat) == [(1, "fake", "C-ICU")]
    (hello,) = chat.posts
    assert hello.channel_id == "C-ICU" and "Hello, ICU!" in hello.message.summary
    # From inside a channel, the channel is where the command was typed.
    sam.says("team link Oncology Clinic", in_channel=True, conversation_id="C-ONC")
    assert sorted(_links(chat)) == [(1, "fake", "C-ICU"), (2, "fake", "C-ONC")]
    # Relinking moves the channel; each team keeps one channel per platform.
    moved = sam.says("team link #icu-team Oncology Clinic", channels=(ICU_CHANNEL,))
    assert "was linked to ICU before" in moved
    assert _links(chat) == [(2, "fake", "C-ICU")]
    with Session(chat.bot.engine) as s:
        actions = [a.action for a in s.exec(select(AuditEntry))]
    assert actions.count("team.link") == 3


def test_linking_needs_a_channel_and_an_admin(chat: FakeChat) -> None:
    assert "which channel and team" in chat.person(SAM).says("team link ICU")
    assert "can't tell which channel" in chat.person(SAM).says("team link #nowhere ICU")
    refused = chat.person(BEN).says("team link #icu-team ICU", channels=(ICU_CHANNEL,))
    assert "needs the admin role" in refused
    assert _links(chat) == []


def _ana_mention() -> Mention:
    return Mention(user_id="U-ana.ruiz@example.org", name="Ana Ruiz", email=ANA)


def test_champion_shoutout_posts_in_the_team_channel_with_a_real_mention(chat: FakeChat) -> None:
    chat.person(ANA).says("hi")  # Ana has talked to the bot, so her identity is linked
    chat.person(SAM).says("team link #icu-team ICU", channels=(ICU_CHANNEL,))
    chat.posts.clear()
    reply = chat.person(BEN).says(
        "shoutout @Ana Ruiz for finishing Essentials in a week!", mentions=(_ana_mention(),)
    )
    assert "Shout-out for Ana Ruiz posted in #C-ICU" in reply
    (post,) = chat.posts
    assert post.visibility == "public" and post.channel_id == "C-ICU"
    spans = [s for line in markup.parse(post.message.blocks[0].markdown) for s in line.spans]
    assert any(s.url == "mention:U-ana.ruiz@example.org" and s.text == "Ana Ruiz" for s in spans)
    assert "for finishing Essentials in a week!" in post.message.summary
    assert "(from Ben Cho)" in post.message.summary


def test_shoutouts_respect_privacy_and_teams(chat: FakeChat) -> None:
    chat.person(SAM).says("team link #icu-team ICU", channels=(ICU_CHANNEL,))
    chat.posts.clear()
    ben = chat.person(BEN)
    patient = ben.says(
        "shoutout @Ana Ruiz for her care of Mr Jones in bed 4", mentions=(_ana_mention(),)
    )
    assert "haven't shared that" in patient and "a patient's or relative's name" in patient
    ella = Mention(user_id="U-ella", name="Ella Grant", email=ELLA)
    assert "your own team, ICU, only" in ben.says("shoutout @Ella Grant thanks!", mentions=(ella,))
    chat.person(ANA).says("celebrate me: no")
    assert "prefers not to be celebrated" in ben.says(
        "shoutout @Ana Ruiz great job", mentions=(_ana_mention(),)
    )
    assert "Mention who you're thanking" in ben.says("shoutout great job everyone")
    assert chat.posts == []
    assert "needs the champion role" in chat.person(ANA).says(
        "shoutout @Ana Ruiz me!", mentions=(_ana_mention(),)
    )


def test_home_shows_progress_next_settings_and_admin_summary(chat: FakeChat) -> None:
    ana = chat.person(ANA).says("home")
    assert ana.kinds == ["progress", "next_course", "settings"]
    chat.bot.note_delivery_issue("fake", "C-GONE", "channel_not_found", "celebration")
    sam = chat.person(SAM).says("home")
    assert sam.kinds[-1] == "home.admin"
    assert "12 people, 11 enrolled" in sam
    assert "Delivery problems in the last 7 days: 1" in sam
    assert "the channel doesn't exist or I can't see it" in sam
    with Session(chat.bot.engine) as s:
        assert s.exec(select(DeliveryIssue)).one().target == "C-GONE"


def test_event_ids_are_acted_on_once(chat: FakeChat) -> None:
    assert chat.bot.first_time("slack", "Ev123") is True
    assert chat.bot.first_time("slack", "Ev123") is False
    assert chat.bot.first_time("teams", "Ev123") is True


def test_old_event_ids_are_forgotten(chat: FakeChat) -> None:
    from bot import core

    bot = chat.bot
    bot.first_time("slack", "EvOLD")
    chat.clock.advance(days=8)
    for n in range(core.PRUNE_EVERY):
        bot.first_time("slack", f"Ev{n}")
    with Session(bot.engine) as s:
        ids = {e.event_id for e in s.exec(select(HandledEvent))}
    assert "EvOLD" not in ids and "Ev0" in ids
