"""The reliability suite: the real ``huddle run`` (a process of its own, started by
``running.Stack``) against the local Slack Web API and Teams connector, bounded in time
(hypothesis examples capped, every wait a condition with a deadline).

- test_duplicates: Slack retries and replays of an event, Teams activities posted again,
  one after another and at once: each acted on once.
- test_signatures: forged, stale and tampered Slack signatures, forged Teams tokens and
  xAPI credentials (hypothesis): 401, nothing stored.
- test_bodies: malformed JSON, form and byte bodies on every endpoint (hypothesis): a
  4xx, nothing stored, no traceback; oversized bodies: 413.
- test_platforms: a slow, then failing Slack; a Teams connector answering 502 and 403.
- test_postgres_outage: PostgreSQL cut away (a TCP proxy) mid fan-out and given back.
- test_sigkill: SIGKILL mid fan-out and mid import, on PostgreSQL (the SQLite runs are
  tests/test_delivery_faults.py and tests/test_imports_cli.py).
- test_disk_full: a full disk under SQLite (a small tmpfs; needs root, skips otherwise).
"""
