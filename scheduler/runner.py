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

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.core import Bot
from bot.outbox import Outbox
from bot.planning import Planner
from scheduler.delivery import Limits, Pacer, Sender, Worker

log = logging.getLogger("huddle.scheduler")

TICK_SECONDS = 60


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Scheduling:
    """The tick job and the delivery worker of one process."""

    def __init__(
        self,
        bot: Bot,
        senders: Mapping[str, Sender],
        limits: Mapping[str, Limits],
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.bot = bot
        self.platforms = tuple(senders)
        planner = bot.planner(self.platforms)
        self.outbox = Outbox(bot.engine, bot.content, worker_name(), quiet=planner)
        self.worker = Worker(self.outbox, senders, bot.clock, Pacer(limits))
        self.tick_seconds = tick_seconds
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._stop = asyncio.Event()
        self._drain: asyncio.Task[None] | None = None
        self._planner: Planner = planner

    async def tick(self) -> None:
        try:
            report = await asyncio.to_thread(self.bot.tick, self._planner)
        except Exception:
            log.exception("planning tick failed; the next one will try again")
            return
        if report.written or report.celebrations:
            log.info(
                "planned %s messages and %s celebration posts", report.written, report.celebrations
            )

    def start(self) -> None:
        self._scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.tick_seconds),
            id="huddle-tick",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(
                self.tick_seconds
            ),  # a late tick still runs; the core catches up
            next_run_time=None,
        )
        self._scheduler.start()
        self._scheduler.get_job("huddle-tick").modify(next_run_time=_now())
        self._drain = asyncio.ensure_future(self.worker.run_forever(self._stop))
        log.info(
            "scheduling: ticks every %s s; delivering on %s",
            self.tick_seconds,
            ", ".join(self.platforms),
        )

    async def stop(self) -> None:
        self._scheduler.shutdown(wait=False)
        self._stop.set()
        if self._drain is not None:
            await self._drain


def _now() -> object:
    from datetime import UTC, datetime

    return datetime.now(UTC)
