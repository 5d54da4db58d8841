"""Contests through the fake chat, from the first command to the winners' prize.

Teams of 4, 8 and 40 compete per enrolled member (the 4 are shown, not ranked); equal
scores share a place; what would move a team is said; weekly standings reach each team
channel with a chart marking the team's own bar, and the final results celebrate the
winners once. Individual rankings show only those who opted in, under their handles;
verified-only contests count self-reports once verified; a burst of self-reports is held
until the champion verifies it; a champion's proposals are approved and declined, and
the proposer is told. Nobody who has not started is named anywhere but to their champion.
"""

from __future__ import annotations

from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from bot import contests, ledger
from bot.db import make_engine
from bot.messages import Chart, Message
from bot.models import Completion, Contest, Person, Schedule
from tests.conftest import postgres_engine
from tests.fakechat import FakeChat
from tests.nudging import SAM, audit_actions, link_channel, messages, text, tick_at, utc

#: Three teams: 4 (too small to rank), 8 and 40, everyone enrolled in essentials.
SIZES = {"Hospice": 4, "ICU North": 8, "Medicine": 40}


def email(team: str, n: int) -> str:
    return f"{team.lower().replace(' ', '')}{n:02d}@example.org"


def _roster(chat: FakeChat) -> None:
    rows = ["email,name,discipline,team,role,pathway"]
    for team, size in SIZES.items():
        for n in range(size):
            role = "champion" if n == 0 else "clinician"
            rows.append(f"{email(team, n)},{team} Person {n:02d},nurse,{team},{role},essentials")
    reply = chat.operator("roster import\n" + "\n".join(rows))
    assert "52 added" in reply.text, reply.text


def _done(chat: FakeChat, team: str, people: range, course: str = "comm-101") -> None:
    for n in people:
        reply = chat.person(email(team, n)).says(f"done {course}")
        assert "Recorded" in reply.text, reply.text


def _standings(chat: FakeChat, contest_id: int) -> contests.Standings:
    with Session(chat.bot.engine) as s:
        contest = s.get(Contest, contest_id)
        assert contest is not None
        return contests.standings(s, chat.bot.content, contest)


def _charts(message: Message) -> list[Chart]:
    return [b for b in message.blocks if isinstance(b, Chart)]


def _new(chat: FakeChat, words: str) -> int:
    reply = chat.person(SAM).says(f"contest new {words}")
    assert reply.text.startswith("Contest #"), reply.text
    return int(reply.text.split("#", 1)[1].split(" ", 1)[0])


def test_a_contest_from_creation_to_its_winners(chat: FakeChat) -> None:
    _roster(chat)
    for team in SIZES:
        link_channel(chat, team.lower().replace(" ", "-"), team)
    contest = _new(
        chat,
        '"Winter sprint" teams hospice, icu north, medicine metric active '
        "from today to dec 13 prize a team breakfast!",
    )
    assert ("cli:tester", "contest.create") not in [(a, b) for a, b, _ in audit_actions(chat)]
    assert ("sam.okafor@example.org", "contest.create") in [
        (a, b) for a, b, _ in audit_actions(chat)
    ]
    # Everyone in Hospice, half of ICU North and half of Medicine complete a course.
    _done(chat, "Hospice", range(4))
    _done(chat, "ICU North", range(4))
    _done(chat, "Medicine", range(20))

    found = _standings(chat, contest)
    by_name = {t.name: t for t in found.teams}
    assert (by_name["Medicine"].done, by_name["Medicine"].out_of) == (20, 40)
    assert (by_name["ICU North"].done, by_name["ICU North"].out_of) == (4, 8)
    # A tie is a tie: both first. The team of 4 has the best share but is too small to rank.
    assert by_name["Medicine"].rank == by_name["ICU North"].rank == 1
    assert by_name["Hospice"].rank is None and by_name["Hospice"].value == 1.0

    medicine = chat.person(email("Medicine", 7)).says("leaderboard")
    assert "Medicine is in place 1 of 2 with 50%" in medicine.text, medicine.text
    assert "1 more person with a completion would put Medicine in first place" in medicine.text
    icu = chat.person(email("ICU North", 5)).says("leaderboard")
    assert "ICU North is in place 1 of 2 with 50%" in icu.text
    assert "1 more person with a completion would put ICU North in first place" in icu.text
    hospice = chat.person(email("Hospice", 2)).says("/huddle leaderboard")
    assert "Hospice has 100%, and is shown but not ranked: it has 4 enrolled members" in (
        hospice.text
    )
    assert "teams need at least 5 to be ranked" in hospice.text

    # The weekly standings, Monday 09:00 in Chicago, in each team's channel, with a chart.
    tick_at(chat, [utc(2026, 11, 30, 15, 5)])
    for team in SIZES:
        channel = "C-" + team.lower().replace(" ", "-")
        (post,) = [m for m in messages(chat, channel) if m.kind == "standings"]
        (chart,) = _charts(post)
        # Bars for the ranked teams, and the channel's own team marked (the small team's
        # own bar too, in its own channel).
        assert [b.label for b in chart.bars if b.highlighted] == [team]
        assert {b.label for b in chart.bars} == {"Medicine", "ICU North"} | {team}
        shown = text(post)
        assert "Winter sprint" in shown and "a team breakfast!" in shown
        assert "Shown but not ranked (fewer than 5 enrolled members): Hospice" in shown

    # One more in Medicine: Medicine leads alone.
    _done(chat, "Medicine", range(20, 21))
    lead = chat.person(email("Medicine", 3)).says("leaderboard")
    assert "Medicine is in place 1 of 2 with 52%" in lead.text
    assert "Medicine is leading" in lead.text
    second = chat.person(email("ICU North", 3)).says("leaderboard")
    assert "ICU North is in place 2 of 2 with 50%" in second.text
    assert "1 more person with a completion would put ICU North in first place" in second.text

    # The day after it ends, at 09:00: the final results, once, winners and prize.
    tick_at(chat, [utc(2026, 12, 14, 15, 5), utc(2026, 12, 14, 15, 30)])
    for team in SIZES:
        channel = "C-" + team.lower().replace(" ", "-")
        finals = [m for m in messages(chat, channel) if m.kind == "standings.final"]
        assert len(finals) == 1, (team, [m.kind for m in messages(chat, channel)])
        shown = text(finals[0])
        assert "Congratulations, Medicine! First place with 52%" in shown
        assert "Your prize: a team breakfast!" in shown
        if team == "ICU North":
            assert "Thank you, ICU North: you finished with 50%" in shown
    with Session(chat.bot.engine) as s:
        row = s.get(Contest, contest)
        assert row is not None and row.status == "finished" and row.finished_at is not None
        weekly = s.get(Schedule, row.weekly_schedule_id)
        assert weekly is not None and weekly.status == "done"
    # No standings after the end.
    tick_at(chat, [utc(2026, 12, 21, 15, 5)])
    assert [m.kind for m in messages(chat, "C-medicine")].count("standings") == 1

    # Nobody who had not started is named in any channel.
    posted = " ".join(text(m) for ch in chat.delivered for m in messages(chat, ch) if "C-" in ch)
    for n in range(21, 40):
        assert f"Medicine Person {n:02d}" not in posted


def test_who_has_not_started_is_said_to_their_champion_only_and_only_privately(
    chat: FakeChat,
) -> None:
    _roster(chat)
    contest = _new(chat, "Sprint teams icu north, medicine to dec 13")
    _done(chat, "ICU North", range(1, 6))
    champion = chat.person(email("ICU North", 0))
    private = champion.says("leaderboard")
    assert "Just for you, as champion: 3 enrolled in your team have nothing counted" in (
        private.text
    )
    for n in (0, 6, 7):
        assert f"ICU North Person {n:02d}" in private.text
    # Asked in a channel (a thread others can read): no names.
    in_channel = champion.says("leaderboard", in_channel=True, conversation_id="C-icu-north")
    assert "ICU North Person 06" not in in_channel.text
    assert "Ask me in a direct message" in in_channel.text
    # A clinician asking sees the team's standing, never names.
    clinician = chat.person(email("ICU North", 3)).says(f"leaderboard {contest}")
    assert "Person 06" not in clinician.text and "ICU North is in place" in clinician.text


def test_individual_rankings_show_only_those_who_opted_in_under_their_handles(
    chat: FakeChat,
) -> None:
    _roster(chat)
    contest = _new(chat, "Marathon teams icu north, medicine metric steps to dec 13")
    reply = chat.person(email("Medicine", 1)).says(f"contest join {contest} as Night Owl")
    assert "You're in the individual rankings" in reply.text and "Night Owl" in reply.text
    assert "aren't turned on for this contest yet" in reply.text
    assert "Individual rankings are on" in chat.person(SAM).says(f"contest rankings on {contest}")
    chat.person(email("Medicine", 2)).says(f"contest join {contest}")
    chat.person(email("Medicine", 3)).says(f"contest join {contest} as Quiet One")
    taken = chat.person(email("Medicine", 4)).says(f"contest join {contest} as night owl")
    assert "already goes by" in taken.text
    _done(chat, "Medicine", range(1, 3), "comm-101")
    _done(chat, "Medicine", range(1, 2), "goals-101")
    _done(chat, "Medicine", range(4, 6), "comm-101")  # not opted in

    board = chat.person(email("Medicine", 9)).says("leaderboard").text
    assert "Individual rankings (people who opted in)" in board
    assert "Night Owl" in board and "Medicine Person 02" in board
    assert "Medicine Person 01" not in board  # under the handle, not the name
    assert "Quiet One" not in board  # opted in, but no progress: not listed
    assert "Medicine Person 04" not in board and "Medicine Person 05" not in board
    found = _standings(chat, contest)
    assert [(e.shown_as, e.value, e.rank) for e in found.entrants] == [
        ("Night Owl", 2, 1),
        ("Medicine Person 02", 1, 2),
    ]
    assert "You've left" in chat.person(email("Medicine", 1)).says(f"contest leave {contest}")
    assert "Night Owl" not in chat.person(email("Medicine", 9)).says("leaderboard").text
    # Someone whose team is not taking part cannot opt in.
    assert "isn't taking part" in chat.person(email("Hospice", 1)).says(f"contest join {contest}")


def test_a_verified_only_contest_counts_self_reports_once_they_are_verified(
    chat: FakeChat,
) -> None:
    _roster(chat)
    contest = _new(chat, "Checked teams icu north, medicine to dec 13 verified only")
    _done(chat, "ICU North", range(1, 5))
    found = _standings(chat, contest)
    assert found.of(_team_id(chat, "ICU North")).done == 0  # type: ignore[union-attr]
    board = chat.person(email("ICU North", 1)).says("leaderboard").text
    assert "verified completions only" in board and "ICU North is in place 1 of 2 with 0%" in board
    champion = chat.person(email("ICU North", 0))
    listing = champion.says("verify")
    assert "4" in listing.text
    assert "Verified 4" in champion.clicks("Verify these 4").text
    found = _standings(chat, contest)
    assert found.of(_team_id(chat, "ICU North")).done == 4  # type: ignore[union-attr]
    assert "ICU North is in place 1 of 2 with 50%" in (
        chat.person(email("ICU North", 1)).says("leaderboard").text
    )


def _team_id(chat: FakeChat, name: str) -> int:
    with Session(chat.bot.engine) as s:
        person = s.exec(select(Person).where(Person.email == email(name, 0))).one()
        assert person.team_id is not None
        return person.team_id


def test_a_burst_of_self_reports_is_held_until_the_champion_verifies_it(chat: FakeChat) -> None:
    _roster(chat)
    contest = _new(chat, "Steps teams icu north, medicine metric steps to dec 13")
    sam = chat.person(SAM)
    enrolled = sam.says(f"enrol {email('ICU North', 2)} in bedside-care")
    assert "Enrolled 1" in enrolled.text, enrolled.text
    talker = chat.person(email("ICU North", 2))
    courses = ["comm-101", "goals-101", "pain-101", "dyspnea-101", "nausea-101"]
    for course in courses:  # five in the hour: the limit, all counted
        reply = talker.says(f"done {course}")
        assert "Recorded" in reply.text and "wait for your champion" not in reply.text
    chat.clock.advance(minutes=20)
    for course in ("family-201", "lastdays-301"):  # the sixth and seventh: held
        reply = talker.says(f"done {course}")
        assert "Recorded" in reply.text
        assert "more than 5 courses in the last hour" in reply.text, reply.text
    with Session(chat.bot.engine) as s:
        held = s.exec(select(Completion.course_id).where(Completion.held)).all()
    assert sorted(held) == ["family-201", "lastdays-301"]
    icu = _team_id(chat, "ICU North")
    # Steps of essentials (3) and bedside-care (5, pain-101 in both): 6 counted, 2 held.
    mine = _standings(chat, contest).of(icu)
    assert mine is not None and (mine.done, mine.out_of) == (6, 8 * 3 + 5)
    # The champion sees them among the self-reports to verify, and verifies them.
    champion = chat.person(email("ICU North", 0))
    listing = champion.says("verify")
    assert "2 of these were reported in a burst" in listing.text
    assert "Verified 7" in champion.clicks("Verify these 7").text
    mine = _standings(chat, contest).of(icu)
    assert mine is not None and mine.done == 8
    # An hour later the limit starts again.
    chat.clock.advance(hours=1, minutes=1)
    reply = talker.says("done spiritual-201")
    assert "Recorded" in reply.text and "wait for your champion" not in reply.text


def test_a_champions_proposal_is_approved_and_another_declined(chat: FakeChat) -> None:
    _roster(chat)
    sam = chat.person(SAM)
    sam.says("hello")  # the admin has talked to Huddle: it can write to them
    champion = chat.person(email("ICU North", 0))
    champion.says("hello")
    proposed = champion.says(
        "contest propose Beat Medicine against medicine metric credits to dec 20 prize cake"
    )
    assert "Proposed contest #1: Beat Medicine. Teams: ICU North, Medicine" in proposed.text
    assert "asked the admins" in proposed.text
    # A clinician cannot propose, nor an ordinary champion approve.
    assert "champion role" in chat.person(email("ICU North", 3)).says(
        "contest propose X against medicine to dec 20"
    )
    assert "admin role" in champion.says("contest approve 1")
    chat.run_scheduler()
    (ask,) = [m for m in messages(chat, SAM) if "proposes contest #1" in text(m)]
    assert "ICU North Person 00 (ICU North) proposes contest #1: Beat Medicine" in text(ask)
    approved = sam.clicks("Approve", on=ask)
    assert "Approved contest #1: Beat Medicine" in approved.text
    chat.run_scheduler()
    told = [text(m) for m in messages(chat, email("ICU North", 0))]
    assert any("Your contest #1, Beat Medicine, is approved" in t for t in told), told
    assert "Running" in champion.says("contests").text or "running" in champion.says("contests")
    again = sam.says("contest approve 1")
    assert "not waiting for a decision" in again.text

    second = champion.says("contest propose Rematch against medicine to dec 27")
    assert "Proposed contest #2" in second.text
    declined = sam.says("contest decline 2 clashes with the audit week")
    assert "Declined contest #2: Rematch" in declined.text
    chat.run_scheduler()
    told = [text(m) for m in messages(chat, email("ICU North", 0))]
    assert any(
        "Your proposed contest #2, Rematch, was declined by an admin: clashes with the audit week"
        in t
        for t in told
    ), told
    # A champion may withdraw their own proposal, not an approved contest.
    third = champion.says("contest propose Third against medicine to dec 27")
    assert "Proposed contest #3" in third.text
    assert "Cancelled contest #3" in champion.says("contest cancel 3")
    assert "Only an admin can cancel contest #1" in champion.says("contest cancel 1")
    actions = [(actor, action) for actor, action, _ in audit_actions(chat)]
    for expected in (
        (email("ICU North", 0), "contest.propose"),
        ("sam.okafor@example.org", "contest.approve"),
        ("sam.okafor@example.org", "contest.decline"),
        (email("ICU North", 0), "contest.cancel"),
    ):
        assert expected in actions, (expected, actions)


def test_names_and_prizes_are_screened_and_roles_are_checked(chat: FakeChat) -> None:
    _roster(chat)
    sam = chat.person(SAM)
    blocked = sam.says("contest new Sprint for MRN 48392017 teams icu north, medicine to dec 13")
    assert "record" in blocked.text.lower() and "Contest #" not in blocked.text
    blocked = sam.says(
        "contest new Sprint teams icu north, medicine to dec 13 prize lunch with pt Jane Doe"
    )
    assert "Contest #" not in blocked.text
    with Session(chat.bot.engine) as s:
        assert s.exec(select(Contest)).all() == []
    assert "admin role" in chat.person(email("Medicine", 3)).says(
        "contest new Sprint teams icu north, medicine to dec 13"
    )
    assert "admin role" in chat.person(email("Medicine", 3)).says("contest new")
    # Mistakes are named, and nothing is made.
    assert "When does it end?" in sam.says("contest new Sprint teams icu north, medicine")
    assert "at least two teams" in sam.says("contest new Sprint teams medicine to dec 13")
    assert "I don't know the metric" in sam.says("contest new Sprint metric speed to dec 13")
    assert "has passed" in sam.says("contest new Sprint from 2026-11-01 to dec 13")
    assert "There's no contest #9" in sam.says("contest show 9")


def test_the_form_and_the_one_line_command_take_one_road(chat: FakeChat) -> None:
    _roster(chat)
    reply = chat.person(SAM).says("contest new")
    (form,) = [b for m in reply.messages for b in m.blocks if hasattr(b, "fill")]
    words = form.fill(  # type: ignore[attr-defined]
        {
            "name": "Form sprint",
            "teams": "",
            "metric": "level",
            "start": "dec 1",
            "end": "dec 28",
            "counting": "verified only",
            "prize": "a trophy",
        }
    )
    made = chat.person(SAM).says(words)
    assert "Contest #1 is on: Form sprint. Teams: every team." in made.text, made.text
    assert "share of members reaching Bronze, Essentials" in made.text
    assert "verified completions only" in made.text and "a trophy" in made.text
    with Session(chat.bot.engine) as s:
        row = s.get(Contest, 1)
        assert row is not None and row.all_teams and row.level == "bronze"
        assert row.starts_on.isoformat() == "2026-12-01" and row.ends_on.isoformat() == "2026-12-28"


def test_a_team_reaching_a_level_and_credits_per_member(chat: FakeChat) -> None:
    _roster(chat)
    level = _new(chat, "Levels teams icu north, medicine metric level bronze to dec 13")
    credits = _new(chat, "Credits teams icu north, medicine metric credits to dec 13")
    for n in range(1, 3):  # two in ICU North finish essentials: bronze
        for course in ("comm-101", "goals-101", "pain-101"):
            chat.person(email("ICU North", n)).says(f"done {course}")
    icu = _team_id(chat, "ICU North")
    mine = _standings(chat, level).of(icu)
    assert mine is not None and (mine.done, mine.out_of) == (2, 8)
    money = _standings(chat, credits).of(icu)
    assert money is not None and money.out_of == 8 and money.done > 0
    board = chat.person(email("ICU North", 4)).says(f"leaderboard {credits}").text
    assert "credits per member" in board


def _another_engine(engine: Engine) -> Engine:
    """An engine of its own on the same database, as another replica would have."""
    if engine.dialect.name == "sqlite":
        return make_engine(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        schema = str(conn.exec_driver_sql("SHOW search_path").scalar())
    return postgres_engine(schema.strip('"'))


def test_the_leaderboard_reuses_standings_until_what_they_count_changes(
    chat: FakeChat,
) -> None:
    """Asked again with nothing changed, the leaderboard reads no completions; a change
    made here (a self-report, an import's bulk path) shows at once; one made by another
    replica (another engine on the same database) shows once the standings are older
    than standings_max_age."""
    _roster(chat)
    contest = _new(chat, "Sprint teams icu north, medicine metric active to dec 13")
    _done(chat, "Medicine", range(10))
    reads: list[str] = []

    @event.listens_for(chat.bot.engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "FROM completion" in statement or "JOIN completion" in statement:
            reads.append(statement)

    def place() -> str:
        reply = chat.person(email("Medicine", 30)).says(f"leaderboard {contest}")
        return reply.text.split("Medicine is in place ", 1)[1].split(".", 1)[0]

    assert place() == "1 of 2 with 25%"
    assert reads, "the first ask counts"
    reads.clear()
    assert place() == "1 of 2 with 25%"
    assert reads == [], "asked again with nothing changed: nothing counted again"

    _done(chat, "Medicine", range(10, 14))  # self-reports, in this process
    assert place() == "1 of 2 with 35%"
    with Session(chat.bot.engine) as s:  # the import's bulk path, in this process
        people = s.exec(select(Person.id).where(col(Person.email).like("medicine%"))).all()
        ledger.record_many(
            s,
            ledger.as_batch([(p, "comm-101", chat.clock.now()) for p in people[14:16]]),
            kind="import",
            ref="test",
            now=chat.clock.now(),
            actor="test",
        )
        s.commit()
    assert place() == "1 of 2 with 40%"

    other = _another_engine(chat.bot.engine)  # another process's, on the same database
    with Session(other) as s:
        people = s.exec(select(Person.id).where(col(Person.email).like("medicine%"))).all()
        for p in people[16:18]:
            s.add(
                Completion(
                    person_id=p,
                    course_id="comm-101",
                    completed_at=chat.clock.now(),
                    recorded_at=chat.clock.now(),
                    source="import",
                    verified=True,
                    recorded_by="other",
                )
            )
        s.commit()
    other.dispose()
    assert place() == "1 of 2 with 40%", "another replica's change is not seen at once"
    max_age = chat.bot.content.initiative.contests.standings_max_age
    chat.clock.advance(seconds=max_age)
    assert place() == "1 of 2 with 45%"
