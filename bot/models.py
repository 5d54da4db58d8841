"""The database tables (SQLModel), and nothing about patients.

Huddle stores who is in the training initiative and how far they have got:
people, teams, roles, platform identities, enrolments, completions and the
audit trail. It never stores patient information; there is no column for it.

Every write that must not happen twice has a unique key here (a completion per
person and course, an enrolment per person and pathway, a platform identity),
so the database decides, not an in-memory flag. Times are aware UTC datetimes.

Room is left for what comes next (deliveries, schedules, contests, survey
answers); those tables arrive with their features and their migrations.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

DISCIPLINES: tuple[str, ...] = (
    "physician",
    "nurse",
    "advanced_practice_provider",
    "social_worker",
    "chaplain",
    "pharmacist",
    "therapist",
    "health_coach",
    "other",
)

ROLES: tuple[str, ...] = ("clinician", "champion", "admin", "senior_leader")

COMPLETION_SOURCES: tuple[str, ...] = ("self_report", "import", "admin")


class Team(SQLModel, table=True):
    """A unit, clinic or service whose members train together."""

    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    created_at: datetime
    #: The team's standing meeting, e.g. "tuesday 12:00" (organisation time), which case
    #: prompts can be posted ahead of.
    meeting: str = Field(default="", max_length=64)


class TeamChannel(SQLModel, table=True):
    """A team's channel on one chat platform (Slack channel, Teams channel)."""

    __tablename__ = "team_channel"
    __table_args__ = (
        UniqueConstraint("team_id", "platform", name="uq_team_channel_team_platform"),
        UniqueConstraint("platform", "channel_id", name="uq_team_channel_platform_channel"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    platform: str = Field(max_length=32)
    channel_id: str = Field(max_length=255)
    linked_at: datetime
    linked_by: str = Field(max_length=255)
    #: The Slack workspace the channel is in (``T123``, or ``E123:T123`` in an Enterprise Grid
    #: organisation) when Huddle serves several; blank otherwise and on other platforms.
    workspace: str = Field(default="", max_length=64)


class Person(SQLModel, table=True):
    """One human in the initiative, keyed by work email.

    ``None`` in a preference column means "use the organisation default" from
    the initiative content, so a change of default reaches everyone who has
    not chosen for themselves.
    """

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)
    #: The person's login or id on the learning site, when exports name people by it.
    username: str | None = Field(default=None, max_length=200, unique=True, index=True)
    name: str = Field(max_length=200)
    discipline: str = Field(max_length=40)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    timezone: str | None = Field(default=None, max_length=64)
    quiet_hours: str | None = Field(default=None, max_length=16)
    paused_until: date | None = None
    celebrate_publicly: bool | None = None
    weekends_off: bool | None = None
    account_confirmed_at: datetime | None = None
    #: Said "stop all": no reminders or scheduled direct messages until they say resume.
    stopped_at: datetime | None = None
    #: On nights until this date (their own local date): reminders wait for their waking
    #: day, from ``shift_wake`` (or the organisation's default) local time.
    shift_until: date | None = None
    shift_wake: str | None = Field(default=None, max_length=5)
    created_at: datetime
    updated_at: datetime


class PersonRole(SQLModel, table=True):
    """A role a person holds: clinician, champion, admin or senior leader."""

    __tablename__ = "person_role"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    role: str = Field(max_length=32, primary_key=True)
    granted_at: datetime
    granted_by: str = Field(max_length=255)


class PlatformIdentity(SQLModel, table=True):
    """A person's account on one chat platform, linked to the person."""

    __tablename__ = "platform_identity"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_platform_identity_external"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    external_id: str = Field(max_length=255)
    person_id: int = Field(foreign_key="person.id", index=True)
    linked_at: datetime
    #: The Slack workspace the account is in (``T123``, or ``E123:T123`` in an Enterprise Grid
    #: organisation) when Huddle serves several; blank otherwise and on other platforms.
    workspace: str = Field(default="", max_length=64)


class Enrolment(SQLModel, table=True):
    """A person's place in a pathway (pathway ids come from the content)."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("person_id", "pathway_id", name="uq_enrolment_person_pathway"),
        Index("ix_enrolment_pathway", "pathway_id"),
        # The surveys' pass reads new enrolments by time (bot.survey_asking).
        Index("ix_enrolment_enrolled_at", "enrolled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    pathway_id: str = Field(max_length=64)
    enrolled_at: datetime
    enrolled_by: str = Field(max_length=255)
    due_on: date | None = None


class Completion(SQLModel, table=True):
    """A finished course; recorded once per person and course, whatever the source."""

    __tablename__ = "completion"
    __table_args__ = (
        UniqueConstraint("person_id", "course_id", name="uq_completion_person_course"),
        Index("ix_completion_course", "course_id"),
        # The surveys' pass reads new completions by time (bot.survey_asking).
        Index("ix_completion_recorded_at", "recorded_at"),
        # A contest reads a period's completions from this index alone (bot.contests).
        Index(
            "ix_completion_period",
            "completed_at",
            "person_id",
            "verified",
            "held",
            "course_id",
            "credits",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    course_id: str = Field(max_length=64)
    #: The first completion date any source gave.
    completed_at: datetime
    recorded_at: datetime
    #: The first source: self_report, import, xapi, admin or champion.
    source: str = Field(max_length=16)
    #: True once anything but the person's own word confirmed it.
    verified: bool = False
    recorded_by: str = Field(max_length=255)
    #: Which file and profile (``import:<run>``), credential and statement
    #: (``xapi:<credential>:<statement id>``), or person, for the first source.
    source_ref: str = Field(default="", max_length=255)
    #: The score the learning site gave (0-100), and the credits it awarded, when it said.
    score: float | None = None
    credits: float | None = None
    #: One of a burst of self-reports (more in an hour than the content allows): it counts
    #: in no contest until it is verified. Set only on self-reports (see bot.contests).
    held: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class CompletionSource(SQLModel, table=True):
    """A later confirmation of a completion (the first source is on the completion itself),
    once per source: an import run, an xAPI statement, a champion's or an admin's word."""

    __tablename__ = "completion_source"
    __table_args__ = (
        UniqueConstraint("completion_id", "kind", "ref", name="uq_completion_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    completion_id: int = Field(foreign_key="completion.id", index=True)
    kind: str = Field(max_length=16)
    ref: str = Field(max_length=255)
    at: datetime
    completed_at: datetime


class ImportRun(SQLModel, table=True):
    """One import of a file (completions or a roster): what it was, who ran it, and what
    came of it. A run that never finished (the process was killed) stays 'running';
    what it had written is kept, and running the file again completes it."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime | None = None
    what: str = Field(max_length=16)  # completions, roster
    file_name: str = Field(max_length=255)
    profile: str = Field(default="", max_length=64)
    actor: str = Field(max_length=255)
    status: str = Field(default="running", max_length=16)
    rows: int = 0
    added: int = 0
    confirmed: int = 0
    already: int = 0
    refused: int = 0
    unknown_people: int = 0
    #: The stored file of its refused rows, if any (see StoredFile).
    errors_file: str = Field(default="", max_length=32)


class StoredFile(SQLModel, table=True):
    """A file the bot sends (an import's error file), kept until the adapter has sent it
    and for a while after, so it can be offered again."""

    __tablename__ = "stored_file"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=255)
    media_type: str = Field(max_length=100)
    content: bytes
    created_at: datetime = Field(index=True)
    #: Who may have it: the email of the person it was made for, or the operator's label.
    owner: str = Field(max_length=255)


class XapiCredential(SQLModel, table=True):
    """An HTTP Basic key pair a learning site or LRS uses to send xAPI statements; only a
    hash of the secret is kept."""

    __tablename__ = "xapi_credential"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    key: str = Field(max_length=64, unique=True, index=True)
    secret_hash: str = Field(max_length=255)
    created_at: datetime
    created_by: str = Field(max_length=255)
    revoked_at: datetime | None = None
    #: When it last sent statements that were taken (written at most once a minute).
    last_used_at: datetime | None = None


class XapiStatement(SQLModel, table=True):
    """A statement id seen, so the same statement again changes nothing. Only its id and
    a digest are kept (Huddle is not an LRS)."""

    __tablename__ = "xapi_statement"

    statement_id: str = Field(primary_key=True, max_length=36)
    credential_id: int = Field(foreign_key="xapi_credential.id")
    digest: str = Field(max_length=64)
    received_at: datetime


class AuditEntry(SQLModel, table=True):
    """One admin or champion action: who did what to whom, and when."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    actor: str = Field(max_length=255)
    action: str = Field(max_length=64)
    target: str = Field(max_length=500)
    detail: str = Field(default="", max_length=4000)


class HandledEvent(SQLModel, table=True):
    """A platform event already acted on.

    Slack retries events it thinks were slow; recording each event id here (one
    row per platform and id) makes a retry, on any replica, a no-op.
    """

    __tablename__ = "handled_event"
    __table_args__ = (
        UniqueConstraint("platform", "event_id", name="uq_handled_event_platform_event"),
        Index("ix_handled_event_received_at", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    event_id: str = Field(max_length=255)
    received_at: datetime


class DeliveryIssue(SQLModel, table=True):
    """A message a platform refused (channel archived, bot not invited, person gone).

    Kept so admins see it in their summary instead of it vanishing into a log.
    """

    __tablename__ = "delivery_issue"
    __table_args__ = (Index("ix_delivery_issue_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    platform: str = Field(max_length=32)
    target: str = Field(max_length=255)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    error: str = Field(max_length=64)
    detail: str = Field(default="", max_length=1000)


class HelpRequest(SQLModel, table=True):
    """Someone asked for help the content answers (today: trouble with their learning-site
    account). Counted by team for the admins: many from one team means the setup
    instructions are failing there."""

    __tablename__ = "help_request"
    __table_args__ = (Index("ix_help_request_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    person_id: int = Field(foreign_key="person.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    kind: str = Field(max_length=32)


class Conversation(SQLModel, table=True):
    """Where the bot can write later without being asked: a personal chat or a channel.

    Some platforms (Teams) only allow a proactive message through a reference
    saved from an earlier conversation; ``reference`` holds that, as the adapter
    wrote it (JSON). ``unreachable_since`` is set when the platform says the
    person blocked or removed the bot, and cleared when they write again.
    """

    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("platform", "conversation_id", name="uq_conversation_platform_id"),
        Index("ix_conversation_person", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=32)
    conversation_id: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # personal, channel or group
    person_id: int | None = Field(default=None, foreign_key="person.id")
    reference: str = Field(default="{}", max_length=8000)
    updated_at: datetime
    unreachable_since: datetime | None = None
    unreachable_reason: str = Field(default="", max_length=255)


class Snooze(SQLModel, table=True):
    """'Snooze a week': no reminders about this course for this person until ``until``."""

    __tablename__ = "snooze"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    course_id: str = Field(max_length=64, primary_key=True)
    until: date
    created_at: datetime


OUTBOX_STATUSES: tuple[str, ...] = ("pending", "sending", "sent", "failed", "skipped")


class Schedule(SQLModel, table=True):
    """A nudge plan an admin or champion made: what to send, to whom, and when.

    ``when`` is the recurrence as typed ("every monday 09:00", a cron line);
    ``timezone`` empty means each recipient's own local time. ``params`` holds
    what a kind needs (a custom text, a session's time and link) as JSON.
    """

    __tablename__ = "schedule"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    audience: str = Field(max_length=500)
    when: str = Field(max_length=200)
    timezone: str = Field(default="", max_length=64)
    params: str = Field(default="{}", max_length=8000)
    status: str = Field(default="active", max_length=16)  # active, paused, cancelled
    team_id: int | None = Field(default=None, foreign_key="team.id")  # a champion's own team
    created_by: str = Field(max_length=255)
    created_at: datetime
    updated_at: datetime
    #: Occurrences before this are not sent (set at creation and on resume).
    starts_at: datetime
    #: Occurrences up to here have been planned (written to the outbox, or skipped).
    planned_until: datetime | None = None
    #: The Slack workspace it was made in (``T123``, or ``E123:T123`` in an Enterprise Grid
    #: organisation) when Huddle serves several; blank otherwise and on other platforms.
    workspace: str = Field(default="", max_length=64)


class OutboxMessage(SQLModel, table=True):
    """One message to deliver, written once and drained by the delivery worker.

    ``dedupe_key`` makes the database decide that an occurrence for a recipient
    is written once, however many ticks or replicas plan it. The worker claims
    rows with a lease (``claimed_by``/``lease_until``) and records the result
    with a guarded update, so two workers never send the same row.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_schedule", "schedule_id"),
        Index("ix_outbox_person_kind", "person_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=255)
    kind: str = Field(max_length=32)
    schedule_id: int | None = Field(default=None, foreign_key="schedule.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    course_id: str = Field(default="", max_length=64)
    occurrence: str = Field(default="", max_length=32)  # local wall-clock time, ISO
    platform: str = Field(max_length=32)
    target: str = Field(max_length=255)
    #: The Slack workspace the target is in (``T123``, or ``E123:T123`` in an Enterprise
    #: Grid organisation) when Huddle serves several: the sender uses that workspace's
    #: token. Blank otherwise and on other platforms.
    workspace: str = Field(default="", max_length=64)
    # The neutral message, as JSON: unbounded, since a report's post carries its charts.
    message: str = Field(sa_type=Text)
    status: str = Field(default="pending", max_length=16)
    due_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    claimed_by: str = Field(default="", max_length=64)
    lease_until: datetime | None = None
    platform_message_id: str = Field(default="", max_length=255)
    last_error: str = Field(default="", max_length=1000)
    #: Claimed again after its lease ran out mid-send (a crash): the send may have
    #: happened, so it is reconciled with the platform, or resent at most once.
    in_doubt: bool = False
    resends: int = 0
    sent_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class Celebration(SQLModel, table=True):
    """Something worth celebrating in a team channel, waiting to be posted.

    Completions create these; the planner posts them one by one, or as one
    digest per team when many arrive together (an import).
    """

    __tablename__ = "celebration"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_celebration_dedupe_key"),
        Index("ix_celebration_pending", "posted", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # course, pathway, milestone
    team_id: int | None = Field(default=None, foreign_key="team.id")
    person_id: int | None = Field(default=None, foreign_key="person.id")
    subject: str = Field(default="", max_length=64)  # course id, pathway id, or percent
    created_at: datetime
    posted: bool = False


class SessionRsvp(SQLModel, table=True):
    """'I'll join': a person plans to attend a group session a schedule announced."""

    __tablename__ = "session_rsvp"

    schedule_id: int = Field(foreign_key="schedule.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    created_at: datetime


SHOUTOUT_STATUSES: tuple[str, ...] = (
    "offered",  # a teammate typed it; waiting for them to tap "Suggest it"
    "suggested",  # waiting for a champion: approve, edit or decline
    "posted",  # in the team channel
    "held",  # not posted: someone named prefers not to be celebrated publicly
    "private",  # sent to the people named privately instead
    "declined",  # a champion decided not to post it
)


class Shoutout(SQLModel, table=True):
    """A shout-out: thanks to people or a whole team, posted in the team's channel by a
    champion or an admin, or suggested by a teammate for a champion to approve.

    Every one is kept, whatever became of it (see :data:`SHOUTOUT_STATUSES`), so the
    digest and the monthly recognition post can count them.
    """

    __tablename__ = "shoutout"
    __table_args__ = (
        Index("ix_shoutout_team_created", "team_id", "created_at"),
        Index("ix_shoutout_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: Who gave it (for a suggestion: who suggested it); None for the server operator.
    giver_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    giver: str = Field(max_length=255)
    #: The team thanked, or whose members are thanked (where it is posted).
    team_id: int = Field(foreign_key="team.id")
    #: Thanks to the whole team rather than to people (then there are no recipients).
    whole_team: bool = False
    text: str = Field(max_length=4000)
    status: str = Field(default="posted", max_length=16)
    #: True when it came from a teammate's suggestion.
    suggested: bool = False
    #: True when a champion changed the suggested words before posting.
    edited: bool = False
    decided_by: str = Field(default="", max_length=255)
    decided_at: datetime | None = None
    platform: str = Field(default="", max_length=32)
    channel_id: str = Field(default="", max_length=255)
    created_at: datetime
    posted_at: datetime | None = None


class ShoutoutRecipient(SQLModel, table=True):
    """A person a shout-out thanks."""

    __tablename__ = "shoutout_recipient"
    __table_args__ = (Index("ix_shoutout_recipient_person", "person_id"),)

    shoutout_id: int = Field(foreign_key="shoutout.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)


class Attendance(SQLModel, table=True):
    """Someone was at a group session, or at a case discussion, as a champion recorded.

    ``occurrence`` is the session's local start time (or the case post's occurrence),
    so one schedule's sessions are told apart; each person is recorded once for each.
    """

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("schedule_id", "occurrence", "person_id", name="uq_attendance"),
        Index("ix_attendance_held_at", "held_at"),
        Index("ix_attendance_person", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id")
    occurrence: str = Field(max_length=32)
    person_id: int = Field(foreign_key="person.id")
    #: The case discussed (content/cases/), for a case discussion; "" for a session.
    case_id: str = Field(default="", max_length=64)
    #: When the session began, or the case was posted (UTC).
    held_at: datetime
    recorded_by: str = Field(max_length=255)
    at: datetime


# --- contests --------------------------------------------------------------------------------

#: What a contest ranks teams by, always per enrolled member (non-starters count as 0):
#: active (share with a completion in the period), steps (share of the team's pathway steps
#: completed in it), credits (credits earned in it per member), level (share who reached a
#: level in it), sessions (group sessions and case discussions attended in it per member).
CONTEST_METRICS: tuple[str, ...] = ("active", "steps", "credits", "level", "sessions")
CONTEST_STATUSES: tuple[str, ...] = (
    "proposed",
    "approved",
    "running",
    "finished",
    "cancelled",
    "declined",
)


class Contest(SQLModel, table=True):
    """A friendly competition between teams over a period, with a prize.

    An admin's contest is approved when made; a champion's is proposed until an admin
    approves or declines it. ``level`` is the level the ``level`` metric asks for.
    Its weekly standings and its final results are scheduled messages (two schedule
    rows of kind ``standings``).
    """

    __tablename__ = "contest"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    metric: str = Field(max_length=16)
    level: str = Field(default="", max_length=64)
    starts_on: date
    ends_on: date
    prize: str = Field(default="", max_length=500)
    verified_only: bool = False
    individual_rankings: bool = False
    #: Every team takes part (those added later too); otherwise the contest_team rows.
    all_teams: bool = False
    status: str = Field(default="proposed", max_length=16)
    proposed_by: str = Field(max_length=255)
    #: The champion's team that proposed it (None for an admin's contest).
    team_id: int | None = Field(default=None, foreign_key="team.id")
    approved_by: str = Field(default="", max_length=255)
    decided_at: datetime | None = None
    created_at: datetime
    finished_at: datetime | None = None
    weekly_schedule_id: int | None = Field(default=None, foreign_key="schedule.id")
    final_schedule_id: int | None = Field(default=None, foreign_key="schedule.id")


class ContestTeam(SQLModel, table=True):
    """A team taking part in a contest (unless the contest is for every team)."""

    __tablename__ = "contest_team"

    contest_id: int = Field(foreign_key="contest.id", primary_key=True)
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True)


class ContestEntrant(SQLModel, table=True):
    """Someone who opted in to a contest's individual rankings, under a handle if chosen.

    Only opted-in people ever appear by themselves in a contest's standings; a handle is
    unique within the contest (NULL when they chose none: their name is shown).
    """

    __tablename__ = "contest_entrant"
    __table_args__ = (UniqueConstraint("contest_id", "handle", name="uq_contest_entrant_handle"),)

    contest_id: int = Field(foreign_key="contest.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    handle: str | None = Field(default=None, max_length=40)
    joined_at: datetime


# --- the organisation's measures ---------------------------------------------------------------


class OrganisationMeasure(SQLModel, table=True):
    """One month's figure of one of the organisation's measures (content measures.yaml),
    for a team or for the whole organisation, as an admin imported it.

    Workforce and quality figures only: a value and how many patients or responses are
    behind it, never anything about one patient. ``scope_id`` is the team's id, or 0 for
    the organisation (``team_id`` NULL), so the unique key holds on every database (a NULL
    is never equal to another NULL in a unique constraint); a check keeps the two in step.
    """

    __tablename__ = "organisation_measure"
    __table_args__ = (
        UniqueConstraint("period", "scope_id", "measure_id", name="uq_organisation_measure"),
        CheckConstraint("scope_id = coalesce(team_id, 0)", name="ck_organisation_measure_scope"),
        Index("ix_organisation_measure_measure", "measure_id", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: The month, as its first day.
    period: date
    #: The team the figure is for; NULL for the whole organisation.
    team_id: int | None = Field(default=None, foreign_key="team.id")
    scope_id: int = 0
    measure_id: str = Field(max_length=64)
    value: float
    #: How many patients or responses the value is computed over.
    n: int
    source: str = Field(default="", max_length=200)
    imported_at: datetime
    imported_by: str = Field(default="", max_length=255)


class SurveyRequest(SQLModel, table=True):
    """A comfort survey owed to, or asked of, one person about one pathway (content
    surveys.yaml): ``pre`` on enrolment, ``post`` (with the retrospective "looking back")
    on finishing, ``follow_up`` some weeks later. One per person, pathway and phase, so a
    pass that runs twice, or on two replicas, owes it once.

    ``status``: owed (not yet sent), asked, done (every question answered), skipped (the
    person said so), or cancelled (no longer makes sense: training began before the "before"
    could be asked, or the pathway is no longer finished), with ``reason``.
    """

    __tablename__ = "survey_request"
    __table_args__ = (
        UniqueConstraint("person_id", "pathway_id", "phase", name="uq_survey_request"),
        Index("ix_survey_request_status", "status", "tried_at"),
        Index("ix_survey_request_reminder", "status", "reminded_at", "asked_at"),
        Index("ix_survey_request_phase", "phase", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    pathway_id: str = Field(max_length=64)
    phase: str = Field(max_length=16)
    #: The item ids asked, comma-separated, in the order asked.
    items: str = Field(max_length=255)
    status: str = Field(default="owed", max_length=16)
    reason: str = Field(default="", max_length=255)
    created_at: datetime
    #: When the pass last tried to send it (a person Huddle cannot write to yet waits).
    tried_at: datetime | None = None
    asked_at: datetime | None = None
    reminded_at: datetime | None = None
    finished_at: datetime | None = None


class SurveyAnswer(SQLModel, table=True):
    """One answer to one comfort item: a point on the item's scale, from 1.

    ``phase`` is pre, post, retro (after training, "looking back, before it") or
    follow_up. About the clinician's own comfort, never about a patient; shown only in
    aggregate, and the person can see and delete their own.
    """

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("request_id", "item_id", "phase", name="uq_survey_answer"),
        # A team's results read its people's answers from this index alone; the whole
        # organisation's read the table in id order (bot.survey_results).
        Index("ix_survey_answer_item", "item_id", "phase", "person_id", "pathway_id", "value"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="survey_request.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    pathway_id: str = Field(max_length=64)
    item_id: str = Field(max_length=64)
    phase: str = Field(max_length=16)
    value: int
    answered_at: datetime
    changed_at: datetime | None = None


class PlannerMark(SQLModel, table=True):
    """How far a planner pass that reads new rows (the surveys' pass) has read."""

    __tablename__ = "planner_mark"

    name: str = Field(primary_key=True, max_length=64)
    at: datetime
    #: When the pass first ran: nothing recorded before it is read, overlap or not.
    began: datetime


class DashboardLink(SQLModel, table=True):
    """A one-time sign-in link to the coordinators' dashboard, sent in chat to one person
    for one role. The link carries ``nonce`` signed; it works once (``used_at``), within
    its minutes, and only while the person still holds the role."""

    __tablename__ = "dashboard_link"

    nonce: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=32)
    issued_at: datetime
    used_at: datetime | None = None


class DashboardSession(SQLModel, table=True):
    """A signed-in dashboard session. Only the SHA-256 of the cookie's value is kept, so
    the table cannot be used to sign in; ``csrf`` must come with every write."""

    __tablename__ = "dashboard_session"

    key_hash: str = Field(primary_key=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=32)
    csrf: str = Field(max_length=64)
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None


class AppSecret(SQLModel, table=True):
    """A secret made once and shared by every replica through the database (the key that
    signs dashboard links, unless the deployment sets its own)."""

    __tablename__ = "app_secret"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=128)
    created_at: datetime
