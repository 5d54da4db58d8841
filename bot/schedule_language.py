"""The language of scheduled messages, as people type it (and as forms and the CLI fill it in):

    [anyway] <kind> [to] <audience> <when> [in <Zone> | org time]
        [say <text> | session <when> <link> <title>]

``next-course to team:icu every monday 09:00``, ``case to channels 1 day before
meeting``, ``custom to everyone weekdays 08:30 say The new pain guide is on the
intranet``. The kinds are those of :mod:`bot.planning` (their words too); the
audience is :mod:`bot.audience`'s; the when is :mod:`bot.recurrence`'s, or a time
before each team's standing meeting. Each reader raises
:class:`bot.context.Refused` with the answer that names the part that is wrong and
gives an example of that part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot import audience as aud
from bot.context import Ctx, Refused
from bot.guard import privacy_refusal
from bot.planning import KINDS, kind_of
from bot.recurrence import RecurrenceError, before_meeting, parse_when
from bot.reports import PERIOD_EXAMPLES as REPORT_PERIODS
from bot.reports import PeriodError, parse_period
from bot.timeparse import find_zone

AUDIENCE_WORD = re.compile(
    r"^(?:(?:team|discipline|pathway|channel|behind):\S+|everyone|everybody|all|senior|leaders?"
    r"|champions|not|started|behind|channels|and|,)$",
    re.I,
)


@dataclass(frozen=True)
class Plan:
    """A schedule as read from the one-line form, before it is saved."""

    kind: str
    audience: aud.Audience
    when: str
    timezone: str
    params: dict[str, Any]


#: The words that end the "when" and start what a kind needs: a custom message's text,
#: a session's time and link, a report's period.
MARKERS = {" say ": "text", " session ": "session", " period ": "period"}
#: Said first, it schedules a message even when the same one is scheduled already.
INSIST = "anyway"


def insisted(text: str) -> tuple[str, bool]:
    """The words without a leading 'anyway', and whether it was there."""
    words = text.strip()
    if words.lower().split(" ", 1)[0] == INSIST:
        return words[len(INSIST) :].strip(), True
    return words, False


def read(ctx: Ctx, text: str, default_audience: str = "everyone") -> Plan:
    """'<kind> to <audience> <when> [in Zone] [say <text> | session <when> <link> <title>]'."""
    words = text.split()
    kind = kind_of(words[0]) if words else None
    if kind is None:
        kinds = ", ".join(k.replace("_", "-") for k in KINDS)
        raise Refused(ctx.say("nudge.kind_unknown", text=words[0] if words else "", kinds=kinds))
    rest = words[1:]
    if rest and rest[0].lower() == "to":
        rest = rest[1:]
    spoken_audience: list[str] = []
    while rest and AUDIENCE_WORD.match(rest[0]):
        spoken_audience.append(rest.pop(0))
    tail = " ".join(rest)
    params: dict[str, Any] = {}
    for marker in (" say ", " session ", " period "):
        found = (" " + tail + " ").lower().find(marker)
        if found >= 0:
            head, extra = tail[: max(found - 1, 0)].strip(), tail[found + len(marker) - 1 :].strip()
            params[MARKERS[marker]] = extra
            tail = head
            break
    else:
        if tail.lower().endswith(" say") or tail.lower() == "say":
            tail = tail[: -len("say")].strip()
    zone = ""
    zone_match = re.search(r"\s+in\s+(?P<zone>[A-Za-z_/+-]+(?:\s[A-Za-z_]+)?)$", tail)
    if zone_match:
        name, _ = find_zone(zone_match.group("zone"))
        if name:
            zone, tail = name, tail[: zone_match.start()].strip()
    if tail.lower().endswith("org time"):
        zone, tail = ctx.content.initiative.defaults.timezone, tail[: -len("org time")].strip()
    wrong = misread_audience(ctx, tail)
    if wrong is not None:
        # 'to bar every monday 09:00': the when reads once 'bar' is set aside, so it is
        # the audience that is wrong, not the time.
        raise Refused(ctx.say("nudge.audience_bad", text=wrong))
    try:
        audience = aud.parse_audience(
            " ".join(spoken_audience) or default_audience, set(ctx.content.pathways)
        )
    except aud.AudienceError as exc:
        raise Refused(ctx.say("nudge.audience_bad", text=exc.text)) from None
    _, missing = aud.resolve_teams(ctx.session, audience.teams + audience.channel_teams)
    if missing:
        raise Refused(ctx.say("nudge.audience_team", text=missing[0]))
    return Plan(kind, audience, tail, zone, params)


def reads_as_when(ctx: Ctx, text: str) -> bool:
    """Whether this is a 'when' (perhaps one with a problem of its own, such as a past date)."""
    if before_meeting(text) is not None:
        return True
    try:
        parse_when(text, ctx.today())
    except RecurrenceError as exc:
        return exc.code not in ("empty", "unreadable", "bad_time")
    return True


def misread_audience(ctx: Ctx, tail: str) -> str | None:
    """The leading words of ``tail`` that stop it reading as a 'when', if setting one to
    three of them aside makes it read; None when the when reads as it is (or never)."""
    words = tail.split()
    if not words or reads_as_when(ctx, tail):
        return None
    for size in range(1, min(3, len(words) - 1) + 1):
        if reads_as_when(ctx, " ".join(words[size:])):
            return " ".join(words[:size])
    return None


def check_when(ctx: Ctx, when: str, kind: str = "") -> str:
    """The 'when' to store: as typed, or for a one-off its date, so "tomorrow" stays put.

    Case prompts may instead be timed ahead of each team's standing meeting.
    """
    ahead = before_meeting(when)
    if ahead is not None:
        if kind != "case":
            raise Refused(ctx.say("nudge.meeting_case_only"))
        return ahead_text(ahead)
    try:
        recurrence = parse_when(when, ctx.today())
    except RecurrenceError as exc:
        raise Refused(ctx.say(f"when.{exc.code}", text=when or exc.text)) from None
    if recurrence.once is not None:
        return f"{recurrence.once:%Y-%m-%d %H:%M} once"
    return when


def session_params(ctx: Ctx, text: str) -> dict[str, Any]:
    """'2026-12-03 12:00 https://meet.example.org/x Goals-of-care practice'."""
    link = next((w for w in text.split() if w.startswith(("https://", "http://"))), "")
    if not link:
        raise Refused(ctx.say("nudge.session_usage"))
    before, _, title = text.partition(link)
    try:
        recurrence = parse_when(before.strip() + " once", ctx.today())
    except RecurrenceError:
        raise Refused(ctx.say("nudge.session_usage")) from None
    if recurrence.once is None:
        raise Refused(ctx.say("nudge.session_usage"))
    blocked = privacy_refusal(ctx, title)
    if blocked is not None:
        raise Refused(blocked)
    return {
        "at": recurrence.once.isoformat(timespec="minutes"),
        "link": link,
        "title": title.strip() or link,
    }


def ahead_text(ahead: timedelta) -> str:
    if ahead % timedelta(days=1) == timedelta(0):
        days = ahead // timedelta(days=1)
        return f"{days} day{'s' if days > 1 else ''} before meeting"
    hours = ahead // timedelta(hours=1)
    return f"{hours} hour{'s' if hours > 1 else ''} before meeting"


def read_params(ctx: Ctx, plan: Plan) -> dict[str, Any]:
    """What a custom message says, a session's time, link and title, or the period a
    report covers, checked (and screened for patient details) and ready to store."""
    params: dict[str, Any] = {}
    if plan.kind == "custom":
        text = plan.params.get("text", "").strip()
        if not text:
            raise Refused(ctx.say("nudge.custom_needs_text"))
        blocked = privacy_refusal(ctx, text)
        if blocked is not None:
            raise Refused(blocked)
        params["text"] = text
    if plan.kind == "session":
        if "session" not in plan.params:
            raise Refused(ctx.say("nudge.session_usage"))
        params.update(session_params(ctx, plan.params["session"]))
    if plan.kind == "report" and plan.params.get("period"):
        words = " ".join(plan.params["period"].split())
        try:
            parse_period(words, ctx.today())
        except PeriodError:
            raise Refused(
                ctx.say("reports.bad_period", text=words, examples=REPORT_PERIODS)
            ) from None
        params["period"] = words
    return params
