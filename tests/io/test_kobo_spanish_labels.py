"""KoBoToolbox's CSV export with Spanish label headers and an HXL row: tests/data/real_kobo_es/SOURCE.md.

Reference values: R 4.2.2, survey 4.1-1, on animales_es_60.csv read with read.csv2 (the HXL row dropped):
des <- svydesign(ids=~1, strata=~estrato, weights=~peso, data=d)
"""

from __future__ import annotations

from pathlib import Path

import pytest

import survey_toolkit as st
from survey_toolkit.indicators import parse_indicators

DATA = Path(__file__).resolve().parents[1] / "data" / "real_kobo_es"
FORM = DATA / "animales.xlsx"
SYM = "What_kind_of_symmetry_do_you_have"

SPEC = f"""spec_version: 1
defaults:
  universe: all
indicators:
  - id: radial
    type: proportion
    label: Radial
    numerator: selected({SYM}, 'radial')
  - id: fluids
    type: distribution
    label: Fluids
    question: Do_you_have_body_flu_intracellular_space
  - id: segments
    type: mean
    label: Segments
    question: How_many_segments_does_your_body_have
"""


def test_spanish_labels_are_read_back_as_codes():
    data = st.load(DATA / "animales_es.csv", instrument=FORM)
    frame = data.frame
    assert frame[SYM].tolist() == ["spherical radial bilateral", "radial", "bilateral"]
    assert frame[f"{SYM}/radial"].tolist() == [True, True, False]
    assert frame["Do_you_have_body_flu_intracellular_space"].tolist() == [
        "yes__and_some_",
        "yes",
        "no___unsure",
    ]
    assert frame["Do_you_descend_from_unicellular_organism"].tolist() == ["no", "no", "yes"]
    assert frame["How_many_segments_does_your_body_have"].tolist() == [6, 3, 2]
    assert frame["_record_id"].iloc[0] == "uuid:48583952-1892-4931-8d9c-869e7b49bafb"
    assert not [p for p in data.problems if p.severity.name != "INFO"]


@pytest.fixture(scope="module")
def weighted():
    data = st.load(DATA / "animales_es_60.csv", instrument=FORM)
    # what the project's extra_columns: [estrato, peso] does: the analyst's columns brought into the frame
    frame = data.frame.assign(
        estrato=data.extra["estrato"].to_numpy(), peso=data.extra["peso"].astype(float).to_numpy()
    )
    return data, frame


def test_weighted_stratified_estimates_agree_with_r(weighted):
    data, frame = weighted
    spec = parse_indicators(SPEC, "es.yaml").spec
    out = st.compute(frame, spec, st.Design(strata="estrato", weights="peso"), instrument=data.instrument)
    all_ = out[out.group == "all"]
    row = all_.assign(
        key=all_.indicator_id + all_.category.map(lambda c: f"[{c}]" if isinstance(c, str) else "")
    ).set_index("key")
    # svymean(~radial, des)
    assert row.loc["radial", "estimate"] == pytest.approx(100 * 0.494472361809, abs=1e-8)
    assert row.loc["radial", "se"] == pytest.approx(100 * 0.075516400902, abs=1e-8)
    # svymean(~seg, des, na.rm=TRUE)
    assert row.loc["segments", "estimate"] == pytest.approx(6.633701515541, abs=1e-9)
    assert row.loc["segments", "se"] == pytest.approx(0.544196040799, abs=1e-9)
    # svymean(~factor(fl), subset(des, !is.na(fl)))
    for code, est, se in [("no___unsure", 0.348292951542, 0.075925317240), ("yes", 0.336729074890, 0.075516662368),
                          ("yes__and_some_", 0.314977973568, 0.074839423476)]:  # fmt: skip
        assert row.loc[f"fluids[{code}]", "estimate"] == pytest.approx(100 * est, abs=1e-8)
        assert row.loc[f"fluids[{code}]", "se"] == pytest.approx(100 * se, abs=1e-8)
    # svyby(~seg, ~estrato, des, svymean, na.rm=TRUE)
    by = st.compute(
        frame, spec, st.Design(strata="estrato", weights="peso"), by="estrato", instrument=data.instrument
    )
    seg = by[(by.indicator_id == "segments") & (by.group == "all")].set_index("estrato")
    for stratum, est, se in [("Este", 6.764705882353, 0.937024167652), ("Norte", 6.05, 0.865949433312),
                             ("Sur", 6.85, 0.782287469036)]:  # fmt: skip
        assert seg.loc[stratum, "estimate"] == pytest.approx(est, abs=1e-9)
        assert seg.loc[stratum, "se"] == pytest.approx(se, abs=1e-9)


def test_the_analysts_columns_used_by_the_design_are_not_flagged_as_unknown(weighted):
    import dataclasses

    data, frame = weighted
    before = st.check_quality(data).issues
    assert set(before.loc[before["check"] == "column-not-in-form", "column"]) == {"estrato", "peso"}
    after = st.check_quality(dataclasses.replace(data, frame=frame)).issues
    assert "column-not-in-form" not in set(after["check"])


def _cleaned_dataset(path: Path) -> Path:
    """A cleaned dataset as REACH publishes it: READ ME first, then the data, the cleaning and deletion logs."""
    import pandas as pd

    data = st.load(DATA / "animales_es.csv", instrument=FORM)
    frame = data.frame[[SYM, f"{SYM}/spherical", f"{SYM}/radial", f"{SYM}/bilateral"]].astype("object")
    frame = frame.rename(columns=lambda c: f"external_characteristics/{c}").assign(
        Do_you_descend_from_unicellular_organism=data.frame[
            "Do_you_descend_from_unicellular_organism"
        ].astype(object),
        _uuid=data.extra["_uuid"].to_numpy(),
        _submission_time=["2017-10-23T09:41:19", "2017-10-23T09:41:38", "2017-10-23T09:42:11"],
        _index=[1, 2, 3],
    )
    with pd.ExcelWriter(path) as book:
        pd.DataFrame({"READ ME": ["Cleaned by the assessment team", "Sheets: clean_data, logs"]}).to_excel(
            book, sheet_name="READ_ME", index=False
        )
        frame.to_excel(book, sheet_name="clean_data", index=False)
        pd.DataFrame(
            {"uuid": ["317ba7b7"], "question": ["x"], "old_value": ["1"], "new_value": ["2"]}
        ).to_excel(book, sheet_name="cleaning_log", index=False)
        pd.DataFrame({"uuid": ["aaaa"], "reason": ["duplicate"]}).to_excel(
            book, sheet_name="deletion_log", index=False
        )
    return path


def test_a_cleaned_dataset_opening_with_a_read_me_sheet_reads_the_data_sheet(tmp_path):
    # the READ ME sheet was taken as the data: instrument-mismatch "0 of 4 questions" at sheet 'READ_ME'
    data = st.load(_cleaned_dataset(tmp_path / "clean.xlsx"), instrument=FORM)
    assert data.frame[SYM].tolist() == ["spherical radial bilateral", "radial", "bilateral"]
    assert data.frame["_source_row"].tolist() == [2, 3, 4]
    by_code = {p.code: p for p in data.problems}
    assert by_code["sheets-before-data-skipped"].severity.name == "INFO"
    assert "'READ_ME' before the data sheet 'clean_data'" in by_code["sheets-before-data-skipped"].message
    # the logs beside the data are no repeat tables: an info each, not "check the form" warnings
    logs = [p for p in data.problems if p.code == "sheet-not-a-repeat"]
    assert [p.location.sheet for p in logs] == ["cleaning_log", "deletion_log"]
    assert "unknown-repeat-table" not in by_code and not data.children


def test_the_run_summary_counts_warnings_not_infos(tmp_path):
    # 'csv-dialect' and 'decimal-comma' are infos (validate: "0 warning(s)"); the run said "2 warning(s)"
    import shutil

    from typer.testing import CliRunner

    from survey_toolkit import cli

    for name in ("animales.xlsx", "animales_es_60.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    text = (tmp_path / "animales_es_60.csv").read_bytes()
    for dot, comma in ((b'"12.5"', b'"12,5"'), (b'"30.0"', b'"30,0"'), (b'"7.25"', b'"7,25"')):
        text = text.replace(dot + b"\r\n", comma + b"\r\n")  # Excel in a French or Spanish locale
    (tmp_path / "animales_es_60.csv").write_bytes(text)
    (tmp_path / "indicators.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "survey.yaml").write_text(
        "version: 1\ninstrument: animales.xlsx\nindicators: indicators.yaml\nextra_columns: [estrato, peso]\n"
        "rounds:\n  - id: R1\n    files: [animales_es_60.csv]\ndesign: {strata: estrato, weights: peso}\n",
        encoding="utf-8",
    )
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["weight", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning(s)" not in result.stderr
    assert (tmp_path / "output" / "weights.csv").is_file()


def test_validate_reports_the_lonely_psu_run_would_stop_on(tmp_path):
    # validate said OK, then run stopped with 'Stratum (Oeste) has only one PSU' located nowhere
    import shutil

    from survey_toolkit.pipeline.workflow import validate_project

    shutil.copy(DATA / "animales.xlsx", tmp_path / "animales.xlsx")
    text = (DATA / "animales_es_60.csv").read_bytes()
    (tmp_path / "animales_es_60.csv").write_bytes(text.replace(b'"Norte";"12.5"', b'"Oeste";"12.5"', 1))
    (tmp_path / "indicators.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "survey.yaml").write_text(
        "version: 1\ninstrument: animales.xlsx\nindicators: indicators.yaml\nextra_columns: [estrato, peso]\n"
        "rounds:\n  - id: R1\n    files: [animales_es_60.csv]\ndesign:\n  strata: estrato\n  weights: peso\n",
        encoding="utf-8",
    )
    _, report = validate_project(tmp_path, data=True)
    [problem] = [p for p in report.problems if p.is_error]
    assert problem.code == "lonely-psu"
    # the stratum's value is masked unless --show-values (it comes from the data)
    assert problem.message.startswith("round R1: Stratum (") and problem.message.endswith(
        "one PSU at stage 1"
    )
    assert problem.location.file == str(tmp_path / "survey.yaml") and problem.location.line in (
        8,
        9,
    )  # design:
    assert "lonely_psu: adjust" in problem.hint
    # with the project's answer to it, validate is clean
    with open(tmp_path / "survey.yaml", "a", encoding="utf-8") as fh:
        fh.write("  lonely_psu: adjust\n")
    _, report = validate_project(tmp_path, data=True)
    assert not [p for p in report.problems if p.is_error]
