"""The handler table: one plain dict from command class to the function that answers it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot import commands as c
from bot.context import Ctx
from bot.handlers import admin, imports, learner, nudges, personal, team, verification
from bot.handlers import contests as contest_handlers
from bot.messages import Message, Outgoing

#: A handler answers with messages for the asker, or addressed Outgoing posts.
Handler = Callable[[Ctx, Any], list[Message] | list[Message | Outgoing]]

HANDLERS: dict[type[c.Command], Handler] = {
    c.Help: personal.help_,
    c.Hello: personal.hello,
    c.Thanks: personal.thanks,
    c.About: personal.about,
    c.Unknown: personal.unknown,
    c.NeverMind: personal.never_mind,
    c.Stop: personal.stop,
    c.StopAll: personal.stop_all,
    c.ShiftNights: personal.shift_nights,
    c.ShiftDays: personal.shift_days,
    c.WhoToAsk: personal.who_to_ask,
    c.ShowCredits: learner.show_credits,
    c.WhatsLeft: learner.whats_left,
    c.OnTrack: learner.on_track,
    c.AccountTrouble: learner.account_trouble,
    c.ShowSettings: personal.show_settings,
    c.Pause: personal.pause,
    c.Resume: personal.resume,
    c.Snooze: learner.snooze,
    c.SetTimezone: personal.set_timezone,
    c.SetQuietHours: personal.set_quiet_hours,
    c.SetCelebrate: personal.set_celebrate,
    c.NextCourse: learner.next_course,
    c.ShowProgress: learner.show_progress,
    c.ListPathways: learner.list_pathways,
    c.Join: learner.join,
    c.Done: learner.done,
    c.Undo: learner.undo,
    c.ShowSetup: learner.show_setup,
    c.ConfirmAccount: learner.confirm_account,
    c.Enrol: admin.enrol,
    c.Unenrol: admin.unenrol,
    c.AddPerson: admin.add_person,
    c.RecordCompletion: admin.record_completion,
    c.Verify: verification.verify,
    c.ListUnverified: verification.list_unverified,
    c.VerifyAll: verification.verify_all,
    c.Report: admin.report,
    c.ListTeams: admin.list_teams,
    c.AddTeam: admin.add_team,
    c.ImportRoster: admin.import_roster,
    c.Grant: admin.grant,
    c.Revoke: admin.revoke,
    c.ShowAudit: admin.show_audit,
    c.Home: team.home,
    c.LinkChannel: team.link_channel,
    c.Shoutout: team.shoutout,
    c.NudgeNew: nudges.nudge_new,
    c.NudgeSchedule: nudges.nudge_schedule,
    c.NudgeList: nudges.nudge_list,
    c.NudgeAction: nudges.nudge_action,
    c.Rsvp: nudges.rsvp,
    c.SetWeekends: personal.set_weekends,
    c.TeamMeeting: team.team_meeting,
    c.ImportCompletions: imports.import_completions,
    c.ImportFile: imports.import_file,
    c.ImportErrors: imports.import_errors,
    c.ContestNew: contest_handlers.contest_new,
    c.ContestCreate: contest_handlers.contest_create,
    c.ContestPropose: contest_handlers.contest_propose,
    c.ContestList: contest_handlers.contest_list,
    c.ContestShow: contest_handlers.contest_show,
    c.ContestDecide: contest_handlers.contest_decide,
    c.ContestCancel: contest_handlers.contest_cancel,
    c.ContestRankings: contest_handlers.contest_rankings,
    c.ContestJoin: contest_handlers.contest_join,
    c.ContestLeave: contest_handlers.contest_leave,
    c.Leaderboard: contest_handlers.leaderboard,
}

#: Commands that only make sense for a person (the CLI operator has no pathway).
PERSONAL: frozenset[type[c.Command]] = frozenset(
    {
        c.Hello,
        c.ShowSettings,
        c.Stop,
        c.StopAll,
        c.ShiftNights,
        c.ShiftDays,
        c.ShowCredits,
        c.WhatsLeft,
        c.OnTrack,
        c.AccountTrouble,
        c.Pause,
        c.Resume,
        c.Snooze,
        c.Rsvp,
        c.SetWeekends,
        c.SetTimezone,
        c.SetQuietHours,
        c.SetCelebrate,
        c.NextCourse,
        c.ShowProgress,
        c.Join,
        c.Done,
        c.Undo,
        c.ShowSetup,
        c.ConfirmAccount,
        c.Home,
        c.ContestJoin,
        c.ContestLeave,
    }
)
