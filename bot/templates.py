"""Message templates: the registry of keys and fields, and rendering.

The words live in the content folder (``messages.yaml``); this module only
says which templates exist and which ``{fields}`` each may use, so
``huddle content check`` can catch a missing template or an unknown field
before the bot says something broken.

Values are escaped for the Markdown subset when inserted, unless they are
:class:`Markdown` (text the code already built from escaped parts).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping

from bot import markup
from bot.models import DISCIPLINES, ROLES, SHOUTOUT_STATUSES
from bot.privacy import COLUMN_KINDS
from bot.privacy import KINDS as PRIVACY_KINDS


class Markdown(str):
    """A value that is already Markdown-subset text; inserted without escaping."""

    __slots__ = ()


Value = str | int | float

_CONTACT = ("contact_name", "contact_email", "contact_phone")
_IMPORT_SUMMARY = (
    "file",
    "profile",
    "layout",
    "rows",
    "added",
    "confirmed",
    "already",
    "not_completed",
    "refused",
)

#: Why a "when" could not be read; each has a ``when.*`` template with an example.
WHEN_ERRORS = (
    "empty",
    "unreadable",
    "bad_time",
    "bad_day",
    "cron_fields",
    "cron_value",
    "cron_seven_step",
    "never",
    "in_past",
    "too_far",
)
NUDGE_KINDS = (
    "next_course",
    "setup",
    "case",
    "leaderboard",
    "session",
    "custom",
    "digest",
    "recognition",
    "standings",
)
#: What a contest ranks teams by (bot.contests), and what a contest can be.
CONTEST_METRICS = ("active", "steps", "credits", "level")
CONTEST_STATES = (
    "proposed",
    "upcoming",
    "running",
    "ended",
    "finished",
    "cancelled",
    "declined",
)
_MEASURES_SUMMARY = ("file", "rows", "added", "updated", "unchanged", "refused")
_MEASURES_TEMPLATES: dict[str, tuple[str, ...]] = {
    "measures.usage": ("columns", "optional"),
    "measures.starting": ("file",),
    "measures.summary": _MEASURES_SUMMARY,
    "measures.partial": _MEASURES_SUMMARY,
    "measures.empty": ("file",),
    "measures.no_header": ("file", "rows", "columns"),
    "measures.missing_columns": ("file", "missing", "columns", "optional"),
    "measures.patient_columns": ("file", "columns"),
    "measures.column": ("heading", "why"),
    **{f"measures.column.{k}": () for k in COLUMN_KINDS},
    "measures.reason.no_period": (),
    "measures.reason.bad_period": ("value",),
    "measures.reason.future_period": ("value",),
    "measures.reason.unknown_team": ("value",),
    "measures.reason.no_measure": (),
    "measures.reason.unknown_measure": ("value", "options"),
    "measures.reason.no_value": (),
    "measures.reason.bad_value": ("value",),
    "measures.reason.percent_range": ("value",),
    "measures.reason.no_n": (),
    "measures.reason.bad_n": ("value",),
    "measures.reason.source_too_long": ("limit",),
    "measures.reason.source_identifier": ("parts",),
    "measures.reason.duplicate": ("first_line",),
    "measures.heading": (),
    "measures.caveat": (),
    "measures.explained": ("minimum",),
    "measures.columns": (),
    "measures.organisation": (),
    "measures.other": (),
    "measures.about": ("unit", "direction", "topics"),
    "measures.higher": (),
    "measures.lower": (),
    "measures.merged": ("count", "minimum"),
    "measures.left_out": ("count", "minimum"),
    "measures.earlier": ("count", "shown"),
    "measures.sources": ("sources",),
    "measures.more_hint": (),
    "measures.none_declared": (),
    "measures.nothing": ("scope",),
    "measures.no_figures": ("names",),
    "measures.unknown": ("text", "options"),
    "measures.small_team": ("team", "minimum"),
}
_CONTEST_TEMPLATES: dict[str, tuple[str, ...]] = {
    "contest.usage": (),
    "contest.propose_usage": (),
    "contest.bad_name": ("text", "limit"),
    "contest.prize_too_long": ("limit",),
    "contest.needs_end": (),
    "contest.starts_in_past": ("date",),
    "contest.ends_before_start": (),
    "contest.too_long": ("days",),
    "contest.bad_metric": ("text", "levels"),
    "contest.too_few_teams": (),
    "contest.needs_rivals": (),
    "contest.created": ("id", "name", "teams", "summary"),
    "contest.proposed": ("id", "name", "teams", "summary"),
    "contest.proposal": ("id", "name", "who", "team", "teams", "summary"),
    "contest.summary": ("start", "end", "metric", "verified", "prize"),
    "contest.all": (),
    "contest.verified_only": (),
    "contest.no_prize": (),
    "contest.all_teams": (),
    "contest.not_found": ("id",),
    "contest.not_proposed": ("id", "state"),
    "contest.too_late": ("id",),
    "contest.approved": ("id", "name", "who", "told"),
    "contest.declined": ("id", "name", "who", "told"),
    "contest.told": (),
    "contest.not_told": (),
    "contest.told_approved": ("id", "name", "summary"),
    "contest.told_declined": ("id", "name", "reason"),
    "contest.no_reason": (),
    "contest.cancel_own_only": ("id",),
    "contest.cannot_cancel": ("id", "state"),
    "contest.cancelled": ("id", "name"),
    "contest.rankings_on": ("id", "name"),
    "contest.rankings_off": ("id", "name"),
    "contest.rankings_are_on": (),
    "contest.rankings_are_off": (),
    "contest.rankings_not_on": (),
    "contest.not_open": ("id", "state"),
    "contest.not_your_team": ("name", "team"),
    "contest.bad_handle": ("limit",),
    "contest.handle_taken": ("handle",),
    "contest.joined": ("id", "name", "shown"),
    "contest.left": ("id", "name"),
    "contest.not_joined": ("id", "name"),
    "contest.none": (),
    "contest.none_admin": (),
    "contest.list_heading": ("count",),
    "contest.list_columns": (),
    "contest.list_hint": (),
    "contest.show": ("id", "state", "teams", "summary", "rankings"),
    "contest.no_standings": ("id", "state"),
    "contest.no_contest": (),
    "contest.standings_heading": ("name", "id"),
    "contest.not_begun": ("date",),
    "contest.days_left": ("days",),
    "contest.team_place": ("team", "place", "of", "score"),
    "contest.team_unranked": ("team", "members", "minimum", "score"),
    "contest.move_up": ("more", "team", "place"),
    "contest.move_first": ("more", "team"),
    "contest.leading": ("team",),
    "contest.small_teams": ("teams", "minimum"),
    "contest.and_more": ("count",),
    "contest.columns": (),
    "contest.score_share": ("percent",),
    "contest.score_credits": ("amount",),
    "contest.unit.credits": ("count",),
    **{
        f"contest.unit.{m}_{n}": ("count", "level")
        for m in CONTEST_METRICS
        for n in ("one", "many")
        if m != "credits"
    },
    **{f"contest.metric.{m}": ("level",) for m in CONTEST_METRICS},
    **{f"contest.metric_choice.{m}": () for m in CONTEST_METRICS},
    **{f"contest.state.{s}": () for s in CONTEST_STATES},
    "contest.chart_title": ("name",),
    "contest.chart_alt": ("name", "metric", "teams"),
    "contest.entrants_heading": (),
    "contest.entrants_columns": (),
    "contest.entrants_columns_credits": (),
    "contest.final_heading": ("name",),
    "contest.winners": ("teams", "score", "prize"),
    "contest.no_winner": (),
    "contest.final_thanks": ("team", "score"),
    "contest.not_started": ("count", "names"),
    "contest.not_started_none": (),
    "contest.not_started_privately": (),
    "contest.button_standings": (),
    "contest.button_rankings": (),
    "contest.button_show": (),
    "contest.button_approve": (),
    "contest.button_decline": (),
    "contest.button_join": (),
    "contest.form_title": (),
    "contest.form_name": (),
    "contest.form_teams": (),
    "contest.form_metric": (),
    "contest.form_start": (),
    "contest.form_end": (),
    "contest.form_counting": (),
    "contest.form_all_completions": (),
    "contest.form_verified_only": (),
    "contest.form_prize": (),
    "contest.form_submit": (),
    "contest.form_example": (),
    # A burst of self-reports, held for the champion to verify
    "done.held": ("limit",),
    "verify.held": ("count",),
}

#: Why a platform refused a message; each has a ``delivery.reason.*`` template.
DELIVERY_REASONS = (
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "account_inactive",
    "blocked",
    "failed",
)

TEMPLATES: dict[str, frozenset[str]] = {
    key: frozenset(fields)
    for key, fields in {
        # Conversation basics
        "hello": ("name", "initiative"),
        "thanks": (),
        "unknown_person": ("initiative", *_CONTACT),
        "not_understood": ("text",),
        "did_you_mean": ("suggestion",),
        "needs_role": ("role",),
        "needs_person": (),
        "error.apology": ("text",),
        "help.heading": ("initiative",),
        "help.clinician": (),
        "help.champion": (),
        "help.reporter": (),
        "help.admin": (),
        "about.heading": ("initiative",),
        "about.purpose": ("purpose",),
        "about.priorities": ("items",),
        "about.changes": ("items",),
        "about.topics": ("items",),
        "about.topic_item": ("topic", "why"),
        # Next course
        "next.heading": ("topic",),
        "next.course": (
            "title",
            "url",
            "minutes",
            "credits",
            "provider",
            "summary",
            "pathway",
            "step",
            "total",
        ),
        "next.why": ("why", "topic"),
        "next.due": ("due",),
        "next.also": ("pathways",),
        "next.summary": ("title", "topic"),
        "next.not_enrolled": ("name", "discipline"),
        "next.all_done": ("name", "designations"),
        "next.try_level": ("pathway", "level", "commitment"),
        "credits.none": (),
        "button.mark_complete": (),
        "button.account_created": (),
        "button.show_progress": (),
        "button.next": (),
        "button.pathways": (),
        "button.settings": (),
        "button.setup": (),
        "button.join": ("pathway",),
        "button.resume": (),
        "button.snooze": (),
        "snooze.done": ("title", "date"),
        "snooze.nothing": (),
        "snooze.bad": ("text",),
        # Account setup
        "setup.heading": ("site",),
        "setup.instructions": ("site", "url", "steps", *_CONTACT),
        "setup.confirmed": ("name",),
        "setup.already_confirmed": ("date",),
        # Progress
        "progress.heading": ("name",),
        "progress.detail": ("credits", "level", "status", "due"),
        "progress.status_done": ("designation",),
        "progress.status_open": ("next",),
        "progress.tier": ("tier", "designation", "credits"),
        "progress.no_tier": ("credits",),
        "progress.unverified": ("courses", "count"),
        "progress.none": ("discipline",),
        # Pathways
        "pathways.heading": ("discipline",),
        "pathways.heading_all": (),
        "pathways.level": ("level", "commitment"),
        "pathways.item": (
            "title",
            "id",
            "summary",
            "courses",
            "minutes",
            "designation",
            "status",
            "disciplines",
        ),
        "pathways.status_enrolled": ("done", "total"),
        "pathways.status_complete": (),
        "pathways.status_open": (),
        "pathways.none": ("discipline",),
        "join.done": ("pathway", "why", "commitment"),
        "join.already": ("pathway",),
        "join.not_found": ("text",),
        "join.not_open": ("pathway", "discipline"),
        # Completions
        "done.ask": (),
        "done.recorded": ("title", "credits"),
        "done.already": ("title", "date"),
        "done.pathway_complete": ("pathway", "designation"),
        "done.not_found": ("text",),
        "done.several": ("text",),
        "undo.done": ("title",),
        "undo.withdrawn": (),
        "undo.already_posted": (),
        "undo.nothing": (),
        "undo.too_old": ("title", "date"),
        "undo.verified": ("title", *_CONTACT),
        "undo.not_found": ("text",),
        "button.undo": (),
        # Personal settings
        "settings.heading": ("name",),
        "settings.timezone": (),
        "settings.quiet_hours": (),
        "settings.nudges": (),
        "settings.weekends": (),
        "settings.celebrate": (),
        "settings.account": (),
        "settings.team": (),
        "settings.discipline": (),
        "settings.roles": (),
        "settings.how_to_change": (),
        "value.yes": (),
        "value.no": (),
        "value.default": ("value",),
        "value.active": (),
        "value.paused_until": ("date",),
        "value.off": (),
        "value.none": (),
        "pause.ask": ("example",),
        "pause.done": ("date",),
        "pause.past": ("date",),
        "pause.too_far": ("date",),
        "resume.done": (),
        "resume.not_paused": (),
        "date.unreadable": ("text",),
        "date.ambiguous": ("text",),
        "date.no_such_day": ("text",),
        "date.which": ("text",),
        "date.vague": ("text",),
        "timezone.show": ("zone", "local_time"),
        "timezone.set": ("zone", "local_time"),
        "timezone.unknown": ("text",),
        "timezone.suggest": ("zones",),
        "quiet.show": ("hours",),
        "quiet.set": ("hours",),
        "quiet.off": (),
        "quiet.default": ("hours",),
        "quiet.bad": ("text",),
        "celebrate.show": ("answer",),
        "celebrate.yes": (),
        "celebrate.no": (),
        "celebrate.bad": ("text",),
        # Teams and people (admins, champions)
        "team.added": ("team", "key"),
        "team.exists": ("team", "key"),
        "team.bad_name": ("text",),
        "team.not_found": ("text", "teams"),
        "teams.heading": ("count",),
        "teams.columns": (),
        "teams.none": (),
        "champion.own_team_only": ("team",),
        "champion.no_team": (),
        "person.not_found": ("email",),
        "person.added": ("name", "email", "team", "discipline"),
        "person.updated": ("name", "email", "team", "discipline"),
        "person.unchanged": ("name", "email"),
        "person.usage": (),
        # Roster import
        "roster.usage": ("columns",),
        "roster.bad_header": ("missing", "unknown", "columns"),
        "roster.summary": ("created", "updated", "unchanged", "errors", "enrolled", "roles"),
        "roster.new_teams": ("teams",),
        "roster.errors_heading": ("count",),
        "roster.error_line": ("line", "reason"),
        "roster.more_errors": ("count",),
        "roster.reason.bad_email": ("value",),
        "roster.reason.duplicate": ("value", "first_line"),
        "roster.reason.no_name": (),
        "roster.reason.bad_discipline": ("value", "options"),
        "roster.reason.no_team": (),
        "roster.reason.bad_role": ("value", "options"),
        "roster.reason.bad_pathway": ("value", "options"),
        "roster.reason.bad_timezone": ("value",),
        "roster.reason.too_many_cells": ("expected",),
        "roster.reason.bad_username": ("value",),
        "roster.reason.username_taken": ("value", "email"),
        # Enrolment
        "enrol.usage": (),
        "enrol.done": ("count", "pathway", "scope", "already", "skipped", "due"),
        "enrol.due": ("date",),
        "enrol.nobody": ("scope",),
        "enrol.not_open": ("name", "pathway", "discipline"),
        "enrol.bad_scope": ("text",),
        "unenrol.done": ("name", "pathway"),
        "unenrol.not_enrolled": ("name", "pathway"),
        "scope.everyone": (),
        "scope.team": ("team",),
        "scope.discipline": ("discipline",),
        "scope.person": ("name",),
        "scope.and": ("left", "right"),
        # Roles
        "role.unknown": ("text", "roles"),
        "grant.done": ("name", "role"),
        "grant.already": ("name", "role"),
        "revoke.done": ("name", "role"),
        "revoke.not_held": ("name", "role"),
        "revoke.last_admin": ("name",),
        # Completions recorded for others
        "record.done": ("name", "title"),
        "record.already": ("name", "title", "date"),
        "record.verified": ("name", "title", "date"),
        "verify.none": ("scope",),
        "verify.list": ("count", "scope"),
        "verify.columns": (),
        "verify.button_all": ("count",),
        "verify.button_one": ("name", "course"),
        "verify.button_list": ("count",),
        "verify.why": (),
        "verify.not_reported": ("name", "title", "email", "course"),
        "verify.done": ("count", "scope"),
        "verify.more_left": ("count",),
        "verify.already": (),
        # Reports
        "report.heading": ("scope",),
        "report.people_columns": (),
        "report.team_columns": (),
        "report.summary": (
            "people",
            "enrolled",
            "started",
            "finished",
            "percent",
            "verified",
            "self_reported",
        ),
        "report.empty": ("scope",),
        "report.more": ("count",),
        # Team channels, shout-outs, home
        "link.done": ("team", "channel", "platform"),
        "link.moved": ("team", "channel"),
        "link.hello": ("team",),
        "link.where": (),
        "link.unknown_channel": ("text",),
        "link.needs_chat": (),
        "shoutout.usage": (),
        "shoutout.post": ("who", "message", "sender"),
        "shoutout.sent": ("who", "channel"),
        "shoutout.private": ("name",),
        "shoutout.no_channel": ("team",),
        "shoutout.unknown_person": ("name",),
        # Recognition: shout-outs, suggestions, the monthly summary; attendance
        "shoutout.post_team": ("team", "message", "sender"),
        "shoutout.via": ("sender", "champion"),
        "shoutout.whole_team": ("team",),
        "shoutout.team_or_people": (),
        "shoutout.one_team": ("teams",),
        "shoutout.no_team": ("name",),
        "shoutout.too_long": ("count", "limit"),
        "shoutout.offer": ("champions", "who", "message"),
        "shoutout.suggest_own_team": ("team",),
        "shoutout.no_champion": ("team",),
        "shoutout.suggested": ("champions",),
        "shoutout.suggested_later": ("champions",),
        "shoutout.review": ("suggester", "who", "message", "team"),
        "shoutout.edit_intro": ("who", "message"),
        "shoutout.form_title": (),
        "shoutout.form_words": (),
        "shoutout.form_submit": (),
        "shoutout.form_example": ("id",),
        "shoutout.declined": ("suggester",),
        "shoutout.decided": ("id", "status", "who"),
        "shoutout.not_found": ("id",),
        "shoutout.private_note": ("sender", "message"),
        "shoutout.private_sent": ("names",),
        "shoutout.private_unreachable": ("names",),
        "shoutout.told_posted": ("champion", "who"),
        "shoutout.told_edited": ("champion", "who", "message"),
        "shoutout.told_declined": ("champion", "who"),
        "shoutout.told_held": ("champion", "who", "name"),
        "shoutout.told_private": ("champion", "who"),
        "shoutout.waiting_heading": ("count",),
        "shoutout.none_waiting": (),
        **{f"shoutout.status.{s}": () for s in SHOUTOUT_STATUSES},
        "button.shoutout_suggest": (),
        "button.shoutout_private": (),
        "button.approve": (),
        "button.approve_as_is": (),
        "button.edit": (),
        "button.decline": (),
        "digest.shoutouts": ("items", "count"),
        "digest.shoutout_item": ("who", "message", "sender"),
        "digest.pathways": ("items", "count"),
        "digest.pathway_item": ("name", "pathway", "designation"),
        "digest.milestones": ("items",),
        "digest.milestone_item": ("percent",),
        "recognition.heading": ("team", "month"),
        "recognition.summary": ("team", "received", "people", "whole", "given", "suggested"),
        "recognition.none": ("team", "month"),
        "recognition.teams": (),
        "recognition.columns": (),
        "recognition.footer": (),
        "attendance.usage": (),
        "attendance.heading": ("title", "when"),
        "attendance.pick": ("id", "team"),
        "attendance.nobody_signed": ("id",),
        "attendance.team_case": ("id", "team"),
        "attendance.recorded_list": ("names",),
        "attendance.done": ("count", "title", "when", "names"),
        "attendance.already": ("names",),
        "attendance.not_session": ("id",),
        "attendance.not_yet": ("title", "when"),
        "attendance.no_case_yet": ("id", "team"),
        "attendance.case_title": ("title",),
        "attendance.unknown_person": ("name",),
        "attendance.unknown_words": ("id", "text"),
        "attendance.not_invited": ("id",),
        "button.attendance_all": ("count",),
        "button.attendance_person": ("name",),
        "home.admin_heading": (),
        "home.issues": ("count", "items"),
        "home.issue_item": ("when", "platform", "target", "reason"),
        "home.no_issues": (),
        "button.chosen": ("label",),
        "button.not_yours": (),
        "never_mind": (),
        "stop.options": ("celebrate",),
        "stop.done": ("celebrate",),
        "button.pause_week": (),
        "button.pause_until": (),
        "button.stop_all": (),
        "button.celebrate_no": (),
        "button.shift_days": (),
        "button.yes": (),
        "button.no": (),
        "shift.ask": ("example",),
        "shift.done": ("date", "wake"),
        "shift.days": (),
        "shift.not_on": (),
        "shift.bad_wake": ("text",),
        "shift.past": ("date",),
        "shift.too_far": ("date",),
        "who.champions": ("names",),
        "who.no_champion": (),
        "who.contact": _CONTACT,
        "credits.none_yet": (),
        "credits.line": ("pathway", "credits"),
        "credits.total": ("credits",),
        "left.heading": (),
        "left.pathway": ("pathway", "items", "due"),
        "left.item": ("title", "minutes"),
        "left.due": ("date",),
        "left.none": (),
        "track.heading": (),
        "track.done": ("pathway", "done", "total", "due", "days"),
        "track.no_due": ("pathway", "done", "total", "due", "days"),
        "track.overdue": ("pathway", "done", "total", "due", "days"),
        "track.on": ("pathway", "done", "total", "due", "days"),
        "track.behind": ("pathway", "done", "total", "due", "days"),
        "trouble.intro": ("site",),
        "trouble.reset": ("url",),
        "guess.did_you_mean": (),
        "guess.which": (),
        "settings.shift": (),
        "value.nights_until": ("date", "wake"),
        "value.stopped": (),
        "value.days": (),
        "report.stopped": ("count",),
        "report.stopped_names": ("names",),
        "home.trouble": ("count", "teams"),
        "console.which_person": ("name",),
        "console.posted": (),
        "console.file_usage": (),
        "console.file_missing": ("path",),
        "console.file_saved": ("path",),
        # Files sent in chat, and files sent back
        "files.too_large": ("file", "size", "limit"),
        "files.sign_in_page": ("file", "platform"),
        "files.download_failed": ("file", "reason"),
        "files.no_download": ("file",),
        "files.upload_failed": ("file", "again"),
        "files.again": ("words",),
        "files.offer": ("file",),
        "files.declined": ("file", "again"),
        "files.personal_only": ("file", "again"),
        "files.not_yours": (),
        "files.gone": ("file",),
        "shoutout.team_channel": ("team",),
        "preview.buttons": ("labels",),
        "install.channel": ("initiative",),
        "delivery.failed": ("channel", "reason"),
        **{f"delivery.reason.{r}": () for r in DELIVERY_REASONS},
        # Scheduled messages
        "nudge.next_course": ("name",),
        "nudge.not_started": ("name",),
        "nudge.setup": ("name",),
        "button.pause": (),
        "button.report": (),
        "button.rsvp": (),
        "case.heading": ("title",),
        "case.body": ("vignette", "topic"),
        "case.questions": ("items",),
        "case.footer": ("course", "url"),
        "leaderboard.heading": ("team",),
        "leaderboard.summary": ("team", "people", "finished", "percent"),
        "leaderboard.stars": ("names",),
        "leaderboard.columns": (),
        "session.announce": ("title", "when", "link"),
        "session.reminder": ("title", "when", "link"),
        "custom.message": ("text",),
        "digest.heading": ("team",),
        "digest.done": ("items", "count"),
        "digest.stuck": ("items", "count"),
        "digest.behind": ("items", "count"),
        "digest.quiet": (),
        "celebrate.course": ("who", "title", "credits"),
        "celebrate.pathway_heading": (),
        "celebrate.pathway": ("who", "pathway", "designation"),
        "celebrate.milestone": ("team", "percent"),
        "celebrate.digest_heading": ("team", "count"),
        "celebrate.digest_item": ("who", "title"),
        "rsvp.done": ("title", "when"),
        "rsvp.already": ("title",),
        "rsvp.unknown": (),
        # Scheduling (admins and champions)
        "nudge.usage": (),
        "nudge.kind_unknown": ("text", "kinds"),
        "nudge.audience_bad": ("text",),
        "nudge.audience_team": ("text",),
        "nudge.people_only": ("kind",),
        "nudge.channels_only": ("kind",),
        "nudge.no_channels": (),
        "nudge.custom_needs_text": (),
        "nudge.meeting_case_only": (),
        "nudge.meeting_missing": ("teams",),
        "nudge.session_usage": (),
        "nudge.created": ("id", "kind", "audience", "when", "next"),
        "nudge.list_heading": ("count",),
        "nudge.list_columns": (),
        "nudge.none": (),
        "nudge.not_found": ("id",),
        "nudge.own_team_only": ("team",),
        "nudge.paused": ("id",),
        "nudge.resumed": ("id", "next"),
        "nudge.cancelled": ("id",),
        "nudge.status_is": ("id", "status"),
        "nudge.sent_now": ("id", "count", "held"),
        "nudge.preview_heading": ("id", "kind", "audience", "when"),
        "nudge.preview_counts": ("count", "teams"),
        "nudge.preview_times": ("items",),
        "nudge.preview_sample": ("number", "name"),
        "nudge.preview_none": (),
        "nudge.history_heading": ("id",),
        "nudge.history_counts": ("sent", "pending", "failed", "skipped"),
        "nudge.history_reasons": ("items",),
        "nudge.history_empty": (),
        "nudge.form_title": (),
        "nudge.form_kind": (),
        "nudge.form_audience": (),
        "nudge.form_when": (),
        "nudge.form_text": (),
        "nudge.form_submit": (),
        "nudge.form_example": (),
        **{f"when.{code}": ("text",) for code in WHEN_ERRORS},
        **{f"kind.{k}": () for k in NUDGE_KINDS},
        "weekends.show": ("answer",),
        "weekends.on": (),
        "weekends.off": (),
        "weekends.bad": ("text",),
        "team.meeting_set": ("team", "meeting"),
        "team.meeting_bad": ("text",),
        "completions.usage": ("columns",),
        "import.no_file": (),
        "import.starting": ("rows", "file", "layout"),
        "import.starting_unsized": ("file", "layout"),
        "import.roster_starting": ("file",),
        "import.champion_without_team": (),
        "import.summary": _IMPORT_SUMMARY,
        "import.partial": _IMPORT_SUMMARY,
        "import.unknown_people": ("count", "sample"),
        "import.unmatched": ("columns",),
        "import.error_columns_line": (),
        "import.error_columns_why": (),
        "import.errors_attached": ("run",),
        "import.errors_at": ("path",),
        "import.no_such_run": ("run",),
        "import.no_refused_rows": ("run", "file"),
        "import.errors_gone": ("run", "file"),
        "import.errors_again": ("run", "file"),
        "import.empty": ("file",),
        "import.no_header_for": ("file", "profile", "columns", "rows"),
        "import.unrecognised": ("file", "profiles", "rows"),
        "import.ambiguous": ("file", "profiles"),
        "import.unknown_profile": ("file", "profile", "profiles"),
        "import.bad_xlsx": ("file", "reason"),
        "import.too_large": ("file", "limit"),
        "import.no_person_column": ("file", "profile"),
        "import.course_not_in_name": ("file", "name", "pattern"),
        "import.course_of_name_unknown": ("file", "name", "value", "site"),
        "import.no_course_columns": ("file", "profile"),
        "import.bad_order": ("file", "value"),
        "import.bad_zone": ("file", "value"),
        "import.unknown_course_option": ("file", "value"),
        "import.reason.cells": ("count", "expected"),
        "import.reason.no_person": (),
        "import.reason.not_email": ("value",),
        "import.reason.unknown_person": ("value",),
        "import.reason.other_team": ("value",),
        "import.reason.no_course": (),
        "import.reason.unknown_course": ("value",),
        "import.reason.several_courses": ("value", "courses"),
        "import.reason.no_date": ("value", "formats"),
        "import.reason.bad_date": ("value", "formats"),
        "import.reason.future_date": ("value", "formats"),
        # The organisation's measures: imported, and shown beside training
        **_MEASURES_TEMPLATES,
        "outbox.summary": ("failed", "pending"),
        # Privacy screen
        "privacy.blocked": ("kinds", "parts", "text"),
        "privacy.reply_note": ("kinds", "parts"),
        "privacy.part": ("text",),
        **{f"privacy.kind.{k}": () for k in PRIVACY_KINDS},
        # Audit
        "audit.heading": ("first", "last"),
        "audit.zone": ("zone",),
        "button.more": ("count",),
        "button.schedule_anyway": (),
        "nudge.duplicate": ("id", "status"),
        "nudge.initiative_wide": ("id",),
        "audit.columns": (),
        "audit.empty": (),
        **{f"discipline.{d}": () for d in DISCIPLINES},
        **{f"role.{r}": () for r in ROLES},
        **_CONTEST_TEMPLATES,
    }.items()
}


def template_problems(key: str, text: str) -> list[str]:
    """What is wrong with one template's text (unknown fields, bad braces)."""
    allowed = TEMPLATES[key]
    problems: list[str] = []
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        return [f"template '{key}': {exc} (write {{{{ and }}}} for literal braces)"]
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name or not name.isidentifier():
            problems.append(f"template '{key}': '{{{name}}}' is not a field name")
        elif name not in allowed:
            fields = ", ".join("{" + f + "}" for f in sorted(allowed)) or "no fields"
            problems.append(f"template '{key}' uses unknown field {{{name}}} (it takes: {fields})")
        if spec or conversion:
            problems.append(f"template '{key}': '{{{name}}}' must be a plain field, no ':' or '!'")
    return problems


class Templates:
    """Renders templates from a content folder's ``messages.yaml``."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = texts

    def __contains__(self, key: object) -> bool:
        return key in self._texts

    def md(self, key: str, /, **values: Value) -> Markdown:
        """The template as Markdown-subset text, values escaped."""
        text = self._texts[key]
        literal = _in_code(text)
        safe = {
            k: v
            if isinstance(v, Markdown)
            # Inside `code` nothing is markup, so nothing is escaped; only a backtick
            # could end it early.
            else _format(v).replace("`", "'")
            if k in literal
            else markup.escape(_format(v))
            for k, v in values.items()
        }
        rendered = text.format_map(_Strict(key, safe))
        # An empty optional value must not leave stray spaces at line ends.
        return Markdown("\n".join(line.rstrip() for line in rendered.split("\n")))

    def plain(self, key: str, /, **values: Value) -> str:
        """The template as plain text (for summaries, labels and buttons)."""
        return markup.to_plain(self.md(key, **values))


_CODE = re.compile(r"`[^`\n]*`")


@functools.cache
def _in_code(text: str) -> frozenset[str]:
    """The fields a template writes inside a code span."""
    return frozenset(
        name
        for span in _CODE.findall(text)
        for _, name, _, _ in string.Formatter().parse(span)
        if name
    )


def _format(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class _Strict(dict[str, str]):
    def __init__(self, key: str, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.key = key

    def __missing__(self, name: str) -> str:
        raise KeyError(f"template '{self.key}' needs a value for {{{name}}}")
