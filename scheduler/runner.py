"""Scheduling inside ``huddle run``: APScheduler 3.x ticks, and the delivery worker.

APScheduler is the clock here, not the ledger: every minute a tick asks the
core to plan what is due (schedules and celebrations, written to the outbox
with unique keys, so every replica may tick safely), and the worker drains
the outbox. No APScheduler job store holds Huddle's schedules: they live in
Huddle's own tables, which replicas share.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core import Bot
from bot.outbox import Outbox
from bot.planning import Planner
from scheduler.delivery import Pacer, Sender, Worker
from scheduler.settings import SchedulingSettings

log = logging.getLogger("huddle.scheduler")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduling:
    """The tick job and the delivery worker of one process."""

    def __init__(
        self,
        bot: Bot,
        senders: Mapping[str, Sender],
        settings: SchedulingSettings | None = None,
    ) -> None:
        self.bot = bot
        self.settings = settings or SchedulingSettings()
        self.senders = dict(senders)
        self.platforms = tuple(senders)
        self._planner: Planner = bot.planner(self.platforms, grace=self.settings.grace)
        self.outbox = Outbox(
            bot.engine,
            bot.content,
            worker_name(),
            quiet=self._planner,
            lease=self.settings.lease,
        )
        self.worker = Worker(
            self.outbox,
            senders,
            bot.clock,
            Pacer(self.settings.limits()),
            concurrency=self.settings.concurrency,
        )
        self.tick_seconds = self.settings.tick_seconds
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._stop = asyncio.Event()
        self._ticking = asyncio.Lock()
        self._drain: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        # Held while planning, so stopping waits for a tick in progress instead of
        # cancelling it half-way (its thread would finish anyway, unobserved).
        try:
            await self._ticking.acquire()
        except asyncio.CancelledError:
            return  # stopped while this tick waited to begin: it never began
        try:
            if self._stop.is_set():
                return
            report = await asyncio.to_thread(self.bot.tick, self._planner)
        except Exception:
            log.exception("planning tick failed; the next one will try again")
            return
        finally:
            self._ticking.release()
        if report.written or report.celebrations:
            log.info(
                "planned %s messages and %s celebration posts", report.written, report.celebrations
            )

    async def start(self) -> None:
        """Make sure the default schedules exist, start ticking (now, then every tick), drain."""
        await asyncio.to_thread(self.bot.ensure_default_schedules)
        self._scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.tick_seconds),
            id="huddle-tick",
            coalesce=True,  # a tick missed while busy is one tick, not several
            max_instances=1,
            misfire_grace_time=int(self.tick_seconds),
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()
        self._drain = asyncio.ensure_future(self.worker.run_forever(self._stop))
        log.info(
            "scheduling: ticks every %g s; delivering on %s",
            self.tick_seconds,
            ", ".join(self.platforms),
        )

    async def stop(self) -> None:
        """Stop ticking and let the worker finish the batch in hand (its rows are recorded)."""
        self._stop.set()
        # A tick in progress finishes first (the scheduler's shutdown would cancel it);
        # one that starts meanwhile waits, and is cancelled before it begins.
        async with self._ticking:
            if self._scheduler.running:
                self._scheduler.shutdown(wait=False)
        if self._drain is not None:
            await self._drain
        for sender in self.senders.values():
            close = getattr(sender, "close", None)
            if close is not None:
                await close()
