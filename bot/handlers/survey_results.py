"""The handler for what the comfort surveys say: before, looking back and after, per topic
and item, in aggregate only (see :mod:`bot.survey_results` for the figures and the rule
that keeps small groups apart)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from bot import commands as c
from bot import survey_results as rules
from bot.compose import discipline_name
from bot.context import Ctx, Refused
from bot.messages import Block, Heading, Message, Table, Text
from bot.scopes import Scope, limit_to_own_team, parse_scope
from bot.templates import Markdown

#: Rows of one topic's table in one answer (its items, then the topic's own row).
MAX_ROWS = 40
#: The longest item label in a table (the question, without "How comfortable are you").
LABEL = 36
_TOPIC = re.compile(r'\btopic:(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))', re.I)
_QUESTION = re.compile(r"^how comfortable (?:are|do) you (?:feel )?", re.I)


def show_survey_results(ctx: Ctx, cmd: c.ShowSurveyResults) -> list[Message]:
    """The figures for the whole organisation (admins, senior leaders) or one team (a
    champion's own), narrowed to a pathway, topic or discipline if asked."""
    minimum = ctx.content.initiative.defaults.minimum_group
    if not ctx.content.surveys.items:
        return [ctx.say("survey_results.no_items")]
    text = cmd.text.strip()
    found = _TOPIC.search(text)
    topic = _topic_named(ctx, found.group("quoted") or found.group("bare")) if found else None
    words = _TOPIC.sub(" ", text).strip() if found else text
    scope = parse_scope(ctx, words) if words else Scope()
    if scope.person is not None:
        # Answers are about clinicians and shown only in aggregate: never one person's.
        raise Refused(ctx.say("survey_results.no_person", text=words, minimum=minimum))
    if not (ctx.actor.is_admin or ctx.actor.has("senior_leader")):
        scope = limit_to_own_team(ctx, scope)
    shown = rules.results(
        ctx.session,
        ctx.content,
        team_ids=[scope.team.id or 0] if scope.team is not None else None,
        pathway=scope.pathway,
        topic=topic,
        discipline=scope.discipline,
    )
    about = _scope(ctx, scope, topic)
    if shown.empty:
        if shown.left_out_people and scope.team is not None:
            return [ctx.say("survey_results.too_few", scope=about, minimum=minimum)]
        if shown.left_out_people:
            return [
                ctx.say(
                    "survey_results.all_small",
                    scope=about,
                    people=f"{shown.left_out_people:,}",
                    minimum=minimum,
                )
            ]
        return [ctx.say("survey_results.none", scope=about)]
    blocks: list[Block] = [
        Heading(ctx.plain("survey_results.heading")),
        Text(
            ctx.md(
                "survey_results.counted_team" if scope.team else "survey_results.counted",
                scope=about,
                people=f"{shown.people:,}",
                teams=f"{shown.teams:,}",
                answers=f"{shown.answers:,}",
            )
        ),
        Text(ctx.md("survey_results.caveat")),
        Text(ctx.md("survey_results.explained", method=shown.method, minimum=minimum)),
    ]
    follow_up = any(
        t.figures.follow_up.n or any(i.figures.follow_up.n for i in t.items) for t in shown.topics
    )
    columns = ctx.plain("survey_results.columns").split("|")
    if follow_up:
        columns.append(ctx.plain("survey_results.follow_up_column"))
    for topic_results in shown.topics:
        blocks += _topic_blocks(ctx, topic_results, tuple(columns), follow_up)
    notes = _left_out(ctx, shown)
    if cmd.csv_to and ctx.actor.is_operator:
        _write_csv(Path(cmd.csv_to), shown)
        notes.append(ctx.md("survey_results.csv_written", path=cmd.csv_to))
    if notes:
        blocks.append(Text(Markdown("\n".join(notes))))
    return [ctx.message("survey_results", blocks)]


def _topic_named(ctx: Ctx, text: str) -> str:
    """A topic's id from its id or title (or a part of its title)."""
    folded = " ".join(text.replace("-", " ").casefold().split())
    topics = ctx.content.initiative.topics
    asked = {i.topic for i in ctx.content.surveys.items.values()}
    exact = [
        t
        for t, info in topics.items()
        if folded in (t.replace("-", " "), " ".join(info.title.casefold().split()))
    ]
    partial = [t for t, info in topics.items() if folded in info.title.casefold()]
    chosen = exact or partial
    if len(chosen) != 1 or chosen[0] not in asked:
        options = ", ".join(t for t in topics if t in asked)
        raise Refused(ctx.say("survey_results.unknown_topic", text=text, options=options))
    return chosen[0]


def _scope(ctx: Ctx, scope: Scope, topic: str | None) -> str:
    parts = [
        scope.team.name if scope.team is not None else ctx.plain("survey_results.organisation")
    ]
    if scope.pathway:
        title = ctx.content.pathways[scope.pathway].title
        parts.append(ctx.plain("survey_results.of_pathway", pathway=title))
    if topic:
        title = ctx.content.initiative.topics[topic].title
        parts.append(ctx.plain("survey_results.of_topic", topic=title))
    if scope.discipline:
        name = discipline_name(ctx, scope.discipline)
        parts.append(ctx.plain("survey_results.of_discipline", discipline=name))
    return ", ".join(parts)


def _topic_blocks(
    ctx: Ctx, found: rules.TopicResults, columns: tuple[str, ...], follow_up: bool
) -> list[Block]:
    title = ctx.content.initiative.topics[found.topic].title
    rows = [_row(_label(i.item.text), i.figures, follow_up) for i in found.items]
    rows = rows[: MAX_ROWS - 1]
    rows.append(_row(ctx.plain("survey_results.topic_row"), found.figures, follow_up))
    blocks: list[Block] = [
        Heading(title),
        Table(columns, tuple(rows), more=max(0, len(found.items) + 1 - MAX_ROWS)),
    ]
    against = found.figures.change_retro
    if against.mean is not None:
        blocks.append(
            Text(
                ctx.md(
                    "survey_results.against_looking_back",
                    change=_change(against),
                    people=f"{against.n:,}",
                )
            )
        )
    return blocks


def _label(question: str) -> str:
    """An item's question, short: "Sharing serious news with a patient"."""
    words = _QUESTION.sub("", question).rstrip("?").strip() or question
    words = words[0].upper() + words[1:]
    if len(words) <= LABEL:
        return words
    return words[: LABEL - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def _row(label: str, f: rules.Figures, follow_up: bool) -> tuple[str, ...]:
    cells = [
        label,
        f"{f.people:,}",
        _mean(f.pre),
        _mean(f.retro),
        _mean(f.post),
        _change(f.change),
        f"{100 * f.up_one.share:.0f}%" if f.up_one.share is not None else "–",
        _change(f.gap),
    ]
    if follow_up:
        cells.append(_mean(f.follow_up))
    return tuple(cells)


def _mean(mean: rules.Mean) -> str:
    return f"{mean.value:.1f}" if mean.value is not None else "–"


def _signed(value: float) -> str:
    shown = round(value, 1)
    return "0.0" if shown == 0 else f"{shown:+.1f}"


def _change(change: rules.Change) -> str:
    if change.mean is None or change.low is None or change.high is None:
        return "–"
    return f"{_signed(change.mean)} ({_signed(change.low)} to {_signed(change.high)})"


def _left_out(ctx: Ctx, shown: rules.Results) -> list[str]:
    notes: list[str] = []
    in_teams = shown.left_out_people - shown.left_out_no_team
    if shown.left_out_teams:
        notes.append(
            ctx.md(
                "survey_results.left_out_teams",
                people=f"{in_teams:,}",
                teams=f"{shown.left_out_teams:,}",
                minimum=shown.minimum,
            )
        )
    if shown.left_out_no_team:
        notes.append(
            ctx.md(
                "survey_results.left_out_no_team",
                people=f"{shown.left_out_no_team:,}",
                minimum=shown.minimum,
            )
        )
    return notes


def _write_csv(path: Path, shown: rules.Results) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rules.csv_rows(shown))
