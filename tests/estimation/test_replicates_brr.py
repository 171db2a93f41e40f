"""BRR, Fay, bootstrap and subbootstrap replicates built from a Taylor design (R ``as.svrepdesign``).

Reference values: ``tests/data/estimation/replicates/built.R`` (R 4.2.2, survey 4.1-1), run as
``Rscript built.R`` in that folder; it writes ``pairs.csv`` (25 strata x 2 PSUs, rows shuffled) and the
design is ``d <- svydesign(id=~psu, strata=~stratum, weights=~w, data=pairs)``; "H h" is the same on
the rows of strata s01..s0h. BRR and Fay are deterministic and compared directly; R's bootstrap draws
are random, so R's own replicate weights (``boot_pairs.csv``, ``subboot_pairs.csv``) are read back to
check the estimation, and the generator here is checked for its distribution.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, estimate
from survey_toolkit.design import Replicates
from survey_toolkit.errors import DesignError
from survey_toolkit.estimation import as_replicates
from survey_toolkit.estimation._hadamard import hadamard

from .conftest import r_close

HERE = Path(__file__).resolve().parents[1] / "data" / "estimation" / "replicates"
PAIRS = Design(weights="w", strata="stratum", psu="psu")


@pytest.fixture(scope="module")
def pairs() -> pd.DataFrame:
    return pd.read_csv(HERE / "pairs.csv")


def strata_upto(frame: pd.DataFrame, h: int) -> pd.DataFrame:
    return frame[frame["stratum"].str[1:].astype(int) <= h].reset_index(drop=True)


def test_hadamard_is_rs():
    # hadamard(n) for n = 1..300: order and sum(H * ((31 i + 17 j) %% 101)) (built.R)
    fp = pd.read_csv(HERE / "hadamard.csv")
    for n, order, checksum in fp.itertuples(index=False):
        h = hadamard(int(n))
        i, j = np.meshgrid(np.arange(1, order + 1), np.arange(1, order + 1), indexing="ij")
        assert h.shape == (order, order), n
        assert int((h * ((31 * i + 17 * j) % 101)).sum()) == checksum, n


# (strata, replicates, svymean(~y) SE, svyratio(~y, ~x) SE, svytotal(~x) SE, svyby(~y, ~grp, svymean) SEs)
BRR = [
    (25, 28, "0.664464091389367", "0.0242195736088769", "6869.35119236308", ("1.015161214896834", "0.724426884923528")),
    (9, 12, "1.13744116012573", "0.0211606781066988", "4765.1657437979", ("1.77712997847026", "1.15452442028845")),
    (5, 8, "1.34714751160546", "0.0251914599709326", "3154.8749783171", ("2.52418401116464", "1.65249284901496")),
]  # fmt: skip


@pytest.mark.parametrize(("h", "n_rep", "mean_se", "ratio_se", "total_se", "by_se"), BRR)
def test_brr(pairs, h, n_rep, mean_se, ratio_se, total_se, by_se):
    # b <- as.svrepdesign(<H h design>, type="BRR")  (hadamard(h): stored 28, Paley 12, Sylvester 8)
    data, design = as_replicates(strata_upto(pairs, h), PAIRS, "BRR")
    assert design.replicates.type == "BRR" and len(design.replicates.columns) == n_rep
    m = estimate(data, design, "y").iloc[0]
    r_close(m.se, mean_se)
    assert m.df == h  # degf(b)
    r_close(estimate(data, design, "y", "ratio", denominator="x").se[0], ratio_se)
    r_close(estimate(data, design, "x", "total").se[0], total_se)
    by = estimate(data, design, "y", by="grp").set_index("grp")
    r_close(by.loc["a", "se"], by_se[0])
    r_close(by.loc["b", "se"], by_se[1])


def test_brr_weights_and_mse(pairs):
    data, design = as_replicates(pairs, PAIRS, "BRR")
    # weights(as.svrepdesign(d, type="BRR"), "analysis")[1, 1:8]; colSums(...)[1:4]
    assert data.loc[0, [f"rep{i}" for i in range(1, 9)]].tolist() == [0, 67.38, 0, 67.38, 0, 67.38, 67.38, 0]
    sums = data[[f"rep{i}" for i in range(1, 5)]].sum().to_numpy()
    assert np.allclose(sums, [5137.70, 5215.44, 5071.02, 5193.06], rtol=0, atol=1e-9)
    # svyratio(~y, ~x, as.svrepdesign(d, type="BRR", mse=TRUE)): SE 0.0242342125428287
    data, design = as_replicates(pairs, PAIRS, "BRR", mse=True)
    r_close(estimate(data, design, "y", "ratio", denominator="x").se[0], "0.0242342125428287")


# (strata, scale, svymean(~y) SE, svyratio(~y, ~x) SE, svyby(~y, ~grp, svymean) SEs)
FAY = [
    (25, "0.0728862973760933", "0.664027645052631", "0.02375978804285", ("1.004667380680059", "0.728050750850802")),
    (9, "0.170068027210884", "1.13734925344747", "0.0209875636075019", ("1.75875022205339", "1.09180838916651")),
    (5, "0.255102040816327", "1.34700567029485", "0.0248540493366069", ("2.35334876707082", "1.33064317986715")),
]  # fmt: skip


@pytest.mark.parametrize(("h", "scale", "mean_se", "ratio_se", "by_se"), FAY)
def test_fay(pairs, h, scale, mean_se, ratio_se, by_se):
    # f <- as.svrepdesign(<H h design>, type="Fay", fay.rho=0.3); f$scale
    data, design = as_replicates(strata_upto(pairs, h), PAIRS, "Fay", rho=0.3)
    prep = design.prepare(data)
    r_close(prep.replicates.scale, scale)
    r_close(estimate(data, design, "y").se[0], mean_se)
    r_close(estimate(data, design, "y", "ratio", denominator="x").se[0], ratio_se)
    by = estimate(data, design, "y", by="grp").set_index("grp")
    r_close(by.loc["a", "se"], by_se[0])
    r_close(by.loc["b", "se"], by_se[1])


def with_r_weights(pairs: pd.DataFrame, name: str) -> pd.DataFrame:
    reps = pd.read_csv(HERE / name)
    assert (reps["id"].to_numpy() == pairs["id"].to_numpy()).all()
    return pd.concat([pairs, reps.drop(columns="id")], axis=1)


def test_bootstrap_with_rs_replicates(pairs):
    # set.seed(20261202); boot <- as.svrepdesign(d, type="bootstrap", replicates=30); boot$scale
    ours = as_replicates(pairs, PAIRS, "bootstrap", replicates=30, seed=1)[1]
    scale = ours.replicates.scale
    r_close(scale, "0.0689655172413793")  # m/((m - 1)(R - 1)), m = 2 PSUs per stratum
    data = with_r_weights(pairs, "boot_pairs.csv")
    design = Design(weights="w", replicates=Replicates(tuple(f"b{i}" for i in range(1, 31)), "bootstrap", scale=scale))
    r_close(estimate(data, design, "y").se[0], "0.784273375955063")  # svymean(~y, boot)
    r_close(estimate(data, design, "y", "ratio", denominator="x").se[0], "0.0224109489584515")  # svyratio
    by = estimate(data, design, "y", by="grp").set_index("grp")  # svyby(~y, ~grp, boot, svymean)
    r_close(by.loc["a", "se"], "1.175035894040848")
    r_close(by.loc["b", "se"], "0.678334516747844")


def test_subbootstrap_with_rs_replicates(pairs):
    # set.seed(20261203); sb <- as.svrepdesign(d, type="subbootstrap", replicates=30); sb$scale
    ours = as_replicates(pairs, PAIRS, "subbootstrap", replicates=30, seed=1)[1]
    r_close(ours.replicates.scale, "0.0344827586206897")
    data = with_r_weights(pairs, "subboot_pairs.csv")
    design = Design(weights="w", replicates=Replicates(tuple(f"s{i}" for i in range(1, 31)), "subbootstrap"))
    r_close(estimate(data, design, "y").se[0], "0.520238161224703")  # svymean(~y, sb)
    r_close(estimate(data, design, "x", "total").se[0], "5377.5736594119")  # svytotal(~x, sb)
    by = estimate(data, design, "y", by="grp").set_index("grp")  # svyby(~y, ~grp, sb, svymean)
    r_close(by.loc["a", "se"], "0.814762579413897")
    r_close(by.loc["b", "se"], "0.830235601391556")


def psu_factors(data: pd.DataFrame, design: Design, frame: pd.DataFrame) -> pd.DataFrame:
    """Replicate factors per PSU (one row per PSU), with its stratum."""
    cols = list(design.replicates.columns)
    f = data[cols].div(frame["w"], axis=0).assign(stratum=frame["stratum"], psu=frame["psu"])
    per_psu = f.groupby(["stratum", "psu"])[cols]
    assert (per_psu.nunique() == 1).all().all()  # constant within a PSU
    return per_psu.first()


@pytest.mark.parametrize(("kind", "name", "prefix"), [("bootstrap", "boot_pairs.csv", "b"),
                                                      ("subbootstrap", "subboot_pairs.csv", "s")])
def test_generator_has_rs_structure(pairs, kind, name, prefix):
    """Our draws and R's have the same form: counts (x n/(n-1) for the subbootstrap) per PSU, summing to
    the stratum's PSU count in every replicate."""
    r_weights = pd.read_csv(HERE / name).drop(columns="id")
    r_design = Design(weights="w", replicates=Replicates(tuple(r_weights.columns), kind))
    data, design = as_replicates(pairs, PAIRS, kind, replicates=30, seed=7)
    for frame, des in ((data, design), (pd.concat([pairs, r_weights], axis=1), r_design)):
        fac = psu_factors(frame, des, pairs)
        counts = fac.to_numpy() / (2 if kind == "subbootstrap" else 1)  # n/(n-1) = 2 with 2 PSUs
        assert np.allclose(counts, np.round(counts))
        per_stratum = fac.groupby(level="stratum").sum().to_numpy()
        assert np.allclose(per_stratum, 2.0)


def test_bootstrap_seed_and_distribution(apistrat):
    """Same seed, same replicates; on a large design the bootstrap SE is close to the Taylor SE."""
    base = Design(weights="pw", strata="stype")
    a, _ = as_replicates(apistrat, base, "bootstrap", replicates=20, seed=3)
    b, _ = as_replicates(apistrat, base, "bootstrap", replicates=20, seed=3)
    c, _ = as_replicates(apistrat, base, "bootstrap", replicates=20, seed=4)
    assert a.equals(b) and not a.equals(c)
    rng = np.random.default_rng(0)
    n = 4000
    big = pd.DataFrame({"st": rng.integers(0, 20, n), "cl": rng.integers(0, 400, n), "w": rng.uniform(1, 5, n),
                        "y": rng.normal(10, 3, n)})
    big["cl"] = big["st"] * 1000 + big["cl"] % 20  # 20 PSUs in each of 20 strata
    big["y"] += big["cl"] % 7  # a PSU effect
    taylor = Design(weights="w", strata="st", psu="cl")
    se_t = estimate(big, taylor, "y").se[0]
    ses = []
    for kind in ("bootstrap", "subbootstrap"):
        data, design = as_replicates(big, taylor, kind, replicates=400, seed=11)
        ses.append(estimate(data, design, "y").se[0])
    # the bootstrap variance estimates the Taylor (with-replacement) variance: SE within ~ 10 %
    assert all(abs(se / se_t - 1) < 0.1 for se in ses), (se_t, ses)


def test_built_replicates_errors(pairs, apiclus1):
    three = pd.concat([pairs, pairs[pairs["stratum"] == "s01"].head(2).assign(psu=1)], ignore_index=True)
    with pytest.raises(DesignError) as err:
        as_replicates(three, PAIRS, "BRR")
    assert err.value.problems[0].code == "brr-pairs"
    assert "1 strata differ" in err.value.problems[0].message
    with pytest.raises(ValueError, match="needs a stratified design"):
        as_replicates(apiclus1, Design(weights="pw", psu="dnum"), "BRR")
    with pytest.raises(ValueError, match="needs rho"):
        as_replicates(pairs, PAIRS, "Fay")
    with pytest.raises(ValueError, match="use type='Fay'"):
        as_replicates(pairs, PAIRS, "BRR", rho=0.5)
    with pytest.raises(ValueError, match="integer >= 2"):
        as_replicates(pairs, PAIRS, "bootstrap", replicates=1)
    with pytest.raises(ValueError, match="not a Hadamard matrix"):
        as_replicates(pairs, PAIRS, "BRR", hadamard_matrix=np.eye(28))
    with pytest.raises(ValueError, match="at least 26 rows"):
        as_replicates(pairs, PAIRS, "BRR", hadamard_matrix=hadamard(3))
    with pytest.warns(UserWarning, match="finite population correction dropped"):
        as_replicates(pairs, PAIRS.replace(fpc="N"), "BRR")
    lonely = Design(weights="pw", strata="dnum")
    with pytest.raises(DesignError, match="only one PSU"):
        as_replicates(apiclus1, lonely, "bootstrap")
    with pytest.raises(DesignError, match="only one PSU"):
        as_replicates(apiclus1, lonely.replace(lonely_psu="remove"), "subbootstrap")


def test_brr_given_hadamard(pairs):
    # svyratio(~y, ~x, as.svrepdesign(d, type="BRR", hadamard.matrix=hadamard(25))): the matrix's first
    # value counts as 0, so R's own matrix given back gives the complementary half-samples
    data, design = as_replicates(pairs, PAIRS, "BRR", hadamard_matrix=hadamard(25))
    r_close(estimate(data, design, "y", "ratio", denominator="x").se[0], "0.0219798285936219")
    data, design = as_replicates(pairs, PAIRS, "BRR", hadamard_matrix=2 * hadamard(25) - 1)  # +-1: the same
    r_close(estimate(data, design, "y", "ratio", denominator="x").se[0], "0.0219798285936219")


def test_bootstrap_with_fpc(apistrat):
    """With an fpc, each replicate draws n_h PSUs without replacement from N_h copies of the stratum's
    PSUs (R bootweights): counts still sum to n_h; a census stratum (N_h = n_h) gets every PSU once,
    so it adds no variance; the SE is close to the Taylor SE with the fpc (R: 9.4089408, §13)."""
    from .conftest import DSTRAT

    data, design = as_replicates(apistrat, DSTRAT, "bootstrap", replicates=400, seed=5)
    cols = list(design.replicates.columns)
    counts = data[cols].div(apistrat["pw"], axis=0)
    assert np.allclose(counts.groupby(apistrat["stype"]).sum().to_numpy(),
                       apistrat.groupby("stype").size().to_numpy()[:, None])
    se = estimate(data, design, "api00").se[0]
    assert abs(se / 9.4089408 - 1) < 0.1, se
    census = apistrat.assign(fpc=apistrat.groupby("stype")["pw"].transform("size"))  # N_h = n_h
    data, design = as_replicates(census, DSTRAT, "bootstrap", replicates=20, seed=5)
    assert np.allclose(data[list(design.replicates.columns)].to_numpy(), census["pw"].to_numpy()[:, None])
