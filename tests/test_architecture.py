"""The core stays platform-neutral: bot/ imports no SDK and nothing from adapters/ or scheduler/.

Only the composition root (bot/cli.py, bot/app.py) may wire those in, and only
inside functions, so importing the core never pulls in a platform.
"""

from __future__ import annotations

import ast
from pathlib import Path

from bot.settings import PROJECT_ROOT

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "microsoft_agents",
    "aiohttp",
    "apscheduler",
    "httpx",
    "adapters",
    "scheduler",
    "requests",
)
COMPOSITION_ROOT = {"cli.py", "app.py"}


def _imports(tree: ast.AST, top_level_only: bool) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    nodes = tree.body if top_level_only and isinstance(tree, ast.Module) else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_the_core_imports_no_platform() -> None:
    breaches = []
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        top_only = path.name in COMPOSITION_ROOT and path.parent.name == "bot"
        for line, module in _imports(tree, top_level_only=top_only):
            if module.split(".")[0] in FORBIDDEN:
                breaches.append(f"{path.relative_to(PROJECT_ROOT)}:{line} imports {module}")
    assert not breaches, "\n".join(breaches)


def test_the_check_would_catch_a_breach(tmp_path: Path) -> None:
    tree = ast.parse("import os\nfrom slack_sdk import WebClient\ndef f():\n    import httpx\n")
    modules = [m for _, m in _imports(tree, top_level_only=False)]
    assert "slack_sdk" in modules and "httpx" in modules
    assert [m for _, m in _imports(tree, top_level_only=True)] == ["os", "slack_sdk"]


def test_no_now_calls_in_the_core() -> None:
    """The core takes time from its Clock; only the SystemClock reads the wall clock."""
    offenders = []
    for path in sorted((PROJECT_ROOT / "bot").rglob("*.py")):
        if path.name == "clock.py":
            continue
        text = path.read_text()
        for needle in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
            if needle in text:
                offenders.append(f"{path.name}: {needle}")
    assert not offenders
