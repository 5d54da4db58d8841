"""A de-identified case for a team's weekly discussion, with questions, to its channel.

Each team goes through the cases in order (content/cases/), one per occurrence.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from bot.content import Case, Content
from bot.markup import escape
from bot.messages import Block, Heading, Message, Text
from bot.models import OutboxMessage, Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.templates import Markdown


def for_channel(
    planning: Planning,
    session: Session,
    schedule: Schedule,
    params: dict[str, Any],
    team: Team,
    platform: str,
    occurrence: str,
) -> Message | None:
    ctx = planning.ctx(session, None)
    case = shown(planning.content, session, team.id or 0, occurrence)
    if case is None:
        return None
    course = planning.content.courses.get(case.course)
    topic = planning.content.initiative.topics.get(case.topic)
    questions = Markdown("\n".join("- " + escape(q) for q in case.questions))
    blocks: list[Block] = [
        Heading(ctx.plain("case.heading", title=case.title)),
        Text(
            ctx.md("case.body", vignette=case.vignette, topic=topic.title if topic else case.topic)
        ),
        Text(ctx.md("case.questions", items=questions)),
    ]
    if course is not None:
        blocks.append(Text(ctx.md("case.footer", course=course.title, url=course.url)))
    return ctx.message("case", blocks, ctx.plain("case.heading", title=case.title))


def shown(content: Content, session: Session, team_id: int, occurrence: str) -> Case | None:
    """The case a team is shown at an occurrence: the next in order after those it was
    shown at earlier occurrences (None when the content has no cases)."""
    cases = content.cases
    if not cases:
        return None
    posted = session.exec(
        select(OutboxMessage.occurrence)
        .where(
            OutboxMessage.kind == "case",
            OutboxMessage.team_id == team_id,
            col(OutboxMessage.status).in_(("pending", "sending", "sent")),
        )
        .distinct()
    ).all()
    # Occurrences are local times; one sent on demand is "now-<local time>".
    before = sum(1 for o in posted if o.removeprefix("now-") < occurrence.removeprefix("now-"))
    return cases[before % len(cases)]


KIND = Kind(
    name="case",
    words=("case", "case-prompt", "case-discussion", "cases"),
    reaches="channels",
    for_channel=for_channel,
)
