"""A team's progress post in its channel: its own share trained, this week's finishers
(those who celebrate publicly), and every team's standing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.celebrations import celebrates
from bot.counts import team_counts
from bot.mentions import mention
from bot.messages import Block, Heading, Message, Table, Text
from bot.models import Completion, Person, Schedule, Team
from bot.planning.kinds.base import Kind, Planning
from bot.scopes import Scope
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
    counts = team_counts(ctx, Scope(everyone=True))
    teams = {t.id: t for t in session.exec(select(Team))}
    ranking = sorted(
        (
            (100 * counts.finished[tid] / n if n else 0.0, teams[tid].name)
            for tid, n in counts.people.items()
            if tid in teams
        ),
        key=lambda r: (-r[0], r[1]),
    )
    rows = tuple((str(i), name, f"{pct:.0f}%") for i, (pct, name) in enumerate(ranking, 1))
    people = counts.people[team.id] or 0
    finished = counts.finished[team.id]
    week_ago = planning.clock.now() - timedelta(days=7)
    recent = session.exec(
        select(Person)
        .join(Completion, col(Completion.person_id) == col(Person.id))
        .where(Person.team_id == team.id, col(Completion.recorded_at) >= week_ago)
        .distinct()
    ).all()
    stars = [mention(ctx, p, platform) for p in recent if celebrates(p, planning.content)]
    blocks: list[Block] = [
        Heading(ctx.plain("leaderboard.heading", team=team.name)),
        Text(
            ctx.md(
                "leaderboard.summary",
                team=team.name,
                people=people,
                finished=finished,
                percent=f"{100 * finished / people:.0f}%" if people else "-",
            )
        ),
    ]
    if stars:
        blocks.append(Text(ctx.md("leaderboard.stars", names=Markdown(", ".join(stars)))))
    blocks.append(
        Table(
            tuple(ctx.plain("leaderboard.columns").split("|")),
            rows[:20],
            more=max(0, len(rows) - 20),
        )
    )
    return ctx.message("leaderboard", blocks)


KIND = Kind(
    name="leaderboard",
    words=("leaderboard", "progress", "progress-post"),
    reaches="channels",
    for_channel=for_channel,
)
