"""``compute()``'s results reshaped into the reporting table that the rules, comparisons and reports read.

``compute()`` returns one row per indicator x category x *by* group x disaggregation, with the
estimation keys as their own columns (``round``, ``admin1``, ``admin2``...) and the
disaggregation in long form (``group`` = the column, ``level`` = its value). The disclosure rules,
the round comparisons and the report writers work on one shape (``docs/reports.md``):

- ``round``: the round id (from ``round_column``);
- ``location``: the finest location of the row (first non-missing of ``location_columns``), ``"All"``
  for national rows, with ``location_level`` (``admin2``, ``admin1``, ``national``) and
  ``location_parent`` (the admin1 of an admin2 row) so that secondary suppression and comparisons
  never mix levels;
- one column per disaggregation (``a1_sex``, ``age_group``...) holding the row's ``level`` (missing
  on rows that are not broken down by it);
- ``indicator_id``: distribution/shares categories become their own series, ``<id>[<code>]``, with
  ``base_indicator_id`` keeping the id;
- ``label_<lang>``, ``direction``, ``variant_of`` (and ``definition_<lang>``) from the indicators, when given.

:func:`survey_toolkit.comparison.compare_rounds` and :func:`survey_toolkit.report.render` accept
``compute()`` output directly and reshape it here. Calls in a pipeline, e.g. national, admin1 and
admin2 rows from three ``compute`` calls::

    table = pd.concat([compute(d, spec, design, by=["round"]),
                       compute(d, spec, design, by=["round", "admin1"]),
                       compute(d, spec, design, by=["round", "admin2"])])
    results = apply_rules(reporting_table(table, indicators=spec))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ._compat import deprecated
from .errors import DataError, Location, Problem, did_you_mean
from .labels import INTERVIEWER_CUES, strip_cues

__all__ = ["reporting_table", "as_reporting_table", "is_compute_output", "labels_from_indicators", "group_labels_from_instrument", "themes_from_instrument",
           "MISSING_LEVEL"]

MISSING_LEVEL = "(missing)"
"""Value of a disaggregation column for respondents whose answer to it is missing."""


def reporting_table(
    results: pd.DataFrame,
    *,
    round_column: str = "round",
    location_columns: Sequence[str] = ("admin2", "admin1"),
    indicators: Any = None,
    languages: Sequence[str] | None = None,
    instrument: Any = None,
    cues: Sequence[str] = INTERVIEWER_CUES,
) -> pd.DataFrame:
    """``compute()`` output reshaped into the reporting table (see the module docstring).

    Args:
        results: the table from :func:`survey_toolkit.compute` (several calls concatenated is fine).
        round_column: the column holding the round id (``round``, as the workflow names it). A table
            whose round column is still the old ``survey_round`` is read with a DeprecationWarning.
        location_columns: location columns from the finest to the coarsest.
        indicators: the :class:`~survey_toolkit.IndicatorSpec`, for labels and direction.
        languages: label languages (default: the indicators' ``languages``, else ``("en", "fr")``).
        instrument: the form, so that category series are labelled with choice labels, not codes.
        cues: interviewer cues removed from the labels (:func:`survey_toolkit.labels.strip_cues`; ``()``
            keeps the labels as written).

    Raises:
        DataError: the round column is missing.
    """
    out = results.copy()
    if round_column == "round" and "round" not in out.columns and "survey_round" in out.columns:
        deprecated("the round column 'survey_round'", "'round' (survey_toolkit.pipeline.ROUND_COLUMN)")
        round_column = "survey_round"
    if round_column != "round":
        if round_column not in out.columns:
            raise DataError(
                Problem(
                    "missing-round-column",
                    f"the results have no round column '{round_column}'",
                    Location(field=round_column),
                    expected=round_column,
                    got=", ".join(map(str, out.columns)),
                    hint=did_you_mean(round_column, map(str, out.columns))
                    or "pass round_column= the by column that holds the round",
                )
            )
        out = out.rename(columns={round_column: "round"})
    out = _locations(out, [c for c in location_columns if c in out.columns])
    out = _widen_groups(out)
    out = _categories(out)
    if indicators is not None:
        out = _attach_indicators(out, indicators, languages, instrument, cues)
    return out.reset_index(drop=True)


def is_compute_output(results: pd.DataFrame) -> bool:
    """``results`` has ``compute()``'s shape (long ``group``/``level`` columns), not the reporting table's."""
    return {"group", "level"} <= set(results.columns) and "location" not in results.columns


def as_reporting_table(results: pd.DataFrame, *, indicators: Any = None, instrument: Any = None) -> pd.DataFrame:
    """The reporting table: ``results`` itself, or :func:`reporting_table` of it when it is ``compute()`` output."""
    if is_compute_output(results):
        return reporting_table(results, indicators=indicators, instrument=instrument)
    return results


def _locations(out: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    location = pd.Series(pd.NA, index=out.index, dtype="string")
    level = pd.Series("national", index=out.index, dtype="string")
    for col in cols:  # one pass per location column, finest first
        take = location.isna() & out[col].notna()
        location = location.mask(take, out[col].astype("string"))
        level = level.mask(take, col)
    parent = pd.Series(pd.NA, index=out.index, dtype="string")
    if len(cols) > 1:
        parent = parent.mask(level == cols[0], out[cols[1]].astype("string"))
    out["location"] = location.fillna("All")
    out["location_level"] = level
    out["location_parent"] = parent
    return out


def _widen_groups(out: pd.DataFrame) -> pd.DataFrame:
    if "group" not in out.columns or "level" not in out.columns:
        return out
    groups = [g for g in pd.unique(out["group"].astype("string").dropna()) if g != "all"]
    level = out["level"].astype("string").fillna(MISSING_LEVEL)
    for g in groups:  # one column per disaggregation variable
        out[g] = level.where(out["group"] == g)
    out.attrs["group_columns"] = ["location", *groups]
    return out.drop(columns=["group", "level"])


def _categories(out: pd.DataFrame) -> pd.DataFrame:
    if "category" not in out.columns:
        return out
    cat = out["category"].astype("string")
    ids = out["indicator_id"].astype("string")
    out["base_indicator_id"] = ids
    out["indicator_id"] = ids.where(cat.isna(), ids + "[" + cat.fillna("") + "]")
    return out


def labels_from_indicators(indicators: Any, languages: Sequence[str] | None = None,
                           cues: Sequence[str] = INTERVIEWER_CUES) -> dict[str, dict]:  # fmt: skip
    """``{"labels": {id: {lang: text}}, "definitions": {...}, "direction": {id: direction}}``.

    Feed ``labels``/``definitions`` to :class:`~survey_toolkit.report.ReportMeta`. Labels are without
    interviewer ``cues`` (:func:`survey_toolkit.labels.strip_cues`).
    """
    langs = list(languages or getattr(indicators, "languages", None) or ("en", "fr"))
    labels, definitions, direction = {}, {}, {}
    for ind in indicators.indicators:
        labels[ind.id] = {lang: strip_cues(ind.label.values.get(lang) or ind.label.get(lang), cues) for lang in langs}
        if ind.description:
            definitions[ind.id] = {lang: ind.description.get(lang) for lang in langs}
        direction[ind.id] = ind.direction
    return {"labels": labels, "definitions": definitions, "direction": direction}


CATEGORY_CODES = ("dk_refused", "off_list")
"""Categories compute() adds itself; their labels are interface text (``category:<code>``)."""


def _choice_labels(indicators: Any, instrument: Any, lang: str, cues: Sequence[str] = INTERVIEWER_CUES) -> dict[str, str]:
    """``"<id>[<code>]"`` -> choice label in ``lang``, for indicators that summarise a select question."""
    out: dict[str, str] = {}
    if instrument is None:
        return out
    for ind in indicators.indicators:
        question = getattr(ind, "question", None)
        if not question:
            continue
        try:
            choices = instrument.choices_for(question)
        except Exception:  # noqa: BLE001 - an unknown question simply keeps its codes
            choices = None
        for code, text in (choices.labels(lang) if choices is not None else {}).items():
            out[f"{ind.id}[{code}]"] = strip_cues(text, cues)
    return out


def _attach_indicators(
    out: pd.DataFrame, indicators: Any, languages: Sequence[str] | None, instrument: Any = None,
    cues: Sequence[str] = INTERVIEWER_CUES,
) -> pd.DataFrame:
    from .report._common import t  # the report's interface text (imported here: the report reads this module)

    info = labels_from_indicators(indicators, languages, cues)
    base = out["base_indicator_id"] if "base_indicator_id" in out.columns else out["indicator_id"]
    base = base.astype(str)
    cat = out["category"].astype("string") if "category" in out.columns else pd.Series(pd.NA, index=out.index)
    langs = sorted({lang for d in info["labels"].values() for lang in d})
    for lang in langs:
        names = _choice_labels(indicators, instrument, lang, cues)
        names_cat = out["indicator_id"].astype(str).map(names).astype("string")
        fixed = cat.map({k: t(lang, f"category:{k}") for k in CATEGORY_CODES}).astype("string")
        suffix = (" (" + names_cat.fillna(fixed).fillna(cat) + ")").fillna("")
        label = base.map({k: v.get(lang) for k, v in info["labels"].items()})
        out[f"label_{lang}"] = (label.astype("string") + suffix).astype(object)
        definition = base.map({k: v.get(lang) for k, v in info["definitions"].items()})
        out[f"definition_{lang}"] = definition.astype(object)
    out["direction"] = base.map(info["direction"])
    variants = {ind.id: ind.variant_of for ind in indicators.indicators if getattr(ind, "variant_of", None)}
    out["variant_of"] = base.map(variants).astype(object)
    return out


def themes_from_instrument(
    indicators: Any, instrument: Any, languages: Sequence[str]
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The report's themes: the form's modules (top-level groups), for ``ReportMeta.themes`` and
    ``ReportMeta.indicator_themes``.

    An indicator belongs to the module of the first question (in form order) it reads beyond its
    universe (an index: its first item; an average of indicators: its first component). Returns
    ``({group name: {lang: label}}, {indicator id: group name})``, themes in form order; indicators
    whose questions sit outside any labelled group have no theme.
    """
    if instrument is None:
        return {}, {}
    position = {name: k for k, name in enumerate(instrument.names)}
    by_id = {ind.id: ind for ind in indicators.indicators}
    found: dict[str, str | None] = {}

    def module_of(question: str):
        try:
            groups = instrument.enclosing_groups(question)
        except Exception:  # noqa: BLE001 - not a question of the form (an aggregate, a derived variable)
            return None
        return groups[0] if groups and any(groups[0].labels.values()) else None

    def theme(ident: str) -> str | None:
        if ident in found:
            return found[ident]
        found[ident] = None  # a cycle reads no theme
        ind = by_id[ident]
        if getattr(ind, "components", ()):
            found[ident] = next((k for k in map(theme, (c for c in ind.components if c in by_id)) if k), None)
            return found[ident]
        universe = ind.universe.questions() if getattr(ind, "universe", None) is not None else set()
        asked = ind.questions()
        for q in sorted(asked - universe or asked, key=lambda q: position.get(q, len(position))):
            group = module_of(q)
            if group is not None:
                found[ident] = group.name
                break
        return found[ident]

    owners = {ident: key for ident in by_id if (key := theme(ident))}
    groups = {g.name: g for g in instrument.groups}  # in form order
    used = set(owners.values())
    themes = {k: {lang: g.label(lang) for lang in languages} for k, g in groups.items() if k in used}
    return themes, {ident: key for ident, key in owners.items() if key in themes}


def group_labels_from_instrument(
    instrument: Any, columns: Sequence[str], lang: str, cues: Sequence[str] = INTERVIEWER_CUES
) -> dict[str, dict[str, str]]:
    """Display labels of the codes of disaggregation columns that are select questions of the form.

    Returns ``{column: {code: label}}`` in ``lang`` for ``ReportMeta.group_labels`` (column display
    names come from ``survey_toolkit.report._common.GROUP_NAMES`` or ``ReportMeta.group_names``);
    columns that are not select questions (calculates such as ``age_group``) are left out. Labels are
    without interviewer ``cues``.
    """
    labels: dict[str, dict[str, str]] = {}
    for col in columns:
        try:
            choices = instrument.choices_for(col)
        except Exception:  # noqa: BLE001 - not a question of the form: keep the column name
            continue
        if choices is not None:
            labels[col] = {**{k: strip_cues(v, cues) for k, v in choices.labels(lang).items()},
                           MISSING_LEVEL: MISSING_LEVEL}
    return labels
