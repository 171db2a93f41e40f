"""The demo project (examples/demo): reproducible, laid out like the platforms' exports, and realistic.

Regeneration is compared **byte for byte** for every file: the xlsx and zip carry fixed timestamps, and
the generator overwrites the creation timestamp in the ``.sav`` header with a fixed value.
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
import yaml
from python_calamine import CalamineWorkbook
from pyxform.xls2json import parse_file_to_json

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
INSTRUMENT = ROOT / "instruments" / "cssp_core.xlsx"
KOBO, CENTRAL, SAV = DEMO / "round1_kobo.xlsx", DEMO / "round2_central.zip", DEMO / "round3_spss.sav"
FILES = ("round1_kobo.xlsx", "round2_central.zip", "round3_spss.sav", "sample_frame.csv",
         "census_margins.csv", "census_cells.csv", "district_covariates.csv")


def _load_generator():
    spec = importlib.util.spec_from_file_location("cssp_examples_generate", ROOT / "examples" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# The instrument, read independently of the generator (pyxform)
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def form() -> dict:
    return parse_file_to_json(str(INSTRUMENT))


@pytest.fixture(scope="module")
def leaves(form) -> list[tuple[tuple[str, ...], dict]]:
    out: list[tuple[tuple[str, ...], dict]] = []

    def walk(node: dict, path: tuple[str, ...]) -> None:
        for child in node.get("children", []):
            if child["type"] in ("group", "repeat"):
                walk(child, (*path, child["name"]))
            else:
                out.append((path, child))

    walk(form, ())
    return out


def _questions(leaves) -> dict[str, dict]:
    return {e["name"]: e for _, e in leaves}


def codes(series: pd.Series) -> pd.Series:
    """Canonical string codes ('1', '98', '13 21'); None when missing, whatever the export's cell type."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v == "":
            return None
        if isinstance(v, (int, float, np.integer, np.floating)):
            return str(int(v)) if float(v).is_integer() else str(v)
        return str(v)
    return series.map(one).astype(object)


@pytest.fixture(scope="module")
def kobo_header_map(leaves) -> dict[str, str]:
    """KoBo XML header (groups joined by '/') -> question name, for the question columns."""
    return {"/".join((*[p for p in path if p != "meta"], e["name"])): e["name"]
            for path, e in leaves if e["type"] != "note" and e["name"] not in ("instanceID", "instanceName")}


@pytest.fixture(scope="module")
def rounds(kobo_header_map, leaves) -> dict[int, pd.DataFrame]:
    """The three rounds read back from the committed files, columns renamed to question names."""
    r1 = pd.read_excel(KOBO, engine="calamine")
    r1 = r1.rename(columns=kobo_header_map).copy()
    r1["record_id"] = r1["meta/rootUuid"]
    with zipfile.ZipFile(CENTRAL) as zf:
        r2 = pd.read_csv(io.BytesIO(zf.read("cssp_core.csv")), dtype=str, keep_default_na=False)
    r2 = r2.rename(columns={"-".join((*path, e["name"])): e["name"] for path, e in leaves})
    r2["record_id"] = r2["KEY"]
    r3, _ = pyreadstat.read_sav(str(SAV), user_missing=True)
    r3["record_id"] = r3["instanceID"]
    return {1: r1, 2: r2, 3: r3}


def _coded(df: pd.DataFrame, names) -> pd.DataFrame:
    return pd.DataFrame({n: codes(df[n]) for n in names})


# --------------------------------------------------------------------------------------------
# Reproducibility
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    _load_generator().generate(out)
    return out


@pytest.mark.slow
def test_regeneration_is_byte_identical(fresh):
    generator = _load_generator()
    assert generator.compare(DEMO, fresh) == [], "examples/demo is stale: run `python examples/generate.py`"
    for name in FILES:
        assert (DEMO / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.mark.slow
def test_check_reports_a_changed_file(fresh, tmp_path):
    generator = _load_generator()
    for name in FILES:
        shutil.copy(fresh / name, tmp_path / name)
    assert generator.compare(fresh, tmp_path) == []
    (tmp_path / "census_margins.csv").write_text("variable,category,population\n", encoding="utf-8")
    (tmp_path / "round3_spss.sav").unlink()
    assert generator.compare(fresh, tmp_path) == ["round3_spss.sav", "census_margins.csv"]


@pytest.mark.slow
def test_check_command_exit_codes(fresh, tmp_path, monkeypatch, capsys):
    generator = _load_generator()
    monkeypatch.setattr(generator, "generate", lambda out: [shutil.copy(fresh / n, out / n) for n in FILES])
    for name in FILES:
        shutil.copy(fresh / name, tmp_path / name)
    assert generator.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "round1_kobo.xlsx").write_bytes(b"stale")
    assert generator.main(["--check", "--out", str(tmp_path)]) == 1
    assert "round1_kobo.xlsx" in capsys.readouterr().err
    assert (tmp_path / "round1_kobo.xlsx").read_bytes() == b"stale", "--check must not write"


def test_committed_files_exist_and_are_small():
    for name in FILES:
        path = DEMO / name
        assert path.exists(), f"{name} missing: run `python examples/generate.py`"
        assert path.stat().st_size < 1_000_000, name


# --------------------------------------------------------------------------------------------
# Layouts, compared with the platforms' own exports in ../shared/fixtures
# --------------------------------------------------------------------------------------------
def test_kobo_xlsx_layout_matches_formpack(form, leaves, kobo_header_map):
    fixture = openpyxl.load_workbook(shared_path("exports", "kobo_xml.xlsx"), read_only=True)
    fixture_header = [c.value for c in next(fixture.worksheets[0].iter_rows(max_row=1))]
    copy_fields = fixture_header[fixture_header.index("_id"):]

    wb = openpyxl.load_workbook(KOBO, read_only=True)
    assert len(wb.sheetnames) == 1 and len(wb.sheetnames[0]) <= 31
    first_rows = list(wb.worksheets[0].iter_rows(max_row=2))
    header = [c.value for c in first_rows[0]]
    expected: list[str] = []
    for path, e in leaves:
        if e["type"] == "note" or e["name"] in ("instanceID", "instanceName"):
            continue
        base = "/".join((*[p for p in path if p != "meta"], e["name"]))
        expected.append(base)
        if e["type"] == "select all that apply":
            expected += [f"{base}/{c['name']}" for c in e["choices"]]
    # formpack follows the survey sheet (kpi content), where `audit` sits after `deviceid`;
    # pyxform moves it into the meta group at the end of the instance.
    expected.remove("audit")
    expected.insert(expected.index("deviceid") + 1, "audit")
    assert header == expected + copy_fields
    assert copy_fields == ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                           "_submitted_by", "__version__", "_tags", "meta/rootUuid", "_index"]

    col = {h: i for i, h in enumerate(header)}
    row = first_rows[1]
    for name in ("start", "end", "today", "_submission_time"):
        assert row[col[name]].is_date and row[col[name]].number_format == "yyyy-mm-dd", name
    assert row[col["start"]].value.tzinfo is None
    for name in ("consent", "hh_adults", "_id", "_index"):
        assert isinstance(row[col[name]].value, int), name
    for name in ("admin1", "cluster_id", "_uuid", "meta/rootUuid", "survey_round"):
        assert isinstance(row[col[name]].value, str), name
    assert row[col["meta/rootUuid"]].value == "uuid:" + row[col["_uuid"]].value

    # select_multiple: summary text + numeric 0/1 dummies; every dummy empty when skipped
    summary, first_dummy = col["c_crime/c7_rep_phys"], col["c_crime/c7_rep_phys/13"]
    width = len(next(e for _, e in leaves if e["name"] == "c7_rep_phys")["choices"])
    values = CalamineWorkbook.from_path(str(KOBO)).get_sheet_by_index(0).to_python()[1:]
    values = [[None if v == "" else v for v in r] for r in values]
    skipped = [r for r in values if r[summary] is None]
    answered = [r for r in values if r[summary] is not None]
    assert skipped and answered
    assert all(v is None for r in skipped for v in r[first_dummy:first_dummy + width])
    for r in answered:
        chosen = set(str(r[summary]).split())
        dummies = r[first_dummy:first_dummy + width]
        assert all(v in (0, 1) for v in dummies)
        assert sum(dummies) == len(chosen)


def test_central_zip_layout_matches_central(leaves):
    with zipfile.ZipFile(shared_path("exports", "central_default.zip")) as zf:
        fixture_header = zf.read("perception_survey.csv").decode().split("\n")[0].split(",")
    with zipfile.ZipFile(CENTRAL) as zf:
        assert zf.namelist() == ["cssp_core.csv"]
        info = zf.infolist()[0]
        raw = zf.read("cssp_core.csv")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw and raw.endswith(b"\n")
    header = raw.decode().split("\n")[0].split(",")
    body = ["-".join((*path, e["name"])) for path, e in leaves
            if path != ("meta",)]
    meta = ["meta-" + e["name"] for path, e in leaves if path == ("meta",)]
    tail = fixture_header[fixture_header.index("KEY"):]
    assert header == ["SubmissionDate", *body, *meta, *tail]
    assert "meta-instanceID" in meta and "meta-audit" in meta

    data = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    assert data["SubmissionDate"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all()
    assert data["start"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+03:00").all()
    assert data["today"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert (data["KEY"] == data["meta-instanceID"]).all()
    assert set(data["ReviewState"]) <= {"", "approved", "hasIssues", "rejected", "edited"}
    assert (data["DeviceID"] == data["deviceid"]).all()
    assert (data["a_respondent-note_wg"] == "").all()
    assert not data.isin(["nan", "None", "<NA>"]).any().any()


def test_sav_has_codes_labels_user_missing_and_kobo_style_dummies(form):
    df, meta = pyreadstat.read_sav(str(SAV), user_missing=True)
    assert meta.file_label == "CSSP demo - round 3"
    assert meta.original_variable_types["start"].startswith("DATETIME")
    assert meta.original_variable_types["today"].startswith("DATE")
    labels = meta.variable_value_labels
    assert labels["b1_safe_dark"][1.0] == "Very safe" and labels["b1_safe_dark"][98.0].startswith("Don't know")
    assert meta.missing_ranges["b1_safe_dark"] == [{"lo": 98.0, "hi": 98.0}, {"lo": 99.0, "hi": 99.0}]
    assert meta.missing_ranges["a1_sex"] == [{"lo": 99.0, "hi": 99.0}]
    assert "consent" not in meta.missing_ranges and "c_private" not in meta.missing_ranges
    assert meta.column_names_to_labels["b1_safe_dark"].startswith("How safe do you feel walking alone")
    choices = form["choices"]["threats"]
    for c in choices:
        name = f"b6_threats_{c['name']}"
        assert name in df.columns
        assert meta.column_names_to_labels[name].endswith(" :: " + c["label"]["English (en)"])
        assert labels[name] == {0.0: "Not selected", 1.0: "Selected"}
    # user-missing values stay distinguishable: 98 kept with user_missing=True, NaN without
    plain, _ = pyreadstat.read_sav(str(SAV))
    assert (df["h1_say"] == 98).sum() > 0 and (plain["h1_say"] == 98).sum() == 0
    # dummies are system-missing when the question was skipped, 0/1 otherwise
    skipped = df["g2_grounds_12m"] == ""
    assert df.loc[skipped, "g2_grounds_12m_1"].isna().all()
    assert set(df.loc[~skipped, "g2_grounds_12m_1"].unique()) <= {0.0, 1.0}


# --------------------------------------------------------------------------------------------
# Content: skip logic, codes, planted problems, true changes, design
# --------------------------------------------------------------------------------------------
AUTHORITIES = {"13", "14", "15", "16", "19", "21", "22", "23", "24", "29"}
SUBSTANTIVE = lambda s: s.notna() & ~s.isin(["0", "98", "99"])  # noqa: E731


def _tokens(series: pd.Series) -> pd.Series:
    return series.fillna("").str.split()


def test_skip_logic_is_respected(rounds, leaves):
    questions = _questions(leaves)
    module_items = [e["name"] for path, e in leaves if path and path[0] != "meta" and e["type"] != "note"]
    for rnd, raw in rounds.items():
        df = _coded(raw, [*module_items, "consent"])
        no = df["consent"] == "2"
        assert 5 <= no.sum() <= 30, rnd
        assert df.loc[no, module_items].isna().all().all(), f"round {rnd}: skipped modules answered"
        ok = df[~no]
        checks = {
            "b2_safe_dark_would": ok["b1_safe_dark"] == "5",
            "b3_unsafe_reason": ok["b1_safe_dark"].isin(["3", "4"]) | ok["b2_safe_dark_would"].isin(["3", "4"]),
            "c4_sexual": ok["c_private"] == "1", "c5_harass_public": ok["c_private"] == "1",
            "c6_online": ok["c_private"] == "1",
            "c7_rep_phys": (ok["c1_assault"] == "1") | (ok["c2_robbery"] == "1"),
            "c8_rep_threat": ok["c3_threat"] == "1",
            "c9_rep_sexual": (ok["c_private"] == "1") & (ok["c4_sexual"] == "1"),
            "e2_recent": SUBSTANTIVE(ok["e1_disputes"]),
            "e3_mechanism": ok["e2_recent"].notna(),
            "e4_noaccess": _tokens(ok["e3_mechanism"]).map(lambda t: "0" in t),
            "f2_bribe": SUBSTANTIVE(ok["f1_contact"]),
            "g2_grounds_12m": ok["g1_discrim_5y"] == "1",
        }
        for name, relevant in checks.items():
            asked = ok[name].notna()
            assert (asked == relevant).all(), f"round {rnd}: {name} asked {asked.sum()} relevant {relevant.sum()}"
        always = [n for n in module_items if n not in checks and n not in ("c10_noreport_reason",)
                  and questions[n]["type"] != "calculate"]
        assert ok[always].notna().all().all(), f"round {rnd}: unconditional questions missing"
        rep = {k: _tokens(ok[k]).map(lambda t: bool(AUTHORITIES & set(t))) for k in ("c7_rep_phys", "c8_rep_threat",
                                                                               "c9_rep_sexual")}
        ask_c10 = (((ok["c1_assault"] == "1") | (ok["c2_robbery"] == "1")) & ~rep["c7_rep_phys"]) | (
            (ok["c3_threat"] == "1") & ~rep["c8_rep_threat"]) | ((ok["c4_sexual"] == "1") & ~rep["c9_rep_sexual"])
        planted = ok["c7_rep_phys"] == "0 13"
        assert (ok.loc[~planted, "c10_noreport_reason"].notna() == ask_c10[~planted]).all(), rnd
        assert (ok["rep_auth_phys"] == rep["c7_rep_phys"].map({True: "1", False: "0"})).all(), rnd


def test_codes_are_in_the_choice_lists_except_the_planted_ones(rounds, leaves):
    planted = {(1, "d1_trust_police", "5"), (3, "b4_safe_day", "6")}
    found = set()
    for rnd, raw in rounds.items():
        for path, e in leaves:
            if not path or e["type"] not in ("select one", "select all that apply") or e["name"] not in raw:
                continue
            allowed = {c["name"] for c in e["choices"]}
            values = codes(raw[e["name"]]).dropna()
            tokens = values.str.split().explode() if e["type"] == "select all that apply" else values
            for bad in set(tokens) - allowed:
                found.add((rnd, e["name"], bad))
            if e["type"] == "select all that apply":
                exclusive = {"0", "97", "98", "99"} & allowed
                lists = values.str.split()
                mixed = lists.map(lambda t, ex=exclusive: len(t) > 1 and bool(ex & set(t)))
                expected_mixed = 1 if (rnd, e["name"]) == (2, "c7_rep_phys") else 0
                assert mixed.sum() == expected_mixed, (rnd, e["name"])
                if e["name"] == "b6_threats":
                    assert lists.map(len).max() <= 3
    assert found == planted


def test_planted_data_quality_problems(rounds):
    r1, r2, r3 = rounds[1], rounds[2], rounds[3]
    assert r1["_uuid"].duplicated().sum() == 1 and r1["meta/rootUuid"].duplicated().sum() == 1
    assert r1["_id"].is_unique and list(r1["_index"]) == list(range(1, len(r1) + 1))
    assert (r1["a2_age"] < 18).sum() == 1 and r1.loc[r1["a2_age"] < 18, "a2_age"].iloc[0] == 16
    minutes = (r1["end"] - r1["start"]).dt.total_seconds() / 60
    assert ((minutes < 10) & (r1["consent"] == 1)).sum() == 1

    assert r2["KEY"].duplicated().sum() == 1
    versions = r2["FormVersion"].value_counts()
    assert versions.to_dict() == {"2026050101": len(r2) - 8, "2026042801": 8}
    start = pd.to_datetime(r2["start"], format="ISO8601")
    end = pd.to_datetime(r2["end"], format="ISO8601")
    assert (((end - start).dt.total_seconds() / 60 < 10) & (r2["consent"] == "1")).sum() == 1
    assert (r2["c7_rep_phys"] == "0 13").sum() == 1

    assert r3["instanceID"].duplicated().sum() == 1
    assert (r3["a2_age"] < 18).sum() == 1 and r3.loc[r3["a2_age"] < 18, "a2_age"].iloc[0] == 17


def _share(df: pd.DataFrame, name: str, good: set[str]) -> pd.Series:
    ok = df[codes(df["consent"]) == "1"]
    return codes(ok[name]).isin(good).groupby(ok["admin2"]).mean()


def test_true_changes_between_rounds(rounds):
    safe = {r: _share(df, "b1_safe_dark", {"1", "2"}) for r, df in rounds.items()}
    trust = {r: _share(df, "d1_trust_police", {"3", "4"}) for r, df in rounds.items()}
    shots = {r: _share(df, "i2_gunshots", {"3", "4"}) for r, df in rounds.items()}
    for district in ("R01D02", "R02D03"):
        assert safe[3][district] - safe[1][district] > 0.15, district
    assert trust[2]["R02D01"] - trust[3]["R02D01"] > 0.25
    assert shots[3]["R01D04"] - shots[1]["R01D04"] > 0.25


def test_dont_know_and_refused_at_realistic_rates(rounds):
    for rnd, df in rounds.items():
        ok = df[codes(df["consent"]) == "1"]
        for name, low, high in (("h1_say", 0.04, 0.2), ("i1_gun_households", 0.08, 0.25),
                                ("b1_safe_dark", 0.002, 0.05), ("d5_police_account", 0.03, 0.15)):
            values = codes(ok[name])
            share = values.isin(["98", "99"]).mean()
            assert low <= share <= high, (rnd, name, share)
            assert (values == "99").any() or name == "b1_safe_dark", (rnd, name)


def test_correlated_answers_make_indices_meaningful(rounds):
    df = rounds[2]
    ok = df[df["consent"] == "1"]
    items = ok[["d1_trust_police", "d2_police_respect", "d3_police_fair", "d4_police_respond"]].replace(
        {"98": "", "99": ""}).replace("", np.nan).astype(float).dropna()
    k = items.shape[1]
    alpha = k / (k - 1) * (1 - items.var(ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert alpha > 0.6
    safe = ok["b1_safe_dark"].isin(["1", "2"]).astype(float)
    trust = ok["d1_trust_police"].isin(["3", "4"]).astype(float)
    assert np.corrcoef(safe, trust)[0, 1] > 0.1


def test_sample_design_frame_and_census_are_consistent(rounds):
    frame = pd.read_csv(DEMO / "sample_frame.csv", dtype={"area_type": str})
    margins = pd.read_csv(DEMO / "census_margins.csv", dtype=str)
    cells = pd.read_csv(DEMO / "census_cells.csv", dtype={"a1_sex": str})
    margins["population"] = margins["population"].astype(int)
    totals = margins.groupby("variable")["population"].sum()
    assert set(totals.index) == {"admin1", "a1_sex", "age_group"}
    assert totals.nunique() == 1 and totals.iloc[0] == frame["adults"].sum() == cells["population"].sum()
    by_region = frame.groupby("admin1")["adults"].sum()
    assert margins.query("variable == 'admin1'").set_index("category")["population"].to_dict() == by_region.to_dict()
    assert set(margins.query("variable == 'age_group'")["category"]) == {"18-24", "25-34", "35-49", "50-64", "65+"}
    assert frame["stratum"].is_unique and (frame["psu_sampled"] <= frame["psu_total"]).all()
    assert frame["admin2"].nunique() == 8 and frame["admin1"].nunique() == 2
    for rnd, df in rounds.items():
        assert 550 <= len(df) <= 650, rnd
        per_cluster = df.groupby("cluster_id").size()
        assert per_cluster.between(6, 8).all(), rnd  # 6-7 interviews, +1 for a planted duplicate
        clusters = df.drop_duplicates("cluster_id")
        strata = clusters["admin2"].astype(str) + "-" + codes(clusters["area_type"]).astype(str)
        assert strata.value_counts().sort_index().to_dict() == frame.set_index("stratum")["psu_sampled"].to_dict()
        assert codes(df["hh_adults"]).astype(int).between(1, 30).all()
    # independent samples: different clusters every round
    assert not set(rounds[1]["cluster_id"]) & set(rounds[2]["cluster_id"]) & set(rounds[3]["cluster_id"])


def test_design_weights_from_the_plan_reproduce_the_population(rounds):
    """w = households / (psu_sampled x households_per_psu) x hh_adults sums to about the adult population
    (a little less: 6-7 of the 7 selected households are interviewed, before any non-response adjustment)."""
    frame = pd.read_csv(DEMO / "sample_frame.csv", dtype={"area_type": str}).set_index("stratum")
    household_weight = frame["households"] / (frame["psu_sampled"] * frame["households_per_psu"])
    for rnd, df in rounds.items():
        stratum = df["admin2"].astype(str) + "-" + codes(df["area_type"]).astype(str)
        weight = stratum.map(household_weight) * codes(df["hh_adults"]).astype(int)
        ratio = weight.groupby(df["admin1"]).sum() / frame.groupby("admin1")["adults"].sum()
        assert ratio.between(0.8, 1.05).all(), (rnd, ratio.to_dict())


# --------------------------------------------------------------------------------------------
# The scaled benchmark project (benchmarks/scaled_project.py) built on the same generator
# --------------------------------------------------------------------------------------------
def test_scaled_project_has_the_asked_shape_and_validates(tmp_path):
    """The large project of the speed target, small here: 10 districts (the demo's 8 and 2 new ones in a
    new region), 3 rounds of about 400 respondents, each round its own PSUs and ids; the form's
    location lists, the sample frame and the census cover every district; `validate` exits 0."""
    from typer.testing import CliRunner

    from survey_toolkit import cli, load

    spec = importlib.util.spec_from_file_location("cssp_benchmarks_scaled", ROOT / "benchmarks" / "scaled_project.py")
    scaled = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scaled)
    out = scaled.write_scaled(tmp_path / "p", locations=10, rounds=3, per_round=400)
    source = yaml.safe_load((out / "cssp_core.xlsform.yaml").read_text(encoding="utf-8"))
    districts = [c["name"] for c in source["choices"]["admin2"]]
    assert len(districts) == 10 and districts[:8] == list(_load_generator().DISTRICTS)
    assert [c["name"] for c in source["choices"]["admin1"]] == ["R01", "R02", "R03"]
    frame = pd.read_csv(out / "sample_frame.csv", dtype={"area_type": str})
    assert sorted(frame["admin2"].unique()) == sorted(districts)
    assert (frame["psu_sampled"] * 3 <= frame["psu_total"]).all()  # a third of a stratum's PSUs at most
    assert set(pd.read_csv(out / "census_cells.csv")["admin1"]) == {"R01", "R02", "R03"}
    assert len(pd.read_csv(out / "district_covariates.csv")) == 10
    rounds = [load(out / f"round{r}_central.parquet", instrument=out / "cssp_core.xlsx").frame for r in (1, 2, 3)]
    assert all(350 <= len(f) <= 500 and f["admin2"].nunique() == 10 for f in rounds)
    assert not set(rounds[0]["_record_id"]) & set(rounds[1]["_record_id"])  # own ids every round
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["validate", str(out)])
    assert result.exit_code == 0, result.output
