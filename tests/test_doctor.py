"""``survey-toolkit doctor`` reports Python, packages, optional programs and credentials (never their values)."""

from __future__ import annotations

from typer.testing import CliRunner

from survey_toolkit.doctor import check_environment


def test_doctor_lists_required_packages_and_hides_credentials(monkeypatch):
    monkeypatch.setenv("KOBO_TOKEN", "very-secret-token")
    table = check_environment()
    assert {"Python", "pandas", "pyxform", "chromium", "libreoffice"} <= set(table["what"])
    assert set(table["status"]) <= {"ok", "missing", "optional", "info"}
    assert (table.loc[table["what"] == "pandas", "status"] == "ok").all()
    token_row = table[table["what"].str.startswith("KoBoToolbox token")]
    assert token_row["found"].tolist() == ["set"]
    assert "very-secret-token" not in table.to_string()


def test_doctor_cli_exit_code_and_missing_package(monkeypatch):
    from survey_toolkit import doctor as doc
    from survey_toolkit.cli import _register_commands, app

    _register_commands()
    ok = CliRunner().invoke(app, ["doctor"])
    assert ok.exit_code == 0, ok.output
    assert "pyxform" in ok.output
    monkeypatch.setitem(doc.REQUIRED_PACKAGES, "nonexistent_pkg", "nonexistent-package-xyz")
    bad = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["doctor"])
    assert bad.exit_code == 1
    assert "nonexistent-package-xyz" in bad.output and "missing" in bad.output
