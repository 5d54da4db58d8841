"""The composition root: builds the bot from settings. Adapters are wired in lazily by the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, func, select

from bot import content as content_mod
from bot.clock import Clock, SystemClock
from bot.core import Bot
from bot.db import has_schema, make_engine, upgrade
from bot.models import Person
from bot.retention import RetentionSettings
from bot.settings import Settings

SAMPLE_ROSTER = "sample-roster.csv"


@dataclass
class App:
    """Everything a running Huddle needs, built once."""

    settings: Settings
    engine: Engine
    bot: Bot


def report_formats() -> None:
    """The report formats drawn by adapters (the one-page HTML, its PDF, the team chart
    as PNG), beside the core's Excel and CSV."""
    from adapters.report import chart_png, render_html, render_pdf
    from bot.report_files import Format, register, register_charts

    register("html", Format(lambda r: render_html(r).encode("utf-8"), "text/html", "html"))
    register("pdf", Format(render_pdf, "application/pdf", "pdf"))
    register("png", Format(lambda r: chart_png(r, "teams"), "image/png", "png"))
    register_charts(lambda report, which, width: chart_png(report, which, width))  # type: ignore[arg-type]


def build(
    settings: Settings, clock: Clock | None = None, retention: RetentionSettings | None = None
) -> App:
    """Load and validate the content, open the database, make the bot."""
    report_formats()
    content = content_mod.load(settings.content_dir)
    engine = make_engine(settings.database_url)
    return App(
        settings=settings,
        engine=engine,
        bot=Bot(
            content,
            engine,
            clock or SystemClock(),
            settings.web(),
            retention or RetentionSettings(),
        ),
    )


def people_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Person)).one())


def prepare_embedded(app: App, operator: str) -> list[str]:
    """Make an empty or missing database usable: schema, then the sample roster.

    Returns what was done, for the person to see. Nothing happens to a database
    that already has people.
    """
    done: list[str] = []
    fresh = not has_schema(app.engine)
    upgrade(app.engine)
    if fresh:
        done.append("created the database schema")
    # What sends by default (the champions' digest) is listed, and can be paused, at once.
    app.bot.ensure_default_schedules()
    sample = app.settings.content_dir / SAMPLE_ROSTER
    if people_count(app.engine) == 0 and sample.is_file():
        app.bot.run_as_operator("roster import\n" + sample.read_text(encoding="utf-8"), operator)
        done.append(f"loaded the sample roster from {sample}")
    return done
