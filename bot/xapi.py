"""Receiving xAPI statements: completions from a learning site or an LRS, into the ledger.

Huddle is not an LRS. It takes statements (``POST``, or ``PUT`` with a statement id),
checks each against xAPI 1.0.3 (:mod:`bot.xapi_rules`), and keeps only what it needs:

- a statement that says a course was finished (verb ``completed`` or ``passed``, or
  ``result.completion`` true, about an Activity whose id a course lists as its ``xapi``
  id in ``courses.yaml``) by someone on the roster (an ``mbox`` with their email, or an
  ``account`` on a home page ``sources.yaml`` maps to usernames or emails) becomes a
  verified completion in the ledger, source ``xapi``, its reference the credential and
  the statement id; it is celebrated if recent, as imports are;
- every valid statement's id is remembered with a digest of its content, so the same
  statement again changes nothing, and the same id with other content is a conflict;
- anything else valid is acknowledged and counted, never stored.

A batch is all or nothing: one malformed statement and nothing is kept, the answer
naming which statement and which property. Learning sites and LRS forwarders send
HTTP Basic credentials made with ``huddle xapi credentials new``; only a salted scrypt
hash of each secret is kept, and a secret verified once is remembered in memory for a
few minutes, so a busy sender is not slowed by the hashing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, bindparam, func, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot import celebrations, ledger
from bot.clock import Clock
from bot.content import Content
from bot.db import LOCK_RETRIES, insert_ignore, is_lock_timeout, session_scope
from bot.models import AuditEntry, Person, XapiCredential, XapiStatement
from bot.xapi_rules import Malformed, check, timestamp

log = logging.getLogger("huddle.xapi")

KIND = "xapi"
SITE = "xapi"  # the site name of courses' xAPI activity ids in courses.yaml
COMPLETING_VERBS = frozenset(
    ("http://adlnet.gov/expapi/verbs/completed", "http://adlnet.gov/expapi/verbs/passed")
)
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
#: The xAPI versions a request may name: 1.0 and 1.0.x (1.1 and later are refused).
VERSION = re.compile(r"1\.0(?:\.\d+)?")
#: The version Huddle answers in.
SPOKEN = "1.0.3"

#: How a credential's secret is hashed (scrypt, RFC 7914): about 16 MB and tens of ms.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
#: How long a verified secret is remembered (in this process's memory only).
VERIFIED_FOR = 300.0
#: last_used_at is written at most this often per credential.
LAST_USED_EVERY = timedelta(minutes=1)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}")


# --- credentials ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """A verified sender."""

    id: int
    name: str


class CredentialError(ValueError):
    """A credential cannot be made or revoked as asked."""


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return "$".join(
        (
            "scrypt",
            str(SCRYPT_N),
            str(SCRYPT_R),
            str(SCRYPT_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` is the hash of (in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        found = hashlib.scrypt(
            secret.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, expected)


def new_credential(engine: Engine, name: str, actor: str, now: datetime) -> tuple[str, str]:
    """Make a credential called ``name``; returns its key and secret (shown once, never
    kept: only the secret's hash is stored)."""
    name = name.strip()
    if not NAME.fullmatch(name):
        raise CredentialError(
            "A credential's name is 1-100 letters, digits, spaces, dots, dashes or "
            "underscores, starting with a letter or digit."
        )
    key = "hx" + secrets.token_hex(10)
    secret = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        if session.exec(select(XapiCredential).where(XapiCredential.name == name)).first():
            raise CredentialError(f"There is a credential called {name!r} already.")
        session.add(
            XapiCredential(
                name=name,
                key=key,
                secret_hash=hash_secret(secret),
                created_at=now,
                created_by=actor[:255],
            )
        )
        _audit(session, now, actor, "xapi.credential.new", name, {"key": key})
    return key, secret


def list_credentials(engine: Engine, actor: str, now: datetime) -> list[XapiCredential]:
    """Every credential, the newest first (revoked ones too)."""
    with session_scope(engine) as session:
        found = list(
            session.exec(
                select(XapiCredential).order_by(
                    col(XapiCredential.created_at).desc(), col(XapiCredential.id).desc()
                )
            )
        )
        _audit(session, now, actor, "xapi.credential.list", "", {"count": len(found)})
    return found


def revoke_credential(engine: Engine, name: str, actor: str, now: datetime) -> XapiCredential:
    """Revoke a credential: its requests are refused from now on (at once, on every
    replica: each request reads the credential)."""
    with session_scope(engine) as session:
        found = session.exec(select(XapiCredential).where(XapiCredential.name == name.strip()))
        credential = found.first()
        if credential is None:
            raise CredentialError(f"There is no credential called {name!r}.")
        if credential.revoked_at is not None:
            raise CredentialError(f"{credential.name!r} was revoked already.")
        credential.revoked_at = now
        session.add(credential)
        _audit(session, now, actor, "xapi.credential.revoke", credential.name, {})
    return credential


def has_active_credentials(engine: Engine) -> bool:
    """Whether any credential may send (one made and not revoked)."""
    with Session(engine) as session:
        found = session.exec(
            select(XapiCredential.id).where(col(XapiCredential.revoked_at).is_(None))
        ).first()
    return found is not None


def _audit(
    session: Session, now: datetime, actor: str, action: str, target: str, detail: dict[str, Any]
) -> None:
    session.add(
        AuditEntry(
            at=now,
            actor=actor[:255],
            action=action,
            target=target[:500],
            detail=json.dumps(detail)[:4000],
        )
    )


@dataclass
class _Verified:
    secret_hash: str
    presented: bytes
    until: float


# --- statements ------------------------------------------------------------------------------


class Refused(Exception):
    """A request Huddle does not take: ``status`` (400, 409) and why, for the sender."""

    def __init__(
        self, status: int, reason: str, *, index: int | None = None, field: str = ""
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.index = index
        self.field = field

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = {"error": self.reason}
        if self.index is not None:
            found["statement"] = self.index
        if self.field:
            found["field"] = self.field
        return found


@dataclass(frozen=True)
class Finished:
    """What a statement says was finished, and by whom (before the roster is asked)."""

    by: str  # email or username
    who: str  # lower case
    course_id: str
    completed_at: datetime
    score: float | None


@dataclass(frozen=True)
class Received:
    """One valid statement."""

    id: str  # as sent (or assigned)
    key: str  # lower case, as kept
    digest: str
    finished: Finished | None
    ignored: str = ""  # why it is no completion, when it is none


@dataclass
class Outcome:
    """What one request did."""

    ids: list[str]
    completions: int = 0  # statements recorded (new, confirming, or already there)
    added: int = 0
    confirmed: int = 0
    repeated: int = 0  # statement ids seen before, same content: nothing changed
    ignored: Counter[str] = field(default_factory=Counter)


class Counters:
    """Counts since the process started, for /healthz and the logs: requests taken,
    statements received, recorded as completions, ignored (valid, but no completion
    Huddle can place), repeated (seen before), refused (in a refused batch); requests
    refused before their statements were read, and refused for their credential."""

    NAMES = (
        "requests",
        "received",
        "completions",
        "ignored",
        "repeated",
        "refused",
        "refused_requests",
        "unauthorised",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, **counts: int) -> None:
        with self._lock:
            self._counts.update(counts)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {name: self._counts[name] for name in self.NAMES}


def read(raw: bytes) -> tuple[list[Any], bool]:
    """The statements in a request body (one, or an array), and whether it was an array."""
    try:
        data = json.loads(
            raw.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_no_duplicates
        )
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8 text") from None
    except ValueError as exc:
        raise Refused(400, f"the body is not JSON: {exc}") from None
    if isinstance(data, list):
        return data, True
    if isinstance(data, dict):
        return [data], False
    raise Refused(400, "the body must be a statement (a JSON object) or an array of them")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        names = [k for k, _ in pairs]
        twice = next(k for k in names if names.count(k) > 1)
        raise ValueError(f"the property {twice!r} appears twice in one object")
    return found


def digest(statement: dict[str, Any]) -> str:
    """What makes two statements with one id the same: everything the sender said, but
    the id itself and what a receiver sets (``stored``, ``authority``, ``version``)."""
    kept = {k: v for k, v in statement.items() if k not in ("id", "stored", "authority", "version")}
    text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class Receiver:
    """Takes statements for the ledger: platform-neutral (the HTTP adapter calls it in a
    worker thread), its counters shared by every request of the process."""

    def __init__(self, content: Content, engine: Engine, clock: Clock) -> None:
        self.content = content
        self.engine = engine
        self.clock = clock
        self.counters = Counters()
        self._verified: dict[str, _Verified] = {}
        self._lock = threading.Lock()
        # SQLite takes one writer at a time, and a second one waits in sleeps of growing
        # length (its busy handler): this process's senders queue here instead, so a
        # batch writes the moment the one before it commits (checking still overlaps).
        self._one_writer = threading.Lock() if engine.dialect.name == "sqlite" else None

    # --- who is sending

    def authenticate(self, key: str, secret: str) -> Credential | None:
        """The credential for an HTTP Basic key and secret, or None (unknown, revoked or
        wrong secret). The stored row is read every time, so a revocation holds at once;
        only the slow hash is skipped for a secret verified in the last few minutes."""
        with Session(self.engine) as session:
            row = session.exec(select(XapiCredential).where(XapiCredential.key == key)).first()
        if row is None or row.revoked_at is not None or row.id is None:
            self.counters.add(unauthorised=1)
            return None
        presented = hashlib.sha256(secret.encode()).digest()
        with self._lock:
            cached = self._verified.get(key)
        if not (
            cached is not None
            and cached.secret_hash == row.secret_hash
            and time.monotonic() < cached.until
            and hmac.compare_digest(cached.presented, presented)
        ):
            if not verify_secret(secret, row.secret_hash):
                self.counters.add(unauthorised=1)
                return None
            with self._lock:
                self._verified[key] = _Verified(
                    row.secret_hash, presented, time.monotonic() + VERIFIED_FOR
                )
        return Credential(row.id, row.name)

    # --- what they send

    def post(self, credential: Credential, raw: bytes) -> Outcome:
        """``POST /statements``: one statement or an array; the ids, in order."""
        statements, _ = read(raw)
        return self._receive(credential, statements)

    def put(self, credential: Credential, statement_id: str, raw: bytes) -> Outcome:
        """``PUT /statements?statementId=...``: one statement, with that id."""
        if not re.fullmatch(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", statement_id):
            self.counters.add(requests=1, refused=1)
            raise Refused(400, "statementId must be a UUID", field="statementId")
        statements, array = read(raw)
        if array:
            self.counters.add(requests=1, refused=len(statements))
            raise Refused(400, "PUT takes one statement, not an array")
        given = statements[0].get("id") if isinstance(statements[0], dict) else None
        if given is not None and str(given).lower() != statement_id.lower():
            self.counters.add(requests=1, refused=1)
            raise Refused(400, "the statement's id differs from statementId", index=0, field="id")
        if isinstance(statements[0], dict):
            statements[0] = {**statements[0], "id": statement_id}
        return self._receive(credential, statements)

    def _receive(self, credential: Credential, statements: list[Any]) -> Outcome:
        now = self.clock.now()
        try:
            received = self._check(statements, now)
        except Refused:
            self.counters.add(requests=1, refused=len(statements))
            raise
        for attempt in range(LOCK_RETRIES):
            try:
                if self._one_writer is None:
                    outcome = self._store(credential, received, now)
                else:
                    with self._one_writer:
                        outcome = self._store(credential, received, now)
                break
            except Refused:
                self.counters.add(requests=1, refused=len(statements))
                raise
            except (OperationalError, _Raced) as exc:
                # Nothing was written (the transaction rolled back): trying again is safe.
                retry = isinstance(exc, _Raced) or is_lock_timeout(exc)
                if not retry or attempt == LOCK_RETRIES - 1:
                    raise
                log.warning("xapi: database busy or a concurrent sender; retrying")
        self.counters.add(
            requests=1,
            received=len(received),
            completions=outcome.completions,
            ignored=sum(outcome.ignored.values()),
            repeated=outcome.repeated,
        )
        return outcome

    def _check(self, statements: list[Any], now: datetime) -> list[Received]:
        found: list[Received] = []
        seen: dict[str, int] = {}
        for index, statement in enumerate(statements):
            try:
                check(statement)
            except Malformed as exc:
                where = exc.at(index)
                raise Refused(400, where.describe(), index=index, field=where.field) from None
            assert isinstance(statement, dict)
            sid = statement.get("id") or str(uuid.uuid4())
            key = sid.lower()
            if key in seen:
                raise Refused(
                    400,
                    f"statement {index}: id: the same id as statement {seen[key]} of this batch",
                    index=index,
                    field="id",
                )
            seen[key] = index
            finished, ignored = self._finished(statement, now)
            found.append(Received(sid, key, digest(statement), finished, ignored))
        return found

    def _finished(self, s: dict[str, Any], now: datetime) -> tuple[Finished | None, str]:
        """The completion a valid statement reports, or None and why not."""
        verb = s["verb"]["id"]
        if verb == VOIDED:
            return None, "voiding"  # undoing a completion is an admin's decision, not a feed's
        result = s.get("result", {})
        if verb not in COMPLETING_VERBS and result.get("completion") is not True:
            return None, "not_a_completion"
        target = s["object"]
        if target.get("objectType", "Activity") != "Activity":
            return None, "not_a_completion"
        course = self.content.course_by_id(target["id"], SITE)
        if course is None:
            return None, "unmapped_activity"
        who = _who(s["actor"], self.content)
        if who is None:
            return None, "unknown_person"
        when = timestamp(s["timestamp"]) if "timestamp" in s else None
        completed_at = min(when, now) if when is not None else now  # never in the future
        return Finished(who[0], who[1], course.id, completed_at, _score(result)), ""

    def _store(self, credential: Credential, received: list[Received], now: datetime) -> Outcome:
        outcome = Outcome(ids=[r.id for r in received])
        if not received:
            return outcome
        with session_scope(self.engine) as session:
            keys = [r.key for r in received]
            known: dict[str, str] = {
                str(sid): str(found)
                for sid, found in session.connection().execute(_KNOWN, {"keys": keys})
            }
            for index, r in enumerate(received):
                if r.key in known and known[r.key] != r.digest:
                    raise Refused(
                        409,
                        f"statement {index}: a statement with the id {r.id} came before, "
                        "with other content; a statement cannot be changed",
                        index=index,
                        field="id",
                    )
            fresh = [r for r in received if r.key not in known]
            outcome.repeated = len(received) - len(fresh)
            rows = [
                {
                    "statement_id": r.key,
                    "credential_id": credential.id,
                    "digest": r.digest,
                    "received_at": now,
                }
                for r in fresh
            ]
            if _remember(session, rows) != len(rows):
                raise _Raced  # another request took some of these ids meanwhile
            finishing = [r for r in fresh if r.finished is not None]
            outcome.ignored.update(r.ignored for r in fresh if r.finished is None)
            people = _people(session, [r.finished for r in finishing if r.finished])
            table: list[dict[str, Any]] = []
            for r in finishing:
                assert r.finished is not None
                pid = people.get((r.finished.by, r.finished.who))
                if pid is None:
                    outcome.ignored["unknown_person"] += 1
                    continue
                table.append(
                    {
                        "person_id": pid,
                        "course_id": r.finished.course_id,
                        "completed_at": r.finished.completed_at,
                        "ref": f"{KIND}:{credential.name}:{r.key}",
                        "score": r.finished.score,
                    }
                )
            outcome.completions = len(table)
            if table:
                actor = f"{KIND}:{credential.name}"
                batch = ledger.record_many(
                    session,
                    pa.Table.from_pylist(table, schema=_BATCH),
                    kind=KIND,
                    ref=actor,
                    now=now,
                    actor=actor,
                )
                celebrations.on_many(session, self.content, batch.new, now)
                outcome.added, outcome.confirmed = batch.added, batch.confirmed
                if batch.added or batch.confirmed:
                    _audit(
                        session,
                        now,
                        actor,
                        "completions.xapi",
                        credential.name,
                        {
                            "statements": len(received),
                            "added": batch.added,
                            "confirmed": batch.confirmed,
                            "already": batch.already,
                        },
                    )
            session.connection().execute(
                _LAST_USED,
                {"credential": credential.id, "used_at": now, "before": now - LAST_USED_EVERY},
            )
        return outcome


# Built once: SQLAlchemy then reuses their compiled form instead of rebuilding each batch.
_KNOWN = select(col(XapiStatement.statement_id), col(XapiStatement.digest)).where(
    col(XapiStatement.statement_id).in_(bindparam("keys", expanding=True))
)
_LAST_USED = (
    update(XapiCredential)
    .where(
        col(XapiCredential.id) == bindparam("credential"),
        col(XapiCredential.last_used_at).is_(None)
        | (col(XapiCredential.last_used_at) < bindparam("before")),
    )
    .values(last_used_at=bindparam("used_at"))
)


class _Raced(Exception):
    """Another transaction recorded some of the same statement ids first."""


_BATCH = pa.schema(
    [
        ("person_id", pa.int64()),
        ("course_id", pa.string()),
        ("completed_at", pa.timestamp("us", tz="UTC")),
        ("ref", pa.string()),
        ("score", pa.float64()),
    ]
)


def _who(actor: dict[str, Any], content: Content) -> tuple[str, str] | None:
    """How the roster knows the actor: ("email", address) or ("username", name)."""
    if actor.get("objectType", "Agent") != "Agent":
        return None  # a Group finished nothing on its own
    if "mbox" in actor:
        return "email", actor["mbox"][len("mailto:") :].strip().lower()
    account = actor.get("account")
    if account is not None:
        rule = content.sources.account_rule(account["homePage"])
        if rule is not None:
            return rule.by, account["name"].strip().lower()
    return None


def _score(result: dict[str, Any]) -> float | None:
    """The score as the ledger keeps it (0-100), when the statement gives one."""
    score = result.get("score")
    if not score:
        return None
    if "scaled" in score:
        return round(max(0.0, float(score["scaled"])) * 100, 2)
    if "raw" in score and "max" in score and score["max"] > score.get("min", 0):
        low = float(score.get("min", 0))
        return round((float(score["raw"]) - low) / (float(score["max"]) - low) * 100, 2)
    return None


def _remember(session: Session, rows: list[dict[str, Any]]) -> int:
    """Keep the new statement ids; returns how many were new. On SQLite through the
    driver's executemany (the write lock is held: nobody else is inserting)."""
    if session.get_bind().dialect.name != "sqlite":
        return insert_ignore(session, XapiStatement, rows)
    raw: Any = session.connection().connection.driver_connection
    before = raw.total_changes
    raw.executemany(
        "INSERT INTO xapi_statement (statement_id, credential_id, digest, received_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (statement_id) DO NOTHING",
        [
            (
                r["statement_id"],
                r["credential_id"],
                r["digest"],
                r["received_at"].astimezone(UTC).strftime(ledger.SQLITE_TIME),
            )
            for r in rows
        ],
    )
    return int(raw.total_changes - before)


def _people(session: Session, finished: Sequence[Finished]) -> dict[tuple[str, str], int]:
    """Person ids for the emails and usernames these statements name, in two queries."""
    emails = sorted({f.who for f in finished if f.by == "email"})
    usernames = sorted({f.who for f in finished if f.by == "username"})
    found: dict[tuple[str, str], int] = {}
    connection = session.connection()  # plain rows: the ORM adds nothing to two columns
    for part in _parts(emails):
        for pid, email in connection.execute(_BY_EMAIL, {"emails": part}):
            found["email", email.lower()] = pid or 0
    for part in _parts(usernames):
        for pid, name in connection.execute(_BY_USERNAME, {"names": part}):
            found["username", name] = pid or 0
    return found


_BY_EMAIL = select(col(Person.id), col(Person.email)).where(
    col(Person.email).in_(bindparam("emails", expanding=True))
)
_BY_USERNAME = select(col(Person.id), func.lower(col(Person.username))).where(
    func.lower(col(Person.username)).in_(bindparam("names", expanding=True))
)


def _parts(values: list[str], size: int = 500) -> Iterable[list[str]]:
    return (values[i : i + size] for i in range(0, len(values), size))
