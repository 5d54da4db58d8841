"""Who a schedule is for: the audience language and the people (or channels) it means.

Tokens, combined with spaces; tokens of the same kind widen (team:icu team:onc
is either team), tokens of different kinds narrow (team:icu discipline:nurse
is ICU's nurses):

- ``everyone``
- ``team:KEY`` (a team key or name), ``discipline:NAME``, ``pathway:ID``
- ``senior leaders``, ``champions``
- ``not started`` (enrolled, no course done yet)
- ``behind`` or ``behind:N`` (enrolled, unfinished, no completion in N weeks; 4 by default)
- ``channels`` (every linked team channel) or ``channel:KEY`` (that team's channel),
  for posts to team channels rather than to people
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.models import Completion, Enrolment, Person, PersonRole, Team, TeamChannel
from bot.roster import discipline_of, slugify

DEFAULT_BEHIND_WEEKS = 4
_TOKEN = re.compile(
    r"(?P<kind>team|discipline|pathway|channel|behind):(?P<value>\"[^\"]+\"|[^\s,]+)"
    r"|(?P<word>everyone|everybody|all|senior leaders?|leaders|champions|not started|behind"
    r"|channels)",
    re.I,
)


class AudienceError(ValueError):
    """An audience that could not be read; ``code`` says why, ``text`` what was typed."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


@dataclass(frozen=True)
class Audience:
    """A parsed audience; see the module docstring for the language."""

    text: str
    teams: tuple[str, ...] = ()
    disciplines: tuple[str, ...] = ()
    pathways: tuple[str, ...] = ()
    senior_leaders: bool = False
    champions: bool = False
    not_started: bool = False
    behind_weeks: int | None = None
    channels: bool = False
    channel_teams: tuple[str, ...] = ()
    everyone: bool = False
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def to_channels(self) -> bool:
        return self.channels or bool(self.channel_teams)


def parse_audience(text: str, known_pathways: set[str]) -> Audience:
    """Read an audience; raise :class:`AudienceError` with what was not understood."""
    spoken = " ".join(text.strip().split())
    if not spoken:
        raise AudienceError("empty", text)
    leftover = _TOKEN.sub(" ", spoken).replace(",", " ").replace(" and ", " ").strip()
    if leftover and leftover.lower() not in ("and",):
        raise AudienceError("unreadable", leftover)
    teams: list[str] = []
    disciplines: list[str] = []
    pathways: list[str] = []
    channel_teams: list[str] = []
    flags: dict[str, object] = {}
    for m in _TOKEN.finditer(spoken):
        word = (m.group("word") or "").lower()
        kind = (m.group("kind") or "").lower()
        value = (m.group("value") or "").strip('"')
        if word in ("everyone", "everybody", "all"):
            flags["everyone"] = True
        elif word.startswith("senior leader") or word == "leaders":
            flags["senior_leaders"] = True
        elif word == "champions":
            flags["champions"] = True
        elif word == "not started":
            flags["not_started"] = True
        elif word == "behind":
            flags["behind_weeks"] = DEFAULT_BEHIND_WEEKS
        elif word == "channels":
            flags["channels"] = True
        elif kind == "team":
            teams.append(slugify(value))
        elif kind == "channel":
            channel_teams.append(slugify(value))
        elif kind == "discipline":
            found = discipline_of(value) or discipline_of(value.removesuffix("s"))
            if found is None:
                raise AudienceError("discipline", value)
            disciplines.append(found)
        elif kind == "pathway":
            if value.lower() not in known_pathways:
                raise AudienceError("pathway", value)
            pathways.append(value.lower())
        elif kind == "behind":
            if not value.isdigit() or not 1 <= int(value) <= 52:
                raise AudienceError("behind", value)
            flags["behind_weeks"] = int(value)
    return Audience(
        text=spoken,
        teams=tuple(teams),
        disciplines=tuple(disciplines),
        pathways=tuple(pathways),
        channel_teams=tuple(channel_teams),
        **flags,  # type: ignore[arg-type]
    )


def resolve_teams(session: Session, keys: tuple[str, ...]) -> tuple[list[Team], list[str]]:
    """The teams named by key or name, and the names not found."""
    found: list[Team] = []
    missing: list[str] = []
    for key in keys:
        team = session.exec(select(Team).where(Team.key == key)).first()
        if team is None:
            missing.append(key)
        else:
            found.append(team)
    return found, missing


def people(session: Session, audience: Audience, now: datetime) -> list[Person]:
    """Everyone the audience means (people, not channels), in a stable order.

    Nobody who said "stop all" is in any audience until they say resume.
    """
    query = select(Person).where(col(Person.stopped_at).is_(None))
    if audience.teams:
        teams, _ = resolve_teams(session, audience.teams)
        query = query.where(col(Person.team_id).in_([t.id for t in teams]))
    if audience.disciplines:
        query = query.where(col(Person.discipline).in_(audience.disciplines))
    if audience.pathways:
        enrolled = select(Enrolment.person_id).where(
            col(Enrolment.pathway_id).in_(audience.pathways)
        )
        query = query.where(col(Person.id).in_(enrolled))
    roles = [
        r
        for r, on in (("senior_leader", audience.senior_leaders), ("champion", audience.champions))
        if on
    ]
    if roles:
        holders = select(PersonRole.person_id).where(col(PersonRole.role).in_(roles))
        query = query.where(col(Person.id).in_(holders))
    if audience.not_started:
        enrolled_any = select(Enrolment.person_id)
        any_done = select(Completion.person_id)
        query = query.where(col(Person.id).in_(enrolled_any), col(Person.id).not_in(any_done))
    if audience.behind_weeks is not None:
        since = now - timedelta(weeks=audience.behind_weeks)
        recent = select(Completion.person_id).where(col(Completion.completed_at) >= since)
        enrolled_before = select(Enrolment.person_id).where(col(Enrolment.enrolled_at) < since)
        query = query.where(col(Person.id).in_(enrolled_before), col(Person.id).not_in(recent))
    return list(session.exec(query.order_by(col(Person.id))))


def channels(session: Session, audience: Audience) -> list[TeamChannel]:
    """The linked team channels the audience means (every platform)."""
    query = select(TeamChannel)
    keys = audience.channel_teams or audience.teams
    if keys:
        teams, _ = resolve_teams(session, keys)
        query = query.where(col(TeamChannel.team_id).in_([t.id for t in teams]))
    return list(session.exec(query.order_by(col(TeamChannel.id))))


def count_by_team(session: Session, persons: list[Person]) -> list[tuple[str, int]]:
    """How many of these people each team has, largest first."""
    counts: dict[int | None, int] = {}
    for p in persons:
        counts[p.team_id] = counts.get(p.team_id, 0) + 1
    names = dict(session.exec(select(Team.id, Team.name)).all())
    rows = [(names.get(tid, "-"), n) for tid, n in counts.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))
