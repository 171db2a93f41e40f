"""compute(): point estimates against hand-computed weighted pandas values, SEs against the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey_toolkit import Design, compute, estimate
from survey_toolkit.errors import SpecError
from survey_toolkit.indicators import parse_indicators

SPEC = """
spec_version: 1
languages: [en]
defaults:
  universe: consent = 1
  disaggregations: [sex]
indicators:
  - id: safe
    type: proportion
    label: Feel safe
    numerator: q in [1, 2]
    denominator: answered(q)
    dk_refused: own_share
  - id: safe_valid
    type: proportion
    label: Feel safe (valid answers)
    numerator: q in [1, 2]
    denominator: answered(q)
    dk_refused: excluded
  - id: safe_counted
    type: proportion
    label: Feel safe (DK counted)
    numerator: q in [1, 2]
    denominator: answered(q)
    dk_refused: counted
  - id: t1
    type: proportion
    label: Item 1 high
    numerator: t1 in [3, 4]
    denominator: valid(t1)
  - id: t2
    type: proportion
    label: Item 2 high
    numerator: t2 in [3, 4]
    denominator: valid(t2)
  - id: t1_again
    type: proportion
    label: Item 1 high again
    numerator: t1 in [3, 4]
    denominator: valid(t1)
  - id: avg_t
    type: mean_of_proportions
    label: Average of two shares
    components: [t1, t2]
  - id: avg_same
    type: mean_of_proportions
    label: Average of one share with itself
    components: [t1, t1_again]
  - id: trust_score
    type: mean
    label: Mean trust score
    question: t1
    scores: {1: 0, 2: 1, 3: 2, 4: 3}
  - id: reasons
    type: shares
    label: Reasons
    question: m
  - id: pli
    type: index
    label: Legitimacy index
    scale: [0, 10]
    min_valid_items: 2
    items:
      - {question: t1, range: [1, 4]}
      - {question: t2, range: [1, 4], reverse: true}
      - {question: t3, range: [1, 4]}
  - id: csi
    type: index
    label: Safety index
    scale: [0, 100]
    min_valid_items: 2
    items:
      - favourable: q in [1, 2]
        unfavourable: q in [3, 4]
      - favourable: t1 in [3, 4]
        unfavourable: t1 in [1, 2]
      - indicator: t2
  - id: spend_ratio
    type: ratio
    label: Spending per person
    numerator_question: spend
    denominator_question: size
  - id: age_median
    type: median
    label: Median age
    question: age
    disaggregations: []
"""


@pytest.fixture(scope="module")
def spec():
    checked = parse_indicators(SPEC, "inline.yaml")
    assert checked.report.ok, str(checked.report)
    return checked.spec


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120

    def cat(codes, p=None, missing=0.08):
        v = rng.choice(codes, size=n, p=p).astype(object)
        v[rng.random(n) < missing] = None
        return pd.Categorical(v, categories=codes)

    m_codes = ["1", "2", "3", "98"]
    picks = rng.random((n, 4)) < [0.4, 0.3, 0.2, 0.05]
    picks[~picks.any(axis=1), 0] = True
    unanswered = rng.random(n) < 0.1
    f = pd.DataFrame({
        "consent": pd.Categorical(np.where(rng.random(n) < 0.9, "1", "2")),
        "sex": pd.Categorical(rng.choice(["1", "2"], size=n)),
        "q": cat(["1", "2", "3", "4", "5", "98", "99"]),
        "t1": cat(["1", "2", "3", "4", "98"]),
        "t2": cat(["1", "2", "3", "4", "99"]),
        "t3": cat(["1", "2", "3", "4", "98"], missing=0.3),
        "m": pd.array([None if u else " ".join(c for c, p in zip(m_codes, row, strict=True) if p)
                       for u, row in zip(unanswered, picks, strict=True)], dtype="string"),
        "spend": rng.uniform(10, 100, n),
        "size": rng.integers(1, 8, n).astype(float),
        "age": pd.array(rng.integers(18, 90, n), dtype="Int64"),
        "st": np.repeat(["a", "b", "c"], n // 3),
        "cl": np.repeat(np.arange(12), n // 12),
        "w": rng.uniform(0.5, 4.0, n),
    })
    for j, c in enumerate(m_codes):
        f[f"m/{c}"] = pd.array(np.where(unanswered, None, picks[:, j]), dtype="boolean")
    return f


DESIGN = Design(weights="w", strata="st", psu="cl")


@pytest.fixture(scope="module")
def results(frame, spec):
    return compute(frame, spec, DESIGN)


def row(results, ident, group="all", level="All", category=None):
    sel = (results.indicator_id == ident) & (results.group == group) & (results.level == level)
    sel &= results.category.isna() if category is None else (results.category == category)
    out = results[sel]
    assert len(out) == 1, (ident, group, level, category)
    return out.iloc[0]


def wmean(values, weights) -> float:
    return float(np.sum(values * weights) / np.sum(weights))


def test_proportion_dk_rules_match_pandas(frame, results):
    consent = frame.consent == "1"
    answered = consent & frame.q.notna()
    dk = frame.q.isin(["98", "99"])
    num = frame.q.isin(["1", "2"])
    w = frame.w
    official = wmean(num[answered], w[answered]) * 100
    valid = answered & ~dk
    assert row(results, "safe").estimate == pytest.approx(official)
    assert row(results, "safe_counted").estimate == pytest.approx(official)
    assert row(results, "safe_valid").estimate == pytest.approx(wmean(num[valid], w[valid]) * 100)
    assert row(results, "safe", category="dk_refused").estimate == pytest.approx(wmean(dk[answered], w[answered]) * 100)
    r = row(results, "safe")
    assert r.n == answered.sum() and r.n_numerator == (answered & num).sum()
    assert r.n_weighted == pytest.approx(w[answered].sum())
    assert r.dk_share == pytest.approx(w[answered & dk].sum() / w[answered].sum())
    assert r.unit == "percent" and pd.isna(r.sdg)


def test_proportion_se_equals_engine_on_domain_column(frame, results):
    consent = frame.consent == "1"
    valid = consent & frame.q.notna() & ~frame.q.isin(["98", "99"])
    col = np.where(valid, frame.q.isin(["1", "2"]).astype(float), np.nan)
    ref = estimate(frame.assign(v=col), DESIGN, "v", "proportion", categories=[0.0, 1.0], category=1.0)
    r = row(results, "safe_valid")
    assert r.se == pytest.approx(ref.se.iloc[0] * 100)
    assert (r.ci_low, r.ci_high) == pytest.approx((ref.ci_low.iloc[0] * 100, ref.ci_high.iloc[0] * 100))
    assert r.df == ref.df.iloc[0]


def test_disaggregation_by_sex(frame, results):
    consent = frame.consent == "1"
    valid = consent & frame.t1.isin(["1", "2", "3", "4"])
    high = frame.t1.isin(["3", "4"])
    for sex in ("1", "2"):
        sel = valid & (frame.sex == sex)
        assert row(results, "t1", "sex", sex).estimate == pytest.approx(wmean(high[sel], frame.w[sel]) * 100)


def test_mean_of_proportions(frame, results):
    a, b = row(results, "t1"), row(results, "t2")
    avg = row(results, "avg_t")
    assert avg.estimate == pytest.approx((a.estimate + b.estimate) / 2)
    assert 0 < avg.se < max(a.se, b.se)
    same = row(results, "avg_same")  # the average of a share with itself is that share, SE included
    assert same.estimate == pytest.approx(a.estimate)
    assert same.se == pytest.approx(a.se, rel=1e-9)


def test_scored_mean(frame, results):
    consent = frame.consent == "1"
    score = frame.t1.astype(object).map({"1": 0, "2": 1, "3": 2, "4": 3})
    sel = consent & score.notna()
    r = row(results, "trust_score")
    assert r.estimate == pytest.approx(wmean(score[sel].astype(float), frame.w[sel]))
    ref = estimate(frame.assign(v=np.where(sel, score.astype(float), np.nan)), DESIGN, "v", "mean")
    assert r.se == pytest.approx(ref.se.iloc[0])


def test_shares_of_select_multiple(frame, results):
    consent = frame.consent == "1"
    answered = consent & frame.m.notna()
    chose_dk = frame["m/98"].fillna(False).astype(bool)
    base = answered & ~chose_dk  # dk_refused: excluded (the default)
    for code in ("1", "2", "3"):
        sel = frame[f"m/{code}"].fillna(False).astype(bool)
        assert row(results, "reasons", category=code).estimate == pytest.approx(wmean(sel[base], frame.w[base]) * 100)
    assert not (results.indicator_id.eq("reasons") & results.category.eq("98")).any()


def _rescale(s: pd.Series, reverse=False) -> pd.Series:
    x = pd.to_numeric(s.astype(object), errors="coerce")
    r = (x - 1) / 3
    r[(x < 1) | (x > 4)] = np.nan
    return 1 - r if reverse else r


def test_rescaled_index(frame, results):
    items = pd.concat([_rescale(frame.t1), _rescale(frame.t2, True), _rescale(frame.t3)], axis=1)
    valid = items.notna().sum(axis=1)
    score = 10 * items.mean(axis=1)
    sel = (frame.consent == "1") & (valid >= 2)
    r = row(results, "pli")
    assert r.estimate == pytest.approx(wmean(score[sel], frame.w[sel]))
    assert r.n == sel.sum()
    assert r.unit == "index_score"


def test_condition_index_with_indicator_item(frame, results):
    q = frame.q.astype(object)
    t1 = frame.t1.astype(object)
    t2 = frame.t2.astype(object)
    x1 = np.where(q.isin(["1", "2"]), 1.0, np.where(q.isin(["3", "4"]), 0.0, np.nan))
    x2 = np.where(t1.isin(["3", "4"]), 1.0, np.where(t1.isin(["1", "2"]), 0.0, np.nan))
    consent = (frame.consent == "1").to_numpy()
    x3 = np.where(consent & t2.isin(["1", "2", "3", "4"]), t2.isin(["3", "4"]).astype(float), np.nan)
    items = np.column_stack([x1, x2, x3])
    m = (~np.isnan(items)).sum(axis=1)
    score = 100 * np.nanmean(np.where(m[:, None] > 0, items, 0), axis=1)
    sel = consent & (m >= 2)
    assert row(results, "csi").estimate == pytest.approx(wmean(score[sel], frame.w.to_numpy()[sel]))


def test_ratio_and_median(frame, results):
    sel = frame.consent == "1"
    r = row(results, "spend_ratio")
    assert r.estimate == pytest.approx((frame.spend * frame.w)[sel].sum() / (frame["size"] * frame.w)[sel].sum())
    med = row(results, "age_median")
    ref = estimate(frame.assign(v=np.where(sel, frame.age.astype(float), np.nan)), DESIGN, "v", "quantile",
                   quantiles=0.5)
    assert med.estimate == pytest.approx(ref.estimate.iloc[0])
    assert not (results.indicator_id.eq("age_median") & results.group.ne("all")).any()


def test_by_keys_and_ids(frame, spec):
    out = compute(frame, spec, DESIGN, by="sex", ids=["t1"], disaggregate=False)
    assert list(out.sex) == ["1", "2"] and set(out.group) == {"all"}
    consent = frame.consent == "1"
    valid = consent & frame.t1.isin(["1", "2", "3", "4"]) & (frame.sex == "2")
    expected = wmean(frame.t1.isin(["3", "4"])[valid], frame.w[valid]) * 100
    assert out.estimate.iloc[1] == pytest.approx(expected)


def test_rows_are_never_dropped(frame, spec):
    """Zero weights outside the base: the SE uses every PSU, so df is that of the full design."""
    out = compute(frame, spec, DESIGN, ids=["safe_valid"], disaggregate=False)
    assert out.df.iloc[0] == 12 - 3


def test_missing_question_is_a_spec_error(frame, spec):
    with pytest.raises(SpecError) as info:
        compute(frame.drop(columns=["t3"]), spec, DESIGN)
    assert [p.code for p in info.value.problems] == ["question-not-in-data"]
    assert "'pli' reads 't3'" in info.value.problems[0].message


def test_accepts_survey_data(frame, spec):
    from survey_toolkit import SurveyData

    out = compute(SurveyData(frame=frame), spec, DESIGN, ids=["t2"], disaggregate=False)
    direct = compute(frame, spec, DESIGN, ids=["t2"], disaggregate=False)
    pd.testing.assert_frame_equal(out, direct)


def test_compute_many_equals_one_compute_per_grouping_and_scores_once(frame, spec, monkeypatch):
    """Several by= at once (the pipeline's round overall / by region / by district): the same tables,
    exactly, with the respondents scored once."""
    import importlib

    from survey_toolkit.compute import compute_many

    compute_module = importlib.import_module("survey_toolkit.compute")

    calls = [(None, True), ("sex", False), (["st", "sex"], False)]
    scored = []
    original = compute_module.score_all
    monkeypatch.setattr(compute_module, "score_all", lambda *a, **k: scored.append(1) or original(*a, **k))
    many = compute_many(frame, spec, DESIGN, calls)
    assert len(scored) == 1
    for table, (by, disaggregate) in zip(many, calls, strict=True):
        pd.testing.assert_frame_equal(table, compute(frame, spec, DESIGN, by=by, disaggregate=disaggregate),
                                      check_exact=True)  # fmt: skip


def test_estimate_many_variables_at_once_equals_one_at_a_time(frame):
    """The engine finishes all variables x categories of a call in one pass: identical to one call each."""
    f = frame.assign(y1=frame.t1.isin(["3", "4"]).astype(float), y2=frame.t2.isin(["1"]).astype(float),
                     y3=np.where(frame.sex == "1", 1.0, 0.0))  # fmt: skip
    together = estimate(f, DESIGN, ["y1", "y2", "y3", "q"], "proportion", by="sex")
    alone = pd.concat([estimate(f, DESIGN, v, "proportion", by="sex") for v in ["y1", "y2", "y3", "q"]],
                      ignore_index=True)  # fmt: skip
    pd.testing.assert_frame_equal(together, alone, check_exact=True)
