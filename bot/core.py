"""The one way in: :meth:`Bot.handle` takes an :class:`Incoming` and answers.

Flow for every request: find the person behind the platform identity (linking
it by email the first time), parse the text into a command, check the role the
command needs, run its handler in one database transaction, and wrap the
messages as :class:`Outgoing`. A refusal or a person's mistake gets a friendly
answer and changes nothing; anything unexpected is logged with its context,
rolled back, and answered with a short apology.

Adapters also use a few small services here: whether a platform user is
already linked (so they look a profile up only once), whether an event id is
new (so a retried event is acted on once), and a record of messages a platform
refused (shown to admins).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, delete, select, update

from bot import commands as c
from bot import guessing, metrics, parser, retention, survey_asking
from bot.clock import Clock
from bot.content import Content
from bot.context import Actor, Ctx, Job, Refused, WebAccess
from bot.db import LOCK_RETRIES, insert_ignore, is_lock_timeout, session_scope
from bot.guard import reply_note
from bot.handlers import HANDLERS, PERSONAL
from bot.handlers.imports import import_to
from bot.imports import Options, Outcome
from bot.markup import to_plain
from bot.messages import Incoming, Message, Outgoing, Reply, Text
from bot.models import (
    Conversation,
    DeliveryIssue,
    HandledEvent,
    OutboxMessage,
    Person,
    Schedule,
    StoredFile,
)
from bot.planning import GRACE, Planner, PlanReport
from bot.retention import EVENT_MEMORY, RetentionSettings
from bot.store import (
    conversation_state,
    identity_exists,
    keep_workspace,
    link_identity,
    people_named,
    person_by_email,
    person_for_identity,
    roles_of,
)
from bot.templates import Templates
from bot.timeparse import zone_or_none

log = logging.getLogger("huddle.core")

PRUNE_EVERY = 1000


class Bot:
    """Huddle's core, independent of any chat platform."""

    def __init__(
        self,
        content: Content,
        engine: Engine,
        clock: Clock,
        web: WebAccess | None = None,
        retention: RetentionSettings | None = None,
    ) -> None:
        self.content = content
        self.engine = engine
        self.clock = clock
        self.templates = Templates(content.templates)
        #: Where people open the dashboard, and its link-signing key ("": the database's).
        self.web = web or WebAccess()
        #: How long what Huddle holds only to work is kept (swept once a day by the tick).
        self.retention = retention or RetentionSettings()
        self._events_seen = 0

    # --- the way in ---------------------------------------------------------------------

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Answer one message, slash command or button click, with any long work it
        starts done at once (the terminal, tests); adapters use :meth:`respond`."""
        reply = self.respond(incoming)
        return reply.outgoing + (reply.later() if reply.later is not None else [])

    def respond(self, incoming: Incoming) -> Reply:
        """Answer one message, and say whether the command may have changed anything."""
        command: c.Command | None = None
        if incoming.not_for_sender:
            # Someone pressed a button on an answer to someone else (in a channel thread,
            # say): it would act for them, on that person's course. Nothing is done.
            refusal = self._say("button.not_yours")
            return Reply([Outgoing(refusal)], not_yours=True)
        try:
            command = (
                c.ImportFile(words=incoming.text) if incoming.files else parser.parse(incoming.text)
            )
            for attempt in range(LOCK_RETRIES):
                try:
                    return self._timed(incoming, command)
                except OperationalError as exc:
                    # SQLite only: a writer held the lock past the busy timeout. Nothing was
                    # written (the transaction rolled back), so trying again is safe.
                    if not is_lock_timeout(exc) or attempt == LOCK_RETRIES - 1:
                        raise
                    log.warning("database busy; retrying %s", type(command).__name__)
            raise AssertionError("unreachable")  # pragma: no cover
        except Exception:
            # Never the words: they are the person's (and may hold what the guard exists
            # to keep out); the command and who sent it are enough to find the fault.
            log.exception(
                "could not handle %s message from %s:%s (%s, %s characters)",
                incoming.via,
                incoming.platform,
                incoming.user_id,
                type(command).__name__ if command else "unparsed",
                len(incoming.text),
            )
            shown = incoming.text if len(incoming.text) <= 200 else incoming.text[:200] + "…"
            return Reply([Outgoing(self._say("error.apology", text=shown))])

    def _timed(self, incoming: Incoming, command: c.Command) -> Reply:
        """:meth:`_respond`, counted for /metrics by platform and command."""
        labels = {"platform": incoming.platform, "command": type(command).__name__}
        started = time.perf_counter()
        try:
            return self._respond(incoming, command)
        finally:
            took = time.perf_counter() - started
            metrics.COMMANDS.labels(**labels).inc()
            metrics.COMMAND_SECONDS.labels(**labels).observe(took)
            # What was asked and by whom, never the words.
            log.info(
                "%s from %s:%s answered in %.0f ms",
                labels["command"],
                incoming.platform,
                incoming.user_id,
                took * 1000,
            )

    def _respond(self, incoming: Incoming, command: c.Command) -> Reply:
        # A command that writes, or a first contact that may link an identity (adapters
        # send the email only then), takes the write lock up front on SQLite.
        write = not command.read_only or incoming.email is not None
        with session_scope(self.engine, write=write) as session:
            person = self._identify(session, incoming)
            if person is None:
                unknown = Outgoing(self._say("unknown_person", **self._contact()))
                return Reply([unknown], identified=False)
            actor = Actor(
                label=person.email, roles=roles_of(session, person.id or 0), person=person
            )
            jobs: list[Job] = []
            answers = self._run(session, actor, command, incoming=incoming, jobs=jobs)
        # Buttons on answers to this person act for this person only.
        addressed = [_addressed(a, incoming.user_id) for a in answers]
        later = self._later(jobs, incoming, type(command).__name__) if jobs else None
        return Reply(addressed, changed=not command.read_only, later=later)

    def _later(
        self, jobs: list[Job], incoming: Incoming | None, what: str
    ) -> Callable[[], list[Outgoing]]:
        """The promised work as one call that never raises: a failure is logged and
        answered with an apology, like any other."""

        def work() -> list[Outgoing]:
            out: list[Outgoing] = []
            for job in jobs:
                try:
                    answers = job()
                except Exception:
                    log.exception(
                        "long work for %s failed (%s)", what, incoming and incoming.user_id
                    )
                    shown = incoming.text[:200] if incoming else what
                    answers = [self._say("error.apology", text=shown)]
                user = incoming.user_id if incoming else ""
                out.extend(_addressed(a, user) for a in answers)
            return out

        return work

    def run_as_operator(
        self, text: str, operator: str, progress: Callable[[int, int], None] | None = None
    ) -> list[Message]:
        """Run typed admin words for someone with shell access to the server."""
        return self.run_command(parser.parse(text), operator, progress)

    def run_command(
        self,
        command: c.Command,
        operator: str,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Message]:
        """Run a command for the server operator (the CLI): the same handlers as chat."""
        actor = Actor(label=f"cli:{operator}", roles=frozenset({"admin"}))
        jobs: list[Job] = []
        with session_scope(self.engine, write=not command.read_only) as session:
            answers = list(self._run(session, actor, command, progress=progress, jobs=jobs))
        if jobs:
            answers += self._later(jobs, None, type(command).__name__)()
        return [a.message if isinstance(a, Outgoing) else a for a in answers]

    def run_for_person(self, person_id: int, text: str) -> list[Message]:
        """Run typed words for a person on the roster who is not in a chat (the dashboard):
        the same parser, role checks, handlers and audit trail as chat."""
        command = parser.parse(text)
        with session_scope(self.engine, write=not command.read_only) as session:
            person = session.get(Person, person_id)
            if person is None:
                return [self._say("unknown_person", **self._contact())]
            actor = Actor(label=person.email, roles=roles_of(session, person_id), person=person)
            jobs: list[Job] = []
            answers = list(self._run(session, actor, command, jobs=jobs))
        if jobs:
            answers += self._later(jobs, None, type(command).__name__)()
        return [a.message if isinstance(a, Outgoing) else a for a in answers]

    def import_completions(
        self,
        path: Path,
        options: Options,
        operator: str,
        *,
        errors_to: Path,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[list[Message], Outcome | None]:
        """Import a learning-site export for the server operator (``huddle completions
        import``): the summary, and what the import did (None if it could not start)."""
        actor = Actor(label=f"cli:{operator}", roles=frozenset({"admin"}))
        with Session(self.engine) as session:
            ctx = Ctx(
                session=session,
                content=self.content,
                clock=self.clock,
                templates=self.templates,
                actor=actor,
                progress=progress,
                engine=self.engine,
            )
            return import_to(ctx, path, replace(options, actor=actor.label), errors_to)

    # --- services for adapters ----------------------------------------------------------

    @staticmethod
    def is_quick(text: str) -> bool:
        """Whether these words ask something small and read-only (see Command.quick)."""
        return parser.parse(text).quick

    def people_named(self, words: str) -> list[tuple[str, str, str]]:
        """(email, name, team) of each person on the roster an ``@words`` could mean, for
        a platform with no mentions of its own (the terminal)."""
        with Session(self.engine) as session:
            return [(p.email, p.name, team) for p, team in people_named(session, words)]

    def screen_reply(self, platform: str, user_id: str, text: str) -> Message | None:
        """The private (ephemeral) note for someone whose message, already posted in a
        thread Huddle follows (a case discussion), looks like it holds patient
        identifiers: which parts, and that Huddle cannot delete it, so would they edit
        it. None if nothing looks like one. Nothing is stored."""
        with Session(self.engine) as session:
            note = reply_note(session, self.content, self.templates, self.clock.now(), text)
        if note is not None:
            # Who and where, never what: the text itself is not kept, not even in the log.
            log.info("a %s message from %s looked like it held patient details", platform, user_id)
        return note

    def stored_file(self, file_id: str) -> tuple[str, str, bytes] | None:
        """(name, media type, bytes) of a file the core made for sending (see
        :class:`bot.messages.Attachment`), or None once it is gone."""
        with Session(self.engine) as session:
            found = session.get(StoredFile, file_id)
            return (found.name, found.media_type, found.content) if found else None

    def file_refusal(self, platform: str, user_id: str) -> Message | None:
        """The answer for someone who may not send files to import (the role
        :class:`bot.commands.ImportFile` needs), so an adapter need not fetch their file
        first; None when they may, or are not linked yet (the core asks them first)."""
        with Session(self.engine) as session:
            person = person_for_identity(session, platform, user_id)
            if person is None:
                return None
            roles = roles_of(session, person.id or 0)
            actor = Actor(label=person.email, roles=roles, person=person)
            ctx = Ctx(session, self.content, self.clock, self.templates, actor)
            return self._refusal(ctx, c.ImportFile())

    def knows(self, platform: str, user_id: str) -> bool:
        """Whether this platform user is already linked to a person on the roster."""
        with Session(self.engine) as session:
            return identity_exists(session, platform, user_id)

    def first_time(self, platform: str, event_id: str) -> bool:
        """Record an event id; True only the first time it is seen, on any replica.

        Ids older than a week are forgotten now and then: platforms retry for minutes.
        """
        now = self.clock.now()
        with session_scope(self.engine) as session:
            added = insert_ignore(
                session,
                HandledEvent,
                [{"platform": platform, "event_id": event_id, "received_at": now}],
            )
            self._events_seen += 1
            if self._events_seen % PRUNE_EVERY == 0:
                session.execute(
                    delete(HandledEvent).where(col(HandledEvent.received_at) < now - EVENT_MEMORY)
                )
        return added == 1

    def note_delivery_issue(
        self,
        platform: str,
        target: str,
        error: str,
        detail: str = "",
        person_user_id: str | None = None,
    ) -> None:
        """Keep a refused delivery for the admins' summary, and log it."""
        log.warning("delivery refused on %s to %s: %s %s", platform, target, error, detail)
        with session_scope(self.engine) as session:
            person = (
                person_for_identity(session, platform, person_user_id) if person_user_id else None
            )
            session.add(
                DeliveryIssue(
                    at=self.clock.now(),
                    platform=platform,
                    target=target[:255],
                    person_id=person.id if person else None,
                    error=error[:64],
                    detail=detail[:1000],
                )
            )

    def workspace_removed(self, platform: str, workspace: str, reason: str) -> int:
        """Huddle was uninstalled from a workspace, or its tokens revoked: what was still
        waiting to go there is given up (failed, with ``reason``), and the admins' delivery
        problems say so. Returns how many waiting messages were given up.

        A ``workspace`` ending in ``:`` is an Enterprise Grid organisation (``E123:``):
        every workspace in it.
        """
        now = self.clock.now()
        where = (
            col(OutboxMessage.workspace).startswith(workspace, autoescape=True)
            if workspace.endswith(":")
            else col(OutboxMessage.workspace) == workspace
        )
        with session_scope(self.engine) as session:
            given_up = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.platform) == platform,
                    where,
                    col(OutboxMessage.status) == "pending",
                )
                .values(status="failed", last_error=reason, updated_at=now)
            )
            count = int(getattr(given_up, "rowcount", 0) or 0)
            session.add(
                DeliveryIssue(
                    at=now,
                    platform=platform,
                    target=workspace[:255],
                    error=reason[:64],
                    detail=f"{count} waiting messages given up",
                )
            )
        log.warning(
            "%s workspace %s: %s; %s waiting messages given up", platform, workspace, reason, count
        )
        return count

    def remember_conversation(
        self,
        platform: str,
        conversation_id: str,
        kind: str,
        reference: Mapping[str, Any],
        user_id: str | None = None,
    ) -> bool:
        """Save (or refresh) where the bot can write later. True the first time it is saved,
        and the first time again after it was marked unreachable (installed once more).

        Called on every inbound activity, so a changed service address is picked up at
        once; a person writing again is reachable again.
        """
        data = json.dumps(dict(reference), sort_keys=True)
        # Nearly always nothing has changed: find that out with one plain read.
        with Session(self.engine) as session:
            saved = conversation_state(session, platform, conversation_id)
        if saved is not None:
            reference_json, unreachable, has_person = saved
            if reference_json == data and not unreachable and (has_person or kind != "personal"):
                return False
        with session_scope(self.engine) as session:
            person = (
                person_for_identity(session, platform, user_id)
                if user_id and kind == "personal"
                else None
            )
            found = session.exec(
                select(Conversation).where(
                    Conversation.platform == platform,
                    Conversation.conversation_id == conversation_id,
                )
            ).first()
            now = self.clock.now()
            if found is None:
                row = {
                    "platform": platform,
                    "conversation_id": conversation_id,
                    "kind": kind,
                    "person_id": person.id if person else None,
                    "reference": data,
                    "updated_at": now,
                }
                return insert_ignore(session, Conversation, [row]) == 1
            revived = False
            if found.unreachable_since is not None:
                # Only the one request that clears the mark counts it (two install events
                # may arrive at once): the database decides.
                cleared = session.execute(
                    update(Conversation)
                    .where(
                        col(Conversation.id) == found.id,
                        col(Conversation.unreachable_since).is_not(None),
                    )
                    .values(unreachable_since=None, unreachable_reason="")
                    .execution_options(synchronize_session=False)
                )
                revived = getattr(cleared, "rowcount", 0) == 1
            found.reference = data
            found.updated_at = now
            if person is not None:
                found.person_id = person.id
            session.add(found)
        return revived

    def conversation(self, platform: str, conversation_id: str) -> ConversationInfo | None:
        """A saved conversation, or None."""
        with Session(self.engine) as session:
            found = session.exec(
                select(Conversation).where(
                    Conversation.platform == platform,
                    Conversation.conversation_id == conversation_id,
                )
            ).first()
            return ConversationInfo.of(found) if found else None

    def personal_conversation(self, platform: str, email: str) -> ConversationInfo | None:
        """The saved personal chat with someone on a platform, or None."""
        with Session(self.engine) as session:
            person = person_by_email(session, email)
            if person is None:
                return None
            found = session.exec(
                select(Conversation)
                .where(
                    Conversation.platform == platform,
                    Conversation.person_id == person.id,
                    Conversation.kind == "personal",
                )
                .order_by(col(Conversation.updated_at).desc())
            ).first()
            return ConversationInfo.of(found) if found else None

    def reach_member(self, platform: str, user_id: str, addresses: Sequence[str]) -> bool:
        """Whether to start a personal chat with a member of a team the bot was added to.

        True for someone on the roster (by their platform identity, else by one of
        ``addresses``: the emails the platform gives, linked then as at first contact)
        with no personal conversation saved on the platform yet. A saved one, even one
        marked unreachable (they blocked or removed the bot), means no: their choice
        stands. Nothing at all is stored about someone not on the roster.
        """
        with Session(self.engine) as session:
            person = person_for_identity(session, platform, user_id)
            linked = person is not None
            for address in addresses:
                if person is not None:
                    break
                if address:
                    person = person_by_email(session, address)
            if person is None or person.id is None:
                return False
            saved = session.exec(
                select(Conversation.id).where(
                    Conversation.platform == platform,
                    Conversation.person_id == person.id,
                    Conversation.kind == "personal",
                )
            ).first()
            if saved is not None:
                return False
            person_id = person.id
        if not linked:
            with session_scope(self.engine) as session:
                link_identity(session, platform, user_id, person_id, self.clock.now())
        return True

    def mark_unreachable(self, platform: str, conversation_id: str, reason: str) -> None:
        """The platform says the person blocked or removed the bot: stop writing there."""
        with session_scope(self.engine) as session:
            found = session.exec(
                select(Conversation).where(
                    Conversation.platform == platform,
                    Conversation.conversation_id == conversation_id,
                )
            ).first()
            if found is None or found.unreachable_since is not None:
                return
            found.unreachable_since = self.clock.now()
            found.unreachable_reason = reason[:255]
            session.add(found)
            person_id = found.person_id
            session.add(
                DeliveryIssue(
                    at=self.clock.now(),
                    platform=platform,
                    target=conversation_id[:255],
                    person_id=person_id,
                    error="blocked",
                    detail=reason[:1000],
                )
            )
        log.warning("%s conversation %s is unreachable: %s", platform, conversation_id, reason)

    def forget_conversation(self, platform: str, conversation_id: str) -> None:
        """The bot was removed from this conversation (uninstalled)."""
        with session_scope(self.engine) as session:
            session.execute(
                delete(Conversation).where(
                    col(Conversation.platform) == platform,
                    col(Conversation.conversation_id) == conversation_id,
                )
            )

    # --- scheduled messages -------------------------------------------------------------

    def planner(self, platforms: Sequence[str], grace: timedelta = GRACE) -> Planner:
        """A planner delivering to these platforms (those with a sender running).

        ``grace``: how late a missed occurrence may still be sent after downtime.
        """
        return Planner(self.content, self.templates, self.clock, platforms, grace)

    def tick(self, planner: Planner) -> PlanReport:
        """Plan everything now due: each active schedule, then settled celebrations.

        Each schedule is planned in its own transaction, so one broken schedule does
        not hold up the others. Safe to run on every replica at once.
        """
        started = time.perf_counter()
        try:
            report = self._tick(planner)
        except Exception:
            metrics.TICKS.labels(result="error").inc()
            raise
        metrics.TICKS.labels(result="error" if report.errors else "ok").inc()
        metrics.TICK_SECONDS.observe(time.perf_counter() - started)
        return report

    def _tick(self, planner: Planner) -> PlanReport:
        now = self.clock.now()
        report = PlanReport()
        with Session(self.engine) as session:
            ids = list(session.exec(select(Schedule.id).where(Schedule.status == "active")))
        for schedule_id in ids:
            try:
                with session_scope(self.engine) as session:
                    schedule = session.get(Schedule, schedule_id)
                    if schedule is None or schedule.status != "active":
                        continue
                    written, skipped = planner.plan_schedule(session, schedule, now)
            except Exception as exc:
                log.exception("planning schedule %s failed", schedule_id)
                report.errors.append(f"#{schedule_id}: {exc!r}"[:300])
                continue
            report.schedules += 1
            report.written += written
            report.skipped += skipped
        with session_scope(self.engine) as session:
            report.celebrations = planner.plan_celebrations(session, now)
        try:
            with session_scope(self.engine) as session:
                report.surveys = survey_asking.plan(planner, session, now)
        except Exception as exc:
            log.exception("planning comfort surveys failed")
            report.errors.append(f"surveys: {exc!r}"[:300])
        try:
            swept = retention.daily(self.engine, self.retention, now)
        except Exception as exc:
            log.exception("the daily retention sweep failed; the next tick tries again")
            report.errors.append(f"retention: {exc!r}"[:300])
        else:
            if swept is not None:
                report.swept = swept.total
                log.info("retention: deleted %s", swept.detail())
        return report

    def ensure_default_schedules(self) -> None:
        """The champions' weekly digest exists unless an admin has cancelled it."""
        with session_scope(self.engine) as session:
            if self.engine.dialect.name == "postgresql":  # replicas starting together
                session.execute(text("SELECT pg_advisory_xact_lock(4877001)"))
            existing = session.exec(
                select(Schedule.id).where(
                    Schedule.kind == "digest", Schedule.created_by == "system"
                )
            ).first()
            if existing is not None:
                return
            now = self.clock.now()
            session.add(
                Schedule(
                    kind="digest",
                    audience="champions",
                    when="every monday 09:00",
                    created_by="system",
                    created_at=now,
                    updated_at=now,
                    starts_at=now,
                    planned_until=now,
                )
            )

    def say(self, template: str, /, **values: str) -> Message:
        """A one-paragraph message from a template, for adapters' own notices."""
        return self._say(template, **values)

    # --- inside -------------------------------------------------------------------------

    def _run(
        self,
        session: Session,
        actor: Actor,
        command: c.Command,
        *,
        incoming: Incoming | None = None,
        progress: Callable[[int, int], None] | None = None,
        jobs: list[Job] | None = None,
    ) -> Sequence[Message | Outgoing]:
        def run_command(later: c.Command) -> Sequence[Message | Outgoing]:
            with session_scope(self.engine, write=not later.read_only) as own:
                return self._run(own, actor, later, incoming=incoming, jobs=jobs)

        ctx = Ctx(
            session=session,
            content=self.content,
            clock=self.clock,
            templates=self.templates,
            actor=actor,
            incoming=incoming,
            progress=progress,
            engine=self.engine,
            jobs=jobs if jobs is not None else [],
            run_command=run_command,
            web=self.web,
        )
        if isinstance(command, c.Unknown) and incoming is not None:
            # The second stage: words the exact grammar did not take, matched against the
            # content's examples. Run what they surely mean if it only shows or asks;
            # otherwise ask first (nothing is written on a guess).
            understood = guessing.understand(ctx, command)
            if isinstance(understood, list):
                return understood
            command = understood
        refusal = self._refusal(ctx, command)
        if refusal is not None:
            return [refusal]
        handler = HANDLERS[type(command)]
        if command.read_only:
            try:
                return handler(ctx, command)
            except Refused as refused:
                return [refused.message]
        savepoint = session.begin_nested()
        try:
            answers = handler(ctx, command)
        except Refused as refused:
            # A refusal is decided before writing; roll back anything a handler began anyway.
            savepoint.rollback()
            return [refused.message]
        savepoint.commit()
        return answers

    def _refusal(self, ctx: Ctx, command: c.Command) -> Message | None:
        if ctx.actor.is_operator:
            if type(command) in PERSONAL:
                return ctx.say("needs_person")
            return None
        need = command.needs
        if need == "anyone":
            return None
        if need == "admin" and not ctx.actor.is_admin:
            return ctx.say("needs_role", role=ctx.plain("role.admin"))
        if need == "champion" and not (ctx.actor.is_admin or ctx.actor.has("champion")):
            return ctx.say("needs_role", role=ctx.plain("role.champion"))
        if need == "reporter" and not (
            ctx.actor.is_admin or ctx.actor.has("champion") or ctx.actor.has("senior_leader")
        ):
            return ctx.say("needs_role", role=ctx.plain("role.champion"))
        return None

    def _identify(self, session: Session, incoming: Incoming) -> Person | None:
        """The person behind a platform identity, linking it by email the first time."""
        person = person_for_identity(session, incoming.platform, incoming.user_id)
        if person is not None and incoming.workspace:
            keep_workspace(session, incoming.platform, incoming.user_id, incoming.workspace)
        if person is None and incoming.email:
            person = person_by_email(session, incoming.email)
            if person is not None:
                link_identity(
                    session,
                    incoming.platform,
                    incoming.user_id,
                    person.id or 0,
                    self.clock.now(),
                    incoming.workspace,
                )
        if (
            person is not None
            and not person.timezone
            and incoming.timezone
            and zone_or_none(incoming.timezone) is not None
        ):
            person.timezone = incoming.timezone
            session.add(person)
        return person

    def _contact(self) -> dict[str, str]:
        init = self.content.initiative
        return {
            "initiative": init.name,
            "contact_name": init.setup.contact.name,
            "contact_email": init.setup.contact.email,
            "contact_phone": init.setup.contact.phone,
        }

    def _say(self, template: str, /, **values: str) -> Message:
        md = self.templates.md(template, **values)
        return Message(blocks=(Text(md),), summary=to_plain(md), kind=template)


@dataclass(frozen=True)
class ConversationInfo:
    """A saved conversation, as adapters and the scheduler need it."""

    platform: str
    conversation_id: str
    kind: str
    person_id: int | None
    reference: dict[str, Any]
    unreachable: bool

    @classmethod
    def of(cls, row: Conversation) -> ConversationInfo:
        return cls(
            platform=row.platform,
            conversation_id=row.conversation_id,
            kind=row.kind,
            person_id=row.person_id,
            reference=json.loads(row.reference or "{}"),
            unreachable=row.unreachable_since is not None,
        )


def _addressed(answer: Message | Outgoing, asker: str) -> Outgoing:
    """The answer as an Outgoing; a private one's buttons are the asker's."""
    out = answer if isinstance(answer, Outgoing) else Outgoing(answer)
    if out.visibility == "private":
        return Outgoing(out.message.owned_by(asker), out.visibility, out.channel_id)
    return out
