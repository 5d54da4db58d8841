"""The database: engines, sessions, schema upgrades and dialect-neutral upserts.

SQLite is the embedded default (one writer at a time, one host); PostgreSQL is
the production store and the way to run several replicas. The schema is owned
by the Alembic migrations in ``migrations/``; :func:`upgrade` applies them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, SQLModel

from bot.settings import PROJECT_ROOT


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine, with the pragmas SQLite needs to behave like a server database."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
            # Let SQLAlchemy, not the driver, say when transactions begin (see _sqlite_begin).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url and "mode=memory" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # A transaction that will write takes the write lock up front (BEGIN IMMEDIATE)
            # and waits its turn; one that read first and wrote later could fail at once
            # with "database is locked" when another writer had committed in between.
            mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


SQLITE_BEGIN = "huddle_sqlite_begin"
LOCK_RETRIES = 3


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on error.

    ``write=False`` promises the block only reads, so on SQLite it need not
    wait for the write lock.
    """
    bind = engine
    if write and engine.dialect.name == "sqlite":
        bind = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_lock_timeout(exc: OperationalError) -> bool:
    """SQLite gave up waiting for another writer (after its busy timeout)."""
    return "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig)


def migrations_dir() -> Path:
    """Where the Alembic scripts live: beside the code, else in the working folder."""
    beside = PROJECT_ROOT / "migrations"
    return beside if (beside / "env.py").is_file() else Path.cwd() / "migrations"


def alembic_config(engine: Engine) -> Any:
    """An Alembic config bound to ``engine``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to the newest schema (or ``revision``)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code ships (read once from the migrations folder)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return ScriptDirectory.from_config(cfg).get_current_head()


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


#: From this many rows, PostgreSQL inserts take one array per column (see insert_ignore).
UNNEST_FROM = 50


def insert_ignore(
    session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]
) -> int:
    """Insert rows, skipping any that collide with a unique key. Returns rows inserted.

    The database decides what is a duplicate (``ON CONFLICT DO NOTHING`` on
    both SQLite and PostgreSQL), so two processes racing to record the same
    thing record it once.
    """
    if not rows:
        return 0
    table: Table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    stmt: Any
    key = next(iter(table.primary_key.columns))
    names = list(rows[0])
    if dialect == "postgresql" and len(rows) >= UNNEST_FROM and all(list(r) == names for r in rows):
        # Many rows: one array per column, unnested, so the statement stays small (a
        # multi-row VALUES list of thousands of parameters costs more to build than to run).
        arrays = [
            bindparam(f"col_{n}", [r[name] for r in rows], type_=ARRAY(table.c[name].type))
            for n, name in enumerate(names)
        ]
        unnested = func.unnest(*arrays).table_valued(*names).render_derived()
        stmt = (
            postgresql.insert(table)
            .from_select(names, select(*(unnested.c[name] for name in names)))
            .on_conflict_do_nothing()
            .returning(key)
        )
        return len(session.execute(stmt).all())
    if dialect == "postgresql":
        stmt = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two dialects above are supported
        raise RuntimeError(f"unsupported database dialect {dialect}")
    # RETURNING counts what was really inserted on both dialects, even for
    # many rows at once, where cursor.rowcount is not reliable.
    result = session.execute(stmt.returning(key), list(rows))
    return len(result.all())
