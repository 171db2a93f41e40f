"""The likelihood interval for a proportion, R ``svyciprop(method = "likelihood")``, every domain at once.

R fits ``svyglm(y ~ 1, family = quasibinomial)`` and profiles its deviance (``confint(method =
"likelihood")``): with β̂ = logit p̂ and s its design SE (= se(p̂)/(p̂(1 - p̂))), the design effect
λ = s² Σpw p̂(1 - p̂) (pw the weights scaled to mean 1 over the domain's rows), the level
α = Φ(t_{df, (1-level)/2} √λ)/2 and the dispersion φ = svyvar of the Pearson residuals, the points

    b_j = β̂ ± j (z_max/5) s,   z_max = √F_{1, n-1}(1 - α),  j = 1..9 while |z| < z_max,
    z(b) = ±√((D(b) - D(β̂))/φ),  D(b) = -2 Σ pw (y log expit b + (1 - y) log(1 - expit b))

are interpolated as R does (an FMM cubic spline of z on b at 3 × (points) equally spaced b, then
linear interpolation of b at z = ∓ Φ⁻¹(2α)), and the limits are expit of those b. Only the per-domain
sums enter, so all domains are done together; the spline is the only per-domain step (a few dozen
numbers each).
"""

from __future__ import annotations

import numpy as np

__all__ = ["likelihood_limits", "intercept_fits"]

_MAXSTEPS = 10


def _expit(x):
    return 1 - 1 / (1 + np.exp(x))


def intercept_fits(dom: np.ndarray, D: int, y: np.ndarray, pw: np.ndarray, used: np.ndarray, maxit: int = 25):
    """R's ``glm.fit`` IRLS for ``y ~ 1`` (quasibinomial) in every domain at once.

    Returns per domain the coefficient, the deviance, Σ of the working weights of the last step's
    start (R's ``weights``, whose inverse is ``naive.cov``), and per row the estimating function
    W (y - μ)/μ'(η) (R's ``estfun``), so that the design SE is R's to the last digits.
    """
    rows = np.flatnonzero(used)
    d, yy, ww = dom[rows], y[rows], pw[rows]
    mu = (ww * yy + 0.5) / (ww + 1)
    eta = np.log(mu / (1 - mu))
    mu = _linkinv(eta)
    devold = _dev_rows(d, D, yy, mu, ww)
    beta = np.full(D, np.nan)
    dev = devold.copy()
    W_last = np.zeros(rows.size)
    active = np.bincount(d, minlength=D) > 0
    for _ in range(maxit):
        if not active.any():
            break
        act_row = active[d]
        mev = _mu_eta(eta)
        W = ww * mev * mev / (mu * (1 - mu))
        z = eta + (yy - mu) / mev
        with np.errstate(divide="ignore", invalid="ignore"):
            b = np.bincount(d, weights=W * z, minlength=D) / np.bincount(d, weights=W, minlength=D)
        beta = np.where(active, b, beta)
        W_last = np.where(act_row, W, W_last)
        eta = np.where(act_row, beta[d], eta)
        mu = _linkinv(eta)
        new = _dev_rows(d, D, yy, mu, ww)
        dev = np.where(active, new, dev)
        with np.errstate(divide="ignore", invalid="ignore"):
            done = np.abs(dev - devold) / (np.abs(dev) + 0.1) < 1e-8
        active = active & ~done
        devold = np.where(active, dev, devold)
    w_sum = np.bincount(d, weights=W_last, minlength=D)
    estfun = np.zeros(y.shape)
    estfun[rows] = W_last * (yy - mu) / _mu_eta(eta)
    return beta, dev, w_sum, estfun


def _linkinv(eta):
    tmp = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(np.clip(eta, -30, 30))))
    return tmp / (1 + tmp)


def _mu_eta(eta):
    e = np.exp(np.clip(eta, -30, 30))
    return np.where((eta > 30) | (eta < -30), _EPS, e / ((1 + e) * (1 + e)))


def _dev_rows(d, D, y, mu, w):
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(1 - y > 0, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return np.bincount(d, weights=2 * w * (a + b), minlength=D)


_EPS = np.finfo(float).eps


def likelihood_limits(b0, s, lam, df, n, pw_sum, pw_y, dev0, disp, level: float):
    """Limits per domain from the fit (β̂, its design SE s, λ, deviance), the df, rows used ``n``,
    Σpw and Σpw·y, and the dispersion (svyvar of the Pearson residuals). NaN where undefined."""
    from scipy import stats  # imported here: scipy.stats takes half a second to import

    b0, s, lam, df, n, pw_sum, pw_y, dev0, disp = (
        np.asarray(v, dtype=float) for v in (b0, s, lam, df, n, pw_sum, pw_y, dev0, disp)
    )
    D = b0.size
    lo, hi = np.full(D, np.nan), np.full(D, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tq = np.where(np.isinf(df), stats.norm.ppf((1 - level) / 2),
                      stats.t.ppf((1 - level) / 2, np.where(df > 0, df, 1)))  # fmt: skip
        alpha = stats.norm.cdf(tq * np.sqrt(lam)) / 2
        zmax = np.sqrt(stats.f.isf(alpha, 1, n - 1))
    ok = np.isfinite(b0) & (s > 0) & np.isfinite(zmax) & (disp > 0) & (df > 0) & (n > 1)
    for d in np.flatnonzero(ok):  # tiny per-domain arrays (at most 19 points)
        pts_b, pts_z = [b0[d]], [0.0]
        step_size = zmax[d] / 5 * s[d]
        for sgn in (-1.0, 1.0):
            z, step = 0.0, 0
            while (step := step + 1) < _MAXSTEPS and abs(z) < zmax[d]:
                b = b0[d] + sgn * step * step_size
                zz = (_deviance(b, pw_y[d], pw_sum[d]) - dev0[d]) / disp[d]
                zz = max(zz, 0.0) if zz > -0.001 else np.nan  # R stops: the fit had not converged
                z = sgn * np.sqrt(zz)
                pts_b.append(b)
                pts_z.append(z)
        order = np.argsort(pts_z, kind="stable")
        bx, zy = np.asarray(pts_b)[order], np.asarray(pts_z)[order]
        grid = _seq(bx.min(), bx.max(), 3 * bx.size)
        sx = np.argsort(bx, kind="stable")
        zs = _spline_eval(bx[sx], zy[sx], grid)
        cut = stats.norm.ppf(2 * alpha[d])
        lo[d], hi[d] = _approx(zs, grid, np.array([cut, -cut]))
    return _expit(lo), _expit(hi)


def _deviance(b, pw_y, pw_sum):
    """The deviance at a common mean expit(b) of 0/1 values (glm.fit with the intercept as offset)."""
    mu = _linkinv(np.asarray(b, dtype=float))
    return -2 * (pw_y * np.log(mu) + (pw_sum - pw_y) * np.log(1 - mu))


def _seq(a: float, b: float, n: int) -> np.ndarray:
    """R ``seq.int(a, b, length.out = n)`` (symmetric from both ends, as R's C code)."""
    out = np.empty(n)
    out[0], out[-1] = a, b
    by = (b - a) / (n - 1)
    i = np.arange(1, n - 1)
    out[1:-1] = np.where(i < n // 2, a + i * by, b - (n - 1 - i) * by)
    return out


def _spline_eval(x: np.ndarray, y: np.ndarray, u: np.ndarray) -> np.ndarray:
    """R ``spline(method = "fmm")``: Forsythe, Malcolm and Moler's cubic spline, evaluated at u."""
    n = x.size
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = t
    else:
        nm1 = n - 1
        d[0] = x[1] - x[0]
        c[1] = (y[1] - y[0]) / d[0]
        for i in range(1, nm1):
            d[i] = x[i + 1] - x[i]
            b[i] = 2.0 * (d[i - 1] + d[i])
            c[i + 1] = (y[i + 1] - y[i]) / d[i]
            c[i] = c[i + 1] - c[i]
        b[0] = -d[0]
        b[nm1] = -d[nm1 - 1]
        c[0] = c[nm1] = 0.0
        if n > 3:
            c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
            c[nm1] = c[nm1 - 1] / (x[nm1] - x[nm1 - 2]) - c[nm1 - 2] / (x[nm1 - 1] - x[nm1 - 3])
            c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
            c[nm1] = -c[nm1] * d[nm1 - 1] * d[nm1 - 1] / (x[nm1] - x[nm1 - 3])
        for i in range(1, n):
            t = d[i - 1] / b[i - 1]
            b[i] = b[i] - t * d[i - 1]
            c[i] = c[i] - t * c[i - 1]
        c[nm1] = c[nm1] / b[nm1]
        for i in range(nm1 - 1, -1, -1):
            c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
        b[nm1] = (y[nm1] - y[nm1 - 1]) / d[nm1 - 1] + d[nm1 - 1] * (c[nm1 - 1] + 2.0 * c[nm1])
        for i in range(nm1):
            b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
            d[i] = (c[i + 1] - c[i]) / d[i]
            c[i] = 3.0 * c[i]
        c[nm1] = 3.0 * c[nm1]
        d[nm1] = d[nm1 - 1]
    idx = np.clip(np.searchsorted(x, u, side="right") - 1, 0, n - 1)
    dx = u - x[idx]
    return y[idx] + dx * (b[idx] + dx * (c[idx] + dx * d[idx]))


def _approx(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """R ``approx(x, y, v)`` (linear, NA outside; x sorted first, ties averaged)."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.full(v.shape, np.nan)
    for k, val in enumerate(v):
        if not np.isfinite(val) or val < ux[0] or val > ux[-1]:
            continue
        j = int(np.searchsorted(ux, val, side="left"))
        if ux[j] == val:
            out[k] = uy[j]
            continue
        i = j - 1
        out[k] = uy[i] + (uy[j] - uy[i]) * ((val - ux[i]) / (ux[j] - ux[i]))
    return out
