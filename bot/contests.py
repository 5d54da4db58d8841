"""Contests between teams: fair standings, what would move a team, and reading a contest.

Every metric is per enrolled member of a team (people on the team with at least one
enrolment), and members who have not started count as 0, so a team of 6 and a team of
60 compete on the same footing (as Qstream averages team scores over every member):

- ``active``: the share of members with at least one completion in the period;
- ``steps``: the share of the team's pathway steps (each member's enrolled pathways,
  course by course) completed in the period;
- ``credits``: credits earned in the period per member (the credits the learning site
  gave, else the most the member's discipline can claim for the course);
- ``level``: the share of members who reached a level (finished a pathway of that level
  or above) in the period: the last course of it was completed in the period;
- ``sessions``: group sessions and case discussions attended in the period per member
  (as their champions recorded attendance).

Only completions in the period count (from the start date to the end date, in the
organisation's time zone). A contest that counts verified completions only ignores
self-reports until they are verified; a held completion (one of a burst of
self-reports) counts in no contest until it is verified. Teams with fewer members than
the content's minimum are shown but not ranked. Equal scores share a rank.

Everything is counted by the database in a few aggregate queries (a handful of rows per
team come back). Over hundreds of teams and a million completions that still takes a few
hundred milliseconds, so :func:`latest` (what the leaderboard asks) keeps each contest's
last standings and reuses them until something they count changes (see
:mod:`bot.freshness`) or they are older than the content's ``standings_max_age``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import Pool, and_, case, distinct, exists, func, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import freshness
from bot.content import Content
from bot.context import Ctx, Refused
from bot.models import (
    DISCIPLINES,
    Attendance,
    Completion,
    Contest,
    ContestEntrant,
    ContestTeam,
    Enrolment,
    Person,
    Team,
)
from bot.store import find_team
from bot.timeparse import DateError, parse_date

METRICS = ("active", "steps", "credits", "level", "sessions")
#: Credits are summed in hundredths, so two teams' scores compare exactly.
CENTS = 100
#: Statuses of a contest that goes ahead (its dates say whether it has begun or ended).
GOING_AHEAD = ("approved", "running")
MAX_NAME = 80
MAX_PRIZE = 300
MAX_DAYS = 366
#: Entrants shown in individual rankings (only those who opted in, and only with progress).
ENTRANTS_SHOWN = 10


# --- standings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamScore:
    """One team's score: ``done`` of ``out_of`` (members, steps, or hundredths of credits
    over members), its rank among ranked teams, or None when it is too small to rank."""

    team_id: int
    key: str
    name: str
    members: int
    done: int
    out_of: int
    rank: int | None = None

    @property
    def value(self) -> float:
        return self.done / self.out_of if self.out_of else 0.0

    def beats(self, other: TeamScore) -> bool:
        return _cmp(self.done, self.out_of, other.done, other.out_of) > 0

    def ties(self, other: TeamScore) -> bool:
        return _cmp(self.done, self.out_of, other.done, other.out_of) == 0


def _cmp(a: int, b: int, c: int, d: int) -> int:
    """Compare a/b with c/d exactly (a zero denominator is a score of 0)."""
    left, right = (a if b else 0) * (d or 1), (c if d else 0) * (b or 1)
    return (left > right) - (left < right)


@dataclass(frozen=True)
class EntrantScore:
    """Someone who opted in to individual rankings, as shown: their handle or name."""

    person_id: int
    shown_as: str
    value: int
    rank: int


@dataclass
class Standings:
    """A contest's standings: ranked teams first (by rank, then name), then those too small."""

    contest: Contest
    metric: str
    teams: list[TeamScore]
    minimum: int
    entrants: list[EntrantScore] = field(default_factory=list)
    #: Each team's score as people read it, once worked out (the same for every post).
    shown: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {t.team_id: t for t in self.teams}
        self._ranked = [t for t in self.teams if t.rank is not None]
        self._position = {t.team_id: i for i, t in enumerate(self._ranked)}

    def of(self, team_id: int | None) -> TeamScore | None:
        return self._by_id.get(team_id) if team_id is not None else None

    def position(self, team_id: int) -> int | None:
        """Where a ranked team is in :attr:`ranked` (0 is first)."""
        return self._position.get(team_id)

    @property
    def ranked(self) -> list[TeamScore]:
        return self._ranked

    @property
    def unranked(self) -> list[TeamScore]:
        return [t for t in self.teams if t.rank is None]

    @property
    def winners(self) -> list[TeamScore]:
        """The teams in first place (several when tied), if anyone scored at all."""
        return [t for t in self.ranked if t.rank == 1 and t.done > 0]


def period(contest: Contest, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The contest's period as UTC instants: the start day's midnight to the day after the end."""
    start = datetime.combine(contest.starts_on, time(0), tzinfo=zone)
    end = datetime.combine(contest.ends_on + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def team_ids(session: Session, contest: Contest) -> list[int]:
    """The teams taking part: every team for an all-teams contest, else those listed."""
    if contest.all_teams:
        return [t for t in session.exec(select(Team.id)) if t is not None]
    return list(
        session.exec(select(ContestTeam.team_id).where(ContestTeam.contest_id == contest.id))
    )


def takes_part(session: Session, contest: Contest, team_id: int | None) -> bool:
    if team_id is None:
        return False
    if contest.all_teams:
        return True
    return (
        session.exec(
            select(ContestTeam.team_id).where(
                ContestTeam.contest_id == contest.id, ContestTeam.team_id == team_id
            )
        ).first()
        is not None
    )


def _on_teams(contest: Contest, teams: list[int]) -> Any:
    """People on the teams taking part."""
    team = col(Person.team_id)
    return team.is_not(None) if contest.all_teams else team.in_(teams)


def _enrolled() -> Any:
    """People with at least one enrolment: the members a team's score is over."""
    return col(Person.id).in_(sa_select(col(Enrolment.person_id)))


def _counted(contest: Contest) -> list[Any]:
    """Which completions count at all: not held (unless verified); verified, if asked."""
    conditions: list[Any] = [or_(col(Completion.verified), not_(col(Completion.held)))]
    if contest.verified_only:
        conditions.append(col(Completion.verified))
    return conditions


def _in_period(contest: Contest, zone: ZoneInfo) -> list[Any]:
    start, end = period(contest, zone)
    return [col(Completion.completed_at) >= start, col(Completion.completed_at) < end]


def _held_in_period(contest: Contest, zone: ZoneInfo) -> list[Any]:
    """Sessions and case discussions held in the contest's period."""
    start, end = period(contest, zone)
    return [col(Attendance.held_at) >= start, col(Attendance.held_at) < end]


def level_rank(content: Content, level_id: str) -> int:
    found = next((lv for lv in content.initiative.levels if lv.id == level_id), None)
    return found.rank if found else 0


def standings(
    session: Session, content: Content, contest: Contest, *, with_entrants: bool = True
) -> Standings:
    """The contest's standings now (or final, once it has ended)."""
    zone = ZoneInfo(content.initiative.defaults.timezone)
    minimum = content.initiative.contests.minimum_team_size
    teams = team_ids(session, contest)
    names = {
        t.id: t
        for t in session.exec(
            select(Team) if contest.all_teams else select(Team).where(col(Team.id).in_(teams))
        )
    }
    on_teams, enrolled = _on_teams(contest, teams), _enrolled()
    counted = [*_in_period(contest, zone), *_counted(contest)]
    team = col(Person.team_id)
    metric = contest.metric if contest.metric in METRICS else "active"
    # One pass over the members' enrolments: how many members, how many pathway steps
    # they have between them, and (for "active") how many have a completion that counts.
    size = case(
        {p.id: len(p.courses) for p in content.pathways.values()},
        value=col(Enrolment.pathway_id),
        else_=0,
    )
    columns: list[Any] = [team, func.count(distinct(col(Enrolment.person_id))), func.sum(size)]
    if metric == "active":
        started = sa_select(col(Completion.person_id)).where(*counted)
        columns.append(func.count(distinct(case((col(Person.id).in_(started), col(Person.id))))))
    rows = session.execute(
        sa_select(*columns)
        .select_from(Person)
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .where(on_teams)
        .group_by(team)
    ).all()
    sizes = {row[0]: int(row[1]) for row in rows}
    out_of: dict[int, int] = dict(sizes)
    done: dict[int, int] = {}
    if metric == "active":
        done = {row[0]: int(row[3] or 0) for row in rows}
    elif metric == "steps":
        out_of = {row[0]: int(row[2] or 0) for row in rows}
        done = _steps(session, content, on_teams, counted)
    elif metric == "credits":
        done = _credits(session, content, on_teams, enrolled, counted)
    elif metric == "level":
        done = _reached_level(session, content, contest, zone, on_teams, enrolled)
    elif metric == "sessions":
        done = _sessions(session, contest, zone, on_teams, enrolled)
    scores = [
        TeamScore(
            team_id=tid,
            key=row.key,
            name=row.name,
            members=sizes.get(tid, 0),
            done=done.get(tid, 0),
            out_of=out_of.get(tid, 0),
        )
        for tid, row in names.items()
        # A team with nobody enrolled (the admins' own, say) is not in the contest at all.
        if tid is not None and sizes.get(tid, 0) > 0
    ]
    result = Standings(contest, metric, _ranked(scores, minimum), minimum)
    if with_entrants and contest.individual_rankings:
        result.entrants = entrants(session, content, contest, metric)
    return result


@dataclass(frozen=True)
class _Kept:
    """Standings worked out earlier: for this contest as it was, this content, and this
    generation of the data (bot.freshness), at this time."""

    content: Content
    shape: tuple[Any, ...]
    generation: int
    at: datetime
    standings: Standings


#: By connection pool, as bot.freshness counts changes.
_kept: WeakKeyDictionary[Pool, dict[tuple[int, bool], _Kept]] = WeakKeyDictionary()
_kept_lock = Lock()


def _shape(contest: Contest) -> tuple[Any, ...]:
    """What of a contest its standings depend on (its teams are in the data generation)."""
    return (
        contest.metric,
        contest.level,
        contest.starts_on,
        contest.ends_on,
        contest.verified_only,
        contest.all_teams,
        contest.individual_rankings,
        contest.status,
    )


def latest(
    session: Session,
    content: Content,
    contest: Contest,
    now: datetime,
    *,
    with_entrants: bool = True,
) -> Standings:
    """The contest's standings, as :func:`standings`, reusing those worked out at most the
    content's ``standings_max_age`` seconds ago when this process has committed no change
    to what they count since. A session with uncommitted changes of its own always works
    them out (and keeps nothing: its transaction may yet roll back)."""
    max_age = content.initiative.contests.standings_max_age
    engine = freshness.engine_of(session)
    if engine is None or max_age <= 0 or contest.id is None or freshness.pending(session):
        return standings(session, content, contest, with_entrants=with_entrants)
    key = (contest.id, with_entrants)
    generation = freshness.generation(engine)  # read before counting: a change while
    shape = _shape(contest)  # counting leaves what is kept out of date, as it should
    kept = _kept.get(engine.pool, {}).get(key)
    if (
        kept is not None
        and kept.content is content
        and kept.shape == shape
        and kept.generation == generation
        and timedelta(0) <= now - kept.at < timedelta(seconds=max_age)
    ):
        # The same figures, about the caller's own copy of the contest.
        return replace(kept.standings, contest=contest)
    found = standings(session, content, contest, with_entrants=with_entrants)
    with _kept_lock:
        _kept.setdefault(engine.pool, {})[key] = _Kept(content, shape, generation, now, found)
    return replace(found, contest=contest)


#: Join a period's completions to their people by the person's key. The completion's side
#: is written ``person_id + 0`` so that no database starts from the people and reads every
#: completion each one has ever made (SQLite's planner would): a period's completions are
#: read in date order from ix_completion_period, which holds every column counted here.
_by_period = col(Person.id) == col(Completion.person_id) + 0


def _is_step(content: Content) -> Any:
    """The completed course is a step of the enrolment's pathway. (The course is compared
    as ``lower(course_id)``, which is the id itself, as content ids are lower case: so no
    database reads every completion of those courses by ix_completion_course instead of
    the period's from ix_completion_period.)"""
    course = func.lower(col(Completion.course_id))
    return or_(
        *(
            and_(col(Enrolment.pathway_id) == p.id, course.in_(p.courses))
            for p in content.pathways.values()
            if p.courses
        )
    )


def _steps(session: Session, content: Content, on_teams: Any, counted: list[Any]) -> dict[int, int]:
    """Pathway steps done in the period by each team's members (a course counts once for
    each of the member's pathways it is a step of)."""
    team = col(Person.team_id)
    if not any(p.courses for p in content.pathways.values()):
        return {}
    done = (
        sa_select(team, func.count())
        .select_from(Completion)
        .join(Person, _by_period)
        .join(Enrolment, col(Enrolment.person_id) == col(Person.id))
        .where(*counted, on_teams, _is_step(content))
        .group_by(team)
    )
    return {tid: int(n) for tid, n in session.execute(done).all()}


def _credit_of(content: Content, discipline: Any) -> Any:
    """The credits a completion brings: the learning site's, else the most the person's
    discipline can claim for the course (0 when it can claim none)."""
    by_course = {}
    for course in content.courses.values():
        amounts = {
            d: max(claimable.values())
            for d in DISCIPLINES
            if (claimable := content.initiative.credits_for(d, dict(course.credits)))
        }
        if amounts:
            by_course[course.id] = case(amounts, value=discipline, else_=0.0)
    fallback = case(by_course, value=col(Completion.course_id), else_=0.0) if by_course else 0.0
    return func.coalesce(col(Completion.credits), fallback)


def _credits(
    session: Session, content: Content, on_teams: Any, enrolled: Any, counted: list[Any]
) -> dict[int, int]:
    """Credits earned in the period by each team's members, in hundredths."""
    team = col(Person.team_id)
    query = (
        sa_select(team, func.sum(_credit_of(content, col(Person.discipline))))
        .select_from(Completion)
        .join(Person, _by_period)
        .where(*counted, on_teams, enrolled)
        .group_by(team)
    )
    return {tid: round(float(s or 0) * CENTS) for tid, s in session.execute(query).all()}


def _reached_level(
    session: Session,
    content: Content,
    contest: Contest,
    zone: ZoneInfo,
    on_teams: Any,
    enrolled: Any,
) -> dict[int, int]:
    """Members who finished a pathway of the contest's level (or above) within the period:
    every course of it done by the end, the last of them in the period. Only people with a
    completion in the period can have, so only their completions are read (by person),
    with one count and one latest date per pathway."""
    rank = level_rank(content, contest.level)
    wanted = [
        p for p in content.pathways.values() if level_rank(content, p.level) >= rank and p.courses
    ]
    if not wanted:
        return {}
    start, end = period(contest, zone)
    counted = _counted(contest)
    recent = sa_select(col(Completion.person_id)).where(*_in_period(contest, zone), *counted)
    course = col(Completion.course_id)
    columns: list[Any] = []
    for n, pathway in enumerate(wanted):
        step = course.in_(pathway.courses)
        columns.append(func.count(case((step, 1))).label(f"n{n}"))
        columns.append(func.max(case((step, col(Completion.completed_at)))).label(f"last{n}"))
    per_person = (
        sa_select(col(Person.team_id).label("tid"), *columns)
        .select_from(Completion)
        .join(Person, col(Person.id) == col(Completion.person_id))
        .where(
            col(Completion.person_id).in_(recent),
            col(Completion.completed_at) < end,
            *counted,
            on_teams,
            enrolled,
        )
        .group_by(col(Completion.person_id), col(Person.team_id))
        .subquery("per_person")
    )
    reached = or_(
        *(
            and_(
                per_person.c[f"n{n}"] == len(pathway.courses),
                per_person.c[f"last{n}"] >= start,
            )
            for n, pathway in enumerate(wanted)
        )
    )
    query = sa_select(per_person.c.tid, func.count()).where(reached).group_by(per_person.c.tid)
    return {tid: int(n) for tid, n in session.execute(query).all()}


def _sessions(
    session: Session, contest: Contest, zone: ZoneInfo, on_teams: Any, enrolled: Any
) -> dict[int, int]:
    """Sessions and case discussions attended in the period by each team's members (by
    when the session was held; each occurrence once per person, as recorded)."""
    team = col(Person.team_id)
    query = (
        sa_select(team, func.count())
        .select_from(Attendance)
        .join(Person, col(Person.id) == col(Attendance.person_id))
        .where(*_held_in_period(contest, zone), on_teams, enrolled)
        .group_by(team)
    )
    return {tid: int(n) for tid, n in session.execute(query).all()}


def _ranked(scores: list[TeamScore], minimum: int) -> list[TeamScore]:
    """Ranks among teams of at least ``minimum`` members (ties share a rank), best first;
    then the teams too small to rank, by name."""
    eligible = [s for s in scores if s.members >= minimum]
    small = sorted((s for s in scores if s.members < minimum), key=lambda s: s.name.lower())
    eligible.sort(key=lambda s: (-s.value, s.name.lower()))
    ranked: list[TeamScore] = []
    for index, score in enumerate(eligible):
        rank = ranked[-1].rank if index and score.ties(ranked[-1]) else index + 1
        ranked.append(_with_rank(score, rank))
    return ranked + small


def _with_rank(score: TeamScore, rank: int | None) -> TeamScore:
    return TeamScore(
        score.team_id, score.key, score.name, score.members, score.done, score.out_of, rank
    )


def entrants(
    session: Session, content: Content, contest: Contest, metric: str
) -> list[EntrantScore]:
    """Opted-in people with progress in the period, best first (ties share a rank): their
    completions counted, or their credits for a credits contest. Nobody else, and nobody
    without progress, is ever listed."""
    zone = ZoneInfo(content.initiative.defaults.timezone)
    counted = [*_in_period(contest, zone), *_counted(contest)]
    who = (col(ContestEntrant.person_id), col(ContestEntrant.handle), col(Person.name))
    value: Any = (
        func.sum(_credit_of(content, col(Person.discipline)))
        if metric == "credits"
        else func.count()
    )
    query = (
        sa_select(*who, value)
        .select_from(ContestEntrant)
        .join(Person, col(Person.id) == col(ContestEntrant.person_id))
    )
    if metric == "sessions":
        query = query.join(Attendance, col(Attendance.person_id) == col(ContestEntrant.person_id))
        counted = _held_in_period(contest, zone)
    else:
        query = query.join(Completion, col(Completion.person_id) == col(ContestEntrant.person_id))
    rows = session.execute(
        query.where(col(ContestEntrant.contest_id) == contest.id, *counted).group_by(
            col(ContestEntrant.person_id), col(ContestEntrant.handle), col(Person.name)
        )
    ).all()
    scored = sorted(
        (
            (
                pid,
                handle or name,
                round(float(v) * CENTS) if metric == "credits" else int(v),
            )
            for pid, handle, name, v in rows
        ),
        key=lambda r: (-r[2], r[1].lower()),
    )
    out: list[EntrantScore] = []
    for index, (pid, shown, v) in enumerate(x for x in scored if x[2] > 0):
        rank = out[-1].rank if out and out[-1].value == v else index + 1
        out.append(EntrantScore(pid, shown, v, rank))
    return out


# --- what would move a team -------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """What would lift a team: ``up`` more units to pass the teams just above it (taking
    their place ``place``), ``first`` more to be first alone. None where nothing would
    (already there, or more than the team could do)."""

    up: int | None
    place: int | None
    first: int | None


def move(found: Standings, team_id: int | None) -> Move | None:
    """For a ranked team: the fewest more units (members starting, steps, hundredths of a
    credit, members reaching the level) that lift it one place, and to first place alone."""
    me = found.of(team_id)
    if me is None or me.rank is None:
        return None
    ranked = found.ranked
    at = found.position(me.team_id) or 0
    # Ranked best first: the teams above are those before the first one level with it.
    level = at
    while level > 0 and ranked[level - 1].ties(me):
        level -= 1
    cap = _capacity(found.metric, me)
    up = place = first = None
    if level > 0:
        nearest = ranked[level - 1]
        up = _to_pass(me, nearest, cap)
        place = nearest.rank
        first = _to_pass(me, ranked[0], cap)
    else:
        rival = next((t for t in ranked[: at + 2] if t.team_id != me.team_id and t.ties(me)), None)
        if rival is not None:
            first = _to_pass(me, rival, cap)
    return Move(up, place if up is not None else None, first)


def _capacity(metric: str, me: TeamScore) -> int | None:
    """The most units a team can add: everyone starting or reaching the level, every step."""
    if metric in ("credits", "sessions"):
        return None
    return max(0, me.out_of - me.done)


def _to_pass(me: TeamScore, other: TeamScore, cap: int | None) -> int | None:
    """The fewest units k with (me.done + k) / me.out_of > other's score."""
    if me.out_of <= 0:
        return None
    needed = (other.done * me.out_of) // (other.out_of or 1) + 1 - me.done
    needed = max(needed, 1)
    if cap is not None and needed > cap:
        return None
    return needed


# --- who is stuck (for their champion only) ---------------------------------------------------


def not_started(session: Session, content: Content, contest: Contest, team_id: int) -> list[Person]:
    """Enrolled members of a team with nothing counted in this contest yet, by name. For
    the team's champion, privately: never posted anywhere others can see."""
    zone = ZoneInfo(content.initiative.defaults.timezone)
    if contest.metric == "sessions":
        counted = (
            exists()
            .where(col(Attendance.person_id) == col(Person.id))
            .where(*_held_in_period(contest, zone))
        )
    else:
        counted = (
            exists()
            .where(col(Completion.person_id) == col(Person.id))
            .where(*_in_period(contest, zone), *_counted(contest))
        )
    enrolled = exists().where(col(Enrolment.person_id) == col(Person.id))
    return list(
        session.exec(
            select(Person)
            .where(Person.team_id == team_id, enrolled, not_(counted))
            .order_by(col(Person.name))
        )
    )


# --- the state of a contest, and finding one ---------------------------------------------------


def state(contest: Contest, today: date) -> str:
    """proposed, upcoming, running, ended (results not yet posted), finished, cancelled or
    declined."""
    if contest.status not in GOING_AHEAD:
        return contest.status
    if today < contest.starts_on:
        return "upcoming"
    if today <= contest.ends_on:
        return "running"
    return "ended"


def current_for(session: Session, team_id: int | None, today: date) -> Contest | None:
    """The contest a team is in now (the latest started), else its latest finished or ended
    one, else its next; for no team (an admin), any contest in that order."""
    rows = list(
        session.exec(
            select(Contest)
            .where(col(Contest.status).in_((*GOING_AHEAD, "finished")))
            .order_by(col(Contest.starts_on).desc(), col(Contest.id).desc())
        )
    )
    mine = [c for c in rows if team_id is None or takes_part(session, c, team_id)]
    for wanted in (("running",), ("ended", "finished"), ("upcoming",)):
        for contest in mine:
            if state(contest, today) in wanted:
                return contest
    return None


# --- reading a contest from words --------------------------------------------------------------


@dataclass
class Spec:
    """A contest as typed: ``<name> [teams <teams>|all] [against <teams>] [metric <metric>]
    [from <date>] to <date> [verified only] [prize <text>]``."""

    name: str
    teams: list[Team]
    all_teams: bool
    metric: str
    level: str
    starts_on: date
    ends_on: date
    prize: str
    verified_only: bool


_KEYWORD = re.compile(
    r"(?<![\w-])(?P<kw>teams?|against|metric|from|starting|to|until|till|ending|prize"
    r"|verified only|verified|all completions)(?![\w-])",
    re.I,
)
_TRAILING_FLAG = re.compile(r"\s+(?P<flag>verified only|verified|all completions)\s*$", re.I)
_QUOTED = re.compile(r'^\s*"(?P<name>[^"]*)"\s*')
_METRIC_WORDS = {
    "active": "active",
    "participation": "active",
    "started": "active",
    "starting": "active",
    "people": "active",
    "steps": "steps",
    "step": "steps",
    "progress": "steps",
    "pathway": "steps",
    "completions": "steps",
    "credits": "credits",
    "credit": "credits",
    "level": "level",
    "levels": "level",
    "sessions": "sessions",
    "session": "sessions",
    "attendance": "sessions",
    "attended": "sessions",
    "meetings": "sessions",
}


def read_spec(ctx: Ctx, text: str, *, against: bool = False) -> Spec:
    """Read a contest from words, or refuse naming what to write instead."""
    words = " ".join(text.replace("\u201c", '"').replace("\u201d", '"').split())
    quoted = _QUOTED.match(words)
    name = quoted.group("name").strip() if quoted else ""
    rest = words[quoted.end() :] if quoted else words
    parts: dict[str, str] = {}
    flags: list[str] = []
    matches = list(_KEYWORD.finditer(rest))
    if not quoted:
        name = rest[: matches[0].start()].strip() if matches else rest.strip()
    for index, m in enumerate(matches):
        kw = m.group("kw").lower()
        if kw in ("verified only", "verified", "all completions"):
            flags.append(kw)
            continue
        if kw == "prize":
            prize = rest[m.end() :].strip()
            trailing = _TRAILING_FLAG.search(prize)
            if trailing:
                flags.append(trailing.group("flag").lower())
                prize = prize[: trailing.start()].strip()
            parts["prize"] = prize
            break
        following = matches[index + 1].start() if index + 1 < len(matches) else len(rest)
        key = {"team": "teams", "starting": "from", "until": "to", "till": "to"}.get(kw, kw)
        key = "to" if key == "ending" else key
        parts[key] = rest[m.end() : following].strip(" ,;")
    name = name.strip(" ,;:-")
    if not name or len(name) > MAX_NAME:
        raise Refused(ctx.say("contest.bad_name", text=text, limit=MAX_NAME))
    prize = parts.get("prize", "")
    if len(prize) > MAX_PRIZE:
        raise Refused(ctx.say("contest.prize_too_long", limit=MAX_PRIZE))
    metric, level = _metric(ctx, parts.get("metric", ""))
    today = ctx.today()
    order = ctx.content.initiative.defaults.date_order
    starts = _date(ctx, parts.get("from", ""), today, order) if parts.get("from") else today
    if not parts.get("to"):
        raise Refused(ctx.say("contest.needs_end"))
    ends = _date(ctx, parts["to"], starts, order)
    if starts < today:
        raise Refused(ctx.say("contest.starts_in_past", date=starts.isoformat()))
    if ends < starts:
        raise Refused(ctx.say("contest.ends_before_start"))
    if (ends - starts).days > MAX_DAYS:
        raise Refused(ctx.say("contest.too_long", days=MAX_DAYS))
    key = "against" if against else "teams"
    named = parts.get(key, "").strip()
    teams, everyone = _teams(ctx, named)
    return Spec(
        name=name,
        teams=teams,
        all_teams=everyone,
        metric=metric,
        level=level,
        starts_on=starts,
        ends_on=ends,
        prize=prize,
        verified_only="verified only" in flags or "verified" in flags,
    )


def _metric(ctx: Ctx, text: str) -> tuple[str, str]:
    levels = [lv.id for lv in ctx.content.initiative.levels]
    words = text.lower().replace(":", " ").split()
    if not words:
        return "active", ""
    if words[0] in levels:  # "metric silver": members reaching silver
        return "level", words[0]
    metric = _METRIC_WORDS.get(words[0])
    if metric is None:
        raise Refused(ctx.say("contest.bad_metric", text=text, levels=", ".join(levels)))
    if metric != "level":
        return metric, ""
    level = next((w for w in words[1:] if w in levels), levels[0] if levels else "")
    if len(words) > 1 and words[1] not in levels:
        raise Refused(ctx.say("contest.bad_metric", text=text, levels=", ".join(levels)))
    return "level", level


def _date(ctx: Ctx, text: str, today: date, order: str) -> date:
    try:
        return parse_date(text, today, order)
    except DateError as exc:
        raise Refused(ctx.say(f"date.{exc.code}", text=exc.text)) from None


def _teams(ctx: Ctx, text: str) -> tuple[list[Team], bool]:
    """Teams named by key or name, separated by commas or 'and' (``team:KEY`` too);
    'all' or nothing means every team."""
    if text.lower() in ("", "all", "everyone", "all teams", "every team"):
        return [], True
    pieces = [p.strip() for p in re.split(r",|;|\s+and\s+|\s+&\s+", text) if p.strip()]
    found: list[Team] = []
    for piece in pieces:
        tokens = piece.split()
        names = (
            [t.removeprefix("team:") for t in tokens]
            if all(t.startswith("team:") for t in tokens)
            else [piece]
        )
        for name in names:
            team, options = find_team(ctx.session, name)
            if team is None:
                raise Refused(
                    ctx.say(
                        "team.not_found",
                        text=name,
                        teams=", ".join(t.key for t in options) or "-",
                    )
                )
            if team not in found:
                found.append(team)
    return found, False


# --- a burst of self-reports -------------------------------------------------------------------

BURST_WINDOW = timedelta(hours=1)


def hold_if_burst(
    session: Session, content: Content, completion: Completion, now: datetime
) -> bool:
    """Hold a self-report that makes more than the content's limit in an hour by one
    person: it counts for the person's own progress, but in no contest until a champion
    (or the learning site's records) verifies it. True if it was held."""
    if completion.verified or completion.source != "self_report":
        return False
    recent = session.exec(
        select(func.count())
        .select_from(Completion)
        .where(
            Completion.person_id == completion.person_id,
            Completion.source == "self_report",
            col(Completion.recorded_at) > now - BURST_WINDOW,
        )
    ).one()
    if recent <= content.initiative.contests.burst_limit:
        return False
    completion.held = True
    session.add(completion)
    return True
