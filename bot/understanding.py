"""Understanding free text: which intent a message means, from the content's examples.

The exact grammar (:mod:`bot.parser`) runs first; what it does not take comes here.
Each intent in ``content/intents.yaml`` has example phrasings and the exact words it
stands for. A message is matched against every example, word by word:

- words are normalised (lower case, no punctuation, "what's" is "whats"), fillers
  such as "please" and "can you" are dropped, and texting spellings ("nxt") are
  mapped to words;
- two words match when they are the same or close in spelling (rapidfuzz's ratio of
  at least 80 for longer words, 85 for three letters, exact for one or two), so
  typos and phone autocorrect still match, and the order of words does not matter;
- each word counts by how much it tells intents apart (rarer across intents counts
  more; an unknown word counts fully against a match);
- a message's score for an example is the balance (F1) of how much of the message
  the example explains and how much of the example the message says; an intent's
  score is its best example's.

A date said in the message ("until the 15th") is set aside first and stands as
``{date}`` in the examples that take one. The result is a :class:`Guess` with a
confidence: ``high``, ``medium`` or ``low``; what to do with it is the core's.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

Confidence = Literal["high", "medium", "low"]
SLOTS = ("date", "course", "pathway", "zone", "hours")
DATE = "{date}"
#: Scores at or above these are high and medium confidence.
HIGH = 0.74
MEDIUM = 0.5
#: A second intent this close to the first makes a high guess a question.
CLOSE = 0.06

_APOSTROPHES = re.compile(r"['\u2019\u2018`´]")
_NOT_WORD = re.compile(r"[^a-z0-9{}@]+")


def normalize(text: str) -> str:
    """Lower case, apostrophes dropped ("what's" is "whats"), punctuation as spaces."""
    lowered = _APOSTROPHES.sub("", text.lower())
    return " ".join(_NOT_WORD.sub(" ", lowered).split())


@dataclass(frozen=True)
class Intent:
    """One thing people ask for, as the content describes it."""

    id: str
    #: The exact words it stands for, with ``{slot}`` where a value found in the
    #: message goes ("pause until {date}").
    says: str
    examples: tuple[str, ...]
    #: The words when a slot it needs was not found ("pause": it asks until when).
    without: str = ""
    #: A short label for a button ("Pause reminders").
    label: str = ""
    #: For writes: the question that confirms it ("Pause reminders until {date}?").
    confirm: str = ""
    #: Words that mean this intent whatever else is said (for "stop").
    keywords: tuple[str, ...] = ()

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(s for s in SLOTS if "{" + s + "}" in self.says)


@dataclass(frozen=True)
class Guess:
    """What a message most likely means."""

    intent: Intent
    score: float
    confidence: Confidence
    #: The words of the message that said each slot ("the 15th"; for a course, the
    #: words left once the example's own are set aside).
    slots: Mapping[str, str] = field(default_factory=dict)
    #: The next most likely intents, best first (for "did you mean").
    others: tuple[Intent, ...] = ()


@dataclass(frozen=True)
class _Example:
    intent: int
    tokens: tuple[str, ...]
    weight: float


@dataclass
class IntentBook:
    """The intents of one content folder, indexed for matching."""

    intents: tuple[Intent, ...]
    fillers: tuple[str, ...] = ()
    spellings: Mapping[str, str] = field(default_factory=dict)
    #: The words of the initiative's course and pathway titles: a run of them in a
    #: message names a course or pathway ("the goals of care module").
    catalog: frozenset[str] = frozenset()
    _examples: list[_Example] = field(default_factory=list, init=False)
    _weights: dict[str, float] = field(default_factory=dict, init=False)
    _postings: dict[str, list[int]] = field(default_factory=dict, init=False)
    _vocabulary: list[str] = field(default_factory=list, init=False)
    _fillers: re.Pattern[str] | None = field(default=None, init=False)
    _keywords: list[tuple[int, tuple[tuple[str, ...], ...]]] = field(
        default_factory=list, init=False
    )
    _unknown: float = field(default=1.0, init=False)
    _stems: dict[str, list[str]] = field(default_factory=dict, init=False)
    _intents_of: dict[str, set[int]] = field(default_factory=dict, init=False)
    _near: dict[str, dict[str, float]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        fillers = sorted({normalize(f) for f in self.fillers} - {""}, key=len, reverse=True)
        if fillers:
            self._fillers = re.compile(r"\b(?:" + "|".join(map(re.escape, fillers)) + r")\b")
        seen: dict[str, set[int]] = defaultdict(set)
        said: list[tuple[int, tuple[str, ...]]] = []
        for index, intent in enumerate(self.intents):
            # The exact words themselves are examples too: "progres" is "progress".
            own = [intent.says] if "{" not in intent.says else []
            own += [intent.without] if intent.without else []
            for text in (*own, *intent.examples):
                tokens = self.tokens(text)
                if tokens:
                    said.append((index, tokens))
                    for token in tokens:
                        seen[token].add(index)
            phrases = tuple(self.tokens(k) for k in intent.keywords)
            self._keywords.append((index, tuple(p for p in phrases if p)))
        count = max(len(self.intents), 1)
        self._weights = {t: math.log(1 + count / len(ids)) for t, ids in seen.items()}
        self._unknown = math.log(1 + count)
        for number, (index, tokens) in enumerate(said):
            self._examples.append(_Example(index, tokens, sum(self._weight(t) for t in tokens)))
            for token in set(tokens):
                self._postings.setdefault(token, []).append(number)
        self._vocabulary = sorted(self._postings)
        for word in self._vocabulary:
            self._stems.setdefault(stem(word), []).append(word)
        for example in self._examples:
            for word in example.tokens:
                self._intents_of.setdefault(word, set()).add(example.intent)

    # --- words ----------------------------------------------------------------------

    def tokens(self, text: str) -> tuple[str, ...]:
        """The words that count: normalised, fillers out, texting spellings mapped."""
        words = normalize(text)
        if self._fillers is not None:
            words = self._fillers.sub(" ", words)
        return tuple(" ".join(self.spellings.get(w, w) for w in words.split()).split())

    def _weight(self, token: str) -> float:
        return self._weights.get(token, self._unknown)

    def _similar(self, token: str) -> dict[str, float]:
        """Words of the examples close to ``token`` in spelling, with how close (0-1): the
        same word, the same word with another ending ("remains", "remaining"), or one
        a typo or two away. Remembered: people use the same words again and again."""
        known = self._near.get(token)
        if known is None:
            known = self._near_uncached(token)
            if len(self._near) < 20_000:
                self._near[token] = known
        return known

    def _near_uncached(self, token: str) -> dict[str, float]:
        found = {token: 1.0} if token in self._postings else {}
        if len(token) <= 2 or token.startswith("{"):
            return found
        for word in self._stems.get(stem(token), ()):
            found.setdefault(word, 0.95)
        cutoff = 85 if len(token) == 3 else 80
        for word, score, _ in process.extract(
            token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8
        ):
            if len(word) <= 2 or ((len(token) == 3 or len(word) == 3) and word[0] != token[0]):
                continue
            found[word] = max(found.get(word, 0.0), score / 100)
        return found

    def catalog_words(self, text: str) -> str:
        """The longest run of words in ``text`` that reads like a course or pathway title
        (its words, joined by small words such as "of"), or ""."""
        words = normalize(text).split()
        best: tuple[int, int] = (0, 0)
        start = 0
        while start < len(words):
            end = start
            strong = 0
            while end < len(words) and (words[end] in self.catalog or words[end] in _JOINERS):
                strong += words[end] in self.catalog and len(words[end]) >= 4
                end += 1
            while end > start and words[end - 1] in _JOINERS:
                end -= 1
            if strong and end - start > best[1] - best[0]:
                best = (start, end)
            start = max(end, start + 1)
        return " ".join(words[best[0] : best[1]])

    # --- matching -------------------------------------------------------------------

    def match(self, text: str, said: Mapping[str, str] | None = None) -> Guess | None:
        """The most likely intent of ``text``. ``said`` holds words in it already read as
        a slot's value ("the 15th" as a date, "london" as a zone): they also stand as
        ``{date}``, ``{zone}``... for the examples that take one. None when nothing is
        even close."""
        said = dict(said or {})
        tokens = self.tokens(text)
        scored: dict[int, tuple[float, int]] = {}
        for variant in self._variants(tokens, said):
            for number, (score, example) in self._scores(variant).items():
                if score > scored.get(number, (-1.0, 0))[0]:
                    scored[number] = (score, example)
        for number, keywords in self._keywords:
            if keywords and len(tokens) <= 8 and _says_any(tokens, keywords):
                scored[number] = (max(scored.get(number, (0.0, -1))[0], HIGH + CLOSE + 0.01), -1)
        if not scored:
            return None
        ranked = sorted(scored.items(), key=lambda item: -item[1][0])
        best, (score, matched) = ranked[0]
        runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
        confidence: Confidence = (
            "high"
            if score >= HIGH and score - runner_up >= CLOSE
            else "medium"
            if score >= MEDIUM
            else "low"
        )
        intent = self.intents[best]
        slots: dict[str, str] = {s: w for s, w in said.items() if s in intent.slots}
        rest = self._rest(tokens, matched, " ".join(said.values()))
        for slot in ("course", "pathway", "zone", "hours"):
            if slot in intent.slots and slot not in slots and rest:
                slots[slot] = rest
        others = tuple(self.intents[i] for i, _ in ranked[1:4])
        return Guess(intent, round(score, 3), confidence, slots, others)

    def _variants(self, tokens: tuple[str, ...], said: Mapping[str, str]) -> list[tuple[str, ...]]:
        """The words as typed, and with each slot's words standing as ``{slot}``."""
        variant = list(tokens)
        for slot, words in said.items():
            part = self.tokens(words)
            for start in range(len(variant) - len(part) + 1):
                if part and tuple(variant[start : start + len(part)]) == part:
                    variant[start : start + len(part)] = ["{" + slot + "}"]
                    break
        replaced = tuple(variant)
        return [tokens] if replaced == tokens else [tokens, replaced]

    def _scores(self, tokens: Sequence[str]) -> dict[int, tuple[float, int]]:
        """Each intent's best (score, example number) for these words.

        How much of the message is explained counts both the example's words and the
        intent's words at large (a message may mix two ways of saying it); how much
        of the example was said is the example's alone.
        """
        if not tokens:
            return {}
        near = [self._similar(t) for t in tokens]
        weights = [
            max((self._weight(w) for w in options), default=self._unknown) for options in near
        ]
        total = sum(weights) or 1.0
        said: dict[int, float] = defaultdict(float)  # example -> message weight it explains
        covered: dict[tuple[int, str], float] = {}  # (example, its word) -> how closely said
        intent_said: dict[int, float] = defaultdict(float)  # intent -> the same, at large
        for options, weight in zip(near, weights, strict=True):
            by_example: dict[int, float] = {}
            by_intent: dict[int, float] = {}
            for word, closeness in options.items():
                for number in self._postings.get(word, ()):
                    if closeness > by_example.get(number, 0.0):
                        by_example[number] = closeness
                    if closeness > covered.get((number, word), 0.0):
                        covered[number, word] = closeness
                for intent in self._intents_of.get(word, ()):
                    if closeness > by_intent.get(intent, 0.0):
                        by_intent[intent] = closeness
            for number, hit in by_example.items():
                said[number] += weight * hit
            for intent, hit in by_intent.items():
                intent_said[intent] += weight * hit
        recalled: dict[int, float] = defaultdict(float)
        for (number, word), closeness in covered.items():
            recalled[number] += self._weights.get(word, self._unknown) * closeness
        best: dict[int, tuple[float, int]] = {}
        for number, explained_here in said.items():
            example = self._examples[number]
            explained = (explained_here + intent_said[example.intent]) / (2 * total)
            recall = recalled[number] / (example.weight or 1.0)
            score = 2 * explained * recall / (explained + recall)
            if score > best.get(example.intent, (-1.0, 0))[0]:
                best[example.intent] = (score, number)
        return best

    def _rest(self, tokens: tuple[str, ...], example: int, date_words: str) -> str:
        """The words of the message the matched example does not explain (a course title,
        a zone), in their order."""
        if example < 0:
            return ""
        own = set(self._examples[example].tokens)
        dated = set(self.tokens(date_words)) if date_words else set()
        return " ".join(
            t
            for t in tokens
            if t not in dated and not any(w in own for w in self._similar(t)) and t != DATE
        )


#: Small words that join the words of a title ("goals of care", "pain and nausea").
_JOINERS = frozenset({"of", "and", "the", "in", "for", "with", "to", "a", "an", "at", "on"})

_ENDINGS = ("ings", "ing", "ed", "es", "s", "ly", "ment", "ments")


def stem(word: str) -> str:
    """A word without a common ending, for matching "remains" with "remaining"."""
    for ending in _ENDINGS:
        if len(word) > len(ending) + 3 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def _says_any(tokens: Sequence[str], phrases: Iterable[tuple[str, ...]]) -> bool:
    """Whether the words hold one of the phrases, each word exact or one typo away."""
    for phrase in phrases:
        if not phrase:
            continue
        for start in range(len(tokens) - len(phrase) + 1):
            if all(
                t == p or (len(p) > 3 and fuzz.ratio(t, p) >= 85)
                for t, p in zip(tokens[start : start + len(phrase)], phrase, strict=True)
            ):
                return True
    return False
