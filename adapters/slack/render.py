"""The neutral message model rendered as Slack Block Kit, inside Slack's limits.

Built with slack_sdk's block models, which check Slack's limits as they are
built. Long answers are split rather than rejected: a section longer than
3,000 characters becomes several sections, a message over 50 blocks becomes
several messages, and a header is cut to 150 characters. Text is escaped so
``<``, ``>`` and ``&`` in a course title show as written, and every message
carries a plain-text fallback for notifications.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from adapters.text import chart_lines, progress_bar, split_text, styled_line, table_lines
from bot import markup
from bot.messages import (
    Actions,
    Chart,
    Choice,
    Divider,
    Fields,
    Form,
    FormField,
    Heading,
    Image,
    Message,
    ProgressBar,
    Table,
    Text,
)
from bot.messages import Block as NeutralBlock

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTONS = 25
MAX_FALLBACK = 3000
ACTION_PREFIX = "huddle-"
#: A button's action id: the prefix, its number, and the user it acts for, if one
#: (``huddle-3`` or ``huddle-3.U0123``). Slack sends the action id back on a click, so
#: the adapter knows whose button it was without asking anyone.
ACTION_ID = re.compile("^" + re.escape(ACTION_PREFIX) + r"\d+(?:\.(?P<owner>[A-Za-z0-9]+))?$")
#: The action id of the button that opens a form, and the callback id of the form's modal.
FORM_ACTION = ACTION_PREFIX + "form"
FORM_CALLBACK = "huddle_form"
MAX_MODAL_TITLE = 24
MAX_MODAL_BLOCKS = 100
MAX_METADATA = 3000
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_INPUT = 3000

log = logging.getLogger("huddle.slack")


@dataclass(frozen=True)
class SlackMessage:
    """One chat.postMessage payload: fallback text and blocks as plain dicts."""

    text: str
    blocks: list[dict[str, Any]]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inner(span: markup.Span) -> str:
    """A span's text as mrkdwn, without bold or italic markers."""
    if span.url and span.url.startswith(markup.MENTION):
        return f"<@{span.url.removeprefix(markup.MENTION)}>"
    if span.url and span.url.startswith(markup.CHANNEL):
        return f"<#{span.url.removeprefix(markup.CHANNEL)}>"
    text = escape(span.text)
    if span.url:
        url = escape(span.url.replace(">", "%3E").replace("|", "%7C").replace(" ", "%20"))
        return f"<{url}|{text}>" if span.text != span.url else f"<{url}>"
    if span.code:
        return f"`{text}`"
    return text


def to_mrkdwn(text: str) -> str:
    """Markdown-subset text as Slack mrkdwn."""
    return "\n".join(
        ("• " if line.bullet else "") + styled_line(line, _inner, bold="*")
        for line in markup.parse(text)
    )


def _section(mrkdwn: str) -> Iterator[Block]:
    for piece in split_text(mrkdwn, MAX_SECTION):
        yield SectionBlock(text=MarkdownTextObject(text=piece))


def blocks_for(block: NeutralBlock, counter: Iterator[int]) -> Iterator[Block]:
    """Block Kit blocks for one neutral block; ``counter`` numbers the buttons."""
    if isinstance(block, Heading):
        yield HeaderBlock(
            text=PlainTextObject(text=_clip(block.text, MAX_HEADER) or " ", emoji=True)
        )
    elif isinstance(block, Text):
        yield from _section(to_mrkdwn(block.markdown))
    elif isinstance(block, Fields):
        texts = [
            MarkdownTextObject(text=_clip(f"*{escape(f.label)}*\n{to_mrkdwn(f.value)}", MAX_FIELD))
            for f in block.items
        ]
        for start in range(0, len(texts), MAX_FIELDS):
            yield SectionBlock(fields=texts[start : start + MAX_FIELDS])
    elif isinstance(block, ProgressBar):
        detail = f"\n{to_mrkdwn(block.detail)}" if block.detail else ""
        yield from _section(
            f"*{escape(block.label)}*\n{progress_bar(block.done, block.total)}  "
            f"{block.done}/{block.total}{detail}"
        )
    elif isinstance(block, Table):
        # Each piece must stay a whole code block, so split the rows, then fence each piece.
        for piece in split_text(
            "\n".join(escape(line) for line in table_lines(block, 30, "-")), MAX_SECTION - 8
        ):
            yield SectionBlock(text=MarkdownTextObject(text=f"```\n{piece}\n```"))
    elif isinstance(block, Actions):
        buttons = [
            ButtonElement(
                text=PlainTextObject(text=_clip(b.label, MAX_BUTTON_TEXT) or " ", emoji=True),
                action_id=f"{ACTION_PREFIX}{next(counter)}" + (f".{b.owner}" if b.owner else ""),
                value=b.command[:MAX_BUTTON_VALUE],
                style=b.style if b.style in ("primary", "danger") else None,
            )
            for b in block.buttons
        ]
        for start in range(0, len(buttons), MAX_BUTTONS):
            yield ActionsBlock(elements=buttons[start : start + MAX_BUTTONS])
    elif isinstance(block, Image):
        yield ImageBlock(image_url=block.url, alt_text=_clip(block.alt or " ", 2000))
    elif isinstance(block, Chart):
        # In a message the chart is text bars; scheduled posts upload it as an image
        # (see without_charts and adapters.slack.sender).
        for piece in split_text(
            "\n".join(escape(line) for line in chart_lines(block)), MAX_SECTION - 8
        ):
            yield SectionBlock(text=MarkdownTextObject(text=f"```\n{piece}\n```"))
    elif isinstance(block, Divider):
        yield DividerBlock()
    elif isinstance(block, Form):
        yield from _form_section(block)


def charts(message: Message) -> tuple[Chart, ...]:
    """The charts a message holds, to upload as images beside it."""
    return tuple(b for b in message.blocks if isinstance(b, Chart))


def without_charts(message: Message) -> Message:
    """The message with its charts left out (they go as image files of their own)."""
    if not charts(message):
        return message
    return replace(message, blocks=tuple(b for b in message.blocks if not isinstance(b, Chart)))


def _dicts(message: Message) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    first = 0  # the number of the block's first button
    for block in message.blocks:
        out += _block_dicts(block, first)
        if isinstance(block, Actions):
            first += len(block.buttons)
    return out


def _block_dicts(block: NeutralBlock, first: int) -> list[dict[str, Any]]:
    """One neutral block as Block Kit dicts, its buttons numbered from ``first``.

    Built once per distinct block: most messages differ from person to person (their
    progress, their buttons), but they are made of the same blocks (a course, a setup
    step), and building and checking slack_sdk's models is most of the rendering time.
    A row of buttons is built once without its owner, who is then written into each
    button's action id, as :func:`blocks_for` writes it.
    """
    if isinstance(block, Actions) and any(b.owner for b in block.buttons):
        anyones = Actions(tuple(replace(b, owner="") for b in block.buttons))
        owners = iter(b.owner for b in block.buttons)
        rows = []
        for row in _cached_block_dicts(anyones, first):
            elements = []
            for element in row["elements"]:
                owner = next(owners)
                suffix = f".{owner}" if owner else ""
                elements.append({**element, "action_id": element["action_id"] + suffix})
            rows.append({**row, "elements": elements})
        return rows
    try:
        return list(_cached_block_dicts(block, first))
    except TypeError:  # a block holding something unhashable: built uncached
        return list(_cached_block_dicts.__wrapped__(block, first))


@lru_cache(maxsize=4096)
def _cached_block_dicts(block: NeutralBlock, first: int) -> tuple[dict[str, Any], ...]:
    counter = iter(range(first, 10_000))
    return tuple(b.to_dict() for b in blocks_for(block, counter))


def fallback(message: Message, limit: int = MAX_FALLBACK) -> str:
    """The plain-text notification line: escaped, within ``limit``, no half entity at the end."""
    text = escape(message.summary or " ")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    return cut + "…"


def render(message: Message) -> list[SlackMessage]:
    """One neutral message as one or more Slack messages of at most 50 blocks each."""
    try:
        return list(_render(message))
    except TypeError:  # a message holding something unhashable: render it uncached
        return list(_render.__wrapped__(message))


@lru_cache(maxsize=2048)
def _render(message: Message) -> tuple[SlackMessage, ...]:
    # Messages are immutable, and the same one (a course, a help text) goes to many people.
    blocks = _dicts(message)
    if not blocks:
        return (SlackMessage(fallback(message), []),)
    parts = [blocks[start : start + MAX_BLOCKS] for start in range(0, len(blocks), MAX_BLOCKS)]
    out = []
    for number, part in enumerate(parts, start=1):
        suffix = f" ({number}/{len(parts)})" if number > 1 else ""
        out.append(SlackMessage(fallback(message, MAX_FALLBACK - len(suffix)) + suffix, part))
    return tuple(out)


def home_view(messages: Iterable[Message], more: str = "…") -> dict[str, Any]:
    """An App Home view from several messages, separated by dividers, within 100 blocks."""
    blocks: list[dict[str, Any]] = []
    counter = iter(range(10_000))
    for message in messages:
        if blocks:
            blocks.append(DividerBlock().to_dict())
        blocks += [b.to_dict() for block in message.blocks for b in blocks_for(block, counter)]
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = blocks[: MAX_HOME_BLOCKS - 1]
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=escape(more))]).to_dict())
    return {"type": "home", "blocks": blocks}


def chosen(blocks: Iterable[Mapping[str, Any]], label: str) -> list[dict[str, Any]]:
    """The clicked message's blocks with its buttons replaced by a note of the choice.

    Updating the message this way means a stale button cannot be pressed again.
    """
    note = ContextBlock(elements=[MarkdownTextObject(text=escape(label))]).to_dict()
    out: list[dict[str, Any]] = []
    replaced = False
    for block in blocks:
        if block.get("type") == "actions":
            if not replaced:
                out.append(note)
                replaced = True
            continue
        out.append(dict(block))
    if not replaced:
        out.append(note)
    return out


# --- forms ------------------------------------------------------------------------------
#
# A form shows in a message as its field labels and a button; the button's value carries
# the whole form (Slack sends it back on the click), so any replica can open the modal
# without remembering what it sent. The modal's private_metadata carries the command and
# the field names, so the submission can be filled in exactly as typing would.


def form_value(form: Form) -> str:
    """The form as compact JSON, for the value of the button that opens it."""
    return json.dumps(
        {
            "t": form.title,
            "c": form.command,
            "s": form.submit,
            "f": [
                {
                    "n": f.name,
                    "l": f.label,
                    "c": [[c.label, c.value] for c in f.choices],
                    "p": f.placeholder,
                    "o": f.optional,
                    "m": f.multiline,
                    **({"v": f.value} if f.value else {}),
                }
                for f in form.fields
            ],
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


def form_from_value(value: str) -> Form | None:
    """The form a button's value carries (see :func:`form_value`), or None if it is not one."""
    try:
        raw = json.loads(value)
        return Form(
            title=str(raw["t"]),
            command=str(raw["c"]),
            submit=str(raw["s"]),
            fields=tuple(
                FormField(
                    name=str(f["n"]),
                    label=str(f["l"]),
                    choices=tuple(Choice(str(c[0]), str(c[1])) for c in f.get("c") or ()),
                    placeholder=str(f.get("p") or ""),
                    optional=bool(f.get("o")),
                    multiline=bool(f.get("m")),
                    value=str(f.get("v") or ""),
                )
                for f in raw["f"]
            ),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        log.warning("a form button carried something that is not a form (%s chars)", len(value))
        return None


def _form_section(form: Form) -> Iterator[Block]:
    labels = " · ".join(f"*{escape(f.label)}*" for f in form.fields)
    value = form_value(form)
    if len(value) <= MAX_BUTTON_VALUE and modal(form) is not None:
        button = ButtonElement(
            text=PlainTextObject(text=_clip(form.title or form.submit, MAX_BUTTON_TEXT) or " "),
            action_id=FORM_ACTION,
            value=value,
            style="primary",
        )
        yield SectionBlock(
            text=MarkdownTextObject(text=_clip(labels, MAX_SECTION)), accessory=button
        )
    elif form.example:
        # Too big for a button or a modal: say what to type instead, as a terminal does.
        yield from _section(escape(form.example))


def _input(f: FormField) -> StaticSelectElement | PlainTextInputElement:
    placeholder = (
        PlainTextObject(text=_clip(f.placeholder, MAX_PLACEHOLDER)) if f.placeholder else None
    )
    if f.choices:
        return StaticSelectElement(
            action_id=f.name,
            placeholder=placeholder,
            options=[
                Option(
                    value=c.value, text=PlainTextObject(text=_clip(c.label, MAX_OPTION_TEXT) or " ")
                )
                for c in f.choices
            ],
        )
    return PlainTextInputElement(
        action_id=f.name,
        placeholder=placeholder,
        initial_value=f.value[:MAX_INPUT] or None,
        multiline=f.multiline or None,
        max_length=MAX_INPUT,
    )


def modal(form: Form) -> dict[str, Any] | None:
    """The form as a modal view for ``views.open``, or None if it cannot fit in one.

    One input per field (a menu for a field with choices, a text box otherwise);
    ``private_metadata`` holds the command and the field names as JSON.
    """
    metadata = json.dumps(
        {"command": form.command, "fields": [f.name for f in form.fields]},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    fits = (
        0 < len(form.fields) <= MAX_MODAL_BLOCKS
        and len(metadata) <= MAX_METADATA
        and all(
            len(f.choices) <= MAX_OPTIONS
            and all(len(c.value) <= MAX_OPTION_VALUE for c in f.choices)
            for f in form.fields
        )
    )
    if not fits:
        return None
    view = View(
        type="modal",
        callback_id=FORM_CALLBACK,
        title=PlainTextObject(text=_clip(form.title, MAX_MODAL_TITLE) or " "),
        submit=PlainTextObject(text=_clip(form.submit, MAX_MODAL_TITLE) or " "),
        private_metadata=metadata,
        blocks=[
            InputBlock(
                block_id=f.name,
                label=PlainTextObject(text=_clip(f.label, MAX_LABEL) or f.name),
                element=_input(f),
                optional=f.optional or None,
            )
            for f in form.fields
        ],
    )
    return view.to_dict()


def submitted(view: Mapping[str, Any]) -> str | None:
    """The words a submitted form modal stands for: its command, filled in as
    :meth:`bot.messages.Form.fill` does. None if the view is not one of Huddle's forms."""
    if view.get("callback_id") != FORM_CALLBACK:
        return None
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        names = [str(n) for n in meta["fields"]]
        command = str(meta["command"])
    except (ValueError, KeyError, TypeError):
        return None
    values = submitted_values(view)
    form = Form(title="", fields=tuple(FormField(n, n) for n in names), command=command, submit="")
    return form.fill({n: values.get(n, "") for n in names})


def submitted_values(view: Mapping[str, Any]) -> dict[str, str]:
    """What was chosen or written in each input of a submitted modal, by block id."""
    state = (view.get("state") or {}).get("values") or {}
    out: dict[str, str] = {}
    for block_id, actions in state.items():
        for action in (actions or {}).values():
            option = action.get("selected_option") or {}
            value = option.get("value") if option else action.get("value")
            out[str(block_id)] = str(value or "")
    return out
