"""The shape of the house, checked rather than described.

- The core stays platform-neutral: bot/ imports no SDK and nothing from adapters/ or
  scheduler/. Only the composition root (bot/cli.py, bot/app.py) may wire those in,
  and only inside functions, so importing the core never pulls in a platform.
- Imports never run back up the layers: handlers (the table's modules) at the top;
  the schedule language and scheduling rules, and the shared answers, below them;
  then planning (the planner and its kinds); then the rules both handlers and
  planning use (scopes, counts, mentions, catalog, completions, ...). Nothing but
  the handler table and the core imports a handler, no handler imports another,
  and no import hides inside a function to get round that (only the composition
  root imports lazily).
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
BOT = PROJECT_ROOT / "bot"

#: Modules below planning: the rules that handlers and planning both use.
RULES = (
    "bot.attendance",
    "bot.audience",
    "bot.catalog",
    "bot.celebrations",
    "bot.completions",
    "bot.compose",
    "bot.contest_posts",
    "bot.contests",
    "bot.counts",
    "bot.guard",
    "bot.measures",
    "bot.mentions",
    "bot.notices",
    "bot.progress",
    "bot.report_data",
    "bot.report_files",
    "bot.reports",
    "bot.scopes",
    "bot.shoutouts",
    "bot.store",
    "bot.survey_results",
)
#: Above planning, below the handlers.
ABOVE_PLANNING = ("bot.schedule_language", "bot.scheduling", "bot.views")


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


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bot_imports() -> dict[str, list[tuple[int, str]]]:
    """Every module in bot/ and the bot modules it imports, anywhere in it."""
    found = {}
    for path in sorted(BOT.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        found[_module_name(path)] = [
            (line, module)
            for line, module in _imports(tree, top_level_only=False)
            if module == "bot" or module.startswith("bot.")
        ]
    return found


def _is(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_only_the_handler_table_and_the_core_import_handlers() -> None:
    breaches = [
        f"{name}:{line} imports {module}"
        for name, imports in _bot_imports().items()
        if name not in ("bot.handlers", "bot.core")
        for line, module in imports
        if _is(module, "bot.handlers")
    ]
    assert not breaches, "\n".join(breaches)


def test_handler_modules_do_not_import_each_other() -> None:
    breaches = [
        f"{name}:{line} imports {module}"
        for name, imports in _bot_imports().items()
        if name.startswith("bot.handlers.")
        for line, module in imports
        if _is(module, "bot.handlers")
    ]
    assert not breaches, "\n".join(breaches)


def test_imports_never_run_back_up_the_layers() -> None:
    breaches = []
    for name, imports in _bot_imports().items():
        for line, module in imports:
            if _is(name, "bot.planning") and any(_is(module, m) for m in ABOVE_PLANNING):
                breaches.append(f"{name}:{line} (planning) imports {module}")
            if name in RULES and (
                _is(module, "bot.planning") or any(_is(module, m) for m in ABOVE_PLANNING)
            ):
                breaches.append(f"{name}:{line} (a rule) imports {module}")
    assert not breaches, "\n".join(breaches)


def test_no_imports_inside_functions_but_the_composition_roots() -> None:
    breaches = []
    for path in sorted(BOT.rglob("*.py")):
        if path.parent == BOT and path.name in COMPOSITION_ROOT:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                breaches.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert not breaches, "imports inside functions:\n" + "\n".join(breaches)


def test_the_layer_checks_would_catch_a_breach(tmp_path: Path) -> None:
    tree = ast.parse("def f():\n    from bot.handlers.admin import report\n")
    assert [m for _, m in _imports(tree, top_level_only=False)] == ["bot.handlers.admin"]
    assert _is("bot.handlers.admin", "bot.handlers") and not _is("bot.handlersx", "bot.handlers")
    assert _module_name(BOT / "planning" / "__init__.py") == "bot.planning"


def test_every_kind_of_scheduled_message_is_one_module_in_the_table() -> None:
    from bot.planning.kinds import TABLE
    from bot.templates import NUDGE_KINDS

    modules = {
        p.stem
        for p in (BOT / "planning" / "kinds").glob("*.py")
        if p.stem not in ("__init__", "base")
    }
    kinds_modules = {kind.for_person or kind.for_channel for kind in TABLE.values()}
    assert all(f is not None for f in kinds_modules)
    declared_in = {f.__module__.rsplit(".", 1)[1] for f in kinds_modules if f is not None}
    assert declared_in == modules - {"celebration"}  # celebrations are posted, not scheduled
    assert tuple(TABLE) == NUDGE_KINDS  # and each kind has its label in the templates
