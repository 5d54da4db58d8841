"""Handlers for data brought in: a learning-site export, a roster or the organisation's
measures sent as a file, completions pasted in chat, and an import's refused rows fetched
again.

A file is recognised at once (its layout, about how many rows) and answered with
"Importing 184,000 rows…"; the import itself is a job run after the request, off the
chat path, and answered with the summary and the refused rows as a file.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot import commands as c
from bot import imports, measures
from bot.context import Ctx, Refused
from bot.db import session_scope
from bot.imports import Options, Outcome, ReadProblem
from bot.imports.reading import head_rows
from bot.messages import Attachment, Block, Heading, IncomingFile, Message, Table, Text
from bot.models import ImportRun, StoredFile
from bot.roster import header_fits
from bot.store import keep_file

#: A roster sent as a file is read whole; larger files are not rosters.
ROSTER_LIMIT = 20 * 1024 * 1024
#: So is a file of the organisation's measures (months x teams x measures: small).
MEASURES_LIMIT = 20 * 1024 * 1024
SHOWN_ERRORS = 5


@dataclass(frozen=True)
class Words:
    """What came with a file: how to read it."""

    profile: str = ""
    order: str = ""
    course: str = ""
    zone: str = ""
    roster: bool = False


_WORDS = re.compile(
    r"(?:--?)?(?:(?P<profile>profile|layout|as)\s+(?P<p>[\w-]+)"
    r"|date[ -]?order\s+(?P<o>dmy|mdy)|(?P<o2>dmy|mdy)"
    r"|course\s+(?P<c>\S+)|zone\s+(?P<z>\S+)|(?P<r>roster))",
    re.IGNORECASE,
)


def read_words(text: str) -> Words:
    found: dict[str, str] = {}
    roster = False
    for m in _WORDS.finditer(text):
        if m.group("p"):
            found["profile"] = m.group("p").lower()
        if m.group("o") or m.group("o2"):
            found["order"] = (m.group("o") or m.group("o2")).upper()
        if m.group("c"):
            found["course"] = m.group("c")
        if m.group("z"):
            found["zone"] = m.group("z")
        roster = roster or bool(m.group("r"))
    return Words(roster=roster, **found)


def import_file(ctx: Ctx, cmd: c.ImportFile) -> list[Message]:
    """A file sent to the bot: a learning-site export to import, or a roster."""
    files = ctx.incoming.files if ctx.incoming is not None else ()
    if not files:
        return [ctx.say("import.no_file")]
    words = read_words(cmd.words)
    answers: list[Message] = []
    for sent in files:
        answers += _one_file(ctx, sent, words)
    return answers


def _one_file(ctx: Ctx, sent: IncomingFile, words: Words) -> list[Message]:
    path = Path(sent.path)
    try:
        rows = head_rows(path)
    except ReadProblem as problem:
        return [_problem(ctx, problem, sent.name)]
    if words.roster or any(header_fits(r) for r in rows[:5]):
        return _admin_file(
            ctx,
            sent,
            path,
            ROSTER_LIMIT,
            lambda text: c.ImportRoster(csv_text=text),
            "import.roster_starting",
        )
    if measures.header_fits(rows):
        return _admin_file(
            ctx,
            sent,
            path,
            MEASURES_LIMIT,
            lambda text: c.ImportMeasures(csv_text=text, file_name=sent.name),
            "measures.starting",
        )
    options = Options(
        profile=words.profile,
        date_order=words.order,
        zone=words.zone,
        course=words.course,
        team_id=_team_limit(ctx),
        actor=ctx.actor.label,
    )
    try:
        layout = imports.recognise(ctx.content, path, sent.name, options.profile)
    except ReadProblem as problem:
        return [_problem(ctx, problem, sent.name)]
    count = imports.count_rows(path)
    ctx.jobs.append(lambda: _import(ctx, path, sent.name, options))
    if count:
        return [
            ctx.say(
                "import.starting",
                rows=f"{count:,}",
                file=sent.name,
                layout=layout.profile.title,
            )
        ]
    return [ctx.say("import.starting_unsized", file=sent.name, layout=layout.profile.title)]


def _admin_file(
    ctx: Ctx, sent: IncomingFile, path: Path, limit: int, command: Callable[[str], Any], key: str
) -> list[Message]:
    """A roster or measures file (recognised by its header): an admin's, imported as a job
    through the same command as text pasted in chat."""
    if not ctx.actor.is_admin:
        return [ctx.say("needs_role", role=ctx.plain("role.admin"))]
    try:
        text = imports.as_text(path, limit)
    except ReadProblem as problem:
        return [_problem(ctx, problem, sent.name)]
    run = ctx.run_command
    assert run is not None
    made = command(text)
    ctx.jobs.append(lambda: list(run(made)))
    return [ctx.say(key, file=sent.name)]


def _team_limit(ctx: Ctx) -> int | None:
    """A champion imports for their own team only; an admin for everyone."""
    if ctx.actor.is_admin:
        return None
    person = ctx.actor.person
    if person is None or person.team_id is None:
        raise Refused(ctx.say("import.champion_without_team"))
    return person.team_id


def import_completions(ctx: Ctx, cmd: c.ImportCompletions) -> list[Message]:
    """Completions pasted in chat: the same import as a file's (plain layout first)."""
    if not cmd.csv_text.strip():
        return [ctx.say("completions.usage", columns="email, course, completed_at, score, credits")]
    digest = hashlib.sha256(cmd.csv_text.encode()).hexdigest()[:10]
    name = f"pasted rows {digest}"
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - removed by the job
        "w", suffix=".csv", delete=False, encoding="utf-8"
    )
    with handle:
        handle.write(cmd.csv_text)
    path = Path(handle.name)
    options = Options(team_id=_team_limit(ctx), actor=ctx.actor.label)
    try:
        imports.recognise(ctx.content, path, name)
    except ReadProblem as problem:
        path.unlink(missing_ok=True)
        return [_problem(ctx, problem, name)]

    def job() -> list[Message]:
        try:
            return _import(ctx, path, name, options)
        finally:
            path.unlink(missing_ok=True)

    ctx.jobs.append(job)
    return []


def import_to(
    ctx: Ctx, path: Path, options: Options, errors_to: Path
) -> tuple[list[Message], Outcome | None]:
    """Import a file for the server operator: the summary, with the refused rows written
    to ``errors_to``; and what the import did (None if the file could not be read)."""
    outcome = _run(ctx, path, path.name, options, errors_to)
    if isinstance(outcome, Message):
        return [outcome], None
    where = str(outcome.errors) if outcome.errors is not None else ""
    return summary(ctx, outcome, errors_at=where), outcome


def _run(ctx: Ctx, path: Path, name: str, options: Options, errors_to: Path) -> Outcome | Message:
    assert ctx.engine is not None
    try:
        return imports.run(
            ctx.engine,
            ctx.content,
            path,
            options,
            name=name,
            now=ctx.now(),
            say=ctx.plain,
            errors_to=errors_to,
            progress=ctx.progress,
        )
    except ReadProblem as problem:
        return _problem(ctx, problem, name)


def _import(ctx: Ctx, path: Path, name: str, options: Options) -> list[Message]:
    """The import itself (a job): the summary, and the refused rows as a file."""
    assert ctx.engine is not None
    with tempfile.TemporaryDirectory(prefix="huddle-import-") as folder:
        outcome = _run(ctx, path, name, options, Path(folder) / "refused.csv")
        if isinstance(outcome, Message):
            return [outcome]
        attachment = None
        if outcome.errors is not None:
            attachment = store_file(
                ctx.engine,
                name=f"{Path(name).stem}-refused-rows.csv",
                data=outcome.errors.read_bytes(),
                owner=ctx.actor.label,
                ctx=ctx,
            )
            _link_errors(ctx.engine, outcome.run_id, attachment.file_id)
            attachment = replace(attachment, again=f"import errors {outcome.run_id}")
        return summary(ctx, outcome, attachment=attachment)


def summary(
    ctx: Ctx, outcome: Outcome, *, attachment: Attachment | None = None, errors_at: str = ""
) -> list[Message]:
    """What an import did, for chat or the terminal."""
    blocks: list[Block] = []
    if outcome.unknown:
        blocks.append(
            Text(
                ctx.md(
                    "import.unknown_people",
                    count=outcome.unknown,
                    sample=", ".join(outcome.unknown_sample),
                )
            )
        )
    if outcome.unmatched_columns:
        blocks.append(
            Text(ctx.md("import.unmatched", columns="; ".join(outcome.unmatched_columns[:10])))
        )
    if outcome.refused:
        shown = _first_errors(outcome)
        if shown:
            blocks.append(
                Table(
                    (ctx.plain("import.error_columns_line"), ctx.plain("import.error_columns_why")),
                    tuple(shown),
                    more=max(outcome.refused - len(shown), 0),
                )
            )
        if attachment is not None:
            blocks.append(Text(ctx.md("import.errors_attached", run=outcome.run_id)))
            blocks.append(attachment)
        elif errors_at:
            blocks.append(Text(ctx.md("import.errors_at", path=errors_at)))
    key = "import.partial" if outcome.refused else "import.summary"
    return [
        ctx.say(
            key,
            *blocks,
            file=outcome.file_name,
            profile=outcome.layout.profile.title,
            layout=outcome.layout.describe(),
            rows=f"{outcome.rows:,}",
            added=f"{outcome.added:,}",
            confirmed=f"{outcome.confirmed:,}",
            already=f"{outcome.already:,}",
            not_completed=f"{outcome.not_completed:,}",
            refused=f"{outcome.refused:,}",
        )
    ]


def _first_errors(outcome: Outcome) -> list[tuple[str, str]]:
    if outcome.errors is None or not outcome.errors.exists():
        return []
    with outcome.errors.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        return [(row[0], row[2]) for row in islice(reader, SHOWN_ERRORS) if len(row) >= 3]


def _problem(ctx: Ctx, problem: ReadProblem, name: str) -> Message:
    return ctx.say(problem.key, file=name, **problem.values)


# --- files kept for sending ----------------------------------------------------------------


def store_file(engine: Engine, *, name: str, data: bytes, owner: str, ctx: Ctx) -> Attachment:
    """Keep a file for the adapter to send (and to be fetched again for a while)."""
    with session_scope(engine) as session:
        file_id = keep_file(session, name=name, data=data, owner=owner, now=ctx.now())
    return Attachment(file_id, name, len(data))


def _link_errors(engine: Engine, run_id: int, file_id: str) -> None:
    with session_scope(engine) as session:
        found = session.get(ImportRun, run_id)
        if found is not None:
            found.errors_file = file_id
            session.add(found)


def import_errors(ctx: Ctx, cmd: c.ImportErrors) -> list[Message]:
    """An import's refused rows again, as a file (for whoever ran it, or an admin)."""
    found = ctx.session.get(ImportRun, cmd.run)
    if found is None or not (ctx.actor.is_admin or found.actor == ctx.actor.label):
        return [ctx.say("import.no_such_run", run=cmd.run)]
    stored = ctx.session.get(StoredFile, found.errors_file) if found.errors_file else None
    if stored is None:
        key = "import.no_refused_rows" if not found.refused else "import.errors_gone"
        return [ctx.say(key, run=cmd.run, file=found.file_name)]
    attachment = Attachment(
        stored.id,
        stored.name,
        len(stored.content),
        stored.media_type,
        again=f"import errors {cmd.run}",
    )
    return [ctx.say("import.errors_again", attachment, run=cmd.run, file=found.file_name)]


#: Imports listed at once (the latest first), and how many offer their refused rows.
LISTED_RUNS = 20
ERROR_TAPS = 5


def import_list(ctx: Ctx, cmd: c.ImportList) -> list[Message]:
    """The latest imports (an admin's: everyone's; anyone else's: their own), what came of
    each, and a tap for the refused rows of those that have them."""
    query = select(ImportRun)
    if not ctx.actor.is_admin:
        query = query.where(col(ImportRun.actor) == ctx.actor.label)
    total = int(ctx.session.exec(select(func.count()).select_from(query.subquery())).one())
    if not total:
        return [ctx.say("import.list_none")]
    runs = list(
        ctx.session.exec(
            query.order_by(col(ImportRun.started_at).desc(), col(ImportRun.id).desc()).limit(
                LISTED_RUNS
            )
        )
    )
    rows = tuple(
        (
            f"#{run.id}",
            f"{run.started_at.astimezone(ctx.zone):%d %b %Y %H:%M}",
            run.what,
            run.file_name,
            run.actor.split("@")[0],
            ctx.plain(f"import.status.{run.status}")
            if f"import.status.{run.status}" in ctx.templates
            else run.status,
            f"{run.rows:,}",
            f"{run.added:,}",
            f"{run.refused:,}",
        )
        for run in runs
    )
    blocks: list[Block] = [
        Heading(ctx.plain("import.list_heading")),
        Text(ctx.md("import.list_showing", shown=len(runs), total=f"{total:,}")),
        Table(tuple(ctx.plain("import.list_columns").split("|")), rows),
    ]
    taps = [
        ctx.button("button.import_errors", f"import errors {run.id}", number=run.id or 0)
        for run in runs
        if run.errors_file
    ][:ERROR_TAPS]
    if taps:
        blocks.append(ctx.actions(*taps))
    return [ctx.message("import.list", blocks)]
