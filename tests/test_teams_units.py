"""Teams translation, cards, package and settings, with activities shaped like Microsoft's
documentation (Bot Framework Activity schema, Teams personal and channel conversations)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from adapters.teams import cards, translate
from adapters.teams.package import AppInfo, build, manifest
from adapters.teams.settings import TeamsSettings
from bot.messages import Actions, Button, Divider, Field, Fields, Heading, Message, Table, Text
from tests.fakechat import FakeChat
from tests.teams_cards import SCHEMAS, card_problems

# Shaped like "Conversation basics / Receive a message" in Microsoft's Teams bot docs.
CHANNEL_MESSAGE = {
    "type": "message",
    "id": "1485983408511",
    "timestamp": "2017-02-01T21:10:07.437Z",
    "serviceUrl": "https://smba.trafficmanager.net/amer/",
    "channelId": "msteams",
    "from": {
        "id": "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Z",
        "name": "Megan Bowen",
        "aadObjectId": "00000000-0000-0000-0000-000000000001",
    },
    "conversation": {
        "isGroup": True,
        "conversationType": "channel",
        "id": "19:6d3f6e2b@thread.tacv2;messageid=1485983408511",
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    },
    "recipient": {"id": "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c", "name": "Huddle"},
    "textFormat": "plain",
    "text": "<at>Huddle</at> shoutout <at>Adele Vance</at> for the great family meeting&nbsp;!",
    "entities": [
        {
            "type": "mention",
            "text": "<at>Huddle</at>",
            "mentioned": {"id": "28:c9e8c047-2a74-40a2-b28a-b162d5f5327c", "name": "Huddle"},
        },
        {
            "type": "mention",
            "text": "<at>Adele Vance</at>",
            "mentioned": {"id": "29:adele", "name": "Adele Vance"},
        },
        {"type": "clientInfo", "locale": "en-US", "country": "US", "platform": "Web"},
    ],
    "channelData": {
        "teamsChannelId": "19:6d3f6e2b@thread.tacv2",
        "teamsTeamId": "19:abcd@thread.tacv2",
        "channel": {"id": "19:6d3f6e2b@thread.tacv2"},
        "team": {"id": "19:abcd@thread.tacv2"},
        "tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
    },
    "locale": "en-US",
}

# Shaped like an Adaptive Card Action.Submit arriving in a personal chat.
CARD_SUBMIT = {
    "type": "message",
    "id": "f:submit",
    "channelId": "msteams",
    "serviceUrl": "https://smba.trafficmanager.net/amer/",
    "from": {"id": "29:ana", "name": "Ana Ruiz", "aadObjectId": "aad-ana"},
    "conversation": {
        "conversationType": "personal",
        "id": "a:1personal",
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
    },
    "recipient": {"id": "28:bot", "name": "Huddle"},
    "replyToId": "1:card",
    "value": {"huddle": "done comm-101", "label": "Mark complete", "card": "Your next course"},
    "channelData": {
        "tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"},
        "source": {"name": "message"},
    },
}


def test_a_channel_mention_becomes_plain_words_with_people() -> None:
    incoming = translate.incoming(CHANNEL_MESSAGE)
    assert incoming.text == "shoutout @Adele Vance for the great family meeting !"
    assert incoming.mentions[0].user_id == "29:adele"
    assert incoming.in_channel and incoming.via == "mention"
    assert incoming.conversation_id == "19:6d3f6e2b@thread.tacv2"  # the channel, not the thread
    assert translate.tenant_of(CHANNEL_MESSAGE) == "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_a_card_submit_takes_the_same_road_as_typing() -> None:
    incoming = translate.incoming(CARD_SUBMIT)
    assert (incoming.text, incoming.via, incoming.in_channel) == ("done comm-101", "button", False)
    ref = translate.reference(CARD_SUBMIT)
    assert ref["service_url"] == "https://smba.trafficmanager.net/amer/"
    assert ref["tenant_id"] == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert (ref["user_id"], ref["aad_object_id"], ref["bot_id"]) == ("29:ana", "aad-ana", "28:bot")


def test_html_in_channel_messages_is_read_as_text() -> None:
    activity = {
        **CHANNEL_MESSAGE,
        "entities": CHANNEL_MESSAGE["entities"][:1],
        "text": "<p><at>Huddle</at> quiet hours 9pm&nbsp;to 7am</p>",
    }
    assert translate.plain_text(activity)[0] == "quiet hours 9pm to 7am"


def test_cards_render_markdown_mentions_tables_and_buttons() -> None:
    message = Message(
        (
            Heading("ICU"),
            Text("**Next: [Pain <1> & 2](https://x.org/a)**\n- a\n- b"),
            Fields((Field("Team", "ICU"),)),
            Table(("Name", "Done"), (("Ana", "1/3"),)),
            Divider(),
            Text("[Ana Ruiz](mention:29:ana) :tada:"),
            Actions((Button("Mark complete", "done x", "primary"),)),
        ),
        summary="Next: Pain",
    )
    (card,) = cards.cards_for(message)
    assert card_problems(card.content) == []
    body = card.content["body"]
    # Teams drops what looks like an HTML tag: characters are written as entities.
    assert body[1]["text"] == "**Next: [Pain &lt;1&gt; &amp; 2](https://x.org/a)**\n\n- a\n- b"
    assert body[4]["separator"] is True and body[4]["text"] == "<at>Ana Ruiz</at> :tada:"
    assert card.content["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": "<at>Ana Ruiz</at>",
            "mentioned": {"id": "29:ana", "name": "Ana Ruiz"},
        }
    ]
    action = body[-1]["actions"][0]
    assert action["data"] == {"huddle": "done x", "label": "Mark complete", "card": "Next: Pain"}
    chosen = cards.chosen_card("Next: Pain", "✓ Mark complete")
    assert card_problems(chosen) == [] and "Action" not in json.dumps(chosen)


def test_the_schema_check_can_fail() -> None:
    assert card_problems(
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}
    )
    assert card_problems(
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Marquee", "text": "x"}]}
    )


def test_every_message_the_bot_can_send_is_a_valid_card(chat: FakeChat) -> None:
    """Every answer, for a clinician, a champion and an admin, rendered and validated."""
    words = [
        "hello",
        "next",
        "progress",
        "pathways",
        "pathways all",
        "join bedside care",
        "done conversations",
        "done nothing-like-it",
        "done comm-101",
        "setup",
        "I've created my account",
        "pause",
        "pause until blursday",
        "pause for 2 weeks",
        "resume",
        "timezone",
        "timezone Amercia/Chicago",
        "quiet hours",
        "celebrate me",
        "settings",
        "about",
        "help",
        "home",
        "xyzzy",
        "report",
        "teams",
        "audit",
        "enrol team:icu in essentials",
        "roster import",
        "grant x@y.org admin",
        "shoutout nobody",
        "link team ICU",
    ]
    checked = 0
    for email in ("ana.ruiz@example.org", "ben.cho@example.org", "sam.okafor@example.org"):
        talker = chat.person(email)
        for text in words:
            for message in talker.says(text).messages:
                for card in cards.cards_for(message):
                    assert card_problems(card.content) == [], (text, card.content)
                    checked += 1
    assert checked > 90


def test_long_messages_become_several_cards() -> None:
    message = Message(tuple(Text(f"para {i}") for i in range(300)), summary="long")
    parts = cards.cards_for(message)
    assert len(parts) == 3 and all(card_problems(p.content) == [] for p in parts)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_app_package_is_valid_for_the_current_manifest_schema() -> None:
    bot = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
    archive = zipfile.ZipFile(io.BytesIO(build(AppInfo(bot_id=bot, app_id=bot))))
    assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
    data = json.loads(archive.read("manifest.json"))
    schema = json.loads((SCHEMAS / "MicrosoftTeams.v1.30.schema.json").read_text())
    assert [e.message for e in Draft7Validator(schema).iter_errors(data)] == []
    assert data["manifestVersion"] == "1.30"
    assert data["bots"][0]["botId"] == bot
    assert set(data["bots"][0]["scopes"]) >= {"personal", "team"}
    assert data["bots"][0]["supportsFiles"] is True  # files to import, refused rows back
    assert sorted(data["supportedChannelTypes"]) == ["privateChannels", "sharedChannels"]
    assert "messageTeamMembers" in data["permissions"]  # reaching a team's members
    assert _png_size(archive.read("color.png")) == (192, 192)
    assert _png_size(archive.read("outline.png")) == (32, 32)


def test_manifest_refuses_plain_http_addresses() -> None:
    with pytest.raises(ValueError, match="https"):
        manifest(AppInfo(bot_id="b", app_id="a", website="http://example.org"))


def test_huddle_teams_package_command(tmp_path: Path) -> None:
    from tests.test_cli import huddle

    bot = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
    ok = huddle(
        "teams",
        "package",
        "--output",
        str(tmp_path / "app.zip"),
        cwd=tmp_path,
        env={"HUDDLE_TEAMS_APP_ID": bot},
    )
    assert ok.returncode == 0, ok.stderr
    data = json.loads(zipfile.ZipFile(tmp_path / "app.zip").read("manifest.json"))
    assert data["name"]["full"] == "Huddle: Serious Illness Care Skills"
    missing = huddle("teams", "package", cwd=tmp_path)
    assert missing.returncode == 2 and "HUDDLE_TEAMS_APP_ID" in missing.stderr


def test_settings_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="HUDDLE_TEAMS_TENANT_ID"):
        TeamsSettings(app_id="c9e8c047-2a74-40a2-b28a-b162d5f5327c", app_password="x")
    with pytest.raises(ValueError, match="HUDDLE_TEAMS_APP_PASSWORD"):
        TeamsSettings(
            app_id="c9e8c047-2a74-40a2-b28a-b162d5f5327c",
            tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
        )
    with pytest.raises(ValueError, match="GUID"):
        TeamsSettings(app_id="not-a-guid")
    anonymous = TeamsSettings(anonymous=True)
    anonymous.refuse_anonymous_off_localhost("127.0.0.1")
    with pytest.raises(ValueError, match="only runs on localhost"):
        anonymous.refuse_anonymous_off_localhost("0.0.0.0")


def test_a_long_row_of_buttons_becomes_action_sets_of_at_most_five() -> None:
    from adapters.teams.cards import MAX_ACTIONS, cards_for
    from bot.messages import Actions, Button, Message, Text

    buttons = tuple(Button(f"Choice {n}", f"join p{n}") for n in range(12))
    (card,) = cards_for(Message((Text("Which one?"), Actions(buttons)), "Which one?"))
    sets = [e for e in card.content["body"] if e["type"] == "ActionSet"]
    assert [len(s["actions"]) for s in sets] == [MAX_ACTIONS, MAX_ACTIONS, 2]
    titles = [a["title"] for s in sets for a in s["actions"]]
    assert titles == [f"Choice {n}" for n in range(12)]  # none dropped, in order


def test_who_in_a_team_is_considered_for_a_personal_chat() -> None:
    from adapters.teams import reach

    tenant = "11111111-2222-3333-4444-555555555555"
    person = {"id": "29:a", "tenantId": tenant, "email": "Ana@Example.org"}
    assert reach.reachable(person, tenant, "28:huddle")
    assert reach.reachable({"id": "29:b"}, tenant, "28:huddle")  # no tenant given: ours
    assert not reach.reachable({"id": "28:huddle"}, tenant, "28:huddle")  # Huddle itself
    assert not reach.reachable({"id": "28:other-bot"}, tenant, "28:huddle")
    assert not reach.reachable({"id": "29:c", "tenantId": "elsewhere"}, tenant, "28:huddle")
    assert not reach.reachable({"name": "no id"}, tenant, "28:huddle")
    both = {**person, "userPrincipalName": "ana@example.org"}
    assert reach.addresses(both) == ["ana@example.org"]
    assert reach.addresses({"userPrincipalName": "a.r@example.org"}) == ["a.r@example.org"]
    team = {"channelData": {"team": {"id": "19:t"}}}
    assert reach.team_of(team) == "19:t" and reach.team_of({"channelData": {}}) is None
    assert reach.joined_team(team)
    assert reach.joined_team(
        {"channelData": {**team["channelData"], "eventType": "teamMemberAdded"}}
    )
    assert not reach.joined_team(
        {"channelData": {**team["channelData"], "eventType": "channelMemberAdded"}}
    )
    assert not reach.joined_team({"channelData": {"eventType": "teamMemberAdded"}})
