"""Answers outside a choice list are invalid answers, never categories; DK/refused codes of numeric items.

Review findings B1 (free text typed into a select question became a published category) and B3
(``dk_refused`` ignored for mean / median / ratio of numeric questions). Small forms and exports are
built in ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import survey_toolkit as st
from survey_toolkit import io as survey_io
from survey_toolkit.errors import SpecError
from survey_toolkit.indicators.scoring import numeric_dk_codes, score_all
from survey_toolkit.indicators.semantics import instrument_kinds

FREE_TEXT = "Jane Doe +237699123456"


def _form(tmp_path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in (
        ["type", "name", "label"],
        ["select_one yn", "consent", "Consent"],
        ["select_one trust", "trust_police", "Trust in the police"],
        ["integer", "hh_adults", "Adults in the household"],
        ["integer", "rooms", "Rooms"],
    ):
        ws.append(row)
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for code in ("1", "2", "3", "4", "98", "99"):
        choices.append(["trust", code, f"label {code}"])
    choices.append(["yn", "1", "yes"])
    choices.append(["yn", "0", "no"])
    wb.save(tmp_path / "form.xlsx")
    return st.read_instrument(tmp_path / "form.xlsx")


def _spec(tmp_path: Path, form, body: str):
    path = tmp_path / "indicators.yaml"
    path.write_text("spec_version: 1\nindicators:\n" + body, encoding="utf-8")
    return st.load_indicators(path, form)


@pytest.fixture
def loaded(tmp_path):
    form = _form(tmp_path)
    frame = pd.DataFrame(
        {
            "consent": ["1"] * 6,
            "trust_police": ["1", "2", FREE_TEXT, "4", "1", "5"],
            "hh_adults": [2, 3, 4, 98, 99, 2],
            "rooms": [1, 2, 2, 3, 98, 4],
        }
    )
    frame.to_csv(tmp_path / "export.csv", index=False)
    data = survey_io.load(tmp_path / "export.csv", instrument=form)
    data.frame["w"] = 1.0
    return tmp_path, form, data


DISTRIBUTION = """\
  - id: trust_dist
    type: distribution
    label: {en: Trust}
    question: trust_police
  - id: trust_high
    type: proportion
    label: {en: High trust}
    numerator: trust_police in [1, 2]
"""


def test_the_tidy_frame_keeps_off_list_values_for_the_quality_check(loaded):
    _, _, data = loaded
    assert FREE_TEXT in data.frame["trust_police"].cat.categories  # documented: docs/data-model.md
    found = st.quality.check_quality(data).issues
    assert (found["check"] == "value-not-in-choices").sum() == 2


def test_off_list_answers_are_never_categories_of_the_results(loaded):
    tmp_path, form, data = loaded
    spec = _spec(tmp_path, form, DISTRIBUTION)
    out = st.compute(data, spec, st.Design(weights="w"))
    dist = out[out["indicator_id"] == "trust_dist"]
    assert set(dist["category"].dropna()) <= {"1", "2", "3", "4", "98", "99"}
    assert not out.astype(str).apply(lambda c: c.str.contains("Jane")).any().any()
    # the two off-list rows leave the base like missing answers: 4 valid answers
    one = dist[dist["category"] == "1"].iloc[0]
    assert one["n"] == 4 and one["estimate"] == pytest.approx(50.0)


def test_off_list_answers_are_invalid_for_conditions_and_counted(loaded):
    tmp_path, form, data = loaded
    spec = _spec(tmp_path, form, DISTRIBUTION)
    scored = score_all(spec, data.frame, instrument_kinds(form))
    high = scored["trust_high"]
    assert int(high.domain.sum()) == 4  # '5' and the free text are not "no": they are not answers
    assert high.n_missing == 2
    assert scored["trust_dist"].n_invalid == 2 and high.n_invalid == 2
    assert list(scored["trust_dist"].values.columns) == ["1", "2", "3", "4"]  # DK/RF excluded by default


def test_mean_of_a_numeric_question_excludes_dk_and_refused_codes(loaded):
    tmp_path, form, data = loaded
    spec = _spec(
        tmp_path,
        form,
        "  - id: adults_mean\n    type: mean\n    label: {en: Adults}\n    question: hh_adults\n"
        "    dk_refused: excluded\n",
    )
    row = st.compute(data, spec, st.Design(weights="w")).iloc[0]
    assert row["estimate"] == pytest.approx(2.75)  # (2 + 3 + 4 + 2) / 4; was 34.67 with 98/99 averaged
    assert row["n"] == 4 and row["dk_share"] == pytest.approx(2 / 6)


def test_counted_keeps_the_codes_as_numbers(loaded):
    tmp_path, form, data = loaded
    spec = _spec(
        tmp_path,
        form,
        "  - id: adults_mean\n    type: median\n    label: {en: Adults}\n    question: hh_adults\n"
        "    dk_refused: counted\n",
    )
    scored = score_all(spec, data.frame, instrument_kinds(form))["adults_mean"]
    assert int(scored.domain.sum()) == 6
    assert scored.values["value"].max() == 99


def test_ratio_excludes_rows_where_either_side_is_a_dk_code(loaded):
    tmp_path, form, data = loaded
    spec = _spec(
        tmp_path,
        form,
        "  - id: per_room\n    type: ratio\n    label: {en: Adults per room}\n"
        "    numerator_question: hh_adults\n    denominator_question: rooms\n",
    )
    row = st.compute(data, spec, st.Design(weights="w")).iloc[0]
    assert row["n"] == 4
    assert row["estimate"] == pytest.approx((2 + 3 + 4 + 2) / (1 + 2 + 2 + 4))


def test_own_share_on_a_numeric_mean_is_rejected_by_validation(tmp_path):
    form = _form(tmp_path)
    with pytest.raises(SpecError) as info:
        _spec(
            tmp_path,
            form,
            "  - id: adults_mean\n    type: mean\n    label: {en: Adults}\n    question: hh_adults\n"
            "    dk_refused: own_share\n",
        )
    codes = [p.code for p in info.value.problems]
    assert "dk-refused-not-applicable" in codes
    problem = next(p for p in info.value.problems if p.code == "dk-refused-not-applicable")
    assert problem.location.line == 7 and problem.hint  # the dk_refused line


def test_numeric_dk_codes_come_from_the_defaults(tmp_path):
    form = _form(tmp_path)
    path = tmp_path / "indicators.yaml"
    path.write_text(
        "spec_version: 1\ndefaults:\n  dk_codes: ['-8', dk]\n  refused_codes: ['-9']\nindicators:\n"
        "  - id: adults_mean\n    type: mean\n    label: {en: Adults}\n    question: hh_adults\n",
        encoding="utf-8",
    )
    spec = st.load_indicators(path, form)
    assert numeric_dk_codes(spec) == (-8.0, -9.0)
    frame = pd.DataFrame({"consent": ["1"] * 4, "hh_adults": pd.array([2, -8, 98, -9], dtype="Int64")})
    scored = score_all(spec, frame, instrument_kinds(form))["adults_mean"]
    assert scored.domain.tolist() == [True, False, True, False]
