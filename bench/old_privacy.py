"""The patient-detail screen as it was on main before the roster-aware guard (issue 13),
kept verbatim so bench/guard.py can measure it against the same corpus."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Patient Experience" is a department, not a person.
_SERVICE_WORDS = (
    r"(?:Experience|Education|Safety|Care|Access|Relations|Services|Flow|Family|Advocacy"
    r"|Engagement|Portal|Navigation|Navigator|Centered|Reported|Outcomes|Satisfaction)"
)

_CHECKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "record_number",
        re.compile(
            r"\b(?:mrn|medical record|record no|acct|account no|fin)\b"
            r"[\s#:.-]*[a-z]?\d{4,}",
            re.I,
        ),
    ),
    ("record_number", re.compile(r"(?<![\d.])\d{7,12}(?![\d.])")),
    ("ssn", re.compile(r"\b\d{3}-\d{2}-\d{4}\b")),
    ("phone", re.compile(r"(?:\(\d{3}\)\s*|\b\d{3}[-.\s])\d{3}[-.\s]\d{4}\b")),
    ("date", re.compile(r"\b(?:dob|d\.o\.b|date of birth|born)\b", re.I)),
    ("date", re.compile(r"\b\d{1,2}[/-]\d{1,2}[/-](?:19|20)?\d{2}\b")),
    ("date", re.compile(r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b")),
    (
        "address",
        re.compile(
            r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:street|st|avenue|ave|road|rd|"
            r"lane|ln|drive|dr|boulevard|blvd|court|ct|way)\b\.?",
            re.I,
        ),
    ),
    ("room", re.compile(r"\b(?:room|rm|bed|bay)\s*#?\s*\d+[a-z]?\b", re.I)),
    ("age", re.compile(r"\b(?:9\d|1[01]\d)\s*(?:-?\s*(?:year|yr)s?[- ]old|y/?o)\b", re.I)),
    ("name", re.compile(r"\b(?i:mr|mrs|ms|miss|mx)\.?\s+[A-Z][a-z'-]+")),
    (
        "name",
        re.compile(
            r"\b(?i:patient|pt)\.?\s+(?i:named\s+)?(?!" + _SERVICE_WORDS + r"\b)"
            r"[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?"
        ),
    ),
)


@dataclass(frozen=True)
class Finding:
    """Something in the text that looks like a patient identifier."""

    kind: str
    text: str


def screen(text: str) -> list[Finding]:
    """Likely patient identifiers in ``text``, in order of appearance; empty if none."""
    found: list[tuple[int, Finding]] = []
    taken: list[range] = []
    for kind, pattern in _CHECKS:
        for match in pattern.finditer(text):
            span = range(match.start(), match.end())
            if any(span.start < t.stop and t.start < span.stop for t in taken):
                continue
            taken.append(span)
            found.append((match.start(), Finding(kind, match.group(0).strip())))
    return [f for _, f in sorted(found, key=lambda pair: pair[0])]


KINDS = ("record_number", "ssn", "phone", "date", "address", "room", "age", "name")
