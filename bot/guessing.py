"""What to do with free text the exact grammar did not take: the second stage.

The intent matcher (:mod:`bot.understanding`) says what the words most likely mean,
and how sure it is. Then:

- sure, and it only shows or asks: run it (the exact command it stands for);
- sure, and it would change something (done, pause, undo, stop all, a setting):
  ask first, in one tap, saying what will happen ("Pause reminders until Fri 15
  Jan?"); nothing is written on a guess without that tap;
- not sure: "Did you mean ..." with two or three buttons;
- no idea: the friendly "not understood", with the closest suggestions as buttons.

Values the words carry are read here, for the person: a date in their own today and
the organisation's date order (an ambiguous one is asked about), a course or pathway
by partial title and typos, a time zone, quiet hours.
"""

from __future__ import annotations

import re
from datetime import date

from bot import commands as c
from bot import parser
from bot.catalog import find_course, find_pathway
from bot.context import Ctx
from bot.markup import escape
from bot.messages import Button, Message, Text
from bot.store import status_of
from bot.templates import Markdown
from bot.timeparse import (
    DateError,
    find_date,
    find_zone,
    format_date,
    format_quiet_hours,
    parse_quiet_hours,
    zone_named,
)
from bot.understanding import Guess, Intent

#: Words that may say a date; only then is a date looked for (it costs a little).
_DATE_HINT = re.compile(
    r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun"
    r"|week|month|today|tonight|tomorrow|tmrw|fortnight|end|mid|early|late)",
    re.I,
)
MAX_SUGGESTIONS = 3


def understand(ctx: Ctx, cmd: c.Unknown) -> c.Command | list[Message]:
    """The exact command to run for these words, or the answer that asks."""
    book = ctx.content.intents
    text = cmd.text.split("\n", 1)[0]
    if not book.intents or not text.strip():
        return cmd
    order = ctx.content.initiative.defaults.date_order
    dated = find_date(text, ctx.today(), order, ending=True) if _DATE_HINT.search(text) else None
    said = _slot_words(text)
    if dated:
        said["date"] = dated[1]
    named = book.catalog_words(text)
    if named:
        said["course"] = said["pathway"] = named
    guess = book.match(text, said)
    if guess is None or guess.confidence == "low":
        return [not_understood(ctx, cmd.text, guess)]
    words, display = _filled(ctx, guess, dated[0] if dated else None)
    if isinstance(words, Message):
        return [words]
    exact = parser.parse(words)
    if isinstance(exact, c.Unknown):
        return [not_understood(ctx, cmd.text, guess)]
    if guess.confidence == "high":
        if exact.only_answers:
            return exact
        return [_confirm(ctx, guess.intent, words, display)]
    return [_did_you_mean(ctx, guess, words)]


_TIME = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}"
_HOURS = re.compile(rf"(?:{_TIME})(?:\s*(?:-|to|until|till|and)\s*(?:{_TIME}))?", re.I)


def _slot_words(text: str) -> dict[str, str]:
    """Words in a message that name a time zone's place, or a time of day or range."""
    found: dict[str, str] = {}
    hours = _HOURS.search(text)
    if hours:
        found["hours"] = hours.group(0)
    words = text.lower().replace(",", " ").replace("?", " ").split()
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            span = " ".join(words[start : start + size])
            if len(span) > 2 and zone_named(span) is not None:
                found["zone"] = span
                return found
    return found


def _filled(
    ctx: Ctx, guess: Guess, when: date | DateError | None
) -> tuple[str | Message, dict[str, str]]:
    """The intent's exact words with its values read from the message, and those values
    as a person reads them; its words without them when one is missing. An ambiguous
    date comes back as the question."""
    intent = guess.intent
    values: dict[str, str] = {}
    display: dict[str, str] = {}
    for slot in intent.slots:
        said = guess.slots.get(slot, "")
        if slot == "date" and isinstance(when, DateError) and when.options:
            buttons = [
                Button(format_date(day), intent.says.replace("{date}", day.isoformat()))
                for day in when.options
            ]
            return ctx.say("date.which", ctx.actions(*buttons), text=when.text), {}
        if slot == "date" and isinstance(when, date):
            values[slot], display[slot] = when.isoformat(), format_date(when)
        elif slot == "course" and said:
            person = ctx.actor.person
            own: set[str] = set()
            if person is not None:
                found, _, _ = status_of(ctx.session, ctx.content, person.id or 0)
                own = {x.id for s in found for x in (*s.done, *s.remaining)}
            course, _ = find_course(ctx, said, own)
            if course is not None:
                values[slot], display[slot] = course.id, course.title
        elif slot == "pathway" and said:
            pathway, _ = find_pathway(ctx, said)
            if pathway is not None:
                values[slot], display[slot] = pathway.id, pathway.title
        elif slot == "zone" and said:
            name, _ = find_zone(said)
            if name:
                values[slot] = display[slot] = name
        elif slot == "hours" and said:
            span = parse_quiet_hours(said)
            if span is not None:
                values[slot] = display[slot] = format_quiet_hours(span)
    if set(values) != set(intent.slots):
        return intent.without or intent.says, {}
    words = intent.says
    for slot, value in values.items():
        words = words.replace("{" + slot + "}", value)
    return words, display


def _confirm(ctx: Ctx, intent: Intent, words: str, display: dict[str, str]) -> Message:
    """'Pause reminders until **Fri 15 Jan**?' with Yes and No."""
    question = intent.confirm
    for slot, value in display.items():
        question = question.replace("{" + slot + "}", escape(value))
    return ctx.message(
        "guess.confirm",
        [
            Text(Markdown(question)),
            Text(ctx.md("guess.which")),
            ctx.actions(ctx.button("button.yes", words, "primary"), ctx.button("button.no", "no")),
        ],
    )


def _may(ctx: Ctx, words: str) -> bool:
    """Whether the asker may run these words (suggestions offer only what they may)."""
    need = parser.parse(words).needs
    actor = ctx.actor
    return (
        need == "anyone"
        or actor.is_admin
        or (need == "champion" and actor.has("champion"))
        or (need == "reporter" and (actor.has("champion") or actor.has("senior_leader")))
    )


def _choices(ctx: Ctx, guess: Guess | None, first: str = "") -> list[Button]:
    """Buttons for the likeliest intents the asker may use, best first."""
    buttons: list[Button] = []
    if guess is not None:
        seen: set[str] = set()
        for number, intent in enumerate((guess.intent, *guess.others)):
            words = first if number == 0 and first else intent.without or intent.says
            if "{" in words or words in seen or not _may(ctx, words):
                continue
            if isinstance(parser.parse(words), c.Unknown):
                continue
            seen.add(words)
            buttons.append(Button(intent.label, words, "primary" if not buttons else "default"))
            if len(buttons) == MAX_SUGGESTIONS:
                break
    return buttons


def _did_you_mean(ctx: Ctx, guess: Guess, words: str) -> Message:
    buttons = _choices(ctx, guess, words)
    if all(b.command != "help" for b in buttons):
        buttons.append(Button("help", "help"))
    return ctx.say("guess.did_you_mean", ctx.actions(*buttons))


def not_understood(ctx: Ctx, text: str, guess: Guess | None) -> Message:
    """The friendly answer to words that mean nothing Huddle knows, with the closest
    things it does know as buttons."""
    shown = text if len(text) <= 200 else text[:200] + "…"
    buttons = _choices(ctx, guess)
    if not buttons:
        buttons = [ctx.button("button.next", "next")]
    if all(b.command != "help" for b in buttons):
        buttons.append(Button("help", "help"))
    return ctx.say("not_understood", ctx.actions(*buttons), text=shown)
