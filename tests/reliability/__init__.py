"""The reliability suite: the real ``huddle run`` under duplicates, forgeries, bad and
oversized bodies, slow and failing platforms, a database outage, SIGKILL and a full disk."""
