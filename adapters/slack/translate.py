"""Slack payloads and Slack-formatted text, translated into what the core reads.

Pure functions, tested with payloads shaped like Slack's documentation.
Slack writes a mention as ``<@U123>``, a channel as ``<#C123|name>``, a link
as ``<https://x|label>`` and an email as ``<mailto:a@b.org|a@b.org>``, and
escapes ``&``, ``<`` and ``>``; the core wants ``@Name``, ``#name`` and the
plain words a person typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.render import ACTION_ID
from bot.messages import ChannelRef

PLATFORM = "slack"
_TOKEN = re.compile(r"<(?P<sigil>[@#!])?(?P<target>[^>|]+)(?:\|(?P<label>[^>]*))?>")


@dataclass(frozen=True)
class SlackText:
    """Slack text made plain, with the people and channels it mentioned, in order."""

    text: str
    mentions: tuple[str, ...]
    channels: tuple[ChannelRef, ...]


def mentioned_users(text: str) -> list[str]:
    """User ids mentioned in Slack text, in order, without repeats."""
    found = [m.group("target") for m in _TOKEN.finditer(text) if m.group("sigil") == "@"]
    return list(dict.fromkeys(found))


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str, names: Mapping[str, str], drop: frozenset[str] = frozenset()) -> SlackText:
    """Plain words from Slack text; mentions become ``@Name`` (using ``names``).

    Mentions of the ids in ``drop`` (the bot itself) are removed.
    """
    mentions: list[str] = []
    channels: list[ChannelRef] = []

    def replace(match: re.Match[str]) -> str:
        sigil, target, label = match.group("sigil"), match.group("target"), match.group("label")
        if sigil == "@":
            if target in drop:
                return ""
            if target not in mentions:
                mentions.append(target)
            return "@" + (names.get(target) or label or target)
        if sigil == "#":
            name = label or target
            channels.append(ChannelRef(target, name))
            return "#" + name
        if sigil == "!":
            return "@" + (label or target.split("^")[0])
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return label or target

    flat = _TOKEN.sub(replace, text)
    tidy = re.sub(r"[ \t]{2,}", " ", unescape(flat)).strip()
    return SlackText(tidy, tuple(mentions), tuple(channels))


def is_person_dm(event: Mapping[str, Any]) -> bool:
    """A message a person typed in a direct message with the bot (not an edit or a bot post)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


def is_thread_reply(event: Mapping[str, Any], bot_user: str | None) -> bool:
    """A person's reply in a thread under one of Huddle's own channel posts (a case
    discussion, a celebration), which the bot sees in the channels it is in."""
    thread = event.get("thread_ts")
    parent = event.get("parent_user_id")
    return (
        event.get("type") == "message"
        and event.get("channel_type") in ("channel", "group")
        and event.get("subtype") in (None, "thread_broadcast")
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(thread)
        and thread != event.get("ts")
        # Slack names the thread's author; without a name, Huddle's posts can't be told apart.
        and (bot_user is None or parent is None or parent == bot_user)
    )


def is_file_share(event: Mapping[str, Any]) -> bool:
    """Files a person sent in a direct message with the bot (with any words they typed)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and event.get("subtype") == "file_share"
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(event.get("files"))
    )


@dataclass(frozen=True)
class Click:
    """A button click from a block_actions payload."""

    user_id: str
    command: str
    label: str
    container: str  # "message" or "view"
    channel_id: str | None
    message_ts: str | None
    thread_ts: str | None
    ephemeral: bool
    blocks: tuple[Mapping[str, Any], ...]
    message_text: str
    response_url: str | None
    #: The user the button acts for ("" for anyone), from its action id.
    owner: str = ""


def click(body: Mapping[str, Any]) -> Click:
    """The first button action of a block_actions payload."""
    action = body["actions"][0]
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return Click(
        user_id=body["user"]["id"],
        command=str(action.get("value") or ""),
        label=str((action.get("text") or {}).get("text") or ""),
        container="view" if container.get("type") == "view" else "message",
        channel_id=channel,
        message_ts=container.get("message_ts") or message.get("ts"),
        thread_ts=message.get("thread_ts"),
        ephemeral=bool(container.get("is_ephemeral")),
        blocks=tuple(message.get("blocks") or ()),
        message_text=str(message.get("text") or ""),
        response_url=body.get("response_url"),
        owner=_owner(str(action.get("action_id") or "")),
    )


def _owner(action_id: str) -> str:
    """The user a button acts for, from its action id (``huddle-3.U0123``), else ""."""
    found = ACTION_ID.match(action_id)
    return (found.group("owner") or "") if found else ""
