"""The configuration reference, made from the settings models themselves.

Every setting is a field of a pydantic settings class (``bot.settings.Settings``, the
scheduler's, Slack's, Teams'), with its type, default, limits and a description. This
renders them as the Markdown table docs/deploy.md carries between its ``settings``
markers; ``huddle settings`` prints it, and tests/test_settings_doc.py fails when the
document and the models differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from bot.settings import PROJECT_ROOT

BEGIN = "<!-- settings: begin (made by `huddle settings`; do not edit by hand) -->"
END = "<!-- settings: end -->"


def _default(value: Any) -> str:
    if value in ("", None):
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        try:
            return f"`{value.relative_to(PROJECT_ROOT)}/` beside the code"
        except ValueError:
            return f"`{value}`"
    return f"`{value}`"


def _limits(field: FieldInfo) -> str:
    words = []
    for item in field.metadata:
        for name, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            bound = getattr(item, name, None)
            if bound is not None:
                words.append(f"{sign} {bound:g}" if isinstance(bound, float) else f"{sign} {bound}")
    return f" ({', '.join(words)})" if words else ""


def table(model: type[BaseSettings]) -> list[str]:
    """One settings class as table rows: variable, default, what it does."""
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    lines = ["| Variable | Default | What it does |", "| --- | --- | --- |"]
    for name, field in model.model_fields.items():
        about = (field.description or "").replace("|", "\\|")
        lines.append(
            f"| `{prefix}{name.upper()}` | {_default(field.default)} | {about}{_limits(field)} |"
        )
    return lines


def reference(groups: Sequence[tuple[str, type[BaseSettings]]]) -> str:
    """Every group's table under its heading, between the markers."""
    lines = [BEGIN, ""]
    for title, model in groups:
        lines += [f"### {title}", "", *table(model), ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


def undocumented(groups: Sequence[tuple[str, type[BaseSettings]]]) -> list[str]:
    """Settings without a description (each must say what it does)."""
    return [
        f"{model.__name__}.{name}"
        for _, model in groups
        for name, field in model.model_fields.items()
        if not (field.description or "").strip()
    ]


def block_of(document: str) -> str:
    """The reference as the document has it (markers included), or "" if it has none."""
    if BEGIN not in document or END not in document:
        return ""
    start = document.index(BEGIN)
    return document[start : document.index(END, start) + len(END)] + "\n"
