"""The privacy corpus (tests/privacy_corpus.yaml) and how a screen is scored on it.

Used by tests/test_privacy_corpus.py and bench/guard.py. A message is *caught* when
the screen finds anything in it (the guard then does not post it); a category's
*right kind* count is how many of its messages had a finding of that kind. Half the
messages, chosen by a hash of their text, are held out: they were not looked at while
the screen was tuned, and are reported apart.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import content as content_module
from bot import privacy
from bot.settings import PROJECT_ROOT

CORPUS = Path(__file__).with_name("privacy_corpus.yaml")
SAMPLE_ROSTER = PROJECT_ROOT / "content" / "sample-roster.csv"

#: A screen: text -> kinds found (empty when nothing looked like an identifier).
Screen = Callable[[str], list[str]]


@dataclass(frozen=True)
class Item:
    text: str
    kinds: tuple[str, ...]
    positive: bool
    hard: bool
    #: Written after the screen was tuned.
    fresh: bool = False

    @property
    def half(self) -> str:
        """'tuning' or 'held-out', by the first byte of the text's SHA-256."""
        return "tuning" if hashlib.sha256(self.text.encode()).digest()[0] % 2 == 0 else "held-out"


def load() -> tuple[list[Item], list[tuple[str, str]]]:
    """The corpus's messages, and the roster (sample roster plus the corpus's people)."""
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    items = [
        Item(e["text"], tuple(e["kinds"]), True, bool(e.get("hard")), bool(e.get("fresh")))
        for e in data["positives"]
    ] + [
        Item(
            e["text"], tuple(e.get("near") or ()), False, bool(e.get("hard")), bool(e.get("fresh"))
        )
        for e in data["negatives"]
    ]
    with SAMPLE_ROSTER.open(encoding="utf-8") as f:
        people = [(row["name"], row["email"]) for row in csv.DictReader(f)]
    people += [(p["name"], p["email"]) for p in data["roster"]]
    return items, people


def sample_teams() -> list[str]:
    with SAMPLE_ROSTER.open(encoding="utf-8") as f:
        return sorted({row["team"] for row in csv.DictReader(f) if row["team"]})


def staff() -> privacy.Staff:
    """The screen's knowledge for the corpus: the sample content and the corpus roster."""
    sample = content_module.load(PROJECT_ROOT / "content")
    _, people = load()
    return privacy.Staff(sample.privacy_known, privacy.Roster.of(people, sample_teams()))


@dataclass
class Score:
    """Counts for one half (or all) of the corpus."""

    positives: int = 0
    caught: int = 0
    negatives: int = 0
    flagged: int = 0
    hard_positives: int = 0
    hard_caught: int = 0
    hard_negatives: int = 0
    hard_flagged: int = 0
    #: category -> [messages, caught, caught with the right kind]
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    #: category a negative resembles -> [messages, flagged]
    by_near: dict[str, list[int]] = field(default_factory=dict)
    missed: list[Item] = field(default_factory=list)
    false_alarms: list[tuple[Item, list[str]]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.positives if self.positives else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.flagged / self.negatives if self.negatives else 0.0


def score(screen: Screen, items: Iterable[Item]) -> Score:
    s = Score()
    for item in items:
        kinds = screen(item.text)
        if item.positive:
            s.positives += 1
            s.hard_positives += item.hard
            s.caught += bool(kinds)
            s.hard_caught += bool(kinds) and item.hard
            if not kinds:
                s.missed.append(item)
            for kind in item.kinds:
                row = s.by_kind.setdefault(kind, [0, 0, 0])
                row[0] += 1
                row[1] += bool(kinds)
                row[2] += kind in kinds
        else:
            s.negatives += 1
            s.hard_negatives += item.hard
            s.flagged += bool(kinds)
            s.hard_flagged += bool(kinds) and item.hard
            if kinds:
                s.false_alarms.append((item, kinds))
            for kind in item.kinds or ("plain",):
                row = s.by_near.setdefault(kind, [0, 0])
                row[0] += 1
                row[1] += bool(kinds)
    return s


def report(name: str, s: Score) -> str:
    """A Markdown table of one score, by category."""
    lines = [
        f"**{name}**: caught {s.caught}/{s.positives} ({s.recall:.0%}; hard "
        f"{s.hard_caught}/{s.hard_positives}), false alarms {s.flagged}/{s.negatives} "
        f"({s.false_alarm_rate:.0%}; hard {s.hard_flagged}/{s.hard_negatives})",
        "",
        "| category | positives | caught | right kind | negatives near it | flagged |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in (*privacy.KINDS, "plain"):
        pos = s.by_kind.get(kind, [0, 0, 0])
        neg = s.by_near.get(kind, [0, 0])
        if pos[0] or neg[0]:
            lines.append(f"| {kind} | {pos[0]} | {pos[1]} | {pos[2]} | {neg[0]} | {neg[1]} |")
    return "\n".join(lines)


def counts(items: list[Item]) -> dict[str, Any]:
    c = Counter((i.positive, i.half) for i in items)
    return {f"{'pos' if p else 'neg'} {h}": n for (p, h), n in sorted(c.items())}
