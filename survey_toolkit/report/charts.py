"""Chart builders: each returns a matplotlib ``Figure`` (never ``pyplot``), deterministic when saved.

Figures are built on ``matplotlib.figure.Figure`` directly, so no GUI backend or global pyplot
state is involved; :func:`figure_bytes` saves with a fixed ``svg.hashsalt``, text as SVG text (small files) and no
date metadata, so the same inputs give the same bytes. Text from the data (place names, labels)
is drawn with math text switched off, so ``$`` or ``<script>`` are just characters.

Suppressed estimates are NaN in the input (see :mod:`survey_toolkit.disclosure`), so they simply do
not appear: trend lines break, bars are replaced by a dash, heatmap cells are left white.

Example:
    >>> import pandas as pd
    >>> from survey_toolkit.report.charts import trend_chart, figure_bytes
    >>> r = pd.DataFrame({"indicator_id": "a", "round": ["R1", "R2"], "location": "All",
    ...                   "estimate": [40.0, 45.0], "se": 2.0, "ci_low": [36.0, 41.0],
    ...                   "ci_high": [44.0, 49.0], "n": 400, "unit": "percent"})
    >>> figure_bytes(trend_chart(r, "a"), "svg")[:5]
    b'<?xml'
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ..disclosure import group_columns_of
from ._common import (
    ReportMeta,
    atomic_write_bytes,
    fmt_number,
    indicator_ids,
    indicator_label,
    location_name,
    percent_factor,
    prepare_results,
    rounds_of,
    t,
    unit_name,
)

__all__ = [
    "RC",
    "PALETTE",
    "CHANGE_COLOURS",
    "trend_chart",
    "location_bars",
    "change_heatmap",
    "figure_bytes",
    "save_charts",
    "build_charts",
    "chart_plan",
    "chart_stem",
]

RC: dict[str, object] = {
    "svg.hashsalt": "survey_toolkit",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "text.parse_math": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "path.simplify": False,
}
"""matplotlib settings used for every chart (deterministic SVG, no math text)."""

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
"""Colours of the locations, in order of appearance; the overall line is black."""

CHANGE_COLOURS: dict[str, str] = {
    "improved": "#1a9850",
    "worsened": "#d73027",
    "increased": "#4575b4",
    "decreased": "#4575b4",
    "no significant change": "#d9d9d9",
    "suppressed": "#ffffff",
}
"""Heatmap colour of each interpretation of a change."""


@contextmanager
def _style() -> Iterator[None]:
    with rc_context(RC):
        yield


def _is_total(values: pd.Series, meta: ReportMeta) -> pd.Series:
    return values.isna() | (values.astype("string") == meta.rules.total_label).fillna(False).astype(bool)


def _headline_rows(results: pd.DataFrame) -> pd.Series:
    """Rows without a breakdown other than location (sex, age group... all totals)."""
    keep = pd.Series(True, index=results.index)
    for col in group_columns_of(results):
        if col != "location":
            keep &= results[col].isna() | (results[col].astype("string") == "All").fillna(False).astype(bool)
    return keep


def _indicator_rows(results: pd.DataFrame, indicator: str) -> pd.DataFrame:
    rows = results[(results["indicator_id"].astype(str) == indicator) & _headline_rows(results)]
    if "location" not in rows.columns:
        rows = rows.assign(location="All")
    return rows


def _scale(rows: pd.DataFrame, factor: float) -> float:
    unit = rows["unit"].iloc[0] if "unit" in rows.columns and len(rows) else ""
    return factor if str(unit) in ("percent", "proportion") else 1.0


def _axis_label(rows: pd.DataFrame, lang: str) -> str:
    unit = rows["unit"].iloc[0] if "unit" in rows.columns and len(rows) else ""
    return unit_name(unit, lang) if unit else ""


def _locations(rows: pd.DataFrame, meta: ReportMeta) -> list:
    """Overall first, then the other locations in order of appearance."""
    locs = list(pd.unique(rows["location"]))
    totals = [loc for loc in locs if _is_total(pd.Series([loc], dtype="object"), meta).iloc[0]]
    return totals[:1] + [loc for loc in locs if loc not in totals]


def trend_chart(
    results: pd.DataFrame,
    indicator: str,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
    locations: Sequence[str] | None = None,
) -> Figure:
    """Estimates across rounds with 95% CI bands, one line per location (overall in black)."""
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    rows = _indicator_rows(results, indicator)
    order = rounds_of(results, meta)
    scale = _scale(rows, percent_factor(results))
    title = indicator_label(results, meta, indicator, lang)
    return _draw_trend(rows, order, scale, title, meta, lang, locations)


def _draw_trend(
    rows: pd.DataFrame,
    order: list[str],
    scale: float,
    label: str,
    meta: ReportMeta,
    lang: str,
    locations: Sequence[str] | None = None,
) -> Figure:
    fig = Figure(figsize=(7.0, 3.6), dpi=100)
    with _style():
        ax = fig.add_subplot()
        x = np.arange(len(order))
        locs = list(locations) if locations is not None else _locations(rows, meta)
        published = rows.loc[pd.to_numeric(rows["estimate"], errors="coerce").notna(), "location"]
        shown = set(published.astype("string").fillna("\x00"))
        locs = [loc for loc in locs if ("\x00" if pd.isna(loc) else str(loc)) in shown]
        colour = iter(PALETTE * 10)
        for loc in locs:
            sub = (
                rows[rows["location"].astype("string") == str(loc)]
                if not pd.isna(loc)
                else rows[rows["location"].isna()]
            )
            sub = sub.set_index(sub["round"].astype(str)).reindex(order)
            total = _is_total(pd.Series([loc], dtype="object"), meta).iloc[0]
            col = "#000000" if total else next(colour)
            est = pd.to_numeric(sub["estimate"], errors="coerce").to_numpy(dtype=float) * scale
            lo = pd.to_numeric(sub["ci_low"], errors="coerce").to_numpy(dtype=float) * scale
            hi = pd.to_numeric(sub["ci_high"], errors="coerce").to_numpy(dtype=float) * scale
            ax.fill_between(x, lo, hi, color=col, alpha=0.12, linewidth=0)
            ax.plot(
                x,
                est,
                marker="o",
                color=col,
                linewidth=2.4 if total else 1.4,
                markersize=4,
                label=location_name(meta, loc, lang),
                zorder=3 if total else 2,
            )
        ax.set_xticks(x, [str(meta.round_labels.get(r, r)) for r in order])
        ax.set_xlim(-0.3, max(len(order) - 0.7, 0.3))
        ax.set_ylabel(_axis_label(rows, lang))
        title = textwrap.shorten(label, 150, placeholder="…")
        title = textwrap.fill(title, 70)
        ax.set_title(title, loc="left", fontsize=10)
        names = [location_name(meta, loc, lang) for loc in locs]
        if locs:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        legend_in = 0.55 + 0.065 * max((len(n) for n in names), default=0)
        top = 0.17 + 0.18 * (title.count("\n") + 1)
        _margins(fig, left=0.6, right=min(legend_in, 3.2), top=top, bottom=0.4)
    return fig


def location_bars(
    results: pd.DataFrame,
    indicator: str,
    *,
    round: str | None = None,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> Figure:
    """Horizontal bars of one round's estimates by location with 95% CI whiskers; '—' if suppressed."""
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    rows = _indicator_rows(results, indicator)
    rnd = round if round is not None else rounds_of(results, meta)[-1]
    return _draw_bars(rows, str(rnd), _scale(rows, percent_factor(results)), meta, lang)


def _draw_bars(rows: pd.DataFrame, rnd: str, scale: float, meta: ReportMeta, lang: str) -> Figure:
    rows = rows[rows["round"].astype(str) == str(rnd)]
    locs = _locations(rows, meta)
    fig = Figure(figsize=(7.0, 0.45 * max(len(locs), 1) + 1.1), dpi=100)
    with _style():
        ax = fig.add_subplot()
        y = np.arange(len(locs))[::-1]
        est = np.full(len(locs), np.nan)
        lo, hi = est.copy(), est.copy()
        for i, loc in enumerate(locs):
            r = (
                rows[rows["location"].astype("string") == str(loc)]
                if not pd.isna(loc)
                else rows[rows["location"].isna()]
            )
            if len(r):
                est[i] = pd.to_numeric(r["estimate"], errors="coerce").iloc[0] * scale
                lo[i] = pd.to_numeric(r["ci_low"], errors="coerce").iloc[0] * scale
                hi[i] = pd.to_numeric(r["ci_high"], errors="coerce").iloc[0] * scale
        totals = np.array(
            [_is_total(pd.Series([loc], dtype="object"), meta).iloc[0] for loc in locs], dtype=bool
        )
        colours = np.where(totals, "#333333", "#4c78a8")
        ok = ~np.isnan(est)
        ax.barh(y[ok], est[ok], color=colours[ok], height=0.6)
        err = np.vstack([est - lo, hi - est])
        has_ci = ok & ~np.isnan(lo) & ~np.isnan(hi)
        ax.errorbar(
            est[has_ci], y[has_ci], xerr=err[:, has_ci], fmt="none", ecolor="#000000", capsize=3, linewidth=1
        )
        for yi in y[~ok]:
            ax.text(0, yi, f" — {t(lang, 'not_published')}", va="center", ha="left", color="#555555")
        ax.set_yticks(y, [location_name(meta, loc, lang) for loc in locs])
        ax.set_xlabel(_axis_label(rows, lang))
        ax.grid(axis="y", visible=False)
        ax.set_title(t(lang, "bars", round=meta.round_labels.get(str(rnd), rnd)), loc="left", fontsize=10)
        label_in = 0.25 + 0.075 * max((len(location_name(meta, loc, lang)) for loc in locs), default=4)
        _margins(fig, left=min(label_in, 3.0), right=0.2, top=0.35, bottom=0.5)
        if np.isfinite(hi).any() or ok.any():
            top = np.nanmax(np.concatenate([hi[np.isfinite(hi)], est[ok], [1.0]]))
            ax.set_xlim(0, top * 1.08)
    return fig


def _heatmap_matrix(
    comparisons: pd.DataFrame, comparison: str, meta: ReportMeta, lang: str, results: pd.DataFrame | None
) -> tuple[list[str], list, pd.DataFrame]:
    comp = comparisons[comparisons["comparison"] == comparison]
    if "location" not in comp.columns:
        comp = comp.assign(location="All")
    comp = comp[_headline_rows(comp)]
    if "category" in comp.columns:  # one row per indicator; answer categories are in the tables
        comp = comp[comp["category"].isna()]
    inds = [str(i) for i in pd.unique(comp["indicator_id"].astype(str))]
    locs = _locations(comp, meta)
    return inds, locs, comp


def change_heatmap(
    comparisons: pd.DataFrame,
    *,
    comparison: str = "previous",
    results: pd.DataFrame | None = None,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> Figure:
    """Indicator x location grid of the change, coloured by direction and significance (after FDR).

    Rows are indicators (headline estimates; answer categories of a distribution are left out), columns
    locations (overall first). Cell text is the change (``*`` when
    significant after false discovery rate control); suppressed changes are white with a dash.
    """
    meta = (meta or ReportMeta()).for_language(lang)
    inds, locs, comp = _heatmap_matrix(comparisons, comparison, meta, lang, results)
    labels_from = results if results is not None else comparisons
    factor = percent_factor(results) if results is not None else 1.0
    codes, text = _heatmap_cells(comp, inds, locs, factor, lang)
    longest = max((len(_short(location_name(meta, loc, lang), 24)) for loc in locs), default=4)
    loc_in = min(0.3 + 0.05 * longest, 1.5)
    height = 0.3 * max(len(inds), 1) + loc_in + 0.2
    ind_in = min(0.25 + 0.066 * max((len(_short(indicator_label(labels_from, meta, i, lang), 56)) for i in inds),
                                    default=4), 4.2)  # fmt: skip
    fig = Figure(figsize=(min(ind_in + 0.3 + 0.62 * max(len(locs), 1), 16.0), height), dpi=100)
    with _style():
        ax = fig.add_subplot()
        cmap = ListedColormap([CHANGE_COLOURS[k] for k in HEAT_KEYS])
        ax.imshow(codes, cmap=cmap, vmin=-0.5, vmax=len(HEAT_KEYS) - 0.5, aspect="auto")
        for (i, j), value in np.ndenumerate(text):
            dark = HEAT_KEYS[codes[i, j]] in ("improved", "worsened", "increased", "decreased")
            ax.text(
                j, i, value, ha="center", va="center", fontsize=7.5, color="#ffffff" if dark else "#222222"
            )
        ax.set_yticks(
            np.arange(len(inds)), [_short(indicator_label(labels_from, meta, i, lang), 56) for i in inds]
        )
        ax.set_xticks(
            np.arange(len(locs)),
            [_short(location_name(meta, loc, lang), 24) for loc in locs],
            rotation=30,
            ha="right",
        )
        ax.set_xticks(np.arange(len(locs) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(inds) + 1) - 0.5, minor=True)
        ax.grid(False)
        ax.grid(which="minor", color="#ffffff", linewidth=1.5)
        ax.tick_params(which="both", length=0, labelsize=8)
        for spine in ax.spines.values():
            spine.set_visible(False)
        _margins(fig, left=ind_in, right=0.15, top=0.15, bottom=loc_in)
    return fig


def _margins(fig: Figure, *, left: float, right: float, top: float, bottom: float) -> None:
    """Fixed margins in inches (cheaper and steadier than a layout engine)."""
    w, h = fig.get_figwidth(), fig.get_figheight()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h)


HEAT_KEYS = ("improved", "worsened", "increased", "decreased", "no significant change", "suppressed")


def _heatmap_cells(
    comp: pd.DataFrame, inds: list[str], locs: list, factor: float, lang: str
) -> tuple[np.ndarray, np.ndarray]:
    """Colour codes and cell texts of the heatmap, by pivoting the comparisons (no loop over rows)."""
    loc_key = comp["location"].astype("string").fillna("\x00")
    frame = comp.assign(_loc=loc_key, _ind=comp["indicator_id"].astype(str))
    frame = frame.drop_duplicates(["_ind", "_loc"])
    unit = frame.get("unit", pd.Series("", index=frame.index)).astype("string").fillna("")
    scale = np.where(unit.isin(["percent", "proportion"]), factor, 1.0)
    change = pd.to_numeric(frame["change"], errors="coerce").to_numpy(dtype=float) * scale
    supp = frame.get("suppressed", pd.Series(False, index=frame.index)).fillna(False).astype(bool).to_numpy()
    sig = (
        frame.get("significant_fdr", pd.Series(False, index=frame.index))
        .fillna(False)
        .astype(bool)
        .to_numpy()
    )
    words = frame["interpretation"].astype("string").fillna("suppressed")
    frame = frame.assign(
        _code=words.map({k: i for i, k in enumerate(HEAT_KEYS)})
        .fillna(HEAT_KEYS.index("suppressed"))
        .astype(int),
        _text=[
            "—" if (s or np.isnan(c)) else fmt_number(c, 1, lang, signed=True) + ("*" if g else "")
            for c, s, g in zip(change, supp, sig, strict=True)
        ],
    )
    col_keys = ["\x00" if pd.isna(loc) else str(loc) for loc in locs]
    codes = frame.pivot(index="_ind", columns="_loc", values="_code").reindex(index=inds, columns=col_keys)
    text = frame.pivot(index="_ind", columns="_loc", values="_text").reindex(index=inds, columns=col_keys)
    codes = codes.fillna(HEAT_KEYS.index("suppressed")).to_numpy(dtype=int).reshape(len(inds), len(locs))
    return codes, text.fillna("").to_numpy(dtype=object).reshape(len(inds), len(locs))


def _short(text: str, limit: int = 44) -> str:
    """Text cut to about ``limit`` characters; a final '(...)' (a category) is kept so rows stay distinct."""
    if len(text) <= limit:
        return text
    tail = text[text.rfind(" (") :] if text.endswith(")") and " (" in text else ""
    head = text[: max(limit - len(tail) - 1, 14)].rstrip() + "…"
    if len(head) + len(tail) > limit + 16:  # a long category label is cut too
        tail = tail[: max(limit + 16 - len(head) - 2, 4)].rstrip() + "…)"
    return head + tail


def figure_bytes(fig: Figure, fmt: str = "svg", *, dpi: int = 150) -> bytes:
    """The figure as SVG or PNG bytes, deterministically (fixed hash salt, no dates, no software tag)."""
    buf = io.BytesIO()
    with _style():
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        elif fmt == "png":
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        else:
            raise ValueError(f"chart format must be 'svg' or 'png', got {fmt!r}")
    return buf.getvalue()


def build_charts(
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> dict[str, Figure]:
    """The charts of a report by file stem: ``<id>_trend``, ``<id>_locations``, ``change_heatmap``.

    Only charts that show something are drawn (see :func:`chart_plan`): no charts for the single
    answer categories of a distribution (their numbers are in the tables), no trend chart when no
    estimate is published, no bar chart when no location (other than the total) is published in
    the latest round. The results are split by indicator once, so each figure works on a small frame.
    """
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    order = rounds_of(results, meta)
    factor = percent_factor(results)
    figures: dict[str, Figure] = {}
    plan = chart_plan(results, meta)
    heads = results[_headline_rows(results)]
    if "location" not in heads.columns:
        heads = heads.assign(location="All")
    by_ind = dict(list(heads.groupby(heads["indicator_id"].astype(str), sort=False)))
    for ind, kinds in plan.items():
        rows = by_ind[ind]
        stem = chart_stem(ind)
        scale = _scale(rows, factor)
        if "trend" in kinds:
            label = indicator_label(rows, meta, ind, lang)
            figures[f"{stem}_trend"] = _draw_trend(rows, order, scale, label, meta, lang)
        if "locations" in kinds:
            figures[f"{stem}_locations"] = _draw_bars(rows, order[-1], scale, meta, lang)
    if comparisons is not None and len(comparisons):
        kinds = set(comparisons["comparison"].astype(str))
        for kind, stem in (("previous", "change_heatmap"), ("baseline", "change_heatmap_baseline")):
            if kind in kinds:
                figures[stem] = change_heatmap(
                    comparisons, comparison=kind, results=results, meta=meta, lang=lang
                )
    return figures


def chart_plan(results: pd.DataFrame, meta: ReportMeta | None = None) -> dict[str, tuple[str, ...]]:
    """Which charts each indicator gets: ``("trend", "locations")``, one of them, or none (left out).

    Rows of one answer category of a distribution (``category`` set) get no chart; ``trend`` needs
    one published estimate (headline rows, any location and round); ``locations`` needs a
    location other than the total published in the latest round.
    """
    meta = meta or ReportMeta()
    results = prepare_results(results, meta.rules)
    heads = results[_headline_rows(results)]
    if "category" in heads.columns:
        heads = heads[heads["category"].isna()]
    if "location" not in heads.columns:
        heads = heads.assign(location="All")
    order = rounds_of(results, meta)
    published = pd.to_numeric(heads["estimate"], errors="coerce").notna()
    ind = heads["indicator_id"].astype(str)
    any_pub = published.groupby(ind, sort=False).any()
    latest = published & (heads["round"].astype(str) == str(order[-1])) & ~_is_total(heads["location"], meta)
    n_locs = heads.loc[latest, "location"].astype("string").groupby(ind[latest]).nunique()
    plan: dict[str, tuple[str, ...]] = {}
    for name in indicator_ids(heads):
        kinds = ("trend",) if bool(any_pub.get(name, False)) else ()
        kinds += ("locations",) if int(n_locs.get(name, 0)) >= 1 else ()
        if kinds:
            plan[name] = kinds
    return plan


def save_charts(
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None,
    out_dir: str | Path,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
    formats: Sequence[str] = ("png", "svg"),
    figures: Mapping[str, Figure] | None = None,
    svgs: Mapping[str, bytes] | None = None,
) -> list[Path]:
    """Write every chart (trend and bars per indicator, the heatmap) as files for slides.

    Files are named ``<indicator_id>_trend.<fmt>``, ``<indicator_id>_locations.<fmt>`` and
    ``change_heatmap.<fmt>``; each write is atomic. ``figures`` / ``svgs`` (from
    :func:`build_charts` / :func:`figure_bytes`) avoid drawing twice. Returns the paths written.
    """
    if figures is None:
        figures = build_charts(results, comparisons, meta=meta, lang=lang)
    out = Path(out_dir)
    written = []
    for stem, fig in figures.items():
        for fmt in formats:
            data = (
                svgs[stem] if (fmt == "svg" and svgs is not None and stem in svgs) else figure_bytes(fig, fmt)
            )
            written.append(atomic_write_bytes(out / f"{stem}.{fmt}", data))
    return written


def chart_stem(name: str) -> str:
    """A file-name-safe stem for an indicator id."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return stem or "indicator"
