"""Fixtures for the estimation tests: R `survey` datasets from ../shared and their designs.

The designs are those of statistics.md §13 (R 4.2.2, survey 4.1-1):

    dstrat   <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
    dclus1   <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
    dclus2   <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)
    dn       <- svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes)
    ds       <- svydesign(id=~1, weights=~pw, strata=~dnum, data=apiclus1)
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from survey_toolkit.design import Design
from tests.conftest import shared_path

DSTRAT = Design(weights="pw", strata="stype", fpc="fpc", population_scale=True)
DCLUS1 = Design(weights="pw", psu="dnum", fpc="fpc", population_scale=True)
DCLUS1WR = Design(weights="pw", psu="dnum", population_scale=True)
DCLUS2 = Design(psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])
DN = Design(weights="WTMEC2YR", psu="SDMVPSU", strata="SDMVSTRA", nest=True, population_scale=True)


def r_close(actual: float, expected: str, extra: float = 0.0) -> None:
    """``actual`` equals R's printed value to the digits R printed (half a unit in the last place).

    R's values are kept as the printed strings so the tolerance follows the digits given: a value
    printed with 10 significant digits is checked to ~1e-10 relative, one printed with 6 to ~1e-6.
    ``extra`` widens the bound (relative) where R itself iterates.
    """
    d = Decimal(expected)
    half_ulp = float(Decimal(1).scaleb(d.as_tuple().exponent)) / 2
    value = float(d)
    bound = half_ulp * (1 + 1e-9) + abs(value) * (extra + 1e-12)
    assert abs(actual - value) <= bound, f"{actual!r} != R {expected} (bound {bound:g})"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_path("r-datasets", name))


@pytest.fixture(scope="session")
def apistrat() -> pd.DataFrame:
    return _read("apistrat.csv")


@pytest.fixture(scope="session")
def apiclus1() -> pd.DataFrame:
    return _read("apiclus1.csv")


@pytest.fixture(scope="session")
def apiclus2() -> pd.DataFrame:
    return _read("apiclus2.csv")


@pytest.fixture(scope="session")
def nhanes() -> pd.DataFrame:
    return _read("nhanes.csv")
