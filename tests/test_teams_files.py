"""Files in Teams, end to end: an export or a roster sent in the personal chat is fetched
from its download URL, imported, and answered with the summary; the refused rows are
offered with a FileConsentCard, PUT to the upload URL when accepted, and shown with a
FileInfoCard. The real server and Agents SDK; a local connector and OneDrive."""

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

from adapters.teams.files import DOWNLOAD_INFO, UPLOAD_PIECE, consent_answer, files_sent, pieces
from bot.clock import FrozenClock
from bot.content import Content
from bot.models import Completion, DeliveryIssue, ImportRun, Person
from bot.store import person_by_email
from tests.holding import writes_held
from tests.teams_fake import Sent, text_of
from tests.teams_harness import CONSENT, TeamsHarness, TeamsUser, sample_teams

ANA = TeamsUser("29:ana", "Ana Ruiz", "aad-ana", "a:personal-ana")
SAM = TeamsUser("29:sam", "Sam Okafor", "aad-sam", "a:personal-sam")
BEN = TeamsUser("29:ben", "Ben Cho", "aad-ben", "a:personal-ben")
INFO = "application/vnd.microsoft.teams.card.file.info"
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
async def teams(
    engine: Engine, sample_content: Content, clock: FrozenClock, temp_dir: Path
) -> AsyncIterator[TeamsHarness]:
    members = [
        (ANA, "ana.ruiz@example.org"),
        (SAM, "sam.okafor@example.org"),
        (BEN, "ben.cho@example.org"),
    ]
    async with sample_teams(engine, sample_content, clock, members, max_file_mb=1) as harness:
        yield harness


async def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll ``check`` until it is truthy (for things no request to the fake marks)."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.01)
    return found


def _sent(teams: TeamsHarness, user: TeamsUser, count: int) -> Any:
    fake = teams.fake
    return fake.wait_for(
        lambda: len(fake.messages(user.conversation)) >= count and fake.messages(user.conversation)
    )


def _texts(sent: list[Sent]) -> list[str]:
    """Each message's text as read, without Markdown's bold and code marks."""
    return [text_of(s.activity).replace("**", "").replace("`", "").strip() for s in sent]


def _attachments(sent: Sent, kind: str) -> list[dict[str, Any]]:
    return [a for a in sent.activity.get("attachments") or [] if a["contentType"] == kind]


def _consents(teams: TeamsHarness, user: TeamsUser) -> list[Sent]:
    return [s for s in teams.fake.messages(user.conversation) if _attachments(s, CONSENT)]


def _completions(teams: TeamsHarness) -> set[tuple[str, str]]:
    with Session(teams.adapter.bot.engine) as s:
        rows = s.exec(select(Person.email, Completion.course_id).join(Completion)).all()
    return {(email, course) for email, course in rows}


def _runs(teams: TeamsHarness) -> list[ImportRun]:
    with Session(teams.adapter.bot.engine) as s:
        return list(s.exec(select(ImportRun)).all())


async def test_an_admin_sends_an_export_accepts_the_refused_rows_and_gets_them(
    teams: TeamsHarness, temp_dir: Path
) -> None:
    fake = teams.fake
    await teams.install(SAM)
    assert await teams.sends_file(SAM, "completion-export.csv", EXPORT.encode()) == 202
    assert fake.fetched  # the download URL was used (no token: none is needed)

    (card,) = await fake.wait_for(lambda: _consents(teams, SAM))
    texts = _texts(fake.messages(SAM.conversation))
    starting = next(t for t in texts if "Importing" in t)
    summary = next(t for t in texts if t.startswith("Imported"))
    assert "Importing 4 rows from completion-export.csv" in starting
    assert "2 new completions" in summary and "2 rows were refused" in summary
    (consent,) = _attachments(card, CONSENT)
    assert consent["name"] == "completion-export-refused-rows.csv"
    content = consent["content"]
    assert content["acceptContext"]["for"] == SAM.id
    assert content["acceptContext"]["again"] == "import errors 1"
    assert "The refused rows" in content["description"]
    assert _completions(teams) == {
        ("ana.ruiz@example.org", "comm-101"),
        ("ella.grant@example.org", "goals-101"),
    }
    await eventually(lambda: not list(temp_dir.glob("huddle-file-*")))

    status, key = await teams.answers_consent(SAM, card)
    assert status == 200
    upload = fake.uploads[key]
    assert upload.complete
    size = content["sizeInBytes"]
    assert upload.puts == [
        {"Content-Range": f"bytes 0-{size - 1}/{size}", "Content-Length": str(size)}
    ]
    rows = list(csv.reader(io.StringIO(bytes(upload.data).decode("utf-8"))))
    assert rows == [
        ["line", "row", "reason"],
        ["3", "nobody@example.org,comm-101,2026-11-20", "nobody@example.org is not on the roster"],
        ["4", "ben.cho@example.org,nosuch,2026-11-20", 'no course is called "nosuch"'],
    ]
    shown = fake.messages(SAM.conversation)[-1]
    (info,) = _attachments(shown, INFO)
    assert info["name"] == "completion-export-refused-rows.csv"
    assert info["contentUrl"].startswith("https://contoso.sharepoint.com/")
    assert set(info["content"]) == {"uniqueId", "fileType"} and info["content"]["fileType"] == "csv"
    assert fake.deleted == [card.activity_id]  # the consent card is gone once used


async def test_declining_the_file_says_how_to_get_it_again(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.sends_file(SAM, "export.csv", EXPORT.encode())
    (card,) = await fake.wait_for(lambda: _consents(teams, SAM))
    status, _ = await teams.answers_consent(SAM, card, accept=False)
    assert status == 200
    said = _texts(fake.messages(SAM.conversation))[-1]
    assert "I won't save export-refused-rows.csv to your OneDrive" in said
    assert "Say import errors 1 to get it again." in said
    assert fake.uploads == {} and fake.deleted == []
    # And it does: a new consent card for the same file.
    await teams.says(SAM, "import errors 1")
    again = await fake.wait_for(lambda: len(_consents(teams, SAM)) == 2 and _consents(teams, SAM))
    assert _attachments(again[1], CONSENT)[0]["name"] == "export-refused-rows.csv"


async def test_only_the_person_it_was_offered_to_can_accept_a_file(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    await teams.sends_file(SAM, "export.csv", EXPORT.encode())
    (card,) = await fake.wait_for(lambda: _consents(teams, SAM))
    status, key = await teams.answers_consent(BEN, card)
    assert status == 200
    assert fake.uploads[key].puts == []  # nothing was uploaded
    assert "offered to someone else" in _texts(fake.messages(BEN.conversation))[-1]


async def test_a_large_refused_rows_file_is_put_in_pieces(teams: TeamsHarness) -> None:
    fake = teams.fake
    piece = 320 * 1024  # OneDrive's unit; the adapter's own pieces are ten of them
    assert UPLOAD_PIECE % piece == 0
    teams.adapter.upload_piece = piece
    lines = ["email,course,completed_at"] + [
        f"nobody{n}@example.org,comm-101,2026-11-20" for n in range(8_000)
    ]
    await teams.sends_file(SAM, "ghosts.csv", ("\n".join(lines) + "\n").encode())
    (card,) = await fake.wait_for(lambda: _consents(teams, SAM))
    size = _attachments(card, CONSENT)[0]["content"]["sizeInBytes"]
    assert size > 2 * piece
    _, key = await teams.answers_consent(SAM, card)
    upload = fake.uploads[key]
    assert upload.complete and len(upload.puts) == -(-size // piece)
    assert upload.puts[1] == {
        "Content-Range": f"bytes {piece}-{2 * piece - 1}/{size}",
        "Content-Length": str(piece),
    }
    assert bytes(upload.data).count(b"\n") == 8_001


async def test_an_upload_that_fails_is_noted_and_says_how_to_get_the_file_again(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    await teams.sends_file(SAM, "export.csv", EXPORT.encode())
    (card,) = await fake.wait_for(lambda: _consents(teams, SAM))
    expired = f"{fake.url}onedrive/upload/expired"  # an upload session OneDrive forgot
    assert (await teams.answers_consent(SAM, card, upload_url=expired))[0] == 200
    said = _texts(fake.messages(SAM.conversation))[-1]
    assert "I couldn't send you export-refused-rows.csv here" in said
    assert "import errors 1" in said
    with Session(teams.adapter.bot.engine) as s:
        (issue,) = s.exec(select(DeliveryIssue)).all()
    assert issue.detail.startswith("file upload: HTTP 404")


async def test_a_clinician_sending_a_file_is_refused_politely_and_it_is_not_fetched(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    await teams.says(ANA, "progress")  # Ana is known to Huddle
    await teams.sends_file(ANA, "export.csv", EXPORT.encode())
    said = _texts(fake.messages(ANA.conversation))[-1]
    assert "That needs the champion role, so I haven't changed anything" in said
    assert fake.fetched == [] and _runs(teams) == [] and _completions(teams) == set()


async def test_a_champions_file_counts_for_their_own_team_only(teams: TeamsHarness) -> None:
    fake = teams.fake
    await teams.sends_file(BEN, "icu.csv", EXPORT.encode())
    (card,) = await fake.wait_for(lambda: _consents(teams, BEN))
    summary = next(t for t in _texts(fake.messages(BEN.conversation)) if t.startswith("Imported"))
    assert "1 new completions" in summary and "3 rows were refused" in summary
    _, key = await teams.answers_consent(BEN, card)
    reasons = [r[2] for r in csv.reader(io.StringIO(bytes(fake.uploads[key].data).decode()))]
    assert "ella.grant@example.org is not in your team" in reasons
    assert _completions(teams) == {("ana.ruiz@example.org", "comm-101")}


async def test_a_file_over_the_limit_is_refused_while_it_downloads(
    teams: TeamsHarness, temp_dir: Path
) -> None:
    fake = teams.fake
    big = EXPORT.encode() + b"ana.ruiz@example.org,comm-101,2026-11-20\n" * 30_000
    await teams.sends_file(SAM, "huge.csv", big)
    said = _texts(fake.messages(SAM.conversation))[-1]
    assert "huge.csv is 1.2 MB, more than the 1.0 MB I take in a chat" in said
    assert _runs(teams) == []
    assert not list(temp_dir.glob("huddle-file-*"))


async def test_an_expired_download_link_is_said_and_nothing_imported(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    fake.add_download = lambda name, content: f"{fake.url}onedrive/download/gone"  # type: ignore[method-assign]
    await teams.sends_file(SAM, "export.csv", EXPORT.encode())
    said = _texts(fake.messages(SAM.conversation))[-1]
    assert "I couldn't fetch export.csv (HTTP 404)" in said and _runs(teams) == []


ROSTER = (
    "email,name,discipline,team,role,pathway\n"
    "zed.new@example.org,Zed New,nurse,ICU,clinician,essentials\n"
)


async def test_a_roster_sent_as_a_file_is_imported_for_an_admin_only(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    await teams.sends_file(BEN, "roster.csv", ROSTER.encode())
    assert "That needs the admin role" in _texts(fake.messages(BEN.conversation))[-1]
    await teams.sends_file(SAM, "roster.csv", ROSTER.encode())
    said = _texts(await _sent(teams, SAM, 2))
    assert "Importing the roster in roster.csv" in said[0]
    assert "Roster imported: 1 added" in said[1]
    with Session(teams.adapter.bot.engine) as s:
        assert person_by_email(s, "zed.new@example.org") is not None


async def test_import_errors_in_a_channel_say_files_come_in_the_personal_chat(
    teams: TeamsHarness,
) -> None:
    fake = teams.fake
    await teams.sends_file(SAM, "export.csv", EXPORT.encode())
    await fake.wait_for(lambda: _consents(teams, SAM))
    await teams.in_channel(SAM, "19:icu-team@thread.tacv2", "import errors 1")
    (said,) = _texts(fake.messages("19:icu-team@thread.tacv2;messageid=17000001")[-1:])
    assert "I can only send files such as export-refused-rows.csv in our personal chat" in said
    assert len(_consents(teams, SAM)) == 1  # nothing offered in the channel


async def test_a_large_export_answers_first_and_chat_is_answered_while_it_imports(
    teams: TeamsHarness, engine: Engine
) -> None:
    fake = teams.fake
    teams.adapter.settings.max_file_mb = 10
    people = ["ana.ruiz@example.org", "ben.cho@example.org", "carla.diaz@example.org"]
    lines = ["email,course,completed_at"] + [
        f"ghost{n}@example.org,comm-101,2026-11-20"
        if n % 1000 == 7
        else f"{people[n % 3]},comm-101,2026-11-{1 + n % 20:02d}"
        for n in range(50_000)
    ]
    await teams.says(SAM, "progress")  # Sam is known, and the conversation saved
    # The first answer is held at the connector until the import's writes are held back,
    # so the import is certainly still running while another question is asked.
    release = fake.hold(lambda activity: "Importing" in str(activity))
    started = time.perf_counter()
    sending = asyncio.create_task(
        teams.sends_file(SAM, "big-export.csv", ("\n".join(lines) + "\n").encode())
    )
    await fake.wait_for(lambda: [s for s in fake.sent if s.method == "HELD"])
    with writes_held(engine):
        release.set()
        assert await sending == 202
        assert (
            "Importing 50,000 rows from big-export.csv"
            in _texts(fake.messages(SAM.conversation))[-1]
        )
        before = len(fake.messages(SAM.conversation))
        assert await teams.says(SAM, "progress") == 202  # meanwhile, a question: answered
        assert len(fake.messages(SAM.conversation)) == before + 1
        assert not any(t.startswith("Imported") for t in _texts(fake.messages(SAM.conversation)))
        assert [r.status for r in _runs(teams)] in ([], ["running"])
    (card,) = await fake.wait_for(lambda: _consents(teams, SAM))
    elapsed = time.perf_counter() - started
    summary = next(t for t in _texts(fake.messages(SAM.conversation)) if t.startswith("Imported"))
    assert "50,000 rows" in summary and "50 rows were refused" in summary
    assert _attachments(card, CONSENT)[0]["content"]["sizeInBytes"] > 0
    assert _completions(teams) == {(p, "comm-101") for p in people}
    print(f"50,000-row export through Teams: {elapsed:.2f} s from the file to the consent card")


def test_only_file_attachments_are_files_and_only_our_consent_answers_are_read() -> None:
    activity = {
        "attachments": [
            {"contentType": "image/png", "contentUrl": "https://smba.example/inline.png"},
            {"contentType": "text/html", "content": "<p>the export</p>"},
            {
                "contentType": DOWNLOAD_INFO,
                "name": "export.csv",
                "content": {
                    "downloadUrl": "https://dl.example/x",
                    "uniqueId": "u",
                    "fileType": "csv",
                },
            },
            {"contentType": DOWNLOAD_INFO, "name": "broken.csv", "content": {"uniqueId": "v"}},
        ]
    }
    (sent,) = files_sent(activity)
    assert (sent.name, sent.download_url, sent.unique_id, sent.file_type) == (
        "export.csv",
        "https://dl.example/x",
        "u",
        "csv",
    )
    assert consent_answer("accept") is None
    assert consent_answer({"action": "accept", "context": {"file": "f1", "for": "29:a"}}) is None
    assert consent_answer({"action": "maybe", "context": {"file": "f1"}}) is None
    assert consent_answer({"action": "decline", "context": {}}) is None
    declined = consent_answer({"action": "decline", "context": {"file": "f1", "for": "29:a"}})
    assert declined is not None and not declined.accepted and declined.offered_to == "29:a"
    assert list(pieces(10, 4)) == [(0, 3), (4, 7), (8, 9)] and list(pieces(0)) == []
