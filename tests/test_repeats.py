"""Repeat groups: indicators over roster rows with the household design, and aggregates onto the household.

Real fixture: the CEAT WASH household survey (1,714 households, 6,284 roster rows, linked by KEY).
Reference values: R 4.2.2, survey 4.1-1, tests/data/r/repeats_ceat.R (made-up stratum weights
Azito 40, Mabatini 25, Vietnam 30, Williamsville 35; the household is the PSU).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, compute
from survey_toolkit.errors import DataError, SpecError
from survey_toolkit.indicators import parse_indicators
from survey_toolkit.repeats import with_aggregates

from .conftest import shared_path

SPEC = """
spec_version: 1
defaults:
  universe: Site is not missing
aggregates:
  - name: head_sex
    repeat: members
    function: first
    value: Sex
    where: Relation_to_HH = 'Head'
  - name: n_under5
    repeat: members
    function: count
    condition: Age_group = 'under five'
  - name: any_diarrhoea
    repeat: members
    function: any
    condition: Diarrhoea = 'Y'
indicators:
  - id: members_female
    type: proportion
    repeat: members
    label: Household members who are female
    numerator: Sex = 'F'
    disaggregations: [Age_group]
  - id: members_diarrhoea
    type: proportion
    repeat: members
    label: Members with diarrhoea in the last two weeks
    numerator: Diarrhoea = 'Y'
    denominator: Diarrhoea in ['Y', 'N']
    disaggregations: [Site]
  - id: hh_diarrhoea_u5
    type: proportion
    label: Households with children under five where a member had diarrhoea
    numerator: any_diarrhoea = 1
    denominator: n_under5 >= 1
    disaggregations: [head_sex]
"""
WEIGHTS = {"Azito": 40.0, "Mabatini": 25.0, "Vietnam": 30.0, "Williamsville": 35.0}


@pytest.fixture(scope="module")
def survey():
    folder = shared_path("real", "ceat_wash_abidjan_nairobi", "data")
    read = {"index_col": 0, "dtype": str, "keep_default_na": False, "na_values": [""]}
    households = pd.read_csv(folder / "household_data.csv", **read)
    members = pd.read_csv(folder / "individual_data.csv", **read)
    households["_record_id"] = households["KEY"]
    households["w"] = households["Site"].map(WEIGHTS)
    members = members.drop(columns=["City", "Site"]).rename(columns={"KEY": "_record_id"})
    return households, {"members": members}


@pytest.fixture(scope="module")
def results(survey):
    households, children = survey
    spec = parse_indicators(SPEC, "repeats.yaml").spec
    return compute(households, spec, Design(weights="w", strata="Site"), children=children)


def _row(results, ident, group="all", level="All"):
    out = results[(results.indicator_id == ident) & (results.group == group) & (results.level == level)]
    assert len(out) == 1, out
    return out.iloc[0]


def test_member_share_uses_the_household_design(results, survey):
    # dm <- svydesign(ids=~KEY, strata=~Site, weights=~w, data=m); svymean(~I(Sex == "F"), dm)
    r = _row(results, "members_female")
    assert r.estimate == pytest.approx(100 * 0.530412083734604, abs=1e-8)
    assert r.se == pytest.approx(100 * 0.00563603166995377, abs=1e-8)
    assert r.df == 1710  # degf(dm): 1,714 households (PSUs) - 4 strata
    # confint(svyciprop(~I(Sex == "F"), dm, method = "xlogit"))
    assert r.ci_low == pytest.approx(100 * 0.519344719035029, abs=1e-8)
    assert r.ci_high == pytest.approx(100 * 0.54144961782446, abs=1e-8)
    # counts are households (the sampled units; the reporting rules read them): 1,714 households hold the
    # 6,284 members, 1,484 of them a female member (R: length(unique(m$KEY[m$Sex %in% "F"])))
    assert r.n == 1714 and r.n_numerator == 1484
    households, children = survey
    size = children["members"].groupby("_record_id").size()
    assert r.n_weighted == pytest.approx(float((households.set_index("_record_id")["w"] * size).sum()))


def test_member_share_by_a_member_column(results):
    # svyby(~I(Sex == "F"), ~Age_group, dm, svymean)
    expected = {
        "5 to 17": (0.511267605633803, 0.0120870728892441),
        "adult (18 or older)": (0.547373655184884, 0.0069298076353938),
        "under five": (0.534093264248705, 0.0179924402035638),
        "unknown/did not answer": (0.428801719505642, 0.0306067019950671),
    }
    for level, (est, se) in expected.items():
        r = _row(results, "members_female", "Age_group", level)
        assert r.estimate == pytest.approx(100 * est, abs=1e-8), level
        assert r.se == pytest.approx(100 * se, abs=1e-8), level


def test_member_share_with_a_denominator_reproduces_the_published_prevalence(results, survey):
    # dia <- subset(dm, Diarrhoea %in% c("Y", "N")); svymean(~I(Diarrhoea == "Y"), dia); degf(dia)
    r = _row(results, "members_diarrhoea")
    assert r.estimate == pytest.approx(100 * 0.131037141755558, abs=1e-8)
    assert r.se == pytest.approx(100 * 0.00596837101520521, abs=1e-8)
    assert r.df == 1709 and r.n == 1713  # the households of the 6,204 members who answered
    households, children = survey
    members = children["members"].merge(households[["_record_id", "Site"]], on="_record_id")
    answered = members[members["Diarrhoea"].isin(["Y", "N"])]
    # svyby(~I(Diarrhoea == "Y"), ~Site, dia, svymean); the authors' notebook publishes the same shares
    # (Azito 174/1165 = 14.9356%, Mabatini 259/1922, Vietnam 193/1844, Williamsville 179/1273)
    published = {"Azito": (174, 1165, 0.0149063980106260), "Mabatini": (259, 1922, 0.0099451111600772),
                 "Vietnam": (193, 1844, 0.0100752358025494), "Williamsville": (179, 1273, 0.0131134706564872)}
    for site, (num, den, se) in published.items():
        r = _row(results, "members_diarrhoea", "Site", site)
        assert r.estimate == pytest.approx(100 * num / den, abs=1e-8)
        assert r.se == pytest.approx(100 * se, abs=1e-8)
        rows = answered[answered["Site"] == site]
        units = (rows["_record_id"].nunique(), rows.loc[rows["Diarrhoea"] == "Y", "_record_id"].nunique())
        assert (r.n, r.n_numerator) == units and units[0] < den and units[1] <= num


def test_aggregates_in_conditions_and_as_disaggregation(results):
    # household table + head_sex (first Head row), n_under5 (count), any_diarrhoea (any, NA if unknown)
    # dh2 <- subset(dh, !is.na(any_diarrhoea) & n_under5 >= 1); svymean(~any_diarrhoea, dh2)
    r = _row(results, "hh_diarrhoea_u5")
    assert r.estimate == pytest.approx(100 * 0.434137757667169, abs=1e-8)
    assert r.se == pytest.approx(100 * 0.0198342921591353, abs=1e-8)
    assert r.df == 635
    # svyby(~any_diarrhoea, ~head_sex, dh2, svymean)
    f = _row(results, "hh_diarrhoea_u5", "head_sex", "F")
    m = _row(results, "hh_diarrhoea_u5", "head_sex", "M")
    assert f.estimate == pytest.approx(100 * 0.404471544715447, abs=1e-8)
    assert f.se == pytest.approx(100 * 0.0386296499449128, abs=1e-8)
    assert m.estimate == pytest.approx(100 * 0.455266138165345, abs=1e-8)
    assert m.se == pytest.approx(100 * 0.0246703259743553, abs=1e-8)


def test_project_interval_and_df_settings_reach_repeat_indicators(survey):
    """estimation: {interval: wald, df: design} (compute's ci_method/df) also apply to repeat rows."""
    households, children = survey
    spec = parse_indicators(SPEC, "repeats.yaml").spec
    out = compute(households, spec, Design(weights="w", strata="Site"), children=children,
                  ci_method="wald", df="design")  # fmt: skip
    # confint(svyciprop(~I(Sex == "F"), dm, method = "mean"), df = degf(dm)) (tests/data/r/repeats_ceat.R)
    r = _row(out, "members_female")
    assert r.df == 1710
    assert r.ci_low == pytest.approx(100 * 0.519357840374741, abs=1e-8)
    assert r.ci_high == pytest.approx(100 * 0.541466327094467, abs=1e-8)
    # svyby(~I(Diarrhoea == "Y"), ~Site, dia, svymean): est -/+ qt(0.975, degf(dm)) * se (not the site's df)
    wald = {"Azito": (0.120119525996478, 0.178592920355453), "Mabatini": (0.115249596974412, 0.154261329144215),
            "Vietnam": (0.0849026880591316, 0.12442486074781), "Williamsville": (0.114892590753308, 0.166332860935616)}
    for site, (lo, hi) in wald.items():
        r = _row(out, "members_diarrhoea", "Site", site)
        assert r.df == 1710, site
        assert (r.ci_low, r.ci_high) == (pytest.approx(100 * lo, abs=1e-8), pytest.approx(100 * hi, abs=1e-8))
    default = _row(compute(households, spec, Design(weights="w", strata="Site"), children=children),
                   "members_diarrhoea", "Site", "Azito")  # fmt: skip
    assert default.df < 1710 and default.ci_low != pytest.approx(100 * wald["Azito"][0], abs=1e-6)


def test_a_likelihood_interval_falls_back_to_xlogit_on_repeat_rows_and_says_so(survey):
    households, children = survey
    spec = parse_indicators(SPEC, "repeats.yaml").spec
    design = Design(weights="w", strata="Site")
    asked = _row(compute(households, spec, design, children=children, ci_method="likelihood"), "members_female")
    default = _row(compute(households, spec, design, children=children), "members_female")
    assert (asked.ci_low, asked.ci_high) == (default.ci_low, default.ci_high)
    assert "xlogit_not_likelihood" in asked.flag and "xlogit_not_likelihood" not in default.flag


def _roster(households: int, members: int, seed: int = 3) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(seed)
    ids = [f"h{i}" for i in range(households)]
    parents = pd.DataFrame({"_record_id": ids, "w": rng.uniform(0.5, 2.0, households)})
    rows = pd.DataFrame({"_record_id": np.repeat(ids, members),
                         "sex": rng.choice(["f", "m", "x"], households * members, p=[0.5, 0.45, 0.05]),
                         "ill": rng.choice(["1", "0"], households * members)})  # fmt: skip
    return parents, {"roster": rows}


ROSTER_SPEC = """spec_version: 1
defaults: {universe: w > 0}
indicators:
  - {id: ill, type: proportion, repeat: roster, label: Ill members, numerator: ill = 1}
  - {id: ill_sensitive, type: proportion, repeat: roster, label: Ill members, numerator: ill = 1, sensitive: true}
  - {id: sex, type: distribution, repeat: roster, label: Members by sex, question: sex}
"""


def test_reporting_rules_count_households_not_repeat_rows():
    """20 households of 6 members: 120 rows, but 20 sampled units: below min_n (30) -> suppressed."""
    from survey_toolkit.disclosure import apply_rules

    parents, children = _roster(20, 6)
    spec = parse_indicators(ROSTER_SPEC, "roster.yaml").spec
    out = compute(parents, spec, Design(weights="w"), children=children).assign(round="R1")
    ill = _row(out, "ill")
    assert ill.n == 20 and np.isfinite(ill.estimate)
    published = apply_rules(out)
    row = published[published.indicator_id == "ill"].iloc[0]
    assert bool(row.suppressed) and "small-base" in row.suppression_reason
    # 40 households of 1 member: 40 units, a base large enough (a wide interval may still suppress it)
    parents, children = _roster(40, 1)
    out = compute(parents, spec, Design(weights="w"), children=children).assign(round="R1")
    row = apply_rules(out).set_index("indicator_id").loc["ill"]
    assert _row(out, "ill").n == 40 and "small-base" not in row.suppression_reason


def test_small_cells_and_category_numerators_count_households():
    """The numerator of each category is the number of households holding such a row."""
    parents, children = _roster(60, 4)
    rows = children["roster"]
    spec = parse_indicators(ROSTER_SPEC, "roster.yaml").spec
    out = compute(parents, spec, Design(weights="w"), children=children)
    dist = out[out.indicator_id == "sex"].set_index("category")
    for code in ("f", "m", "x"):
        assert dist.loc[code, "n_numerator"] == rows.loc[rows["sex"] == code, "_record_id"].nunique(), code
    assert dist.loc["x", "n_numerator"] < dist.loc["f", "n_numerator"]  # no longer the first category's count
    ill = _row(out, "ill_sensitive")
    assert ill.n_numerator == rows.loc[rows["ill"] == "1", "_record_id"].nunique()
    assert ill.n_numerator < (rows["ill"] == "1").sum()


def test_aggregate_columns(survey):
    households, children = survey
    spec = parse_indicators(SPEC, "repeats.yaml").spec
    out = with_aggregates(households, children, spec)
    assert "head_sex" not in households.columns  # the input is not changed
    assert out["head_sex"].notna().sum() == 1599  # households with a member recorded as head
    assert (out["head_sex"] == out["Sex_HH"]).sum() == 1585  # the authors' derived Sex_HH agrees
    assert out["n_under5"].sum() == 774 and out["n_under5"].dtype == "Int64"
    assert set(out["any_diarrhoea"].dropna().unique()) == {0, 1}


def _tiny():
    parents = pd.DataFrame({"_record_id": ["a", "b", "c"], "w": [1.0, 2.0, 1.0]})
    rows = pd.DataFrame({"_record_id": ["a", "a", "b", "b", "b"], "age": [30, 5, 40, None, 12],
                         "ill": ["1", "0", "0", None, "0"]})
    return parents, {"roster": rows}


@pytest.mark.parametrize(
    ("function", "extra", "expected"),
    [
        ("count", "condition: age < 18", [1, 1, 0]),
        ("any", "condition: ill = 1", [1, None, 0]),  # b: no 1, one unknown -> unknown; c: no row -> 0
        ("all", "condition: ill = 0", [0, None, 1]),  # c: no row -> 1 (vacuous)
        ("sum", "value: age", [35.0, 52.0, 0.0]),
        ("min", "value: age", [5.0, 12.0, None]),
        ("max", "value: age", [30.0, 40.0, None]),
        ("first", "value: age\n    where: age >= 18", [30.0, 40.0, None]),
    ],
)
def test_aggregate_functions(function, extra, expected):
    parents, children = _tiny()
    text = f"spec_version: 1\naggregates:\n  - name: x\n    repeat: roster\n    function: {function}\n    {extra}\n" \
           "indicators:\n  - {id: w_pos, type: proportion, label: W, numerator: w > 0}\n"
    checked = parse_indicators(text, "agg.yaml")
    assert checked.report.ok, str(checked.report)
    got = with_aggregates(parents, children, checked.spec)["x"]
    assert [None if pd.isna(v) else float(v) for v in got] == [None if e is None else float(e) for e in expected]


def test_missing_repeat_is_an_error_with_the_location():
    parents, children = _tiny()
    text = "spec_version: 1\naggregates:\n  - {name: x, repeat: rooster, function: count}\nindicators:\n  - {id: w_pos, type: proportion, label: W, numerator: w > 0}\n"
    spec = parse_indicators(text, "agg.yaml").spec
    with pytest.raises(DataError) as err:
        with_aggregates(parents, children, spec)
    p = err.value.problems[0]
    assert p.code == "repeat-not-in-data" and p.location.line == 3 and "roster" in (p.hint or "")


def test_repeat_indicator_without_the_repeat_table_is_an_error():
    parents, _ = _tiny()
    text = ("spec_version: 1\ndefaults: {universe: w > 0}\nindicators:\n"
            "  - {id: ill, type: proportion, repeat: roster, label: Ill, numerator: ill = 1}\n")
    spec = parse_indicators(text, "ind.yaml").spec
    with pytest.raises(SpecError) as err:
        compute(parents, spec, Design(weights="w"))
    assert err.value.problems[0].code == "repeat-not-in-data"


def test_repeat_rows_of_excluded_households_are_left_out_and_empty_households_count_as_psus():
    parents, children = _tiny()
    text = ("spec_version: 1\ndefaults: {universe: w > 0}\nindicators:\n"
            "  - {id: ill, type: proportion, repeat: roster, label: Ill, numerator: ill = 1,"
            " denominator: answered(ill)}\n")
    spec = parse_indicators(text, "ind.yaml").spec
    rows = children["roster"]
    extra = pd.concat([rows, pd.DataFrame({"_record_id": ["zz"], "age": [1], "ill": ["1"]})], ignore_index=True)
    out = compute(parents, spec, Design(weights="w"), children={"roster": extra}).iloc[0]
    # a: 1 of 2 (weight 1), b: 0 of 2 answered (weight 2) -> 1 / (2 + 4); 'zz' has no household
    assert out.estimate == pytest.approx(100 / 6)
    assert out.n == 2 and out.n_missing == 0  # households a and b; the unanswered row is outside the base
    assert np.isfinite(out.se)


# ---------------------------------------------------------------- through the form and the loader

MEETING = ("real", "kobo_transfer_exports", "xls_transfer", "tests", "aLcg7HtfpBHyCsyNmRvqme")
MEETING_SPEC = """
spec_version: 1
defaults:
  universe: start is not missing
aggregates:
  - {name: n_topics, repeat: topics_discussed, function: count}
  - {name: best_rating, repeat: topics_discussed, function: max, value: Discussion_rating}
  - {name: n_feedback, repeat: feedback, function: count}
indicators:
  - id: topics_rated_high
    type: proportion
    repeat: topics_discussed
    label: Topics rated 4 or 5
    numerator: Discussion_rating >= 4
    denominator: answered(Discussion_rating)
  - id: feedback_session
    type: distribution
    repeat: feedback
    label: Session the feedback is about
    question: Session_number
  - id: meetings_several_topics
    type: proportion
    label: Meetings that discussed two topics or more
    numerator: n_topics >= 2
  - id: mean_best_rating
    type: mean
    label: Best topic rating of the meeting
    question: best_rating
"""


@pytest.fixture(scope="module")
def meeting():
    from survey_toolkit import load, read_instrument

    folder = shared_path(*MEETING)
    form = read_instrument(folder / "aLcg7HtfpBHyCsyNmRvqme.xlsx")
    return form, load(folder / "Meeting_Form_-_latest_version_-_False_-_2024-03-14-09-51-14.xlsx", instrument=form)


def test_kobo_repeats_through_the_form(meeting):
    from survey_toolkit import estimate

    form, data = meeting
    checked = parse_indicators(MEETING_SPEC, "meeting.yaml", form)
    assert checked.report.ok, str(checked.report)
    out = compute(data, checked.spec, Design())
    topics = data.children["topics_discussed"]
    rated = topics["Discussion_rating"].dropna()
    r = out[out.indicator_id == "topics_rated_high"].iloc[0]
    assert r.estimate == pytest.approx(100 * (rated >= 4).mean())
    assert r.n == topics.loc[rated.index, "_record_id"].nunique() < len(rated)  # meetings, not topic rows
    # the same as the engine on the expanded table with the meeting as the cluster; a meeting without
    # topics is still a sampled PSU: it enters as one placeholder row outside the domain
    expanded = topics.assign(high=(topics["Discussion_rating"] >= 4).astype(float).where(rated.reindex(topics.index).notna()))
    empty = sorted(set(data.frame["_record_id"]) - set(topics["_record_id"]))
    assert empty  # the fixture has meetings without topics
    expanded = pd.concat([expanded, pd.DataFrame({"_record_id": empty, "high": np.nan})], ignore_index=True)
    ref = estimate(expanded, Design(psu="_record_id"), "high", "mean").iloc[0]
    assert r.se == pytest.approx(100 * ref.se, rel=1e-12) and r.df == ref.df
    sessions = data.children["feedback"]["Session_number"].value_counts(normalize=True)
    dist = out[out.indicator_id == "feedback_session"].set_index("category")["estimate"]
    for code, share in sessions.items():
        assert dist[code] == pytest.approx(100 * share)
    several = out[out.indicator_id == "meetings_several_topics"].iloc[0]
    per_meeting = topics.groupby("_record_id").size().reindex(data.frame["_record_id"], fill_value=0)
    assert several.estimate == pytest.approx(100 * (per_meeting >= 2).mean())
    best = out[out.indicator_id == "mean_best_rating"].iloc[0]
    assert best.estimate == pytest.approx(topics.groupby("_record_id")["Discussion_rating"].max().mean())


@pytest.mark.parametrize(
    ("change", "code", "line"),
    [
        # a respondent-level indicator reading a roster question would silently read nothing
        ("question: best_rating", "repeat-question", 25),
        ("repeat: topics_discussed\n    label: Topics rated 4 or 5", "unknown-repeat", 12),
        ("{name: n_topics, repeat: topics_discussed", "aggregate-name-taken", 6),
        ("question: Session_number", "not-in-repeat", 16),
    ],
)
def test_repeat_mistakes_are_located(meeting, change, code, line):
    form, _ = meeting
    broken = {
        "repeat-question": ("question: best_rating", "question: Discussion_rating"),
        "unknown-repeat": ("repeat: topics_discussed\n    label: Topics rated 4 or 5",
                           "repeat: topics_discused\n    label: Topics rated 4 or 5"),
        "aggregate-name-taken": ("{name: n_topics, repeat: topics_discussed", "{name: start, repeat: topics_discussed"),
        "not-in-repeat": ("repeat: feedback\n", "repeat: participants\n"),
    }[code]
    text = MEETING_SPEC.replace(*broken)
    report = parse_indicators(text, "meeting.yaml", form).report
    found = [p for p in report.errors if p.code == code]
    assert found, str(report)
    assert found[0].location.line == line and found[0].hint


def test_project_run_estimates_repeat_indicators(tmp_path):
    """survey.yaml + indicators with repeat:/aggregates: through `survey-toolkit run` (the CLI path)."""
    from typer.testing import CliRunner

    from survey_toolkit import cli

    folder = shared_path(*MEETING)
    (tmp_path / "indicators.yaml").write_text(MEETING_SPEC, encoding="utf-8")
    (tmp_path / "survey.yaml").write_text(
        "version: 1\n"
        f"instrument: {(folder / 'aLcg7HtfpBHyCsyNmRvqme.xlsx').as_posix()}\n"
        "indicators: indicators.yaml\n"
        "rounds:\n  - id: R1\n"
        f"    files: [\"{(folder / 'Meeting_Form_-_latest_version_-_False_-_2024-03-14-09-51-14.xlsx').as_posix()}\"]\n",
        encoding="utf-8",
    )
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "output" / "results.csv")
    n = table.set_index("indicator_id")["n"]
    # both counted in meetings (the sampled unit), though topics_rated_high is estimated over 8 topic rows
    assert n["topics_rated_high"] == 4 and n["meetings_several_topics"] == 5
    df = table.set_index("indicator_id")["df"]
    assert df["topics_rated_high"] == 3  # domain df: 4 meetings with rated topics - 1


def test_project_estimation_settings_reach_repeat_indicators_through_the_cli(tmp_path):
    """estimation: {interval: wald, df: design} in survey.yaml: the repeat indicator uses the design's df
    (all meetings - 1) and the Wald interval."""
    from typer.testing import CliRunner

    from survey_toolkit import cli

    folder = shared_path(*MEETING)
    (tmp_path / "indicators.yaml").write_text(MEETING_SPEC, encoding="utf-8")
    (tmp_path / "survey.yaml").write_text(
        "version: 1\n"
        f"instrument: {(folder / 'aLcg7HtfpBHyCsyNmRvqme.xlsx').as_posix()}\n"
        "indicators: indicators.yaml\n"
        "rounds:\n  - id: R1\n"
        f"    files: [\"{(folder / 'Meeting_Form_-_latest_version_-_False_-_2024-03-14-09-51-14.xlsx').as_posix()}\"]\n"
        "estimation: {interval: wald, df: design}\n"
        "report: {suppression: {min_n: 1, min_n_eff: 0, max_ci_width: 101, max_relative_ci_width: 1000}}\n",
        encoding="utf-8",
    )
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "output" / "results.csv").set_index("indicator_id")
    r = table.loc["topics_rated_high"]
    meetings = table.loc["meetings_several_topics", "n"]
    assert r.df == meetings - 1 == table.loc["meetings_several_topics", "df"]
    from scipy import stats

    t = stats.t.ppf(0.975, r.df)
    assert (r.ci_low, r.ci_high) == (pytest.approx(r.estimate - t * r.se, abs=1e-9),
                                     pytest.approx(r.estimate + t * r.se, abs=1e-9))  # fmt: skip
