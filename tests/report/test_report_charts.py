"""Chart builders: figures, determinism, inert text, heatmap colours, chart files."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.disclosure import apply_rules
from survey_toolkit.report.charts import (
    HEAT_KEYS,
    _heatmap_cells,
    change_heatmap,
    figure_bytes,
    location_bars,
    save_charts,
    trend_chart,
)


def small(names=("North", "South")):
    rows = []
    for rnd, shift in (("R1", 0.0), ("R2", 12.0)):
        for loc, base in zip(("All", *names), (50.0, 45.0, 55.0), strict=True):
            est = base + shift
            rows.append(
                dict(
                    indicator_id="trust",
                    round=rnd,
                    location=loc,
                    estimate=est,
                    se=1.5,
                    ci_low=est - 3,
                    ci_high=est + 3,
                    df=30.0,
                    n=300,
                    unit="percent",
                    direction="higher_is_better",
                    label_en="Trust $x$ <b>police</b>",
                )
            )
    return pd.DataFrame(rows)


def test_builders_return_figures():
    r = small()
    assert isinstance(trend_chart(r, "trust"), Figure)
    assert isinstance(location_bars(r, "trust"), Figure)
    assert isinstance(change_heatmap(compare_rounds(r), results=r), Figure)


def test_svg_and_png_bytes_are_deterministic():
    r = small()
    for fmt in ("svg", "png"):
        a = figure_bytes(trend_chart(r, "trust"), fmt)
        b = figure_bytes(trend_chart(r, "trust"), fmt)
        assert a == b
    svg = figure_bytes(location_bars(r, "trust"), "svg").decode()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_dollar_and_markup_in_names_are_plain_text():
    # math text is off: a '$' pair in a label or a place name must not raise or be parsed
    r = small(names=("$North$", "<script>alert(1)</script>"))
    svg = figure_bytes(trend_chart(r, "trust"), "svg")
    assert b"<script" not in svg  # text is drawn as paths, never as markup


def test_heatmap_colours_follow_direction_and_significance():
    r = apply_rules(small())
    comp = compare_rounds(r)
    codes, text = _heatmap_cells(
        comp.assign(location=comp["location"]), ["trust"], ["All", "North", "South"], 1.0, "en"
    )
    assert [HEAT_KEYS[c] for c in codes[0]] == ["improved", "improved", "improved"]
    assert text[0, 0] == "+12.0*"
    worse = comp.assign(direction="higher_is_worse")
    worse = compare_rounds(r.assign(direction="higher_is_worse"))
    codes, _ = _heatmap_cells(worse, ["trust"], ["All"], 1.0, "en")
    assert HEAT_KEYS[codes[0, 0]] == "worsened"


def test_heatmap_marks_suppressed_cells_white_with_dash():
    r = small()
    r.loc[(r["location"] == "North") & (r["round"] == "R1"), "n"] = 10
    comp = compare_rounds(apply_rules(r))
    codes, text = _heatmap_cells(comp, ["trust"], ["All", "North"], 1.0, "en")
    assert HEAT_KEYS[codes[0, 1]] == "suppressed" and text[0, 1] == "—"


def test_save_charts_writes_files_atomically(tmp_path):
    r = small()
    paths = save_charts(r, compare_rounds(r), tmp_path, formats=("svg",))
    assert sorted(p.name for p in paths) == ["change_heatmap.svg", "trust_locations.svg", "trust_trend.svg"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_unknown_chart_format():
    import pytest

    with pytest.raises(ValueError, match="svg"):
        figure_bytes(trend_chart(small(), "trust"), "gif")
