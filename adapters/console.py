"""The console adapter: chat with Huddle in a terminal.

Renders the neutral message model as terminal text (bold and italics when the
terminal supports them, links written out in full, buttons numbered), and
reads what the person types. Typing a button's number presses it, which sends
the button's words, exactly as if they had been typed.

``/file PATH [words]`` sends a file from this computer (a learning-site export or
a roster), as a file sent in a Slack or Teams chat would arrive; the words after
the path go with it (``profile moodle-course``). A file the bot sends back (an
import's refused rows) is saved beside the file that was sent, or in the current
folder, and its path shown.
"""

from __future__ import annotations

import mimetypes
import os
import shlex
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from adapters.text import chart_lines, progress_bar, table_lines
from bot import markup
from bot.core import Bot
from bot.messages import (
    Actions,
    Attachment,
    Block,
    Button,
    Chart,
    Divider,
    Fields,
    Form,
    Heading,
    Image,
    Incoming,
    IncomingFile,
    Mention,
    Message,
    Outgoing,
    Picture,
    ProgressBar,
    Table,
    Text,
)

PLATFORM = "console"
QUIT_WORDS = {"/quit", "/exit", "quit", "exit", ":q"}
FILE_COMMAND = "/file"


@dataclass(frozen=True)
class Style:
    """How to emphasise text: ANSI codes on a terminal, nothing otherwise."""

    color: bool

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.color and text else text

    def italic(self, text: str) -> str:
        return f"\x1b[3m{text}\x1b[0m" if self.color and text else text

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.color and text else text


def wants_color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def render_markdown(text: str, style: Style) -> str:
    lines = []
    for line in markup.parse(text):
        parts = []
        for span in line.spans:
            piece = span.text
            if span.url and span.url.startswith(markup.MENTION):
                piece = "@" + piece
            elif span.url and span.url.startswith(markup.CHANNEL):
                pass
            elif span.url:
                piece = piece if span.url == span.text else f"{piece} <{span.url}>"
            if span.italic:
                piece = style.italic(piece)
            if span.code:
                piece = style.bold(piece)
            if span.bold:
                piece = style.bold(piece)
            parts.append(piece)
        lines.append(("  • " if line.bullet else "") + "".join(parts))
    return "\n".join(lines)


def render_table(table: Table) -> str:
    return "\n".join(table_lines(table))


@dataclass
class Rendered:
    """A message as terminal text, and the buttons it numbered."""

    text: str
    buttons: list[Button] = field(default_factory=list)


def render(message: Message, style: Style, first_number: int = 1) -> Rendered:
    """Render one message; buttons are numbered from ``first_number``."""
    out: list[str] = []
    buttons: list[Button] = []
    for index, block in enumerate(message.blocks):
        if isinstance(block, Form):
            out.append(render_form(block, style, message.blocks[:index], message.blocks))
        else:
            out.append(_block(block, style, buttons, first_number))
    return Rendered("\n".join(part for part in out if part), buttons)


def render_form(
    form: Form, style: Style, before: Iterable[Block] = (), beside: Iterable[Block] = ()
) -> str:
    """A form as text: its title, its fields (choices to pick from), then the one-line command.

    A terminal has no form, so the person types ``form.example`` instead. The title
    is left out when the heading just before says it already, and the example when
    a paragraph of the same message shows it already.
    """
    previous = list(before)[-1:]
    titled = bool(previous) and isinstance(previous[0], Heading) and previous[0].text == form.title
    lines = []
    if form.title and not titled:
        lines.append(style.bold(form.title))
    for f in form.fields:
        label = f"[{f.label}]" if f.optional else f.label
        hint = " | ".join(c.value for c in f.choices) if f.choices else f.placeholder
        lines.append(f"  • {label}" + (f": {style.dim(hint)}" if hint else ""))
    shown = {markup.to_plain(b.markdown).strip() for b in beside if isinstance(b, Text)}
    if form.example and form.example.strip() not in shown:
        lines.append(form.example)
    return "\n".join(lines)


def _block(block: Block, style: Style, buttons: list[Button], first: int) -> str:
    if isinstance(block, Heading):
        return style.bold(block.text)
    if isinstance(block, Text):
        return render_markdown(block.markdown, style)
    if isinstance(block, Fields):
        return "\n".join(
            f"{style.bold(f.label)}: {render_markdown(f.value, style)}" for f in block.items
        )
    if isinstance(block, ProgressBar):
        line = (
            f"{style.bold(block.label)}\n  {progress_bar(block.done, block.total)} "
            f"{block.done}/{block.total}"
        )
        return line + (f"\n  {render_markdown(block.detail, style)}" if block.detail else "")
    if isinstance(block, Table):
        return render_table(block)
    if isinstance(block, Actions):
        labels = []
        for button in block.buttons:
            buttons.append(button)
            labels.append(f"[{first + len(buttons) - 1}] {button.label}")
        return style.dim("   ".join(labels))
    if isinstance(block, Image):
        return f"[{block.alt}] <{block.url}>"
    if isinstance(block, Chart):
        return "\n".join(chart_lines(block))
    if isinstance(block, Picture):  # a terminal shows no images: what it shows, in words
        return style.dim(f"[{block.alt}]")
    if isinstance(block, Divider):
        return style.dim("─" * 40)
    if isinstance(block, Attachment):
        return style.dim(f"[file: {block.name}, {_size(block.size)}]")
    return ""  # pragma: no cover - every block type is handled above


def _free_path(wanted: Path) -> Path:
    """``wanted``, or ``name-2.csv``, ``name-3.csv``… if that is taken."""
    candidate, number = wanted, 1
    while candidate.exists():
        number += 1
        candidate = wanted.with_name(f"{wanted.stem}-{number}{wanted.suffix}")
    return candidate


def _size(count: int) -> str:
    return f"{count} bytes" if count < 1024 else f"{count / 1024:.0f} KB"


def render_all(messages: Iterable[Message], style: Style) -> Rendered:
    """Render several messages as one answer, numbering buttons across all of them."""
    texts: list[str] = []
    buttons: list[Button] = []
    for message in messages:
        rendered = render(message, style, len(buttons) + 1)
        texts.append(rendered.text)
        buttons += rendered.buttons
    return Rendered("\n\n".join(texts), buttons)


_PUNCTUATION = ",.;:!?)"
#: The most words after an @ that can be a name ("@Ana Maria Ruiz").
_NAME_WORDS = 3


@dataclass
class _Mentioned:
    """What typed text mentions, or the first @ that needs a choice between people."""

    text: str
    mentions: list[Mention] = field(default_factory=list)
    ask: str = ""  # the @words that match several people
    options: list[tuple[str, str, str]] = field(default_factory=list)  # (email, name, team)


def resolve_mentions(
    text: str,
    people_named: Callable[[str], list[tuple[str, str, str]]],
    chosen: dict[str, str] | None = None,
) -> _Mentioned:
    """Read ``@name`` in typed text as a mention, as Slack and Teams mentions arrive.

    An @ followed by an email, a full name, or a first or last name of someone on the
    roster mentions them (the longest run of words that names someone wins). When the
    words match several people, the choice is asked for; ``chosen`` holds choices
    already made (the @words -> email).
    """
    chosen = chosen or {}
    out: list[str] = []
    mentions: list[Mention] = []
    words = text.split(" ")
    i = 0
    while i < len(words):
        word = words[i]
        if not (word.startswith("@") and len(word) > 1):
            out.append(word)
            i += 1
            continue
        first = [word[1:], *words[i + 1 : i + _NAME_WORDS]]
        for size in range(len(first), 0, -1):
            said = " ".join(first[:size]).rstrip(_PUNCTUATION)
            found = people_named(said) if said else []
            if said in chosen:
                found = [f for f in found if f[0] == chosen[said]] or found
            if not found:
                continue
            if len(found) > 1:
                return _Mentioned(text, ask=said, options=found)
            email, name, _ = found[0]
            tail = " ".join(first[:size])[len(said) :]
            out.append(f"@{name}{tail}")
            if all(m.user_id != email for m in mentions):
                mentions.append(Mention(email, name, email))
            i += size
            break
        else:
            out.append(word)
            i += 1
    return _Mentioned(" ".join(out), mentions)


class ConsoleChat:
    """A read-reply loop in the terminal, talking as one person."""

    def __init__(
        self,
        bot: Bot,
        email: str,
        *,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        color: bool | None = None,
        read: Callable[[str], str] | None = None,
    ) -> None:
        self.bot = bot
        self.email = email
        self.stdin = stdin
        self.stdout = stdout
        self.style = Style(wants_color(stdout) if color is None else color)
        self.buttons: list[Button] = []
        self._read = read
        #: Text waiting for the person to say which of several people an @name meant.
        self._choosing: _Mentioned | None = None
        self._chosen: dict[str, str] = {}

    def incoming(
        self, text: str, via: str = "direct", owner: str = "", mentions: tuple[Mention, ...] = ()
    ) -> Incoming:
        return Incoming(
            platform=PLATFORM,
            user_id=self.email,
            email=self.email,
            text=text,
            via="button" if via == "button" else "direct",
            button_owner=owner,
            mentions=mentions,
            has_channels=False,
        )

    def answer(self, text: str) -> str:
        """Send typed text (or a button number) and return the rendered answer."""
        via, owner = "direct", ""
        stripped = text.strip()
        if self._choosing is not None:
            waiting, self._choosing = self._choosing, None
            options = waiting.options
            if stripped.isdigit() and 1 <= int(stripped) <= len(options):
                self._chosen[waiting.ask] = options[int(stripped) - 1][0]
                text = waiting.text
            else:
                self._chosen = {}
        elif stripped.isdigit() and 1 <= int(stripped) <= len(self.buttons):
            button = self.buttons[int(stripped) - 1]
            text, via, owner = button.command, "button", button.owner
        elif stripped == FILE_COMMAND or stripped.startswith(FILE_COMMAND + " "):
            self._chosen = {}
            return self.send_file(stripped.removeprefix(FILE_COMMAND).strip())
        mentioned = _Mentioned(text)
        if via != "button" and "@" in text:
            mentioned = resolve_mentions(text, self.bot.people_named, self._chosen)
            if mentioned.ask:
                self._choosing = mentioned
                return self._which(mentioned)
        self._chosen = {}
        replies = self.bot.handle(
            self.incoming(mentioned.text, via, owner, tuple(mentioned.mentions))
        )
        return self._show(replies, Path.cwd())

    def send_file(self, said: str) -> str:
        """``/file PATH [words]``: send a file from this computer, with the words after it."""
        try:
            parts = shlex.split(said)
        except ValueError:  # an unclosed quote
            parts = []
        if not parts:
            return render_markdown(self.bot.templates.md("console.file_usage"), self.style)
        path = Path(parts[0]).expanduser()
        if not path.is_file():
            missing = self.bot.templates.md("console.file_missing", path=str(path))
            return render_markdown(missing, self.style)
        kind = mimetypes.guess_type(path.name)[0] or ""
        sent = IncomingFile(path.name, str(path.resolve()), path.stat().st_size, kind)
        incoming = replace(self.incoming(" ".join(parts[1:])), files=(sent,))
        # The person's own file is only read: nothing here removes it.
        return self._show(self.bot.handle(incoming), path.resolve().parent)

    def _show(self, replies: Iterable[Outgoing], folder: Path) -> str:
        rendered = render_all((self._shown(r, folder) for r in replies), self.style)
        self.buttons = rendered.buttons
        return rendered.text

    def _shown(self, out: Outgoing, folder: Path) -> Message:
        """A reply as shown here: a post for a team channel says so first; a file in it is
        saved in ``folder`` and its path shown; help says how to send a file here."""
        message = out.message
        if any(isinstance(b, Attachment) for b in message.blocks):
            blocks: list[Block] = []
            for block in message.blocks:
                blocks.append(block)
                if isinstance(block, Attachment):
                    blocks.append(Text(self._saved(block, folder)))
            message = replace(message, blocks=tuple(blocks))
        if message.kind == "help" and self.bot.file_refusal(PLATFORM, self.email) is None:
            hint = Text(self.bot.templates.md("console.file_usage"))
            message = replace(message, blocks=(*message.blocks, hint))
        if out.visibility != "public":
            return message
        note = Text(self.bot.templates.md("console.posted"))
        return replace(message, blocks=(note, *message.blocks))

    def _saved(self, attachment: Attachment, folder: Path) -> str:
        """Save a file the bot sent, without overwriting anything; its path as Markdown."""
        found = self.bot.stored_file(attachment.file_id)
        if found is None:
            return self.bot.templates.md("files.gone", file=attachment.name)
        name, _, data = found
        for where in (folder, Path.cwd()):
            target = _free_path(where / Path(name).name)
            try:
                with target.open("xb") as out:
                    out.write(data)
            except OSError:
                continue
            return self.bot.templates.md("console.file_saved", path=str(target))
        return self.bot.templates.md("files.upload_failed", file=name, again="")

    def _which(self, mentioned: _Mentioned) -> str:
        """Ask which of several people an @name meant (their number picks them)."""
        self.buttons = []
        lines = [self.bot.templates.plain("console.which_person", name=mentioned.ask)]
        for number, (email, name, team) in enumerate(mentioned.options, start=1):
            where = f", {team}" if team else ""
            lines.append(f"  [{number}] {name} ({email}{where})")
        return "\n".join(lines)

    def run(self, greeting: Iterable[str] = ()) -> int:
        """Chat until end of input or a quit word. Returns an exit code."""
        for line in greeting:
            self._print(self.style.dim(line))
        while True:
            try:
                line = self._input("you › ")
            except EOFError:
                self._print("")
                return 0
            except KeyboardInterrupt:
                self._print("")
                return 130
            if line.strip().lower() in QUIT_WORDS:
                return 0
            if not line.strip():
                continue
            self._print(self.answer(line) + "\n")

    def _input(self, prompt: str) -> str:
        if self._read is not None:
            return self._read(prompt)
        if self.stdin is sys.stdin and self.stdin.isatty():
            return input(self.style.bold(prompt))
        line = self.stdin.readline()
        if not line:
            raise EOFError
        self._print(prompt + line.rstrip("\n"))
        return line.rstrip("\n")

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()
