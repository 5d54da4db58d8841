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
from bot import report_files, reports
from bot.context import Ctx, Refused
from bot.messages import Actions, Attachment, Block, Heading, Message, Text
from bot.report_data import Report
from bot.scopes import Scope, limit_to_own_team, parse_scope
from bot.store import keep_file
from bot.templates import Markdown

_SCOPE_WORD = re.compile(r'\b(?:team|discipline|pathway):(?:"[^"]+"|\S+)', re.I)
DEFAULT_PERIOD = "this quarter"
#: Comfort topics said in the summary; the rest are in the files.
COMFORT_LINES = 3
#: Names said in the summary's "stuck" line.
STUCK_NAMES = 10


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


def _total(report: Report, key: str, column: int) -> int:
    section = report.section(key)
    if section is None:
        return 0
    return sum(v for row in section.rows if isinstance(v := row[column], int))


def summary_message(ctx: Ctx, report: Report, again: str) -> Message:
    """The report in a few lines: the headline, the period's completions, the teams at
    the target, what is due, the comfort topics, who is stuck; and the files' buttons."""
    mass = report.section("critical_mass")
    reaching = sum(1 for row in mass.rows if row[-1] == ctx.plain("reports.yes")) if mass else 0
    text = ctx.md(
        "reports.summary",
        headline=report.headline.label,
        people=f"{report.headline.n:,}",
        verified=f"{_total(report, 'completion_team', 3):,}",
        self_reported=f"{_total(report, 'completion_team', 4):,}",
        reaching=reaching,
        teams=len(mass.rows) if mass else 0,
        target=f"{100 * report.target:.0f}%",
        due=f"{_total(report, 'due', 2):,}",
        overdue=f"{_total(report, 'due', 3):,}",
    )
    lines: list[str] = []
    for comfort in report.charts.comfort[:COMFORT_LINES]:
        if comfort.before is None or comfort.after is None:
            continue
        lines.append(
            ctx.md(
                "reports.comfort_line",
                topic=comfort.label,
                before=f"{comfort.before:.1f}",
                after=f"{comfort.after:.1f}",
                n=comfort.n,
            )
        )
    stuck = report.section("stuck")
    if stuck is not None and stuck.rows:
        names = [str(row[0]) for row in stuck.rows[:STUCK_NAMES]]
        more = len(stuck.rows) - len(names)
        shown = ", ".join(names) + (f" +{more}" if more else "")
        lines.append(ctx.md("reports.stuck_line", names=shown))
    blocks: list[Block] = [
        Heading(ctx.plain("reports.heading", scope=report.scope, period=report.period.label)),
        Text(text),
    ]
    if lines:
        blocks.append(Text(Markdown("\n".join(lines))))
    blocks.append(Text(ctx.md("reports.files")))
    suffix = f" {again}" if again else ""
    blocks.append(
        Actions(
            (
                ctx.button("button.report_xlsx", f"report xlsx{suffix}", "primary"),
                ctx.button("button.report_csv", f"report csv{suffix}"),
            )
        )
    )
    return ctx.message("report_summary", blocks)


def report_summary(ctx: Ctx, cmd: c.ReportSummary) -> list[Message]:
    report, again = _build(ctx, cmd.text)
    return [summary_message(ctx, report, again)]


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
    words = f"report {cmd.format} {again}".strip()
    attachment = Attachment(file_id, name, len(data), media_type=media_type, again=words)
    return [ctx.say("reports.file_ready", attachment, name=name, period=report.period.label)]
