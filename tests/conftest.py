"""Shared fixtures: real databases (SQLite and PostgreSQL), the sample content, a fake chat.

PostgreSQL runs use ``HUDDLE_TEST_POSTGRES_URL`` (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Without it they skip
with a reason; with ``HUDDLE_REQUIRE_POSTGRES=1`` (set by CI) a missing or
unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot import content as content_mod
from bot.app import report_formats
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from bot.db import make_engine, upgrade
from bot.settings import PROJECT_ROOT
from tests.fakechat import FakeChat

#: As every entry point does (bot.app.build, the CLI): the report formats and charts the
#: adapters draw, so a test sees the same formats whatever ran before it.
report_formats()

SAMPLE = PROJECT_ROOT / "content"
POSTGRES_URL = os.environ.get("HUDDLE_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("HUDDLE_REQUIRE_POSTGRES") == "1"

# Slack and other HTTP clients honour proxies even for 127.0.0.1; tests talk only locally.
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def sample_content() -> Content:
    return content_mod.load(SAMPLE)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, made once and copied for each test (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def _postgres_available() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    if not POSTGRES_URL:
        return "HUDDLE_TEST_POSTGRES_URL is not set"
    try:
        engine = make_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL at HUDDLE_TEST_POSTGRES_URL is unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema in the test database, migrated once, dropped at the end."""
    reason = _postgres_available()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (HUDDLE_REQUIRE_POSTGRES=1) but {reason}")
        pytest.skip(reason)
    schema = f"huddle_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = postgres_engine(schema)
    upgrade(engine)
    engine.dispose()
    yield schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def postgres_engine(schema: str) -> Engine:
    from sqlalchemy import event

    engine = make_engine(POSTGRES_URL)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn: object, _record: object) -> None:
        cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()  # type: ignore[attr-defined]

    return engine


def data_tables() -> list[str]:
    """Every table the models define, so a new table is cleaned between tests too, and
    the Slack installations' tables (slack_sdk's stores)."""
    from sqlmodel import SQLModel

    import bot.models  # noqa: F401
    from adapters.slack import installations

    return [t.name for t in SQLModel.metadata.sorted_tables] + [
        t.name for t in installations.tables().sorted_tables
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a fresh SQLite file, or a truncated PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "huddle.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
    else:
        schema = request.getfixturevalue("postgres_schema")
        eng = postgres_engine(schema)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(data_tables())} RESTART IDENTITY CASCADE"))
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    # A Monday morning in Chicago (the sample initiative's default zone).
    return FrozenClock(datetime(2026, 11, 23, 15, 0, tzinfo=UTC))


@pytest.fixture
def bot(engine: Engine, sample_content: Content, clock: FrozenClock) -> Bot:
    return Bot(sample_content, engine, clock)


@pytest.fixture
def chat(bot: Bot, clock: FrozenClock) -> FakeChat:
    """The fake chat with the sample roster loaded, as a fresh `huddle chat` would have it."""
    fake = FakeChat(bot, clock)
    fake.load_sample_roster()
    return fake
