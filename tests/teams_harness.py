"""Huddle serving Teams as in production (its aiohttp server on a free port, anonymous
local mode), and a Teams that talks to it: activities shaped like Microsoft's
documentation, posted to /api/messages, with the replies landing in the fake connector.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from adapters.server import Platforms, build
from adapters.teams.adapter import TeamsAdapter
from adapters.teams.settings import TeamsSettings
from bot.clock import FrozenClock
from bot.content import Content
from bot.core import Bot
from tests.fakechat import FakeChat
from tests.teams_fake import BOT_ID, TENANT, FakeConnector, Sent

CONSENT = "application/vnd.microsoft.teams.card.file.consent"


@dataclass
class TeamsUser:
    id: str
    name: str
    aad: str
    conversation: str


@dataclass
class TeamsHarness:
    fake: FakeConnector
    adapter: TeamsAdapter
    base_url: str
    session: aiohttp.ClientSession
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def activity(
        self,
        user: TeamsUser,
        kind: str = "message",
        *,
        conversation: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"f:{next(self._ids)}",
            "timestamp": "2026-11-23T15:00:00.000Z",
            "serviceUrl": self.fake.url,
            "channelId": "msteams",
            "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad},
            "conversation": conversation
            or {"id": user.conversation, "conversationType": "personal", "tenantId": TENANT},
            "recipient": {"id": BOT_ID, "name": "Huddle"},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "en-US",
            **extra,
        }

    async def post(self, activity: dict[str, Any]) -> int:
        async with self.session.post(f"{self.base_url}/api/messages", json=activity) as r:
            await r.read()
            return r.status

    async def install(self, user: TeamsUser) -> None:
        """What Teams sends when a person adds the app: both events."""
        await self.post(self.activity(user, "installationUpdate", action="add"))
        await self.post(self.activity(user, "conversationUpdate", membersAdded=[{"id": BOT_ID}]))

    def team_activity(
        self,
        user: TeamsUser,
        kind: str,
        team: str,
        channel: str = "",
        event: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """An event in a team (its General channel's id is the team's, unless ``channel``);
        ``event``: channelData.eventType (``teamMemberAdded``, ``channelMemberAdded``)."""
        conversation = {"id": channel or team, "conversationType": "channel", "tenantId": TENANT}
        channel_data: dict[str, Any] = {"tenant": {"id": TENANT}, "team": {"id": team}}
        if channel:
            channel_data["channel"] = {"id": channel}
        if event:
            channel_data["eventType"] = event
        return self.activity(
            user, kind, conversation=conversation, channelData=channel_data, **extra
        )

    async def adds_to_team(self, user: TeamsUser, team: str) -> None:
        """What Teams sends when someone adds the app to a team: both events."""
        await self.post(self.team_activity(user, "installationUpdate", team, action="add"))
        await self.post(
            self.team_activity(user, "conversationUpdate", team, membersAdded=[{"id": BOT_ID}])
        )

    async def removes_from_team(self, user: TeamsUser, team: str) -> None:
        await self.post(self.team_activity(user, "installationUpdate", team, action="remove"))
        await self.post(
            self.team_activity(user, "conversationUpdate", team, membersRemoved=[{"id": BOT_ID}])
        )

    async def says(self, user: TeamsUser, text: str) -> int:
        return await self.post(self.activity(user, text=text, textFormat="plain"))

    async def clicks(self, user: TeamsUser, card_activity_id: str, data: dict[str, Any]) -> int:
        """An Action.Submit: a message with the button's data as value, replying to the card."""
        return await self.post(self.activity(user, value=data, replyToId=card_activity_id))

    async def sends_file(self, user: TeamsUser, name: str, content: bytes, text: str = "") -> int:
        """A file sent in the personal chat, as Teams delivers it (a download.info attachment)."""
        attachment = {
            "contentType": "application/vnd.microsoft.teams.file.download.info",
            "contentUrl": f"https://contoso.sharepoint.com/personal/{user.aad}/Documents/{name}",
            "name": name,
            "content": {
                "downloadUrl": self.fake.add_download(name, content),
                "uniqueId": f"unique-{next(self._ids)}",
                "fileType": name.rsplit(".", 1)[-1],
                "etag": "1",
            },
        }
        return await self.post(
            self.activity(user, text=text, textFormat="plain", attachments=[attachment])
        )

    async def answers_consent(
        self, user: TeamsUser, card: Sent, accept: bool = True, upload_url: str = ""
    ) -> tuple[int, str]:
        """The person accepts (or declines) a FileConsentCard the bot sent: Teams' invoke,
        with an upload URL of the fake's (or ``upload_url``) when accepted. Returns
        (status, upload key)."""
        (consent,) = [
            a for a in card.activity.get("attachments") or [] if a["contentType"] == CONSENT
        ]
        value: dict[str, Any] = {"type": "fileUpload", "action": "accept" if accept else "decline"}
        key = ""
        if accept:
            value["context"] = consent["content"]["acceptContext"]
            url = upload_url or self.fake.upload_url(consent["name"])
            key = url.rsplit("/", 1)[-1]
            value["uploadInfo"] = {
                "contentUrl": f"https://contoso.sharepoint.com/personal/{user.aad}/{consent['name']}",
                "name": consent["name"],
                "uploadUrl": url,
                "uniqueId": f"unique-{next(self._ids)}",
                "fileType": consent["name"].rsplit(".", 1)[-1],
                "etag": "1",
            }
        else:
            value["context"] = consent["content"]["declineContext"]
        invoke = self.activity(
            user, "invoke", name="fileConsent/invoke", value=value, replyToId=card.activity_id
        )
        return await self.post(invoke), key

    async def in_channel(
        self,
        user: TeamsUser,
        channel: str,
        text: str,
        mentions: list[dict[str, Any]] | None = None,
        channel_type: str | None = None,
    ) -> int:
        """@Huddle ... in a team channel (a thread reply id is part of the conversation id);
        ``channel_type``: "private" or "shared" for those (channelData.channel.type)."""
        bot_tag = "<at>Huddle</at>"
        entities = [
            {"type": "mention", "text": bot_tag, "mentioned": {"id": BOT_ID, "name": "Huddle"}},
            *(mentions or []),
        ]
        conversation = {
            "id": f"{channel};messageid=17000001",
            "conversationType": "channel",
            "tenantId": TENANT,
            "isGroup": True,
        }
        return await self.post(
            self.activity(
                user,
                text=f"{bot_tag} {text}",
                entities=entities,
                conversation=conversation,
                channelData={
                    "tenant": {"id": TENANT},
                    "teamsChannelId": channel,
                    "team": {"id": "19:team@thread.tacv2"},
                    **({"channel": {"id": channel, "type": channel_type}} if channel_type else {}),
                },
            )
        )


async def start(
    bot: Bot, fake: FakeConnector, settings: dict[str, Any] | None = None, **adapter_options: Any
) -> tuple[TeamsHarness, web.AppRunner]:
    adapter = TeamsAdapter(
        bot, TeamsSettings(anonymous=True, **(settings or {})), **adapter_options
    )
    runner = web.AppRunner(build(bot, Platforms(teams=adapter)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return TeamsHarness(fake, adapter, f"http://127.0.0.1:{port}", aiohttp.ClientSession()), runner


@asynccontextmanager
async def sample_teams(
    engine: Engine,
    content: Content,
    clock: FrozenClock,
    members: Iterable[tuple[TeamsUser, str]],
    **settings: Any,
) -> AsyncIterator[TeamsHarness]:
    """The sample initiative and roster behind a running Huddle, with a Teams connector.

    ``members``: (user, email) the connector can look up; ``settings``: TeamsSettings
    fields to change (``max_file_mb``).
    """
    fake = FakeConnector()
    await fake.start()
    for user, email in members:
        fake.add_member(user.id, user.name, email, user.aad)
    bot = Bot(content, engine, clock)
    FakeChat(bot, clock).load_sample_roster()
    harness, runner = await start(bot, fake, settings, backoff_base=0.02)
    try:
        yield harness
    finally:
        await harness.session.close()
        await harness.adapter.close()
        await runner.cleanup()
        await fake.stop()
