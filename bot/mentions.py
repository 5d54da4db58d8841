"""How a person or a channel is named in a message: a real mention where the platform
knows them, their name in bold otherwise."""

from __future__ import annotations

from sqlmodel import select

from bot.context import Ctx
from bot.markup import escape
from bot.messages import ChannelRef
from bot.models import Person, PlatformIdentity
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
