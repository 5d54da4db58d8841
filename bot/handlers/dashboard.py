"""The ``dashboard`` command: a one-time sign-in link to the coordinators' dashboard."""

from __future__ import annotations

from urllib.parse import quote

from bot import commands as c
from bot import dashboard_access as access
from bot.context import Ctx
from bot.messages import Message


def dashboard(ctx: Ctx, cmd: c.Dashboard) -> list[Message]:
    """A link for this person and the widest role they hold that may open the dashboard:
    it works once, for 15 minutes. Never in a channel: only the asker sees the answer."""
    person = ctx.actor.person
    if person is None:
        return [ctx.say("dashboard.operator")]
    role = access.dashboard_role(ctx.actor.roles)
    if role is None:  # the role check before the handler lets only these through
        return [ctx.say("dashboard.not_for_you")]
    key = access.signing_key(ctx.session, ctx.web.dashboard_key, ctx.now())
    token = access.issue_link(ctx.session, person, role, key, ctx.now())
    # The link is not written in the audit trail or any log: it signs someone in.
    ctx.audit("dashboard.link", person.email, role)
    url = f"{ctx.web.public_url}/dashboard/login?t={quote(token)}"
    minutes = int(access.LINK_LIFETIME.total_seconds() // 60)
    return [
        ctx.say(
            "dashboard.link",
            url=url,
            minutes=minutes,
            role=ctx.plain(f"role.{role}"),
            hours=int(access.IDLE.total_seconds() // 3600),
        )
    ]
