"""Alembic environment: runs migrations against Huddle's engine.

The engine comes from ``config.attributes["engine"]`` when Huddle runs the
migrations itself (``huddle db upgrade``); plain ``alembic`` commands build one
from ``HUDDLE_DATABASE_URL`` through the same settings the bot uses.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from adapters.slack import installations
from bot.db import make_engine
from bot.settings import Settings

config = context.config
# Huddle's models, and the tables slack_sdk's installation and OAuth state stores use
# (Slack installations for several workspaces): migration 0015 creates those, and the
# check that models and migrations agree covers them as it covers Huddle's own.
target_metadata = [SQLModel.metadata, installations.tables()]


def run_migrations_offline() -> None:
    context.configure(
        url=Settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(Settings().database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
