"""``survey-toolkit inspect`` on an SPSS/Stata export without its XLSForm: the file's labels are the form,
as in a project without ``instrument:`` (issue 9, "No form at hand"). It used to stop with "Missing
option '--instrument'" although ``validate``/``run`` accept the same file without a form.

Real-shaped fixtures: the ANES 1948 SPSS portable file (``../shared/fixtures/real/anes1948_spss_por``,
662 cases, declared missing codes) and the CEAT WASH household CSV (no labels: a form is needed).
"""

from __future__ import annotations

from typer.testing import CliRunner

from survey_toolkit import cli
from tests.conftest import shared_path

runner = CliRunner()


def test_an_spss_file_is_inspected_with_its_labels_as_the_form(tmp_path):
    cli._register_commands()
    por = shared_path("real", "anes1948_spss_por", "NES1948", "NES1948.POR")
    out = tmp_path / "findings.csv"
    result = runner.invoke(cli.app, ["inspect", str(por), "-f", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "NES1948.POR" in result.output and "662" in result.output
    assert out.is_file()


def test_a_csv_without_a_form_is_a_usage_error_naming_both_fixes():
    cli._register_commands()
    csv = shared_path("real", "ceat_wash_abidjan_nairobi", "data", "household_data.csv")
    result = runner.invoke(cli.app, ["inspect", str(csv)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "--instrument" in text and "init --from" in text and "Traceback" not in text
