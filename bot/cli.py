"""The ``huddle`` command: chat, database, content, roster and admin commands.

This is the composition root: it builds settings once and wires adapters in,
importing them only inside the commands that need them. Admin commands here run
as the server operator (someone with shell access), which is how the first
admin is made: ``huddle grant EMAIL admin``.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from bot import commands as c
from bot import logs
from bot.content import ContentError
from bot.content import check as check_content
from bot.settings import Settings

app = typer.Typer(
    help="Huddle: a training-initiative bot for clinical teams.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database: create or upgrade the schema.", no_args_is_help=True)
content_app = typer.Typer(help="The initiative's content folder.", no_args_is_help=True)
roster_app = typer.Typer(help="The roster of people.", no_args_is_help=True)
team_app = typer.Typer(help="Teams.", no_args_is_help=True)
completions_app = typer.Typer(
    help="Completions from the learning site: import its exports.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")
app.add_typer(roster_app, name="roster")
app.add_typer(team_app, name="team")
app.add_typer(completions_app, name="completions")
measures_app = typer.Typer(
    help="The organisation's measures: import the monthly figures, show them beside training.",
    no_args_is_help=True,
)
app.add_typer(measures_app, name="measures")
survey_app = typer.Typer(
    help="The comfort surveys: what the numbers say, in aggregate only.", no_args_is_help=True
)
app.add_typer(survey_app, name="survey")
slack_app = typer.Typer(help="Slack: the app manifest.", no_args_is_help=True)
app.add_typer(slack_app, name="slack")
teams_app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")
xapi_app = typer.Typer(
    help="xAPI: learning sites and LRSs send completions to POST /xapi/statements.",
    no_args_is_help=True,
)
xapi_credentials_app = typer.Typer(
    help="The HTTP Basic credentials senders use: make, list, revoke.", no_args_is_help=True
)
xapi_app.add_typer(xapi_credentials_app, name="credentials")
app.add_typer(xapi_app, name="xapi")

SAMPLE_PERSON = "ana.ruiz@example.org"
T = TypeVar("T", bound=BaseSettings)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "HUDDLE_" + "_".join(str(p) for p in err["loc"]).upper()
            typer.echo(f"Setting {name}: {err['msg']}", err=True)
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    logs.setup(settings.log_level, settings.log_format)
    # Alembic narrates every plugin it loads, and the Agents SDK its configuration, at
    # INFO; only their problems are worth showing.
    for noisy in ("alembic", "microsoft_agents"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.root.level))


def _build() -> object:
    from bot.app import build

    settings = _settings()
    _logging(settings)
    try:
        return build(settings)
    except ContentError as exc:
        typer.echo(str(exc), err=True)
        typer.echo("Run `huddle content check` for the full list.", err=True)
        raise typer.Exit(2) from None


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def _run(
    command: c.Command,
    *,
    fail_on: tuple[str, ...] = (),
    succeed_on: tuple[str, ...] = (),
    prepare: Callable[[Any], None] | None = None,
) -> None:
    """Run an admin command as the operator and print the answer like the console chat.

    Exits 1 when the answer is of a kind in ``fail_on``, or (with ``succeed_on``) when
    its first message is of no kind in it."""
    from adapters.console import Style, render_all, wants_color
    from bot.app import App
    from bot.db import has_schema

    built = _build()
    assert isinstance(built, App)
    if not has_schema(built.engine):
        typer.echo("The database has no schema yet: run `huddle db upgrade` first.", err=True)
        raise typer.Exit(2)
    if prepare is not None:
        prepare(built)
    progress = _progress_printer() if isinstance(command, c.ImportRoster) else None
    messages = built.bot.run_command(command, _operator(), progress)
    typer.echo(render_all(messages, Style(wants_color(sys.stdout))).text)
    if any(m.kind in fail_on for m in messages) or (
        succeed_on and (not messages or messages[0].kind not in succeed_on)
    ):
        raise typer.Exit(1)


def _run_kinds(command: c.Command) -> list[str]:
    """Run an admin command as the operator, print the answer, and return its kinds."""
    from adapters.console import Style, render_all, wants_color
    from bot.app import App
    from bot.db import has_schema

    built = _build()
    assert isinstance(built, App)
    if not has_schema(built.engine):
        typer.echo("The database has no schema yet: run `huddle db upgrade` first.", err=True)
        raise typer.Exit(2)
    messages = built.bot.run_command(command, _operator())
    typer.echo(render_all(messages, Style(wants_color(sys.stdout))).text)
    return [m.kind for m in messages]


def _progress_printer() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if total >= 1000:
            sys.stderr.write(f"\r  {done}/{total} rows")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return show


# --- chat ----------------------------------------------------------------------------------


def settings_groups() -> list[tuple[str, Any]]:
    """Every settings model, titled, in the order docs/deploy.md lists them."""
    from adapters.slack.settings import SlackSettings
    from adapters.teams.settings import TeamsSettings
    from scheduler.settings import SchedulingSettings

    return [
        ("Huddle", Settings),
        ("The scheduler and delivery", SchedulingSettings),
        ("Slack", SlackSettings),
        ("Microsoft Teams", TeamsSettings),
    ]


@app.command("settings")
def settings_reference() -> None:
    """Print the configuration reference (every HUDDLE_* variable) as Markdown."""
    from bot.settings_doc import reference

    typer.echo(reference(settings_groups()), nl=False)


@app.command()
def chat(
    as_: Annotated[str | None, typer.Option("--as", help="Email of the person to talk as.")] = None,
) -> None:
    """Chat with Huddle in the terminal (sets up an empty database with the sample initiative)."""
    from sqlmodel import Session

    from adapters.console import ConsoleChat
    from bot.app import App, prepare_embedded
    from bot.store import person_by_email

    built = _build()
    assert isinstance(built, App)
    done = prepare_embedded(built, _operator())
    email = (as_ or SAMPLE_PERSON).strip().lower()
    with Session(built.engine) as session:
        person = person_by_email(session, email)
    if person is None:
        hint = "" if as_ else " (the sample clinician)"
        typer.echo(
            f"There is nobody with the email {email}{hint} in this database. "
            "Use `huddle chat --as EMAIL` with someone on the roster, or "
            "`huddle roster import FILE` to add people.",
            err=True,
        )
        raise typer.Exit(2)
    greeting = [
        f"Huddle: {', '.join(done)}." if done else "",
        f"Talking as {person.name} <{person.email}> on {built.settings.database_url}.",
        "Type 'next', 'help', or a button's number; '/file PATH' sends a file (an export or "
        "a roster); Ctrl-D or 'quit' to leave.",
    ]
    raise typer.Exit(ConsoleChat(built.bot, email).run([g for g in greeting if g]))


# --- the server ----------------------------------------------------------------------------


@app.command()
def run() -> None:
    """Serve Slack, Teams and xAPI statements on HUDDLE_HOST:HUDDLE_PORT, with GET /healthz."""
    stop_signals = _catch_stop_signals()
    import asyncio

    from adapters.server import Platforms, serve
    from adapters.slack.adapter import SlackAdapter, SlackSetupError
    from adapters.slack.settings import SlackSettings
    from adapters.teams.settings import TeamsSettings
    from bot.app import App
    from bot.db import current_revision, upgrade

    built = _build()
    assert isinstance(built, App)
    logging.getLogger("huddle.server").info("Huddle is starting")
    settings = built.settings
    if settings.database_url.startswith("sqlite"):
        upgrade(built.engine)  # the embedded default sets itself up
    else:
        from alembic.script import ScriptDirectory

        from bot.db import alembic_config

        head = ScriptDirectory.from_config(alembic_config(built.engine)).get_current_head()
        if current_revision(built.engine) != head:
            typer.echo(
                "The database schema is not current: run `huddle db upgrade` first "
                "(once, before starting the replicas).",
                err=True,
            )
            raise typer.Exit(2)
    built.bot.ensure_default_schedules()  # listed in `nudge list` before the first tick
    slack_settings = _adapter_settings(SlackSettings)
    teams_settings = _adapter_settings(TeamsSettings)
    platforms = Platforms(metrics_token=settings.metrics_token, metrics_port=settings.metrics_port)
    if slack_settings.configured:
        platforms.slack = SlackAdapter(built.bot, slack_settings)
    if teams_settings.configured:
        try:
            teams_settings.refuse_anonymous_off_localhost(settings.host)
        except ValueError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        from adapters.teams.adapter import TeamsAdapter

        platforms.teams = TeamsAdapter(built.bot, teams_settings)
    from adapters.xapi import XapiReceiver
    from bot.xapi import has_active_credentials

    if not platforms.names and not has_active_credentials(built.engine):
        typer.echo(
            "Nothing to serve: set HUDDLE_SLACK_BOT_TOKEN and HUDDLE_SLACK_SIGNING_SECRET "
            "(or HUDDLE_SLACK_APP_TOKEN for Socket Mode), and/or HUDDLE_TEAMS_APP_ID, "
            "HUDDLE_TEAMS_APP_PASSWORD and HUDDLE_TEAMS_TENANT_ID, or make an xAPI "
            "credential (`huddle xapi credentials new NAME`). See README, Connect to Slack "
            "and Connect to Teams. To try Huddle with nothing set up, run `huddle chat` or "
            "`make playground`.",
            err=True,
        )
        raise typer.Exit(2)
    # Statements are received wherever Huddle serves; without a credential, every sender
    # is refused (401).
    platforms.xapi = XapiReceiver(built.bot, settings.xapi_max_body_bytes)
    from scheduler.settings import SchedulingSettings

    scheduling = _adapter_settings(SchedulingSettings)
    try:
        asyncio.run(
            serve(
                built.bot,
                platforms,
                settings.host,
                settings.port,
                scheduling,
                stop_requested=lambda: bool(stop_signals),
            )
        )
    except SlackSetupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(
            f"Cannot listen on {settings.host}:{settings.port} (HUDDLE_HOST, HUDDLE_PORT): {exc}",
            err=True,
        )
        raise typer.Exit(2) from None


def _catch_stop_signals() -> list[int]:
    """From here on, SIGTERM and SIGINT ask for a clean stop rather than killing the process.

    They are only noted until the server's event loop takes them over, which then
    stops at once if one came; so a stop during start-up exits as cleanly as later.
    """
    received: list[int] = []

    def note(signum: int, _frame: object) -> None:
        received.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, note)
    return received


def _adapter_settings(kind: type[T]) -> T:
    try:
        return kind()
    except ValidationError as exc:
        for err in exc.errors():
            loc = "_".join(str(p) for p in err["loc"])
            prefix = kind.model_config.get("env_prefix", "")
            name = f"{prefix}{loc}".upper() if loc else ""
            message = err["msg"].removeprefix("Value error, ")
            typer.echo(f"Setting {name + ': ' if name else ''}{message}", err=True)
        raise typer.Exit(2) from None


@slack_app.command("manifest")
def slack_manifest(
    url: Annotated[str, typer.Option(help="Public https address where `huddle run` listens.")] = "",
    socket_mode: Annotated[bool, typer.Option(help="For Socket Mode: no public URL.")] = False,
) -> None:
    """Print the Slack app manifest to paste into api.slack.com/apps."""
    from adapters.slack.manifest import manifest

    try:
        typer.echo(manifest(url, socket_mode=socket_mode))
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@teams_app.command("package")
def teams_package(
    output: Annotated[Path, typer.Option(help="Where to write the zip.")] = Path(
        "huddle-teams.zip"
    ),
    bot_id: Annotated[
        str, typer.Option(help="The Azure bot's Microsoft App ID (default: HUDDLE_TEAMS_APP_ID).")
    ] = "",
    app_id: Annotated[str, typer.Option(help="The Teams app id (default: the bot id).")] = "",
    version: Annotated[str, typer.Option(help="The app version, e.g. 1.0.0.")] = "1.0.0",
    name: Annotated[str, typer.Option(help="The app's name in Teams.")] = "Huddle",
    publisher: Annotated[str, typer.Option(help="Who publishes the app.")] = "Huddle",
    website: Annotated[str, typer.Option(help="https address of the app's website.")] = (
        "https://huddle.example.org"
    ),
    privacy: Annotated[str, typer.Option(help="https address of the privacy statement.")] = (
        "https://huddle.example.org/privacy"
    ),
    terms: Annotated[str, typer.Option(help="https address of the terms of use.")] = (
        "https://huddle.example.org/terms"
    ),
) -> None:
    """Build the Teams app package (manifest and icons) to upload to Teams."""
    import os

    from adapters.teams.package import AppInfo, build
    from adapters.teams.settings import GUID

    bot = bot_id or os.environ.get("HUDDLE_TEAMS_APP_ID", "")
    if not GUID.match(bot):
        typer.echo(
            "The bot id is missing or not a GUID: pass --bot-id or set "
            "HUDDLE_TEAMS_APP_ID to the Azure bot's Microsoft App ID.",
            err=True,
        )
        raise typer.Exit(2)
    if app_id and not GUID.match(app_id):
        typer.echo("--app-id must be a GUID.", err=True)
        raise typer.Exit(2)
    settings = _settings()
    try:
        from bot.content import load

        initiative = load(settings.content_dir).initiative.name
    except ContentError:  # the package does not need the content; the name is a nicety
        initiative = ""
    info = AppInfo(
        bot_id=bot,
        app_id=app_id or bot,
        version=version,
        name=name,
        publisher=publisher,
        website=website,
        privacy=privacy,
        terms=terms,
        initiative=initiative,
    )
    try:
        data = build(info)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    output.write_bytes(data)
    typer.echo(
        f"Wrote {output} ({len(data)} bytes): upload it in Teams > Apps > Manage your "
        "apps > Upload an app."
    )


@app.command()
def playground(
    port: Annotated[int, typer.Option(help="Where Huddle listens (localhost only).")] = 3978,
    playground_port: Annotated[int, typer.Option(help="The Playground's web page port.")] = 56150,
) -> None:
    """Chat with Huddle in a Teams-like page in your browser: no Microsoft account needed."""
    import asyncio

    from adapters.teams.playground import (
        PlaygroundUnavailable,
        install,
        serve_with_playground,
    )
    from bot.app import App, prepare_embedded
    from bot.settings import PROJECT_ROOT

    built = _build()
    assert isinstance(built, App)
    done = prepare_embedded(built, _operator())
    if done:
        typer.echo(f"Huddle: {', '.join(done)}.")
    try:
        typer.echo("Making sure the Microsoft 365 Agents Playground is installed (npm)...")
        cli = install(PROJECT_ROOT / ".playground")
    except PlaygroundUnavailable as exc:
        typer.echo(f"Cannot start the Playground: {exc}", err=True)
        raise typer.Exit(2) from None
    code = asyncio.run(
        serve_with_playground(
            built.bot, port, playground_port, PROJECT_ROOT / ".playground" / "run", cli
        )
    )
    raise typer.Exit(code)


# --- database ------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema (creating it if empty)."""
    from bot.db import current_revision, make_engine, upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    typer.echo(
        f"Database at revision {after}"
        + (f" (was {before})." if before != after else " (already up to date).")
    )


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="The revision to go back to (e.g. 0012).")],
) -> None:
    """Take the schema back to an older revision (before running older code)."""
    from alembic import command

    from bot.db import alembic_config, current_revision, make_engine

    engine = make_engine(_settings().database_url)
    before = current_revision(engine)
    command.downgrade(alembic_config(engine), revision)
    typer.echo(f"Database at revision {current_revision(engine) or 'none'} (was {before}).")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision."""
    from bot.db import current_revision, make_engine

    engine = make_engine(_settings().database_url)
    typer.echo(current_revision(engine) or "empty (run `huddle db upgrade`)")


# --- content -------------------------------------------------------------------------------


@content_app.command("check")
def content_check(
    folder: Annotated[
        Path | None, typer.Argument(help="Content folder (default: the configured one).")
    ] = None,
) -> None:
    """Validate a content folder: every problem with its file and line."""
    target = folder or _settings().content_dir
    problems = check_content(target)
    errors = [p for p in problems if not p.warning]
    for problem in problems:
        typer.echo(
            f"{target / problem.file if problem.file else target}:{problem.line}: "
            f"{'warning' if problem.warning else 'error'}: {problem.message}"
        )
    warnings = len(problems) - len(errors)
    if errors:
        typer.echo(f"{len(errors)} error(s), {warnings} warning(s) in {target}.", err=True)
        raise typer.Exit(1)
    typer.echo(f"{target}: OK ({warnings} warning(s)).")


# --- roster, people, roles -----------------------------------------------------------------


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path, typer.Argument(help="CSV with email,name,discipline,team[,role,pathway,timezone].")
    ],
) -> None:
    """Import a roster CSV. Bad rows are reported by line; good rows are applied."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    _run(
        c.ImportRoster(csv_text=text),
        fail_on=("roster.bad_header", "roster.usage", "roster.partial"),
    )


#: Where an import writes the rows it refused.
ErrorsTo = Annotated[
    Path | None,
    typer.Option(
        help="Where to write the refused rows (default: beside FILE, NAME-refused-rows.csv)."
    ),
]


def _refused_rows(file: Path, errors: Path | None) -> Path:
    return errors or file.with_name(f"{file.stem}-refused-rows.csv")


@completions_app.command("import")
def completions_import(
    file: Annotated[Path, typer.Argument(help="The learning site's export: CSV or XLSX.")],
    profile: Annotated[
        str,
        typer.Option(
            help="The export's layout, as named in sources.yaml (plain, moodle-course, "
            "moodle-activity, scorm-cloud ...). Without it, the layout is recognised "
            "from the header."
        ),
    ] = "",
    date_order: Annotated[
        str,
        typer.Option(help="DMY or MDY: how numeric dates are written, if not as the layout says."),
    ] = "",
    zone: Annotated[
        str,
        typer.Option(
            help="Time zone of times written without one "
            "(default: the layout's, else the initiative's)."
        ),
    ] = "",
    course: Annotated[
        str, typer.Option(help="The course of a one-course export, if its file name does not say.")
    ] = "",
    errors: ErrorsTo = None,
) -> None:
    """Import completions from a learning-site export.

    Good rows are recorded (verified, and celebrated if recent); refused rows go to an
    error file with their line and the reason; importing the same file again changes
    nothing. Exits 1 if any row was refused, 2 if the file could not be imported at all.
    """
    from adapters.console import Style, render_all, wants_color
    from bot.app import App
    from bot.db import has_schema
    from bot.imports import Options

    if not file.is_file():
        typer.echo(f"No file {file}.", err=True)
        raise typer.Exit(2)
    built = _build()
    assert isinstance(built, App)
    if not has_schema(built.engine):
        typer.echo("The database has no schema yet: run `huddle db upgrade` first.", err=True)
        raise typer.Exit(2)
    target = _refused_rows(file, errors)
    with _bytes_bar(file.name) as progress:
        messages, outcome = built.bot.import_completions(
            file,
            Options(profile=profile, date_order=date_order, zone=zone, course=course),
            _operator(),
            errors_to=target,
            progress=progress,
        )
    typer.echo(render_all(messages, Style(wants_color(sys.stdout))).text)
    if outcome is None:
        raise typer.Exit(2)
    if outcome.refused:
        raise typer.Exit(1)


@measures_app.command("import")
def measures_import(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or XLSX: period, team, measure, value, n, source; a row a month."),
    ],
    errors: ErrorsTo = None,
) -> None:
    """Import the organisation's monthly measures (content measures.yaml) for teams or the
    whole organisation.

    New figures are added, changed ones updated, the same ones left be; refused rows go to
    an error file with their line and the reason. A file with columns that look like
    patient details is refused whole. Exits 1 if any row was refused, 2 if the file could
    not be imported at all.
    """
    if not file.is_file():
        typer.echo(f"No file {file}.", err=True)
        raise typer.Exit(2)
    target = _refused_rows(file, errors)
    target.unlink(missing_ok=True)
    kinds = _run_kinds(c.ImportMeasures(path=str(file), file_name=file.name, errors_to=str(target)))
    if "measures.partial" in kinds:
        raise typer.Exit(1)
    if "measures.summary" not in kinds:
        raise typer.Exit(2)


@measures_app.command("show")
def measures_show(
    words: Annotated[
        list[str] | None,
        typer.Argument(help="A measure (its id or name) and/or team:KEY; nothing for all."),
    ] = None,
) -> None:
    """Each measure month by month, beside the share of each team trained (with each
    figure's n). Association, not proof of effect."""
    _run(c.ShowMeasures(text=" ".join(words or [])), succeed_on=("measures",))


@survey_app.command("results")
def survey_results(
    team: Annotated[
        str | None, typer.Option(help="One team (its key or name); otherwise every team.")
    ] = None,
    pathway: Annotated[str | None, typer.Option(help="Answers about one pathway.")] = None,
    topic: Annotated[str | None, typer.Option(help="One topic (its id or title).")] = None,
    discipline: Annotated[str | None, typer.Option(help="One discipline (nurse, ...).")] = None,
    format: Annotated[
        str, typer.Option("--format", help="text (as in chat) or csv (the figures as numbers).")
    ] = "text",
    out: Annotated[
        Path | None, typer.Option(help="Write the CSV here (else to the standard output).")
    ] = None,
) -> None:
    """Comfort before training, looking back and after, per topic and item: means, the
    paired change with its 95% confidence interval, the share up a point or more, and the
    over-rating gap. Teams where fewer than the minimum group answered are left out of
    every figure. Exits 1 when there is nothing to show."""
    from adapters.console import Style, render_all, wants_color
    from bot.app import App
    from bot.db import has_schema

    if format not in ("text", "csv"):
        typer.echo(f"--format is text or csv, not {format}.", err=True)
        raise typer.Exit(2)
    words = [
        f'{name}:"{value}"' if " " in value else f"{name}:{value}"
        for name, value in (
            ("team", team),
            ("pathway", pathway),
            ("topic", topic),
            ("discipline", discipline),
        )
        if value
    ]
    built = _build()
    assert isinstance(built, App)
    if not has_schema(built.engine):
        typer.echo("The database has no schema yet: run `huddle db upgrade` first.", err=True)
        raise typer.Exit(2)
    with contextlib.ExitStack() as stack:
        target = out
        if format == "csv" and target is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            target = Path(folder) / "survey-results.csv"
        command = c.ShowSurveyResults(
            text=" ".join(words), csv_to=str(target) if format == "csv" and target else ""
        )
        messages = built.bot.run_command(command, _operator())
        shown = bool(messages) and messages[0].kind == "survey_results"
        to_stderr = format == "csv" and out is None
        stream = sys.stderr if to_stderr else sys.stdout
        typer.echo(render_all(messages, Style(wants_color(stream))).text, err=to_stderr)
        if shown and target is not None and out is None:
            sys.stdout.write(target.read_text(encoding="utf-8"))
    if not shown:
        raise typer.Exit(1)


@contextlib.contextmanager
def _bytes_bar(name: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar: Any = None

    def show(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(
                total=total, unit="B", unit_scale=True, desc=name, file=sys.stderr, leave=False
            )
        bar.update(done - bar.n)

    try:
        yield show
    finally:
        if bar is not None:
            bar.close()


# --- xAPI credentials ------------------------------------------------------------------------


def _xapi_engine() -> tuple[Any, Any]:
    """The database (which must have its schema) and the clock, for the xAPI commands."""
    from bot.clock import SystemClock
    from bot.db import has_schema, make_engine

    settings = _settings()
    engine = make_engine(settings.database_url)
    if not has_schema(engine):
        typer.echo("The database has no schema yet: run `huddle db upgrade` first.", err=True)
        raise typer.Exit(2)
    return engine, SystemClock()


@xapi_credentials_app.command("new")
def xapi_credentials_new(
    name: Annotated[
        str, typer.Argument(help="Who will send with it, e.g. 'moodle' or 'lrs-forwarder'.")
    ],
) -> None:
    """Make a credential for a learning site or LRS: prints its key and secret once.

    The sender uses them as HTTP Basic user name and password. Only a hash of the
    secret is kept, so it cannot be shown again: make a new one if it is lost."""
    from bot.xapi import CredentialError, new_credential

    engine, clock = _xapi_engine()
    try:
        key, secret = new_credential(engine, name, f"cli:{_operator()}", clock.now())
    except CredentialError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Credential {name.strip()!r} made. Give the sender these (shown only now):")
    typer.echo(f"  key (HTTP Basic user name): {key}")
    typer.echo(f"  secret (password):          {secret}")
    typer.echo("It sends to POST /xapi/statements with X-Experience-API-Version: 1.0.3.")


@xapi_credentials_app.command("list")
def xapi_credentials_list() -> None:
    """List the credentials: name, key, when made, when revoked, when last used."""
    from bot.xapi import list_credentials

    engine, clock = _xapi_engine()
    found = list_credentials(engine, f"cli:{_operator()}", clock.now())
    if not found:
        typer.echo("No xAPI credentials yet: `huddle xapi credentials new NAME` makes one.")
        return
    rows = [("name", "key", "created", "revoked", "last used")] + [
        (
            c.name,
            c.key,
            _when(c.created_at),
            _when(c.revoked_at),
            _when(c.last_used_at),
        )
        for c in found
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "-"


@xapi_credentials_app.command("revoke")
def xapi_credentials_revoke(
    name: Annotated[str, typer.Argument(help="The credential's name (see `list`).")],
) -> None:
    """Revoke a credential: its sender is refused (401) from the next request on."""
    from bot.xapi import CredentialError, revoke_credential

    engine, clock = _xapi_engine()
    try:
        revoked = revoke_credential(engine, name, f"cli:{_operator()}", clock.now())
    except CredentialError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Credential {revoked.name!r} ({revoked.key}) revoked.")


@app.command()
def grant(email: str, role: str) -> None:
    """Give someone a role: champion, admin, senior_leader or clinician."""
    _run(c.Grant(email=email, role=role), fail_on=("person.not_found", "role.unknown"))


@app.command()
def revoke(email: str, role: str) -> None:
    """Take a role away from someone."""
    _run(c.Revoke(email=email, role=role), fail_on=("person.not_found", "role.unknown"))


@team_app.command("add")
def team_add(name: Annotated[list[str], typer.Argument(help="The team's name.")]) -> None:
    """Add a team."""
    _run(c.AddTeam(name=" ".join(name)), fail_on=("team.bad_name",))


@team_app.command("list")
def team_list() -> None:
    """List the teams."""
    _run(c.ListTeams())


@app.command()
def enrol(
    scope: Annotated[str, typer.Argument(help="team:KEY, discipline:NAME, an email, or everyone.")],
    pathway: Annotated[str, typer.Argument(help="The pathway id or title.")],
    due: Annotated[str, typer.Option(help="Due date, e.g. 2027-03-01.")] = "",
) -> None:
    """Enrol a team, a discipline, one person or everyone in a pathway."""
    _run(
        c.Enrol(scope=scope, pathway=pathway, due=due),
        fail_on=(
            "join.not_found",
            "team.not_found",
            "person.not_found",
            "enrol.bad_scope",
            "date.unreadable",
            "date.ambiguous",
            "date.no_such_day",
        ),
    )


@app.command()
def record(email: str, course: Annotated[list[str], typer.Argument()]) -> None:
    """Record a verified completion for someone."""
    _run(
        c.RecordCompletion(email=email, course=" ".join(course)),
        fail_on=("person.not_found", "done.not_found", "done.several"),
    )


@app.command()
def report(
    scope: Annotated[str, typer.Argument(help="team:KEY, pathway:ID, ...")] = "",
    team: Annotated[str | None, typer.Option(help="One team (its key or name).")] = None,
    period: Annotated[
        str | None,
        typer.Option(help="2026-Q4, 2026-11, 'November 2026', 'this month', 2026 ..."),
    ] = None,
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="chat (the summary), or a file: csv (a zip of a CSV a section), xlsx, html,"
            " pdf (the one-page report), png (team completion against the target).",
        ),
    ] = None,
    section: Annotated[
        str | None, typer.Option(help="With --format csv: one section's CSV (its key).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the file.")] = None,
) -> None:
    """Who is enrolled and where they stand; with --period or --format, the period's report
    (this quarter unless --period): its summary as in chat, or a file (--out)."""
    from bot.app import report_formats
    from bot.report_files import FORMATS

    report_formats()
    if period is None and format is None and team is None:
        _run(c.Report(scope=scope), fail_on=("team.not_found",))
        return
    fmt = format or "chat"
    if fmt != "chat" and fmt not in FORMATS:
        typer.echo(f"--format is one of chat, {', '.join(FORMATS)}; not {fmt}.", err=True)
        raise typer.Exit(2)
    words = " ".join(
        w
        for w in (
            period or "",
            scope,
            (f'team:"{team}"' if " " in team else f"team:{team}") if team else "",
        )
        if w
    )
    if fmt == "chat":
        _run(c.ReportSummary(text=words), succeed_on=("report_summary",))
        return
    if out is None:
        typer.echo("--out FILE: where to write the report.", err=True)
        raise typer.Exit(2)
    _report_file(c.ReportFile(format=fmt, text=words, section=section or ""), out)


def _report_file(command: c.ReportFile, out: Path) -> None:
    """Run ``report csv|xlsx`` as the operator and write the file it attaches to ``out``."""
    from adapters.console import Style, render_all, wants_color
    from bot.app import App
    from bot.db import has_schema
    from bot.messages import Attachment

    built = _build()
    assert isinstance(built, App)
    if not has_schema(built.engine):
        typer.echo("The database has no schema yet: run `huddle db upgrade` first.", err=True)
        raise typer.Exit(2)
    messages = built.bot.run_command(command, _operator())
    found = [b for m in messages for b in m.blocks if isinstance(b, Attachment)]
    stored = built.bot.stored_file(found[0].file_id) if found else None
    if stored is None:
        typer.echo(render_all(messages, Style(wants_color(sys.stderr))).text, err=True)
        raise typer.Exit(1)
    out.write_bytes(stored[2])
    typer.echo(f"Wrote {out} ({len(stored[2]):,} bytes).")


#: What `huddle nudge` answers when it did what was asked; anything else exits 1.
NUDGE_DONE = (
    "nudge.created",
    "nudge.list",
    "nudge.none",
    "nudge.paused",
    "nudge.resumed",
    "nudge.cancelled",
    "nudge.sent_now",
    "nudge.preview",
    "nudge.history",
    "nudge.history_empty",
    "nudge.form",
)


@app.command(context_settings={"ignore_unknown_options": True})
def nudge(
    words: Annotated[
        list[str],
        typer.Argument(
            help="As in the chat: schedule <kind> to <audience> <when> ..., list, "
            "preview N, pause N, resume N, cancel N, send N now, history N."
        ),
    ],
) -> None:
    """Schedule and manage messages in the chat's own words, e.g.
    `huddle nudge schedule next-course to team:icu every monday 09:00`."""
    from bot.parser import parse

    command = parse("nudge " + " ".join(words))
    if not isinstance(command, c.NudgeSchedule | c.NudgeList | c.NudgeAction | c.NudgeNew):
        typer.echo(
            "Say what to do with scheduled messages: schedule ..., list, preview N, pause N, "
            "resume N, cancel N, send N now or history N.",
            err=True,
        )
        raise typer.Exit(2)
    _run(command, succeed_on=NUDGE_DONE, prepare=lambda app: app.bot.ensure_default_schedules())


#: What `huddle contest` answers when it did what was asked; anything else exits 1.
CONTEST_DONE = (
    "contest.created",
    "contest.list",
    "contest.none_admin",
    "contest.show",
    "contest.standings",
    "contest.approved",
    "contest.declined",
    "contest.cancelled",
    "contest.rankings_on",
    "contest.rankings_off",
    "contest.form",
)


@app.command(context_settings={"ignore_unknown_options": True})
def contest(
    words: Annotated[
        list[str],
        typer.Argument(
            help="As in the chat: new <name> [teams <teams>] [metric <metric>] [from <date>] "
            "to <date> [verified only] [prize <text>], list, show N, standings N, approve N, "
            "decline N, cancel N, rankings on N."
        ),
    ],
) -> None:
    """Make and manage contests in the chat's own words, e.g.
    `huddle contest new "Winter sprint" teams icu, oncology to dec 28 prize a breakfast`."""
    from bot.parser import parse

    first = words[0].lower() if words else ""
    typed = " ".join(words)
    if first in ("standings", "leaderboard"):
        command: c.Command = parse("leaderboard " + " ".join(words[1:]))
    elif first == "list":
        command = c.ContestList()
    else:
        command = parse("contest " + typed)
    allowed = (
        c.ContestNew,
        c.ContestCreate,
        c.ContestList,
        c.ContestShow,
        c.ContestDecide,
        c.ContestCancel,
        c.ContestRankings,
        c.Leaderboard,
    )
    if not isinstance(command, allowed):
        typer.echo(
            "Say what to do with contests: new ..., list, show N, standings N, approve N, "
            "decline N, cancel N or rankings on N.",
            err=True,
        )
        raise typer.Exit(2)
    _run(command, succeed_on=CONTEST_DONE)


@app.command()
def audit(limit: Annotated[int, typer.Option(help="How many entries.")] = 20) -> None:
    """The latest admin actions."""
    _run(c.ShowAudit(limit=limit))


if __name__ == "__main__":  # pragma: no cover
    app()
