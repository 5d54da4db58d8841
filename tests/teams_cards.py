"""Validating Adaptive Cards against the official 1.5 schema shipped in tests/schemas/."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

SCHEMAS = Path(__file__).parent / "schemas"


@lru_cache(maxsize=1)
def _validator() -> Draft6Validator:
    schema = json.loads((SCHEMAS / "adaptive-card-1.5.schema.json").read_text())
    return Draft6Validator(schema)


def card_problems(card: dict[str, Any]) -> list[str]:
    """Schema errors in a card (empty when valid). Teams' own `msteams` key is not in the
    schema, so it is set aside first; the card's version must be 1.5."""
    checked = {k: v for k, v in card.items() if k != "msteams"}
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in _validator().iter_errors(checked)
    ]
    if card.get("version") != "1.5":
        problems.append(f"version is {card.get('version')!r}, not '1.5'")
    if card.get("type") != "AdaptiveCard":
        problems.append("type is not AdaptiveCard")
    return problems
