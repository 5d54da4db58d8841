"""Handlers for teams: linking a channel, a team's standing meeting, the roster with each
person's progress, and home views (shout-outs are in :mod:`bot.handlers.recognition`)."""

from __future__ import annotations

import re

from sqlmodel import col, delete, select

from bot import commands as c
from bot import roster_pages, views
from bot.compose import discipline_name
from bot.context import Ctx, Refused
from bot.mentions import channel_md
from bot.messages import Block, ChannelRef, Heading, Message, Outgoing, Table, Text
from bot.models import TeamChannel
from bot.scopes import Scope, limit_to_own_team, parse_scope, team_named
from bot.store import team_of
from bot.timeparse import format_date, parse_clock

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
            workspace=incoming.workspace,
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


# --- the roster ----------------------------------------------------------------------------


def roster(ctx: Ctx, cmd: c.Roster) -> list[Message]:
    """The people and each one's progress, a page at a time: everyone (or a team, a
    discipline, a pathway's people) for admins and senior leaders, a champion's own team."""
    scope = parse_scope(ctx, cmd.text) if cmd.text else Scope(everyone=True)
    if scope.person is not None:
        raise Refused(ctx.say("roster_page.usage"))
    if not (ctx.actor.is_admin or ctx.actor.has("senior_leader")):
        scope = limit_to_own_team(ctx, scope)
    found = roster_pages.page(
        ctx.session,
        ctx.content,
        team_id=scope.team.id if scope.team is not None else None,
        discipline=scope.discipline,
        pathway=scope.pathway,
        number=cmd.page,
    )
    described = scope.describe(ctx)
    if scope.pathway:
        pathway = ctx.content.pathways.get(scope.pathway)
        described = ctx.plain(
            "scope.and",
            left=described,
            right=pathway.title if pathway is not None else scope.pathway,
        )
    if not found.total:
        return [ctx.say("report.empty", scope=described)]
    rows = tuple(
        (
            row.person.name,
            row.team,
            discipline_name(ctx, row.person.discipline),
            "; ".join(f"{s.pathway.title} {len(s.done)}/{s.total}" for s in row.statuses)
            or ctx.plain("roster_page.not_enrolled"),
            str(row.verified),
            str(row.self_reported),
            format_date(row.last.astimezone(ctx.zone).date()) if row.last else "-",
        )
        for row in found.rows
    )
    blocks: list[Block] = [
        Heading(ctx.plain("roster_page.heading", scope=described)),
        Text(
            ctx.md(
                "roster_page.showing",
                first=f"{found.first:,}",
                last=f"{found.last:,}",
                total=f"{found.total:,}",
                page=found.number,
                pages=found.pages,
            )
        ),
        Table(tuple(ctx.plain("roster_page.columns").split("|")), rows),
    ]
    words = " ".join(
        f"{kind}:{value}"
        for kind, value in (
            ("team", scope.team.key if scope.team is not None else None),
            ("discipline", scope.discipline),
            ("pathway", scope.pathway),
        )
        if value
    )
    taps = []
    if found.has_previous:
        taps.append(
            ctx.button(
                "button.roster_previous",
                " ".join(filter(None, ("roster", words, f"page {found.number - 1}"))),
            )
        )
    if found.has_next:
        taps.append(
            ctx.button(
                "button.roster_next",
                " ".join(filter(None, ("roster", words, f"page {found.number + 1}"))),
                "primary",
            )
        )
    if taps:
        blocks.append(ctx.actions(*taps))
    return [ctx.message("roster", blocks)]
