"""Handlers for the report (``bot.reports``): its summary in chat, and its files.

``report summary [period] [team:KEY]`` answers with the headline and a few figures, and
buttons for the files; ``report xlsx|csv [period] [team:KEY]`` answers with the file
itself (kept for the adapter to send, as an import's error file is). Admins and senior
leaders see everything (or one team); champions their own team, with who is stuck.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot import commands as c
from bot import report_chat, report_files, reports
from bot.context import Ctx, Refused
from bot.messages import Attachment, Message
from bot.report_data import Report
from bot.scopes import Scope, limit_to_own_team, parse_scope
from bot.store import keep_file

_SCOPE_WORD = re.compile(r'\b(?:team|discipline|pathway):(?:"[^"]+"|\S+)', re.I)
DEFAULT_PERIOD = "this quarter"
#: The charts drawn in the summary someone asks for.
SUMMARY_CHARTS = ("teams",)


def _build(ctx: Ctx, text: str) -> tuple[Report, str]:
    """The report the words ask for, within what the asker may see, and the words that
    name it again (for buttons)."""
    scope_words = " ".join(_SCOPE_WORD.findall(text))
    period_words = _SCOPE_WORD.sub(" ", text).strip() or DEFAULT_PERIOD
    zone = ZoneInfo(ctx.content.initiative.defaults.timezone)
    try:
        period = reports.parse_period(period_words, ctx.now().astimezone(zone).date())
    except reports.PeriodError:
        raise Refused(
            ctx.say("reports.bad_period", text=period_words, examples=reports.PERIOD_EXAMPLES)
        ) from None
    scope = parse_scope(ctx, scope_words) if scope_words else Scope(everyone=True)
    sees_all = ctx.actor.is_admin or ctx.actor.has("senior_leader")
    if not sees_all:
        scope = limit_to_own_team(ctx, scope)
    own = ctx.actor.person.team_id if ctx.actor.person else None
    champion_team = (
        own
        if ctx.actor.has("champion") and scope.team is not None and scope.team.id == own
        else None
    )
    report = reports.build(
        ctx.session,
        ctx.content,
        team_ids=[scope.team.id or 0] if scope.team is not None else None,
        period=period,
        discipline=scope.discipline,
        pathway=scope.pathway,
        champion_team_id=champion_team,
        now=ctx.now(),
        # Teams by name, or everyone; in words when narrowed by discipline or pathway.
        scope=scope.describe(ctx) if scope.discipline or scope.pathway else "",
    )
    again = period.label if period_words != DEFAULT_PERIOD else ""
    if scope.team is not None:
        again = f"{again} team:{scope.team.key}".strip()
    for kind, value in (("discipline", scope.discipline), ("pathway", scope.pathway)):
        if value:
            again = f"{again} {kind}:{value}".strip()
    return report, again


def report_summary(ctx: Ctx, cmd: c.ReportSummary) -> list[Message]:
    report, again = _build(ctx, cmd.text)
    # The team chart in chat; the others are in the files, the printed report and the
    # dashboard (and in the monthly report a leaders' channel is sent).
    return [report_chat.summary_message(ctx, report, again, charts=SUMMARY_CHARTS)]


def report_file(ctx: Ctx, cmd: c.ReportFile) -> list[Message]:
    """The report as a file of ``cmd.format``, kept in this request's transaction."""
    fmt = report_files.FORMATS.get(cmd.format)
    if fmt is None:
        return [
            ctx.say("reports.bad_format", text=cmd.format, formats=", ".join(report_files.FORMATS))
        ]
    report, again = _build(ctx, cmd.text)
    name = report_files.file_name(report, cmd.format)
    media_type = fmt.media_type
    if cmd.section and cmd.format == "csv":
        keys = [s.key for s in report.sections]
        if cmd.section not in keys:
            return [ctx.say("reports.no_section", text=cmd.section, sections=", ".join(keys))]
        data = report_files.to_csv(report, cmd.section)
        name, media_type = f"{name.removesuffix('.zip')}-{cmd.section}.csv", "text/csv"
    else:
        data = fmt.write(report)
    file_id = keep_file(
        ctx.session,
        name=name,
        data=data,
        owner=ctx.actor.label,
        now=ctx.now(),
        media_type=media_type,
    )
    # A copy of the initiative's figures leaves Huddle: who took which is in the audit log.
    ctx.audit("report.file", name, f"{len(data)} bytes")
    words = f"report {cmd.format} {again}".strip()
    attachment = Attachment(file_id, name, len(data), media_type=media_type, again=words)
    return [ctx.say("reports.file_ready", attachment, name=name, period=report.period.label)]
