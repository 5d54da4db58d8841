"""Settings, read from ``HUDDLE_*`` environment variables.

Built once, in the composition root (:mod:`bot.cli`), never at import time,
and passed down. Adapters add their own settings classes next to their code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.context import WebAccess

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_content_dir() -> Path:
    """The sample initiative: ``content/`` beside the code, else in the working folder."""
    beside = PROJECT_ROOT / "content"
    return beside if beside.is_dir() else Path.cwd() / "content"


class Settings(BaseSettings):
    """The core's settings.

    ``database_url``: a SQLAlchemy URL; the default is a SQLite file in the
    working folder. Use ``postgresql+psycopg://user@host/db`` in production.
    ``content_dir``: the initiative's content folder.
    ``host``/``port``: where ``huddle run`` serves Slack, Teams, xAPI and ``/healthz``.
    ``xapi_max_body_bytes``: the largest request ``POST /xapi/statements`` takes.
    """

    model_config = SettingsConfigDict(env_prefix="HUDDLE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///huddle.db",
        description=(
            "The database, as a SQLAlchemy URL: a SQLite file for a trial, "
            "postgresql+psycopg://user@host/db in production (and for several replicas)."
        ),
    )
    content_dir: Path = Field(
        default=default_content_dir(),
        description=(
            "The initiative's content folder (pathways, courses, messages); the sample initiative "
            "beside the code by default."
        ),
    )
    log_level: str = Field(
        default="INFO",
        description="The least serious log lines written: DEBUG, INFO, WARNING or ERROR.",
    )
    host: str = Field(default="0.0.0.0", description="The address huddle run listens on.")  # noqa: S104 - a server in a container listens on every interface
    port: int = Field(
        default=3978,
        ge=1,
        le=65535,
        description=(
            "The port huddle run serves Slack, Teams, xAPI, the dashboard, /healthz and /readyz on."
        ),
    )
    #: The largest body POST /xapi/statements takes (413 past it).
    xapi_max_body_bytes: int = Field(
        default=1_000_000,
        ge=1_000,
        le=100_000_000,
        description="The largest body POST /xapi/statements takes (413 past it).",
    )
    #: Where people reach ``huddle run`` (the dashboard's links start with it); default:
    #: this machine on ``port``.
    public_url: str = Field(
        default="",
        description=(
            "Where people reach huddle run (the dashboard's sign-in links start with it); this "
            "machine on the port if unset."
        ),
    )
    #: The key that signs dashboard links; unset, one is made and kept in the database
    #: (the same for every replica).
    dashboard_key: str = Field(
        default="",
        description=(
            "The key that signs dashboard sign-in links, the same on every replica; unset, one is "
            "made and kept in the database."
        ),
    )
    #: ``text`` (for people) or ``json`` (one object a line, for a log pipeline).
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text (for people) or json (one object a line, for a log pipeline).",
    )
    #: GET /metrics on the main port for ``Authorization: Bearer <token>``.
    metrics_token: str = Field(
        default="",
        description=(
            "GET /metrics on the main port answers only Authorization: Bearer and this token."
            " Unset (and no metrics port): /metrics is not served."
        ),
    )
    #: GET /metrics without a token on a port of its own (0: none), for a network only
    #: Prometheus reaches. With neither this nor the token, /metrics is not served.
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description=(
            "GET /metrics without a token on a port of its own, for a network only Prometheus "
            "reaches (0: none)."
        ),
    )

    def web(self) -> WebAccess:
        url = (self.public_url or f"http://localhost:{self.port}").rstrip("/")
        return WebAccess(public_url=url, dashboard_key=self.dashboard_key)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "HUDDLE_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL, "
                f"got {value.split(':', 1)[0]}:..."
            )
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # psycopg 3 is the driver we ship; say so in the URL for SQLAlchemy.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
