"""``survey-toolkit pull`` against local stand-ins of KoBoToolbox and ODK Central (no internet).

The demo's round 1 (a KoBo export) is served as KoBo API JSON and its round 2 (a Central export) as
Central's CSV zip; the pulled files must load to the same data and the same indicator results as the
files themselves. Then: incremental pulls, several form versions, and every failure path.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pull.fake_servers import CENTRAL_PASSWORD, CENTRAL_USER, TOKEN, CentralState, FakeServer, KoboState
from typer.testing import CliRunner

import survey_toolkit as st
from survey_toolkit import pipeline
from survey_toolkit.errors import LoadError, SpecError
from survey_toolkit.project import check_project
from survey_toolkit.pull import pull
from survey_toolkit.pull.kobo import kobo_tables

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo"
FORM = ROOT / "instruments" / "cssp_core.xlsx"


def _kobo_value(key: str, value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if key == "_id":
        return int(value)
    if key == "_validation_status":
        return {"uid": value, "label": "Approved"}
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def kobo_records() -> list[dict]:
    """The demo's KoBo round as the KPI data API returns it (unanswered questions left out)."""
    frame = pd.read_excel(DEMO / "round1_kobo.xlsx", dtype=object, engine="calamine")
    out = []
    for row in frame.to_dict("records"):
        rec = {k: _kobo_value(k, v) for k, v in row.items() if k != "_index"}
        out.append({k: v for k, v in rec.items() if v is not None})
    return out


def central_state() -> CentralState:
    with zipfile.ZipFile(DEMO / "round2_central.zip") as zf:
        text = zf.read(zf.namelist()[0]).decode("utf-8")
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    sd, key = header.index("SubmissionDate"), header.index("KEY")
    stamps = {r[key]: (r[sd], "") for r in body}
    return CentralState(header=header, rows=body, stamps=stamps, form=FORM.read_bytes())


def project_with_sources(tmp_path: Path, url: str, *, kobo: bool = True, central: bool = True) -> Path:
    """A copy of the demo project whose rounds 1 and 2 come from the servers at ``url``."""
    folder = tmp_path / "proj"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("output"))
    text = (folder / "survey.yaml").read_text(encoding="utf-8")
    text = text.replace("instrument: ../../instruments/", f"instrument: {ROOT}/instruments/")
    text = text.replace("indicators: ../../indicators.yaml", f"indicators: {ROOT}/indicators.yaml")
    if kobo:
        text = text.replace("    files: [round1_kobo.xlsx]",
                            f"    source: {{server: kobo, url: '{url}', asset: aDemoAsset1}}")
    if central:
        text = text.replace("    files: [round2_central.zip]",
                            f"    source: {{server: central, url: '{url}', project: 7, form: cssp_core}}")
    (folder / "survey.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def creds(monkeypatch):
    monkeypatch.setenv("KOBO_TOKEN", TOKEN)
    monkeypatch.setenv("ODK_CENTRAL_USERNAME", CENTRAL_USER)
    monkeypatch.setenv("ODK_CENTRAL_PASSWORD", CENTRAL_PASSWORD)
    monkeypatch.setenv("PYODK_CONFIG_FILE", "/nonexistent/pyodk.toml")
    monkeypatch.setenv("PYODK_CACHE_FILE", "/nonexistent/pyodk_cache.toml")


def _answers(frame: pd.DataFrame) -> pd.DataFrame:
    cols = sorted(c for c in frame.columns if not c.startswith("_"))
    return frame.set_index("_record_id")[cols].sort_index()


def test_pulled_rounds_load_and_compute_like_the_files(tmp_path, creds):
    kobo = KoboState(records=kobo_records(), form=FORM.read_bytes())
    central = central_state()
    with FakeServer(kobo=kobo, central=central) as url:
        folder = project_with_sources(tmp_path, url)
        result = pull(folder)
    by_round = {r.round_id: r for r in result.rounds}
    assert by_round["R1"].submissions == len(kobo.records) == 597
    keys = {r[central.header.index("KEY")] for r in central.rows}  # the demo plants one duplicate KEY
    assert by_round["R2"].submissions == len(keys)
    assert (folder / "R1" / "submissions.xlsx").is_file() and (folder / "R2" / "submissions.csv.zip").is_file()
    manifest = json.loads((folder / "R1" / "pull-manifest.json").read_text())
    assert manifest["submissions"] == 597 and manifest["asset"] == "aDemoAsset1"
    assert set(manifest["files"]) == {"data", "raw", "form"} and len(manifest["files"]["data"]["sha256"]) == 64
    assert TOKEN not in json.dumps(manifest)

    form = st.read_instrument(FORM)
    pulled = st.load(folder / "R1" / "submissions.xlsx", instrument=form)
    original = st.load(DEMO / "round1_kobo.xlsx", instrument=form)
    pd.testing.assert_frame_equal(_answers(pulled.frame), _answers(original.frame), check_dtype=False)

    # the whole workflow up to the indicators gives the same numbers from the pulled files
    got = pipeline.run(folder, until="compute", write=False).table
    want = pipeline.run(DEMO, until="compute", write=False).table
    key = [c for c in ("indicator", "round", "level", "location", "group", "group_value", "category")
           if c in want.columns]  # fmt: skip
    got, want = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[want.columns], want, check_exact=False, rtol=1e-12)


def test_kobo_incremental_pull_fetches_only_new_and_edited(tmp_path, creds):
    records = kobo_records()[:40]
    kobo = KoboState(records=[dict(r) for r in records[:30]], form=FORM.read_bytes())
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        first = pull(folder, rounds=["R1"]).rounds[0]
        assert (first.new, first.edited, first.deleted, first.submissions) == (30, 0, 0, 30)
        served = kobo.served_records
        again = pull(folder, rounds=["R1"]).rounds[0]
        assert not again.changed and kobo.served_records == served
        assert again.summary().endswith("no change (30 submissions)")
        # 5 new, 1 edited (KoBo keeps _id and gives a new _uuid), 1 deleted
        kobo.records += [dict(r) for r in records[30:35]]
        kobo.records[0] = dict(kobo.records[0], _uuid="edited-uuid-0001", **{"b_safety/b1_safe_dark": "4"})
        deleted_id = kobo.records.pop(1)["_id"]
        third = pull(folder, rounds=["R1"]).rounds[0]
    assert (third.new, third.edited, third.deleted, third.submissions) == (5, 1, 1, 34)
    assert kobo.served_records - served == 6
    raw = json.loads((folder / "R1" / "submissions.kobo.json").read_text())
    assert deleted_id not in {r["_id"] for r in raw}
    assert next(r for r in raw if r["_uuid"] == "edited-uuid-0001")["b_safety/b1_safe_dark"] == "4"
    history = json.loads((folder / "R1" / "pull-manifest.json").read_text())["history"]
    assert [h["new"] for h in history] == [30, 0, 5]


def test_kobo_interrupted_pull_keeps_nothing_half_written_and_resumes(tmp_path, creds, monkeypatch):
    monkeypatch.setattr("survey_toolkit.pull.kobo.PAGE", 10)
    kobo = KoboState(records=kobo_records()[:35], form=FORM.read_bytes(), drop_page_from=20)
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        with pytest.raises(LoadError) as err:
            pull(folder, rounds=["R1"], sleep=lambda s: None)
        assert err.value.problems[0].code == "server-error"
        assert not (folder / "R1" / "submissions.xlsx").exists()
        assert not (folder / "R1" / "submissions.kobo.json").exists()
        assert kobo.served_records == 20
        kobo.drop_page_from = None
        done = pull(folder, rounds=["R1"]).rounds[0]
    assert done.submissions == 35
    assert kobo.served_records == 20 + 15, "the pages already downloaded are not fetched again"
    assert not (folder / "R1" / ".pull").exists()


def test_kobo_several_form_versions_are_fetched_and_recorded(tmp_path, creds):
    records = kobo_records()[:6]
    for r in records[:2]:
        r["__version__"] = "vOlder0001"
    kobo = KoboState(records=records, form=FORM.read_bytes(), deployed=records[-1]["__version__"],
                     versions={"vOlder0001": {"uid": "vOlder0001", "content": {"survey": []}}})
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        done = pull(folder, rounds=["R1"]).rounds[0]
    assert done.form_versions == {"vOlder0001": 2, records[-1]["__version__"]: 4}
    assert json.loads((folder / "R1" / "form_versions" / "vOlder0001.json").read_text())["uid"] == "vOlder0001"
    manifest = json.loads((folder / "R1" / "pull-manifest.json").read_text())
    assert manifest["version_files"] == ["form_versions/vOlder0001.json"]


def test_kobo_rate_limit_is_retried(tmp_path, creds):
    kobo = KoboState(records=kobo_records()[:3], form=FORM.read_bytes(), fail=[("data.json", 429), ("data.json", 503)])
    waits: list[float] = []
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        done = pull(folder, rounds=["R1"], sleep=waits.append).rounds[0]
    assert done.submissions == 3 and len(waits) == 2


@pytest.mark.parametrize(
    "setup, code",
    [
        (lambda s, env: env.setenv("KOBO_TOKEN", "wrong-token"), "server-credentials"),
        (lambda s, env: env.delenv("KOBO_TOKEN"), "server-credentials"),
        (lambda s, env: setattr(s, "uid", "someOtherAsset"), "server-not-found"),
        (lambda s, env: s.fail.extend([("data.json", 503)] * 4), "server-error"),
        (lambda s, env: s.fail.extend([("data.json", 429)] * 4), "server-rate-limit"),
    ],
    ids=["bad-token", "no-token", "unknown-asset", "server-down", "rate-limited"],
)
def test_kobo_failures_are_located_and_never_echo_the_token(tmp_path, creds, monkeypatch, setup, code):
    kobo = KoboState(records=kobo_records()[:3], form=FORM.read_bytes())
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        setup(kobo, monkeypatch)
        with pytest.raises(LoadError) as err:
            pull(folder, rounds=["R1"], sleep=lambda s: None)
    problem = err.value.problems[0]
    assert problem.code == code
    assert problem.location.file.endswith("survey.yaml") and problem.location.line is not None
    assert problem.hint
    assert TOKEN not in str(err.value) and "wrong-token" not in str(err.value)
    assert not (folder / "R1" / "submissions.xlsx").exists()


def test_unreachable_server(tmp_path, creds):
    folder = project_with_sources(tmp_path, "http://127.0.0.1:9", central=False)
    with pytest.raises(LoadError) as err:
        pull(folder, rounds=["R1"], sleep=lambda s: None)
    assert err.value.problems[0].code == "server-unreachable"


def test_central_incremental_pull_merges_new_edited_and_deleted(tmp_path, creds):
    central = central_state()
    all_rows = central.rows
    central.rows = [list(r) for r in all_rows[:50]]
    with FakeServer(central=central) as url:
        folder = project_with_sources(tmp_path, url, kobo=False)
        first = pull(folder, rounds=["R2"]).rounds[0]
        assert (first.new, first.submissions) == (50, 50)
        key = central.header.index("KEY")
        # 3 new, 1 edited (updatedAt set), 1 deleted
        central.rows += [list(r) for r in all_rows[50:53]]
        for r in all_rows[50:53]:
            central.stamps[r[key]] = ("2026-06-01T00:00:00.000Z", "")
        edited_key = central.rows[0][key]
        col = central.header.index("b_safety-b1_safe_dark")
        central.rows[0][col] = "4"
        central.stamps[edited_key] = (central.stamps[edited_key][0], "2026-06-02T00:00:00.000Z")
        deleted_key = central.rows.pop(1)[key]
        before = central.served_rows
        second = pull(folder, rounds=["R2"]).rounds[0]
    assert (second.new, second.edited, second.deleted, second.submissions) == (3, 1, 1, 52)
    assert central.served_rows - before == 4, "only new and edited submissions are downloaded"
    assert "__system/updatedAt gt" in central.filters[-1]
    form = st.read_instrument(FORM)
    data = st.load(folder / "R2" / "submissions.csv.zip", instrument=form).frame
    assert len(data) == 52 and deleted_key not in set(data["_record_id"])
    assert data.set_index("_record_id").loc[edited_key, "b1_safe_dark"] in (4, "4")


def test_central_bad_password_is_a_located_error_without_the_password(tmp_path, creds, monkeypatch):
    monkeypatch.setenv("ODK_CENTRAL_PASSWORD", "not-the-password")
    with FakeServer(central=central_state()) as url:
        folder = project_with_sources(tmp_path, url, kobo=False)
        with pytest.raises(LoadError) as err:
            pull(folder, rounds=["R2"])
    assert err.value.problems[0].code == "server-credentials"
    assert "not-the-password" not in str(err.value) and CENTRAL_PASSWORD not in str(err.value)


def test_central_unknown_form(tmp_path, creds):
    central = central_state()
    central.form_id = "another_form"
    with FakeServer(central=central) as url:
        folder = project_with_sources(tmp_path, url, kobo=False)
        with pytest.raises(LoadError) as err:
            pull(folder, rounds=["R2"])
    assert err.value.problems[0].code == "server-not-found"


def test_kobo_tables_link_nested_repeats():
    records = [{"_id": 1, "_uuid": "u1", "hh/size": "2",
                "hh/roster": [{"hh/roster/name": "A", "hh/roster/visits": [{"hh/roster/visits/n": "1"}]},
                              {"hh/roster/name": "B"}]}]  # fmt: skip
    tables = kobo_tables(records)
    assert [r["_index"] for r in tables["hh/roster"]] == [1, 2]
    assert tables["hh/roster"][0]["_parent_index"] == 1 and tables["hh/roster"][0]["_submission__uuid"] == "u1"
    assert tables["hh/roster/visits"][0]["_parent_table_name"] == "hh/roster"
    assert "hh/roster" not in tables[""][0]


# --------------------------------------------------------------------------------------------- project


def test_project_rejects_credentials_in_the_url_and_names_pull_before_the_first_pull(tmp_path):
    folder = project_with_sources(tmp_path, "https://user:secret@kf.example.org", central=False)
    project, report = check_project(folder)
    codes = {p.code for p in report.errors}
    assert "credentials-in-project" in codes
    assert "secret" not in str(report)
    folder2 = project_with_sources(tmp_path / "b", "https://kf.example.org", central=False)
    project, report = check_project(folder2)
    assert [p.code for p in report.errors] == ["not-pulled"]
    assert "survey-toolkit pull" in report.errors[0].hint
    project, report = check_project(folder2, pulling=True)
    assert report.ok and project.round("R1").source.asset == "aDemoAsset1"


def test_pull_without_sources_or_unknown_round_is_a_usage_problem(tmp_path):
    folder = project_with_sources(tmp_path, "https://kf.example.org", kobo=False, central=False)
    with pytest.raises(SpecError) as err:
        pull(folder)
    assert err.value.problems[0].code == "no-source"
    with pytest.raises(SpecError) as err:
        pull(folder, rounds=["R9"])
    assert err.value.problems[0].code == "unknown-round"


def test_cli_pull(tmp_path, creds):
    from survey_toolkit.cli import _register_commands, app

    _register_commands()
    kobo = KoboState(records=kobo_records()[:5], form=FORM.read_bytes())
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        ok = CliRunner().invoke(app, ["pull", str(folder), "--round", "R1"])
        assert ok.exit_code == 0, ok.output
        assert "5 new" in ok.output
        bad = CliRunner(env={"KOBO_TOKEN": "leaked-token-xyz"}).invoke(app, ["pull", str(folder)])
    assert bad.exit_code == 1
    assert "server-credentials" in bad.output and "leaked-token-xyz" not in bad.output


def test_a_round_folder_over_the_projects_inputs_is_refused_before_any_download(tmp_path, creds):
    kobo = KoboState(records=kobo_records()[:3], form=FORM.read_bytes(), deployed="v1")
    with FakeServer(kobo=kobo) as url:
        folder = project_with_sources(tmp_path, url, central=False)
        (folder / "form.xlsx").write_bytes(FORM.read_bytes())  # the project's own form, in the project folder
        text = (folder / "survey.yaml").read_text(encoding="utf-8")
        text = text.replace(f"instrument: {ROOT}/instruments/cssp_core.xlsx", "instrument: form.xlsx")
        text = text.replace("asset: aDemoAsset1}", "asset: aDemoAsset1, folder: .}")
        (folder / "survey.yaml").write_text(text, encoding="utf-8")
        before = (folder / "form.xlsx").read_bytes()
        with pytest.raises(LoadError) as err:
            pull(folder, rounds=["R1"])
    problem = err.value.problems[0]
    assert problem.code == "output-is-input" and "instrument (form.xlsx)" in problem.message
    assert (folder / "form.xlsx").read_bytes() == before and not (folder / "submissions.xlsx").exists()


def test_names_from_the_server_never_leave_the_round_folder(tmp_path):
    from survey_toolkit.pull._store import in_folder

    assert in_folder(tmp_path, "form_versions", "v1.json") == tmp_path / "form_versions" / "v1.json"
    for name in ("../../evil.json", "/etc/passwd"):
        with pytest.raises(SpecError) as err:
            in_folder(tmp_path, "form_versions", name)
        assert err.value.problems[0].code == "output-outside-folder"


def test_a_round_id_is_never_a_path_for_its_default_folder(tmp_path):
    folder = project_with_sources(tmp_path, "https://kf.example.org", central=False)
    text = (folder / "survey.yaml").read_text(encoding="utf-8")
    (folder / "survey.yaml").write_text(text.replace("  - id: R1\n", "  - id: ../../R1\n").replace(
        "compare: [R1, R2, R3]", "compare: [R2, R3]"), encoding="utf-8")  # fmt: skip
    project, report = check_project(folder, pulling=True)
    assert project is not None, report.errors
    pulled = next(r.source.folder for r in project.rounds if r.source is not None)
    assert pulled.parent == folder.resolve() and pulled.name == ".._.._R1"
