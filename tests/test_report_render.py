"""The printable report and its charts, rendered from a Report built by hand.

The PDF is checked through poppler's pdftoppm, pdftotext and pdfinfo, which CI installs
(.ci/run): without them these tests fail rather than skip.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from adapters.report import (
    CHARTS,
    HEIGHT_PX,
    WIDTH_PX,
    chart_png,
    chart_svg,
    render_html,
    render_pdf,
)
from adapters.report.page import cell
from bot.report_data import (
    Bar,
    Charts,
    Column,
    Comfort,
    Headline,
    Period,
    Point,
    Report,
    Section,
)

HOSTILE = "<script>alert('x')</script>"
SVG = "{http://www.w3.org/2000/svg}"


def report() -> Report:
    teams = (
        Bar(label="ICU", share=0.85, n=40),
        Bar(label=HOSTILE, share=0.62, n=21),
        Bar(label="Oncology $5 & more", share=0.3, n=12),
    )
    trend = tuple(
        Point(start=date(2026, 9, 7) + timedelta(weeks=i), verified=10 + i, self_reported=3 + i % 2)
        for i in range(8)
    )
    comfort = (
        Comfort(label="Talking about prognosis", before=2.1, looking_back=1.8, after=3.9, n=30),
        Comfort(label="Managing pain", before=2.8, looking_back=None, after=4.2, n=28),
        Comfort(label="Breaking bad news", before=None, looking_back=None, after=None, n=3),
    )
    columns = (
        Column("team", "Team"),
        Column("members", "Members", "int"),
        Column("trained", "Trained", "share"),
        Column("comfort", "Mean comfort", "number"),
        Column("last", "Last completion", "date"),
    )
    rows = (
        ("ICU", 1234, 0.85, 3.14159, date(2026, 11, 3)),
        (HOSTILE, 21, 0.62, None, date(2026, 10, 28)),
        ("Oncology $5 & more", 12, 0.3, 2.5, None),
    )
    return Report(
        title="Palliative care training",
        scope="Everyone",
        period=Period(date(2026, 9, 1), date(2026, 10, 31), "Autumn 2026"),
        generated_at=datetime(2026, 12, 2, 18, 0, tzinfo=UTC),
        source="Huddle's ledger (learning-site imports, xAPI and self-reports)",
        headline=Headline(label="of clinicians trained", share=0.62, n=1234),
        target=0.8,
        sections=(
            Section("teams", "Teams", columns, rows, notes=("Teams under 5 people are left out.",)),
            Section("empty", "Sessions", (Column("title", "Title"),), ()),
        ),
        charts=Charts(teams=teams, trend=trend, trend_unit="week", comfort=comfort),
    )


def empty_report() -> Report:
    return dataclasses.replace(report(), charts=Charts(), sections=())


def many_teams() -> Report:
    bars = tuple(Bar(label=f"Team {i:03}", share=1 - i / 500, n=10 + i) for i in range(500))
    return dataclasses.replace(report(), charts=dataclasses.replace(report().charts, teams=bars))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: install poppler-utils (apt-get install poppler-utils)")
    return found


def _ink(image: Image.Image) -> float:
    """The share of pixels that are not (near) white."""
    grey = image.convert("L")
    histogram = grey.histogram()
    return sum(histogram[:240]) / (grey.width * grey.height)


# The HTML page


def test_the_page_holds_the_headline_the_tables_and_what_they_cover() -> None:
    html = render_html(report())
    for text in (
        "62%",
        "of clinicians trained",
        "n = 1,234",
        "Target: 80% of each team",
        "Everyone",
        "Autumn 2026",
        "1 September 2026 – 31 October 2026",
        "2 December 2026",
        "Huddle&#39;s ledger (learning-site imports, xAPI and self-reports)",
        "Teams under 5 people are left out.",
        "Nothing to show yet.",
    ):
        assert text in html, text
    # Each cell written for its kind: shares as %, counts with separators, None as a dash.
    teams_table = html[html.index('<section id="teams">') :]
    cells = re.findall(r'<td class="(\w+)">([^<]*)</td>', teams_table)
    assert cells[:5] == [
        ("text", "ICU"),
        ("int", "1,234"),
        ("share", "85%"),
        ("number", "3.14"),
        ("date", "3 Nov 2026"),
    ]
    assert ("number", "–") in cells and ("date", "–") in cells
    # The three charts are inline, each with its title.
    assert html.count("<svg") == 3
    assert "Team completion against the target: Palliative care training" in html
    assert "Completions over time" in html and "Comfort before, looking back and after" in html


def test_hostile_text_is_escaped_everywhere() -> None:
    html = render_html(report())
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "Oncology $5 &amp; more" in html


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "srcset", "data") and value:
                self.references.append(value)
            if name == "id" and value:
                self.ids.append(value)
        if tag in ("link", "script", "img", "iframe", "object", "embed"):
            self.references.append(f"<{tag}>")


def test_the_page_fetches_nothing_from_anywhere() -> None:
    html = render_html(report())
    parser = _References()
    parser.feed(html)
    assert all(ref.startswith("#") for ref in parser.references), parser.references
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("://", "")
    assert "@import" not in html
    assert all(url.startswith("#") for url in re.findall(r"url\(([^)]*)\)", html))
    # Three charts on one page keep their ids (clip paths, markers) apart.
    assert len(parser.ids) == len(set(parser.ids))


def test_the_page_is_made_for_phones_and_paper() -> None:
    html = render_html(report())
    assert 'name="viewport" content="width=device-width' in html
    assert "@media print" in html and "@page" in html
    assert "overflow-x: auto" in html  # wide tables scroll on a 360 px screen


def test_an_empty_report_still_renders() -> None:
    html = render_html(empty_report())
    assert html.count("No data yet") == 3
    pdf = render_pdf(empty_report())
    assert pdf.startswith(b"%PDF-")


# The PDF


def test_the_pdf_is_drawn_and_holds_the_headline_and_the_figures(tmp_path: Path) -> None:
    pdftoppm, pdftotext = _tool("pdftoppm"), _tool("pdftotext")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(report()))
    subprocess.run(
        [pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (first,) = tmp_path.glob("page*.png")
    with Image.open(first) as page:
        assert page.width < page.height  # portrait
        assert _ink(page) > 0.03
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for expected in ("62%", "of clinicians trained", "1,234", "ICU", "85%", "3.14", HOSTILE):
        assert expected in text, expected


def test_the_pdf_comes_on_a4_or_letter(tmp_path: Path) -> None:
    pdfinfo = _tool("pdfinfo")
    sizes = {}
    for size in ("A4", "letter"):
        pdf = tmp_path / f"{size}.pdf"
        pdf.write_bytes(render_pdf(report(), page_size=size))
        info = subprocess.run(
            [pdfinfo, str(pdf)], check=True, capture_output=True, text=True
        ).stdout
        sizes[size] = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    a4, letter = sizes["A4"], sizes["letter"]
    assert a4 is not None and letter is not None
    assert (round(float(a4[1])), round(float(a4[2]))) == (595, 842)
    assert (round(float(letter[1])), round(float(letter[2]))) == (612, 792)


# The charts


@pytest.mark.parametrize("which", CHARTS)
@pytest.mark.parametrize("made", [report, empty_report, many_teams])
def test_each_png_chart_is_its_size_small_and_drawn(which: str, made: object) -> None:
    assert callable(made)
    data = chart_png(made(), which)
    assert data.startswith(b"\x89PNG")
    assert len(data) < 150_000
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX) == (1200, 675)
        assert _ink(image) > 0.005


@pytest.mark.parametrize("which", CHARTS)
def test_each_svg_chart_is_xml_with_its_title_and_footnote(which: str) -> None:
    document = chart_svg(report(), which)
    root = ET.fromstring(document)
    assert root.tag == f"{SVG}svg"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text is not None
    assert title.text.endswith(": Palliative care training")
    texts = " ".join(t for t in root.itertext())
    assert "Source: Huddle's ledger" in texts and "2 December 2026" in texts
    assert "Everyone, Autumn 2026" in texts


def test_the_team_chart_names_teams_shares_and_the_target() -> None:
    texts = " ".join(ET.fromstring(chart_svg(report(), "teams")).itertext())
    assert HOSTILE in texts  # as text: the SVG parsed, so it was escaped
    assert "Oncology $5 & more" in texts  # not read as mathematics
    assert "85% (n=40)" in texts and "Target 80%" in texts
    assert "Share of the team trained" in texts


def test_many_teams_show_the_top_and_bottom_and_say_so() -> None:
    texts = " ".join(ET.fromstring(chart_svg(many_teams(), "teams")).itertext())
    assert "The top 8 and bottom 8 of 500 teams" in texts
    assert "484 teams not shown" in texts
    assert "Team 000" in texts and "Team 499" in texts and "Team 250" not in texts


def test_the_trend_and_comfort_charts_name_their_lines_and_phases() -> None:
    trend = " ".join(ET.fromstring(chart_svg(report(), "trend")).itertext())
    assert "Verified 17" in trend and "Self-reported 4" in trend
    assert "Completions a week" in trend
    comfort = " ".join(ET.fromstring(chart_svg(report(), "comfort")).itertext())
    for text in ("Before", "Looking back", "After", "Managing pain (n=28)", "too few answers"):
        assert text in comfort, text


@pytest.mark.parametrize("which", CHARTS)
def test_an_empty_chart_says_so(which: str) -> None:
    texts = " ".join(ET.fromstring(chart_svg(empty_report(), which)).itertext())
    assert "No data yet" in texts


def test_an_unknown_chart_is_refused() -> None:
    with pytest.raises(ValueError, match="no chart 'pie'"):
        chart_png(report(), "pie")


def test_cells_are_written_for_their_kind() -> None:
    assert cell(None, "share") == "–"
    assert cell(0.625, "share") == "62%"
    assert cell(1_234_567, "int") == "1,234,567"
    assert cell(3.14159, "number") == "3.14"
    assert cell(date(2026, 1, 5), "date") == "5 Jan 2026"
    assert cell("ICU", "text") == "ICU"


def test_the_printed_page_keeps_the_top_of_long_tables_and_says_how_many_more() -> None:
    shown = render_html(report(), max_rows=1)
    assert "more rows: the Excel and CSV files have every row" in shown
    assert "more rows" not in render_html(report())
