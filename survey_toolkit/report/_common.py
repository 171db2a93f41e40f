"""Shared pieces of the report writers: interface text per language, labels, number formats, atomic writes."""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..comparison import round_order
from ..disclosure import (
    DEFAULT_RULES,
    ReportingRules,
    apply_rules,
    group_columns_of,
    protected_cell,
)
from ..i18n import available_languages, fmt_decimal, gettext_in, percent_affixes
from .texts import MESSAGES, REASONS

__all__ = [
    "I18N",
    "LANGUAGES",
    "ReportMeta",
    "t",
    "prepare_results",
    "percent_factor",
    "indicator_ids",
    "indicator_label",
    "location_name",
    "fmt_number",
    "fmt_estimate",
    "atomic_path",
    "atomic_write_bytes",
    "FORMULA_PREFIXES",
    "is_formula_like",
]

LANGUAGES: tuple[str, ...] = available_languages()
"""The interface languages: English and every language with a catalog in ``survey_toolkit/locale``."""

I18N = MESSAGES
"""Every interface string by key, in English (:mod:`survey_toolkit.report.texts`); translations are in the
catalogs, read through :func:`t`."""


def group_name(meta: ReportMeta, column: str, lang: str) -> str:
    """Display name of a disaggregation column."""
    return str(meta.group_names.get(column) or t(lang, f"group:{column}", default=column))


def group_value(meta: ReportMeta, column: str, value: Any, lang: str) -> str:
    """Display text of a disaggregation value (its code when no label is known)."""
    given = meta.group_labels.get(f"{column}:{lang}") or meta.group_labels.get(column, {})
    if str(value) in given:
        return str(given[str(value)])
    return t(lang, f"group:{column}={value}", default=str(value))


@dataclass(frozen=True, eq=False)
class ReportMeta:
    """Everything the writers show besides the numbers: titles, names, labels, methodology.

    Labels per language: ``indicator_labels[id][lang]``; when absent, results columns
    ``label_<lang>`` (or ``label``) are used, then the indicator id. ``generated_at`` is the only
    non-deterministic content of a report (None: no timestamp line).
    """

    title: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    location_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    indicator_labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    indicator_definitions: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    round_labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    group_names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Display name of each disaggregation column (``a1_sex`` -> ``Sex``)."""
    group_labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    """Display name of each value of a disaggregation column (``{"a1_sex": {"1": "Male"}}``); a key
    ``"<column>:<lang>"`` (``"a1_sex:fr"``) gives the names in one language and wins over ``"<column>"``."""
    location_order: tuple[str, ...] = ()
    """The project's location codes in order; each location's chart colour comes from its place here
    (empty: the order of ``location_names``), so it is the same in every chart of a report."""
    design: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Plain-text description of the sampling design, per language."""
    themes: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    """The report's themes in order, each with its title per language (``{"d_police": {"en": "D. Police
    and security providers"}}``); the form's modules by default (:func:`survey_toolkit.results.themes_from_instrument`)."""
    indicator_themes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Indicator id -> its theme (a key of ``themes``); the report groups the indicators' sections by theme."""
    label_fallback: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Report languages some labels are missing in (the indicators file or the form has none), with the
    language shown instead (``{"ar": "en"}``): the report says so under its title."""
    sample_sizes: pd.DataFrame | None = None
    weight_diagnostics: pd.DataFrame | None = None
    exclusions: pd.DataFrame | None = None
    off_list: pd.DataFrame | None = None
    """Answers outside the form's choice lists, one row per round and question: ``round``, ``question``,
    ``answers``, ``off_list``, ``share`` (0-1), ``rule`` (``missing``/``other``) and the question's
    label per language (``label:<lang>``); counts only, never the answers (those are in ``off_list.csv``)."""
    rules: ReportingRules = DEFAULT_RULES
    rounds: tuple[str, ...] | None = None
    alpha: float = 0.05
    fdr: float = 0.05
    generated_at: datetime | None = None
    plan: pd.DataFrame | None = None
    """The plan of the next round (:func:`survey_toolkit.planning.published_plan`): a section of the
    report and a sheet of the workbook when given."""

    def for_language(self, lang: str) -> ReportMeta:
        """This meta with the names of ``lang``: keys ``"<code>:<lang>"`` of ``location_names`` and
        ``round_labels`` (``"R1:fr"``) replace the plain ones (``"R1"``) for that language."""
        suffix = f":{lang}"

        def pick(names: Mapping[str, str]) -> Mapping[str, str]:
            local = {k[: -len(suffix)]: v for k, v in names.items() if k.endswith(suffix)}
            return MappingProxyType({**names, **local}) if local else names

        return dataclasses.replace(
            self, location_names=pick(self.location_names), round_labels=pick(self.round_labels)
        )


def t(lang: str, key: str, *, default: str | None = None, **kw: Any) -> str:
    """The interface string ``key`` (:mod:`~survey_toolkit.report.texts`) in ``lang``, formatted with ``kw``.

    The English text when ``lang`` has no catalog or no translation of ``key``; ``default`` (else the key
    itself) when ``key`` is not an interface string at all (a code with no words, such as a new reason).
    """
    english = MESSAGES.get(key)
    text = (key if default is None else default) if english is None else gettext_in(lang, key, english)
    return text.format(**kw) if kw else text


def reason_text(lang: str, codes: str) -> str:
    """Plain-language text of ``;``-separated reason or flag codes."""
    return "; ".join(t(lang, f"reason:{c}", default=c) for c in str(codes).split(";") if c)


def category_words(title: str, base_label: str) -> str:
    """A category's own words: its label without the question's label ('Very safe')."""
    head = title[len(base_label):].strip() if base_label and title.startswith(base_label) else title
    return head[1:-1] if head.startswith("(") and head.endswith(")") else (head or title)


def cell_text(
    meta: ReportMeta, protects: Any, lang: str, labels: Mapping[str, tuple[str, str]] | None = None
) -> str:
    """Display name of a cell given as ``column=code`` pairs (the ``protects`` column of
    :func:`~survey_toolkit.disclosure.apply_rules`): 'North × Sex: Female'; a category of a distribution
    in its own words ('Very safe') when ``labels`` (:func:`indicator_texts`) has it."""
    labels = labels or {}
    parts = []
    for column, code in protected_cell(protects):
        if column == "location":
            parts.append(location_name(meta, code, lang))
        elif column == "indicator":
            base, _, category = code.partition("[")
            title = labels.get(code, ("",))[0]
            base_label = labels.get(base, ("",))[0] or str(meta.indicator_labels.get(base, {}).get(lang) or "")
            parts.append(category_words(title, base_label) if title
                         else t(lang, f"category:{category[:-1]}", default=category[:-1] or code))  # fmt: skip
        else:
            parts.append(f"{group_name(meta, column, lang)}: {group_value(meta, column, code, lang)}")
    return " × ".join(parts)


def suppression_text(
    lang: str, codes: Any, protects: Any, meta: ReportMeta, labels: Mapping[str, tuple[str, str]] | None = None
) -> str:
    """Why an estimate is withheld; a ``secondary`` row names the withheld cell it protects."""
    cell = "" if is_missing(protects) else cell_text(meta, protects, lang, labels)
    return "; ".join(
        t(lang, "secondary_for", cell=cell) if c == "secondary" and cell else t(lang, f"reason:{c}", default=c)
        for c in str("" if is_missing(codes) else codes).split(";") if c
    )


REASON_CODES: tuple[str, ...] = tuple(k.split(":", 1)[1] for k in REASONS)
"""Suppression reasons, then caution flags, in the order footnotes list them."""


def prepare_results(results: pd.DataFrame, rules: ReportingRules = DEFAULT_RULES) -> pd.DataFrame:
    """The results with the reporting rules applied (unless they already were)."""
    return results if "suppressed" in results.columns else apply_rules(results, rules)


def percent_factor(results: pd.DataFrame) -> float:
    """100 when percentage rows hold proportions (0-1), else 1: multiply to display percentages."""
    if "unit" not in results.columns:
        return 1.0
    pct = results["unit"].astype("string").str.lower().isin(("percent", "proportion")).fillna(False)
    cols = [c for c in ("estimate", "ci_low", "ci_high") if c in results.columns]
    vals = pd.concat([pd.to_numeric(results.loc[pct.astype(bool), c], errors="coerce") for c in cols])
    vals = vals.dropna()
    return 100.0 if len(vals) and vals.abs().le(1.0).all() else 1.0


def indicator_ids(results: pd.DataFrame) -> list[str]:
    """Indicator ids in order of first appearance."""
    return [str(i) for i in pd.unique(results["indicator_id"].astype(str))]


def rounds_of(results: pd.DataFrame, meta: ReportMeta) -> list[str]:
    """Rounds from first to latest (see :func:`survey_toolkit.comparison.round_order`)."""
    return round_order(results, meta.rounds)


def indicator_label(results: pd.DataFrame, meta: ReportMeta, indicator: str, lang: str) -> str:
    """The indicator's label in ``lang`` from the meta, the results' label columns, or its id."""
    given = meta.indicator_labels.get(indicator, {})
    if given.get(lang):
        return str(given[lang])
    rows = results[results["indicator_id"].astype(str) == indicator]
    for col in (f"label_{lang}", "label", "label_en"):
        if col in rows.columns:
            vals = rows[col].dropna()
            if len(vals) and str(vals.iloc[0]):
                return str(vals.iloc[0])
    return next((str(v) for v in given.values() if v), indicator)


def _first_texts(results: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    """Indicator id -> the first non-empty text of ``columns`` (in that order of preference), as
    :func:`indicator_label` reads it: per column, the first non-missing value of the indicator's rows."""
    out: dict[str, str] = {}
    ids = results["indicator_id"].astype(str)
    for col in (c for c in columns if c in results.columns):
        present = results[col].notna().to_numpy()
        firsts = pd.Series(results[col].to_numpy()[present], index=ids.to_numpy()[present])
        firsts = firsts[~firsts.index.duplicated()]
        for ind, value in firsts.items():
            if ind not in out and str(value):
                out[ind] = str(value)
    return out


def indicator_texts(results: pd.DataFrame, meta: ReportMeta, lang: str) -> dict[str, tuple[str, str]]:
    """Label and definition of every indicator in ``lang`` (as :func:`indicator_label` and
    :func:`indicator_definition` give them), read from the table in one pass."""
    labels = _first_texts(results, (f"label_{lang}", "label", "label_en"))
    definitions = _first_texts(results, (f"definition_{lang}",))
    out = {}
    for ind in indicator_ids(results):
        label, definition = meta.indicator_labels.get(ind, {}), meta.indicator_definitions.get(ind, {})
        out[ind] = (
            str(label[lang]) if label.get(lang) else labels.get(ind) or next((str(v) for v in label.values() if v), ind),
            str(definition[lang]) if definition.get(lang) else definitions.get(ind)
            or str(next((v for v in definition.values() if v), "")),
        )
    return out


def indicator_definition(
    meta: ReportMeta, indicator: str, lang: str, results: pd.DataFrame | None = None
) -> str:
    """The indicator's definition in ``lang`` from the meta or a ``definition_<lang>`` column ('' if none)."""
    given = meta.indicator_definitions.get(indicator, {})
    if given.get(lang):
        return str(given[lang])
    if results is not None and f"definition_{lang}" in results.columns:
        vals = results.loc[results["indicator_id"].astype(str) == indicator, f"definition_{lang}"].dropna()
        if len(vals) and str(vals.iloc[0]):
            return str(vals.iloc[0])
    return str(next((v for v in given.values() if v), ""))


def location_name(meta: ReportMeta, location: Any, lang: str) -> str:
    """Display name of a location code; the overall row reads 'All locations'."""
    if location is None or (isinstance(location, float) and math.isnan(location)) or location is pd.NA:
        return t(lang, "all")
    if str(location) == meta.rules.total_label:
        return t(lang, "all")
    return str(meta.location_names.get(str(location), location))


def round_name(meta: ReportMeta, rnd: Any) -> str:
    """Display name of a round id."""
    return str(meta.round_labels.get(str(rnd), rnd))


def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas NA."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_number(value: Any, digits: int = 1, lang: str = "en", signed: bool = False) -> str:
    """A number with ``digits`` decimals in ``lang``'s conventions (:func:`survey_toolkit.i18n.fmt_decimal`:
    decimal comma in French or Spanish, ``−`` for minus); '' when missing."""
    return "" if is_missing(value) else fmt_decimal(value, digits, lang, signed=signed)


def digits_for(unit: Any) -> int:
    """Decimals shown for a unit: 1 for percentages and indices, 2 for means and ratios."""
    return 1 if str(unit) in ("percent", "proportion", "index", "index_score") else 2


def unit_suffix(unit: Any, lang: str = "en") -> str:
    """The percent sign as ``lang`` writes it after a number (``%`` in English, `` %`` in French), '' for
    other units."""
    return percent_affixes(lang)[1] if str(unit) in ("percent", "proportion") else ""


def unit_name(unit: Any, lang: str = "en") -> str:
    """Axis label of a unit in ``lang`` ('%' for percentages)."""
    return t(lang, f"unit:{unit}", default=str(unit))


def fmt_estimate(row: Mapping[str, Any], factor: float, lang: str = "en") -> str:
    """An estimate for tables: '—' when suppressed, '(x)' when flagged, else 'x'."""
    if bool(row.get("suppressed", False)):
        return "—"
    value = row.get("estimate")
    if is_missing(value):
        return "—"
    unit = row.get("unit", "")
    scale = factor if str(unit) in ("percent", "proportion") else 1.0
    text = fmt_number(float(value) * scale, digits_for(unit), lang)
    return f"({text})" if bool(row.get("caution", False)) else text


def fmt_ci(row: Mapping[str, Any], factor: float, lang: str = "en") -> str:
    """'low–high' of a published estimate, '' otherwise."""
    if bool(row.get("suppressed", False)) or is_missing(row.get("ci_low")) or is_missing(row.get("ci_high")):
        return ""
    unit = row.get("unit", "")
    scale = factor if str(unit) in ("percent", "proportion") else 1.0
    d = digits_for(unit)
    return f"{fmt_number(row['ci_low'] * scale, d, lang)}–{fmt_number(row['ci_high'] * scale, d, lang)}"


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet would read as a formula (starts with = + - @, tab or CR)."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, then ``os.replace``)."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_with(path: str | os.PathLike[str], writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def annex_table(frame: pd.DataFrame, meta: ReportMeta, lang: str) -> pd.DataFrame:
    """A methodology table with its column names and codes in ``lang`` (no internal names shown):
    round ids become round labels, booleans yes/no, weighting steps and quality checks words; the
    weight column names (internal) are dropped."""
    out = frame.drop(columns=[c for c in ("weight",) if c in frame.columns])
    for col in out.columns:
        if col == "round":
            out[col] = out[col].map(lambda r: round_name(meta, r))
        elif out[col].dtype == bool or out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if is_missing(v) else t(lang, f"annex_value:{v}", default=v))
    return out.rename(columns={c: t(lang, f"annex:{c}", default=str(c).replace("_", " ")) for c in out.columns})


def change_reason_text(lang: str, codes: Any, meta: ReportMeta) -> str:
    """Why a change is not published: ``input-suppressed:R2`` -> 'the R2 estimate is not published'."""
    parts = []
    for code in str(codes or "").split(";"):
        if code.startswith("input-suppressed:"):
            parts.append(t(lang, "change_input_suppressed", round=round_name(meta, code.split(":", 1)[1])))
        elif code:
            parts.append(reason_text(lang, code))
    return "; ".join(parts)


NOT_A_GROUP: frozenset[str] = frozenset({"98", "99", "-98", "-99", "(missing)"})
"""Codes of a disaggregation variable that are not published as groups: don't know (98), refused (99)
and no answer. Those respondents stay in every total and location figure; only their own rows
("sex: refused") are left out of the report, the workbook and the tidy tables."""


def published_groups(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """``frame`` without the rows of a don't-know / refused / no-answer group (:data:`NOT_A_GROUP`)."""
    if frame is None or not len(frame):
        return frame
    drop = pd.Series(False, index=frame.index)
    for col in group_columns_of(frame):
        if col != "location":
            drop |= frame[col].astype("string").isin(NOT_A_GROUP).fillna(False).astype(bool)
    return frame[~drop] if drop.any() else frame
