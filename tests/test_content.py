"""Content folders: the sample loads, and every kind of mistake is named with file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import content
from bot.privacy import Staff, screen
from bot.templates import TEMPLATES
from tests.conftest import SAMPLE


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(SAMPLE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _errors(folder: Path) -> list[str]:
    return [str(p) for p in content.check(folder) if not p.warning]


def test_the_sample_initiative_is_complete(sample_content: content.Content) -> None:
    c = sample_content
    assert len(c.pathways) >= 3 and 10 <= len(c.courses) <= 16
    assert len({p.level for p in c.pathways.values()}) >= 3
    disciplines = {d for p in c.pathways.values() for d in p.disciplines}
    assert len(disciplines - {"all"}) >= 3
    assert set(c.templates) == set(TEMPLATES)
    assert c.initiative.setup.contact.email
    assert all("REPLACE-ME" in x.url for x in c.courses.values())
    # Placeholder links are warnings, not errors: the sample runs as it is.
    assert content.check(SAMPLE) and not _errors(SAMPLE)


def test_unknown_course_in_a_pathway(folder: Path) -> None:
    path = folder / "pathways.yaml"
    _edit(
        path, "courses: [comm-101, goals-101, pain-101]", "courses: [comm-101, goals-11, pain-101]"
    )
    line = _line_of(path, "goals-11")
    assert _errors(folder) == [
        f"pathways.yaml:{line}: error: pathway 'essentials': unknown course 'goals-11' "
        "(did you mean 'goals-101'?)"
    ]


def test_template_with_an_unknown_field(folder: Path) -> None:
    path = folder / "messages.yaml"
    _edit(path, 'done.recorded: "Recorded: **{title}**', 'done.recorded: "Recorded: **{titel}**')
    line = _line_of(path, "done.recorded:")
    errors = _errors(folder)
    assert len(errors) == 1
    assert errors[0].startswith(
        f"messages.yaml:{line}: error: template 'done.recorded' uses "
        "unknown field {titel} (it takes: {credits}, {title})"
    )


def test_bad_link_duplicate_id_and_bad_minutes(folder: Path) -> None:
    path = folder / "courses.yaml"
    _edit(
        path,
        "url: https://learning.example.org/REPLACE-ME/courses/pain-101",
        "url: learning.example.org/pain",
    )
    _edit(path, "id: dyspnea-101", "id: pain-101")
    _edit(path, "minutes: 90", "minutes: ninety")
    errors = _errors(folder)
    assert any(
        f"courses.yaml:{_line_of(path, 'learning.example.org/pain')}:" in e
        and "not a valid http(s) link" in e
        for e in errors
    )
    assert any("duplicate course id 'pain-101'" in e for e in errors)
    assert any(
        f"courses.yaml:{_line_of(path, 'minutes: ninety')}:" in e
        and "minutes must be a whole number" in e
        for e in errors
    )


def test_missing_template_unknown_key_and_yaml_errors(folder: Path) -> None:
    messages = folder / "messages.yaml"
    _edit(messages, 'thanks: "Any time.', 'thankyou: "Any time.')
    errors = _errors(folder)
    assert any("unknown template 'thankyou' (did you mean 'thanks'?)" in e for e in errors)
    assert any("template 'thanks' is missing" in e for e in errors)
    init = folder / "initiative.yaml"
    _edit(init, "name: Serious Illness Care Skills", "name: [unclosed")
    assert any(e.startswith("initiative.yaml:") and "not valid YAML" in e for e in _errors(folder))


def test_duplicate_yaml_keys_and_unknown_fields_in_a_course(folder: Path) -> None:
    path = folder / "courses.yaml"
    _edit(
        path,
        "    topic: symptom-management\n    minutes: 45",
        "    topic: symptom-management\n    topic: symptom-management\n    mins: 5\n"
        "    minutes: 45",
    )
    errors = _errors(folder)
    assert any("duplicate key 'topic'" in e for e in errors)
    assert any("unknown key 'mins' (did you mean 'minutes'?)" in e for e in errors)


def test_load_refuses_broken_content(folder: Path) -> None:
    _edit(folder / "pathways.yaml", "level: gold", "level: platinum")
    with pytest.raises(content.ContentError) as err:
        content.load(folder)
    assert "unknown level 'platinum'" in str(err.value)


def test_huddle_content_check_command(folder: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot.cli", "content", "check", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK (16 warning(s))" in ok.stdout and "placeholder link" in ok.stdout
    _edit(folder / "pathways.yaml", "comm-101, goals-101", "comm-101, nope-101")
    bad = subprocess.run(
        [sys.executable, "-m", "bot.cli", "content", "check", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "pathways.yaml:" in bad.stdout and "unknown course 'nope-101'" in bad.stdout


def test_another_initiative_is_another_folder(folder: Path, engine, clock) -> None:  # type: ignore[no-untyped-def]
    from bot.core import Bot
    from tests.fakechat import FakeChat

    _edit(
        folder / "initiative.yaml",
        "name: Serious Illness Care Skills",
        "name: Self-Management Support Skills",
    )
    _edit(folder / "messages.yaml", "Hi {name}, I'm Huddle", "Hello {name}, this is Huddle")
    chat = FakeChat(Bot(content.load(folder), engine, clock), clock)
    chat.load_sample_roster()
    reply = chat.person("ana.ruiz@example.org").says("hi")
    assert "Hello Ana, this is Huddle" in reply and "Self-Management Support Skills" in reply


def test_credit_types_name_who_can_claim_them_and_courses_use_only_those(folder: Path) -> None:
    initiative, courses = folder / "initiative.yaml", folder / "courses.yaml"
    _edit(courses, "credits: {CME: 0.75, CNE: 0.75, CE: 0.75}", "credits: {CME: 0.75, CEU: 0.75}")
    _edit(initiative, "  MOC: [physician]", "  MOC: [physicist]")
    course_line = _line_of(courses, "CEU: 0.75")
    moc_line = _line_of(initiative, "MOC: [physicist]")
    assert _errors(folder) == [
        f"initiative.yaml:{moc_line}: error: credit type 'MOC': unknown discipline 'physicist' "
        "(did you mean 'physician'?)",
        f"courses.yaml:{course_line}: error: course 'comm-101': credits: unknown credit type "
        "'CEU' (did you mean 'CE'?) (initiative.yaml credit_types lists who can claim each)",
    ]


def test_a_person_sees_the_credit_types_their_discipline_can_claim(chat) -> None:  # type: ignore[no-untyped-def]
    ana = chat.person("ana.ruiz@example.org")  # a nurse
    ben = chat.person("ben.cho@example.org")  # a physician
    recorded = ana.says("done comm-101")
    assert "(0.75 CNE)" in recorded and "CME" not in recorded and "MOC" not in recorded
    assert "0.75 CNE" in ana.says("progress")
    (credits,) = [ln for ln in ben.says("next").text.splitlines() if " min · " in ln]
    assert "0.75 CME" in credits and "CNE" not in credits and " CE" not in credits, credits
    carla = chat.person("carla.diaz@example.org")  # a social worker
    assert "0.75 CE" in carla.says("next") and "CNE" not in carla.says("next")


def test_contest_settings_are_read_and_checked(folder: Path) -> None:
    settings = content.load(folder).initiative.contests
    assert (settings.minimum_team_size, settings.burst_limit) == (5, 5)
    assert settings.standings_when == "every monday 09:00"
    initiative = folder / "initiative.yaml"
    _edit(initiative, "  minimum_team_size: 5", "  minimum_team_size: 0")
    _edit(initiative, "  standings_when: every monday 09:00", "  standings_when: 2027-01-04 09:00")
    _edit(initiative, '  results_time: "09:00"', '  results_time: "noonish"')
    _edit(initiative, "  chart_bars: 10", "  chart_barz: 10")
    errors = _errors(folder)
    assert errors == [
        f"initiative.yaml:{_line_of(initiative, '  minimum_team_size:')}: error: contests: "
        "'minimum_team_size' must be a whole number 1-1000",
        f"initiative.yaml:{_line_of(initiative, '  standings_when:')}: error: contests: "
        "standings_when '2027-01-04 09:00' is not a repeating time like every monday 09:00",
        f"initiative.yaml:{_line_of(initiative, '  results_time:')}: error: contests: "
        "results_time 'noonish' is not like 09:00",
        f"initiative.yaml:{_line_of(initiative, 'chart_barz')}: error: contests has an unknown "
        "key 'chart_barz' (did you mean 'chart_bars'?)",
    ]


def test_contest_settings_are_optional(folder: Path) -> None:
    initiative = folder / "initiative.yaml"
    text = initiative.read_text()
    initiative.write_text(text[: text.index("# Team contests")])
    assert content.load(folder).initiative.contests == content.ContestSettings()


def test_privacy_yaml_is_checked_with_lines(folder: Path) -> None:
    path = folder / "privacy.yaml"
    _edit(path, "  - zoom.us\n", "  - zoom.us\n  - not a domain\n  - Example.org\n")
    _edit(path, "  - Wellness Room\n", "  - Wellness Room\n  - wellness room\n")
    _edit(
        path,
        '    example: "HX-123456"\n',
        '    example: "HX-123456"\n'
        "  - kind: patient_name\n    pattern: 'x'\n    example: x\n"
        "  - kind: name\n    pattern: '(unclosed'\n    example: x\n"
        "  - kind: name\n    pattern: '\\bZZ\\d+'\n    example: ZZ\n"
        "  - kind: name\n    pattern: 'a*'\n    example: a\n",
    )
    errors = _errors(folder)
    line = _line_of(path, "not a domain")
    assert errors[:2] == [
        f"privacy.yaml:{line}: error: privacy.yaml: 'not a domain' is not a domain name (like"
        " example.org)",
        f"privacy.yaml:{line + 1}: error: privacy.yaml: 'Example.org' is listed twice in 'domains'",
    ]
    assert f"privacy.yaml:{_line_of(path, '- wellness room')}: error" in errors[2]
    assert "unknown kind 'patient_name'" in errors[3]
    assert (
        "not a regular expression" in errors[4] and f":{_line_of(path, '(unclosed')}:" in errors[4]
    )
    assert "does not catch 'ZZ'" in errors[5]
    assert "matches empty text" in errors[6]
    assert len(errors) == 7


def test_privacy_yaml_is_optional_and_feeds_the_screen(folder: Path) -> None:
    rules = content.load(folder).privacy
    assert "example.org" in rules.domains and "Conference Room 3" in rules.places
    staff = Staff(content.load(folder).privacy_known)
    assert screen("Debrief in Conference Room 3 for the family", staff) == []
    assert [f.kind for f in screen("see HX-123456", staff)] == ["record_number"]
    (folder / "privacy.yaml").unlink()
    bare = content.load(folder)
    assert bare.privacy.places == () and bare.privacy_known.rules.domains == ("example.org",)
