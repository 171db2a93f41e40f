"""Jackknife replicate weights built from a Taylor design (R ``as.svrepdesign``, types JK1 and JKn).

Example:
    >>> import pandas as pd
    >>> from survey_toolkit import Design
    >>> f = pd.DataFrame({"w": [2.0, 2.0, 4.0, 4.0], "st": ["a", "a", "b", "b"], "cl": [1, 2, 3, 4]})
    >>> out, design = as_replicates(f, Design(weights="w", strata="st", psu="cl"), "JKn")
    >>> design.replicates.columns, list(out["rep1"])
    (('rep1', 'rep2', 'rep3', 'rep4'), [0.0, 4.0, 4.0, 4.0])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design import Design, Replicates
from ..errors import DesignError, Location, Problem

__all__ = ["as_replicates", "REPLICATE_BUILDS"]

REPLICATE_BUILDS = ("JK1", "JKn", "auto")


def as_replicates(
    frame: pd.DataFrame, design: Design, type: str = "auto", prefix: str = "rep", weight_name: str = "_weight"
) -> tuple[pd.DataFrame, Design]:
    """Delete-one-PSU jackknife replicate weights of a Taylor design, as R ``as.svrepdesign``.

    ``JK1``: one replicate per PSU (strata ignored), the other PSUs' weights times n/(n - 1);
    scale (1 - f)(n - 1)/n. ``JKn``: one replicate per PSU of every stratum with 2+ PSUs, the rest of
    that stratum times n_h/(n_h - 1); rscales (1 - f_h)(n_h - 1)/n_h; certainty strata (f_h = 1) give no
    replicate. A stratum with one PSU follows ``design.lonely_psu`` as R's ``jknweights``: ``remove``
    and ``certainty`` give it no replicate, ``average`` also multiplies the scale by
    (number of PSUs)/(number of replicates), ``adjust`` gives one replicate with the stratum at 0 and
    every other PSU times H/(H - 1) (rscale (H - 1)/H). ``auto``: JKn with strata, JK1 without.

    Returns the frame with the replicate analysis weights added (``prefix1``, ...; the input is not
    changed) and the replicate design (its ``weights`` column, ``weight_name`` when the Taylor design
    computed its weights).
    """
    if type not in REPLICATE_BUILDS:
        raise ValueError(f"type={type!r} is not one of {REPLICATE_BUILDS}")
    if design.replicates is not None:
        raise ValueError("the design already has replicate weights")
    if design.calibration is not None:
        raise ValueError("build replicates from the uncalibrated design, then calibrate each replicate "
                         "(R as.svrepdesign needs an uncalibrated design)")
    prep = design.prepare(frame)
    st = prep.stages[0]
    stratified = design.strata[0] is not None
    kind = ("JKn" if stratified else "JK1") if type == "auto" else type
    psu_group = st.cluster_group  # per PSU
    w = prep.weights
    if kind == "JK1":
        f = np.unique(st.f)
        if f.size > 1:
            raise ValueError("JK1 needs one sampling fraction for all PSUs; use JKn for a stratified fpc")
        n = st.n_clusters
        mult = np.full((n, n), n / (n - 1))
        np.fill_diagonal(mult, 0.0)
        scale, rscales = (1 - f[0]) * (n - 1) / n, None
    else:
        mult, rscales, scale = _jkn(prep, st, psu_group, design)
    analysis = w[:, None] * mult[st.cluster]
    names = [f"{prefix}{r + 1}" for r in range(mult.shape[1])]
    clash = [c for c in names + [weight_name] if c in frame.columns]
    weights = design.weights or weight_name
    if clash and not (clash == [weight_name] and design.weights):
        raise ValueError(f"columns {clash[:3]} already exist: choose another prefix / weight_name")
    out = pd.concat([frame, pd.DataFrame(analysis, columns=names, index=frame.index)], axis=1)
    if design.weights is None:
        out[weight_name] = w
    reps = Replicates(tuple(names), kind, scale=scale, rscales=rscales)
    return out, Design(weights=weights, record_id=design.record_id, population_scale=design.population_scale,
                       replicates=reps)


def _jkn(prep, st, psu_group, design):
    """(PSU x replicate) multipliers, rscales and scale of the stratified jackknife (R ``jknweights``)."""
    H, n_psu = st.n_groups, st.n_clusters
    cols, rscales = [], []
    for h in range(H):  # per stratum, not per row or domain: H small dense blocks
        members = np.flatnonzero(psu_group == h)
        n_h, f_h = members.size, st.f[h]
        if f_h >= 1:
            continue  # certainty stratum: no replicate (R survey.drop.replicates)
        if n_h == 1:
            policy = design.lonely_psu
            if policy == "fail":
                raise DesignError(Problem(
                    "lonely-psu", f"Stratum ({st.group_labels[h]}) has only one PSU at stage 1",
                    Location(field=design.strata[0]), expected="at least 2 PSUs per stratum", got="1 PSU",
                    hint="collapse strata, or choose Design(lonely_psu='adjust' | 'average' | 'remove')"))
            if policy == "adjust":
                col = np.where(psu_group == h, 0.0, H / (H - 1))
                cols.append(col[:, None])
                rscales.append((H - 1) / H)
            continue
        block = np.ones((n_psu, n_h))
        block[members] = n_h / (n_h - 1)
        block[members, np.arange(n_h)] = 0.0
        cols.append(block)
        rscales += [(1 - f_h) * (n_h - 1) / n_h] * n_h
    if not cols:
        raise ValueError("all strata were sampled exhaustively: there is no sampling variance")
    mult = np.hstack(cols)
    scale = n_psu / mult.shape[1] if design.lonely_psu == "average" and mult.shape[1] < n_psu else 1.0
    return mult, rscales, scale
