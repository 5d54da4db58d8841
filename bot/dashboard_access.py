"""Who may open the coordinators' dashboard, without passwords.

``dashboard`` in chat answers an admin, a senior leader or a champion with a link that
works once, within :data:`LINK_LIFETIME`, for that person and the role they hold now
(:func:`issue_link`). The link's token is signed (itsdangerous, with a key the replicas
share through the database, :func:`signing_key`) and names a nonce the database keeps, so
it is refused when tampered with, when old, and when used before (:func:`redeem`).

Opening it starts a session (:func:`redeem` returns its key, the cookie's value): the
database keeps only the key's SHA-256, its person, role and CSRF token. A session ends
after :data:`IDLE` without use, when the person no longer holds the role, or when they sign
out (:func:`session_for`, :func:`end`). Every write must carry the session's CSRF token
(:func:`csrf_ok`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import Session, col

from bot.db import insert_ignore
from bot.models import AppSecret, DashboardLink, DashboardSession, Person
from bot.store import roles_of

LINK_LIFETIME = timedelta(minutes=15)
IDLE = timedelta(hours=8)
#: A session's last use is written at most this often (not on every page).
TOUCH_EVERY = timedelta(minutes=1)
#: Who may open it, the widest role first: a link is for the widest role one holds.
ROLES = ("admin", "senior_leader", "champion")
_SALT = "huddle-dashboard-link"
_KEY_NAME = "dashboard-links"


class LinkRefused(Exception):
    """A link that cannot start a session; ``why`` is one of: tampered, expired, used,
    role (the person no longer holds the role), unknown."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Signed:
    """Someone signed in: who, as what, and the CSRF token their writes must carry."""

    person_id: int
    email: str
    name: str
    role: str
    csrf: str
    team_id: int | None


def dashboard_role(roles: frozenset[str]) -> str | None:
    """The widest role that may open the dashboard, of those held; None for others."""
    return next((r for r in ROLES if r in roles), None)


def signing_key(session: Session, configured: str, now: datetime) -> str:
    """The deployment's own key when it sets one, else a random key made once and kept in
    the database, the same for every replica."""
    if configured:
        return configured
    existing = session.get(AppSecret, _KEY_NAME)
    if existing is not None:
        return existing.value
    insert_ignore(
        session,
        AppSecret,
        [{"name": _KEY_NAME, "value": secrets.token_urlsafe(48), "created_at": now}],
    )
    made = session.get(AppSecret, _KEY_NAME)
    assert made is not None
    return made.value


def _serializer(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_SALT)


def issue_link(session: Session, person: Person, role: str, key: str, now: datetime) -> str:
    """A new one-time token for this person and role (the link is the dashboard's address
    with ``/dashboard/login?t=`` and this)."""
    nonce = secrets.token_urlsafe(24)
    session.add(DashboardLink(nonce=nonce, person_id=person.id or 0, role=role, issued_at=now))
    session.flush()
    return str(_serializer(key).dumps({"n": nonce, "p": person.id, "r": role}))


def redeem(session: Session, token: str, key: str, now: datetime) -> tuple[str, Signed]:
    """Use a link: a new session's key (for the cookie) and who signed in. Raises
    :class:`LinkRefused`. The link is spent in the same transaction, whoever gets there
    first: a second use, at the same moment or later, is refused."""
    try:
        data = _serializer(key).loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
    except SignatureExpired as exc:
        raise LinkRefused("expired") from exc
    except BadSignature as exc:
        raise LinkRefused("tampered") from exc
    if not isinstance(data, dict) or not {"n", "p", "r"} <= data.keys():
        raise LinkRefused("tampered")
    link = session.get(DashboardLink, str(data["n"]))
    if link is None or link.person_id != data["p"] or link.role != data["r"]:
        raise LinkRefused("unknown")
    if now - link.issued_at > LINK_LIFETIME:
        raise LinkRefused("expired")
    spent = session.execute(
        update(DashboardLink)
        .where(col(DashboardLink.nonce) == link.nonce, col(DashboardLink.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkRefused("used")
    person = session.get(Person, link.person_id)
    if person is None or link.role not in roles_of(session, link.person_id):
        raise LinkRefused("role")
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    session.add(
        DashboardSession(
            key_hash=_hash(cookie),
            person_id=link.person_id,
            role=link.role,
            csrf=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    return cookie, Signed(
        person.id or 0, person.email, person.name, link.role, csrf, person.team_id
    )


def session_for(session: Session, cookie: str, now: datetime) -> Signed | None:
    """Who a session cookie signs in, or None: unknown, ended, idle too long, or the
    person no longer holds the role (the session ends then)."""
    if not cookie:
        return None
    found = session.get(DashboardSession, _hash(cookie))
    if found is None or found.ended_at is not None:
        return None
    person = session.get(Person, found.person_id)
    if now - found.last_seen_at > IDLE or person is None:
        found.ended_at = now
        session.add(found)
        return None
    if found.role not in roles_of(session, found.person_id):
        found.ended_at = now  # revoked: the session goes with the role
        session.add(found)
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        found.last_seen_at = now
        session.add(found)
    return Signed(person.id or 0, person.email, person.name, found.role, found.csrf, person.team_id)


def end(session: Session, cookie: str, now: datetime) -> None:
    """Sign out: the session no longer works."""
    found = session.get(DashboardSession, _hash(cookie)) if cookie else None
    if found is not None and found.ended_at is None:
        found.ended_at = now
        session.add(found)


def csrf_ok(signed: Signed, sent: str) -> bool:
    return bool(sent) and hmac.compare_digest(signed.csrf, sent)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
