"""compare_independent matches rows on the by columns by default (a domain is compared with itself)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, compare_independent, estimate


def _round(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 200
    return pd.DataFrame(
        {
            "y": rng.normal(10 + seed, 2, n),
            "region": np.repeat(["north", "south"], n // 2),
            "psu": np.arange(n) // 5,
            "w": rng.uniform(1, 3, n),
        }
    )


def test_default_keys_include_the_by_columns():
    design = Design(weights="w", psu="psu")
    a = estimate(_round(1), design, "y", "mean", by="region")
    b = estimate(_round(2), design, "y", "mean", by="region")
    out = compare_independent(a, b)
    assert list(out["region"]) == ["north", "south"]
    for region in ("north", "south"):
        row = out[out.region == region].iloc[0]
        ea, eb = (t.set_index("region").loc[region] for t in (a, b))
        assert row["estimate"] == pytest.approx(ea["estimate"] - eb["estimate"])
        assert row["se"] == pytest.approx(np.hypot(ea["se"], eb["se"]))
