"""Scheduled messages out to Slack: the delivery worker's Slack sender.

Each message is posted with ``chat.postMessage`` and carries its outbox key in
Slack message metadata (``event_type: huddle_delivery``). After a crash, a
message whose outcome is unknown is looked for in the conversation's history
(``conversations.history`` with ``include_all_metadata``): found means it was
delivered and is not sent again.

With several workspaces, each row goes out with its workspace's token
(:data:`scheduler.delivery.WORKSPACE`), looked up in the installation store and
rotated first when it is about to expire: no request from Slack comes to refresh it.
A workspace with no installation (Huddle was uninstalled there) is a permanent
refusal, ``app_uninstalled``, which the admins see in ``nudge problems``.

Slack's answers become :class:`scheduler.delivery.DeliveryError`: refusals
that retrying cannot fix are permanent; 429 carries Retry-After, and the
worker holds the whole workspace's sends for that long. The client here does
not retry by itself, so one send is one request, and the worker decides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chart import file_name, png
from adapters.slack import render
from adapters.slack.installations import InstallationStore, NotInstalled, Tokens, WebClient
from adapters.slack.settings import SlackSettings
from bot.messages import Message
from scheduler.delivery import WORKSPACE, DeliveryError

log = logging.getLogger("huddle.slack.sender")

PLATFORM = "slack"
EVENT_TYPE = "huddle_delivery"
#: Refusals that no retry can fix: the bot is not in the channel, it is gone, the person left.
PERMANENT = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "account_inactive",
        "is_archived",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "restricted_action",
        "not_authed",
        "invalid_auth",
        "token_revoked",
    }
)
#: Errors raised before the request left this process: safe to send again.
NOT_SENT = (aiohttp.ClientConnectorError,)
HISTORY_PAGES = 20
#: Files shared by one files.completeUploadExternal (they arrive as one message).
COMPLETE_AT_ONCE = 10
#: (file name, bytes, title, alternative text) of a file to upload.
Upload = tuple[str, bytes, str, str]
#: A file the core kept, by id: (name, media type, bytes), or None once it is gone.
FetchFile = Callable[[str], tuple[str, str, bytes] | None]


class SlackSender:
    """``send`` and ``reconcile`` for the delivery worker, on one shared HTTP session."""

    platform = PLATFORM

    def __init__(
        self,
        settings: SlackSettings,
        timeout: float = 30.0,
        files: FetchFile | None = None,
        installations: InstallationStore | None = None,
    ) -> None:
        # No automatic retries (slack_sdk retries connection errors by default): a
        # retried post may land twice; the worker decides, reconciling first.
        self.client: AsyncWebClient = WebClient(
            token=settings.bot_token,
            base_url=settings.api_url,
            timeout=int(timeout),
            retry_handlers=[],
        )
        self._base_url = settings.api_url
        self._session: aiohttp.ClientSession | None = None
        self._dm: dict[str, str] = {}
        #: Fetches a kept file a message attaches (the report's Excel file and PDF).
        self.files = files
        #: Several workspaces: each row's workspace token, rotated when about to expire.
        self.tokens = (
            Tokens(
                installations,
                self.client,
                settings.client_id,
                settings.client_secret,
                settings.token_rotation_minutes,
            )
            if installations is not None and settings.multi_workspace
            else None
        )
        self._clients: dict[str, AsyncWebClient] = {}

    def _http(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=100),
                timeout=aiohttp.ClientTimeout(total=self.client.timeout),
            )
            self.client.session = self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _workspace_client(self) -> AsyncWebClient:
        """The client for the row being sent: with several workspaces, one holding its
        workspace's token (refreshed first if it expires soon)."""
        if self.tokens is None:
            return self.client
        workspace = WORKSPACE.get()
        try:
            found = await self.tokens.token(workspace)
        except NotInstalled:
            raise DeliveryError("app_uninstalled", permanent=True) from None
        except SlackTokenRotationError as exc:
            # The refresh token was refused (revoked, or used up by an answer that was
            # lost): retried with backoff, then parked with the reason.
            error = exc.api_error.response.get("error") if exc.api_error else "refused"
            raise DeliveryError(f"token rotation failed: {error}") from None
        except SlackApiError as exc:
            raise DeliveryError(f"token rotation failed: {exc.response.get('error')}") from None
        client = self._clients.get(found.token)
        if client is None:
            if len(self._clients) > 1000:  # rotated tokens are never used again
                self._clients.clear()
            client = AsyncWebClient(
                token=found.token,
                base_url=self._base_url,
                timeout=self.client.timeout,
                retry_handlers=[],
                session=self._session,
            )
            self._clients[found.token] = client
        return client

    async def send(self, target: str, message: Message, key: str) -> str:
        """Post every part of the message; return ``channel:ts`` of the first part. Its
        charts and pictures follow as PNG images uploaded to the same conversation, and
        its files (a report's Excel file and PDF) with them."""
        self._http()
        client = await self._workspace_client()
        first = ""
        for number, part in enumerate(render.render(render.without_charts(message))):
            metadata = {"event_type": EVENT_TYPE, "event_payload": {"key": key, "part": number}}
            response = await self._call(
                client.chat_postMessage,
                channel=target,
                text=part.text,
                blocks=part.blocks,
                metadata=metadata,
                unfurl_links=False,
            )
            if not first:
                first = f"{response.get('channel', target)}:{response.get('ts', '')}"
        uploads = [
            (file_name(c), png(c), c.title or "chart", c.alt) for c in render.charts(message)
        ]
        uploads += [(p.name, p.data, p.title, p.alt) for p in message.pictures]
        for attachment in message.attachments:
            found = await asyncio.to_thread(self.files, attachment.file_id) if self.files else None
            if found is None:
                log.warning("the file %s for %s is gone; not uploaded", attachment.name, target)
                continue
            uploads.append((found[0], found[2], found[0], ""))
        if uploads:
            await self._upload(client, target, uploads)
        return first

    async def _upload(self, client: AsyncWebClient, target: str, uploads: list[Upload]) -> None:
        """Charts, pictures and files into the conversation, in files_upload_v2's three
        steps (each file's URL, its bytes POSTed, then one completeUploadExternal for up
        to COMPLETE_AT_ONCE of them, so they arrive together). The message is delivered
        already: what cannot be uploaded is logged, and the message (which says its
        figures in words too) is not sent again for it."""
        try:
            channel = await self._channel_of(client, target)
            done: list[dict[str, str]] = []
            for name, data, title, alt in uploads:
                args: dict[str, Any] = {"filename": name, "length": len(data)}
                if alt:
                    args["alt_txt"] = alt[:1000]
                step = await self._call(client.files_getUploadURLExternal, **args)
                assert self._session is not None
                async with self._session.post(str(step["upload_url"]), data=data) as answer:
                    if answer.status != 200:
                        raise DeliveryError(f"the upload of {name} answered {answer.status}")
                done.append({"id": str(step["file_id"]), "title": title[:250] or name})
            for start in range(0, len(done), COMPLETE_AT_ONCE):
                await self._call(
                    client.files_completeUploadExternal,
                    files=done[start : start + COMPLETE_AT_ONCE],
                    channel_id=channel,
                )
        except (DeliveryError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("files for %s could not be uploaded: %s", target, exc)

    async def reconcile(self, target: str, key: str, since: datetime) -> str | None:
        """``channel:ts`` of a message carrying ``key`` posted since ``since``, else None."""
        self._http()
        client = await self._workspace_client()
        channel = await self._channel_of(client, target)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{since.timestamp():.6f}",
                "include_all_metadata": True,
                "limit": 200,
            }
            if cursor:
                args["cursor"] = cursor
            page = await self._call(client.conversations_history, **args)
            for item in page.get("messages") or []:
                meta = item.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE and payload.get("key") == key:
                    return f"{channel}:{item.get('ts', '')}"
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or not cursor:
                return None
        log.warning("reconcile of %s in %s stopped after %s pages", key, channel, HISTORY_PAGES)
        return None

    async def _channel_of(self, client: AsyncWebClient, target: str) -> str:
        """A person's DM channel (history needs it); a channel id is itself."""
        if not target.startswith(("U", "W")):
            return target
        if target not in self._dm:
            opened = await self._call(client.conversations_open, users=target)
            self._dm[target] = str((opened.get("channel") or {}).get("id") or target)
        return self._dm[target]

    @staticmethod
    async def _call(method: Any, **kwargs: Any) -> Any:
        """One Web API request, with Slack's answers turned into DeliveryError."""
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            response = exc.response
            data = response.data if isinstance(response.data, dict) else {}
            error = str(data.get("error") or f"http {response.status_code}")
            if response.status_code == 429:
                retry_after = float(
                    response.headers.get("Retry-After", response.headers.get("retry-after", 1)) or 1
                )
                raise DeliveryError(
                    f"ratelimited (Retry-After {retry_after:g} s)", retry_after=retry_after
                ) from None
            if error in PERMANENT:
                raise DeliveryError(error, permanent=True) from None
            if response.status_code >= 500:
                raise DeliveryError(
                    f"Slack answered {response.status_code}", unknown=True
                ) from None
            raise DeliveryError(error) from None
        except NOT_SENT as exc:
            raise DeliveryError(f"cannot connect to Slack: {exc}") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The request may have reached Slack: the next attempt reconciles first.
            raise DeliveryError(f"no answer from Slack: {exc!r}"[:300], unknown=True) from None
