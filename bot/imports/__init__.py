"""Completion data in from learning-site exports: CSV or XLSX files, mapped to completions
by the profiles in ``sources.yaml`` (see :mod:`bot.imports.running`)."""

from bot.imports.reading import Layout, ReadProblem, as_text, count_rows
from bot.imports.running import Options, Outcome, recognise, run

__all__ = [
    "Layout",
    "Options",
    "Outcome",
    "ReadProblem",
    "as_text",
    "count_rows",
    "recognise",
    "run",
]
