"""A screen for likely patient identifiers in free text before Huddle shares it.

Huddle never needs patient information. Text a person writes that the bot would
show to others (a shout-out, a team name, a custom nudge, a session title, later
a suggestion, a contest and its prize, or a reply in a case-discussion thread) is
checked here first. What it looks for is HIPAA Safe Harbor's list as it shows up
in chat (see :data:`KINDS`): names of patients and family, record, account, plan,
licence and device numbers, social security numbers, dates of birth and other
dates tied to a patient, ages over 89, phone and fax numbers, emails that are not
staff addresses, street addresses and street-level places, ZIP codes with a
street, links and file names that carry an id or a name, patient rooms and beds,
and initials with an age and sex ("R.T., 81F, COPD").

The screen knows who and what is ours (:class:`Staff`): the roster's names, the
organisation's email and web domains, its rooms, units and departments, the
course and team names, and the words admins allow in ``content/privacy.yaml``.
That is what lets it flag an unknown full name next to clinical words ("Gloria
Petrakis passed overnight with her daughters") without flagging "Thanks Priya Shah
for covering the family meeting" or "Dr. Okafor led the debrief". A screen
without staff knowledge (``screen(text)``) knows nothing is ours.

Everything here is pattern and word-list work on one message (no model, no
network): about 0.1 ms a message. bench/guard.py measures it on
tests/privacy_corpus.yaml.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

KINDS = (
    "name",
    "record_number",
    "plan_number",
    "licence_number",
    "device_number",
    "ssn",
    "phone",
    "fax",
    "email",
    "url",
    "date",
    "age",
    "address",
    "zip",
    "room",
    "initials_combo",
)


@dataclass(frozen=True)
class Finding:
    """Something in the text that looks like a patient identifier."""

    kind: str
    text: str


@dataclass(frozen=True)
class Pattern:
    """An admin's own check from content: text matching ``regex`` is a ``kind``."""

    kind: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Rules:
    """What content says about the organisation (``content/privacy.yaml``)."""

    #: Email and web domains that are the organisation's (subdomains included).
    domains: tuple[str, ...] = ()
    #: Rooms, units, buildings and departments that are places of ours, not a patient's.
    places: tuple[str, ...] = ()
    #: Words and phrases that are never a patient detail here (an award, a speaker
    #: series, the consult line's number).
    allowed: tuple[str, ...] = ()
    #: Admins' extra checks.
    patterns: tuple[Pattern, ...] = ()


# --- word lists ----------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that show up capitalised in a clinical team's chat without being anyone's name:
#: sentence openers, days and months, titles and roles, services, events, tools. A
#: capitalised word in this list never makes a run of words look like a person.
COMMON_WORDS = _words(
    """
    a about after again all also an and any anyone are as ask at be because before big
    both but by can could congrats congratulations dear did do does don't each even every
    everyone few first for from get good great had happy has have hello hey hi how huge i
    if in is it its just kudos last let lets like many may maybe me more most much my new
    next nice no not now of off ok okay on once one only or our out over please quick re
    really reminder shout shoutout so some still such thank thanks that the their then
    there these they this those to today tomorrow tonight too two up us very was we well
    welcome were what when where which while who why will with would yes yesterday you your
    monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
    january february march april june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec spring summer autumn fall winter
    dr doctor nurse chaplain pastor rev reverend prof professor sister father
    rn np pa md do lpn cna nurses doctors physician physicians pharmacist pharmacists
    chaplains residents resident fellows fellow interns intern students student staff
    manager director coordinator educator liaison liaisons navigator volunteers volunteer
    champion champions leader leaders lead team teams unit units floor clinic clinics
    center centre hospital health care medicine medical nursing surgery surgical
    oncology cardiology neurology pulmonary renal geriatrics pediatrics paediatrics icu
    palliative hospice home family families patient patients service services social work
    spiritual case management quality safety experience education clinical emergency
    critical intensive primary ambulatory inpatient outpatient department office
    pharmacy therapy rehab rehabilitation respiratory occupational physical support
    grand rounds round rounding journal club conference meeting meetings huddle huddles
    debrief review committee council board forum lunch learn session sessions workshop
    lab skills simulation training course courses module modules pathway pathways guide
    toolkit refresher orientation webinar seminar lecture talk talks class series
    program programme project initiative kickoff launch bake off contest challenge
    prize award awards week month quarter year day night evening morning weekend
    essentials basics fundamentals advanced practice level bronze silver gold
    goals goal conversation conversations communication serious illness pain symptom
    symptoms management assessment breathlessness dyspnea nausea comfort end life death
    dying grief bereavement loss memorial caregiver caregivers support group groups
    advance directive planning transitions transition referral referrals early late
    heart failure lung kidney liver cancer dementia stroke disease renal opioid opioids
    rotation dosing safety breaking bad news disagrees when why how what
    epic cerner zoom teams slack huddle outlook excel intranet portal
    north south east west upper lower main central
    """
)

#: Words that put a person in a clinical or family setting: an unknown full name near
#: one of these is likely a patient or a relative.
_CONTEXT = re.compile(
    r"\b(?:patients?|pts?|family|families|daughters?|sons?|wife|husband|spouse|partner|"
    r"mother|mom|mum|father|dad|sisters?|brothers?|kids|children|grand(?:son|daughter)s?|"
    r"niece|nephew|proxy|poa|dpoa|caregiver|guardian|bedside|beds?|rooms?|admit(?:ted)?|"
    r"admission|re-?admitted|discharged?|transferred|hospice|dnr|dni|polst|molst|"
    r"code status|full code|comfort (?:care|measures)|diagnos[ie]s|dx|hx|prognosis|"
    r"passed|died|death|dying|autopsy|funeral|bereavement|last hours|goodbye|pain|"
    r"cancer|metasta\w*|mets|tumou?r|copd|chf|heart failure|dementia|alzheimer'?s|als|"
    r"parkinson'?s|stroke|sepsis|pneumonia|esrd|dialysis|cirrhosis|lymphoma|leukemia|"
    r"glioblastoma|opioids?|morphine|fentanyl|methadone|hydromorphone|oxycodone|chemo\w*|"
    r"intubated|extubated|vent(?:ilator)?|bipap|biopsy|surgery|wound|chart|mrn|dob|"
    r"priest|rabbi|imam|last rites|visiting hours)\b",
    re.I,
)

#: Capitalised words after "patient" that make a department, not a person.
_SERVICE_WORDS = _words(
    "experience education safety care access relations services flow family advocacy "
    "engagement portal navigation navigator centered centred reported outcomes "
    "satisfaction portals rights liaison"
)

#: Upper-case abbreviations that are not a person's initials.
_ABBREVIATIONS = _words(
    "icu ccu picu nicu pcu ed er or pacu snf ltc ltac irf rn lpn cna np pa md do dds "
    "pharmd lcsw msw cno cmo ceo coo rt ot pt slp sw cm chf copd esrd als ckd aki mi "
    "cva tia uti dvt pe gi gu cad hf dnr dni polst molst ce cme cne moc ceu iv po sq "
    "prn bid tid qid ct mri pet ekg ecg eeg us usa ai it hr pc ok qa ama cpr acls bls "
    "pals hipaa phi ehr emr"
)

_NAME_TOKEN = re.compile(
    r"(?<![\w@'’])(?:[A-Z]['’])?(?:Mc|Mac)?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?"
    r"(?:['’]s)?(?![\w@])"
)
_POSSESSIVE = re.compile(r"['’]s$")
_AFTER_TITLE = re.compile(
    r"(?:\b(?:Dr|Doctor|Chaplain|Nurse|Pastor|Rev|Reverend|Prof|Professor|Father|Sister)"
    r"\.?|@)\s*$"
)


def _fold(text: str) -> str:
    return " ".join(_POSSESSIVE.sub("", text.replace("’", "'")).casefold().split())


def _name_parts(name: str) -> list[str]:
    return [p for p in re.split(r"[\s,]+", _fold(name)) if p]


# --- staff knowledge -----------------------------------------------------------------------


@dataclass(frozen=True)
class Roster:
    """The roster's names and emails, folded for look-up (built once, shared)."""

    #: "first last" and every full name as written.
    full_names: frozenset[str] = frozenset()
    #: Each part of every name.
    parts: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    teams: tuple[str, ...] = ()
    #: The team names as one pattern (a team name is never a finding).
    team_pattern: re.Pattern[str] | None = None

    @classmethod
    def of(cls, people: Iterable[tuple[str, str]], teams: Iterable[str] = ()) -> Roster:
        """From (name, email) pairs and team names."""
        full: set[str] = set()
        parts: set[str] = set()
        emails: set[str] = set()
        for name, email in people:
            tokens = _name_parts(name)
            if tokens:
                full.add(" ".join(tokens))
                full.add(f"{tokens[0]} {tokens[-1]}")
                parts.update(tokens)
            if email:
                emails.add(email.strip().casefold())
        names = tuple(teams)
        return cls(frozenset(full), frozenset(parts), frozenset(emails), names, _phrases(names))


@dataclass(frozen=True)
class Known:
    """What content tells the screen is ours, compiled once per content folder."""

    rules: Rules = field(default_factory=Rules)
    #: Folded words of titles, places and allowed phrases: never a name.
    words: frozenset[str] = COMMON_WORDS
    #: Phrases (places, allowed words, titles) whose text is never a finding.
    phrases: re.Pattern[str] | None = None

    @classmethod
    def of(cls, rules: Rules, titles: Iterable[str] = ()) -> Known:
        titles = tuple(titles)
        words = set(COMMON_WORDS)
        for text in (*rules.places, *rules.allowed, *titles):
            words.update(w for w in re.findall(r"[a-z][a-z'’-]+", _fold(text)))
        return cls(rules, frozenset(words), _phrases((*rules.places, *rules.allowed)))


def _phrases(texts: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = sorted(
        {re.escape(" ".join(t.split())).replace(r"\ ", r"\s+") for t in texts if t.strip()},
        key=len,
        reverse=True,
    )
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)


@dataclass(frozen=True)
class Staff:
    """Everything the screen treats as ours rather than a patient's."""

    known: Known = field(default_factory=Known)
    roster: Roster = field(default_factory=Roster)

    def is_staff_name(self, words: str) -> bool:
        return _fold(words) in self.roster.full_names

    def is_known_word(self, word: str) -> bool:
        folded = _fold(word)
        return folded in self.known.words or (
            "-" in folded and all(p in self.known.words for p in folded.split("-"))
        )

    def is_ours(self, domain: str) -> bool:
        domain = domain.casefold().rstrip(".")
        return any(domain == d or domain.endswith("." + d) for d in self.known.rules.domains)


NOBODY = Staff()


# --- the checks ----------------------------------------------------------------------------

_ID = (
    r"[A-Z0-9]*\d[A-Z0-9]*(?:-[A-Z0-9]+)*"
    r"(?: [A-Z0-9]*\d[A-Z0-9]*(?:-[A-Z0-9]+)*){0,2}"
)


def _numbered(words: str, token: str = _ID, gap: int = 20) -> re.Pattern[str]:
    """A label (``words``) followed closely by an id with at least one digit."""
    return re.compile(
        rf"\b(?:{words})(?:\b|(?<=#))[^\n\d]{{0,{gap}}}?(?<![A-Za-z])(?:{token})(?![\w-])",
        re.I,
    )


_LABELLED: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ssn",
        re.compile(
            r"\b(?:ssn|ss\s?#|social security(?: number| no\.?| #)?|social)(?!\w)"
            r"[^\n\d]{0,25}?(?:\d{3}[- ]?\d{2}[- ]?\d{4}|\d{4})\b",
            re.I,
        ),
    ),
    ("ssn", re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")),
    (
        "plan_number",
        _numbered(
            r"medicare|medicaid|member|subscriber|policy|insurance|plan id|plan number|"
            r"plan #|plan no|group|beneficiary|mbi|hicn"
        ),
    ),
    (
        "licence_number",
        _numbered(
            r"driver'?s? licen[cs]e|driving licen[cs]e|licen[cs]e|dl\s?#?|plate|"
            r"certificate|passport|state id"
        ),
    ),
    (
        "device_number",
        _numbered(r"serial|s/n|sn\s?#|lot|model|device|pump|implant|udi"),
    ),
    (
        "record_number",
        _numbered(
            r"mrn|mr\s?#|med(?:ical)? rec(?:ord)?s?|records?|chart|acct|account|fin|csn|har|"
            r"encounter|enc|visit|case|pt|patient|pat"
        ),
    ),
)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+", re.I)
_FILE = re.compile(
    r"(?<![\w/.-])[\w.-]+\.(?:pdf|docx?|xlsx?|csv|txt|rtf|pptx?|jpe?g|png|heic|gif|tiff?|"
    r"dcm|zip|msg|eml)\b",
    re.I,
)
_PATIENT_WORDS = re.compile(
    r"(?:^|[^a-z])(?:pt|pts|patient|patients|mrn|dob|ssn|chart|encounter|record|mrns|"
    r"name|firstname|lastname|fname|lname|member|memberid|subscriber|patientid|pid|"
    r"discharge|admit|referral|polst|molst|dnr|consent|wound|scan|labs|ct|mri|xray|"
    r"notes?|summary|hx)(?:$|[^a-z])",
    re.I,
)

_PHONE = re.compile(
    r"(?<![\w-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w-])"
    r"|(?<![\w-])\d{3}-\d{4}(?![\w-])"
    r"|(?<![\w-])(?:1)?[2-9]\d{2}[2-9]\d{6}(?![\w-])",
    re.I,
)
_CALL = re.compile(r"\b(?:call|text|phone|cell|number|fax\w*|reach|dial)\b", re.I)
_NOT_PHONE = re.compile(
    r"\b(?:meeting id|webinar id|passcode|pin|ext\.?|extension|pager|page|dial|ticket|"
    r"course|module|version|order set)\b[^\n]{0,12}$",
    re.I,
)

_LONG_NUMBER = re.compile(r"(?<![\w-])(?<!\d[.,/])[A-Z]{0,3}\d{7,12}[A-Z]?(?![\w-])(?![.,/]\d)")
_TICKET = re.compile(
    r"\b(?:ticket|incident|inc|course|module|order set|meeting id|webinar|passcode|"
    r"version|cost cent(?:er|re)|extension|ext|pager|isbn|doi)\b[^\n]{0,15}$",
    re.I,
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    r"(?<![\w/.-])(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})(?:[/.-](?P<y>\d{4}|\d{2}))?(?![\w/-])"
    r"|(?<![\w-])(?P<iy>(?:18|19|20)\d{2})-(?P<im>\d{1,2})-(?P<id>\d{1,2})(?![\w-])"
    rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+(?P<my>(?:18|19|20)\d{{2}}))?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?(?:,?\s+(?P<dy>(?:18|19|20)\d{{2}}))?\b",
    re.I,
)
_BIRTH = re.compile(
    r"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on| in)?|birthday|b\.)(?!\w)",
    re.I,
)
_YEAR = re.compile(r"\b(?:18|19|20)\d{2}\b")
_EVENT = re.compile(
    r"\b(?:admit(?:ted)?|admission|re-?admitted|discharged?|passed(?: away)?|died|death|"
    r"dod|expired|came in|brought in|transferred|start date|surgery|procedure|"
    r"diagnosed|intubated|extubated|enrolled)\b",
    re.I,
)
_PERSON_CONTEXT = re.compile(
    r"\b(?:patients?|pts?|daughters?|sons?|wife|husband|spouse|mother|mom|father|dad|"
    r"proxy|caregiver|family)\b",
    re.I,
)

_NUMBER_WORDS = (
    r"(?:ninety(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|"
    r"(?:a|one) hundred(?:(?: and)?[- ]\w+)?)"
)
_AGE = re.compile(
    r"\b(?:9\d|1[01]\d)\s?-?\s?(?:years?[- ]old|yrs?[- ]old|year old|y/?o|y\.o\.?|yo|"
    r"[MF](?=\b)|yr)(?!\w)"
    r"|\b(?:age[ds]?|aged|turned|turns|turning)\s*:?\s*(?:9\d|1[01]\d)\b"
    r"|\b(?:he|she|they)(?:'s|’s| is| was)\s+(?:9\d|1[01]\d)\b(?!\s*(?:%|minutes|mins|"
    r"percent|days|hours))"
    rf"|\b(?:is|was|he's|she's|aged?|turned|turns)\s+{_NUMBER_WORDS}\b"
    rf"|\b{_NUMBER_WORDS}[- ]years?[- ]old\b",
    re.I,
)

_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|"
    r"Place|Pl|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|"
    r"Crescent|Close|Row)"
)
_STREET = re.compile(
    r"\b\d{1,6}[A-Z]?\s+(?:(?:[NSEW]|North|South|East|West)\.?\s+)?"
    rf"(?:[A-Z][a-z]+\.?\s+|\d+(?:st|nd|rd|th)\s+){{1,3}}{_SUFFIX}\b\.?"
    r"(?:,?\s*(?:apt|apartment|unit|suite|ste|#)\.?\s*#?\w+)?"
)
_PO_BOX = re.compile(r"\bP\.?\s?O\.?\s*Box\s+\d+\b", re.I)
_CORNER = re.compile(r"\bcorner of\s+[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s+(?:and|&)\s+[A-Z][a-z]+")
_ON_STREET = re.compile(rf"\b(?:on|off|at|near)\s+(?:[A-Z][a-z]+\s+){{1,3}}{_SUFFIX}\b", re.UNICODE)
_RESIDENT = re.compile(
    r"\b(?:she|he|they|lives?|living|moved|moving|home|house|apartment|patient|pt|"
    r"family|daughter|son|wife|husband)\b|'s at\b",
    re.I,
)
_ZIP = re.compile(r"(?<![\w-])\d{5}(?:-\d{4})?(?![\w-])")

_ROOM = re.compile(
    r"\b(?:room|rm|bed|bay|cubicle|cube)\s?#?\s?(?:\d{1,4}[A-Z]?|[A-Z]\d{1,3})\b(?!\s?%)",
    re.I,
)
_IN_ROOM = re.compile(
    r"\b(?:patient|pt|man|woman|lady|gentleman|gent|guy|resident|veteran|girl|boy|"
    r"(?:Mr|Mrs|Ms|Miss)\.?\s+[A-Z][a-z]+|\w+yo\b\s+\w+|y/o\s+\w+)"
    r"\s+in\s+(?:room\s+)?(?:\d{1,4}[A-Z]?|\d{1,2}[A-Z]{1,2}-\d{1,3})\b"
)
_UNIT_ROOM = re.compile(r"\b\d{1,2}(?:N|S|E|W|NE|NW|SE|SW)-\d{1,3}[A-Z]?\b")

_INITIALS = re.compile(r"(?<![\w.])(?:[A-Z]\.\s?){2,3}(?!\w)|(?<![\w.])[A-Z]{2,3}(?![\w.])")
_AGE_SEX = re.compile(
    r"\b\d{1,3}\s?(?:[MF]\b|yo\b|y/o\b|y\.o\.?|yrs?\b|years?[- ]old\b|year old\b)"
    r"(?:\s*,?\s*(?:male|female|man|woman|[MF]\b))?"
    r"|\b\d{1,3}\s?,?\s?(?:male|female|man|woman)\b",
    re.I,
)
_DIAGNOSIS = re.compile(
    r"\b(?:copd|chf|esrd|ckd|als|cancer|ca|mets|metastatic|dementia|sepsis|stroke|cva|"
    r"pneumonia|cirrhosis|lymphoma|leukemia|gbm|glioblastoma|hf|heart failure|"
    r"parkinson'?s|alzheimer'?s|dx)\b",
    re.I,
)

_TITLE_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Mister|Mme|Mrs?)\b\.?\s+"
    r"(?:and\s+(?:Mr|Mrs|Ms|Miss)\b\.?\s+)?"
    r"(?P<name>(?:[A-Z]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:['’]s)?"
    r"(?:\s+(?:[A-Z]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:['’]s)?)?)"
)
_PATIENT_NAME = re.compile(
    r"\b(?i:patient|pt|resident|client|decedent)s?\b\.?\s*:?\s*"
    r"(?i:named\s+|name is\s+|called\s+)?"
    r"(?P<name>(?:[A-Z]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:['’]s)?"
    r"(?:\s+(?:[A-Z]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:['’]s)?)?)"
)
_RELATIVE = re.compile(
    r"(?P<name>(?<![\w@'’])(?:[A-Z]['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?)['’]s\s+"
    r"(?:\w+\s+)?(?:daughters?|sons?|wife|husband|spouse|mother|mom|mum|father|dad|"
    r"sisters?|brothers?|kids|children|grand(?:son|daughter)s?|niece|nephew|proxy|"
    r"caregiver|family|pain|diagnosis|prognosis|hospice|chart|code status)\b"
    r"|\bthe\s+(?P<family>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+(?:family|household|kids)\b"
)


@dataclass
class _Scan:
    text: str
    staff: Staff
    found: list[tuple[int, int, str]] = field(default_factory=list)
    safe: list[tuple[int, int]] = field(default_factory=list)

    def overlaps(self, start: int, end: int) -> bool:
        spans = [(s, e) for s, e, _ in self.found] + self.safe
        return any(start < e and s < end for s, e in spans)

    def is_safe(self, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in self.safe)

    def add(self, kind: str, start: int, end: int) -> None:
        while end > start and self.text[end - 1] in " ,;:.":
            end -= 1
        if kind == "name" and _POSSESSIVE.search(self.text[start:end]):
            end -= 2
        if end > start and not self.overlaps(start, end):
            self.found.append((start, end, kind))

    def context_near(self, start: int, end: int, reach: int = 70) -> bool:
        window = self.text[max(0, start - reach) : end + reach]
        inside = self.text[start:end]
        return any(m.group(0) not in inside for m in _CONTEXT.finditer(window))


def screen(text: str, staff: Staff = NOBODY) -> list[Finding]:
    """Likely patient identifiers in ``text``, in order of appearance; empty if none.

    ``staff`` says who and what is ours (the roster, domains, places, allowed words);
    without it nothing is.
    """
    scan = _Scan(text, staff)
    _mark_ours(scan)
    for pattern in staff.known.rules.patterns:
        for m in pattern.regex.finditer(text):
            if m.end() > m.start():
                scan.add(pattern.kind, m.start(), m.end())
    _emails(scan)
    _links(scan)
    _labelled_numbers(scan)
    _phones(scan)
    _dates(scan)
    _ages(scan)
    _addresses(scan)
    _rooms(scan)
    _initials(scan)
    _names(scan)
    _long_numbers(scan)
    return [
        Finding(kind, text[start:end].strip())
        for start, end, kind in sorted(scan.found)
        if text[start:end].strip()
    ]


def _mark_ours(scan: _Scan) -> None:
    """Places, allowed phrases, team names, staff names and @mentions are never findings."""
    for pattern in (scan.staff.known.phrases, scan.staff.roster.team_pattern):
        if pattern is not None:
            scan.safe += [m.span() for m in pattern.finditer(scan.text)]
    # Slack's and Teams' mention markup, and "@Name Surname" as typed.
    for m in re.finditer(r"<@[\w.-]+(?:\|[^>]*)?>|<at>[^<]*</at>", scan.text):
        scan.safe.append(m.span())
    for m in re.finditer(r"@((?:[A-Z][\w'’-]*)(?:\s+[A-Z][\w'’-]*){0,2})", scan.text):
        words = m.group(1).split()
        for n in range(len(words), 0, -1):
            if scan.staff.is_staff_name(" ".join(words[:n])) or n == 1:
                end = m.start(1) + len(" ".join(words[:n]))
                scan.safe.append((m.start(), end))
                break


def _emails(scan: _Scan) -> None:
    for m in _EMAIL.finditer(scan.text):
        address = m.group(0).casefold()
        if scan.staff.is_ours(m.group(1)) or address in scan.staff.roster.emails:
            scan.safe.append(m.span())
        else:
            scan.add("email", *m.span())


def _carries_id(scan: _Scan, words: list[str], ours: bool) -> bool:
    """Whether the parts of a link or file name carry an id or a person's name."""
    joined = " ".join(words)
    if _PATIENT_WORDS.search(joined) and (
        re.search(r"\d{3,}", joined) or not ours or _name_like(scan, words)
    ):
        return True
    if re.search(r"(?<![0-9])\d{5,}", joined) and not ours:
        return True
    if re.search(r"[a-z]\d{5,}|\d{5,}[a-z]|(?:dob|mrn)\d+", joined, re.I):
        return True
    return _name_like(scan, words)


def _name_like(scan: _Scan, words: list[str]) -> bool:
    """Two neighbouring words that are no known word, as a name would be in a slug."""
    unknown = [
        bool(re.fullmatch(r"[A-Za-z][a-z'’]{1,}", w)) and not scan.staff.is_known_word(w)
        for w in words
    ]
    for a, b, w1, w2 in zip(unknown, unknown[1:], words, words[1:], strict=False):
        if (
            a
            and b
            and (w1[:1].isupper() or w2[:1].isupper() or _clinical_doc(words))
            and not scan.staff.is_staff_name(f"{w1} {w2}")
        ):
            return True
    return False


def _clinical_doc(words: list[str]) -> bool:
    return bool(_PATIENT_WORDS.search(" ".join(words)))


def _links(scan: _Scan) -> None:
    for m in _URL.finditer(scan.text):
        url = m.group(0).rstrip(".,;:!?")
        parts = urlsplit(url if "://" in url else "https://" + url)
        host = parts.hostname or ""
        rest = unquote(parts.path + " " + parts.query + " " + parts.fragment)
        words = [w for w in re.split(r"[/?&=#._\s+-]+", rest) if w]
        if _carries_id(scan, words, scan.staff.is_ours(host)):
            scan.add("url", m.start(), m.start() + len(url))
        else:
            scan.safe.append((m.start(), m.start() + len(url)))
    for m in _FILE.finditer(scan.text):
        if scan.overlaps(*m.span()):
            continue
        stem = m.group(0).rsplit(".", 1)[0]
        words = [w for w in re.split(r"[_.\s-]+|(?<=[a-z])(?=[A-Z])", stem) if w]
        if _carries_id(scan, words, False):
            scan.add("url", *m.span())
        else:
            scan.safe.append(m.span())


def _labelled_numbers(scan: _Scan) -> None:
    for kind, pattern in _LABELLED:
        for m in pattern.finditer(scan.text):
            digits = sum(ch.isdigit() for ch in m.group(0))
            if digits < (4 if kind not in ("licence_number", "device_number") else 3):
                continue
            if (
                kind == "record_number"
                and digits < 5
                and not re.search(r"mrn|mr\s?#|rec|acct|account|fin|csn|har|#", m.group(0), re.I)
            ):
                continue
            scan.add(kind, *m.span())


def _phones(scan: _Scan) -> None:
    for m in _PHONE.finditer(scan.text):
        before = scan.text[max(0, m.start() - 40) : m.start()]
        if _NOT_PHONE.search(before) or scan.is_safe(*m.span()):
            continue
        digits = re.sub(r"\D", "", m.group(0))
        # A bare ten-digit run is a phone only where it reads as one.
        if (
            len(digits) in (10, 11)
            and not re.search(r"[\s.()-]", m.group(0))
            and not _CALL.search(before)
        ):
            continue
        fax = "fax" in before.casefold() or re.search(r"\bF\s*:\s*$", before) is not None
        scan.add("fax" if fax else "phone", *m.span())


def _valid_date(m: re.Match[str]) -> tuple[bool, bool, int | None]:
    """(a real date, has a year, the year) for a date match."""
    if m.group("a"):
        a, b = int(m.group("a")), int(m.group("b"))
        ok = (1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)
        year = m.group("y")
        if year is None:
            return ok, False, None
        y = int(year)
        return ok, True, y if len(year) == 4 else None
    if m.group("iy"):
        ok = 1 <= int(m.group("im")) <= 12 and 1 <= int(m.group("id")) <= 31
        return ok, True, int(m.group("iy"))
    year = m.group("my") or m.group("dy")
    return True, year is not None, int(year) if year else None


def _dates(scan: _Scan) -> None:
    text = scan.text
    for m in _BIRTH.finditer(text):
        tail = text[m.end() : m.end() + 25]
        d = _DATE.search(tail) or _YEAR.search(tail)
        if d is not None and not re.search(r"[.!?]\s", tail[: d.start()]):
            scan.add("date", m.start(), m.end() + d.end())
    person = bool(_PERSON_CONTEXT.search(text))
    for m in _DATE.finditer(text):
        ok, has_year, year = _valid_date(m)
        if not ok or scan.overlaps(*m.span()):
            continue
        near = text[max(0, m.start() - 45) : m.end() + 45]
        if (year is not None and year < 2000) or _EVENT.search(near) or (has_year and person):
            scan.add("date", *m.span())


def _ages(scan: _Scan) -> None:
    for m in _AGE.finditer(scan.text):
        scan.add("age", *m.span())


def _addresses(scan: _Scan) -> None:
    text = scan.text
    for pattern in (_STREET, _PO_BOX, _CORNER):
        for m in pattern.finditer(text):
            if not scan.is_safe(*m.span()):
                scan.add("address", *m.span())
    for m in _ON_STREET.finditer(text):
        sentence = _sentence(text, m.start(), m.end())
        if _RESIDENT.search(sentence) and not scan.is_safe(*m.span()):
            scan.add("address", m.start() + len(m.group(0).split()[0]) + 1, m.end())
    addresses = [(s, e) for s, e, k in scan.found if k == "address"]
    for m in _ZIP.finditer(text):
        after_street = any(0 <= m.start() - e <= 45 for _, e in addresses)
        city_state = re.search(r"[A-Z][a-z]+,?\s+[A-Z]{2},?\s*$", text[: m.start()])
        if after_street or (city_state and addresses):
            scan.add("zip", *m.span())


def _sentence(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ".!?\n")
    rights = [i for i in (text.find(c, end) for c in ".!?\n") if i >= 0]
    return text[left + 1 : min(rights) if rights else len(text)]


def _rooms(scan: _Scan) -> None:
    text = scan.text
    for m in _ROOM.finditer(text):
        before = text[max(0, m.start() - 25) : m.start()].casefold()
        if scan.is_safe(*m.span()) or re.search(
            r"(?:conference|meeting|class|break|zoom|board|training|sim|simulation|"
            r"huddle|team|call)\s*$",
            before,
        ):
            continue
        scan.add("room", *m.span())
    for pattern in (_IN_ROOM, _UNIT_ROOM):
        for m in pattern.finditer(text):
            if not scan.is_safe(*m.span()):
                number = re.search(r"\S+$", m.group(0))
                start = m.start() + (number.start() if number and pattern is _IN_ROOM else 0)
                scan.add("room", start, m.end())


def _initials(scan: _Scan) -> None:
    text = scan.text
    for m in _INITIALS.finditer(text):
        letters = m.group(0).replace(".", "").replace(" ", "")
        dotted = "." in m.group(0)
        if not dotted and letters.casefold() in _ABBREVIATIONS:
            continue
        tail = text[m.end() : m.end() + 30]
        age = _AGE_SEX.search(tail)
        if age is not None and not re.search(r"[.!?;]\s", tail[: age.start()]):
            scan.add("initials_combo", m.start(), m.end() + age.end())
        elif dotted and _DIAGNOSIS.search(text[m.end() : m.end() + 50]):
            scan.add("initials_combo", *m.span())


def _looks_like_title(text: str) -> bool:
    """Title Case (a session or team name): capitalised words are not names there."""
    words: list[str] = re.findall(r"[A-Za-z][\w'’-]*", text)
    longer = [w for w in words[1:] if len(w) > 3]
    if len(longer) < 2:
        return False
    return sum(w[0].isupper() for w in longer) / len(longer) >= 0.75


def _names(scan: _Scan) -> None:
    text, staff = scan.text, scan.staff
    for m in _TITLE_NAME.finditer(text):
        name = m.group("name")
        first = name.split()[0]
        if staff.is_staff_name(name) or _fold(first) in _SERVICE_WORDS:
            continue
        if len(name.split()) == 2 and staff.is_known_word(name.split()[1]):
            name = first
        scan.add("name", m.start(), m.start("name") + len(name))
    for m in _PATIENT_NAME.finditer(text):
        name = m.group("name")
        first = name.split()[0]
        if _fold(first) in _SERVICE_WORDS or staff.is_known_word(first):
            continue
        if staff.is_staff_name(name) or scan.is_safe(*m.span("name")):
            continue
        scan.add("name", m.start(), m.end())
    for m in _RELATIVE.finditer(text):
        group = "name" if m.group("name") else "family"
        word = m.group(group)
        before = text[max(0, m.start(group) - 12) : m.start(group)]
        if (
            staff.is_known_word(word)
            or _fold(word) in staff.roster.parts
            or _AFTER_TITLE.search(before)
            or scan.is_safe(*m.span(group))
            or _NAME_TOKEN.fullmatch(word) is None
        ):
            continue
        # "Tom Becker's daughter": the word before belongs to the name.
        prior = re.search(r"(?<![\w'’])([A-Z][a-z]+)[ \t]+$", before)
        if prior and staff.is_staff_name(f"{prior.group(1)} {word}"):
            continue
        known = prior is None or staff.is_known_word(prior.group(1))
        start = m.start(group) if known or prior is None else m.start(group) - len(prior.group(0))
        scan.add("name", start, m.end(group))
    if _looks_like_title(text):
        return
    for start, end, words in _runs(scan):
        if len(words) >= 2 and scan.context_near(start, end):
            scan.add("name", start, end)


def _runs(scan: _Scan) -> list[tuple[int, int, list[str]]]:
    """Runs of neighbouring capitalised words that are no known word and no staff name."""
    text, staff = scan.text, scan.staff
    runs: list[tuple[int, int, list[str]]] = []
    current: list[re.Match[str]] = []

    def close() -> None:
        while current:
            words = [m.group(0) for m in current]
            # Drop the longest staff name at the front, then try again after it.
            for n in range(len(words), 1, -1):
                if staff.is_staff_name(" ".join(words[:n])):
                    del current[:n]
                    break
            else:
                if len(current) >= 2 and not any(
                    staff.is_staff_name(f"{a} {b}") for a, b in itertools.pairwise(words)
                ):
                    runs.append((current[0].start(), current[-1].end(), words))
                    current.clear()
                elif len(current) >= 2:
                    del current[0]
                else:
                    current.clear()

    for m in _NAME_TOKEN.finditer(text):
        word = m.group(0)
        joined = bool(current) and re.fullmatch(r"[ \t]+", text[current[-1].end() : m.start()])
        before = text[max(0, m.start() - 12) : m.start()]
        ours = (
            staff.is_known_word(word)
            or scan.is_safe(m.start(), m.end())
            or (not current and _AFTER_TITLE.search(before) is not None)
        )
        if current and (not joined or ours):
            close()
        if not ours:
            current.append(m)
        if current and _POSSESSIVE.search(word):
            close()
    close()
    return runs


def _long_numbers(scan: _Scan) -> None:
    """A bare run of seven to twelve digits: a record number, unless labelled otherwise."""
    for m in _LONG_NUMBER.finditer(scan.text):
        before = scan.text[max(0, m.start() - 30) : m.start()]
        if _TICKET.search(before) or scan.is_safe(*m.span()):
            continue
        scan.add("record_number", *m.span())


# --- columns of a file of figures --------------------------------------------------------------

#: What a column heading can say that makes a file look like rows about patients, not
#: figures for a team: the Safe Harbor identifiers as they head a column, and "patient"
#: itself (a row per patient, whatever else it holds). Each has a ``measures.column.*``
#: template saying why it was refused.
COLUMN_KINDS = (
    "record_number",
    "ssn",
    "plan_number",
    "date",
    "name",
    "age",
    "phone",
    "fax",
    "email",
    "url",
    "address",
    "zip",
    "room",
    "device_number",
    "licence_number",
    "patient",
)

_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "record_number",
            r"\b(?:mrn|emrn|empi|mpi|fin|csn|medical record|health record"
            r"|record (?:number|no|num|id)|chart (?:number|no|num|id)|account|acct|encounter"
            r"|visit (?:number|no|num|id)|case (?:number|no|num|id)|nhs (?:number|no)"
            r"|(?:patient|pt|client|resident) (?:id|number|no|num|identifier|key))\b",
        ),
        ("ssn", r"\b(?:ssn|sin|social security|social insurance)\b"),
        (
            "plan_number",
            r"\b(?:member (?:id|number|no)|insurance|insurer|policy (?:number|no|id)"
            r"|health plan|beneficiary|subscriber|medicaid|medicare (?:id|number|no))\b",
        ),
        (
            "date",
            r"\b(?:dob|d o b|date of birth|birth ?date|birthday|born|dod|date of death"
            r"|death date|admi(?:t|ssion) date|date of admission|discharge date"
            r"|date of discharge|service date|date of service|visit date|date of visit)\b",
        ),
        (
            "name",
            r"\b(?:names?|surname|forename|initials|(?:first|last|given|family|middle|full"
            r"|maiden|pt|patient|client|resident) ?names?)\b",
        ),
        ("age", r"^(?:patient |pt )?age(?: years| yrs| in years)?$"),
        ("phone", r"\b(?:phone|telephone|tel|mobile|cell phone|contact number)\b"),
        ("fax", r"\bfax\b"),
        ("email", r"\be ?mail(?: address)?\b"),
        ("url", r"\b(?:url|ip address|web address|website)\b"),
        ("address", r"\b(?:address|street|city|town|county|postcode|post code)\b"),
        ("zip", r"\b(?:zip|zip code|zipcode|postal code)\b"),
        ("room", r"^(?:patient |pt )?(?:room|bed)(?: (?:number|no|num|id))?$"),
        ("device_number", r"\b(?:device (?:id|number|no)|serial|implant|lot number)\b"),
        ("licence_number", r"\b(?:licen[cs]e (?:number|no|plate)|plate|vehicle)\b"),
        (
            "patient",
            r"\b(?:patient|pt|client|resident|diagnosis|diagnoses|dx|icd ?10|icd|drg|sex"
            r"|gender|race|ethnicity)\b",
        ),
    )
)


def fold_heading(text: str) -> str:
    """A column heading as compared: lower case, punctuation as spaces (``Patient_ID``
    and ``D.O.B.`` are ``patient id`` and ``d o b``)."""
    return " ".join(re.sub(r"[^\w%]+|_", " ", text.casefold()).split())


def identifier_columns(headings: Iterable[str], ours: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(heading, kind) for each column heading that looks like it holds patient
    identifiers (see :data:`COLUMN_KINDS`), leaving out headings in ``ours`` (folded:
    the columns a layout reads, such as "measure name" or "patients" for a count)."""
    known = {fold_heading(h) for h in ours}
    found: list[tuple[str, str]] = []
    for heading in headings:
        folded = fold_heading(heading)
        if not folded or folded in known:
            continue
        kind = next((k for k, pattern in _COLUMNS if pattern.search(folded)), None)
        if kind is not None:
            found.append((heading.strip(), kind))
    return found
