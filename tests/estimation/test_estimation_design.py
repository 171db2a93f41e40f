"""Design specification and validation: broken designs give located problems with exact messages."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.design import CalibrationModel
from survey_toolkit.errors import DesignError, EstimationError


def frame(**cols) -> pd.DataFrame:
    base = {
        "w": [1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
        "st": ["a", "a", "a", "b", "b", "b"],
        "cl": [1, 2, 3, 4, 5, 6],
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "_record_id": ["r1", "r2", "r3", "r4", "r5", "r6"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def problems(design: Design, data: pd.DataFrame) -> list:
    with pytest.raises(DesignError) as err:
        design.prepare(data)
    return list(err.value.problems)


def test_constructor_normalises_and_is_frozen():
    d = Design(weights="w", strata="st", psu="cl", fpc="N")
    assert d.psu == ("cl",) and d.strata == ("st",) and d.fpc == ("N",)
    assert Design(psu=["a", "b"], fpc=["f1", "f2"]).strata == (None, None)
    assert Design(psu="1").psu == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.weights = "x"  # type: ignore[misc]
    d2 = d.replace(lonely_psu="adjust")
    assert d2.lonely_psu == "adjust" and d.lonely_psu == "fail"
    assert d.columns() == ["w", "st", "cl", "N"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lonely_psu": "skip"}, "lonely_psu='skip' is not one of fail, remove, certainty, adjust, average"),
        ({"lonely_centre": "median"}, "lonely_centre='median' is not one of ('zero', 'mean')"),
        ({"weights": "w", "probs": "p"}, "give weights or probs, not both"),
        ({"psu": "cl", "strata": ["s1", "s2"]}, "strata has 2 stages but psu defines 1"),
    ],
)
def test_constructor_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError) as err:
        Design(**kwargs)
    assert str(err.value) == message


def test_missing_and_negative_weights_name_rows():
    data = frame(w=[1.0, np.nan, 2.0, -1.0, 3.0, 3.0])
    p = problems(Design(weights="w", strata="st", psu="cl"), data)
    assert [x.code for x in p] == ["missing-weight", "negative-weight"]
    assert p[0].message == "missing or non-numeric weight in column 'w' on 1 row (3)"
    assert (p[0].location.row, p[0].location.field, p[0].location.record_id) == (3, "w", "r2")
    assert p[1].message == "negative or infinite weight in column 'w' on 1 row (5)"
    assert p[1].got == "-1"


def test_many_bad_rows_are_summarised():
    w = np.ones(20)
    w[[1, 3, 5, 7, 9, 11, 13]] = np.nan
    (p,) = problems(Design(weights="w"), pd.DataFrame({"w": w}))
    assert p.message == "missing or non-numeric weight in column 'w' on 7 rows (3, 5, 7, 9, 11 and 2 more)"
    assert p.count == 7


def test_zero_weights_are_allowed():
    prep = Design(weights="w", strata="st", psu="cl").prepare(frame(w=[0.0, 1.0, 1.0, 1.0, 1.0, 0.0]))
    assert prep.df == 4 - 2


def test_missing_design_codes():
    (p,) = problems(Design(weights="w", strata="st", psu="cl"), frame(st=["a", "a", None, "b", "b", "b"]))
    assert p.code == "missing-design-code"
    assert p.message == "missing design code in column 'st' on 1 row (4)"


def test_missing_design_column_suggests():
    (p,) = problems(Design(weights="wt"), frame())
    assert (p.code, p.message, p.hint) == ("missing-design-column", "design column 'wt' is not in the data",
                                           "did you mean 'w'?")


def test_psu_in_two_strata():
    data = frame(cl=[1, 2, 3, 1, 5, 6])
    (p,) = problems(Design(weights="w", strata="st", psu="cl"), data)
    assert p.code == "psu-in-several-strata"
    assert p.message == "PSU '1' appears in 2 strata (a, b)"
    assert "nest=True" in p.hint
    prep = Design(weights="w", strata="st", psu="cl", nest=True).prepare(data)
    assert prep.stages[0].n_clusters == 6


def test_float_coded_ids_are_labels():
    data = frame(cl=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], st=[1.0, 1.0, 1.0, 2.0, 2.0, 2.0])
    prep = Design(weights="w", strata="st", psu="cl").prepare(data)
    assert prep.stages[0].group_labels == ("1", "2")
    mixed = frame(st=["1", "1.0", 1, 2.0, "2", "2.00"])
    prep2 = Design(weights="w", strata="st", psu="cl").prepare(mixed)
    assert prep2.stages[0].group_labels == ("1", "2") and prep2.df == 4


def test_mixed_fpc_is_an_error():
    p = problems(Design(weights="w", strata="st", psu="cl", fpc="N"), frame(N=[10, 10, 10, 0.5, 0.5, 0.5]))
    assert [x.code for x in p] == ["mixed-fpc"]
    assert p[0].message == ("fpc column 'N' mixes population sizes (> 1) and sampling fractions (< 1) at "
                            "stage 1")


def test_fpc_smaller_than_sample():
    (p,) = problems(Design(weights="w", strata="st", psu="cl", fpc="N"), frame(N=[2, 2, 2, 9, 9, 9]))
    assert p.code == "fpc-below-sample"
    assert p.message == "population size 2 in fpc column 'N' is smaller than the 3 sampled units at stage 1"


def test_fpc_as_fraction_equals_population_size():
    data = frame(N=[30, 30, 30, 6, 6, 6], f=[0.1, 0.1, 0.1, 0.5, 0.5, 0.5])
    a = estimate(data, Design(weights="w", strata="st", psu="cl", fpc="N"), "y")
    b = estimate(data, Design(weights="w", strata="st", psu="cl", fpc="f"), "y")
    assert a.se[0] == pytest.approx(b.se[0], rel=1e-14)
    full = estimate(data, Design(weights="w", strata="st", psu="cl", fpc=None), "y")
    assert a.se[0] < full.se[0]


def test_fpc_differing_within_stratum():
    (p,) = problems(Design(weights="w", strata="st", psu="cl", fpc="N"), frame(N=[10, 11, 10, 9, 9, 9]))
    assert p.code == "fpc-varies-in-stratum"


def test_lonely_psu_fails_by_default():
    data = frame(st=["a", "a", "a", "a", "a", "b"])
    (p,) = problems(Design(weights="w", strata="st", psu="cl"), data)
    assert p.code == "lonely-psu"
    assert p.message == "Stratum (b) has only one PSU at stage 1"
    assert p.location.field == "st"
    for policy in ("remove", "certainty", "adjust", "average"):
        out = estimate(data, Design(weights="w", strata="st", psu="cl", lonely_psu=policy), "y")
        assert np.isfinite(out.se[0])


def test_a_single_psu_without_strata_is_named_the_sample_with_the_project_key():
    # a one-submission round (an Ona test export): "Stratum ()" named nothing, the hint only Python
    (p,) = problems(Design(weights="w"), frame().iloc[:1])
    assert p.code == "lonely-psu"
    assert p.message == "The sample (no strata) has only one PSU at stage 1"
    assert "'lonely_psu: adjust'" in p.hint and "survey.yaml" in p.hint


def test_certainty_stratum_is_not_lonely():
    data = frame(st=["a", "a", "a", "a", "a", "b"], N=[50, 50, 50, 50, 50, 1])
    out = estimate(data, Design(weights="w", strata="st", psu="cl", fpc="N"), "y")
    assert np.isfinite(out.se[0])


def test_several_problems_reported_together():
    data = frame(w=[1.0, np.nan, 2.0, 2.0, 3.0, 3.0], N=[10, 10, 10, 0.5, 0.5, 0.5])
    p = problems(Design(weights="w", strata="st", psu="cl", fpc="N"), data)
    assert [x.code for x in p] == ["missing-weight", "mixed-fpc"]


def test_weights_from_population_size_fpc():
    # two stages: 2 of 10 clusters, then 1 of 1 / 2 of 4 units -> w = 5 * 1 and 5 * 2
    data = pd.DataFrame({"c": [1, 2, 2], "u": [1, 1, 2], "N1": [10, 10, 10], "N2": [1, 4, 4]})
    prep = Design(psu=["c", "u"], fpc=["N1", "N2"]).prepare(data)
    assert prep.weights.tolist() == [5.0, 10.0, 10.0]
    # one unit of 4 sampled in cluster 1 is a lonely PSU at stage 2 (named by its parent cluster)
    (p,) = problems(Design(psu=["c", "u"], fpc=["N1", "N2"]), data.assign(N2=4))
    assert p.message == "Stratum (1) has only one PSU at stage 2"


def test_probs_give_weights():
    prep = Design(probs="p").prepare(pd.DataFrame({"p": [0.5, 0.25]}))
    assert prep.weights.tolist() == [2.0, 4.0]
    (p,) = problems(Design(probs="p"), pd.DataFrame({"p": [0.5, 1.5]}))
    assert p.code == "invalid-probability"


def test_calibrated_copy_checks_shapes():
    prep = Design(weights="w", strata="st", psu="cl").prepare(frame())
    with pytest.raises(ValueError, match="calibration X has 2 rows"):
        prep.calibrated(np.ones(6), CalibrationModel(np.ones((2, 1))))
    cal = prep.calibrated(np.full(6, 2.0), CalibrationModel(np.ones(6)))
    assert prep.calibration == () and len(cal.calibration) == 1 and cal.weights[0] == 2.0


def test_calibration_object_must_residualize():
    with pytest.raises(TypeError, match="residualize"):
        Design(weights="w", calibration=object())


def test_prepared_design_for_another_frame():
    prep = Design(weights="w").prepare(frame())
    with pytest.raises(EstimationError) as err:
        estimate(frame().iloc[:3], prep, "y")
    assert err.value.problems[0].code == "design-frame-mismatch"
