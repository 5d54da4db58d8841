"""Handlers for what every clinician asks: next course, progress, pathways, completions."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, delete, select

from bot import commands as c
from bot import matching
from bot.celebrations import on_completion, withdraw
from bot.content import Course, Pathway
from bot.context import Ctx
from bot.db import insert_ignore
from bot.markup import escape
from bot.messages import Block, Button, Divider, Heading, Message, ProgressBar, Text
from bot.models import Completion, Enrolment, Person, Snooze
from bot.progress import PathwayStatus, highest_tier, next_step, suggest_next_pathway, sum_credits
from bot.store import status_of
from bot.templates import Markdown
from bot.timeparse import DateError, format_date, parse_date

MAX_CHOICES = 5


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


# --- account setup -------------------------------------------------------------------------


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


def show_setup(ctx: Ctx, cmd: c.ShowSetup) -> list[Message]:
    """Account-setup instructions and the contact, any time."""
    person = me(ctx)
    blocks = setup_blocks(ctx)
    if person.account_confirmed_at is None:
        blocks.append(
            ctx.actions(ctx.button("button.account_created", "I've created my account", "primary"))
        )
    else:
        when = person.account_confirmed_at.astimezone(ctx.zone).date()
        blocks.append(Text(ctx.md("setup.already_confirmed", date=format_date(when))))
    return [
        ctx.message(
            "setup", blocks, ctx.plain("setup.heading", site=ctx.content.initiative.setup.site)
        )
    ]


def confirm_account(ctx: Ctx, cmd: c.ConfirmAccount) -> list[Message]:
    """Record that the person created their learning-site account, then show what's next."""
    person = me(ctx)
    if person.account_confirmed_at is None:
        person.account_confirmed_at = ctx.now()
        person.updated_at = ctx.now()
        ctx.session.add(person)
        first = ctx.say("setup.confirmed", name=first_name(person))
    else:
        when = person.account_confirmed_at.astimezone(ctx.zone).date()
        first = ctx.say("setup.already_confirmed", date=format_date(when))
    return [first, *next_course(ctx, c.NextCourse())]


# --- next course ---------------------------------------------------------------------------


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


def next_course(ctx: Ctx, cmd: c.NextCourse) -> list[Message]:
    """The next course of the person's pathway, with setup instructions until they confirm."""
    person = me(ctx)
    found, _, enrolments = status_of(ctx.session, ctx.content, person.id or 0)
    discipline = discipline_name(ctx, person.discipline)
    blocks: list[Block] = []
    buttons: list[Button] = []
    step = next_step(found)
    if step is not None:
        status, course = step
        if person.account_confirmed_at is None:
            blocks += [*setup_blocks(ctx), Divider()]
        blocks += course_blocks(ctx, status, course)
        others = [s.pathway.title for s in found if not s.complete and s is not status]
        if others:
            blocks.append(Text(ctx.md("next.also", pathways=", ".join(others))))
        buttons.append(ctx.button("button.mark_complete", f"done {course.id}", "primary"))
        buttons.append(ctx.button("button.snooze", f"snooze {course.id} a week"))
        if person.account_confirmed_at is None:
            buttons.append(ctx.button("button.account_created", "I've created my account"))
        buttons.append(ctx.button("button.show_progress", "progress"))
        topic = ctx.content.initiative.topics[course.topic].title
        summary = ctx.plain("next.summary", title=course.title, topic=topic)
        return [ctx.message("next_course", [*blocks, ctx.actions(*buttons)], summary)]
    if not found:
        msg = ctx.say("next.not_enrolled", name=first_name(person), discipline=discipline)
        return [msg, *list_pathways(ctx, c.ListPathways())]
    designations = ", ".join(s.pathway.designation for s in found if s.complete)
    blocks.append(Text(ctx.md("next.all_done", name=first_name(person), designations=designations)))
    suggestion = suggest_next_pathway(
        ctx.content, person.discipline, {e.pathway_id: e for e in enrolments}
    )
    if suggestion is not None:
        level = ctx.content.level(suggestion.level)
        blocks.append(
            Text(
                ctx.md(
                    "next.try_level",
                    pathway=suggestion.title,
                    level=level.title,
                    commitment=level.commitment,
                )
            )
        )
        buttons.append(
            ctx.button("button.join", f"join {suggestion.id}", "primary", pathway=suggestion.title)
        )
    buttons.append(ctx.button("button.show_progress", "progress"))
    return [ctx.message("next_course", [*blocks, ctx.actions(*buttons)])]


# --- progress ------------------------------------------------------------------------------


def show_progress(ctx: Ctx, cmd: c.ShowProgress) -> list[Message]:
    """Steps done per pathway, credits earned and the tier reached."""
    person = me(ctx)
    found, completed, _ = status_of(ctx.session, ctx.content, person.id or 0)
    if not found:
        msg = ctx.say(
            "progress.none",
            ctx.actions(ctx.button("button.pathways", "pathways")),
            discipline=discipline_name(ctx, person.discipline),
        )
        return [msg]
    blocks: list[Block] = [Heading(ctx.plain("progress.heading", name=person.name))]
    for status in found:
        level = ctx.content.level(status.pathway.level)
        if status.complete:
            state = ctx.md("progress.status_done", designation=status.pathway.designation)
        else:
            state = ctx.md("progress.status_open", next=status.remaining[0].title)
        due = format_date(status.enrolled.due_on) if status.enrolled.due_on else ""
        detail = ctx.md(
            "progress.detail",
            credits=credits_text(ctx, status.credits(), person.discipline),
            level=level.title,
            status=state,
            due=due,
        )
        blocks.append(ProgressBar(status.pathway.title, len(status.done), status.total, detail))
    all_credits = credits_text(
        ctx,
        sum_credits(ctx.content.courses[cid] for cid in completed if cid in ctx.content.courses),
        person.discipline,
    )
    tier = highest_tier(ctx.content, found)
    if tier is not None:
        blocks.append(
            Text(
                ctx.md(
                    "progress.tier",
                    tier=ctx.content.level(tier.level).title,
                    designation=tier.designation,
                    credits=all_credits,
                )
            )
        )
    else:
        blocks.append(Text(ctx.md("progress.no_tier", credits=all_credits)))
    buttons = [ctx.button("button.next", "next", "primary")] if next_step(found) else []
    buttons.append(ctx.button("button.pathways", "pathways"))
    summary = "; ".join(f"{s.pathway.title}: {len(s.done)}/{s.total}" for s in found)
    return [ctx.message("progress", [*blocks, ctx.actions(*buttons)], summary)]


# --- pathways ------------------------------------------------------------------------------


def list_pathways(ctx: Ctx, cmd: c.ListPathways) -> list[Message]:
    """The pathways open to the person's discipline, by level, with join buttons."""
    person = ctx.actor.person
    discipline = person.discipline if person else "other"
    found, _, _ = status_of(ctx.session, ctx.content, person.id or 0) if person else ([], {}, [])
    by_id = {s.pathway.id: s for s in found}
    show_all = cmd.everything or person is None
    heading = (
        ctx.plain("pathways.heading_all")
        if show_all
        else ctx.plain("pathways.heading", discipline=discipline_name(ctx, discipline))
    )
    blocks: list[Block] = [Heading(heading)]
    buttons: list[Button] = []
    for level in ctx.content.initiative.levels:
        pathways = [
            p
            for p in ctx.content.pathways.values()
            if p.level == level.id and (show_all or p.open_to(discipline))
        ]
        if not pathways:
            continue
        blocks.append(
            Text(ctx.md("pathways.level", level=level.title, commitment=level.commitment))
        )
        for pathway in pathways:
            status = by_id.get(pathway.id)
            if status is None:
                state = ctx.md("pathways.status_open")
                if person and pathway.open_to(discipline) and len(buttons) < MAX_CHOICES:
                    buttons.append(
                        ctx.button("button.join", f"join {pathway.id}", pathway=pathway.title)
                    )
            elif status.complete:
                state = ctx.md("pathways.status_complete")
            else:
                state = ctx.md(
                    "pathways.status_enrolled", done=len(status.done), total=status.total
                )
            courses = ctx.content.pathway_courses(pathway)
            who = ", ".join(
                discipline_name(ctx, d) if d != "all" else ctx.plain("scope.everyone")
                for d in pathway.disciplines
            )
            blocks.append(
                Text(
                    ctx.md(
                        "pathways.item",
                        title=pathway.title,
                        id=pathway.id,
                        summary=pathway.summary,
                        courses=len(courses),
                        minutes=sum(x.minutes for x in courses),
                        designation=pathway.designation,
                        status=state,
                        disciplines=who,
                    )
                )
            )
    if len(blocks) == 1:
        return [ctx.say("pathways.none", discipline=discipline_name(ctx, discipline))]
    if buttons:
        blocks.append(ctx.actions(*buttons))
    return [ctx.message("pathways", blocks, heading)]


def pathway_candidates(ctx: Ctx) -> list[matching.Candidate]:
    return [
        matching.Candidate(p.id, p.title, (p.designation, p.level))
        for p in ctx.content.pathways.values()
    ]


def find_pathway(ctx: Ctx, text: str) -> tuple[Pathway | None, list[Pathway]]:
    chosen, options = matching.pick(text, pathway_candidates(ctx))
    pathways = ctx.content.pathways
    return (pathways[chosen.id] if chosen else None), [pathways[o.id] for o in options]


def join(ctx: Ctx, cmd: c.Join) -> list[Message]:
    """Enrol oneself in a pathway open to one's discipline."""
    person = me(ctx)
    pathway, options = find_pathway(ctx, cmd.pathway)
    if pathway is None:
        buttons = [ctx.button("button.join", f"join {p.id}", pathway=p.title) for p in options]
        return [
            ctx.say(
                "join.not_found",
                ctx.actions(*buttons, ctx.button("button.pathways", "pathways")),
                text=cmd.pathway,
            )
        ]
    if not pathway.open_to(person.discipline):
        return [
            ctx.say(
                "join.not_open",
                ctx.actions(ctx.button("button.pathways", "pathways")),
                pathway=pathway.title,
                discipline=discipline_name(ctx, person.discipline),
            )
        ]
    added = insert_ignore(
        ctx.session,
        Enrolment,
        [
            {
                "person_id": person.id,
                "pathway_id": pathway.id,
                "enrolled_at": ctx.now(),
                "enrolled_by": ctx.actor.label,
            }
        ],
    )
    if not added:
        return [ctx.say("join.already", pathway=pathway.title), *next_course(ctx, c.NextCourse())]
    level = ctx.content.level(pathway.level)
    first = ctx.say(
        "join.done",
        pathway=pathway.title,
        why=pathway.why.for_discipline(person.discipline),
        commitment=level.commitment,
    )
    return [first, *next_course(ctx, c.NextCourse())]


# --- completions ---------------------------------------------------------------------------


def course_candidates(ctx: Ctx) -> list[matching.Candidate]:
    return [
        matching.Candidate(x.id, x.title, (x.id.replace("-", " "),))
        for x in ctx.content.courses.values()
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


def done(ctx: Ctx, cmd: c.Done) -> list[Message]:
    """A self-reported completion, then what's next."""
    person = me(ctx)
    found, completed, _ = status_of(ctx.session, ctx.content, person.id or 0)
    remaining = [x for s in found for x in s.remaining]
    own = {x.id for s in found for x in (*s.done, *s.remaining)}
    if not cmd.course:
        own_remaining = {x.id: x for x in remaining}.values()
        buttons = [Button(x.title, f"done {x.id}") for x in own_remaining][:MAX_CHOICES]
        return [ctx.say("done.ask", ctx.actions(*buttons))]
    course, options = find_course(ctx, cmd.course, own)
    if course is None:
        choices = options or list({x.id: x for x in remaining}.values())
        buttons = [Button(x.title, f"done {x.id}") for x in choices][:MAX_CHOICES]
        key = "done.several" if options else "done.not_found"
        return [ctx.say(key, ctx.actions(*buttons), text=cmd.course)]
    if course.id in completed:
        when = completed[course.id].astimezone(ctx.zone).date()
        return [
            ctx.say("done.already", title=course.title, date=format_date(when)),
            *next_course(ctx, c.NextCourse()),
        ]
    return record(ctx, person, course, source="self_report", verified=False) + next_course(
        ctx, c.NextCourse()
    )


def record(
    ctx: Ctx, person: Person, course: Course, *, source: str, verified: bool
) -> list[Message]:
    """Record a completion once; say so, and name any pathway it finished."""
    before, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
    now = ctx.now()
    added = insert_ignore(
        ctx.session,
        Completion,
        [
            {
                "person_id": person.id,
                "course_id": course.id,
                "completed_at": now,
                "recorded_at": now,
                "source": source,
                "verified": verified,
                "recorded_by": ctx.actor.label,
            }
        ],
    )
    if not added:
        # Another request recorded it a moment ago (a double click): say so, once.
        return [ctx.say("done.already", title=course.title, date=format_date(ctx.today()))]
    on_completion(ctx.session, ctx.content, person, course.id, before, now)
    # A person's own report can be taken back for a day; a verified one is an admin's.
    undo = (
        (ctx.actions(ctx.button("button.undo", f"undo {course.id}")),)
        if source == "self_report"
        else ()
    )
    messages = [
        ctx.say(
            "done.recorded",
            *undo,
            title=course.title,
            credits=credits_text(ctx, dict(course.credits), person.discipline),
        )
    ]
    for status in before:
        if [x.id for x in status.remaining] == [course.id]:
            messages.append(
                ctx.say(
                    "done.pathway_complete",
                    pathway=status.pathway.title,
                    designation=status.pathway.designation,
                )
            )
    return messages


UNDO_WINDOW = timedelta(hours=24)


def undo(ctx: Ctx, cmd: c.Undo) -> list[Message]:
    """Take back one's own completion of the last day: the latest, or the course named."""
    person = me(ctx)
    mine = list(
        ctx.session.exec(
            select(Completion)
            .where(Completion.person_id == person.id)
            .order_by(col(Completion.recorded_at).desc(), col(Completion.id).desc())
        )
    )
    if cmd.course:
        course, _ = find_course(ctx, cmd.course, {x.course_id for x in mine})
        chosen = next((x for x in mine if course and x.course_id == course.id), None)
        if chosen is None:
            return [ctx.say("undo.not_found", text=cmd.course)]
    else:
        recent = [x for x in mine if x.source == "self_report"]
        chosen = recent[0] if recent else None
        if chosen is None:
            return [ctx.say("undo.nothing")]
    course = ctx.content.courses.get(chosen.course_id)
    title = course.title if course else chosen.course_id
    if chosen.source != "self_report" or chosen.verified:
        contact = ctx.content.initiative.setup.contact
        return [
            ctx.say(
                "undo.verified",
                title=title,
                contact_name=contact.name,
                contact_email=contact.email,
                contact_phone=contact.phone,
            )
        ]
    if chosen.recorded_at < ctx.now() - UNDO_WINDOW:
        when = chosen.recorded_at.astimezone(ctx.zone).date()
        return [ctx.say("undo.too_old", title=title, date=format_date(when))]
    ctx.session.execute(delete(Completion).where(col(Completion.id) == chosen.id))
    outcome = withdraw(ctx.session, ctx.content, person, chosen.course_id, ctx.now())
    ctx.audit("completion.undo", person.email, chosen.course_id)
    extra = [Text(ctx.md("undo.withdrawn" if outcome == "withdrawn" else "undo.already_posted"))]
    return [
        ctx.say("undo.done", *(extra if outcome else []), title=title),
        *next_course(ctx, c.NextCourse()),
    ]


SNOOZE_LIMIT_DAYS = 90


def snooze(ctx: Ctx, cmd: c.Snooze) -> list[Message]:
    """No reminders about a course for a while; the plan itself does not change."""
    person = me(ctx)
    words = cmd.text.split()
    course = ctx.content.courses.get(words[0].lower()) if words else None
    if course is not None:
        words = words[1:]
    else:
        found, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
        step = next_step(found)
        if step is None:
            return [ctx.say("snooze.nothing")]
        course = step[1]
    spoken = " ".join(words).removeprefix("until ").removeprefix("for ") or "a week"
    today = ctx.today()
    try:
        until = parse_date(spoken, today)
    except DateError:
        return [ctx.say("snooze.bad", text=cmd.text)]
    if not today < until <= today + timedelta(days=SNOOZE_LIMIT_DAYS):
        return [ctx.say("snooze.bad", text=cmd.text)]
    row = {"person_id": person.id, "course_id": course.id, "until": until, "created_at": ctx.now()}
    if not insert_ignore(ctx.session, Snooze, [row]):
        existing = ctx.session.get(Snooze, (person.id, course.id))
        assert existing is not None
        existing.until = until
        ctx.session.add(existing)
    return [ctx.say("snooze.done", title=course.title, date=format_date(until))]
