"""Scheduled messages out to Teams: the delivery worker's Teams sender.

A thin wrap of :meth:`adapters.teams.adapter.TeamsAdapter.send`, which sends
through the saved conversation reference and already retries 429/412/5xx
after Retry-After. Teams offers a bot no way to list what it sent, so a
message whose outcome is unknown after a crash cannot be reconciled: the
worker resends it at most once and logs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.messages import Message
from scheduler.delivery import DeliveryError

if TYPE_CHECKING:
    from adapters.teams.adapter import TeamsAdapter

PLATFORM = "teams"


class TeamsSender:
    platform = PLATFORM

    def __init__(self, adapter: TeamsAdapter) -> None:
        self.adapter = adapter

    async def send(self, target: str, message: Message, key: str) -> str:
        from adapters.teams.adapter import DeliveryFailed, Unreachable

        try:
            return await self.adapter.send(target, message)
        except Unreachable as exc:
            raise DeliveryError(f"unreachable: {exc}", permanent=True) from None
        except DeliveryFailed as exc:
            raise DeliveryError(str(exc)) from None

    async def reconcile(self, target: str, key: str, since: datetime) -> str | None:
        raise NotImplementedError("Teams cannot list a bot's sent messages")

    async def close(self) -> None:
        """The adapter owns the connection; it closes with the server."""
