"""survey_toolkit.estimation.distributions gives exactly what scipy.stats gives (it replaces it on the run path)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from survey_toolkit.estimation import distributions as d

EDGES_DF = [np.inf, 0.0, -1.0, np.nan, 1.0, 2.0, 1e10]
EDGES_Q = [0.0, 1.0, 0.975, np.nan, -0.1, 1.1, 0.5]
EDGES_X = [np.inf, -np.inf, 0.0, np.nan, 3.0, 40.0, -40.0]


def _same(a, b) -> bool:
    return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)


@pytest.mark.parametrize("df", EDGES_DF)
@pytest.mark.parametrize("q", EDGES_Q)
def test_t_ppf_edges(q, df):
    assert _same(d.t_ppf(q, df), stats.t.ppf(q, df))


@pytest.mark.parametrize("df", EDGES_DF)
@pytest.mark.parametrize("x", EDGES_X)
def test_t_sf_edges(x, df):
    assert _same(d.t_sf(x, df), stats.t.sf(x, df))


finite = st.floats(min_value=-50, max_value=50, allow_nan=False)
prob = st.floats(min_value=0, max_value=1)
dfs = st.one_of(st.floats(min_value=1e-3, max_value=1e6), st.integers(1, 500).map(float), st.just(np.inf))


@given(st.lists(st.tuples(prob, dfs, finite), min_size=1, max_size=20))
def test_equal_to_scipy_stats(rows):
    q, df, x = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    assert _same(d.t_ppf(q, df), stats.t.ppf(q, df))
    assert _same(d.t_sf(x, df), stats.t.sf(x, df))
    assert _same(d.norm_ppf(q), stats.norm.ppf(q))
    assert _same(d.norm_sf(x), stats.norm.sf(x))
    assert _same(d.norm_cdf(x), stats.norm.cdf(x))
    assert _same(d.logistic_cdf(x), stats.logistic.cdf(x))


def test_scalars_come_back_as_floats():
    assert isinstance(d.t_ppf(0.975, 10.0), float)
    assert d.t_ppf(0.975, 10.0) == pytest.approx(2.2281388519862739, abs=1e-14)  # R 4.2.2: print(qt(0.975, 10), digits=17)
