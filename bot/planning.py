"""Planning: from schedules and celebrations to outbox rows, exactly once.

A tick (every minute, on every replica) asks this module what is due. For
each active schedule it works out the occurrences since it last planned, in
each recipient's own local time (or the schedule's zone), and writes one
outbox row per occurrence and recipient. The row's ``dedupe_key`` is the
schedule, the occurrence as a local wall-clock time, and the recipient, so a
tick that runs twice, or on two replicas, writes it once; keying by local time
also gives exactly one message per occurrence across daylight-saving changes.

What a person gets is decided here too:

- never inside their quiet hours (default 20:00-08:00) or on a weekend they
  keep free: such a time moves to the next allowed time;
- never while paused: the message moves to the end of the pause;
- a snoozed course is not nudged until the snooze ends;
- after three next-course reminders for the same course with no progress, no
  more until something changes (the champion's digest lists who is stuck);
- an occurrence missed by downtime is still sent if it is less than the grace
  (12 hours) late and the person is not in quiet hours now; otherwise it is
  written as skipped, with the reason, and never sent.

Messages are built here, with the recipient's real mentions, and stored as
JSON; the delivery worker only sends.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot import audience as aud
from bot.celebrations import celebrates
from bot.clock import Clock
from bot.compose import course_blocks, credits_text, first_name, setup_blocks
from bot.content import Content, Course
from bot.context import Actor, Ctx
from bot.counts import team_counts
from bot.db import insert_ignore
from bot.markup import escape
from bot.mentions import mention
from bot.messages import Block, Divider, Heading, Message, Table, Text
from bot.models import (
    Celebration,
    Completion,
    Conversation,
    Enrolment,
    OutboxMessage,
    Person,
    PersonRole,
    PlatformIdentity,
    Schedule,
    SessionRsvp,
    Snooze,
    Team,
    TeamChannel,
)
from bot.progress import Enrolled, next_step, statuses
from bot.recurrence import (
    Recurrence,
    RecurrenceError,
    before_meeting,
    instants,
    meeting_recurrence,
    parse_when,
    to_utc,
)
from bot.scopes import Scope
from bot.templates import Markdown, Templates
from bot.timeparse import format_date, in_quiet_hours, parse_quiet_hours, zone_or_none

log = logging.getLogger("huddle.planning")

GRACE = timedelta(hours=12)
#: The last zone in which a day ends (UTC-12): a one-off local time is past everywhere
#: once it is past here.
LAST_ZONE = ZoneInfo("Etc/GMT+12")
#: An occurrence planned later than this after its time was missed (downtime).
LATE = timedelta(minutes=5)
#: How far back a tick looks at most (a long outage is not replayed day by day).
LOOKBACK = timedelta(days=7)
CELEBRATION_DEBOUNCE = timedelta(seconds=60)
#: More completions than this for one team in one batch become one digest post.
DIGEST_ABOVE = 3
NUDGE_LIMIT = 3
CHUNK = 500
SESSION_REMINDER = timedelta(hours=1)

#: kind -> who receives it: people, channels, or either (the audience decides).
KINDS: dict[str, str] = {
    "next_course": "people",
    "setup": "people",
    "case": "channels",
    "leaderboard": "channels",
    "session": "either",
    "custom": "either",
    "digest": "people",
}
KIND_NAMES: dict[str, str] = {
    "next-course": "next_course",
    "next": "next_course",
    "reminder": "next_course",
    "next_course": "next_course",
    "setup": "setup",
    "account-setup": "setup",
    "account": "setup",
    "case": "case",
    "case-prompt": "case",
    "case-discussion": "case",
    "cases": "case",
    "leaderboard": "leaderboard",
    "progress": "leaderboard",
    "progress-post": "leaderboard",
    "session": "session",
    "group-session": "session",
    "custom": "custom",
    "message": "custom",
    "digest": "digest",
    "champion-digest": "digest",
}


@dataclass(frozen=True)
class Target:
    """Where a message goes: a platform and its id for the person or channel."""

    platform: str
    target: str


@dataclass
class PlanReport:
    """What a tick did."""

    schedules: int = 0
    written: int = 0
    skipped: int = 0
    celebrations: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class _PersonState:
    person: Person
    enrolled: list[Enrolled] = field(default_factory=list)
    completed: dict[str, datetime] = field(default_factory=dict)
    targets: list[tuple[datetime, Target]] = field(default_factory=list)
    snoozes: dict[str, date] = field(default_factory=dict)
    nudges: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def last_progress(self) -> datetime | None:
        times = [*self.completed.values(), *(e.enrolled_at for e in self.enrolled)]
        if self.person.account_confirmed_at:
            times.append(self.person.account_confirmed_at)
        return max(times, default=None)

    def target(self) -> Target | None:
        return max(self.targets, key=lambda t: t[0])[1] if self.targets else None


def kind_of(text: str) -> str | None:
    return KIND_NAMES.get(text.strip().lower())


class Planner:
    """Turns schedules and celebrations into outbox rows."""

    def __init__(
        self,
        content: Content,
        templates: Templates,
        clock: Clock,
        platforms: Sequence[str],
        grace: timedelta = GRACE,
    ) -> None:
        self.content = content
        self.templates = templates
        self.clock = clock
        self.platforms = tuple(platforms)
        self.grace = grace
        self.org_zone = ZoneInfo(content.initiative.defaults.timezone)

    # --- entry points -------------------------------------------------------------------

    def plan_schedule(
        self, session: Session, schedule: Schedule, now: datetime, send_now: bool = False
    ) -> tuple[int, int]:
        """Write the rows now due for one schedule. Returns (written, skipped)."""
        try:
            # Read against the earliest date anywhere: a one-off time still ahead for
            # recipients west of the organisation is not "in the past" yet. A prompt timed
            # before each team's meeting has no recurrence of its own.
            recurrence = (
                None
                if before_meeting(schedule.when) is not None
                else parse_when(schedule.when, now.astimezone(LAST_ZONE).date())
            )
        except RecurrenceError as exc:
            if send_now:
                recurrence = None
            elif exc.code == "in_past":
                # A one-off whose day is over everywhere: nothing more to announce, but a
                # session's reminders are still to come.
                return self._finish_once(session, schedule, now)
            else:
                log.error("schedule %s has an unreadable 'when' %r", schedule.id, schedule.when)
                return 0, 0
        audience = aud.parse_audience(schedule.audience, set(self.content.pathways))
        if schedule.team_id is not None:
            # A champion's schedule only ever reaches their own team.
            team = session.get(Team, schedule.team_id)
            audience = aud.Audience(
                **{**audience.__dict__, "teams": (team.key,) if team else ("-",)}
            )
        start = max(schedule.planned_until or schedule.starts_at, now - LOOKBACK)
        start = max(start, schedule.starts_at)
        params = json.loads(schedule.params or "{}")
        to_channels = KINDS[schedule.kind] == "channels" or (
            KINDS[schedule.kind] == "either" and audience.to_channels
        )
        if to_channels:
            result = self._plan_channels(
                session, schedule, recurrence, audience, params, start, now, send_now
            )
        else:
            result = self._plan_people(
                session, schedule, recurrence, audience, params, start, now, send_now
            )
        if schedule.kind == "session":
            result = _add(result, self._plan_session_reminders(session, schedule, params, now))
        if not send_now:
            schedule.planned_until = now
            if recurrence is not None and recurrence.once is not None:
                # Done once the time has passed for every recipient: in the schedule's
                # zone when it has one (or posts to channels), else in the last zone.
                fixed = schedule.timezone or to_channels
                last = self._schedule_zone(schedule) if fixed else LAST_ZONE
                if to_utc(recurrence.once, last) <= now and schedule.kind != "session":
                    schedule.status = "done"
            session.add(schedule)
        return result

    def _finish_once(self, session: Session, schedule: Schedule, now: datetime) -> tuple[int, int]:
        result = (0, 0)
        if schedule.kind == "session":
            params = json.loads(schedule.params or "{}")
            result = self._plan_session_reminders(session, schedule, params, now)
        else:
            schedule.status = "done"
        schedule.planned_until = now
        session.add(schedule)
        return result

    def plan_celebrations(self, session: Session, now: datetime) -> int:
        """Post celebrations that have settled: one by one, or as one digest per team."""
        pending = session.exec(
            select(Celebration)
            .where(
                col(Celebration.posted).is_(False),
                col(Celebration.created_at) <= now - CELEBRATION_DEBOUNCE,
            )
            .order_by(col(Celebration.id))
        ).all()
        if not pending:
            return 0
        by_team: dict[int | None, list[Celebration]] = defaultdict(list)
        for celebration in pending:
            by_team[celebration.team_id].append(celebration)
            celebration.posted = True
            session.add(celebration)
        rows: list[dict[str, Any]] = []
        for team_id, items in by_team.items():
            links = (
                []
                if team_id is None
                else list(
                    session.exec(
                        select(TeamChannel).where(
                            TeamChannel.team_id == team_id,
                            col(TeamChannel.platform).in_(self.platforms),
                        )
                    )
                )
            )
            if not links:
                continue
            team = session.get(Team, team_id)
            individual = (
                [c for c in items if c.kind != "course"] if len(items) > DIGEST_ABOVE else items
            )
            courses = [c for c in items if c.kind == "course"] if len(items) > DIGEST_ABOVE else []
            for link in links:
                target = Target(link.platform, link.channel_id)
                for item in individual:
                    message = self._celebration(session, item, team, link.platform)
                    if message is not None:
                        rows.append(
                            self._row(
                                f"celebration:{item.id}:{link.platform}:{link.channel_id}",
                                "celebration",
                                target,
                                message,
                                now,
                                team_id=team_id,
                                person_id=item.person_id,
                            )
                        )
                digest = (
                    self._celebration_digest(session, courses, team, link.platform)
                    if courses
                    else None
                )
                if digest is not None:
                    rows.append(
                        self._row(
                            f"celebration-digest:{courses[0].id}-{courses[-1].id}:{link.platform}:"
                            f"{link.channel_id}",
                            "celebration",
                            target,
                            digest,
                            now,
                            team_id=team_id,
                        )
                    )
        return insert_ignore(session, OutboxMessage, rows)

    # --- people ---------------------------------------------------------------------------

    def _plan_people(
        self,
        session: Session,
        schedule: Schedule,
        recurrence: Recurrence | None,
        audience: aud.Audience,
        params: dict[str, Any],
        start: datetime,
        now: datetime,
        send_now: bool,
    ) -> tuple[int, int]:
        if not send_now and not self._due_anywhere(session, schedule, recurrence, start, now):
            return 0, 0  # most ticks: nothing due in any zone, so nobody is loaded
        persons = aud.people(session, audience, now)
        if schedule.kind == "digest":
            persons = [p for p in persons if p.team_id is not None]
        written = skipped = 0
        cache: dict[Any, str] = {}
        for chunk_start in range(0, len(persons), CHUNK):
            chunk = persons[chunk_start : chunk_start + CHUNK]
            # A custom text or a session needs only where to write; reminders need progress.
            states = self._load(session, chunk, light=schedule.kind in ("custom", "session"))
            rows: list[dict[str, Any]] = []
            for zone, group in self._by_zone(schedule, chunk).items():
                for occurrence, at in self._occurrences(recurrence, zone, start, now, send_now):
                    for person in group:
                        row = self._person_row(
                            session,
                            schedule,
                            params,
                            states[person.id or 0],
                            occurrence,
                            at,
                            now,
                            cache,
                        )
                        if row is not None:
                            rows.append(row)
            _log_missed(schedule, rows)
            written += insert_ignore(session, OutboxMessage, rows)
            skipped += sum(1 for r in rows if r["status"] == "skipped")
        return written, skipped

    def _person_row(
        self,
        session: Session,
        schedule: Schedule,
        params: dict[str, Any],
        state: _PersonState,
        occurrence: str,
        at: datetime,
        now: datetime,
        cache: dict[Any, str],
    ) -> dict[str, Any] | None:
        person = state.person
        target = state.target()
        if target is None:
            return None  # no platform where Huddle can write to them (yet)
        key = f"s{schedule.id}:{occurrence}:p{person.id}"
        course_id = ""

        def row(message: str | None, when: datetime, **extra: Any) -> dict[str, Any]:
            return self._row(
                key,
                schedule.kind,
                target,
                message,
                when,
                schedule_id=schedule.id,
                person_id=person.id,
                course_id=course_id,
                occurrence=occurrence,
                **extra,
            )

        if schedule.kind == "next_course":
            found = statuses(self.content, state.enrolled, state.completed.keys())
            step = next_step(found)
            if step is None:
                return None
            course_id = step[1].id
            since = state.last_progress
            sent = sum(
                1 for c, t in state.nudges if c == course_id and (since is None or t > since)
            )
            if sent >= NUDGE_LIMIT:
                return row(
                    None,
                    now,
                    status="skipped",
                    reason=f"stuck: {NUDGE_LIMIT} reminders without progress",
                )
        message = self._person_message(session, schedule, params, state, cache)
        if message is None:
            return None
        late = now - at
        if late > self.grace:
            return row(
                message, now, status="skipped", reason="missed by more than the grace period"
            )
        # Quiet hours, weekends and pauses are the person's own, even when the schedule
        # fires in a fixed zone ("in Europe/London", "org time").
        own_zone = self.zone_of(person)
        local_now = now.astimezone(own_zone)
        if late > LATE and not self._allowed(person, local_now):
            return row(message, now, status="skipped", reason="missed, and now inside quiet hours")
        due = self.deliverable(
            person, max(at, now) if late > LATE else at, own_zone, state.snoozes.get(course_id)
        )
        if course_id:
            # Counted for the rest of this tick too (a long window may hold several);
            # occurrences skipped above were never sent, so they do not count.
            state.nudges.append((course_id, now))
        return row(message, due, created=now)

    def _person_message(
        self,
        session: Session,
        schedule: Schedule,
        params: dict[str, Any],
        state: _PersonState,
        cache: dict[Any, str],
    ) -> str | None:
        person = state.person
        ctx = self._ctx(session, person)
        kind = schedule.kind
        cache_key: tuple[Any, ...]
        if kind == "next_course":
            found = statuses(self.content, state.enrolled, state.completed.keys())
            step = next_step(found)
            if step is None:
                return None
            status, course = step
            confirmed = person.account_confirmed_at is not None
            cache_key = (
                "next",
                course.id,
                status.pathway.id,
                len(status.done),
                status.total,
                person.discipline,
                status.enrolled.due_on,
                confirmed,
                first_name(person),
            )
            if cache_key not in cache:
                cache[cache_key] = self._next_course_message(ctx, status, course).to_json()
            return cache[cache_key]
        if kind == "setup":
            if not state.enrolled:
                return None
            if person.account_confirmed_at is not None:
                # Set up but not started: the first step, introduced as a first step.
                if state.completed:
                    return None
                step = next_step(statuses(self.content, state.enrolled, ()))
                if step is None:
                    return None
                cache_key = ("start", step[1].id, step[0].pathway.id, person.discipline)
                cache_key += (first_name(person),)
                if cache_key not in cache:
                    cache[cache_key] = self._next_course_message(
                        ctx, step[0], step[1], "nudge.not_started"
                    ).to_json()
                return cache[cache_key]
            cache_key = ("setup", first_name(person))
            if cache_key not in cache:
                blocks: list[Block] = [
                    Text(ctx.md("nudge.setup", name=first_name(person))),
                    *setup_blocks(ctx),
                    ctx.actions(
                        ctx.button("button.account_created", "I've created my account", "primary")
                    ),
                ]
                cache[cache_key] = ctx.message("nudge.setup", blocks).to_json()
            return cache[cache_key]
        if kind == "digest":
            message = self._digest(session, ctx, person)
            return message.to_json() if message else None
        if kind == "session":
            return self._session_message(ctx, schedule, params).to_json()
        if kind == "custom":
            if "custom" not in cache:
                cache["custom"] = ctx.say(
                    "custom.message", text=Markdown(params.get("text", ""))
                ).to_json()
            return cache["custom"]
        return None

    def _next_course_message(
        self, ctx: Ctx, status: Any, course: Course, lead: str = "nudge.next_course"
    ) -> Message:
        person = ctx.actor.person
        assert person is not None
        blocks: list[Block] = [Text(ctx.md(lead, name=first_name(person)))]
        blocks += course_blocks(ctx, status, course)
        buttons = [
            ctx.button("button.mark_complete", f"done {course.id}", "primary"),
            ctx.button("button.snooze", f"snooze {course.id} a week"),
        ]
        if person.account_confirmed_at is None:
            buttons.append(ctx.button("button.setup", "setup"))
        buttons.append(ctx.button("button.pause", "pause for 2 weeks"))
        topic = self.content.initiative.topics[course.topic].title
        return ctx.message(
            "nudge.next_course",
            [*blocks, ctx.actions(*buttons)],
            ctx.plain("next.summary", title=course.title, topic=topic),
        )

    # --- when, and whether now is a good time ---------------------------------------------

    def _schedule_zone(self, schedule: Schedule) -> ZoneInfo:
        return (
            zone_or_none(schedule.timezone) or self.org_zone if schedule.timezone else self.org_zone
        )

    def zone_of(self, person: Person) -> ZoneInfo:
        return (zone_or_none(person.timezone) if person.timezone else None) or self.org_zone

    def _due_anywhere(
        self,
        session: Session,
        schedule: Schedule,
        recurrence: Recurrence | None,
        start: datetime,
        now: datetime,
    ) -> bool:
        """Whether an occurrence falls due in (start, now] in any zone a recipient can be in."""
        if schedule.timezone:
            zones = {self._schedule_zone(schedule)}
        else:
            names = session.exec(select(Person.timezone).distinct()).all()
            zones = {self.org_zone} | {
                zone for name in names if name and (zone := zone_or_none(name)) is not None
            }
        return any(self._occurrences(recurrence, zone, start, now, False) for zone in zones)

    def _by_zone(
        self, schedule: Schedule, persons: Iterable[Person]
    ) -> dict[ZoneInfo, list[Person]]:
        groups: dict[ZoneInfo, list[Person]] = defaultdict(list)
        fixed = zone_or_none(schedule.timezone) if schedule.timezone else None
        for person in persons:
            groups[fixed or self.zone_of(person)].append(person)
        return groups

    def _occurrences(
        self,
        recurrence: Recurrence | None,
        zone: ZoneInfo,
        start: datetime,
        now: datetime,
        send_now: bool,
    ) -> list[tuple[str, datetime]]:
        """(occurrence key, UTC time) for each occurrence in (start, now] in ``zone``."""
        if send_now:
            local = now.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
            return [(f"now-{local.isoformat(timespec='minutes')}", now)]
        assert recurrence is not None
        # Keyed by the wall-clock time at the instant: a time skipped by a clock change
        # that lands on another occurrence's instant is that occurrence (one message).
        return [
            (wall.isoformat(timespec="minutes"), at)
            for wall, at in instants(recurrence, zone, start, now)
        ]

    def quiet_span(self, person: Person) -> tuple[time, time] | None:
        if person.quiet_hours == "off":
            return None
        return parse_quiet_hours(person.quiet_hours or self.content.initiative.defaults.quiet_hours)

    def weekends_off(self, person: Person) -> bool:
        if person.weekends_off is None:
            return self.content.initiative.defaults.weekends_off
        return person.weekends_off

    def _allowed(self, person: Person, local: datetime) -> bool:
        span = self.quiet_span(person)
        if span is not None and in_quiet_hours(local.time(), span):
            return False
        return not (self.weekends_off(person) and local.weekday() >= 5)

    def deliverable(
        self, person: Person, at: datetime, zone: ZoneInfo, snoozed_until: date | None = None
    ) -> datetime:
        """The first moment at or after ``at`` a message may reach this person (UTC)."""
        local = at.astimezone(zone)
        for hold in (person.paused_until, snoozed_until):
            if hold is not None and local.date() < hold:
                local = datetime.combine(hold, local.timetz()).replace(tzinfo=zone)
        span = self.quiet_span(person)
        for _ in range(16):  # at most a weekend and a night to step over
            if self._allowed(person, local):
                break
            if span is not None and in_quiet_hours(local.time(), span):
                end_day = local.date() if local.time() < span[1] else local.date() + timedelta(1)
                local = to_utc(datetime.combine(end_day, span[1]), zone).astimezone(zone)
            else:  # a weekend day outside quiet hours: Monday, at the end of quiet hours
                days = 7 - local.weekday()
                morning = span[1] if span is not None else time(8, 0)
                local = to_utc(
                    datetime.combine(local.date() + timedelta(days), morning), zone
                ).astimezone(zone)
        return local.astimezone(at.tzinfo)

    # --- channels -------------------------------------------------------------------------

    def _plan_channels(
        self,
        session: Session,
        schedule: Schedule,
        recurrence: Recurrence | None,
        audience: aud.Audience,
        params: dict[str, Any],
        start: datetime,
        now: datetime,
        send_now: bool,
    ) -> tuple[int, int]:
        links = [
            link for link in aud.channels(session, audience) if link.platform in self.platforms
        ]
        zone = self._schedule_zone(schedule)
        ahead = before_meeting(schedule.when)
        rows: list[dict[str, Any]] = []
        skipped = 0
        for link in links:
            team = session.get(Team, link.team_id)
            if send_now or ahead is None:
                due = self._occurrences(recurrence, zone, start, now, send_now)
            else:  # ahead of this team's standing meeting (organisation time), if it has one
                meeting = meeting_recurrence(team.meeting) if team is not None else None
                due = (
                    [
                        (key, at - ahead)
                        for key, at in self._occurrences(
                            meeting, self.org_zone, start + ahead, now + ahead, False
                        )
                    ]
                    if meeting is not None
                    else []
                )
            for occurrence, at in due:
                message = self._channel_message(
                    session, schedule, params, team, link.platform, occurrence
                )
                if message is None or team is None:
                    continue
                late = now - at > self.grace
                skipped += late
                rows.append(
                    self._row(
                        f"s{schedule.id}:{occurrence}:c{link.platform}:{link.channel_id}",
                        schedule.kind,
                        Target(link.platform, link.channel_id),
                        message.to_json(),
                        now,
                        schedule_id=schedule.id,
                        team_id=team.id,
                        occurrence=occurrence,
                        status="skipped" if late else "pending",
                        reason="missed by more than the grace period" if late else "",
                    )
                )
        _log_missed(schedule, rows)
        return insert_ignore(session, OutboxMessage, rows), skipped

    def _channel_message(
        self,
        session: Session,
        schedule: Schedule,
        params: dict[str, Any],
        team: Team | None,
        platform: str,
        occurrence: str,
    ) -> Message | None:
        if team is None:
            return None
        ctx = self._ctx(session, None)
        if schedule.kind == "case":
            return self._case(session, ctx, team, occurrence)
        if schedule.kind == "leaderboard":
            return self._leaderboard(session, ctx, team, platform)
        if schedule.kind == "session":
            return self._session_message(ctx, schedule, params)
        if schedule.kind == "custom":
            return ctx.say("custom.message", text=Markdown(params.get("text", "")))
        return None

    def _case(self, session: Session, ctx: Ctx, team: Team, occurrence: str) -> Message | None:
        cases = self.content.cases
        if not cases:
            return None
        posted = session.exec(
            select(OutboxMessage.occurrence)
            .where(
                OutboxMessage.kind == "case",
                OutboxMessage.team_id == team.id,
                col(OutboxMessage.status).in_(("pending", "sending", "sent")),
            )
            .distinct()
        ).all()
        # Occurrences are local times; one sent on demand is "now-<local time>".
        before = sum(1 for o in posted if o.removeprefix("now-") < occurrence.removeprefix("now-"))
        case = cases[before % len(cases)]
        course = self.content.courses.get(case.course)
        topic = self.content.initiative.topics.get(case.topic)
        questions = Markdown("\n".join("- " + escape(q) for q in case.questions))
        blocks: list[Block] = [
            Heading(ctx.plain("case.heading", title=case.title)),
            Text(
                ctx.md(
                    "case.body", vignette=case.vignette, topic=topic.title if topic else case.topic
                )
            ),
            Text(ctx.md("case.questions", items=questions)),
        ]
        if course is not None:
            blocks.append(Text(ctx.md("case.footer", course=course.title, url=course.url)))
        return ctx.message("case", blocks, ctx.plain("case.heading", title=case.title))

    def _leaderboard(self, session: Session, ctx: Ctx, team: Team, platform: str) -> Message:
        counts = team_counts(ctx, Scope(everyone=True))
        teams = {t.id: t for t in session.exec(select(Team))}
        ranking = sorted(
            (
                (100 * counts.finished[tid] / n if n else 0.0, teams[tid].name)
                for tid, n in counts.people.items()
                if tid in teams
            ),
            key=lambda r: (-r[0], r[1]),
        )
        rows = tuple((str(i), name, f"{pct:.0f}%") for i, (pct, name) in enumerate(ranking, 1))
        people = counts.people[team.id] or 0
        finished = counts.finished[team.id]
        week_ago = self.clock.now() - timedelta(days=7)
        recent = session.exec(
            select(Person)
            .join(Completion, col(Completion.person_id) == col(Person.id))
            .where(Person.team_id == team.id, col(Completion.recorded_at) >= week_ago)
            .distinct()
        ).all()
        stars = [mention(ctx, p, platform) for p in recent if celebrates(p, self.content)]
        blocks: list[Block] = [
            Heading(ctx.plain("leaderboard.heading", team=team.name)),
            Text(
                ctx.md(
                    "leaderboard.summary",
                    team=team.name,
                    people=people,
                    finished=finished,
                    percent=f"{100 * finished / people:.0f}%" if people else "-",
                )
            ),
        ]
        if stars:
            blocks.append(Text(ctx.md("leaderboard.stars", names=Markdown(", ".join(stars)))))
        blocks.append(
            Table(
                tuple(ctx.plain("leaderboard.columns").split("|")),
                rows[:20],
                more=max(0, len(rows) - 20),
            )
        )
        return ctx.message("leaderboard", blocks)

    # --- sessions -------------------------------------------------------------------------

    def _session_when(self, schedule: Schedule, params: dict[str, Any]) -> datetime | None:
        try:
            local = datetime.fromisoformat(params["at"])
        except (KeyError, ValueError):
            return None
        return to_utc(local, self._schedule_zone(schedule))

    def _session_message(self, ctx: Ctx, schedule: Schedule, params: dict[str, Any]) -> Message:
        at = self._session_when(schedule, params)
        when = _spoken(at.astimezone(self._schedule_zone(schedule))) if at else params.get("at", "")
        return ctx.say(
            "session.announce",
            ctx.actions(ctx.button("button.rsvp", f"rsvp {schedule.id}", "primary")),
            title=params.get("title", ""),
            when=when,
            link=params.get("link", ""),
        )

    def _plan_session_reminders(
        self, session: Session, schedule: Schedule, params: dict[str, Any], now: datetime
    ) -> tuple[int, int]:
        at = self._session_when(schedule, params)
        if at is not None and now >= at and schedule.status == "active":
            schedule.status = "done"  # the session has begun: nothing more to send
        if at is None or not at - SESSION_REMINDER <= now < at:
            return 0, 0
        replies = session.exec(select(SessionRsvp).where(SessionRsvp.schedule_id == schedule.id))
        persons = [session.get(Person, r.person_id) for r in replies]
        states = self._load(session, [p for p in persons if p is not None])
        rows = []
        for state in states.values():
            target = state.target()
            if target is None:
                continue
            ctx = self._ctx(session, state.person)
            message = ctx.say(
                "session.reminder",
                title=params.get("title", ""),
                when=_spoken(at.astimezone(self.zone_of(state.person))),
                link=params.get("link", ""),
            )
            rows.append(
                self._row(
                    f"s{schedule.id}:reminder:p{state.person.id}",
                    "session",
                    target,
                    message.to_json(),
                    now,
                    schedule_id=schedule.id,
                    person_id=state.person.id,
                )
            )
        return insert_ignore(session, OutboxMessage, rows), 0

    # --- the champion's weekly digest ---------------------------------------------------

    def _digest(self, session: Session, ctx: Ctx, champion: Person) -> Message | None:
        if not session.exec(
            select(PersonRole).where(
                PersonRole.person_id == champion.id, PersonRole.role == "champion"
            )
        ).first():
            return None
        team = session.get(Team, champion.team_id)
        if team is None:
            return None
        now = self.clock.now()
        week_ago = now - timedelta(days=7)
        members = list(session.exec(select(Person).where(Person.team_id == team.id)))
        ids = [m.id for m in members]
        stuck_ids = set(
            session.exec(
                select(OutboxMessage.person_id).where(
                    col(OutboxMessage.person_id).in_(ids),
                    OutboxMessage.kind == "next_course",
                    OutboxMessage.status == "skipped",
                    col(OutboxMessage.last_error).startswith("stuck"),
                    col(OutboxMessage.created_at) >= week_ago,
                )
            )
        )
        states = self._load(session, members)
        stuck = [m.name for m in members if m.id in stuck_ids]
        behind = [
            m.name
            for m in members
            if states[m.id or 0].enrolled
            and m.id not in stuck_ids
            and next_step(
                statuses(
                    self.content, states[m.id or 0].enrolled, states[m.id or 0].completed.keys()
                )
            )
            is not None
            and max(states[m.id or 0].completed.values(), default=None) is None
        ]
        done = sorted(
            {
                m.name
                for m in members
                if any(t >= week_ago for t in states[m.id or 0].completed.values())
            }
        )
        blocks: list[Block] = [Heading(ctx.plain("digest.heading", team=team.name))]
        for key, names in (
            ("digest.done", done),
            ("digest.stuck", stuck),
            ("digest.behind", behind),
        ):
            if names:
                items = Markdown("\n".join("- " + escape(n) for n in names[:25]))
                blocks.append(Text(ctx.md(key, items=items, count=len(names))))
        if len(blocks) == 1:
            blocks.append(Text(ctx.md("digest.quiet")))
        blocks.append(ctx.actions(ctx.button("button.report", f"report team:{team.key}")))
        return ctx.message("digest", blocks)

    # --- celebrations ---------------------------------------------------------------------

    def _celebration(
        self, session: Session, item: Celebration, team: Team | None, platform: str
    ) -> str | None:
        ctx = self._ctx(session, None)
        if item.kind == "milestone":
            message = ctx.say(
                "celebrate.milestone", team=team.name if team else "-", percent=item.subject
            )
            return message.to_json()
        person = session.get(Person, item.person_id) if item.person_id else None
        if person is None or not celebrates(person, self.content):
            return None  # gone, or has said "celebrate me: no" since finishing
        who = mention(ctx, person, platform)
        if item.kind == "course":
            course = self.content.courses.get(item.subject)
            if course is None:
                return None
            return ctx.say(
                "celebrate.course",
                who=who,
                title=course.title,
                credits=credits_text(ctx, dict(course.credits), person.discipline),
            ).to_json()
        pathway = self.content.pathways.get(item.subject)
        if pathway is None:
            return None
        blocks: list[Block] = [
            Heading(ctx.plain("celebrate.pathway_heading")),
            Text(
                ctx.md(
                    "celebrate.pathway",
                    who=who,
                    pathway=pathway.title,
                    designation=pathway.designation,
                )
            ),
            Divider(),
        ]
        return ctx.message("celebrate.pathway", blocks).to_json()

    def _celebration_digest(
        self, session: Session, items: list[Celebration], team: Team | None, platform: str
    ) -> str | None:
        ctx = self._ctx(session, None)
        lines = []
        for item in items:
            person = session.get(Person, item.person_id) if item.person_id else None
            course = self.content.courses.get(item.subject)
            if person is not None and course is not None and celebrates(person, self.content):
                lines.append(
                    "- "
                    + ctx.md(
                        "celebrate.digest_item",
                        who=mention(ctx, person, platform),
                        title=course.title,
                    )
                )
        if not lines:
            return None
        message = ctx.say(
            "celebrate.digest_heading",
            Text(Markdown("\n".join(lines[:40]))),
            team=team.name if team else "-",
            count=len(lines),
        )
        return message.to_json()

    # --- data -----------------------------------------------------------------------------

    def _ctx(self, session: Session, person: Person | None) -> Ctx:
        actor = Actor(label="scheduler", roles=frozenset(), person=person)
        return Ctx(
            session=session,
            content=self.content,
            clock=self.clock,
            templates=self.templates,
            actor=actor,
        )

    def _load(
        self, session: Session, persons: list[Person], light: bool = False
    ) -> dict[int, _PersonState]:
        """Everything the planner needs about these people, in a few queries.

        ``light``: only where to write to them (no progress, snoozes or past nudges).
        """
        states = {p.id or 0: _PersonState(p) for p in persons}
        ids = list(states)
        if not ids:
            return states
        if not light:
            self._load_progress(session, states, ids)
        for pid, platform, external, linked in session.exec(
            select(
                PlatformIdentity.person_id,
                PlatformIdentity.platform,
                PlatformIdentity.external_id,
                PlatformIdentity.linked_at,
            ).where(
                col(PlatformIdentity.person_id).in_(ids),
                col(PlatformIdentity.platform).in_(self.platforms),
            )
        ):
            if platform != "teams":
                states[pid].targets.append((linked, Target(platform, external)))
        if "teams" in self.platforms:
            for owner, conversation, updated in session.exec(
                select(
                    Conversation.person_id, Conversation.conversation_id, Conversation.updated_at
                ).where(
                    col(Conversation.person_id).in_(ids),
                    Conversation.platform == "teams",
                    Conversation.kind == "personal",
                    col(Conversation.unreachable_since).is_(None),
                )
            ):
                if owner is not None:
                    states[owner].targets.append((updated, Target("teams", conversation)))
        return states

    def _load_progress(
        self, session: Session, states: dict[int, _PersonState], ids: list[int]
    ) -> None:
        """Enrolments, completions, snoozes and past reminders of these people."""
        for pid, pathway, at, due in session.exec(
            select(
                Enrolment.person_id,
                Enrolment.pathway_id,
                Enrolment.enrolled_at,
                col(Enrolment.due_on),
            ).where(col(Enrolment.person_id).in_(ids))
        ):
            states[pid].enrolled.append(Enrolled(pathway, at, due))
        for pid, course, at in session.exec(
            select(Completion.person_id, Completion.course_id, Completion.recorded_at).where(
                col(Completion.person_id).in_(ids)
            )
        ):
            states[pid].completed[course] = at
        today = self.clock.now().date()
        for snoozer, snoozed, until in session.exec(
            select(Snooze.person_id, Snooze.course_id, col(Snooze.until)).where(
                col(Snooze.person_id).in_(ids), col(Snooze.until) > today
            )
        ):
            states[snoozer].snoozes[snoozed] = until
        # Reminders that reached the person count towards the three-nudge stop; ones still
        # held by a pause or snooze do not (only the newest of those is ever sent).
        for nudged, course, at in session.exec(
            select(
                OutboxMessage.person_id, OutboxMessage.course_id, OutboxMessage.created_at
            ).where(
                col(OutboxMessage.person_id).in_(ids),
                OutboxMessage.kind == "next_course",
                col(OutboxMessage.status).in_(("sending", "sent")),
            )
        ):
            if nudged is not None:
                states[nudged].nudges.append((course, at))

    def _row(
        self,
        key: str,
        kind: str,
        target: Target,
        message: str | None,
        due: datetime,
        *,
        schedule_id: int | None = None,
        person_id: int | None = None,
        team_id: int | None = None,
        course_id: str = "",
        occurrence: str = "",
        status: str = "pending",
        reason: str = "",
        created: datetime | None = None,
    ) -> dict[str, Any]:
        now = created or self.clock.now()
        return {
            "dedupe_key": key[:255],
            "kind": kind,
            "schedule_id": schedule_id,
            "person_id": person_id,
            "team_id": team_id,
            "course_id": course_id,
            "occurrence": occurrence,
            "platform": target.platform,
            "target": target.target,
            "message": message or "{}",
            "status": status,
            "due_at": due,
            "next_attempt_at": due,
            "attempts": 0,
            "claimed_by": "",
            "lease_until": None,
            "platform_message_id": "",
            "last_error": reason,
            "in_doubt": False,
            "resends": 0,
            "sent_at": None,
            "created_at": now,
            "updated_at": now,
        }


def _log_missed(schedule: Schedule, rows: list[dict[str, Any]]) -> None:
    """Say in the log how many occurrences downtime made us skip, and why."""
    missed = Counter(
        r["last_error"]
        for r in rows
        if r["status"] == "skipped" and r["last_error"].startswith("missed")
    )
    for reason, count in missed.items():
        log.warning("schedule %s: %s message(s) skipped, %s", schedule.id, count, reason)


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return a[0] + b[0], a[1] + b[1]


def _spoken(moment: datetime) -> str:
    """'Tue 1 Dec 2026, 14:00 (America/Chicago)'."""
    zone = moment.tzinfo
    name = getattr(zone, "key", "") or str(zone)
    return f"{format_date(moment.date())}, {moment:%H:%M} ({name})"
