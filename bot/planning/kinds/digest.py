"""Each champion's weekly digest of their own team: who finished something this week,
what is worth celebrating (pathways finished and the designations they earned, team
milestones, the week's shout-outs), who is stuck (three reminders with no progress),
and who has not started. Only the champion sees it; no one's lack of progress is
posted publicly."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.context import Ctx
from bot.markup import escape
from bot.messages import Block, Heading, Text
from bot.models import Celebration, OutboxMessage, Person, PersonRole, Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.planning.state import PersonState
from bot.progress import next_step, statuses
from bot.shoutouts import given_to
from bot.templates import Markdown


def for_person(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    state: PersonState,
    cache: dict[Any, str],
) -> str | None:
    champion = state.person
    ctx = planning.ctx(session, champion)
    if not session.exec(
        select(PersonRole).where(PersonRole.person_id == champion.id, PersonRole.role == "champion")
    ).first():
        return None
    team = session.get(Team, champion.team_id)
    if team is None:
        return None
    now = planning.clock.now()
    week_ago = now - timedelta(days=7)
    members = list(session.exec(select(Person).where(Person.team_id == team.id)))
    ids = [m.id for m in members]
    stuck_ids = set(
        session.exec(
            select(OutboxMessage.person_id).where(
                col(OutboxMessage.person_id).in_(ids),
                OutboxMessage.kind == "next_course",
                OutboxMessage.status == "skipped",
                col(OutboxMessage.last_error).startswith("stuck"),
                col(OutboxMessage.created_at) >= week_ago,
            )
        )
    )
    states = planning.load(session, members)
    stuck = [m.name for m in members if m.id in stuck_ids]
    behind = [
        m.name
        for m in members
        if states[m.id or 0].enrolled
        and m.id not in stuck_ids
        and next_step(
            statuses(
                planning.content, states[m.id or 0].enrolled, states[m.id or 0].completed.keys()
            )
        )
        is not None
        and max(states[m.id or 0].completed.values(), default=None) is None
    ]
    done = sorted(
        {
            m.name
            for m in members
            if any(t >= week_ago for t in states[m.id or 0].completed.values())
        }
    )
    blocks: list[Block] = [Heading(ctx.plain("digest.heading", team=team.name))]
    if done:
        items = Markdown("\n".join("- " + escape(n) for n in done[:25]))
        blocks.append(Text(ctx.md("digest.done", items=items, count=len(done))))
    blocks += _worth_celebrating(planning, session, ctx, team, members, states, week_ago)
    for key, names in (
        ("digest.stuck", stuck),
        ("digest.behind", behind),
    ):
        if names:
            items = Markdown("\n".join("- " + escape(n) for n in names[:25]))
            blocks.append(Text(ctx.md(key, items=items, count=len(names))))
    if len(blocks) == 1:
        blocks.append(Text(ctx.md("digest.quiet")))
    blocks.append(ctx.actions(ctx.button("button.report", f"report team:{team.key}")))
    return ctx.message("digest", blocks).to_json()


def _worth_celebrating(
    planning: Planning,
    session: Session,
    ctx: Ctx,
    team: Team,
    members: list[Person],
    states: dict[int, PersonState],
    week_ago: datetime,
) -> list[Block]:
    """The week's pathways finished (and the designations they earned), team milestones,
    and shout-outs: for the champion's eyes, so everyone is listed, whatever their
    "celebrate me"."""
    blocks: list[Block] = []
    finished = []
    for member in members:
        state = states[member.id or 0]
        for enrolled in state.enrolled:
            pathway = planning.content.pathways.get(enrolled.pathway_id)
            if pathway is None or not all(c in state.completed for c in pathway.courses):
                continue
            if max(state.completed[c] for c in pathway.courses) >= week_ago:
                finished.append(
                    "- "
                    + ctx.md(
                        "digest.pathway_item",
                        name=member.name,
                        pathway=pathway.title,
                        designation=pathway.designation,
                    )
                )
    if finished:
        items = Markdown("\n".join(finished[:25]))
        blocks.append(Text(ctx.md("digest.pathways", items=items, count=len(finished))))
    milestones = session.exec(
        select(Celebration.subject).where(
            Celebration.team_id == team.id,
            Celebration.kind == "milestone",
            col(Celebration.created_at) >= week_ago,
        )
    ).all()
    if milestones:
        reached = ", ".join(
            ctx.plain("digest.milestone_item", percent=m) for m in sorted(milestones, key=int)
        )
        blocks.append(Text(ctx.md("digest.milestones", items=reached)))
    given = given_to(session, team.id or 0, week_ago, planning.clock.now())
    if given:
        lines = [
            "- "
            + ctx.md(
                "digest.shoutout_item",
                who=", ".join(p.name for p in g.people)
                if g.people
                else ctx.plain("shoutout.whole_team", team=team.name),
                message=_short(g.shoutout.text),
                sender=g.giver.name if g.giver else g.shoutout.giver,
            )
            for g in given[:15]
        ]
        items = Markdown("\n".join(lines))
        blocks.append(Text(ctx.md("digest.shoutouts", items=items, count=len(given))))
    return blocks


def _short(text: str, limit: int = 200) -> str:
    """A shout-out's words, cut at a word near ``limit`` characters for the list."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


KIND = Kind(
    name="digest",
    words=("digest", "champion-digest"),
    reaches="people",
    for_person=for_person,
    suits=lambda person: person.team_id is not None,
)
