"""The neutral message model as Adaptive Cards 1.5, the version Teams renders.

Headings, text, facts, progress, tables and images become card elements; a row
of buttons becomes an ActionSet of ``Action.Submit`` whose data carries the
words the button stands for, so a click takes the same road as typing them.
Text uses the Markdown that Teams' TextBlocks understand (bold, italic, links,
lists); people mentioned become real Teams mentions (``<at>Name</at>`` plus a
mention entity). Escaping belongs here, not in the core.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.chart import data_uri, fitted_uri
from adapters.text import chart_lines, progress_bar, split_text, styled_line
from bot import markup
from bot.messages import (
    Actions,
    Attachment,
    Block,
    Chart,
    Divider,
    Fields,
    Form,
    Heading,
    Image,
    Message,
    Picture,
    ProgressBar,
    Table,
    Text,
)

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
#: The key in Action.Submit data that holds the words a button stands for. The data
#: also carries the button's label and the card's summary, so the card can be
#: replaced after the click by any replica, without remembering what was sent.
COMMAND = "huddle"
LABEL = "label"
SUMMARY = "card"
#: In a form's Action.Submit data: the names of its fields. Each input's id is FIELD plus
#: the field's name, so what Teams merges into the data never clashes with the keys above;
#: the COMMAND is then the form's template, filled in as :meth:`bot.messages.Form.fill` does.
FORM = "form"
FIELD = "field."
#: In a button's data: the Teams user it acts for (see bot.messages.Button.owner).
OWNER = "for"
#: Microsoft's renderers show at most this many actions in one ActionSet and drop the
#: rest, so a longer row of buttons becomes several ActionSets.
MAX_ACTIONS = 5
MAX_INPUT = 3000
MAX_ELEMENTS = 120
MAX_TABLE_ROWS = 60
#: Teams refuses a bot message of about 28 KB: each card is kept well under that, and a
#: message with more becomes several cards.
MAX_CARD_BYTES = 20_000
#: Rows per Table element, so a long table can be spread over cards.
TABLE_CHUNK = 20
#: JSON bytes of rows per Table element (under half a card, with its header row).
TABLE_BYTES = MAX_CARD_BYTES // 2
#: Characters per TextBlock, so a long paragraph can be too.
MAX_TEXT = 4000


@dataclass
class Card:
    """A rendered card, the Teams mentions it contains, and its plain summary."""

    content: dict[str, Any]
    summary: str
    mentions: list[dict[str, Any]] = field(default_factory=list)

    def attachment(self) -> dict[str, Any]:
        return {"contentType": CONTENT_TYPE, "content": self.content}


class _Writer:
    """Collects mention entities while turning Markdown-subset text into Teams text."""

    def __init__(self) -> None:
        self.mentions: list[dict[str, Any]] = []

    def text(self, source: str) -> str:
        parsed = markup.parse(source)
        out: list[str] = []
        for i, line in enumerate(parsed):
            if i:
                # Teams' Markdown: list items on their own lines, paragraphs apart.
                out.append("\n" if line.bullet and parsed[i - 1].bullet else "\n\n")
            out.append(("- " if line.bullet else "") + self._line(line))
        return "".join(out)

    def _line(self, line: markup.Line) -> str:
        # Teams' TextBlocks have no code formatting: code spans stay plain words.
        return styled_line(line, self._inner, bold="**", style_code=False)

    def _inner(self, span: markup.Span) -> str:
        if span.url and span.url.startswith(markup.MENTION):
            user_id = span.url.removeprefix(markup.MENTION)
            tag = f"<at>{span.text}</at>"
            entity = {
                "type": "mention",
                "text": tag,
                "mentioned": {"id": user_id, "name": span.text},
            }
            if entity not in self.mentions:
                self.mentions.append(entity)
            return tag
        if span.url and span.url.startswith(markup.CHANNEL):
            return span.text
        if span.url:
            label = _literal(span.text).replace("[", "(").replace("]", ")")
            return f"[{label}]({span.url.replace(')', '%29').replace(' ', '%20')})"
        return _literal(span.text)


def _literal(text: str) -> str:
    """Text shown as written: Teams drops what looks like an HTML tag (``<pathway>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_block(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text or " ", "wrap": True, **extra}


def _elements(
    block: Block, writer: _Writer, counter: list[int], summary: str
) -> list[dict[str, Any]]:
    if isinstance(block, Heading):
        return [_text_block(_literal(block.text), style="heading", size="Medium", weight="Bolder")]
    if isinstance(block, Text):
        return [_text_block(t) for t in split_text(writer.text(block.markdown), MAX_TEXT)]
    if isinstance(block, Fields):
        facts = [{"title": _literal(f.label), "value": writer.text(f.value)} for f in block.items]
        return [{"type": "FactSet", "facts": facts}]
    if isinstance(block, ProgressBar):
        items = [
            _text_block(_literal(block.label), weight="Bolder"),
            _text_block(
                f"{progress_bar(block.done, block.total)}  {block.done}/{block.total}",
                fontType="Monospace",
                spacing="None",
            ),
        ]
        if block.detail:
            items.append(_text_block(writer.text(block.detail), isSubtle=True, spacing="None"))
        return [{"type": "Container", "items": items}]
    if isinstance(block, Table):
        shown = block.rows[:MAX_TABLE_ROWS]
        out: list[dict[str, Any]] = [
            {
                "type": "Table",
                "columns": [{"width": 1} for _ in block.columns],
                "rows": [_row(block.columns, header=True), *rows],
                "firstRowAsHeader": True,
                "gridStyle": "default",
            }
            for rows in _table_chunks([_row(r) for r in shown])
        ]
        more = block.more + max(0, len(block.rows) - MAX_TABLE_ROWS)
        if more:
            out.append(_text_block(f"… +{more}", isSubtle=True))
        return out
    if isinstance(block, Actions):
        actions = []
        for button in block.buttons:
            counter[0] += 1
            action: dict[str, Any] = {
                "type": "Action.Submit",
                "title": button.label,
                "id": f"huddle-{counter[0]}",
                "data": {COMMAND: button.command, LABEL: button.label, SUMMARY: summary[:300]},
            }
            if button.owner:
                action["data"][OWNER] = button.owner
            if button.style == "primary":
                action["style"] = "positive"
            elif button.style == "danger":
                action["style"] = "destructive"
            actions.append(action)
        return [
            {"type": "ActionSet", "actions": actions[start : start + MAX_ACTIONS]}
            for start in range(0, len(actions), MAX_ACTIONS)
        ]
    if isinstance(block, Image):
        return [{"type": "Image", "url": block.url, "altText": block.alt or " "}]
    if isinstance(block, Chart):
        uri = data_uri(block)
        if uri is None:  # too big to travel in a card: text bars instead
            return [_text_block(_literal("\n".join(chart_lines(block))), fontType="Monospace")]
        return [{"type": "Image", "url": uri, "altText": block.alt[:1000] or " "}]
    if isinstance(block, Picture):
        fitted = fitted_uri(block.data)
        if fitted is None:  # too big to travel in a card even drawn smaller: in words
            return [_text_block(_literal(block.alt), isSubtle=True)]
        return [{"type": "Image", "url": fitted, "altText": block.alt[:1000] or " "}]
    if isinstance(block, Form):
        return _form(block, counter, summary)
    return []  # Divider: marks the next element with a separator instead


def _form(form: Form, counter: list[int], summary: str) -> list[dict[str, Any]]:
    """A form's inputs (a compact menu for choices, a text box otherwise), then its button."""
    inputs: list[dict[str, Any]] = []
    for f in form.fields:
        element: dict[str, Any] = {"id": FIELD + f.name, "label": f.label or f.name}
        if f.choices:
            element.update(
                type="Input.ChoiceSet",
                style="compact",
                choices=[{"title": c.label or c.value, "value": c.value} for c in f.choices],
            )
        else:
            element.update(type="Input.Text", isMultiline=f.multiline, maxLength=MAX_INPUT)
            if f.value:
                element["value"] = f.value[:MAX_INPUT]
        if f.placeholder:
            element["placeholder"] = f.placeholder
        if not f.optional:
            element["isRequired"] = True
            element["errorMessage"] = f"{f.label}: {f.placeholder}" if f.placeholder else f.label
        inputs.append(element)
    counter[0] += 1
    submit = {
        "type": "Action.Submit",
        "title": form.submit or form.title,
        "id": f"huddle-{counter[0]}",
        "style": "positive",
        "data": {
            COMMAND: form.command,
            FORM: [f.name for f in form.fields],
            LABEL: form.submit or form.title,
            SUMMARY: summary[:300],
        },
    }
    return [*inputs, {"type": "ActionSet", "actions": [submit]}]


def _row(cells: Iterable[str], header: bool = False) -> dict[str, Any]:
    weight = "Bolder" if header else "Default"
    return {
        "type": "TableRow",
        "cells": [
            {
                "type": "TableCell",
                "items": [_text_block(_literal(c), weight=weight)],
            }
            for c in cells
        ],
    }


def cards_for(message: Message) -> list[Card]:
    """One neutral message as one card, or several if it is too long for one."""
    writer = _Writer()
    counter = [0]
    body: list[dict[str, Any]] = []
    separate = False
    for block in message.blocks:
        if isinstance(block, Divider):
            separate = True
            continue
        elements = _elements(block, writer, counter, message.summary)
        if elements and separate:
            elements[0] = {**elements[0], "separator": True, "spacing": "Medium"}
            separate = False
        body.extend(elements)
    parts = _packed(body)
    cards = []
    for part in parts:
        content: dict[str, Any] = {
            "type": "AdaptiveCard",
            "$schema": SCHEMA,
            "version": VERSION,
            "body": part or [_text_block(_literal(message.summary))],
        }
        used = [m for m in writer.mentions if any(m["text"] in _all_text(e) for e in part)]
        if used:
            content["msteams"] = {"entities": used}
        cards.append(Card(content=content, summary=message.summary, mentions=used))
    return cards


def _packed(body: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The card bodies: the elements in order, as few cards as keep each within
    MAX_ELEMENTS elements and MAX_CARD_BYTES of JSON."""
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for element in body:
        element_size = len(json.dumps(element, ensure_ascii=False).encode())
        if parts[-1] and (
            len(parts[-1]) >= MAX_ELEMENTS or size + element_size > MAX_CARD_BYTES - 1000
        ):
            parts.append([])
            size = 0
        parts[-1].append(element)
        size += element_size
    return parts


def _table_chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows in runs of at most TABLE_CHUNK, and of at most TABLE_BYTES of JSON (wide
    rows of long names), so each Table element fits in a card."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for row in rows:
        row_size = len(json.dumps(row, ensure_ascii=False).encode())
        if chunks[-1] and (len(chunks[-1]) >= TABLE_CHUNK or size + row_size > TABLE_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += row_size
    return chunks


def _all_text(element: Any) -> str:
    if isinstance(element, dict):
        return " ".join(_all_text(v) for v in element.values())
    if isinstance(element, list):
        return " ".join(_all_text(v) for v in element)
    return element if isinstance(element, str) else ""


def chosen_card(summary: str, note: str) -> dict[str, Any]:
    """What a clicked card becomes: its summary and the choice made, with no buttons left."""
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": [
            _text_block(_literal(summary) or " "),
            _text_block(_literal(note), isSubtle=True, spacing="Small"),
        ],
    }


def plain_text(message: Message) -> tuple[str, list[dict[str, Any]]]:
    """A message with only text as Teams Markdown (no card needed), with its mentions."""
    writer = _Writer()
    parts = [writer.text(b.markdown) for b in message.blocks if isinstance(b, Text)]
    return "\n\n".join(parts), writer.mentions


def needs_card(message: Message) -> bool:
    """Plain paragraphs read best as a normal message; anything richer becomes a card.
    (A file goes in a message of its own, after.)"""
    return any(not isinstance(b, Text | Attachment) for b in message.blocks)
