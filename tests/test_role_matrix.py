"""The role matrix: every admin, champion and reporter command, tried by every role.

Six people try each command: a clinician, a champion of another team, the champion of
the team it is about, a senior leader, an admin, and someone not on the roster. Only the
combinations the matrix allows change anything (every table but those that only record
that someone talked to Huddle is compared before and after), and the audit log gains an
entry exactly for the allowed ones that changed something, naming who did it. A command
class that needs a role and is missing here fails the test, so a new one must be added
with its row of the matrix. docs/security.md prints the same matrix.

The dashboard's writes (pause, resume, verify) are tried by every role that can sign in
in tests/test_dashboard_access.py; the CLI runs as the host's operator, who holds no role
(see docs/security.md), and its admin commands are audited as ``cli:<user>``.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from adapters.server import Platforms, build
from bot import commands as c
from bot import markup
from bot.clock import FrozenClock
from bot.core import Bot
from bot.messages import ChannelRef, Text
from bot.models import AuditEntry
from bot.parser import parse
from tests.fakechat import FakeChat, Reply
from tests.nudging import link_channel, schedule, utc

ANA = "ana.ruiz@example.org"  # clinician, ICU
FEMI = "femi.ade@example.org"  # champion, Oncology Clinic: another team's
BEN = "ben.cho@example.org"  # champion, ICU: the team the commands are about
HANA = "hana.ito@example.org"  # senior leader, Oncology Clinic
SAM = "sam.okafor@example.org"  # admin
NOBODY = "nobody@example.org"  # not on the roster

ROLES = {
    "clinician": ANA,
    "other champion": FEMI,
    "champion": BEN,
    "senior leader": HANA,
    "admin": SAM,
    "not on roster": NOBODY,
}
ADMIN = frozenset({"admin"})
CHAMPION = frozenset({"champion", "admin"})
ANY_CHAMPION = frozenset({"champion", "other champion", "admin"})
REPORTER = frozenset({"champion", "other champion", "senior leader", "admin"})

#: The completion ledger: what a champion of another team may never write for the ICU.
LEDGER = frozenset({"completion", "completion_source", "celebration"})
#: Tables that change because someone talked to Huddle at all, whatever they said.
NOT_COMPARED = frozenset(
    {"conversation", "platform_identity", "handled_event", "planner_mark", "alembic_version"}
)

COURSE = "goals-101"
ROSTER_CSV = "email,name,discipline,team,role\nzoe.park@example.org,Zoe Park,nurse,ICU,clinician"
MEASURES_CSV = "period,team,measure,value,n,source\n2026-10,ICU,goals_documented,0.5,20,EHR"
COMPLETIONS_CSV = f"email,course,completed_at\n{ANA},{COURSE},2026-11-20"
ICU_CHANNEL = ChannelRef("C-icu", "icu")


@dataclass(frozen=True)
class Row:
    """One command: the words, who may run it, and what must exist first."""

    words: str
    allowed: frozenset[str]
    #: Makes what the command acts on; what it returns fills ``{ref}`` in the words.
    setup: Callable[[FakeChat], object] = lambda chat: None
    #: Whether an allowed run must change something (False: it only shows, or asks).
    writes: bool = True
    #: People allowed but whose run has nothing to change (their own team has none of it).
    idle: frozenset[str] = field(default_factory=frozenset)
    #: Sent as a file with the words (a learning site's export), as a platform sends one.
    file: str = ""
    #: Tables an allowed champion of another team must leave alone (rows of the ICU
    #: refused to them, though their run is recorded: an import of refused rows).
    not_for_others: frozenset[str] = field(default_factory=frozenset)
    #: False: it posts to a team channel, so the dashboard (no channel) says to use chat.
    on_dashboard: bool = True
    #: The command names this channel (team link).
    channel: ChannelRef | None = None

    def run(self, chat: FakeChat, email: str, ref: object, tmp: Path) -> Reply:
        words = self.words.format(ref=ref)
        person = chat.person(email)
        if self.file:
            path = tmp / "export.csv"
            path.write_text(self.file)
            return person.sends_file(path, words)
        if self.channel is not None:
            return person.says(words, channels=(self.channel,))
        return person.says(words)


def _schedule(chat: FakeChat) -> int:
    return schedule(chat, "next-course to team:icu every monday 09:00", who=BEN)


def _self_report(chat: FakeChat) -> None:
    chat.person(ANA).says(f"done {COURSE}")


def _proposal(chat: FakeChat) -> None:
    said = chat.person(BEN).says(
        "contest propose Beat Oncology against oncology-clinic to dec 20 prize cake"
    )
    assert "Proposed contest #1" in said.text, said.text


def _contest(chat: FakeChat) -> None:
    said = chat.person(SAM).says("contest new Winter teams icu, oncology-clinic to dec 20")
    assert "contest #1" in said.text.lower(), said.text


def _suggestion(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ana = chat.person(ANA)
    ana.says("shoutout team:icu for covering the flu surge")
    ana.clicks("Suggest it")


def _session(chat: FakeChat) -> int:
    number = schedule(
        chat,
        "session to team:icu 2026-11-24 09:00 once session 2026-11-26 12:00 "
        "https://meet.example.org/goc Goals-of-care practice",
    )
    chat.person(ANA).says(f"rsvp {number}")
    chat.clock.set(utc(2026, 11, 26, 19))  # an hour after it began
    return number


def _import(chat: FakeChat) -> int:
    said = chat.person(BEN).says(
        f"completions import\n{COMPLETIONS_CSV}\nwho@example.org,{COURSE},2026-11-20"
    )
    assert "import errors 1" in said.text, said.text
    return 1


MATRIX: dict[type[c.Command], Row] = {
    c.AddPerson: Row("add zed.roe@example.org, Zed Roe, nurse, ICU", CHAMPION),
    c.AddTeam: Row("team add Palliative Unit", ADMIN),
    c.ContestCancel: Row("contest cancel 1", CHAMPION, _proposal),
    c.ContestCreate: Row("contest new Winter teams icu, oncology-clinic to dec 20", ADMIN),
    c.ContestDecide: Row("contest approve 1", ADMIN, _proposal),
    c.ContestNew: Row("contest new", ADMIN, writes=False),
    c.ContestPropose: Row(
        "contest propose Beat Oncology against oncology-clinic to dec 20 prize cake",
        ANY_CHAMPION,
        idle=frozenset({"other champion"}),  # Oncology against itself: no rivals
    ),
    c.ContestRankings: Row("contest rankings on 1", ADMIN, _contest),
    c.Dashboard: Row("dashboard", REPORTER),
    c.Enrol: Row("enrol team:icu in bedside-care due 2027-03-01", CHAMPION),
    c.Grant: Row(f"grant {ANA} champion", ADMIN),
    c.ImportCompletions: Row(
        f"completions import\n{COMPLETIONS_CSV}", ANY_CHAMPION, not_for_others=LEDGER
    ),
    c.ImportErrors: Row("import errors {ref}", CHAMPION, _import, writes=False),
    c.ImportFile: Row("", ANY_CHAMPION, file=COMPLETIONS_CSV, not_for_others=LEDGER),
    c.ImportList: Row("import list", ANY_CHAMPION, _import, writes=False),
    c.ImportMeasures: Row(f"measures import\n{MEASURES_CSV}", ADMIN),
    c.ImportRoster: Row(f"roster import\n{ROSTER_CSV}", ADMIN),
    c.LinkChannel: Row("team link #icu ICU", ADMIN, channel=ICU_CHANNEL),
    c.ListTeams: Row("teams", REPORTER, writes=False),
    c.ListUnverified: Row("verify", ANY_CHAMPION, _self_report, writes=False),
    c.NudgeAction: Row("nudge pause {ref}", CHAMPION, _schedule),
    c.NudgeList: Row("nudge list", ANY_CHAMPION, writes=False),
    c.NudgeNew: Row("nudge new", ANY_CHAMPION, writes=False),
    c.NudgeProblems: Row("nudge problems", ANY_CHAMPION, writes=False),
    c.NudgeSchedule: Row("nudge schedule next-course to team:icu every monday 09:00", CHAMPION),
    c.RecordAttendance: Row("attendance {ref} all", CHAMPION, _session),
    c.RecordCompletion: Row(f"record {ANA} {COURSE}", CHAMPION),
    c.Report: Row("report", REPORTER, writes=False),
    c.ReportFile: Row("report csv", REPORTER),
    c.ReportSummary: Row("report summary", REPORTER, writes=False),
    c.Revoke: Row(f"revoke {BEN} champion", ADMIN),
    c.Roster: Row("roster", REPORTER, writes=False),
    c.ShoutoutList: Row("shoutouts", ANY_CHAMPION, _suggestion, writes=False),
    c.ShoutoutReview: Row("shoutout approve 1", CHAMPION, _suggestion, on_dashboard=False),
    c.ShowAudit: Row("audit", ADMIN, writes=False),
    c.ShowMeasures: Row("measures", REPORTER, writes=False),
    c.ShowSurveyResults: Row("survey results", REPORTER, writes=False),
    c.TeamMeeting: Row("team meeting icu tuesday 12:00", CHAMPION),
    c.Unenrol: Row(f"unenrol {ANA} from essentials", CHAMPION),
    c.Verify: Row(f"verify {ANA} {COURSE}", CHAMPION, _self_report),
    c.VerifyAll: Row("verify all", ANY_CHAMPION, _self_report, idle=frozenset({"other champion"})),
}


def _guarded() -> list[type[c.Command]]:
    return [
        cls
        for _, cls in inspect.getmembers(c, inspect.isclass)
        if issubclass(cls, c.Command) and cls.needs != "anyone"
    ]


def test_every_command_that_needs_a_role_is_in_the_matrix() -> None:
    missing = [cls.__name__ for cls in _guarded() if cls not in MATRIX]
    assert missing == []
    for cls, row in MATRIX.items():
        if row.file:
            continue  # a file sent with no words
        words = row.words.format(ref=1)
        assert type(parse(words)) is cls, (words, type(parse(words)))
        assert cls.needs != "anyone"


def _state(chat: FakeChat) -> dict[str, str]:
    """A digest of every compared table's rows."""
    digests = {}
    with chat.bot.engine.connect() as conn:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            if name in NOT_COMPARED:
                continue
            rows = conn.execute(select(table)).all()
            digests[name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    return digests


def _audit(chat: FakeChat) -> list[tuple[str, str]]:
    with Session(chat.bot.engine) as session:
        return [(a.actor, a.action) for a in session.exec(select(AuditEntry)).scalars()]


@pytest.mark.parametrize("command", list(MATRIX), ids=lambda cls: cls.__name__)
def test_only_the_allowed_change_anything_and_the_audit_says_who(
    chat: FakeChat, command: type[c.Command], tmp_path: Path
) -> None:
    row = MATRIX[command]
    for email in ROLES.values():
        chat.person(email).says("hello")
    ref = row.setup(chat)
    outcomes: dict[str, tuple[list[str], bool, list[tuple[str, str]]]] = {}
    for role, email in ROLES.items():
        before, audit_before = _state(chat), _audit(chat)
        reply = row.run(chat, email, ref, tmp_path)
        after, audit_after = _state(chat), _audit(chat)
        tables = [name for name in after if after[name] != before.get(name)]
        outcomes[role] = (reply.kinds, bool(tables), audit_after[len(audit_before) :])
        if role == "other champion":
            assert not row.not_for_others & set(tables), tables
    for role, (kinds, changed, audited) in outcomes.items():
        email = ROLES[role]
        if role not in row.allowed:
            assert not changed, (role, kinds)
            assert audited == [], (role, audited)
            continue
        assert kinds and kinds[0] not in ("needs_role",), (role, kinds)
        if changed:
            assert audited and all(actor == email for actor, _ in audited), (role, audited)
        else:
            assert audited == [], (role, audited)
    if row.writes:
        assert any(outcomes[r][1] for r in row.allowed - row.idle), outcomes


# --- the same matrix through the dashboard ---------------------------------------------

#: Who can sign in to the dashboard (a link is refused to the others).
SIGNED_IN = ("other champion", "champion", "senior leader", "admin")
#: The commands the dashboard can carry: one line, no file, no channel to name.
ON_DASHBOARD = [
    cls
    for cls, row in MATRIX.items()
    if row.words and "\n" not in row.words and not row.channel and row.on_dashboard
]


def _html_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("command", ON_DASHBOARD, ids=lambda cls: cls.__name__)
async def test_the_dashboard_allows_exactly_what_chat_allows(
    bot: Bot, command: type[c.Command], tmp_path: Path
) -> None:
    assert isinstance(bot.clock, FrozenClock)
    chat = FakeChat(bot, bot.clock)
    chat.load_sample_roster()
    row = MATRIX[command]
    server = TestServer(build(bot, Platforms()))
    await server.start_server()
    bot.web = type(bot.web)(public_url=str(server.make_url("")).rstrip("/"))
    do = str(server.make_url("/dashboard/do"))
    sessions: dict[str, tuple[aiohttp.ClientSession, str]] = {}
    try:
        ref = row.setup(chat)  # first: it may move the clock past a session's idle time
        for role in SIGNED_IN:
            jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[server.make_url("")])
            client = aiohttp.ClientSession(cookie_jar=jar)
            sessions[role] = (client, "")
            sessions[role] = (client, await _signed_in(chat, client, ROLES[role]))
        words = row.words.format(ref=ref)
        changed_by: dict[str, bool] = {}
        for role in ROLES:
            before, audit_before = _state(chat), _audit(chat)
            if role in sessions:
                client, csrf = sessions[role]
                async with client.post(do, data={"command": words, "csrf": csrf}) as answer:
                    assert answer.status == 200, (role, answer.status)
                    shown = _html_text(await answer.text())
            else:  # no session: nobody may write
                async with (
                    aiohttp.ClientSession() as anonymous,
                    anonymous.post(do, data={"command": words, "csrf": "x"}) as answer,
                ):
                    assert answer.status == 401, (role, answer.status)
                    shown = ""
            after, audit_after = _state(chat), _audit(chat)
            changed = any(after[name] != before.get(name) for name in after)
            added = audit_after[len(audit_before) :]
            changed_by[role] = changed
            if role not in row.allowed:
                assert not changed and added == [], (role, shown[:300])
            elif changed:
                assert added and all(actor == ROLES[role] for actor, _ in added), (role, added)
            else:
                assert added == [], (role, added)
            if role in sessions and role not in row.allowed:
                assert "needs the" in shown or "only" in shown or "can't" in shown, shown[:300]
        if row.writes:
            assert any(changed_by[r] for r in row.allowed - row.idle), changed_by
    finally:
        for client, _ in sessions.values():
            await client.close()
        await server.close()


async def _signed_in(chat: FakeChat, client: aiohttp.ClientSession, email: str) -> str:
    """Sign in with a link from chat; the page's CSRF token."""
    reply = chat.person(email).says("dashboard")
    links = [
        span.url
        for line in markup.parse(_markdown(reply))
        for span in line.spans
        if span.url and "/dashboard/login?t=" in span.url
    ]
    assert links, reply.text
    token = parse_qs(urlsplit(links[0]).query)["t"][0]
    base = links[0].split("/dashboard", 1)[0]
    async with client.get(links[0]) as page:
        assert page.status == 200
    async with client.post(
        f"{base}/dashboard/login", data={"t": token}, allow_redirects=False
    ) as signed:
        assert signed.status == 303, signed.status
    async with client.get(f"{base}/dashboard") as home:
        assert home.status == 200
        found = re.search(r'name="csrf" value="([^"]+)"', await home.text())
    assert found
    return found.group(1)


def _markdown(reply: Reply) -> str:
    return "\n".join(
        block.markdown
        for message in reply.messages
        for block in message.blocks
        if isinstance(block, Text)
    )
