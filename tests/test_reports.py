"""The report (bot.reports): a hand-computed fixture of three teams and twenty people
(one team of three, under the minimum group of five), with verified and self-reported
completions, comfort answers, measures, a contest, shout-outs and sessions attended.
Every expected figure is written out below, worked by hand from the fixture, not
recomputed. Then the Excel and CSV files, the chat answers per role, and the CLI."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import content as content_mod
from bot import reports
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.db import make_engine
from bot.messages import Attachment
from bot.models import (
    Attendance,
    Completion,
    Contest,
    Enrolment,
    OrganisationMeasure,
    OutboxMessage,
    Person,
    PersonRole,
    Schedule,
    Shoutout,
    Team,
)
from bot.report_data import Period, Report
from bot.report_files import to_csv, to_xlsx
from bot.reports import PeriodError, parse_period
from tests.conftest import SAMPLE
from tests.fakechat import FakeChat
from tests.test_cli import huddle
from tests.test_survey_results import Answers

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # the conftest clock
Q4 = Period(date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
FULL = ("comm-101", "goals-101", "pain-101")  # the essentials pathway

# (key, name, discipline, team, roles, essentials due on)
PEOPLE: list[tuple[str, str, str, str, tuple[str, ...], date | None]] = [
    ("i1", "Ida One", "nurse", "icu", (), date(2026, 11, 1)),
    ("i2", "Ian Two", "nurse", "icu", (), None),
    ("i3", "Iva Three", "nurse", "icu", (), None),
    ("i4", "Ivo Four", "nurse", "icu", (), date(2026, 12, 10)),
    ("i5", "Isa Five", "physician", "icu", ("champion",), None),
    ("i6", "Ike Six", "physician", "icu", ("champion",), None),
    ("i7", "Ina Seven", "physician", "icu", ("senior_leader",), None),
    ("i8", "Ivan Eight", "physician", "icu", ("champion",), date(2026, 11, 1)),
    ("i9", "Iris Nine", "advanced_practice_provider", "icu", ("champion",), date(2026, 12, 31)),
    ("w1", "Wes One", "nurse", "ward", ("senior_leader",), None),
    ("w2", "Wim Two", "nurse", "ward", (), None),
    ("w3", "Wil Three", "nurse", "ward", (), None),
    ("w4", "Wyn Four", "nurse", "ward", (), None),
    ("w5", "Wen Five", "nurse", "ward", (), None),
    ("w6", "Wade Six", "nurse", "ward", ("champion",), None),
    ("w7", "Wanda Seven", "social_worker", "ward", (), None),
    ("w8", "Walt Eight", "social_worker", "ward", (), date(2026, 12, 1)),
    ("t1", "Tam One", "nurse", "tiny", ("champion",), None),
    ("t2", "Tia Two", "nurse", "tiny", (), None),
    ("t3", "Tor Three", "chaplain", "tiny", (), date(2026, 11, 15)),
]
V, S = True, False  # verified, self-reported
# key -> (courses, first day (month, day) of three consecutive days, verified)
DONE: dict[str, tuple[tuple[str, ...], tuple[int, int], bool]] = {
    "i1": (FULL, (10, 5), V),
    "i2": (FULL, (10, 12), V),
    "i3": (FULL, (11, 2), S),
    "i4": (("comm-101",), (11, 10), S),
    "i5": (FULL, (9, 20), V),  # trained before the period
    "i6": (FULL, (11, 16), V),
    "i7": (FULL, (10, 20), V),
    "i9": (("comm-101",), (11, 19), V),
    "w1": (FULL, (10, 1), V),
    "w2": (FULL, (10, 8), V),
    "w3": (FULL, (11, 20), S),
    "w4": (FULL, (11, 9), V),
    "w5": (FULL, (11, 12), V),
    "w6": (FULL, (10, 26), V),
    "w7": (FULL, (11, 5), S),
    "t1": (FULL, (10, 15), V),
    "t2": (("pain-101",), (11, 1), S),
}
# serious-news (communication): the five ICU nurses and physicians who answered, and two
# of the tiny team (left out of every figure: fewer than five answered there).
COMFORT = {"i1": (2, 2, 4), "i2": (3, 2, 4), "i3": (2, 2, 4), "i4": (3, 2, 5), "i5": (2, 2, 4)}
TINY_COMFORT = {"t1": (1, 1, 5), "t2": (1, 1, 5)}


def email(key: str) -> str:
    return f"{key}@example.org"


def fill(engine: Engine) -> dict[str, int]:
    """The fixture; returns each team's id by key."""
    with Session(engine) as s:
        teams = {}
        for key, name in (("icu", "ICU"), ("ward", "Ward"), ("tiny", "Tiny")):
            team = Team(key=key, name=name, created_at=NOW)
            s.add(team)
            s.flush()
            teams[key] = team.id or 0
        people = {}
        for key, name, discipline, team_key, roles, due in PEOPLE:
            person = Person(
                email=email(key),
                name=name,
                discipline=discipline,
                team_id=teams[team_key],
                created_at=NOW,
                updated_at=NOW,
            )
            s.add(person)
            s.flush()
            people[key] = person.id or 0
            for role in roles:
                s.add(
                    PersonRole(person_id=person.id or 0, role=role, granted_at=NOW, granted_by="t")
                )
            s.add(
                Enrolment(
                    person_id=person.id or 0,
                    pathway_id="essentials",
                    enrolled_at=NOW - timedelta(days=90),
                    enrolled_by="t",
                    due_on=due,
                )
            )
        for key in ("i1", "i2"):  # two people in bedside-care: a pathway under five
            s.add(
                Enrolment(
                    person_id=people[key],
                    pathway_id="bedside-care",
                    enrolled_at=NOW - timedelta(days=90),
                    enrolled_by="t",
                )
            )
        for key, (courses, (month, day), verified) in DONE.items():
            for n, course in enumerate(courses):
                at = datetime(2026, month, day, 15, 0, tzinfo=UTC) + timedelta(days=n)
                s.add(
                    Completion(
                        person_id=people[key],
                        course_id=course,
                        completed_at=at,
                        recorded_at=at,
                        source="import" if verified else "self_report",
                        verified=verified,
                        recorded_by="t",
                        # The learning site gave its own credits for one course.
                        credits=1.0 if (key, course) == ("i6", "goals-101") else None,
                    )
                )
        s.add(
            Contest(
                name="November push",
                metric="active",
                starts_on=date(2026, 11, 1),
                ends_on=date(2026, 12, 15),
                all_teams=True,
                status="running",
                proposed_by="t",
                created_at=NOW - timedelta(days=30),
            )
        )
        for team_key, posted in (("icu", 10), ("icu", 11), ("ward", 12), ("tiny", 13)):
            s.add(
                Shoutout(
                    giver_id=people["i6"],
                    giver="Ike Six",
                    team_id=teams[team_key],
                    whole_team=True,
                    text="Thank you",
                    status="posted",
                    created_at=datetime(2026, 11, posted, 15, tzinfo=UTC),
                    posted_at=datetime(2026, 11, posted, 15, tzinfo=UTC),
                )
            )
        schedule = Schedule(
            kind="session",
            audience="everyone",
            when="every tuesday 12:00",
            created_by="t",
            created_at=NOW,
            updated_at=NOW,
            starts_at=NOW,
        )
        s.add(schedule)
        s.flush()
        for key in ("i1", "i2", "i3", "w1", "t1"):
            s.add(
                Attendance(
                    schedule_id=schedule.id or 0,
                    occurrence="2026-11-17T12:00",
                    person_id=people[key],
                    held_at=datetime(2026, 11, 17, 18, tzinfo=UTC),
                    recorded_by="t",
                    at=NOW,
                )
            )
        for team_key, value, n in ((None, 60.0, 40), ("icu", 55.0, 20), ("tiny", 70.0, 6)):
            team_id = teams[team_key] if team_key else None
            s.add(
                OrganisationMeasure(
                    period=date(2026, 10, 1),
                    team_id=team_id,
                    scope_id=team_id or 0,
                    measure_id="goc-documentation",
                    value=value,
                    n=n,
                    source="EHR",
                    imported_at=NOW,
                )
            )
        # Ivan had three reminders about the same course with no progress this week.
        s.add(
            OutboxMessage(
                dedupe_key="stuck-i8",
                kind="next_course",
                person_id=people["i8"],
                platform="slack",
                target="D1",
                message="{}",
                status="skipped",
                last_error="stuck: three reminders",
                due_at=NOW - timedelta(days=1),
                next_attempt_at=NOW - timedelta(days=1),
                created_at=NOW - timedelta(days=1),
                updated_at=NOW - timedelta(days=1),
            )
        )
        s.commit()
    answers = Answers(engine)
    for key, (pre, retro, post) in {**COMFORT, **TINY_COMFORT}.items():
        answers.add(email(key), "essentials", "serious-news", "pre", pre)
        answers.add(email(key), "essentials", "serious-news", "post", post)
        answers.add(email(key), "essentials", "serious-news", "retro", retro)
    return teams


@pytest.fixture
def teams(engine: Engine) -> dict[str, int]:
    return fill(engine)


def build(
    engine: Engine, content: Content, team_ids: list[int] | None, champion: int | None = None
) -> Report:
    with Session(engine) as s:
        return reports.build(
            s, content, team_ids=team_ids, period=Q4, champion_team_id=champion, now=NOW
        )


def rows(report: Report, key: str) -> list[tuple[object, ...]]:
    section = report.section(key)
    assert section is not None, key
    return [tuple(round(v, 4) if isinstance(v, float) else v for v in r) for r in section.rows]


def notes(report: Report, key: str) -> str:
    section = report.section(key)
    assert section is not None
    return " ".join(section.notes)


# --- periods ---------------------------------------------------------------------------------


def test_periods_people_name() -> None:
    today = date(2026, 11, 23)
    assert parse_period("2026-Q4", today) == Q4
    assert parse_period("2026-11", today) == Period(
        date(2026, 11, 1), date(2026, 11, 30), "November 2026"
    )
    assert parse_period("November 2026", today) == parse_period("nov 2026", today)
    assert parse_period("this month", today).start == date(2026, 11, 1)
    assert parse_period("last month", today) == Period(
        date(2026, 10, 1), date(2026, 10, 31), "October 2026"
    )
    assert parse_period("this quarter", today) == Q4
    assert parse_period("last quarter", date(2026, 2, 1)).label == "2025-Q4"
    assert parse_period("2026", today) == Period(date(2026, 1, 1), date(2026, 12, 31), "2026")
    assert parse_period("2028-02", today).end == date(2028, 2, 29)
    for bad in ("2026-13", "Q5", "someday", "Novembre 2026"):
        with pytest.raises(PeriodError, match="is not a period; try 2026-Q4"):
            parse_period(bad, today)


def test_the_target_is_content_checked_from_0_to_1(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE, folder)
    initiative = folder / "initiative.yaml"
    text = initiative.read_text()
    assert "reports:\n  target: 0.8" in text
    for bad in ("1.5", "-0.1", "yes", "'80%'"):
        initiative.write_text(text.replace("target: 0.8", f"target: {bad}"))
        errors = [str(p) for p in content_mod.check(folder) if not p.warning]
        assert len(errors) == 1 and "reports: 'target' must be a share from 0 to 1" in errors[0]
    initiative.write_text(text.replace("target: 0.8", "target: 0.5"))
    assert content_mod.load(folder).initiative.reports.target == 0.5
    initiative.write_text(text.replace("reports:\n  target: 0.8\n", ""))
    assert content_mod.load(folder).initiative.reports.target == 0.8


# --- the figures, by hand -----------------------------------------------------------------------


def test_the_whole_organisation(
    engine: Engine, sample_content: Content, teams: dict[str, int]
) -> None:
    report = build(engine, sample_content, None)
    assert report.scope == "Everyone"
    assert report.period == Q4
    assert report.target == 0.8
    # Tiny (3) is under five; with it alone Other would be three, so the next smallest
    # team (Ward, 8) joins it: no small team can be had by subtraction.
    assert rows(report, "completion_team") == [("ICU", 9, 9, 13, 4), ("Other", 11, 11, 18, 7)]
    assert "2 teams are together as Other: those with fewer than 5" in notes(
        report, "completion_team"
    )
    # Nurses 12; physicians 4, APP 1, social workers 2, chaplain 1: together Other, 8.
    assert rows(report, "completion_discipline") == [("nurse", 12, 24, 8), ("Other", 8, 7, 3)]
    assert rows(report, "completion_pathway") == [
        ("Essentials for every clinician", "Bronze, Essentials", 20, 14, 0.7, 31, 11)
    ]
    assert "1 pathways with fewer than 5 people are left out" in notes(report, "completion_pathway")
    assert rows(report, "completion_level") == [("Bronze, Essentials", 20, 14, 0.7, 31, 11)]
    assert "1 levels" in notes(report, "completion_level")
    assert rows(report, "critical_mass") == [
        ("ICU", 9, 6, 0.6667, 0.8, "no"),
        ("Other", 11, 8, 0.7273, 0.8, "no"),
    ]
    assert "0 of 2 reach the target of 80% trained" in notes(report, "critical_mass")
    assert report.headline.label == "70% of clinicians trained"
    assert (report.headline.share, report.headline.n) == (0.7, 20)
    # Senior clinicians: Isa, Ike, Ina, Ivan (physicians) and Iris (APP), each a champion
    # or senior leader. Senior leaders: Ina and Wes, two: not shown apart.
    assert rows(report, "senior") == [("Senior clinicians", 5, 5, 3, 0.6, 7)]
    assert "1 groups with fewer than 5 people are left out" in notes(report, "senior")
    assert rows(report, "credits") == [
        ("CE", "Other", 8, 2.25),
        ("CME", "Other", 8, 5.5),
        ("CNE", "nurse", 12, 24.0),
        ("CNE", "Other", 8, 0.75),
        ("MOC", "Other", 8, 1.75),
    ]
    assert rows(report, "trend") == [
        (date(2026, 10, 1), 21, 0),
        (date(2026, 11, 1), 10, 11),
        (date(2026, 12, 1), 0, 0),
    ]
    assert report.charts.trend_unit == "month"
    assert [(p.start, p.verified, p.self_reported) for p in report.charts.trend] == rows(
        report, "trend"
    )
    # Due in 30 days: Ivo (ICU), Walt (Ward); overdue: Ivan (ICU), Tor (Tiny). Ida's date
    # passed, but she finished; Iris is due after the 30 days.
    assert rows(report, "due") == [("ICU", 9, 1, 1), ("Other", 11, 1, 1)]
    # Active in November: ICU 4 of 9 (Iva, Ivo, Ike, Iris), Ward 4 of 8; Tiny is too small.
    assert rows(report, "contest") == [(1, "Ward", 8, 4, 8, 0.5), (2, "ICU", 9, 4, 9, 0.4444)]
    assert "1 teams with fewer than 5 people are left out" in notes(report, "contest")
    assert rows(report, "recognition") == [("ICU", 9, 2, 4, 0), ("Other", 11, 2, 0, 0)]
    assert rows(report, "attendance") == [("ICU", 9, 3), ("Other", 11, 2)]
    question = "How comfortable are you sharing serious news with a patient?"
    assert rows(report, "comfort") == [
        ("Serious-illness communication", "", 2.4, 2.0, 4.2, 5),
        ("Serious-illness communication", question, 2.4, 2.0, 4.2, 5),
    ]
    assert "2 people in teams where fewer than 5 answered" in notes(report, "comfort")
    assert [(c.label, c.before, c.looking_back, c.after, c.n) for c in report.charts.comfort] == [
        ("Serious-illness communication", 2.4, 2.0, 4.2, 5)
    ]
    # By 31 October: Ida, Ian, Isa, Ina (ICU, 4 of 9); Wes, Wim, Wade; Tam: 8 of 20.
    assert rows(report, "measures") == [
        ("Goals-of-care documentation", "Organisation", date(2026, 10, 1), 60.0, 40, 0.4, 20),
        ("Goals-of-care documentation", "ICU", date(2026, 10, 1), 55.0, 20, 0.4444, 9),
    ]
    assert "1 team figures with fewer than 5 people are left out" in notes(report, "measures")
    assert report.section("stuck") is None  # only for a champion, about their own team
    assert [(b.label, round(b.share, 4), b.n) for b in report.charts.teams] == [
        ("Other", 0.7273, 11),
        ("ICU", 0.6667, 9),
    ]


def test_a_champions_own_team(
    engine: Engine, sample_content: Content, teams: dict[str, int]
) -> None:
    report = build(engine, sample_content, [teams["ward"]], champion=teams["ward"])
    assert report.scope == "Ward"
    assert rows(report, "completion_team") == [("Ward", 8, 8, 15, 6)]
    assert rows(report, "critical_mass") == [("Ward", 8, 7, 0.875, 0.8, "yes")]
    assert (report.headline.share, report.headline.n) == (0.875, 8)
    # Nurses 6, social workers 2: Other would be two, so the nurses join it.
    assert rows(report, "completion_discipline") == [("Other", 8, 15, 6)]
    assert rows(report, "contest") == [(1, "Ward", 8, 4, 8, 0.5)]
    assert rows(report, "stuck") == []


def test_stuck_names_only_in_the_champions_own_team(
    engine: Engine, sample_content: Content, teams: dict[str, int]
) -> None:
    report = build(engine, sample_content, [teams["icu"]], champion=teams["icu"])
    assert rows(report, "stuck") == [("Ivan Eight",)]
    assert rows(report, "completion_team") == [("ICU", 9, 9, 13, 4)]
    assert rows(report, "measures") == [
        ("Goals-of-care documentation", "ICU", date(2026, 10, 1), 55.0, 20, 0.4444, 9)
    ]


def test_a_team_under_five_shows_nothing_apart(
    engine: Engine, sample_content: Content, teams: dict[str, int]
) -> None:
    report = build(engine, sample_content, [teams["tiny"]], champion=teams["tiny"])
    for key in ("completion_team", "completion_discipline", "critical_mass", "due", "trend"):
        assert rows(report, key) == [], key
        assert "Fewer than 5 people in all" in notes(report, key)
    assert rows(report, "completion_pathway") == []
    assert rows(report, "comfort") == []
    assert rows(report, "measures") == []
    assert report.headline.n == 0
    assert report.charts.teams == ()


# --- the files ---------------------------------------------------------------------------------


def test_the_excel_file_cell_by_cell(
    engine: Engine, sample_content: Content, teams: dict[str, int]
) -> None:
    report = build(engine, sample_content, None)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx(report)))
    assert book.sheetnames == ["Report", *(s.key for s in report.sections)]
    cover = book["Report"]
    assert cover["A1"].value == "Serious Illness Care Skills: training report"
    assert [cover.cell(row=r, column=2).value for r in range(2, 4)] == ["Everyone", "2026-Q4"]
    assert cover["B4"].value == datetime(2026, 10, 1)  # a real date
    assert cover["B4"].is_date and cover["B5"].value == datetime(2026, 12, 31)
    assert cover["B6"].value == datetime(2026, 11, 23, 15, 0)
    assert cover["A8"].value == "70% of clinicians trained"
    assert cover["B8"].value == 0.7 and cover["B8"].number_format == "0%"
    assert cover["B9"].value == 20
    assert cover["B10"].value == 0.8 and cover["B11"].value == 5
    mass = book["critical_mass"]
    assert mass["A1"].value == "Critical mass: share of each team trained"
    assert [c.value for c in mass[2]] == [
        "Team",
        "People",
        "Trained",
        "Share trained",
        "Target",
        "Reaches target",
    ]
    icu = [c.value for c in mass[3]]
    assert icu[:3] == ["ICU", 9, 6] and isinstance(icu[1], int)
    assert icu[3] == pytest.approx(6 / 9) and mass["D3"].number_format == "0%"
    assert icu[4:] == [0.8, "no"]
    assert [c.value for c in mass[4]][:3] == ["Other", 11, 8]
    assert "Other" in str(mass["A6"].value)  # the notes, after a blank row
    trend = book["trend"]
    assert trend["A3"].value == datetime(2026, 10, 1) and trend["A3"].is_date
    assert [trend["B3"].value, trend["C3"].value] == [21, 0]
    assert [trend["B4"].value, trend["C4"].value] == [10, 11]
    credits = book["credits"]
    assert [c.value for c in credits[5]] == ["CNE", "nurse", 12, 24.0]
    assert credits["D5"].number_format == "0.00"
    measures = book["measures"]
    assert [c.value for c in measures[3]][:5] == [
        "Goals-of-care documentation",
        "Organisation",
        datetime(2026, 10, 1),
        60.0,
        40,
    ]
    assert measures["F3"].value == 0.4 and measures["F3"].number_format == "0%"
    contest = book["contest"]
    assert [c.value for c in contest[3]][:5] == [1, "Ward", 8, 4, 8]


def test_the_csv_files(engine: Engine, sample_content: Content, teams: dict[str, int]) -> None:
    report = build(engine, sample_content, None)
    one = list(csv.reader(io.StringIO(to_csv(report, "critical_mass").decode("utf-8"))))
    assert one == [
        ["Team", "People", "Trained", "Share trained", "Target", "Reaches target"],
        ["ICU", "9", "6", str(6 / 9), "0.8", "no"],
        ["Other", "11", "8", str(8 / 11), "0.8", "no"],
    ]
    trend = list(csv.reader(io.StringIO(to_csv(report, "trend").decode("utf-8"))))
    assert trend[1] == ["2026-10-01", "21", "0"]
    with zipfile.ZipFile(io.BytesIO(to_csv(report))) as archive:
        names = archive.namelist()
        assert names == ["report.csv", *(f"{s.key}.csv" for s in report.sections)]
        about = dict(csv.reader(io.StringIO(archive.read("report.csv").decode("utf-8"))))
        assert about["period"] == "2026-Q4" and about["n"] == "20" and about["share"] == "0.7"
        assert archive.read("critical_mass.csv") == to_csv(report, "critical_mass")
    with pytest.raises(KeyError):
        to_csv(report, "nothing")


# --- in chat, per role ---------------------------------------------------------------------------


@pytest.fixture
def room(bot: Bot, clock: FrozenClock, teams: dict[str, int]) -> FakeChat:
    """The fixture in the fake chat (no sample roster)."""
    return FakeChat(bot, clock)


def test_a_senior_leader_sees_everyone_with_the_files_a_tap_away(room: FakeChat) -> None:
    wes = room.person(email("w1"))
    reply = wes.says("report summary 2026-Q4")
    assert reply.kinds == ["report_summary"]
    assert "Report: Everyone, 2026-Q4" in reply.text
    assert "70% of clinicians trained (of 20)" in reply.text
    assert "31 verified, 11 self-reported" in reply.text
    assert "0 of 2 teams reach the target of 80%" in reply.text
    assert "due in 30 days: 2; overdue: 2" in reply.text
    assert "Comfort, Serious-illness communication: 2.4 before, 4.2 after (n=5)" in reply.text
    assert "Stuck" not in reply.text
    excel = reply.button("Excel file")
    assert excel.command == "report xlsx 2026-Q4"
    assert reply.button("CSV files").command == "report csv 2026-Q4"
    got = wes.clicks("Excel file", reply)
    (attachment,) = [b for m in got.messages for b in m.blocks if isinstance(b, Attachment)]
    assert attachment.name == "report-2026-q4-everyone.xlsx"
    assert attachment.again == "report xlsx 2026-Q4"
    stored = room.bot.stored_file(attachment.file_id)
    assert stored is not None and stored[1].endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(stored[2]))
    assert book["completion_team"]["D3"].value == 13
    zipped = wes.says("report csv 2026-Q4")
    (attachment,) = [b for m in zipped.messages for b in m.blocks if isinstance(b, Attachment)]
    stored = room.bot.stored_file(attachment.file_id)
    assert stored is not None and stored[1] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(stored[2])).namelist()[0] == "report.csv"


def test_a_champion_sees_their_own_team_and_who_is_stuck(room: FakeChat) -> None:
    ike = room.person(email("i6"))
    reply = ike.says("report summary this quarter")
    assert "Report: ICU, 2026-Q4" in reply.text
    assert "67% of clinicians trained (of 9)" in reply.text
    assert "13 verified, 4 self-reported" in reply.text
    assert "Stuck (three reminders, no progress): Ivan Eight" in reply.text
    assert reply.button("Excel file").command == "report xlsx team:icu"
    refused = ike.says("report summary team:ward")
    assert "ICU" in refused.text and "Report:" not in refused.text
    tam = room.person(email("t1"))  # a team of three: nothing apart
    small = tam.says("report summary")
    assert "(of 0)" in small.text


def test_a_clinician_is_refused_and_bad_words_are_named(room: FakeChat) -> None:
    ida = room.person(email("i1"))
    assert ida.says("report summary").kinds == ["needs_role"]
    assert ida.says("report xlsx").kinds == ["needs_role"]
    wes = room.person(email("w1"))
    bad = wes.says("report summary someday")
    assert bad.kinds == ["reports.bad_period"]
    assert "Try 2026-Q4, 2026-11, November 2026" in bad.text


def test_report_still_answers_with_the_table_and_a_summary_button(room: FakeChat) -> None:
    reply = room.person(email("w1")).says("report")
    assert reply.kinds == ["report"]
    assert reply.button("Report summary").command == "report summary"


# --- the CLI --------------------------------------------------------------------------------------


def test_huddle_report_formats(tmp_path: Path) -> None:
    assert huddle("db", "upgrade", cwd=tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'huddle.db'}")
    fill(engine)
    engine.dispose()
    chat = huddle("report", "--period", "2026-Q4", "--format", "chat", cwd=tmp_path)
    assert chat.returncode == 0, chat.stderr
    assert "70% of clinicians trained (of 20)" in chat.stdout
    out = tmp_path / "q4.xlsx"
    made = huddle(
        "report",
        "--period",
        "2026-Q4",
        "--format",
        "xlsx",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert openpyxl.load_workbook(out)["critical_mass"]["B3"].value == 9
    one = tmp_path / "icu.csv"
    made = huddle(
        "report",
        "--team",
        "icu",
        "--period",
        "2026-Q4",
        "--format",
        "csv",
        "--section",
        "completion_team",
        "--out",
        str(one),
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert one.read_text().splitlines()[1] == "ICU,9,9,13,4"
    # The one-page report and a chart, drawn by adapters from the same report.
    pdf, png, page = tmp_path / "q4.pdf", tmp_path / "q4.png", tmp_path / "q4.html"
    for fmt, path in (("pdf", pdf), ("png", png), ("html", page)):
        made = huddle(
            "report", "--period", "2026-Q4", "--format", fmt, "--out", str(path), cwd=tmp_path
        )
        assert made.returncode == 0, made.stderr
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "70%" in text and "of clinicians trained" in text
    with Image.open(png) as chart:
        assert chart.size == (1200, 675)
    assert "70%" in page.read_text(encoding="utf-8")
    bad = huddle("report", "--format", "pdfx", cwd=tmp_path)
    assert (
        bad.returncode == 2 and "--format is one of chat, xlsx, csv, html, pdf, png" in bad.stderr
    )
    period = huddle("report", "--period", "someday", cwd=tmp_path)
    assert period.returncode == 1 and "someday" in period.stdout
    table = huddle("report", cwd=tmp_path)  # as before: the table of teams
    assert table.returncode == 0 and "Finished a pathway" in table.stdout


def test_a_report_is_built_once_until_something_it_counts_changes(
    room: FakeChat, monkeypatch: pytest.MonkeyPatch, teams: dict[str, int]
) -> None:
    built: list[object] = []
    real = reports.build

    def counted(*args: object, **kwargs: object) -> Report:
        built.append(kwargs.get("team_ids"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(reports, "build", counted)
    wes = room.person(email("w1"))
    first = wes.says("report summary 2026-Q4")
    assert "31 verified, 11 self-reported" in first.text
    wes.clicks("Excel file", first)
    wes.says("report csv 2026-Q4")
    assert len(built) == 1  # the summary, its Excel file and its CSV: one build

    # A new verified completion, committed: the next report counts it.
    with Session(room.bot.engine) as s:
        person = s.exec(select(Person).where(Person.email == email("i9"))).one()
        s.add(
            Completion(
                person_id=person.id or 0,
                course_id="goals-101",
                completed_at=NOW - timedelta(days=1),
                recorded_at=NOW,
                source="import",
                verified=True,
                recorded_by="t",
            )
        )
        s.commit()
    assert "32 verified, 11 self-reported" in wes.says("report summary 2026-Q4").text
    assert len(built) == 2

    # Another replica's change is not seen here: past the content's standings_max_age
    # (60 s in the sample), the report is built again anyway.
    wes.says("report summary 2026-Q4")
    assert len(built) == 2
    room.clock.set(room.clock.now() + timedelta(seconds=61))
    wes.says("report summary 2026-Q4")
    assert len(built) == 3

    # A champion's own team (who is stuck comes from the outbox) is built every time.
    ike = room.person(email("i6"))
    ike.says("report summary this quarter")
    ike.says("report summary this quarter")
    assert len(built) == 5
