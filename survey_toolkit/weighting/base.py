"""Base (design) weights and the non-response adjustment within weighting classes.

Base weights (statistics.md §8, step 1):

- from selection probabilities: ``w = 1 / π`` (``0 < π <= 1``);
- from an existing design-weight column, used as it is (any scale: normalised weights with mean 1 too);
- from the sample plan, stratified one stage: ``w = N_h / n_h``; two stages:
  ``w = N_h / n_h x M_hi / m_hi`` (``N_h`` PSUs in the frame of stratum h, ``n_h`` PSUs sampled, ``M_hi``
  units listed in PSU i, ``m_hi`` units sampled there). The sample sizes ``n_h`` and ``m_hi`` come from the
  plan when given, else they are counted in the data (distinct PSUs per stratum, rows per PSU; then the
  base weight already absorbs unit non-response, which the report says);
- times the number of eligible adults when one adult is chosen per household (``eligible=``).

Non-response adjustment (step 2): within each weighting class c, the weights of the respondents are
multiplied by ``Σ_{c} w / Σ_{c, respondents} w``; non-respondents get weight 0 (the rows stay, so the
design keeps every PSU).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._compat import renamed_keywords
from ..codes import display_value
from ..errors import Location, Problem, Severity, WeightError, did_you_mean
from ._common import (
    canonical_code,
    canonical_codes,
    describe_codes,
    frame_of,
    joint_codes,
    row_location,
    weight_array,
)
from ._step import _check, _Start, finish, start
from .result import Weighted

__all__ = ["base_weights", "adjust_nonresponse"]

Sizes = str | Mapping[Any, float] | float | int | None


def _column_problem(frame: pd.DataFrame, column: str, what: str) -> Problem | None:
    if column in frame.columns:
        return None
    return Problem(
        "unknown-column",
        f"the {what} column '{column}' is not in the data",
        Location(field=column),
        hint=did_you_mean(column, [str(c) for c in frame.columns]),
    )


def _group_codes(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """One integer code per row for the cross-classification of ``columns`` (-1 if any is missing)."""
    if not columns:
        return np.zeros(len(frame), dtype=np.int64), ["all"]
    return joint_codes(frame, columns)


def _sizes(
    frame: pd.DataFrame, spec: Sizes, codes: np.ndarray, labels: list[str], what: str, key_name: str
) -> tuple[np.ndarray | None, list[Problem]]:
    """Per-group sizes (length ``len(labels)``) from a column, a mapping, or a number."""
    k = len(labels)
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return np.full(k, float(spec)), []
    if isinstance(spec, Mapping):
        given = {canonical_code(key): float(v) for key, v in spec.items()}
        absent = [lab for lab in labels if lab not in given]
        if absent:
            return None, [
                Problem(
                    "size-not-given",
                    f"{what} is not given for {key_name} {describe_codes(absent)}",
                    Location(field=key_name),
                    expected=f"a value for each {key_name} in the data",
                    got=f"values for {describe_codes(sorted(given))}",
                    hint=f"add the {what} of each {key_name} listed (a row of the sample frame)"
                    + (f"; or, if a code is mistyped: {close}" if (close := _close(absent, list(given))) else ""),
                )
            ]
        return np.array([given[lab] for lab in labels], dtype=float), []
    if isinstance(spec, str):
        problem = _column_problem(frame, spec, what)
        if problem:
            return None, [problem]
        values = pd.to_numeric(frame[spec], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isnan(values) & (codes >= 0))
        if len(bad):
            return None, [
                Problem(
                    "missing-size",
                    f"{what} ('{spec}') is missing or not a number in {len(bad)} row(s)",
                    row_location(frame, bad, spec),
                    count=len(bad),
                )
            ]
        valid = codes >= 0
        lo = np.full(k, np.inf)
        hi = np.full(k, -np.inf)
        np.minimum.at(lo, codes[valid], values[valid])
        np.maximum.at(hi, codes[valid], values[valid])
        varying = [lab for lab, a, b in zip(labels, lo, hi, strict=False) if a != b]
        if varying:
            return None, [
                Problem(
                    "size-varies",
                    f"{what} ('{spec}') differs between rows of the same "
                    f"{key_name}: {describe_codes(varying)}",
                    Location(field=spec),
                    expected=f"one value per {key_name}",
                )
            ]
        return lo, []
    raise TypeError(f"{what} must be a column name, a mapping or a number, not {type(spec).__name__}")


def _close(codes: list[str], candidates: list[str]) -> str | None:
    hints = [(c, did_you_mean(c, candidates)) for c in codes[:3]]
    text = "; ".join(f"for '{c}': {h}" for c, h in hints if h)
    return text or None


@renamed_keywords(weight="weights")
def base_weights(
    data: Any,
    *,
    probability: str | None = None,
    weights: str | None = None,
    stratum: str | None = None,
    stratum_population: Sizes = None,
    stratum_sample: Sizes = None,
    psu: str | None = None,
    psu_population: Sizes = None,
    psu_sample: Sizes = None,
    eligible: str | None = None,
    eligible_cap: int | None = None,
    name: str = "base_weight",
    by: Sequence[str] = (),
) -> Weighted:
    """Design weights from selection probabilities, an existing weight column or the sample plan, times
    eligible adults.

    One of ``probability`` (a column of inclusion probabilities, ``0 < p <= 1``), ``weights`` (a column of
    design weights on any scale, used as they are: normalised weights with mean 1 and values below 1
    are weights, not probabilities) or ``stratum_population`` (N_h: a column,
    a mapping ``{stratum code: N_h}``, or a number without strata). ``stratum_sample`` (n_h) defaults to the
    number of distinct ``psu`` in the stratum (rows without ``psu``). With ``psu_population`` (M_hi) the
    second-stage factor ``M_hi / m_hi`` is applied, ``m_hi`` from ``psu_sample`` or the rows per PSU.
    ``eligible`` multiplies by the number of eligible adults (integers >= 1, capped at ``eligible_cap``).
    """
    frame = frame_of(data.data if isinstance(data, Weighted) else data)
    problems: list[Problem] = []
    for column, what in (
        (probability, "probability"),
        (weights, "design weight"),
        (stratum, "stratum"),
        (psu, "PSU"),
        (eligible, "eligible adults"),
    ):
        if column is not None and (p := _column_problem(frame, column, what)):
            problems.append(p)
    if sum(x is not None for x in (probability, weights, stratum_population)) != 1:
        problems.append(
            Problem(
                "base-weight-source",
                "give one of probability=..., weights=... or stratum_population=...",
                expected="exactly one source of base weights",
                hint="probability='pi' (a column), weights='wgt' (a column), or stratum_population={'north': 120, ...}",
            )
        )
    if problems:
        raise WeightError(problems)
    n = len(frame)
    w = np.ones(n)
    table = None
    notes: list[Problem] = []
    if probability is not None:
        pi = pd.to_numeric(frame[probability], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~((pi > 0) & (pi <= 1)))
        if len(bad):
            problems.append(
                Problem(
                    "bad-probability",
                    f"the selection probability is missing or outside (0, 1] in {len(bad)} row(s)",
                    row_location(frame, bad, probability),
                    count=len(bad),
                    expected="0 < probability <= 1",
                )
            )
        else:
            w = 1.0 / pi
    elif weights is not None:
        values, weight_problems = weight_array(frame, weights, "design weight")
        problems += weight_problems
        zero = np.flatnonzero(values == 0) if values is not None else []
        if len(zero):
            problems.append(
                Problem("zero-weight", f"the design weight is 0 in {len(zero)} row(s)", row_location(frame, zero, weights),
                        count=len(zero), expected="a design weight > 0",
                        hint="a respondent with design weight 0 represents nobody: drop the row or correct the weight")  # fmt: skip
            )
        elif values is not None:
            w = values
    else:
        w, table, plan_problems, notes = _plan_weights(
            frame, stratum, stratum_population, stratum_sample, psu, psu_population, psu_sample
        )
        problems += plan_problems
    if eligible is not None and eligible in frame.columns:
        adults = pd.to_numeric(frame[eligible], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(~(adults >= 1) | (adults != np.floor(adults)))
        if len(bad):
            problems.append(
                Problem(
                    "bad-eligible-count",
                    f"the number of eligible adults is missing, below 1 or not whole in {len(bad)} row(s)",
                    row_location(frame, bad, eligible),
                    count=len(bad),
                    expected="a whole number >= 1",
                    hint="the respondent counts as one eligible adult at least",
                )
            )
        else:
            w = w * (np.minimum(adults, eligible_cap) if eligible_cap else adults)
    warnings = _check(problems + notes)
    st = _Start(data, frame, None, np.ones(n), data if isinstance(data, Weighted) else None, None)
    return finish(
        st,
        "base_weights",
        name,
        w,
        by=by,
        classes=table,
        problems=warnings,
        settings={
            "probability": probability,
            "weight": weights,
            "stratum": stratum,
            "psu": psu,
            "eligible": eligible,
            "eligible_cap": eligible_cap,
        },
    )


def _plan_weights(
    frame: pd.DataFrame,
    stratum: str | None,
    stratum_population: Sizes,
    stratum_sample: Sizes,
    psu: str | None,
    psu_population: Sizes,
    psu_sample: Sizes,
) -> tuple[np.ndarray, pd.DataFrame | None, list[Problem], list[Problem]]:
    problems: list[Problem] = []
    notes: list[Problem] = []
    n = len(frame)
    h_codes, h_labels = _group_codes(frame, [stratum] if stratum else [])
    missing = np.flatnonzero(h_codes < 0)
    if len(missing):
        problems.append(
            Problem(
                "missing-stratum",
                f"the stratum is missing in {len(missing)} row(s)",
                row_location(frame, missing, stratum),
                count=len(missing),
            )
        )
        return np.ones(n), None, problems, notes
    N_h, found = _sizes(
        frame, stratum_population, h_codes, h_labels, "stratum population", stratum or "stratum"
    )
    problems += found
    if psu is not None:
        i_codes, i_labels = _group_codes(frame, [stratum, psu] if stratum else [psu])
        bad = np.flatnonzero(i_codes < 0)
        if len(bad):
            problems.append(
                Problem(
                    "missing-psu",
                    f"the PSU is missing in {len(bad)} row(s)",
                    row_location(frame, bad, psu),
                    count=len(bad),
                )
            )
            return np.ones(n), None, problems, notes
        psu_stratum = np.zeros(len(i_labels), dtype=np.int64)
        psu_stratum[i_codes] = h_codes
        counted_n = np.bincount(psu_stratum, minlength=len(h_labels)).astype(float)
    else:
        i_codes, i_labels, psu_stratum = None, [], None
        counted_n = np.bincount(h_codes, minlength=len(h_labels)).astype(float)
    if stratum_sample is None:
        n_h = counted_n
        notes.append(
            Problem(
                "sample-size-counted",
                "the stratum sample sizes n_h were counted in the data "
                f"({'PSUs' if psu else 'rows'} per stratum)",
                severity=Severity.INFO,
                hint="pass stratum_sample= with the plan's sizes when units did not respond",
            )
        )
    else:
        n_h, found = _sizes(
            frame, stratum_sample, h_codes, h_labels, "stratum sample size", stratum or "stratum"
        )
        problems += found
    if N_h is None or n_h is None or problems:
        return np.ones(n), None, problems, notes
    small = [lab for lab, big, little in zip(h_labels, N_h, n_h, strict=False) if big < little or little <= 0]
    if small:
        problems.append(
            Problem(
                "population-below-sample",
                f"the stratum population is smaller than its sample "
                f"(or the sample is 0) in {describe_codes(small)}",
                Location(field=stratum),
                expected="N_h >= n_h > 0",
                got="; ".join(
                    f"{display_value(lab)}: N={N_h[h_labels.index(lab)]:g}, n={n_h[h_labels.index(lab)]:g}"
                    for lab in small[:4]
                ),
            )
        )
        return np.ones(n), None, problems, notes
    w = (N_h / n_h)[h_codes]
    table = pd.DataFrame({"stratum": h_labels, "N_h": N_h, "n_h": n_h, "first_stage": N_h / n_h})
    if psu is not None and psu_population is not None:
        assert i_codes is not None
        psu_keys = [lab.split(":", 1)[1] for lab in i_labels] if stratum else i_labels
        M, found = _sizes(frame, psu_population, i_codes, psu_keys, "PSU population", psu)
        problems += found
        if psu_sample is None:
            m = np.bincount(i_codes, minlength=len(i_labels)).astype(float)
        else:
            m, found = _sizes(frame, psu_sample, i_codes, psu_keys, "PSU sample size", psu)
            problems += found
        if M is None or m is None or found:
            return np.ones(n), None, problems, notes
        small = [lab for lab, big, little in zip(i_labels, M, m, strict=False) if big < little or little <= 0]
        if small:
            problems.append(
                Problem(
                    "population-below-sample",
                    f"the PSU population is smaller than its sample in PSU {describe_codes(small)}",
                    Location(field=psu),
                    expected="M_hi >= m_hi > 0",
                )
            )
            return np.ones(n), None, problems, notes
        w = w * (M / m)[i_codes]
    elif psu_sample is not None:
        problems.append(
            Problem(
                "psu-sample-without-population",
                "psu_sample is given without psu_population",
                hint="give psu_population= (units listed per PSU) for the second stage",
            )
        )
    return w, table, problems, notes


_TRUE = {"1", "true", "yes", "y", "t", "respondent", "responded", "complete"}
_FALSE = {"0", "false", "no", "n", "f", "nonrespondent", "non-respondent", "refused", "incomplete"}


def _respondent_flags(frame: pd.DataFrame, column: str) -> tuple[np.ndarray | None, list[Problem]]:
    codes, labels = canonical_codes(frame[column])
    lookup = []
    unknown = []
    for lab in labels:
        low = lab.lower()
        if low in _TRUE:
            lookup.append(1)
        elif low in _FALSE:
            lookup.append(0)
        else:
            lookup.append(-1)
            unknown.append(lab)
    problems = []
    if unknown:
        where = np.flatnonzero(np.isin(codes, [labels.index(u) for u in unknown]))
        problems.append(
            Problem(
                "bad-response-status",
                f"'{column}' has values {describe_codes(unknown)} that are not a response status",
                row_location(frame, where, column),
                count=len(where),
                expected="True/False, 1/0 or yes/no",
                got=describe_codes(unknown),
                hint="recode the status column to 1 (respondent) / 0 (non-respondent)",
            )
        )
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        problems.append(
            Problem(
                "missing-response-status",
                f"'{column}' is missing in {len(missing)} row(s)",
                row_location(frame, missing, column),
                count=len(missing),
                hint="every sampled eligible unit needs a response status",
            )
        )
    if problems:
        return None, problems
    return np.array(lookup, dtype=np.int64)[codes] == 1, []


@renamed_keywords(weight="weights")
def adjust_nonresponse(
    data: Any,
    design: Any = None,
    *,
    respondent: str,
    classes: str | Sequence[str] = (),
    weights: str | None = None,
    name: str = "nr_weight",
    max_factor: float | None = 3.0,
    by: Sequence[str] = (),
) -> Weighted:
    """Non-response adjustment within weighting classes (the cross-classification of ``classes``).

    ``respondent`` is a column with the response status of every sampled eligible unit (True/False, 1/0,
    yes/no). In class c respondents get ``w x Σ_c w / Σ_{c, resp} w``; non-respondents get 0. Errors: a class
    with sampled units but no respondent (collapse it with a neighbour), missing status or class values.
    Factors above ``max_factor`` are reported as warnings. ``report.classes`` lists every class with its
    weighted response rate and factor.
    """
    st = start(data, weights, design)
    class_columns = [classes] if isinstance(classes, str) else list(classes)
    problems = [p for c in [respondent, *class_columns] if (p := _column_problem(st.frame, c, "adjustment"))]
    if problems:
        raise WeightError(problems)
    resp, problems = _respondent_flags(st.frame, respondent)
    codes, labels = _group_codes(st.frame, class_columns)
    live = st.weights > 0
    missing = np.flatnonzero((codes < 0) & live)
    if len(missing):
        problems.append(
            Problem(
                "missing-class-value",
                f"a weighting-class variable is missing in {len(missing)} row(s)",
                row_location(st.frame, missing, ",".join(class_columns)),
                count=len(missing),
                hint="give every unit a class (or a class for unknowns)",
            )
        )
    if problems or resp is None:
        raise WeightError(problems)
    k = len(labels)
    total = np.bincount(codes, weights=st.weights, minlength=k)
    responding = np.bincount(codes, weights=np.where(resp, st.weights, 0.0), minlength=k)
    n_total = np.bincount(codes[live], minlength=k)
    n_resp = np.bincount(codes[live & resp], minlength=k)
    empty = [lab for lab, t, r in zip(labels, total, responding, strict=False) if t > 0 and r == 0]
    if empty:
        where = np.flatnonzero(np.isin(codes, [labels.index(e) for e in empty]) & live)
        raise WeightError(
            Problem(
                "class-without-respondents",
                f"weighting classes {describe_codes(empty)} of "
                f"{'x'.join(class_columns) or 'the sample'} have sampled units but no respondent",
                row_location(st.frame, where, ",".join(class_columns)),
                count=len(where),
                hint="collapse these classes with neighbouring ones",
            )
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(responding > 0, total / np.where(responding > 0, responding, 1.0), 0.0)
    new = np.where(resp, st.weights * factor[codes], 0.0)
    table = pd.DataFrame(
        {
            "class": labels,
            "n_sampled": n_total,
            "n_respondents": n_resp,
            "sum_w_sampled": total,
            "sum_w_respondents": responding,
            "response_rate_w": responding / total,
            "factor": factor,
        }
    )
    warnings: list[Problem] = []
    if max_factor is not None:
        high = [lab for lab, f in zip(labels, factor, strict=False) if f > max_factor]
        if high:
            warnings.append(
                Problem(
                    "large-nonresponse-factor",
                    f"classes {describe_codes(high)} have adjustment "
                    f"factors above {max_factor:g} (up to {factor.max():.3g})",
                    severity=Severity.WARNING,
                    hint="collapse sparse classes to limit the variance inflation",
                )
            )
    return finish(
        st,
        "adjust_nonresponse",
        name,
        new,
        by=by,
        classes=table,
        problems=warnings,
        settings={"respondent": respondent, "classes": tuple(class_columns), "max_factor": max_factor},
    )
