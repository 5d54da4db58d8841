"""Pieces of messages that handlers and scheduled messages both say.

The person asking, how to call them, credits as their discipline can claim them,
account-setup steps and a course's lines: built once here, from templates.
"""

from __future__ import annotations

from bot.content import Course
from bot.context import Ctx
from bot.markup import escape
from bot.messages import Block, Heading, Text
from bot.models import Person
from bot.progress import PathwayStatus
from bot.templates import Markdown
from bot.timeparse import format_date


def me(ctx: Ctx) -> Person:
    """The person asking; handlers in this module are only reached with one."""
    person = ctx.actor.person
    assert person is not None
    assert person.id is not None
    return person


def first_name(person: Person) -> str:
    """What to call someone in a friendly line: the first word of their name."""
    return person.name.split()[0] if person.name.split() else person.name


def credits_text(ctx: Ctx, credits: dict[str, float], discipline: str | None = None) -> Markdown:
    """Credits as "0.75 CNE"; with a discipline, only the types it can claim."""
    if discipline is not None:
        credits = ctx.content.initiative.credits_for(discipline, credits)
    if not credits:
        return ctx.md("credits.none")
    return Markdown(" · ".join(f"{amount:g} {kind}" for kind, amount in sorted(credits.items())))


def discipline_name(ctx: Ctx, discipline: str) -> str:
    return ctx.plain(f"discipline.{discipline}")


def bullets(items: list[str] | tuple[str, ...]) -> Markdown:
    return Markdown("\n".join("- " + escape(item) for item in items))


def setup_blocks(ctx: Ctx) -> list[Block]:
    setup = ctx.content.initiative.setup
    steps = bullets(setup.steps)
    return [
        Heading(ctx.plain("setup.heading", site=setup.site)),
        Text(
            ctx.md(
                "setup.instructions",
                site=setup.site,
                url=setup.url,
                steps=steps,
                contact_name=setup.contact.name,
                contact_email=setup.contact.email,
                contact_phone=setup.contact.phone,
            )
        ),
    ]


def course_blocks(ctx: Ctx, status: PathwayStatus, course: Course) -> list[Block]:
    person = me(ctx)
    topic = ctx.content.initiative.topics[course.topic]
    blocks: list[Block] = [
        Heading(ctx.plain("next.heading", topic=topic.title)),
        Text(
            ctx.md(
                "next.course",
                title=course.title,
                url=course.url,
                minutes=course.minutes,
                credits=credits_text(ctx, dict(course.credits), person.discipline),
                provider=course.provider,
                summary=course.summary,
                pathway=status.pathway.title,
                step=len(status.done) + 1,
                total=status.total,
            )
        ),
        Text(
            ctx.md("next.why", why=topic.why.for_discipline(person.discipline), topic=topic.title)
        ),
    ]
    if status.enrolled.due_on:
        blocks.append(Text(ctx.md("next.due", due=format_date(status.enrolled.due_on))))
    return blocks
