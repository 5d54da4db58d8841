"""Finding a course or a pathway from what someone typed (partial titles, typos, ids)."""

from __future__ import annotations

from bot import matching
from bot.content import Content, Course, Pathway
from bot.context import Ctx


def pathway_candidates(ctx: Ctx) -> list[matching.Candidate]:
    return [
        matching.Candidate(p.id, p.title, (p.designation, p.level))
        for p in ctx.content.pathways.values()
    ]


def find_pathway(ctx: Ctx, text: str) -> tuple[Pathway | None, list[Pathway]]:
    chosen, options = matching.pick(text, pathway_candidates(ctx))
    pathways = ctx.content.pathways
    return (pathways[chosen.id] if chosen else None), [pathways[o.id] for o in options]


def course_candidates(ctx: Ctx) -> list[matching.Candidate]:
    return courses_to_match(ctx.content)


def courses_to_match(content: Content) -> list[matching.Candidate]:
    """Every course, as titles are matched against it."""
    return [
        matching.Candidate(x.id, x.title, (x.id.replace("-", " "),))
        for x in content.courses.values()
    ]


def find_course(ctx: Ctx, text: str, prefer: set[str]) -> tuple[Course | None, list[Course]]:
    """One course for what was typed, or the plausible ones (the person's own first)."""
    courses = ctx.content.courses
    chosen, options = matching.pick(text, course_candidates(ctx))
    if chosen is None and options:
        # Ambiguity among many courses is often none among the person's own.
        own = [o for o in options if o.id in prefer]
        if len(own) == 1 and matching.score(text, own[0]) >= matching.GOOD + 0.1:
            chosen = own[0]
        else:
            options.sort(key=lambda o: o.id not in prefer)
    return (courses[chosen.id] if chosen else None), [courses[o.id] for o in options]
