"""Teams settings, from ``HUDDLE_TEAMS_*`` environment variables."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class TeamsSettings(BaseSettings):
    """How Huddle's Azure bot registration authenticates.

    Single-tenant, as new Azure bot registrations require: ``app_id`` (the bot's
    Microsoft App ID), ``tenant_id``, and either ``app_password`` (a client
    secret) or ``managed_identity`` (the client id of a user-assigned managed
    identity). ``anonymous`` turns token checks off entirely: for local
    development and tests only, and only on a server listening on localhost.
    ``max_file_mb``: the largest file (an export or a roster) Huddle takes in a chat.
    ``reach_per_second``: the pace of starting personal chats with a team's members.
    """

    model_config = SettingsConfigDict(env_prefix="HUDDLE_TEAMS_", extra="ignore")

    app_id: str = Field(
        default="", description="The bot's Microsoft App ID (single-tenant Azure bot registration)."
    )
    app_password: str = Field(
        default="", description="The registration's client secret (or use a managed identity)."
    )
    tenant_id: str = Field(
        default="", description="The Microsoft Entra tenant of the registration."
    )
    managed_identity: str = Field(
        default="",
        description=(
            "The client id of a user-assigned managed identity, instead of a client secret."
        ),
    )
    anonymous: bool = Field(
        default=False,
        description=(
            "No token checks at all: local development and tests only, refused unless listening on "
            "localhost."
        ),
    )
    max_file_mb: int = Field(
        default=200,
        ge=1,
        le=1024,
        description="The largest file (an export, a roster) taken in a Teams chat, in MB.",
    )

    reach_per_second: float = Field(
        default=5.0,
        gt=0,
        le=30,
        description=(
            "Requests a second to the connector (listing members, starting personal chats) "
            "when Huddle is added to a team; Teams allows about 30 a second per tenant."
        ),
    )

    @field_validator("app_id", "tenant_id", "managed_identity")
    @classmethod
    def _guid(cls, value: str) -> str:
        if value and not GUID.match(value):
            raise ValueError("must be a GUID like 00000000-0000-0000-0000-000000000000")
        return value

    @model_validator(mode="after")
    def _complete(self) -> TeamsSettings:
        if self.anonymous or not self.configured:
            return self
        if not self.app_id:
            raise ValueError("HUDDLE_TEAMS_APP_ID is missing: the Azure bot's Microsoft App ID")
        if not self.tenant_id:
            raise ValueError(
                "HUDDLE_TEAMS_TENANT_ID is missing: the Entra tenant of the single-tenant bot"
            )
        if not (self.app_password or self.managed_identity):
            raise ValueError(
                "HUDDLE_TEAMS_APP_PASSWORD is missing: set the bot's client secret, or "
                "HUDDLE_TEAMS_MANAGED_IDENTITY to a user-assigned managed identity's client id"
            )
        return self

    @property
    def file_limit(self) -> int:
        """The largest file taken in chat, in bytes."""
        return self.max_file_mb * 1024 * 1024

    @property
    def configured(self) -> bool:
        return bool(self.anonymous or self.app_id or self.app_password or self.tenant_id)

    def refuse_anonymous_off_localhost(self, host: str) -> None:
        """Anonymous mode accepts unauthenticated requests: never on a reachable address."""
        if self.anonymous and host not in LOCAL_HOSTS:
            raise ValueError(
                f"HUDDLE_TEAMS_ANONYMOUS=1 turns off token checks, so it only runs on localhost; "
                f"HUDDLE_HOST is {host}. Set HUDDLE_HOST=127.0.0.1, or configure "
                "HUDDLE_TEAMS_APP_ID, HUDDLE_TEAMS_APP_PASSWORD and HUDDLE_TEAMS_TENANT_ID."
            )
