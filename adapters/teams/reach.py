"""Reaching the members of a team Huddle is added to: pure functions on connector JSON.

A Teams bot may write to someone proactively only through a conversation it already
has with them. When Huddle is added to a team (the manifest asks for
``messageTeamMembers``), it lists the team's members through the connector
(``GET /v3/conversations/{team}/pagedmembers``, page by page), and for each member on
the roster with no personal conversation saved yet it starts one
(``POST /v3/conversations``: the bot, the one member, the tenant, not a group), as
Microsoft's proactive-messaging guidance describes, and saves its reference exactly as
when the person writes first. Nothing is sent then: the conversation is where reminders
will go. The adapter does the requests (paced, off the turn); this module says what to
ask and what to keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Members asked for a page (the connector allows 50 to 500).
PAGE_SIZE = 500
#: Seconds between two requests on the team's own thread (its pages of members): Teams
#: allows a bot 8 in 2 s, 60 in 30 s and 1,800 an hour on one thread.
THREAD_GAP = 0.5


def team_of(activity: Mapping[str, Any]) -> str | None:
    """The id of the team an activity comes from (``channelData.team.id``), or None."""
    team = (activity.get("channelData") or {}).get("team") or {}
    found = team.get("id")
    return str(found) if found else None


def joined_team(activity: Mapping[str, Any]) -> bool:
    """Whether a conversationUpdate says people joined the team itself (not only one of its
    shared or private channels, whose members need not be the team's)."""
    event = (activity.get("channelData") or {}).get("eventType")
    return team_of(activity) is not None and event in (None, "teamMemberAdded")


def addresses(member: Mapping[str, Any]) -> list[str]:
    """The emails a member could be on the roster by: email, then UPN (as a first
    contact's look-up uses), each once."""
    found: list[str] = []
    for key in ("email", "userPrincipalName"):
        value = str(member.get(key) or "").strip().lower()
        if value and value not in found:
            found.append(value)
    return found


def reachable(member: Mapping[str, Any], tenant_id: str | None, bot_id: str | None) -> bool:
    """Whether to consider a member at all: a person (not the bot, nor another bot) of the
    team's own tenant (someone from another organisation in a shared team is left alone)."""
    user_id = str(member.get("id") or "")
    if not user_id or user_id == bot_id or user_id.startswith("28:"):
        return False
    theirs = member.get("tenantId")
    return not (theirs and tenant_id and theirs != tenant_id)


def conversation_parameters(
    team_reference: Mapping[str, Any], member: Mapping[str, Any]
) -> dict[str, Any]:
    """The body of ``POST /v3/conversations`` for a 1:1 chat with ``member``."""
    tenant = team_reference.get("tenant_id")
    return {
        "isGroup": False,
        "bot": {"id": team_reference.get("bot_id") or "", "name": team_reference.get("bot_name")},
        "members": [{"id": str(member["id"])}],
        "tenantId": tenant,
        "channelData": {"tenant": {"id": tenant}},
    }


def personal_reference(
    team_reference: Mapping[str, Any],
    member: Mapping[str, Any],
    conversation_id: str,
    service_url: str | None = None,
) -> dict[str, Any]:
    """What a later proactive message needs, in the shape :func:`translate.reference`
    gives for a personal chat the person opened themselves."""
    return {
        "channel_id": team_reference.get("channel_id") or "msteams",
        "service_url": service_url or team_reference.get("service_url"),
        "tenant_id": team_reference.get("tenant_id"),
        "conversation_id": conversation_id,
        "conversation_type": "personal",
        "bot_id": team_reference.get("bot_id"),
        "bot_name": team_reference.get("bot_name"),
        "user_id": str(member["id"]),
        "aad_object_id": member.get("aadObjectId"),
    }
