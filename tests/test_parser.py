"""The parser: phrasings people really type, and fuzzing that it never raises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import commands as c
from bot.parser import parse, suggest
from tests.fakechat import FakeChat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what's my next course", c.NextCourse()),
        ("What’s my next course?", c.NextCourse()),
        ("what should I take next", c.NextCourse()),
        ("next", c.NextCourse()),
        ("Next course?", c.NextCourse()),
        ("progress", c.ShowProgress()),
        ("how am I doing?", c.ShowProgress()),
        ("menu", c.ListPathways()),
        ("pathways all", c.ListPathways(everything=True)),
        ("join Bedside care", c.Join(pathway="Bedside care")),
        ("done pain basics", c.Done(course="pain basics")),
        ("I finished Goals of care", c.Done(course="Goals of care")),
        ("mark pain-101 as complete", c.Done(course="pain-101")),
        ("done", c.Done(course="")),
        ("setup", c.ShowSetup()),
        ("I’ve created my account", c.ConfirmAccount()),
        ("pause until Dec 1", c.Pause(until="Dec 1")),
        ("pause for 2 weeks", c.Pause(until="for 2 weeks")),
        ("resume", c.Resume()),
        ("timezone America/Chicago", c.SetTimezone(zone="America/Chicago")),
        ("quiet hours 20:00-08:00", c.SetQuietHours(hours="20:00-08:00")),
        ("celebrate me: no", c.SetCelebrate(answer="no")),
        ("settings", c.ShowSettings()),
        ("about", c.About()),
        ("help", c.Help()),
        ("/huddle help admin", c.Help(topic="admin")),
        (
            "enrol team:ICU in essentials due 2027-03-01",
            c.Enrol(scope="team:ICU", pathway="essentials", due="2027-03-01"),
        ),
        ("grant a@b.org senior leader", c.Grant(email="a@b.org", role="senior leader")),
        ("revoke a@b.org champion role", c.Revoke(email="a@b.org", role="champion")),
        ("team add Oncology Clinic", c.AddTeam(name="Oncology Clinic")),
        ("report team:icu", c.Report(scope="team:icu")),
        ("audit 5", c.ShowAudit(limit=5)),
    ],
)
def test_phrasings(text: str, expected: c.Command) -> None:
    assert parse(text) == expected


def test_the_roster_body_follows_the_command_line() -> None:
    assert parse("roster import\nemail,name\na@b.org,A") == c.ImportRoster(
        csv_text="email,name\na@b.org,A"
    )


def test_close_words_get_a_suggestion() -> None:
    # The grammar leaves words it does not take as they are (the intent matcher reads
    # them next); the close command word is found when an answer needs one.
    assert parse("progres") == c.Unknown(text="progres")
    assert suggest("progres") == "progress"
    assert suggest("settigns") == "settings"
    assert suggest("xyzzy") == ""


@given(st.text(max_size=300))
@settings(max_examples=1500, deadline=None)
def test_parse_never_raises(text: str) -> None:
    assert isinstance(parse(text), c.Command)


@given(
    st.one_of(
        st.text(max_size=200),
        st.sampled_from(
            [
                "next",
                "done",
                "join",
                "pause until",
                "timezone",
                "quiet hours",
                "celebrate me",
                "enrol",
                "grant",
                "record",
                "report",
                "roster import",
            ]
        ).flatmap(lambda w: st.text(max_size=60).map(lambda rest: f"{w} {rest}")),
    )
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_text_gets_an_answer_never_an_exception(chat: FakeChat, text: str) -> None:
    for email in ("ana.ruiz@example.org", "sam.okafor@example.org"):
        reply = chat.person(email).says(text)
        assert reply.messages, text
        assert "something went wrong" not in reply, text
