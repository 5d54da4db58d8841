"""Celebrations in team channels: a finished course from any source, a finished pathway,
team milestones, people who prefer privacy, and an import's completions as one digest.

Celebrations settle for a minute before they are posted, so several at once can be
gathered; the tests advance the clock past that before running the scheduler.
"""

from __future__ import annotations

from bot import markup
from bot.messages import Message, Text
from tests.fakechat import FakeChat
from tests.nudging import (
    ANA,
    BEN,
    CARLA,
    DEV,
    ELLA,
    SAM,
    join,
    link_channel,
    messages,
    text,
)


def _settle(chat: FakeChat) -> list[str]:
    """Let celebrations settle, run the scheduler, and return the new posts' text, by channel."""
    before = {k: len(v) for k, v in chat.delivered.items()}
    chat.clock.advance(minutes=2)
    chat.run_scheduler()
    return [
        f"{channel}: {text(m)}"
        for channel, items in chat.delivered.items()
        if not channel.startswith("U-")
        for _, m in items[before.get(channel, 0) :]
    ]


def _mentions(message: Message) -> list[tuple[str, str]]:
    return [
        (s.text, s.url)
        for block in message.blocks
        if isinstance(block, Text)
        for line in markup.parse(block.markdown)
        for s in line.spans
        if s.url and s.url.startswith("mention:")
    ]


def test_a_self_reported_course_is_celebrated_in_the_team_channel_with_a_mention(
    chat: FakeChat,
) -> None:
    link_channel(chat, "icu", "ICU")
    ana = join(chat, ANA)
    assert "Recorded: Talking about serious illness" in ana.says("done comm-101")
    chat.run_scheduler()
    assert messages(chat, "C-icu") == []  # not yet: it settles for a minute
    assert _settle(chat) == [
        "C-icu: 🎉 @Ana Ruiz finished Talking about serious illness: the first conversation "
        "(0.75 CNE). Well done!"  # a nurse: the nursing credit only
    ]
    assert _mentions(messages(chat, "C-icu")[0]) == [("Ana Ruiz", f"mention:U-{ANA}")]
    assert _settle(chat) == []  # posted once
    assert ana.says("done comm-101").text.startswith("You already finished")
    assert _settle(chat) == []


def test_completions_recorded_by_an_admin_or_imported_are_celebrated_too(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    link_channel(chat, "onc", "Oncology Clinic")
    join(chat, BEN)
    join(chat, ELLA)
    sam = chat.person(SAM)
    assert "Recorded" in sam.says("record ben.cho@example.org goals-101")
    imported = sam.says(
        "completions import\nemail,course,completed_at\nella.grant@example.org,comm-101,2026-11-20"
    )
    assert "1 new completions" in imported
    posts = _settle(chat)
    assert len(posts) == 2
    assert posts[0].startswith("C-icu: 🎉 @Ben Cho finished Goals-of-care conversations")
    assert posts[1].startswith("C-onc: 🎉 @Ella Grant finished Talking about serious illness")
    assert _mentions(messages(chat, "C-onc")[0]) == [("Ella Grant", f"mention:U-{ELLA}")]


def test_someone_who_opts_out_is_never_named_but_still_counts_for_the_team(
    chat: FakeChat,
) -> None:
    link_channel(chat, "icu", "ICU")
    carla, ben, ana = join(chat, CARLA), join(chat, BEN), join(chat, ANA)
    assert "your completions stay private" in carla.says("celebrate me: no")
    posts = []
    for course in ("comm-101", "goals-101", "pain-101"):
        carla.says(f"done {course}")
        ben.says(f"done {course}")
        posts += _settle(chat)
    assert not any("Carla" in p for p in posts)
    assert sum("@Ben Cho finished" in p for p in posts) == 3
    assert sum("@Ben Cho completed Essentials" in p for p in posts) == 1
    # Ben and Carla are two of ICU's four: half the team trained.
    assert "C-icu: 🌟 ICU has reached 50% of the team trained. What a team!" in posts
    for course in ("comm-101", "goals-101", "pain-101"):
        ana.says(f"done {course}")
    posts = _settle(chat)
    assert "C-icu: 🌟 ICU has reached 75% of the team trained. What a team!" in posts
    assert not any("50%" in p for p in posts)  # each milestone once


def test_opting_out_just_after_finishing_still_keeps_it_private(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ana, ben = join(chat, ANA), join(chat, BEN)
    ana.says("done comm-101")
    ana.says("celebrate me: no")  # within the minute before it is posted
    ben.says("done comm-101")
    posts = _settle(chat)
    assert [p.split(" finished")[0] for p in posts] == ["C-icu: 🎉 @Ben Cho"]


def test_finishing_a_pathway_gets_a_bigger_post_and_a_full_team_its_own(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    ana, dev = join(chat, ANA), join(chat, DEV)
    ana.says("done comm-101")
    ana.says("done goals-101")
    assert len(_settle(chat)) == 2
    ana.says("done pain-101")
    course, pathway = _settle(chat)
    assert course.startswith("C-icu: 🎉 @Ana Ruiz finished Pain assessment")
    assert pathway.startswith(
        "C-icu: A pathway completed!\n🏆 @Ana Ruiz completed Essentials for every clinician "
        "and earned Serious Illness Care, Bronze. Congratulations!"
    )
    big = messages(chat, "C-icu")[-1]
    assert big.kind == "celebrate.pathway" and _mentions(big) == [("Ana Ruiz", f"mention:U-{ANA}")]

    sam = chat.person(SAM)
    for email in ("ben.cho@example.org", "carla.diaz@example.org"):
        for course_id in ("comm-101", "goals-101", "pain-101"):
            sam.says(f"record {email} {course_id}")
    for course_id in ("pain-101", "dyspnea-101", "nausea-101", "opioids-201", "lastdays-301"):
        dev.says(f"done {course_id}")
    posts = _settle(chat)
    milestones = [p for p in posts if "of the team trained" in p]
    assert milestones == [
        "C-icu: 🌟 ICU has reached 50% of the team trained. What a team!",
        "C-icu: 🌟 ICU has reached 75% of the team trained. What a team!",
        "C-icu: 🌟 ICU has reached 100% of the team trained. What a team!",
    ]


def test_an_import_of_many_completions_is_one_digest_per_team(chat: FakeChat) -> None:
    link_channel(chat, "icu", "ICU")
    link_channel(chat, "onc", "Oncology Clinic")
    for email in (ANA, BEN, CARLA, DEV, ELLA):
        join(chat, email)
    csv_text = "\n".join(
        [
            "email,course,completed_at",
            "ana.ruiz@example.org,comm-101,2026-11-16",
            "ana.ruiz@example.org,goals-101,2026-11-18",
            "ana.ruiz@example.org,pain-101,2026-11-20",
            "ben.cho@example.org,comm-101,2026-11-19",
            "carla.diaz@example.org,comm-101,2026-11-19",
            "dev.patel@example.org,pain-101,2026-11-21",
            "ella.grant@example.org,comm-101,2026-11-21",
        ]
    )
    sam = chat.person(SAM)
    assert "7 new completions, 0 confirmed (now verified), 0 already recorded" in sam.says(
        "completions import\n" + csv_text
    )
    posts = _settle(chat)
    icu = [p for p in posts if p.startswith("C-icu")]
    onc = [p for p in posts if p.startswith("C-onc")]
    # ICU: Ana's finished pathway gets its own post; the six courses become one digest.
    assert len(icu) == 2
    assert icu[0].startswith("C-icu: A pathway completed!\n🏆 @Ana Ruiz completed Essentials")
    digest = icu[1]
    assert digest.startswith("C-icu: 🎉 6 courses finished in ICU!")
    for line in (
        "@Ana Ruiz: Talking about serious illness: the first conversation",
        "@Ana Ruiz: Goals-of-care conversations",
        "@Ana Ruiz: Pain assessment and management basics",
        "@Ben Cho: Talking about serious illness: the first conversation",
        "@Carla Diaz: Talking about serious illness: the first conversation",
        "@Dev Patel: Pain assessment and management basics",
    ):
        assert line in digest, line
    assert len(_mentions(messages(chat, "C-icu")[1])) == 6
    # A team with only one completion gets the ordinary post.
    assert onc == [
        "C-onc: 🎉 @Ella Grant finished Talking about serious illness: the first conversation "
        "(0.75 CNE). Well done!"
    ]
    # The same file again changes nothing and posts nothing.
    again = sam.says("completions import\n" + csv_text)
    assert "0 new completions, 0 confirmed (now verified), 7 already recorded" in again
    assert _settle(chat) == []


def test_nothing_is_posted_for_a_team_without_a_channel(chat: FakeChat) -> None:
    ella = join(chat, ELLA)  # Oncology Clinic has no linked channel
    ella.says("done comm-101")
    assert _settle(chat) == []
    link_channel(chat, "onc", "Oncology Clinic")  # linking later does not replay old news
    assert _settle(chat) == []
    ella.says("done goals-101")
    assert _settle(chat) == [
        "C-onc: 🎉 @Ella Grant finished Goals-of-care conversations that fit the patient's "
        "values (0.75 CNE). Well done!"
    ]
