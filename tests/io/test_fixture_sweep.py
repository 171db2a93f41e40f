"""Every file under ../shared/fixtures/exports and ../shared/fixtures/real loads or fails with a clear,
located message: never a traceback (issue 2, "How it will be checked")."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

import survey_toolkit as st

FILES = (
    sorted(
        p
        for folder in ("exports", "real")
        for p in (FIXTURES / folder).rglob("*")
        if p.is_file() and p.suffix.lower() != ".md"
    )
    if FIXTURES.exists()
    else []
)

# (export, its form) pairs from the real folder: the loader must map them to the instrument.
PAIRS = [
    (
        "real/kobo_xlsx_export_kobocruncher/data.xlsx",
        "real/kobo_xlsx_export_kobocruncher/sample_xlsform.xlsx",
    ),
    (
        "real/kobo_xlsx_export_kobocruncher/data_likert.xlsx",
        "real/kobo_xlsx_export_kobocruncher/form_likert.xlsx",
    ),
    (
        "real/reach_humind_msna2024_tool/dummy_raw_data.xlsx",
        "real/reach_humind_msna2024_tool/REACH_2024_MSNA-kobo-tool_draft_v11.xlsx",
    ),
]


@pytest.mark.skipif(not FILES, reason="../shared/fixtures is not available (it sits beside the checkout)")
@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_loads_or_fails_clearly(path):
    try:
        data = st.load(path)
    except st.SurveyToolkitError as err:
        assert err.problems, "an error must carry at least one problem"
        first = err.problems[0]
        assert first.location.file and path.name in first.location.file, str(first)
        assert first.message and first.hint, f"no message or hint: {first}"
        return
    assert len(data.frame) > 0
    assert {"_record_id", "_source_file", "_source_format", "_source_row"} <= set(data.frame.columns)


@pytest.mark.parametrize("export, form", PAIRS, ids=[p[0].split("/")[-1] for p in PAIRS])
def test_real_exports_map_to_their_forms(shared, export, form):
    export_path, form_path = shared(*export.split("/")), shared(*form.split("/"))
    instrument = st.read_instrument(form_path)
    data = st.load(export_path, instrument=instrument)
    # questions outside repeats belong in the main frame (meta fields such as instanceID feed _record_id)
    names = {q.name for q in instrument.leaves if q.repeat is None and q.path[:1] != ("meta",)}
    missing = names - set(data.frame.columns)
    assert len(missing) <= 0.05 * len(names), (
        f"{len(missing)} of {len(names)} questions not found: {sorted(missing)}"
    )
    for repeat in instrument.repeats:
        if repeat.name in data.children:
            assert "_record_id" in data.children[repeat.name].columns
    assert data.frame["_record_id"].is_unique
