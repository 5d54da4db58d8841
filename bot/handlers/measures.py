"""Handlers for the organisation's measures: importing the monthly figures (pasted, sent
as a file, or from the server) and showing them beside training progress."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from sqlmodel import select

from bot import commands as c
from bot import imports, metrics
from bot import measures as rules
from bot.content import Measure
from bot.context import Ctx
from bot.guard import staff_for
from bot.imports import ReadProblem
from bot.imports.running import ERROR_COLUMNS
from bot.messages import Attachment, Block, Heading, Message, Table, Text
from bot.models import ImportRun, Team
from bot.scopes import Scope, limit_to_own_team, team_named
from bot.store import keep_file
from bot.templates import Markdown

#: A measures file is read whole: a few thousand rows at most (months x teams x measures).
FILE_LIMIT = 20 * 1024 * 1024
SHOWN_ERRORS = 5
#: Rows of one measure's table in one answer.
MAX_ROWS = 40
_TEAM = re.compile(r'\bteam:(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))', re.I)


def import_measures(ctx: Ctx, cmd: c.ImportMeasures) -> list[Message]:
    """The month's figures: every bad row reported by line, the good rows applied."""
    name = cmd.file_name or (Path(cmd.path).name if cmd.path else "pasted rows")
    text = cmd.csv_text
    if cmd.path:
        try:
            text = imports.as_text(Path(cmd.path), FILE_LIMIT)
        except ReadProblem as problem:
            return [ctx.say(problem.key, file=name, **problem.values)]
    if not text.strip():
        if cmd.path:
            return [ctx.say("measures.empty", file=name)]
        return [_usage(ctx)]
    now = ctx.now()
    try:
        sheet = rules.read(
            text,
            ctx.content,
            ctx.session.exec(select(Team)).all(),
            ctx.plain,
            today=now.astimezone(ctx.zone_for(None)).date(),
            staff=staff_for(ctx.session, ctx.content, now),
        )
    except ReadProblem as problem:
        # Kept in the audit trail: who sent what kind of file (never its rows).
        ctx.audit("measures.refused", name, json.dumps({"why": problem.key, **problem.values}))
        return [ctx.say(problem.key, file=name, **problem.values)]
    applied = rules.apply(ctx.session, sheet.figures, now=now, actor=ctx.actor.label)
    run = ImportRun(
        started_at=now,
        finished_at=now,
        what="measures",
        file_name=name[:255],
        actor=ctx.actor.label[:255],
        status="done",
        rows=sheet.rows,
        added=applied.added,
        confirmed=applied.updated,
        already=applied.unchanged,
        refused=len(sheet.bad),
    )
    ctx.session.add(run)
    ctx.session.flush()
    metrics.count_import("measures", sheet.rows, len(sheet.bad))
    ctx.audit(
        "measures.import",
        name,
        json.dumps(
            {
                "rows": sheet.rows,
                "added": applied.added,
                "updated": applied.updated,
                "unchanged": applied.unchanged,
                "refused": len(sheet.bad),
                "measures": sorted({f.measure_id for f in sheet.figures}),
            }
        ),
    )
    blocks: list[Block] = []
    if sheet.bad:
        shown = tuple((str(b.line), b.reason) for b in sheet.bad[:SHOWN_ERRORS])
        blocks.append(
            Table(
                (ctx.plain("import.error_columns_line"), ctx.plain("import.error_columns_why")),
                shown,
                more=max(len(sheet.bad) - len(shown), 0),
            )
        )
        data = _error_file(sheet.bad)
        if cmd.errors_to:
            Path(cmd.errors_to).write_bytes(data)
            blocks.append(Text(ctx.md("import.errors_at", path=cmd.errors_to)))
        else:
            attachment = _keep(ctx, f"{Path(name).stem}-refused-rows.csv", data, run.id or 0)
            run.errors_file = attachment.file_id
            ctx.session.add(run)
            blocks.append(Text(ctx.md("import.errors_attached", run=run.id or 0)))
            blocks.append(attachment)
    return [
        ctx.say(
            "measures.partial" if sheet.bad else "measures.summary",
            *blocks,
            file=name,
            rows=f"{sheet.rows:,}",
            added=f"{applied.added:,}",
            updated=f"{applied.updated:,}",
            unchanged=f"{applied.unchanged:,}",
            refused=f"{len(sheet.bad):,}",
        )
    ]


def _usage(ctx: Ctx) -> Message:
    return ctx.say("measures.usage", columns=", ".join(rules.REQUIRED), optional="team, source")


def _error_file(bad: list[rules.Bad]) -> bytes:
    """The refused rows as an export's are: line, row, reason."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ERROR_COLUMNS)
    for item in bad:
        row = io.StringIO()
        csv.writer(row, lineterminator="").writerow(item.cells)
        writer.writerow((item.line, row.getvalue(), item.reason))
    return out.getvalue().encode("utf-8")


def _keep(ctx: Ctx, name: str, data: bytes, run_id: int) -> Attachment:
    """The refused rows kept for the adapter to send, and to be fetched again
    (``import errors N``), in this request's own transaction."""
    file_id = keep_file(ctx.session, name=name, data=data, owner=ctx.actor.label, now=ctx.now())
    return Attachment(file_id, name, len(data), again=f"import errors {run_id}")


# --- the view --------------------------------------------------------------------------------


def show_measures(ctx: Ctx, cmd: c.ShowMeasures) -> list[Message]:
    """Each measure month by month beside the share of each team trained."""
    found = _TEAM.search(cmd.text)
    team = team_named(ctx, found.group("quoted") or found.group("bare")) if found else None
    words = _TEAM.sub(" ", cmd.text).strip() if found else cmd.text.strip()
    if not (ctx.actor.is_admin or ctx.actor.has("senior_leader")):
        team = limit_to_own_team(ctx, Scope(team=team)).team
    declared = list(ctx.content.measures.values())
    if not declared:
        return [ctx.say("measures.none_declared")]
    chosen = _measures_named(ctx, words) if words else declared
    if not chosen:
        return [ctx.say("measures.unknown", text=words, options=", ".join(ctx.content.measures))]
    minimum = ctx.content.initiative.defaults.minimum_group
    shown = rules.figures(
        ctx.session,
        ctx.content,
        chosen,
        team_ids=[team.id or 0] if team is not None else None,
        organisation=team is None,
    )
    with_lines = [s for s in shown if s.lines]
    if not with_lines:
        if team is not None and any(s.left_out for s in shown):
            return [ctx.say("measures.small_team", team=team.name, minimum=minimum)]
        scope = team.name if team is not None else ", ".join(m.name for m in chosen)
        return [ctx.say("measures.nothing", scope=scope)]
    blocks: list[Block] = [
        Heading(ctx.plain("measures.heading")),
        Text(ctx.md("measures.caveat")),
        Text(ctx.md("measures.explained", minimum=minimum)),
    ]
    columns = tuple(ctx.plain("measures.columns").split("|"))
    for result in with_lines:
        blocks += _measure_blocks(ctx, result, columns, minimum)
    empty = [s.measure.name for s in shown if not s.lines]
    if empty:
        blocks.append(Text(ctx.md("measures.no_figures", names=", ".join(empty))))
    return [ctx.message("measures", blocks)]


def _measures_named(ctx: Ctx, words: str) -> list[Measure]:
    """The measures ``words`` name: an id or a name, else those whose name holds them."""
    folded = " ".join(words.casefold().split())
    measures = list(ctx.content.measures.values())
    exact = [m for m in measures if folded in (m.id, " ".join(m.name.casefold().split()))]
    return exact or [m for m in measures if folded in m.name.casefold() or folded in m.id]


def _measure_blocks(
    ctx: Ctx, result: rules.Shown, columns: tuple[str, ...], minimum: int
) -> list[Block]:
    measure = result.measure
    topics = ", ".join(
        ctx.content.initiative.topics[t].title
        for t in measure.topics
        if t in ctx.content.initiative.topics
    )
    about = ctx.md(
        "measures.about",
        unit=measure.unit,
        direction=ctx.plain(f"measures.{measure.direction}"),
        topics=topics or "-",
    )
    blocks: list[Block] = [Heading(measure.name), Text(about)]
    rows = [_row(ctx, measure, line, minimum) for line in result.lines]
    blocks.append(Table(columns, tuple(rows[:MAX_ROWS]), more=max(0, len(rows) - MAX_ROWS)))
    notes: list[str] = []
    if len(rows) > MAX_ROWS:
        notes.append(ctx.md("measures.more_hint"))
    if result.merged:
        notes.append(ctx.md("measures.merged", count=result.merged, minimum=minimum))
    if result.left_out:
        notes.append(ctx.md("measures.left_out", count=result.left_out, minimum=minimum))
    if result.earlier_months:
        notes.append(
            ctx.md(
                "measures.earlier",
                count=result.earlier_months,
                shown=len({ln.period for ln in result.lines}),
            )
        )
    if result.sources:
        notes.append(ctx.md("measures.sources", sources="; ".join(result.sources)))
    if notes:
        blocks.append(Text(Markdown("\n".join(notes))))
    return blocks


def _row(ctx: Ctx, measure: Measure, line: rules.Line, minimum: int) -> tuple[str, ...]:
    if line.kind == "organisation":
        label = ctx.plain("measures.organisation")
    elif line.kind == "other":
        label = ctx.plain("measures.other")
    else:
        label = line.label
    if line.value is None:
        value = "–"
    elif measure.percent:
        value = f"{line.value:.1f}%"
    else:
        value = f"{line.value:.1f}"
    shown = line.people >= minimum
    trained = f"{100 * line.trained / line.people:.0f}%" if shown and line.people else "–"
    return (
        label,
        line.period.strftime("%b %Y"),
        value,
        f"{line.n:,}",
        trained,
        f"{line.people:,}" if shown else "–",
    )
