"""What every chat adapter needs: running the core off the event loop, and a clean shutdown.

The core is synchronous (database work) and mostly Python, so it runs in
worker threads: one thread of its own for everyday read-only questions (more
threads would only contend for the GIL and slow the event loop's
acknowledgements), and a small pool for writes and organisation-sized work,
so a large import never delays "what's my next course".
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from bot.core import Bot
from bot.messages import Incoming, Reply

T = TypeVar("T")
R = TypeVar("R")
WORK_THREADS = 2
SHUTDOWN_GRACE = 10.0

#: Finds the email (and time zone, name) of a platform user the core does not know yet.
EmailLookup = Callable[[Incoming], Awaitable[Incoming | None]]


class CoreRunner:
    """Runs the core in worker threads and keeps track of answers still being delivered."""

    def __init__(self, bot: Bot, work_threads: int = WORK_THREADS) -> None:
        self.bot = bot
        self._quick = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huddle-quick")
        self._work = ThreadPoolExecutor(max_workers=work_threads, thread_name_prefix="huddle-work")
        self._busy: dict[asyncio.Task[Any], int] = {}

    async def run(self, work: Callable[..., T], *args: Any, quick: bool = False) -> T:
        """Run ``work(*args)`` in a worker thread."""
        pool = self._quick if quick else self._work
        # The thread runs in a copy of this task's context: its log lines keep the event.
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(pool, context.run, work, *args)

    async def ask(
        self,
        incoming: Incoming,
        finish: Callable[[Reply], R],
        lookup: EmailLookup,
        before: Callable[[], object] | None = None,
    ) -> tuple[Reply, R]:
        """Ask the core (then ``finish``, e.g. rendering, in the same worker).

        ``before`` runs first in that worker too (saving a conversation reference, say),
        so one request costs one trip to a worker thread. Someone the core does not
        know yet is looked up once with ``lookup`` (for their email) and asked about
        again; people already linked, nearly everyone, cost no look-up.
        """

        def work(incoming: Incoming) -> tuple[Reply, R]:
            nonlocal before
            if before is not None:
                before()
                before = None
            reply = self.bot.respond(incoming)
            return reply, finish(reply)

        # A file to import is never a quick question, whatever words came with it.
        quick = not incoming.files and self.bot.is_quick(incoming.text)
        reply, done = await self.run(work, incoming, quick=quick)
        if not reply.identified and incoming.email is None:
            found = await lookup(incoming)
            if found is not None and found.email:
                # A first contact links an identity: a write, so not on the quick lane.
                reply, done = await self.run(work, found)
        return reply, done

    async def finish_later(self, reply: Reply, finish: Callable[[Reply], R]) -> tuple[Reply, R]:
        """Run the long work an answer promised (:attr:`Reply.later`) on the work pool, off
        the event loop and the quick lane, then ``finish`` (rendering) in the same trip."""
        later = reply.later
        assert later is not None

        def work() -> tuple[Reply, R]:
            done = Reply(later(), changed=True)
            return done, finish(done)

        return await self.run(work)

    @staticmethod
    def with_profile(
        incoming: Incoming, email: str | None, timezone: str | None, name: str | None
    ) -> Incoming | None:
        if not email:
            return None
        return replace(incoming, email=email, timezone=timezone, display_name=name)

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """Mark the current task as delivering answers, so shutdown waits for it."""
        task = asyncio.current_task()
        assert task is not None
        self._busy[task] = self._busy.get(task, 0) + 1
        try:
            yield
        finally:
            self._busy[task] -= 1
            if not self._busy[task]:
                del self._busy[task]

    async def close(self) -> None:
        """Finish answers already under way, then stop the worker threads."""
        busy = {t for t in self._busy if t is not asyncio.current_task()}
        if busy:
            await asyncio.wait(busy, timeout=SHUTDOWN_GRACE)
        for pool in (self._quick, self._work):
            # Work in flight holds database connections: let it end, without blocking the loop.
            await asyncio.get_running_loop().run_in_executor(
                None, partial(pool.shutdown, wait=True, cancel_futures=True)
            )
