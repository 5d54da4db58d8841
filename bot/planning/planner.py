"""The planner: when and for whom. From schedules and celebrations to outbox rows, once.

A tick (every minute, on every replica) asks the planner what is due. For each
active schedule it works out the occurrences since it last planned, in each
recipient's own local time (or the schedule's zone), and writes one outbox row
per occurrence and recipient. The row's ``dedupe_key`` is the schedule, the
occurrence as a local wall-clock time, and the recipient, so a tick that runs
twice, or on two replicas, writes it once; keying by local time also gives
exactly one message per occurrence across daylight-saving changes.

When a person gets a message is decided here too:

- never inside their quiet hours (default 20:00-08:00) or on a weekend they
  keep free: such a time moves to the next allowed time;
- never while paused: the message moves to the end of the pause;
- a snoozed course is not nudged until the snooze ends;
- after three reminders about the same course with no progress, no more until
  something changes (the champion's digest lists who is stuck);
- an occurrence missed by downtime is still sent if it is less than the grace
  (12 hours) late and the person is not in quiet hours now; otherwise it is
  written as skipped, with the reason, and never sent.

What each message says is its kind's (:mod:`bot.planning.kinds`): the planner
asks the kind to compose it for one recipient or one team channel, with the
recipient's real mentions, and stores it as JSON; the delivery worker only sends.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import audience as aud
from bot.clock import Clock
from bot.content import Content
from bot.context import Actor, Ctx
from bot.db import insert_ignore
from bot.messages import Message
from bot.models import (
    Celebration,
    Completion,
    Conversation,
    Enrolment,
    OutboxMessage,
    Person,
    PlatformIdentity,
    Schedule,
    Snooze,
    Team,
    TeamChannel,
)
from bot.planning.kinds import TABLE
from bot.planning.kinds import celebration as celebration_posts
from bot.planning.state import PersonState, PlanReport, Target
from bot.progress import Enrolled
from bot.recurrence import (
    Recurrence,
    RecurrenceError,
    before_meeting,
    instants,
    meeting_recurrence,
    parse_when,
    to_utc,
)
from bot.templates import Templates
from bot.timeparse import in_quiet_hours, parse_clock, parse_quiet_hours, zone_or_none

__all__ = ["GRACE", "PersonState", "PlanReport", "Planner", "Target"]

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
        kind = TABLE[schedule.kind]
        to_channels = kind.reaches == "channels" or (
            kind.reaches == "either" and audience.to_channels
        )
        if to_channels:
            result = self._plan_channels(
                session, schedule, recurrence, audience, params, start, now, send_now
            )
        else:
            result = self._plan_people(
                session, schedule, recurrence, audience, params, start, now, send_now
            )
        if kind.follow_up is not None:
            result = _add(result, kind.follow_up(self, session, schedule, params, now))
        if not send_now:
            schedule.planned_until = now
            if recurrence is not None and recurrence.once is not None:
                # Done once the time has passed for every recipient: in the schedule's
                # zone when it has one (or posts to channels), else in the last zone.
                fixed = schedule.timezone or to_channels
                last = self.schedule_zone(schedule) if fixed else LAST_ZONE
                if to_utc(recurrence.once, last) <= now and kind.done_when_sent:
                    schedule.status = "done"
            session.add(schedule)
        return result

    def _finish_once(self, session: Session, schedule: Schedule, now: datetime) -> tuple[int, int]:
        result = (0, 0)
        kind = TABLE[schedule.kind]
        if kind.follow_up is not None:
            params = json.loads(schedule.params or "{}")
            result = kind.follow_up(self, session, schedule, params, now)
        if kind.done_when_sent:
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
                target = Target(link.platform, link.channel_id, link.workspace)
                for item in individual:
                    message = celebration_posts.one(self, session, item, team, link.platform)
                    if message is not None:
                        rows.append(
                            self.row(
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
                    celebration_posts.digest(self, session, courses, team, link.platform)
                    if courses
                    else None
                )
                if digest is not None:
                    rows.append(
                        self.row(
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
        kind = TABLE[schedule.kind]
        persons = aud.people(session, audience, now)
        if kind.suits is not None:
            persons = [p for p in persons if kind.suits(p)]
        written = skipped = 0
        cache: dict[Any, str] = {}
        for chunk_start in range(0, len(persons), CHUNK):
            chunk = persons[chunk_start : chunk_start + CHUNK]
            # A custom text or a session needs only where to write; reminders need progress.
            states = self.load(session, chunk, light=kind.light)
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
        state: PersonState,
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
            return self.row(
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

        kind = TABLE[schedule.kind]
        if kind.course_of is not None:
            about = kind.course_of(self.content, state)
            if about is None:
                return None
            course_id = about
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
        message = self.for_person(session, schedule, params, state, cache)
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

    def schedule_zone(self, schedule: Schedule) -> ZoneInfo:
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
            zones = {self.schedule_zone(schedule)}
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

    def quiet_span(self, person: Person, on: date | None = None) -> tuple[time, time] | None:
        """The hours no message may arrive, on the person's local date ``on``.

        On nights (``on`` before their shift's end) they are the hours slept through,
        ending at the person's waking time; otherwise their own quiet hours."""
        defaults = self.content.initiative.defaults
        if on is not None and person.shift_until is not None and on < person.shift_until:
            nights = parse_quiet_hours(defaults.night_quiet_hours)
            assert nights is not None  # checked with the content
            wake = parse_clock(person.shift_wake) if person.shift_wake else None
            return (nights[0], wake or nights[1])
        if person.quiet_hours == "off":
            return None
        return parse_quiet_hours(person.quiet_hours or defaults.quiet_hours)

    def on_nights(self, person: Person, on: date) -> bool:
        return person.shift_until is not None and on < person.shift_until

    def weekends_off(self, person: Person) -> bool:
        if person.weekends_off is None:
            return self.content.initiative.defaults.weekends_off
        return person.weekends_off

    def _allowed(self, person: Person, local: datetime) -> bool:
        span = self.quiet_span(person, local.date())
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
        for _ in range(16):  # at most a weekend and a night to step over
            if self._allowed(person, local):
                break
            span = self.quiet_span(person, local.date())
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
        zone = self.schedule_zone(schedule)
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
                message = self.for_channel(
                    session, schedule, params, team, link.platform, occurrence
                )
                if message is None or team is None:
                    continue
                late = now - at > self.grace
                skipped += late
                rows.append(
                    self.row(
                        f"s{schedule.id}:{occurrence}:c{link.platform}:{link.channel_id}",
                        schedule.kind,
                        Target(link.platform, link.channel_id, link.workspace),
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

    def ctx(self, session: Session, person: Person | None) -> Ctx:
        actor = Actor(label="scheduler", roles=frozenset(), person=person)
        return Ctx(
            session=session,
            content=self.content,
            clock=self.clock,
            templates=self.templates,
            actor=actor,
        )

    def load(
        self, session: Session, persons: list[Person], light: bool = False
    ) -> dict[int, PersonState]:
        """Everything the planner needs about these people, in a few queries.

        ``light``: only where to write to them (no progress, snoozes or past nudges).
        """
        states = {p.id or 0: PersonState(p) for p in persons}
        ids = list(states)
        if not ids:
            return states
        if not light:
            self._load_progress(session, states, ids)
        # Five columns: SQLAlchemy's select (sqlmodel's types at most four).
        for pid, platform, external, linked, workspace in session.execute(
            sa_select(
                col(PlatformIdentity.person_id),
                col(PlatformIdentity.platform),
                col(PlatformIdentity.external_id),
                col(PlatformIdentity.linked_at),
                col(PlatformIdentity.workspace),
            ).where(
                col(PlatformIdentity.person_id).in_(ids),
                col(PlatformIdentity.platform).in_(self.platforms),
            )
        ):
            if platform != "teams":
                states[pid].targets.append((linked, Target(platform, external, workspace)))
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
        self, session: Session, states: dict[int, PersonState], ids: list[int]
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

    def row(
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
            "workspace": target.workspace,
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

    # --- what each kind says ------------------------------------------------------------

    def for_person(
        self,
        session: Session,
        schedule: Schedule,
        params: dict[str, Any],
        state: PersonState,
        cache: dict[Any, str],
    ) -> str | None:
        """The schedule's message for one person (JSON), composed by its kind."""
        compose = TABLE[schedule.kind].for_person
        return compose(self, session, schedule, params, state, cache) if compose else None

    def for_channel(
        self,
        session: Session,
        schedule: Schedule,
        params: dict[str, Any],
        team: Team | None,
        platform: str,
        occurrence: str,
    ) -> Message | None:
        """The schedule's post for one team channel, composed by its kind."""
        compose = TABLE[schedule.kind].for_channel
        if team is None or compose is None:
            return None
        return compose(self, session, schedule, params, team, platform, occurrence)

    def zones_of(self, schedule: Schedule, persons: Iterable[Person]) -> list[ZoneInfo]:
        """The zones a schedule fires in for these people (for previews)."""
        return list(self._by_zone(schedule, persons))


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
