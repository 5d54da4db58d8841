"""Each champion's weekly digest of their own team: who finished something this week,
who is stuck (three reminders with no progress), and who has not started. Only the
champion sees it; no one's lack of progress is posted publicly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.markup import escape
from bot.messages import Block, Heading, Text
from bot.models import OutboxMessage, Person, PersonRole, Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.planning.state import PersonState
from bot.progress import next_step, statuses
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
    for key, names in (
        ("digest.done", done),
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


KIND = Kind(
    name="digest",
    words=("digest", "champion-digest"),
    reaches="people",
    for_person=for_person,
    suits=lambda person: person.team_id is not None,
)
