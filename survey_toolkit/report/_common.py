"""Shared pieces of the report writers: fixed strings per language, labels, number formats, atomic writes."""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..comparison import round_order
from ..disclosure import (
    CAUTION_FLAGS,
    DEFAULT_RULES,
    SUPPRESSION_REASONS,
    ReportingRules,
    apply_rules,
    group_columns_of,
)

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

LANGUAGES = ("en", "fr")

I18N: dict[str, dict[str, str]] = {
    "en": {
        "report_title": "Community safety perception survey",
        "generated": "Generated",
        "contents": "Contents",
        "key_findings": "Key findings",
        "at_a_glance": "All indicators at a glance (all locations)",
        "summary": "Summary: SDG 16 headline indicators",
        "summary_note": "All locations, latest round; 95% confidence interval in brackets; change since the baseline "
        "(* significant after false discovery rate control).",
        "indicator": "Indicator",
        "interpretation": "Interpretation",
        "breakdown": "Breakdown",
        "group": "Group",
        "no_findings": "No statistically significant change after false discovery rate control.",
        "indicators": "Indicators",
        "heatmap": "Change by location and indicator",
        "since": "Since {round}",
        "since_lower": "since {round}",
        "heatmap_note": "Colour: green improved, red worsened, blue changed (no direction), grey no significant "
        "change (after false discovery rate control); white: not published. Numbers: change since {from_round}.",
        "methodology": "Methodology",
        "sample_sizes": "Sample sizes",
        "design": "Design",
        "weights": "Weights and their diagnostics",
        "exclusions": "Data-quality exclusions",
        "definitions": "Definitions",
        "rules": "Reporting rules",
        "trend": "Trend across rounds (95% confidence intervals)",
        "bars": "By location, {round} (95% confidence intervals)",
        "location": "Location",
        "round": "Round",
        "estimate": "Estimate",
        "ci": "95% CI",
        "change_previous": "Change since {round}",
        "change_baseline": "Change since baseline {round}",
        "all": "All locations",
        "suppressed": "suppressed",
        "not_published": "not published",
        "not_available": "not available",
        "footnote_dash": "— estimate not published: {reasons}.",
        "footnote_paren": "(…) interpret with caution: {flags}.",
        "footnote_sig": "* statistically significant change after false discovery rate control "
        "(Benjamini–Hochberg, q < {fdr}); † significant before adjustment only (p < {alpha}).",
        "improved": "improved",
        "worsened": "worsened",
        "increased": "increased",
        "decreased": "decreased",
        "no significant change": "no significant change",
        "finding": "{label} {word} in {location}: {old} in {r_from} → {new} in {r_to} ({change}).",
        "finding_also": "Also significant since {r_from} ({change}).",
        "findings_note": "{count} changes are statistically significant after false discovery rate control, ranked "
        "national first, then by size of change: the most important in full below, every other one in the table "
        "that follows (none is left out).",
        "findings_note_all": "{count} changes are statistically significant after false discovery rate control, "
        "ranked national first, then by size of change; all are listed below.",
        "findings_note_one": "{count} change is statistically significant after false discovery rate control; "
        "it is listed below.",
        "other_findings": "Every other significant change",
        "compared": "Rounds compared",
        "change_col": "Estimates (change)",
        "q_col": "q-value",
        "change_not_published": "change not published: {why}",
        "footnote_change": "— change not published: {reasons}.",
        "by_answer": "by answer",
        "latest_value": "{label}: {value} ({location}, {round}).",
        "points": "points",
        "no_data": "No data.",
        "n": "n",
        "sdg": "SDG",
        "unit": "Unit",
        "sensitive_note": "Sensitive indicator: small cells suppressed; not published below admin1.",
        "rule_min_n": "Unweighted base below {min_n}: not published; {min_n} to {caution_n}: shown in parentheses.",
        "rule_n_eff": "Effective sample size below {min_n_eff}: not published.",
        "rule_ci": "Percentages with a 95% CI at least {max_ci} points wide, or wider than {floor} points and "
        "more than {rel}% of the estimate: not published.",
        "rule_df": "Fewer than {min_df} design degrees of freedom: shown in parentheses.",
        "rule_dk": "Don't know and refused above {dk}% of the base: shown in parentheses.",
        "rule_cell": "Sensitive indicators: fewer than {k} respondents in the numerator: not published, with "
        "further cells hidden so that the value cannot be derived.",
        "change_input_suppressed": "the {round} estimate is not published",
        "rule_change": "Changes between rounds: independent samples, SE = √(SE₁² + SE₂²), t test; "
        "significance after Benjamini–Hochberg false discovery rate control within families of tests: "
        "the headline estimates of every indicator at one geographic level, for one comparison (since the "
        "previous round, since the baseline), form a family; sub-groups and answer categories form their "
        "own families. Changes significant before adjustment only are marked †.",
    },
    "fr": {
        "report_title": "Enquête de perception sur la sécurité communautaire",
        "generated": "Généré le",
        "contents": "Sommaire",
        "key_findings": "Principaux résultats",
        "at_a_glance": "Tous les indicateurs en un coup d'œil (ensemble des localités)",
        "summary": "Synthèse : indicateurs phares de l'ODD 16",
        "summary_note": "Ensemble des localités, dernière vague ; intervalle de confiance à 95 % entre crochets ; "
        "évolution depuis la référence (* significative après contrôle du taux de fausses découvertes).",
        "indicator": "Indicateur",
        "interpretation": "Interprétation",
        "breakdown": "Ventilation",
        "group": "Groupe",
        "no_findings": "Aucun changement statistiquement significatif après contrôle du taux de fausses découvertes.",
        "indicators": "Indicateurs",
        "heatmap": "Évolution par localité et par indicateur",
        "since": "Depuis {round}",
        "since_lower": "depuis {round}",
        "heatmap_note": "Couleur : vert amélioration, rouge détérioration, bleu changement (sans sens), gris pas de "
        "changement significatif (après contrôle du taux de fausses découvertes) ; blanc : non publié. "
        "Nombres : évolution depuis {from_round}.",
        "methodology": "Méthodologie",
        "sample_sizes": "Tailles d'échantillon",
        "design": "Plan de sondage",
        "weights": "Pondérations et diagnostics",
        "exclusions": "Exclusions pour qualité des données",
        "definitions": "Définitions",
        "rules": "Règles de publication",
        "trend": "Évolution entre les vagues (intervalles de confiance à 95 %)",
        "bars": "Par localité, {round} (intervalles de confiance à 95 %)",
        "location": "Localité",
        "round": "Vague",
        "estimate": "Estimation",
        "ci": "IC à 95 %",
        "change_previous": "Évolution depuis {round}",
        "change_baseline": "Évolution depuis la référence {round}",
        "all": "Ensemble des localités",
        "suppressed": "supprimé",
        "not_published": "non publié",
        "not_available": "non disponible",
        "footnote_dash": "— estimation non publiée : {reasons}.",
        "footnote_paren": "(…) à interpréter avec prudence : {flags}.",
        "footnote_sig": "* évolution statistiquement significative après contrôle du taux de fausses découvertes "
        "(Benjamini–Hochberg, q < {fdr}) ; † significative avant ajustement seulement (p < {alpha}).",
        "improved": "s'est amélioré",
        "worsened": "s'est détérioré",
        "increased": "a augmenté",
        "decreased": "a diminué",
        "no significant change": "pas de changement significatif",
        "finding": "{label} — {word} à {location} : {old} en {r_from} → {new} en {r_to} ({change}).",
        "finding_also": "Également significatif depuis {r_from} ({change}).",
        "findings_note": "{count} évolutions sont statistiquement significatives après contrôle du taux de fausses "
        "découvertes, classées d'abord au niveau national, puis par ampleur : les plus importantes sont rédigées "
        "ci-dessous, toutes les autres figurent dans le tableau qui suit (aucune n'est omise).",
        "findings_note_all": "{count} évolutions sont statistiquement significatives après contrôle du taux de "
        "fausses découvertes, classées d'abord au niveau national, puis par ampleur ; toutes sont listées ci-dessous.",
        "findings_note_one": "{count} évolution est statistiquement significative après contrôle du taux de "
        "fausses découvertes ; elle est présentée ci-dessous.",
        "other_findings": "Toutes les autres évolutions significatives",
        "compared": "Vagues comparées",
        "change_col": "Estimations (évolution)",
        "q_col": "valeur q",
        "change_not_published": "évolution non publiée : {why}",
        "footnote_change": "— évolution non publiée : {reasons}.",
        "by_answer": "par réponse",
        "latest_value": "{label} : {value} ({location}, {round}).",
        "points": "points",
        "no_data": "Pas de données.",
        "n": "n",
        "sdg": "ODD",
        "unit": "Unité",
        "sensitive_note": "Indicateur sensible : petites cellules supprimées ; non publié sous le niveau admin1.",
        "rule_min_n": "Base non pondérée inférieure à {min_n} : non publié ; de {min_n} à {caution_n} : entre "
        "parenthèses.",
        "rule_n_eff": "Taille d'échantillon effective inférieure à {min_n_eff} : non publié.",
        "rule_ci": "Pourcentages dont l'IC à 95 % a une largeur d'au moins {max_ci} points, ou de plus de {floor} "
        "points et de plus de {rel} % de l'estimation : non publié.",
        "rule_df": "Moins de {min_df} degrés de liberté du plan : entre parenthèses.",
        "rule_dk": "Ne sait pas et refus au-delà de {dk} % de la base : entre parenthèses.",
        "rule_cell": "Indicateurs sensibles : moins de {k} répondants au numérateur : non publié, et d'autres "
        "cellules masquées pour que la valeur ne puisse pas être déduite.",
        "change_input_suppressed": "l'estimation de {round} n'est pas publiée",
        "rule_change": "Évolutions entre vagues : échantillons indépendants, ET = √(ET₁² + ET₂²), test t ; "
        "significativité après contrôle du taux de fausses découvertes (Benjamini–Hochberg) par famille de "
        "tests : les estimations principales de tous les indicateurs à un niveau géographique, pour une "
        "comparaison (depuis la vague précédente, depuis la référence), forment une famille ; sous-groupes et "
        "modalités de réponse forment leurs propres familles. Les évolutions significatives avant ajustement "
        "seulement sont marquées †.",
    },
}

GROUP_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "a1_sex": "Sex",
        "sex": "Sex",
        "age_group": "Age group",
        "disability": "Disability",
        "area_type": "Area type",
        "a4_displacement": "Displacement status",
        "displacement": "Displacement status",
        "youth_18_29": "Youth (18–29)",
    },
    "fr": {
        "a1_sex": "Sexe",
        "sex": "Sexe",
        "age_group": "Groupe d'âge",
        "disability": "Handicap",
        "area_type": "Type de zone",
        "a4_displacement": "Statut de déplacement",
        "displacement": "Statut de déplacement",
        "youth_18_29": "Jeunes (18–29 ans)",
    },
}
"""Display names of the standard disaggregation columns (``ReportMeta.group_names`` overrides them)."""

GROUP_VALUES: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "disability": {"0": "without disability", "1": "with disability"},
        "youth_18_29": {"0": "30 or older", "1": "18–29"},
    },
    "fr": {
        "disability": {"0": "sans handicap", "1": "avec handicap"},
        "youth_18_29": {"0": "30 ans ou plus", "1": "18–29 ans"},
    },
}
"""Display values of the standard calculated disaggregations (0/1 codes)."""


def group_name(meta: ReportMeta, column: str, lang: str) -> str:
    """Display name of a disaggregation column."""
    return str(meta.group_names.get(column) or GROUP_NAMES.get(lang, GROUP_NAMES["en"]).get(column, column))


def group_value(meta: ReportMeta, column: str, value: Any, lang: str) -> str:
    """Display text of a disaggregation value (its code when no label is known)."""
    given = meta.group_labels.get(f"{column}:{lang}") or meta.group_labels.get(column, {})
    if str(value) in given:
        return str(given[str(value)])
    return str(GROUP_VALUES.get(lang, GROUP_VALUES["en"]).get(column, {}).get(str(value), value))


REASON_TEXT: dict[str, dict[str, str]] = {
    "en": dict(SUPPRESSION_REASONS) | dict(CAUTION_FLAGS),
    "fr": {
        "small-base": "base non pondérée trop petite",
        "low-n-eff": "taille d'échantillon effective trop petite",
        "wide-ci": "intervalle de confiance trop large",
        "wide-relative-ci": "intervalle de confiance trop large par rapport à l'estimation",
        "no-estimate": "aucune estimation calculable",
        "small-cell": "moins de 5 répondants au numérateur d'un indicateur sensible",
        "sensitive-admin2": "indicateur sensible non publié sous le niveau admin1",
        "secondary": "masqué pour qu'une autre valeur supprimée ne puisse pas être déduite",
        "caution-base": "petite base non pondérée : à interpréter avec prudence",
        "low-df": "peu de degrés de liberté du plan",
        "high-dk": "plus de 10 % de « ne sait pas » ou de refus",
    },
}


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
    sample_sizes: pd.DataFrame | None = None
    weight_diagnostics: pd.DataFrame | None = None
    exclusions: pd.DataFrame | None = None
    rules: ReportingRules = DEFAULT_RULES
    rounds: tuple[str, ...] | None = None
    alpha: float = 0.05
    fdr: float = 0.05
    generated_at: datetime | None = None

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


def t(lang: str, key: str, **kw: Any) -> str:
    """A fixed string in ``lang`` (English when the language or key is missing), formatted."""
    table = I18N.get(lang, I18N["en"])
    text = table.get(key, I18N["en"].get(key, key))
    return text.format(**kw) if kw else text


def reason_text(lang: str, codes: str) -> str:
    """Plain-language text of ``;``-separated reason or flag codes."""
    table = REASON_TEXT.get(lang, REASON_TEXT["en"])
    return "; ".join(table.get(c, c) for c in str(codes).split(";") if c)


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


def indicator_texts(results: pd.DataFrame, meta: ReportMeta, lang: str) -> dict[str, tuple[str, str]]:
    """Label and definition of every indicator in ``lang``, looked up once from its first row."""
    first = results.drop_duplicates("indicator_id")
    return {
        ind: (indicator_label(first, meta, ind, lang), indicator_definition(meta, ind, lang, first))
        for ind in indicator_ids(first)
    }


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
    """A number with ``digits`` decimals (French decimal comma); '' when missing."""
    if is_missing(value):
        return ""
    rounded = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    text = f"{rounded:+.{digits}f}" if signed and rounded != 0 else f"{rounded:.{digits}f}"
    text = text.replace("-", "−")
    return text.replace(".", ",") if lang == "fr" else text


def digits_for(unit: Any) -> int:
    """Decimals shown for a unit: 1 for percentages and indices, 2 for means and ratios."""
    return 1 if str(unit) in ("percent", "proportion", "index", "index_score") else 2


def unit_suffix(unit: Any, lang: str = "en") -> str:
    """'%' for percentages, '' otherwise."""
    return "%" if str(unit) in ("percent", "proportion") else ""


UNIT_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "percent": "%",
        "proportion": "%",
        "mean": "mean",
        "median": "median",
        "index_score": "index score",
        "index": "index score",
        "ratio": "ratio",
        "count": "count",
    },
    "fr": {
        "percent": "%",
        "proportion": "%",
        "mean": "moyenne",
        "median": "médiane",
        "index_score": "score d'indice",
        "index": "score d'indice",
        "ratio": "ratio",
        "count": "effectif",
    },
}


def unit_name(unit: Any, lang: str = "en") -> str:
    """Axis label of a unit in ``lang`` ('%' for percentages)."""
    return UNIT_NAMES.get(lang, UNIT_NAMES["en"]).get(str(unit), str(unit))


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


ANNEX_COLUMNS: dict[str, dict[str, str]] = {
    "en": {"round": "Round", "step": "Step", "weight": "Weight", "n": "Respondents", "sum_w": "Sum of weights",
           "deff_kish": "Design effect of weighting (Kish)",
           "kish_deff": "Design effect of weighting (Kish)", "n_eff": "Effective sample size",
           "max_ratio": "Largest weight / median", "ess": "Effective sample size", "min": "Smallest weight",
           "max": "Largest weight", "convergence_converged": "Calibration converged",
           "convergence_iterations": "Iterations", "check": "Check", "count": "Interviews excluded",
           "reason": "Reason", "interviews": "Interviews", "psus": "PSUs"},
    "fr": {"round": "Vague", "step": "Étape", "weight": "Pondération", "n": "Répondants", "sum_w": "Somme des poids",
           "deff_kish": "Effet de plan de la pondération (Kish)",
           "kish_deff": "Effet de plan de la pondération (Kish)", "n_eff": "Taille d'échantillon effective",
           "max_ratio": "Plus grand poids / médiane", "ess": "Taille d'échantillon effective",
           "min": "Plus petit poids", "max": "Plus grand poids", "convergence_converged": "Calage convergé",
           "convergence_iterations": "Itérations", "check": "Contrôle", "count": "Entretiens exclus",
           "reason": "Motif", "interviews": "Entretiens", "psus": "UPE"},
}  # fmt: skip
"""Display names of the columns of the methodology tables (weights, exclusions, sample sizes)."""

ANNEX_VALUES: dict[str, dict[str, str]] = {
    "en": {"True": "yes", "False": "no", "base_weights": "design weights", "rake": "raking",
           "post_stratify": "post-stratification", "trim": "trimming", "nonresponse": "non-response adjustment",
           "calibrate": "calibration", "no-consent": "no consent", "under-age": "under the minimum age",
           "duplicate-record-id": "duplicate record id", "duplicate-submission-id": "duplicate submission",
           "duplicate-row": "duplicate row", "too-short": "interview too short",
           "bad-duration": "interview ends before it starts"},
    "fr": {"True": "oui", "False": "non", "base_weights": "poids de sondage", "rake": "calage (raking)",
           "post_stratify": "post-stratification", "trim": "écrêtage", "nonresponse": "correction de la non-réponse",
           "calibrate": "calage", "no-consent": "pas de consentement", "under-age": "sous l'âge minimum",
           "duplicate-record-id": "identifiant d'enregistrement en double", "duplicate-submission-id":
           "soumission en double", "duplicate-row": "ligne en double", "too-short": "entretien trop court",
           "bad-duration": "l'entretien finit avant de commencer"},
}  # fmt: skip
"""Display text of the codes that appear in the methodology tables (steps, checks, yes/no)."""


def annex_table(frame: pd.DataFrame, meta: ReportMeta, lang: str) -> pd.DataFrame:
    """A methodology table with its column names and codes in ``lang`` (no internal names shown):
    round ids become round labels, booleans yes/no, weighting steps and quality checks words; the
    weight column names (internal) are dropped."""
    names = ANNEX_COLUMNS.get(lang, ANNEX_COLUMNS["en"])
    values = ANNEX_VALUES.get(lang, ANNEX_VALUES["en"])
    out = frame.drop(columns=[c for c in ("weight",) if c in frame.columns])
    for col in out.columns:
        if col == "round":
            out[col] = out[col].map(lambda r: round_name(meta, r))
        elif out[col].dtype == bool or out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if is_missing(v) else values.get(str(v), v))
    return out.rename(columns={c: names.get(str(c), str(c).replace("_", " ")) for c in out.columns})


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
