"""Report outputs built from a tidy results table: HTML, Excel, tidy CSV/Parquet and chart files.

Every writer applies the reporting rules (:mod:`survey_toolkit.disclosure`) first when the table
has not been through them, so no output can show a suppressed value; every write is atomic.
See ``docs/reports.md``.

Example:
    >>> from survey_toolkit.report import render, ReportMeta   # doctest: +SKIP
    >>> files = render(results, "out/", indicators=spec, meta=ReportMeta(title={"en": "Round 3"}))  # doctest: +SKIP
    >>> files["html"]                                                  # doctest: +SKIP
    [PosixPath('out/report.en.html'), PosixPath('out/report.fr.html')]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._compat import deprecated
from ..comparison import compare_rounds
from ..errors import Location, Problem, SpecError
from ..i18n import available_languages, has_interface
from ..outputs import LANGUAGE_TAG, is_language_tag, safe_output_path
from ..parallel import forked_map, workers
from ..results import as_reporting_table
from ._common import I18N, LANGUAGES, ReportMeta, prepare_results, published_groups
from .charts import build_charts, figure_bytes, save_charts
from .excel import write_excel
from .html import render_html, write_html
from .tidy import write_csv, write_parquet, write_tidy

__all__ = [
    "I18N",
    "LANGUAGES",
    "ReportMeta",
    "render",
    "render_report",
    "render_html",
    "write_html",
    "write_excel",
    "write_tidy",
    "write_csv",
    "write_parquet",
    "save_charts",
    "build_charts",
    "workers",
]


def render(
    results: pd.DataFrame,
    out_dir: str | os.PathLike[str],
    *,
    comparisons: pd.DataFrame | None = None,
    indicators: Any = None,
    instrument: Any = None,
    meta: ReportMeta | None = None,
    languages: Sequence[str] = ("en", "fr"),
    chart_formats: Sequence[str] = ("svg",),
    parquet: bool | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    csv_bom: bool = False,
) -> dict[str, list[Path]]:
    """Write every output into ``out_dir`` and return the paths by kind.

    ``results`` is ``compute()`` output (by ``round`` and locations; ``indicators`` and ``instrument``
    then give the labels and directions, see :func:`survey_toolkit.results.reporting_table`) or the
    reporting table.

    Files: ``report.<lang>.html`` and ``results.<lang>.xlsx`` per language, ``results.csv`` and
    ``comparisons.csv`` (plus ``.parquet`` when pyarrow is installed), and ``charts/<lang>/`` with
    a trend and a location chart per indicator and the change heatmap. Comparisons are computed
    with :func:`survey_toolkit.comparison.compare_rounds` when not given. ``progress(step, done, total)``
    is called as the outputs are written (``csv_bom=True``: CSV files with a byte order mark, for Excel on
    Windows): ``step`` is ``"report"`` then the kind just written
    (``"report:charts en"``, ``"report:html en"``, ``"report:excel en"``, ``"report:tidy"``), in the
    order the parts are finished: on Linux they are written at once in forked processes
    (:func:`survey_toolkit.parallel.forked_map`; ``SURVEY_TOOLKIT_WORKERS=1``: one after the other).
    """
    meta = meta or ReportMeta()
    out = Path(out_dir)
    _check_languages(languages)
    table = prepare_results(as_reporting_table(results, indicators=indicators, instrument=instrument), meta.rules)
    if comparisons is None:
        comparisons = compare_rounds(table, rounds=meta.rounds, alpha=meta.alpha, fdr=meta.fdr)
    table = published_groups(table)
    comparisons = published_groups(comparisons)
    files: dict[str, list[Path]] = {"html": [], "excel": [], "tidy": [], "charts": []}
    total, done = 3 * len(languages) + 1, 0

    def step(kind: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(f"report:{kind}", done, total)

    jobs = [(kind, table, comparisons, meta, lang, out, tuple(chart_formats), parquet, csv_bom)
            for lang in languages for kind in ("excel", "page")]  # longest first: the jobs pack better
    jobs.append(("tidy", table, comparisons, meta, languages[0] if languages else "en", out, (), parquet, csv_bom))

    def finished(i: int) -> None:
        kind, lang = jobs[i][0], jobs[i][4]
        for name in {"page": ("charts", "html"), "excel": ("excel",), "tidy": ("tidy",)}[kind]:
            step(name if kind == "tidy" else f"{name} {lang}")

    for written in forked_map(_write_part, jobs, done=finished):
        for kind, paths in written.items():
            files[kind] += paths
    return files


def _write_part(job: tuple) -> dict[str, list[Path]]:
    """One part of the outputs (a job of :func:`render`, done at once with the others in forked
    processes by :func:`survey_toolkit.parallel.forked_map`; each part's files depend on its job
    only, so the bytes are those of one part after the other): a language's workbook, a language's
    page (its charts and the HTML report), or the tidy tables."""
    kind, table, comparisons, meta, lang, out, chart_formats, parquet, csv_bom = job
    if kind == "tidy":
        return {"tidy": write_tidy(out, table, comparisons, meta=meta, parquet=parquet, lang=lang, bom=csv_bom)}
    if kind == "excel":
        return {"excel": [write_excel(safe_output_path(out / f"results.{lang}.xlsx", inside=out), table, comparisons,
                                      meta=meta, lang=lang)]}  # fmt: skip
    figures = build_charts(table, comparisons, meta=meta, lang=lang)
    svgs = {stem: figure_bytes(fig, "svg") for stem, fig in figures.items()}
    charts = save_charts(table, comparisons, safe_output_path(out / "charts" / lang, inside=out / "charts", folder=True),
                         formats=chart_formats, figures=figures, svgs=svgs)  # fmt: skip
    html = write_html(safe_output_path(out / f"report.{lang}.html", inside=out), table, comparisons, meta=meta,
                      lang=lang, svgs=svgs)  # fmt: skip
    return {"charts": charts, "html": [html]}


def render_report(results: pd.DataFrame, out_dir: str | os.PathLike[str], **options: Any) -> dict[str, list[Path]]:
    """The old name of :func:`render` (kept for one release)."""
    deprecated("survey_toolkit.report.render_report", "survey_toolkit.report.render")
    return render(results, out_dir, **options)


def _check_languages(languages: Sequence[str]) -> None:
    """Report languages name files (``report.<lang>.html``): each must be a language tag such as ``fr``,
    and one the interface is translated into (:func:`survey_toolkit.i18n.available_languages`)."""
    problems = [Problem("bad-language", f"report language {lang!r} is not a language tag",
                        Location(path=("report", "languages")), expected=f"a tag like en, fr or pt-BR ({LANGUAGE_TAG.pattern})",
                        hint="set report.languages in survey.yaml (or 'languages' in the indicators file) to "
                             "language codes such as [en, fr]")
                for lang in languages if not is_language_tag(lang)]  # fmt: skip
    problems += [Problem("unknown-language", f"no interface text in report language {lang!r}",
                         Location(path=("report", "languages")), expected=f"one of {', '.join(available_languages())}",
                         got=str(lang), hint="set report.languages in survey.yaml to those languages, or add a "
                                             "catalog for it (docs/languages.md)")
                 for lang in languages if is_language_tag(lang) and not has_interface(lang)]  # fmt: skip
    if problems:
        raise SpecError(problems)
