"""What the comfort surveys say: before, looking back and after, per item and topic, with
the paired change and its 95% interval, hand-computed here; teams where fewer than five
answered left out of every figure, the organisation's included; no figure over fewer than
five people; never one person's answers; each role seeing what is theirs; and the CSV."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import commands as c
from bot import survey_results
from bot.content import Content
from bot.messages import Heading, Table
from bot.models import Person, SurveyAnswer, SurveyRequest, Team
from bot.parser import parse
from tests.conftest import SAMPLE
from tests.fakechat import FakeChat, Reply
from tests.nudging import ANA, BEN, FEMI, SAM
from tests.test_cli import huddle

HANA = "hana.ito@example.org"  # senior leader, Oncology Clinic
KIM = "kim.oduya@example.org"  # Home Health champion
JON = "jon.reyes@example.org"
#: People added to the sample roster so that ICU and Home Health each have five answering.
ADDED = (
    ("icu1@example.org", "Icu Nurse", "nurse", "ICU"),
    ("hh1@example.org", "Home Nurse", "nurse", "Home Health"),
    ("hh2@example.org", "Home Aide", "nurse", "Home Health"),
)
#: Who answers: five in ICU, five in Home Health, two in Oncology Clinic (fewer than five:
#: left out of everything). Serious news (communication): before, looking back, after.
SERIOUS_NEWS = {
    "ana.ruiz@example.org": (2, 1, 4),
    "ben.cho@example.org": (3, 2, 4),
    "carla.diaz@example.org": (2, 2, 3),
    "dev.patel@example.org": (1, 1, 3),
    "icu1@example.org": (3, 2, 5),
    "ivy.moss@example.org": (2, 2, 4),
    "jon.reyes@example.org": (4, 3, 4),
    "kim.oduya@example.org": (3, 3, 5),
    "hh1@example.org": (1, 1, 2),
    "hh2@example.org": (2, 1, 3),
    # Oncology Clinic's two would pull every figure the other way if they counted.
    "ella.grant@example.org": (5, 5, 1),
    "gus.lind@example.org": (5, 5, 1),
}
#: Pain assessment (symptom management): before and after, no looking back. Ana's
#: "before" here is replaced by a later one from a second pathway (see PAIN_AGAIN).
PAIN = {
    "ana.ruiz@example.org": (5, 3),
    "ben.cho@example.org": (3, 3),
    "carla.diaz@example.org": (1, 3),
    "dev.patel@example.org": (2, 4),
    "icu1@example.org": (3, 4),
    "ivy.moss@example.org": (2, 2),
    "jon.reyes@example.org": (3, 5),
    "kim.oduya@example.org": (2, 3),
    "hh1@example.org": (1, 2),
    "hh2@example.org": (3, 4),
    "ella.grant@example.org": (5, 1),
    "gus.lind@example.org": (5, 1),
}
#: Ana's later "before" for pain assessment, asked for bedside care: the one that counts.
PAIN_AGAIN = 2
#: Breathlessness (symptom management, bedside care): four people, too few to show by
#: itself, but part of each one's topic mean.
BREATHLESSNESS = {
    "ana.ruiz@example.org": (1, 3),
    "ben.cho@example.org": (2, 2),
    "ivy.moss@example.org": (3, 4),
    "jon.reyes@example.org": (2, 4),
}
#: Serious news again twelve weeks on: ICU's five.
FOLLOW_UP = {
    "ana.ruiz@example.org": 4,
    "ben.cho@example.org": 4,
    "carla.diaz@example.org": 3,
    "dev.patel@example.org": 3,
    "icu1@example.org": 4,
}
START = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


class Answers:
    """Writes answers as the surveys would: a request per person, pathway and phase (the
    looking-back answers belong to the "after" request), then the answers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.at = START

    def add(self, email: str, pathway: str, item: str, phase: str, value: int) -> None:
        self.at += timedelta(minutes=5)
        asked = "post" if phase == "retro" else phase
        with Session(self.engine) as s:
            person = s.exec(select(Person).where(Person.email == email)).one()
            request = s.exec(
                select(SurveyRequest).where(
                    SurveyRequest.person_id == person.id,
                    SurveyRequest.pathway_id == pathway,
                    SurveyRequest.phase == asked,
                )
            ).first()
            if request is None:
                request = SurveyRequest(
                    person_id=person.id or 0,
                    pathway_id=pathway,
                    phase=asked,
                    items=item,
                    status="done",
                    created_at=self.at,
                    asked_at=self.at,
                    finished_at=self.at,
                )
                s.add(request)
                s.flush()
            s.add(
                SurveyAnswer(
                    request_id=request.id or 0,
                    person_id=person.id or 0,
                    pathway_id=pathway,
                    item_id=item,
                    phase=phase,
                    value=value,
                    answered_at=self.at,
                )
            )
            s.commit()


def answer_everything(answers: Answers) -> None:
    for email, (pre, retro, post) in SERIOUS_NEWS.items():
        answers.add(email, "essentials", "serious-news", "pre", pre)
        answers.add(email, "essentials", "serious-news", "post", post)
        answers.add(email, "essentials", "serious-news", "retro", retro)
    for email, (pre, post) in PAIN.items():
        answers.add(email, "essentials", "pain-assessment", "pre", pre)
        answers.add(email, "essentials", "pain-assessment", "post", post)
    for email, (pre, post) in BREATHLESSNESS.items():
        answers.add(email, "bedside-care", "breathlessness", "pre", pre)
        answers.add(email, "bedside-care", "breathlessness", "post", post)
    answers.add(ANA, "bedside-care", "pain-assessment", "pre", PAIN_AGAIN)
    for email, value in FOLLOW_UP.items():
        answers.add(email, "essentials", "serious-news", "follow_up", value)


@pytest.fixture
def answered(chat: FakeChat, engine: Engine) -> FakeChat:
    """The sample roster with three more people, and the answers above."""
    sam = chat.person(SAM)
    for email, name, discipline, team in ADDED:
        assert "Added" in sam.says(f"add {email}, {name}, {discipline}, {team}").text
    answer_everything(Answers(engine))
    return chat


def _tables(reply: Reply) -> dict[str, list[tuple[str, ...]]]:
    """Each topic's table in the answer, by the topic's heading."""
    (message,) = reply.messages
    found: dict[str, list[tuple[str, ...]]] = {}
    heading = ""
    for block in message.blocks:
        if isinstance(block, Heading):
            heading = block.text
        elif isinstance(block, Table):
            assert block.columns[:8] == (
                "Item",
                "n",
                "Before",
                "Looking back",
                "After",
                "Change (95% CI)",
                "Up 1+",
                "Over-rating (95% CI)",
            )
            found[heading] = list(block.rows)
    return found


# --- the figures -------------------------------------------------------------------------------


def test_the_figures_hand_computed(answered: FakeChat, sample_content: Content) -> None:
    with Session(answered.bot.engine) as s:
        found = survey_results.results(s, sample_content)
    assert found.method == "paired t-interval, 95%, scipy.stats"
    # Oncology Clinic's two are left out of everything; ten people in two teams count.
    assert (found.people, found.teams, found.left_out_people, found.left_out_teams) == (
        10,
        2,
        2,
        1,
    )
    assert found.left_out_no_team == 0
    # 10 x 3 serious news + 10 x 2 pain + 4 x 2 breathlessness + 5 follow-ups; Ana's
    # earlier pain "before" is replaced by her later one.
    assert found.answers == 63
    assert [t.topic for t in found.topics] == ["communication", "symptom-management"]
    (news,) = found.topics[0].items
    f = news.figures
    assert f.people == 10
    # Before 23/10, looking back 18/10, after 37/10, follow-up (ICU's five) 18/5.
    assert (f.pre.n, f.pre.value) == (10, pytest.approx(2.3))
    assert (f.retro.n, f.retro.value) == (10, pytest.approx(1.8))
    assert (f.post.n, f.post.value) == (10, pytest.approx(3.7))
    assert (f.follow_up.n, f.follow_up.value) == (5, pytest.approx(3.6))
    # After minus before: 2,1,1,2,2, 2,0,2,1,1: mean 1.4, sd sqrt(4.4/9) = 0.69921,
    # standard error 0.221108; t(0.975, 9) = 2.262157, so 1.4 ± 0.500182.
    assert f.change.n == 10
    assert f.change.mean == pytest.approx(1.4)
    assert f.change.low == pytest.approx(0.899818, abs=1e-6)
    assert f.change.high == pytest.approx(1.900182, abs=1e-6)
    # After minus looking back: 3,2,1,2,3, 2,1,2,1,2: mean 1.9.
    assert (f.change_retro.n, f.change_retro.mean) == (10, pytest.approx(1.9))
    # Up one point or more: all but Jon.
    assert (f.up_one.n, f.up_one.count, f.up_one.share) == (10, 9, pytest.approx(0.9))
    # Before minus looking back: 1,1,0,0,1, 0,1,0,0,1: mean 0.5, sd sqrt(2.5/9), so
    # 0.5 ± 2.262157 x 0.166667 = 0.5 ± 0.377026.
    assert f.gap.mean == pytest.approx(0.5)
    assert (f.gap.low, f.gap.high) == (
        pytest.approx(0.122974, abs=1e-6),
        pytest.approx(0.877026, abs=1e-6),
    )

    symptoms = found.topics[1]
    pain, breath = symptoms.items
    assert (pain.item.id, breath.item.id) == ("pain-assessment", "breathlessness")
    # Pain, before 22/10 (Ana's later 2, not her earlier 5), after 33/10; no looking back.
    assert (pain.figures.pre.value, pain.figures.post.value) == (
        pytest.approx(2.2),
        pytest.approx(3.3),
    )
    assert pain.figures.retro == survey_results.Mean(0)
    assert pain.figures.gap == survey_results.Change(0)
    # After minus before 1,0,2,2,1, 0,2,1,1,1: 1.1; eight rose a point or more.
    assert pain.figures.change.mean == pytest.approx(1.1)
    assert (pain.figures.up_one.count, pain.figures.up_one.share) == (8, pytest.approx(0.8))
    # Breathlessness: four people, so no figure is given, only how many.
    assert breath.figures.people == 4
    assert breath.figures.pre == survey_results.Mean(4)
    assert breath.figures.change == survey_results.Change(4)
    assert breath.figures.up_one == survey_results.Share(4)
    # The topic: each person's mean over its items first. Ana (2+1)/2 = 1.5 before and
    # (3+3)/2 = 3 after, Ben 2.5 and 2.5, Ivy 2.5 and 3, Jon 2.5 and 4.5, the others their
    # pain answers: before 21/10, after 33/10, change 12/10; up 1+ all but Ben and Ivy.
    t = symptoms.figures
    assert t.people == 10
    assert (t.pre.value, t.post.value, t.change.mean) == (
        pytest.approx(2.1),
        pytest.approx(3.3),
        pytest.approx(1.2),
    )
    assert (t.up_one.count, t.up_one.share) == (8, pytest.approx(0.8))


def test_one_team_alone(answered: FakeChat, sample_content: Content) -> None:
    with Session(answered.bot.engine) as s:
        icu = s.exec(select(Team).where(Team.key == "icu")).one()
        found = survey_results.results(s, sample_content, team_ids=[icu.id or 0])
        oncology = s.exec(select(Team).where(Team.key == "oncology-clinic")).one()
        small = survey_results.results(s, sample_content, team_ids=[oncology.id or 0])
    (news,) = found.topics[0].items
    # ICU: before 11/5, after 19/5, change 2,1,1,2,2: 1.6 ± 2.776445 x sqrt(0.3/5).
    assert (found.people, news.figures.pre.value, news.figures.post.value) == (
        5,
        pytest.approx(2.2),
        pytest.approx(3.8),
    )
    assert (news.figures.change.low, news.figures.change.high) == (
        pytest.approx(0.919913, abs=1e-6),
        pytest.approx(2.280087, abs=1e-6),
    )
    # Oncology Clinic by itself: two people, nothing at all.
    assert small.empty and (small.left_out_people, small.left_out_teams) == (2, 1)


def test_the_answer_as_an_admin_and_a_senior_leader_see_it(answered: FakeChat) -> None:
    reply = answered.person(SAM).says("survey results")
    assert reply.kinds == ["survey_results"]
    assert "association, not proof" in reply.text and "People rate themselves" in reply.text
    assert "paired t-interval, 95%, scipy.stats" in reply.text
    assert "The whole organisation: 10 people in 2 teams, 63 answers." in reply.text
    assert _tables(reply) == {
        "Serious-illness communication": [
            (
                "Sharing serious news with a patient",
                "10",
                "2.3",
                "1.8",
                "3.7",
                "+1.4 (+0.9 to +1.9)",
                "90%",
                "+0.5 (+0.1 to +0.9)",
                "3.6",
            ),
            (
                "The topic, per person",
                "10",
                "2.3",
                "1.8",
                "3.7",
                "+1.4 (+0.9 to +1.9)",
                "90%",
                "+0.5 (+0.1 to +0.9)",
                "3.6",
            ),
        ],
        # Pain: after minus before 1,0,2,2,1, 0,2,1,1,1: 1.1, sd sqrt(4.9/9) = 0.737865,
        # so 1.1 ± 2.262157 x 0.233333 = 1.1 ± 0.527837. The topic: 1.5,0,0.5,2, 2,2,1,1,
        # 1,1: 1.2, sd sqrt(4.1/9) = 0.674949, so 1.2 ± 0.482829.
        "Symptom management": [
            (
                "Assessing and treating pain in a…",
                "10",
                "2.2",
                "–",
                "3.3",
                "+1.1 (+0.6 to +1.6)",
                "80%",
                "–",
                "–",
            ),
            ("Managing breathlessness near the…", "4", "–", "–", "–", "–", "–", "–", "–"),
            (
                "The topic, per person",
                "10",
                "2.1",
                "–",
                "3.3",
                "+1.2 (+0.7 to +1.7)",
                "80%",
                "–",
                "–",
            ),
        ],
    }
    assert "After minus looking back, over the topic: +1.9" in reply.text
    assert "1 of them, 2 people" in reply.text  # Oncology Clinic, left out of everything
    # A senior leader sees the same; "comfort results" and "survey report" are the same.
    for who, words in ((HANA, "survey results"), (SAM, "comfort results"), (SAM, "survey report")):
        assert _tables(answered.person(who).says(words)) == _tables(reply)


def test_a_champion_sees_their_own_team_only(answered: FakeChat) -> None:
    ben = answered.person(BEN)
    reply = ben.says("survey results")
    news = _tables(reply)["Serious-illness communication"]
    # ICU's five: gap 1,1,0,0,1: 0.6 ± 2.776445 x sqrt(0.3/5) = 0.6 ± 0.680087.
    assert news[0] == (
        "Sharing serious news with a patient",
        "5",
        "2.2",
        "1.6",
        "3.8",
        "+1.6 (+0.9 to +2.3)",
        "100%",
        "+0.6 (-0.1 to +1.3)",
        "3.6",
    )
    assert "ICU: 5 people, 34 answers." in reply.text
    # ICU's people only: five, and two for breathlessness (Ana, Ben).
    assert {row[1] for rows in _tables(reply).values() for row in rows} == {"5", "2"}
    assert "The whole organisation" not in reply.text and "Oncology" not in reply.text
    assert _tables(ben.says("survey results team:icu")) == _tables(reply)
    other = ben.says("survey results team:home-health")
    assert other.kinds == ["champion.own_team_only"]
    # Oncology Clinic's champion: two answered, so nothing, not even to them.
    femi = answered.person(FEMI).says("survey results")
    assert femi.kinds == ["survey_results.too_few"]
    assert "fewer than 5 people have answered" in femi.text and "5.0" not in femi.text


def test_a_clinician_is_refused(answered: FakeChat) -> None:
    reply = answered.person(ANA).says("survey results")
    assert reply.kinds == ["needs_role"] and "That needs the champion role" in reply.text


def test_no_one_can_have_one_persons_answers(answered: FakeChat) -> None:
    sam = answered.person(SAM)
    # Not by naming them ...
    for words in ("survey results ana.ruiz@example.org", "survey results me"):
        reply = sam.says(words)
        assert reply.kinds == ["survey_results.no_person"], reply.text
        assert "never one person's" in reply.text
    # ... nor by asking for a team where fewer than five answered ...
    reply = sam.says("survey results team:oncology-clinic")
    assert reply.kinds == ["survey_results.too_few"]
    assert not any(v in reply.text for v in ("5.0", "1.0", "-4.0"))
    # ... nor by narrowing to a discipline or a pathway until only a few are left: every
    # team where fewer than five are left is out.
    for words in ("survey results discipline:pharmacist", "survey results pathway:bedside-care"):
        reply = sam.says(words)
        assert reply.kinds == ["survey_results.all_small"], (words, reply.text)
    # ... nor by the operator at the server.
    assert answered.operator("survey results dev.patel@example.org").kinds == [
        "survey_results.no_person"
    ]
    # The nurses of ICU and Home Health are five: shown together, never alone.
    nurses = sam.says("survey results discipline:nurse")
    assert nurses.kinds == ["survey_results.all_small"]


def test_deleting_ones_answers_changes_the_results(answered: FakeChat) -> None:
    before = _tables(answered.person(SAM).says("survey results"))
    # Jon deletes his own answers, as anyone can.
    assert "Deleted your" in answered.person(JON).says("delete my answers confirmed")
    reply = answered.person(SAM).says("survey results")
    after = _tables(reply)
    assert after != before
    # Home Health has four left: out of everything, so the organisation is ICU's five.
    assert after["Serious-illness communication"][0][:6] == (
        "Sharing serious news with a patient",
        "5",
        "2.2",
        "1.6",
        "3.8",
        "+1.6 (+0.9 to +2.3)",
    )
    assert "2 of them, 6 people" in reply.text
    assert answered.person(KIM).says("survey results").kinds == ["survey_results.too_few"]


def test_narrowing_to_a_topic_and_topics_by_name(answered: FakeChat) -> None:
    sam = answered.person(SAM)
    by_id = sam.says("survey results topic:symptom-management")
    assert list(_tables(by_id)) == ["Symptom management"]
    assert "topic Symptom management" in by_id.text
    assert _tables(sam.says('survey results topic:"symptom management"')) == _tables(by_id)
    unknown = sam.says("survey results topic:knitting")
    assert unknown.kinds == ["survey_results.unknown_topic"] and "communication" in unknown.text
    pathway = sam.says("survey results pathway:essentials")
    assert pathway.kinds == ["survey_results"] and "pathway Essentials" in pathway.text


def test_people_with_no_team_are_one_group_under_the_same_rule(
    answered: FakeChat, engine: Engine, sample_content: Content
) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with Session(engine) as s:
        for n in range(2):
            s.add(
                Person(
                    email=f"floater{n}@example.org",
                    name=f"Floater {n}",
                    discipline="nurse",
                    created_at=now,
                    updated_at=now,
                )
            )
        s.commit()
    answers = Answers(engine)
    for n in range(2):
        answers.add(f"floater{n}@example.org", "essentials", "serious-news", "pre", 5)
    with Session(engine) as s:
        found = survey_results.results(s, sample_content)
    assert (found.people, found.left_out_people, found.left_out_no_team) == (10, 4, 2)
    assert found.topics[0].items[0].figures.pre.value == pytest.approx(2.3)
    reply = answered.person(SAM).says("survey results")
    assert "people with no team (fewer than 5 of them answered: 2)" in reply.text


def test_nothing_answered_yet(chat: FakeChat) -> None:
    reply = chat.person(SAM).says("survey results")
    assert reply.kinds == ["survey_results.none"] and "No comfort survey answers yet" in reply.text


def test_the_words_that_ask_for_it() -> None:
    assert parse("survey results") == c.ShowSurveyResults()
    assert parse("comfort results team:icu") == c.ShowSurveyResults(text="team:icu")
    assert parse("survey report topic:communication") == c.ShowSurveyResults(
        text="topic:communication"
    )
    assert c.ShowSurveyResults.needs == "reporter"
    assert c.ShowSurveyResults.read_only and c.ShowSurveyResults.slow


def test_csv_rows_are_numbers(answered: FakeChat, sample_content: Content) -> None:
    with Session(answered.bot.engine) as s:
        rows = survey_results.csv_rows(survey_results.results(s, sample_content))
    header, *body = rows
    assert header == list(survey_results.CSV_COLUMNS)
    assert [(r[0], r[1], r[2]) for r in body] == [
        ("item", "communication", "serious-news"),
        ("topic", "communication", ""),
        ("item", "symptom-management", "pain-assessment"),
        ("item", "symptom-management", "breathlessness"),
        ("topic", "symptom-management", ""),
    ]
    news = dict(zip(header, body[0], strict=True))
    assert news["people"] == 10 and news["change_mean"] == pytest.approx(1.4)
    assert news["change_ci_low"] == pytest.approx(0.899818, abs=1e-6)
    breath = dict(zip(header, body[3], strict=True))
    assert breath["pre_n"] == 4 and breath["pre_mean"] == "" and breath["change_mean"] == ""


# --- the server's command ----------------------------------------------------------------------


def test_huddle_survey_results_as_text_and_csv(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        (SAMPLE / "sample-roster.csv").read_text()
        + "".join(f"{e},{n},{d},{t},clinician,essentials\n" for e, n, d, t in ADDED)
    )
    for args in (("db", "upgrade"), ("roster", "import", str(roster))):
        result = huddle(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    from bot.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'huddle.db'}")
    answer_everything(Answers(engine))
    engine.dispose()

    shown = huddle("survey", "results", cwd=tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Comfort before and after training" in shown.stdout
    assert "+1.4 (+0.9 to +1.9)" in shown.stdout

    out = tmp_path / "comfort.csv"
    written = huddle("survey", "results", "--format", "csv", "--out", str(out), cwd=tmp_path)
    assert written.returncode == 0, written.stdout + written.stderr
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    news = rows[0]
    assert (news["level"], news["item"], news["people"]) == ("item", "serious-news", "10")
    assert float(news["change_mean"]) == pytest.approx(1.4)
    assert float(news["change_ci_low"]) == pytest.approx(0.899818, abs=1e-6)
    assert float(news["change_ci_high"]) == pytest.approx(1.900182, abs=1e-6)
    assert rows[3]["item"] == "breathlessness" and rows[3]["pre_mean"] == ""

    # To the standard output, the notes to the standard error; one team by its key.
    piped = huddle("survey", "results", "--format", "csv", "--team", "icu", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    first = next(csv.DictReader(piped.stdout.splitlines()))
    assert (first["people"], first["pre_mean"]) == ("5", "2.2")
    assert "paired t-interval" in piped.stderr
    small = huddle("survey", "results", "--team", "oncology-clinic", cwd=tmp_path)
    assert small.returncode == 1 and "fewer than 5 people have answered" in small.stdout
