"""Handlers for a person's own comfort surveys: a tap per question, Skip, and their own
answers to see, change (for a while) and delete. Nobody else's answers are ever shown
here: the figures over people are :mod:`bot.survey_results`'s, in aggregate only."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from bot import commands as c
from bot import survey_asking as asking
from bot.context import Ctx
from bot.messages import Block, Button, Heading, Message, Text
from bot.models import SurveyAnswer, SurveyRequest
from bot.templates import Markdown
from bot.timeparse import format_date

#: Answers in one message, and in one paragraph of it.
MAX_ROWS = 30
PER_TEXT = 8


def _own_request(ctx: Ctx, request_id: int) -> SurveyRequest | None:
    person = ctx.actor.person
    request = ctx.session.get(SurveyRequest, request_id)
    if request is None or person is None or request.person_id != person.id:
        return None  # someone else's is the same as none: nothing said about it
    return request


def _hours(ctx: Ctx) -> int:
    return ctx.content.surveys.settings.change_within_hours


def survey_answer(ctx: Ctx, cmd: c.SurveyAnswer) -> list[Message]:
    """Record one tap (or change it, within the content's hours), then the next question."""
    request = _own_request(ctx, cmd.request_id)
    if request is None:
        return [ctx.say("survey.unknown")]
    if request.status == "skipped":
        return [ctx.say("survey.already_skipped")]
    if request.status == "cancelled":
        return [ctx.say("survey.cancelled", reason=request.reason)]
    found = asking.questions(ctx.content, request)
    if not 0 <= cmd.number < len(found):
        return [ctx.say("survey.unknown")]
    question = found[cmd.number]
    scale = question.item.scale
    if not 1 <= cmd.value <= len(scale):
        return [ctx.say("survey.bad_value", points=len(scale))]
    now = ctx.now()
    have = asking.answered(ctx.session, request)
    earlier = have.get((question.item.id, question.phase))
    if earlier is not None:
        if now - earlier.answered_at > timedelta(hours=_hours(ctx)):
            return [ctx.say("survey.too_late", hours=_hours(ctx))]
        if earlier.value != cmd.value:
            earlier.value, earlier.changed_at = cmd.value, now
            ctx.session.add(earlier)
        return [ctx.say("survey.changed", label=scale[cmd.value - 1], hours=_hours(ctx))]
    answer = SurveyAnswer(
        request_id=request.id or 0,
        person_id=request.person_id,
        pathway_id=request.pathway_id,
        item_id=question.item.id,
        phase=question.phase,
        value=cmd.value,
        answered_at=now,
    )
    ctx.session.add(answer)
    have[(question.item.id, question.phase)] = answer
    following = asking.next_question(ctx.content, request, have)
    if following is None:
        request.status, request.finished_at = "done", now
        ctx.session.add(request)
        return [ctx.say("survey.thanks", hours=_hours(ctx))]
    return [asking.question_message(ctx, request, following)]


def survey_skip(ctx: Ctx, cmd: c.SurveySkip) -> list[Message]:
    """The rest of the survey is skipped: never reminded, never asked again."""
    request = _own_request(ctx, cmd.request_id)
    if request is None:
        return [ctx.say("survey.unknown")]
    if request.status in ("owed", "asked"):
        request.status, request.reason = "skipped", "skipped by the person"
        request.finished_at = ctx.now()
        ctx.session.add(request)
    return [ctx.say("survey.skipped")]


def survey_question(ctx: Ctx, cmd: c.SurveyQuestion) -> list[Message]:
    """One question of one's own survey again, to answer or change."""
    request = _own_request(ctx, cmd.request_id)
    if request is None:
        return [ctx.say("survey.unknown")]
    if request.status == "skipped":
        return [ctx.say("survey.already_skipped")]
    found = asking.questions(ctx.content, request)
    if not 0 <= cmd.number < len(found):
        return [ctx.say("survey.unknown")]
    return [asking.question_message(ctx, request, found[cmd.number])]


def my_answers(ctx: Ctx, cmd: c.MyAnswers) -> list[Message]:
    """The asker's own answers, newest first, with a Change button for those still open."""
    person = ctx.actor.person
    assert person is not None
    rows = ctx.session.exec(
        select(SurveyAnswer, SurveyRequest)
        .join(SurveyRequest, col(SurveyRequest.id) == SurveyAnswer.request_id)
        .where(SurveyAnswer.person_id == person.id)
        .order_by(col(SurveyAnswer.answered_at).desc(), col(SurveyAnswer.id).desc())
    ).all()
    if not rows:
        return [ctx.say("survey.mine_none")]
    now = ctx.now()
    open_for = timedelta(hours=_hours(ctx))
    lines: list[str] = []
    changes: list[Button] = []
    for answer, request in rows[:MAX_ROWS]:
        item = ctx.content.surveys.items.get(answer.item_id)
        pathway = ctx.content.pathways.get(answer.pathway_id)
        label = (
            item.scale[answer.value - 1]
            if item is not None and 1 <= answer.value <= item.points
            else str(answer.value)
        )
        number = len(lines) + 1
        lines.append(
            ctx.md(
                "survey.mine_line",
                number=number,
                pathway=pathway.title if pathway else answer.pathway_id,
                when=format_date(answer.answered_at.astimezone(ctx.zone).date()),
                phase=ctx.plain(f"survey.phase.{answer.phase}"),
                question=item.text if item else answer.item_id,
                answer=label,
            )
        )
        if now - answer.answered_at <= open_for and len(changes) < 10:
            position = next(
                (
                    q.number
                    for q in asking.questions(ctx.content, request)
                    if (q.item.id, q.phase) == (answer.item_id, answer.phase)
                ),
                None,
            )
            if position is not None:
                changes.append(
                    ctx.button(
                        "button.survey_change",
                        f"survey question {request.id} {position}",
                        number=number,
                    )
                )
    blocks: list[Block] = [
        Heading(ctx.plain("survey.mine_heading")),
        Text(
            ctx.md(
                "survey.mine_intro",
                hours=_hours(ctx),
                minimum=ctx.content.initiative.defaults.minimum_group,
            )
        ),
    ]
    # A few answers to a paragraph, so no paragraph outgrows a platform's limit.
    for start in range(0, len(lines), PER_TEXT):
        blocks.append(Text(Markdown("\n".join(lines[start : start + PER_TEXT]))))
    if len(rows) > MAX_ROWS:
        blocks.append(Text(ctx.md("survey.mine_more", count=len(rows) - MAX_ROWS)))
    if changes:
        blocks.append(ctx.actions(*changes))
    blocks.append(ctx.actions(ctx.button("button.survey_delete", "delete my answers", "danger")))
    return [ctx.message("survey.mine", blocks)]


def delete_my_answers(ctx: Ctx, cmd: c.DeleteMyAnswers) -> list[Message]:
    """Asked first; confirmed, every answer of the asker's goes, and their open surveys
    are not asked again."""
    person = ctx.actor.person
    assert person is not None
    ids = list(ctx.session.exec(select(SurveyAnswer.id).where(SurveyAnswer.person_id == person.id)))
    if not ids:
        return [ctx.say("survey.nothing_to_delete")]
    if not cmd.confirmed:
        return [
            ctx.say(
                "survey.delete_confirm",
                ctx.actions(
                    ctx.button("button.survey_delete_yes", "delete my answers confirmed", "danger")
                ),
                count=len(ids),
            )
        ]
    ctx.session.execute(delete(SurveyAnswer).where(col(SurveyAnswer.person_id) == person.id))
    now = ctx.now()
    for request in ctx.session.exec(
        select(SurveyRequest).where(
            SurveyRequest.person_id == person.id,
            col(SurveyRequest.status).in_(("owed", "asked", "done")),
        )
    ):
        if request.status != "done":
            request.status, request.finished_at = "skipped", now
        request.reason = "answers deleted by the person"
        ctx.session.add(request)
    # The trail says that it happened and how many, never what the answers were.
    ctx.audit("survey.answers_deleted", ctx.actor.label, json.dumps({"answers": len(ids)}))
    return [ctx.say("survey.deleted", count=len(ids))]
