"""Files people send the bot in chat: fetched into a private temporary folder, within a size
limit, handed to the core as :class:`bot.messages.IncomingFile`, and removed afterwards.

Both platforms give the adapter a URL to fetch (Slack's needs the bot token, Teams' is
short-lived and needs none). A download that breaks a rule ends in :class:`FileProblem`,
naming the template that explains it to the person; nothing is imported then.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.messages import IncomingFile

log = logging.getLogger("huddle.files")

CHUNK = 1 << 16
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=600, sock_connect=30, sock_read=60)
_UNSAFE = re.compile(r"[^\w.\- ]+")


class FileProblem(Exception):
    """A file that cannot be taken; ``key`` is the template that says why."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def human_size(count: int) -> str:
    """A size as people read it: 512 bytes, 34 KB, 12.5 MB."""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    megabytes = count / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"


def safe_name(name: str) -> str:
    """A file name that stays inside its folder (no path, no odd characters), its
    extension kept: the readers tell a workbook from a CSV by it as well as by content."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[-120:] or "file"


@dataclass
class Received:
    """The files fetched for one message, in one private folder removed by :meth:`remove`."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="huddle-file-")))
    files: list[IncomingFile] = field(default_factory=list)

    def path_for(self, name: str) -> Path:
        taken = {Path(f.path).name for f in self.files}
        candidate = safe_name(name)
        stem, suffix = Path(candidate).stem, Path(candidate).suffix
        number = 1
        while candidate in taken:
            number += 1
            candidate = f"{stem}-{number}{suffix}"
        return self.folder / candidate

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


async def download(
    session: aiohttp.ClientSession,
    url: str,
    into: Received,
    *,
    name: str,
    limit: int,
    headers: Mapping[str, str] | None = None,
    sign_in_page: str = "",
    media_type: str = "",
) -> IncomingFile:
    """Fetch ``url`` into ``into``'s folder as ``name`` and list it there.

    Never more than ``limit`` bytes are written, whatever the server says the size is.
    With ``sign_in_page`` (the platform's name), an HTML answer for a file that is not
    HTML is taken as the sign-in page a platform sends for a token that may not read
    files (Slack does this, with status 200).
    """
    path = into.path_for(name)
    written = 0
    try:
        async with session.get(url, headers=dict(headers or {}), timeout=DOWNLOAD_TIMEOUT) as got:
            if got.status != 200:
                # Never the file's name in the log: people name files, and their words
                # stay out of logs. The person is told, with the name.
                log.warning("downloading a file sent to Huddle: HTTP %s", got.status)
                raise FileProblem("files.download_failed", file=name, reason=f"HTTP {got.status}")
            kind = got.content_type.lower()
            if sign_in_page and kind == "text/html" and media_type.lower() != "text/html":
                log.warning("downloading a file sent to Huddle: an HTML page (a sign-in page)")
                raise FileProblem("files.sign_in_page", file=name, platform=sign_in_page)
            if got.content_length is not None and got.content_length > limit:
                raise _too_large(name, got.content_length, limit)
            with path.open("wb") as out:
                async for chunk in got.content.iter_chunked(CHUNK):
                    written += len(chunk)
                    if written > limit:
                        raise _too_large(name, written, limit, at_least=True)
                    out.write(chunk)
    except FileProblem:
        path.unlink(missing_ok=True)
        raise
    except (aiohttp.ClientError, TimeoutError) as exc:
        path.unlink(missing_ok=True)
        log.warning("downloading a file sent to Huddle failed: %s", type(exc).__name__)
        raise FileProblem("files.download_failed", file=name, reason=type(exc).__name__) from None
    found = IncomingFile(name=name, path=str(path), size=written, media_type=media_type or kind)
    into.files.append(found)
    return found


def too_large(name: str, size: int, limit: int) -> FileProblem:
    """The problem for a file whose stated size is over the limit (checked before fetching)."""
    return _too_large(name, size, limit)


def _too_large(name: str, size: int, limit: int, at_least: bool = False) -> FileProblem:
    shown = ("over " if at_least else "") + human_size(size)
    return FileProblem("files.too_large", file=name, size=shown, limit=human_size(limit))
