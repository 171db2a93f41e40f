"""Replicate-weight designs against R ``svrepdesign`` (R 4.2.2, survey 4.1-1).

Every value comes from ``tests/data/estimation/replicates/replicates.R``, run as
``Rscript replicates.R <shared>/fixtures/r-datasets``; the R call is beside each value. The replicate
matrices are the same as R's: the jackknife ones are rebuilt here by their definition (and checked
against R's sums), the bootstrap ones are R's own (``boot_dclus1.csv``, exported by the script).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.design import Replicates
from survey_toolkit.errors import DesignError

from .conftest import r_close

HERE = Path(__file__).resolve().parents[1] / "data" / "estimation" / "replicates"


def jackknife(frame: pd.DataFrame, psu: str, strata: str | None, prefix: str) -> tuple[pd.DataFrame, list]:
    """Delete-one-PSU jackknife analysis weights: PSU i of stratum h dropped, the rest of h x n_h/(n_h-1)."""
    st = frame[strata].to_numpy() if strata else np.zeros(len(frame))
    psus = frame[[psu]].assign(_st=st).drop_duplicates().sort_values(["_st", psu])
    cols = {}
    for r, (p, h) in enumerate(zip(psus[psu], psus["_st"], strict=True)):
        n_h = int((psus["_st"] == h).sum())
        factor = np.where(st == h, n_h / (n_h - 1), 1.0) * (frame[psu].to_numpy() != p)
        cols[f"{prefix}{r + 1}"] = frame["pw"].to_numpy() * factor
    return pd.concat([frame, pd.DataFrame(cols, index=frame.index)], axis=1), list(psus["_st"])


@pytest.fixture(scope="module")
def jk1(apiclus1):
    data, _ = jackknife(apiclus1, "dnum", None, "jk")
    # as.svrepdesign(dclus1, type="JK1"): scale (n-1)/n x (1 - f) = 0.914839277851167
    reps = Replicates(tuple(f"jk{i}" for i in range(1, 16)), "JK1", scale=14 / 15 * (1 - 15 / 757))
    return data, Design(weights="pw", replicates=reps)


def test_jk1_scale_is_rs(jk1):
    r_close(jk1[1].replicates.scale, "0.914839277851167")


def test_jk1_means_totals_domains(jk1):
    data, design = jk1
    # svrepdesign(data=d1, repweights="jk[0-9]+", weights=~pw, type="JK1", scale=jk1$scale)
    m = estimate(data, design, "api00").iloc[0]
    r_close(m.estimate, "644.169398907104")
    r_close(m.se, "26.3293605895276")  # svymean(~api00, g)
    assert m.df == 14  # degf(g)
    r_close(estimate(data, design, "enroll", "total").se[0], "932235.027041213")  # svytotal(~enroll, g)
    by = estimate(data, design, "api00", by="stype").set_index("stype")  # svyby(~api00, ~stype, g, svymean)
    r_close(by.loc["E", "se"], "25.3743035523983")
    r_close(by.loc["H", "se"], "46.3441217451860")
    r_close(by.loc["M", "se"], "33.6876199986313")
    # degf(subset(g, stype=="H")) 7, "M" 11
    assert by.loc["H", "df"] == 7 and by.loc["M", "df"] == 11
    p = estimate(data, design, "stype", "proportion").set_index("category")  # svymean(~factor(stype), g)
    r_close(p.loc["E", "se"], "0.0514413134701855")
    r_close(p.loc["H", "se"], "0.0277799029538051")
    r_close(p.loc["M", "se"], "0.0331743000394655")
    ratio = estimate(data, design, "api.stu", "ratio", denominator="enroll").iloc[0]
    r_close(ratio.estimate, "0.849708741724488")
    r_close(ratio.se, "0.00951708517561483")  # svyratio(~api.stu, ~enroll, g)


def test_jk1_mse(jk1):
    data, design = jk1
    mse = design.replace(replicates=Replicates(design.replicates.columns, "JK1", scale=design.replicates.scale,
                                               mse=True))
    by = estimate(data, mse, "api00", by="stype").set_index("stype")  # same with mse=TRUE
    r_close(by.loc["E", "se"], "25.3801225403101")
    r_close(by.loc["H", "se"], "46.3595776382215")
    r_close(by.loc["M", "se"], "33.6876920422073")
    r_close(estimate(data, mse, "enroll", "total").se[0], "932235.027041213")


def test_jk1_quantile(jk1):
    # svyquantile(~api00, g, 0.5, ci=TRUE): 652, SE 39.1647339444971
    data, design = jk1
    q = estimate(data, design, "api00", "quantile", quantiles=0.5, quantile_rule="math").iloc[0]
    assert q.estimate == 652
    r_close(q.se, "39.1647339444971")


@pytest.fixture(scope="module")
def jkn(apistrat):
    data, strata = jackknife(apistrat.assign(row=np.arange(len(apistrat))), "row", "stype", "r")
    n = apistrat.groupby("stype").size()
    N = apistrat.groupby("stype")["fpc"].first()
    rscales = [(n[h] - 1) / n[h] * (1 - n[h] / N[h]) for h in strata]
    reps = Replicates(tuple(f"r{i}" for i in range(1, 201)), "JKn", rscales=rscales)
    return data, Design(weights="pw", replicates=reps)


def test_jkn(jkn):
    data, design = jkn
    # as.svrepdesign(dstrat, type="JKn"): rscales 0.967606876272337 (E), 0.931866404715128 (H? M),
    # 0.915099337748344; every replicate's weights sum to 6193.99995803833
    assert sorted(np.round(np.unique(design.replicates.rscales), 12)) == sorted(
        np.round([0.967606876272337, 0.931866404715128, 0.915099337748344], 12))
    cols = list(design.replicates.columns)
    np.testing.assert_allclose(data[cols].sum().to_numpy(), 6193.99995803833, rtol=1e-12)
    m = estimate(data, design, "api00").iloc[0]
    r_close(m.se, "9.4089408027845")  # svymean(~api00, jkn)
    assert m.df == 197  # degf(jkn)
    by = estimate(data, design, "api00", by="stype").set_index("stype")  # svyby(~api00, ~stype, jkn, svymean)
    r_close(by.loc["E", "se"], "12.3824797939073")
    r_close(by.loc["H", "se"], "14.9371291853931")
    r_close(by.loc["M", "se"], "16.2147073081845")
    assert by.loc["H", "df"] == 49  # degf(subset(jkn, stype == "H"))
    # svyby(~I(sch.wide == "Yes"), ~awards, jkn, svymean): No 0.523486088047637 (SE 0.0583124096519074)
    p = estimate(data.assign(yes=(data["sch.wide"] == "Yes").astype(float)), design, "yes",
                 by="awards").set_index("awards")
    r_close(p.loc["No", "estimate"], "0.523486088047637")
    r_close(p.loc["No", "se"], "0.0583124096519074")


BRR = np.array([[1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1], [0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 1, 0]]).T


@pytest.fixture(scope="module")
def scd():
    from tests.conftest import shared_path

    return pd.read_csv(shared_path("r-datasets", "scd.csv"))


def test_brr_scd(scd):
    # b <- svrepdesign(data=scd, type="BRR", repweights=2*brr, combined.weights=FALSE)
    data = scd.assign(**{f"b{i}": 2.0 * BRR[:, i] for i in range(4)})
    design = Design(replicates=Replicates(("b0", "b1", "b2", "b3"), "BRR", combined_weights=False))
    ratio = estimate(data, design, "alive", "ratio", denominator="arrests").iloc[0]
    r_close(ratio.estimate, "0.153506350082827")
    r_close(ratio.se, "0.00941840066991849")  # svyratio(~alive, ~arrests, b)
    r_close(estimate(data, design, "alive").se[0], "3.58236421003411")  # svymean(~alive, b)
    t = estimate(data, design, "arrests", "total").iloc[0]
    assert t.estimate == 1811
    r_close(t.se, "152.35813073151")  # svytotal(~arrests, b)


def test_fay_scd(scd):
    # f <- svrepdesign(data=scd, type="Fay", repweights=ifelse(brr == 1, 1.7, 0.3), rho=0.3,
    #                  combined.weights=FALSE)
    data = scd.assign(**{f"f{i}": np.where(BRR[:, i] == 1, 1.7, 0.3) for i in range(4)})
    design = Design(replicates=Replicates(("f0", "f1", "f2", "f3"), "Fay", rho=0.3, combined_weights=False))
    r_close(estimate(data, design, "alive").se[0], "3.58236421003411")  # svymean(~alive, f)
    r_close(estimate(data, design, "alive", "ratio", denominator="arrests").se[0], "0.00952518747770524")


def test_bootstrap_on_r_replicates(apiclus1):
    # R's bootstrap weights: set.seed(20261202); as.svrepdesign(dclus1, type="bootstrap", replicates=20)
    boot = pd.read_csv(HERE / "boot_dclus1.csv")
    assert (boot["cds"].to_numpy() == apiclus1["cds"].to_numpy()).all()
    data = pd.concat([apiclus1, boot.drop(columns="cds")], axis=1)
    # boot$scale = m / ((m - 1)(R - 1)) with m = 15 PSUs: 0.056390977443609
    design = Design(weights="pw", replicates=Replicates(tuple(f"bw{i}" for i in range(1, 21)), "bootstrap",
                                                        scale=15 / (14 * 19)))
    r_close(design.replicates.scale, "0.056390977443609")
    r_close(estimate(data, design, "api00").se[0], "18.0953625299242")  # svymean(~api00, boot)
    by = estimate(data, design, "api00", by="stype").set_index("stype")  # svyby(~api00, ~stype, boot, svymean)
    r_close(by.loc["E", "se"], "17.8412978844456")
    r_close(by.loc["H", "se"], "34.9638100078750")
    r_close(by.loc["M", "se"], "28.6258790808397")
    r_close(estimate(data, design, "enroll", "total").se[0], "962645.784192375")  # svytotal(~enroll, boot)


def test_replicate_errors(scd):
    with pytest.raises(ValueError, match="needs rho"):
        Replicates(("a",), "Fay")
    with pytest.raises(ValueError, match="needs rscales"):
        Replicates(("a",), "JKn")
    with pytest.raises(ValueError, match="not one of"):
        Replicates(("a",), "JK3")
    with pytest.raises(ValueError, match="rscales has length 2"):
        Replicates(("a", "b", "c"), rscales=[1, 2])
    with pytest.raises(ValueError, match="takes no strata"):
        Design(weights="w", psu="p", replicates=Replicates(("a",)))
    bad = scd.assign(b0=[1.0, np.nan, 1, 1, 1, 1], b1=[1.0, -1, 1, 1, 1, 1])
    with pytest.raises(DesignError) as err:
        Design(replicates=Replicates(("b0", "b1"))).prepare(bad)
    assert [p.code for p in err.value.problems] == ["bad-replicate-weight", "bad-replicate-weight"]
    assert err.value.problems[0].location.row == 3 and err.value.problems[0].location.field == "b0"
    zero = scd.assign(w=[0.0, 1, 1, 1, 1, 1], b0=1.0)
    with pytest.raises(DesignError) as err:
        Design(weights="w", replicates=Replicates(("b0",))).prepare(zero)
    assert err.value.problems[0].code == "replicate-weight-without-weight"
    missing = Design(replicates=Replicates(("nope",)))
    with pytest.raises(DesignError) as err:
        missing.prepare(scd)
    assert err.value.problems[0].code == "missing-design-column"


def test_jk1_comparisons(jk1):
    from survey_toolkit.estimation import compare

    data, design = jk1
    # svycontrast(svyby(~api00, ~stype, g, svymean, covmat=TRUE), c(E=1, H=-1)): 30.296626984127, SE 37.6075156699006
    out = compare(data, design, "api00", by="stype", a="E", b="H").iloc[0]
    r_close(out.estimate, "30.296626984127")
    r_close(out.se, "37.6075156699006")
    r_close(out.se_a, "25.3743035523983")
    # svycontrast(svymean(~api00+api99, g), c(1, -1)): 37.191256830601, SE 3.12507318619766
    paired = compare(data, design, ("api00", "api99")).iloc[0]
    r_close(paired.estimate, "37.191256830601")
    r_close(paired.se, "3.12507318619766")
