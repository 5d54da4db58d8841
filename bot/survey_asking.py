"""Comfort surveys, asked: who owes one, and the questions, one tap each.

A survey is owed (a :class:`~bot.models.SurveyRequest`) when someone is enrolled in a
pathway that has comfort items (``pre``: before they start), when they finish it
(``post``: the same items, each followed by "looking back, before the training, how
comfortable were you?"), and, when the content asks for one, some weeks after that
(``follow_up``). The pass (:func:`plan`) runs on every planning tick: it reads only the
enrolments and completions recorded since it last looked (:class:`~bot.models.PlannerMark`),
so it costs little when nothing is new, and owes each survey once, whichever replica runs
it (a unique key per person, pathway and phase).

An owed survey is sent at the person's next allowed time (quiet hours, weekends, nights,
pauses: the planner's rules), as its first question; each tap records the answer and
brings the next question. A survey nobody has answered is reminded once, and it never
counts against the three-reminder stop (that counts course reminders). When asking no
longer makes sense, the survey is cancelled with the reason: the "before" of someone who
already began the pathway, the "after" of a pathway no longer finished (a completion
undone), anything for someone no longer enrolled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.content import Content, SurveyItem
from bot.context import Ctx
from bot.db import insert_ignore
from bot.messages import Actions, Block, Button, Message, Text
from bot.models import (
    Completion,
    Enrolment,
    OutboxMessage,
    Person,
    PlannerMark,
    SurveyAnswer,
    SurveyRequest,
)
from bot.planning.planner import Planner
from bot.planning.state import PersonState
from bot.progress import statuses

log = logging.getLogger("huddle.surveys")

MARK = "surveys"
#: Rows recorded a little before the mark may commit after it was read: look again.
OVERLAP = timedelta(minutes=10)
#: Owed surveys sent, and reminders written, in one tick at most (the rest: next tick).
BATCH = 2000
#: Someone Huddle cannot write to yet is tried again this often...
RETRY = timedelta(hours=1)
#: ...until the survey is this old, when it is dropped (the moment has passed).
EXPIRES = timedelta(days=30)
PHASES = ("pre", "post", "follow_up")
#: The kind of an outbox row that asks a survey (it is not a course reminder).
KIND = "survey"


@dataclass(frozen=True)
class Question:
    """One question of a survey: which item, and in which phase it is answered."""

    number: int
    item: SurveyItem
    phase: str  # pre, post, retro, follow_up


def questions(content: Content, request: SurveyRequest) -> list[Question]:
    """The questions of a survey in the order asked: an item each; after training, each
    item now and then "looking back"."""
    found: list[Question] = []
    for item_id in filter(None, request.items.split(",")):
        item = content.surveys.items.get(item_id)
        if item is None:
            continue  # an item since removed from the content
        phases = ("post", "retro") if request.phase == "post" else (request.phase,)
        for phase in phases:
            found.append(Question(len(found), item, phase))
    return found


def answered(session: Session, request: SurveyRequest) -> dict[tuple[str, str], SurveyAnswer]:
    """The request's answers by (item, phase)."""
    return {
        (a.item_id, a.phase): a
        for a in session.exec(select(SurveyAnswer).where(SurveyAnswer.request_id == request.id))
    }


def next_question(
    content: Content, request: SurveyRequest, done: Iterable[tuple[str, str]]
) -> Question | None:
    have = set(done)
    return next((q for q in questions(content, request) if (q.item.id, q.phase) not in have), None)


def question_message(
    ctx: Ctx, request: SurveyRequest, question: Question, *, opening: str = "", total: int = 0
) -> Message:
    """One question with a button per point of its scale and Skip. ``opening`` is the
    template that introduces the survey, when this is its first message."""
    content = ctx.content
    pathway = content.pathways.get(request.pathway_id)
    blocks: list[Block] = []
    if opening:
        blocks.append(
            Text(
                ctx.md(
                    opening,
                    pathway=pathway.title if pathway else request.pathway_id,
                    count=len(questions(content, request)),
                    minimum=content.initiative.defaults.minimum_group,
                )
            )
        )
    item = question.item
    if question.phase == "retro":
        wording = ctx.md("survey.looking_back", question=item.text)
        if item.looking_back:
            wording = ctx.md("survey.own_words", text=item.looking_back)
    else:
        wording = ctx.md("survey.own_words", text=item.text)
    blocks.append(
        Text(
            ctx.md(
                "survey.question",
                number=question.number + 1,
                total=total or len(questions(content, request)),
                question=wording,
            )
        )
    )
    points = [
        Button(label=label, command=f"survey answer {request.id} {question.number} {point}")
        for point, label in enumerate(item.scale, start=1)
    ]
    skip = ctx.button("button.survey_skip", f"survey skip {request.id}")
    blocks.append(Actions((*points, skip)))
    return ctx.message("survey.question", blocks)


# --- the pass --------------------------------------------------------------------------------


def plan(planner: Planner, session: Session, now: datetime) -> int:
    """Owe the surveys due since the last pass, send the owed ones, remind once.
    Returns the outbox rows written."""
    content = planner.content
    if not content.surveys.items or not content.surveys.settings.enabled:
        return 0
    mark = session.get(PlannerMark, MARK)
    if mark is None:
        # The first pass (a new installation, or surveys just turned on) starts the record:
        # people enrolled or trained before it were not asked "before", so nothing is owed
        # for them; everything from here on is.
        session.add(PlannerMark(name=MARK, at=now, began=now))
        return 0
    since = max(mark.at - OVERLAP, mark.began)
    _owe_before(session, content, since, now)
    _owe_after(planner, session, since, now)
    _owe_follow_ups(session, content, since, now)
    written = _send_owed(planner, session, now)
    written += _remind(planner, session, now)
    mark.at = max(mark.at, now)
    session.add(mark)
    return written


def _chosen_items(
    content: Content, pathway_id: str, asked: set[str], wanted: Sequence[str] = ()
) -> list[str]:
    """The items a survey asks: ``wanted`` (a "before" survey's items) when given, else
    the pathway's not yet asked in this phase, at most the content's number."""
    most = content.surveys.settings.items_per_survey
    if wanted:
        return [i for i in wanted if i in content.surveys.items][:most]
    return [i.id for i in content.survey_items(pathway_id) if i.id not in asked][:most]


def _asked_items(session: Session, person_ids: list[int], phase: str) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for pid, items in session.exec(
        select(SurveyRequest.person_id, SurveyRequest.items).where(
            col(SurveyRequest.person_id).in_(person_ids), SurveyRequest.phase == phase
        )
    ):
        found.setdefault(pid, set()).update(filter(None, items.split(",")))
    return found


def _request(person_id: int, pathway_id: str, phase: str, items: list[str], now: datetime) -> Any:
    return {
        "person_id": person_id,
        "pathway_id": pathway_id,
        "phase": phase,
        "items": ",".join(items),
        "status": "owed",
        "reason": "",
        "created_at": now,
        "tried_at": None,
        "asked_at": None,
        "reminded_at": None,
        "finished_at": None,
    }


def _owe_before(session: Session, content: Content, since: datetime, now: datetime) -> None:
    """A "before" survey for each new enrolment in a pathway with items."""
    surveyed = {p for p in content.pathways if content.survey_items(p)}
    # By time alone, so the only index the database can use is the one on enrolled_at
    # (a pathway filter would tempt it to read every enrolment of those pathways).
    new = [
        (pid, pathway)
        for pid, pathway in session.exec(
            select(Enrolment.person_id, Enrolment.pathway_id).where(
                col(Enrolment.enrolled_at) > since
            )
        )
        if pathway in surveyed
    ]
    for start in range(0, len(new), BATCH):
        chunk = new[start : start + BATCH]
        ids = sorted({pid for pid, _ in chunk})
        asked = _asked_items(session, ids, "pre")
        owed = {
            (r.person_id, r.pathway_id)
            for r in session.exec(
                select(SurveyRequest).where(
                    col(SurveyRequest.person_id).in_(ids), SurveyRequest.phase == "pre"
                )
            )
        }
        rows = []
        for pid, pathway in chunk:
            if (pid, pathway) in owed:
                continue
            items = _chosen_items(content, pathway, asked.get(pid, set()))
            if items:
                asked.setdefault(pid, set()).update(items)
                rows.append(_request(pid, pathway, "pre", items, now))
        insert_ignore(session, SurveyRequest, rows)


def _owe_after(planner: Planner, session: Session, since: datetime, now: datetime) -> None:
    """An "after" survey for each pathway with items that someone has just finished."""
    content = planner.content
    # No DISTINCT: the database would read the whole table in person order to do it.
    ids = sorted(
        set(session.exec(select(Completion.person_id).where(col(Completion.recorded_at) > since)))
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        persons = list(session.exec(select(Person).where(col(Person.id).in_(chunk))))
        states = planner.load(session, persons)
        before = {
            (r.person_id, r.pathway_id): r
            for r in session.exec(
                select(SurveyRequest).where(
                    col(SurveyRequest.person_id).in_(chunk), SurveyRequest.phase == "pre"
                )
            )
        }
        after = set(
            session.exec(
                select(SurveyRequest.person_id, SurveyRequest.pathway_id).where(
                    col(SurveyRequest.person_id).in_(chunk), SurveyRequest.phase == "post"
                )
            ).all()
        )
        asked = _asked_items(session, chunk, "post")
        rows = []
        for state in states.values():
            pid = state.person.id or 0
            for status in statuses(content, state.enrolled, state.completed):
                pathway = status.pathway.id
                if not status.complete or (pid, pathway) in after:
                    continue
                if not content.survey_items(pathway):
                    continue
                pre = before.get((pid, pathway))
                wanted = pre.items.split(",") if pre is not None and pre.items else ()
                items = _chosen_items(content, pathway, asked.get(pid, set()), wanted)
                if items:
                    asked.setdefault(pid, set()).update(items)
                    rows.append(_request(pid, pathway, "post", items, now))
        insert_ignore(session, SurveyRequest, rows)


def _owe_follow_ups(session: Session, content: Content, since: datetime, now: datetime) -> None:
    """The same items again, the content's number of weeks after an "after" survey."""
    weeks = content.surveys.settings.follow_up_weeks
    if not weeks:
        return
    wait = timedelta(weeks=weeks)
    due = session.exec(
        select(SurveyRequest).where(
            SurveyRequest.phase == "post",
            col(SurveyRequest.created_at) > since - wait,
            col(SurveyRequest.created_at) <= now - wait,
            col(SurveyRequest.status).in_(("asked", "done")),
        )
    ).all()
    rows = [_request(r.person_id, r.pathway_id, "follow_up", r.items.split(","), now) for r in due]
    insert_ignore(session, SurveyRequest, rows)


def _send_owed(planner: Planner, session: Session, now: datetime) -> int:
    """Each owed survey's first question, at the person's next allowed time."""
    owed = session.exec(
        select(SurveyRequest)
        .where(
            SurveyRequest.status == "owed",
            (col(SurveyRequest.tried_at).is_(None)) | (col(SurveyRequest.tried_at) <= now - RETRY),
        )
        .order_by(col(SurveyRequest.id))
        .limit(BATCH)
    ).all()
    if not owed:
        return 0
    persons = {
        p.id: p
        for p in session.exec(select(Person).where(col(Person.id).in_({r.person_id for r in owed})))
    }
    states = planner.load(session, list(persons.values()))
    rows = []
    for request in owed:
        state = states.get(request.person_id)
        why = _no_longer(planner.content, request, state)
        if why:
            request.status, request.reason, request.finished_at = "cancelled", why, now
        elif state is None or state.target() is None or state.person.stopped_at is not None:
            # Not reachable (yet): tried again later, until the moment has passed.
            request.tried_at = now
            if now - request.created_at > EXPIRES:
                request.status, request.finished_at = "cancelled", now
                request.reason = "could not be reached while it mattered"
        elif (due := _allowed_from(planner, state, now)) > now:
            # Not now (quiet hours, a weekend, a pause): looked at again then, so whatever
            # happens meanwhile (a course begun, a finish undone) is taken into account.
            request.tried_at = due - RETRY
        else:
            row = _row(planner, session, state, request, "survey.opening_" + request.phase, now)
            if row is not None:
                rows.append(row)
                request.status, request.asked_at, request.tried_at = "asked", now, now
            else:
                request.status, request.reason, request.finished_at = "cancelled", "no items", now
        session.add(request)
    return insert_ignore(session, OutboxMessage, rows)


def _allowed_from(planner: Planner, state: PersonState, now: datetime) -> datetime:
    """The first moment from now that a message may reach this person."""
    return planner.deliverable(state.person, now, planner.zone_of(state.person))


def _no_longer(content: Content, request: SurveyRequest, state: PersonState | None) -> str:
    """Why asking this survey no longer makes sense, or ''."""
    if state is None:
        return "no longer on the roster"
    enrolled = [e for e in state.enrolled if e.pathway_id == request.pathway_id]
    if not enrolled:
        return "no longer enrolled in the pathway"
    pathway = content.pathways.get(request.pathway_id)
    if pathway is None:
        return "the pathway is no longer in the content"
    began = enrolled[0].enrolled_at
    if request.phase == "pre" and any(
        state.completed.get(c, began) > began for c in pathway.courses
    ):
        return "training had begun before it could be asked"
    if request.phase in ("post", "follow_up"):
        found = statuses(content, enrolled, state.completed)
        if not found or not found[0].complete:
            return "the pathway is no longer finished"
    return ""


def _row(
    planner: Planner,
    session: Session,
    state: PersonState,
    request: SurveyRequest,
    opening: str,
    now: datetime,
    suffix: str = "ask",
) -> dict[str, Any] | None:
    target = state.target()
    # Owed or never answered (the reminder's rule): no answers yet, so the first question.
    first = next(iter(questions(planner.content, request)), None)
    if target is None or first is None:
        return None
    ctx = planner.ctx(session, state.person)
    message = question_message(ctx, request, first, opening=opening)
    person = state.person
    return planner.row(
        f"survey:{request.id}:{suffix}",
        KIND,
        target,
        message.to_json(),
        now,
        person_id=person.id,
        created=now,
    )


def _remind(planner: Planner, session: Session, now: datetime) -> int:
    """One reminder for a survey nobody has answered, the content's days after asking."""
    wait = timedelta(days=planner.content.surveys.settings.remind_after_days)
    waiting = session.exec(
        select(SurveyRequest)
        .where(
            SurveyRequest.status == "asked",
            col(SurveyRequest.reminded_at).is_(None),
            col(SurveyRequest.asked_at) <= now - wait,
            ~select(SurveyAnswer.id).where(SurveyAnswer.request_id == SurveyRequest.id).exists(),
        )
        .order_by(col(SurveyRequest.id))
        .limit(BATCH)
    ).all()
    if not waiting:
        return 0
    persons = list(
        session.exec(select(Person).where(col(Person.id).in_({r.person_id for r in waiting})))
    )
    states = planner.load(session, persons)
    rows = []
    for request in waiting:
        state = states.get(request.person_id)
        if state is not None and _allowed_from(planner, state, now) > now:
            continue  # looked at again in their allowed hours: they may have answered
        request.reminded_at = now  # once, whatever happens: never a second reminder
        session.add(request)
        if _no_longer(planner.content, request, state):
            continue
        if state is None or state.person.stopped_at is not None:
            continue
        row = _row(planner, session, state, request, "survey.reminder", now, "reminder")
        if row is not None:
            rows.append(row)
    return insert_ignore(session, OutboxMessage, rows)
