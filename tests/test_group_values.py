"""Location and breakdown columns keep their groups: a calculated band such as age_group ('35-49') is
published as written (it was silently emptied: every value counted as missing), and a column without
a choice list holding names is a located error, never a group silently emptied."""

from __future__ import annotations

import pytest

from survey_toolkit import pipeline
from survey_toolkit.errors import DataError
from tests.test_pipeline import reduced_project


def test_a_calculated_band_is_a_published_breakdown(tmp_path):
    path = reduced_project(tmp_path, indicators=("trust_police",))
    path.write_text(path.read_text(encoding="utf-8").replace("disaggregate: false", "disaggregate: true"), encoding="utf-8")
    table = pipeline.run(path, until="compute", write=False).table
    bands = set(table["age_group"].dropna().astype(str)) - {"All"}
    assert bands == {"18-24", "25-34", "35-49", "50-64", "65+"}
    national = table[table["location_level"].eq("national") & table["age_group"].notna()]
    assert national["n"].sum() > 0


def test_a_text_column_holding_names_is_an_error_not_an_empty_group(tmp_path):
    import dataclasses

    from survey_toolkit.pipeline.estimates import _known_groups

    path = reduced_project(tmp_path, indicators=("trust_police",))
    text = path.read_text(encoding="utf-8").replace("levels: [admin1, admin2]", "levels: [admin1, enumerator_id]")
    path.write_text(text, encoding="utf-8")
    run = pipeline.run(path, until="load", write=False)
    data = run.data["R1"]
    names = ["Amina Diallo", "John Okello"] * (len(data.frame) // 2) + ["Amina Diallo"] * (len(data.frame) % 2)
    named = dataclasses.replace(data, frame=data.frame.assign(enumerator_id=names))
    assert _known_groups(data, run.project, run.inputs) is not None  # codes such as E07 are fine
    with pytest.raises(DataError) as err:
        _known_groups(named, run.project, run.inputs)
    problem = next(p for p in err.value.problems if p.code == "names-not-codes")
    assert problem.location.field == "enumerator_id" and "extra_columns" in problem.hint
    assert "Amina" not in str(err.value), "the names themselves are never shown"
