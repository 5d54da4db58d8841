"""Answers more than one command gives: the next course, progress, pathways, settings,
and the initiative summary. Handlers (and the home view, which shows several) call
these; each builds its messages from the rules and the templates."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from bot.compose import (
    course_blocks,
    credits_text,
    discipline_name,
    first_name,
    me,
    setup_blocks,
)
from bot.context import Ctx
from bot.counts import initiative_totals
from bot.messages import Block, Button, Divider, Field, Fields, Heading, Message, ProgressBar, Text
from bot.models import ROLES, DeliveryIssue, HelpRequest, Person, Team
from bot.progress import highest_tier, next_step, suggest_next_pathway, sum_credits
from bot.store import completions_by_team, status_of, team_of, unverified_courses
from bot.templates import Markdown
from bot.timeparse import format_date

MAX_CHOICES = 5


def next_course(ctx: Ctx) -> list[Message]:
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
        return [msg, *pathways(ctx)]
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


def progress(ctx: Ctx) -> list[Message]:
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
    unverified = unverified_courses(ctx.session, person.id or 0)
    if unverified:
        titles = ", ".join(
            ctx.content.courses[cid].title if cid in ctx.content.courses else cid
            for cid in unverified
        )
        blocks.append(Text(ctx.md("progress.unverified", courses=titles, count=len(unverified))))
    buttons = [ctx.button("button.next", "next", "primary")] if next_step(found) else []
    buttons.append(ctx.button("button.pathways", "pathways"))
    summary = "; ".join(f"{s.pathway.title}: {len(s.done)}/{s.total}" for s in found)
    return [ctx.message("progress", [*blocks, ctx.actions(*buttons)], summary)]


def pathways(ctx: Ctx, everything: bool = False) -> list[Message]:
    """The pathways open to the person's discipline, by level, with join buttons."""
    person = ctx.actor.person
    discipline = person.discipline if person else "other"
    found, _, _ = status_of(ctx.session, ctx.content, person.id or 0) if person else ([], {}, [])
    by_id = {s.pathway.id: s for s in found}
    show_all = everything or person is None
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


def yes_no(ctx: Ctx, value: bool) -> str:
    return ctx.plain("value.yes" if value else "value.no")


def settings(ctx: Ctx) -> list[Message]:
    """All of a person's settings, and how to change them."""
    person = me(ctx)
    defaults = ctx.content.initiative.defaults
    zone = person.timezone or ctx.plain("value.default", value=defaults.timezone)
    if person.quiet_hours == "off":
        quiet = ctx.plain("value.off")
    else:
        quiet = person.quiet_hours or ctx.plain("value.default", value=defaults.quiet_hours)
    if person.stopped_at is not None:
        nudges = ctx.plain("value.stopped")
    elif person.paused_until and person.paused_until > ctx.today():
        nudges = ctx.plain("value.paused_until", date=format_date(person.paused_until))
    else:
        nudges = ctx.plain("value.active")
    on_nights = person.shift_until is not None and person.shift_until > ctx.today()
    shift = (
        ctx.plain(
            "value.nights_until",
            date=format_date(person.shift_until),
            wake=waking(ctx, person),
        )
        if on_nights and person.shift_until is not None
        else ctx.plain("value.days")
    )
    celebrate = person.celebrate_publicly
    celebrate_text = (
        yes_no(ctx, celebrate)
        if celebrate is not None
        else ctx.plain("value.default", value=yes_no(ctx, defaults.celebrate_publicly))
    )
    on_weekends = (
        yes_no(ctx, not person.weekends_off)
        if person.weekends_off is not None
        else ctx.plain("value.default", value=yes_no(ctx, not defaults.weekends_off))
    )
    team = team_of(ctx.session, person.team_id)
    roles = ", ".join(ctx.plain(f"role.{r}") for r in ROLES if r in ctx.actor.roles)
    fields = Fields(
        (
            Field(ctx.plain("settings.timezone"), zone),
            Field(ctx.plain("settings.quiet_hours"), quiet),
            Field(ctx.plain("settings.nudges"), nudges),
            Field(ctx.plain("settings.shift"), shift),
            Field(ctx.plain("settings.weekends"), on_weekends),
            Field(ctx.plain("settings.celebrate"), celebrate_text),
            Field(
                ctx.plain("settings.account"), yes_no(ctx, person.account_confirmed_at is not None)
            ),
            Field(ctx.plain("settings.team"), team.name if team else ctx.plain("value.none")),
            Field(ctx.plain("settings.discipline"), discipline_name(ctx, person.discipline)),
            Field(ctx.plain("settings.roles"), roles or ctx.plain("value.none")),
        )
    )
    blocks: list[Block] = [
        Heading(ctx.plain("settings.heading", name=person.name)),
        fields,
        Text(ctx.md("settings.how_to_change")),
    ]
    buttons = []
    if person.stopped_at is not None or (person.paused_until and person.paused_until > ctx.today()):
        buttons.append(ctx.button("button.resume", "resume"))
    if on_nights:
        buttons.append(ctx.button("button.shift_days", "shift days"))
    if buttons:
        blocks.append(ctx.actions(*buttons))
    summary = "; ".join(f"{f.label}: {f.value}" for f in fields.items)
    return [ctx.message("settings", blocks, summary)]


ISSUE_WINDOW = timedelta(days=7)


def admin_summary(ctx: Ctx) -> Message:
    """A short initiative summary and recent delivery problems, for admins and leaders."""
    people, enrolled, started, finished = initiative_totals(ctx)
    percent = f"{100 * finished / people:.0f}%" if people else "-"
    ledger_counts = completions_by_team(ctx.session).values()
    blocks: list[Block] = [
        Heading(ctx.plain("home.admin_heading")),
        Text(
            ctx.md(
                "report.summary",
                people=people,
                enrolled=enrolled,
                started=started,
                finished=finished,
                percent=percent,
                verified=sum(v for v, _ in ledger_counts),
                self_reported=sum(s for _, s in ledger_counts),
            )
        ),
    ]
    since = ctx.now() - ISSUE_WINDOW
    count = ctx.session.exec(
        select(func.count()).select_from(DeliveryIssue).where(col(DeliveryIssue.at) >= since)
    ).one()
    if count:
        recent = ctx.session.exec(
            select(DeliveryIssue)
            .where(col(DeliveryIssue.at) >= since)
            .order_by(col(DeliveryIssue.at).desc())
            .limit(5)
        ).all()
        items = Markdown(
            "\n".join(
                "- "
                + ctx.md(
                    "home.issue_item",
                    when=f"{i.at.astimezone(ctx.zone):%a %d %b %H:%M}",
                    platform=i.platform,
                    target=i.target,
                    reason=ctx.plain(f"delivery.reason.{i.error}")
                    if f"delivery.reason.{i.error}" in ctx.templates
                    else i.error,
                )
                for i in recent
            )
        )
        blocks.append(Text(ctx.md("home.issues", count=int(count), items=items)))
    else:
        blocks.append(Text(ctx.md("home.no_issues")))
    trouble = ctx.session.exec(
        select(HelpRequest.team_id, func.count())
        .where(col(HelpRequest.at) >= since, HelpRequest.kind == "account")
        .group_by(col(HelpRequest.team_id))
    ).all()
    if trouble:
        names = {t.id: t.name for t in ctx.session.exec(select(Team))}
        teams = ", ".join(
            f"{names.get(team_id, '-') if team_id else '-'} {count}"
            for team_id, count in sorted(trouble, key=lambda row: -row[1])
        )
        blocks.append(Text(ctx.md("home.trouble", count=sum(n for _, n in trouble), teams=teams)))
    return ctx.message("home.admin", blocks)


def waking(ctx: Ctx, person: Person) -> str:
    """When a person on nights may hear from Huddle: their own waking time, or the end
    of the organisation's night quiet hours ("17:00")."""
    if person.shift_wake:
        return person.shift_wake
    return ctx.content.initiative.defaults.night_quiet_hours.split("-")[1]
