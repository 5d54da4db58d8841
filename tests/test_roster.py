"""Roster import: bad rows reported by line, good rows applied, re-import changes nothing."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import Enrolment, Person, PersonRole, Team
from bot.store import person_by_email
from tests.fakechat import FakeChat

ROSTER = """email,name,discipline,team,role,pathway
zoe.fox@example.org,Zoe Fox,RN,Night Float,clinician,essentials
not-an-email,Bad Row,nurse,ICU,,
yan.li@example.org,Yan Li,astronaut,ICU,,
xavi.ros@example.org,Xavi Ros,MD,ICU,champion;senior leader,essentials
zoe.fox@example.org,Zoe Again,nurse,ICU,,
will.ng@example.org,,nurse,ICU,,
vic.oh@example.org,Vic Oh,nurse,ICU,wizard,
uma.pai@example.org,Uma Pai,nurse,ICU,,basketry
tia.qu@example.org,Tia Qu,nurse,,,
"""


def _snapshot(chat: FakeChat) -> tuple[object, ...]:
    with Session(chat.bot.engine) as s:
        people = sorted(
            (p.email, p.name, p.discipline, p.team_id, p.updated_at) for p in s.exec(select(Person))
        )
        roles = sorted((r.person_id, r.role) for r in s.exec(select(PersonRole)))
        enrolments = sorted((e.person_id, e.pathway_id) for e in s.exec(select(Enrolment)))
        teams = sorted(t.key for t in s.exec(select(Team)))
    return people, roles, enrolments, teams


def test_bad_rows_are_reported_by_line_and_good_rows_applied(chat: FakeChat) -> None:
    reply = chat.operator("roster import\n" + ROSTER)
    assert "2 added" in reply and "7 rows with problems" in reply
    for expected in (
        'line 3: "not-an-email" is not an email address',
        'line 4: unknown discipline "astronaut"',
        "line 6: zoe.fox@example.org appears again (first on line 2)",
        "line 7: the name is empty",
        'line 8: unknown role "wizard"',
        'line 9: unknown pathway "basketry"',
        "line 10: the team is empty",
    ):
        assert expected in reply, expected
    assert "New teams created: Night Float" in reply
    with Session(chat.bot.engine) as s:
        zoe = person_by_email(s, "zoe.fox@example.org")
        xavi = person_by_email(s, "xavi.ros@example.org")
        assert zoe.discipline == "nurse" and zoe.name == "Zoe Fox"
        assert xavi.discipline == "physician"
        roles = set(s.exec(select(PersonRole.role).where(PersonRole.person_id == xavi.id)))
        assert roles == {"champion", "senior_leader"}
        assert person_by_email(s, "yan.li@example.org") is None


def test_importing_the_same_file_again_changes_nothing(chat: FakeChat) -> None:
    chat.operator("roster import\n" + ROSTER)
    before = _snapshot(chat)
    chat.clock.advance(hours=1)
    reply = chat.operator("roster import\n" + ROSTER)
    assert "0 added, 0 updated, 2 unchanged" in reply
    assert "Enrolments added: 0; roles added: 0" in reply
    assert _snapshot(chat) == before


def test_a_changed_row_updates_the_person(chat: FakeChat) -> None:
    reply = chat.operator(
        "roster import\nemail,name,discipline,team\n"
        "ana.ruiz@example.org,Ana Ruiz-Soto,nurse,Oncology Clinic\n"
    )
    assert "1 updated" in reply
    with Session(chat.bot.engine) as s:
        ana = person_by_email(s, "ana.ruiz@example.org")
        team = s.get(Team, ana.team_id)
    assert ana.name == "Ana Ruiz-Soto" and team.key == "oncology-clinic"


def test_header_problems_stop_the_import_and_say_why(chat: FakeChat) -> None:
    before = _snapshot(chat)
    reply = chat.operator("roster import\nmail,name,team,favourite colour\nx@y.org,X,ICU,blue\n")
    assert "Missing: email, discipline" in reply and "favourite colour" in reply
    assert "Nothing was imported" in reply
    assert _snapshot(chat) == before
    assert "Paste the roster" in chat.operator("roster import")


def test_header_aliases_and_quoted_cells(chat: FakeChat) -> None:
    reply = chat.operator(
        "roster import\nE-mail,Full name,Profession,Unit\n"
        '"kai.m@example.org","Moana, Kai",LCSW,"ICU"\n'
    )
    assert "1 added" in reply
    with Session(chat.bot.engine) as s:
        kai = person_by_email(s, "kai.m@example.org")
    assert kai.name == "Moana, Kai" and kai.discipline == "social_worker"


def test_long_team_names_that_begin_alike_are_different_teams(chat) -> None:  # type: ignore[no-untyped-def]
    from sqlmodel import Session, select

    from bot.models import Person, Team

    long = "Department of Palliative and Supportive Care Medicine and Family Services"
    rows = "\n".join(f"p{n}@example.org,P {n},nurse,{long} Unit {n}" for n in range(3))
    chat.operator(f"roster import\nemail,name,discipline,team\n{rows}")
    with Session(chat.bot.engine) as s:
        teams = {t.name: t for t in s.exec(select(Team)) if t.name.startswith(long)}
        assert sorted(teams) == [f"{long} Unit {n}" for n in range(3)]
        assert all(len(t.key) <= 64 for t in teams.values())
        assert len({t.key for t in teams.values()}) == 3
        for n in range(3):
            person = s.exec(select(Person).where(Person.email == f"p{n}@example.org")).one()
            assert person.team_id == teams[f"{long} Unit {n}"].id
    # Importing again finds the same teams.
    chat.operator(f"roster import\nemail,name,discipline,team\n{rows}")
    with Session(chat.bot.engine) as s:
        assert len([t for t in s.exec(select(Team)) if t.name.startswith(long)]) == 3


def test_a_username_column_names_people_on_the_learning_site(chat: FakeChat) -> None:
    reply = chat.operator(
        "roster import\n"
        "Email,Name,Discipline,Team,Login\n"
        "zoe.fox@example.org,Zoe Fox,RN,ICU,ZFox\n"
        "yan.li@example.org,Yan Li,RN,ICU,zfox\n"
        "xavi.ros@example.org,Xavi Ros,RN,ICU,x ros\n"
        "will.ng@example.org,Will Ng,RN,ICU,wng\n"
    )
    assert "2 added" in reply, reply
    assert "line 3: zfox appears again (first on line 2)" in reply
    assert 'line 4: "x ros" is not a username' in reply
    with Session(chat.bot.engine) as s:
        zoe = person_by_email(s, "zoe.fox@example.org")
        assert zoe is not None and zoe.username == "zfox"
    # A username someone else has already is refused; the person's own is kept.
    reply = chat.operator(
        "roster import\n"
        "email,name,discipline,team,username\n"
        "zoe.fox@example.org,Zoe Fox,RN,ICU,\n"
        "will.ng@example.org,Will Ng,RN,ICU,zfox\n"
    )
    assert "line 3: the username zfox belongs to zoe.fox@example.org already" in reply, reply
    assert "1 unchanged" in reply and "1 rows with problems" in reply
    with Session(chat.bot.engine) as s:
        will = person_by_email(s, "will.ng@example.org")
        assert will is not None and will.username == "wng"
