"""A round whose export keeps only some of the form's columns (a partner's column subset of a KoBo
export, as the CEAT WASH household data: 42 of ~100 fields) loads with the round's ``min_match:``;
without it ``validate`` stops with ``instrument-mismatch`` and a hint naming that key (issue 9).

Real-shaped fixture: the KoBo export of a 120-respondent perception survey with its XLSForm
(``../shared/fixtures/real/kobo_xlsx_export_kobocruncher``), reduced in ``tmp_path`` to 4 of its 18
question columns (the shared file is never modified).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from survey_toolkit import cli, pipeline
from survey_toolkit.project import check_project
from tests.conftest import shared_path

LIKERT = ("real", "kobo_xlsx_export_kobocruncher")
KEEP = ("group_ei8jz33.violence", "group_ei8jz33.cva", "group_ei8jz33.discxen", "group_ei8jz33.costofliving")
# R 4.2.2, survey 4.1-1, on the 120 answers of 'violence' (92 'likely'), equal weights:
#   svymean(~I(violence == "likely"), svydesign(ids = ~1, data = d))
R_LIKELY = (0.766666666666667, 0.0387719998691867)  # coef and SE of the TRUE level

INDICATORS = """\
spec_version: 1
languages: [en]
defaults: {universe: all}
indicators:
  - id: violence_likely
    type: proportion
    label: {en: Violence likely}
    numerator: violence = 'likely'
"""


def _subset(tmp_path: Path) -> Path:
    wb = openpyxl.load_workbook(shared_path(*LIKERT, "data_likert.xlsx"))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    for index in sorted((i for i, h in enumerate(header) if h not in KEEP), reverse=True):
        ws.delete_cols(index + 1)
    path = tmp_path / "partner_subset.xlsx"
    wb.save(path)
    return path


def _project(tmp_path: Path, extra: str = "") -> Path:
    _subset(tmp_path)
    (tmp_path / "indicators.yaml").write_text(INDICATORS, encoding="utf-8")
    form = shared_path(*LIKERT, "form_likert.xlsx")
    (tmp_path / "survey.yaml").write_text(
        f"version: 1\ninstrument: {form}\nindicators: indicators.yaml\nreport: {{languages: [en]}}\n"
        f"rounds:\n  - id: R1\n    files: [partner_subset.xlsx]\n{extra}",
        encoding="utf-8",
    )
    return tmp_path


def test_a_column_subset_is_refused_with_a_hint_naming_min_match(tmp_path):
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["validate", str(_project(tmp_path))])
    assert result.exit_code == 1
    assert "instrument-mismatch" in result.output and "Traceback" not in result.output
    assert "'min_match:' in survey.yaml" in " ".join(result.output.split())


def test_the_round_min_match_loads_it_and_the_figure_agrees_with_r(tmp_path):
    path = _project(tmp_path, "    min_match: 0.15\n")
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    project = check_project(path)[0]
    assert project.rounds[0].min_match == 0.15
    out = pipeline.run(project, write=False).results
    (row,) = [r for _, r in out[out["indicator_id"] == "violence_likely"].iterrows()]
    assert row["estimate"] == pytest.approx(100 * R_LIKELY[0], abs=1e-10)
    assert row["se"] == pytest.approx(100 * R_LIKELY[1], abs=1e-10)
    assert row["n"] == 120


@pytest.mark.parametrize("value", ["0", "1.5", "'most'"])
def test_a_min_match_that_is_not_a_share_is_located(tmp_path, value):
    project, report = check_project(_project(tmp_path, f"    min_match: {value}\n"))
    (problem,) = [p for p in report if p.is_error]
    assert project is None and problem.code in ("bad-value", "wrong-type")
    assert problem.location.line == 8 and "min_match" in str(problem)
