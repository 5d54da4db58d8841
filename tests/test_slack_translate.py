"""Slack translation and rendering, with payloads shaped like Slack's documentation."""

from __future__ import annotations

import json

from adapters.slack import render, translate
from bot.messages import (
    Actions,
    Button,
    ChannelRef,
    Divider,
    Field,
    Fields,
    Heading,
    Message,
    ProgressBar,
    Table,
    Text,
)
from tests.slack_fake import FakeSlack

# From https://api.slack.com/events/message.im (trimmed).
DM_EVENT = {
    "type": "message",
    "channel": "D024BE91L",
    "user": "U2147483697",
    "text": "Hello hello can you hear me?",
    "ts": "1355517523.000005",
    "event_ts": "1355517523.000005",
    "channel_type": "im",
}


def test_dm_filter() -> None:
    assert translate.is_person_dm(DM_EVENT)
    assert not translate.is_person_dm({**DM_EVENT, "subtype": "message_changed"})
    assert not translate.is_person_dm({**DM_EVENT, "bot_id": "B1"})
    assert not translate.is_person_dm({**DM_EVENT, "channel_type": "channel"})


def test_slack_text_becomes_plain_words() -> None:
    text = translate.plain(
        "<@UBOT> grant <mailto:ana@x.org|ana@x.org> admin &amp; <https://x.org|the site> "
        "<!here> <#C123|icu-team> <@U9>",
        {"U9": "Ana Ruiz"},
        frozenset({"UBOT"}),
    )
    assert text.text == "grant ana@x.org admin & the site @here #icu-team @Ana Ruiz"
    assert text.mentions == ("U9",)
    assert text.channels == (ChannelRef("C123", "icu-team"),)
    assert translate.mentioned_users("<@U1> and <@U2|bob> and <@U1>") == ["U1", "U2"]


def test_multi_line_text_keeps_its_lines() -> None:
    assert translate.plain("roster import\nemail,name", {}).text == "roster import\nemail,name"


def test_click_payload() -> None:
    body = {
        "type": "block_actions",
        "user": {"id": "U1"},
        "container": {
            "type": "message",
            "message_ts": "1.2",
            "channel_id": "D1",
            "is_ephemeral": False,
        },
        "channel": {"id": "D1"},
        "message": {"ts": "1.2", "text": "fallback", "blocks": [{"type": "actions"}]},
        "response_url": "https://hooks.slack.com/actions/T/1/x",
        "actions": [
            {
                "action_id": "huddle-0",
                "value": "done pain-101",
                "text": {"type": "plain_text", "text": "Mark complete"},
            }
        ],
    }
    click = translate.click(body)
    assert (click.user_id, click.command, click.label, click.channel_id, click.message_ts) == (
        "U1",
        "done pain-101",
        "Mark complete",
        "D1",
        "1.2",
    )
    assert click.container == "message" and not click.ephemeral


def test_titles_with_special_characters_render_as_written() -> None:
    message = Message(
        (Text("**Next up: [Pain <basics> & more](https://x.org/a?b=1&c=2)** and `a<b`"),),
        summary="Pain <basics> & more",
    )
    (part,) = render.render(message)
    section = part.blocks[0]["text"]["text"]
    assert (
        section == "*Next up: <https://x.org/a?b=1&amp;c=2|Pain &lt;basics&gt; &amp; more>*"
        " and `a&lt;b`"
    )
    assert part.text == "Pain &lt;basics&gt; &amp; more"


def test_every_block_type_and_mentions() -> None:
    message = Message(
        (
            Heading("A heading"),
            Text("- one\n- [Ana](mention:U1) in [#icu](channel:C1)"),
            Fields((Field("Team", "ICU"), Field("Roles", "clinician"))),
            ProgressBar("Essentials", 1, 3, "1 CME"),
            Table(("Name", "Done"), (("Ana", "1/3"),), more=2),
            Divider(),
            Actions((Button("Mark complete", "done x", "primary"), Button("Later", "help"))),
        ),
        summary="s",
    )
    (part,) = render.render(message)
    kinds = [b["type"] for b in part.blocks]
    assert kinds == ["header", "section", "section", "section", "section", "divider", "actions"]
    assert part.blocks[1]["text"]["text"] == "• one\n• <@U1> in <#C1>"
    assert part.blocks[2]["fields"][0]["text"] == "*Team*\nICU"
    assert "███████░░░░░░░░░░░░░  1/3" in part.blocks[3]["text"]["text"]
    assert part.blocks[4]["text"]["text"].startswith("```\nName  Done")
    buttons = part.blocks[6]["elements"]
    assert [(b["action_id"], b["value"], b.get("style")) for b in buttons] == [
        ("huddle-0", "done x", "primary"),
        ("huddle-1", "help", None),
    ]


def test_long_answers_are_split_inside_slacks_limits() -> None:
    long_text = "\n".join(f"- line {i} " + "x" * 80 for i in range(200))
    rows = tuple((f"Person {i}", "nurse", "1/3") for i in range(400))
    message = Message(
        (
            Heading("H" * 400),
            Text(long_text),
            Table(("Name", "Discipline", "Done"), rows),
            *[Text(f"para {i}") for i in range(60)],
        ),
        summary="y" * 5000,
    )
    parts = render.render(message)
    assert len(parts) >= 2
    for part in parts:
        assert len(part.blocks) <= render.MAX_BLOCKS
        assert FakeSlack._blocks_problem(part.blocks) is None
        assert len(part.text) <= render.MAX_FALLBACK
    header = parts[0].blocks[0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")
    # Nothing is lost: every line of the text and every row of the table is somewhere.
    everything = json.dumps([p.blocks for p in parts])
    assert "line 199 " in everything and "Person 399" in everything and "para 59" in everything


def test_chosen_replaces_buttons_with_a_note() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}},
        {"type": "actions", "elements": []},
    ]
    assert render.chosen(blocks, "✓ Mark complete") == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "✓ Mark complete"}]},
    ]


def test_home_view_stays_within_100_blocks() -> None:
    messages = [Message(tuple(Text(f"t{i}-{j}") for j in range(30)), "s") for i in range(5)]
    view = render.home_view(messages)
    assert view["type"] == "home" and len(view["blocks"]) == 100
    assert view["blocks"][-1]["type"] == "context"
