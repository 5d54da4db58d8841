"""The kinds of scheduled message, one module each, listed in one table.

Adding a kind (contest standings, a monthly report) is a module here that defines
its :class:`~bot.planning.kinds.base.Kind`, and a line in :data:`TABLE`; the
planner does not change. docs/architecture.md has the recipe.
"""

from __future__ import annotations

from bot.planning.kinds import (
    case,
    custom,
    digest,
    next_course,
    progress_post,
    recognition,
    report,
    session,
    setup,
    standings,
)
from bot.planning.kinds.base import Kind, Planning

__all__ = ["KINDS", "TABLE", "Kind", "Planning", "kind_of"]

#: Every kind, by the name a schedule stores, in the order people are told them.
TABLE: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        next_course.KIND,
        setup.KIND,
        case.KIND,
        progress_post.KIND,
        session.KIND,
        custom.KIND,
        digest.KIND,
        recognition.KIND,
        standings.KIND,
        report.KIND,
    )
}

#: kind -> who receives it: people, channels, or either (the audience decides).
KINDS: dict[str, str] = {name: kind.reaches for name, kind in TABLE.items()}

_WORDS: dict[str, str] = {
    word: kind.name for kind in TABLE.values() for word in (kind.name, *kind.words)
}


def kind_of(text: str) -> str | None:
    """The kind named by a word people type (``next-course``, ``reminder``), or None."""
    return _WORDS.get(text.strip().lower())
