"""What the comfort surveys say: before, looking back and after, in aggregate only.

Every figure is over people, never about one: :func:`results` reads the answers once
(one query: each answer with its person's team, joined to ``person``), keeps each
person's latest answer to an item in a phase (two pathways may ask the same item), and
computes per item and per topic:

- the people who answered, and the mean answer before (``pre``), looking back (``retro``:
  asked after training, "looking back, before the training, how comfortable were you?"),
  after (``post``) and at the follow-up, each over the people who gave it;
- the change, after minus before, over the people who answered both, with its 95%
  confidence interval (a paired t-interval: the mean difference plus or minus the t
  quantile of scipy.stats times the standard error); the same against looking back;
- the share of those people whose answer rose by one point or more;
- the over-rating gap, before minus looking back, with its interval: how much higher
  people rated themselves beforehand than they do looking back.

A topic's figures average each person's answers over the topic's items first (per
phase), then take the same statistics over people.

Privacy, the rule everything here keeps:

- a team with fewer than the content's ``minimum_group`` people who answered (in what
  was asked for: the pathway, topic and discipline) is left out of every figure, the
  organisation's included, so no one can work a small team's answers out by subtracting
  the others from the total; people with no team are one group under the same rule.
  :class:`Results` says how many people and teams were left out;
- a figure over fewer than ``minimum_group`` people (a mean, a change, a share) is not
  given (``None``);
- nothing here returns one person's answers.

Reading 300,000 answers is bounded by the Python objects made for each row, so the query
returns two integers an answer (the person, and the rest packed: team, item, phase and
value), read through the driver's cursor and decoded with numpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats
from sqlalchemy import BigInteger, Select, case, cast, func
from sqlmodel import Session, col, select

from bot.content import Content, SurveyItem
from bot.models import Person, SurveyAnswer

PHASES = ("pre", "retro", "post", "follow_up")
PRE, RETRO, POST, FOLLOW_UP = range(len(PHASES))
CONFIDENCE = 0.95
METHOD = "paired t-interval, 95%, scipy.stats"
#: Answers are points from 1; packed in 8 bits (a scale has far fewer points).
VALUES = 256

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


@dataclass(frozen=True)
class Mean:
    """The mean answer in one phase over the ``n`` people who gave it (None under the
    minimum group)."""

    n: int
    value: float | None = None


@dataclass(frozen=True)
class Change:
    """The mean of paired differences over the ``n`` people with both answers, with its
    95% confidence interval (None under the minimum group)."""

    n: int
    mean: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Share:
    """How many of the ``n`` people with both answers rose by a point or more, and their
    share (None under the minimum group)."""

    n: int
    count: int | None = None
    share: float | None = None


@dataclass(frozen=True)
class Figures:
    """Every statistic of one item, or of one topic over people."""

    people: int
    pre: Mean
    retro: Mean
    post: Mean
    follow_up: Mean
    #: After minus before.
    change: Change
    #: After minus looking back.
    change_retro: Change
    #: After minus before of one point or more.
    up_one: Share
    #: Before minus looking back: how much people over-rated themselves beforehand.
    gap: Change


@dataclass(frozen=True)
class ItemResults:
    item: SurveyItem
    figures: Figures


@dataclass(frozen=True)
class TopicResults:
    topic: str
    items: tuple[ItemResults, ...]
    #: Each person's mean over the topic's items (per phase), then over people.
    figures: Figures


@dataclass(frozen=True)
class Results:
    """The figures asked for, and what was left out to keep small groups apart."""

    topics: tuple[TopicResults, ...]
    minimum: int
    method: str
    #: People and answers counted.
    people: int
    answers: int
    #: Teams counted (people with no team, when counted, are not a team).
    teams: int
    #: People left out of every figure, in teams under the minimum (and with no team).
    left_out_people: int
    left_out_teams: int
    #: People with no team, left out because fewer than the minimum answered (0 if none).
    left_out_no_team: int

    @property
    def empty(self) -> bool:
        return not self.topics


def results(
    session: Session,
    content: Content,
    *,
    team_ids: list[int] | None = None,
    pathway: str | None = None,
    topic: str | None = None,
    discipline: str | None = None,
) -> Results:
    """The comfort figures for every team (``team_ids`` None) or only those teams, about
    one pathway, topic or discipline if asked. See the module's docstring."""
    minimum = content.initiative.defaults.minimum_group
    items = [i for i in content.surveys.items.values() if topic is None or i.topic == topic]
    nothing = Results((), minimum, METHOD, 0, 0, 0, 0, 0, 0)
    if not items:
        return nothing
    person, packed = _read(
        session, items, team_ids=team_ids, pathway=pathway, discipline=discipline
    )
    if not len(person):
        return nothing
    rest, value = np.divmod(packed, VALUES)
    rest, phase = np.divmod(rest, len(PHASES))
    team, item = np.divmod(rest, len(items))

    # Each person's latest answer to an item in a phase: the answers come in the order
    # they were given (by id), so a stable sort by person, item and phase leaves the
    # latest last in each run.
    key = (person * len(items) + item) * len(PHASES) + phase
    order = np.argsort(key, kind="stable")
    key = key[order]
    latest = order[np.append(key[1:] != key[:-1], True)]
    person, team, item, phase, value = (a[latest] for a in (person, team, item, phase, value))

    # Teams (and the people with no team, team 0) under the minimum: out of everything.
    first = np.insert(person[1:] != person[:-1], 0, True)
    groups, sizes = np.unique(team[first], return_counts=True)
    small = groups[sizes < minimum]
    kept = ~np.isin(team, small)
    left_out_people = int(sizes[sizes < minimum].sum())
    left_out_teams = int(np.count_nonzero(small != 0))
    left_out_no_team = int(sizes[(groups == 0) & (sizes < minimum)].sum())
    counted = groups[sizes >= minimum]
    people = int(np.count_nonzero(first[kept]))
    if not people:
        return Results(
            (), minimum, METHOD, 0, 0, 0, left_out_people, left_out_teams, left_out_no_team
        )
    person, item, phase, value = (a[kept] for a in (person, item, phase, value))
    values = value.astype(np.float64)

    # One row a person and item: their answer in each phase (NaN: none).
    pair = person * len(items) + item
    starts = np.insert(pair[1:] != pair[:-1], 0, True)
    row = np.cumsum(starts) - 1
    grid = np.full((int(starts.sum()), len(PHASES)), np.nan)
    grid[row, phase] = values
    row_item = item[starts]

    # One row a person and topic: the mean of their answers over its items, per phase.
    topic_ids = list(dict.fromkeys(i.topic for i in items))
    topic_of = np.array([topic_ids.index(i.topic) for i in items], dtype=np.int64)
    group_key = person * len(topic_ids) + topic_of[item]
    groups_of, where = np.unique(group_key, return_inverse=True)
    cells = where * len(PHASES) + phase
    size = len(groups_of) * len(PHASES)
    sums = np.bincount(cells, weights=values, minlength=size).reshape(-1, len(PHASES))
    counts = np.bincount(cells, minlength=size).reshape(-1, len(PHASES))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    group_topic = groups_of % len(topic_ids)

    ordered = [t for t in content.initiative.topics if t in topic_ids]
    ordered += [t for t in topic_ids if t not in ordered]
    topics: list[TopicResults] = []
    for topic_id in ordered:
        number = topic_ids.index(topic_id)
        shown = tuple(
            ItemResults(it, figures(grid[row_item == n], minimum))
            for n, it in enumerate(items)
            if it.topic == topic_id and np.any(row_item == n)
        )
        if shown:
            topics.append(
                TopicResults(topic_id, shown, figures(means[group_topic == number], minimum))
            )
    return Results(
        tuple(topics),
        minimum,
        METHOD,
        people=people,
        answers=len(person),
        teams=int(np.count_nonzero(counted != 0)),
        left_out_people=left_out_people,
        left_out_teams=left_out_teams,
        left_out_no_team=left_out_no_team,
    )


def _read(
    session: Session,
    items: Sequence[SurveyItem],
    *,
    team_ids: list[int] | None,
    pathway: str | None,
    discipline: str | None,
) -> tuple[Ints, Ints]:
    """Every answer asked for, in one query, in the order they were given: its person,
    and its person's team, item (its index in ``items``), phase and value packed into one
    integer."""
    answer, person = SurveyAnswer, Person
    item_code = case({it.id: n for n, it in enumerate(items)}, value=col(answer.item_id), else_=0)
    phase_code = case({p: n for n, p in enumerate(PHASES)}, value=col(answer.phase), else_=0)
    team = cast(func.coalesce(col(person.team_id), 0), BigInteger)
    packed = ((team * len(items) + item_code) * len(PHASES) + phase_code) * VALUES + col(
        answer.value
    )
    # For everyone, read the answers in order and look each person up by id ("+ 0": else
    # SQLite's planner starts from all the people); for a few teams, start from their
    # people and find their answers.
    joined = col(answer.person_id) if team_ids is not None else col(answer.person_id) + 0
    query = (
        select(col(answer.person_id), packed)
        .select_from(answer)
        .join(person, col(person.id) == joined)
        .where(
            col(answer.item_id).in_([it.id for it in items]),
            col(answer.phase).in_(PHASES),
            col(answer.value) >= 1,
            col(answer.value) < VALUES,
        )
    )
    if team_ids is not None:
        query = query.where(col(person.team_id).in_(team_ids))
    if pathway is not None:
        query = query.where(col(answer.pathway_id) == pathway)
    if discipline is not None:
        query = query.where(col(person.discipline) == discipline)
    rows = _driver_rows(session, query.order_by(col(answer.id)))
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows))
    table = flat.reshape(-1, 2)
    return table[:, 0], table[:, 1]


def _driver_rows(session: Session, query: Select[*tuple[Any, ...]]) -> list[tuple[int, ...]]:
    """The rows of ``query`` as the driver returns them (plain tuples), in the session's
    transaction: SQLAlchemy's own rows cost more than the query itself here."""
    connection = session.connection()
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = [compiled.params[name] for name in compiled.positiontup]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


# --- the statistics ----------------------------------------------------------------------------


def figures(grid: Floats, minimum: int) -> Figures:
    """Every statistic over the rows of ``grid`` (one a person: their answer, or their
    mean, in each phase; NaN for none)."""
    return Figures(
        people=len(grid),
        pre=_mean(grid[:, PRE], minimum),
        retro=_mean(grid[:, RETRO], minimum),
        post=_mean(grid[:, POST], minimum),
        follow_up=_mean(grid[:, FOLLOW_UP], minimum),
        change=paired(grid[:, POST], grid[:, PRE], minimum),
        change_retro=paired(grid[:, POST], grid[:, RETRO], minimum),
        up_one=_up_one(grid[:, POST], grid[:, PRE], minimum),
        gap=paired(grid[:, PRE], grid[:, RETRO], minimum),
    )


def _mean(values: Floats, minimum: int) -> Mean:
    given = values[~np.isnan(values)]
    if len(given) < minimum:
        return Mean(len(given))
    return Mean(len(given), float(given.mean()))


def paired(after: Floats, before: Floats, minimum: int) -> Change:
    """The mean of ``after - before`` over the rows with both, with its paired
    t-interval: mean ± t(0.975, n - 1) × sd / √n."""
    both = ~np.isnan(after) & ~np.isnan(before)
    differences = after[both] - before[both]
    n = len(differences)
    if n < max(minimum, 2):
        return Change(n)
    mean = float(differences.mean())
    spread = float(differences.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * spread
    return Change(n, mean, mean - half, mean + half)


def _up_one(after: Floats, before: Floats, minimum: int) -> Share:
    both = ~np.isnan(after) & ~np.isnan(before)
    n = int(both.sum())
    if n < minimum:
        return Share(n)
    count = int(np.count_nonzero(after[both] - before[both] >= 1))
    return Share(n, count, count / n)


# --- as a file ---------------------------------------------------------------------------------

CSV_COLUMNS = (
    "level",
    "topic",
    "item",
    "people",
    "pre_n",
    "pre_mean",
    "retro_n",
    "retro_mean",
    "post_n",
    "post_mean",
    "follow_up_n",
    "follow_up_mean",
    "change_n",
    "change_mean",
    "change_ci_low",
    "change_ci_high",
    "change_vs_retro_n",
    "change_vs_retro_mean",
    "change_vs_retro_ci_low",
    "change_vs_retro_ci_high",
    "up_one_n",
    "up_one_count",
    "up_one_share",
    "gap_n",
    "gap_mean",
    "gap_ci_low",
    "gap_ci_high",
)

Cell = str | int | float


def csv_rows(found: Results) -> list[list[Cell]]:
    """A header and one row per item and per topic (after its items), the figures as
    numbers; a figure not given (under the minimum group) is an empty cell."""
    rows: list[list[Cell]] = [list(CSV_COLUMNS)]
    for topic in found.topics:
        for item in topic.items:
            rows.append(["item", topic.topic, item.item.id, *_cells(item.figures)])
        rows.append(["topic", topic.topic, "", *_cells(topic.figures)])
    return rows


def _cells(f: Figures) -> Iterable[Cell]:
    def num(value: float | int | None) -> Cell:
        return "" if value is None else value

    yield f.people
    for mean in (f.pre, f.retro, f.post, f.follow_up):
        yield from (mean.n, num(mean.value))
    for change in (f.change, f.change_retro):
        yield from (change.n, num(change.mean), num(change.low), num(change.high))
    yield from (f.up_one.n, num(f.up_one.count), num(f.up_one.share))
    yield from (f.gap.n, num(f.gap.mean), num(f.gap.low), num(f.gap.high))
