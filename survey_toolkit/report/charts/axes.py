"""Axes, ticks, lines and titles drawn on a chart's canvas."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ...i18n import LRM, RLM
from .._common import (
    ReportMeta,
    fmt_number,
)
from ..canvas import Canvas, text_width, wrap
from .style import _AXIS, _GRID, WIDTH


def _nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 0.5 and len(ticks) < 12:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _y_range(series: Mapping[str, np.ndarray], percent: bool) -> list[float]:
    values = np.concatenate([a.ravel() for a in series.values()]) if series else np.array([])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
    if percent:
        lo, hi = max(lo, 0.0), min(hi, 100.0)
    ticks = _nice_ticks(lo, hi)
    if percent:
        ticks = [v for v in ticks if 0 <= v <= 100] or [0.0, 100.0]
    return ticks


def _segments(xs: list[float], ys: np.ndarray) -> list[list[tuple[float, float]]]:
    """Runs of consecutive published points (a suppressed round breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(y):
            runs[-1].append((x, float(y)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _round_step(w: float, n: int) -> tuple[float, float]:
    """(padding at each end, space between two rounds) of a panel ``w`` pixels wide with ``n`` rounds."""
    pad = min(w / (2 * max(n, 1)), 28.0)
    return pad, ((w - 2 * pad) / (n - 1) if n > 1 else w)


def _full_round_ticks(meta: ReportMeta, order: list[str], step: float) -> list[list[str]] | None:
    """The round labels on at most two lines each, or None when one is cut short or wider than the
    space between two rounds (neighbouring labels would overlap or read 'Round 1 (N…')."""
    room = step - 4
    out = []
    for rnd in order:
        label = " ".join(str(meta.round_labels.get(rnd, rnd)).split())
        lines = wrap(label, max(room, 30), 9, max_lines=2)
        if " ".join(lines) != label or any(text_width(line, 9) > room for line in lines):
            return None
        out.append(lines)
    return out


def rounds_numbered(meta: ReportMeta, order: list[str], w: float) -> bool:
    """True when a panel ``w`` pixels wide labels its rounds 1, 2, 3... (see :func:`_round_ticks`); the
    chart then writes the key of the numbers (:func:`round_key`)."""
    return _full_round_ticks(meta, order, _round_step(w, len(order))[1]) is None


def _round_ticks(meta: ReportMeta, order: list[str], step: float) -> list[list[str]]:
    """Round labels for the x axis, on two lines when they do not fit the space between rounds, and
    the rounds' numbers (1, 2, 3...) when even two lines do not fit."""
    full = _full_round_ticks(meta, order, step)
    return full if full is not None else [[str(i)] for i in range(1, len(order) + 1)]


def round_key(c: Canvas, meta: ReportMeta, order: list[str], y: float) -> float:
    """Write the key of numbered rounds ("1: Round 1 (Nov 2025) · 2: ...") from ``y``; returns the
    y below it. In a right-to-left chart the lines are aligned right and read right to left, 1 first
    (:func:`_key_entry`)."""
    entries = [_key_entry(i, str(meta.round_labels.get(r, r)), c.rtl) for i, r in enumerate(order, start=1)]
    lines: list[str] = []
    for entry in entries:  # entries are kept whole on a line; a line holds as many as fit
        if lines and text_width(lines[-1] + " · " + entry, 9) <= WIDTH - 16:
            lines[-1] += " · " + entry
        else:
            lines.append(entry)
    x, anchor = (WIDTH - 8, "end") if c.rtl else (8, "start")
    for k, line in enumerate(lines):
        c.text(x, y + 11 * k, line, size=9, fill=_AXIS, anchor=anchor)
    return y + 11 * len(lines)


def _key_entry(number: int, label: str, rtl: bool) -> str:
    """One entry of the round key, ``"2: Round 2 (May 2026)"``. Right to left, it starts with a right-to-left
    mark and ends with a left-to-right one: the number and its colon come first (right), the entries follow
    each other leftwards, and a label in Latin script (a project's own round names) keeps its closing bracket
    (without the marks it would move to the far end of the line, turned round, and the next entry's number
    would join the label)."""
    return f"{RLM}{number}: {label}{LRM}" if rtl else f"{number}: {label}"


def _panel(c: Canvas, x0: float, y0: float, w: float, h: float, ticks: list[float], order: list[str],
           meta: ReportMeta, lang: str, y_labels: bool, x_labels: bool) -> tuple:  # fmt: skip
    """Axes of one panel; returns the functions mapping a round index and a value to pixels."""
    lo, hi = ticks[0], ticks[-1]
    n = len(order)
    pad, step = _round_step(w, n)

    def px(i: int) -> float:
        return x0 + pad + (i * step if n > 1 else (w - 2 * pad) / 2)

    def py(v: float) -> float:
        return y0 + h - (v - lo) / (hi - lo) * h

    for v in ticks:
        c.line(x0, py(v), x0 + w, py(v), stroke=_GRID, width=1)
        if y_labels:
            c.text(x0 - 5, py(v) + 3.5, fmt_number(v, 0 if float(v).is_integer() else 1, lang), size=9,
                   anchor="end", fill=_AXIS)  # fmt: skip
    c.line(x0, y0 + h, x0 + w, y0 + h, stroke=_AXIS, width=1)
    if x_labels:
        for i, lines in enumerate(_round_ticks(meta, order, step)):
            for k, line in enumerate(lines):
                c.text(px(i), y0 + h + 13 + 11 * k, line, size=9, anchor="middle", fill=_AXIS)
    return px, py


def _draw_line(c: Canvas, px, py, data: np.ndarray, colour: str, *, band: bool, width: float,
               dash: bool = False, markers: bool = True) -> None:  # fmt: skip
    xs = [px(i) for i in range(len(data))]
    if band:
        ok = np.isfinite(data[:, 1]) & np.isfinite(data[:, 2])
        for run in _segments(xs, np.where(ok, data[:, 0], np.nan)):
            idx = [xs.index(x) for x, _ in run]
            if len(idx) == 1:
                i = idx[0]
                c.line(xs[i], py(data[i, 1]), xs[i], py(data[i, 2]), stroke=colour, width=3, dash=False)
                continue
            top = [(xs[i], py(data[i, 2])) for i in idx]
            bottom = [(xs[i], py(data[i, 1])) for i in reversed(idx)]
            c.polygon(top + bottom, fill=colour, opacity=0.16)
    for run in _segments(xs, data[:, 0]):
        c.polyline([(x, py(y)) for x, y in run], stroke=colour, width=width, dash=dash)
        if markers:
            for x, y in run:
                c.circle(x, py(y), 3.0, fill=colour)


def _title(c: Canvas, text: str, y: float = 16.0) -> float:
    lines = wrap(text, WIDTH - 20, 12, max_lines=3)
    for k, line in enumerate(lines):
        c.text(8, y + 15 * k, line, size=12, bold=True)
    return y + 15 * (len(lines) - 1) + 12
