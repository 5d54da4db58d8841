"""The initiative as data: courses, pathways, levels, topics, setup text and wording.

A content folder holds ``initiative.yaml``, ``courses.yaml``, ``pathways.yaml``
and ``messages.yaml`` (see ``content/README.md``). :func:`load` reads and
validates a folder and returns a :class:`Content`; :func:`check` returns every
:class:`Problem` with its file and line instead of stopping at the first.
Another hospital's initiative is another folder, chosen by ``HUDDLE_CONTENT_DIR``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot import yamlines
from bot.models import DISCIPLINES
from bot.parser import parse
from bot.privacy import KINDS as PRIVACY_KINDS
from bot.privacy import Known, Pattern, Rules, Staff, screen
from bot.recurrence import RecurrenceError, parse_when
from bot.sources import SOURCES, Sources
from bot.sources import read as read_sources
from bot.templates import TEMPLATES, template_problems
from bot.timeparse import parse_clock, parse_quiet_hours, zone_or_none
from bot.understanding import SLOTS, Intent, IntentBook, normalize
from bot.yamlines import LineDict, LineList

FILES = (
    "initiative.yaml",
    "courses.yaml",
    "pathways.yaml",
    "messages.yaml",
    "sources.yaml",
    "privacy.yaml",
    "measures.yaml",
    "surveys.yaml",
)
#: Optional: example phrasings per intent (without it, only exact commands are read).
INTENTS = "intents.yaml"
#: Optional: what the patient-detail screen treats as the organisation's own.
PRIVACY = "privacy.yaml"
#: Optional: the organisation's patient-experience and outcome measures.
MEASURES = "measures.yaml"
#: Optional: the comfort surveys asked before and after a pathway.
SURVEYS = "surveys.yaml"
#: Which way a measure is better.
DIRECTIONS = ("higher", "lower")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CREDIT_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,15}$")
EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
PLACEHOLDER_MARK = "REPLACE-ME"
DEFAULT_KEY = "default"


@dataclass(frozen=True)
class Problem:
    """Something wrong (or, as a warning, worth a look) in a content file."""

    file: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.warning else "error"
        return f"{self.file}:{self.line}: {kind}: {self.message}"


class ContentError(Exception):
    """A content folder with errors; ``problems`` lists every one."""

    def __init__(self, folder: Path, problems: list[Problem]) -> None:
        self.folder = folder
        self.problems = problems
        errors = [p for p in problems if not p.warning]
        lines = "\n".join(str(p) for p in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"content in {folder} has {len(errors)} error(s):\n{lines}{more}")


@dataclass(frozen=True)
class ByRole:
    """Text that may differ by discipline, with a default for everyone else."""

    texts: Mapping[str, str]

    def for_discipline(self, discipline: str) -> str:
        return self.texts.get(discipline) or self.texts.get(DEFAULT_KEY, "")


@dataclass(frozen=True)
class Level:
    """A level of commitment, e.g. bronze (about two hours) to gold."""

    id: str
    title: str
    commitment: str
    rank: int


@dataclass(frozen=True)
class Topic:
    """A clinical topic that courses are framed by (symptom management, ...)."""

    id: str
    title: str
    why: ByRole


@dataclass(frozen=True)
class Course:
    """One online course on the learning site."""

    id: str
    title: str
    url: str
    topic: str
    minutes: int
    credits: Mapping[str, float]
    provider: str
    summary: str
    #: The course's ids on each site (``moodle``, ``scorm``, ``xapi`` ...), as exports
    #: and statements name it.
    ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Pathway:
    """An ordered set of courses for some disciplines, at one level."""

    id: str
    title: str
    level: str
    disciplines: tuple[str, ...]
    courses: tuple[str, ...]
    why: ByRole
    designation: str
    summary: str

    def open_to(self, discipline: str) -> bool:
        return "all" in self.disciplines or discipline in self.disciplines


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class Setup:
    """How to create an account on the learning site, and whom to ask."""

    site: str
    url: str
    steps: tuple[str, ...]
    contact: Contact
    #: Where to reset a forgotten password, when the learning site has such a page.
    reset_url: str = ""


@dataclass(frozen=True)
class Defaults:
    """Organisation-wide defaults for people who have not chosen for themselves."""

    timezone: str
    quiet_hours: str
    celebrate_publicly: bool
    weekends_off: bool = True
    #: On nights: the hours they sleep through; reminders wait for the end (their waking
    #: day), which a person may set for themselves.
    night_quiet_hours: str = "08:00-17:00"
    #: How people write numeric dates: "MDY" (12/01 is 1 December) or "DMY".
    date_order: str = "MDY"
    #: The smallest group shown apart in figures about people (share trained, measures'
    #: counts): smaller teams are merged into "Other" or left out.
    minimum_group: int = 5


@dataclass(frozen=True)
class ContestSettings:
    """How contests run (initiative.yaml ``contests``)."""

    #: Teams with fewer enrolled members are shown in standings but not ranked.
    minimum_team_size: int = 5
    #: More self-reports than this in an hour by one person are held for the champion to
    #: verify before they count in a contest.
    burst_limit: int = 5
    #: When the weekly standings go to each team channel (organisation time).
    standings_when: str = "every monday 09:00"
    #: The day after a contest ends, its final results go out at this time.
    results_time: str = "09:00"
    #: Teams drawn in a standings chart (the leaders, and the team's own bar).
    chart_bars: int = 10
    #: Seconds the leaderboard may show standings worked out earlier, when this process
    #: has seen no change to what they count (another replica's changes show within this).
    #: 0 works them out for every ask.
    standings_max_age: int = 60


@dataclass(frozen=True)
class ReportSettings:
    """What reports measure against (initiative.yaml ``reports``)."""

    #: The share of a team that should be trained (critical mass), from 0 to 1.
    target: float = 0.8


@dataclass(frozen=True)
class Initiative:
    name: str
    purpose: str
    priorities: tuple[str, ...]
    practice_changes: tuple[str, ...]
    defaults: Defaults
    levels: tuple[Level, ...]
    topics: Mapping[str, Topic]
    setup: Setup
    #: Credit type -> the disciplines that can claim it (empty: every type for everyone).
    credit_types: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    contests: ContestSettings = field(default_factory=ContestSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)

    def credits_for(self, discipline: str, credits: Mapping[str, float]) -> dict[str, float]:
        """The credits a person of this discipline can claim (all types, if none are set)."""
        if not self.credit_types:
            return dict(credits)
        return {
            kind: amount
            for kind, amount in credits.items()
            if discipline in self.credit_types.get(kind, ())
            or "all" in self.credit_types.get(kind, ())
        }


@dataclass(frozen=True)
class Case:
    """A short, de-identified case for a team's weekly discussion."""

    id: str
    title: str
    course: str
    topic: str
    vignette: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    """One of the organisation's patient-experience or outcome measures (measures.yaml):
    monthly figures for it are imported, and shown beside training progress."""

    id: str
    name: str
    #: How a value is written: "%", "rate per 100 admissions" ...
    unit: str
    #: "higher" or "lower": which way is better.
    direction: str
    #: The topics (initiative.yaml) the training it may reflect is about.
    topics: tuple[str, ...]
    description: str = ""

    @property
    def percent(self) -> bool:
        return self.unit.strip() == "%"


@dataclass(frozen=True)
class SurveyItem:
    """One comfort item (surveys.yaml): a question with a labelled point scale, about one
    topic, asked before and after the pathways it belongs to."""

    id: str
    text: str
    topic: str
    #: One label per point, lowest first (the answer stored is the point, from 1).
    scale: tuple[str, ...]
    #: The pathways it is asked for; empty: every pathway with a course on its topic.
    pathways: tuple[str, ...] = ()
    #: Its own "looking back, before the training" wording ("": the template's).
    looking_back: str = ""

    @property
    def points(self) -> int:
        return len(self.scale)


@dataclass(frozen=True)
class SurveySettings:
    """When the comfort surveys are asked (surveys.yaml ``settings``)."""

    enabled: bool = True
    #: The most items one survey asks (the issue of fatigue: three taps at most).
    items_per_survey: int = 3
    #: An unanswered survey is reminded once, this many days after it was asked.
    remind_after_days: int = 3
    #: How long after answering a person may change an answer.
    change_within_hours: int = 24
    #: The same items again this many weeks after finishing (0: no follow-up).
    follow_up_weeks: int = 0


@dataclass(frozen=True)
class Surveys:
    """The comfort surveys: their settings and items, in the file's order."""

    settings: SurveySettings = field(default_factory=SurveySettings)
    items: Mapping[str, SurveyItem] = field(default_factory=dict)


@dataclass(frozen=True)
class Content:
    """A validated content folder."""

    folder: Path
    initiative: Initiative
    courses: Mapping[str, Course]
    pathways: Mapping[str, Pathway]
    templates: Mapping[str, str]
    warnings: tuple[Problem, ...] = field(default=())
    #: Case-discussion prompts, in the order teams get them (file-name order).
    cases: tuple[Case, ...] = ()
    #: How people ask for things in their own words (intents.yaml), for free text the
    #: exact grammar does not take.
    intents: IntentBook = field(default_factory=lambda: IntentBook(()))
    #: Export mapping profiles and xAPI settings (sources.yaml).
    sources: Sources = field(default_factory=Sources)
    #: What the patient-detail screen treats as ours (privacy.yaml).
    privacy: Rules = field(default_factory=Rules)
    #: The organisation's measures (measures.yaml), by id, in the file's order.
    measures: Mapping[str, Measure] = field(default_factory=dict)
    #: The comfort surveys (surveys.yaml); none when the file is absent.
    surveys: Surveys = field(default_factory=Surveys)

    def survey_items(self, pathway_id: str) -> list[SurveyItem]:
        """The comfort items asked for a pathway, in the file's order: those naming it,
        and those on a topic of one of its courses that name no pathway."""
        pathway = self.pathways.get(pathway_id)
        if pathway is None or not self.surveys.settings.enabled:
            return []
        topics = {self.courses[c].topic for c in pathway.courses if c in self.courses}
        return [
            item
            for item in self.surveys.items.values()
            if pathway_id in item.pathways or (not item.pathways and item.topic in topics)
        ]

    @cached_property
    def privacy_known(self) -> Known:
        """The content's part of the screen's staff knowledge: domains (with the contact
        email's), places, allowed words, and the words of every title."""
        contact = self.initiative.setup.contact.email.rpartition("@")[2].casefold()
        rules = self.privacy
        if contact and contact not in rules.domains:
            rules = replace(rules, domains=(*rules.domains, contact))
        titles = [self.initiative.name, *(lv.title for lv in self.initiative.levels)]
        titles += [t.title for t in self.initiative.topics.values()]
        titles += [c.title for c in self.courses.values()]
        titles += [p.title for p in self.pathways.values()]
        titles += [p.designation for p in self.pathways.values()]
        return Known.of(rules, titles)

    @cached_property
    def _site_ids(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for course in self.courses.values():
            for site, ids in course.ids.items():
                for value in ids:
                    found.setdefault(site, {})[value.casefold()] = course.id
        return found

    def course_by_id(self, value: str, site: str = "") -> Course | None:
        """The course an id names: Huddle's own, else the site's (any site's, when none
        is given), case aside."""
        key = value.strip().casefold()
        if key in self.courses:
            return self.courses[key]
        for name, ids in self._site_ids.items():
            if (not site or name == site) and key in ids:
                return self.courses[ids[key]]
        return None

    def level(self, level_id: str) -> Level:
        return next(lv for lv in self.initiative.levels if lv.id == level_id)

    def pathway_courses(self, pathway: Pathway) -> list[Course]:
        return [self.courses[c] for c in pathway.courses]


def load(folder: Path) -> Content:
    """Load and validate a content folder; raise :class:`ContentError` listing every error."""
    problems, content = _read(folder)
    if content is None or any(not p.warning for p in problems):
        raise ContentError(folder, problems)
    return content


def check(folder: Path) -> list[Problem]:
    """Every problem in a content folder (errors and warnings), in file and line order."""
    problems, _ = _read(folder)
    return sorted(
        problems, key=lambda p: (FILES.index(p.file) if p.file in FILES else 99, p.file, p.line)
    )


# --- reading -------------------------------------------------------------------------------


class _Reader:
    """Collects problems while turning checked YAML into content objects."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[Problem] = []
        self.file = ""

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, warning=True))

    def open(self, name: str) -> Any:
        self.file = name
        path = self.folder / name
        if not path.is_file():
            self.error(1, f"missing file {name} in {self.folder}")
            return None
        try:
            data, duplicates = yamlines.load(path.read_text(encoding="utf-8"))
        except yamlines.YamlError as exc:
            self.error(exc.line, exc.message)
            return None
        except UnicodeDecodeError:
            self.error(1, "not UTF-8 text")
            return None
        for line, key in duplicates:
            self.error(line, f"duplicate key '{key}'")
        return data

    def mapping(self, data: Any, line: int, what: str) -> LineDict | None:
        if not isinstance(data, LineDict):
            self.error(line, f"{what} must be a mapping of keys to values")
            return None
        return data

    def keys(self, data: LineDict, what: str, required: set[str], optional: set[str]) -> None:
        for key in sorted(required - data.keys()):
            self.error(data.line, f"{what} is missing '{key}'")
        for key in data.keys() - required - optional:
            hint = difflib.get_close_matches(key, sorted(required | optional), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            self.error(data.line_of(key), f"{what} has an unknown key '{key}'{extra}")

    def text(self, data: LineDict, key: str, what: str, default: str = "") -> str:
        value = data.get(key, default)
        if value is None or (key in data and not isinstance(value, str | int | float)):
            self.error(data.line_of(key), f"{what}: '{key}' must be text")
            return default
        text = str(value).strip()
        if key in data and not text:
            self.error(data.line_of(key), f"{what}: '{key}' is empty")
        return text

    def text_list(self, data: LineDict, key: str, what: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, LineList) or not all(isinstance(v, str) for v in value):
            self.error(data.line_of(key), f"{what}: '{key}' must be a list of text items")
            return ()
        return tuple(v.strip() for v in value)

    def url(self, value: str, line: int, what: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
            self.error(line, f"{what}: '{value}' is not a valid http(s) link")
        elif PLACEHOLDER_MARK in value:
            self.warn(line, f"{what}: placeholder link {value}: replace it before launch")
        return value

    def by_role(self, data: LineDict, key: str, what: str) -> ByRole:
        raw = data.get(key)
        texts: dict[str, str] = {}
        if isinstance(raw, str):
            return ByRole({DEFAULT_KEY: raw.strip()})
        block = self.mapping(raw, data.line_of(key), f"{what}: '{key}'")
        if block is None:
            return ByRole({})
        for disc, text in block.items():
            if disc != DEFAULT_KEY and disc not in DISCIPLINES:
                self.error(
                    block.line_of(disc),
                    f"{what}: unknown discipline '{disc}' in '{key}'"
                    f" (use one of: {', '.join(DISCIPLINES)}, or default)",
                )
            elif not isinstance(text, str) or not text.strip():
                self.error(block.line_of(disc), f"{what}: '{key}.{disc}' must be text")
            else:
                texts[disc] = text.strip()
        if DEFAULT_KEY not in texts:
            self.error(block.line, f"{what}: '{key}' needs a 'default' text for everyone else")
        return ByRole(texts)

    def items(self, data: Any, key: str, what: str) -> list[tuple[int, LineDict]]:
        doc = self.mapping(data, 1, self.file)
        if doc is None:
            return []
        self.keys(doc, self.file, {key}, set())
        entries = doc.get(key)
        if not isinstance(entries, LineList):
            if key in doc:
                self.error(doc.line_of(key), f"'{key}' must be a list")
            return []
        found: list[tuple[int, LineDict]] = []
        for index, entry in enumerate(entries):
            item = self.mapping(entry, entries.line_of(index), what)
            if item is not None:
                found.append((index, item))
        return found


def _read(folder: Path) -> tuple[list[Problem], Content | None]:
    r = _Reader(folder)
    if not folder.is_dir():
        r.file = str(folder)
        r.error(1, "content folder not found")
        return r.problems, None
    initiative = _initiative(r, r.open("initiative.yaml"))
    topics = initiative.topics if initiative else {}
    levels = {lv.id for lv in initiative.levels} if initiative else set()
    credit_types = initiative.credit_types if initiative else {}
    courses = _courses(r, r.open("courses.yaml"), topics, credit_types)
    pathways = _pathways(r, r.open("pathways.yaml"), courses, levels)
    templates = _templates(r, r.open("messages.yaml"))
    rules = _privacy(r, r.open(PRIVACY)) if (folder / PRIVACY).is_file() else Rules()
    cases = _cases(r, folder / "cases", courses, topics, Staff(Known.of(rules)))
    intents = (
        _intents(r, r.open(INTENTS), courses, pathways)
        if (folder / INTENTS).is_file()
        else IntentBook(())
    )
    sources = read_sources(r, r.open(SOURCES)) if (folder / SOURCES).is_file() else Sources()
    measures = _measures(r, r.open(MEASURES), topics) if (folder / MEASURES).is_file() else {}
    surveys = (
        _surveys(r, r.open(SURVEYS), topics, courses, pathways)
        if (folder / SURVEYS).is_file()
        else Surveys()
    )
    if initiative is None or any(not p.warning for p in r.problems):
        return r.problems, None
    content = Content(
        folder=folder,
        initiative=initiative,
        courses=courses,
        pathways=pathways,
        templates=templates,
        warnings=tuple(p for p in r.problems if p.warning),
        cases=tuple(cases),
        intents=intents,
        sources=sources,
        privacy=rules,
        measures=measures,
        surveys=surveys,
    )
    return r.problems, content


def _initiative(r: _Reader, data: Any) -> Initiative | None:
    doc = r.mapping(data, 1, "initiative.yaml") if data is not None else None
    if doc is None:
        return None
    r.keys(
        doc,
        "initiative",
        {
            "name",
            "purpose",
            "priorities",
            "practice_changes",
            "levels",
            "topics",
            "setup",
            "defaults",
        },
        {"credit_types", "contests", "reports"},
    )
    defaults = _defaults(r, doc.get("defaults"), doc.line_of("defaults"))
    contests = _contests(r, doc.get("contests"), doc.line_of("contests"))
    reports = _reports(r, doc.get("reports"), doc.line_of("reports"))
    credit_types = _credit_types(r, doc.get("credit_types"), doc.line_of("credit_types"))
    levels: list[Level] = []
    raw_levels = doc.get("levels")
    if isinstance(raw_levels, LineList):
        for rank, entry in enumerate(raw_levels):
            lv = r.mapping(entry, raw_levels.line_of(rank), "a level")
            if lv is None:
                continue
            r.keys(lv, "level", {"id", "title", "commitment"}, set())
            lid = r.text(lv, "id", "level")
            if lid and not ID_RE.match(lid):
                r.error(lv.line_of("id"), f"level id '{lid}' must be lower-case letters, digits, -")
            if any(x.id == lid for x in levels):
                r.error(lv.line_of("id"), f"duplicate level id '{lid}'")
            levels.append(
                Level(lid, r.text(lv, "title", "level"), r.text(lv, "commitment", "level"), rank)
            )
    elif "levels" in doc:
        r.error(doc.line_of("levels"), "'levels' must be a list")
    topics: dict[str, Topic] = {}
    raw_topics = r.mapping(doc.get("topics"), doc.line_of("topics"), "'topics'")
    for tid, entry in (raw_topics or {}).items():
        assert raw_topics is not None
        tp = r.mapping(entry, raw_topics.line_of(tid), f"topic '{tid}'")
        if tp is None:
            continue
        if not ID_RE.match(tid):
            r.error(
                raw_topics.line_of(tid), f"topic id '{tid}' must be lower-case letters, digits, -"
            )
        r.keys(tp, f"topic '{tid}'", {"title", "why"}, set())
        topics[tid] = Topic(
            tid, r.text(tp, "title", f"topic '{tid}'"), r.by_role(tp, "why", f"topic '{tid}'")
        )
    setup = _setup(r, doc.get("setup"), doc.line_of("setup"))
    return Initiative(
        name=r.text(doc, "name", "initiative"),
        purpose=r.text(doc, "purpose", "initiative"),
        priorities=r.text_list(doc, "priorities", "initiative"),
        practice_changes=r.text_list(doc, "practice_changes", "initiative"),
        defaults=defaults,
        levels=tuple(levels),
        topics=topics,
        setup=setup,
        credit_types=credit_types,
        contests=contests,
        reports=reports,
    )


def _credit_types(r: _Reader, data: Any, line: int) -> dict[str, tuple[str, ...]]:
    """``credit_types``: each type of credit, with the disciplines that can claim it."""
    if data is None:
        return {}
    doc = r.mapping(data, line, "'credit_types'")
    found: dict[str, tuple[str, ...]] = {}
    for kind, who in (doc or {}).items():
        assert doc is not None
        where = doc.line_of(kind)
        if not CREDIT_RE.match(kind):
            r.error(where, f"credit type '{kind}' should be like CME, CNE")
        if not isinstance(who, LineList) or not all(isinstance(d, str) for d in who) or not who:
            r.error(where, f"credit type '{kind}': list the disciplines that can claim it")
            continue
        for discipline in who:
            if discipline != "all" and discipline not in DISCIPLINES:
                r.error(
                    where,
                    _unknown(f"credit type '{kind}'", "discipline", discipline, set(DISCIPLINES)),
                )
        found[kind] = tuple(who)
    if found:
        claimed = {d for who in found.values() for d in who}
        for discipline in DISCIPLINES:
            if discipline not in claimed and "all" not in claimed:
                r.warn(line, f"credit_types: no credit type for discipline '{discipline}'")
    return found


def _defaults(r: _Reader, data: Any, line: int) -> Defaults:
    doc = r.mapping(data, line, "'defaults'")
    if doc is None:
        return Defaults("UTC", "20:00-08:00", True)
    r.keys(
        doc,
        "defaults",
        {"timezone", "quiet_hours", "celebrate_publicly"},
        {"weekends_off", "night_quiet_hours", "date_order", "minimum_group"},
    )
    zone = r.text(doc, "timezone", "defaults", "UTC")
    if zone_or_none(zone) is None:
        r.error(
            doc.line_of("timezone"), f"defaults: unknown time zone '{zone}' (e.g. America/Chicago)"
        )
    quiet = r.text(doc, "quiet_hours", "defaults", "20:00-08:00")
    if parse_quiet_hours(quiet) is None:
        r.error(
            doc.line_of("quiet_hours"), f"defaults: quiet_hours '{quiet}' is not like 20:00-08:00"
        )
    celebrate = doc.get("celebrate_publicly", True)
    if not isinstance(celebrate, bool):
        r.error(
            doc.line_of("celebrate_publicly"), "defaults: celebrate_publicly must be true or false"
        )
        celebrate = True
    weekends = doc.get("weekends_off", True)
    if not isinstance(weekends, bool):
        r.error(doc.line_of("weekends_off"), "defaults: weekends_off must be true or false")
        weekends = True
    nights = r.text(doc, "night_quiet_hours", "defaults", "08:00-17:00")
    if parse_quiet_hours(nights) is None:
        r.error(
            doc.line_of("night_quiet_hours"),
            f"defaults: night_quiet_hours '{nights}' is not like 08:00-17:00",
        )
    order = r.text(doc, "date_order", "defaults", "MDY").upper()
    if order not in ("MDY", "DMY"):
        r.error(
            doc.line_of("date_order"),
            f"defaults: date_order '{order}' must be MDY (12/01 is 1 December) or DMY",
        )
        order = "MDY"
    group = doc.get("minimum_group", 5)
    if isinstance(group, bool) or not isinstance(group, int) or not 2 <= group <= 100:
        r.error(
            doc.line_of("minimum_group"), "defaults: minimum_group must be a whole number 2-100"
        )
        group = 5
    return Defaults(zone, quiet, celebrate, weekends, nights, order, group)


def _contests(r: _Reader, data: Any, line: int) -> ContestSettings:
    """``contests``: minimum team size, the self-report burst limit, when standings post."""
    default = ContestSettings()
    if data is None:
        return default
    doc = r.mapping(data, line, "'contests'")
    if doc is None:
        return default
    r.keys(
        doc,
        "contests",
        set(),
        {
            "minimum_team_size",
            "burst_limit",
            "standings_when",
            "results_time",
            "chart_bars",
            "standings_max_age",
        },
    )

    def number(key: str, low: int, high: int, fallback: int) -> int:
        value = doc.get(key, fallback)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            r.error(doc.line_of(key), f"contests: '{key}' must be a whole number {low}-{high}")
            return fallback
        return value

    when = r.text(doc, "standings_when", "contests", default.standings_when)
    try:
        repeats = parse_when(when, date(2000, 1, 1)).once is None
    except RecurrenceError:
        repeats = False
    if not repeats:
        r.error(
            doc.line_of("standings_when"),
            f"contests: standings_when '{when}' is not a repeating time like every monday 09:00",
        )
        when = default.standings_when
    results = r.text(doc, "results_time", "contests", default.results_time)
    if parse_clock(results) is None:
        r.error(
            doc.line_of("results_time"), f"contests: results_time '{results}' is not like 09:00"
        )
        results = default.results_time
    return ContestSettings(
        minimum_team_size=number("minimum_team_size", 1, 1000, default.minimum_team_size),
        burst_limit=number("burst_limit", 1, 100, default.burst_limit),
        standings_when=when,
        results_time=results,
        chart_bars=number("chart_bars", 3, 25, default.chart_bars),
        standings_max_age=number("standings_max_age", 0, 3600, default.standings_max_age),
    )


def _reports(r: _Reader, data: Any, line: int) -> ReportSettings:
    """``reports``: the target share of each team trained (0-1)."""
    default = ReportSettings()
    if data is None:
        return default
    doc = r.mapping(data, line, "'reports'")
    if doc is None:
        return default
    r.keys(doc, "reports", set(), {"target"})
    value = doc.get("target", default.target)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= float(value) <= 1:
        r.error(doc.line_of("target"), "reports: 'target' must be a share from 0 to 1, like 0.8")
        return default
    return ReportSettings(target=float(value))


def _setup(r: _Reader, data: Any, line: int) -> Setup:
    doc = r.mapping(data, line, "'setup'")
    empty = Setup("", "", (), Contact("", "", ""))
    if doc is None:
        return empty
    r.keys(doc, "setup", {"site", "url", "steps", "contact"}, {"reset_url"})
    url = r.url(r.text(doc, "url", "setup"), doc.line_of("url"), "setup")
    reset = r.text(doc, "reset_url", "setup")
    if reset:
        reset = r.url(reset, doc.line_of("reset_url"), "setup: reset_url")
    contact = r.mapping(doc.get("contact"), doc.line_of("contact"), "setup: 'contact'")
    person = Contact("", "", "")
    if contact is not None:
        r.keys(contact, "setup contact", {"name", "email"}, {"phone"})
        email = r.text(contact, "email", "setup contact")
        if email and not EMAIL_RE.match(email):
            r.error(contact.line_of("email"), f"setup contact: '{email}' is not an email address")
        person = Contact(
            r.text(contact, "name", "setup contact"),
            email,
            r.text(contact, "phone", "setup contact"),
        )
    steps = r.text_list(doc, "steps", "setup")
    if not steps and "steps" in doc:
        r.error(doc.line_of("steps"), "setup: 'steps' needs at least one step")
    return Setup(r.text(doc, "site", "setup"), url, steps, person, reset)


def _check_id(r: _Reader, item: LineDict, what: str, seen: Mapping[str, object]) -> str:
    cid = r.text(item, "id", what)
    if cid and not ID_RE.match(cid):
        r.error(item.line_of("id"), f"{what} id '{cid}' must be lower-case letters, digits and -")
    if cid in seen:
        r.error(item.line_of("id"), f"duplicate {what} id '{cid}'")
    return cid


def _courses(
    r: _Reader,
    data: Any,
    topics: Mapping[str, Topic],
    credit_types: Mapping[str, tuple[str, ...]],
) -> dict[str, Course]:
    courses: dict[str, Course] = {}
    if data is None:
        return courses
    for _, item in r.items(data, "courses", "a course"):
        r.keys(
            item,
            "course",
            {"id", "title", "url", "topic", "minutes", "credits", "provider"},
            {"summary", "ids"},
        )
        cid = _check_id(r, item, "course", courses)
        what = f"course '{cid}'"
        topic = r.text(item, "topic", what)
        if topic and topics and topic not in topics:
            r.error(item.line_of("topic"), _unknown(what, "topic", topic, topics))
        minutes = item.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
            r.error(item.line_of("minutes"), f"{what}: minutes must be a whole number above 0")
            minutes = 0
        credits: dict[str, float] = {}
        raw = item.get("credits", {})
        block = r.mapping(raw, item.line_of("credits"), f"{what}: credits") if raw else LineDict()
        for ctype, amount in (block or {}).items():
            assert block is not None
            if not CREDIT_RE.match(ctype):
                r.error(
                    block.line_of(ctype), f"{what}: credit type '{ctype}' should be like CME, CNE"
                )
            if credit_types and ctype not in credit_types:
                r.error(
                    block.line_of(ctype),
                    _unknown(f"{what}: credits", "credit type", ctype, credit_types)
                    + " (initiative.yaml credit_types lists who can claim each)",
                )
            if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
                r.error(block.line_of(ctype), f"{what}: credits for {ctype} must be a number >= 0")
                continue
            credits[ctype] = float(amount)
        courses[cid] = Course(
            id=cid,
            title=r.text(item, "title", what),
            url=r.url(r.text(item, "url", what), item.line_of("url"), what),
            topic=topic,
            minutes=minutes,
            credits=credits,
            provider=r.text(item, "provider", what),
            summary=r.text(item, "summary", what),
            ids=_site_ids(r, item, what, courses),
        )
    return courses


def _site_ids(
    r: _Reader, item: LineDict, what: str, courses: Mapping[str, Course]
) -> dict[str, tuple[str, ...]]:
    """``ids``: the course's id on each site (one, or a list), unique per site."""
    if "ids" not in item:
        return {}
    block = r.mapping(item.get("ids"), item.line_of("ids"), f"{what}: ids")
    found: dict[str, tuple[str, ...]] = {}
    for site, raw in (block or {}).items():
        assert block is not None
        values = [raw] if isinstance(raw, str | int) else raw
        if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
            r.error(block.line_of(site), f"{what}: ids.{site} is an id or a list of ids")
            continue
        ids = tuple(str(v).strip() for v in values if str(v).strip())
        for value in ids:
            taken = (c.id for c in courses.values() if value.casefold() in _folded(c, site))
            other = next(taken, None)
            if other:
                r.error(block.line_of(site), f"{what}: {site} id '{value}' is {other}'s already")
        found[str(site).lower()] = ids
    return found


def _folded(course: Course, site: str) -> set[str]:
    return {v.casefold() for v in course.ids.get(site, ())}


def _pathways(
    r: _Reader, data: Any, courses: Mapping[str, Course], levels: set[str]
) -> dict[str, Pathway]:
    pathways: dict[str, Pathway] = {}
    if data is None:
        return pathways
    for _, item in r.items(data, "pathways", "a pathway"):
        r.keys(
            item,
            "pathway",
            {"id", "title", "level", "disciplines", "courses", "why", "designation"},
            {"summary"},
        )
        pid = _check_id(r, item, "pathway", pathways)
        what = f"pathway '{pid}'"
        level = r.text(item, "level", what)
        if level and levels and level not in levels:
            r.error(item.line_of("level"), _unknown(what, "level", level, levels))
        disciplines = r.text_list(item, "disciplines", what)
        for disc in disciplines:
            if disc != "all" and disc not in DISCIPLINES:
                r.error(
                    item.line_of("disciplines"),
                    f"{what}: unknown discipline '{disc}' (use: {', '.join(DISCIPLINES)}, all)",
                )
        if not disciplines and "disciplines" in item:
            r.error(item.line_of("disciplines"), f"{what}: list at least one discipline, or all")
        course_ids = item.get("courses")
        ids: list[str] = []
        if isinstance(course_ids, LineList) and course_ids:
            for index, cid in enumerate(course_ids):
                line = course_ids.line_of(index)
                if not isinstance(cid, str):
                    r.error(line, f"{what}: course ids must be text")
                elif cid not in courses:
                    r.error(line, _unknown(what, "course", cid, courses))
                elif cid in ids:
                    r.error(line, f"{what}: course '{cid}' is listed twice")
                else:
                    ids.append(cid)
        elif "courses" in item:
            r.error(item.line_of("courses"), f"{what}: 'courses' must be a list of course ids")
        pathways[pid] = Pathway(
            id=pid,
            title=r.text(item, "title", what),
            level=level,
            disciplines=disciplines,
            courses=tuple(ids),
            why=r.by_role(item, "why", what),
            designation=r.text(item, "designation", what),
            summary=r.text(item, "summary", what),
        )
    return pathways


def _cases(
    r: _Reader,
    folder: Path,
    courses: Mapping[str, Course],
    topics: Mapping[str, Topic],
    staff: Staff,
) -> list[Case]:
    """The case prompts in ``cases/*.yaml``; each must pass the patient-identifier screen."""
    found: list[Case] = []
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.yaml")):
        data = r.open(f"cases/{path.name}")
        if data is None:
            continue
        doc = r.mapping(data, 1, r.file)
        if doc is None:
            continue
        r.keys(doc, "case", {"id", "title", "course", "topic", "vignette", "questions"}, set())
        cid = _check_id(r, doc, "case", {c.id: c for c in found})
        what = f"case '{cid}'"
        course = r.text(doc, "course", what)
        if course and course not in courses:
            r.error(doc.line_of("course"), _unknown(what, "course", course, courses))
        topic = r.text(doc, "topic", what)
        if topic and topics and topic not in topics:
            r.error(doc.line_of("topic"), _unknown(what, "topic", topic, topics))
        questions = r.text_list(doc, "questions", what)
        if not 2 <= len(questions) <= 3:
            r.error(doc.line_of("questions"), f"{what}: give 2 or 3 discussion questions")
        vignette = r.text(doc, "vignette", what)
        title = r.text(doc, "title", what)
        for key, text in (
            ("title", title),
            ("vignette", vignette),
            *(("questions", q) for q in questions),
        ):
            for finding in screen(text, staff):
                r.error(
                    doc.line_of(key),
                    f"{what}: '{finding.text}' looks like a patient "
                    f"identifier ({finding.kind}); cases must be de-identified",
                )
        found.append(Case(cid, title, course, topic, vignette, questions))
    return found


def _privacy(r: _Reader, data: Any) -> Rules:
    """privacy.yaml: the organisation's domains, places and allowed words, and admins'
    own patterns (each with an example it must catch)."""
    doc = r.mapping(data, 1, PRIVACY) if data is not None else None
    if doc is None:
        return Rules()
    r.keys(doc, PRIVACY, set(), {"domains", "places", "allowed", "patterns"})
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("domains", "places", "allowed"):
        if key not in doc:
            lists[key] = ()
            continue
        raw = doc.get(key)
        if not isinstance(raw, LineList) or not all(isinstance(v, str | int) for v in raw):
            r.error(doc.line_of(key), f"{PRIVACY}: '{key}' must be a list of text items")
            lists[key] = ()
            continue
        seen: set[str] = set()
        values: list[str] = []
        for index, value in enumerate(raw):
            text = " ".join(str(value).split())
            line = raw.line_of(index)
            if not text:
                r.error(line, f"{PRIVACY}: an empty item in '{key}'")
            elif text.casefold() in seen:
                r.error(line, f"{PRIVACY}: '{text}' is listed twice in '{key}'")
            elif key == "domains" and not DOMAIN_RE.match(text.casefold()):
                r.error(line, f"{PRIVACY}: '{text}' is not a domain name (like example.org)")
            else:
                seen.add(text.casefold())
                values.append(text.casefold() if key == "domains" else text)
        lists[key] = tuple(values)
    patterns: list[Pattern] = []
    raw_patterns = doc.get("patterns", LineList())
    if not isinstance(raw_patterns, LineList):
        r.error(doc.line_of("patterns"), f"{PRIVACY}: 'patterns' must be a list")
        raw_patterns = LineList()
    for index, entry in enumerate(raw_patterns):
        what = f"{PRIVACY}: pattern {index + 1}"
        item = r.mapping(entry, raw_patterns.line_of(index), what)
        if item is None:
            continue
        r.keys(item, what, {"kind", "pattern", "example"}, set())
        kind = r.text(item, "kind", what)
        source = r.text(item, "pattern", what)
        example = r.text(item, "example", what)
        if kind and kind not in PRIVACY_KINDS:
            r.error(item.line_of("kind"), _unknown(what, "kind", kind, set(PRIVACY_KINDS)))
            continue
        try:
            regex = re.compile(source)
        except re.error as exc:
            r.error(item.line_of("pattern"), f"{what}: not a regular expression ({exc})")
            continue
        if not source or not kind:
            continue
        if regex.search("") is not None:
            r.error(item.line_of("pattern"), f"{what}: '{source}' matches empty text")
            continue
        if example and regex.search(example) is None:
            r.error(item.line_of("example"), f"{what}: '{source}' does not catch '{example}'")
            continue
        patterns.append(Pattern(kind, regex))
    return Rules(
        domains=lists["domains"],
        places=lists["places"],
        allowed=lists["allowed"],
        patterns=tuple(patterns),
    )


def _measures(r: _Reader, data: Any, topics: Mapping[str, Topic]) -> dict[str, Measure]:
    """measures.yaml: each measure's id, name, unit, direction and topics."""
    measures: dict[str, Measure] = {}
    if data is None:
        return measures
    names: dict[str, str] = {}
    for _, item in r.items(data, "measures", "a measure"):
        r.keys(item, "measure", {"id", "name", "unit", "direction", "topics"}, {"description"})
        mid = _check_id(r, item, "measure", measures)
        what = f"measure '{mid}'"
        name = r.text(item, "name", what)
        folded = " ".join(name.casefold().split())
        if folded and folded in names:
            r.error(
                item.line_of("name"), f"{what}: measure '{names[folded]}' has the name '{name}'"
            )
        elif folded:
            names[folded] = mid
        direction = r.text(item, "direction", what).lower()
        if direction and direction not in DIRECTIONS:
            r.error(
                item.line_of("direction"),
                f"{what}: direction '{direction}' must be higher or lower (which is better)",
            )
        wanted = r.text_list(item, "topics", what)
        if not wanted and "topics" in item:
            r.error(item.line_of("topics"), f"{what}: list at least one topic it relates to")
        for topic in wanted:
            if topics and topic not in topics:
                r.error(item.line_of("topics"), _unknown(what, "topic", topic, topics))
        measures[mid] = Measure(
            id=mid,
            name=name,
            unit=r.text(item, "unit", what),
            direction=direction,
            topics=wanted,
            description=r.text(item, "description", what),
        )
    return measures


#: What a survey's settings may be: (least, most) for each number.
_SURVEY_RANGES = {
    "items_per_survey": (1, 3),
    "remind_after_days": (1, 30),
    "change_within_hours": (1, 168),
    "follow_up_weeks": (0, 104),
}
#: Longest label of a scale point (it is a button's text).
SCALE_LABEL_MAX = 30
SURVEY_TEXT_MAX = 300


def _surveys(
    r: _Reader,
    data: Any,
    topics: Mapping[str, Topic],
    courses: Mapping[str, Course],
    pathways: Mapping[str, Pathway],
) -> Surveys:
    """surveys.yaml: settings, named scales, and the comfort items."""
    doc = r.mapping(data, 1, SURVEYS) if data is not None else None
    if doc is None:
        return Surveys()
    r.keys(doc, SURVEYS, {"items"}, {"settings", "scales"})
    settings = _survey_settings(r, doc.get("settings"), doc.line_of("settings"))
    scales: dict[str, tuple[str, ...]] = {}
    raw_scales = doc.get("scales")
    if raw_scales is not None:
        block = r.mapping(raw_scales, doc.line_of("scales"), "'scales'")
        for name, labels in (block or {}).items():
            line = block.line_of(name) if block is not None else 1
            scales[str(name)] = _scale(r, labels, line, f"scale '{name}'")
    items: dict[str, SurveyItem] = {}
    entries = doc.get("items")
    if not isinstance(entries, LineList):
        r.error(doc.line_of("items"), "'items' must be a list")
        return Surveys(settings, items)
    for index, entry in enumerate(entries):
        item = r.mapping(entry, entries.line_of(index), "an item")
        if item is None:
            continue
        r.keys(item, "item", {"id", "text", "topic"}, {"scale", "pathways", "looking_back"})
        iid = _check_id(r, item, "item", items)
        what = f"item '{iid}'"
        text = r.text(item, "text", what)
        back = r.text(item, "looking_back", what)
        for key, value in (("text", text), ("looking_back", back)):
            if len(value) > SURVEY_TEXT_MAX:
                r.error(item.line_of(key), f"{what}: '{key}' is over {SURVEY_TEXT_MAX} characters")
        topic = r.text(item, "topic", what)
        if topic and topics and topic not in topics:
            r.error(item.line_of("topic"), _unknown(what, "topic", topic, topics))
        chosen = item.get("scale")
        if chosen is None:
            scale = scales.get("comfort") or next(iter(scales.values()), DEFAULT_SCALE)
        elif isinstance(chosen, str):
            if chosen not in scales:
                r.error(item.line_of("scale"), _unknown(what, "scale", chosen, scales))
            scale = scales.get(chosen, DEFAULT_SCALE)
        else:
            scale = _scale(r, chosen, item.line_of("scale"), what)
        wanted = r.text_list(item, "pathways", what) if "pathways" in item else ()
        for pathway in wanted:
            if pathways and pathway not in pathways:
                r.error(item.line_of("pathways"), _unknown(what, "pathway", pathway, pathways))
        if (
            not wanted
            and topic in topics
            and not any(
                c in courses and courses[c].topic == topic
                for p in pathways.values()
                for c in p.courses
            )
        ):
            r.warn(
                item.line_of("topic"),
                f"{what}: no pathway has a course on '{topic}', so it is never asked"
                " (name its pathways)",
            )
        items[iid] = SurveyItem(iid, text, topic, scale, wanted, back)
    found = Surveys(settings, items)
    _survey_coverage(r, found, courses, pathways)
    return found


#: The scale an item has when surveys.yaml names none.
DEFAULT_SCALE = (
    "Not at all comfortable",
    "Slightly comfortable",
    "Somewhat comfortable",
    "Very comfortable",
    "Completely comfortable",
)


def _scale(r: _Reader, labels: Any, line: int, what: str) -> tuple[str, ...]:
    if not isinstance(labels, LineList) or not all(
        isinstance(v, str) and v.strip() for v in labels
    ):
        r.error(line, f"{what}: a scale is a list of labels, one per point, lowest first")
        return DEFAULT_SCALE
    found = tuple(str(v).strip() for v in labels)
    if not 2 <= len(found) <= 7:
        r.error(line, f"{what}: a scale has 2 to 7 points (it has {len(found)})")
        return DEFAULT_SCALE
    if len({v.casefold() for v in found}) < len(found):
        r.error(line, f"{what}: two points of the scale have the same label")
    for label in found:
        if len(label) > SCALE_LABEL_MAX:
            r.error(
                line,
                f"{what}: the label '{label}' is over {SCALE_LABEL_MAX} characters"
                " (it is a button)",
            )
    return found


def _survey_settings(r: _Reader, data: Any, line: int) -> SurveySettings:
    if data is None:
        return SurveySettings()
    doc = r.mapping(data, line, "'settings'")
    if doc is None:
        return SurveySettings()
    r.keys(doc, "settings", set(), {"enabled", *_SURVEY_RANGES})
    enabled = doc.get("enabled", True)
    if not isinstance(enabled, bool):
        r.error(doc.line_of("enabled"), "settings: enabled must be true or false")
        enabled = True
    numbers: dict[str, int] = {}
    for key, (least, most) in _SURVEY_RANGES.items():
        default = getattr(SurveySettings, key)
        value = doc.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
            r.error(doc.line_of(key), f"settings: {key} must be a whole number {least}-{most}")
            value = default
        numbers[key] = value
    return SurveySettings(enabled=enabled, **numbers)


def _survey_coverage(
    r: _Reader, surveys: Surveys, courses: Mapping[str, Course], pathways: Mapping[str, Pathway]
) -> None:
    """A warning for each pathway with more items than one survey asks (the first are)."""
    most = surveys.settings.items_per_survey
    for pathway in pathways.values():
        topics = {courses[c].topic for c in pathway.courses if c in courses}
        count = sum(
            1
            for item in surveys.items.values()
            if pathway.id in item.pathways or (not item.pathways and item.topic in topics)
        )
        if count > most:
            r.warn(
                1,
                f"pathway '{pathway.id}' has {count} items; a survey asks the first {most}"
                " (items_per_survey)",
            )


def _templates(r: _Reader, data: Any) -> dict[str, str]:
    doc = r.mapping(data, 1, "messages.yaml") if data is not None else None
    if doc is None:
        return {}
    texts: dict[str, str] = {}
    for key, value in doc.items():
        line = doc.line_of(key)
        if key not in TEMPLATES:
            r.error(line, _unknown("messages.yaml", "template", key, TEMPLATES))
            continue
        if not isinstance(value, str):
            r.error(line, f"template '{key}' must be text")
            continue
        for problem in template_problems(key, value):
            r.error(line, problem)
        texts[key] = value.strip("\n")
    for key in sorted(TEMPLATES.keys() - doc.keys()):
        r.error(doc.line, f"template '{key}' is missing (it takes: {_fields(key)})")
    return texts


def _fields(key: str) -> str:
    return ", ".join("{" + f + "}" for f in sorted(TEMPLATES[key])) or "no fields"


def _unknown(what: str, kind: str, value: str, known: Mapping[str, object] | set[str]) -> str:
    hint = difflib.get_close_matches(value, sorted(known), n=1)
    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
    return f"{what}: unknown {kind} '{value}'{extra}"


_SLOT = re.compile(r"\{([a-z_]+)\}")


def _intents(
    r: _Reader,
    data: Any,
    courses: Mapping[str, Course],
    pathways: Mapping[str, Pathway],
) -> IntentBook:
    """intents.yaml: fillers, spellings, and each intent's words and examples. Each
    intent's words must be a command the exact grammar reads (with sample values in its
    slots), and a command that changes something must say how it is confirmed."""
    doc = r.mapping(data, 1, INTENTS) if data is not None else None
    if doc is None:
        return IntentBook(())
    r.keys(doc, INTENTS, {"intents"}, {"fillers", "spellings"})
    fillers = r.text_list(doc, "fillers", INTENTS) if "fillers" in doc else ()
    spellings: dict[str, str] = {}
    raw_spellings = doc.get("spellings")
    if raw_spellings is not None:
        block = r.mapping(raw_spellings, doc.line_of("spellings"), "'spellings'")
        for word, meant in (block or {}).items():
            assert block is not None
            if not isinstance(meant, str) or not meant.strip():
                r.error(block.line_of(word), f"spellings: '{word}' must map to words")
                continue
            spellings[str(word).lower()] = meant.strip().lower()
    samples = {
        "date": "friday",
        "course": next(iter(courses), "course"),
        "pathway": next(iter(pathways), "pathway"),
        "zone": "Europe/London",
        "hours": "21:00-07:00",
    }
    found: list[Intent] = []
    raw = r.mapping(doc.get("intents"), doc.line_of("intents"), "'intents'") or LineDict()
    for iid, entry in raw.items():
        what = f"intent '{iid}'"
        item = r.mapping(entry, raw.line_of(iid), what)
        if item is None:
            continue
        r.keys(item, what, {"says", "examples"}, {"without", "label", "confirm", "keywords"})
        says = r.text(item, "says", what)
        without = r.text(item, "without", what)
        confirm = r.text(item, "confirm", what)
        slots = set(_SLOT.findall(says))
        for slot in sorted(slots - set(SLOTS)):
            r.error(
                item.line_of("says"),
                f"{what}: unknown slot {{{slot}}} (slots: {', '.join(SLOTS)})",
            )
        command = parse(_SLOT.sub(lambda m: samples.get(m.group(1), m.group(1)), says))
        if type(command).__name__ == "Unknown":
            r.error(item.line_of("says"), f"{what}: '{says}' is not a command Huddle reads")
            continue
        if slots and not without:
            r.error(item.line, f"{what}: say what to run 'without' its {{slot}} (it asks)")
        if without and type(parse(without)).__name__ == "Unknown":
            r.error(item.line_of("without"), f"{what}: '{without}' is not a command Huddle reads")
        if not command.only_answers and not confirm:
            r.error(item.line, f"{what}: it changes something, so it needs a 'confirm' question")
        for slot in sorted(set(_SLOT.findall(confirm)) - slots):
            r.error(item.line_of("confirm"), f"{what}: confirm uses {{{slot}}}, not in '{says}'")
        examples = r.text_list(item, "examples", what)
        if not examples and "examples" in item:
            r.error(item.line_of("examples"), f"{what}: give at least one example")
        for example in examples:
            for slot in sorted(set(_SLOT.findall(example)) - slots):
                r.error(item.line_of("examples"), f"{what}: example '{example}' uses {{{slot}}}")
        keywords = r.text_list(item, "keywords", what) if "keywords" in item else ()
        found.append(
            Intent(
                id=str(iid),
                says=says,
                examples=examples,
                without=without,
                label=r.text(item, "label", what) or str(iid).replace("_", " "),
                confirm=confirm,
                keywords=keywords,
            )
        )
    titles = [c.title for c in courses.values()] + [p.title for p in pathways.values()]
    titles += [c.replace("-", " ") for c in (*courses, *pathways)]
    catalog = frozenset(w for t in titles for w in normalize(t).split() if len(w) >= 3)
    return IntentBook(tuple(found), fillers, spellings, catalog - _COMMON)


#: Title words too common to name a course by themselves.
_COMMON = frozenset({"the", "and", "for", "with", "your", "every", "that", "this", "what"})
