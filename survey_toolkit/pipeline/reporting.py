"""Step 'report': the report's texts (design, exclusions, names) and every file written."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from ..disclosure import DEFAULT_GROUP_COLUMNS
from ..errors import InstrumentError
from ..labels import strip_cues
from ..project import Project
from ..report import ReportMeta, render
from ..report._common import t
from ..report.tidy import write_csv
from ..results import group_labels_from_instrument, labels_from_indicators, themes_from_instrument
from ..weighting import Weighted
from .checks import Checked
from .common import Inputs, Progress
from .estimates import _levels, _time_order, cues_of, reporting_table
from .weights import weight_summary, weights_table


def _location_names(project: Project, inputs: Inputs, lang: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for level in _levels(project):
        choices = inputs.instrument.choices_for(level) if level in inputs.instrument else None
        if choices is not None:
            names.update({str(k): strip_cues(str(v), cues_of(project)) for k, v in choices.labels(lang).items()})
    names.update(project.locations.names)
    return names


def _design_text(project: Project, languages: Any) -> dict[str, str]:
    """The sampling design in a sentence, per report language (interface text ``design:*``)."""
    return {lang: _design_sentence(project, lang) for lang in dict.fromkeys(("en", *(languages or ())))}


def _design_sentence(project: Project, lang: str) -> str:
    d = project.design
    parts = [t(lang, "design:strata", strata=d.strata) if d.strata else t(lang, "design:no_strata"),
             t(lang, "design:psu", psu=d.psu) if d.psu else t(lang, "design:no_psu")]  # fmt: skip
    if d.base_weights is not None:
        b = d.base_weights
        parts.append(t(lang, "design:base_weights", population=b.population, sample=" x ".join(b.sample),
                       eligible=f" x {b.eligible}" if b.eligible else "", frame=b.sample_frame.name))  # fmt: skip
    w = project.weighting
    if w.method != "none" and w.margins is not None:
        trim = ""
        if w.trim_upper:
            trim = (t(lang, "design:trim", upper=f"{w.trim_upper:g}", relative_to=w.trim_relative_to)
                    if w.trim_relative_to else t(lang, "design:trim_absolute", upper=f"{w.trim_upper:g}"))  # fmt: skip
        parts.append(t(lang, "design:calibrated", method=w.method, margins=w.margins.name, trim=trim))
    parts.append(_variance_text(project, lang))
    est = project.estimation
    if est.interval is not None or est.df != "domain":
        df = t(lang, "design:df_design" if est.df == "design" else "design:df_domain")
        parts.append(t(lang, "design:interval", interval=est.interval or "xlogit", df=df))
    return t(lang, "design:separator").join(parts) + "."


def _label_fallback(inputs: Inputs, languages: Any) -> dict[str, str]:
    """Report languages that the indicators file or the form has no labels in, with the language their
    labels fall back to (the indicators file's first language)."""
    spec_languages = tuple(inputs.indicators.languages or ())
    form = inputs.analysis or inputs.instrument
    fallback = spec_languages[0] if spec_languages else "en"
    return {code: fallback for code in languages or ()
            if code not in spec_languages or not _form_has_language(form, code)}  # fmt: skip


def _form_has_language(form: Any, code: str) -> bool:
    """True when the form has labels in ``code`` (or has no named label language at all)."""
    if not tuple(getattr(form, "languages", ()) or ()):
        return True
    try:
        form.language_for(code)
    except Exception:  # noqa: BLE001 - the form has no such language
        return False
    return True


def _variance_text(project: Project, lang: str) -> str:
    """How the standard errors are computed: Taylor linearisation, or the replicates (given or built)."""
    d = project.design
    if d.replicates is not None:
        return t(lang, "design:replicates_given", type=d.replicates.type, count=len(d.replicates.columns))
    b = d.replicate_build
    if b is None:
        return t(lang, "design:taylor")
    random = b.type in ("bootstrap", "subbootstrap")
    details = t(lang, "design:bootstrap_details", count=b.replicates, seed=b.seed) if random else ""
    return t(lang, "design:replicates_built", type=b.type, details=details)


def _exclusion_summary(checked: Checked | None) -> pd.DataFrame | None:
    if checked is None:
        return None
    summary = checked.summary()
    return summary[summary["action"] == "excluded"][["round", "check", "count"]].reset_index(drop=True)


def _off_list_summary(checked: Checked | None, project: Project, inputs: Inputs, languages: Any) -> pd.DataFrame | None:
    """Per round and question: answers, off-list answers, share and rule, with the question's label per
    report language (``label:<lang>``); never the off-list answers or record ids themselves."""
    if checked is None or checked.off_list.empty:
        return None
    table = checked.off_list[["round", "question", "answers", "off_list", "share", "rule"]].reset_index(drop=True)
    form = inputs.analysis or inputs.instrument
    for code in dict.fromkeys(languages or ("en",)):
        try:
            language = form.language_for(code)
        except InstrumentError:
            language = None
        labels = {q: strip_cues(form.question(q).label(language), cues_of(project)) if q in form else q
                  for q in pd.unique(table["question"])}  # fmt: skip
        table[f"label:{code}"] = table["question"].map(labels)
    return table


def _names_by_language(names: Callable[[str], dict[str, str]], languages: Any, first: str) -> dict[str, str]:
    """Names in the first language under their codes, and in every language under ``<code>:<lang>``."""
    out = dict(names(first))
    for code in languages or ():
        out.update({f"{k}:{code}": v for k, v in names(code).items()})
    return out


def report_meta(
    project: Project,
    inputs: Inputs,
    *,
    checked: Checked | None = None,
    weighted: Mapping[str, Weighted] | None = None,
    generated_at: datetime | None = None,
) -> ReportMeta:
    """Titles, names, labels and the methodology annex of the report, from the project and the steps."""
    languages = project.report.languages or inputs.indicators.languages
    lang = languages[0] if languages else "en"
    info = labels_from_indicators(inputs.indicators, languages, cues_of(project))
    options: dict[str, Any] = {}
    if project.report.alpha is not None:
        options["alpha"] = project.report.alpha
    options["fdr"] = project.report.fdr if project.report.fdr is not None else options.get("alpha", 0.05)
    title = dict(project.report.title or project.title or {})
    groups = {g for ind in inputs.indicators.indicators for g in (getattr(ind, "disaggregations", None) or ())}
    groups = sorted(groups | (set(DEFAULT_GROUP_COLUMNS) - {"location"}))
    group_labels = {f"{col}:{code}": names for code in languages or ("en",)
                    for col, names in group_labels_from_instrument(inputs.analysis or inputs.instrument, groups,
                                                                   code, cues_of(project)).items()}  # fmt: skip
    themes, owners = themes_from_instrument(inputs.indicators, inputs.analysis or inputs.instrument, languages or ("en",))
    return ReportMeta(
        themes=MappingProxyType(themes),
        indicator_themes=MappingProxyType(owners),
        group_labels=MappingProxyType(group_labels),
        title=MappingProxyType(title),
        location_names=MappingProxyType(_names_by_language(lambda code: _location_names(project, inputs, code),
                                                           languages, lang)),  # fmt: skip
        indicator_labels=MappingProxyType(info["labels"]),
        indicator_definitions=MappingProxyType(info["definitions"]),
        round_labels=MappingProxyType(_names_by_language(lambda code: {r.id: r.label_in(code) for r in project.rounds},
                                                         languages, lang)),  # fmt: skip
        design=MappingProxyType(_design_text(project, languages)),
        label_fallback=MappingProxyType(_label_fallback(inputs, languages)),
        weight_diagnostics=weight_summary(weighted).round(3) if weighted else None,
        exclusions=_exclusion_summary(checked),
        off_list=_off_list_summary(checked, project, inputs, languages),
        rules=project.report.rules,
        rounds=tuple(_time_order(project)),
        generated_at=generated_at,
        **options,
    )


def decision_tables(
    results: pd.DataFrame, table: pd.DataFrame, project: Project, inputs: Inputs, *, raw: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """What the report adds to the published table: the model-based figures standing in for withheld
    locations (``small_areas.substitute``) and the plan of the next round (``plan.in_report``).

    Returns the table to show (``table`` itself, or a copy with the substitutions and an
    ``estimate_type`` column) and the plan (None when not wanted). Comparisons are never computed from
    a model-based figure: call this after :func:`compare`. ``raw``: ``reporting_table(results, project,
    inputs, rules=False)`` when the caller has it (it is computed otherwise).
    """
    settings = project.small_areas
    wanted_plan = project.plan.in_report
    if not wanted_plan and not (settings and settings.substitute):
        return table, None
    if raw is None:
        raw = reporting_table(results, project, inputs, rules=False)
    shown, plan = table, None
    if settings is not None and settings.substitute:
        from ..small_areas import read_covariates, small_area_table, substitutable, substitute_model_based

        covariates = read_covariates(settings.covariates, settings.location_column or settings.level, settings.use)
        # models only where a figure may be substituted: the (indicator, round) pairs with such a cell
        wanted = table.loc[substitutable(table, level=settings.level), ["indicator_id", "round"]].drop_duplicates()
        pairs = pd.MultiIndex.from_frame(wanted.astype(str))
        modelled = raw[pd.MultiIndex.from_frame(raw[["indicator_id", "round"]].astype(str)).isin(pairs)]
        estimates, _ = small_area_table(modelled, table, covariates, level=settings.level,
                                        indicators=list(settings.indicators) if settings.indicators else None)  # fmt: skip
        shown = substitute_model_based(table, estimates, level=settings.level, rules=project.report.rules)
    if wanted_plan:
        from ..planning import published_plan

        order = _time_order(project)
        plan = published_plan(raw, table, round_id=order[-1] if order else None, **project.plan.options())
    return shown, plan


def write_outputs(
    table: pd.DataFrame, comparisons: pd.DataFrame | None, meta: ReportMeta, project: Project,
    progress: Progress | None = None,
) -> list[Path]:
    """The HTML report, the Excel workbook, the tidy tables and the chart files, written atomically."""
    options: dict[str, Any] = {"progress": progress}
    if project.report.languages:
        options["languages"] = project.report.languages
    if project.report.chart_formats:
        options["chart_formats"] = project.report.chart_formats
    if project.report.parquet is not None:
        options["parquet"] = project.report.parquet
    files = render(table, project.report.output, comparisons=comparisons, meta=meta, **options)
    return [p for kind in ("html", "excel", "tidy", "charts") for p in files.get(kind, [])]


def _write_step_tables(
    project: Project, checked: Checked | None, weighted: Mapping[str, Weighted] | None
) -> list[Path]:
    out = project.report.output
    files = []
    if checked is not None:
        files.append(write_csv(out / "quality.csv", _quality_issues(checked)))
        files.append(write_csv(out / "exclusions.csv", checked.exclusions))
        if not checked.off_list.empty:
            files.append(write_csv(out / "off_list.csv", checked.off_list))
    if weighted:
        files.append(write_csv(out / "weights.csv", weights_table(weighted)))
        files.append(write_csv(out / "weight_diagnostics.csv", weight_summary(weighted)))
    return files


def _quality_issues(checked: Checked) -> pd.DataFrame:
    parts = [rep.issues.assign(round=rid) for rid, rep in checked.reports.items()]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["round"])
    table = table.drop(columns=[c for c in ("frame_index",) if c in table.columns])
    return table[["round", *[c for c in table.columns if c != "round"]]]
