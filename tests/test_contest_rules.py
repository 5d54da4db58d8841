"""The contest rules on their own: ranks and ties, what would move a team, and the chart
drawn for each platform."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

from PIL import Image

from adapters.chart import data_uri, png
from adapters.slack.render import charts, render, without_charts
from adapters.teams.cards import MAX_CARD_BYTES, cards_for
from adapters.text import chart_lines
from bot.contests import Standings, TeamScore, _ranked, move
from bot.messages import Bar, Chart, Message, Text
from bot.models import Contest
from tests.teams_cards import card_problems

NOW = datetime(2026, 11, 23, 15, 0)


def _contest(metric: str = "active") -> Contest:
    return Contest(
        id=1,
        name="Sprint",
        metric=metric,
        starts_on=date(2026, 11, 23),
        ends_on=date(2026, 12, 20),
        status="running",
        proposed_by="x",
        created_at=NOW,
    )


def _team(n: int, done: int, out_of: int, members: int | None = None) -> TeamScore:
    return TeamScore(n, f"t{n}", f"Team {n}", members or out_of, done, out_of)


def _standings(scores: list[TeamScore], metric: str = "active") -> Standings:
    return Standings(_contest(metric), metric, _ranked(scores, 5), 5)


def test_equal_shares_share_a_rank_and_small_teams_are_not_ranked() -> None:
    found = _standings(
        [_team(1, 3, 6), _team(2, 30, 60), _team(3, 40, 60), _team(4, 4, 4), _team(5, 1, 10)]
    )
    assert [(t.name, t.rank) for t in found.teams] == [
        ("Team 3", 1),
        ("Team 1", 2),  # 3 of 6 and 30 of 60 are the same share: the same place
        ("Team 2", 2),
        ("Team 5", 4),
        ("Team 4", None),  # 4 members: shown, not ranked, whatever its share
    ]


def test_what_would_move_a_team_is_the_fewest_that_pass_the_teams_above() -> None:
    found = _standings([_team(1, 10, 40), _team(2, 6, 8), _team(3, 3, 6)])
    # Team 1 (25%) is third: 11 more pass Team 3 (50%), 21 more pass Team 2 (75%).
    step = move(found, 1)
    assert step is not None and (step.up, step.place, step.first) == (11, 2, 21)
    # Team 3 (50% of 6): one more is 67%, still short of 75%; two pass it.
    step = move(found, 3)
    assert step is not None and (step.up, step.place, step.first) == (2, 1, 2)
    # The leader: nothing to pass.
    step = move(found, 2)
    assert step is not None and (step.up, step.first) == (None, None)


def test_a_tie_for_first_is_broken_by_one_and_the_impossible_is_not_offered() -> None:
    found = _standings([_team(1, 5, 10), _team(2, 5, 10), _team(3, 9, 10)])
    step = move(found, 1)
    assert step is not None and (step.up, step.place) == (5, 1)
    tied = _standings([_team(1, 5, 10), _team(2, 5, 10)])
    step = move(tied, 2)
    assert step is not None and (step.up, step.first) == (None, 1)
    # Everyone in the team would need to start and more: nothing is offered.
    full = _standings([_team(1, 10, 10), _team(2, 4, 5)])
    step = move(full, 2)
    assert step is not None and step.up is None and step.first is None


def test_credits_are_compared_exactly_per_member() -> None:
    # 150 hundredths over 6 members (0.25 each) against 1200 over 60 (0.2 each).
    found = _standings([_team(1, 150, 6), _team(2, 1200, 60)], "credits")
    assert [t.name for t in found.ranked] == ["Team 1", "Team 2"]
    step = move(found, 2)
    # 0.25 a member over 60 is 15 credits: just over it takes 301 hundredths more.
    assert step is not None and step.up == 301


def _chart(bars: int) -> Chart:
    values = tuple(
        Bar(f"Team {n} of a Department With a Long Name", 95.0 - n * 3, n == 2) for n in range(bars)
    )
    return Chart("Sprint", values, tuple(f"{b.value:.0f}%" for b in values), "Sprint: shares", 100)


def test_the_chart_is_a_small_png_within_1024_pixels() -> None:
    picture = png(_chart(10))
    image = Image.open(io.BytesIO(picture))
    assert image.format == "PNG" and image.width <= 1024 and image.height <= 1024
    assert len(picture) < 15_000
    tall = Image.open(io.BytesIO(png(_chart(40))))
    assert tall.height <= 1024


def test_each_platform_draws_the_chart_its_own_way() -> None:
    message = Message((Text("Standings"), _chart(10)), "Standings", "standings")
    lines = chart_lines(_chart(10))
    assert lines[0] == "Sprint" and lines[3].endswith("◀") and "█" in lines[1]
    # Slack: text bars in an answer; the sender leaves them out and uploads the image.
    assert "█" in json.dumps(render(message)[0].blocks, ensure_ascii=False)
    assert charts(message) == (_chart(10),)
    assert "█" not in json.dumps(render(without_charts(message))[0].blocks, ensure_ascii=False)
    # Teams: an Image with the PNG as a data URI, inside the card budget.
    (card,) = cards_for(message)
    (image,) = [e for e in card.content["body"] if e["type"] == "Image"]
    assert image["url"] == data_uri(_chart(10)) and image["altText"] == "Sprint: shares"
    assert card_problems(card.content) == []
    assert len(json.dumps(card.content).encode()) <= MAX_CARD_BYTES


def test_a_chart_too_big_for_a_card_goes_as_text_bars() -> None:
    big = _chart(40)
    assert data_uri(big) is None  # 40 bars: more than a card can carry
    (card,) = cards_for(Message((big,), "Standings"))
    assert not [e for e in card.content["body"] if e["type"] == "Image"]
    assert "█" in json.dumps(card.content, ensure_ascii=False)
