"""The small Markdown subset that message text is written in.

Supported, and nothing more:

- ``**bold**``, ``_italic_`` and ```code``` (for words to type, such as team keys)
- ``[link text](https://example.org)``; ``mention:`` and ``channel:`` targets
  are people and channels on the platform (see :data:`MENTION`)
- lines starting with ``- `` are bullet items; newlines separate lines
- a backslash makes the next character literal (``\\*`` is a star)

:func:`escape` protects values (names, course titles) before they are put into
a template, and :func:`parse` turns text into lines of :class:`Span` that each
renderer turns into its own syntax, escaping for its platform as it goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_SPECIAL = "\\*_[]`"
_UNESCAPE = re.compile(r"\\(.)")

#: Link targets that are not web addresses: ``[Ana](mention:U123)`` mentions a
#: person by their id on the platform the message goes to; ``[#icu](channel:C1)``
#: names a channel. Renderers turn them into real mentions and channel links.
MENTION = "mention:"
CHANNEL = "channel:"


@dataclass(frozen=True)
class Span:
    """A run of literal text with its styling."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None
    code: bool = False


@dataclass(frozen=True)
class Line:
    """One line of text, optionally a bullet item."""

    spans: tuple[Span, ...]
    bullet: bool = False


def escape(value: str) -> str:
    """Make ``value`` appear literally when inserted into Markdown-subset text."""
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in value)
    # A value that starts a line with "- " must not turn into a bullet.
    return _guard_bullet(out)


def _guard_bullet(text: str) -> str:
    lines = text.split("\n")
    return "\n".join("\\" + ln if ln.startswith("- ") else ln for ln in lines)


def parse(markdown: str) -> list[Line]:
    """Parse Markdown-subset text into lines of spans."""
    return list(_parse_lines(markdown))


@lru_cache(maxsize=8192)
def _parse_lines(markdown: str) -> tuple[Line, ...]:
    # Cached: the same course line, heading or button text is rendered for many people.
    lines: list[Line] = []
    for raw in markdown.split("\n"):
        bullet = raw.startswith("- ") or raw.startswith("* ")
        body = raw[2:] if bullet else raw
        lines.append(Line(spans=tuple(_merge(_inline(body, False, False))), bullet=bullet))
    return tuple(lines)


def _find_closer(text: str, start: int, marker: str) -> int:
    """Index of the next unescaped ``marker`` at or after ``start``, or -1."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(marker, i):
            return i
        i += 1
    return -1


def _inline(text: str, bold: bool, italic: bool) -> list[Span]:
    spans: list[Span] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            spans.append(Span("".join(buf), bold=bold, italic=italic))
            buf.clear()

    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            if end > i + 1:
                flush()
                spans.append(Span(text[i + 1 : end], bold=bold, italic=italic, code=True))
                i = end + 1
                continue
        if text.startswith("**", i):
            end = _find_closer(text, i + 2, "**")
            if end > i + 2:
                flush()
                spans.extend(_inline(text[i + 2 : end], True, italic))
                i = end + 2
                continue
        if ch == "_" and (i == 0 or not text[i - 1].isalnum()):
            end = _find_closer(text, i + 1, "_")
            if end > i + 1 and (end + 1 == len(text) or not text[end + 1].isalnum()):
                flush()
                spans.extend(_inline(text[i + 1 : end], bold, True))
                i = end + 1
                continue
        if ch == "[":
            close = _find_closer(text, i + 1, "]")
            if close > i + 1 and text.startswith("(", close + 1):
                url_end = text.find(")", close + 2)
                if url_end > close + 2:
                    flush()
                    label = "".join(s.text for s in _inline(text[i + 1 : close], bold, italic))
                    # A value put into a link's target was escaped like any value: the
                    # target is the address as given, backslashes and all taken off.
                    target = _UNESCAPE.sub(r"\1", text[close + 2 : url_end].strip())
                    spans.append(Span(label, bold=bold, italic=italic, url=target))
                    i = url_end + 1
                    continue
        buf.append(ch)
        i += 1
    flush()
    return spans


def _merge(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        prev_plain = merged and merged[-1].url is None and not merged[-1].code
        if prev_plain and _same_style(merged[-1], span) and span.url is None and not span.code:
            prev = merged.pop()
            merged.append(Span(prev.text + span.text, prev.bold, prev.italic))
        else:
            merged.append(span)
    return merged


def _same_style(a: Span, b: Span) -> bool:
    return a.bold == b.bold and a.italic == b.italic


def to_plain(markdown: str) -> str:
    """Render Markdown-subset text as plain text (links as ``text (url)``)."""
    out: list[str] = []
    for line in parse(markdown):
        parts = []
        for span in line.spans:
            if span.url and span.url.startswith(MENTION):
                parts.append("@" + span.text)
            elif span.url and span.url.startswith(CHANNEL):
                parts.append(span.text)
            elif span.url and span.url != span.text:
                parts.append(f"{span.text} ({span.url})")
            else:
                parts.append(span.text)
        out.append(("• " if line.bullet else "") + "".join(parts))
    return "\n".join(out)
