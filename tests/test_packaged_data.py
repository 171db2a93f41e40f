"""The standard form and indicators ship inside the package (for `survey-toolkit init` after a plain pip
install) and must stay identical to the reviewed sources at instruments/ and the repository root."""

from __future__ import annotations

from conftest import ROOT

PAIRS = {
    "survey_toolkit/data/cssp_core.xlsx": "instruments/cssp_core.xlsx",
    "survey_toolkit/data/indicators.yaml": "indicators.yaml",
}


def test_packaged_copies_match_the_sources():
    for packaged, source in PAIRS.items():
        assert (ROOT / packaged).read_bytes() == (ROOT / source).read_bytes(), (
            f"{packaged} differs from {source}: run `cp {source} {packaged}`"
        )


def test_init_finds_the_packaged_files_first():
    from survey_toolkit.pipeline import standard_files

    found = standard_files()
    assert found["instrument"] == ROOT / "survey_toolkit/data/cssp_core.xlsx"
    assert found["indicators"] == ROOT / "survey_toolkit/data/indicators.yaml"
