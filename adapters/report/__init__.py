"""The report's printable forms and charts, written from a :class:`bot.report_data.Report`.

- :func:`render_html` (report) -> str: the one-page report as HTML;
- :func:`render_pdf` (report, page_size="A4") -> bytes: the same page as PDF;
- :func:`chart_png` (report, which) -> bytes: a chart as a 1200 x 675 PNG, for chat;
- :func:`chart_svg` (report, which) -> str: a chart as an SVG document, for the web;

with ``which`` one of :data:`CHARTS`: ``"teams"``, ``"trend"``, ``"comfort"``.
"""

from __future__ import annotations

from adapters.report.charts import CHARTS, HEIGHT_PX, WIDTH_PX, Which
from adapters.report.charts import png as chart_png
from adapters.report.charts import svg as chart_svg
from adapters.report.page import PageSize, render_html, render_pdf

__all__ = [
    "CHARTS",
    "HEIGHT_PX",
    "WIDTH_PX",
    "PageSize",
    "Which",
    "chart_png",
    "chart_svg",
    "render_html",
    "render_pdf",
]
