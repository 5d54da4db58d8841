"""Slack settings, from ``HUDDLE_SLACK_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_URL = "https://slack.com/api/"


class SlackSettings(BaseSettings):
    """How to reach Slack.

    ``bot_token`` (xoxb-...) is always needed. Over HTTP, Slack signs every
    request with ``signing_secret``. With ``app_token`` (xapp-...) Huddle uses
    Socket Mode instead: no public URL, good for a pilot. ``api_url`` is the Web
    API base (GovSlack and the tests use another). ``max_file_mb``: the largest file
    (an export or a roster) Huddle takes when someone sends it in a DM.
    """

    model_config = SettingsConfigDict(env_prefix="HUDDLE_SLACK_", extra="ignore")

    bot_token: str = Field(
        default="", description="The Slack bot token (xoxb-...): always needed to serve Slack."
    )
    signing_secret: str = Field(
        default="",
        description="The app's signing secret: every request over HTTP is checked against it.",
    )
    app_token: str = Field(
        default="",
        description=(
            "An app-level token (xapp-...): Socket Mode instead of HTTP, no public URL (for a "
            "pilot)."
        ),
    )
    api_url: str = Field(
        default=DEFAULT_API_URL,
        description="The Slack Web API's base URL (GovSlack, or a local one in tests).",
    )
    max_file_mb: int = Field(
        default=200,
        ge=1,
        le=1024,
        description="The largest file (an export, a roster) taken in a Slack DM, in MB.",
    )

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: str) -> str:
        if value and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb- (OAuth & Permissions page)")
        return value

    @field_validator("app_token")
    @classmethod
    def _app_token(cls, value: str) -> str:
        if value and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (Basic Information)")
        return value

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _complete(self) -> SlackSettings:
        if not self.configured:
            return self
        if not self.bot_token:
            raise ValueError("HUDDLE_SLACK_BOT_TOKEN is missing: set the bot token (xoxb-...)")
        if not self.app_token and not self.signing_secret:
            raise ValueError(
                "HUDDLE_SLACK_SIGNING_SECRET is missing: set it (Basic Information > App "
                "Credentials) for HTTP mode, or set HUDDLE_SLACK_APP_TOKEN for Socket Mode"
            )
        return self

    @property
    def configured(self) -> bool:
        """Whether Slack is meant to be served at all (any of its settings is given)."""
        return bool(self.bot_token or self.signing_secret or self.app_token)

    @property
    def file_limit(self) -> int:
        """The largest file taken in chat, in bytes."""
        return self.max_file_mb * 1024 * 1024

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)
