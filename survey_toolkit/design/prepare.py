"""A Design checked against a frame: every row's weights, stage codes, fpc and replicates, into a PreparedDesign."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..codes import display_value
from ..errors import DesignError, Location, Problem, did_you_mean
from .model import CERTAINTY_TOL, Design, PreparedDesign, PreparedReplicates, Stage

#: at most this many rows are named in one summarised problem
MAX_ROWS_NAMED = 5
_FLOAT_INT = re.compile(r"^\s*([+-]?\d+)\.0*\s*$")


def _row_location(frame: pd.DataFrame, pos: int, field_: str | None, record_col: str | None) -> Location:
    if "_source_row" in frame.columns:
        try:
            row = int(frame["_source_row"].iloc[pos])
        except (TypeError, ValueError):
            row = pos + 2
    else:
        row = pos + 2
    rid = None
    if record_col is not None and record_col in frame.columns:
        val = frame[record_col].iloc[pos]
        rid = None if pd.isna(val) else str(val)
    return Location(row=row, field=field_, record_id=rid)


def _rows_problem(
    frame: pd.DataFrame,
    positions: np.ndarray,
    code: str,
    what: str,
    field_: str,
    record_col: str | None,
    expected: str,
    got: str,
    hint: str,
) -> Problem:
    """One problem for many rows: the first row located, the first few named, the count given."""
    loc = _row_location(frame, int(positions[0]), field_, record_col)
    rows = [_row_location(frame, int(p), None, None).row for p in positions[:MAX_ROWS_NAMED]]
    listed = ", ".join(str(r) for r in rows)
    more = f" and {positions.size - MAX_ROWS_NAMED} more" if positions.size > MAX_ROWS_NAMED else ""
    noun = "row" if positions.size == 1 else "rows"
    msg = f"{what} in column '{field_}' on {positions.size} {noun} ({listed}{more})"
    return Problem(code, msg, loc, expected=expected, got=got, hint=hint, count=int(positions.size))


def _labels(series: pd.Series) -> pd.Series:
    """Design codes as labels: integral floats become ints, '1.0' strings become '1'."""
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object).where(s.notna(), None)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype(object)
    if pd.api.types.is_integer_dtype(s.dtype) and not isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
        return s  # plain integers are their own labels
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = pd.to_numeric(s, errors="coerce").astype(float)
        finite = vals.dropna()
        if finite.size and np.all(np.mod(finite.to_numpy(), 1.0) == 0):
            return vals.astype("Int64")
        return vals

    def norm(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v).strip()
        m = _FLOAT_INT.match(text)
        return m.group(1) if m else text

    return s.map(norm).astype(object)


def _codes(labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted integer codes (canonical order) and the unique labels; -1 for missing."""
    try:
        codes, uniques = pd.factorize(labels, sort=True, use_na_sentinel=True)
    except TypeError:
        codes, uniques = pd.factorize(labels.astype(str).where(labels.notna()), sort=True)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _combine(*codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the combination of several code arrays (lexicographic order), and first row per code."""
    key = np.zeros(codes[0].shape[0], dtype=np.int64)
    size = 1
    for c in codes:
        base = int(c.max()) + 1 if c.size else 1
        key = key * base + c
        size *= base
    n = key.shape[0]
    if size <= max(4 * n, 1 << 20):  # dense key range: bincount instead of a sort
        present = np.bincount(key, minlength=size) > 0
        mapping = np.cumsum(present) - 1
        first = np.full(size, n, dtype=np.int64)
        np.minimum.at(first, key, np.arange(n, dtype=np.int64))
        return mapping[key].astype(np.int64), first[present]
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    return inv.astype(np.int64), first


def _missing_columns(design: Design, frame: pd.DataFrame) -> list[Problem]:
    probs = []
    for col in design.columns():
        if col not in frame.columns:
            probs.append(
                Problem(
                    "missing-design-column",
                    f"design column '{col}' is not in the data",
                    Location(field=col),
                    expected="a column of the frame",
                    got="no such column",
                    hint=did_you_mean(col, [str(c) for c in frame.columns])
                    or "check the column names in the design",
                )
            )
    return probs


def _check_weights(design: Design, frame: pd.DataFrame, record_col: str | None) -> tuple[np.ndarray, list]:
    col = design.weights or design.probs
    if col is None:
        return np.ones(len(frame)), []
    raw = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
    problems = []
    missing = np.flatnonzero(np.isnan(raw))
    if missing.size:
        problems.append(
            _rows_problem(
                frame,
                missing,
                "missing-weight",
                "missing or non-numeric weight",
                col,
                record_col,
                "a number >= 0",
                "missing",
                "fix or remove these rows; give 0 to exclude a row",
            )
        )
    if design.probs is not None:
        bad = np.flatnonzero(~np.isnan(raw) & ((raw <= 0) | (raw > 1)))
        if bad.size:
            problems.append(
                _rows_problem(
                    frame,
                    bad,
                    "invalid-probability",
                    "inclusion probability outside (0, 1]",
                    col,
                    record_col,
                    "0 < p <= 1",
                    f"{raw[bad[0]]:g}",
                    "check the probs column",
                )
            )
        w = 1.0 / raw
    else:
        w = raw
        bad = np.flatnonzero(~np.isnan(raw) & ((raw < 0) | ~np.isfinite(raw)))
        if bad.size:
            problems.append(
                _rows_problem(
                    frame,
                    bad,
                    "negative-weight",
                    "negative or infinite weight",
                    col,
                    record_col,
                    "a finite number >= 0",
                    f"{raw[bad[0]]:g}",
                    "weights must be >= 0; a zero weight puts the row outside every domain",
                )
            )
    return w, problems


def _stage_labels(design: Design, frame: pd.DataFrame, record_col: str | None):
    """Per stage: (strata labels or None, cluster labels or None, fpc values or None), plus problems."""
    problems: list[Problem] = []
    out = []
    for s in range(design.n_stages):
        strat_col = design.strata[s]
        psu_col = design.psu[s] if s < len(design.psu) else None
        fpc_col = design.fpc[s]
        st = _labels(frame[strat_col]) if strat_col else None
        cl = _labels(frame[psu_col]) if psu_col else None
        fp = pd.to_numeric(frame[fpc_col], errors="coerce").astype(float).to_numpy() if fpc_col else None
        for col, lab in ((strat_col, st), (psu_col, cl)):
            if lab is not None:
                miss = np.flatnonzero(lab.isna().to_numpy())
                if miss.size:
                    problems.append(
                        _rows_problem(
                            frame,
                            miss,
                            "missing-design-code",
                            "missing design code",
                            col,
                            record_col,
                            "a stratum or cluster label",
                            "missing",
                            "every row needs its stratum and cluster codes",
                        )
                    )
        if fp is not None:
            miss = np.flatnonzero(~np.isfinite(fp) | (fp <= 0))
            if miss.size:
                problems.append(
                    _rows_problem(
                        frame,
                        miss,
                        "missing-fpc",
                        "missing or non-positive fpc",
                        fpc_col,
                        record_col,
                        "a population size >= 1 or a sampling fraction in (0, 1]",
                        "missing or <= 0",
                        "give the stratum population size or sampling fraction on every row",
                    )
                )
        out.append((st, cl, fp))
    return out, problems


def _prepare(design: Design, frame: pd.DataFrame) -> PreparedDesign:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("prepare() needs a pandas DataFrame")
    problems = _missing_columns(design, frame)
    if problems:
        raise DesignError(problems)
    record_col = design.record_id or ("_record_id" if "_record_id" in frame.columns else None)
    weights, wprobs = _check_weights(design, frame, record_col)
    labels, lprobs = _stage_labels(design, frame, record_col)
    if lprobs:
        raise DesignError(wprobs + lprobs)
    stages, sprobs = _build_stages(design, frame, labels, record_col)
    problems = wprobs + sprobs  # weight problems are reported with the structural ones
    if problems:
        raise DesignError(problems)
    if design.weights is None and design.probs is None and all(st.has_fpc for st in stages):
        weights = _weights_from_fpc(stages)
    replicates = None
    if design.replicates is not None:
        replicates, rprobs = _prepare_replicates(design, frame, np.asarray(weights, float), record_col)
        if rprobs:
            raise DesignError(rprobs)
    prep = PreparedDesign(design=design, weights=np.asarray(weights, float), stages=tuple(stages),
                          index=frame.index, replicates=replicates)
    late = _calibration_problems(design, len(frame))
    if design.lonely_psu == "fail":
        late += _lonely_problems(prep)
    if late:
        raise DesignError(late)
    return prep


@dataclass
class _Parent:
    """What a stage needs from the stage above: cluster per row, sampling fraction and label per cluster."""

    cluster: np.ndarray
    frac: np.ndarray
    labels: list[str]


def _build_stages(design: Design, frame: pd.DataFrame, labels, record_col) -> tuple[list[Stage], list[Problem]]:
    n = len(frame)
    parent = _Parent(np.zeros(n, dtype=np.int64), np.ones(1), [""])  # one root "cluster" above stage 1
    stages: list[Stage] = []
    problems: list[Problem] = []
    for s, (st_lab, cl_lab, fpc) in enumerate(labels):
        stage, probs, parent = _build_stage(design, frame, s, st_lab, cl_lab, fpc, parent, record_col,
                                            last=s + 1 == len(labels))
        stages.append(stage)
        problems += probs
    return stages, problems


def _build_stage(design, frame, s, st_lab, cl_lab, fpc, parent: _Parent, record_col, last: bool):
    """One stage's codes: groups = (parent cluster, stratum), clusters nested in groups."""
    n = len(frame)
    problems: list[Problem] = []
    if st_lab is not None:
        st_codes, st_uniq = _codes(st_lab)
    else:
        st_codes, st_uniq = np.zeros(n, np.int64), np.array([""], object)
    group, gfirst = _combine(parent.cluster, st_codes)
    if cl_lab is None:
        cl_codes, cl_uniq = np.arange(n, dtype=np.int64), None
    else:
        cl_codes, cl_uniq = _codes(cl_lab)
        if s == 0 and not design.nest and st_lab is not None:
            problems += _psu_nesting(frame, cl_codes, cl_uniq, st_codes, st_uniq, design, record_col)
    cluster, cfirst = _combine(group, cl_codes)
    cluster_group = group[cfirst]
    n_groups = int(gfirst.size)
    n_per = np.bincount(cluster_group, minlength=n_groups).astype(float)
    mult = parent.frac[parent.cluster[gfirst]]
    f = np.zeros(n_groups)
    if fpc is not None:
        f, fprobs = _fractions(frame, fpc, group, gfirst, n_per, design.fpc[s], s, record_col)
        problems += fprobs
    glabels = _group_labels(st_uniq, st_codes, gfirst, parent.labels, parent.cluster)
    stage = Stage(cluster, int(cfirst.size), cluster_group, n_groups, n_per, f, mult, glabels, fpc is not None,
                  parent.cluster[gfirst], int(parent.frac.size))
    child_labels: list[str] = []
    if not last:  # labels of this stage's clusters, for the groups of the next stage
        own = [display_value(cl_uniq[cl_codes[i]]) for i in cfirst] if cl_uniq is not None else [f"row {i + 2}" for i in cfirst]
        child_labels = [f"{glabels[g]}/{c}" if glabels[g] else c for g, c in zip(cluster_group, own, strict=True)]
    return stage, problems, _Parent(cluster, (mult * f)[cluster_group], child_labels)


def _calibration_problems(design: Design, n: int) -> list[Problem]:
    cal_w = getattr(design.calibration, "weights", None)
    if cal_w is None or np.shape(cal_w)[0] == n:
        return []
    return [Problem("calibration-frame-mismatch",
                    f"the calibration was made on {np.shape(cal_w)[0]} rows but the frame has {n}",
                    expected=f"{n} rows", got=f"{np.shape(cal_w)[0]} rows",
                    hint="estimate on the frame returned by the weighting step")]


def _group_labels(
    st_uniq: np.ndarray,
    st_codes: np.ndarray,
    gfirst: np.ndarray,
    parent: list[str],
    parent_cluster: np.ndarray,
) -> tuple[str, ...]:
    """Labels of the variance groups: the stratum at stage 1; parent cluster (/stratum) below."""
    has_strata = bool(st_uniq.size) and st_uniq[0] != ""
    out = []
    for i in gfirst:
        head = parent[parent_cluster[i]]
        stratum = display_value(st_uniq[st_codes[i]]) if has_strata else ""
        out.append("/".join(x for x in (head, stratum) if x))
    return tuple(out)


def _psu_nesting(frame, cl_codes, cl_uniq, st_codes, st_uniq, design, record_col) -> list[Problem]:
    inv, first = _combine(cl_codes, st_codes)
    pairs = np.stack([cl_codes[first], st_codes[first]], axis=1)
    counts = np.bincount(pairs[:, 0], minlength=cl_uniq.size)
    bad = np.flatnonzero(counts > 1)
    problems = []
    for c in bad[:MAX_ROWS_NAMED]:
        strata = [display_value(st_uniq[s]) for s in pairs[pairs[:, 0] == c, 1]]
        rows = np.flatnonzero(cl_codes == c)
        loc = _row_location(frame, int(rows[0]), design.psu[0], record_col)
        problems.append(
            Problem(
                "psu-in-several-strata",
                f"PSU '{display_value(cl_uniq[c])}' appears in {len(strata)} strata ({', '.join(strata)})",
                loc,
                expected="each PSU in exactly one stratum",
                got=f"strata {', '.join(strata)}",
                hint="if PSU ids restart within each stratum, add 'nest: true' to the design section of "
                "survey.yaml (Python: Design(..., nest=True)); otherwise fix the PSU or stratum codes",
                count=int(bad.size),
            )
        )
    return problems


def _fractions(frame, fpc, group, gfirst, n_per, col, stage, record_col):
    """Sampling fraction per group from a population size or a fraction; problems for bad fpc."""
    problems = []
    vals = fpc[gfirst]
    diff = np.flatnonzero(fpc != vals[group])
    if diff.size:
        problems.append(
            _rows_problem(
                frame,
                diff,
                "fpc-varies-in-stratum",
                "fpc differs within a stratum",
                col,
                record_col,
                "one fpc value per stratum",
                "several values",
                "give the same fpc on every row of a stratum",
            )
        )
    if np.any(vals > 1) and np.any(vals < 1):
        rows = np.flatnonzero(fpc < 1)
        problems.append(
            Problem(
                "mixed-fpc",
                f"fpc column '{col}' mixes population sizes (> 1) and sampling fractions (< 1) at stage {stage + 1}",
                _row_location(frame, int(rows[0]), col, record_col),
                expected="all population sizes (>= 1) or all sampling fractions (<= 1)",
                got=f"values from {vals.min():g} to {vals.max():g}",
                hint="convert the column to one form",
            )
        )
        return np.zeros_like(vals), problems
    if np.all(vals <= 1):
        f = vals.astype(float)
    else:
        small = np.flatnonzero(vals < n_per)
        if small.size:
            g = small[0]
            rows = np.flatnonzero(group == g)
            problems.append(
                Problem(
                    "fpc-below-sample",
                    f"population size {vals[g]:g} in fpc column '{col}' is smaller than the {int(n_per[g])} "
                    f"sampled units at stage {stage + 1}",
                    _row_location(frame, int(rows[0]), col, record_col),
                    expected=f"a population size >= {int(n_per[g])}",
                    got=f"{vals[g]:g}",
                    hint="fpc must be the number of units in the population of the stratum, or a fraction",
                    count=int(small.size),
                )
            )
        f = n_per / vals
    f = np.where((1 - f) < CERTAINTY_TOL, 1.0, f)
    return f, problems


def _weights_from_fpc(stages: list[Stage]) -> np.ndarray:
    """w = product over stages of N/n (R svydesign without weights but with population-size fpc)."""
    w = np.ones(stages[0].cluster.shape[0])
    for st in stages:
        g = st.cluster_group[st.cluster]
        f = st.f[g]
        w = w / np.where(f > 0, f, 1.0)
    return w


def _lonely_problems(prep: PreparedDesign) -> list[Problem]:
    problems = []
    for s, st in enumerate(prep.stages):
        if s > 0 and not np.any(st.mult > 0):
            break
        lonely = np.flatnonzero((st.n == 1) & (st.f < 1) & (st.mult > 0))
        for g in lonely[:MAX_ROWS_NAMED]:
            label = st.group_labels[g] if st.group_labels else str(g)
            where = f"Stratum ({label})" if label else "The sample (no strata)"
            problems.append(
                Problem(
                    "lonely-psu",
                    f"{where} has only one PSU at stage {s + 1}",
                    Location(
                        field=prep.design.strata[s]
                        or (prep.design.psu[s] if s < len(prep.design.psu) else None)
                    ),
                    expected="at least 2 PSUs per stratum",
                    got="1 PSU",
                    hint="collapse strata, or set 'lonely_psu: adjust' (or average, remove, certainty) under "
                    "'design:' in survey.yaml (Python: Design(lonely_psu='adjust'))",
                    count=int(lonely.size),
                )
            )
    return problems


def _prepare_replicates(
    design: Design, frame: pd.DataFrame, weights: np.ndarray, record_col: str | None
) -> tuple[PreparedReplicates | None, list[Problem]]:
    """Replicate factors (analysis weight / sampling weight) and scales; problems for bad values."""
    spec = design.replicates
    problems: list[Problem] = []
    cols = []
    for col in spec.columns:
        raw = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
        bad = np.flatnonzero(~np.isfinite(raw) | (raw < 0))
        if bad.size:
            problems.append(_rows_problem(
                frame, bad, "bad-replicate-weight", "missing, negative or non-numeric replicate weight", col,
                record_col, "a number >= 0", "missing or < 0",
                "every row needs every replicate weight (R: 'Missing values not allowed in repweights')"))
        cols.append(raw)
    if problems:
        return None, problems
    rep = np.column_stack(cols)
    analysis = rep if spec.combined_weights else rep * weights[:, None]
    orphan = np.flatnonzero((weights == 0) & np.any(analysis > 0, axis=1))
    if orphan.size:
        problems.append(_rows_problem(
            frame, orphan, "replicate-weight-without-weight", "replicate weight > 0 where the sampling weight is 0",
            spec.columns[0], record_col, "replicate weights 0 where the sampling weight is 0", "> 0",
            "check the weight column: a zero sampling weight puts the row outside every domain"))
        return None, problems
    factors = np.divide(analysis, weights[:, None], out=np.zeros_like(analysis), where=weights[:, None] > 0)
    scale, rscales = spec.scales(weights, analysis)
    return PreparedReplicates(factors, scale, rscales, bool(spec.mse), spec.df, spec.type), problems
