"""The screen on the privacy corpus: at least 90% of messages with an identifier caught
and at most 10% of innocent ones flagged, on each half (tuned, held out), on the
messages written after tuning, and overall.

Run with ``-s`` to see the counts by category (bench/guard.py prints the same, with the
old screen beside it and the time a message takes).
"""

from __future__ import annotations

import pytest

from bot import privacy
from tests import privacy_corpus as corpus

ITEMS, _ = corpus.load()
STAFF = corpus.staff()


def _screen(text: str) -> list[str]:
    return [f.kind for f in privacy.screen(text, STAFF)]


def test_the_corpus_is_as_the_issue_asks() -> None:
    positives = [i for i in ITEMS if i.positive]
    negatives = [i for i in ITEMS if not i.positive]
    assert len(positives) >= 150 and len(negatives) >= 150
    assert sum(i.hard for i in positives) >= 30 and sum(i.hard for i in negatives) >= 30
    assert len({i.text for i in ITEMS}) == len(ITEMS)
    assert {k for i in positives for k in i.kinds} == set(privacy.KINDS)
    assert all(i.kinds for i in positives)
    assert all(set(i.kinds) <= set(privacy.KINDS) for i in ITEMS)
    for half in ("tuning", "held-out"):
        assert sum(i.half == half for i in positives) >= 60
        assert sum(i.half == half for i in negatives) >= 60


@pytest.mark.parametrize("half", ["tuning", "held-out", "fresh", "all"])
def test_most_identifiers_are_caught_and_few_innocent_messages_flagged(half: str) -> None:
    items = [i for i in ITEMS if half == "all" or (i.fresh if half == "fresh" else i.half == half)]
    score = corpus.score(_screen, items)
    print()
    print(corpus.report(f"roster-aware screen, {half}", score))
    missed = "\n".join(f"  missed {i.kinds}: {i.text}" for i in score.missed)
    flagged = "\n".join(f"  flagged {k}: {i.text}" for i, k in score.false_alarms)
    assert score.recall >= 0.90, missed
    assert score.false_alarm_rate <= 0.10, flagged


def test_the_screen_without_staff_knowledge_flags_staff_names() -> None:
    """The roster is what keeps staff shout-outs from being flagged."""
    names = [i for i in ITEMS if not i.positive and "name" in i.kinds]
    blind = corpus.score(lambda t: [f.kind for f in privacy.screen(t)], names)
    aware = corpus.score(_screen, names)
    assert aware.flagged < blind.flagged
