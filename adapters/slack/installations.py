"""Slack installations and OAuth states, kept in Huddle's own database.

With several workspaces (or an Enterprise Grid organisation) every workspace installs
Huddle through Slack's OAuth flow, and its installation (bot token, refresh token and
expiry, bot user) is what each request and each scheduled send for that workspace uses.
The tables and queries are slack_sdk's own SQLAlchemy stores
(``slack_installations``, ``slack_bots``, ``slack_oauth_states``) on Huddle's engine;
migration 0015 creates the tables, and :func:`tables` gives their metadata for the
check that models and migrations agree.

slack_sdk's SQLAlchemy stores are synchronous (its async ones need an async driver);
Bolt's AsyncApp wants async stores, so each call runs on a worker thread here, as the
core's database work does.

A workspace is written on Huddle's rows (an identity, a channel link, a schedule, an
outbox row) as its team id, ``T123``, or for a workspace of an Enterprise Grid
organisation ``E123:T123`` (:func:`workspace_key`); blank in single-workspace mode. An
org-wide install's requests carry no team (its token acts in every workspace of the
organisation): ``E123:``.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot as SlackBot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import Engine, MetaData, delete

log = logging.getLogger("huddle.slack.installations")

INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
BOTS = SQLAlchemyInstallationStore.default_bots_table_name
STATES = SQLAlchemyOAuthStateStore.default_table_name


class WebClient(AsyncWebClient):
    """slack_sdk's client, sending the app's client id and secret (``oauth.v2.access``:
    the install's code exchange, and token rotation) as an Authorization header it
    writes itself: slack_sdk hands them to aiohttp's BasicAuth, which aiohttp 3.14
    deprecates (a warning on every install and every rotation)."""

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: Any = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> AsyncSlackResponse:
        if isinstance(auth, dict):
            pair = f"{auth['client_id']}:{auth['client_secret']}".encode("latin-1")
            headers = {
                **(headers or {}),
                "Authorization": "Basic " + base64.b64encode(pair).decode(),
            }
            auth = None
        return await super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )


def tables() -> MetaData:
    """The three tables slack_sdk's stores use, as they define them."""
    metadata = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS)
    SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES)
    return metadata


def workspace_key(enterprise_id: str | None, team_id: str | None) -> str:
    """How Huddle's rows name a workspace: ``T123``, or ``E123:T123`` in a Grid org."""
    team = team_id or ""
    return f"{enterprise_id}:{team}" if enterprise_id else team


def parse_workspace(key: str) -> tuple[str | None, str | None]:
    """(enterprise id, team id) of a :func:`workspace_key`."""
    enterprise, _, team = key.rpartition(":")
    return enterprise or None, team or None


class InstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store, each call on a worker thread."""

    def __init__(self, client_id: str, engine: Engine) -> None:
        self.sync = SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=log)

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.sync.save, installation)

    async def async_save_bot(self, bot: SlackBot) -> None:
        await asyncio.to_thread(self.sync.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> SlackBot | None:
        return await asyncio.to_thread(
            lambda: self.sync.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            lambda: self.sync.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(
            lambda: self.sync.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        )

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await asyncio.to_thread(
            lambda: self.sync.delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


class StateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store (one row per install link, used once).

    A state nobody came back with would stay for ever (slack_sdk deletes a state only
    when it is used): each new one first clears those past their time.
    """

    def __init__(self, expiration_seconds: int, engine: Engine) -> None:
        self.sync = SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds, engine=engine, logger=log
        )

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self._issue)

    def _issue(self) -> str:
        states = self.sync.oauth_states
        now = datetime.now(UTC).replace(tzinfo=None)  # stored naive UTC, as slack_sdk does
        with self.sync.engine.begin() as conn:
            conn.execute(delete(states).where(states.c.expire_at < now))
        return self.sync.issue()

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.sync.consume, state)


@dataclass(frozen=True)
class Token:
    """A workspace's bot token, good for now (refreshed if it was about to expire)."""

    token: str
    workspace: str


class NotInstalled(Exception):
    """No installation for the workspace: Huddle was uninstalled there, or never was."""


class Tokens:
    """A workspace's bot token for a send no request brought (the delivery worker):
    looked up in the installation store, and rotated first when it expires within
    ``minutes`` (the rotated token is saved, so every replica uses it next)."""

    def __init__(
        self,
        store: InstallationStore,
        client: AsyncWebClient,
        client_id: str,
        client_secret: str,
        minutes: int,
    ) -> None:
        self.store = store
        self.minutes = minutes
        self.rotator = AsyncTokenRotator(
            client_id=client_id, client_secret=client_secret, client=client
        )
        self._locks: dict[str, asyncio.Lock] = {}

    async def token(self, workspace: str) -> Token:
        """The bot token for ``workspace``; raises :class:`NotInstalled`."""
        # One rotation at a time per workspace in this process: a refresh token is good once.
        async with self._locks.setdefault(workspace, asyncio.Lock()):
            installation = await self.find(workspace)
            if installation is None or not installation.bot_token:
                raise NotInstalled(workspace)
            if installation.bot_refresh_token:
                try:
                    rotated = await self.rotator.perform_token_rotation(
                        installation=installation, minutes_before_expiration=self.minutes
                    )
                except SlackTokenRotationError:
                    # Another replica (or an inbound request) may have used the refresh
                    # token a moment ago: its new token is in the store by now.
                    again = await self.find(workspace)
                    if again is None or not again.bot_token:
                        raise NotInstalled(workspace) from None
                    if again.bot_token == installation.bot_token:
                        raise
                    return Token(str(again.bot_token), workspace)
                if rotated is not None:
                    await self.store.async_save(rotated)
                    log.info("the bot token of %s was rotated before a send", workspace)
                    installation = rotated
            return Token(str(installation.bot_token), workspace)

    async def find(self, workspace: str) -> Installation | None:
        """The workspace's own installation, else its organisation's (an org-wide install)."""
        enterprise, team = parse_workspace(workspace)
        found = await self.store.async_find_installation(enterprise_id=enterprise, team_id=team)
        if found is None and enterprise:
            found = await self.store.async_find_installation(
                enterprise_id=enterprise, team_id=None, is_enterprise_install=True
            )
        return found
