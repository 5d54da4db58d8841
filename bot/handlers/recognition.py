"""Handlers for recognition: shout-outs to people or a whole team, and teammates' suggestions.

Champions (their own team) and admins post shout-outs in the team's channel, with real
mentions. Anyone else who types ``shoutout`` is offered to suggest it: with one tap it
goes to their champions privately, with Approve / Edit / Decline, and the suggester is
told each outcome privately. Someone who said ``celebrate me: no`` is never named in
the channel: the giver is told, and offered to send the words privately instead. Every
text that others will read is screened for patient details first.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import commands as c
from bot.celebrations import celebrates
from bot.context import Ctx, Refused
from bot.guard import privacy_refusal
from bot.markup import escape
from bot.mentions import channel_md, mention, mentioned_people, without_mentions
from bot.messages import ChannelRef, Form, FormField, Heading, Message, Outgoing, Text
from bot.models import Person, Shoutout, Team
from bot.notices import notify
from bot.scopes import Scope, limit_to_own_team, team_named
from bot.shoutouts import (
    champions_of,
    channel_of,
    names_team,
    recipients,
    record,
    team_and_words,
    waiting,
)
from bot.store import team_of
from bot.templates import Markdown

#: Suggestions shown at once by ``shoutouts`` (each with its three buttons).
LIST_LIMIT = 5
#: The longest shout-out, in characters: it reads well in a channel, and fits a form
#: that holds it for editing.
MAX_WORDS = 1000


@dataclass(frozen=True)
class Draft:
    """What a ``shoutout`` says: the team, the people thanked (none: the whole team), and
    the words."""

    team: Team
    people: tuple[Person, ...]
    words: str


def _may_give(ctx: Ctx) -> bool:
    return ctx.actor.is_admin or ctx.actor.has("champion")


def _check_length(ctx: Ctx, words: str) -> str:
    if len(words) > MAX_WORDS:
        raise Refused(ctx.say("shoutout.too_long", count=len(words), limit=MAX_WORDS))
    return words


def _read(ctx: Ctx, text: str) -> Draft:
    """The team, people and words of a ``shoutout``, or a refusal naming what is missing."""
    incoming = ctx.incoming
    mentions = incoming.mentions if incoming is not None else ()
    if names_team(text):
        if mentions:
            raise Refused(ctx.say("shoutout.team_or_people"))
        team, words, typed = team_and_words(ctx.session, text)
        if team is None:
            team = team_named(ctx, typed or "-")  # the closest teams, or a refusal naming them
        if not words:
            raise Refused(ctx.say("shoutout.usage"))
        return Draft(team, (), _check_length(ctx, words))
    if not mentions:
        raise Refused(ctx.say("shoutout.usage"))
    people = mentioned_people(ctx)
    words = without_mentions(ctx, text)
    if not words:
        raise Refused(ctx.say("shoutout.usage"))
    teams = {p.team_id for p in people}
    if None in teams:
        nobody = next(p for p in people if p.team_id is None)
        raise Refused(ctx.say("shoutout.no_team", name=nobody.name))
    if len(teams) > 1:
        names = sorted({t.name for p in people if (t := team_of(ctx.session, p.team_id))})
        raise Refused(ctx.say("shoutout.one_team", teams=", ".join(names)))
    team = team_of(ctx.session, people[0].team_id)
    assert team is not None
    return Draft(team, tuple(people), _check_length(ctx, words))


def _who(ctx: Ctx, row: Shoutout, people: list[Person], team: Team) -> str:
    """Whom a shout-out thanks, in plain words: names, or the team."""
    if row.whole_team or not people:
        return ctx.plain("shoutout.whole_team", team=team.name)
    return ", ".join(p.name for p in people)


def _sender(ctx: Ctx, row: Shoutout) -> str:
    """Who gave it (for a suggestion: who suggested it), by name."""
    person = ctx.session.get(Person, row.giver_id) if row.giver_id else None
    return person.name if person is not None else row.giver


def _actor_name(ctx: Ctx) -> str:
    return ctx.actor.person.name if ctx.actor.person else ctx.actor.label


def _opted_out(ctx: Ctx, people: list[Person]) -> list[Person]:
    return [p for p in people if not celebrates(p, ctx.content)]


def _channel(ctx: Ctx, team: Team) -> str | None:
    """Where a team's shout-out goes: its linked channel on this platform, else the channel
    the words were typed in; None on the terminal (shown here, as the channel would)."""
    incoming = ctx.incoming
    if incoming is None:
        raise Refused(ctx.say("link.needs_chat"))
    linked = channel_of(ctx.session, team.id or 0, incoming.platform)
    if linked is not None:
        return linked
    if incoming.in_channel and incoming.conversation_id:
        return incoming.conversation_id
    if not incoming.has_channels:
        return None
    raise Refused(ctx.say("shoutout.no_channel", team=team.name))


def _private_button(ctx: Ctx, row: Shoutout) -> Message:
    return ctx.message(
        "shoutout.private_offer",
        [ctx.actions(ctx.button("button.shoutout_private", f"shoutout private {row.id}"))],
    )


def _publish(
    ctx: Ctx, row: Shoutout, people: list[Person], team: Team
) -> tuple[list[Message | Outgoing], list[Person]]:
    """Post a shout-out in its team's channel, or hold it if someone named prefers not to
    be celebrated publicly (then offer to send it privately). Returns the answers and the
    people who held it (empty when posted)."""
    private = _opted_out(ctx, people)
    if private:
        row.status = "held"
        ctx.session.add(row)
        names = ", ".join(p.name for p in private)
        offer = ctx.say(
            "shoutout.private",
            ctx.actions(ctx.button("button.shoutout_private", f"shoutout private {row.id}")),
            name=names,
        )
        return [offer], private
    channel_id = _channel(ctx, team)
    incoming = ctx.incoming
    assert incoming is not None
    sender = _sender(ctx, row)
    if row.suggested:
        sender = ctx.plain("shoutout.via", sender=sender, champion=_actor_name(ctx))
    if row.whole_team:
        post = ctx.say("shoutout.post_team", team=team.name, message=row.text, sender=sender)
    else:
        who = Markdown(", ".join(mention(ctx, p, incoming.platform) for p in people))
        post = ctx.say("shoutout.post", who=who, message=row.text, sender=sender)
    row.status = "posted"
    row.posted_at = ctx.now()
    row.platform = incoming.platform
    row.channel_id = channel_id or ""
    ctx.session.add(row)
    target = ", ".join(p.email for p in people) if people else f"team:{team.key}"
    ctx.audit("shoutout", target, f"#{row.id}: {row.text[:500]}")
    where = (
        channel_md(ChannelRef(channel_id, ""))
        if channel_id
        else Markdown(escape(ctx.plain("shoutout.team_channel", team=team.name)))
    )
    sent = ctx.say("shoutout.sent", who=_who(ctx, row, people, team), channel=where)
    return [Outgoing(post, visibility="public", channel_id=channel_id), sent], []


def shoutout(ctx: Ctx, cmd: c.Shoutout) -> list[Message | Outgoing]:
    """Thank people or a whole team in the team channel; anyone else may suggest it."""
    if ctx.incoming is None:
        return [ctx.say("link.needs_chat")]
    draft = _read(ctx, cmd.text)
    blocked = privacy_refusal(ctx, draft.words)
    if blocked is not None:
        return [blocked]
    if not _may_give(ctx):
        return _offer(ctx, draft)
    limit_to_own_team(ctx, Scope(team=draft.team))
    for person in draft.people:
        limit_to_own_team(ctx, Scope(person=person))
    _channel(ctx, draft.team)  # nowhere to post it: say so before anything is kept
    row = record(
        ctx.session,
        giver=ctx.actor.person,
        giver_label=ctx.actor.label,
        team=draft.team,
        people=draft.people,
        text=draft.words,
        status="posted",
        now=ctx.now(),
    )
    answers, _ = _publish(ctx, row, list(draft.people), draft.team)
    return answers


def _reviewers(ctx: Ctx, team: Team, people: tuple[Person, ...]) -> list[Person]:
    """Who a teammate's suggestion goes to: the team's champions, but not those it thanks
    (unless they are all of them) nor the suggester."""
    champions = champions_of(ctx.session, team.id or 0)
    me = ctx.actor.person.id if ctx.actor.person else None
    others = [p for p in champions if p not in people and p.id != me]
    return others or [p for p in champions if p.id != me]


def _offer(ctx: Ctx, draft: Draft) -> list[Message | Outgoing]:
    """A teammate's shout-out: offered as a suggestion to their champions, in one tap."""
    person = ctx.actor.person
    assert person is not None  # the operator may give shout-outs themselves
    if person.team_id != draft.team.id:
        own = team_of(ctx.session, person.team_id)
        return [ctx.say("shoutout.suggest_own_team", team=own.name if own else "-")]
    reviewers = _reviewers(ctx, draft.team, draft.people)
    private = _opted_out(ctx, list(draft.people))
    if not reviewers or private:
        if not draft.people:
            return [ctx.say("shoutout.no_champion", team=draft.team.name)]
        row = record(
            ctx.session,
            giver=person,
            giver_label=ctx.actor.label,
            team=draft.team,
            people=draft.people,
            text=draft.words,
            status="held",
            now=ctx.now(),
        )
        if private:
            names = ", ".join(p.name for p in private)
            return [
                ctx.say(
                    "shoutout.private",
                    ctx.actions(
                        ctx.button("button.shoutout_private", f"shoutout private {row.id}")
                    ),
                    name=names,
                )
            ]
        return [
            ctx.say("shoutout.no_champion", team=draft.team.name),
            _private_button(ctx, row),
        ]
    row = record(
        ctx.session,
        giver=person,
        giver_label=ctx.actor.label,
        team=draft.team,
        people=draft.people,
        text=draft.words,
        status="offered",
        now=ctx.now(),
        suggested=True,
    )
    return [
        ctx.say(
            "shoutout.offer",
            ctx.actions(
                ctx.button("button.shoutout_suggest", f"shoutout suggest {row.id}", "primary")
            ),
            champions=", ".join(p.name for p in reviewers),
            who=_who(ctx, row, list(draft.people), draft.team),
            message=draft.words,
        )
    ]


def _mine(ctx: Ctx, shoutout_id: int) -> Shoutout:
    """A shout-out the asker gave."""
    row = ctx.session.get(Shoutout, shoutout_id)
    person = ctx.actor.person
    if row is None or person is None or row.giver_id != person.id:
        raise Refused(ctx.say("shoutout.not_found", id=shoutout_id))
    return row


def _review_message(ctx: Ctx, row: Shoutout, people: list[Person], team: Team) -> Message:
    return ctx.say(
        "shoutout.review",
        ctx.actions(
            ctx.button("button.approve", f"shoutout approve {row.id}", "primary"),
            ctx.button("button.edit", f"shoutout edit {row.id}"),
            ctx.button("button.decline", f"shoutout decline {row.id}", "danger"),
        ),
        suggester=_sender(ctx, row),
        who=_who(ctx, row, people, team),
        message=row.text,
        team=team.name,
    )


def suggest(ctx: Ctx, cmd: c.ShoutoutSuggest) -> list[Message]:
    """Send one's shout-out to the champions, privately, with Approve / Edit / Decline."""
    row = _mine(ctx, cmd.shoutout_id)
    if row.status != "offered":
        return [_decided(ctx, row)]
    team = team_of(ctx.session, row.team_id)
    assert team is not None
    people = recipients(ctx.session, row.id or 0)
    reviewers = _reviewers(ctx, team, tuple(people))
    if not reviewers:
        return [ctx.say("shoutout.no_champion", team=team.name)]
    row.status = "suggested"
    ctx.session.add(row)
    review = _review_message(ctx, row, people, team)
    platform = ctx.incoming.platform if ctx.incoming else None
    reached = [
        p.name
        for p in reviewers
        if notify(
            ctx.session,
            p.id or 0,
            review,
            f"shoutout:{row.id}:review",
            ctx.now(),
            kind="shoutout",
            prefer=platform,
            team_id=team.id,
        )
    ]
    if not reached:
        return [ctx.say("shoutout.suggested_later", champions=", ".join(p.name for p in reviewers))]
    return [ctx.say("shoutout.suggested", champions=", ".join(reached))]


def _tell_giver(ctx: Ctx, row: Shoutout, what: str, template: str, **values: str) -> None:
    """Tell whoever suggested a shout-out what became of it, privately (once per outcome)."""
    if row.giver_id is None or (ctx.actor.person and ctx.actor.person.id == row.giver_id):
        return
    platform = ctx.incoming.platform if ctx.incoming else None
    notify(
        ctx.session,
        row.giver_id,
        ctx.say(template, **values),
        f"shoutout:{row.id}:{what}",
        ctx.now(),
        kind="shoutout",
        prefer=platform,
        team_id=row.team_id,
    )


def _decided(ctx: Ctx, row: Shoutout) -> Message:
    return ctx.say(
        "shoutout.decided",
        id=row.id or 0,
        status=ctx.plain(f"shoutout.status.{row.status}"),
        who=row.decided_by or row.giver,
    )


def review(ctx: Ctx, cmd: c.ShoutoutReview) -> list[Message | Outgoing]:
    """A champion approves, edits (then posts) or declines a suggested shout-out."""
    row = ctx.session.get(Shoutout, cmd.shoutout_id)
    if row is None or not row.suggested:
        return [ctx.say("shoutout.not_found", id=cmd.shoutout_id)]
    team = team_of(ctx.session, row.team_id)
    assert team is not None
    limit_to_own_team(ctx, Scope(team=team))
    if row.status != "suggested":
        return [_decided(ctx, row)]
    people = recipients(ctx.session, row.id or 0)
    who = _who(ctx, row, people, team)
    if cmd.action == "edit" and not cmd.text:
        return [_edit_form(ctx, row, who)]
    if cmd.action == "decline":
        row.status, row.decided_by, row.decided_at = "declined", ctx.actor.label, ctx.now()
        ctx.session.add(row)
        ctx.audit("shoutout.decline", f"#{row.id}", row.text[:500])
        _tell_giver(
            ctx, row, "declined", "shoutout.told_declined", champion=_actor_name(ctx), who=who
        )
        return [ctx.say("shoutout.declined", suggester=_sender(ctx, row))]
    before = row.text
    if cmd.action == "edit":
        words = without_mentions(ctx, cmd.text)
        if not words:
            return [_edit_form(ctx, row, who)]
        _check_length(ctx, words)
        blocked = privacy_refusal(ctx, words)
        if blocked is not None:
            return [blocked]
        row.text, row.edited = words, words != before
    _channel(ctx, team)  # nowhere to post it: say so, and the suggestion waits
    row.decided_by, row.decided_at = ctx.actor.label, ctx.now()
    answers, held = _publish(ctx, row, people, team)
    action = "shoutout.edit" if row.edited else "shoutout.approve"
    ctx.audit(action, f"#{row.id}", f"{before[:1900]} -> {row.text[:1900]}" if row.edited else "")
    champion = _actor_name(ctx)
    if held:
        names = ", ".join(p.name for p in held)
        _tell_giver(ctx, row, "held", "shoutout.told_held", champion=champion, who=who, name=names)
    elif row.edited:
        _tell_giver(
            ctx, row, "posted", "shoutout.told_edited", champion=champion, who=who, message=row.text
        )
    else:
        _tell_giver(ctx, row, "posted", "shoutout.told_posted", champion=champion, who=who)
    return answers


def _edit_form(ctx: Ctx, row: Shoutout, who: str) -> Message:
    """The words to change, in a form that holds them already (a Slack modal, a Teams
    card); the terminal says what to type instead."""
    form = Form(
        title=ctx.plain("shoutout.form_title"),
        fields=(
            FormField(
                "text",
                ctx.plain("shoutout.form_words"),
                multiline=True,
                value=row.text,
            ),
        ),
        command=f"shoutout edit {row.id} {{text}}",
        submit=ctx.plain("shoutout.form_submit"),
        example=ctx.plain("shoutout.form_example", id=row.id or 0),
    )
    return ctx.message(
        "shoutout.edit",
        [
            Text(ctx.md("shoutout.edit_intro", who=who, message=row.text)),
            Heading(form.title),
            form,
            Text(ctx.md("shoutout.form_example", id=row.id or 0)),
            ctx.actions(
                ctx.button("button.approve_as_is", f"shoutout approve {row.id}", "primary"),
                ctx.button("button.decline", f"shoutout decline {row.id}", "danger"),
            ),
        ],
        form.title,
    )


def privately(ctx: Ctx, cmd: c.ShoutoutPrivately) -> list[Message]:
    """Send a shout-out that was not posted to the people it thanks, privately."""
    row = ctx.session.get(Shoutout, cmd.shoutout_id)
    person = ctx.actor.person
    if row is None:
        return [ctx.say("shoutout.not_found", id=cmd.shoutout_id)]
    giver = person is not None and row.giver_id == person.id
    team = team_of(ctx.session, row.team_id)
    assert team is not None
    if not giver:
        if not _may_give(ctx):
            return [ctx.say("shoutout.not_found", id=cmd.shoutout_id)]
        limit_to_own_team(ctx, Scope(team=team))
    if row.status != "held" or row.whole_team:
        return [_decided(ctx, row)]
    people = recipients(ctx.session, row.id or 0)
    sender = _sender(ctx, row)
    platform = ctx.incoming.platform if ctx.incoming else None
    note = ctx.say("shoutout.private_note", sender=sender, message=row.text)
    reached: list[str] = []
    missed: list[str] = []
    for p in people:
        sent = notify(
            ctx.session,
            p.id or 0,
            note,
            f"shoutout:{row.id}:private",
            ctx.now(),
            kind="shoutout",
            prefer=platform,
            team_id=team.id,
        )
        (reached if sent else missed).append(p.name)
    row.status, row.posted_at = "private", ctx.now()
    if not giver:
        row.decided_by, row.decided_at = ctx.actor.label, ctx.now()
    ctx.session.add(row)
    if _may_give(ctx):
        ctx.audit("shoutout.private", f"#{row.id} " + ", ".join(p.email for p in people))
    _tell_giver(
        ctx,
        row,
        "private",
        "shoutout.told_private",
        champion=_actor_name(ctx),
        who=", ".join(p.name for p in people),
    )
    answers = []
    if reached:
        answers.append(ctx.say("shoutout.private_sent", names=", ".join(reached)))
    if missed:
        answers.append(ctx.say("shoutout.private_unreachable", names=", ".join(missed)))
    return answers


def list_waiting(ctx: Ctx, cmd: c.ShoutoutList) -> list[Message]:
    """The suggestions waiting for a champion (their own team's), each with its buttons."""
    own = None if ctx.actor.is_admin else limit_to_own_team(ctx, Scope()).team
    team_id = own.id if own is not None else None
    rows = waiting(ctx.session, team_id)
    if not rows:
        return [ctx.say("shoutout.none_waiting")]
    messages: list[Message] = [ctx.say("shoutout.waiting_heading", count=len(rows))]
    for row in rows[:LIST_LIMIT]:
        team = team_of(ctx.session, row.team_id)
        assert team is not None
        messages.append(_review_message(ctx, row, recipients(ctx.session, row.id or 0), team))
    if len(rows) > LIST_LIMIT:
        messages.append(ctx.say("report.more", count=len(rows) - LIST_LIMIT))
    return messages
