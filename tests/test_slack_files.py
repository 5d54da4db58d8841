"""Files in Slack, end to end: an export or a roster sent in a DM is fetched (files.info, the
private download with the bot token), imported, and answered with the summary; the refused
rows come back as a file uploaded into the same DM (files_upload_v2's three steps)."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.clock import FrozenClock
from bot.content import Content
from bot.models import AuditEntry, Completion, ImportRun, OrganisationMeasure, Person
from bot.store import person_by_email
from tests.holding import writes_held
from tests.slack_harness import SlackHarness, sample_slack, text_of

ANA, SAM, BEN = "UANA", "USAM", "UBEN"
USERS = [
    (ANA, "ana.ruiz@example.org", "Ana Ruiz", None),
    (SAM, "sam.okafor@example.org", "Sam Okafor", None),
    (BEN, "ben.cho@example.org", "Ben Cho", None),
]
EXPORT = (
    "email,course,completed_at\n"
    "ana.ruiz@example.org,comm-101,2026-11-20\n"
    "nobody@example.org,comm-101,2026-11-20\n"
    "ben.cho@example.org,nosuch,2026-11-20\n"
    "ella.grant@example.org,goals-101,2026-11-19\n"
)


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the adapter keeps fetched files while it works (a folder of the test's own)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest_asyncio.fixture
async def slack(
    engine: Engine, sample_content: Content, clock: FrozenClock, temp_dir: Path
) -> AsyncIterator[SlackHarness]:
    async with sample_slack(engine, sample_content, clock, USERS, max_file_mb=1) as harness:
        yield harness


async def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``check`` until it is truthy (for things no request to the fake marks)."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
    return found


def _posts(slack: SlackHarness, user: str, count: int) -> Any:
    fake = slack.fake
    return fake.wait_for(lambda: len(fake.posts("D" + user)) >= count and fake.posts("D" + user))


def _texts(posts: list[dict[str, Any]]) -> list[str]:
    """Each post's text as read, without mrkdwn's bold marks."""
    return [text_of(p["blocks"]).replace("*", "") for p in posts]


def _completions(slack: SlackHarness) -> set[tuple[str, str]]:
    with Session(slack.adapter.bot.engine) as s:
        rows = s.exec(select(Person.email, Completion.course_id).join(Completion)).all()
    return {(email, course) for email, course in rows}


def _runs(slack: SlackHarness) -> list[ImportRun]:
    with Session(slack.adapter.bot.engine) as s:
        return list(s.exec(select(ImportRun)).all())


async def test_an_admin_sends_an_export_and_gets_the_summary_and_the_refused_rows(
    slack: SlackHarness, temp_dir: Path
) -> None:
    fake = slack.fake
    shared = fake.add_file("completion-export.csv", EXPORT.encode())
    assert (await slack.file_share(SAM, [shared])).status == 200

    starting, summary = _texts(await _posts(slack, SAM, 2))
    assert "Importing 4 rows from completion-export.csv" in starting
    assert "2 new completions" in summary and "2 rows were refused" in summary
    assert "Not on the roster: 1 (such as nobody@example.org)" in summary
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    assert upload.filename == upload.title == "completion-export-refused-rows.csv"
    rows = list(csv.reader(io.StringIO(upload.data.decode("utf-8"))))
    assert rows == [
        ["line", "row", "reason"],
        ["3", "nobody@example.org,comm-101,2026-11-20", "nobody@example.org is not on the roster"],
        ["4", "ben.cho@example.org,nosuch,2026-11-20", 'no course is called "nosuch"'],
    ]
    methods = [c.method for c in fake.calls]
    summary_at = max(i for i, m in enumerate(methods) if m == "chat.postMessage")
    assert summary_at < methods.index("files.getUploadURLExternal")  # the summary comes first
    assert methods.index("upload") < methods.index("files.completeUploadExternal")
    # files.info was asked, and the download carried the bot token.
    assert [c.args["file"] for c in fake.of("files.info")] == [shared["id"]]
    assert [c.args["authorized"] for c in fake.of("download")] == [True]
    assert _completions(slack) == {
        ("ana.ruiz@example.org", "comm-101"),
        ("ella.grant@example.org", "goals-101"),
    }
    with Session(slack.adapter.bot.engine) as s:
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "completions.import")).one()
    assert audit.actor == "sam.okafor@example.org"
    # The fetched file is gone once everything is done.
    await eventually(lambda: not list(temp_dir.glob("huddle-file-*")))

    # The refused rows again, later, in the same DM.
    await slack.dm(SAM, "import errors 1")
    again = await fake.wait_for(lambda: len(fake.uploaded("DUSAM")) >= 2 and fake.uploaded())
    assert again[1].data == upload.data
    assert "The refused rows of import 1" in _texts(await _posts(slack, SAM, 3))[2]


async def test_words_sent_with_the_file_are_read_with_it_and_not_answered_again(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    shared = fake.add_file("rows.csv", EXPORT.encode())
    await slack.file_share(SAM, [shared], text="profile plain")
    await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    await slack.dm(SAM, "progress")  # a later message, to know the file share was all done
    posts = _texts(await _posts(slack, SAM, 3))
    assert len(posts) == 3
    assert posts[0].startswith("Importing 4 rows") and posts[1].startswith("Imported rows.csv")
    assert len(_runs(slack)) == 1


async def test_a_slack_connect_file_is_looked_up_before_it_is_fetched(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    shared = fake.add_file("from-partner.csv", EXPORT.encode(), connect=True)
    assert set(shared) == {"id", "file_access"}  # no name, no URLs in the event
    await slack.file_share(SAM, [shared])
    await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    assert "Importing 4 rows from from-partner.csv" in _texts(await _posts(slack, SAM, 2))[0]


async def test_a_sign_in_page_instead_of_the_file_is_said_clearly_and_nothing_imported(
    slack: SlackHarness, temp_dir: Path
) -> None:
    fake = slack.fake
    fake.file_token = "xoxb-another-workspace"  # the bot's token may not read this file
    await slack.file_share(SAM, [fake.add_file("export.csv", EXPORT.encode())])
    (answer,) = _texts(await _posts(slack, SAM, 1))
    assert "Slack sent me its sign-in page instead of the file" in answer
    assert "files:read" in answer and "Nothing was imported" in answer
    assert [c.args["authorized"] for c in fake.of("download")] == [False]
    assert _runs(slack) == [] and _completions(slack) == set() and fake.uploads == []
    await eventually(lambda: not list(temp_dir.glob("huddle-file-*")))


async def test_a_file_over_the_limit_is_not_fetched(slack: SlackHarness) -> None:
    fake = slack.fake
    big = EXPORT.encode() + b"ana.ruiz@example.org,comm-101,2026-11-20\n" * 30_000  # 1.2 MB
    await slack.file_share(SAM, [fake.add_file("huge.csv", big)])
    (answer,) = _texts(await _posts(slack, SAM, 1))
    assert "huge.csv is 1.2 MB, more than the 1.0 MB I take in a chat" in answer
    assert fake.of("download") == [] and _runs(slack) == []


async def test_a_link_to_a_file_kept_elsewhere_is_explained(slack: SlackHarness) -> None:
    fake = slack.fake
    shared = fake.add_file("Sheet from Drive", b"", mode="external")
    await slack.file_share(SAM, [shared])
    (answer,) = _texts(await _posts(slack, SAM, 1))
    assert "is a link to a file kept elsewhere" in answer and _runs(slack) == []


async def test_a_clinician_sending_a_file_is_refused_politely_and_it_is_not_fetched(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    await slack.dm(ANA, "progress")  # Ana is known to Huddle (linked by her email)
    await _posts(slack, ANA, 1)
    await slack.file_share(ANA, [fake.add_file("export.csv", EXPORT.encode())])
    answer = _texts(await _posts(slack, ANA, 2))[1]
    assert "That needs the champion role, so I haven't changed anything" in answer
    assert fake.of("files.info") == [] and fake.of("download") == []
    assert _runs(slack) == [] and _completions(slack) == set()


async def test_someone_new_sending_a_file_is_linked_and_refused_after_the_download(
    slack: SlackHarness,
) -> None:
    fake = slack.fake  # Ana's first message is a file: who she is is found out first
    await slack.file_share(ANA, [fake.add_file("export.csv", EXPORT.encode())])
    (answer,) = _texts(await _posts(slack, ANA, 1))
    assert "That needs the champion role" in answer
    assert _runs(slack) == [] and _completions(slack) == set()


async def test_a_champions_file_counts_for_their_own_team_only(slack: SlackHarness) -> None:
    fake = slack.fake
    await slack.file_share(BEN, [fake.add_file("icu.csv", EXPORT.encode())])
    summary = _texts(await _posts(slack, BEN, 2))[1]
    assert "1 new completions" in summary and "3 rows were refused" in summary
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUBEN"))
    reasons = [row[2] for row in csv.reader(io.StringIO(upload.data.decode()))][1:]
    assert "ella.grant@example.org is not in your team" in reasons
    assert _completions(slack) == {("ana.ruiz@example.org", "comm-101")}


ROSTER = (
    "email,name,discipline,team,role,pathway\n"
    "zed.new@example.org,Zed New,nurse,ICU,clinician,essentials\n"
)


async def test_a_roster_sent_as_a_file_is_imported_for_an_admin_only(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    await slack.file_share(BEN, [fake.add_file("roster.csv", ROSTER.encode())])
    (refused,) = _texts(await _posts(slack, BEN, 1))
    assert "That needs the admin role" in refused
    await slack.file_share(SAM, [fake.add_file("roster.csv", ROSTER.encode())])
    starting, done = _texts(await _posts(slack, SAM, 2))
    assert "Importing the roster in roster.csv" in starting
    assert "Roster imported: 1 added" in done
    with Session(slack.adapter.bot.engine) as s:
        zed = person_by_email(s, "zed.new@example.org")
        assert zed is not None and zed.name == "Zed New"


async def test_a_large_export_answers_first_and_chat_is_answered_while_it_imports(
    slack: SlackHarness, engine: Engine
) -> None:
    fake = slack.fake
    people = ["ana.ruiz@example.org", "ben.cho@example.org", "carla.diaz@example.org"]
    lines = ["email,course,completed_at"] + [
        f"ghost{n}@example.org,comm-101,2026-11-20"
        if n % 1000 == 7
        else f"{people[n % 3]},comm-101,2026-11-{1 + n % 20:02d}"
        for n in range(50_000)
    ]
    data = ("\n".join(lines) + "\n").encode()
    slack.adapter.settings.max_file_mb = 10
    # The first answer is held at Slack until the import's writes are held back, so the
    # import is certainly still running while another question is asked.
    release = fake.hold(
        lambda method, args: method == "chat.postMessage" and "Importing" in str(args)
    )
    started = time.perf_counter()
    await slack.file_share(SAM, [fake.add_file("big-export.csv", data)])
    await fake.wait_for(lambda: fake.of("held:chat.postMessage"))
    with writes_held(engine):
        release.set()
        (starting,) = _texts(await _posts(slack, SAM, 1))
        assert "Importing 50,000 rows from big-export.csv" in starting
        sent, key = await slack.command(SAM, "progress")  # meanwhile, a question
        assert sent.status == 200
        await fake.wait_for(lambda: fake.responses.get(key))
        assert len(fake.posts("DUSAM")) == 1  # no summary yet: the import is under way
        (run,) = _runs(slack) or [None]
        assert run is None or run.status == "running"
    posts = _texts(await _posts(slack, SAM, 2))
    assert "Imported big-export.csv" in posts[1] and "50,000 rows" in posts[1]
    assert "50 rows were refused" in posts[1]
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    elapsed = time.perf_counter() - started
    assert upload.data.decode().count("\n") == 51  # the header and 50 refused rows
    assert _completions(slack) == {(p, "comm-101") for p in people}
    print(f"50,000-row export through Slack: {elapsed:.2f} s from the file share to the upload")


async def test_an_upload_slack_refuses_says_how_to_get_the_file_again(
    slack: SlackHarness,
) -> None:
    fake = slack.fake
    fake.fail_next["files.getUploadURLExternal"] = [500]
    await slack.file_share(SAM, [fake.add_file("export.csv", EXPORT.encode())])
    posts = _texts(await _posts(slack, SAM, 3))
    assert "I couldn't send you export-refused-rows.csv here" in posts[2]
    assert "Say `import errors 1` to get it again." in posts[2]
    await slack.dm(SAM, "import errors 1")
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    assert upload.data.startswith(b"line,row,reason")


async def test_a_large_refused_rows_file_is_uploaded_whole(slack: SlackHarness) -> None:
    fake = slack.fake
    slack.adapter.settings.max_file_mb = 10
    lines = ["email,course,completed_at"] + [
        f"nobody{n}@example.org,comm-101,2026-11-20" for n in range(15_000)
    ]
    await slack.file_share(SAM, [fake.add_file("ghosts.csv", ("\n".join(lines) + "\n").encode())])
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    assert len(upload.data) > 1024 * 1024 and upload.data.count(b"\n") == 15_001


MEASURES = (
    "Monthly quality figures\n"
    "period,team,measure,value,n,source\n"
    "2026-10,ICU,goc-documentation,61.5,52,EHR report\n"
    "2026-10,organisation,hcahps-medicines,64.2,418,HCAHPS\n"
    "2026-10,Nowhere,goc-documentation,50,10,EHR report\n"
)


async def test_an_admins_measures_file_is_recognised_imported_and_its_refused_rows_sent(
    slack: SlackHarness, temp_dir: Path
) -> None:
    fake = slack.fake
    await slack.file_share(BEN, [fake.add_file("october.csv", MEASURES.encode())])
    (refused,) = _texts(await _posts(slack, BEN, 1))
    assert "That needs the admin role" in refused
    await slack.file_share(SAM, [fake.add_file("october.csv", MEASURES.encode())])
    starting, summary = _texts(await _posts(slack, SAM, 2))
    assert "Importing the measures in october.csv" in starting
    assert "3 rows. 2 new figures, 0 updated, 0 unchanged. 1 rows were refused" in summary
    (upload,) = await fake.wait_for(lambda: fake.uploaded("DUSAM"))
    assert upload.filename == "october-refused-rows.csv"
    assert list(csv.reader(io.StringIO(upload.data.decode("utf-8")))) == [
        ["line", "row", "reason"],
        [
            "5",
            "2026-10,Nowhere,goc-documentation,50,10,EHR report",
            'no team is called "Nowhere" (use a team\'s key or name, or organisation)',
        ],
    ]
    with Session(slack.adapter.bot.engine) as s:
        stored = s.exec(select(OrganisationMeasure)).all()
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "measures.import")).one()
    assert sorted((m.measure_id, m.team_id is None, m.value) for m in stored) == [
        ("goc-documentation", False, 61.5),
        ("hcahps-medicines", True, 64.2),
    ]
    assert audit.actor == "sam.okafor@example.org" and _completions(slack) == set()
    await eventually(lambda: not list(temp_dir.glob("huddle-file-*")))
