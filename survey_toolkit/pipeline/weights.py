"""Step 'weight': design weights, calibration to the margins and trimming, round by round, with the design."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..codes import display_values
from ..design import Design
from ..errors import Location, Problem, Severity, SurveyToolkitError, ValidationReport, WeightError
from ..io.base import SurveyData
from ..project import Project
from ..weighting import Margins, TrimBounds, Weighted, base_weights, calibrate, post_stratify, rake, trim
from .checks import _with_design_columns
from .common import WEIGHT_COLUMN, Inputs, Progress, _noop


def _design(project: Project, weights: str) -> Design:
    d = project.design
    fpc = d.fpc or (d.base_weights.fpc if d.base_weights else None)
    options: dict[str, Any] = {"weights": weights, "strata": d.strata, "psu": d.psu, "fpc": fpc}
    if d.lonely_psu is not None:
        options["lonely_psu"] = d.lonely_psu
    if d.nest:
        options["nest"] = True
    if d.replicates is not None:
        options.update(strata=None, psu=None, fpc=None, replicates=d.replicates)
    return Design(**options)


def _strata_not_in_frame(frame: pd.DataFrame, project: Project, sample_frame: pd.DataFrame) -> list[Problem]:
    """One problem naming the sample-frame file and the data's strata it has no row for."""
    from ..weighting._common import canonical_code, canonical_codes

    base, strata = project.design.base_weights, project.design.strata
    if base is None or not strata or strata not in frame.columns:
        return []
    codes, labels = canonical_codes(frame[strata])
    known = {canonical_code(v) for v in sample_frame[base.stratum].unique()}
    absent = [i for i, label in enumerate(labels) if label not in known]
    if not absent:
        return []
    names = [labels[i] for i in absent]
    shown = display_values(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    columns = ", ".join([base.stratum, base.population, *base.sample])
    return [
        Problem(
            "stratum-not-in-sample-frame",
            f"the sample frame {base.sample_frame.name} has no row for stratum {shown} "
            f"({int(np.isin(codes, absent).sum())} respondent(s))",
            Location(file=str(base.sample_frame)),
            expected=f"one row per stratum of the data, by its '{base.stratum}' column",
            got=f"{len(known)} strata in {base.sample_frame.name}",
            hint=f"add a row for each of these strata to {base.sample_frame.name} ({columns}), "
            "or correct the stratum codes in the data",
        )
    ]


def _base(data: SurveyData, project: Project, sample_frame: pd.DataFrame | None) -> Weighted:
    design = project.design
    base = design.base_weights
    if base is not None and sample_frame is not None:
        absent = _strata_not_in_frame(data.frame, project, sample_frame)
        if absent:
            raise WeightError(absent)
        population = pd.to_numeric(sample_frame[base.population], errors="coerce")
        sample = np.prod([pd.to_numeric(sample_frame[c], errors="coerce") for c in base.sample], axis=0)
        keys = sample_frame[base.stratum]
        return base_weights(
            data,
            stratum=design.strata,
            stratum_population=dict(zip(keys, population, strict=False)),
            stratum_sample=dict(zip(keys, sample, strict=False)),
            eligible=base.eligible,
            eligible_cap=base.eligible_cap,
            by=[design.strata] if design.strata else (),
        )
    if design.weights:  # a weight column is a weight, on any scale
        return base_weights(data, weights=design.weights)
    if design.probabilities:
        return base_weights(data, probability=design.probabilities)
    equal = dataclasses.replace(data, frame=data.frame.assign(_equal_weight=1.0))  # every respondent counts once
    return base_weights(equal, weights="_equal_weight")


def _built_replicates(start: Weighted, project: Project) -> Weighted:
    """``start`` with replicate weights built from its Taylor design (``design.replicates`` without
    ``columns``; R ``as.svrepdesign`` before ``rake``/``calibrate``): the weighting step then adjusts every
    replicate. Design problems (BRR without 2 PSUs per stratum, a lonely PSU) are located at the key."""
    from ..errors import DesignError
    from ..estimation.replicates import as_replicates

    b = project.design.replicate_build
    where = project.locate("design", "replicates", "type")
    hint = "use 'type: JKn' or 'bootstrap' under design.replicates, or fix the design (see docs/project-file.md)"
    try:
        with warnings.catch_warnings(record=True) as caught:  # the dropped fpc: a located warning, not stderr
            warnings.simplefilter("always", UserWarning)
            frame, design = as_replicates(start.frame, _design(project, start.weight_column), b.type, prefix="_rep",
                                          rho=b.rho, replicates=b.replicates, seed=b.seed, mse=b.mse)  # fmt: skip
    except DesignError as exc:
        raise DesignError([dataclasses.replace(p, message=f"design.replicates type {b.type}: {p.message}",
                                               location=where, hint=p.hint or hint) for p in exc.problems]) from exc
    except ValueError as exc:
        raise DesignError(Problem("replicate-build", f"design.replicates type {b.type}: {exc}", where,
                                  expected="a design R as.svrepdesign can convert", got=b.type, hint=hint)) from exc
    notes = [Problem("replicate-fpc-dropped", f"design.replicates type {b.type}: {w.message}", where,
                     severity=Severity.WARNING, hint="use 'type: JKn' or 'bootstrap' to keep the finite population "
                     "correction") for w in caught]  # fmt: skip
    report = dataclasses.replace(start.report, problems=ValidationReport.of([*start.report.problems, *notes]))
    data = start.data
    data = dataclasses.replace(data, frame=frame) if isinstance(data, SurveyData) else frame
    return dataclasses.replace(start, data=data, design=design, report=report, history=(*start.history[:-1], report))


def _calibrate(start: Weighted, project: Project, margins: Margins | None) -> Weighted:
    settings = project.weighting
    if project.design.replicate_build is not None:
        start = _built_replicates(start, project)
    design = start.design if project.design.replicate_build is not None else _design(project, start.weight_column)
    bounds = None
    if settings.trim_upper is not None or settings.trim_lower is not None:
        bounds = TrimBounds(upper=settings.trim_upper, lower=settings.trim_lower,
                            relative_to=settings.trim_relative_to or "absolute")  # fmt: skip
    if settings.method == "none" or margins is None:
        if bounds is None:
            return dataclasses.replace(start, design=design)
        lo, hi = bounds.lower, bounds.upper
        out = trim(start, design, upper=hi, lower=lo, relative_to=bounds.relative_to)
        return out if out.design is not None else dataclasses.replace(out, design=_design(project, out.weight_column))
    if settings.method == "post_stratify":
        if bounds is not None:
            start = trim(start, design, upper=bounds.upper, lower=bounds.lower, relative_to=bounds.relative_to)
        return post_stratify(start, margins, design, partial=settings.partial)
    if settings.method == "calibrate":
        if bounds is not None:
            start = trim(start, design, upper=bounds.upper, lower=bounds.lower, relative_to=bounds.relative_to)
        return calibrate(start, margins, design, calfun=settings.calfun, bounds=settings.bounds,
                         bounds_const=settings.bounds_const)  # fmt: skip
    return rake(start, margins, design, trim=bounds)


def _final(weighted: Weighted, project: Project) -> Weighted:
    """Copy the last weight into ``final_weight`` so every round's design reads the same column."""
    frame = weighted.frame.assign(**{WEIGHT_COLUMN: weighted.frame[weighted.weight_column].astype(float)})
    data = weighted.data
    data = dataclasses.replace(data, frame=frame) if isinstance(data, SurveyData) else frame
    design = weighted.design if weighted.design is not None else _design(project, weighted.weight_column)
    design = design.replace(weights=WEIGHT_COLUMN) if hasattr(design, "replace") else design
    return dataclasses.replace(weighted, data=data, weight_column=WEIGHT_COLUMN, design=design)


def weight_rounds(
    data: Mapping[str, SurveyData], project: Project, inputs: Inputs, *, progress: Progress | None = None
) -> dict[str, Weighted]:
    """Base weights, then calibration to the margins (with trimming), round by round.

    Each result's ``frame`` has the ``final_weight`` column and its ``design`` (strata, PSU, fpc, the
    calibration for the standard errors). Problems of every round are raised together.
    """
    progress = progress or _noop
    out: dict[str, Weighted] = {}
    problems: list[Problem] = []
    error_type: type[SurveyToolkitError] | None = None
    for i, (rid, d) in enumerate(data.items()):
        progress("weight", i, len(data))
        prepared = dataclasses.replace(d, frame=_with_design_columns(d.frame, project, inputs.sample_frame))
        try:
            out[rid] = _final(_calibrate(_base(prepared, project, inputs.sample_frame), project, inputs.margins), project)
        except SurveyToolkitError as exc:
            where = f"round {rid}"
            problems += [dataclasses.replace(p, message=f"{where}: {p.message}", hint=_weight_hint(p, project))
                         for p in exc.problems]  # fmt: skip
            error_type = error_type or type(exc)
    progress("weight", len(data), len(data))
    if error_type is not None:
        raise error_type(problems)
    return out


def _weight_hint(problem: Problem, project: Project) -> str | None:
    """The project key that fixes a missing design weight or probability."""
    column = project.design.weights or project.design.probabilities
    if problem.code in ("missing-weight", "non-numeric-weight", "bad-probability") and column is not None \
            and problem.location.field == column:  # fmt: skip
        return (f"correct '{column}' in the export, or set design.missing_weights: exclude (rows listed in "
                "exclusions.csv) or impute (stratum mean weight) in survey.yaml")  # fmt: skip
    return problem.hint


def weight_summary(weighted: Mapping[str, Weighted]) -> pd.DataFrame:
    """One row per round x weighting step: n, Σw, Kish deff, ESS, min, max, convergence."""
    parts = [w.summary().assign(round=rid) for rid, w in weighted.items()]
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    keep = [c for c in ("round", "step", "weight", "n", "sum_w", "deff_kish", "ess", "min", "max",
                        "convergence_converged", "convergence_iterations") if c in table.columns]  # fmt: skip
    return table[keep]


def weights_table(weighted: Mapping[str, Weighted]) -> pd.DataFrame:
    """Record id, round and every weight column of each respondent (to join back to the data)."""
    parts = []
    for rid, w in weighted.items():
        frame = w.frame
        cols = ["_record_id", *dict.fromkeys(r.weight for r in w.history), WEIGHT_COLUMN]
        cols = [c for c in dict.fromkeys(cols) if c in frame.columns]
        parts.append(frame[cols].assign(round=rid))
    table = pd.concat(parts, ignore_index=True)
    return table[["round", *[c for c in table.columns if c != "round"]]]
