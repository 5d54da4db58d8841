"""Completions from learning-site exports: every shipped layout, every date format it
declares in both day/month orders, encodings and separators, metadata rows, XLSX, bad
rows with their reasons, re-imports, people not on the roster, and who may import what.

The files are written here, in the shapes the learning sites give (see
``../shared/notes/data-in.md``), not read from fixtures of our own making elsewhere.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlmodel import Session, select

from adapters.console import Style, render_all
from bot.content import Content
from bot.imports import Options
from bot.imports.running import Outcome
from bot.messages import Attachment
from bot.models import Completion, CompletionSource, ImportRun, Person
from bot.store import person_by_email
from tests.fakechat import FakeChat
from tests.nudging import ANA, BEN, CARLA, DEV, ELLA, SAM, join, link_channel

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # the chat fixture's clock
ZONE = ZoneInfo("America/Chicago")  # the sample initiative's
#: A day and month that cannot be mistaken for each other, and a time.
WHEN = datetime(2026, 11, 7, 14, 7)


def write(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    above: Sequence[Sequence[str]] = (),
    below: Sequence[Sequence[str]] = (),
) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([*above, header, *below, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def run(chat: FakeChat, path: Path, **options: str) -> tuple[str, Outcome]:
    messages, outcome = chat.bot.import_completions(
        path,
        Options(**options),
        "tester",
        errors_to=path.with_name(f"{path.stem}-refused.csv"),
    )
    text = render_all(messages, Style(color=False)).text
    assert outcome is not None, text
    return text, outcome


def refused(outcome: Outcome) -> list[tuple[int, str, str]]:
    """(line, row, reason) of each refused row, from the error file."""
    if outcome.errors is None:
        return []
    with outcome.errors.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["line", "row", "reason"]
    return [(int(line), row, reason) for line, row, reason in rows[1:]]


def ledger(chat: FakeChat) -> dict[tuple[str, str], Completion]:
    with Session(chat.bot.engine) as s:
        emails = {p.id: p.email for p in s.exec(select(Person))}
        return {(emails[c.person_id], c.course_id): c for c in s.exec(select(Completion))}


def local(c: Completion) -> datetime:
    at = c.completed_at if c.completed_at.tzinfo else c.completed_at.replace(tzinfo=UTC)
    return at.astimezone(ZONE).replace(tzinfo=None)


# --- the plain layout ------------------------------------------------------------------------


def test_good_rows_are_recorded_and_each_bad_row_is_refused_with_its_line_and_reason(
    chat: FakeChat, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "export.csv",
        ["email", "course", "completed_at", "score", "credits"],
        [
            [ANA, "pain-101", "2026-11-20", "88", "0.75"],
            [BEN.upper(), "Managing breathlessness", "11/21/2026", "", ""],  # a title
            [CARLA, "PC-GOALS101", "2026-11-19T09:30:00Z", "91%", "0,75"],  # a site's id
            ["nobody@example.org", "pain-101", "2026-11-20", "", ""],
            ["not an email", "pain-101", "2026-11-20", "", ""],
            [DEV, "Underwater basket weaving", "2026-11-20", "", ""],
            [DEV, "pain-101", "31/31/2026", "", ""],
            [DEV, "comm-101", "2027-06-01", "", ""],  # in the future
            [ELLA, "", "2026-11-20", "", ""],
            [ELLA, "comm-101", "", "", ""],
        ],
    )
    text, outcome = run(chat, path)
    # No status column: a row without a date is someone who has not finished.
    assert (outcome.rows, outcome.added, outcome.refused, outcome.not_completed) == (10, 3, 6, 1)
    assert "3 new completions" in text and "6 rows were refused" in text, text
    found = ledger(chat)
    assert set(found) == {(ANA, "pain-101"), (BEN, "dyspnea-101"), (CARLA, "goals-101")}
    assert all(c.verified and c.source == "import" for c in found.values())
    assert found[(ANA, "pain-101")].score == 88 and found[(ANA, "pain-101")].credits == 0.75
    assert found[(CARLA, "goals-101")].score == 91 and found[(CARLA, "goals-101")].credits == 0.75
    assert local(found[(ANA, "pain-101")]) == datetime(2026, 11, 20)
    assert found[(CARLA, "goals-101")].completed_at.replace(tzinfo=UTC) == datetime(
        2026, 11, 19, 9, 30, tzinfo=UTC
    )
    errors = refused(outcome)
    assert [line for line, _, _ in errors] == [5, 6, 7, 8, 9, 10]
    reasons = {line: reason for line, _, reason in errors}
    assert reasons[5] == "nobody@example.org is not on the roster"
    assert reasons[6] == '"not an email" is not an email address'
    assert reasons[7] == 'no course is called "Underwater basket weaving"'
    assert reasons[8].startswith('"31/31/2026" is not a date written like')
    assert reasons[9] == "2027-06-01 is in the future"
    assert reasons[10] == "no course named in the row"
    assert errors[0][1] == "nobody@example.org,pain-101,2026-11-20,,"
    # The summary names people not on the roster, never adding them.
    assert "Not on the roster: 1 (such as nobody@example.org)" in text
    with Session(chat.bot.engine) as s:
        assert person_by_email(s, "nobody@example.org") is None
        run_row = s.exec(select(ImportRun)).one()
        assert (run_row.status, run_row.added, run_row.refused) == ("done", 3, 6)


def test_importing_the_same_file_again_changes_nothing(chat: FakeChat, tmp_path: Path) -> None:
    path = write(
        tmp_path / "export.csv",
        ["email", "course", "completed_at"],
        [[ANA, "pain-101", "2026-11-20"], [BEN, "comm-101", "2026-11-21"], ["x@y.org", "a", "b"]],
    )
    _, first = run(chat, path)
    before = {k: (c.completed_at, c.verified, c.source_ref) for k, c in ledger(chat).items()}
    text, again = run(chat, path)
    assert (again.added, again.confirmed, again.already, again.refused) == (0, 0, 2, 1), text
    after = {k: (c.completed_at, c.verified, c.source_ref) for k, c in ledger(chat).items()}
    assert after == before and first.added == 2
    with Session(chat.bot.engine) as s:
        assert s.exec(select(CompletionSource)).all() == []


def test_an_earlier_date_from_another_file_is_kept_and_confirms_the_completion(
    chat: FakeChat, tmp_path: Path
) -> None:
    run(
        chat,
        write(
            tmp_path / "a.csv",
            ["email", "course", "completed_at"],
            [[ANA, "pain-101", "2026-11-20"]],
        ),
    )
    text, second = run(
        chat,
        write(
            tmp_path / "b.csv",
            ["email", "course", "completed_at"],
            [[ANA, "pain-101", "2026-11-18"]],
        ),
    )
    assert second.confirmed == 1, text
    assert local(ledger(chat)[(ANA, "pain-101")]) == datetime(2026, 11, 18)


def test_an_import_verifies_what_a_person_reported_themselves(
    chat: FakeChat, tmp_path: Path
) -> None:
    ana = chat.person(ANA)
    ana.says("what's my next course")
    ana.clicks("Mark complete")
    (course,) = [k[1] for k in ledger(chat)]
    assert not ledger(chat)[(ANA, course)].verified
    text, outcome = run(
        chat,
        write(
            tmp_path / "lms.csv", ["email", "course", "completed_at"], [[ANA, course, "2026-11-01"]]
        ),
    )
    assert outcome.confirmed == 1 and "1 confirmed (now verified)" in text
    done = ledger(chat)[(ANA, course)]
    assert done.verified and done.source == "self_report"
    assert local(done) == datetime(2026, 11, 1)  # the learning site's earlier date
    with Session(chat.bot.engine) as s:
        (source,) = s.exec(select(CompletionSource)).all()
        assert source.kind == "import" and "lms.csv" in source.ref


# --- dates: every format each profile declares, in both orders ---------------------------------


def _file_for(profile: str, tmp_path: Path, date: str, content: Content) -> tuple[Path, str]:
    """A one-row export in ``profile``'s layout; returns the file and the course it names."""
    course = content.courses["pain-101"]
    if profile == "plain":
        return write(
            tmp_path / "p.csv", ["email", "course", "completed_at"], [[ANA, "pain-101", date]]
        ), course.id
    if profile == "moodle-course":
        header = [
            "ID",
            "Name",
            "Email address",
            "Pain quiz",
            "Pain quiz - Completion date",
            "Course complete",
        ]
        row = ["7", "Ana Ruiz", ANA, "Completed", date, date]
        return write(
            tmp_path / f"completion-{course.ids['moodle'][0]}.csv", header, [row]
        ), course.id
    if profile == "moodle-activity":
        header = ["", "Email address", course.title, "Not before 1 Dec"]
        return write(
            tmp_path / "progress.csv", header, [["Ana Ruiz", ANA, "Completed", date]]
        ), course.id
    if profile == "scorm-cloud":
        header = [
            "learner.email",
            "course.id",
            "course.title",
            "registrationCompletion",
            "completedDate",
        ]
        row = [ANA, course.ids["scorm"][0], course.title, "COMPLETED", date]
        return write(tmp_path / "scorm.csv", header, [row]), course.id
    raise AssertionError(f"no sample file for the {profile} layout: add one here")


def _date_cases(content: Content) -> list[tuple[str, str, str]]:
    cases = []
    for pid, profile in sorted(content.sources.profiles.items()):
        for order in ("DMY", "MDY"):
            for fmt in profile.formats(order):
                cases.append((pid, order, fmt))
    return cases


def test_every_shipped_layout_has_a_sample_file_and_a_date_case(sample_content: Content) -> None:
    cases = _date_cases(sample_content)
    assert {pid for pid, _, _ in cases} >= set(sample_content.sources.profiles) - {"scorm-cloud"}


@pytest.mark.parametrize("order", ["DMY", "MDY"])
def test_every_date_format_of_every_layout_reads_the_day_and_month_the_right_way(
    chat: FakeChat, tmp_path: Path, sample_content: Content, order: str
) -> None:
    checked = 0
    for pid, fmt_order, fmt in _date_cases(sample_content):
        if fmt_order != order:
            continue
        folder = tmp_path / f"{pid}-{checked}"
        folder.mkdir()
        written = WHEN.strftime(fmt)
        path, course = _file_for(pid, folder, written, sample_content)
        profile = sample_content.sources.profiles[pid]
        text, outcome = run(chat, path, profile=pid, date_order=order)
        assert outcome.refused == 0 and outcome.completions == 1, (pid, fmt, text)
        got = ledger(chat)[(ANA, course)].completed_at.replace(tzinfo=UTC)
        zone = ZoneInfo(profile.zone or "America/Chicago")
        seen = got.astimezone(zone)
        assert (seen.year, seen.month, seen.day) == (2026, 11, 7), (pid, fmt, written, seen)
        if "%H" in fmt or "%I" in fmt:
            assert (seen.hour, seen.minute) == (14, 7), (pid, fmt, written)
        with Session(chat.bot.engine) as s:  # the next case starts from nothing
            for c in s.exec(select(Completion)):
                s.delete(c)
            s.commit()
        checked += 1
    assert checked


def test_the_same_numbers_are_another_day_in_the_other_order(
    chat: FakeChat, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "e.csv", ["email", "course", "completed_at"], [[ANA, "pain-101", "03/05/2026"]]
    )
    run(chat, path, date_order="DMY")
    assert local(ledger(chat)[(ANA, "pain-101")]) == datetime(2026, 5, 3)
    messages, outcome = chat.bot.import_completions(
        path, Options(date_order="YMD"), "t", errors_to=tmp_path / "x.csv"
    )
    text = render_all(messages, Style(color=False)).text
    assert outcome is None and 'Date order "YMD" should be DMY' in text


def test_iso_dates_with_offsets_are_read_whatever_the_layout(
    chat: FakeChat, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "iso.csv",
        ["email", "course", "completed_at"],
        [
            [ANA, "pain-101", "2026-11-20T23:30:00-05:00"],
            [BEN, "pain-101", "2026-11-20 08:00:00.123"],
        ],
    )
    text, outcome = run(chat, path)
    assert outcome.added == 2, text
    found = ledger(chat)
    assert found[(ANA, "pain-101")].completed_at.replace(tzinfo=UTC) == datetime(
        2026, 11, 21, 4, 30, tzinfo=UTC
    )
    assert local(found[(BEN, "pain-101")]) == datetime(2026, 11, 20, 8, 0)


# --- encodings, separators, metadata rows, workbooks -----------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8-sig", ","),
        ("utf-8", ";"),
        ("utf-16", "\t"),  # Moodle's "Excel CSV": UTF-16 with a BOM, tab-separated
        ("cp1252", ";"),
    ],
)
def test_encodings_and_separators(
    chat: FakeChat, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    path = write(
        tmp_path / "export.csv",
        ["Email", "Course", "Completed_at"],
        [
            [ANA, "pain-101", "2026-11-20"],
            [BEN, "Managing breathlessness", "2026-11-21"],
            ["josé@example.org", "pain-101", "2026-11-20"],
        ],
        encoding=encoding,
        delimiter=delimiter,
    )
    text, outcome = run(chat, path)
    assert (outcome.added, outcome.refused) == (2, 1), text
    assert refused(outcome)[0][2] == "josé@example.org is not on the roster"


def test_metadata_rows_above_and_below_the_header_are_not_data(
    chat: FakeChat, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "report.csv",
        ["email", "course", "completed_at"],
        [[ANA, "pain-101", "2026-11-20"], [BEN, "pain-101", "2026-11-21"]],
        above=[["Completion report"], ["Generated", "2026-11-23 09:00"], []],
        below=[["    Points Possible", "", ""]],
    )
    text, outcome = run(chat, path)
    assert (outcome.rows, outcome.added, outcome.refused) == (2, 2, 0), text


def test_a_workbook_with_date_cells(chat: FakeChat, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Exported from the learning site"])
    sheet.append(["email", "course", "completed_at", "score"])
    sheet.append([ANA, "pain-101", datetime(2026, 11, 20, 10, 15), 92])
    sheet.append([BEN, "comm-101", "2026-11-21", 75.5])
    sheet.append(["ghost@example.org", "comm-101", datetime(2026, 11, 21), None])
    path = tmp_path / "export.xlsx"
    book.save(path)
    text, outcome = run(chat, path)
    assert (outcome.added, outcome.refused) == (2, 1), text
    found = ledger(chat)
    assert local(found[(ANA, "pain-101")]) == datetime(2026, 11, 20, 10, 15)
    assert found[(ANA, "pain-101")].score == 92 and found[(BEN, "comm-101")].score == 75.5
    assert refused(outcome)[0][0] == 5


def test_files_that_cannot_be_imported_say_why_and_change_nothing(
    chat: FakeChat, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    stranger = write(tmp_path / "other.csv", ["Student", "Points"], [["Ruiz, Ana", "9"]])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    for path, expected in (
        (empty, "is empty"),
        (stranger, "I can't tell what"),
        (broken, "can't be read"),
    ):
        messages, outcome = chat.bot.import_completions(
            path, Options(), "tester", errors_to=tmp_path / "x.csv"
        )
        text = render_all(messages, Style(color=False)).text
        assert outcome is None and expected in text, text
    messages, outcome = chat.bot.import_completions(
        stranger, Options(profile="nope"), "tester", errors_to=tmp_path / "x.csv"
    )
    assert outcome is None
    assert "There is no layout called nope" in render_all(messages, Style(color=False)).text
    assert ledger(chat) == {}


# --- the other layouts -----------------------------------------------------------------------


def test_a_file_that_fits_two_layouts_asks_which_and_the_profile_picks_one(
    chat: FakeChat, tmp_path: Path, sample_content: Content
) -> None:
    header = [
        "email",
        "course",
        "learner.email",
        "course.id",
        "registrationCompletion",
        "completedDate",
        "completed_at",
    ]
    pain = sample_content.courses["pain-101"]
    path = write(
        tmp_path / "both.csv",
        header,
        [
            [
                ANA,
                "comm-101",
                ANA,
                pain.ids["scorm"][0],
                "COMPLETED",
                "2026-11-20T10:00:00Z",
                "2026-11-19",
            ]
        ],
    )
    messages, outcome = chat.bot.import_completions(
        path, Options(), "t", errors_to=tmp_path / "x.csv"
    )
    text = render_all(messages, Style(color=False)).text
    assert outcome is None and "fits more than one layout" in text and "scorm-cloud" in text
    text, outcome = run(chat, path, profile="scorm-cloud")
    assert outcome.layout.profile.id == "scorm-cloud" and set(ledger(chat)) == {(ANA, "pain-101")}
    text, outcome = run(chat, path, profile="plain")
    assert set(ledger(chat)) == {(ANA, "pain-101"), (ANA, "comm-101")}, text


def test_moodle_course_report_takes_its_course_from_the_file_name(
    chat: FakeChat, tmp_path: Path, sample_content: Content
) -> None:
    header = [
        "ID",
        "Name",
        "Email address",
        "Welcome - Section 1",
        "Welcome - Section 1 - Completion date",
        "Post-test",
        "Post-test - Completion date",
        "Course complete",
    ]
    rows = [
        [
            "1",
            "Ana Ruiz",
            ANA,
            "Completed",
            "01/11/26, 09:00",
            "Completed (achieved pass grade)",
            "05/11/26, 14:07",
            "05/11/26, 14:07",
        ],
        ["2", "Ben Cho", BEN, "Completed", "01/11/26, 09:00", "Not completed", "", ""],
        [
            "3",
            "Zed Unknown",
            "zed@example.org",
            "Completed",
            "",
            "Completed",
            "",
            "06/11/26, 10:00",
        ],
    ]
    moodle = sample_content.courses["goals-101"].ids["moodle"][0]
    path = write(tmp_path / f"completion-{moodle}.csv", header, rows)
    text, outcome = run(chat, path)
    assert outcome.layout.profile.id == "moodle-course", text
    assert (outcome.added, outcome.not_completed, outcome.refused) == (1, 1, 1), text
    assert local(ledger(chat)[(ANA, "goals-101")]) == datetime(2026, 11, 5, 14, 7)
    # Renamed, it needs the course said.
    renamed = path.rename(tmp_path / "report.csv")
    messages, none = chat.bot.import_completions(
        renamed, Options(), "t", errors_to=tmp_path / "x.csv"
    )
    assert none is None and "Which course is" in render_all(messages, Style(color=False)).text
    text, outcome = run(chat, renamed, course="goals-101")
    # Another file is another source: it confirms what the first one said.
    assert (outcome.added, outcome.confirmed) == (0, 1), text


def test_moodle_activity_report_one_column_per_course(
    chat: FakeChat, tmp_path: Path, sample_content: Content
) -> None:
    pain, comm = sample_content.courses["pain-101"], sample_content.courses["comm-101"]
    header = [
        "",
        "Email address",
        pain.title,
        "",
        comm.ids["moodle"][0],
        "",
        "Forum post (not a course)",
        "",
    ]
    rows = [
        [
            "Ana Ruiz",
            ANA,
            "Completed",
            "2026-11-20 10:00:00",
            "Not completed",
            "",
            "Completed",
            "2026-11-01 08:00:00",
        ],
        [
            "Ben Cho",
            BEN,
            "Completed (achieved pass grade)",
            "2026-11-21 11:00",
            "Completed",
            "2026-11-22 12:00:00",
            "",
            "",
        ],
        ["Carla Diaz", CARLA, "Completed", "yesterday", "", "", "", ""],
    ]
    path = write(tmp_path / "progress.csv", header, rows, encoding="utf-16", delimiter="\t")
    text, outcome = run(chat, path)
    assert outcome.layout.profile.id == "moodle-activity", text
    assert set(ledger(chat)) == {(ANA, "pain-101"), (BEN, "pain-101"), (BEN, "comm-101")}, text
    assert outcome.refused == 1 and '"yesterday" is not a date' in refused(outcome)[0][2]
    assert "Forum post (not a course)" in text  # named as skipped, not guessed


def test_scorm_cloud_registrations(chat: FakeChat, tmp_path: Path, sample_content: Content) -> None:
    pain = sample_content.courses["pain-101"]
    header = [
        "learner.id",
        "learner.email",
        "course.id",
        "course.title",
        "registrationCompletion",
        "registrationSuccess",
        "score.scaled",
        "completedDate",
    ]
    rows = [
        [
            "u1",
            ANA,
            pain.ids["scorm"][0],
            pain.title,
            "COMPLETED",
            "PASSED",
            "87",
            "2026-11-20T16:00:00.000Z",
        ],
        ["u2", BEN, pain.ids["scorm"][0], pain.title, "INCOMPLETE", "UNKNOWN", "", ""],
        [
            "u3",
            CARLA,
            "unknown-package",
            "Some other course",
            "COMPLETED",
            "PASSED",
            "90",
            "2026-11-20T16:00:00Z",
        ],
    ]
    text, outcome = run(chat, write(tmp_path / "regs.csv", header, rows))
    assert (outcome.added, outcome.not_completed, outcome.refused) == (1, 1, 1), text
    done = ledger(chat)[(ANA, "pain-101")]
    assert done.score == 87
    assert done.completed_at.replace(tzinfo=UTC) == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def test_people_by_username_from_the_roster(
    chat: FakeChat, tmp_path: Path, sample_content: Content
) -> None:
    chat.operator(
        f"roster import\nemail,name,discipline,team,username\n{ANA},Ana Ruiz,nurse,ICU,aruiz\n"
    )
    pain = sample_content.courses["pain-101"]
    header = ["learner.id", "course.id", "registrationCompletion", "completedDate"]
    rows = [
        ["ARuiz", pain.ids["scorm"][0], "COMPLETED", "2026-11-20T16:00:00Z"],
        ["bcho", pain.ids["scorm"][0], "COMPLETED", "2026-11-20T16:00:00Z"],
    ]
    text, outcome = run(chat, write(tmp_path / "regs.csv", header, rows))
    assert set(ledger(chat)) == {(ANA, "pain-101")} and outcome.unknown == 1, text


# --- celebrations, roles --------------------------------------------------------------------


def test_old_history_counts_but_celebrates_nothing(chat: FakeChat, tmp_path: Path) -> None:
    link_channel(chat, "icu", "ICU")
    join(chat, ANA)
    join(chat, BEN)
    header = ["email", "course", "completed_at"]
    _, old = run(
        chat,
        write(
            tmp_path / "old.csv",
            header,
            [[ANA, "pain-101", "2025-03-01"], [BEN, "pain-101", "2026-11-08"]],
        ),
    )
    assert old.added == 2 and old.teams_celebrating == set()
    _, recent = run(chat, write(tmp_path / "new.csv", header, [[ANA, "comm-101", "2026-11-21"]]))
    assert recent.added == 1 and recent.teams_celebrating != set()


def test_a_champion_imports_for_their_own_team_only(chat: FakeChat, tmp_path: Path) -> None:
    path = write(
        tmp_path / "export.csv",
        ["email", "course", "completed_at"],
        [[ANA, "pain-101", "2026-11-20"], [ELLA, "pain-101", "2026-11-20"]],
    )
    ben = chat.person(BEN)  # the ICU champion
    reply = ben.sends_file(path)
    assert "1 new completions" in reply or "1 new completion" in reply, reply.text
    assert set(ledger(chat)) == {(ANA, "pain-101")}
    again = chat.person(BEN).says("import errors 1")
    (attachment,) = [b for m in again.messages for b in m.blocks if isinstance(b, Attachment)]
    stored = chat.bot.stored_file(attachment.file_id)
    assert stored is not None and b"ella.grant@example.org is not in your team" in stored[2]
    # A clinician may not import at all.
    reply = chat.person(CARLA).sends_file(path)
    assert set(ledger(chat)) == {(ANA, "pain-101")} and "champion" in reply.text.lower()
    # An admin may import everyone's.
    assert "1 new completion" in chat.person(SAM).sends_file(path)
    assert set(ledger(chat)) == {(ANA, "pain-101"), (ELLA, "pain-101")}
