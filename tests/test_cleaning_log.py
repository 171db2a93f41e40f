"""The cleaning log: corrections applied before analysis, checked against the data, audited.

Real-shaped: the demo's KoBo export of round 1 and a cleaning log in the layout field teams keep
(``uuid``, ``question``, ``old_value``, ``new_value``, ``issue``), written from the export's own values.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey_toolkit import load, pipeline
from survey_toolkit.cleaning import apply_cleaning, read_cleaning_log
from survey_toolkit.errors import DataError
from survey_toolkit.instrument import read_instrument
from tests.conftest import ROOT
from tests.test_pipeline import DEMO, reduced_project

FORM = ROOT / "instruments" / "cssp_core.xlsx"
MOVED = 40  # "very unsafe" (4) answers corrected to "very safe" (1)


@pytest.fixture(scope="module")
def round1():
    return load(DEMO / "round1_kobo.xlsx", instrument=read_instrument(FORM))


def _raw_uuid(record_id: str) -> str:
    return "uuid:" + record_id.removeprefix("uuid:").upper()  # a spelling of its own: prefix, upper case


@pytest.fixture(scope="module")
def log_rows(round1):
    frame = round1.frame
    dark = frame[frame["b1_safe_dark"].astype("string") == "4"].head(MOVED)
    rows = [{"uuid": _raw_uuid(r), "question": "b1_safe_dark", "old_value": "4", "new_value": "1",
             "issue": "enumerator ticked the wrong end of the scale"} for r in dark["_record_id"]]  # fmt: skip
    other = frame[frame["b3_unsafe_reason"].astype("string").str.contains(r"\b96\b", na=False)].iloc[0]
    answer = str(other["b3_unsafe_reason"])
    rows.append({"uuid": _raw_uuid(other["_record_id"]), "question": "b3_unsafe_reason", "old_value": answer,
                 "new_value": " ".join("3" if c == "96" else c for c in answer.split()),
                 "issue": "other, specify: 'harassment by men at the market' is choice 3"})  # fmt: skip
    return pd.DataFrame(rows), other["_record_id"]


def _write(folder: Path, table: pd.DataFrame, name: str = "cleaning log.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    table.to_csv(path, index=False)
    return path


def test_log_applied_in_memory_with_other_specify_recoded(round1, log_rows, tmp_path):
    table, other_id = log_rows
    log = read_cleaning_log(_write(tmp_path, table))
    cleaned, audit = apply_cleaning(round1, log, round_id="R1", source="cleaning log.csv")
    before = round1.frame["b1_safe_dark"].astype("string").value_counts()
    after = cleaned.frame["b1_safe_dark"].astype("string").value_counts()
    assert after["4"] == before["4"] - MOVED and after["1"] == before["1"] + MOVED
    assert isinstance(cleaned.frame["b1_safe_dark"].dtype, pd.CategoricalDtype)
    row = cleaned.frame[cleaned.frame["_record_id"] == other_id].iloc[0]
    assert "96" not in str(row["b3_unsafe_reason"]).split() and "3" in str(row["b3_unsafe_reason"]).split()
    assert bool(row["b3_unsafe_reason/3"]) is True and bool(row["b3_unsafe_reason/96"]) is False
    assert list(audit.columns) == ["round", "record_id", "question", "old_value", "new_value", "reason", "log_file",
                                   "log_row"]  # fmt: skip
    assert len(audit) == MOVED + 1 and audit["log_row"].tolist()[:2] == [2, 3]
    assert round1.frame["b1_safe_dark"].astype("string").value_counts()["4"] == before["4"]  # input untouched


def test_mismatching_rows_are_all_reported_with_their_log_row(round1, log_rows, tmp_path):
    table, _ = log_rows
    broken = table.copy()
    broken.loc[0, "old_value"] = "2"  # the data holds 4
    broken.loc[1, "uuid"] = "uuid:not-a-record"
    broken.loc[2, "question"] = "b1_safe_drak"
    broken.loc[3, "new_value"] = "7"  # not a code of the list
    log = read_cleaning_log(_write(tmp_path, broken))
    with pytest.raises(DataError) as err:
        apply_cleaning(round1, log, round_id="R1", source="cleaning log.csv")
    by_code = {p.code: p for p in err.value.problems}
    assert set(by_code) == {"cleaning-old-value-mismatch", "cleaning-unknown-record", "cleaning-unknown-question",
                            "cleaning-bad-new-value"}  # fmt: skip
    assert by_code["cleaning-old-value-mismatch"].location.row == 2
    assert by_code["cleaning-unknown-record"].location.row == 3
    assert by_code["cleaning-unknown-question"].hint == "did you mean 'b1_safe_dark'?"
    assert by_code["cleaning-bad-new-value"].location.row == 5
    assert all(p.location.file == "cleaning log.csv" for p in err.value.problems)


def test_a_log_without_its_columns_is_refused(tmp_path):
    path = _write(tmp_path, pd.DataFrame({"id": ["a"], "variable": ["q"], "value": ["1"]}))
    with pytest.raises(DataError) as err:
        read_cleaning_log(path)
    assert {p.code for p in err.value.problems} == {"cleaning-log-column"}
    assert len(err.value.problems) == 2  # old_value and new_value


def test_project_cleaning_log_changes_the_published_estimate_like_a_corrected_export(round1, log_rows, tmp_path):
    """R1 + the log gives exactly the estimate of R1's export with the same 40 answers corrected in it."""
    table, _ = log_rows
    log = _write(tmp_path / "logged", table[table["question"] == "b1_safe_dark"], "log.xlsx".replace("xlsx", "csv"))
    logged = reduced_project(tmp_path / "logged", indicators=("sdg_16_1_4",),
                             extra=f"cleaning_log: [{log}]\n")  # fmt: skip
    raw = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=str, engine="openpyxl")
    ids = set(table.loc[table["question"] == "b1_safe_dark", "uuid"].str.removeprefix("uuid:").str.lower())
    hit = raw["meta/rootUuid"].str.removeprefix("uuid:").str.lower().isin(ids)
    assert hit.sum() >= MOVED  # the demo plants a duplicated record id (excluded by the quality checks)
    raw.loc[hit, "b_safety/b1_safe_dark"] = "1"
    raw.to_excel(tmp_path / "corrected.xlsx", index=False)
    corrected = reduced_project(tmp_path / "corrected", indicators=("sdg_16_1_4",))
    corrected.write_text(corrected.read_text(encoding="utf-8").replace(str(DEMO / "round1_kobo.xlsx"),
                         str(tmp_path / "corrected.xlsx")), encoding="utf-8")  # fmt: skip
    result = pipeline.run(logged, until="quality", write=True)
    assert result.cleaning is not None and len(result.cleaning) == MOVED
    written = pd.read_csv(tmp_path / "logged" / "out" / "cleaning_log_applied.csv")
    assert len(written) == MOVED and set(written["round"]) == {"R1"}

    def national(path: Path) -> float:
        t = pipeline.run(path, until="compute", write=False).table
        return float(t[(t["indicator_id"] == "sdg_16_1_4") & (t["location"] == "All")]["estimate"].iloc[0])

    assert national(logged) == pytest.approx(national(corrected), abs=1e-10)
