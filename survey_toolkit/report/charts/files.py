"""Which charts a report draws, the charts drawn by file stem, and their SVG/PNG bytes and files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._common import (
    ReportMeta,
    atomic_write_bytes,
    indicator_ids,
    percent_factor,
    prepare_results,
    rounds_of,
)
from ..canvas import Canvas
from .bars import _draw_bars
from .heatmap import change_heatmap
from .rows import _headline_rows, _labels, _scale
from .style import _is_total, location_colours
from .trend import _draw_trend


def figure_bytes(fig: Canvas | Any, fmt: str = "svg", *, dpi: int = 150) -> bytes:
    """The chart as SVG or PNG bytes (deterministic: same chart, same bytes).

    ``fig`` is a :class:`Canvas` (the report's charts) or a matplotlib ``Figure`` (the planning and
    small-area charts), saved with a fixed hash salt, text as text and no dates."""
    if fmt not in ("svg", "png"):
        raise ValueError(f"chart format must be 'svg' or 'png', got {fmt!r}")
    if not isinstance(fig, Canvas):
        return _matplotlib_bytes(fig, fmt, dpi)
    return fig.svg() if fmt == "svg" else fig.png(scale=dpi / 75)


def _matplotlib_bytes(fig: Any, fmt: str, dpi: int) -> bytes:
    import io

    from matplotlib import rc_context

    buf = io.BytesIO()
    with rc_context({"svg.hashsalt": "survey_toolkit", "svg.fonttype": "none", "path.simplify": False}):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        else:
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def build_charts(
    results: pd.DataFrame,
    comparisons: pd.DataFrame | None,
    *,
    meta: ReportMeta | None = None,
    lang: str = "en",
) -> dict[str, Canvas]:
    """The charts of a report by file stem: ``<id>_trend``, ``<id>_locations``, ``change_heatmap``.

    Only charts that show something are drawn (see :func:`chart_plan`): no charts for the single
    answer categories of a distribution (their numbers are in the tables), no trend chart when no
    estimate is published, no bar chart when no location (other than the total) is published in
    the latest round. Every chart uses the same colour per location (:func:`location_colours`).
    """
    meta = (meta or ReportMeta()).for_language(lang)
    results = prepare_results(results, meta.rules)
    order = rounds_of(results, meta)
    factor = percent_factor(results)
    figures: dict[str, Canvas] = {}
    plan = chart_plan(results, meta)
    heads = results[_headline_rows(results)]
    if "location" not in heads.columns:
        heads = heads.assign(location="All")
    colours = location_colours(meta, heads["location"])
    wanted = heads[heads["indicator_id"].astype(str).isin(plan)]
    by_ind = dict(list(wanted.groupby(wanted["indicator_id"].astype(str), sort=False)))
    labels = dict(zip(plan, _labels(wanted, meta, list(plan), lang), strict=True))
    for ind, kinds in plan.items():
        rows = by_ind[ind]
        stem = chart_stem(ind)
        scale = _scale(rows, factor)
        if "trend" in kinds:
            figures[f"{stem}_trend"] = _draw_trend(rows, order, scale, labels[ind], meta, lang, colours)
        if "locations" in kinds:
            figures[f"{stem}_locations"] = _draw_bars(rows, order[-1], scale, meta, lang, colours)
    if comparisons is not None and len(comparisons):
        kinds = set(comparisons["comparison"].astype(str))
        for kind, stem in (("previous", "change_heatmap"), ("baseline", "change_heatmap_baseline")):
            if kind in kinds:
                figures[stem] = change_heatmap(comparisons, comparison=kind, results=results, meta=meta, lang=lang)
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
    formats: Sequence[str] = ("svg",),
    figures: Mapping[str, Canvas] | None = None,
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
            data = svgs[stem] if (fmt == "svg" and svgs is not None and stem in svgs) else figure_bytes(fig, fmt)
            written.append(atomic_write_bytes(out / f"{stem}.{fmt}", data))
    return written


def chart_stem(name: str) -> str:
    """A file-name-safe stem for an indicator id."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
    return stem or "indicator"
