"""Recognition through the fake chat: shout-outs by champions to people and to a whole
team, someone who prefers not to be celebrated publicly, a clinician's suggestion
approved, edited and declined (and told each time), the champions' digest with the
week's shout-outs and celebrations, and the monthly recognition post.

The clock starts on Monday 23 November 2026, 09:00 in Chicago (15:00 UTC). Private
notices (a suggestion for the champion, an outcome for the suggester) go through the
outbox, so they arrive when the scheduler runs.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot import markup
from bot.messages import Form, Mention, Message, Text
from bot.models import OutboxMessage, Shoutout, ShoutoutRecipient
from tests.fakechat import FakeChat, Reply
from tests.nudging import (
    ANA,
    BEN,
    CARLA,
    DEV,
    ELLA,
    FEMI,
    SAM,
    audit_actions,
    join,
    link_channel,
    messages,
    schedule,
    text,
    tick_at,
    utc,
)

NAMES = {
    ANA: "Ana Ruiz",
    BEN: "Ben Cho",
    CARLA: "Carla Diaz",
    DEV: "Dev Patel",
    ELLA: "Ella Grant",
}


def at(email: str) -> Mention:
    """A mention of someone, as an adapter hands it to the core."""
    return Mention(user_id=f"U-{email}", name=NAMES[email], email=email)


def shoutouts(chat: FakeChat) -> list[tuple[str, str, str, list[int]]]:
    """(giver, status, text, recipient ids) of every shout-out kept, oldest first."""
    with Session(chat.bot.engine) as s:
        rows = s.exec(select(Shoutout).order_by(col(Shoutout.id))).all()
        out = []
        for r in rows:
            ids = s.exec(
                select(ShoutoutRecipient.person_id).where(ShoutoutRecipient.shoutout_id == r.id)
            ).all()
            out.append((r.giver, r.status, r.text, sorted(ids)))
        return out


def posts(chat: FakeChat, channel: str = "C-icu") -> list[Message]:
    """The shout-outs posted in a channel (not the hello of linking it)."""
    return [
        o.message
        for o in chat.posts
        if o.channel_id == channel and o.message.kind.startswith("shoutout")
    ]


def link(chat: FakeChat, channel: str, team: str) -> None:
    """Link a team's channel, and forget the hello posted there."""
    link_channel(chat, channel, team)
    chat.posts.clear()


def mention_urls(message: Message) -> list[str]:
    return [
        s.url
        for block in message.blocks
        if isinstance(block, Text)
        for line in markup.parse(block.markdown)
        for s in line.spans
        if s.url
    ]


def number_of(reply: Reply, label: str) -> int:
    """The shout-out number a button of the reply carries."""
    return int(reply.button(label).command.rsplit(" ", 1)[1])


def test_a_champion_thanks_a_teammate_with_a_real_mention_and_it_is_kept(
    chat: FakeChat,
) -> None:
    link(chat, "icu", "ICU")
    join(chat, ANA)
    reply = chat.person(BEN).says(
        "shoutout @Ana Ruiz for leading Tuesday's family meeting so calmly!", mentions=(at(ANA),)
    )
    assert "Shout-out for Ana Ruiz posted in #C-icu" in reply
    (post,) = posts(chat)
    assert post.kind == "shoutout.post"
    assert "🎉" in post.summary and "leading Tuesday's family meeting so calmly!" in post.summary
    assert "(from Ben Cho)" in post.summary
    assert f"mention:U-{ANA}" in mention_urls(post)
    ((giver, status, words, ids),) = shoutouts(chat)
    assert (giver, status, words) == (
        BEN,
        "posted",
        "for leading Tuesday's family meeting so calmly!",
    )
    assert len(ids) == 1
    assert (BEN, "shoutout", ANA) in audit_actions(chat)


def test_a_whole_team_is_thanked_by_key_or_by_name(chat: FakeChat) -> None:
    link(chat, "icu", "ICU")
    link(chat, "onc", "Oncology Clinic")
    ben = chat.person(BEN)
    reply = ben.says("shoutout team:icu for a brilliant week on the unit!")
    assert "Shout-out for the whole ICU team posted in #C-icu" in reply, reply.text
    (post,) = posts(chat)
    assert post.kind == "shoutout.post_team"
    assert "A shout-out to the whole ICU team: for a brilliant week on the unit!" in post.summary
    assert "(from Ben Cho)" in post.summary

    # By the team's name, several words long, by an admin for any team.
    sam = chat.person(SAM)
    assert "posted in #C-onc" in sam.says("shoutout team:Oncology Clinic for the new clinic flow")
    assert "posted in #C-onc" in sam.says('shoutout team:"Oncology Clinic" thank you all')
    assert [p.summary.split(": ", 1)[1] for p in posts(chat, "C-onc")] == [
        "for the new clinic flow (from Sam Okafor)",
        "thank you all (from Sam Okafor)",
    ]
    # A champion thanks their own team only; a team and people are not mixed.
    assert "your own team, ICU, only" in ben.says("shoutout team:onc thanks!")
    mixed = ben.says("shoutout team:icu and @Ana Ruiz, thank you", mentions=(at(ANA),))
    assert "Thank a whole team or people by name" in mixed
    unknown = ben.says("shoutout team:cardiology thanks")
    assert "I couldn't find a team" in unknown
    assert len(chat.posts) == 3
    assert [(s[1], s[3]) for s in shoutouts(chat)] == [("posted", [])] * 3


def test_someone_who_opted_out_is_not_named_and_can_be_thanked_privately(
    chat: FakeChat,
) -> None:
    link(chat, "icu", "ICU")
    carla = join(chat, CARLA)
    carla.says("celebrate me: no")
    ben = chat.person(BEN)
    held = ben.says("shoutout @Carla Diaz for the family meeting", mentions=(at(CARLA),))
    assert "Carla Diaz prefers not to be celebrated in the channel" in held
    assert chat.posts == []
    assert shoutouts(chat)[0][1] == "held"

    assert "Sent privately to Carla Diaz" in ben.clicks("Send it privately", on=held)
    chat.run_scheduler()
    (note,) = chat.inbox(CARLA)
    assert "Ben Cho sent you a shout-out" in note and "for the family meeting" in note
    assert chat.posts == []
    assert shoutouts(chat)[0][1] == "private"
    # Once only: pressing again changes nothing.
    assert "sent privately already" in ben.says("shoutout private 1")
    chat.run_scheduler()
    assert len(chat.inbox(CARLA)) == 1


def test_a_clinicians_suggestion_goes_to_the_champion_and_is_approved(chat: FakeChat) -> None:
    link(chat, "icu", "ICU")
    ana, ben, carla = join(chat, ANA), join(chat, BEN), join(chat, CARLA)
    offer = ana.says("shoutout @Carla Diaz for staying late with the family", mentions=(at(CARLA),))
    assert "needs the champion role" not in offer
    assert "Shall I suggest this one for Carla Diaz to Ben Cho?" in offer, offer.text
    assert "for staying late with the family" in offer
    assert shoutouts(chat)[0][1] == "offered"

    sent = ana.clicks("Suggest it")
    assert "Sent to Ben Cho. I'll tell you what they decide." in sent
    assert chat.posts == []
    chat.run_scheduler()
    (review,) = messages(chat, BEN)
    shown = text(review)
    assert "Ana Ruiz suggests a shout-out in ICU's channel for Carla Diaz" in shown
    assert "for staying late with the family" in shown
    assert [b.label for b in review.buttons] == ["Approve", "Edit", "Decline"]
    assert {b.owner for b in review.buttons} == {ben.user_id}  # the champion's buttons

    # Someone else pressing the champion's button does nothing.
    assert "someone else's message" in carla.clicks("Approve", on=review)
    assert chat.posts == []

    approved = ben.clicks("Approve", on=review)
    assert "Shout-out for Carla Diaz posted in #C-icu" in approved
    (post,) = posts(chat)
    assert "for staying late with the family (from Ana Ruiz, shared by Ben Cho)" in post.summary
    assert f"mention:U-{CARLA}" in mention_urls(post)
    chat.run_scheduler()
    (told,) = chat.inbox(ANA)
    assert "Ben Cho posted your shout-out for Carla Diaz in the team channel" in told
    assert shoutouts(chat)[0][1] == "posted"
    assert (BEN, "shoutout.approve", "#1") in audit_actions(chat)
    # A second decision finds it decided.
    assert "is posted already" in ben.says("shoutout decline 1")


def test_a_champion_edits_a_suggestion_then_posts_it(chat: FakeChat) -> None:
    link(chat, "icu", "ICU")
    ana, ben = join(chat, ANA), join(chat, BEN)
    offer = ana.says("shoutout @Dev Patel thx 4 the meds help!!", mentions=(at(DEV),))
    number = number_of(offer, "Suggest it")
    ana.clicks("Suggest it")
    chat.run_scheduler()
    (review,) = messages(chat, BEN)

    editing = ben.clicks("Edit", on=review)
    (form,) = [b for m in editing.messages for b in m.blocks if isinstance(b, Form)]
    assert form.command == f"shoutout edit {number} {{text}}"
    assert form.fields[0].value == "thx 4 the meds help!!"  # the words, ready to change
    assert f"shoutout edit {number}" in editing  # what to type where there is no form
    assert chat.posts == []

    # The guard reads the new words too: nothing is posted, the words come back.
    blocked = ben.says(f"shoutout edit {number} Thanks for helping with Mr Jones in bed 4")
    assert "haven't shared that" in blocked and "Mr Jones" in blocked
    assert chat.posts == [] and shoutouts(chat)[0][1] == "suggested"

    posted = ben.says(
        f"shoutout edit {number} Thank you, Dev, for sorting out the symptom medicines!"
    )
    assert "Shout-out for Dev Patel posted" in posted
    (post,) = posts(chat)
    assert "Thank you, Dev, for sorting out the symptom medicines!" in post.summary
    assert "thx 4" not in post.summary
    chat.run_scheduler()
    (told,) = chat.inbox(ANA)
    assert "with the words changed a little" in told
    assert "Thank you, Dev, for sorting out the symptom medicines!" in told
    giver, status, words, _ = shoutouts(chat)[0]
    assert (giver, status, words) == (
        ANA,
        "posted",
        "Thank you, Dev, for sorting out the symptom medicines!",
    )
    assert (BEN, "shoutout.edit", f"#{number}") in audit_actions(chat)


def test_a_declined_suggestion_asks_nothing_more_and_the_suggester_is_told(
    chat: FakeChat,
) -> None:
    link(chat, "icu", "ICU")
    ana, ben = join(chat, ANA), join(chat, BEN)
    ana.says("shoutout team:icu for the best coffee rota", mentions=())
    ana.clicks("Suggest it")
    chat.run_scheduler()
    (review,) = messages(chat, BEN)
    assert "for the whole ICU team" in text(review)
    declined = ben.clicks("Decline", on=review)
    assert declined.text == "Declined; I've let Ana Ruiz know, kindly."
    assert declined.buttons == []
    chat.run_scheduler()
    (told,) = chat.inbox(ANA)
    assert "Ben Cho decided not to post your shout-out for the whole ICU team" in told
    assert chat.posts == []
    assert shoutouts(chat)[0][1] == "declined"
    assert (BEN, "shoutout.decline", "#1") in audit_actions(chat)


def test_suggestions_are_screened_for_own_team_and_listed_for_the_champion(
    chat: FakeChat,
) -> None:
    link(chat, "icu", "ICU")
    ana, ben = join(chat, ANA), join(chat, BEN)
    blocked = ana.says(
        "shoutout @Carla Diaz for her care of Mr Jones in bed 4", mentions=(at(CARLA),)
    )
    assert "haven't shared that" in blocked
    other = ana.says("shoutout @Ella Grant for the referral", mentions=(at(ELLA),))
    assert "your own team, ICU" in other
    assert shoutouts(chat) == []

    ana.says("shoutout @Carla Diaz for the handover notes", mentions=(at(CARLA),))
    ana.clicks("Suggest it")
    ana.says("shoutout @Dev Patel for the teaching session", mentions=(at(DEV),))
    ana.clicks("Suggest it")
    waiting = ben.says("shoutouts")
    assert "Shout-out suggestions waiting for you: 2" in waiting
    assert "for the handover notes" in waiting and "for the teaching session" in waiting
    assert [b.label for b in waiting.buttons] == ["Approve", "Edit", "Decline"] * 2
    assert "Shout-out for Carla Diaz posted" in ben.clicks("Approve", on=waiting)  # oldest first
    # Another team's champion sees none of ICU's, and may not decide them.
    femi = chat.person(FEMI)
    assert "No shout-out suggestions are waiting" in femi.says("shoutouts")
    assert "your own team, Oncology Clinic, only" in femi.says("shoutout approve 1")


def test_the_weekly_digest_lists_the_shoutouts_and_what_is_worth_celebrating(
    chat: FakeChat,
) -> None:
    link(chat, "icu", "ICU")
    ana, ben, carla = join(chat, ANA), join(chat, BEN), join(chat, CARLA)
    carla.says("celebrate me: no")
    schedule(chat, "digest to champions every monday 09:30")
    chat.clock.set(utc(2026, 11, 25, 16))  # this week, for the digest of Monday 30 November
    for course in ("comm-101", "goals-101", "pain-101"):
        ana.says(f"done {course}")
        carla.says(f"done {course}")
    ben.says("shoutout @Ana Ruiz for finishing Essentials in a week", mentions=(at(ANA),))
    ben.says("shoutout team:icu for covering the flu surge")
    held = ben.says("shoutout @Carla Diaz for the bereavement calls", mentions=(at(CARLA),))
    ben.clicks("Send it privately", on=held)
    tick_at(chat, [utc(2026, 11, 30, 15, 30)])

    digest = text(messages(chat, BEN)[-1])
    assert "ICU: your weekly champion digest" in digest
    # The champion sees everyone's, Carla's too (she is only kept out of the channel).
    assert "Worth celebrating: pathways finished this week (2):" in digest
    for name in ("Ana Ruiz", "Carla Diaz"):
        assert f"{name}: Essentials for every clinician, now Serious Illness Care, Bronze" in digest
    assert "Shout-outs this week (3):" in digest
    assert "Ana Ruiz: for finishing Essentials in a week (from Ben Cho)" in digest
    assert "the whole ICU team: for covering the flu surge (from Ben Cho)" in digest
    assert "Carla Diaz: for the bereavement calls (from Ben Cho)" in digest  # privately sent
    assert "Team milestones this week: 50% of the team trained." in digest

    # A week later those are last week's news.
    tick_at(chat, [utc(2026, 12, 7, 15, 30)])
    later = text(messages(chat, BEN)[-1])
    assert "Shout-outs this week" not in later and "pathways finished" not in later


def test_the_monthly_recognition_post_counts_without_ranking_people(chat: FakeChat) -> None:
    link(chat, "icu", "ICU")
    link(chat, "onc", "Oncology Clinic")
    ana, ben = join(chat, ANA), join(chat, BEN)
    join(chat, CARLA)
    sid = schedule(chat, "recognition to channels first monday of the month 09:00")
    ben.says("shoutout @Ana Ruiz for the teaching round", mentions=(at(ANA),))
    ben.says("shoutout team:icu for the audit", mentions=())
    ana.says("shoutout @Carla Diaz for the handover", mentions=(at(CARLA),))
    ana.clicks("Suggest it")
    chat.run_scheduler()
    ben.clicks("Approve", on=messages(chat, BEN)[-1])
    chat.person(SAM).says("shoutout team:onc for a smooth clinic move")
    ben.says("shoutout @Dev Patel for the pharmacy rounds", mentions=(at(DEV),))

    tick_at(chat, [utc(2026, 12, 7, 15)])  # the first Monday of December, 09:00 Chicago
    (icu,) = [m for m in messages(chat, "C-icu") if m.kind == "recognition"]
    post = text(icu)
    assert "ICU: a month of recognition (November 2026)" in post
    assert "4 shout-outs for ICU: 3 people thanked by name, and 1 for the whole team." in post
    assert "4 shout-outs given by ICU members, 1 of them suggested by teammates." in post
    for name in ("Ana", "Ben", "Carla", "Dev", "Sam"):
        assert name not in post  # counts only: nobody is named, nobody ranked
    rows = [line.split() for line in post.splitlines() if line.startswith(("ICU", "Oncology"))]
    assert ["ICU", "4", "4"] in rows and ["Oncology", "Clinic", "0", "1"] in rows
    assert "not a ranking" in post
    (onc,) = [m for m in messages(chat, "C-onc") if m.kind == "recognition"]
    assert "1 shout-outs for Oncology Clinic" in text(onc)
    with Session(chat.bot.engine) as s:
        keys = s.exec(select(OutboxMessage.dedupe_key).where(OutboxMessage.schedule_id == sid))
        assert len(list(keys)) == 2

    # January's post counts December's (none): an invitation, not a zero.
    tick_at(chat, [utc(2027, 1, 4, 15)])
    latest = [m for m in messages(chat, "C-icu") if m.kind == "recognition"][-1]
    assert "No shout-outs for ICU in December 2026" in text(latest)
