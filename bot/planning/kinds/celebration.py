"""Celebrations in a team's channel: a finished course (with a real mention), a finished
pathway, a team milestone, and a digest when many finish at once (an import).

Not scheduled by anyone: completions record them (:mod:`bot.celebrations`) and the
planner posts them once they have settled; this module says them.
"""

from __future__ import annotations

from sqlmodel import Session

from bot.celebrations import celebrates
from bot.compose import credits_text
from bot.mentions import mention
from bot.messages import Block, Divider, Heading, Text
from bot.models import Celebration, Person, Team
from bot.planning.kinds.base import Planning
from bot.templates import Markdown


def one(
    planning: Planning, session: Session, item: Celebration, team: Team | None, platform: str
) -> str | None:
    """The post for one celebration (as JSON), or None if it is no longer to be said."""
    ctx = planning.ctx(session, None)
    if item.kind == "milestone":
        message = ctx.say(
            "celebrate.milestone", team=team.name if team else "-", percent=item.subject
        )
        return message.to_json()
    person = session.get(Person, item.person_id) if item.person_id else None
    if person is None or not celebrates(person, planning.content):
        return None  # gone, or has said "celebrate me: no" since finishing
    who = mention(ctx, person, platform)
    if item.kind == "course":
        course = planning.content.courses.get(item.subject)
        if course is None:
            return None
        return ctx.say(
            "celebrate.course",
            who=who,
            title=course.title,
            credits=credits_text(ctx, dict(course.credits), person.discipline),
        ).to_json()
    pathway = planning.content.pathways.get(item.subject)
    if pathway is None:
        return None
    blocks: list[Block] = [
        Heading(ctx.plain("celebrate.pathway_heading")),
        Text(
            ctx.md(
                "celebrate.pathway",
                who=who,
                pathway=pathway.title,
                designation=pathway.designation,
            )
        ),
        Divider(),
    ]
    return ctx.message("celebrate.pathway", blocks).to_json()


def digest(
    planning: Planning,
    session: Session,
    items: list[Celebration],
    team: Team | None,
    platform: str,
) -> str | None:
    """One post for many finished courses of one team (as JSON), or None."""
    ctx = planning.ctx(session, None)
    lines = []
    for item in items:
        person = session.get(Person, item.person_id) if item.person_id else None
        course = planning.content.courses.get(item.subject)
        if person is not None and course is not None and celebrates(person, planning.content):
            lines.append(
                "- "
                + ctx.md(
                    "celebrate.digest_item",
                    who=mention(ctx, person, platform),
                    title=course.title,
                )
            )
    if not lines:
        return None
    message = ctx.say(
        "celebrate.digest_heading",
        Text(Markdown("\n".join(lines[:40]))),
        team=team.name if team else "-",
        count=len(lines),
    )
    return message.to_json()
