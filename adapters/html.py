"""Neutral messages as HTML, for the dashboard: the same answers as chat, in a page.

Every block type of :mod:`bot.messages` has its HTML; text in the Markdown subset is
escaped span by span (Jinja2's ``Markup`` and ``escape``). A button becomes a small form
that posts its words, with the session's CSRF token, to ``action``: pressing it in the
page is typing those words in chat, with the same role checks and audit trail.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from adapters.text import chart_lines
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


def text_html(source: str) -> Markup:
    """Markdown-subset text as HTML: paragraphs of lines, bullets as a list."""
    out: list[str] = []
    bullets: list[str] = []
    for line in markup.parse(source):
        spans = "".join(_span(s) for s in line.spans)
        if line.bullet:
            bullets.append(f"<li>{spans}</li>")
            continue
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        out.append(f"<p>{spans}</p>" if spans else "")
    if bullets:
        out.append("<ul>" + "".join(bullets) + "</ul>")
    return Markup("".join(out))  # noqa: S704 - every span's text is escaped above


def _span(span: markup.Span) -> str:
    text = str(escape(span.text))
    if span.code:
        text = f"<code>{text}</code>"
    if span.bold:
        text = f"<strong>{text}</strong>"
    if span.italic:
        text = f"<em>{text}</em>"
    if span.url and span.url.startswith(("https://", "http://")):
        text = f'<a href="{escape(span.url)}" rel="noopener noreferrer">{text}</a>'
    return text


#: Where some words lead as a plain link (a download, another page), or None: a form.
Links = Callable[[str], str | None]


def _no_links(words: str) -> str | None:
    return None


def message_html(message: Message, action: str, csrf: str, link: Links = _no_links) -> Markup:
    """One message as a section of the page. A button whose words ``link`` turns into an
    address (it only shows something) is a link there; any other posts its words."""
    parts = [_block(b, action, csrf, link) for b in message.blocks]
    # Every value in the blocks' HTML is escaped where it is written (_block).
    return Markup('<section class="answer">' + "".join(parts) + "</section>")  # noqa: S704


def _button_form(label: str, command: str, style: str, action: str, csrf: str) -> str:
    return (
        f'<form method="post" action="{escape(action)}" class="act">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="command" value="{escape(command)}">'
        f'<button type="submit" class="{escape(style)}">{escape(label)}</button></form>'
    )


def _button_link(label: str, href: str, style: str) -> str:
    return f'<a class="button {escape(style)}" href="{escape(href)}">{escape(label)}</a>'


def _block(block: Block, action: str, csrf: str, link: Links) -> str:
    if isinstance(block, Text):
        return str(text_html(block.markdown))
    if isinstance(block, Heading):
        return f"<h2>{escape(block.text)}</h2>"
    if isinstance(block, Fields):
        rows = "".join(
            f"<dt>{escape(f.label)}</dt><dd>{text_html(f.value)}</dd>" for f in block.items
        )
        return f"<dl>{rows}</dl>"
    if isinstance(block, ProgressBar):
        return (
            f'<p><label>{escape(block.label)} <progress max="{max(block.total, 1)}" '
            f'value="{block.done}">{block.done} of {block.total}</progress></label> '
            f"{escape(block.detail)}</p>"
        )
    if isinstance(block, Table):
        head = "".join(f'<th scope="col">{escape(c)}</th>' for c in block.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
            for row in block.rows
        )
        more = f'<p class="note">… +{block.more}</p>' if block.more else ""
        # A region one can reach with the keyboard, to scroll a wide table on a phone.
        label = escape("Table: " + ", ".join(block.columns[:3]))
        return (
            f'<div class="table" tabindex="0" role="region" aria-label="{label}">'
            f"<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div>{more}"
        )
    if isinstance(block, Actions):
        forms = "".join(
            _button_link(b.label, href, b.style)
            if (href := link(b.command))
            else _button_form(b.label, b.command, b.style, action, csrf)
            for b in block.buttons
        )
        return f'<div class="actions">{forms}</div>'
    if isinstance(block, Image):
        if block.url.startswith("data:image/"):
            return f'<img src="{escape(block.url)}" alt="{escape(block.alt)}">'
        return f"<p>{escape(block.alt)}</p>"  # no images fetched from other sites
    if isinstance(block, Picture):
        return (
            f'<figure><img src="{block.data_uri}" alt="{escape(block.alt)}">'
            f"<figcaption>{escape(block.title)}</figcaption></figure>"
        )
    if isinstance(block, Chart):
        lines = "\n".join(chart_lines(block))
        return (
            f"<figure><figcaption>{escape(block.title)}</figcaption>"
            f'<pre role="img" aria-label="{escape(block.alt)}">{escape(lines)}</pre></figure>'
        )
    if isinstance(block, Divider):
        return "<hr>"
    if isinstance(block, Attachment):
        href = link(block.again) if block.again else None
        if href:
            return (
                f'<p><a class="button primary" href="{escape(href)}" download>'
                f"Download {escape(block.name)}</a> "
                f'<span class="note">({block.size:,} bytes)</span></p>'
            )
        return f'<p class="note">{escape(block.name)} ({block.size:,} bytes)</p>'
    if isinstance(block, Form):
        return _form(block, action, csrf)
    return ""


def _form(form: Form, action: str, csrf: str) -> str:
    """A form: each field an input; submitting fills the command as chat would."""
    fields = []
    for f in form.fields:
        name = f"field.{f.name}"
        if f.choices:
            options = "".join(
                f'<option value="{escape(c.value)}">{escape(c.label)}</option>' for c in f.choices
            )
            control = f'<select id="{escape(name)}" name="{escape(name)}">{options}</select>'
        elif f.multiline:
            control = (
                f'<textarea id="{escape(name)}" name="{escape(name)}">{escape(f.value)}</textarea>'
            )
        else:
            control = (
                f'<input id="{escape(name)}" name="{escape(name)}" value="{escape(f.value)}"'
                f' placeholder="{escape(f.placeholder)}">'
            )
        fields.append(f'<p><label for="{escape(name)}">{escape(f.label)}</label> {control}</p>')
    return (
        f'<form method="post" action="{escape(action)}" class="form">'
        f"<h3>{escape(form.title)}</h3>"
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="form" value="{escape(form.command)}">'
        + "".join(fields)
        + f'<button type="submit">{escape(form.submit)}</button></form>'
    )
