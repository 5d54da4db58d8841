"""Handlers for contests: making, proposing, deciding and cancelling them, opting in to
individual rankings, and the leaderboard."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, delete, func, select

from bot import commands as c
from bot import contest_posts as posts
from bot import contests
from bot.context import Ctx, Refused
from bot.guard import privacy_refusal
from bot.messages import Block, Button, Choice, Form, FormField, Heading, Message, Table, Text
from bot.models import Contest, ContestEntrant, ContestTeam, Person, PersonRole, Schedule, Team
from bot.notices import notify
from bot.store import person_by_email, team_of
from bot.timeparse import format_date

#: Contests listed at once.
LISTED = 20
#: Names of people not started yet shown to their champion (the rest are counted).
NOT_STARTED_SHOWN = 20
MAX_HANDLE = 40


def _contest(ctx: Ctx, contest_id: int) -> Contest:
    found = ctx.session.get(Contest, contest_id)
    if found is None:
        raise Refused(ctx.say("contest.not_found", id=contest_id))
    return found


def _screened(ctx: Ctx, *texts: str) -> None:
    """Names, prizes and handles are posted to others: no patient details in them."""
    for text in texts:
        if text:
            blocked = privacy_refusal(ctx, text)
            if blocked is not None:
                raise Refused(blocked)


def _teams_text(ctx: Ctx, contest: Contest) -> str:
    if contest.all_teams:
        return ctx.plain("contest.all_teams")
    names = ctx.session.exec(
        select(Team.name)
        .join(ContestTeam, col(ContestTeam.team_id) == col(Team.id))
        .where(ContestTeam.contest_id == contest.id)
        .order_by(col(Team.name))
    ).all()
    return ", ".join(names) or "-"


def _save(ctx: Ctx, spec: contests.Spec, teams: list[Team], status: str) -> Contest:
    now = ctx.now()
    contest = Contest(
        name=spec.name,
        metric=spec.metric,
        level=spec.level,
        starts_on=spec.starts_on,
        ends_on=spec.ends_on,
        prize=spec.prize,
        verified_only=spec.verified_only,
        all_teams=spec.all_teams,
        status=status,
        proposed_by=ctx.actor.label,
        created_at=now,
    )
    ctx.session.add(contest)
    ctx.session.flush()
    for team in teams:
        ctx.session.add(ContestTeam(contest_id=contest.id or 0, team_id=team.id or 0))
    return contest


def _go_ahead(ctx: Ctx, contest: Contest) -> None:
    """Approve a contest: its weekly standings and its final results are scheduled."""
    now = ctx.now()
    settings = ctx.content.initiative.contests
    zone = ZoneInfo(ctx.content.initiative.defaults.timezone)
    contest.status = "running" if contest.starts_on <= ctx.today() else "approved"
    contest.approved_by = ctx.actor.label
    contest.decided_at = now
    begins = datetime.combine(contest.starts_on, time(0), tzinfo=zone)
    weekly = Schedule(
        kind="standings",
        audience="channels",
        when=settings.standings_when,
        params=json.dumps({"contest": contest.id}),
        created_by=ctx.actor.label,
        created_at=now,
        updated_at=now,
        starts_at=max(begins, now),
        workspace=ctx.incoming.workspace if ctx.incoming else "",
    )
    final = Schedule(
        kind="standings",
        audience="channels",
        when=f"{(contest.ends_on + timedelta(days=1)).isoformat()} {settings.results_time}",
        params=json.dumps({"contest": contest.id, "final": True}),
        created_by=ctx.actor.label,
        created_at=now,
        updated_at=now,
        starts_at=now,
        workspace=ctx.incoming.workspace if ctx.incoming else "",
    )
    ctx.session.add(weekly)
    ctx.session.add(final)
    ctx.session.flush()
    contest.weekly_schedule_id = weekly.id
    contest.final_schedule_id = final.id
    ctx.session.add(contest)


def _created_answer(ctx: Ctx, contest: Contest, key: str) -> Message:
    return ctx.say(
        key,
        ctx.actions(
            ctx.button("contest.button_standings", f"leaderboard {contest.id}", "primary"),
            ctx.button("contest.button_rankings", f"contest rankings on {contest.id}"),
        )
        if key == "contest.created"
        else ctx.actions(ctx.button("contest.button_show", f"contest show {contest.id}")),
        id=contest.id or 0,
        name=contest.name,
        teams=_teams_text(ctx, contest),
        summary=posts.describe(ctx, contest),
    )


# --- making and proposing ---------------------------------------------------------------------


def contest_new(ctx: Ctx, cmd: c.ContestNew) -> list[Message]:
    """A short form; submitting it types the one-line command."""
    metrics = tuple(Choice(ctx.plain(f"contest.metric_choice.{m}"), m) for m in contests.METRICS)
    counting = (
        Choice(ctx.plain("contest.form_all_completions"), "all completions"),
        Choice(ctx.plain("contest.form_verified_only"), "verified only"),
    )
    form = Form(
        title=ctx.plain("contest.form_title"),
        fields=(
            FormField("name", ctx.plain("contest.form_name"), placeholder="Winter sprint"),
            FormField("teams", ctx.plain("contest.form_teams"), placeholder="all", optional=True),
            FormField("metric", ctx.plain("contest.form_metric"), metrics),
            FormField("start", ctx.plain("contest.form_start"), placeholder="dec 1"),
            FormField("end", ctx.plain("contest.form_end"), placeholder="dec 28"),
            FormField("counting", ctx.plain("contest.form_counting"), counting),
            FormField("prize", ctx.plain("contest.form_prize"), optional=True, multiline=True),
        ),
        command='contest new "{name}" teams {teams} metric {metric} from {start} to {end} '
        "{counting} prize {prize}",
        submit=ctx.plain("contest.form_submit"),
        example=ctx.plain("contest.form_example"),
    )
    return [
        ctx.message(
            "contest.form",
            [Heading(form.title), form, Text(ctx.md("contest.form_example"))],
            form.title,
        )
    ]


def contest_create(ctx: Ctx, cmd: c.ContestCreate) -> list[Message]:
    """An admin's contest: approved as it is made, its standings scheduled."""
    spec = contests.read_spec(ctx, cmd.text)
    _screened(ctx, spec.name, spec.prize)
    if not spec.all_teams and len(spec.teams) < 2:
        raise Refused(ctx.say("contest.too_few_teams"))
    contest = _save(ctx, spec, spec.teams, "approved")
    _go_ahead(ctx, contest)
    ctx.audit("contest.create", f"#{contest.id} {contest.name}", _detail(ctx, contest))
    return [_created_answer(ctx, contest, "contest.created")]


def _detail(ctx: Ctx, contest: Contest) -> str:
    return json.dumps(
        {
            "teams": _teams_text(ctx, contest),
            "metric": contest.metric,
            "level": contest.level,
            "from": contest.starts_on.isoformat(),
            "to": contest.ends_on.isoformat(),
            "prize": contest.prize,
            "verified_only": contest.verified_only,
        }
    )


def _admins(ctx: Ctx) -> list[Person]:
    return list(
        ctx.session.exec(
            select(Person)
            .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
            .where(PersonRole.role == "admin")
        )
    )


def contest_propose(ctx: Ctx, cmd: c.ContestPropose) -> list[Message]:
    """A champion proposes a contest for their own team against others; admins are asked."""
    if not cmd.text.strip():
        return [ctx.say("contest.propose_usage")]
    person = ctx.actor.person
    own = team_of(ctx.session, person.team_id) if person else None
    if own is None:
        raise Refused(ctx.say("champion.no_team"))
    spec = contests.read_spec(ctx, cmd.text, against=True)
    _screened(ctx, spec.name, spec.prize)
    others = [t for t in spec.teams if t.id != own.id]
    if not spec.all_teams and not others:
        raise Refused(ctx.say("contest.needs_rivals"))
    contest = _save(ctx, spec, [] if spec.all_teams else [own, *others], "proposed")
    contest.team_id = own.id
    ctx.session.add(contest)
    ctx.audit("contest.propose", f"#{contest.id} {contest.name}", _detail(ctx, contest))
    who = ctx.actor.person.name if ctx.actor.person else ctx.actor.label
    ask = ctx.say(
        "contest.proposal",
        ctx.actions(
            Button(ctx.plain("contest.button_approve"), f"contest approve {contest.id}", "primary"),
            Button(ctx.plain("contest.button_decline"), f"contest decline {contest.id}"),
        ),
        id=contest.id or 0,
        name=contest.name,
        who=who,
        team=own.name,
        teams=_teams_text(ctx, contest),
        summary=posts.describe(ctx, contest),
    )
    platform = ctx.incoming.platform if ctx.incoming else None
    for admin in _admins(ctx):
        notify(
            ctx.session,
            admin.id or 0,
            ask,
            f"contest:{contest.id}:proposed",
            ctx.now(),
            kind="contest",
            prefer=platform,
        )
    return [_created_answer(ctx, contest, "contest.proposed")]


def contest_decide(ctx: Ctx, cmd: c.ContestDecide) -> list[Message]:
    """An admin approves or declines a proposal; the champion who proposed it is told."""
    contest = _contest(ctx, cmd.contest_id)
    if contest.status != "proposed":
        return [
            ctx.say(
                "contest.not_proposed",
                id=contest.id or 0,
                state=ctx.plain(f"contest.state.{contests.state(contest, ctx.today())}"),
            )
        ]
    _screened(ctx, cmd.reason)
    if cmd.approve:
        if contest.ends_on < ctx.today():
            return [ctx.say("contest.too_late", id=contest.id or 0)]
        if contest.starts_on < ctx.today():
            contest.starts_on = ctx.today()  # nothing before the approval counts
        _go_ahead(ctx, contest)
        ctx.audit("contest.approve", f"#{contest.id} {contest.name}", contest.proposed_by)
        told = ctx.say(
            "contest.told_approved",
            ctx.actions(ctx.button("contest.button_standings", f"leaderboard {contest.id}")),
            id=contest.id or 0,
            name=contest.name,
            summary=posts.describe(ctx, contest),
        )
        answer = "contest.approved"
    else:
        contest.status = "declined"
        contest.approved_by = ctx.actor.label
        contest.decided_at = ctx.now()
        ctx.session.add(contest)
        ctx.audit("contest.decline", f"#{contest.id} {contest.name}", cmd.reason)
        told = ctx.say(
            "contest.told_declined",
            id=contest.id or 0,
            name=contest.name,
            reason=cmd.reason or ctx.plain("contest.no_reason"),
        )
        answer = "contest.declined"
    proposer = person_by_email(ctx.session, contest.proposed_by)
    reached = proposer is not None and notify(
        ctx.session,
        proposer.id or 0,
        told,
        f"contest:{contest.id}:decided",
        ctx.now(),
        kind="contest",
        prefer=ctx.incoming.platform if ctx.incoming else None,
    )
    return [
        ctx.say(
            answer,
            id=contest.id or 0,
            name=contest.name,
            who=proposer.name if proposer else contest.proposed_by,
            told=ctx.plain("contest.told" if reached else "contest.not_told"),
        )
    ]


def contest_cancel(ctx: Ctx, cmd: c.ContestCancel) -> list[Message]:
    """An admin cancels a contest (its scheduled posts stop); a champion may withdraw
    their own proposal."""
    contest = _contest(ctx, cmd.contest_id)
    state = contests.state(contest, ctx.today())
    if not ctx.actor.is_admin and not (
        contest.status == "proposed" and contest.proposed_by == ctx.actor.label
    ):
        raise Refused(ctx.say("contest.cancel_own_only", id=contest.id or 0))
    if state in ("finished", "cancelled", "declined"):
        return [
            ctx.say(
                "contest.cannot_cancel",
                id=contest.id or 0,
                state=ctx.plain(f"contest.state.{state}"),
            )
        ]
    contest.status = "cancelled"
    ctx.session.add(contest)
    for schedule_id in (contest.weekly_schedule_id, contest.final_schedule_id):
        schedule = ctx.session.get(Schedule, schedule_id) if schedule_id else None
        if schedule is not None:
            schedule.status = "cancelled"
            schedule.updated_at = ctx.now()
            ctx.session.add(schedule)
    ctx.audit("contest.cancel", f"#{contest.id} {contest.name}")
    return [ctx.say("contest.cancelled", id=contest.id or 0, name=contest.name)]


def contest_rankings(ctx: Ctx, cmd: c.ContestRankings) -> list[Message]:
    """Individual rankings on or off: only people who opt in ever appear in them."""
    contest = _contest(ctx, cmd.contest_id)
    contest.individual_rankings = cmd.on
    ctx.session.add(contest)
    ctx.audit("contest.rankings", f"#{contest.id} {contest.name}", "on" if cmd.on else "off")
    key = "contest.rankings_on" if cmd.on else "contest.rankings_off"
    return [ctx.say(key, id=contest.id or 0, name=contest.name)]


# --- opting in ---------------------------------------------------------------------------------


def contest_join(ctx: Ctx, cmd: c.ContestJoin) -> list[Message]:
    """Opt in to a contest's individual rankings, under a handle if given."""
    person = ctx.actor.person
    assert person is not None
    contest = _contest(ctx, cmd.contest_id)
    state = contests.state(contest, ctx.today())
    if state not in ("upcoming", "running"):
        return [
            ctx.say(
                "contest.not_open", id=contest.id or 0, state=ctx.plain(f"contest.state.{state}")
            )
        ]
    if not contests.takes_part(ctx.session, contest, person.team_id):
        team = team_of(ctx.session, person.team_id)
        return [
            ctx.say("contest.not_your_team", name=contest.name, team=team.name if team else "-")
        ]
    handle = " ".join(cmd.handle.split())
    if len(handle) > MAX_HANDLE:
        return [ctx.say("contest.bad_handle", limit=MAX_HANDLE)]
    _screened(ctx, handle)
    if handle:
        taken = ctx.session.exec(
            select(ContestEntrant.person_id).where(
                ContestEntrant.contest_id == contest.id,
                func.lower(ContestEntrant.handle) == handle.lower(),
                ContestEntrant.person_id != person.id,
            )
        ).first()
        if taken is not None:
            return [ctx.say("contest.handle_taken", handle=handle)]
    entry = ctx.session.get(ContestEntrant, (contest.id, person.id))
    if entry is None:
        entry = ContestEntrant(
            contest_id=contest.id or 0, person_id=person.id or 0, joined_at=ctx.now()
        )
    entry.handle = handle or None
    ctx.session.add(entry)
    extra: list[Block] = []
    if not contest.individual_rankings:
        extra.append(Text(ctx.md("contest.rankings_not_on")))
    return [
        ctx.say(
            "contest.joined",
            *extra,
            id=contest.id or 0,
            name=contest.name,
            shown=handle or person.name,
        )
    ]


def contest_leave(ctx: Ctx, cmd: c.ContestLeave) -> list[Message]:
    """Opt out of a contest's individual rankings."""
    person = ctx.actor.person
    assert person is not None
    contest = _contest(ctx, cmd.contest_id)
    removed = ctx.session.execute(
        delete(ContestEntrant).where(
            col(ContestEntrant.contest_id) == contest.id,
            col(ContestEntrant.person_id) == person.id,
        )
    )
    key = "contest.left" if getattr(removed, "rowcount", 0) else "contest.not_joined"
    return [ctx.say(key, id=contest.id or 0, name=contest.name)]


# --- looking ------------------------------------------------------------------------------------


def contest_list(ctx: Ctx, cmd: c.ContestList) -> list[Message]:
    """The contests: going ahead ones for everyone; proposals too for champions and admins."""
    shown = ["approved", "running", "finished"]
    if ctx.actor.is_admin or ctx.actor.has("champion"):
        shown += ["proposed"]
    rows = list(
        ctx.session.exec(
            select(Contest)
            .where(col(Contest.status).in_(shown))
            .order_by(col(Contest.starts_on).desc(), col(Contest.id).desc())
            .limit(LISTED + 1)
        )
    )
    if not rows:
        key = "contest.none_admin" if ctx.actor.is_admin else "contest.none"
        return [ctx.say(key)]
    today = ctx.today()
    cells = tuple(
        (
            str(x.id),
            x.name,
            ctx.plain(f"contest.state.{contests.state(x, today)}"),
            f"{format_date(x.starts_on)} - {format_date(x.ends_on)}",
            posts.metric_label(ctx, x),
        )
        for x in rows[:LISTED]
    )
    blocks: list[Block] = [
        Text(ctx.md("contest.list_heading", count=len(cells))),
        Table(
            tuple(ctx.plain("contest.list_columns").split("|")),
            cells,
            more=max(0, len(rows) - LISTED),
        ),
        Text(ctx.md("contest.list_hint")),
    ]
    return [ctx.message("contest.list", blocks)]


def contest_show(ctx: Ctx, cmd: c.ContestShow) -> list[Message]:
    """One contest: what it is, who takes part, and its standings."""
    contest = _contest(ctx, cmd.contest_id)
    if contest.status == "proposed" and not (ctx.actor.is_admin or ctx.actor.has("champion")):
        raise Refused(ctx.say("contest.not_found", id=contest.id or 0))
    state = contests.state(contest, ctx.today())
    blocks: list[Block] = [
        Heading(contest.name),
        Text(
            ctx.md(
                "contest.show",
                id=contest.id or 0,
                state=ctx.plain(f"contest.state.{state}"),
                teams=_teams_text(ctx, contest),
                summary=posts.describe(ctx, contest),
                rankings=ctx.plain(
                    "contest.rankings_are_on"
                    if contest.individual_rankings
                    else "contest.rankings_are_off"
                ),
            )
        ),
    ]
    buttons: list[Button] = []
    if state in ("upcoming", "running", "ended", "finished"):
        buttons.append(ctx.button("contest.button_standings", f"leaderboard {contest.id}"))
    if contest.individual_rankings and state in ("upcoming", "running"):
        buttons.append(ctx.button("contest.button_join", f"contest join {contest.id}"))
    if contest.status == "proposed" and ctx.actor.is_admin:
        buttons.append(ctx.button("contest.button_approve", f"contest approve {contest.id}"))
        buttons.append(ctx.button("contest.button_decline", f"contest decline {contest.id}"))
    if buttons:
        blocks.append(ctx.actions(*buttons))
    return [ctx.message("contest.show", blocks, contest.name)]


def leaderboard(ctx: Ctx, cmd: c.Leaderboard) -> list[Message]:
    """The current contest's standings, the asker's team's place and what would move it;
    for a champion asking privately, who in their team has not started yet."""
    person = ctx.actor.person
    team_id = person.team_id if person else None
    if cmd.contest_id is not None:
        contest = _contest(ctx, cmd.contest_id)
        if contest.status not in (*contests.GOING_AHEAD, "finished"):
            state = contests.state(contest, ctx.today())
            return [
                ctx.say(
                    "contest.no_standings",
                    id=contest.id or 0,
                    state=ctx.plain(f"contest.state.{state}"),
                )
            ]
    else:
        found = contests.current_for(ctx.session, team_id, ctx.today())
        if (
            found is None
            and team_id is not None
            and (ctx.actor.is_admin or ctx.actor.has("senior_leader"))
        ):
            found = contests.current_for(ctx.session, None, ctx.today())
        if found is None:
            return [ctx.say("contest.no_contest")]
        contest = found
    standing = contests.latest(ctx.session, ctx.content, contest, ctx.now())
    mine = team_id if contests.takes_part(ctx.session, contest, team_id) else None
    blocks = posts.standings_blocks(ctx, standing, mine, ctx.today())
    messages = [ctx.message("contest.standings", blocks, contest.name)]
    if mine is not None and (ctx.actor.has("champion") or ctx.actor.is_admin):
        messages += _not_started(ctx, contest, mine)
    return messages


def _not_started(ctx: Ctx, contest: Contest, team_id: int) -> list[Message]:
    """Who in the champion's own team has nothing counted yet: only in a private chat."""
    incoming = ctx.incoming
    if incoming is not None and incoming.in_channel:
        return [ctx.say("contest.not_started_privately")]
    people = contests.not_started(ctx.session, ctx.content, contest, team_id)
    if not people:
        return [ctx.say("contest.not_started_none")]
    names = ", ".join(p.name for p in people[:NOT_STARTED_SHOWN])
    if len(people) > NOT_STARTED_SHOWN:
        names += ctx.plain("contest.and_more", count=len(people) - NOT_STARTED_SHOWN)
    return [ctx.say("contest.not_started", count=len(people), names=names)]
