"""Replicate weights built from a Taylor design (R ``as.svrepdesign``): jackknife (JK1, JKn), balanced
repeated replication (BRR, Fay) and bootstrap (bootstrap, subbootstrap).

Example:
    >>> import pandas as pd
    >>> from survey_toolkit import Design
    >>> f = pd.DataFrame({"w": [2.0, 2.0, 4.0, 4.0], "st": ["a", "a", "b", "b"], "cl": [1, 2, 3, 4]})
    >>> out, design = as_replicates(f, Design(weights="w", strata="st", psu="cl"), "JKn")
    >>> design.replicates.columns, list(out["rep1"])
    (('rep1', 'rep2', 'rep3', 'rep4'), [0.0, 4.0, 4.0, 4.0])
    >>> out, design = as_replicates(f, Design(weights="w", strata="st", psu="cl"), "BRR")
    >>> design.replicates.type, [list(out[c]) for c in design.replicates.columns[:2]]
    ('BRR', [[4.0, 0.0, 8.0, 0.0], [0.0, 4.0, 8.0, 0.0]])
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..design import Design, Replicates
from ..errors import DesignError, Location, Problem
from ._hadamard import MAX_STRATA, hadamard, is_hadamard

__all__ = ["as_replicates", "REPLICATE_BUILDS"]

REPLICATE_BUILDS = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap", "auto")


def as_replicates(
    frame: pd.DataFrame,
    design: Design,
    type: str = "auto",
    prefix: str = "rep",
    weight_name: str = "_weight",
    *,
    rho: float | None = None,
    replicates: int = 50,
    seed: int | np.random.Generator | None = None,
    mse: bool = False,
    hadamard_matrix: np.ndarray | None = None,
) -> tuple[pd.DataFrame, Design]:
    """Replicate weights of a Taylor design, as R ``as.svrepdesign`` (first-stage PSUs and strata).

    - ``JK1``: one replicate per PSU (strata ignored), the other PSUs' weights times n/(n - 1);
      scale (1 - f)(n - 1)/n.
    - ``JKn``: one replicate per PSU of every stratum with 2+ PSUs, the rest of that stratum times
      n_h/(n_h - 1); rscales (1 - f_h)(n_h - 1)/n_h; certainty strata (f_h = 1) give no replicate. A
      stratum with one PSU follows ``design.lonely_psu`` as R's ``jknweights``: ``remove`` and
      ``certainty`` give it no replicate, ``average`` also multiplies the scale by
      (number of PSUs)/(number of replicates), ``adjust`` gives one replicate with the stratum at 0
      and every other PSU times H/(H - 1) (rscale (H - 1)/H).
    - ``BRR`` (``Fay`` with ``rho``): exactly 2 PSUs per stratum. Strata in sorted label order, the PSUs
      of a stratum in order of first appearance; replicate j gives the first PSU of stratum s the
      factor 2 - rho and the second rho when ``H[s + 1, j]`` is 1 (the reverse when 0), with R's
      ``hadamard(number of strata)`` (or ``hadamard_matrix``; as R, its first value counts as 0);
      one replicate per column; scale 1/(R (1 - rho)^2). An fpc is dropped with a warning (as R).
    - ``bootstrap`` (R's Canty-Davison bootstrap): each replicate draws n_h PSUs with replacement in
      every stratum, a PSU's factor being the number of times it was drawn; with an fpc, n_h PSUs
      without replacement from N_h copies of the stratum's PSUs (R ``bootweights``). Scale
      m/((m - 1)(R - 1)), m the harmonic mean of the PSUs per stratum.
    - ``subbootstrap`` (Rao-Wu rescaled bootstrap with n_h - 1 draws): factor = draws x n_h/(n_h - 1),
      scale 1/(R - 1); an fpc is dropped with a warning (R ignores it).
    - ``auto``: JKn with strata, JK1 without.

    The bootstrap draws use ``numpy.random.default_rng(seed)``: the same seed gives the same
    replicates (they are not R's draws: to reproduce an R analysis, read R's replicate weights with
    ``Design(replicates=Replicates(...))``). ``replicates`` is their number (R default 50); ``mse``
    centres the variance at the full-sample estimate (R ``mse=TRUE``).

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
    if type == "Fay" and (rho is None or not 0 < rho < 1):
        raise ValueError("type='Fay' needs rho, with 0 < rho < 1 (R fay.rho)")
    if rho is not None and type != "Fay":
        raise ValueError(f"rho is Fay's coefficient: use type='Fay' (not {type!r})")
    if type in ("bootstrap", "subbootstrap") and (int(replicates) != replicates or replicates < 2):
        raise ValueError(f"replicates must be an integer >= 2, got {replicates!r}")
    prep = design.prepare(frame)
    st = prep.stages[0]
    stratified = design.strata[0] is not None
    kind = ("JKn" if stratified else "JK1") if type == "auto" else type
    if kind in ("JKn", "BRR", "Fay") and not stratified:
        raise ValueError(f"type={kind!r} needs a stratified design (R: 'Must use JK1 or bootstrap for an "
                         "unstratified design')")
    w = prep.weights
    rng = np.random.default_rng(seed)
    rscales = None
    if kind == "JK1":
        f = np.unique(st.f)
        if f.size > 1:
            raise ValueError("JK1 needs one sampling fraction for all PSUs; use JKn for a stratified fpc")
        n = st.n_clusters
        mult = np.full((n, n), n / (n - 1))
        np.fill_diagonal(mult, 0.0)
        scale = (1 - f[0]) * (n - 1) / n
    elif kind == "JKn":
        mult, rscales, scale = _jkn(prep, st, st.cluster_group, design)
    elif kind in ("BRR", "Fay"):
        _drop_fpc(st, kind)
        mult = _brr(st, design, 0.0 if rho is None else float(rho), hadamard_matrix)
        scale = None  # Replicates: 1/R, or 1/(R (1 - rho)^2)
    else:
        if kind == "subbootstrap":
            _drop_fpc(st, kind)
        mult = _bootstrap(st, design, int(replicates), rng, sub=kind == "subbootstrap")
        if kind == "bootstrap":
            m = 1.0 / np.mean(1.0 / st.n)  # harmonic mean of PSUs per stratum
            scale = m / ((m - 1) * (replicates - 1))
        else:
            scale = 1.0 / (replicates - 1)
    analysis = w[:, None] * mult[st.cluster]
    names = [f"{prefix}{r + 1}" for r in range(mult.shape[1])]
    clash = [c for c in names + [weight_name] if c in frame.columns]
    weights = design.weights or weight_name
    if clash and not (clash == [weight_name] and design.weights):
        raise ValueError(f"columns {clash[:3]} already exist: choose another prefix / weight_name")
    out = pd.concat([frame, pd.DataFrame(analysis, columns=names, index=frame.index)], axis=1)
    if design.weights is None:
        out[weight_name] = w
    reps = Replicates(tuple(names), kind, scale=scale, rscales=rscales, rho=rho, mse=mse)
    return out, Design(weights=weights, record_id=design.record_id, population_scale=design.population_scale,
                       replicates=reps)


def _drop_fpc(st, kind: str) -> None:
    if st.has_fpc and np.any(st.f > 0):
        warnings.warn(f"finite population correction dropped in the conversion to {kind} replicates "
                      "(as R as.svrepdesign)", UserWarning, stacklevel=3)


def _lonely_fail(st, design, h: int) -> DesignError:
    return DesignError(Problem(
        "lonely-psu", f"Stratum ({st.group_labels[h]}) has only one PSU at stage 1",
        Location(field=design.strata[0]), expected="at least 2 PSUs per stratum", got="1 PSU",
        hint="collapse strata, or choose Design(lonely_psu='adjust' | 'average' | 'remove')"))


def _brr(st, design, rho: float, given: np.ndarray | None) -> np.ndarray:
    """(PSU x replicate) BRR / Fay factors (R ``brrweights``, every stratum with exactly 2 PSUs)."""
    odd = np.flatnonzero(st.n != 2)
    if odd.size:
        shown = ", ".join(f"{st.group_labels[h]} ({int(st.n[h])} PSUs)" for h in odd[:5])
        raise DesignError(Problem(
            "brr-pairs", f"BRR needs exactly 2 PSUs in every stratum; {odd.size} strata differ: {shown}",
            Location(field=design.strata[0]), expected="2 PSUs per stratum", got=f"{odd.size} strata",
            hint="pair the PSUs into 2-PSU pseudo-strata (variance strata), or use type='JKn' or 'bootstrap'"))
    H = st.n_groups
    if given is None:
        if H > MAX_STRATA:
            raise ValueError(f"BRR with {H} strata: pass hadamard_matrix= (a Hadamard matrix of order > {H})")
        had = hadamard(H)
    else:
        g = np.asarray(given)
        values = pd.unique(g.ravel(order="F"))
        if g.ndim != 2 or values.size != 2 or g.shape[0] < H + 1:
            raise ValueError(f"hadamard_matrix must be a two-valued matrix with at least {H + 1} rows")
        had = np.where(g == values[0], 0, 1)
        if not is_hadamard(had):
            raise ValueError("hadamard_matrix is not a Hadamard matrix (its rows are not orthogonal)")
    rank = np.argsort(np.argsort(np.array(st.group_labels, dtype=object)))  # sorted label order
    first = np.full(st.n_clusters, np.iinfo(np.int64).max)
    np.minimum.at(first, st.cluster, np.arange(st.cluster.size))
    order = np.lexsort((first, st.cluster_group))  # by stratum, then first appearance
    is_first = np.zeros(st.n_clusters, dtype=bool)
    is_first[order[0::2]] = True
    bits = had[1 + rank[st.cluster_group]] == 1  # (PSU x replicate)
    return np.where(bits == is_first[:, None], 2.0 - rho, rho)


def _bootstrap(st, design, R: int, rng: np.random.Generator, sub: bool) -> np.ndarray:
    """(PSU x replicate) bootstrap factors: draw counts per stratum (R ``bootweights`` /
    ``subbootweights``); one multinomial / hypergeometric draw of all replicates per stratum."""
    mult = np.empty((st.n_clusters, R))
    for h in range(st.n_groups):  # per stratum: all replicates at once
        members = np.flatnonzero(st.cluster_group == h)
        n_h = members.size
        if n_h == 1 and (sub or design.lonely_psu == "fail"):
            if sub:
                raise DesignError(Problem(
                    "lonely-psu", f"Stratum ({st.group_labels[h]}) has only one PSU: the subbootstrap draws "
                    "n - 1 = 0 PSUs there", Location(field=design.strata[0]), expected="at least 2 PSUs",
                    got="1 PSU", hint="collapse strata, or use type='bootstrap'"))
            raise _lonely_fail(st, design, h)
        members = rng.permutation(members)
        if sub:
            counts = rng.multinomial(n_h - 1, np.full(n_h, 1.0 / n_h), size=R) * (n_h / (n_h - 1))
        elif st.f[h] > 0:
            N = int(np.floor(n_h / st.f[h] + 1e-6))
            copies = np.full(n_h, N // n_h) + (np.arange(n_h) < N % n_h)
            counts = rng.multivariate_hypergeometric(copies, n_h, size=R)
        else:
            counts = rng.multinomial(n_h, np.full(n_h, 1.0 / n_h), size=R)
        mult[members] = counts.T
    return mult


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
                raise _lonely_fail(st, design, h)
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
