"""Report languages written at once in forked processes: the same bytes as one after the other, and a
failure in a language's process surfaces in the parent as the usual located error."""

from __future__ import annotations

import sys

import pytest

from survey_toolkit.errors import Location, Problem, SpecError
from survey_toolkit.report import render, workers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forked writers run on Linux only")


def _files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_parallel_languages_write_the_same_bytes(results, meta, tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "2")
    assert workers() == 2
    together = render(results, tmp_path / "par", meta=meta, languages=("en", "fr"))
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "1")
    apart = render(results, tmp_path / "seq", meta=meta, languages=("en", "fr"))
    assert [p.name for p in together["excel"]] == ["results.en.xlsx", "results.fr.xlsx"]
    assert [p.name for p in together["html"]] == [p.name for p in apart["html"]]
    assert _files(tmp_path / "par") == _files(tmp_path / "seq")


def test_an_error_in_another_language_is_raised_here(results, meta, tmp_path, monkeypatch):
    from survey_toolkit.report import excel

    real = excel.write_excel

    def broken(path, *args, lang="en", **kwargs):
        if lang == "fr":
            raise SpecError(Problem("test-failure", "the French workbook failed", Location(file="x.yaml", line=3)))
        return real(path, *args, lang=lang, **kwargs)

    monkeypatch.setattr("survey_toolkit.report.write_excel", broken)
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "2")
    with pytest.raises(SpecError) as err:
        render(results, tmp_path / "out", meta=meta, languages=("en", "fr"))
    assert err.value.problems[0].code == "test-failure" and err.value.problems[0].location.line == 3


@pytest.mark.parametrize("n", ["1", "2"])
def test_progress_counts_every_output_once(results, meta, tmp_path, monkeypatch, n):
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", n)
    seen = []
    render(results, tmp_path / "out", meta=meta, languages=("en", "fr"), progress=lambda s, d, t: seen.append((s, d, t)))
    assert sorted(s for s, _, _ in seen) == sorted(["report:charts en", "report:html en", "report:excel en",
                                                    "report:charts fr", "report:html fr", "report:excel fr",
                                                    "report:tidy"])  # fmt: skip
    assert [d for _, d, _ in seen] == list(range(1, 8)) and {t for _, _, t in seen} == {7}
    names = [s for s, _, _ in seen]
    assert names.index("report:charts en") + 1 == names.index("report:html en")  # a page: its charts, then the HTML


def test_one_language_is_written_in_parts_at_once(results, meta, tmp_path, monkeypatch):
    """The workbook, the page and the tidy tables of one language are separate parts: the same bytes
    written at once as one after the other."""
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "2")
    together = render(results, tmp_path / "par", meta=meta, languages=("fr",))
    monkeypatch.setenv("SURVEY_TOOLKIT_WORKERS", "1")
    render(results, tmp_path / "seq", meta=meta, languages=("fr",))
    assert {k: len(v) for k, v in together.items()}["excel"] == 1
    assert _files(tmp_path / "par") == _files(tmp_path / "seq")
