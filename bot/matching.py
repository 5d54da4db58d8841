"""Loose matching of what people type to courses, pathways and teams.

People type partial titles, ids and typos ("pain basics", "goals of cre",
"comm101"). Each candidate gets a score from exact id/title matches, word
prefixes and fuzzy similarity; callers get the best candidates, so they can act
on one clear winner or offer several as buttons.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"the", "a", "an", "of", "and", "in", "on", "for", "to", "my", "course", "module", "with"}

CLEAR = 0.9
GOOD = 0.6


@dataclass(frozen=True)
class Candidate:
    """Something that can be matched: its id, its title and extra names."""

    id: str
    title: str
    aliases: tuple[str, ...] = ()


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _squash(text: str) -> str:
    return "".join(_WORD.findall(text.lower()))


def score(query: str, cand: Candidate) -> float:
    """How well ``query`` names ``cand``, from 0 to 1."""
    q = _squash(query)
    if not q:
        return 0.0
    names = (cand.id, cand.title, *cand.aliases)
    if any(q == _squash(n) for n in names):
        return 1.0
    best = 0.0
    q_words = _words(query)
    for name in names:
        n_words = _words(name)
        if q_words and n_words:
            hits = 0.0
            for qw in q_words:
                fits = [
                    1.0
                    if nw == qw
                    else 0.9
                    if nw.startswith(qw) and len(qw) >= 3
                    else difflib.SequenceMatcher(None, qw, nw).ratio()
                    for nw in n_words
                ]
                top = max(fits)
                hits += top if top >= 0.75 else 0.0
            coverage = hits / len(q_words)
            # Matching every typed word is strong evidence even for a short query.
            best = max(best, 0.85 * coverage + 0.1 * min(1.0, len(q_words) / len(n_words)))
        best = max(best, difflib.SequenceMatcher(None, q, _squash(name)).ratio() * 0.95)
    return min(best, 0.99)


def best(
    query: str, candidates: Iterable[Candidate], limit: int = 5
) -> list[tuple[float, Candidate]]:
    """Candidates scoring at least GOOD, best first, at most ``limit``."""
    scored = [(score(query, c), c) for c in candidates]
    good = sorted((s for s in scored if s[0] >= GOOD), key=lambda s: (-s[0], s[1].id))
    return good[:limit]


def pick(query: str, candidates: Iterable[Candidate]) -> tuple[Candidate | None, list[Candidate]]:
    """One clear match, or (None, the plausible ones) for the person to choose from."""
    ranked = best(query, candidates)
    if not ranked:
        return None, []
    top_score, top = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if top_score >= CLEAR or (top_score >= 0.75 and top_score - runner_up >= 0.12):
        return top, []
    return None, [c for _, c in ranked]
