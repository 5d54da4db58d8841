"""How a contest's standings read: for a person asking, for a team channel each week, and
as the final results that celebrate the winners with their prize.

Only teams are ranked in public. A person appears by themselves only if they opted in to
the contest's individual rankings, under their handle if they chose one, and only with
progress to show; who has not started yet is said to their champion alone (by the
``leaderboard`` handler, privately), never here.
"""

from __future__ import annotations

from datetime import date

from bot import contests
from bot.context import Ctx
from bot.messages import Bar, Block, Chart, Heading, Table, Text
from bot.models import Contest
from bot.templates import Markdown
from bot.timeparse import format_date

#: Rows of the standings table (the asker's own team is added when lower down).
TABLE_ROWS = 10


def metric_label(ctx: Ctx, contest: Contest) -> str:
    metric = contest.metric if contest.metric in contests.METRICS else "active"
    level = next(
        (lv.title for lv in ctx.content.initiative.levels if lv.id == contest.level), contest.level
    )
    return ctx.plain(f"contest.metric.{metric}", level=level)


def shown(ctx: Ctx, found: contests.Standings, team: contests.TeamScore) -> str:
    """A team's score as people read it, worked out once per standings."""
    text = found.shown.get(team.team_id)
    if text is None:
        text = found.shown[team.team_id] = score(ctx, found.metric, team)
    return text


def score(ctx: Ctx, metric: str, team: contests.TeamScore) -> str:
    """A team's score as people read it: a share in percent, or credits per member."""
    if metric == "credits":
        per = team.value / contests.CENTS
        return ctx.plain("contest.score_credits", amount=f"{per:.1f}")
    if metric == "sessions":
        return ctx.plain("contest.score_sessions", amount=f"{team.value:.1f}")
    return ctx.plain("contest.score_share", percent=f"{100 * team.value:.0f}")


def _units(ctx: Ctx, contest: Contest, count: int) -> str:
    metric = contest.metric if contest.metric in contests.METRICS else "active"
    if metric == "credits":
        amount = count / contests.CENTS
        return ctx.plain("contest.unit.credits", count=f"{amount:g}")
    level = next(
        (lv.title for lv in ctx.content.initiative.levels if lv.id == contest.level), contest.level
    )
    form = "one" if count == 1 else "many"
    return ctx.plain(f"contest.unit.{metric}_{form}", count=count, level=level)


def _credits_up(count: int | None) -> int | None:
    """Credits needed, rounded up to a tenth of a credit (hundredths read oddly)."""
    if count is None:
        return None
    return -(-count // 10) * 10


def describe(ctx: Ctx, contest: Contest) -> Markdown:
    """The contest in one line: its dates, what counts, the prize."""
    return ctx.md(
        "contest.summary",
        start=format_date(contest.starts_on),
        end=format_date(contest.ends_on),
        metric=metric_label(ctx, contest),
        verified=ctx.plain("contest.verified_only" if contest.verified_only else "contest.all"),
        prize=contest.prize or ctx.plain("contest.no_prize"),
    )


def chart(ctx: Ctx, found: contests.Standings, team_id: int | None) -> Chart:
    """Bars for the leading teams, and for this team (marked) when it is further down."""
    limit = ctx.content.initiative.contests.chart_bars
    drawn = found.ranked[:limit]
    mine = found.of(team_id)
    if mine is not None and mine not in drawn:
        drawn = [*drawn[: limit - 1], mine]
    credits = found.metric == "credits"
    per_member = credits or found.metric == "sessions"
    bars = tuple(
        Bar(
            label=t.name,
            value=round(_per_member(found.metric, t) if per_member else 100 * t.value, 2),
            highlighted=t.team_id == team_id,
        )
        for t in drawn
    )
    return Chart(
        title=ctx.plain("contest.chart_title", name=found.contest.name),
        bars=bars,
        shown=tuple(shown(ctx, found, t) for t in drawn),
        alt=ctx.plain(
            "contest.chart_alt",
            name=found.contest.name,
            metric=metric_label(ctx, found.contest),
            teams=", ".join(f"{t.name} {shown(ctx, found, t)}" for t in drawn),
        ),
        top=0.0 if per_member else 100.0,
    )


def _per_member(metric: str, team: contests.TeamScore) -> float:
    """Credits or sessions per member, as drawn."""
    return team.value / contests.CENTS if metric == "credits" else team.value


def table(ctx: Ctx, found: contests.Standings, team_id: int | None) -> Table:
    rows = found.ranked[:TABLE_ROWS]
    mine = found.of(team_id)
    if mine is not None and mine.rank is not None and mine not in rows:
        rows = [*rows, mine]
    cells = tuple((str(t.rank), t.name, shown(ctx, found, t), str(t.members)) for t in rows)
    return Table(
        tuple(ctx.plain("contest.columns").split("|")),
        cells,
        more=len(found.ranked) - len(rows),
    )


def team_line(ctx: Ctx, found: contests.Standings, team_id: int | None) -> list[Block]:
    """Where this team stands, and what would move it."""
    mine = found.of(team_id)
    if mine is None:
        return []
    if mine.rank is None:
        return [
            Text(
                ctx.md(
                    "contest.team_unranked",
                    team=mine.name,
                    members=mine.members,
                    minimum=found.minimum,
                    score=shown(ctx, found, mine),
                )
            )
        ]
    blocks: list[Block] = [
        Text(
            ctx.md(
                "contest.team_place",
                team=mine.name,
                place=mine.rank,
                of=len(found.ranked),
                score=shown(ctx, found, mine),
            )
        )
    ]
    step = contests.move(found, mine.team_id)
    if step is None:
        return blocks
    credits = found.metric == "credits"
    up = _credits_up(step.up) if credits else step.up
    first = _credits_up(step.first) if credits else step.first
    if up is not None and step.place is not None and step.place > 1:
        blocks.append(
            Text(
                ctx.md(
                    "contest.move_up",
                    more=_units(ctx, found.contest, up),
                    team=mine.name,
                    place=step.place,
                )
            )
        )
    if first is not None:
        blocks.append(
            Text(
                ctx.md("contest.move_first", more=_units(ctx, found.contest, first), team=mine.name)
            )
        )
    elif (
        mine.rank == 1
        and mine.done > 0
        and not any(t.ties(mine) for t in found.ranked if t.team_id != mine.team_id)
    ):
        blocks.append(Text(ctx.md("contest.leading", team=mine.name)))
    return blocks


def small_teams(ctx: Ctx, found: contests.Standings) -> list[Block]:
    small = found.unranked
    if not small:
        return []
    names = ", ".join(t.name for t in small[:20]) + (
        ctx.plain("contest.and_more", count=len(small) - 20) if len(small) > 20 else ""
    )
    return [Text(ctx.md("contest.small_teams", teams=names, minimum=found.minimum))]


def entrants(ctx: Ctx, found: contests.Standings) -> list[Block]:
    if not found.contest.individual_rankings or not found.entrants:
        return []
    credits = found.metric == "credits"
    rows = tuple(
        (
            str(e.rank),
            e.shown_as,
            f"{e.value / contests.CENTS:g}" if credits else str(e.value),
        )
        for e in found.entrants[: contests.ENTRANTS_SHOWN]
    )
    key = (
        "contest.entrants_columns_credits"
        if credits
        else "contest.entrants_columns_sessions"
        if found.metric == "sessions"
        else "contest.entrants_columns"
    )
    return [
        Text(ctx.md("contest.entrants_heading")),
        Table(
            tuple(ctx.plain(key).split("|")),
            rows,
            more=max(0, len(found.entrants) - contests.ENTRANTS_SHOWN),
        ),
    ]


def standings_blocks(
    ctx: Ctx, found: contests.Standings, team_id: int | None, today: date
) -> list[Block]:
    """The standings as a person or a team channel sees them during the contest."""
    contest = found.contest
    state = contests.state(contest, today)
    blocks: list[Block] = [
        Heading(ctx.plain("contest.standings_heading", name=contest.name, id=contest.id or 0)),
        Text(describe(ctx, contest)),
    ]
    if state == "upcoming":
        blocks.append(Text(ctx.md("contest.not_begun", date=format_date(contest.starts_on))))
    elif state == "running":
        left = (contest.ends_on - today).days
        blocks.append(Text(ctx.md("contest.days_left", days=left + 1)))
    blocks += team_line(ctx, found, team_id)
    if found.ranked:
        blocks.append(chart(ctx, found, team_id))
        blocks.append(table(ctx, found, team_id))
    blocks += small_teams(ctx, found)
    blocks += entrants(ctx, found)
    return blocks


def final_blocks(ctx: Ctx, found: contests.Standings, team_id: int | None) -> list[Block]:
    """The final results: the winners celebrated with their prize, then every team's
    place (no team is called last; each is thanked for its part)."""
    contest = found.contest
    blocks: list[Block] = [
        Heading(ctx.plain("contest.final_heading", name=contest.name)),
        Text(describe(ctx, contest)),
    ]
    winners = found.winners
    if winners:
        names = ", ".join(t.name for t in winners)
        blocks.append(
            Text(
                ctx.md(
                    "contest.winners",
                    teams=names,
                    score=shown(ctx, found, winners[0]),
                    prize=contest.prize or ctx.plain("contest.no_prize"),
                )
            )
        )
    else:
        blocks.append(Text(ctx.md("contest.no_winner")))
    mine = found.of(team_id)
    if mine is not None and mine not in winners:
        blocks.append(
            Text(ctx.md("contest.final_thanks", team=mine.name, score=shown(ctx, found, mine)))
        )
    if found.ranked:
        blocks.append(chart(ctx, found, team_id))
        blocks.append(table(ctx, found, team_id))
    blocks += small_teams(ctx, found)
    blocks += entrants(ctx, found)
    return blocks
