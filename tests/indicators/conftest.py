"""A synthetic respondent frame for an instrument, following the loader column conventions.

select_one -> Categorical of string codes; select_multiple -> raw codes plus nullable boolean
``q/<code>`` columns; integers -> Int64; calculates used as groupings -> short strings. About 5% of
answers are left unanswered (NA) so that three-valued logic is exercised. Design columns:
``final_weight``, ``stratum``, ``psu``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit.instrument import Instrument

CALCULATED = {
    "age_group": ["18-24", "25-34", "35-49", "50-64", "65+"],
    "youth_18_29": ["0", "1"],
    "disability": ["0", "1"],
    "survey_round": ["R1"],
}


def synthetic_frame(instrument: Instrument, n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for q in instrument.questions:
        base = q.type.split()[0]
        unanswered = rng.random(n) < 0.05
        if base == "select_one" and q.list_name in instrument.choice_lists:
            codes = list(instrument.choice_lists[q.list_name].codes)
            values = rng.choice(codes, size=n).astype(object)
            values[unanswered] = None
            cols[q.name] = pd.Categorical(values, categories=codes)
        elif base == "select_multiple" and q.list_name in instrument.choice_lists:
            codes = list(instrument.choice_lists[q.list_name].codes)
            picks = rng.random((n, len(codes))) < 1.5 / len(codes)
            empty = ~picks.any(axis=1)
            picks[empty, rng.integers(0, len(codes), size=int(empty.sum()))] = True
            raw = np.array([" ".join(c for c, p in zip(codes, row, strict=True) if p) for row in picks], dtype=object)
            raw[unanswered] = None
            cols[q.name] = pd.array(raw, dtype="string")
            for j, c in enumerate(codes):
                cols[f"{q.name}/{c}"] = pd.array(np.where(unanswered, None, picks[:, j]), dtype="boolean")
        elif base == "integer":
            cols[q.name] = pd.array(rng.integers(18, 80, size=n), dtype="Int64")
        elif q.name in CALCULATED:
            cols[q.name] = pd.Categorical(rng.choice(CALCULATED[q.name], size=n))
    frame = pd.DataFrame(cols)
    frame["consent"] = pd.Categorical(np.where(rng.random(n) < 0.95, "1", "2"), categories=["1", "2"])
    frame["stratum"] = np.repeat(["s1", "s2"], n // 2).tolist() + ["s2"] * (n - 2 * (n // 2))
    frame["psu"] = [f"{s}-{i % 10}" for i, s in enumerate(frame["stratum"])]
    frame["final_weight"] = rng.uniform(0.5, 3.0, size=n)
    return frame


@pytest.fixture
def synthetic():
    """Factory fixture: ``synthetic(instrument, n=400, seed=1)`` -> a respondent frame."""
    return synthetic_frame
