"""Dates as people say them, read for a command, with the question to ask when a date
was meant but cannot be settled (an ambiguous 03/04, "mid-January").

:func:`read_date` takes the whole of what followed "pause until" (or "snooze", "shift
nights until"): a date said plainly, or said somewhere inside ("my reminders till Dec
20"). Numeric dates follow the organisation's ``date_order``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.context import Ctx, Refused
from bot.messages import Block, Button
from bot.timeparse import DateError, find_date, format_date, parse_date


def read_date(
    ctx: Ctx,
    text: str,
    *,
    ending: bool,
    again: Callable[[date], str],
    hint: Block | None = None,
) -> date:
    """The date in ``text``, or :class:`Refused` with the question: which of the days an
    ambiguous date could be (buttons whose words are ``again(day)``), which day of a
    vague month, or that no date was found (with ``hint``)."""
    order = ctx.content.initiative.defaults.date_order
    today = ctx.today()
    try:
        return parse_date(text, today, order, ending)
    except DateError as exc:
        error = exc
    if error.code == "unreadable":
        found = find_date(text, today, order, ending)
        if found is not None and isinstance(found[0], date):
            return found[0]
        if found is not None and isinstance(found[0], DateError):
            error = found[0]
    extra: list[Block] = [hint] if hint is not None else []
    if error.code == "ambiguous" and error.options:
        buttons = [Button(format_date(day), again(day)) for day in error.options]
        raise Refused(ctx.say("date.which", ctx.actions(*buttons), text=error.text))
    raise Refused(ctx.say(f"date.{error.code}", *extra, text=error.text))


def iso(day: date) -> str:
    return day.isoformat()
