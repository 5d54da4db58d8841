"""Slack settings, from ``HUDDLE_SLACK_*`` environment variables."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.slack.manifest import load

DEFAULT_API_URL = "https://slack.com/api/"


class SlackSettings(BaseSettings):
    """How to reach Slack.

    One workspace: ``bot_token`` (xoxb-...). Over HTTP, Slack signs every request
    with ``signing_secret``. With ``app_token`` (xapp-...) Huddle uses Socket Mode
    instead: no public URL, good for a pilot.

    Several workspaces, or an Enterprise Grid organisation: ``client_id`` and
    ``client_secret`` instead of a bot token. Each workspace then installs Huddle at
    ``install_path`` (Slack's OAuth flow, back at ``redirect_path``), its installation
    is kept in Huddle's database, and each request and each scheduled send uses that
    workspace's own token, refreshed ``token_rotation_minutes`` before it expires when
    the app rotates tokens.

    ``api_url`` is the Web API base (GovSlack and the tests use another).
    ``max_file_mb``: the largest file (an export or a roster) Huddle takes when
    someone sends it in a DM.
    """

    model_config = SettingsConfigDict(env_prefix="HUDDLE_SLACK_", extra="ignore")

    bot_token: str = Field(
        default="",
        description=(
            "The Slack bot token (xoxb-...) for one workspace; leave it unset with "
            "HUDDLE_SLACK_CLIENT_ID for several."
        ),
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
    client_id: str = Field(
        default="",
        description=(
            "The app's client id (Basic Information): with the client secret, Huddle serves "
            "every workspace that installs it (OAuth), instead of one bot token."
        ),
    )
    client_secret: str = Field(
        default="",
        description="The app's client secret (Basic Information), with HUDDLE_SLACK_CLIENT_ID.",
    )
    scopes: str = Field(
        default="",
        description=(
            "The bot scopes asked for at install, comma-separated; the app manifest's when unset."
        ),
    )
    install_path: str = Field(
        default="/slack/install",
        description="Where a workspace admin starts installing Huddle (several workspaces).",
    )
    redirect_path: str = Field(
        default="/slack/oauth_redirect",
        description="Where Slack sends the installer back (the manifest's redirect URL).",
    )
    redirect_url: str = Field(
        default="",
        description=(
            "The full redirect URL sent to Slack with each install; unset, Slack uses the "
            "app's redirect URL (the manifest's)."
        ),
    )
    authorize_url: str = Field(
        default="https://slack.com/oauth/v2/authorize",
        description="Slack's authorisation page (GovSlack has its own).",
    )
    token_rotation_minutes: int = Field(
        default=120,
        ge=1,
        le=720,
        description=(
            "With token rotation on, a workspace's token is refreshed when it expires within "
            "this many minutes (Slack's tokens last 12 hours)."
        ),
    )
    state_expiration_seconds: int = Field(
        default=600,
        ge=60,
        le=3600,
        description="How long an install link's state (and its browser cookie) is good for.",
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

    @field_validator("install_path", "redirect_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("/slack/events"):
            raise ValueError("must be a path starting with / (and not /slack/events)")
        return value

    @field_validator("redirect_url", "authorize_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
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
        if bool(self.client_id) != bool(self.client_secret):
            missing = "SECRET" if self.client_id else "ID"
            raise ValueError(
                f"HUDDLE_SLACK_CLIENT_{missing} is missing: several workspaces need both the "
                "client id and the client secret (Basic Information > App Credentials)"
            )
        if self.multi_workspace:
            if self.bot_token:
                raise ValueError(
                    "HUDDLE_SLACK_BOT_TOKEN and HUDDLE_SLACK_CLIENT_ID are both set: unset the "
                    "bot token (each workspace's token comes from its installation)"
                )
            if self.app_token:
                raise ValueError(
                    "HUDDLE_SLACK_APP_TOKEN is set with HUDDLE_SLACK_CLIENT_ID: several "
                    "workspaces are served over HTTP only (unset the app token)"
                )
            if not self.signing_secret:
                raise ValueError(
                    "HUDDLE_SLACK_SIGNING_SECRET is missing: set it (Basic Information > App "
                    "Credentials)"
                )
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
        return bool(self.bot_token or self.signing_secret or self.app_token or self.client_id)

    @property
    def multi_workspace(self) -> bool:
        """Every workspace that installs the app (OAuth), rather than one bot token."""
        return bool(self.client_id and self.client_secret)

    def bot_scopes(self) -> list[str]:
        """The scopes an install asks for: the setting's, else the manifest's."""
        if self.scopes.strip():
            return [s.strip() for s in self.scopes.split(",") if s.strip()]
        return list(load()["oauth_config"]["scopes"]["bot"])

    @property
    def file_limit(self) -> int:
        """The largest file taken in chat, in bytes."""
        return self.max_file_mb * 1024 * 1024

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)
