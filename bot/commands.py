"""What a person can ask of Huddle, as plain data.

Typed text, slash commands and button clicks all parse (see
:mod:`bot.parser`) into one of these dataclasses; :mod:`bot.handlers` maps
each class to its handler. ``needs`` names the least role that may run a
command; champions are further limited to their own team inside handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from bot.understanding import Guess

Role = Literal["clinician", "champion", "admin", "senior_leader"]
Need = Literal["anyone", "champion", "admin", "reporter"]


@dataclass(frozen=True)
class Command:
    """Base of every command. ``needs`` is checked before the handler runs."""

    needs: ClassVar[Need] = "anyone"
    #: True for commands that only show things; they never write to the database.
    read_only: ClassVar[bool] = False
    #: True for commands whose work grows with the size of the organisation
    #: (imports, bulk enrolments, system-wide reports), so adapters keep them off
    #: the lane that answers everyday questions.
    slow: ClassVar[bool] = False

    @property
    def quick(self) -> bool:
        """Reads only and is small: safe to answer on the everyday lane."""
        return self.read_only and not self.slow

    @property
    def only_answers(self) -> bool:
        """Changes nothing a person owns (it shows, or asks for what it needs): safe to run
        on a guess at what someone meant. Anything else is confirmed with a tap first."""
        return self.read_only


# --- for everyone ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Help(Command):
    topic: str = ""
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class Hello(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class Thanks(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class About(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class NextCourse(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ShowProgress(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ListPathways(Command):
    everything: bool = False
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class Join(Command):
    pathway: str


@dataclass(frozen=True)
class Done(Command):
    course: str

    @property
    def only_answers(self) -> bool:
        return not self.course  # without a value it only shows or asks


@dataclass(frozen=True)
class Undo(Command):
    """Take back one's own self-reported completion of the last day (the latest, or named)."""

    course: str = ""


@dataclass(frozen=True)
class ShowSetup(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ConfirmAccount(Command):
    pass


@dataclass(frozen=True)
class Pause(Command):
    until: str

    @property
    def only_answers(self) -> bool:
        return not self.until  # without a value it only shows or asks


@dataclass(frozen=True)
class Snooze(Command):
    """No reminders about a course (the next one, unless named) for a while (a week)."""

    text: str = ""


@dataclass(frozen=True)
class Resume(Command):
    pass


@dataclass(frozen=True)
class SetTimezone(Command):
    zone: str

    @property
    def only_answers(self) -> bool:
        return not self.zone  # without a value it only shows or asks


@dataclass(frozen=True)
class SetQuietHours(Command):
    hours: str

    @property
    def only_answers(self) -> bool:
        return not self.hours  # without a value it only shows or asks


@dataclass(frozen=True)
class SetCelebrate(Command):
    answer: str

    @property
    def only_answers(self) -> bool:
        return not self.answer  # without a value it only shows or asks


@dataclass(frozen=True)
class ShowSettings(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class Unknown(Command):
    """Text the exact grammar did not take; ``suggestion`` is a close command word, if
    any, and ``guess`` what the intent matcher made of it (see bot.understanding)."""

    text: str
    suggestion: str = ""
    guess: Guess | None = None
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class NeverMind(Command):
    """'No', 'never mind': the answer to an offer, declined."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class Stop(Command):
    """'Stop', 'unsubscribe', 'mute': always understood; offers the ways to stop."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class StopAll(Command):
    """No reminders or scheduled direct messages at all, until 'resume'."""


@dataclass(frozen=True)
class ShiftNights(Command):
    """On nights until a date: reminders wait for the waking day (from ``wake``)."""

    until: str = ""
    wake: str = ""

    @property
    def only_answers(self) -> bool:
        return not self.until  # without a value it only shows or asks


@dataclass(frozen=True)
class ShiftDays(Command):
    """Off nights: reminders in the day again."""


@dataclass(frozen=True)
class ShowCredits(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class WhatsLeft(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class OnTrack(Command):
    """Where the person stands against the due date of each enrolment."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class WhoToAsk(Command):
    """Their champion and the initiative's contact."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class AccountTrouble(Command):
    """Can't log in, forgot the password: the setup steps, the contact and the reset link,
    counted for the admins (many from one team means its instructions are failing)."""

    @property
    def only_answers(self) -> bool:
        return True  # it notes that help was asked for; nothing of the person's changes


@dataclass(frozen=True)
class Home(Command):
    """Everything at a glance: progress, next course, settings (and a summary for admins)."""

    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


# --- champions (own team) and admins ---------------------------------------------------------


@dataclass(frozen=True)
class Enrol(Command):
    """Enrol ``scope`` (team:KEY, discipline:NAME, an email, or everyone) in a pathway."""

    scope: str
    pathway: str
    due: str = ""
    needs: ClassVar[Need] = "champion"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class Unenrol(Command):
    email: str
    pathway: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class AddPerson(Command):
    """One roster row typed in chat: email, name, discipline, team."""

    row: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class RecordCompletion(Command):
    email: str
    course: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class Verify(Command):
    """A champion's or admin's word that someone finished a course they reported."""

    email: str
    course: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class ListUnverified(Command):
    """The self-reported completions still to verify, for a team (a champion's own)."""

    scope: str = ""
    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class VerifyAll(Command):
    """Verify every self-report listed: those in the scope up to a completion id (the
    last one the list showed, so nothing reported since is verified unseen)."""

    scope: str = ""
    up_to: int | None = None
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class Shoutout(Command):
    """Public thanks to people (mentioned) or a whole team (``team:icu``), posted in the
    team channel by a champion or an admin; anyone else is offered to suggest it."""

    text: str


@dataclass(frozen=True)
class ShoutoutSuggest(Command):
    """A teammate's shout-out (offered when they typed it), sent to their champion."""

    shoutout_id: int


@dataclass(frozen=True)
class ShoutoutPrivately(Command):
    """A shout-out that cannot be posted (someone it thanks prefers not to be celebrated
    publicly), sent to the people it thanks privately instead."""

    shoutout_id: int


@dataclass(frozen=True)
class ShoutoutReview(Command):
    """A champion's answer to a suggested shout-out: approve, edit (new words) or decline."""

    action: str
    shoutout_id: int
    text: str = ""
    needs: ClassVar[Need] = "champion"

    @property
    def only_answers(self) -> bool:
        return self.action == "edit" and not self.text  # shows the words to edit


@dataclass(frozen=True)
class ShoutoutList(Command):
    """The suggested shout-outs waiting for a champion (their own team's)."""

    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class RecordAttendance(Command):
    """Who came to a group session or a case discussion: ``who`` is mentions, emails or
    ``all`` (everyone who said they'd join); without it, a list to tap."""

    schedule_id: int | None = None
    who: str = ""
    needs: ClassVar[Need] = "champion"

    @property
    def only_answers(self) -> bool:
        return not self.who  # without names it only shows the list


@dataclass(frozen=True)
class Report(Command):
    """Who is enrolled and where they stand, for a team, a pathway or everyone."""

    scope: str = ""
    needs: ClassVar[Need] = "reporter"
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ReportSummary(Command):
    """The period's report in a few lines, with buttons for its files (``bot.reports``)."""

    text: str = ""
    needs: ClassVar[Need] = "reporter"
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ReportFile(Command):
    """The period's report as a file (``bot.report_files.FORMATS``): it is kept for the
    adapter to send, so this writes."""

    format: str = "xlsx"
    text: str = ""
    #: For CSV: one section's file (its key) rather than a zip of every section.
    section: str = ""
    needs: ClassVar[Need] = "reporter"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class Roster(Command):
    """The people on the roster with each one's progress, a page at a time: everyone (or
    ``team:<key>``, ``discipline:<name>``, ``pathway:<id>``) for admins and senior
    leaders, a champion's own team."""

    text: str = ""
    page: int = 1
    needs: ClassVar[Need] = "reporter"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ListTeams(Command):
    needs: ClassVar[Need] = "reporter"
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


# --- admins only -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AddTeam(Command):
    name: str
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class LinkChannel(Command):
    """Link a team to a channel: '#channel TEAM', or just 'TEAM' from inside the channel."""

    args: str
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class ImportRoster(Command):
    csv_text: str
    needs: ClassVar[Need] = "admin"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class Grant(Command):
    email: str
    role: str
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class Revoke(Command):
    email: str
    role: str
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class ShowAudit(Command):
    """The latest ``limit`` admin actions, from the ``start``-th latest (1 is the latest)."""

    limit: int = 20
    start: int = 1
    needs: ClassVar[Need] = "admin"
    read_only: ClassVar[bool] = True


# --- scheduled messages ----------------------------------------------------------------------


@dataclass(frozen=True)
class NudgeNew(Command):
    """A short form for scheduling a message."""

    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class NudgeSchedule(Command):
    """'<kind> to <audience> <when> [say <text> | session <when> <link> <title>]'."""

    text: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class NudgeList(Command):
    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class NudgeProblems(Command):
    """Recent delivery problems: failed scheduled messages (a champion's: their team's
    schedules) and messages a platform refused (for admins, every one; for a champion,
    those to their team's people)."""

    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class NudgeAction(Command):
    """preview, pause, resume, cancel, send (now) or history of one schedule."""

    action: str
    schedule_id: int
    needs: ClassVar[Need] = "champion"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class Rsvp(Command):
    """'I'll join' a group session."""

    schedule_id: int


@dataclass(frozen=True)
class Dashboard(Command):
    """A one-time link to the coordinators' dashboard (admins, senior leaders, champions)."""

    needs: ClassVar[Need] = "reporter"


@dataclass(frozen=True)
class SurveyAnswer(Command):
    """One tap on a comfort survey: question ``number`` of survey ``request_id``, answered
    with the point ``value`` of its scale (a change, within the content's hours)."""

    request_id: int
    number: int
    value: int


@dataclass(frozen=True)
class SurveySkip(Command):
    """Skip the rest of a comfort survey: never reminded or asked again."""

    request_id: int


@dataclass(frozen=True)
class SurveyQuestion(Command):
    """Show question ``number`` of one's own survey again (to answer or change it)."""

    request_id: int
    number: int
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class MyAnswers(Command):
    """One's own comfort-survey answers: the only place one person's answers are shown."""

    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class DeleteMyAnswers(Command):
    """Delete one's own comfort-survey answers (``confirmed`` after the question)."""

    confirmed: bool = False

    @property
    def only_answers(self) -> bool:
        return not self.confirmed  # unconfirmed, it only asks


@dataclass(frozen=True)
class SetWeekends(Command):
    answer: str = ""

    @property
    def only_answers(self) -> bool:
        return not self.answer  # without a value it only shows or asks


@dataclass(frozen=True)
class TeamMeeting(Command):
    """A team's standing meeting: 'team meeting ICU tuesday 12:00'."""

    args: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class ImportCompletions(Command):
    csv_text: str
    needs: ClassVar[Need] = "champion"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ImportFile(Command):
    """A file sent to the bot: a learning-site export or a roster. ``words`` are what came
    with it (``profile moodle-course``, ``date order MDY``, ``course pain-101``, ``roster``)."""

    words: str = ""
    needs: ClassVar[Need] = "champion"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ImportMeasures(Command):
    """The organisation's monthly measures: CSV pasted after the words, a file sent in
    chat (as text), or, for the server operator, a file at ``path`` whose refused rows go
    to ``errors_to`` (``huddle measures import``)."""

    csv_text: str = ""
    file_name: str = ""
    path: str = ""
    errors_to: str = ""
    needs: ClassVar[Need] = "admin"
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ShowMeasures(Command):
    """The organisation's measures beside training, month by month: every team's for
    admins and senior leaders, a champion's own team's. ``text`` may name a measure and
    ``team:<key>``."""

    text: str = ""
    needs: ClassVar[Need] = "reporter"
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ShowSurveyResults(Command):
    """What the comfort surveys say, in aggregate only: the whole organisation's for
    admins and senior leaders, a champion's own team's. ``text`` may hold ``team:<key>``,
    ``pathway:<id>``, ``topic:<id>`` and ``discipline:<name>``. For the server operator,
    ``csv_to`` is a file the figures are also written to (``huddle survey results
    --format csv``)."""

    text: str = ""
    csv_to: str = ""
    needs: ClassVar[Need] = "reporter"
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ImportErrors(Command):
    """The refused rows of an import again, as a file."""

    run: int
    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ImportList(Command):
    """The latest imports and what came of them (an admin's: everyone's; a champion's:
    their own), with their refused rows a tap away."""

    needs: ClassVar[Need] = "champion"
    read_only: ClassVar[bool] = True


# --- contests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContestNew(Command):
    """A short form for a new contest."""

    needs: ClassVar[Need] = "admin"
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ContestCreate(Command):
    """'<name> [teams <teams>|all] [metric <metric>] [from <date>] to <date> [verified only]
    [prize <text>]': an admin's contest, approved as it is made."""

    text: str
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class ContestPropose(Command):
    """A champion's contest for their own team against others, for an admin to approve."""

    text: str
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class ContestList(Command):
    read_only: ClassVar[bool] = True


@dataclass(frozen=True)
class ContestShow(Command):
    contest_id: int
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True


@dataclass(frozen=True)
class ContestDecide(Command):
    """An admin approves or declines a champion's proposal; the proposer is told."""

    contest_id: int
    approve: bool
    reason: str = ""
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class ContestCancel(Command):
    """An admin cancels a contest; a champion may withdraw their own proposal."""

    contest_id: int
    needs: ClassVar[Need] = "champion"


@dataclass(frozen=True)
class ContestRankings(Command):
    """Individual rankings on or off for a contest (only people who opt in ever appear)."""

    contest_id: int
    on: bool = True
    needs: ClassVar[Need] = "admin"


@dataclass(frozen=True)
class ContestJoin(Command):
    """Opt in to a contest's individual rankings, under a handle if given."""

    contest_id: int
    handle: str = ""


@dataclass(frozen=True)
class ContestLeave(Command):
    """Opt out of a contest's individual rankings."""

    contest_id: int


@dataclass(frozen=True)
class Leaderboard(Command):
    """The standings of the current contest (or the one named), the asker's team's place
    and what would move it."""

    contest_id: int | None = None
    read_only: ClassVar[bool] = True
    slow: ClassVar[bool] = True
