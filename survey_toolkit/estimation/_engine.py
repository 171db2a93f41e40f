"""Taylor-linearisation variance for many domains at once, from a few grouped sums.

Every estimator in this package is linear in two per-row arrays once the domain is fixed: the
linearised contribution of row k to domain d is ``x_k(d) = c1[d] * a[k] + c2[d] * b[k]`` for rows
with ``dom[k] == d`` (and 0 elsewhere). For a ratio R = Y/X (a mean: x = 1; a proportion: y = 1[y=c])
``a = w*y``, ``b = w*x``, ``c1 = 1/X_d``, ``c2 = -R_d/X_d``; for a total ``a = w*y`` and ``c1 = 1``.

The variance of stage s (statistics.md §2.1, §2.5, §3, §5) is

    V_s[d] = sum_g mult_g (1 - f_g) n_g/(n_g - 1) (sum_i z_gid^2 - (sum_i z_gid)^2 / n_g)

where z_gid is the total of x(d) over cluster i of group g. Only the (cluster, domain) cells that
contain rows are ever materialised, so the work is a handful of ``np.bincount`` calls over the rows
and over the cells, whatever the number of domains; n_g counts the clusters of the full design, so
clusters without domain rows enter with z = 0 (domain estimation by zero weights, never row deletion).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from threadpoolctl import ThreadpoolController

from ..design import PreparedDesign, Stage

__all__ = ["Partition", "Cells", "Linear", "linear_variance", "domain_df"]

#: dense (cluster x domain) cell grids up to this many cells; above, observed cells only
_DENSE_CELLS = 1 << 23


@dataclass(frozen=True, eq=False)
class Partition:
    """Rows split into ``n`` domains: ``dom[k]`` in 0..n-1, or -1 for rows outside every domain."""

    dom: np.ndarray
    n: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "inside", self.dom >= 0)


@dataclass(frozen=True, eq=False)
class Cells:
    """(cluster, domain) cells of one stage: per-row cell index (``n_cells`` = outside) and cell keys."""

    inv: np.ndarray
    n_cells: int
    cell_cluster: np.ndarray
    cell_dom: np.ndarray

    @classmethod
    def build(cls, stage: Stage, part: Partition) -> Cells:
        D = part.n
        size = stage.n_clusters * D
        if size <= max(_DENSE_CELLS, 2 * part.dom.size):  # compact the observed cells without sorting
            key = np.where(part.inside, stage.cluster * D + part.dom, size)
            present = np.bincount(key, minlength=size + 1)[:size] > 0
            cells = np.flatnonzero(present)
            mapping = np.full(size + 1, cells.size, dtype=np.int64)
            mapping[cells] = np.arange(cells.size)
            return cls(mapping[key], int(cells.size), cells // D, cells % D)
        key = stage.cluster[part.inside] * D + part.dom[part.inside]
        uniq, sub = np.unique(key, return_inverse=True)
        inv = np.full(part.dom.size, uniq.size, dtype=np.int64)
        inv[part.inside] = sub
        return cls(inv, int(uniq.size), uniq // D, uniq % D)

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-cell sums of a per-row array."""
        return np.bincount(self.inv, weights=values, minlength=self.n_cells + 1)[: self.n_cells]


@dataclass(frozen=True, eq=False)
class Linear:
    """The linearised statistic: per-row ``a``, ``b`` and per-domain ``c1``, ``c2`` (see module doc)."""

    a: np.ndarray
    b: np.ndarray | None
    c1: np.ndarray
    c2: np.ndarray | None


class _Cache:
    """Cells per stage for one partition, shared by every variable of one call."""

    def __init__(self, prep: PreparedDesign, part: Partition) -> None:
        self.prep = prep
        self.part = part
        self._cells: dict[int, Cells] = {}
        self._keys: dict[int, np.ndarray] = {}

    def projector(self, n_stages: int):
        """The calibration's domain projector for the first ``n_stages`` stages, or None (generic hook)."""
        if "_projector" not in self.__dict__:
            cal = self.prep.design.calibration
            make = getattr(cal, "domain_projector", None)
            stages = self.prep.stages[:n_stages]
            self.__dict__["_projector"] = (
                None if make is None else make([st.cluster for st in stages], [st.n_clusters for st in stages])
            )
        return self.__dict__["_projector"]

    def bound(self, proj):
        """Rows inside a domain (None: all), their domains, and the projector bound to them."""
        if "_bound" not in self.__dict__:
            inside = self.part.inside
            rows = None if inside.all() else np.flatnonzero(inside)
            d_in = self.part.dom if rows is None else self.part.dom[rows]
            with _one_blas_thread():
                self.__dict__["_bound"] = (rows, d_in, proj.bind(rows, d_in, self.part.n))
        return self.__dict__["_bound"]

    def projected(self, s: int, G: np.ndarray) -> _Projected:
        key = f"_projected{s}"
        if key not in self.__dict__:
            self.__dict__[key] = _Projected.build(self.prep.stages[s], G, self.part.n, self.cells(s).n_cells)
        return self.__dict__[key]

    def cells(self, s: int) -> Cells:
        if s not in self._cells:
            self._cells[s] = Cells.build(self.prep.stages[s], self.part)
        return self._cells[s]

    def group_key(self, s: int) -> np.ndarray:
        """Per cell of stage s: variance group x domain key."""
        if s not in self._keys:
            cells = self.cells(s)
            self._keys[s] = (
                self.prep.stages[s].cluster_group[cells.cell_cluster] * self.part.n + cells.cell_dom
            )
        return self._keys[s]


def make_cache(prep: PreparedDesign, part: Partition) -> _Cache:
    return _Cache(prep, part)


def _cell_z(cells: Cells, lin: Linear, pre: tuple | None = None) -> np.ndarray:
    a_cells = pre[0] if pre is not None else cells.sum(lin.a)
    z = a_cells * lin.c1[cells.cell_dom]
    if lin.b is not None:
        b_cells = pre[1] if pre is not None and pre[1] is not None else cells.sum(lin.b)
        z += b_cells * lin.c2[cells.cell_dom]
    return z


def _group_sums(
    stage: Stage,
    cell_cluster: np.ndarray,
    cell_dom: np.ndarray,
    D: int,
    vals: list[np.ndarray],
    key: np.ndarray | None = None,
):
    size = stage.n_groups * D
    if key is None:
        key = stage.cluster_group[cell_cluster] * D + cell_dom
    return [np.bincount(key, weights=v, minlength=size).reshape(stage.n_groups, D) for v in vals]


def _stage_variance(
    prep: PreparedDesign,
    stage: Stage,
    cell_cluster: np.ndarray,
    cell_dom: np.ndarray,
    z: np.ndarray,
    members: np.ndarray | None,
    D: int,
    key: np.ndarray | None = None,
    given: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Variance contribution of one stage per domain, and the number of domain-lonely strata.

    ``given``: the per (group, domain) sums of z and z^2 when the caller has them (then the cell
    arguments are not used).
    """
    design = prep.design
    if given is not None:
        sums = list(given)
    else:
        vals = [z, z * z]
        if members is not None:
            vals.append((members > 0).astype(float))
        sums = _group_sums(stage, cell_cluster, cell_dom, D, vals, key)
    S, SS = sums[0], sums[1]
    n = stage.n[:, None]
    coef = (stage.mult * (1.0 - stage.f))[:, None]
    ok = n >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(ok, n / np.maximum(n - 1, 1) * (SS - S * S / n), 0.0)
    contrib = coef * base
    lone = np.broadcast_to((stage.n == 1)[:, None] & (stage.f < 1)[:, None], S.shape)
    dom_lonely = np.zeros(D, dtype=np.int64)
    if members is not None:
        dl = (sums[2] == 1) & ok & (coef > 0)
        dom_lonely = dl.sum(axis=0)
        if design.adjust_domain_lonely and design.lonely_psu in ("adjust", "average"):
            lone = lone | dl
    policy = design.lonely_psu
    if policy == "adjust":
        # a lone PSU total is centred at c instead of its stratum mean: (z - c)^2; a stratum with a
        # single PSU inside the domain keeps its n_h/(n_h - 1): n_h/(n_h - 1) sum_i (z_hi - c)^2
        centre = 0.0 if design.lonely_centre == "zero" else S.sum(axis=0) / stage.n_clusters
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(ok, n / np.maximum(n - 1, 1), 1.0)
        centred = factor * (SS - 2 * centre * S + n * centre * centre)
        contrib = np.where(lone, coef * centred, contrib)
    elif policy == "average":
        present = sums[2] > 0 if members is not None else np.ones(S.shape, dtype=bool)
        return _average(stage, np.where(lone, 0.0, contrib), present, lone & present), dom_lonely
    return contrib.sum(axis=0), dom_lonely


def _average(stage: Stage, contrib: np.ndarray, present: np.ndarray, lonely: np.ndarray) -> np.ndarray:
    """``lonely_psu="average"``: per parent cluster, the sum over its strata times H / H_ok.

    H counts the strata of the parent that have domain members (every stratum on calibrated designs,
    whose domains keep all rows, as R does), H_ok those of them that are not lonely. A parent whose
    present strata are all lonely gives NaN (R: 0 * H / 0).
    """
    parent = stage.group_parent if stage.group_parent is not None else np.zeros(stage.n_groups, np.int64)

    def by_parent(values: np.ndarray) -> np.ndarray:
        if stage.n_parents == 1:
            return values.sum(axis=0, keepdims=True)
        out = np.zeros((stage.n_parents, values.shape[1]))
        np.add.at(out, parent, values)
        return out

    total = by_parent(contrib)
    H = by_parent(present.astype(float))
    H_ok = H - by_parent(lonely.astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(H > 0, total * H / H_ok, 0.0)
    return scaled.sum(axis=0)


def _calibration_terms(prep: PreparedDesign, part: Partition, lin: Linear):
    """Per-model coefficients b_m (p_m x D) of the residualisation x - sum_m W_m X_m b_m."""
    D = part.n
    dom = part.dom
    inside = part.inside
    models = prep.calibration * max(prep.sweeps, 1)
    betas = []
    for m, model in enumerate(models):
        wm = prep.weights if model.weights is None else model.weights
        X = model.X
        A = X.T @ (X * wm[:, None])
        Xx = np.empty((X.shape[1], D))
        for j in range(X.shape[1]):
            col = np.where(inside, X[:, j], 0.0)
            t = np.bincount(dom[inside], weights=(col * lin.a)[inside], minlength=D) * lin.c1
            if lin.b is not None:
                t += np.bincount(dom[inside], weights=(col * lin.b)[inside], minlength=D) * lin.c2
            Xx[j] = t
        for k in range(m):
            prev = models[k]
            wk = prep.weights if prev.weights is None else prev.weights
            Xx -= (X.T @ (prev.X * wk[:, None])) @ betas[k]
        betas.append(np.linalg.pinv(A) @ Xx)
    return models, betas


def _calibrated_cells(prep, stage, cells, z, part, models, betas):
    """Dense (cluster x domain) totals of the residualised linearised values."""
    D = part.n
    Z = np.zeros((stage.n_clusters, D))
    np.add.at(Z, (cells.cell_cluster, cells.cell_dom), z)
    for model, beta in zip(models, betas, strict=False):
        wm = prep.weights if model.weights is None else model.weights
        WX = model.X * wm[:, None]
        C = np.vstack(
            [
                np.bincount(stage.cluster, weights=WX[:, j], minlength=stage.n_clusters)
                for j in range(WX.shape[1])
            ]
        ).T
        Z -= C @ beta
    ar = np.arange(stage.n_clusters * D)
    return ar // D, ar % D, Z.ravel()


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS limited to one thread: the calibration products are small and many, and a multithreaded
    BLAS spends 100x their cost waking threads when the cores are busy (measured on 2 shared cores)."""
    return _blas_controller().limit(limits=1, user_api="blas")


#: dense (cluster x domain) residual totals up to this many cells; above, sums by quadratic forms
_DENSE_RESID = 1 << 24


@dataclass(frozen=True, eq=False)
class _Projected:
    """What the residual sums of one stage need from the calibration factors' cluster totals ``G``
    (independent of the statistic, so built once per call): G as a sparse matrix (a cluster usually
    touches one category of each margin), the stratum membership of the clusters, the stratum totals
    of G and, for the quadratic-form route, the non-zero entries (stratum g, a <= b, value) of
    ``M_g = sum over the clusters of g of G_i G_i'`` (off-diagonal values doubled)."""

    G: sparse.csr_matrix
    member: sparse.csr_matrix
    GH: np.ndarray
    quad: tuple[np.ndarray, np.ndarray, np.ndarray, sparse.csr_matrix] | None

    @classmethod
    def build(cls, stage: Stage, G: np.ndarray, D: int, n_cells: int) -> _Projected:
        H, nc = stage.n_groups, stage.n_clusters
        p = G.shape[1]
        Gs = sparse.csr_matrix(G)
        member = sparse.csr_matrix((np.ones(nc), (stage.cluster_group, np.arange(nc))), shape=(H, nc))
        rows = np.repeat(np.arange(nc), np.diff(Gs.indptr))
        K = sparse.csr_matrix((Gs.data, (rows, stage.cluster_group[rows] * p + Gs.indices)), shape=(nc, H * p))
        M = (K.T @ Gs).tocoo()  # stacked M_g: row g * p + a, column b
        g, a, b = M.row // p, M.row % p, M.col
        upper = (a <= b) & (M.data != 0)
        g, a, b = g[upper], a[upper], b[upper]
        val = np.where(a == b, 1.0, 2.0) * M.data[upper]
        dense_cost = (Gs.nnz + 6 * nc) * D
        quad_cost = 3 * val.size * D + 4 * n_cells
        quad = None
        if nc * D > _DENSE_RESID or quad_cost < dense_cost:
            Q = sparse.csr_matrix((np.ones(val.size), (g, np.arange(val.size))), shape=(H, val.size))
            quad = (a, b, val, Q)
        return cls(Gs, member, np.asarray(member @ G), quad)


def _projected_sums(stage: Stage, cells: Cells, z: np.ndarray, proj: _Projected, C: np.ndarray, D: int):
    """Per (group, domain) sums of the residual cluster totals ``Z = Zx - G @ C`` and of their squares.

    ``z`` are the observed (cluster, domain) cell totals of x, ``G`` the cluster totals of the
    calibration factors and ``C`` their coefficients for every domain (see ``DomainProjector``). All
    domains at once, by whichever of two exact routes costs fewer operations: the dense
    (cluster x domain) grid, or per stratum
    ``sum_i Z_id^2 = sum_i zx_id^2 - 2 sum_i zx_id G_i C_d + C_d' (sum_i G_i G_i') C_d``.
    """
    H = stage.n_groups
    G = proj.G
    if proj.quad is None:
        Z = -np.asarray(G @ C)
        Z[cells.cell_cluster, cells.cell_dom] += z
        return np.asarray(proj.member @ Z), np.asarray(proj.member @ (Z * Z))
    key = stage.cluster_group[cells.cell_cluster] * D + cells.cell_dom
    Gc = G[cells.cell_cluster]  # the cells' rows of G (sparse)
    cell_of = np.repeat(np.arange(cells.n_cells), np.diff(Gc.indptr))
    fitted = np.bincount(cell_of, weights=Gc.data * C[Gc.indices, cells.cell_dom[cell_of]],
                         minlength=cells.n_cells)
    S = np.bincount(key, weights=z, minlength=H * D).reshape(H, D) - proj.GH @ C
    SS = np.bincount(key, weights=z * (z - 2 * fitted), minlength=H * D).reshape(H, D)
    a, b, val, Q = proj.quad
    block = max(1, _DENSE_RESID // max(D, 1))
    for lo in range(0, val.size, block):  # sum over the entries of M_g of M_g[a, b] C[a, d] C[b, d]
        hi = min(val.size, lo + block)
        SS += np.asarray(Q[:, lo:hi] @ (C[a[lo:hi]] * C[b[lo:hi]] * val[lo:hi, None]))
    return S, SS


#: at most this many float64 cells per block of linearised values passed to ``residualize``
_RESID_BLOCK = 1 << 24


def _residualized_totals(
    prep: PreparedDesign, part: Partition, lin: Linear, n_stages: int
) -> list[np.ndarray]:
    """Cluster totals (per stage, ``(n_clusters, D)``) of the calibration residuals of x(d).

    Builds the per-row linearised values in blocks of domains and hands them to
    ``design.calibration.residualize`` (the generic hook documented in :mod:`survey_toolkit.design`).
    """
    D, dom, inside = part.n, part.dom, part.inside
    n = dom.size
    rows = np.flatnonzero(inside)
    d_in = dom[rows]
    x_in = lin.a[rows] * lin.c1[d_in]
    if lin.b is not None:
        x_in = x_in + lin.b[rows] * lin.c2[d_in]
    totals = [np.zeros((prep.stages[s].n_clusters, D)) for s in range(n_stages)]
    block = max(1, _RESID_BLOCK // max(n, 1))
    for lo in range(0, D, block):
        hi = min(D, lo + block)
        U = np.zeros((n, hi - lo))
        sel = (d_in >= lo) & (d_in < hi)
        U[rows[sel], d_in[sel] - lo] = x_in[sel]
        Rr = np.asarray(prep.design.calibration.residualize(U), dtype=float).reshape(n, hi - lo)
        for s in range(n_stages):
            st = prep.stages[s]
            for j in range(hi - lo):  # columns of one block, not rows
                totals[s][:, lo + j] = np.bincount(st.cluster, weights=Rr[:, j], minlength=st.n_clusters)
    return totals


def linear_variance(
    cache: _Cache, lin: Linear, active: np.ndarray, pre0: tuple | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Variance per domain of the linearised statistic, and domain-lonely strata counts (stage 1).

    ``active`` marks the rows that are members of their domain for this statistic (non-zero weight,
    non-missing value); it only serves to detect strata with a single PSU inside a domain.
    ``pre0`` = (cell sums of a, of b or None, of active) at stage 1, when the caller has them.
    """
    prep, part = cache.prep, cache.part
    D = part.n
    if prep.replicates is not None:
        return replicate_variance(prep.replicates, *replicate_estimates(cache, lin)), np.zeros(D, np.int64)
    V = np.zeros(D)
    dom_lonely = np.zeros(D, dtype=np.int64)
    calib = _calibration_terms(prep, part, lin) if prep.calibration else None
    n_stages = next((s for s, st in enumerate(prep.stages) if not np.any(st.mult > 0)), len(prep.stages))
    resid = proj = None
    if prep.design.calibration is not None:
        with _one_blas_thread():
            proj = cache.projector(n_stages)
        if proj is None:
            resid = _residualized_totals(prep, part, lin, n_stages)
        else:
            rows, d_in, coefficients = cache.bound(proj)
            sel = slice(None) if rows is None else rows
            x_in = lin.a[sel] * lin.c1[d_in]
            if lin.b is not None:
                x_in += lin.b[sel] * lin.c2[d_in]
            with _one_blas_thread():
                coef = coefficients(x_in)
    for s, stage in enumerate(prep.stages[:n_stages]):
        if proj is not None:
            cells = cache.cells(s)
            z = _cell_z(cells, lin, pre0 if s == 0 else None)
            with _one_blas_thread():
                given = _projected_sums(stage, cells, z, cache.projected(s, proj.sums[s]), coef, D)
            v, dl = _stage_variance(prep, stage, None, None, None, None, D, given=given)
            V += v
            continue
        if resid is not None:
            ar = np.arange(stage.n_clusters * D)
            v, dl = _stage_variance(prep, stage, ar // D, ar % D, resid[s].ravel(), None, D)
            V += v
            continue
        cells = cache.cells(s)
        pre = pre0 if s == 0 else None
        z = _cell_z(cells, lin, pre)
        if calib is None:
            members = pre[2] if pre is not None else cells.sum(active.astype(float))
            v, dl = _stage_variance(
                prep, stage, cells.cell_cluster, cells.cell_dom, z, members, D, cache.group_key(s)
            )
        else:
            cc, cd, zz = _calibrated_cells(prep, stage, cells, z, part, *calib)
            v, dl = _stage_variance(prep, stage, cc, cd, zz, None, D)
        V += v
        if s == 0:
            dom_lonely = dl
    return V, dom_lonely


def _domain_sums(cache: _Cache, values: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """(D x R) sums over each domain's rows of ``values * factors[:, r]``: one sparse-dense product."""
    part = cache.part
    rows = np.flatnonzero(part.inside & (values != 0))
    S = sparse.csr_matrix((values[rows], (part.dom[rows], rows)), shape=(part.n, values.size))
    return np.asarray(S @ factors)


def replicate_estimates(cache: _Cache, lin: Linear) -> tuple[np.ndarray, np.ndarray]:
    """Full-sample and replicate estimates (D,) and (D x R) of the statistic that ``lin`` linearises:
    a total ``c1 * sum a`` (``b`` None) or a ratio ``sum a / sum b`` (means, proportions, ratios), with the
    replicate weights as one matrix product for all domains and replicates."""
    F = cache.prep.replicates.factors
    part = cache.part
    with _one_blas_thread():
        Y_r = _domain_sums(cache, lin.a, F)
        Y = np.bincount(part.dom[part.inside], weights=lin.a[part.inside], minlength=part.n)
        if lin.b is None:
            return lin.c1 * Y, lin.c1[:, None] * Y_r
        X_r = _domain_sums(cache, lin.b, F)
        X = np.bincount(part.dom[part.inside], weights=lin.b[part.inside], minlength=part.n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Y / X, Y_r / X_r


def replicate_variance(reps, theta: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """v = scale * sum_r rscales_r (theta_r - centre)^2 per row of ``thetas`` (statistics.md §11.1).

    The centre is the full-sample estimate (``mse``) or the mean of the replicates with rscales > 0.
    Replicates that give NaN (e.g. a domain without rows in a replicate) are dropped for that
    statistic, as R's default ``na.action`` does; all NaN gives NaN.
    """
    ok = np.isfinite(thetas)
    use = ok & (reps.rscales > 0)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = theta if reps.mse else np.where(use, thetas, 0.0).sum(axis=1) / use.sum(axis=1)
        dev = np.where(ok, thetas - centre[:, None], 0.0)
        v = reps.scale * (dev * dev * reps.rscales[None, :]).sum(axis=1)
    return np.where(ok.any(axis=1), v, np.nan)


def replicate_covariance(reps, theta: np.ndarray, thetas: np.ndarray) -> np.ndarray:
    """(D, K, K) replicate covariance of K statistics per domain (R ``svrVar``): ``theta`` (D, K) the
    full-sample estimates, ``thetas`` (D, K, R) the replicates. A replicate with a NaN among a domain's
    K statistics is dropped for that domain; a domain with none left gets NaN."""
    ok = np.isfinite(thetas).all(axis=1)  # (D, R)
    use = ok & (reps.rscales > 0)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = theta if reps.mse else (
            np.where(use[:, None, :], thetas, 0.0).sum(axis=2) / use.sum(axis=1)[:, None])
        dev = np.where(ok[:, None, :], thetas - centre[:, :, None], 0.0) * np.sqrt(reps.rscales)[None, None, :]
        v = reps.scale * np.einsum("dkr,dlr->dkl", dev, dev)
    return np.where(ok.any(axis=1)[:, None, None], v, np.nan)


def replicate_df(cache: _Cache, active: np.ndarray) -> np.ndarray:
    """Per-domain df of a replicate design: the declared df, else the rank of the replicate analysis
    weights of the domain's rows minus 1 (R ``degf``: ``qr(weights(design, "analysis"), tol=1e-5)$rank - 1``
    on the subset), from each domain's Gram matrix A_d'A_d, all domains in one sparse product."""
    reps, part = cache.prep.replicates, cache.part
    D, R = part.n, reps.n_replicates
    if reps.df is not None:
        return np.full(D, float(reps.df))
    rows = np.flatnonzero(part.inside & active)
    A = reps.factors[rows] * cache.prep.weights[rows, None]
    norms = np.sqrt((A * A).sum(axis=0))
    A = A / np.where(norms > 0, norms, 1.0)[None, :]  # column scaling does not change the rank
    dom = part.dom[rows]
    K = sparse.csr_matrix(
        (A.ravel(), ((dom[:, None] * R + np.arange(R)[None, :]).ravel(), np.repeat(np.arange(rows.size), R))),
        shape=(D * R, rows.size),
    )
    with _one_blas_thread():
        gram = np.asarray((K @ A).reshape(D, R, R) if rows.size else np.zeros((D, R, R)))
    n_rows = np.bincount(dom, minlength=D)
    return np.minimum(qr_rank(gram), n_rows).astype(float) - 1.0


def qr_rank(gram: np.ndarray, tol: float = 1e-5) -> np.ndarray:
    """R's ``qr(x, tol)$rank`` (LINPACK ``dqrdc2``) of D matrices from their Gram matrices x'x (D, R, R):
    the columns in order, a column counting when the norm of its part orthogonal to the columns counted
    before it is at least ``tol`` times its own norm (``dqrdc2`` moves the others to the end). The
    orthogonal parts come from Schur complements of the Gram matrices, all D at once per column."""
    S = np.array(gram, dtype=float)
    D, R, _ = S.shape
    own = np.einsum("dii->di", S).copy()
    floor = tol * tol * np.where(own > 0, own, 1.0)
    rank = np.zeros(D, dtype=np.int64)
    for j in range(R):  # one step per replicate column, vectorised over domains (Schur complement update)
        r = S[:, j, j]
        keep = (r > 0) & (r >= floor[:, j])
        rank += keep
        if j + 1 < R and keep.any():
            col = S[:, j + 1:, j] * np.sqrt(np.where(keep, 1.0 / np.where(keep, r, 1.0), 0.0))[:, None]
            S[:, j + 1:, j + 1:] -= col[:, :, None] * col[:, None, :]
    return rank


def domain_df(
    cache: _Cache, active: np.ndarray, members0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-domain design df (PSUs with active rows minus their strata) and the PSU count."""
    if cache.prep.replicates is not None:
        n_rows = np.bincount(cache.part.dom[cache.part.inside & active], minlength=cache.part.n)
        return replicate_df(cache, active), n_rows
    stage = cache.prep.stages[0]
    cells = cache.cells(0)
    D = cache.part.n
    members = cells.sum(active.astype(float)) if members0 is None else members0
    has = members > 0
    n_psu = np.bincount(cells.cell_dom[has], minlength=D)
    per_group = np.bincount(cache.group_key(0)[has], minlength=stage.n_groups * D).reshape(stage.n_groups, D)
    n_strata = (per_group > 0).sum(axis=0)
    return (n_psu - n_strata).astype(float), n_psu
