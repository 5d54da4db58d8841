"""Handlers for team channels: linking a channel, champions' shout-outs, and home views."""

from __future__ import annotations

import re

from sqlmodel import col, delete, select

from bot import commands as c
from bot import views
from bot.context import Ctx, Refused
from bot.guard import privacy_refusal
from bot.markup import escape
from bot.mentions import channel_md, mention
from bot.messages import ChannelRef, Message, Outgoing
from bot.models import Person, TeamChannel
from bot.scopes import Scope, limit_to_own_team, team_named
from bot.store import link_identity, person_by_email, person_for_identity, team_of
from bot.templates import Markdown
from bot.timeparse import parse_clock

_CHANNEL_TOKEN = re.compile(r"^#(?P<name>\S+)\s*")


def link_channel(ctx: Ctx, cmd: c.LinkChannel) -> list[Message | Outgoing]:
    """Link a team to a chat channel, where its celebrations and case prompts will go."""
    incoming = ctx.incoming
    if incoming is None:
        return [ctx.say("link.needs_chat")]
    rest = cmd.args.strip()
    token = _CHANNEL_TOKEN.match(rest)
    if token:
        name = token.group("name").lstrip("#")
        ref = next((ch for ch in incoming.channels if ch.name == name or ch.id == name), None)
        if ref is None:
            return [ctx.say("link.unknown_channel", text="#" + name)]
        rest = rest[token.end() :]
    elif incoming.in_channel and incoming.conversation_id:
        ref = ChannelRef(incoming.conversation_id, "")
    else:
        return [ctx.say("link.where")]
    if not rest:
        return [ctx.say("link.where")]
    team = team_named(ctx, rest)
    platform = incoming.platform
    previous = ctx.session.exec(
        select(TeamChannel).where(
            TeamChannel.platform == platform, TeamChannel.channel_id == ref.id
        )
    ).first()
    moved_from = team_of(ctx.session, previous.team_id) if previous else None
    ctx.session.execute(
        delete(TeamChannel).where(
            col(TeamChannel.platform) == platform,
            (col(TeamChannel.team_id) == team.id) | (col(TeamChannel.channel_id) == ref.id),
        )
    )
    ctx.session.add(
        TeamChannel(
            team_id=team.id or 0,
            platform=platform,
            channel_id=ref.id,
            linked_at=ctx.now(),
            linked_by=ctx.actor.label,
        )
    )
    ctx.audit("team.link", f"{team.key} -> {platform}:{ref.id}", ref.name)
    answer: list[Message | Outgoing] = [
        ctx.say("link.done", team=team.name, channel=channel_md(ref), platform=platform)
    ]
    if moved_from is not None and moved_from.id != team.id:
        answer.append(ctx.say("link.moved", team=moved_from.name, channel=channel_md(ref)))
    answer.append(
        Outgoing(ctx.say("link.hello", team=team.name), visibility="public", channel_id=ref.id)
    )
    return answer


def _mentioned_people(ctx: Ctx) -> list[Person]:
    incoming = ctx.incoming
    assert incoming is not None
    people: list[Person] = []
    for m in incoming.mentions:
        person = person_for_identity(ctx.session, incoming.platform, m.user_id)
        if person is None and m.email:
            person = person_by_email(ctx.session, m.email)
            if person is not None:
                link_identity(ctx.session, incoming.platform, m.user_id, person.id or 0, ctx.now())
        if person is None:
            raise Refused(ctx.say("shoutout.unknown_person", name=m.name or m.user_id))
        if person not in people:
            people.append(person)
    return people


def _without_mentions(ctx: Ctx, text: str) -> str:
    incoming = ctx.incoming
    assert incoming is not None
    for m in incoming.mentions:
        for token in (f"@{m.name}", f"@{m.user_id}"):
            text = text.replace(token, " ")
    return " ".join(text.split()).strip(" :,-–")


def shoutout(ctx: Ctx, cmd: c.Shoutout) -> list[Message | Outgoing]:
    """A champion thanks teammates publicly, in the team's channel, with real mentions."""
    incoming = ctx.incoming
    if incoming is None:
        return [ctx.say("link.needs_chat")]
    if not incoming.mentions:
        return [ctx.say("shoutout.usage")]
    people = _mentioned_people(ctx)
    words = _without_mentions(ctx, cmd.text)
    if not words:
        return [ctx.say("shoutout.usage")]
    blocked = privacy_refusal(ctx, words)
    if blocked is not None:
        return [blocked]
    for person in people:
        limit_to_own_team(ctx, Scope(person=person))
    default = ctx.content.initiative.defaults.celebrate_publicly
    private = [
        p
        for p in people
        if not (p.celebrate_publicly if p.celebrate_publicly is not None else default)
    ]
    if private:
        return [ctx.say("shoutout.private", name=", ".join(p.name for p in private))]
    team = team_of(ctx.session, people[0].team_id)
    link = (
        ctx.session.exec(
            select(TeamChannel).where(
                TeamChannel.team_id == (team.id if team else -1),
                TeamChannel.platform == incoming.platform,
            )
        ).first()
        if team
        else None
    )
    channel_id: str | None
    if link is not None:
        channel_id = link.channel_id
    elif incoming.in_channel and incoming.conversation_id:
        channel_id = incoming.conversation_id
    elif not incoming.has_channels:
        channel_id = None  # the terminal: shown here, as the team channel would show it
    else:
        return [ctx.say("shoutout.no_channel", team=team.name if team else "-")]
    who = Markdown(", ".join(mention(ctx, p, incoming.platform) for p in people))
    sender = ctx.actor.person.name if ctx.actor.person else ctx.actor.label
    post = ctx.say("shoutout.post", who=who, message=words, sender=sender)
    ctx.audit("shoutout", ", ".join(p.email for p in people), words[:500])
    sent = ctx.say(
        "shoutout.sent",
        who=", ".join(p.name for p in people),
        channel=channel_md(ChannelRef(channel_id, ""))
        if channel_id
        else Markdown(escape(ctx.plain("shoutout.team_channel", team=team.name if team else "-"))),
    )
    return [Outgoing(post, visibility="public", channel_id=channel_id), sent]


# --- home ----------------------------------------------------------------------------------


def home(ctx: Ctx, cmd: c.Home) -> list[Message | Outgoing]:
    """Progress, the next course, settings and (for admins and leaders) the initiative summary."""
    messages: list[Message | Outgoing] = [
        *views.progress(ctx),
        *views.next_course(ctx),
        *views.settings(ctx),
    ]
    if ctx.actor.is_admin or ctx.actor.has("senior_leader"):
        messages.append(views.admin_summary(ctx))
    return messages


_MEETING = re.compile(
    r"^(?P<team>.+?)\s+(?P<day>mon|tue|wed|thu|fri|sat|sun)\w*\s+(?P<time>\S+)$", re.I
)


def team_meeting(ctx: Ctx, cmd: c.TeamMeeting) -> list[Message]:
    """Record a team's standing meeting (case prompts can be timed ahead of it)."""
    m = _MEETING.match(" ".join(cmd.args.split()))
    clock = parse_clock(m.group("time")) if m else None
    if m is None or clock is None:
        return [ctx.say("team.meeting_bad", text=cmd.args)]
    team = team_named(ctx, m.group("team"))
    limit_to_own_team(ctx, Scope(team=team))
    team.meeting = f"{m.group('day')[:3].lower()} {clock:%H:%M}"
    ctx.session.add(team)
    ctx.audit("team.meeting", team.key, team.meeting)
    return [ctx.say("team.meeting_set", team=team.name, meeting=team.meeting)]
