"""Chart builders: canvases, determinism, inert text, fixed colours, small multiples, heatmap, files."""

from __future__ import annotations

import re

import pandas as pd

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.disclosure import ReportingRules, apply_rules
from survey_toolkit.report import ReportMeta
from survey_toolkit.report.canvas import Canvas
from survey_toolkit.report.charts import (
    HEAT_KEYS,
    PALETTE,
    SINGLE_PANEL_MAX,
    TOTAL_COLOUR,
    _heatmap_cells,
    build_charts,
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


def test_builders_return_canvases():
    r = small()
    assert isinstance(trend_chart(r, "trust"), Canvas)
    assert isinstance(location_bars(r, "trust"), Canvas)
    assert isinstance(change_heatmap(compare_rounds(r), results=r), Canvas)


def test_svg_and_png_bytes_are_deterministic():
    r = small()
    for fmt in ("svg", "png"):
        a = figure_bytes(trend_chart(r, "trust"), fmt)
        b = figure_bytes(trend_chart(r, "trust"), fmt)
        assert a == b
    svg = figure_bytes(location_bars(r, "trust"), "svg").decode()
    assert svg.startswith("<svg") and "<script" not in svg
    assert figure_bytes(trend_chart(r, "trust"), "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_dollar_and_markup_in_names_are_plain_text():
    # math text is off: a '$' pair in a label or a place name must not raise or be parsed
    r = small(names=("$North$", "<script>alert(1)</script>"))
    svg = figure_bytes(trend_chart(r, "trust"), "svg").decode()
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg  # escaped text
    assert "Trust $x$ &lt;b&gt;police&lt;/b&gt;" in svg


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


def many_locations(n_locations: int = 22, n_rounds: int = 6) -> pd.DataFrame:
    """A generated project's results: ``n_locations`` districts x ``n_rounds`` rounds, two indicators;
    district 3 is unpublished (small base) in every other round."""
    rows = []
    for ind in ("trust", "safe"):
        for r in range(n_rounds):
            for k, loc in enumerate(["All", *(f"D{i:02d}" for i in range(1, n_locations + 1))]):
                est = 40.0 + k + 2 * r + (5 if ind == "safe" else 0)
                n = 20 if (loc == "D03" and r % 2) else 200
                rows.append(dict(indicator_id=ind, round=f"R{r + 1}", location=loc, estimate=est, se=2.0,
                                 ci_low=est - 4, ci_high=est + 4, df=30.0, n=n, unit="percent",
                                 direction="higher_is_better", label_en=ind))  # fmt: skip
    return pd.DataFrame(rows)


def _primary_only(table: pd.DataFrame) -> pd.DataFrame:
    """The rules without complementary suppression: these tests are about colours and panels, and the
    one small location must stay the only one withheld (secondary suppression is tested in
    tests/test_disclosure*.py)."""
    return apply_rules(table, ReportingRules(secondary_suppression=False))


def _fills_by_name(svg: str, names: list[str]) -> dict[str, str]:
    """The colour of each location's name in a small-multiples trend chart (its panel title)."""
    found = dict(re.findall(r'fill="(#[0-9a-f]{6})" font-weight="bold">([^<]+)</text>', svg))
    return {v: k for k, v in found.items() if v in names}


def test_one_colour_per_location_in_every_chart():
    table = many_locations()
    order = tuple(f"D{i:02d}" for i in range(22, 0, -1))  # the project's list, reversed on purpose
    meta = ReportMeta(location_order=order)
    figures = build_charts(_primary_only(table), compare_rounds(_primary_only(table)), meta=meta)
    trend = figure_bytes(figures["trust_trend"]).decode()
    colours = _fills_by_name(trend, list(order))
    assert colours["D22"] == PALETTE[0] and colours["D21"] == PALETTE[1]  # from the project's list
    assert colours == _fills_by_name(figure_bytes(figures["safe_trend"]).decode(), list(order))
    # the bars of the latest round use the same colours (a bar is the rect just after its name)
    bars = figure_bytes(figures["trust_locations"]).decode()
    for name in ("D22", "D05", "D01"):
        fill = re.search(rf">{name}</text><rect [^>]*fill=\"(#[0-9a-f]{{6}})\"", bars).group(1)
        assert fill == colours[name], name
    assert f'fill="{TOTAL_COLOUR}"' in bars


def test_colour_does_not_depend_on_which_locations_are_published():
    table = _primary_only(many_locations(n_locations=4, n_rounds=3))
    meta = ReportMeta(location_order=("D01", "D02", "D03", "D04"))
    full = trend_chart(table, "trust", meta=meta)
    without = trend_chart(table[table["location"] != "D02"], "trust", meta=meta)
    assert "#ff7f0e" in figure_bytes(full).decode()  # D02, second in the list
    svg = figure_bytes(without).decode()
    assert "#ff7f0e" not in svg and PALETTE[2] in svg and PALETTE[3] in svg  # D03 and D04 keep theirs


def test_22_locations_and_6_rounds_are_small_multiples():
    table = _primary_only(many_locations())
    svg = figure_bytes(trend_chart(table, "trust")).decode()
    assert len(re.findall(r"<polygon ", svg)) >= 22  # one CI band per panel, not 22 in one
    titles = re.findall(r'font-weight="bold">(D\d\d|All locations)</text>', svg)
    assert len(titles) == 23  # the overall and every district have a panel
    small_table = _primary_only(many_locations(n_locations=SINGLE_PANEL_MAX, n_rounds=3))
    single = figure_bytes(trend_chart(small_table, "trust")).decode()
    assert len(re.findall(r"<polygon ", single)) == 1  # one panel: only the overall's band


ROUND_LABELS = {f"R{i}": f"Round {i} ({'Nov' if i % 2 else 'May'} {2025 + i // 2})" for i in range(1, 7)}


def _x_ticks(svg: str) -> list[str]:
    """The x-axis labels of a trend chart (9 px, centred, axis grey)."""
    return re.findall(r'font-size="9" text-anchor="middle" fill="#5f6368">([^<]*)</text>', svg)


def test_small_multiples_number_rounds_whose_labels_do_not_fit_and_add_a_key():
    """22 districts x 6 rounds labelled 'Round 1 (Nov 2025)'...: a panel is about 150 px wide, so the
    labels would overlap or be cut ('Round 1 (N…'); the axes read 1..6 and one key names the rounds."""
    meta = ReportMeta(round_labels=ROUND_LABELS)
    svg = figure_bytes(trend_chart(_primary_only(many_locations()), "trust", meta=meta)).decode()
    ticks = _x_ticks(svg)
    assert ticks and set(ticks) == {"1", "2", "3", "4", "5", "6"}
    assert not any("…" in t or "Round" in t for t in ticks)
    key = " ".join(re.findall(r'>([^<]*Round 1 \(Nov 2025\)[^<]*)</text>', svg))
    assert "1: Round 1 (Nov 2025) · 2: Round 2 (May 2026)" in key
    assert all(f"{i}: {ROUND_LABELS[f'R{i}']}" in svg for i in range(1, 7))
    height = float(re.search(r'<svg [^>]*height="([0-9.]+)"', svg).group(1))
    key_y = float(re.search(r'<text x="8" y="([0-9.]+)"[^>]*>1: Round 1', svg).group(1))
    assert key_y < height  # the key is inside the chart


def test_single_panel_keeps_full_round_labels_when_they_fit():
    meta = ReportMeta(round_labels=ROUND_LABELS)
    table = _primary_only(many_locations(n_locations=SINGLE_PANEL_MAX, n_rounds=6))
    svg = figure_bytes(trend_chart(table, "trust", meta=meta)).decode()
    assert _x_ticks(svg) == [ROUND_LABELS[f"R{i}"] for i in range(1, 7)]
    assert "1: Round 1" not in svg  # no key needed
    short = figure_bytes(trend_chart(_primary_only(many_locations()), "trust")).decode()  # ids R1..R6 fit
    assert set(_x_ticks(short)) == {f"R{i}" for i in range(1, 7)} and "1: R1" not in short


def test_22_districts_and_their_regions_all_have_their_own_colour():
    """The scaled project's list: 4 regions then 22 districts (26 locations): no two share a colour, and
    the first 24 keep the colours they had (a project of up to 24 locations is drawn as before)."""
    from survey_toolkit.report.charts import location_colours

    order = (*(f"R{r:02d}" for r in range(1, 5)), *(f"D{d:02d}" for d in range(1, 23)))
    colours = location_colours(ReportMeta(location_order=order))
    assert len({colours[code] for code in order}) == len(order) == 26
    assert TOTAL_COLOUR not in {colours[code] for code in order}
    assert [colours[code] for code in order[:24]] == list(PALETTE[:24])
    assert PALETTE[:2] == ("#1f77b4", "#ff7f0e") and len(set(PALETTE)) == len(PALETTE) == 32
