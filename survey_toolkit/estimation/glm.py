"""Design-based regression (R ``svyglm``): linear (gaussian) and logistic (quasibinomial) models.

The coefficients solve the weighted estimating equations Σ w_k x_k (y_k − μ_k) = 0 (μ = x'β for
``gaussian``, μ = expit(x'β) for ``quasibinomial``, by R's own IRLS iterations and stopping rule). Their covariance is
the sandwich A⁻¹ V(Σ u_k) A⁻¹ with A = Σ w_k v_k x_k x_k' (v = 1, or μ(1 − μ)) and V the **engine's**
design variance of the totals of the estimating functions u_k = w_k x_k (y_k − μ_k) (strata, stages,
fpc, lonely-PSU rules and calibration residuals included; computed through
:func:`._vcov.total_covariance`), which is R's ``svy.varcoef``. Residual df = design df − p + 1, as
R's ``df.residual``; t tests and intervals use it. :func:`wald_test` is R ``regTermTest`` (Wald).

On a replicate-weight design the model is refitted with every replicate's weights, as R
``svyglm.svyrep.design`` (the same IRLS from the full-sample coefficients, each replicate stopping by
R's rule), all replicates at once (one normal-equation product per coefficient, a batched solve), and
the covariance is the replicate covariance of the coefficients (scale, rscales, ``mse``); the df is the
replicate design's df on the fitted domain + 1 - p.

Predictors are column names (no formula text is evaluated): numeric columns enter as they are; text,
boolean, categorical columns and those named in ``factors`` get treatment dummies (first level the
reference, as R), named ``column + level`` (R's ``stypeH``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design import Design
from ..errors import EstimationError, Location, Problem, did_you_mean
from . import _engine
from ._engine import Partition
from ._vcov import total_covariance
from .estimate import prepare_design
from .intervals import t_quantile
from .variables import _check_columns, _is_categorical, _levels, _raw_float

__all__ = ["FAMILIES", "Regression", "regression", "wald_test"]

FAMILIES = ("gaussian", "quasibinomial")


@dataclass(frozen=True)
class Regression:
    """A fitted design-based regression.

    ``coefficients``: one row per term with ``term``, ``estimate``, ``se``, ``t``, ``p_value``,
    ``ci_low``, ``ci_high``; ``vcov``: the covariance (terms x terms); ``df``: residual df;
    ``n``: rows used; ``terms``: predictor -> its coefficient names (for :func:`wald_test`).
    """

    response: str
    family: str
    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    df: float
    n: int
    level: float
    terms: dict
    iterations: int


def _design_matrix(frame: pd.DataFrame, predictors: Sequence[str], factors: set[str], used: np.ndarray):
    cols, names, terms = [np.ones(len(frame))], ["(Intercept)"], {"(Intercept)": ("(Intercept)",)}
    valid = np.ones(len(frame), dtype=bool)
    for p in predictors:
        s = frame[p]
        if p in factors or _is_categorical(s) or pd.api.types.is_bool_dtype(s.dtype):
            present = s[used & s.notna().to_numpy()]
            levels = _levels(present, None)
            if isinstance(s.dtype, pd.CategoricalDtype):
                levels = [lv for lv in s.cat.categories if lv in set(present)]
            valid &= s.notna().to_numpy()
            made = []
            for lv in levels[1:]:
                cols.append((s == lv).to_numpy(dtype=float, na_value=0.0))
                label = "TRUE" if lv is True else "FALSE" if lv is False else str(lv)
                names.append(f"{p}{label}")
                made.append(names[-1])
            terms[p] = tuple(made)
        else:
            x = _raw_float(s)
            valid &= np.isfinite(x)
            cols.append(np.where(np.isfinite(x), x, 0.0))
            names.append(p)
            terms[p] = (p,)
    return np.column_stack(cols), names, terms, valid


def _response(frame: pd.DataFrame, response: str, family: str) -> tuple[np.ndarray, np.ndarray]:
    s = frame[response]
    if _is_categorical(s) and not pd.api.types.is_bool_dtype(s.dtype):
        raise EstimationError(
            Problem("not-numeric", f"response '{response}' is not numeric", Location(field=response),
                    expected="numbers (0/1 for quasibinomial)", got=str(s.dtype),
                    hint="recode the response to numbers, e.g. 1 for yes and 0 for no")
        )
    y = _raw_float(s)
    valid = np.isfinite(y)
    if family == "quasibinomial" and np.any(valid & ((y < 0) | (y > 1))):
        bad = int(np.sum(valid & ((y < 0) | (y > 1))))
        raise EstimationError(
            Problem("response-out-of-range", f"response '{response}' has {bad} value(s) outside [0, 1]",
                    Location(field=response), expected="0/1 or proportions for quasibinomial",
                    got=f"{bad} value(s) outside [0, 1]", hint="recode the response to 0/1")
        )
    return np.where(valid, y, 0.0), valid


def _linkinv(eta: np.ndarray) -> np.ndarray:
    """R's ``binomial()$linkinv`` (clamped at |eta| > 30)."""
    tmp = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(np.clip(eta, -30, 30))))
    return tmp / (1 + tmp)


def _mu_eta(eta: np.ndarray) -> np.ndarray:
    """R's ``binomial()$mu.eta``."""
    e = np.exp(np.clip(eta, -30, 30))
    return np.where((eta > 30) | (eta < -30), _EPS, e / ((1 + e) * (1 + e)))


def _deviance(y: np.ndarray, mu: np.ndarray, pw: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(1 - y > 0, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return float(np.sum(2 * pw * (a + b)))


_EPS = np.finfo(float).eps


def _replicate_fits(X, y, A, beta0, family, maxit) -> np.ndarray:
    """(p, R) coefficients refitted with each column of the analysis weights ``A`` (n x R), from
    ``beta0``: weighted least squares, or R's IRLS step for step with each replicate frozen once R's
    stopping rule holds for it. No loop over replicates: X'WX of all replicates is one product per
    coefficient and the solves are batched."""
    rows = np.flatnonzero(A.any(axis=1))
    X, y, A = X[rows], y[rows], A[rows]
    p, R = X.shape[1], A.shape[1]

    def solve(W, z):
        G = np.stack([(X * X[:, [j]]).T @ W for j in range(p)], axis=1)  # (p, p, R)
        rhs = X.T @ (W * z)  # (p, R)
        try:
            return np.linalg.solve(np.moveaxis(G, 2, 0), rhs.T[:, :, None])[:, :, 0].T
        except np.linalg.LinAlgError:
            raise EstimationError(
                Problem("replicate-collinear", "the model cannot be fitted in some replicate: its predictors "
                        "are collinear there (a level or a value present only in the rows that replicate drops)",
                        expected="every coefficient estimable in every replicate",
                        hint="merge rare levels of the categorical predictors, or use a Taylor design")
            ) from None

    if family == "gaussian":
        return solve(A, np.broadcast_to(y[:, None], A.shape))
    B = np.repeat(beta0[:, None], R, axis=1)
    eta = X @ B
    mu = _linkinv(eta)
    devold = _deviances(y, mu, A)
    done = np.zeros(R, dtype=bool)
    for _ in range(maxit):
        mev = _mu_eta(eta)
        W = np.where(mev != 0, A * mev * mev / (mu * (1 - mu)), 0.0)
        z = eta + (y[:, None] - mu) / np.where(mev != 0, mev, 1.0)
        B = np.where(done[None, :], B, solve(W, z))
        eta = X @ B
        mu = _linkinv(eta)
        dev = _deviances(y, mu, A)
        done |= np.abs(dev - devold) / (np.abs(dev) + 0.1) < 1e-8
        if done.all():
            return B
        devold = dev
    raise EstimationError(
        Problem("not-converged", f"the logistic fit of {int((~done).sum())} replicate(s) did not converge in "
                f"{maxit} steps", hint="the outcome may be perfectly predicted within a replicate: drop or merge "
                "that predictor's levels")
    )


def _deviances(y: np.ndarray, mu: np.ndarray, A: np.ndarray) -> np.ndarray:
    """Binomial deviance of every column (replicate) of ``mu`` with weights ``A``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y[:, None] > 0, y[:, None] * np.log(y[:, None] / mu), 0.0)
        b = np.where(1 - y[:, None] > 0, (1 - y[:, None]) * np.log((1 - y[:, None]) / (1 - mu)), 0.0)
    return (2 * A * (a + b)).sum(axis=0)


def _fit(X, y, w, used, inside, family, maxit):
    """Coefficients, the working weights and the per-row score factor (estimating function / x).

    ``gaussian``: weighted least squares. ``quasibinomial``: R's ``glm.fit`` IRLS step for step (start
    (w y + 1/2)/(w + 1) with the weights scaled to mean 1 over the domain's rows, QR least squares,
    stop when the relative deviance change is below 1e-8), so the coefficients are R's, not merely
    close; as R, the working weights are those of the last step's start.
    """
    if family == "gaussian":
        w = np.where(used, w, 0.0)
        A = X.T @ (X * w[:, None])
        beta = np.linalg.solve(A, X.T @ (w * y))
        return beta, w, w * (y - X @ beta), 1
    pw = w / np.mean(w[inside]) if inside.any() else w
    pw = np.where(used, pw, 0.0)  # rows outside the model frame (R drops them)
    y0 = np.where(pw > 0, y, 0.0)
    mu = (pw * y0 + 0.5) / (pw + 1)
    eta = np.log(mu / (1 - mu))
    mu = _linkinv(eta)
    devold = _deviance(y0, mu, pw)
    iterations = 0
    for _ in range(maxit):
        iterations += 1
        mev = _mu_eta(eta)
        good = (pw > 0) & (mev != 0) & used
        wirls = np.where(good, np.sqrt(pw * mev * mev / (mu * (1 - mu))), 0.0)
        z = np.where(good, eta + (y0 - mu) / mev, 0.0)
        beta = np.linalg.lstsq(X[good] * wirls[good, None], z[good] * wirls[good], rcond=None)[0]
        eta = X @ beta
        mu = _linkinv(eta)
        dev = _deviance(y0, mu, pw)
        if abs(dev - devold) / (abs(dev) + 0.1) < 1e-8:
            break
        devold = dev
    else:
        raise EstimationError(
            Problem("not-converged", f"the logistic fit did not converge in {maxit} steps",
                    hint="the outcome may be perfectly predicted by a predictor (separation): drop or "
                         "merge that predictor's levels")
        )
    if np.any(used & ((mu < 10 * _EPS) | (mu > 1 - 10 * _EPS))):
        raise EstimationError(
            Problem("separation", "fitted probabilities of 0 or 1: the outcome is perfectly predicted",
                    expected="an outcome not determined by the predictors",
                    hint="drop or merge the predictor levels that predict the outcome perfectly")
        )
    W = wirls * wirls
    return beta, W, W * (y0 - mu) / _mu_eta(eta), iterations


def regression(
    frame: pd.DataFrame,
    design: Design,
    response: str,
    predictors: str | Sequence[str],
    family: str = "gaussian",
    *,
    factors: Sequence[str] = (),
    subset: np.ndarray | pd.Series | None = None,
    level: float = 0.95,
    maxit: int = 25,
) -> Regression:
    """Fit a design-based linear or logistic regression (R ``svyglm``).

    Args:
        frame, design: the data and its design (prepared or not).
        response: the outcome column (0/1 or a proportion for ``quasibinomial``).
        predictors: column name(s); see the module doc for how categorical columns are coded.
        family: ``gaussian`` (linear) or ``quasibinomial`` (logistic).
        factors: numeric columns to treat as categorical (R ``factor(x)``).
        subset: a boolean mask of the rows of the domain to fit on (R ``subset=``); the design is
            kept whole (domain estimation).
        level: confidence level of the coefficient intervals (t on the residual df).
        maxit: IRLS steps allowed for the logistic fit (R ``glm.control`` default 25).
    """
    from scipy import stats  # imported here: scipy.stats takes half a second to import

    if family not in FAMILIES:
        raise EstimationError(
            Problem("unknown-family", f"family '{family}' is not offered", expected=", ".join(FAMILIES),
                    got=str(family), hint=did_you_mean(str(family), FAMILIES))
        )
    predictors = [predictors] if isinstance(predictors, str) else list(predictors)
    _check_columns(frame, [response, *predictors, *factors])
    prep = prepare_design(frame, design)
    w = prep.weights
    inside = np.ones(len(frame), dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    if inside.shape != (len(frame),):
        raise ValueError("subset must be a boolean mask with one value per row")
    y, y_ok = _response(frame, response, family)
    X, names, terms, x_ok = _design_matrix(frame, predictors, set(factors), inside & y_ok & (w > 0))
    used = inside & y_ok & x_ok & (w > 0)
    n, p = int(used.sum()), X.shape[1]
    rank = np.linalg.matrix_rank(X[used]) if n else 0
    if rank < p:
        raise EstimationError(
            Problem("collinear-predictors", f"the predictors are collinear (rank {rank} of {p} columns)",
                    expected="linearly independent predictors", got=", ".join(names),
                    hint="drop a predictor implied by the others, or a level present in no used row")
        )
    beta, W, score, iterations = _fit(X, y, w, used, inside, family, maxit)
    Ainv = np.linalg.inv(X.T @ (X * W[:, None]))
    influence = (X * np.where(used, score, 0.0)[:, None]) @ Ainv
    part = Partition(np.zeros(len(frame), dtype=np.int64), 1)
    cache = _engine.make_cache(prep, part)
    if prep.replicates is None:
        V = total_covariance(cache, lambda j: influence[:, j], p, used)[0]
        design_df = _engine.domain_df(cache, used)[0][0]
    else:
        B = _replicate_fits(X, y, np.where(used, w, 0.0)[:, None] * prep.replicates.factors, beta, family, maxit)
        V = _engine.replicate_covariance(prep.replicates, beta[None, :], B[None, :, :])[0]
        design_df = _engine.domain_df(cache, inside & (w > 0))[0][0]  # R: degf of the subset design
    df = float(design_df + 1 - p)
    se = np.sqrt(np.maximum(np.diag(V), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    ok = df > 0
    pval = 2 * stats.t.sf(np.abs(t), df) if ok else np.full(p, np.nan)
    tq = t_quantile(np.array([df]), level)[0] if ok else np.nan
    coefficients = pd.DataFrame(
        {"term": names, "estimate": beta, "se": se, "t": t, "p_value": pval,
         "ci_low": beta - tq * se, "ci_high": beta + tq * se}
    )
    return Regression(response, family, coefficients, pd.DataFrame(V, index=names, columns=names), df, n,
                      level, terms, iterations)


def wald_test(fit: Regression, terms: str | Sequence[str], *, null: Sequence[float] | None = None,
              df: float | None = None) -> pd.Series:
    """Wald test that the coefficients of ``terms`` are all zero (R ``regTermTest``, method "Wald").

    ``terms`` are predictor names (all their coefficients) or coefficient names. F = β'V⁻¹β/q on
    (q, df) with df the residual df (``df=inf``: χ² on q). Returns ``F`` (or ``chisq``), ``ndf``,
    ``ddf``, ``p_value``, ``terms``.
    """
    from scipy import stats  # imported here: scipy.stats takes half a second to import

    terms = [terms] if isinstance(terms, str) else list(terms)
    coefs = list(fit.vcov.index)
    index: list[str] = []
    for term in terms:
        if term in fit.terms:
            index += [c for c in fit.terms[term] if c not in index]
        elif term in coefs:
            index.append(term)
        else:
            raise EstimationError(
                Problem("unknown-term", f"'{term}' is not a term of the model", Location(field=term),
                        expected=", ".join(fit.terms), hint=did_you_mean(term, list(fit.terms) + coefs))
            )
    pos = [coefs.index(c) for c in index]
    beta = fit.coefficients["estimate"].to_numpy()[pos]
    if null is not None:
        beta = beta - np.asarray(null, dtype=float)
    V = fit.vcov.to_numpy()[np.ix_(pos, pos)]
    chisq = float(beta @ np.linalg.solve(V, beta))
    q = len(pos)
    ddf = fit.df if df is None else float(df)
    if np.isinf(ddf):
        return pd.Series({"chisq": chisq, "ndf": q, "ddf": np.inf, "p_value": stats.chi2.sf(chisq, q),
                          "terms": tuple(index)})
    return pd.Series({"F": chisq / q, "ndf": q, "ddf": ddf, "p_value": stats.f.sf(chisq / q, q, ddf),
                      "terms": tuple(index)})
