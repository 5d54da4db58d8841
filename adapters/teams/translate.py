"""Teams activities translated into what the core reads. Pure functions on activity JSON.

Teams writes a mention as ``<at>Name</at>`` in the text plus a mention entity,
may wrap channel messages in HTML, and sends an Adaptive Card button press as
a message whose ``value`` holds the button's data. The core wants the plain
words, ``@Name`` for people, and the same words for a click as for typing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from adapters.teams.cards import COMMAND, FIELD, FORM, OWNER
from bot.messages import Form, FormField, Incoming, Mention

PLATFORM = "teams"
_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div)\s*/?>", re.I)


def channel_conversation(conversation_id: str) -> str:
    """A channel's conversation id without the ';messageid=' of a thread inside it."""
    return conversation_id.split(";messageid=")[0]


def _mentions(activity: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [e for e in activity.get("entities") or [] if e.get("type") == "mention"]


def plain_text(activity: Mapping[str, Any]) -> tuple[str, tuple[Mention, ...]]:
    """The words typed, with the bot's own mention removed and others as ``@Name``."""
    text = str(activity.get("text") or "")
    bot_id = (activity.get("recipient") or {}).get("id")
    mentions: list[Mention] = []
    for entity in _mentions(activity):
        who = entity.get("mentioned") or {}
        tag = str(entity.get("text") or "")
        if who.get("id") == bot_id:
            text = text.replace(tag, " ")
            continue
        name = str(who.get("name") or _AT.sub(r"\1", tag))
        mentions.append(Mention(user_id=str(who.get("id")), name=name))
        if tag:
            text = text.replace(tag, "@" + name)
    text = _AT.sub(lambda m: "@" + m.group(1), text)  # any mention without an entity
    text = _TAG.sub("", _BREAK.sub("\n", text))
    lines = [
        " ".join(line.split()) for line in html.unescape(text).replace("\xa0", " ").split("\n")
    ]
    return "\n".join(line for line in lines if line).strip(), tuple(mentions)


def submitted_command(activity: Mapping[str, Any]) -> str | None:
    """The words behind a card button press, or None if this is not one of ours.

    A form's button carries the command with a ``{name}`` per field, and Teams adds
    what was chosen or written in each input to its data: those are filled in, as
    :meth:`bot.messages.Form.fill` does, so a form takes the same road as typing.
    """
    value = activity.get("value")
    if not (isinstance(value, Mapping) and isinstance(value.get(COMMAND), str)):
        return None
    names = value.get(FORM)
    if not isinstance(names, list):
        return str(value[COMMAND])
    fields = tuple(FormField(str(n), str(n)) for n in names)
    form = Form(title="", fields=fields, command=str(value[COMMAND]), submit="")
    given = {f.name: value.get(FIELD + f.name) for f in fields}
    return form.fill({k: v if isinstance(v, str) else "" for k, v in given.items()})


def conversation_kind(activity: Mapping[str, Any]) -> str:
    kind = str((activity.get("conversation") or {}).get("conversationType") or "personal")
    return {"channel": "channel", "groupChat": "group"}.get(kind, "personal")


def tenant_of(activity: Mapping[str, Any]) -> str | None:
    """The tenant id, from channelData (where Teams always puts it), else the conversation."""
    channel_data = activity.get("channelData") or {}
    tenant = (channel_data.get("tenant") or {}).get("id")
    return tenant or (activity.get("conversation") or {}).get("tenantId")


def incoming(
    activity: Mapping[str, Any], email: str | None = None, display_name: str | None = None
) -> Incoming:
    """The core's Incoming for a message activity (typed text or a card button press)."""
    sender = activity.get("from") or {}
    conversation = activity.get("conversation") or {}
    kind = conversation_kind(activity)
    command = submitted_command(activity)
    mentions: tuple[Mention, ...] = ()
    if command is not None:
        text, via = command, "button"
    else:
        text, mentions = plain_text(activity)
        via = "direct" if kind == "personal" else "mention"
    return Incoming(
        platform=PLATFORM,
        user_id=str(sender.get("id")),
        text=text,
        via=via,  # type: ignore[arg-type]
        email=email,
        display_name=display_name or sender.get("name"),
        conversation_id=channel_conversation(str(conversation.get("id"))),
        in_channel=kind != "personal",
        mentions=mentions,
        button_owner=button_owner(activity) if command is not None else "",
    )


def button_owner(activity: Mapping[str, Any]) -> str:
    """The user a pressed card button acts for ("" for anyone)."""
    value = activity.get("value")
    owner = value.get(OWNER) if isinstance(value, Mapping) else None
    return owner if isinstance(owner, str) else ""


def reference(activity: Mapping[str, Any]) -> dict[str, Any]:
    """What a later proactive message needs to reach this conversation again."""
    conversation = activity.get("conversation") or {}
    sender = activity.get("from") or {}
    bot = activity.get("recipient") or {}
    return {
        "channel_id": activity.get("channelId") or "msteams",
        "service_url": activity.get("serviceUrl"),
        "tenant_id": tenant_of(activity),
        "conversation_id": channel_conversation(str(conversation.get("id"))),
        "conversation_type": conversation.get("conversationType") or "personal",
        "bot_id": bot.get("id"),
        "bot_name": bot.get("name"),
        "user_id": sender.get("id"),
        "aad_object_id": sender.get("aadObjectId"),
    }
