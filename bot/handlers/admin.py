"""Handlers for admins (everything) and champions (their own team only).

Every change here writes a line to the audit trail. Role checks happen twice:
the command's ``needs`` before the handler runs, and the champion's own-team
limit inside the handler, before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from sqlalchemy import func
from sqlmodel import col, delete, select

from bot import attendance, ledger, metrics, roster
from bot import commands as c
from bot.catalog import find_course, find_pathway
from bot.completions import record
from bot.compose import discipline_name
from bot.context import Ctx, Refused
from bot.counts import team_counts
from bot.dates import read_date
from bot.db import insert_ignore
from bot.guard import privacy_refusal
from bot.markup import escape
from bot.messages import Actions, Block, Button, Heading, Message, Table, Text
from bot.models import (
    DISCIPLINES,
    ROLES,
    AuditEntry,
    Enrolment,
    Person,
    PersonRole,
    Team,
    TeamChannel,
)
from bot.scopes import Scope, limit_to_own_team, own_team_name, parse_scope, people_in
from bot.store import (
    admin_count,
    completions_by_team,
    find_team,
    person_by_email,
    roles_of,
    status_of,
    unverified_courses,
)
from bot.templates import Markdown
from bot.timeparse import format_date

MAX_ROWS = 40
MAX_ERRORS = 20


# --- enrolment -----------------------------------------------------------------------------


def enrol(ctx: Ctx, cmd: c.Enrol) -> list[Message]:
    """Enrol a team, a discipline, one person or everyone in a pathway."""
    pathway, _ = find_pathway(ctx, cmd.pathway)
    if pathway is None:
        return [ctx.say("join.not_found", Text(ctx.md("enrol.usage")), text=cmd.pathway)]
    scope = limit_to_own_team(ctx, parse_scope(ctx, cmd.scope))
    due = None
    if cmd.due:
        due = read_date(
            ctx,
            cmd.due,
            ending=False,
            again=lambda day: f"enrol {cmd.scope} in {cmd.pathway} due {day}",
            hint=Text(ctx.md("enrol.usage")),
        )
    people = people_in(ctx, scope)
    if not people:
        return [ctx.say("enrol.nobody", scope=scope.describe(ctx))]
    eligible = [p for p in people if pathway.open_to(p.discipline)]
    if scope.person is not None and not eligible:
        return [
            ctx.say(
                "enrol.not_open",
                name=scope.person.name,
                pathway=pathway.title,
                discipline=discipline_name(ctx, scope.person.discipline),
            )
        ]
    now = ctx.now()
    added = 0
    for start in range(0, len(eligible), 1000):
        added += insert_ignore(
            ctx.session,
            Enrolment,
            [
                {
                    "person_id": p.id,
                    "pathway_id": pathway.id,
                    "enrolled_at": now,
                    "enrolled_by": ctx.actor.label,
                    "due_on": due,
                }
                for p in eligible[start : start + 1000]
            ],
        )
    described = scope.describe(ctx)
    ctx.audit(
        "enrol",
        f"{described} -> {pathway.id}",
        json.dumps(
            {
                "added": added,
                "already": len(eligible) - added,
                "skipped": len(people) - len(eligible),
                "due": due.isoformat() if due else None,
            }
        ),
    )
    due_text = ctx.md("enrol.due", date=format_date(due)) if due else ""
    return [
        ctx.say(
            "enrol.done",
            count=added,
            pathway=pathway.title,
            scope=described,
            already=len(eligible) - added,
            skipped=len(people) - len(eligible),
            due=due_text,
        )
    ]


def unenrol(ctx: Ctx, cmd: c.Unenrol) -> list[Message]:
    """Take one person out of a pathway (their completions are kept)."""
    person = person_by_email(ctx.session, cmd.email)
    if person is None:
        return [ctx.say("person.not_found", email=cmd.email)]
    limit_to_own_team(ctx, Scope(person=person))
    pathway, _ = find_pathway(ctx, cmd.pathway)
    if pathway is None:
        return [ctx.say("join.not_found", text=cmd.pathway)]
    result = ctx.session.execute(
        delete(Enrolment).where(
            col(Enrolment.person_id) == person.id, col(Enrolment.pathway_id) == pathway.id
        )
    )
    if not getattr(result, "rowcount", 0):
        return [ctx.say("unenrol.not_enrolled", name=person.name, pathway=pathway.title)]
    ctx.audit("unenrol", f"{person.email} -> {pathway.id}")
    return [ctx.say("unenrol.done", name=person.name, pathway=pathway.title)]


# --- people and teams ----------------------------------------------------------------------


def add_team(ctx: Ctx, cmd: c.AddTeam) -> list[Message]:
    """Create a team (a unit, clinic or service)."""
    name = " ".join(cmd.name.strip().strip('"').split())
    if not name or len(name) > 200 or not re.search(r"[A-Za-z0-9]", name):
        return [ctx.say("team.bad_name", text=cmd.name)]
    blocked = privacy_refusal(ctx, name)
    if blocked is not None:
        return [blocked]
    key = roster.slugify(name)
    existing = ctx.session.exec(select(Team).where(Team.key == key)).first()
    if existing:
        return [ctx.say("team.exists", team=existing.name, key=existing.key)]
    ctx.session.add(Team(key=key, name=name, created_at=ctx.now()))
    ctx.audit("team.add", key, name)
    return [ctx.say("team.added", team=name, key=key)]


def list_teams(ctx: Ctx, cmd: c.ListTeams) -> list[Message]:
    """Every team with its size and linked channels."""
    teams = list(ctx.session.exec(select(Team).order_by(col(Team.name))))
    if not teams:
        return [ctx.say("teams.none")]
    sizes = dict(
        ctx.session.exec(select(Person.team_id, func.count()).group_by(col(Person.team_id))).all()
    )
    channels: dict[int, list[str]] = {}
    for link in ctx.session.exec(select(TeamChannel)):
        channels.setdefault(link.team_id, []).append(link.platform)
    rows = tuple(
        (
            t.name,
            t.key,
            str(sizes.get(t.id, 0)),
            ", ".join(sorted(channels.get(t.id or 0, []))) or "-",
        )
        for t in teams[:MAX_ROWS]
    )
    columns = tuple(ctx.plain("teams.columns").split("|"))
    table = Table(columns, rows, more=max(0, len(teams) - MAX_ROWS))
    return [ctx.message("teams", [Heading(ctx.plain("teams.heading", count=len(teams))), table])]


def add_person(ctx: Ctx, cmd: c.AddPerson) -> list[Message]:
    """Add or update one person from a roster row typed in chat."""
    rows, errors, _ = roster.read(cmd.row, ctx.content, header=False)
    if errors or not rows:
        reason = _reason(ctx, errors[0]) if errors else ""
        return [ctx.say("person.usage", Text(reason) if reason else Text(""))]
    row = rows[0]
    team, _ = find_team(ctx.session, row.team)
    if not ctx.actor.is_admin:
        if team is None:
            return [ctx.say("champion.own_team_only", team=own_team_name(ctx))]
        limit_to_own_team(ctx, Scope(team=team))
        if set(row.roles) - {"clinician"}:
            return [ctx.say("needs_role", role=ctx.plain("role.admin"))]
    before = person_by_email(ctx.session, row.email)
    old = (before.name, before.discipline, before.team_id) if before else None
    report = roster.apply(ctx.session, [row], actor=ctx.actor.label, now=ctx.now())
    if report.errors:
        return [ctx.say("person.usage", Text(_reason(ctx, report.errors[0])))]
    person = person_by_email(ctx.session, row.email)
    assert person is not None
    values = {
        "name": person.name,
        "email": person.email,
        "team": row.team,
        "discipline": discipline_name(ctx, person.discipline),
    }
    if old is None:
        ctx.audit("person.add", person.email, json.dumps({"team": row.team}))
        return [ctx.say("person.added", **values)]
    if old != (person.name, person.discipline, person.team_id):
        ctx.audit("person.update", person.email, json.dumps({"team": row.team}))
        return [ctx.say("person.updated", **values)]
    return [ctx.say("person.unchanged", name=person.name, email=person.email)]


def _reason(ctx: Ctx, error: roster.RowError) -> str:
    values = dict(error.values)
    if error.code == "bad_discipline":
        values["options"] = ", ".join(discipline_name(ctx, d) for d in DISCIPLINES)
    elif error.code == "bad_role":
        values["options"] = ", ".join(ctx.plain(f"role.{r}") for r in ROLES)
    elif error.code == "bad_pathway":
        values["options"] = ", ".join(ctx.content.pathways)
    return ctx.md(f"roster.reason.{error.code}", **values)


def import_roster(ctx: Ctx, cmd: c.ImportRoster) -> list[Message]:
    """Apply a roster CSV: every bad row reported by line, the good rows applied."""
    columns = ", ".join(roster.REQUIRED + roster.OPTIONAL)
    if not cmd.csv_text.strip():
        return [ctx.say("roster.usage", columns=columns)]
    rows, errors, header = roster.read(cmd.csv_text, ctx.content)
    if header is not None:
        return [
            ctx.say(
                "roster.bad_header",
                missing=", ".join(header.missing) or "-",
                unknown=", ".join(header.unknown) or "-",
                columns=columns,
            )
        ]
    report = roster.apply(
        ctx.session, rows, actor=ctx.actor.label, now=ctx.now(), progress=ctx.progress
    )
    errors = sorted([*errors, *report.errors], key=lambda e: e.line)
    metrics.count_import("roster", len(rows) + len(errors) - len(report.errors), len(errors))
    ctx.audit(
        "roster.import",
        f"{len(rows) + len(errors)} rows",
        json.dumps(
            {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": len(errors),
                "enrolled": report.enrolled,
                "roles": report.roles_added,
                "new_teams": report.new_teams,
            }
        ),
    )
    blocks: list[Block] = []
    if report.new_teams:
        blocks.append(Text(ctx.md("roster.new_teams", teams=", ".join(report.new_teams))))
    if errors:
        lines = "\n".join(
            "- " + ctx.md("roster.error_line", line=e.line, reason=_reason(ctx, e))
            for e in errors[:MAX_ERRORS]
        )
        blocks.append(Text(ctx.md("roster.errors_heading", count=len(errors)) + "\n" + lines))
        if len(errors) > MAX_ERRORS:
            blocks.append(Text(ctx.md("roster.more_errors", count=len(errors) - MAX_ERRORS)))
    summary = ctx.say(
        "roster.summary",
        *blocks,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        errors=len(errors),
        enrolled=report.enrolled,
        roles=report.roles_added,
    )
    # Rows were skipped: a distinct kind lets the CLI exit non-zero for scripts.
    return [replace(summary, kind="roster.partial") if errors else summary]


# --- roles ---------------------------------------------------------------------------------


def _role_or_refuse(ctx: Ctx, text: str) -> str:
    role = roster.role_of(text)
    if role is None:
        roles = ", ".join(ctx.plain(f"role.{r}") for r in ROLES)
        raise Refused(ctx.say("role.unknown", text=text, roles=roles))
    return role


def _person_or_refuse(ctx: Ctx, email: str) -> Person:
    person = person_by_email(ctx.session, email)
    if person is None:
        raise Refused(ctx.say("person.not_found", email=email))
    return person


def grant(ctx: Ctx, cmd: c.Grant) -> list[Message]:
    """Give a person a role (champion, admin, senior leader, clinician)."""
    role = _role_or_refuse(ctx, cmd.role)
    person = _person_or_refuse(ctx, cmd.email)
    added = insert_ignore(
        ctx.session,
        PersonRole,
        [
            {
                "person_id": person.id,
                "role": role,
                "granted_at": ctx.now(),
                "granted_by": ctx.actor.label,
            }
        ],
    )
    role_name = ctx.plain(f"role.{role}")
    if not added:
        return [ctx.say("grant.already", name=person.name, role=role_name)]
    ctx.audit("role.grant", person.email, role)
    return [ctx.say("grant.done", name=person.name, role=role_name)]


def revoke(ctx: Ctx, cmd: c.Revoke) -> list[Message]:
    """Take a role away; the last admin cannot be removed from chat."""
    role = _role_or_refuse(ctx, cmd.role)
    person = _person_or_refuse(ctx, cmd.email)
    role_name = ctx.plain(f"role.{role}")
    if role not in roles_of(ctx.session, person.id or 0):
        return [ctx.say("revoke.not_held", name=person.name, role=role_name)]
    if role == "admin" and not ctx.actor.is_operator and admin_count(ctx.session) <= 1:
        return [ctx.say("revoke.last_admin", name=person.name)]
    ctx.session.execute(
        delete(PersonRole).where(
            col(PersonRole.person_id) == person.id, col(PersonRole.role) == role
        )
    )
    ctx.audit("role.revoke", person.email, role)
    return [ctx.say("revoke.done", name=person.name, role=role_name)]


# --- completions recorded for someone else -------------------------------------------------


def record_completion(ctx: Ctx, cmd: c.RecordCompletion) -> list[Message]:
    """An admin (or the person's champion) records a verified completion."""
    person = _person_or_refuse(ctx, cmd.email)
    limit_to_own_team(ctx, Scope(person=person))
    course, options = find_course(ctx, cmd.course, set())
    if course is None:
        buttons = [Button(x.title, f"record {person.email} {x.id}") for x in options[:5]]
        key = "done.several" if options else "done.not_found"
        return [ctx.say(key, ctx.actions(*buttons), text=cmd.course)]
    existing = ledger.find(ctx.session, person.id or 0, course.id)
    source = "admin" if ctx.actor.is_admin else "champion"
    if existing is not None:
        when = format_date(existing.completed_at.astimezone(ctx.zone).date())
        ref = ctx.actor.label
        if not ledger.verify(ctx.session, existing, kind=source, ref=ref, now=ctx.now()):
            return [ctx.say("record.already", name=person.name, title=course.title, date=when)]
        ctx.audit("completion.verify", person.email, course.id)
        return [ctx.say("record.verified", name=person.name, title=course.title, date=when)]
    record(ctx, person, course, source=source)
    ctx.audit("completion.record", person.email, course.id)
    return [ctx.say("record.done", name=person.name, title=course.title)]


# --- reports -------------------------------------------------------------------------------


def report(ctx: Ctx, cmd: c.Report) -> list[Message]:
    """Who is enrolled and where they stand: people for a team, teams for everyone."""
    scope = parse_scope(ctx, cmd.scope) if cmd.scope else Scope(everyone=True)
    if not (ctx.actor.is_admin or ctx.actor.has("senior_leader")):
        scope = limit_to_own_team(ctx, scope)
    described = scope.describe(ctx)
    if scope.team is not None or scope.person is not None:
        return _people_report(ctx, scope, described)
    return _team_report(ctx, scope, described)


def _people_report(ctx: Ctx, scope: Scope, described: str) -> list[Message]:
    people = people_in(ctx, scope)
    if not people:
        return [ctx.say("report.empty", scope=described)]
    rows: list[tuple[str, ...]] = []
    teams = None if scope.team is None else [scope.team.id or 0]
    sessions = attendance.attended(ctx.session, teams)
    for person in people:
        went = str(sessions.get(person.id or 0, 0))
        found, completed, _ = status_of(ctx.session, ctx.content, person.id or 0)
        self_reported = str(len(unverified_courses(ctx.session, person.id or 0)))
        if scope.pathway:
            found = [s for s in found if s.pathway.id == scope.pathway]
        last = max(completed.values(), default=None)
        last_text = format_date(last.astimezone(ctx.zone).date()) if last else "-"
        if not found:
            rows.append(
                (
                    person.name,
                    discipline_name(ctx, person.discipline),
                    "-",
                    "-",
                    self_reported,
                    last_text,
                    went,
                )
            )
        for status in found:
            rows.append(
                (
                    person.name,
                    discipline_name(ctx, person.discipline),
                    status.pathway.title,
                    f"{len(status.done)}/{status.total}",
                    self_reported,
                    last_text,
                    went,
                )
            )
    columns = tuple(ctx.plain("report.people_columns").split("|"))
    table = Table(columns, tuple(rows[:MAX_ROWS]), more=max(0, len(rows) - MAX_ROWS))
    blocks: list[Block] = [Heading(ctx.plain("report.heading", scope=described)), table]
    stopped = sorted(p.name for p in people if p.stopped_at is not None)
    if stopped:
        # For those who look after the team: whom not to expect reminders to reach.
        names = ", ".join(escape(n) for n in stopped)
        blocks.append(Text(ctx.md("report.stopped_names", names=Markdown(names))))
    return [ctx.message("report", blocks)]


def _team_report(ctx: Ctx, scope: Scope, described: str) -> list[Message]:
    counts = team_counts(ctx, scope)
    teams = {t.id: t for t in ctx.session.exec(select(Team))}
    order = sorted(counts.people, key=lambda tid: teams[tid].name if tid in teams else "~")
    ledger_counts = completions_by_team(
        ctx.session, [t for t in order if t is not None], scope.discipline
    )
    rows: list[tuple[str, ...]] = []
    went = attendance.by_team(ctx.session)
    for tid in order:
        total = counts.people[tid]
        verified, self_reported = ledger_counts.get(tid, (0, 0))
        name = teams[tid].name if tid in teams else "-"
        pct = f"{100 * counts.finished[tid] / total:.0f}%" if total else "-"
        rows.append(
            (
                name,
                str(total),
                str(counts.enrolled[tid]),
                str(counts.started[tid]),
                str(counts.finished[tid]),
                pct,
                str(verified),
                str(self_reported),
                str(went[tid] if tid is not None else 0),
            )
        )
    if not rows:
        return [ctx.say("report.empty", scope=described)]
    all_people = sum(counts.people.values())
    finished = sum(counts.finished.values())
    summary = ctx.md(
        "report.summary",
        people=all_people,
        enrolled=sum(counts.enrolled.values()),
        started=sum(counts.started.values()),
        finished=finished,
        percent=f"{100 * finished / all_people:.0f}%" if all_people else "-",
        verified=sum(v for v, _ in ledger_counts.values()),
        self_reported=sum(s for _, s in ledger_counts.values()),
    )
    columns = tuple(ctx.plain("report.team_columns").split("|"))
    table = Table(columns, tuple(rows[:MAX_ROWS]), more=max(0, len(rows) - MAX_ROWS))
    blocks: list[Block] = [Heading(ctx.plain("report.heading", scope=described)), Text(summary)]
    stopped = ctx.session.exec(
        select(func.count()).select_from(Person).where(col(Person.stopped_at).is_not(None))
    ).one()
    if stopped:
        blocks.append(Text(ctx.md("report.stopped", count=int(stopped))))
    blocks.append(table)
    # The period's figures, and the Excel and CSV files: `report summary`.
    blocks.append(Actions((ctx.button("button.report_summary", "report summary"),)))
    return [ctx.message("report", blocks)]


AUDIT_PAGE = 25
AUDIT_MAX = 200


def show_audit(ctx: Ctx, cmd: c.ShowAudit) -> list[Message]:
    """The latest admin and champion actions, a page at a time, in the asker's time zone."""
    wanted = max(1, min(cmd.limit, AUDIT_MAX))
    page = min(wanted, AUDIT_PAGE)
    entries = list(
        ctx.session.exec(
            select(AuditEntry)
            .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
            .offset(cmd.start - 1)
            .limit(page + 1)
        )
    )
    if not entries:
        return [ctx.say("audit.empty")]
    more = entries[page:]
    entries = entries[:page]
    zone = ctx.zone
    rows = tuple(
        (
            f"{e.at.astimezone(zone):%a %d %b %H:%M}",
            e.actor,
            e.action,
            _clip(e.target, 60),
            _clip(readable_detail(e.detail), 120),
        )
        for e in entries
    )
    last = cmd.start + len(entries) - 1
    blocks: list[Block] = [
        Heading(ctx.plain("audit.heading", first=cmd.start, last=last)),
        Text(ctx.md("audit.zone", zone=getattr(zone, "key", str(zone)))),
        Table(tuple(ctx.plain("audit.columns").split("|")), rows),
    ]
    left = wanted - len(entries)
    if more and left > 0:
        blocks.append(
            ctx.actions(
                ctx.button(
                    "button.more", f"audit {left} from {last + 1}", count=min(left, AUDIT_PAGE)
                )
            )
        )
    return [ctx.message("audit", blocks)]


def readable_detail(detail: str) -> str:
    """An audit line's detail as words: JSON objects as "key: value" pairs, empties left out."""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return detail
    parts = []
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {shown}")
    return "; ".join(parts)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
