"""The neutral message model: what the core says, before any platform renders it.

Handlers build :class:`Message` values out of a few block types; adapters
render them as Block Kit, Adaptive Cards or terminal text. Text inside blocks
is a small Markdown subset (see :mod:`bot.markup`); no platform syntax ever
appears here, and escaping for a platform is the renderer's job.

Every :class:`Button` carries the words a person could type to the same
effect, so a click and a typed command take one road through the parser.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any, Literal

Visibility = Literal["private", "public"]
Via = Literal["direct", "mention", "command", "button"]
ButtonStyle = Literal["default", "primary", "danger"]


@dataclass(frozen=True)
class Button:
    """A button; pressing it is the same as typing ``command``.

    ``owner`` is the platform user id of the one person it acts for ("" for anyone,
    as on a channel post). A button on an answer to someone is theirs: where others
    can see it (a thread in a channel), pressing it does nothing for them.
    """

    label: str
    command: str
    style: ButtonStyle = "default"
    owner: str = ""


@dataclass(frozen=True)
class Text:
    """A paragraph of Markdown-subset text."""

    markdown: str


@dataclass(frozen=True)
class Heading:
    """A short plain-text heading."""

    text: str


@dataclass(frozen=True)
class Field:
    """One label/value pair; the value is Markdown-subset text."""

    label: str
    value: str


@dataclass(frozen=True)
class Fields:
    """A compact group of label/value pairs."""

    items: tuple[Field, ...]


@dataclass(frozen=True)
class ProgressBar:
    """How far someone is through something: ``done`` of ``total`` steps."""

    label: str
    done: int
    total: int
    detail: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of plain-text cells; ``more`` counts rows left out for length."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    more: int = 0


@dataclass(frozen=True)
class Actions:
    """A row of buttons."""

    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Image:
    """An image by URL with its alternative text."""

    url: str
    alt: str


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its value, and whether it is the one to mark (the
    team the chart is posted to)."""

    label: str
    value: float
    highlighted: bool = False


@dataclass(frozen=True)
class Chart:
    """A bar chart as data (standings: one bar per team). Each platform draws it: an
    image where it can show one (a PNG), text bars where it cannot. ``shown`` formats each
    value for people (``57%``); ``alt`` says what it shows, for screen readers."""

    title: str
    bars: tuple[Bar, ...]
    shown: tuple[str, ...]
    alt: str
    #: The highest value the axis runs to (100 for shares in percent; 0: the largest bar).
    top: float = 0.0


@dataclass(frozen=True)
class Picture:
    """An image Huddle drew (a report's chart), carried as PNG bytes in base64 so the
    message still travels as JSON through the outbox. A platform that cannot put an image
    inside a message uploads it beside the message (Slack); one that can shows it inside
    (a Teams card, as a ``data:`` URI; the dashboard). ``alt`` says what it shows, for
    screen readers and for platforms that show no images."""

    name: str
    title: str
    alt: str
    png: str

    @classmethod
    def of(cls, name: str, title: str, alt: str, data: bytes) -> Picture:
        return cls(name, title, alt, base64.b64encode(data).decode("ascii"))

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.png)

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + self.png


@dataclass(frozen=True)
class Divider:
    """A visual break between parts of a message."""


@dataclass(frozen=True)
class Attachment:
    """A file to send with the message (an import's error file, say), kept by the core
    and fetched by the adapter with :meth:`bot.core.Bot.stored_file` when it sends it."""

    file_id: str
    name: str
    size: int
    media_type: str = "text/csv"
    #: The words that send the file again (``import errors 3``), for a platform that must
    #: say where else to get it when it could not be sent, or the person said no to it.
    again: str = ""


@dataclass(frozen=True)
class Choice:
    """One option of a form field: what it shows and the words it puts in the command."""

    label: str
    value: str


@dataclass(frozen=True)
class FormField:
    """A field of a form: a choice among options, or free text."""

    name: str
    label: str
    choices: tuple[Choice, ...] = ()
    placeholder: str = ""
    optional: bool = False
    multiline: bool = False
    #: What a text field holds when the form opens (words to edit), if anything.
    value: str = ""


@dataclass(frozen=True)
class Form:
    """A short form (a Slack modal, an Adaptive Card with inputs).

    Submitting it is the same as typing ``command`` with each ``{name}`` replaced
    by what was chosen or written, so a form and a one-line command take one road.
    Platforms without forms show ``example`` instead.
    """

    title: str
    fields: tuple[FormField, ...]
    command: str
    submit: str
    example: str = ""

    def fill(self, values: dict[str, str]) -> str:
        text = self.command
        for f in self.fields:
            text = text.replace("{" + f.name + "}", " ".join(values.get(f.name, "").split()))
        return " ".join(text.split(" ")).strip()


Block = (
    Text
    | Heading
    | Fields
    | ProgressBar
    | Table
    | Actions
    | Image
    | Divider
    | Form
    | Attachment
    | Chart
    | Picture
)


@dataclass(frozen=True)
class Message:
    """One message: blocks to show and a plain-text ``summary`` for notifications.

    ``kind`` names what the message is (a template key such as ``next_course``)
    so adapters can treat some kinds specially, e.g. refresh a home view.
    """

    blocks: tuple[Block, ...]
    summary: str
    kind: str = ""

    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(
            b for block in self.blocks if isinstance(block, Actions) for b in block.buttons
        )

    def owned_by(self, user_id: str) -> Message:
        """This message with every button not yet owned made ``user_id``'s."""
        if all(b.owner for b in self.buttons):
            return self
        blocks = tuple(
            Actions(tuple(b if b.owner else replace(b, owner=user_id) for b in block.buttons))
            if isinstance(block, Actions)
            else block
            for block in self.blocks
        )
        return replace(self, blocks=blocks)

    @property
    def form(self) -> Form | None:
        return next((b for b in self.blocks if isinstance(b, Form)), None)

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Attachment))

    @property
    def pictures(self) -> tuple[Picture, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Picture))

    def to_json(self) -> str:
        """The message as JSON (for the outbox), readable back by :meth:`from_json`."""
        return json.dumps(
            {
                "kind": self.kind,
                "summary": self.summary,
                "blocks": [_encode(b) for b in self.blocks],
            }
        )

    @classmethod
    def from_json(cls, data: str) -> Message:
        raw = json.loads(data)
        return cls(
            blocks=tuple(_decode(b) for b in raw["blocks"]),
            summary=raw["summary"],
            kind=raw.get("kind", ""),
        )


_BLOCK_TYPES: dict[str, type] = {}


def _encode(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {
            "_": type(value).__name__,
            **{f.name: _encode(getattr(value, f.name)) for f in fields(value)},
        }
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "_" in value:
        kind = _BLOCK_TYPES[value["_"]]
        return kind(**{k: _decode(v) for k, v in value.items() if k != "_"})
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


@dataclass(frozen=True)
class Mention:
    """A person mentioned in what someone typed, as the platform knows them."""

    user_id: str
    name: str = ""
    email: str | None = None


@dataclass(frozen=True)
class ChannelRef:
    """A channel named in what someone typed (``#name`` in :attr:`Incoming.text`)."""

    id: str
    name: str


@dataclass(frozen=True)
class IncomingFile:
    """A file someone sent the bot, already downloaded by the adapter to ``path`` (the
    adapter removes it once the answer, and any work it started, is done)."""

    name: str
    path: str
    size: int
    media_type: str = ""


@dataclass(frozen=True)
class Incoming:
    """Something a person said or clicked, already translated by an adapter.

    ``user_id`` is the person's id on ``platform``; ``email`` is filled in when
    the adapter knows it, so the core can link a new platform identity to the
    roster. ``timezone`` is the platform's idea of the person's zone, used only
    when the person has not set one.

    Adapters write mentions of people into ``text`` as ``@Name`` and channels
    as ``#name``, and list them in ``mentions`` and ``channels`` in order.
    ``conversation_id`` is where the message came from; ``in_channel`` says
    whether that is a shared channel rather than a direct chat.
    """

    platform: str
    user_id: str
    text: str
    via: Via = "direct"
    email: str | None = None
    display_name: str | None = None
    timezone: str | None = None
    conversation_id: str | None = None
    in_channel: bool = False
    mentions: tuple[Mention, ...] = ()
    channels: tuple[ChannelRef, ...] = ()
    #: For a button press: the user the button was for (see :attr:`Button.owner`).
    button_owner: str = ""
    #: False on a platform with no channels (the terminal): a post meant for a team
    #: channel is shown where the person is instead.
    has_channels: bool = True
    #: Files sent with the message (an export to import), downloaded.
    files: tuple[IncomingFile, ...] = ()
    #: The Slack workspace it came from when Huddle serves several (``T123``, or
    #: ``E123:T123`` in an Enterprise Grid organisation); blank otherwise. Kept on the
    #: person's identity, a channel it links and a schedule it makes, so what is sent
    #: later goes out with that workspace's token.
    workspace: str = ""

    @property
    def not_for_sender(self) -> bool:
        """A press of a button that was someone else's."""
        return (
            self.via == "button" and bool(self.button_owner) and (self.button_owner != self.user_id)
        )


@dataclass(frozen=True)
class Outgoing:
    """A message to send in answer, and who may see it.

    ``private`` answers go to the asker only (a DM, or an ephemeral message in
    a channel); ``public`` ones are posted for everyone in ``channel_id``, or
    in the conversation the request came from when ``channel_id`` is None.
    """

    message: Message
    visibility: Visibility = "private"
    channel_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """What :meth:`bot.core.Bot.respond` returns: the answers, and whether anything changed.

    ``changed`` is True when the command may have written something (a
    completion, a setting), so adapters know to refresh views such as a home tab.
    ``identified`` is False when the sender is not linked to the roster.
    """

    outgoing: list[Outgoing]
    changed: bool = False
    #: True when the request was a press of someone else's button, refused: the adapter
    #: leaves that message as it was (its buttons are still its owner's to use).
    not_yours: bool = False
    #: False when the platform user is not linked to anyone on the roster (and the
    #: Incoming carried no email to link them by): the adapter may look the email up
    #: and ask again. Nothing has been done in that case.
    identified: bool = True
    #: Long work the answer promised ("Importing 184,000 rows…"): the adapter sends
    #: ``outgoing`` first, then runs this off the chat path (its work pool) and sends
    #: what it returns to the same conversation.
    later: Callable[[], list[Outgoing]] | None = None


_BLOCK_TYPES.update(
    {
        t.__name__: t
        for t in (
            Button,
            Text,
            Heading,
            Field,
            Fields,
            ProgressBar,
            Table,
            Actions,
            Image,
            Divider,
            Attachment,
            Choice,
            FormField,
            Form,
            Bar,
            Chart,
            Picture,
        )
    }
)
