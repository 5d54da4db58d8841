"""The SDK's connector and user-token clients, kept between turns.

The SDK's own factory (``RestChannelServiceClientFactory``) builds a new
``TeamsConnectorClient`` and ``UserTokenClient`` for every activity, each with
its own aiohttp session (so a new TCP connection to the connector for every
reply) and a look-up of the SDK's version in the installed packages' metadata
for the User-Agent header; the adapter then closes both at the end of the turn.
Measured, that was about a fifth of the server's CPU time per Teams turn
(bench/RESULTS.md, 2026-12-03).

:class:`KeptClients` gets the token exactly as the SDK's factory does, then
reuses the client already made for the same service URL and token (the token
is the only thing a client holds besides its URL, so one changing gives a new
client). The SDK still calls ``close()`` after each turn; on a kept client that
does nothing, and the client is closed for real when a newer token replaces it
(after a grace period, for turns still using it) or when the adapter closes.
Agentic requests and Copilot Studio's connector requests take the SDK's own
path unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from microsoft_agents.activity import RoleTypes
from microsoft_agents.hosting.core import RestChannelServiceClientFactory
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

log = logging.getLogger("huddle.teams")

#: How long a replaced client stays open for turns that may still be using it.
REPLACED_GRACE = 120.0


class _KeptConnector(TeamsConnectorClient):
    """A connector client the SDK's end-of-turn ``close()`` leaves open."""

    async def close(self) -> None:
        return None

    async def close_now(self) -> None:
        await super().close()


class _KeptUserTokens(UserTokenClient):
    """A user-token client the SDK's end-of-turn ``close()`` leaves open."""

    async def close(self) -> None:
        return None

    async def close_now(self) -> None:
        await super().close()


class KeptClients(RestChannelServiceClientFactory):
    """The SDK's client factory, reusing one client per service URL and token."""

    def __init__(self, connection_manager: Any) -> None:
        super().__init__(connection_manager)
        self._connectors: dict[str, tuple[str, _KeptConnector]] = {}
        self._user_tokens: dict[str | None, tuple[str, _KeptUserTokens]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @staticmethod
    def _sdk_path(context: Any) -> bool:
        """Requests the SDK's factory treats specially: left entirely to it."""
        if context is None:
            return False
        activity = context.activity
        recipient = activity.recipient
        return bool(
            activity.is_agentic_request()
            or (recipient is not None and recipient.role == RoleTypes.connector_user)
        )

    async def create_connector_client(
        self,
        context: Any,
        claims_identity: Any,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> Any:
        if not service_url or not audience or self._sdk_path(context):
            return await super().create_connector_client(
                context, claims_identity, service_url, audience, scopes, use_anonymous
            )
        provider = (
            self._ANONYMOUS_TOKEN_PROVIDER
            if use_anonymous
            else self._connection_manager.get_token_provider(claims_identity, service_url)
        )
        token = await provider.get_access_token(
            audience, scopes or claims_identity.get_token_scope()
        )
        kept = self._connectors.get(service_url)
        if kept is not None and kept[0] == token:
            return kept[1]
        client = _KeptConnector(endpoint=service_url, token=token)
        self._connectors[service_url] = (token, client)
        if kept is not None:
            self._close_later(kept[1])
        return client

    async def create_user_token_client(
        self, context: Any, claims_identity: Any, use_anonymous: bool = False
    ) -> Any:
        if self._sdk_path(context):
            return await super().create_user_token_client(context, claims_identity, use_anonymous)
        token = ""
        if not use_anonymous:
            provider = self._connection_manager.get_token_provider(
                claims_identity, self._token_service_endpoint
            )
            token = await provider.get_access_token(
                self._token_service_audience, claims_identity.get_token_scope()
            )
            if not token:  # the SDK's factory logs and raises this
                return await super().create_user_token_client(context, claims_identity)
        app_id = claims_identity.get_app_id()
        kept = self._user_tokens.get(app_id)
        if kept is not None and kept[0] == token:
            return kept[1]
        client = _KeptUserTokens(app_id=app_id, endpoint=self._token_service_endpoint, token=token)
        self._user_tokens[app_id] = (token, client)
        if kept is not None:
            self._close_later(kept[1])
        return client

    def _close_later(self, client: _KeptConnector | _KeptUserTokens) -> None:
        async def close() -> None:
            await asyncio.sleep(REPLACED_GRACE)
            await client.close_now()

        task = asyncio.get_running_loop().create_task(close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Close every kept client (the adapter is stopping)."""
        for task in list(self._closing):
            task.cancel()
        clients: list[_KeptConnector | _KeptUserTokens] = [c for _, c in self._connectors.values()]
        clients += [c for _, c in self._user_tokens.values()]
        self._connectors.clear()
        self._user_tokens.clear()
        for client in clients:
            try:
                await client.close_now()
            except Exception:  # closing at shutdown: nothing left to do about it
                log.debug("closing a kept Teams client failed", exc_info=True)
