"""How Huddle logs: text for people, or one JSON object a line (``HUDDLE_LOG_FORMAT=json``)
for a log pipeline, each line with the id of the event it belongs to, and secrets never.

- :data:`EVENT` is the id tying the lines of one event together: an inbound request
  (``r-…``, set where a request arrives) or a delivery (``d-<outbox row>``). It is a
  context variable, so it follows the work into tasks and worker threads started from
  there (``CoreRunner`` copies it into its pool).
- :class:`Redact` runs on every line at every level: Slack tokens (``xoxb-…``,
  ``xapp-…``), bearer tokens and JWTs (Teams), a dashboard link's token (``?t=…``), basic
  credentials in URLs and signing secrets given as ``secret=…`` become ``[redacted]``.
- What people typed is not logged at INFO or above anywhere in Huddle: a line names the
  command, the platform and the person's platform id, never the words (tests/
  test_logs.py greps the logs of a whole scenario for the texts typed in it).
"""

from __future__ import annotations

import json
import logging
import random
import re
from contextvars import ContextVar
from datetime import UTC, datetime

#: The event a line belongs to ("" outside any).
EVENT: ContextVar[str] = ContextVar("huddle_event", default="")

_SECRETS = (
    re.compile(r"\bx(?:ox[abposre]|app)-[A-Za-z0-9-]{6,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)([?&](?:t|token|code|state|client_secret)=)[^&\s\"']+"),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)"),
    re.compile(r"(?i)\b((?:signing_)?secret|password|app_password)(\s*[=:]\s*)\S+"),
)
REDACTED = "[redacted]"
#: Event ids only need to be distinct, not unguessable (seeded from os.urandom once).
_ids = random.Random()


def redact(text: str) -> str:
    """``text`` with every secret it holds replaced."""
    for pattern in _SECRETS:
        if pattern.groups == 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        elif pattern.groups == 1:
            text = pattern.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def new_event(prefix: str = "r") -> str:
    """A fresh event id, set as the current one; returns it."""
    # Not uuid4: it reads os.urandom, a system call that lets go of the GIL on every
    # request, and the event loop then waits to get it back from a busy worker thread.
    event = f"{prefix}-{_ids.getrandbits(48):012x}"
    EVENT.set(event)
    return event


class Redact(logging.Filter):
    """Scrubs secrets from the message (arguments merged in) and from the traceback, and
    stamps the line with the current event."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.event = EVENT.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, event, and
    the exception's type and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        event = getattr(record, "event", "") or EVENT.get()
        if event:
            line["event"] = event
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        if record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Time, level, logger and message, and the event id in brackets when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(tag)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "event", "") or EVENT.get()
        record.tag = f" [{event}]" if event else ""
        return super().format(record)


def setup(level: str = "INFO", style: str = "text") -> None:
    """Log to stderr in ``style`` (``text`` or ``json``), every line redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    handler.addFilter(Redact())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
