"""Shout-outs as records: who thanked whom (people, or a whole team), and what became of it.

Champions and admins post shout-outs in a team's channel; teammates suggest them and
a champion approves, edits or declines (the handlers in
:mod:`bot.handlers.recognition`). Every shout-out is a :class:`bot.models.Shoutout`
row, with a :class:`bot.models.ShoutoutRecipient` per person thanked, so the
champions' digest lists the week's and the monthly recognition post counts them per
team: given (by the team's members) and received (by the team or its people). Counts
never rank people.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.db import insert_ignore
from bot.models import Person, PersonRole, Shoutout, ShoutoutRecipient, Team, TeamChannel
from bot.roster import slugify

#: Shout-outs that reached the people thanked: in the channel, or privately.
GIVEN = ("posted", "private")
#: The most words a team's name may take after ``team:`` ("team:Oncology Clinic ...").
NAME_WORDS = 6

_TEAM_WORD = re.compile(r"^team:\s*", re.I)
_QUOTED = re.compile(r'^"(?P<name>[^"]+)"\s*')


def names_team(text: str) -> bool:
    """Whether the words thank a whole team (``team:icu ...``)."""
    return bool(_TEAM_WORD.match(text.strip()))


def team_and_words(session: Session, text: str) -> tuple[Team | None, str, str]:
    """(the team, the words of thanks, what was typed as the team) from
    ``team:icu for a brilliant week``, ``team:"Oncology Clinic" ...`` or
    ``team:Oncology Clinic ...`` (the longest run of words that is a team's key or name).
    The team is None when nothing typed names one."""
    rest = _TEAM_WORD.sub("", text.strip(), count=1)
    quoted = _QUOTED.match(rest)
    teams = list(session.exec(select(Team)))
    by_key = {t.key: t for t in teams}
    by_name = {" ".join(t.name.lower().split()): t for t in teams}
    if quoted:
        name = quoted.group("name")
        found = by_key.get(slugify(name)) or by_name.get(" ".join(name.lower().split()))
        return found, rest[quoted.end() :].strip(), name
    words = rest.split()
    for size in range(min(NAME_WORDS, len(words)), 0, -1):
        name = " ".join(words[:size])
        found = by_key.get(slugify(name)) or by_name.get(name.lower())
        if found is not None:
            return found, " ".join(words[size:]).strip(" :,-–"), name
    return None, " ".join(words[1:]), words[0] if words else ""


def champions_of(session: Session, team_id: int) -> list[Person]:
    """A team's champions, by name."""
    return list(
        session.exec(
            select(Person)
            .join(PersonRole, col(PersonRole.person_id) == col(Person.id))
            .where(Person.team_id == team_id, PersonRole.role == "champion")
            .order_by(col(Person.name))
        )
    )


def channel_of(session: Session, team_id: int, platform: str) -> str | None:
    """The team's channel on a platform, if one is linked."""
    return session.exec(
        select(TeamChannel.channel_id).where(
            TeamChannel.team_id == team_id, TeamChannel.platform == platform
        )
    ).first()


def record(
    session: Session,
    *,
    giver: Person | None,
    giver_label: str,
    team: Team,
    people: Sequence[Person],
    text: str,
    status: str,
    now: datetime,
    suggested: bool = False,
) -> Shoutout:
    """Keep a shout-out and the people it thanks (none: the whole team)."""
    row = Shoutout(
        giver_id=giver.id if giver else None,
        giver=giver_label,
        team_id=team.id or 0,
        whole_team=not people,
        text=text,
        status=status,
        suggested=suggested,
        created_at=now,
    )
    session.add(row)
    session.flush()
    insert_ignore(
        session,
        ShoutoutRecipient,
        [{"shoutout_id": row.id, "person_id": p.id} for p in people],
    )
    return row


def recipients(session: Session, shoutout_id: int) -> list[Person]:
    """The people a shout-out thanks, by name (none for a whole team)."""
    return list(
        session.exec(
            select(Person)
            .join(ShoutoutRecipient, col(ShoutoutRecipient.person_id) == col(Person.id))
            .where(ShoutoutRecipient.shoutout_id == shoutout_id)
            .order_by(col(Person.name))
        )
    )


@dataclass(frozen=True)
class Given:
    """One shout-out that reached its people, for a digest."""

    shoutout: Shoutout
    people: tuple[Person, ...]
    giver: Person | None


def given_to(session: Session, team_id: int, since: datetime, until: datetime) -> list[Given]:
    """The shout-outs for a team (or its people) that went out in [since, until), oldest
    first: posted in the channel, or sent privately."""
    rows = list(
        session.exec(
            select(Shoutout)
            .where(
                Shoutout.team_id == team_id,
                col(Shoutout.status).in_(GIVEN),
                col(Shoutout.posted_at) >= since,
                col(Shoutout.posted_at) < until,
            )
            .order_by(col(Shoutout.posted_at), col(Shoutout.id))
        )
    )
    people = _recipients_of(session, [r.id or 0 for r in rows])
    givers = {
        p.id: p
        for p in session.exec(
            select(Person).where(col(Person.id).in_({r.giver_id for r in rows if r.giver_id}))
        )
    }
    return [
        Given(r, tuple(people.get(r.id or 0, ())), givers.get(r.giver_id) if r.giver_id else None)
        for r in rows
    ]


def _recipients_of(session: Session, ids: Iterable[int]) -> dict[int, list[Person]]:
    found: dict[int, list[Person]] = defaultdict(list)
    wanted = list(ids)
    if not wanted:
        return found
    for shoutout_id, person in session.exec(
        select(ShoutoutRecipient.shoutout_id, Person)
        .join(Person, col(Person.id) == col(ShoutoutRecipient.person_id))
        .where(col(ShoutoutRecipient.shoutout_id).in_(wanted))
        .order_by(col(Person.name))
    ):
        found[shoutout_id].append(person)
    return found


@dataclass
class TeamCounts:
    """Shout-outs per team over a period: given by members, received by the team or its
    people, how many people were thanked by name, and how many came from suggestions."""

    given: Counter[int] = field(default_factory=Counter)
    received: Counter[int] = field(default_factory=Counter)
    whole_team: Counter[int] = field(default_factory=Counter)
    people_thanked: Counter[int] = field(default_factory=Counter)
    suggested: Counter[int] = field(default_factory=Counter)


def counts(session: Session, since: datetime, until: datetime) -> TeamCounts:
    """Every team's shout-out counts for [since, until), in a few queries."""
    out = TeamCounts()
    period = (
        col(Shoutout.status).in_(GIVEN),
        col(Shoutout.posted_at) >= since,
        col(Shoutout.posted_at) < until,
    )
    for team_id, whole, suggested, giver_team in session.exec(
        select(Shoutout.team_id, Shoutout.whole_team, Shoutout.suggested, Person.team_id)
        .join(Person, col(Person.id) == col(Shoutout.giver_id), isouter=True)
        .where(*period)
    ):
        out.received[team_id] += 1
        if whole:
            out.whole_team[team_id] += 1
        if suggested:
            out.suggested[team_id] += 1
        if giver_team is not None:
            out.given[giver_team] += 1
    thanked: dict[int, set[int]] = defaultdict(set)
    for team_id, person_id in session.exec(
        select(Shoutout.team_id, ShoutoutRecipient.person_id)
        .join(ShoutoutRecipient, col(ShoutoutRecipient.shoutout_id) == col(Shoutout.id))
        .where(*period)
    ):
        thanked[team_id].add(person_id)
    out.people_thanked = Counter({t: len(p) for t, p in thanked.items()})
    return out


def waiting(session: Session, team_id: int | None) -> list[Shoutout]:
    """Suggestions waiting for a champion: for one team, or every team (None), oldest first."""
    query = select(Shoutout).where(Shoutout.status == "suggested")
    if team_id is not None:
        query = query.where(Shoutout.team_id == team_id)
    return list(session.exec(query.order_by(col(Shoutout.created_at), col(Shoutout.id))))
