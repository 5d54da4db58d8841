"""Roster rows: reading a CSV of people, checking every row, and applying the good ones.

Columns (header names are matched loosely): ``email``, ``name``,
``discipline``, ``team`` and optionally ``role`` (several joined with ``;``),
``pathway`` (several joined with ``;``), ``timezone`` and ``username`` (the
person's login on the learning site, for exports and xAPI that name people so). Every bad row is
reported with its line number and a reason code; good rows are applied; the
same file applied twice changes nothing the second time. Roles in a roster are
added, never taken away: revoking is an explicit admin action.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.content import EMAIL_RE, Content
from bot.db import insert_ignore
from bot.models import DISCIPLINES, ROLES, Enrolment, Person, PersonRole, Team
from bot.timeparse import find_zone

REQUIRED = ("email", "name", "discipline", "team")
#: A learning-site login: compared without regard to case, no spaces.
USERNAME_MAX = 200
OPTIONAL = ("role", "pathway", "timezone", "username")

_HEADER_ALIASES = {
    "e-mail": "email",
    "email address": "email",
    "work email": "email",
    "full name": "name",
    "unit": "team",
    "department": "team",
    "clinic": "team",
    "service": "team",
    "roles": "role",
    "pathways": "pathway",
    "time zone": "timezone",
    "tz": "timezone",
    "profession": "discipline",
    "user name": "username",
    "login": "username",
    "login id": "username",
    "lms username": "username",
    "lms id": "username",
    "sis login id": "username",
}

DISCIPLINE_ALIASES: dict[str, str] = {
    **{d: d for d in DISCIPLINES},
    **{d.replace("_", " "): d for d in DISCIPLINES},
    "md": "physician",
    "do": "physician",
    "doctor": "physician",
    "attending": "physician",
    "resident": "physician",
    "fellow": "physician",
    "hospitalist": "physician",
    "rn": "nurse",
    "lpn": "nurse",
    "lvn": "nurse",
    "registered nurse": "nurse",
    "bsn": "nurse",
    "np": "advanced_practice_provider",
    "pa": "advanced_practice_provider",
    "app": "advanced_practice_provider",
    "crnp": "advanced_practice_provider",
    "nurse practitioner": "advanced_practice_provider",
    "physician assistant": "advanced_practice_provider",
    "physician associate": "advanced_practice_provider",
    "sw": "social_worker",
    "lcsw": "social_worker",
    "msw": "social_worker",
    "social work": "social_worker",
    "spiritual care": "chaplain",
    "pharmd": "pharmacist",
    "rph": "pharmacist",
    "pharmacy": "pharmacist",
    "pt": "therapist",
    "ot": "therapist",
    "slp": "therapist",
    "rt": "therapist",
    "physical therapist": "therapist",
    "occupational therapist": "therapist",
    "respiratory therapist": "therapist",
    "speech therapist": "therapist",
    "coach": "health_coach",
}

ROLE_ALIASES: dict[str, str] = {
    **{r: r for r in ROLES},
    **{r.replace("_", " "): r for r in ROLES},
    "senior-leader": "senior_leader",
    "leader": "senior_leader",
    "executive": "senior_leader",
    "administrator": "admin",
}


def discipline_of(text: str) -> str | None:
    return DISCIPLINE_ALIASES.get(" ".join(text.strip().lower().replace(".", "").split()))


def role_of(text: str) -> str | None:
    return ROLE_ALIASES.get(" ".join(text.strip().lower().split()))


KEY_LENGTH = 64


def slugify(name: str) -> str:
    """A team key from its name: 'Oncology Clinic' -> 'oncology-clinic'.

    A name too long for a key keeps its start and gains a short digest of the whole,
    so two long names that begin alike are still two teams.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-") or "team"
    if len(slug) <= KEY_LENGTH:
        return slug
    digest = hashlib.sha256(" ".join(name.lower().split()).encode()).hexdigest()[:8]
    return f"{slug[: KEY_LENGTH - 9].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class RowError:
    """A bad row: its line in the file, a reason code and the values for its message."""

    line: int
    code: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """A checked roster row."""

    line: int
    email: str
    name: str
    discipline: str
    team: str
    roles: tuple[str, ...]
    pathways: tuple[str, ...]
    timezone: str | None
    username: str | None = None


@dataclass(frozen=True)
class HeaderProblem:
    missing: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass
class RosterReport:
    """What applying a roster did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    enrolled: int = 0
    roles_added: int = 0
    new_teams: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def header_fits(cells: Iterable[str]) -> bool:
    """Whether a row is a roster's header (every required column, by any of its names)."""
    names = {_HEADER_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in cells}
    return set(REQUIRED) <= names


def read(
    csv_text: str, content: Content, *, header: bool = True
) -> tuple[list[Row], list[RowError], HeaderProblem | None]:
    """Check every row of a roster CSV. Rows are numbered as lines of the file."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    columns: list[str] = list(REQUIRED)
    if header:
        first = next(reader, None)
        if first is None:
            return [], [], HeaderProblem(REQUIRED, ())
        columns = [_HEADER_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in first]
        missing = tuple(c for c in REQUIRED if c not in columns)
        unknown = tuple(c for c in columns if c and c not in REQUIRED + OPTIONAL)
        if missing or unknown:
            return [], [], HeaderProblem(missing, unknown)
    else:
        columns = list(REQUIRED + OPTIONAL)
    rows: list[Row] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    usernames: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) > len(columns) and any(cell.strip() for cell in raw[len(columns) :]):
            errors.append(RowError(line, "too_many_cells", {"expected": str(len(columns))}))
            continue
        values = dict(zip(columns, (cell.strip() for cell in raw), strict=False))
        result = _check(line, values, content, seen, usernames)
        if isinstance(result, RowError):
            errors.append(result)
        else:
            seen[result.email] = line
            if result.username:
                usernames[result.username] = line
            rows.append(result)
    return rows, errors, None


def _split(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;|]", value) if part.strip()]


def _check(
    line: int,
    v: Mapping[str, str],
    content: Content,
    seen: Mapping[str, int],
    usernames: Mapping[str, int],
) -> Row | RowError:
    email = v.get("email", "").lower()
    if not EMAIL_RE.match(email) or len(email) > 320:
        return RowError(line, "bad_email", {"value": v.get("email", "")})
    if email in seen:
        return RowError(line, "duplicate", {"value": email, "first_line": str(seen[email])})
    name = " ".join(v.get("name", "").split())
    if not name or len(name) > 200:
        return RowError(line, "no_name")
    discipline = discipline_of(v.get("discipline", ""))
    if discipline is None:
        return RowError(line, "bad_discipline", {"value": v.get("discipline", "")})
    team = " ".join(v.get("team", "").split())
    if not team or len(team) > 200:
        return RowError(line, "no_team")
    roles: list[str] = []
    for raw in _split(v.get("role", "")):
        role = role_of(raw)
        if role is None:
            return RowError(line, "bad_role", {"value": raw})
        roles.append(role)
    pathways: list[str] = []
    for raw in _split(v.get("pathway", "")):
        pid = raw.lower()
        if pid not in content.pathways:
            return RowError(line, "bad_pathway", {"value": raw})
        pathways.append(pid)
    zone: str | None = None
    if v.get("timezone"):
        zone, _ = find_zone(v["timezone"])
        if zone is None:
            return RowError(line, "bad_timezone", {"value": v["timezone"]})
    username = v.get("username", "").strip().lower() or None
    if username is not None:
        if len(username) > USERNAME_MAX or any(ch.isspace() for ch in username):
            return RowError(line, "bad_username", {"value": v.get("username", "")})
        if username in usernames:
            return RowError(
                line, "duplicate", {"value": username, "first_line": str(usernames[username])}
            )
    return Row(
        line,
        email,
        name,
        discipline,
        team,
        tuple(roles or ["clinician"]),
        tuple(pathways),
        zone,
        username,
    )


def ensure_teams(
    session: Session, names: Iterable[str], now: datetime
) -> tuple[dict[str, Team], list[str]]:
    """Teams by key for ``names``, creating the missing ones. Returns (teams, names created)."""
    wanted = {slugify(n): n for n in names}
    existing = {t.key: t for t in session.exec(select(Team).where(col(Team.key).in_(list(wanted))))}
    # A team made before its key was derived this way is found by its name.
    by_name = {
        t.name: t
        for t in session.exec(
            select(Team).where(
                col(Team.name).in_([n for k, n in wanted.items() if k not in existing])
            )
        )
    }
    for key, name in wanted.items():
        if key not in existing and name in by_name:
            existing[key] = by_name[name]
    created: list[str] = []
    for key, name in wanted.items():
        if key not in existing:
            team = Team(key=key, name=name, created_at=now)
            session.add(team)
            existing[key] = team
            created.append(name)
    session.flush()
    return existing, created


def apply(
    session: Session,
    rows: list[Row],
    *,
    actor: str,
    now: datetime,
    progress: Callable[[int, int], None] | None = None,
) -> RosterReport:
    """Create or update people from checked rows; enrol and add roles as the rows say."""
    report = RosterReport()
    rows, report.errors = _usernames_free(session, rows)
    teams, report.new_teams = ensure_teams(session, (r.team for r in rows), now)
    chunk = 500
    for start in range(0, len(rows), chunk):
        batch = rows[start : start + chunk]
        emails = [r.email for r in batch]
        people = {
            p.email: p for p in session.exec(select(Person).where(col(Person.email).in_(emails)))
        }
        for row in batch:
            team_id = teams[slugify(row.team)].id
            person = people.get(row.email)
            if person is None:
                person = Person(
                    email=row.email,
                    name=row.name,
                    discipline=row.discipline,
                    team_id=team_id,
                    timezone=row.timezone,
                    username=row.username,
                    created_at=now,
                    updated_at=now,
                )
                session.add(person)
                people[row.email] = person
                report.created += 1
            else:
                changes = {"name": row.name, "discipline": row.discipline, "team_id": team_id}
                if row.timezone:
                    changes["timezone"] = row.timezone
                if row.username:
                    changes["username"] = row.username
                if any(getattr(person, k) != val for k, val in changes.items()):
                    for k, val in changes.items():
                        setattr(person, k, val)
                    person.updated_at = now
                    report.updated += 1
                else:
                    report.unchanged += 1
        session.flush()
        role_rows = [
            {"person_id": people[r.email].id, "role": role, "granted_at": now, "granted_by": actor}
            for r in batch
            for role in r.roles
        ]
        report.roles_added += insert_ignore(session, PersonRole, role_rows)
        enrol_rows = [
            {
                "person_id": people[r.email].id,
                "pathway_id": pid,
                "enrolled_at": now,
                "enrolled_by": actor,
            }
            for r in batch
            for pid in r.pathways
        ]
        report.enrolled += insert_ignore(session, Enrolment, enrol_rows)
        if progress:
            progress(min(start + chunk, len(rows)), len(rows))
    return report


def _usernames_free(session: Session, rows: list[Row]) -> tuple[list[Row], list[RowError]]:
    """The rows whose username nobody else on the roster has, and an error for each other."""
    wanted = {r.username: r for r in rows if r.username}
    if not wanted:
        return rows, []
    holders: dict[str, str] = {}
    names = list(wanted)
    for start in range(0, len(names), 500):
        for username, email in session.exec(
            select(Person.username, Person.email).where(
                col(Person.username).in_(names[start : start + 500])
            )
        ):
            if username is not None:
                holders[username] = email
    good: list[Row] = []
    errors: list[RowError] = []
    for row in rows:
        holder = holders.get(row.username or "")
        if holder is not None and holder != row.email:
            errors.append(
                RowError(row.line, "username_taken", {"value": row.username or "", "email": holder})
            )
        else:
            good.append(row)
    return good, errors
