"""The delivery worker: drains the outbox through each platform's sender.

It claims due rows in batches (see :mod:`bot.outbox`), sends them, paced to
stay inside the platform's limits, and records each result. Failures are
retried with exponential backoff and jitter, honouring Retry-After; after a
bounded number of attempts a row is parked as failed with its reason. A row
claimed ``in_doubt`` (its previous worker died mid-send) is first reconciled
with the platform when the sender can (Slack: the message carries the row's
key in its metadata); otherwise it is sent again, at most once, and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot import logs, metrics
from bot.clock import Clock
from bot.messages import Message
from bot.outbox import MAX_RESENDS, Claimed, Outbox

log = logging.getLogger("huddle.delivery")

BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
#: The workspace of the row being sent (Slack with several workspaces: the sender uses
#: that workspace's token); set for each row's own task, blank for the others.
WORKSPACE: contextvars.ContextVar[str] = contextvars.ContextVar("delivery_workspace", default="")


class DeliveryError(Exception):
    """A send that did not go through.

    ``permanent`` means retrying cannot help (no such channel, the person left);
    ``retry_after`` is the platform's own wait, when it gave one; ``unknown``
    means the request may have reached the platform (a timeout, a lost
    connection, a 5xx), so the next attempt first looks for it.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        unknown: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.unknown = unknown


class Sender(Protocol):
    """One platform's way out: send a message to a person or channel id.

    A platform with several workspaces reads the row's from :data:`WORKSPACE`.
    """

    platform: str

    async def send(self, target: str, message: Message, key: str) -> str:
        """Send; return the platform's message id. Raise DeliveryError on failure."""
        ...

    async def reconcile(self, target: str, key: str, since: datetime) -> str | None:
        """The message id if a message with this key was already delivered, else None.

        Raise NotImplementedError when the platform offers no way to find out.
        """
        ...


#: A sliding window is kept this much longer than the platform's own: the platform counts
#: requests as they arrive, the pacer as they leave, and the trip takes a varying time.
WINDOW_MARGIN = 0.02


@dataclass
class Limits:
    """Pacing for one platform: a budget per minute, and a gap per conversation.

    ``window`` 0 spaces sends evenly, 60 / ``per_minute`` s apart. A number of
    seconds keeps the budget as a platform counting a sliding window does: up to
    ``per_minute * window / 60`` sends may go at once, and no more in any
    ``window`` seconds (Slack's per-minute limits: ``window=60``).
    """

    per_minute: float
    per_target_gap: float = 0.0
    window: float = 0.0

    @property
    def budget(self) -> int:
        """Sends allowed in one window."""
        return max(1, int(self.per_minute * self.window / 60))


@dataclass
class Pacer:
    """Keeps sends inside platform limits: per platform (even spacing or a sliding window),
    and a gap per target."""

    limits: Mapping[str, Limits]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _next_slot: dict[str, float] = field(default_factory=dict)
    _target_free: dict[tuple[str, str], float] = field(default_factory=dict)
    _departures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def wait(self, platform: str, target: str) -> None:
        limits = self.limits.get(platform)
        if limits is None or (limits.per_minute <= 0 and limits.per_target_gap <= 0):
            return
        interval = 60.0 / limits.per_minute if limits.per_minute > 0 else 0.0
        async with self._lock:
            now = self.clock()
            if len(self._target_free) > 10_000:  # forget targets whose gap has passed
                self._target_free = {k: v for k, v in self._target_free.items() if v > now}
            at = max(
                now,
                self._next_slot.get(platform, now),
                self._target_free.get((platform, target), now),
            )
            if limits.window > 0 and limits.per_minute > 0:
                # The last `budget` departures, oldest first: the next may leave once the
                # oldest of them is a window old. Departures keep their order, so the
                # window stays sorted.
                left = self._departures.setdefault(platform, deque(maxlen=limits.budget))
                if len(left) == left.maxlen:
                    at = max(at, left[0] + limits.window * (1 + WINDOW_MARGIN))
                left.append(at)
                self._next_slot[platform] = at
            else:
                self._next_slot[platform] = at + interval
            self._target_free[(platform, target)] = at + limits.per_target_gap
        delay = at - self.clock()
        if delay > 0:
            await self.sleep(delay)

    def allowance(self, platform: str, seconds: float) -> int | None:
        """How many sends pacing lets out on ``platform`` within ``seconds``; None: no limit.

        Spaced evenly, at least one (as before a sliding window existed); with a window,
        the budget less the departures still inside the window then (0 when it is full).
        """
        limits = self.limits.get(platform)
        if limits is None or limits.per_minute <= 0:
            return None
        if limits.window <= 0:
            return max(1, int(limits.per_minute * seconds / 60))
        now = self.clock()
        if self._next_slot.get(platform, now) > now + seconds:
            return 0
        horizon = now + seconds - limits.window * (1 + WINDOW_MARGIN)
        inside = sum(1 for at in self._departures.get(platform, ()) if at > horizon)
        return max(0, limits.budget - inside)

    def hold(self, platform: str, seconds: float) -> None:
        """The platform said "slow down" (Retry-After): hold every send on it for a while."""
        now = self.clock()
        self._next_slot[platform] = max(self._next_slot.get(platform, now), now + seconds)


class Worker:
    """Claims, sends and records; one per process (``huddle run``)."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        clock: Clock,
        pacer: Pacer | None = None,
        batch: int = 200,
        concurrency: int = 50,
        backoff_base: float = BACKOFF_BASE,
    ) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.clock = clock
        self.pacer = pacer or Pacer({})
        self.batch = batch
        self.concurrency = concurrency
        self.backoff_base = backoff_base
        self._random = random.Random()
        self.sent_count = 0

    def batch_for(self, platform: str) -> int:
        """How many rows to claim at once: no more than pacing lets out in half a lease.

        0 when a sliding window is full for longer than that: the rows stay unclaimed
        (another worker may take them) rather than wait out their lease here.
        """
        allowed = self.pacer.allowance(platform, self.outbox.lease.total_seconds() / 2)
        return self.batch if allowed is None else min(self.batch, allowed)

    async def run_once(self) -> int:
        """Claim one batch and deliver it; return how many rows were handled."""
        now = self.clock.now()
        items: list[Claimed] = []
        for platform in self.senders:
            limit = self.batch_for(platform)
            if limit:
                items += await asyncio.to_thread(self.outbox.claim, now, limit, [platform])
        if not items:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        sent: list[tuple[int, str]] = []
        per_target: dict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

        async def one(item: Claimed) -> None:
            logs.EVENT.set(f"d-{item.id}")  # this task's own context: its lines only
            WORKSPACE.set(item.workspace)
            async with gate, per_target[(item.platform, item.target)]:
                message_id = await self._deliver(item)
                if message_id is not None:
                    sent.append((item.id, message_id))

        await asyncio.gather(*(one(item) for item in items))
        if sent:
            recorded = await asyncio.to_thread(self.outbox.sent, sent, self.clock.now())
            self.sent_count += recorded
            done = {row for row, _ in sent}
            for item in items:
                if item.id in done:
                    metrics.DELIVERIES.labels(platform=item.platform, result="sent").inc()
        return len(items)

    async def run_forever(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Drain the outbox until ``stop`` is set; sleep a moment when there is nothing due."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("delivery round failed; trying again shortly")
                handled = 0
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle)

    async def _deliver(self, item: Claimed) -> str | None:
        """Send one row (or find it already delivered); None if it was not sent."""
        sender = self.senders[item.platform]
        if item.in_doubt:
            try:
                found = await sender.reconcile(
                    item.target, item.dedupe_key, item.claimed_at - timedelta(hours=1)
                )
            except NotImplementedError:
                found = None
                if item.resends >= MAX_RESENDS:
                    await asyncio.to_thread(
                        self.outbox.fail,
                        item,
                        self.clock.now(),
                        "outcome unknown after a crash; already resent once",
                    )
                    return None
            except DeliveryError as exc:
                exc.unknown = True  # still in doubt: look again next time
                await self._failed(item, exc)
                return None
            if found is not None:
                log.info("outbox row %s was delivered before the crash (%s)", item.id, found)
                return found
            await asyncio.to_thread(self.outbox.resending, item, self.clock.now())
        await self.pacer.wait(item.platform, item.target)
        if (
            self.clock.now() - item.claimed_at > self.outbox.lease / 2
            and not await asyncio.to_thread(self.outbox.extend, item, self.clock.now())
        ):
            log.warning(
                "outbox row %s waited past its lease; left to the worker holding it", item.id
            )
            return None
        try:
            return await sender.send(item.target, item.message, item.dedupe_key)
        except DeliveryError as exc:
            await self._failed(item, exc)
            return None
        except Exception as exc:  # a bug or the network: retried, looked for first
            log.exception("sending outbox row %s failed unexpectedly", item.id)
            await self._failed(item, DeliveryError(f"unexpected: {exc!r}"[:300], unknown=True))
            return None

    async def _failed(self, item: Claimed, exc: DeliveryError) -> None:
        now = self.clock.now()
        if exc.permanent:
            await asyncio.to_thread(self.outbox.fail, item, now, exc.reason)
            metrics.DELIVERIES.labels(platform=item.platform, result="failed").inc()
            return
        if exc.retry_after is not None:
            metrics.RATE_LIMITED.labels(platform=item.platform).inc()
            self.pacer.hold(item.platform, exc.retry_after)
            delay = exc.retry_after + self._random.uniform(0, 0.5)
        else:
            ceiling = min(BACKOFF_CAP, self.backoff_base * 2**item.attempts)
            delay = ceiling / 2 + self._random.uniform(0, ceiling / 2)
        again = await asyncio.to_thread(
            self.outbox.retry, item, now, timedelta(seconds=delay), exc.reason, exc.unknown
        )
        result = "retried" if again else "failed"
        metrics.DELIVERIES.labels(platform=item.platform, result=result).inc()
