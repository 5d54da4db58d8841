"""Every kind of message, at its largest, within Slack's and Teams' limits.

A large organisation (60 teams with long names, 300 people, hundreds of audit lines,
dozens of schedules) is built, then every command in the handler table is run as an
admin, and every kind of scheduled message is planned. Each answer is rendered for
both platforms and checked against what they accept:

- Slack: slack_sdk's own Block Kit models validate every block (text lengths, element
  counts), and a message has at most 50 blocks;
- Teams: each card is a valid Adaptive Card 1.5, no ActionSet has more than five
  actions (Microsoft's renderer drops the rest), and each card is at most 20 KB of
  JSON, well under the 28 KB at which Teams refuses a bot's message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from slack_sdk.models.blocks import Block
from sqlmodel import Session, col, select

from adapters.slack.render import MAX_BLOCKS, render
from adapters.teams.cards import MAX_ACTIONS, MAX_CARD_BYTES, cards_for
from bot import commands as c
from bot.handlers import HANDLERS
from bot.messages import Mention, Message
from bot.models import DeliveryIssue, OutboxMessage, Person, SurveyAnswer, SurveyRequest
from bot.parser import parse
from bot.survey_asking import questions
from tests.fakechat import FakeChat
from tests.nudging import SAM, link_channel, schedule, text, tick_at, utc
from tests.teams_cards import card_problems

LONG = "Department of Palliative and Supportive Care Medicine and Family Services"
#: A shout-out as long as one may be.
WORDS = ("Thank you for everything you did on the unit this week, " * 20)[:1000].strip()
TEAMS = 60
PEOPLE = 300


def _big_organisation(chat: FakeChat) -> None:
    rows = ["email,name,discipline,team,role,pathway"]
    disciplines = ("nurse", "physician", "social_worker", "chaplain", "pharmacist")
    for n in range(PEOPLE):
        role = "champion" if n % 5 == 0 else "clinician"
        team = "ICU" if n < 40 else f"{LONG} {n % TEAMS:02d}"  # a big team with a channel
        rows.append(
            f"person{n:03d}@example.org,Alexandra-Maria Konstantinopoulou-Smythe {n:03d},"
            f"{disciplines[n % 5]},{team},{role},essentials"
        )
    reply = chat.operator("roster import\n" + "\n".join(rows))
    assert "300 added" in reply.text and "0 rows with problems" in reply.text, reply.text


def _commands(session: int) -> Iterator[str]:
    """Words for every command in the handler table, at the largest answer each can give."""
    yield from (
        "help",
        "hi",
        "thanks",
        "about",
        "gibberish that means nothing",
        "settings",
        "pause until friday",
        "resume",
        "snooze a week",
        "timezone Europe/London",
        "quiet hours 21:00-07:00",
        "celebrate me: yes",
        "next",
        "progress",
        "pathways all",
        "join essentials",
        "join care",  # several pathways match: choices, and "Pathways"
        "done comm-101",
        "done care",  # several courses match
        "undo",
        "setup",
        "I've created my account",
        "enrol everyone in essentials due mar 1",
        "unenrol person001@example.org from essentials",
        "add new.person@example.org, New Person, nurse, ICU",
        "record person002@example.org comm-101",
        "verify",  # forty self-reports: a long list
        "verify person005@example.org comm-101",
        "verify all",
        "report",
        f"report team:{LONG.lower().replace(' ', '-')}-01",
        "report summary 2026",  # every section, the comfort topics
        "report xlsx 2026",
        "report csv this quarter",
        "teams",
        "roster",  # a full page of people with long names in long teams
        "roster page 2",
        "measures import\n" + _measures(),  # every team's months of every measure
        "measures",
        "survey results",  # every item and topic, follow-ups, sixty small teams left out
        "measures import\nperiod,team,measure,value,n,source\n"
        + "\n".join(f"2026-10,{LONG} {n},goc-documentation,50,40,EHR" for n in range(300)),
        "team add Another Very Long Team Name For Testing The Limits Of Every Platform",
        "team link ICU",
        "roster import\nemail,name,discipline,team\n"
        + "\n".join(f"bad{n}@x,Bad {n},wizard,Nowhere" for n in range(300)),
        "grant person003@example.org champion",
        "revoke person003@example.org champion",
        "audit 200",
        "home",
        "shoutout @Alexandra for leading the family meeting",
        f"shoutout team:icu {WORDS}",
        "shoutouts",  # five long suggestions, each with its buttons
        "shoutout suggest 1",
        "shoutout edit 1",  # a form holding a long shout-out
        "shoutout approve 1",  # many people, long names, in the channel
        f"shoutout edit 2 {WORDS[:-12]} and so much!",
        "shoutout approve 3",
        "shoutout private 3",
        f"attendance {session}",  # forty people said they'd join: a long list to tap
        f"attendance {session} all",
        "nudge new",
        "nudge schedule next-course to everyone every monday 09:00",
        "nudge list",
        "nudge preview 1",
        "nudge pause 1",
        "nudge history 1",
        "nudge problems",  # sixty failures and sixty refusals, with long reasons
        "rsvp 1",
        "weekends on",
        "team meeting icu tuesday 12:00",
        "no",
        "stop",
        "stop all",
        "resume",
        "shift nights until friday",
        "shift days",
        "credits",
        "left",
        "on track",
        "who do i ask",
        "forgot password",
        "wats my nxt corse",
        "on leave till jan 3",
        "I'm in london",
        "completions import\nemail,course,completed_at\n"
        + "\n".join(f"nobody{n}@example.org,comm-101,2026-11-20" for n in range(300)),
        "contest new",
        f'contest new "{LONG[:70]}" metric credits to dec 28 prize {LONG} {LONG} {LONG}',
        "contest rankings on 1",
        "contest join 1 as The Longest Handle Anyone Has Chosen Yet",
        "leaderboard",
        "contest leave 1",
        "contest list",
        "contest show 1",
        f"contest propose {LONG[:60]} against all metric level silver to dec 28 prize {LONG}",
        "contest decline 2 the dates clash with the audit",
        "contest approve 2",
        "contest cancel 2",
    )


def _measures() -> str:
    """A year of every measure for the organisation and every team with people."""
    teams = ["organisation", "ICU", *(f"{LONG} {n:02d}" for n in range(TEAMS))]
    months = [f"{2025 + (m + 11) // 12}-{(m + 11) % 12 + 1:02d}" for m in range(12)]
    measures = (
        "hcahps-medicines",
        "goc-documentation",
        "hospice-referral",
        "icu-palliative-consult",
    )
    rows = [
        f"{month},{team},{measure},{40 + i % 50}.5,{3 + i % 400},{LONG} quality office"
        for i, (month, team, measure) in enumerate(
            (month, team, measure) for month in months for team in teams for measure in measures
        )
    ]
    return "period,team,measure,value,n,source\n" + "\n".join(rows)


def _comfort_answers(chat: FakeChat) -> None:
    """Every comfort item answered before, after (and looking back) and at the follow-up by
    all 300, so that the survey results show every topic and item."""
    now = chat.clock.now()
    items = list(chat.bot.content.surveys.items)
    with Session(chat.bot.engine) as s:
        people = s.exec(select(Person.id).where(col(Person.email).like("person%"))).all()
        for n, pid in enumerate(people):
            for phase in ("pre", "post", "follow_up"):
                request = SurveyRequest(
                    person_id=pid or 0,
                    pathway_id="essentials",
                    phase=phase,
                    items=",".join(items[:3]),
                    status="done",
                    created_at=now,
                )
                s.add(request)
                s.flush()
                for k, item in enumerate(items):
                    for kind in (phase, "retro") if phase == "post" else (phase,):
                        s.add(
                            SurveyAnswer(
                                request_id=request.id or 0,
                                person_id=pid or 0,
                                pathway_id="essentials",
                                item_id=item,
                                phase=kind,
                                value=1 + (n + k) % 5,
                                answered_at=now,
                            )
                        )
        s.commit()


def _delivery_problems(chat: FakeChat) -> None:
    """Many failed messages of many schedules, each with a long reason, and many messages
    the platforms refused: the longest ``nudge problems``."""
    now = chat.clock.now()
    with Session(chat.bot.engine) as s:
        people = s.exec(select(Person.id).where(col(Person.email).like("person%"))).all()
        for n in range(60):
            s.add(
                OutboxMessage(
                    dedupe_key=f"failed-{n}",
                    kind="custom",
                    schedule_id=1 + n % 30,
                    person_id=people[n],
                    platform="slack",
                    target=f"D{n:08d}",
                    message="{}",
                    status="failed",
                    last_error=(f"{LONG} {n} " * 20)[:1000],  # as the outbox cuts it
                    due_at=now,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            s.add(
                DeliveryIssue(
                    at=now,
                    platform="teams",
                    target=f"{LONG} {n}",
                    person_id=people[n] if n % 2 else None,
                    error="blocked" if n % 3 else f"{LONG}"[:64],
                )
            )
        s.commit()


def _icu(n: int) -> Mention:
    email = f"person{n:03d}@example.org"
    return Mention(f"U-{email}", f"Alexandra-Maria Konstantinopoulou-Smythe {n:03d}", email)


def _recognition_and_a_session(chat: FakeChat) -> int:
    """A group session forty people said they'd join, begun by the time the commands run
    (its number is returned); six long suggested shout-outs, each for many people, are
    waiting (#1 to #6)."""
    sid = schedule(
        chat,
        "session to team:icu 2026-11-23 09:01 once session 2026-11-23 09:02 "
        f"https://meet.example.org/x {LONG}",
    )
    for n in range(40):
        chat.person(f"person{n:03d}@example.org").says(f"rsvp {sid}")
    suggester = chat.person("person001@example.org")
    for number in range(1, 7):
        people = tuple(_icu(n) for n in (*range(2, 30), 31 if number == 3 else 2) if n % 5)
        people = tuple(dict.fromkeys(people))
        words = " ".join(f"@{m.name}" for m in people) + " " + WORDS
        offer = suggester.says(f"shoutout {words}", mentions=people)
        assert "Shall I suggest" in offer, offer.text
        suggester.clicks("Suggest it")
    chat.person("person031@example.org").says("celebrate me: no")  # #3 is held when approved
    chat.clock.set(utc(2026, 11, 23, 15, 3))
    return sid


def _survey_commands(chat: FakeChat) -> list[str]:
    """The admin's own comfort surveys, every pathway's before and after, all answered
    (the longest list of their own answers), then each survey command on them."""
    content = chat.bot.content
    now = chat.clock.now()
    with Session(chat.bot.engine) as s:
        sam = s.exec(select(Person).where(Person.email == SAM)).one()
        requests = []
        for pathway in content.pathways:
            items = [i.id for i in content.survey_items(pathway)]
            for phase in ("pre", "post"):
                request = SurveyRequest(
                    person_id=sam.id or 0,
                    pathway_id=pathway,
                    phase=phase,
                    items=",".join(items),
                    status="asked",
                    created_at=now,
                )
                s.add(request)
                requests.append(request)
        s.flush()
        for request in requests:
            for question in questions(content, request):
                s.add(
                    SurveyAnswer(
                        request_id=request.id or 0,
                        person_id=request.person_id,
                        pathway_id=request.pathway_id,
                        item_id=question.item.id,
                        phase=question.phase,
                        value=question.item.points,
                        answered_at=now,
                    )
                )
        s.commit()
        first = requests[1].id
    return [
        "my answers",
        "dashboard",
        f"survey question {first} 1",
        f"survey answer {first} 1 2",
        f"survey skip {first}",
        "delete my answers",
        "delete my answers confirmed",
    ]


def _problems(message: Message) -> list[str]:
    found = []
    parts = render(message)
    for part in parts:
        if len(part.blocks) > MAX_BLOCKS:
            found.append(f"slack: {len(part.blocks)} blocks")
        for block in part.blocks:
            parsed = Block.parse(block)
            try:
                assert parsed is not None, block
                parsed.validate_json()
            except Exception as exc:  # SlackObjectFormationError names the limit
                found.append(f"slack: {exc}")
    for card in cards_for(message):
        size = len(json.dumps(card.content, ensure_ascii=False).encode())
        if size > MAX_CARD_BYTES:
            found.append(f"teams: card of {size} bytes")
        found += [f"teams: {p}" for p in card_problems(card.content)]
        for element in _walk(card.content):
            if element.get("type") == "ActionSet" and len(element["actions"]) > MAX_ACTIONS:
                found.append(f"teams: an ActionSet of {len(element['actions'])} actions")
    return found


def _walk(node: object) -> Iterator[dict[str, object]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_answer_and_every_scheduled_message_fits_both_platforms(
    chat: FakeChat, tmp_path: Path
) -> None:
    _big_organisation(chat)
    sam = chat.person(SAM)
    for n in range(120):
        sam.says(f"team add Ward {n:03d} of the {LONG}")
    link_channel(chat, "icu", "ICU")
    for n in range(45):
        schedule(chat, f"anyway custom to everyone every day {n % 24:02d}:{n % 60:02d} say {LONG}")
    for n in range(40):  # many finish at once: one celebration digest
        chat.person(f"person{n:03d}@example.org").says("done comm-101")
    session = _recognition_and_a_session(chat)
    _comfort_answers(chat)
    _delivery_problems(chat)

    answers: list[tuple[str, Message]] = []
    ran: set[type[c.Command]] = set()
    for words in (*_commands(session), *_survey_commands(chat)):
        ran.add(type(parse(words)))
        reply = sam.says(words)
        answers += [(words.split("\n")[0], m) for m in reply.messages]
    # A file sent to the bot: an export with many refused rows (a table, the error file).
    export = tmp_path / "completion-pc-comm101.csv"
    export.write_text(
        "email,course,completed_at\n"
        + "\n".join(f"nobody{n}@example.org,{LONG} {n},2026-11-20" for n in range(300))
    )
    for words, reply in (
        ("(a file)", sam.sends_file(export)),
        ("import errors 1", sam.says("import errors 1")),
        ("import list", sam.says("import list")),
    ):
        ran.add(type(parse(words)) if words != "(a file)" else c.ImportFile)
        assert "refused" in reply.text, reply.text
        answers += [(words, m) for m in reply.messages]
    # A measures file sent to the bot: many refused rows.
    figures = tmp_path / "october-measures.csv"
    figures.write_text(
        "period,team,measure,value,n,source\n"
        + "\n".join(f"2026-10,{LONG} {n},hospice-referral,1,1,x" for n in range(300))
    )
    reply = sam.sends_file(figures)
    assert reply.kinds == ["measures.starting", "measures.partial"], reply.text
    answers += [("(a measures file)", m) for m in reply.messages]
    (shown,) = [m for words, m in answers if words == "measures"]
    assert shown.kind == "measures" and "… +" in text(shown), text(shown)
    (summary,) = [m for words, m in answers if words == "report summary 2026"]
    assert summary.kind == "report_summary" and "Comfort, " in text(summary), text(summary)
    (comfort,) = [m for words, m in answers if words == "survey results"]
    assert comfort.kind == "survey_results" and "Follow-up" in text(comfort), text(comfort)
    missing = sorted(cls.__name__ for cls in set(HANDLERS) - ran)
    assert missing == [], f"not exercised: {missing}"

    for kind in (
        "leaderboard to channel:icu every friday 15:00",
        "case to channel:icu every tuesday 11:00",
        "digest to champions every monday 09:00",
        "setup to everyone every tuesday 09:00",
        "session to channel:icu tomorrow 09:00 session next friday 12:00 "
        f"https://meet.example.org/x {LONG}",
        f"custom to channel:icu every wednesday 10:00 say {'A long message. ' * 150}",
        "recognition to channel:icu first tuesday of the month 09:00",
        "standings to channels every friday 15:00",
    ):
        schedule(chat, kind)
    tick_at(chat, [utc(2026, 11, 23, 15, 5)])
    # The week's shout-outs, long, for the digest; November's, for many teams, for the
    # recognition post of 1 December.
    chat.clock.set(utc(2026, 11, 24, 16))
    for _ in range(20):
        sam.says(f"shoutout team:icu {WORDS}")
    for n in range(30):
        link_channel(chat, f"long-{n:02d}", f"{LONG} {n:02d}")
        assert "posted in" in sam.says(f'shoutout team:"{LONG} {n:02d}" {WORDS}')
    tick_at(chat, [*(utc(2026, 11, d, 22) for d in range(24, 31)), utc(2026, 12, 1, 22)])
    delivered = [(target, m) for target, items in chat.delivered.items() for _, m in items]
    kinds = {m.kind for _, m in delivered}
    for expected in (
        "leaderboard",
        "case",
        "digest",
        "session.announce",
        "custom.message",
        "recognition",
        "shoutout.review",
        "shoutout.told_posted",
        "shoutout.told_edited",
        "standings",
    ):
        assert expected in kinds, (expected, kinds)
    digests = [m for _, m in delivered if m.kind == "digest"]
    assert any("Shout-outs this week (20)" in text(m) for m in digests)
    (recognition,) = [m for _, m in delivered if m.kind == "recognition"]
    assert "… +12" in text(recognition)  # 32 teams: 20 shown, by name
    assert any(k.startswith("celebrate") for k in kinds), kinds

    problems = {
        f"{where} ({message.kind})": found
        for where, message in answers + delivered
        if (found := _problems(message))
    }
    assert problems == {}
