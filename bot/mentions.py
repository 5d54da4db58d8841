"""How a person or a channel is named in a message: a real mention where the platform
knows them, their name in bold otherwise."""

from __future__ import annotations

from sqlmodel import select

from bot.context import Ctx, Refused
from bot.markup import escape
from bot.messages import ChannelRef
from bot.models import Person, PlatformIdentity
from bot.store import link_identity, person_by_email, person_for_identity
from bot.templates import Markdown


def mention(ctx: Ctx, person: Person, platform: str) -> Markdown:
    """A real mention of ``person`` on ``platform`` if they have an identity there, else a name."""
    external = ctx.session.exec(
        select(PlatformIdentity.external_id).where(
            PlatformIdentity.platform == platform, PlatformIdentity.person_id == person.id
        )
    ).first()
    if external is None:
        return Markdown(f"**{escape(person.name)}**")
    return Markdown(f"[{escape(person.name)}](mention:{external})")


def channel_md(ref: ChannelRef) -> Markdown:
    return Markdown(f"[#{escape(ref.name or ref.id)}](channel:{ref.id})")


def mentioned_people(ctx: Ctx, unknown: str = "shoutout.unknown_person") -> list[Person]:
    """The people mentioned in what was typed, in order, each once; linking a platform
    identity by its email the first time. Someone not on the roster is refused with the
    ``unknown`` template (its field: ``name``)."""
    incoming = ctx.incoming
    if incoming is None:
        return []
    people: list[Person] = []
    for m in incoming.mentions:
        person = person_for_identity(ctx.session, incoming.platform, m.user_id)
        if person is None and m.email:
            person = person_by_email(ctx.session, m.email)
            if person is not None:
                link_identity(
                    ctx.session,
                    incoming.platform,
                    m.user_id,
                    person.id or 0,
                    ctx.now(),
                    incoming.workspace,
                )
        if person is None:
            raise Refused(ctx.say(unknown, name=m.name or m.user_id))
        if person not in people:
            people.append(person)
    return people


def without_mentions(ctx: Ctx, text: str) -> str:
    """The words typed, with the mentions taken out (as adapters write them: ``@Name``)."""
    incoming = ctx.incoming
    if incoming is None:
        return text.strip()
    for m in incoming.mentions:
        for token in (f"@{m.name}", f"@{m.user_id}"):
            text = text.replace(token, " ")
    return " ".join(text.split()).strip(" :,-–")
