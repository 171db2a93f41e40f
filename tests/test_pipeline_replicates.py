"""Replicate weights built from the Taylor design by the project file (``design.replicates`` without
``columns``): checked up front, built before raking (every replicate raked, as R's ``as.svrepdesign`` then
``rake``), and the indicators' SEs of ``survey-toolkit run`` equal R's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli, pipeline
from survey_toolkit.project import check_project
from tests.test_pipeline import DEMO, reduced_project
from tests.test_project import _problems, _write

cli._register_commands()  # the command modules register themselves on cli.app
TRIM = "  trim: {upper: 5, relative_to: median}\n"


def _replicate_project(folder: Path, replicates: str) -> Path:
    """The reduced demo (round R1) without trimming, with ``design.replicates`` as given."""
    path = reduced_project(folder)
    text = path.read_text(encoding="utf-8").replace(TRIM, "")
    text = text.replace("  lonely_psu: adjust\n", f"  lonely_psu: adjust\n  replicates: {replicates}\n")
    path.write_text(text, encoding="utf-8")
    return path


# Reference: tests/data/pipeline/jkn_rake.R (R 4.2.2, survey 4.1-1):
#   rk <- rake(as.svrepdesign(svydesign(id=~cluster_id, strata=~stratum, fpc=~psu_total, weights=~base_weight,
#              data=d), type="JKn"), list(~admin1, ~a1_sex, ~age_group), <census margins>,
#              control=list(maxit=100, epsilon=1e-10))
#   svymean(~y, subset(rk, !is.na(y))); svyciprop(~y, ..., method="xlogit", df=degf(...)); degf 87
R_NATIONAL = {  # indicator: (estimate, SE, CI low, CI high) as proportions, df 87
    "sdg_16_1_4_valid": (0.3715860147388866, 0.0241441566682898, 0.3249904583215605, 0.4206985158455006),
    "trust_police": (0.4920898094588536, 0.0238493091430935, 0.4448988963772245, 0.5394221069781550),
}
R_ADMIN1 = {  # (indicator, admin1): (estimate, SE, CI low, CI high) of svymean / svyciprop(method="xlogit",
    # df=degf(dom)) on dom <- subset(rk, !is.na(y) & admin1 == a); degf(dom) 53
    ("sdg_16_1_4_valid", "R01"): (0.3629698774437398, 0.0320701806574108, 0.3013893827383990, 0.4293989798377790),
    ("sdg_16_1_4_valid", "R02"): (0.3798573634250808, 0.0353361733742839, 0.3119482482596292, 0.4528206188230099),
    ("trust_police", "R01"): (0.4426258254136862, 0.0361764735166464, 0.3717707018305161, 0.5158956264474088),
    ("trust_police", "R02"): (0.5376026682533839, 0.0319312998496926, 0.4732888838629732, 0.6006889819265907),
}


def test_cli_run_with_jkn_replicates_and_raking_equals_r(tmp_path):
    path = _replicate_project(tmp_path, "{type: JKn}")
    result = CliRunner().invoke(cli.app, ["run", str(path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    national = table[table["location"] == "All"].set_index("indicator_id")
    for ind, (est, se, low, high) in R_NATIONAL.items():
        row = national.loc[ind]
        got = [row["estimate"], row["se"], row["ci_low"], row["ci_high"]]
        assert got == pytest.approx([100 * est, 100 * se, 100 * low, 100 * high], rel=1e-9)
        assert row["df"] == 87  # R degf(rk): 88 JKn replicates - 1
    by = table[table["admin1"].notna() & table["admin2"].isna()].set_index(["indicator_id", "admin1"])
    for key, expected in R_ADMIN1.items():
        got = [by.loc[key, c] for c in ("estimate", "se", "ci_low", "ci_high")]
        assert got == pytest.approx([100 * v for v in expected], rel=1e-9)
        assert by.loc[key, "df"] == 53  # R degf of the admin1 subset of the raked replicate design
    admin2 = table[table["admin2"].notna() & (table["indicator_id"] == "sdg_16_1_4_valid")]
    assert (admin2["df"] == 20).all()  # R degf(subset(rk, !is.na(safe) & admin2 == a)): 20 for all 8 districts
    html = (tmp_path / "out" / "report.en.html").read_text(encoding="utf-8")
    assert "JKn replicate-weight standard errors: replicates built from the design" in html
    assert "Taylor-linearised" not in html


def test_built_replicates_reach_the_design_and_bootstrap_draws_follow_the_seed(tmp_path):
    path = _replicate_project(tmp_path, "{type: bootstrap, replicates: 20, seed: 7}")
    first = pipeline.run(path, until="weight", write=False).weighted["R1"]
    again = pipeline.run(path, until="weight", write=False).weighted["R1"]
    reps = first.design.replicates
    assert reps.type == "bootstrap" and len(reps.columns) == 20
    assert first.frame[list(reps.columns)].equals(again.frame[list(reps.columns)])  # same seed, same draws
    assert first.frame[list(reps.columns)].std(axis=1).gt(0).any()
    assert (first.frame["final_weight"] == first.frame["rake_weight"]).all()


def test_a_dropped_fpc_is_a_located_warning(tmp_path):
    path = _replicate_project(tmp_path, "{type: subbootstrap, replicates: 5, seed: 1}")
    line = path.read_text(encoding="utf-8").splitlines().index("  replicates: {type: subbootstrap, replicates: 5, seed: 1}")
    result = pipeline.run(path, until="weight", write=False)
    (note,) = [p for p in result.problems if p.code == "replicate-fpc-dropped"]
    assert not note.is_error and note.location.line == line + 1 and "subbootstrap" in note.message


def test_brr_on_a_design_without_pairs_is_located_at_the_key(tmp_path):
    path = _replicate_project(tmp_path, "{type: BRR}")
    result = CliRunner().invoke(cli.app, ["run", str(path)])
    assert result.exit_code == 1
    assert "brr-pairs" in result.output and "Traceback" not in result.output
    with pytest.raises(Exception) as err:
        pipeline.run(path, until="weight", write=False)
    (problem,) = err.value.problems
    line = path.read_text(encoding="utf-8").splitlines().index("  replicates: {type: BRR}") + 1
    assert problem.code == "brr-pairs" and problem.location.file == str(path)
    assert problem.location.line == line and "design.replicates type BRR" in problem.message


@pytest.mark.parametrize(
    ("text", "code", "line", "hint"),
    [
        ("design:\n  strata: s\n  replicates:\n    type: JK3\n", "bad-value", 9, "did you mean 'JK"),
        ("design:\n  replicates:\n    type: bootstrap\n    replicates: 1\n    seed: 3\n", "bad-value", 9,
         "replicates: 500"),
        ("design:\n  replicates:\n    type: subbootstrap\n", "missing-key", 7, "seed: "),
        ("design:\n  strata: s\n  replicates:\n    type: JKn\n    seed: 3\n", "bad-value", 10, "remove 'seed'"),
        ("design:\n  strata: s\n  replicates:\n    type: Fay\n", "bad-value", 8, "rho: 0.3"),
        ("design:\n  strata: s\n  replicates:\n    type: BRR\n    rho: 0.3\n", "bad-value", 10, "type: Fay"),
        ("design:\n  strata: s\n  replicates:\n    type: JKn\n    scale: 2\n", "bad-value", 10, "columns:"),
        ("design:\n  psu: cl\n  replicates:\n    type: JKn\n", "bad-value", 9, "strata: <column>"),
        ("design:\n  replicates:\n    type: bootstrap\n    seed: x\n", "wrong-type", 9, None),
        (f"design:\n  replicates:\n    type: JK1\nweighting:\n  margins: {DEMO / 'census_margins.csv'}\n"
         "  trim: {upper: 3}\n", "bad-value", 11, "remove 'trim'"),
    ],
)
def test_bad_built_replicate_settings_are_located(tmp_path, text, code, line, hint):
    problems = [p for p in _problems(_write(tmp_path, text)) if p.code != "missing-file"]
    (problem,) = problems
    assert (problem.code, problem.location.line) == (code, line), problem
    if hint is not None:
        assert hint in problem.hint


def test_built_replicates_are_read(tmp_path):
    project, report = check_project(_write(tmp_path, "design:\n  strata: s\n  psu: c\n  replicates:\n    type: Fay\n"
                                                     "    rho: 0.5\n    mse: true\n"))  # fmt: skip
    assert project is not None, [p.message for p in report]
    build = project.design.replicate_build
    assert (build.type, build.rho, build.mse, build.seed) == ("Fay", 0.5, True, None)
    assert project.design.replicates is None and project.design.strata == "s"
    boot = check_project(_write(tmp_path, "design:\n  replicates:\n    type: bootstrap\n    seed: 4\n"))[0]
    assert (boot.design.replicate_build.replicates, boot.design.replicate_build.seed) == (50, 4)  # R's default 50
