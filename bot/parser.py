"""Turning what a person typed (or clicked) into a command.

Matching is forgiving about case, curly quotes, polite words, a leading
``/huddle`` or ``@Huddle``, and trailing punctuation, but keeps the case of
arguments (names, team keys). The first line is the command; any further lines
are its body (a pasted roster CSV). Nothing raises: text that matches nothing
becomes :class:`bot.commands.Unknown`, with a suggestion when a command word is
close.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import replace

from bot import commands as c

Builder = Callable[[re.Match[str], str], c.Command]

_LEADING = re.compile(
    r"^(?:/huddle\b|@huddle\b|huddle\b[,:]?|hey huddle\b[,:]?|hi huddle\b[,:]?)\s*", re.I
)
_POLITE = re.compile(r"^(?:please|pls|plz|can you|could you|would you)\s+", re.I)
_TRAILING = re.compile(r"[\s?!.,;:]+$")
_TRAILING_POLITE = re.compile(r"\s+(?:please|pls|plz|thanks|thank you)$", re.I)
_SHOUTOUT_WORD = re.compile(r"^(?:shout ?out|shout-out|kudos)(?:\s+to)?\s+", re.I)
_REVIEW_WORDS = re.compile(
    r"^(?:shout ?out|shout-out|kudos)\s+(?:approve|decline|edit)\s+#?\d{1,9}\s*", re.I
)
_SCHEDULE_WORD = re.compile(r"^(?:nudge schedule|schedule nudge|nudge|schedule)(?:\s+|$)", re.I)
_EMAIL = r"[^\s@,;<>]+@[^\s@,;<>]+"
_CONTEST_WORDS = re.compile(
    r"^(?:contest new|new contest|contest create|create contest|contest propose"
    r"|propose contest|propose a contest)\s+",
    re.I,
)

_RULES: list[tuple[str, Builder]] = [
    (
        r"(?:help|\?|commands|what can (?:i|you) (?:say|do)|how does (?:this|it) work)"
        r"(?:\s+(?P<topic>.+))?",
        lambda m, _: c.Help(topic=(m.group("topic") or "").lower()),
    ),
    (
        r"(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|start|get started)",
        lambda m, _: c.Hello(),
    ),
    (
        r"(?:thanks|thank you|thank u|thx|ty|cheers|great|ok|okay|perfect|awesome|brilliant)"
        r"(?:\s+(?:thanks|thank you|thank u|so much|very much|a lot|a bunch|mate|huddle"
        r"|again|all|cool|great|got it|ok|that'?s great))*",
        lambda m, _: c.Thanks(),
    ),
    (
        r"(?:about|why|purpose|goals|what is (?:this|huddle)|what'?s (?:this|huddle))",
        lambda m, _: c.About(),
    ),
    (
        r"(?:(?:what'?s|what is|whats)\s+)?(?:my\s+)?next(?:\s+(?:course|step|module|one|up))?"
        r"|what should i (?:take|do|study|learn|watch) next|what now|what do i do next"
        r"|what'?s up next|next course for me|show (?:my )?next(?: course)?",
        lambda m, _: c.NextCourse(),
    ),
    (
        r"(?:my\s+|show\s+(?:my\s+)?)?(?:progress|status|stats)|how am i doing|where am i(?: at)?",
        lambda m, _: c.ShowProgress(),
    ),
    (
        r"(?:show |list |all )?"
        r"(?:pathways?|menu|paths?|levels|options|programmes?|programs?|tracks?)(?P<all>\s+all)?",
        lambda m, _: c.ListPathways(everything=bool(m.group("all"))),
    ),
    (
        r"(?:join|enrol me in|enroll me in|sign me up for|enrol in|enroll in)\s+(?P<p>.+)",
        lambda m, _: c.Join(pathway=m.group("p").strip()),
    ),
    (r"join", lambda m, _: c.ListPathways()),
    (
        r"(?:i'?ve|i have|i) (?:created|set up|setup|made|done|finished) (?:my |the )?account"
        r"|account (?:created|done|ready|set up|setup|made)|created (?:my )?account",
        lambda m, _: c.ConfirmAccount(),
    ),
    (
        r"(?:undo|take (?:that|it) back|i didn'?t (?:finish|complete|do) (?:that|it)"
        r"|not (?:done|finished) (?:yet|after all)"
        r"|mark (?:it |that )?(?:as )?not (?:done|complete))"
        r"(?:\s+(?:done\s+)?(?P<course>.+))?",
        lambda m, _: c.Undo(course=_named_course(m.group("course"))),
    ),
    (
        r"(?:done|finished|completed|complete|i'?m done|i finished|i completed)",
        lambda m, _: c.Done(course=""),
    ),
    (
        r"(?:done|i'?ve (?:finished|completed|done)|i have (?:finished|completed|done)"
        r"|i (?:finished|completed|did)|finished|completed|complete|mark)\s+(?P<course>.+?)"
        r"(?:\s+(?:as\s+)?(?:done|complete|completed|finished))?",
        lambda m, _: c.Done(course=m.group("course").strip()),
    ),
    (
        r"(?:setup|set ?up|account|account setup|log ?in|sign ?up|my account"
        r"|how do i (?:sign up|log ?in|set up|get started)(?: my account)?)",
        lambda m, _: c.ShowSetup(),
    ),
    (
        r"stop all(?: (?:my )?(?:reminders|messages|nudges|notifications))?",
        lambda m, _: c.StopAll(),
    ),
    (
        r"(?:stop|stop it|stop (?:it|this|that) now|unsubscribe|unsub|mute|opt ?out|opt me out"
        r"|leave me alone|go away|no more (?:messages|reminders|nudges|notifications)"
        r"|stop (?:messaging|texting|bugging|nudging|reminding|sending|pinging|spamming)(?: me)?"
        r"(?: (?:messages|reminders|these|this|stuff|things))?"
        r"|stop (?:the |these |my |all )?(?:nudges|reminders|messages|notifications)"
        r"(?: please)?)",
        lambda m, _: c.Stop(),
    ),
    (
        r"(?:pause|pause nudges|pause me|pause reminders|pause my reminders|pause my nudges)"
        r"(?:\s+(?:until|till|til|to|through))?(?:\s+(?P<until>.+))?",
        lambda m, _: c.Pause(until=(m.group("until") or "").strip()),
    ),
    (
        r"(?:resume|unpause|restart|start again|resume nudges|resume reminders"
        r"|start (?:my )?reminders(?: again)?|reminders on)",
        lambda m, _: c.Resume(),
    ),
    (
        r"(?:shift )?nights?(?: shifts?)?"
        r"(?:\s+(?:until|till|til|to|through|thru)\s+(?P<until>.+?))?"
        r"(?:\s+wak(?:e|ing)(?: up)?(?: at)?\s+(?P<wake>\S+))?",
        lambda m, _: c.ShiftNights(
            until=(m.group("until") or "").strip(), wake=(m.group("wake") or "").strip()
        ),
    ),
    (
        r"shift days?|days? shifts?|back on days|off nights|(?:shift )?days? again",
        lambda m, _: c.ShiftDays(),
    ),
    (
        r"(?:credits|my credits|show (?:my )?credits|credit|how many credits(?: do i have)?)",
        lambda m, _: c.ShowCredits(),
    ),
    (
        r"(?:left|what'?s left|what is left|remaining|what'?s remaining|to do|todo)",
        lambda m, _: c.WhatsLeft(),
    ),
    (
        r"(?:on track|am i on track|due dates?|deadlines?|my due dates?|when is it due)",
        lambda m, _: c.OnTrack(),
    ),
    (
        r"(?:who do i ask|who can help(?: me)?|contact|contacts|who'?s my champion|my champion"
        r"|who is my champion)",
        lambda m, _: c.WhoToAsk(),
    ),
    (
        r"(?:account trouble|trouble logging in|can'?t log ?in|cannot log ?in"
        r"|forgot (?:my )?password|password reset|reset (?:my )?password|locked out)",
        lambda m, _: c.AccountTrouble(),
    ),
    (
        r"(?:no|nope|never ?mind|nvm|no thanks|no thank you|not now thanks)",
        lambda m, _: c.NeverMind(),
    ),
    (
        r"(?:snooze|remind me later|later)(?:\s+(?P<rest>.+))?",
        lambda m, _: c.Snooze(text=(m.group("rest") or "").strip()),
    ),
    (
        r"(?:time ?zone|tz|my time ?zone(?: is)?|set (?:my )?time ?zone(?: to)?)(?:\s+(?P<z>.+))?",
        lambda m, _: c.SetTimezone(zone=(m.group("z") or "").strip()),
    ),
    (
        r"quiet(?: hours?)?(?:\s*:)?(?:\s+(?P<h>.+))?",
        lambda m, _: c.SetQuietHours(hours=(m.group("h") or "").strip()),
    ),
    (
        r"celebrate(?: me)?(?:\s*:)?(?:\s+(?P<a>.+))?",
        lambda m, _: c.SetCelebrate(answer=(m.group("a") or "").strip()),
    ),
    (
        r"(?:settings|preferences|prefs|my settings|show (?:my )?settings)",
        lambda m, _: c.ShowSettings(),
    ),
    (
        r"(?:dashboard|open (?:the )?dashboard|dashboard link|web dashboard)",
        lambda m, _: c.Dashboard(),
    ),
    (r"(?:home|overview)", lambda m, _: c.Home()),
    (r"(?:nudge|nudges|schedule) (?:new|form)", lambda m, _: c.NudgeNew()),
    (r"(?:nudge list|nudges|list nudges|schedules|nudge ls)", lambda m, _: c.NudgeList()),
    (
        r"(?:nudge problems|delivery problems|delivery issues|undelivered(?: messages)?)",
        lambda m, _: c.NudgeProblems(),
    ),
    (
        r"(?:nudge|schedule) (?P<action>preview|pause|resume|cancel|history|send)"
        r"\s+#?(?P<id>\d{1,9})(?:\s+now)?",
        lambda m, _: c.NudgeAction(
            action=m.group("action").lower(), schedule_id=int(m.group("id"))
        ),
    ),
    (r"(?:nudge schedule|schedule nudge|nudge)", lambda m, _: c.NudgeSchedule(text="")),
    (
        r"(?:nudge schedule|schedule nudge|nudge|schedule)\s+(?P<text>.+)",
        lambda m, body: c.NudgeSchedule(text=m.group("text").strip()),
    ),
    (
        r"(?:rsvp|i'?ll join|join session)\s+#?(?P<id>\d{1,9})",
        lambda m, _: c.Rsvp(schedule_id=int(m.group("id"))),
    ),
    (
        r"survey answer\s+#?(?P<id>\d{1,9})\s+(?P<n>\d{1,2})\s+(?P<v>\d{1,2})",
        lambda m, _: c.SurveyAnswer(
            request_id=int(m.group("id")), number=int(m.group("n")), value=int(m.group("v"))
        ),
    ),
    (r"survey skip\s+#?(?P<id>\d{1,9})", lambda m, _: c.SurveySkip(request_id=int(m.group("id")))),
    (
        r"survey question\s+#?(?P<id>\d{1,9})\s+(?P<n>\d{1,2})",
        lambda m, _: c.SurveyQuestion(request_id=int(m.group("id")), number=int(m.group("n"))),
    ),
    (
        r"(?:my (?:survey |comfort )?answers|show my (?:survey |comfort )?answers"
        r"|my surveys?|survey answers)",
        lambda m, _: c.MyAnswers(),
    ),
    (
        r"(?:delete|remove|erase) (?:all )?my (?:survey |comfort )?answers"
        r"(?P<yes>\s+(?:confirm(?:ed)?|yes|now))?",
        lambda m, _: c.DeleteMyAnswers(confirmed=bool(m.group("yes"))),
    ),
    (
        r"(?:weekends?|nudges on weekends|reminders on weekends)(?:\s*:)?(?:\s+(?P<a>.+))?",
        lambda m, _: c.SetWeekends(answer=(m.group("a") or "").strip()),
    ),
    (r"team meeting\s+(?P<args>.+)", lambda m, _: c.TeamMeeting(args=m.group("args"))),
    (r"(?:import list|imports|list imports|import history)", lambda m, _: c.ImportList()),
    (
        r"(?:import errors|errors of import|refused rows)\s+#?(?P<run>\d{1,9})",
        lambda m, _: c.ImportErrors(run=int(m.group("run"))),
    ),
    (
        r"(?:measures import|import measures)",
        lambda m, body: c.ImportMeasures(csv_text=body),
    ),
    (
        r"(?:measures|show measures|measures show|outcome measures|quality measures)"
        r"(?:\s+(?:for\s+)?(?P<text>.+))?",
        lambda m, _: c.ShowMeasures(text=(m.group("text") or "").strip()),
    ),
    (
        r"(?:survey|comfort|comfort survey) (?:results|report)"
        r"(?:\s+(?:for\s+)?(?P<text>.+))?",
        lambda m, _: c.ShowSurveyResults(text=(m.group("text") or "").strip()),
    ),
    (
        r"(?:completions import|import completions)",
        lambda m, body: c.ImportCompletions(csv_text=body),
    ),
    # Admin and champion commands.
    (
        r"(?:team link|link team|link channel)\s+(?P<args>.+)|link\s+(?P<channel>#.+)",
        lambda m, _: c.LinkChannel(args=(m.group("args") or m.group("channel")).strip()),
    ),
    (
        r"(?:shout ?outs|shout-outs|shout ?out suggestions|suggested shout ?outs)",
        lambda m, _: c.ShoutoutList(),
    ),
    (
        r"(?:shout ?out|shout-out|kudos)\s+suggest\s+#?(?P<id>\d{1,9})",
        lambda m, _: c.ShoutoutSuggest(shoutout_id=int(m.group("id"))),
    ),
    (
        r"(?:shout ?out|shout-out|kudos)\s+(?:send\s+)?(?:private|privately)\s+#?(?P<id>\d{1,9})",
        lambda m, _: c.ShoutoutPrivately(shoutout_id=int(m.group("id"))),
    ),
    (
        r"(?:shout ?out|shout-out|kudos)\s+(?P<action>approve|decline|edit)\s+#?(?P<id>\d{1,9})"
        r"(?:\s+(?P<text>.+))?",
        lambda m, _: c.ShoutoutReview(
            action=m.group("action").lower(),
            shoutout_id=int(m.group("id")),
            text=(m.group("text") or "").strip(),
        ),
    ),
    (
        r"(?:shout ?out|shout-out|kudos)(?:\s+to)?\s+(?P<text>.+)",
        lambda m, _: c.Shoutout(text=m.group("text").strip()),
    ),
    (
        r"(?:attendance|record attendance|who came)(?:\s+(?:for|at|of)\s+)?(?:\s*#?(?P<id>\d{1,9})"
        r"(?:\s+(?P<who>.+))?)?",
        lambda m, _: c.RecordAttendance(
            schedule_id=int(m.group("id")) if m.group("id") else None,
            who=(m.group("who") or "").strip(),
        ),
    ),
    (
        r"(?:team add|add team|new team|create team)\s+(?P<name>.+)",
        lambda m, _: c.AddTeam(name=m.group("name").strip()),
    ),
    (r"(?:teams|team list|list teams|show teams)", lambda m, _: c.ListTeams()),
    (r"(?:roster import|import roster|import)", lambda m, body: c.ImportRoster(csv_text=body)),
    (
        r"(?:roster|people|roster list|who'?s on the roster)(?:\s+(?P<text>.+))?",
        lambda m, _: _roster(m),
    ),
    (
        rf"(?:add person|person add|add)\s+(?P<row>{_EMAIL}.*)",
        lambda m, _: c.AddPerson(row=m.group("row").strip()),
    ),
    (
        r"(?:enrol|enroll)\s+(?P<scope>.+?)\s+(?:in|into|on|to)\s+(?P<p>.+?)"
        r"(?:\s+(?:due|by)\s+(?P<due>.+))?",
        lambda m, _: c.Enrol(
            scope=m.group("scope").strip(),
            pathway=m.group("p").strip(),
            due=(m.group("due") or "").strip(),
        ),
    ),
    (
        rf"(?:unenrol|unenroll|remove)\s+(?P<email>{_EMAIL})\s+from\s+(?P<p>.+)",
        lambda m, _: c.Unenrol(email=m.group("email"), pathway=m.group("p").strip()),
    ),
    (
        r"grant\s+(?P<email>\S+)\s+(?:the\s+)?(?P<role>.+?)(?:\s+role)?",
        lambda m, _: c.Grant(email=m.group("email"), role=m.group("role").strip()),
    ),
    (
        rf"make\s+(?P<email>{_EMAIL})\s+(?:an?\s+)?(?P<role>.+)",
        lambda m, _: c.Grant(email=m.group("email"), role=m.group("role").strip()),
    ),
    (
        r"revoke\s+(?P<email>\S+)\s+(?:the\s+)?(?P<role>.+?)(?:\s+role)?",
        lambda m, _: c.Revoke(email=m.group("email"), role=m.group("role").strip()),
    ),
    (
        rf"record\s+(?P<email>{_EMAIL})\s+(?:done\s+|completed\s+|finished\s+)?(?P<course>.+)",
        lambda m, _: c.RecordCompletion(email=m.group("email"), course=m.group("course").strip()),
    ),
    (
        r"verify\s+all(?:\s+(?!up\s+to\b)(?:in\s+|for\s+)?(?P<scope>.+?))?"
        r"(?:\s+up\s+to\s+#?(?P<n>\d{1,12}))?",
        lambda m, _: c.VerifyAll(
            scope=(m.group("scope") or "").strip(),
            up_to=int(m.group("n")) if m.group("n") else None,
        ),
    ),
    (
        rf"verify\s+(?P<email>{_EMAIL})\s+(?P<course>.+)",
        lambda m, _: c.Verify(email=m.group("email"), course=m.group("course").strip()),
    ),
    (
        r"(?:verify|unverified|to verify)(?:\s+(?:for\s+|in\s+)?(?P<scope>.+))?",
        lambda m, _: c.ListUnverified(scope=(m.group("scope") or "").strip()),
    ),
    (
        r"report\s+summary(?:\s+(?P<text>.+))?",
        lambda m, _: c.ReportSummary(text=(m.group("text") or "").strip()),
    ),
    (
        r"report\s+(?P<format>xlsx|excel|csv|pdf|html|png)(?:\s+(?P<text>.+))?",
        lambda m, _: c.ReportFile(
            format="xlsx" if m.group("format").lower() == "excel" else m.group("format").lower(),
            text=(m.group("text") or "").strip(),
        ),
    ),
    (
        r"(?:report|enrolled|who'?s enrolled|who is enrolled|enrolments|enrollments)"
        r"(?:\s+(?:for\s+)?(?P<scope>.+))?",
        lambda m, _: c.Report(scope=(m.group("scope") or "").strip()),
    ),
    (
        r"(?:audit|audit log|audit trail)(?:\s+(?P<n>\d{1,4}))?(?:\s+from\s+(?P<start>\d{1,5}))?",
        lambda m, _: c.ShowAudit(
            limit=int(m.group("n") or 20), start=max(1, int(m.group("start") or 1))
        ),
    ),
]

# Contests.
_CONTEST_ID = r"\s+#?(?P<id>\d{1,9})"
_RULES += [
    (r"(?:contest (?:new|form)|new contest)", lambda m, _: c.ContestNew()),
    (
        r"(?:contest new|new contest|contest create|create contest)\s+(?P<text>.+)",
        lambda m, _: c.ContestCreate(text=m.group("text").strip()),
    ),
    (
        r"(?:contest propose|propose contest|propose a contest)(?:\s+(?P<text>.+))?",
        lambda m, _: c.ContestPropose(text=(m.group("text") or "").strip()),
    ),
    (r"(?:contests|contest list|list contests|contest)", lambda m, _: c.ContestList()),
    (
        r"contest(?: show| info| details)?" + _CONTEST_ID,
        lambda m, _: c.ContestShow(contest_id=int(m.group("id"))),
    ),
    (
        r"contest (?P<what>approve|decline)" + _CONTEST_ID + r"(?:\s+(?P<reason>.+))?",
        lambda m, _: c.ContestDecide(
            contest_id=int(m.group("id")),
            approve=m.group("what").lower() == "approve",
            reason=(m.group("reason") or "").strip(),
        ),
    ),
    (
        r"contest (?:cancel|withdraw)" + _CONTEST_ID,
        lambda m, _: c.ContestCancel(contest_id=int(m.group("id"))),
    ),
    (
        r"contest (?:individual )?rankings? (?P<on>on|off)" + _CONTEST_ID,
        lambda m, _: c.ContestRankings(
            contest_id=int(m.group("id")), on=m.group("on").lower() == "on"
        ),
    ),
    (
        r"contest (?:individual )?rankings?" + _CONTEST_ID + r"\s+(?P<on>on|off)",
        lambda m, _: c.ContestRankings(
            contest_id=int(m.group("id")), on=m.group("on").lower() == "on"
        ),
    ),
    (
        r"contest (?:join|enter|opt in)" + _CONTEST_ID + r"(?:\s+as\s+(?P<handle>.+))?",
        lambda m, _: c.ContestJoin(
            contest_id=int(m.group("id")), handle=(m.group("handle") or "").strip()
        ),
    ),
    (
        r"contest (?:leave|opt out|withdraw me from)" + _CONTEST_ID,
        lambda m, _: c.ContestLeave(contest_id=int(m.group("id"))),
    ),
    (
        r"(?:leaderboard|standings|contest standings|who'?s winning|how'?s my team doing)"
        r"(?:\s+#?(?P<id>\d{1,9}))?",
        lambda m, _: c.Leaderboard(contest_id=int(m.group("id")) if m.group("id") else None),
    ),
]

_COMPILED = [(re.compile(pattern, re.I | re.S), build) for pattern, build in _RULES]

#: Words people can start a command with, for "did you mean" suggestions.
VOCABULARY = (
    "next",
    "progress",
    "pathways",
    "menu",
    "join",
    "done",
    "undo",
    "setup",
    "pause",
    "resume",
    "stop",
    "shift nights",
    "credits",
    "on track",
    "snooze",
    "timezone",
    "quiet hours",
    "celebrate me",
    "settings",
    "about",
    "help",
    "teams",
    "team add",
    "roster import",
    "roster",
    "add",
    "enrol",
    "unenrol",
    "grant",
    "revoke",
    "record",
    "verify",
    "report",
    "report summary",
    "report xlsx",
    "report csv",
    "audit",
    "home",
    "team link",
    "shoutout",
    "shoutouts",
    "attendance",
    "nudge",
    "weekends",
    "completions import",
    "import list",
    "measures",
    "measures import",
    "my answers",
    "dashboard",
    "delete my answers",
    "survey results",
    "contest",
    "leaderboard",
)


_PAGE = re.compile(r"(?:^|\s+)page\s+(?P<n>\d{1,7})$", re.I)


def _roster(match: re.Match[str]) -> c.Roster:
    """'roster [who] [page N]'."""
    text = (match.group("text") or "").strip()
    page = _PAGE.search(text)
    if page is None:
        return c.Roster(text=text)
    return c.Roster(text=text[: page.start()].strip(), page=max(1, int(page.group("n"))))


def _named_course(text: str | None) -> str:
    """A course named after 'undo', or '' for 'undo that', 'undo it', 'undo the last one'."""
    words = (text or "").strip()
    if words.lower() in ("that", "it", "this", "last", "the last one", "my last", "please"):
        return ""
    return words


def normalize(line: str) -> str:
    """The command line as matched: tidy quotes, no bot name, no politeness or end punctuation."""
    text = line.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u00a0", " ")
    text = " ".join(text.split())
    text = _LEADING.sub("", text)
    text = _POLITE.sub("", text)
    text = _TRAILING.sub("", text)
    text = _TRAILING_POLITE.sub("", text)
    return _TRAILING.sub("", text)


def parse(text: str) -> c.Command:
    """Parse typed or clicked text into a command. Never raises."""
    first, _, body = text.strip().partition("\n")
    line = normalize(first)
    if not line:
        return c.Help()
    for pattern, build in _COMPILED:
        match = pattern.fullmatch(line)
        if match:
            command = build(match, body)
            # Free text is kept exactly as written, punctuation and all.
            raw = _LEADING.sub("", " ".join(first.split()))
            if isinstance(command, c.Shoutout):
                words = _SHOUTOUT_WORD.sub("", raw, count=1).strip()
                command = c.Shoutout(text="\n".join(filter(None, [words, body.strip()])))
            elif isinstance(command, c.ShoutoutReview) and command.text:
                words = _REVIEW_WORDS.sub("", raw, count=1).strip()
                command = replace(command, text="\n".join(filter(None, [words, body.strip()])))
            elif isinstance(command, c.NudgeSchedule):
                command = c.NudgeSchedule(text=_SCHEDULE_WORD.sub("", raw, count=1).strip())
            elif isinstance(command, c.ContestCreate | c.ContestPropose) and command.text:
                # A contest's name and prize are kept as written, punctuation and all.
                words = _CONTEST_WORDS.sub("", raw, count=1).strip()
                command = type(command)(text=words or command.text)
            return command
    return c.Unknown(text=text.strip())


def suggest(line: str) -> str:
    """A command word close to what was typed, or ''."""
    words = line.lower().split()
    if not words:
        return ""
    for size in (2, 1):
        attempt = " ".join(words[:size])
        close = difflib.get_close_matches(attempt, VOCABULARY, n=1, cutoff=0.7)
        if close:
            return close[0]
    return ""
