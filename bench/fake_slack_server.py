"""The local Slack Web API (tests/slack_fake.py) in a process of its own, for bench/fanout.py.

    python bench/fake_slack_server.py USERS

Serves ``FakeSlack`` with USERS people ``U1`` .. ``U<USERS>``, prints its port on
one line, and serves until stdin closes or it is terminated. Two extra Web API
methods, answered only here, let the benchmark use one server for several runs:

- ``bench.reset`` (``channel_gap``, ``per_minute``): forget every call and message,
  and set the Slack-like limits (0 turns a limit off);
- ``bench.stats``: what was posted since the reset, counted by delivery key.

Times are ``time.monotonic()``, which on Linux is one clock for every process.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.slack_fake import Call, FakeSlack


class BenchSlack(FakeSlack):
    """FakeSlack with a reset and a summary, reached as Web API methods."""

    def _bench_reset(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        self.calls.clear()
        self.messages.clear()
        self.responses.clear()
        self._last_post.clear()
        self._window.clear()
        self.channel_gap = float(args.get("channel_gap") or 0)
        self.per_minute = int(float(args.get("per_minute") or 0))
        return {"ok": True}

    def _bench_stats(self, args: dict[str, Any], call: Call) -> dict[str, Any]:
        posts = [c for c in self.calls if c.method == "chat.postMessage"]
        accepted = [c for c in posts if c.status == 200 and c.args.get("_ok")]
        keys = self.delivered_keys()
        # The most accepted posts in any 60 s (a sliding window, as the limit is kept).
        times = sorted(c.at for c in accepted)
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 60.0:
                start += 1
            most = max(most, end - start + 1)
        return {
            "ok": True,
            "posts": len(posts),
            "accepted": len(accepted),
            "limited": sum(1 for c in posts if c.status == 429),
            "refused": sum(1 for c in posts if c.status == 200 and not c.args.get("_ok")),
            "keys": len(keys),
            "doubled": sum(1 for n in keys.values() if n > 1),
            "first_at": times[0] if times else None,
            "last_at": times[-1] if times else None,
            "most_in_60s": most,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }


async def main() -> None:
    users = int(sys.argv[1])
    fake = BenchSlack()
    for n in range(1, users + 1):
        fake.add_user(f"U{n}", f"p{n}@example.org", f"Person {n}")
    await fake.start()
    print(fake.port, flush=True)
    # Serve until the parent closes our stdin (or terminates us).
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await fake.stop()


if __name__ == "__main__":
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(var, None)
    asyncio.run(main())
