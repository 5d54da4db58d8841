"""Holding the database's writers back for a while, to show that chat stays answered while
long work (an import) is under way, without depending on how fast the machine is.

On SQLite another connection takes the write lock (``BEGIN IMMEDIATE``): every writer
waits (its busy timeout is 30 s) and readers go on, as WAL allows. On PostgreSQL the
import bookkeeping table is locked against writes; reads of it go on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text


@contextmanager
def writes_held(engine: Engine) -> Iterator[None]:
    """Until the block ends, an import cannot write (and waits); reading goes on."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        assert database
        conn = sqlite3.connect(database, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text("LOCK TABLE import_run IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            transaction.rollback()
