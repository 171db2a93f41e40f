"""The shipped indicators.yaml: valid against the standard instrument, complete, bilingual."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from survey_toolkit import cli, read_instrument
from survey_toolkit.indicators import load_indicators, validate_indicators
from survey_toolkit.indicators.jsonschema import json_schema, json_schema_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "indicators.yaml"
FORM = ROOT / "instruments" / "cssp_core.xlsx"

SDG_IDS = {
    "sdg_16_1_3a_physical": "16.1.3", "sdg_16_1_3b_psychological": "16.1.3", "sdg_16_1_3c_sexual": "16.1.3",
    "sdg_16_1_4": "16.1.4", "sdg_16_3_1_physical": "16.3.1", "sdg_16_3_1_psychological": "16.3.1",
    "sdg_16_3_1_sexual": "16.3.1", "sdg_16_3_3": "16.3.3", "sdg_16_5_1": "16.5.1", "sdg_16_7_2": "16.7.2",
    "sdg_16_b_1": "16.b.1",
}


@pytest.fixture(scope="module")
def form():
    return read_instrument(FORM)


@pytest.fixture(scope="module")
def spec(form):
    return load_indicators(SHIPPED, form)


def test_shipped_file_validates_against_the_instrument(form):
    report = validate_indicators(SHIPPED, form)
    assert report.problems == ()


def test_official_sdg_series_and_variants(spec):
    for ident, code in SDG_IDS.items():
        assert spec[ident].sdg == code
    valid = spec["sdg_16_1_4_valid"]
    assert valid.sdg is None and valid.variant_of == "sdg_16_1_4"
    assert spec["sdg_16_1_4"].dk_refused == "own_share"
    assert str(spec["sdg_16_1_4"].denominator) == "answered(b1_safe_dark)"
    assert spec["sdg_16_7_2"].components == ("political_say", "political_influence")


def test_about_thirty_indicators_and_three_indices(spec):
    indices = {i.id: i for i in spec if i.type == "index"}
    assert set(indices) == {"community_safety_index", "police_legitimacy_index", "social_cohesion_index"}
    assert indices["community_safety_index"].scale == (0.0, 100.0)
    assert indices["police_legitimacy_index"].scale == (0.0, 10.0)
    assert indices["social_cohesion_index"].scale == (0.0, 10.0)
    assert [it.reverse for it in indices["social_cohesion_index"].items] == [False, False, False, True]
    assert len([i for i in spec if i.type != "index"]) >= 30


def test_labels_in_english_and_french(spec):
    for ind in spec:
        assert set(ind.label.values) == {"en", "fr"}, ind.id


def test_sensitive_indicators_flagged(spec):
    sensitive = {i.id for i in spec if i.sensitive}
    assert {"sdg_16_1_3c_sexual", "sdg_16_3_1_sexual", "harassment_public", "tf_harassment"} <= sensitive


def test_json_schema_accepts_the_shipped_file_and_rejects_broken_ones():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    validator = jsonschema.Draft202012Validator(json_schema())
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert list(validator.iter_errors(yaml.safe_load(SHIPPED.read_text(encoding="utf-8")))) == []
    broken = yaml.safe_load((ROOT / "tests/data/spec/unknown_key.yaml").read_text(encoding="utf-8"))
    messages = sorted(e.message for e in validator.iter_errors(broken))
    assert any("'numerater' was unexpected" in m for m in messages)


def test_cli_schema_prints_and_writes(tmp_path):
    cli._register_commands()
    runner = CliRunner()
    result = runner.invoke(cli.app, ["indicators", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$id"] == json_schema()["$id"]
    out = tmp_path / "schema.json"
    result = runner.invoke(cli.app, ["indicators", "schema", "--output", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == json_schema_text()


def test_cli_check_shipped_file_exits_0():
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["indicators", "check", str(SHIPPED), "--instrument", str(FORM)])
    assert result.exit_code == 0, result.output
    assert "no errors" in result.output
