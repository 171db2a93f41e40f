"""From compute() output to the reporting table: rounds, locations, disaggregations, categories, labels."""

from __future__ import annotations

import pandas as pd
import pytest

from survey_toolkit.comparison import compare_rounds
from survey_toolkit.disclosure import apply_rules, group_columns_of
from survey_toolkit.errors import DataError
from survey_toolkit.results import MISSING_LEVEL, labels_from_indicators
from survey_toolkit.results import reporting_table as from_compute


def compute_like() -> pd.DataFrame:
    """The shape survey_toolkit.compute returns, from three calls (national, admin1, admin2) concatenated."""
    rows = []
    for rnd in ("R1", "R2"):
        base = dict(
            indicator_id="safe",
            type="proportion",
            category=pd.NA,
            round=rnd,
            estimate=40.0,
            se=2.0,
            ci_low=36.0,
            ci_high=44.0,
            df=30.0,
            n=300,
            n_numerator=120,
            unit="percent",
            sensitive=False,
        )
        rows.append(base | dict(group="all", level="All"))
        rows += [base | dict(group="a1_sex", level=s) for s in ("1", "2")]
        rows.append(base | dict(group="a1_sex", level=pd.NA, n=3))  # respondents without an answer
        rows.append(base | dict(group="all", level="All", admin1="R01"))
        rows += [base | dict(group="all", level="All", admin1="R01", admin2=d) for d in ("R01D01", "R01D02")]
        rows += [
            base | dict(indicator_id="dist", type="distribution", category=c, group="all", level="All")
            for c in ("1", "2")
        ]
    return pd.DataFrame(rows)


def test_locations_levels_and_parents():
    out = from_compute(compute_like())
    r1 = out[(out["round"] == "R1") & (out["indicator_id"] == "safe") & out["a1_sex"].isna()]
    assert r1["location"].tolist() == ["All", "R01", "R01D01", "R01D02"]
    assert r1["location_level"].tolist() == ["national", "admin1", "admin2", "admin2"]
    assert r1["location_parent"].fillna("-").tolist() == ["-", "-", "R01", "R01"]


def test_disaggregations_become_columns_and_missing_levels_stay_distinct():
    out = from_compute(compute_like())
    assert "group" not in out.columns and "level" not in out.columns
    assert out.loc[out["round"] == "R1", "a1_sex"].dropna().tolist() == ["1", "2", MISSING_LEVEL]
    assert group_columns_of(out) == ["location", "a1_sex"]
    # one row per indicator x round x group: the comparison can match rounds
    comp = compare_rounds(apply_rules(out))
    assert len(comp) == len(out) // 2


def test_categories_become_their_own_series():
    out = from_compute(compute_like())
    assert {"dist[1]", "dist[2]"} <= set(out["indicator_id"])
    assert set(out.loc[out["indicator_id"] == "dist[1]", "base_indicator_id"]) == {"dist"}


def test_round_column_is_required():
    with pytest.raises(DataError) as err:
        from_compute(compute_like(), round_column="round_id")
    problem = err.value.problems[0]
    assert problem.code == "missing-round-column" and problem.location.field == "round_id"


def test_duplicate_rows_are_reported_by_compare():
    table = from_compute(compute_like())
    doubled = pd.concat([table, table.head(1)], ignore_index=True)
    with pytest.raises(DataError) as err:
        compare_rounds(apply_rules(doubled))
    assert err.value.problems[0].code == "duplicate-result-rows"


class _Text:
    def __init__(self, **values):
        self.values = values

    def get(self, lang=None):
        return self.values.get(lang) or next(iter(self.values.values()), "")

    def __bool__(self):
        return bool(self.values)


class _Ind:
    def __init__(self, ident, en, fr, direction):
        self.id, self.label, self.direction = ident, _Text(en=en, fr=fr), direction
        self.description = _Text(en=f"{en} (definition)")


class _Spec:
    languages = ("en", "fr")

    def __init__(self):
        self.indicators = (
            _Ind("safe", "Feel safe", "Se sentent en sécurité", "higher_is_better"),
            _Ind("dist", "Answers", "Réponses", "neutral"),
        )


def test_labels_and_direction_from_indicators():
    out = from_compute(compute_like(), indicators=_Spec())
    safe = out[out["indicator_id"] == "safe"].iloc[0]
    assert (safe["label_en"], safe["label_fr"], safe["direction"]) == (
        "Feel safe",
        "Se sentent en sécurité",
        "higher_is_better",
    )
    assert out.loc[out["indicator_id"] == "dist[2]", "label_en"].iloc[0] == "Answers (2)"
    info = labels_from_indicators(_Spec())
    assert info["definitions"]["safe"]["en"] == "Feel safe (definition)"


class _Choices:
    def labels(self, lang):
        return {"1": {"en": "Yes", "fr": "Oui"}[lang], "2": {"en": "No", "fr": "Non"}[lang]}


class _Form:
    def choices_for(self, question):
        if question != "q_dist":
            raise KeyError(question)
        return _Choices()


def test_category_series_get_choice_labels_from_the_instrument():
    spec = _Spec()
    spec.indicators[1].question = "q_dist"
    spec.indicators[0].question = "unknown_question"  # not in the form: keeps codes, no error
    out = from_compute(compute_like(), indicators=spec, instrument=_Form())
    row = out[out["indicator_id"] == "dist[1]"].iloc[0]
    assert (row["label_en"], row["label_fr"]) == ("Answers (Yes)", "Réponses (Oui)")


def test_short_labels_keep_the_category():
    from survey_toolkit.report.charts import _short

    long = (
        "Dispute resolution mechanisms used for the most recent dispute (16.3.3 by type) (Religious leader)"
    )
    assert _short(long).endswith("(Religious leader)") and len(_short(long)) <= 60
    assert _short("short") == "short"
