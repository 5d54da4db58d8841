"""xAPI statements in: the real aiohttp app on a local port, the real database (SQLite and
PostgreSQL), HTTP Basic credentials made as the CLI makes them, and ADL's TinCanPython
client as one of the senders.

The malformed cases follow the categories of ADL's LRS conformance suite (actors and
identifiers, verbs, objects, results and scores, contexts, timestamps, durations, UUIDs,
language tags, extensions, attachments, version, unknown and mis-cased keys, null),
each as our own statement; and valid variants, so the checks are not stricter than the
specification.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
import signal
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from tincan import (
    Activity,
    Agent,
    AgentAccount,
    LanguageMap,
    RemoteLRS,
    Result,
    Score,
    Statement,
    StatementList,
    Verb,
)

from adapters.server import Platforms, build
from adapters.xapi import XapiReceiver
from bot.clock import FrozenClock
from bot.core import Bot
from bot.db import make_engine
from bot.models import (
    AuditEntry,
    Celebration,
    Completion,
    CompletionSource,
    Person,
    XapiCredential,
    XapiStatement,
)
from bot.xapi import hash_secret, new_credential, revoke_credential, verify_secret
from bot.xapi_rules import Malformed, check
from tests.fakechat import FakeChat
from tests.processes import free_port, huddle, start_huddle, wait_for_port

ANA = "ana.ruiz@example.org"
BEN = "ben.cho@example.org"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
ACTIVITY = "https://learning.example.org/REPLACE-ME/xapi/activities/{}"
WHEN = "2026-11-20T14:30:00Z"
VERSION = {"X-Experience-API-Version": "1.0.3"}
LIMIT = 20_000


def statement(
    email: str = ANA,
    course: str = "comm-101",
    verb: str = COMPLETED,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "name": "Someone", "mbox": f"mailto:{email}"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", "id": ACTIVITY.format(course)},
        "timestamp": WHEN,
        **extra,
    }


@dataclass
class Sender:
    """A learning site with a credential, talking to Huddle over HTTP."""

    base: str
    key: str
    secret: str
    bot: Bot
    chat: FakeChat
    http: aiohttp.ClientSession
    receiver: XapiReceiver

    @property
    def url(self) -> str:
        return f"{self.base}/xapi/statements"

    @property
    def auth(self) -> dict[str, str]:
        return basic(self.key, self.secret)

    async def post(
        self,
        body: Any,
        *,
        headers: dict[str, str] | None = None,
        auth: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any, Any]:
        sent_headers = {
            **VERSION,
            "Content-Type": "application/json",
            **(self.auth if auth is None else auth),
            **(headers or {}),
        }
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(self.url, data=data, headers=sent_headers) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None), response.headers

    async def put(self, statement_id: str | None, body: Any) -> tuple[int, Any, Any]:
        params = {"statementId": statement_id} if statement_id is not None else {}
        async with self.http.put(
            self.url,
            params=params,
            data=json.dumps(body).encode(),
            headers={**VERSION, "Content-Type": "application/json", **self.auth},
        ) as response:
            text = await response.text()
            return response.status, (json.loads(text) if text else None), response.headers


@pytest.fixture
async def sender(bot: Bot, chat: FakeChat, clock: FrozenClock) -> AsyncIterator[Sender]:
    key, secret = new_credential(bot.engine, "site", "cli:tester", clock.now())
    receiver = XapiReceiver(bot, max_body_bytes=LIMIT)
    runner = web.AppRunner(build(bot, Platforms(xapi=receiver)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        try:
            yield Sender(f"http://127.0.0.1:{port}", key, secret, bot, chat, http, receiver)
        finally:
            await receiver.close()
            await runner.cleanup()


def basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _person(engine: Engine, email: str) -> Person:
    with Session(engine) as session:
        return session.exec(select(Person).where(Person.email == email)).one()


def _completions(engine: Engine, email: str = ANA) -> list[Completion]:
    person = _person(engine, email)
    with Session(engine) as session:
        return list(session.exec(select(Completion).where(Completion.person_id == person.id)))


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


# --- completions ---------------------------------------------------------------------------


async def test_a_completion_becomes_a_verified_ledger_entry(sender: Sender) -> None:
    sent = statement(result={"completion": True, "score": {"scaled": 0.92}})
    status, ids, headers = await sender.post(sent)
    assert status == 200 and headers["X-Experience-API-Version"] == "1.0.3"
    assert len(ids) == 1 and uuid.UUID(ids[0])
    (done,) = _completions(sender.bot.engine)
    assert done.course_id == "comm-101"
    assert done.source == "xapi" and done.verified
    assert done.source_ref == f"xapi:site:{ids[0]}"
    assert done.completed_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert done.score == 92.0
    with Session(sender.bot.engine) as session:  # recent: celebrated in the team channel
        celebrated = session.exec(select(Celebration.dedupe_key)).all()
    assert f"course:{done.person_id}:comm-101" in celebrated
    # Only the id and a digest of the statement are kept: Huddle is not an LRS.
    with Session(sender.bot.engine) as session:
        (kept,) = session.exec(select(XapiStatement)).all()
    assert kept.statement_id == ids[0] and len(kept.digest) == 64


async def test_an_array_answers_the_ids_in_order(sender: Sender) -> None:
    given = str(uuid.uuid4())
    batch = [
        statement(course="comm-101", id=given),
        statement(course="pain-101", verb=PASSED),
        statement(email=BEN, course="goals-101"),
    ]
    status, ids, _ = await sender.post(batch)
    assert status == 200 and len(ids) == 3 and ids[0] == given
    assert len(set(ids)) == 3
    assert {c.course_id for c in _completions(sender.bot.engine)} == {"comm-101", "pain-101"}
    (ben,) = _completions(sender.bot.engine, BEN)
    assert ben.source_ref == f"xapi:site:{ids[2]}"


async def test_the_same_statement_again_changes_nothing(sender: Sender) -> None:
    sent = statement(id=str(uuid.uuid4()))
    first = await sender.post(sent)
    # What the receiver sets (stored, authority, version) is not what was said.
    again = await sender.post({**sent, "stored": "2026-11-23T15:00:00Z", "version": "1.0.0"})
    assert first[:2] == again[:2] == (200, [sent["id"]])
    engine = sender.bot.engine
    assert len(_completions(engine)) == 1
    assert _count(engine, CompletionSource) == 0
    assert _count(engine, XapiStatement) == 1
    assert sender.receiver.counts()["repeated"] == 1


async def test_the_same_id_with_other_content_is_a_conflict(sender: Sender) -> None:
    sid = str(uuid.uuid4())
    assert (await sender.post(statement(id=sid)))[0] == 200
    other = statement(id=sid, course="pain-101")
    status, body, headers = await sender.post([statement(course="goals-101"), other])
    assert status == 409 and body["statement"] == 1 and body["field"] == "id"
    assert headers["X-Experience-API-Version"] == "1.0.3"
    # All or nothing: the good statement beside it was not taken either.
    assert {c.course_id for c in _completions(sender.bot.engine)} == {"comm-101"}
    assert _count(sender.bot.engine, XapiStatement) == 1


async def test_one_bad_statement_in_a_batch_stores_nothing(sender: Sender) -> None:
    bad = statement(course="pain-101")
    bad["result"] = {"score": {"scaled": 1.5}}
    status, body, _ = await sender.post([statement(), statement(course="goals-101"), bad])
    assert status == 400
    assert body["statement"] == 2 and body["field"] == "result.score.scaled"
    assert "statement 2" in body["error"] and "between -1 and 1" in body["error"]
    engine = sender.bot.engine
    assert _completions(engine) == []
    assert _count(engine, XapiStatement) == 0
    assert sender.receiver.counts()["refused"] == 3


async def test_the_same_id_twice_in_one_batch_is_refused(sender: Sender) -> None:
    sid = str(uuid.uuid4())
    status, body, _ = await sender.post([statement(id=sid), statement(id=sid.upper())])
    assert status == 400 and body["statement"] == 1 and body["field"] == "id"
    assert _count(sender.bot.engine, XapiStatement) == 0


async def test_valid_statements_that_are_no_completion_are_acknowledged_and_ignored(
    sender: Sender,
) -> None:
    experienced = statement(verb="http://adlnet.gov/expapi/verbs/experienced")
    unmapped = statement(course="not-a-course")
    stranger = statement(email="stranger@example.org")
    hashed = statement()
    hashed["actor"] = {"mbox_sha1sum": "a" * 40}
    voiding = statement(verb="http://adlnet.gov/expapi/verbs/voided")
    voiding["object"] = {"objectType": "StatementRef", "id": str(uuid.uuid4())}
    about_a_person = statement()
    about_a_person["object"] = {"objectType": "Agent", "mbox": f"mailto:{BEN}"}
    batch = [experienced, unmapped, stranger, hashed, voiding, about_a_person]
    status, ids, _ = await sender.post(batch)
    assert status == 200 and len(ids) == 6
    engine = sender.bot.engine
    assert _count(engine, Completion) == 0
    assert _count(engine, XapiStatement) == 6  # their ids, so a changed one is a conflict
    counts = sender.receiver.counts()
    assert counts["received"] == 6 and counts["ignored"] == 6 and counts["completions"] == 0
    async with sender.http.get(f"{sender.base}/healthz") as response:
        assert (await response.json())["xapi"]["ignored"] == 6


async def test_a_team_milestone_when_a_batch_finishes_enough_pathways(sender: Sender) -> None:
    def milestones() -> list[str]:
        with Session(sender.bot.engine) as session:
            return list(
                session.exec(select(Celebration.subject).where(Celebration.kind == "milestone"))
            )

    # ICU: Ana, Ben and Carla take essentials (comm-101, goals-101, pain-101), Dev another.
    first = [statement(course=c) for c in ("comm-101", "goals-101", "pain-101")]
    first += [statement(email=BEN, course=c) for c in ("comm-101", "goals-101")]
    assert (await sender.post(first))[0] == 200
    assert milestones() == []  # one in four trained
    assert (await sender.post(statement(email=BEN, course="pain-101")))[0] == 200
    assert milestones() == ["50"]


async def test_result_completion_true_counts_whatever_the_verb(sender: Sender) -> None:
    sent = statement(verb="http://adlnet.gov/expapi/verbs/attempted", result={"completion": True})
    assert (await sender.post(sent))[0] == 200
    assert [c.course_id for c in _completions(sender.bot.engine)] == ["comm-101"]


async def test_an_account_is_matched_through_sources_yaml(sender: Sender) -> None:
    engine = sender.bot.engine
    roster = "email,name,discipline,team,username\n" + f"{ANA},Ana Ruiz,nurse,ICU,ARuiz\n"
    sender.chat.operator("roster import\n" + roster)  # the learning site's login
    assert _person(engine, ANA).username == "aruiz"
    known = statement()
    known["actor"] = {"account": {"homePage": "https://learning.example.org/", "name": "aruiz"}}
    elsewhere = statement(course="pain-101")
    elsewhere["actor"] = {"account": {"homePage": "https://other.example.org", "name": "aruiz"}}
    status, _, _ = await sender.post([known, elsewhere])
    assert status == 200
    assert [c.course_id for c in _completions(engine)] == ["comm-101"]
    assert sender.receiver.counts()["ignored"] == 1


async def test_a_self_report_is_verified_by_xapi(sender: Sender) -> None:
    sender.chat.person(ANA).says("done comm-101")
    (before,) = _completions(sender.bot.engine)
    assert before.source == "self_report" and not before.verified
    status, ids, _ = await sender.post(statement())
    assert status == 200
    (after,) = _completions(sender.bot.engine)
    assert after.verified and after.source == "self_report"
    with Session(sender.bot.engine) as session:
        (source,) = session.exec(select(CompletionSource)).all()
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "completions.xapi")
        ).one()
    assert source.kind == "xapi" and source.ref == f"xapi:site:{ids[0]}"
    assert audit.actor == "xapi:site" and json.loads(audit.detail)["confirmed"] == 1
    # The earliest date any source gave is kept (Ana said "done" today; the site, earlier).
    assert after.completed_at == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


async def test_a_future_timestamp_is_taken_as_now(sender: Sender) -> None:
    later = sender.bot.clock.now() + timedelta(days=3)
    sent = statement(timestamp=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert (await sender.post(sent))[0] == 200
    (done,) = _completions(sender.bot.engine)
    assert done.completed_at == sender.bot.clock.now()


# --- PUT, GET and other methods -----------------------------------------------------------


async def test_put_with_a_statement_id(sender: Sender) -> None:
    sid = str(uuid.uuid4())
    status, body, headers = await sender.put(sid, statement())
    assert status == 204 and body is None and headers["X-Experience-API-Version"] == "1.0.3"
    assert (await sender.put(sid, statement()))[0] == 204  # the same again: nothing changes
    assert (await sender.put(sid, statement(course="pain-101")))[0] == 409
    assert (await sender.put(str(uuid.uuid4()), statement(id=sid)))[0] == 400  # ids differ
    assert (await sender.put(None, statement()))[0] == 400
    assert (await sender.put("not-a-uuid", statement()))[0] == 400
    assert (await sender.put(str(uuid.uuid4()), [statement()]))[0] == 400
    (done,) = _completions(sender.bot.engine)
    assert done.source_ref == f"xapi:site:{sid}"


async def test_get_is_refused_huddle_is_not_an_lrs(sender: Sender) -> None:
    for method in ("GET", "DELETE", "HEAD"):
        async with sender.http.request(
            method, sender.url, headers={**VERSION, **sender.auth}
        ) as response:
            assert response.status == 405
            assert response.headers["Allow"] == "POST, PUT"
            assert response.headers["X-Experience-API-Version"] == "1.0.3"
            if method == "GET":
                assert "not an LRS" in (await response.json())["error"]
    async with sender.http.get(f"{sender.base}/xapi/about", headers=VERSION) as response:
        assert response.status == 404
        assert response.headers["X-Experience-API-Version"] == "1.0.3"


# --- refusals before any statement is read ----------------------------------------------------


async def test_unknown_missing_or_wrong_credentials_get_401(sender: Sender) -> None:
    wrong = [{}, basic(sender.key, "not-the-secret"), basic("hx-nobody", sender.secret)]
    for auth in wrong:
        status, _, headers = await sender.post(statement(), auth=auth)
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Basic ")
        assert headers["X-Experience-API-Version"] == "1.0.3"
    for header in ("Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        status, _, _ = await sender.post(statement(), auth={"Authorization": header})
        assert status == 401
    assert _count(sender.bot.engine, Completion) == 0
    assert sender.receiver.counts()["unauthorised"] == 6


async def test_a_revoked_credential_is_refused_at_once(sender: Sender) -> None:
    assert (await sender.post(statement()))[0] == 200  # verified, and remembered
    revoke_credential(sender.bot.engine, "site", "cli:tester", sender.bot.clock.now())
    status, _, headers = await sender.post(statement(course="pain-101"))
    assert status == 401 and "WWW-Authenticate" in headers
    assert [c.course_id for c in _completions(sender.bot.engine)] == ["comm-101"]


async def test_the_version_header_is_required(sender: Sender) -> None:
    for version in ("", "1.1.0", "2.0.0", "0.95", "1.0.x", "one"):
        headers = {"X-Experience-API-Version": version} if version else {}
        async with sender.http.post(
            sender.url,
            data=json.dumps(statement()).encode(),
            headers={"Content-Type": "application/json", **headers, **sender.auth},
        ) as response:
            assert response.status == 400, version
            assert response.headers["X-Experience-API-Version"] == "1.0.3"
            assert "version" in (await response.json())["error"].lower()
    for version in ("1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3"):
        status, _, _ = await sender.post(statement(), headers={"X-Experience-API-Version": version})
        assert status == 200, version
    assert len(_completions(sender.bot.engine)) == 1


async def test_a_body_over_the_limit_gets_413(sender: Sender) -> None:
    many = [statement(course="pain-101") for _ in range(120)]
    assert len(json.dumps(many)) > LIMIT
    status, body, headers = await sender.post(many)
    assert status == 413 and headers["X-Experience-API-Version"] == "1.0.3"
    assert str(LIMIT) in body["error"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        text = json.dumps(many).encode()
        for i in range(0, len(text), 4096):
            yield text[i : i + 4096]

    async with sender.http.post(
        sender.url,
        data=chunks(),
        headers={**VERSION, "Content-Type": "application/json", **sender.auth},
    ) as response:
        assert response.status == 413
    assert _count(sender.bot.engine, XapiStatement) == 0


async def test_only_json_is_taken(sender: Sender) -> None:
    for content_type in (
        "text/plain",
        "multipart/mixed; boundary=x",
        "application/x-www-form-urlencoded",
    ):
        status, _, headers = await sender.post(statement(), headers={"Content-Type": content_type})
        assert status == 415 and headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "not JSON"),
        (b'{"actor": NaN}', "not JSON"),
        (b'{"actor": {}, "actor": {}}', "twice"),
        (b"42", "a statement"),
        (b'"text"', "a statement"),
        (b"\xff\xfe", "UTF-8"),
        (b"[1]", "statement 0"),
    ],
)
async def test_bodies_that_are_no_statements(sender: Sender, raw: bytes, says: str) -> None:
    status, body, headers = await sender.post(None, raw=raw)
    assert status == 400 and says in body["error"]
    assert headers["X-Experience-API-Version"] == "1.0.3"


# --- malformed statements, table-driven -------------------------------------------------------

DROP = object()


def _full() -> dict[str, Any]:
    """A statement using nearly every property, valid."""
    return {
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"objectType": "Agent", "name": "Ana", "mbox": f"mailto:{ANA}"},
        "verb": {"id": COMPLETED, "display": {"en-US": "completed", "de": "abgeschlossen"}},
        "object": {
            "objectType": "Activity",
            "id": ACTIVITY.format("comm-101"),
            "definition": {
                "name": {"en-US": "Talking about serious illness"},
                "description": {"en-US": "The first conversation"},
                "type": "http://adlnet.gov/expapi/activities/course",
                "moreInfo": "https://learning.example.org/courses/comm-101",
                "extensions": {"https://example.org/ext/level": 1},
            },
        },
        "result": {
            "score": {"scaled": 0.8, "raw": 80, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "done",
            "duration": "PT40M",
            "extensions": {"https://example.org/ext/tries": 2},
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": {"mbox": "mailto:teacher@example.org"},
            "team": {"objectType": "Group", "member": [{"mbox": f"mailto:{BEN}"}]},
            "contextActivities": {
                "parent": [{"id": "https://learning.example.org/pathways/essentials"}],
                "category": {"id": "https://learning.example.org/categories/palliative"},
            },
            "revision": "2",
            "platform": "Moodle",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
            "extensions": {"https://example.org/ext/site": "north"},
        },
        "timestamp": "2026-11-20T14:30:00.123+01:00",
        "stored": "2026-11-20T14:31:00Z",
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": "https://lrs.example.org", "name": "site"},
        },
        "version": "1.0.3",
        "attachments": [
            {
                "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
                "display": {"en-US": "Certificate"},
                "description": {"en-US": "The certificate", "de": "Die Urkunde"},
                "contentType": "application/pdf",
                "length": 12345,
                "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
                "fileUrl": "https://learning.example.org/certificates/1.pdf",
            }
        ],
    }


def _with(changes: dict[str, Any], base: Callable[[], dict[str, Any]] = _full) -> dict[str, Any]:
    """The full statement with values set (or dropped) at dotted paths (digits index lists)."""
    data = copy.deepcopy(base())
    for path, value in changes.items():
        parts = path.split(".")
        spot: Any = data
        for part in parts[:-1]:
            spot = spot[int(part)] if part.isdigit() else spot[part]
        last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if value is DROP:
            del spot[last]
        else:
            spot[last] = value
    return data


def _sub(**changes: Any) -> dict[str, Any]:
    """A statement whose object is a SubStatement (a valid one, then ``changes``)."""
    base = {
        "actor": {"mbox": f"mailto:{ANA}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/planned"},
        "object": {
            "objectType": "SubStatement",
            "actor": {"mbox": f"mailto:{ANA}"},
            "verb": {"id": COMPLETED},
            "object": {"id": ACTIVITY.format("comm-101")},
            "result": {"completion": True},
            "context": {"platform": "Moodle"},
            "timestamp": WHEN,
        },
    }
    return _with({f"object.{k}": v for k, v in changes.items()}, lambda: base)


UUID_TOO_LONG = "AA97B177-9383-4934-8543-0F91A7A028368"
UUID_BAD_LETTER = "MA97B177-9383-4934-8543-0F91A7A02836"
BAD_IRI = "ab=c://should.fail.com"
AGENT = {"mbox": f"mailto:{BEN}"}

#: (name, statement, the property the answer must name)
MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    # the statement
    ("no actor", _with({"actor": DROP}), "actor"),
    ("no verb", _with({"verb": DROP}), "verb"),
    ("no object", _with({"object": DROP}), "object"),
    ("unknown property", _with({"comment": "hi"}), "comment"),
    ("mis-cased actor", _with({"actor": DROP, "Actor": AGENT}), "Actor"),
    ("mis-cased id", _with({"id": DROP, "iD": str(uuid.uuid4())}), "iD"),
    ("mis-cased version", _with({"version": DROP, "Version": "1.0.3"}), "Version"),
    ("mis-cased attachments", _with({"attachments": DROP, "attachmentS": []}), "attachmentS"),
    ("id numeric", _with({"id": 12345}), "id"),
    ("id object", _with({"id": {"key": "x"}}), "id"),
    ("id too many digits", _with({"id": UUID_TOO_LONG}), "id"),
    ("id not hexadecimal", _with({"id": UUID_BAD_LETTER}), "id"),
    ("id empty", _with({"id": ""}), "id"),
    ("timestamp words", _with({"timestamp": "should fail"}), "timestamp"),
    ("timestamp not ISO", _with({"timestamp": "01/011/2015"}), "timestamp"),
    ("timestamp -00", _with({"timestamp": "2008-09-15T15:53:00.601-00"}), "timestamp"),
    ("timestamp -0000", _with({"timestamp": "2008-09-15T15:53:00.601-0000"}), "timestamp"),
    ("timestamp -00:00", _with({"timestamp": "2008-09-15T15:53:00.601-00:00"}), "timestamp"),
    ("timestamp date only", _with({"timestamp": "2026-11-20"}), "timestamp"),
    ("timestamp no such day", _with({"timestamp": "2026-02-30T10:00:00Z"}), "timestamp"),
    ("timestamp space", _with({"timestamp": "2026-11-20 10:00:00Z"}), "timestamp"),
    ("timestamp number", _with({"timestamp": 1700000000}), "timestamp"),
    ("stored invalid", _with({"stored": "yesterday"}), "stored"),
    ("version words", _with({"version": "should fail"}), "version"),
    ("version 0.9.9", _with({"version": "0.9.9"}), "version"),
    ("version 1.1.0", _with({"version": "1.1.0"}), "version"),
    ("version number", _with({"version": 1.0}), "version"),
    ("null actor name", _with({"actor.name": None}), "actor.name"),
    ("actor null", _with({"actor": None}), "actor"),
    # actors
    ("actor without identifier", _with({"actor": {"name": "Ana"}}), "actor"),
    ("actor with two identifiers", _with({"actor.openid": "https://id.example.org/ana"}), "actor"),
    ("mbox without @", _with({"actor.mbox": "mailto:should.fail.com"}), "actor.mbox"),
    ("mbox not mailto", _with({"actor.mbox": "http://should.fail.com"}), "actor.mbox"),
    ("mbox bare address", _with({"actor.mbox": ANA}), "actor.mbox"),
    ("mbox_sha1sum short", _with({"actor": {"mbox_sha1sum": "abc"}}), "actor.mbox_sha1sum"),
    ("openid not a URI", _with({"actor": {"openid": BAD_IRI}}), "actor.openid"),
    (
        "account homePage not an IRL",
        _with({"actor": {"account": {"homePage": BAD_IRI, "name": "ana"}}}),
        "actor.account.homePage",
    ),
    (
        "account name object",
        _with({"actor": {"account": {"homePage": "https://x.org", "name": {"a": 1}}}}),
        "actor.account.name",
    ),
    (
        "account without name",
        _with({"actor": {"account": {"homePage": "https://x.org"}}}),
        "actor.account.name",
    ),
    (
        "account with other keys",
        _with({"actor": {"account": {"homePage": "https://x.org", "name": "a", "id": 1}}}),
        "actor.account.id",
    ),
    ("objectType numeric", _with({"actor.objectType": 123}), "actor.objectType"),
    ("objectType lower case", _with({"actor.objectType": "agent"}), "actor.objectType"),
    ("agent name numeric", _with({"actor.name": 123}), "actor.name"),
    ("agent unknown key", _with({"actor.member": []}), "actor.member"),
    (
        "anonymous group without members",
        _with({"actor": {"objectType": "Group", "name": "ICU"}}),
        "actor",
    ),
    (
        "group with two identifiers",
        _with(
            {
                "actor": {
                    "objectType": "Group",
                    "mbox": "mailto:g@x.org",
                    "openid": "https://x.org/g",
                }
            }
        ),
        "actor",
    ),
    (
        "group member a group",
        _with(
            {
                "actor": {
                    "objectType": "Group",
                    "member": [{"objectType": "Group", "member": [AGENT]}],
                }
            }
        ),
        "actor.member[0]",
    ),
    (
        "group member without identifier",
        _with({"actor": {"objectType": "Group", "member": [{"name": "x"}]}}),
        "actor.member[0]",
    ),
    # verbs
    ("verb without id", _with({"verb.id": DROP}), "verb.id"),
    ("verb id not an IRI", _with({"verb.id": "completed"}), "verb.id"),
    ("verb display a string", _with({"verb.display": "completed"}), "verb.display"),
    ("display two regions", _with({"verb.display": {"de-419-DE": "x"}}), "verb.display.de-419-DE"),
    ("display one-letter language", _with({"verb.display": {"a-DE": "x"}}), "verb.display.a-DE"),
    (
        "display repeated extension",
        _with({"verb.display": {"ar-a-aaa-b-bbb-a-ccc": "x"}}),
        "verb.display.ar-a-aaa-b-bbb-a-ccc",
    ),
    ("display value null", _with({"verb.display": {"en-US": None}}), "verb.display.en-US"),
    ("display value number", _with({"verb.display": {"en-US": 1}}), "verb.display.en-US"),
    ("display empty", _with({"verb.display": {}}), "verb.display"),
    (
        "voided with an activity",
        _with({"verb.id": "http://adlnet.gov/expapi/verbs/voided"}),
        "object",
    ),
    # objects
    ("activity without id", _with({"object.id": DROP}), "object.id"),
    ("activity id not an IRI", _with({"object.id": BAD_IRI}), "object.id"),
    ("activity id words", _with({"object.id": "should fail"}), "object.id"),
    ("activity id bad escape", _with({"object.id": "https://x.org/a%zz"}), "object.id"),
    (
        "objectType lower-case activity",
        _with({"object.objectType": "activity"}),
        "object.objectType",
    ),
    ("unknown objectType", _with({"object.objectType": "Course"}), "object.objectType"),
    ("definition a string", _with({"object.definition": "should error"}), "object.definition"),
    ("definition name a string", _with({"object.definition.name": "x"}), "object.definition.name"),
    ("definition name numeric", _with({"object.definition.name": 12345}), "object.definition.name"),
    (
        "definition type not an IRI",
        _with({"object.definition.type": "should fail"}),
        "object.definition.type",
    ),
    (
        "moreInfo not an IRL",
        _with({"object.definition.moreInfo": "should fail"}),
        "object.definition.moreInfo",
    ),
    ("moreInfo null", _with({"object.definition.moreInfo": None}), "object.definition.moreInfo"),
    ("definition unknown key", _with({"object.definition.title": "x"}), "object.definition.title"),
    (
        "interactionType mis-cased",
        _with({"object.definition.interactionType": "true-faLse"}),
        "object.definition.interactionType",
    ),
    (
        "interactionType an IRI",
        _with({"object.definition.interactionType": "http://x.org/choice"}),
        "object.definition.interactionType",
    ),
    (
        "interactionType numeric",
        _with({"object.definition.interactionType": 7}),
        "object.definition.interactionType",
    ),
    (
        "choices without interactionType",
        _with({"object.definition.choices": [{"id": "a", "description": {"en": "A"}}]}),
        "object.definition.interactionType",
    ),
    (
        "choices with one id twice",
        _with(
            {
                "object.definition.interactionType": "choice",
                "object.definition.choices": [{"id": "a"}, {"id": "a"}],
            }
        ),
        "object.definition.choices[1].id",
    ),
    (
        "component id numeric",
        _with(
            {"object.definition.interactionType": "likert", "object.definition.scale": [{"id": 1}]}
        ),
        "object.definition.scale[0].id",
    ),
    (
        "correctResponsesPattern not strings",
        _with(
            {
                "object.definition.interactionType": "numeric",
                "object.definition.correctResponsesPattern": [4],
            }
        ),
        "object.definition.correctResponsesPattern[0]",
    ),
    (
        "extensions a string",
        _with({"object.definition.extensions": "x"}),
        "object.definition.extensions",
    ),
    (
        "extension key not an IRI",
        _with({"object.definition.extensions": {"id": "valid", "description": {"en-US": "x"}}}),
        "object.definition.extensions.id",
    ),
    ("StatementRef without id", _with({"object": {"objectType": "StatementRef"}}), "object.id"),
    (
        "StatementRef id not a UUID",
        _with({"object": {"objectType": "StatementRef", "id": UUID_TOO_LONG}}),
        "object.id",
    ),
    (
        "StatementRef id numeric",
        _with({"object": {"objectType": "StatementRef", "id": 12345}}),
        "object.id",
    ),
    (
        "object agent without identifier",
        _with({"object": {"objectType": "Agent", "name": "x"}}),
        "object",
    ),
    (
        "object agent name numeric",
        _with({"object": {"objectType": "Agent", "name": 1, **AGENT}}),
        "object.name",
    ),
    ("substatement with id", _sub(id=str(uuid.uuid4())), "object.id"),
    ("substatement with stored", _sub(stored=WHEN), "object.stored"),
    ("substatement with version", _sub(version="1.0.3"), "object.version"),
    ("substatement with authority", _sub(authority=AGENT), "object.authority"),
    (
        "substatement in a substatement",
        _sub(object={"objectType": "SubStatement"}),
        "object.object.objectType",
    ),
    ("substatement without actor", _sub(actor=DROP), "object.actor"),
    (
        "substatement actor objectType numeric",
        _sub(**{"actor": {"objectType": 123, **AGENT}}),
        "object.actor.objectType",
    ),
    ("substatement timestamp", _sub(timestamp="2008-09-15T15:53:00.601-00:00"), "object.timestamp"),
    (
        "substatement display",
        _sub(verb={"id": COMPLETED, "display": {"de-419-DE": "x"}}),
        "object.verb.display.de-419-DE",
    ),
    ("substatement activity id", _sub(object={"id": BAD_IRI}), "object.object.id"),
    ("substatement duration", _sub(result={"duration": "PA1H0M0S"}), "object.result.duration"),
    (
        "substatement revision with an agent",
        _sub(object=AGENT | {"objectType": "Agent"}, context={"revision": "1"}),
        "object.context.revision",
    ),
    (
        "substatement registration",
        _sub(context={"registration": "should fail"}),
        "object.context.registration",
    ),
    # results
    ("score numeric", _with({"result.score": 12345}), "result.score"),
    ("score a string", _with({"result.score": "should fail"}), "result.score"),
    ("score empty", _with({"result.score": {}}), "result.score"),
    ("scaled above 1", _with({"result.score": {"scaled": 1.01}}), "result.score.scaled"),
    ("scaled below -1", _with({"result.score": {"scaled": -1.00001}}), "result.score.scaled"),
    (
        "raw above max",
        _with({"result.score": {"raw": 0.6767676, "max": 0.6567676}}),
        "result.score.raw",
    ),
    (
        "raw below min",
        _with({"result.score": {"raw": 0.6767676, "min": 1.4067676}}),
        "result.score.raw",
    ),
    (
        "min above max",
        _with({"result.score": {"min": 0.6767676, "max": 0.6767355, "raw": 0.6767643}}),
        "result.score.min",
    ),
    ("max a string", _with({"result.score": {"max": "one hundred"}}), "result.score.max"),
    ("max a numeric string", _with({"result.score": {"max": "100"}}), "result.score.max"),
    ("scaled boolean", _with({"result.score": {"scaled": True}}), "result.score.scaled"),
    ("success a string", _with({"result.success": "We regret to inform you"}), "result.success"),
    ("completion 'false'", _with({"result.completion": "false"}), "result.completion"),
    ("completion numeric", _with({"result.completion": 1}), "result.completion"),
    ("response numeric", _with({"result.response": 42}), "result.response"),
    ("duration words", _with({"result.duration": "should fail"}), "result.duration"),
    ("duration PA1H0M0S", _with({"result.duration": "PA1H0M0S"}), "result.duration"),
    ("duration numeric", _with({"result.duration": 12345}), "result.duration"),
    ("duration object", _with({"result.duration": {"key": "x"}}), "result.duration"),
    ("duration P alone", _with({"result.duration": "P"}), "result.duration"),
    ("duration PT alone", _with({"result.duration": "P1DT"}), "result.duration"),
    ("result unknown key", _with({"result.passed": True}), "result.passed"),
    ("result mis-cased", _with({"result": DROP, "RESULT": {"completion": True}}), "RESULT"),
    ("result empty", _with({"result": {}}), "result"),
    ("result extension key", _with({"result.extensions": {"tries": 2}}), "result.extensions.tries"),
    # contexts
    (
        "registration an object",
        _with({"context.registration": {"key": "x"}}),
        "context.registration",
    ),
    ("registration words", _with({"context.registration": "should fail"}), "context.registration"),
    (
        "registration too many digits",
        _with({"context.registration": UUID_TOO_LONG}),
        "context.registration",
    ),
    ("registration null", _with({"context.registration": None}), "context.registration"),
    ("instructor a string", _with({"context.instructor": "should fail"}), "context.instructor"),
    (
        "instructor without identifier",
        _with({"context.instructor": {"key": "x"}}),
        "context.instructor.key",
    ),
    (
        "instructor no identifier",
        _with({"context.instructor": {"name": "x"}}),
        "context.instructor",
    ),
    (
        "instructor account name object",
        _with({"context.instructor": {"account": {"homePage": "https://x.org", "name": {"a": 1}}}}),
        "context.instructor.account.name",
    ),
    ("team an agent", _with({"context.team": AGENT}), "context.team.objectType"),
    ("team a string", _with({"context.team": "should fail"}), "context.team"),
    (
        "contextActivities a string",
        _with({"context.contextActivities": "should fail"}),
        "context.contextActivities",
    ),
    (
        "contextActivities empty",
        _with({"context.contextActivities": {}}),
        "context.contextActivities",
    ),
    (
        "contextActivities unknown key",
        _with({"context.contextActivities": {"parents": [{"id": "https://x.org"}]}}),
        "context.contextActivities.parents",
    ),
    (
        "contextActivities activity id",
        _with({"context.contextActivities": {"grouping": [{"id": BAD_IRI}]}}),
        "context.contextActivities.grouping[0].id",
    ),
    (
        "contextActivities not an activity",
        _with({"context.contextActivities": {"other": {"objectType": "Agent", **AGENT}}}),
        "context.contextActivities.other.objectType",
    ),
    ("revision numeric", _with({"context.revision": 12345}), "context.revision"),
    ("platform an object", _with({"context.platform": {"key": "x"}}), "context.platform"),
    (
        "revision with an agent object",
        _with({"object": AGENT | {"objectType": "Agent"}}),
        "context.revision",
    ),
    (
        "platform with a StatementRef object",
        _with(
            {
                "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
                "context.revision": DROP,
            }
        ),
        "context.platform",
    ),
    (
        "revision with a group object",
        _with({"object": {"objectType": "Group", "member": [AGENT]}, "context.platform": DROP}),
        "context.revision",
    ),
    (
        "revision with a substatement",
        _sub(context={"revision": "1"}) | {"context": {"revision": "1"}},
        "context.revision",
    ),
    ("language numeric", _with({"context.language": 12345}), "context.language"),
    (
        "language an object",
        _with({"context.language": {"a12345": "should fail"}}),
        "context.language",
    ),
    ("language with spaces", _with({"context.language": "en US"}), "context.language"),
    (
        "statement lower-case objectType",
        _with({"context.statement": {"objectType": "statementref"}}),
        "context.statement.objectType",
    ),
    ("statement id words", _with({"context.statement.id": "should fail"}), "context.statement.id"),
    ("statement id numeric", _with({"context.statement.id": 12345}), "context.statement.id"),
    ("context unknown key", _with({"context.location": "ICU"}), "context.location"),
    ("context mis-cased", _with({"context": DROP, "conText": {"platform": "x"}}), "conText"),
    (
        "context extension key",
        _with({"context.extensions": {"site": "north"}}),
        "context.extensions.site",
    ),
    # authority
    ("authority without identifier", _with({"authority": {"objectType": "Agent"}}), "authority"),
    ("authority objectType numeric", _with({"authority.objectType": 123}), "authority.objectType"),
    (
        "authority group of three",
        _with(
            {
                "authority": {
                    "objectType": "Group",
                    "member": [AGENT, {"mbox": "mailto:a@x.org"}, {"mbox": "mailto:b@x.org"}],
                }
            }
        ),
        "authority",
    ),
    (
        "authority identified group",
        _with(
            {
                "authority": {
                    "objectType": "Group",
                    "mbox": "mailto:g@x.org",
                    "member": [AGENT, {"mbox": "mailto:a@x.org"}],
                }
            }
        ),
        "authority",
    ),
    ("authority mis-cased", _with({"authority": DROP, "auTHORity": AGENT}), "auTHORity"),
    # attachments
    ("attachments an object", _with({"attachments": {"usageType": "x"}}), "attachments"),
    (
        "attachment without usageType",
        _with({"attachments.0.usageType": DROP}),
        "attachments[0].usageType",
    ),
    (
        "attachment usageType words",
        _with({"attachments.0.usageType": "should fail"}),
        "attachments[0].usageType",
    ),
    (
        "attachment display two regions",
        _with({"attachments.0.display": {"de-419-DE": "x"}}),
        "attachments[0].display.de-419-DE",
    ),
    (
        "attachment description two regions",
        _with({"attachments.0.description": {"de-419-DE": "x"}}),
        "attachments[0].description.de-419-DE",
    ),
    (
        "attachment without display",
        _with({"attachments.0.display": DROP}),
        "attachments[0].display",
    ),
    ("attachment length a string", _with({"attachments.0.length": "27"}), "attachments[0].length"),
    ("attachment length negative", _with({"attachments.0.length": -1}), "attachments[0].length"),
    ("attachment length fractional", _with({"attachments.0.length": 2.5}), "attachments[0].length"),
    ("attachment sha2 not hex", _with({"attachments.0.sha2": "z" * 64}), "attachments[0].sha2"),
    (
        "attachment contentType numeric",
        _with({"attachments.0.contentType": 5}),
        "attachments[0].contentType",
    ),
    (
        "attachment without fileUrl (no multipart here)",
        _with({"attachments.0.fileUrl": DROP}),
        "attachments[0].fileUrl",
    ),
    (
        "attachment fileUrl words",
        _with({"attachments.0.fileUrl": "should fail"}),
        "attachments[0].fileUrl",
    ),
]

#: (name, statement): valid variants, taken (the checks are no stricter than the spec).
VALID: list[tuple[str, dict[str, Any]]] = [
    ("the full statement", _full()),
    ("the smallest", statement()),
    (
        "mbox_sha1sum",
        _with({"actor": {"mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}}),
    ),
    ("openid", _with({"actor": {"openid": "http://openid.example.org/12345"}})),
    (
        "account",
        _with(
            {
                "actor": {
                    "account": {"homePage": "http://www.example.com", "name": "xAPI account name"}
                }
            }
        ),
    ),
    ("identified group", _with({"actor": {"objectType": "Group", "mbox": "mailto:g@x.org"}})),
    (
        "identified group with members",
        _with({"actor": {"objectType": "Group", "openid": "https://x.org/g", "member": [AGENT]}}),
    ),
    (
        "anonymous group",
        _with({"actor": {"objectType": "Group", "member": [AGENT, {"openid": "https://x.org/b"}]}}),
    ),
    ("object without objectType", _with({"object.objectType": DROP})),
    (
        "object an agent",
        _with(
            {
                "object": {"objectType": "Agent", **AGENT},
                "context.revision": DROP,
                "context.platform": DROP,
            }
        ),
    ),
    (
        "object a StatementRef",
        _with(
            {
                "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
                "context.revision": DROP,
                "context.platform": DROP,
            }
        ),
    ),
    ("object a SubStatement", _sub()),
    (
        "voiding",
        _with(
            {
                "verb.id": "http://adlnet.gov/expapi/verbs/voided",
                "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
                "context": DROP,
            }
        ),
    ),
    (
        "contextActivities single objects",
        _with(
            {
                "context.contextActivities": {
                    "grouping": {"id": "https://x.org/g"},
                    "other": {"objectType": "Activity", "id": "https://x.org/o"},
                }
            }
        ),
    ),
    (
        "extensions with null",
        _with(
            {
                "result.extensions": {"http://example.com/null": None},
                "context.extensions": {"http://example.com/null": None},
            }
        ),
    ),
    ("empty extensions", _with({"object.definition.extensions": {}})),
    ("duration PT4H35M59.14S", _with({"result.duration": "PT4H35M59.14S"})),
    ("duration PT16559.14S", _with({"result.duration": "PT16559.14S"})),
    ("duration P3Y1M29DT4H35M59.14S", _with({"result.duration": "P3Y1M29DT4H35M59.14S"})),
    ("duration P3Y", _with({"result.duration": "P3Y"})),
    ("duration P4W", _with({"result.duration": "P4W"})),
    ("version 1.0", _with({"version": "1.0"})),
    ("version 1.0.9", _with({"version": "1.0.9"})),
    ("timestamp without zone", _with({"timestamp": "2026-11-20T14:30:00"})),
    ("timestamp basic format", _with({"timestamp": "20261120T143000Z"})),
    ("timestamp Z with milliseconds", _with({"timestamp": "2013-05-18T05:32:34.804Z"})),
    ("timestamp +0530", _with({"timestamp": "2026-11-20T14:30:00+05:30"})),
    ("scaled 1.0", _with({"result.score": {"scaled": 1.0}})),
    ("scaled -1", _with({"result.score": {"scaled": -1}})),
    ("raw alone", _with({"result.score": {"raw": 0.6767676}})),
    ("min alone", _with({"result.score": {"min": 0.6767676}})),
    ("max alone", _with({"result.score": {"max": 100.6767676}})),
    *[
        (f"language {tag}", _with({"verb.display": {tag: "x"}}))
        for tag in (
            "de",
            "i-enochian",
            "ine",
            "zh-Hant",
            "sr-Latn",
            "zh-cmn-Hans-CN",
            "sr-Latn-RS",
            "sl-rozaj-biske",
            "de-CH-1901",
            "hy-Latn-IT-arevela",
            "de-DE",
            "az-Arab-x-AZE-derbend",
            "x-whatever",
            "es-419",
        )
    ],
    (
        "a long context language",
        _with({"context.language": "supercalifragilisticexpialidociouswhatabouthhhhhhh1"}),
    ),
    *[
        (f"interactionType {kind}", _with({"object.definition.interactionType": kind}))
        for kind in (
            "true-false",
            "choice",
            "fill-in",
            "long-fill-in",
            "matching",
            "performance",
            "sequencing",
            "likert",
            "numeric",
            "other",
        )
    ],
    (
        "interaction components",
        _with(
            {
                "object.definition.interactionType": "matching",
                "object.definition.correctResponsesPattern": ["a[.]1[,]b[.]2"],
                "object.definition.source": [
                    {"id": "a", "description": {"en-US": "A"}},
                    {"id": "b"},
                ],
                "object.definition.target": [{"id": "1"}, {"id": "2"}],
            }
        ),
    ),
    (
        "OAuth authority",
        _with(
            {
                "authority": {
                    "objectType": "Group",
                    "member": [
                        {
                            "account": {
                                "homePage": "http://example.com/xAPI/OAuth/Token",
                                "name": "oauth_consumer_x75db",
                            }
                        },
                        AGENT,
                    ],
                }
            }
        ),
    ),
    ("unicode IRI", _with({"object.id": "https://例え.jp/活動/1"})),
    ("urn IRI", _with({"object.id": "urn:uuid:ec531277-b57b-4c15-8d91-d292c5b2b8f7"})),
]


@pytest.mark.parametrize(("name", "sent", "where"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_statements_name_the_property(
    name: str, sent: dict[str, Any], where: str
) -> None:
    with pytest.raises(Malformed) as refused:
        check(sent)
    assert refused.value.field == where, str(refused.value)


@pytest.mark.parametrize(("name", "sent"), VALID, ids=[v[0] for v in VALID])
def test_valid_statements_are_taken(name: str, sent: dict[str, Any]) -> None:
    check(sent)


async def test_every_malformed_case_is_refused_over_http_and_nothing_kept(sender: Sender) -> None:
    for index, (name, sent, where) in enumerate(MALFORMED):
        good = statement(course="pain-101")
        status, body, headers = await sender.post([good, sent] if index % 2 else sent)
        assert status == 400, name
        assert body["field"] == where and body["statement"] == (1 if index % 2 else 0), name
        assert headers["X-Experience-API-Version"] == "1.0.3"
    assert _count(sender.bot.engine, XapiStatement) == 0
    assert _count(sender.bot.engine, Completion) == 0
    for name, sent in VALID:
        status, _, _ = await sender.post({**sent, "id": str(uuid.uuid4())})
        assert status == 200, name


# --- the credentials -------------------------------------------------------------------------


def test_only_a_salted_hash_of_the_secret_is_kept(engine: Engine, clock: FrozenClock) -> None:
    key, secret = new_credential(engine, "moodle", "cli:tester", clock.now())
    with Session(engine) as session:
        row = session.exec(select(XapiCredential)).one()
    assert (
        row.key == key and secret not in row.secret_hash and row.secret_hash.startswith("scrypt$")
    )
    assert verify_secret(secret, row.secret_hash) and not verify_secret(
        secret + "x", row.secret_hash
    )
    assert hash_secret(secret) != row.secret_hash  # a salt of its own each time
    assert not verify_secret(secret, "md5$whatever")


# --- a real xAPI client: ADL's TinCanPython ---------------------------------------------------


async def test_tincan_remote_lrs_sends_to_huddle(sender: Sender) -> None:
    lrs = RemoteLRS(
        endpoint=f"{sender.base}/xapi/",
        version="1.0.3",
        username=sender.key,
        password=sender.secret,
    )
    completed = Verb(id=COMPLETED, display=LanguageMap({"en-US": "completed"}))
    when = datetime(2026, 11, 21, 9, 15, tzinfo=UTC)

    def one(course: str, actor: Agent, with_id: bool = False) -> Statement:
        return Statement(
            id=uuid.uuid4() if with_id else None,
            actor=actor,
            verb=completed,
            object=Activity(id=ACTIVITY.format(course)),
            result=Result(completion=True, success=True, score=Score(scaled=0.75)),
            timestamp=when,
        )

    ana = Agent(name="Ana Ruiz", mbox=f"mailto:{ANA}")
    first = one("comm-101", ana)
    saved = await asyncio.to_thread(lrs.save_statement, first)  # POST
    assert saved.success, saved.data
    assert first.id is not None
    with_id = one("pain-101", ana, with_id=True)
    put = await asyncio.to_thread(lrs.save_statement, with_id)  # PUT ?statementId=
    assert put.success and put.response.status == 204
    ben = Agent(mbox=f"mailto:{BEN}")
    several = StatementList([one("goals-101", ben), one("nausea-101", ben)])
    batch = await asyncio.to_thread(lrs.save_statements, several)  # POST, an array
    assert batch.success, batch.data
    assert all(s.id is not None for s in several)
    stranger = Agent(account=AgentAccount(home_page="https://other.example.org", name="x"))
    ignored = await asyncio.to_thread(lrs.save_statement, one("comm-101", stranger))
    assert ignored.success
    wrong = RemoteLRS(endpoint=f"{sender.base}/xapi/", username=sender.key, password="nope")
    refused = await asyncio.to_thread(wrong.save_statement, one("comm-101", ana))
    assert not refused.success and refused.response.status == 401
    assert {c.course_id for c in _completions(sender.bot.engine)} == {"comm-101", "pain-101"}
    assert {c.course_id for c in _completions(sender.bot.engine, BEN)} == {
        "goals-101",
        "nausea-101",
    }
    (comm,) = [c for c in _completions(sender.bot.engine) if c.course_id == "comm-101"]
    assert comm.source_ref == f"xapi:site:{first.id}" and comm.score == 75.0
    assert comm.completed_at == when


# --- the CLI, and `huddle run` serving xAPI alone -----------------------------------------------


async def test_credentials_from_the_cli_and_a_server_for_xapi_alone(tmp_path: Path) -> None:
    env: dict[str, str] = {"NO_COLOR": "1"}
    assert (await huddle("db", "upgrade", cwd=tmp_path, env=env))[0] == 0
    code, _, err = await huddle("run", cwd=tmp_path, env=env)
    assert code == 2 and "huddle xapi credentials new" in err  # nothing to serve yet
    code, out, _ = await huddle("xapi", "credentials", "new", "moodle", cwd=tmp_path, env=env)
    assert code == 0
    key = re.search(r"key \(HTTP Basic user name\): (\S+)", out)
    secret = re.search(r"secret \(password\): +(\S+)", out)
    assert key and secret
    code, _, err = await huddle("xapi", "credentials", "new", "moodle", cwd=tmp_path, env=env)
    assert code == 1 and "already" in err
    code, out, _ = await huddle("xapi", "credentials", "list", cwd=tmp_path, env=env)
    assert code == 0 and "moodle" in out and key[1] in out and secret[1] not in out
    # `huddle run` with no chat platform configured serves xAPI.
    port = free_port()
    served = {**env, "HUDDLE_HOST": "127.0.0.1", "HUDDLE_PORT": str(port)}
    proc = await start_huddle("run", cwd=tmp_path, env=served)
    try:
        await wait_for_port(port)
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{port}/xapi/statements",
                data=json.dumps([statement(), statement(course="pain-101")]).encode(),
                headers={**VERSION, "Content-Type": "application/json", **basic(key[1], secret[1])},
            ) as response:
                assert response.status == 200 and len(await response.json()) == 2
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                health = await response.json()
        assert health["platforms"] == [] and health["xapi"]["received"] == 2
        assert health["xapi"]["ignored"] == 2  # nobody on this roster
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err_bytes.decode()
    code, out, _ = await huddle("xapi", "credentials", "list", cwd=tmp_path, env=env)
    assert out.splitlines()[1].endswith(" UTC")  # last used: set now (revoked: "-")
    code, out, _ = await huddle("xapi", "credentials", "revoke", "moodle", cwd=tmp_path, env=env)
    assert code == 0 and "revoked" in out
    code, _, err = await huddle("xapi", "credentials", "revoke", "moodle", cwd=tmp_path, env=env)
    assert code == 1 and "already" in err
    code, _, err = await huddle("xapi", "credentials", "revoke", "nobody", cwd=tmp_path, env=env)
    assert code == 1 and "no credential" in err
    engine = make_engine(f"sqlite:///{tmp_path / 'huddle.db'}")
    with Session(engine) as session:
        actions = [a.action for a in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
        (row,) = session.exec(select(XapiCredential)).all()
    engine.dispose()
    assert actions == [
        "xapi.credential.new",
        "xapi.credential.list",
        "xapi.credential.list",
        "xapi.credential.revoke",
    ]
    assert row.revoked_at is not None and row.last_used_at is not None
