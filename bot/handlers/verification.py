"""Verifying what people reported themselves: one at a time, or a team's list in one tap.

A completion a person reports stays *self-reported* until the learning site's records
(an import, an xAPI statement) or a champion's or admin's word verify it. Contests may
count verified completions only, so champions get the list of their team's
self-reports and verify them here; every verification is in the audit trail.
"""

from __future__ import annotations

import json

from sqlmodel import col, select

from bot import commands as c
from bot import ledger
from bot.catalog import find_course
from bot.context import Ctx, Refused
from bot.messages import Block, Button, Message, Table, Text
from bot.models import Completion, Person
from bot.scopes import Scope, limit_to_own_team, parse_scope
from bot.store import person_by_email
from bot.timeparse import format_date

#: Self-reports listed at once (the rest are counted); a batch verifies the listed ones.
LISTED = 15
#: Buttons to verify one listed completion, beside the one that verifies them all.
ONE_TAP = 3


def _scope(ctx: Ctx, words: str) -> Scope:
    scope = parse_scope(ctx, words) if words else Scope(everyone=True)
    return limit_to_own_team(ctx, scope)


def _waiting(ctx: Ctx, scope: Scope, up_to: int | None = None) -> list[tuple[Completion, Person]]:
    """Self-reports in the scope not verified yet, oldest first."""
    query = (
        select(Completion, Person)
        .join(Person, col(Person.id) == col(Completion.person_id))
        .where(col(Completion.verified).is_(False))
    )
    if scope.team is not None:
        query = query.where(col(Person.team_id) == scope.team.id)
    if scope.discipline is not None:
        query = query.where(col(Person.discipline) == scope.discipline)
    if scope.person is not None:
        query = query.where(col(Person.id) == scope.person.id)
    if up_to is not None:
        query = query.where(col(Completion.id) <= up_to)
    ordered = query.order_by(col(Completion.completed_at), col(Completion.id))
    return [(done, person) for done, person in ctx.session.exec(ordered)]


def _source(ctx: Ctx) -> str:
    return "admin" if ctx.actor.is_admin else "champion"


def list_unverified(ctx: Ctx, cmd: c.ListUnverified) -> list[Message]:
    """The scope's self-reports waiting for a word, with one button for them all."""
    scope = _scope(ctx, cmd.scope)
    described = scope.describe(ctx)
    waiting = _waiting(ctx, scope)
    if not waiting:
        return [ctx.say("verify.none", scope=described)]
    shown = waiting[:LISTED]
    rows = tuple(
        (
            person.name,
            ctx.content.courses[done.course_id].title
            if done.course_id in ctx.content.courses
            else done.course_id,
            format_date(done.completed_at.astimezone(ctx.zone).date()),
        )
        for done, person in shown
    )
    columns = tuple(ctx.plain("verify.columns").split("|"))
    blocks: list[Block] = [
        Text(ctx.md("verify.list", count=len(waiting), scope=described)),
        Table(columns, rows, more=len(waiting) - len(shown)),
    ]
    held = sum(1 for done, _ in waiting if done.held)
    if held:
        blocks.append(Text(ctx.md("verify.held", count=held)))
    last = max(done.id or 0 for done, _ in shown)
    where = f" {cmd.scope.strip()}" if cmd.scope.strip() else ""
    buttons = [
        ctx.button(
            "verify.button_all", f"verify all{where} up to {last}", "primary", count=len(shown)
        )
    ]
    if len(shown) > 1:
        buttons += [
            Button(
                ctx.plain("verify.button_one", name=person.name, course=done.course_id),
                f"verify {person.email} {done.course_id}",
            )
            for done, person in shown[:ONE_TAP]
        ]
    blocks.append(Text(ctx.md("verify.why")))
    blocks.append(ctx.actions(*buttons))
    return [ctx.message("verify_list", blocks)]


def verify(ctx: Ctx, cmd: c.Verify) -> list[Message]:
    """Verify one person's self-reported completion of one course."""
    person = person_by_email(ctx.session, cmd.email)
    if person is None:
        raise Refused(ctx.say("person.not_found", email=cmd.email))
    limit_to_own_team(ctx, Scope(person=person))
    course, options = find_course(ctx, cmd.course, set())
    if course is None:
        buttons = [Button(x.title, f"verify {person.email} {x.id}") for x in options[:5]]
        key = "done.several" if options else "done.not_found"
        return [ctx.say(key, ctx.actions(*buttons), text=cmd.course)]
    existing = ledger.find(ctx.session, person.id or 0, course.id)
    if existing is None:
        return [
            ctx.say(
                "verify.not_reported",
                name=person.name,
                title=course.title,
                email=person.email,
                course=course.id,
            )
        ]
    when = format_date(existing.completed_at.astimezone(ctx.zone).date())
    if not ledger.verify(
        ctx.session, existing, kind=_source(ctx), ref=ctx.actor.label, now=ctx.now()
    ):
        return [ctx.say("record.already", name=person.name, title=course.title, date=when)]
    ctx.audit("completion.verify", person.email, course.id)
    return [ctx.say("record.verified", name=person.name, title=course.title, date=when)]


def verify_all(ctx: Ctx, cmd: c.VerifyAll) -> list[Message]:
    """Verify every self-report listed (up to the last one shown), in one tap."""
    scope = _scope(ctx, cmd.scope)
    described = scope.describe(ctx)
    waiting = _waiting(ctx, scope, cmd.up_to)
    if cmd.up_to is None:
        # Typed without a list: the first page, as the list would show it.
        waiting = waiting[:LISTED]
    if not waiting and not _waiting(ctx, scope):
        return [ctx.say("verify.none", scope=described)]
    now = ctx.now()
    verified = [
        (done, person)
        for done, person in waiting
        if ledger.verify(ctx.session, done, kind=_source(ctx), ref=ctx.actor.label, now=now)
    ]
    if verified:
        ctx.audit(
            "completion.verify_batch",
            described,
            json.dumps(
                {
                    "count": len(verified),
                    "completions": [
                        f"{person.email} {done.course_id}" for done, person in verified[:200]
                    ],
                }
            ),
        )
    left = len(_waiting(ctx, scope))
    extra: list[Block] = []
    if left:
        where = f" {cmd.scope.strip()}" if cmd.scope.strip() else ""
        extra.append(Text(ctx.md("verify.more_left", count=left)))
        extra.append(ctx.actions(ctx.button("verify.button_list", f"verify{where}", count=left)))
    if not verified:
        return [ctx.say("verify.already", *extra)]
    return [ctx.say("verify.done", *extra, count=len(verified), scope=described)]
