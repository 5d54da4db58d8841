"""Comfort surveys, asked: before a pathway, after it (with "looking back"), one tap per
question, Skip, one reminder at most inside allowed hours, changes for a day, and a
person's own answers to see and delete.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC). The first
tick starts the surveys' record: people enrolled before it are not asked "before".
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from bot.messages import Message
from bot.models import AuditEntry, SurveyAnswer, SurveyRequest
from tests.fakechat import FakeChat, Talker
from tests.nudging import (
    ANA,
    CARLA,
    IVY,
    SAM,
    join,
    messages,
    schedule,
    text,
    tick_at,
    times,
    utc,
)

POINTS = [
    "Not at all comfortable",
    "Slightly comfortable",
    "Somewhat comfortable",
    "Very comfortable",
    "Completely comfortable",
]
BEDSIDE = ["pain-101", "dyspnea-101", "nausea-101", "family-201", "lastdays-301"]


def _surveys(chat: FakeChat, email: str) -> list[Message]:
    return [m for m in messages(chat, email) if m.kind == "survey.question"]


def _requests(chat: FakeChat) -> list[SurveyRequest]:
    with Session(chat.bot.engine) as s:
        return list(s.exec(select(SurveyRequest).order_by(col(SurveyRequest.id))))


def _answers(chat: FakeChat, email: str | None = None) -> list[tuple[str, str, int]]:
    with Session(chat.bot.engine) as s:
        query = select(SurveyAnswer).order_by(col(SurveyAnswer.id))
        rows = list(s.exec(query))
        if email is not None:
            from bot.models import Person

            person = s.exec(select(Person).where(Person.email == email)).one()
            rows = [r for r in rows if r.person_id == person.id]
        return [(r.item_id, r.phase, r.value) for r in rows]


def _started(chat: FakeChat) -> None:
    """The first tick: the surveys' record begins (a minute later, enrolments count)."""
    chat.run_scheduler()
    chat.clock.set(chat.clock.now() + timedelta(minutes=1))


def _enrol(chat: FakeChat, email: str, pathway: str) -> None:
    reply = chat.person(SAM).says(f"enrol {email} in {pathway}")
    assert "Enrolled" in reply.text, reply.text


def test_enrolment_asks_the_before_items_one_tap_each_then_thanks(chat: FakeChat) -> None:
    _started(chat)
    ivy = join(chat, IVY)
    ana = join(chat, ANA)
    _enrol(chat, ANA, "bedside-care")
    tick_at(chat, [utc(2026, 11, 23, 15, 5)])

    asked = _surveys(chat, ANA)
    assert len(asked) == 1 and _surveys(chat, IVY) == []  # Ivy's enrolment came before
    first = text(asked[0])
    assert "Before you start Bedside symptom and family care" in first
    assert "3 quick questions" in first
    assert "1 of 3." in first
    assert "assessing and treating pain in a seriously ill patient" in first
    assert [b.label for b in asked[0].buttons] == [*POINTS, "Skip"]

    second = ana.clicks("Somewhat comfortable", on=asked[0])
    assert "2 of 3." in second and "breathlessness" in second
    third = ana.clicks("Very comfortable")
    assert "3 of 3." in third and "family through a patient's last days" in third
    done = ana.clicks("Slightly comfortable")
    assert "Thank you, that's all" in done
    assert _answers(chat, ANA) == [
        ("pain-assessment", "pre", 3),
        ("breathlessness", "pre", 4),
        ("family-last-days", "pre", 2),
    ]
    assert [r.status for r in _requests(chat)] == ["done"]
    del ivy


def test_finishing_asks_after_and_looking_back_for_the_same_items(chat: FakeChat) -> None:
    _started(chat)
    ana = join(chat, ANA)
    _enrol(chat, ANA, "bedside-care")
    tick_at(chat, [utc(2026, 11, 23, 15, 5)])
    reply = ana.clicks("Somewhat comfortable", on=_surveys(chat, ANA)[0])
    reply = ana.clicks("Very comfortable")
    ana.clicks("Slightly comfortable")

    chat.clock.set(utc(2026, 11, 23, 16))
    for course in BEDSIDE:
        assert "Nice work" in ana.says(f"done {course}") or True
    tick_at(chat, [utc(2026, 11, 23, 16, 5)])
    after = _surveys(chat, ANA)[-1]
    shown = text(after)
    assert "Well done on finishing Bedside symptom and family care" in shown
    assert "6 quick questions" in shown and "1 of 6." in shown
    assert "How comfortable are you assessing and treating pain" in shown
    reply = ana.clicks("Completely comfortable", on=after)
    assert "2 of 6." in reply and "Looking back, before the training" in reply
    assert "how comfortable were you assessing and treating pain" in reply
    reply = ana.clicks("Slightly comfortable")
    assert "3 of 6." in reply
    post = [a for a in _answers(chat, ANA) if a[1] != "pre"]
    assert post == [("pain-assessment", "post", 5), ("pain-assessment", "retro", 2)]
    assert [(r.phase, r.items) for r in _requests(chat)] == [
        ("pre", "pain-assessment,breathlessness,family-last-days"),
        ("post", "pain-assessment,breathlessness,family-last-days"),
    ]


def test_skip_is_always_there_and_is_respected(chat: FakeChat) -> None:
    _started(chat)
    carla = join(chat, CARLA)
    _enrol(chat, CARLA, "psychosocial")
    tick_at(chat, [utc(2026, 11, 23, 15, 5)])
    asked = _surveys(chat, CARLA)
    assert "Skip" in [b.label for b in asked[0].buttons]
    second = carla.clicks("Very comfortable", on=asked[0])
    assert "Skip" in [b.label for b in second.buttons]  # on every question
    assert "I won't ask these again" in carla.clicks("Skip")
    assert _requests(chat)[0].status == "skipped"
    # Days later: no reminder, and a late tap on the old message records nothing.
    tick_at(chat, [utc(2026, 11, 27, 15), utc(2026, 12, 1, 15)])
    assert len(_surveys(chat, CARLA)) == 1
    assert "You skipped this survey" in carla.clicks("Somewhat comfortable", on=asked[0]).text
    assert _answers(chat, CARLA) == [("serious-news", "pre", 4)]


def test_an_unanswered_survey_is_reminded_once_inside_allowed_hours(chat: FakeChat) -> None:
    _started(chat)
    join(chat, ANA, "Europe/London")
    chat.clock.set(utc(2026, 11, 25, 15))  # Wednesday, 15:00 in London
    _enrol(chat, ANA, "bedside-care")
    tick_at(chat, [utc(2026, 11, 25, 15, 5)])
    assert times(chat, ANA) == [utc(2026, 11, 25, 15, 5)]
    # Three days later is Saturday, and Ana keeps weekends free: the reminder waits for
    # 08:00 on Monday in London. Then never again, however long it goes unanswered.
    tick_at(
        chat,
        [
            utc(2026, 11, 28, 15, 4),
            utc(2026, 11, 28, 15, 6),
            utc(2026, 11, 30, 7, 59),
            utc(2026, 11, 30, 8),
            utc(2026, 12, 3, 9),
            utc(2026, 12, 10, 9),
        ],
    )
    assert times(chat, ANA) == [utc(2026, 11, 25, 15, 5), utc(2026, 11, 30, 8)]
    reminder = text(_surveys(chat, ANA)[1])
    assert "the only one" in reminder and "1 of 3." in reminder


def test_a_survey_written_at_night_arrives_at_the_end_of_quiet_hours(chat: FakeChat) -> None:
    _started(chat)
    join(chat, ANA)
    chat.clock.set(utc(2026, 11, 24, 4))  # 22:00 on Monday in Chicago
    _enrol(chat, ANA, "bedside-care")
    tick_at(chat, [utc(2026, 11, 24, 4, 1), utc(2026, 11, 24, 13, 59), utc(2026, 11, 24, 14)])
    assert times(chat, ANA) == [utc(2026, 11, 24, 14)]  # 08:00 on Tuesday in Chicago


def test_survey_messages_never_count_towards_the_three_reminder_stop(chat: FakeChat) -> None:
    _started(chat)
    join(chat, ANA)
    schedule(chat, "next-course to team:icu weekdays 09:00")
    _enrol(chat, ANA, "bedside-care")
    mornings = [utc(2026, 11, d, 15) for d in (24, 25, 26, 27, 30)]
    tick_at(chat, [utc(2026, 11, 23, 15, 5), *mornings])
    kinds = [m.kind for m in messages(chat, ANA)]
    assert kinds.count("survey.question") == 2  # asked, and reminded once
    assert kinds.count("nudge.next_course") == 3  # the stop, as with no survey at all


def test_an_answer_can_be_changed_for_a_day_and_then_not(chat: FakeChat) -> None:
    _started(chat)
    ana = join(chat, ANA)
    _enrol(chat, ANA, "bedside-care")
    tick_at(chat, [utc(2026, 11, 23, 15, 5)])
    ana.clicks("Somewhat comfortable", on=_surveys(chat, ANA)[0])

    mine = ana.says("my answers")
    assert "Your comfort-survey answers" in mine and "Only you can see these" in mine
    assert "Somewhat comfortable" in mine and "assessing and treating pain" in mine
    again = ana.clicks("Change 1")
    assert "1 of 3." in again
    assert "Changed to Very comfortable" in ana.clicks("Very comfortable")
    assert _answers(chat, ANA) == [("pain-assessment", "pre", 4)]

    chat.clock.set(utc(2026, 11, 24, 15, 10))  # a day and a few minutes later
    assert "Change 1" not in [b.label for b in ana.says("my answers").buttons]
    late = ana.says(f"survey answer {_requests(chat)[0].id} 0 2")
    assert "can't be changed any more" in late
    assert _answers(chat, ANA) == [("pain-assessment", "pre", 4)]


def test_a_person_sees_and_deletes_only_their_own_answers(chat: FakeChat) -> None:
    _started(chat)
    ana = join(chat, ANA)
    carla = join(chat, CARLA)
    _enrol(chat, ANA, "bedside-care")
    _enrol(chat, CARLA, "psychosocial")
    tick_at(chat, [utc(2026, 11, 23, 15, 5)])
    ana.clicks("Very comfortable", on=_surveys(chat, ANA)[0])
    carla.clicks("Slightly comfortable", on=_surveys(chat, CARLA)[0])
    ana_request = next(r for r in _requests(chat) if r.pathway_id == "bedside-care")

    # Nobody else sees or answers Ana's: not Carla, not the admin.
    assert "Slightly comfortable" not in ana.says("my answers")
    assert "haven't answered any" in chat.person(SAM).says("my answers")
    assert "can't find that survey" in carla.says(f"survey answer {ana_request.id} 1 1")
    assert "can't find that survey" in chat.person(SAM).says(f"survey question {ana_request.id} 0")

    ask = ana.says("delete my answers")
    assert "Delete all 1 of your comfort-survey answers?" in ask
    assert _answers(chat, ANA) == [("pain-assessment", "pre", 4)]  # asked first
    assert "Deleted your 1 answers" in ana.clicks("Yes, delete them")
    assert _answers(chat, ANA) == []
    assert _answers(chat, CARLA) == [("serious-news", "pre", 2)]
    assert "haven't answered any" in ana.says("my answers")
    with Session(chat.bot.engine) as s:
        trail = s.exec(select(AuditEntry).where(AuditEntry.action == "survey.answers_deleted"))
        entries = list(trail)
    assert [(e.actor, e.detail) for e in entries] == [(ANA, '{"answers": 1}')]
    # Her open survey is not asked or reminded again.
    tick_at(chat, [utc(2026, 11, 27, 15)])
    assert len(_surveys(chat, ANA)) == 1


def test_before_is_dropped_once_training_began_and_after_once_a_finish_is_undone(
    chat: FakeChat,
) -> None:
    _started(chat)
    ana: Talker = join(chat, ANA)
    chat.clock.set(utc(2026, 11, 24, 3))  # 21:00 Chicago: the survey waits for morning
    _enrol(chat, ANA, "bedside-care")
    tick_at(chat, [utc(2026, 11, 24, 3, 1)])
    ana.says("done dyspnea-101")  # a course that night, before the morning
    tick_at(chat, [utc(2026, 11, 24, 13, 59), utc(2026, 11, 24, 14)])
    assert _surveys(chat, ANA) == []
    assert [(r.phase, r.status, r.reason) for r in _requests(chat)] == [
        ("pre", "cancelled", "training had begun before it could be asked")
    ]

    chat.clock.set(utc(2026, 11, 25, 3))  # the next night she finishes the pathway...
    for course in BEDSIDE:
        ana.says(f"done {course}")
    tick_at(chat, [utc(2026, 11, 25, 3, 1)])
    assert [(r.phase, r.status) for r in _requests(chat)][1] == ("post", "owed")
    ana.says("undo lastdays-301")  # ...and takes the last one back before morning
    tick_at(chat, [utc(2026, 11, 25, 14)])
    assert _surveys(chat, ANA) == []
    assert [(r.phase, r.status, r.reason) for r in _requests(chat)][1] == (
        "post",
        "cancelled",
        "the pathway is no longer finished",
    )


def test_a_pass_run_twice_owes_and_sends_each_survey_once(chat: FakeChat) -> None:
    _started(chat)
    join(chat, ANA)
    _enrol(chat, ANA, "bedside-care")
    chat.clock.set(utc(2026, 11, 23, 15, 5))
    planner = chat.bot.planner(("fake",))
    chat.bot.tick(planner)
    chat.bot.tick(planner)
    chat.run_scheduler()
    assert len(_surveys(chat, ANA)) == 1
    assert len(_requests(chat)) == 1


def test_timeline_follow_up_weeks_after_finishing(chat: FakeChat) -> None:
    _started(chat)
    ana = join(chat, ANA)
    _enrol(chat, ANA, "bedside-care")
    chat.clock.set(utc(2026, 11, 23, 16))
    for course in BEDSIDE:
        ana.says(f"done {course}")
    tick_at(chat, [utc(2026, 11, 23, 16, 5)])
    weeks = chat.bot.content.surveys.settings.follow_up_weeks
    assert weeks == 12
    finished = utc(2026, 11, 23, 16, 5)
    tick_at(chat, [finished + timedelta(weeks=weeks) - timedelta(minutes=1)])
    assert [r.phase for r in _requests(chat)] == ["pre", "post"]
    tick_at(chat, [finished + timedelta(weeks=weeks, minutes=1)])
    assert [r.phase for r in _requests(chat)] == ["pre", "post", "follow_up"]
    follow = text(_surveys(chat, ANA)[-1])
    assert "A while ago you finished Bedside symptom and family care" in follow
    assert "1 of 3." in follow
