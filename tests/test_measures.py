"""The organisation's measures: declared in content, imported (pasted, as a file in chat,
from the server) with every bad row named, refused whole when a file looks like rows
about patients, and shown beside the share of each team trained, month by month, with
small groups merged into "Other" or left out, and each role seeing what is theirs."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import content
from bot.measures import read_number, read_period
from bot.messages import Attachment, Heading, Table
from bot.models import AuditEntry, ImportRun, OrganisationMeasure, Team
from bot.privacy import identifier_columns
from tests.conftest import SAMPLE
from tests.fakechat import FakeChat, Reply
from tests.nudging import ANA, BEN, FEMI, SAM
from tests.test_cli import huddle

HANA = "hana.ito@example.org"  # senior leader, Oncology Clinic
HEADER = "period,team,measure,value,n,source"


def _figures(engine: Engine) -> set[tuple[str, str, str, float, int, str]]:
    """Every stored figure: (month, team name or "organisation", measure, value, n, source)."""
    with Session(engine) as s:
        names = {t.id: t.name for t in s.exec(select(Team))}
        return {
            (
                r.period.isoformat(),
                names[r.team_id] if r.team_id is not None else "organisation",
                r.measure_id,
                r.value,
                r.n,
                r.source,
            )
            for r in s.exec(select(OrganisationMeasure))
        }


def _refused_rows(chat: FakeChat, reply: Reply) -> list[list[str]]:
    """The error file attached to an import's summary, as CSV rows."""
    (attachment,) = [b for m in reply.messages for b in m.blocks if isinstance(b, Attachment)]
    stored = chat.bot.stored_file(attachment.file_id)
    assert stored is not None
    return list(csv.reader(io.StringIO(stored[2].decode("utf-8"))))


# --- content ---------------------------------------------------------------------------------


def test_the_sample_declares_the_measures_the_issue_names(
    sample_content: content.Content,
) -> None:
    measures = sample_content.measures
    assert list(measures) == [
        "hcahps-medicines",
        "goc-documentation",
        "hospice-referral",
        "icu-palliative-consult",
    ]
    assert measures["hcahps-medicines"].percent and measures["hcahps-medicines"].topics
    assert measures["hospice-referral"].unit == "per 100 eligible discharges"
    assert all(m.direction == "higher" for m in measures.values())
    assert sample_content.initiative.defaults.minimum_group == 5


def test_content_check_names_every_mistake_in_measures_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE, folder)
    (folder / "measures.yaml").write_text(
        "measures:\n"
        "  - id: goc\n"  # 2
        "    name: Goals of care\n"
        "    unit: '%'\n"
        "    direction: up\n"  # 5
        "    topics: [goals-of-care, goal-of-care]\n"  # 6
        "  - id: goc\n"  # 7
        "    name: goals  of  CARE\n"  # 8
        "    unit: '%'\n"
        "    direction: lower\n"
        "    topics: []\n"  # 11
        "    colour: red\n"  # 12
        "  - name: Hospice\n"  # 13
        "    unit: per 100\n"
        "    direction: higher\n"
        "    topics: [care-transitions]\n"
    )
    errors = [str(p) for p in content.check(folder) if not p.warning]
    assert errors == [
        "measures.yaml:5: error: measure 'goc': direction 'up' must be higher or lower "
        "(which is better)",
        "measures.yaml:6: error: measure 'goc': unknown topic 'goal-of-care' "
        "(did you mean 'goals-of-care'?)",
        "measures.yaml:7: error: duplicate measure id 'goc'",
        "measures.yaml:8: error: measure 'goc': measure 'goc' has the name 'goals  of  CARE'",
        "measures.yaml:11: error: measure 'goc': list at least one topic it relates to",
        "measures.yaml:12: error: measure has an unknown key 'colour'",
        "measures.yaml:13: error: measure is missing 'id'",
    ]
    with pytest.raises(content.ContentError):
        content.load(folder)


def test_measures_yaml_and_minimum_group_are_optional_and_checked(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    shutil.copytree(SAMPLE, folder)
    (folder / "measures.yaml").unlink()
    assert content.load(folder).measures == {}
    initiative = folder / "initiative.yaml"
    initiative.write_text(initiative.read_text().replace("minimum_group: 5", "minimum_group: 1"))
    errors = [str(p) for p in content.check(folder) if not p.warning]
    assert len(errors) == 1 and "defaults: minimum_group must be a whole number 2-100" in errors[0]


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-10", date(2026, 10, 1)),
        ("2026/10", date(2026, 10, 1)),
        ("2026-10-01", date(2026, 10, 1)),
        ("2026-10-31", date(2026, 10, 1)),
        ("2026-10-01 00:00:00", date(2026, 10, 1)),  # an XLSX date cell
        ("10/2026", date(2026, 10, 1)),
        ("Oct 2026", date(2026, 10, 1)),
        ("October 2026", date(2026, 10, 1)),
        ("oct-26", date(2026, 10, 1)),
        ("Sept. 2026", date(2026, 9, 1)),
        ("2026 Oct", date(2026, 10, 1)),
        ("2026-13", None),
        ("2026-02-30", None),
        ("Octember 2026", None),
        ("10/05/2026", None),  # a day: which order? never guessed at
        ("1999-12", None),
        ("soon", None),
    ],
)
def test_months_are_read_in_the_ways_reports_write_them(text: str, month: date | None) -> None:
    assert read_period(text) == month


def test_numbers_are_read_as_reports_write_them() -> None:
    assert [read_number(t) for t in ("68.2", "1,204", "-3", ".5", "1,2", "nan", "inf", "")] == [
        68.2,
        1204.0,
        -3.0,
        0.5,
        None,
        None,
        None,
        None,
    ]


def test_patient_looking_columns_are_recognised_and_ours_are_not() -> None:
    found = identifier_columns(
        [
            "MRN",
            "Patient Name",
            "D.O.B.",
            "Date of birth",
            "First name",
            "Address",
            "Phone",
            "Age",
            "Encounter_ID",
            "Patient",
            "Insurance ID",
            "ZIP",
            "Bed",
            "SSN",
            "Email",
        ]
    )
    assert found == [
        ("MRN", "record_number"),
        ("Patient Name", "name"),
        ("D.O.B.", "date"),
        ("Date of birth", "date"),
        ("First name", "name"),
        ("Address", "address"),
        ("Phone", "phone"),
        ("Age", "age"),
        ("Encounter_ID", "record_number"),
        ("Patient", "patient"),
        ("Insurance ID", "plan_number"),
        ("ZIP", "zip"),
        ("Bed", "room"),
        ("SSN", "ssn"),
        ("Email", "email"),
    ]
    ours = ["period", "team name", "measure name", "value", "patients", "patient count", "source"]
    assert identifier_columns([*ours, "Bed days", "average age", "notes"], ours) == []


# --- importing -------------------------------------------------------------------------------

BAD_ROWS = [
    ",ICU,goc-documentation,50,40,EHR",
    "Octember 2026,ICU,goc-documentation,50,40,EHR",
    "2027-01,ICU,goc-documentation,50,40,EHR",
    "2026-10,Nowhere,goc-documentation,50,40,EHR",
    "2026-10,ICU,,50,40,EHR",
    "2026-10,ICU,mortality,50,40,EHR",
    "2026-10,ICU,goc-documentation,,40,EHR",
    "2026-10,ICU,goc-documentation,fifty,40,EHR",
    "2026-10,ICU,goc-documentation,150,40,EHR",
    "2026-10,ICU,goc-documentation,50,,EHR",
    "2026-10,ICU,goc-documentation,50,4.5,EHR",
    "2026-10,ICU,goc-documentation,50,40," + "x" * 201,
    "2026-10,ICU,goc-documentation,50,40,Chart review of Gloria Petrakis MRN 4471203",
    "2026-10,ICU,goc-documentation,50,40,EHR,extra",
]
GOOD_ROWS = [
    "2026-10,ICU,Goals-of-care documentation,55,44,EHR report",  # the measure by its name
    "2026-10,,hospice-referral,12.5,220,Case management",  # a blank team: the organisation
]
DUPLICATE = "Oct 2026,icu,goc-documentation,56,44,EHR report"  # the same key as line 16


def test_every_bad_row_is_refused_with_its_line_and_reason_and_good_rows_applied(
    chat: FakeChat, engine: Engine
) -> None:
    sam = chat.person(SAM)
    reply = sam.says("measures import\n" + "\n".join([HEADER, *BAD_ROWS, *GOOD_ROWS, DUPLICATE]))
    assert reply.kinds == ["measures.partial"]
    assert "17 rows. 2 new figures, 0 updated, 0 unchanged. 15 rows were refused" in reply.text
    assert "import errors 1" in reply.text
    rows = _refused_rows(chat, reply)
    assert rows[0] == ["line", "row", "reason"]
    assert [(line, reason) for line, _, reason in rows[1:]] == [
        ("2", "no month given"),
        ("3", '"Octember 2026" is not a month (write 2026-10, Oct 2026 or 2026-10-01)'),
        ("4", "2027-01 is still to come"),
        ("5", 'no team is called "Nowhere" (use a team\'s key or name, or organisation)'),
        ("6", "no measure given"),
        (
            "7",
            'no measure is called "mortality" (measures: hcahps-medicines, goc-documentation, '
            "hospice-referral, icu-palliative-consult)",
        ),
        ("8", "no value given"),
        ("9", '"fifty" is not a number'),
        ("10", "150 is not a percentage from 0 to 100"),
        ("11", "no n given (how many patients or responses are behind the value)"),
        ("12", '"4.5" is not a number of patients or responses (a whole number from 1)'),
        ("13", "the source is longer than 200 characters"),
        (
            "14",
            "the source looks like it holds a patient detail (“Gloria Petrakis”, “MRN 4471203”)",
        ),
        ("15", "7 cells where the header has 6"),
        ("18", "the same month, team and measure as line 16"),
    ]
    assert rows[1][1] == ",ICU,goc-documentation,50,40,EHR"
    assert _figures(engine) == {
        ("2026-10-01", "ICU", "goc-documentation", 55.0, 44, "EHR report"),
        ("2026-10-01", "organisation", "hospice-referral", 12.5, 220, "Case management"),
    }
    with Session(engine) as s:
        run = s.exec(select(ImportRun)).one()
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "measures.import")).one()
    assert (run.what, run.rows, run.added, run.refused) == ("measures", 17, 2, 15)
    assert audit.actor == SAM and '"refused": 15' in audit.detail
    again = sam.says("import errors 1")
    assert "The refused rows of import 1" in again.text
    assert _refused_rows(chat, again) == rows


def test_a_reimport_changes_nothing_and_a_corrected_value_is_updated(
    chat: FakeChat, engine: Engine
) -> None:
    sam = chat.person(SAM)
    rows = [
        "2026-09,organisation,hcahps-medicines,60,400,HCAHPS",
        "2026-10,organisation,hcahps-medicines,62.5,410,HCAHPS",
        "2026-10,ICU,goc-documentation,55,44,EHR report",
    ]
    paste = "measures import\n" + "\n".join([HEADER, *rows])
    first = sam.says(paste)
    assert first.kinds == ["measures.summary"]
    assert "3 rows. 3 new figures, 0 updated, 0 unchanged, 0 refused" in first.text
    stored = _figures(engine)
    again = sam.says(paste)
    assert "3 rows. 0 new figures, 0 updated, 3 unchanged, 0 refused" in again.text
    assert _figures(engine) == stored
    with Session(engine) as s:
        before = {r.id: r.imported_at for r in s.exec(select(OrganisationMeasure))}
    chat.clock.advance(days=1)
    corrected = paste.replace("62.5,410", "63.1,412")
    reply = sam.says(corrected)
    assert "3 rows. 0 new figures, 1 updated, 2 unchanged, 0 refused" in reply.text
    assert ("2026-10-01", "organisation", "hcahps-medicines", 63.1, 412, "HCAHPS") in (
        _figures(engine)
    )
    assert len(_figures(engine)) == 3
    with Session(engine) as s:
        after = {r.id: (r.imported_at, r.value) for r in s.exec(select(OrganisationMeasure))}
    changed = [i for i, (at, _) in after.items() if at != before[i]]
    assert len(changed) == 1 and after[changed[0]][1] == 63.1


def test_a_file_with_patient_looking_columns_is_refused_whole_and_nothing_stored(
    chat: FakeChat, engine: Engine, tmp_path: Path
) -> None:
    sam = chat.person(SAM)
    path = tmp_path / "icu-october.csv"
    path.write_text(
        "period,team,measure,value,n,MRN,Patient name,DOB,source\n"
        "2026-10,ICU,goc-documentation,1,1,4471203,Gloria Petrakis,1941-02-03,EHR\n"
    )
    reply = sam.sends_file(path)
    assert "Importing the measures in icu-october.csv" in reply.text
    assert reply.kinds[-1] == "measures.patient_columns"
    assert (
        "icu-october.csv looks like it holds rows about patients, so I haven't read it: "
        "the column “MRN” (a record, account or encounter number); the column “Patient name” "
        "(a person's name); the column “DOB” (a date of birth or a date of a patient's care)"
    ) in reply.text
    assert "Nothing was imported" in reply.text
    assert "Gloria" not in reply.text and "4471203" not in reply.text
    assert _figures(engine) == set()
    with Session(engine) as s:
        assert s.exec(select(ImportRun)).all() == []
        (audit,) = s.exec(select(AuditEntry).where(AuditEntry.action == "measures.refused"))
    assert audit.actor == SAM and audit.target == "icu-october.csv"
    assert "measures.patient_columns" in audit.detail and "Gloria" not in audit.detail
    # Pasted, a single identifying column is enough, wherever it stands.
    pasted = sam.says("measures import\nFirst Name,period,measure,value,n\nAna,2026-10,x,1,1")
    assert "the column “First Name” (a person's name)" in pasted.text
    # A list of patients, in no layout of ours, is named for what it is too.
    listing = sam.says("measures import\nMRN,Patient,Goals documented\n4471203,G. P.,yes")
    assert listing.kinds == ["measures.patient_columns"]
    assert "the column “MRN”" in listing.text and "the column “Patient”" in listing.text
    assert _figures(engine) == set()


def test_a_file_that_is_not_a_measures_file_or_misses_a_column_is_refused(
    chat: FakeChat,
) -> None:
    sam = chat.person(SAM)
    assert sam.says("measures import").kinds == ["measures.usage"]
    missing = sam.says("measures import\nperiod,measure,value\n2026-10,x,1")
    assert missing.kinds == ["measures.missing_columns"]
    assert "has no n column" in missing.text
    other = sam.says("measures import\nwhatever,else\n1,2")
    assert other.kinds == ["measures.no_header"]


def _write_csv(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str) -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def test_files_in_chat_csv_in_any_encoding_and_separator_and_xlsx(
    chat: FakeChat, engine: Engine, tmp_path: Path
) -> None:
    sam = chat.person(SAM)
    header = ["Period", "Team", "Measure", "Value", "N", "Source"]
    utf16 = _write_csv(
        tmp_path / "utf16.csv",
        [
            ["Monthly quality report", "", "", "", "", ""],
            ["", "", "", "", "", ""],
            header,
            ["2026-09", "ICU", "goc-documentation", "50.0%", "40", "EHR report"],
        ],
        encoding="utf-16",
        delimiter="\t",
    )
    cp1252 = _write_csv(
        tmp_path / "windows.csv",
        [
            ["Reporting period", "Unit", "Metric", "Rate", "Patients", "Data source"],
            ["Sep 2026", "Oncology Clinic", "hospice-referral", "12,5", "1,204", "Qualité"],
            ["Sep 2026", "Oncology Clinic", "hospice-referral", "12.5", "1,204", "Qualité"],
        ],
        encoding="cp1252",
        delimiter=";",
    )
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Organisation measures, September"])
    sheet.append(header)
    sheet.append([datetime(2026, 9, 1), "organisation", "hcahps-medicines", 61.5, 420, "HCAHPS"])
    sheet.append([datetime(2026, 9, 1), "Home Health", "goc-documentation", 45, 12.0, None])
    xlsx = tmp_path / "measures.xlsx"
    book.save(xlsx)

    first = sam.sends_file(utf16)
    assert "Importing the measures in utf16.csv" in first.text
    assert "1 rows. 1 new figures" in first.text
    second = sam.sends_file(cp1252)
    assert "2 rows. 1 new figures, 0 updated, 0 unchanged. 1 rows were refused" in second.text
    assert _refused_rows(chat, second)[1][2] == '"12,5" is not a number'
    third = sam.sends_file(xlsx)
    assert "2 rows. 2 new figures, 0 updated, 0 unchanged, 0 refused" in third.text
    assert _figures(engine) == {
        ("2026-09-01", "ICU", "goc-documentation", 50.0, 40, "EHR report"),
        ("2026-09-01", "Oncology Clinic", "hospice-referral", 12.5, 1204, "Qualité"),
        ("2026-09-01", "organisation", "hcahps-medicines", 61.5, 420, "HCAHPS"),
        ("2026-09-01", "Home Health", "goc-documentation", 45.0, 12, ""),
    }
    # The same workbook again changes nothing.
    assert "0 new figures, 0 updated, 2 unchanged" in sam.sends_file(xlsx).text


def test_only_an_admin_imports_measures(chat: FakeChat, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(HEADER + "\n2026-10,ICU,goc-documentation,55,44,EHR\n")
    ben = chat.person(BEN).sends_file(path)
    assert ben.kinds == ["needs_role"] and "That needs the admin role" in ben.text
    ana = chat.person(ANA).sends_file(path)
    assert "That needs the champion role" in ana.text
    assert "needs the admin role" in chat.person(BEN).says("measures import\n" + HEADER).text
    assert _figures(engine) == set()
    with Session(engine) as s:
        assert s.exec(select(ImportRun)).all() == []


def test_the_database_keeps_one_figure_per_month_scope_and_measure(engine: Engine) -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)

    def figure(team_id: int | None, value: float, scope_id: int | None = None) -> Any:
        return OrganisationMeasure(
            period=date(2026, 10, 1),
            team_id=team_id,
            scope_id=team_id or 0 if scope_id is None else scope_id,
            measure_id="goc-documentation",
            value=value,
            n=10,
            imported_at=now,
        )

    with Session(engine) as s:
        team = Team(key="icu", name="ICU", created_at=now)
        s.add(team)
        s.commit()
        team_id = team.id
        s.add(figure(None, 1.0))
        s.add(figure(team_id, 2.0))
        s.commit()
    for team_id_, scope in ((None, None), (team_id, None), (None, team_id), (team_id, 0)):
        with Session(engine) as s:
            s.add(figure(team_id_, 3.0, scope))
            with pytest.raises(IntegrityError):
                s.commit()
    with Session(engine) as s:
        assert len(s.exec(select(OrganisationMeasure)).all()) == 2


# --- the view --------------------------------------------------------------------------------

COMPLETIONS = [
    # Ben (ICU) is trained on 25 September, Ana (ICU) on 5 October, Jon (Home Health) on
    # 20 October, Ella (Oncology Clinic) on 10 November; Carla (ICU) is half-way.
    ("ben.cho@example.org", "comm-101", "2026-09-05"),
    ("ben.cho@example.org", "goals-101", "2026-09-12"),
    ("ben.cho@example.org", "pain-101", "2026-09-25"),
    ("ana.ruiz@example.org", "comm-101", "2026-09-10"),
    ("ana.ruiz@example.org", "goals-101", "2026-09-20"),
    ("ana.ruiz@example.org", "pain-101", "2026-10-05"),
    ("carla.diaz@example.org", "comm-101", "2026-10-01"),
    ("carla.diaz@example.org", "goals-101", "2026-10-02"),
    ("jon.reyes@example.org", "comm-101", "2026-10-01"),
    ("jon.reyes@example.org", "goals-101", "2026-10-10"),
    ("jon.reyes@example.org", "pain-101", "2026-10-20"),
    ("ella.grant@example.org", "comm-101", "2026-11-01"),
    ("ella.grant@example.org", "goals-101", "2026-11-05"),
    ("ella.grant@example.org", "pain-101", "2026-11-10"),
]
FIGURES = [
    "2026-09,organisation,hcahps-medicines,60,400,HCAHPS",
    "2026-10,organisation,hcahps-medicines,62.5,410,HCAHPS",
    "2026-11,organisation,hcahps-medicines,64,380,HCAHPS",
    "2026-09,ICU,goc-documentation,50,40,EHR report",
    "2026-10,ICU,goc-documentation,55,44,EHR report",
    "2026-11,ICU,goc-documentation,61.5,52,EHR report",
    "2026-10,Oncology Clinic,goc-documentation,70,20,EHR report",
    "2026-10,Home Health,goc-documentation,40,10,EHR report",
    "2026-11,Home Health,goc-documentation,45,12,EHR report",
    "2026-10,ICU,icu-palliative-consult,75,4,EHR report",
]


@pytest.fixture
def measured(chat: FakeChat) -> FakeChat:
    """The sample roster with ICU grown to six people (Oncology Clinic has four, Home
    Health three, Clinical Education one: 14 in all), the completions above, and the
    figures above."""
    sam = chat.person(SAM)
    for n in (1, 2):
        assert "Added" in sam.says(f"add icu{n}@example.org, Icu Nurse {n}, nurse, ICU").text
    rows = "\n".join(",".join(r) for r in COMPLETIONS)
    done = chat.operator("completions import\nemail,course,completed_at\n" + rows)
    assert "14 new completions" in done.text, done.text
    imported = sam.says("measures import\n" + "\n".join([HEADER, *FIGURES]))
    assert "10 new figures" in imported.text, imported.text
    return chat


def _tables(reply: Reply) -> dict[str, list[tuple[str, ...]]]:
    """Each measure's table in the answer, by the measure's heading."""
    (message,) = reply.messages
    found: dict[str, list[tuple[str, ...]]] = {}
    heading = ""
    for block in message.blocks:
        if isinstance(block, Heading):
            heading = block.text
        elif isinstance(block, Table):
            assert block.columns == ("Team", "Month", "Value", "n", "Trained", "People")
            found[heading] = list(block.rows)
    return found


def test_measures_beside_training_hand_computed(measured: FakeChat) -> None:
    reply = measured.person(SAM).says("measures")
    assert reply.kinds == ["measures"]
    assert "These figures show association, not proof of effect." in reply.text
    assert _tables(reply) == {
        # 14 people; trained by the month's end: Ben (Sep), + Ana and Jon (Oct), + Ella (Nov).
        "HCAHPS: communication about medicines": [
            ("Organisation", "Sep 2026", "60.0%", "400", "7%", "14"),
            ("Organisation", "Oct 2026", "62.5%", "410", "21%", "14"),
            ("Organisation", "Nov 2026", "64.0%", "380", "29%", "14"),
        ],
        # ICU: 6 people, Ben by September, Ana by October. Oncology Clinic (4) and Home
        # Health (3) are under 5: October's figures together as Other, weighted by n:
        # (70 x 20 + 40 x 10) / 30 = 60.0, with Jon trained of their 7 people. November's
        # Home Health figure alone is 3 people: not shown.
        "Goals-of-care documentation": [
            ("ICU", "Sep 2026", "50.0%", "40", "17%", "6"),
            ("ICU", "Oct 2026", "55.0%", "44", "33%", "6"),
            ("ICU", "Nov 2026", "61.5%", "52", "33%", "6"),
            ("Other (small teams)", "Oct 2026", "60.0%", "30", "14%", "7"),
        ],
        # Four deaths: the value is not shown, its n is.
        "ICU deaths with a palliative consult": [
            ("ICU", "Oct 2026", "–", "4", "33%", "6"),
        ],
    }
    assert "Other: 2 teams of fewer than 5 people, together." in reply.text
    assert "Not shown: 1 monthly figures of teams of fewer than 5 people" in reply.text
    assert "No figures yet: Hospice referral rate." in reply.text
    assert "Sources: EHR report." in reply.text
    # A senior leader sees the same; one measure, by id or by name, alone.
    assert _tables(measured.person(HANA).says("measures")) == _tables(reply)
    one = measured.person(SAM).says("measures goc-documentation")
    assert list(_tables(one)) == ["Goals-of-care documentation"]
    assert list(_tables(measured.person(SAM).says("measures hcahps"))) == [
        "HCAHPS: communication about medicines"
    ]
    assert measured.person(SAM).says("measures mortality").kinds == ["measures.unknown"]


def test_a_champion_sees_their_own_team_only_and_a_clinician_is_refused(
    measured: FakeChat,
) -> None:
    ben = measured.person(BEN)
    reply = ben.says("measures")
    assert _tables(reply) == {
        "Goals-of-care documentation": [
            ("ICU", "Sep 2026", "50.0%", "40", "17%", "6"),
            ("ICU", "Oct 2026", "55.0%", "44", "33%", "6"),
            ("ICU", "Nov 2026", "61.5%", "52", "33%", "6"),
        ],
        "ICU deaths with a palliative consult": [("ICU", "Oct 2026", "–", "4", "33%", "6")],
    }
    # Neither the organisation's figures nor other teams', alone or together.
    assert not any(v in reply.text for v in ("62.5%", "60.0%", "Oncology", "Home Health"))
    assert _tables(ben.says("measures team:icu")) == _tables(reply)
    other_team = ben.says("measures team:oncology-clinic")
    assert "own team" in other_team.text and other_team.kinds == ["champion.own_team_only"]
    # Femi's Oncology Clinic has four people: never shown by itself, even to its champion.
    femi = measured.person(FEMI).says("measures")
    assert femi.kinds == ["measures.small_team"]
    assert "Oncology Clinic has fewer than 5 people" in femi.text and "70.0" not in femi.text
    # An admin asking for a small team by name is told the same.
    assert measured.person(SAM).says("measures team:home-health").kinds == ["measures.small_team"]
    assert "That needs the champion role" in measured.person(ANA).says("measures").text


def test_nothing_imported_yet_says_how(chat: FakeChat) -> None:
    reply = chat.person(SAM).says("measures")
    assert reply.kinds == ["measures.nothing"] and "measures import" in reply.text


# --- the server's commands ---------------------------------------------------------------------


def test_huddle_measures_import_and_show(tmp_path: Path) -> None:
    for args in (("db", "upgrade"), ("roster", "import", str(SAMPLE / "sample-roster.csv"))):
        result = huddle(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    good = tmp_path / "september.csv"
    good.write_text(HEADER + "\n2025-09,organisation,hcahps-medicines,60,400,HCAHPS\n")
    result = huddle("measures", "import", str(good), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 new figures, 0 updated, 0 unchanged, 0 refused" in result.stdout
    assert not (tmp_path / "september-refused-rows.csv").exists()

    mixed = tmp_path / "october.csv"
    mixed.write_text(
        HEADER + "\n2025-10,organisation,hcahps-medicines,62,410,HCAHPS\n"
        "2025-10,organisation,hcahps-medicines,x,410,HCAHPS\n"
    )
    result = huddle("measures", "import", str(mixed), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "october-refused-rows.csv" in result.stdout
    with (tmp_path / "october-refused-rows.csv").open(newline="") as f:
        assert list(csv.reader(f)) == [
            ["line", "row", "reason"],
            ["3", "2025-10,organisation,hcahps-medicines,x,410,HCAHPS", '"x" is not a number'],
        ]
    result = huddle("measures", "import", str(mixed), "--errors", "again.csv", cwd=tmp_path)
    assert result.returncode == 1 and "0 new figures, 0 updated, 1 unchanged" in result.stdout
    assert (tmp_path / "again.csv").exists()

    patients = tmp_path / "patients.csv"
    patients.write_text("period,measure,value,n,Patient name\n2025-10,x,1,1,Gloria Petrakis\n")
    for args, expected in (
        ((str(patients),), "looks like it holds rows about patients"),
        (("nope.csv",), "No file nope.csv"),
        ((str(SAMPLE / "sample-roster.csv"),), "isn't a measures file I can read"),
    ):
        result = huddle("measures", "import", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert expected in result.stdout + result.stderr, args

    shown = huddle("measures", "show", "hcahps", cwd=tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "association, not proof of effect" in shown.stdout
    assert "Organisation  Sep 2025  60.0%  400  0%       12" in shown.stdout
    assert "Organisation  Oct 2025  62.0%  410  0%       12" in shown.stdout
