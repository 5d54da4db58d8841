"""The screen for likely patient identifiers in text the bot would share."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import KINDS, screen


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("MRN 00482913 had a great family meeting", "record_number"),
        ("acct# 5567123", "record_number"),
        ("call her at (312) 555-0199", "phone"),
        ("SSN 123-45-6789", "ssn"),
        ("DOB is 3/4/41, per the chart", "date"),
        ("seen on 03/14/1950", "date"),
        ("lives at 42 Elm Street", "address"),
        ("the patient in room 12B", "room"),
        ("a 93-year-old with COPD", "age"),
        ("thanks to Mrs. Alvarez's daughter", "name"),
        ("patient Maria Lopez asked about hospice", "name"),
    ],
)
def test_likely_identifiers_are_found(text: str, kind: str) -> None:
    assert kind in {f.kind for f in screen(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Huge thanks to the ICU night team for finishing Essentials!",
        "Team 4 West reached 75% trained",
        "Ana finished Pain assessment and management basics (0.75 CNE)",
        "Goals-of-care conversation practice on Tuesday at 12:00",
        "Oncology Clinic",
        "Patient Experience",
        "Patient Safety and Quality",
        "A 64-year-old with heart failure and worsening breathlessness",
    ],
)
def test_ordinary_team_text_passes(text: str) -> None:
    assert screen(text) == []


@given(st.text(max_size=300))
def test_screen_never_raises_and_names_known_kinds(text: str) -> None:
    assert all(f.kind in KINDS and f.text for f in screen(text))
