"""Keeping patient details out: free text is screened before Huddle shares or stores it.

:func:`privacy_refusal` is the answer when :func:`bot.privacy.screen` finds likely
identifiers in text a person asked the bot to post or keep.
"""

from __future__ import annotations

from bot import privacy
from bot.context import Ctx
from bot.messages import Message


def privacy_refusal(ctx: Ctx, text: str) -> Message | None:
    """A private refusal if ``text`` looks like it holds patient identifiers, else None."""
    findings = privacy.screen(text)
    if not findings:
        return None
    kinds = ", ".join(dict.fromkeys(ctx.plain(f"privacy.kind.{f.kind}") for f in findings))
    return ctx.say("privacy.blocked", kinds=kinds, text=text)
