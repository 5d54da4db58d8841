"""Who a command is about, and who may act for whom.

A :class:`Scope` is any combination of a team, a discipline, a pathway and one
person, read from words such as ``team:icu discipline:nurse``. Champions act on
their own team only (:func:`limit_to_own_team`); admins and the server operator
on anyone. Handlers and scheduled messages both ask here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import and_
from sqlmodel import col, select

from bot import roster
from bot.catalog import find_pathway
from bot.compose import discipline_name
from bot.context import Ctx, Refused
from bot.models import DISCIPLINES, Enrolment, Person, Team
from bot.store import find_team, person_by_email, team_of

_SCOPE_TOKEN = re.compile(
    r'(?P<kind>team|discipline|pathway):(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))|(?P<email>\S+@\S+)'
    r"|(?P<all>everyone|everybody|all)",
    re.I,
)


@dataclass
class Scope:
    """Who a command is about: any combination of team, discipline, pathway, one person."""

    team: Team | None = None
    discipline: str | None = None
    pathway: str | None = None
    person: Person | None = None
    everyone: bool = False
    parts: list[str] = field(default_factory=list)

    def describe(self, ctx: Ctx) -> str:
        words: list[str] = []
        if self.person:
            words.append(ctx.plain("scope.person", name=self.person.name))
        if self.team:
            words.append(ctx.plain("scope.team", team=self.team.name))
        if self.discipline:
            words.append(
                ctx.plain("scope.discipline", discipline=discipline_name(ctx, self.discipline))
            )
        if not words:
            return ctx.plain("scope.everyone")
        text = words[0]
        for word in words[1:]:
            text = ctx.plain("scope.and", left=text, right=word)
        return text


def _discipline(text: str) -> str | None:
    word = text.strip().lower()
    found = roster.discipline_of(word) or roster.discipline_of(word.removesuffix("s"))
    return found if found in DISCIPLINES else None


def parse_scope(ctx: Ctx, text: str) -> Scope:
    """Read 'team:ICU discipline:nurse', an email, 'everyone', or a bare team or discipline."""
    scope = Scope()
    text = text.strip()
    leftover = _SCOPE_TOKEN.sub(" ", text).strip()
    if leftover:
        # No tokens: the whole text is a team name ("ICU"), a discipline ("nurses"), or "me".
        if text.lower() in ("me", "myself") and ctx.actor.person:
            scope.person = ctx.actor.person
            return scope
        disc = _discipline(text)
        if disc:
            scope.discipline = disc
            return scope
        scope.team = team_named(ctx, text)
        return scope
    for m in _SCOPE_TOKEN.finditer(text):
        if m.group("all"):
            scope.everyone = True
        elif m.group("email"):
            person = person_by_email(ctx.session, m.group("email"))
            if person is None:
                raise Refused(ctx.say("person.not_found", email=m.group("email")))
            scope.person = person
        else:
            value = m.group("quoted") or m.group("bare")
            kind = m.group("kind").lower()
            if kind == "team":
                scope.team = team_named(ctx, value)
            elif kind == "discipline":
                disc = _discipline(value)
                if disc is None:
                    raise Refused(ctx.say("enrol.bad_scope", text=text))
                scope.discipline = disc
            else:
                pathway, _ = find_pathway(ctx, value)
                if pathway is None:
                    raise Refused(ctx.say("join.not_found", text=value))
                scope.pathway = pathway.id
    return scope


def team_named(ctx: Ctx, text: str) -> Team:
    team, options = find_team(ctx.session, text)
    if team is None:
        names = ", ".join(t.key for t in options) or ", ".join(
            t.key for t in ctx.session.exec(select(Team).order_by(col(Team.key)).limit(10))
        )
        raise Refused(ctx.say("team.not_found", text=text, teams=names or "-"))
    return team


def limit_to_own_team(ctx: Ctx, scope: Scope) -> Scope:
    """Champions act on their own team only; admins (and the operator) on anyone."""
    if ctx.actor.is_admin:
        return scope
    person = ctx.actor.person
    own = team_of(ctx.session, person.team_id) if person else None
    if own is None:
        raise Refused(ctx.say("champion.no_team"))
    if scope.team is not None and scope.team.id != own.id:
        raise Refused(ctx.say("champion.own_team_only", team=own.name))
    if scope.person is not None and scope.person.team_id != own.id:
        raise Refused(ctx.say("champion.own_team_only", team=own.name))
    scope.team = own
    return scope


def people_in(ctx: Ctx, scope: Scope) -> list[Person]:
    query = select(Person)
    if scope.person is not None:
        query = query.where(Person.id == scope.person.id)
    if scope.team is not None:
        query = query.where(Person.team_id == scope.team.id)
    if scope.discipline is not None:
        query = query.where(Person.discipline == scope.discipline)
    if scope.pathway is not None:
        query = query.join(
            Enrolment,
            and_(
                col(Enrolment.person_id) == col(Person.id),
                col(Enrolment.pathway_id) == scope.pathway,
            ),
        )
    return list(ctx.session.exec(query.order_by(col(Person.name))))


def own_team_name(ctx: Ctx) -> str:
    person = ctx.actor.person
    team = team_of(ctx.session, person.team_id) if person else None
    return team.name if team else "-"
