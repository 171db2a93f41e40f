"""The standard instrument (instruments/cssp_core.xlsx): compiles, is up to date, follows the conventions."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
import yaml
from pyxform.xls2json import parse_file_to_json
from pyxform.xls2xform import convert

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENTS = ROOT / "instruments"
XLSX = INSTRUMENTS / "cssp_core.xlsx"
SOURCE = INSTRUMENTS / "cssp_core.xlsform.yaml"
LANGS = ("English (en)", "Français (fr)")

# Lists without 98/99 (domain.md section 3.3); `sex` has 99 only; location lists are deployment data.
NO_DK_RF = {"yesno_plain", "area_type", "privacy", "admin1", "admin2"}
ONLY_RF = {"sex"}
SENSITIVE = ("c4_sexual", "c5_harass_public", "c6_online", "c9_rep_sexual")
MODULE_GROUPS = ("a_respondent", "b_safety", "c_crime", "d_police", "e_disputes", "f_officials",
                 "g_discrimination", "h_voice", "i_weapons", "j_community", "k_survivors", "z_closing")
# select_multiple questions and the exclusive codes their constraint must enforce.
EXCLUSIVE = {
    "b3_unsafe_reason": ("98", "99"),
    "b6_threats": ("97", "98", "99"),
    "c7_rep_phys": ("0", "98", "99"),
    "c8_rep_threat": ("0", "98", "99"),
    "c9_rep_sexual": ("0", "98", "99"),
    "c10_noreport_reason": ("98", "99"),
    "e1_disputes": ("0", "98", "99"),
    "e3_mechanism": ("0", "98", "99"),
    "f1_contact": ("0", "98", "99"),
    "f2_bribe": ("0", "98", "99"),
    "g2_grounds_12m": ("0", "98", "99"),
}
CORE_QUESTIONS = {
    # name: (type, list)
    "a1_sex": ("select one", "sex"), "a2_age": ("integer", None), "a3_educ": ("select one", "educ"),
    "a4_displacement": ("select one", "displacement"), "a5_wg_see": ("select one", "wg"),
    "a6_wg_hear": ("select one", "wg"), "a7_wg_walk": ("select one", "wg"), "a8_wg_cog": ("select one", "wg"),
    "a9_wg_self": ("select one", "wg"), "a10_wg_comm": ("select one", "wg"),
    "b1_safe_dark": ("select one", "safe_dark"), "b2_safe_dark_would": ("select one", "safe4"),
    "b3_unsafe_reason": ("select all that apply", "unsafe_reason"), "b4_safe_day": ("select one", "safe4"),
    "b5_sec_change": ("select one", "change3"), "b6_threats": ("select all that apply", "threats"),
    "b7_avoid": ("select one", "yn"), "c0_theft": ("select one", "yn"), "c1_assault": ("select one", "yn"),
    "c2_robbery": ("select one", "yn"), "c3_threat": ("select one", "yn"), "c_private": ("select one", "privacy"),
    "c4_sexual": ("select one", "yn"), "c5_harass_public": ("select one", "yn"), "c6_online": ("select one", "yn"),
    "c7_rep_phys": ("select all that apply", "report_to"), "c8_rep_threat": ("select all that apply", "report_to"),
    "c9_rep_sexual": ("select all that apply", "report_to"), "rep_auth_phys": ("calculate", None),
    "rep_auth_threat": ("calculate", None), "rep_auth_sexual": ("calculate", None),
    "c10_noreport_reason": ("select all that apply", "noreport"), "d1_trust_police": ("select one", "trust4"),
    "d2_police_respect": ("select one", "agree4"), "d3_police_fair": ("select one", "agree4"),
    "d4_police_respond": ("select one", "likely4"), "d5_police_account": ("select one", "likely4"),
    "d6_first_turn": ("select one", "first_turn"), "d7_consulted": ("select one", "yn"),
    "e1_disputes": ("select all that apply", "dispute"), "e2_recent": ("select one", "dispute"),
    "e3_mechanism": ("select all that apply", "drm"), "e4_noaccess": ("select one", "noaccess"),
    "f1_contact": ("select all that apply", "officials"), "f2_bribe": ("select all that apply", "officials"),
    "g1_discrim_5y": ("select one", "yn"), "g2_grounds_12m": ("select all that apply", "grounds"),
    "h1_say": ("select one", "efficacy5"), "h2_influence": ("select one", "efficacy5"),
    "h3_meeting": ("select one", "particip5"), "h4_women_say": ("select one", "agree4"),
    "h5_youth_say": ("select one", "agree4"), "i1_gun_households": ("select one", "gunshare"),
    "i2_gunshots": ("select one", "freq4"), "i3_gun_change": ("select one", "numchange"),
    "i4_gun_safer": ("select one", "agree4"), "j1_trust_neigh": ("select one", "trust4"),
    "j2_help_neigh": ("select one", "agree4"), "j3_intervene": ("select one", "likely4"),
    "j4_intergroup": ("select one", "relations4"), "j5_violence_risk": ("select one", "likely4"),
    "k1_gbv_services": ("select one", "yn"), "k2_gbv_police": ("select one", "likely4"),
    "z_privacy": ("select one", "privacy"), "z_referral": ("select one", "yesno_plain"),
    "survey_round": ("calculate", None), "instrument_version": ("calculate", None),
    "ref12": ("calculate", None), "ref24": ("calculate", None), "ref60": ("calculate", None),
    "enumerator_id": ("text", None), "admin1": ("select one", "admin1"), "admin2": ("select one", "admin2"),
    "cluster_id": ("text", None), "area_type": ("select one", "area_type"), "hh_adults": ("integer", None),
    "consent": ("select one", "yesno_plain"), "start": ("start", None), "end": ("end", None),
    "today": ("today", None), "deviceid": ("deviceid", None), "audit": ("audit", None),
    "age_group": ("calculate", None), "youth_18_29": ("calculate", None), "disability": ("calculate", None),
}


def _load_build():
    spec = importlib.util.spec_from_file_location("cssp_build", INSTRUMENTS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def form() -> dict:
    return parse_file_to_json(str(XLSX))


@pytest.fixture(scope="module")
def leaves(form) -> dict[str, tuple[tuple[str, ...], dict]]:
    """name -> (group path, pyxform element) for every non-group element."""
    out: dict[str, tuple[tuple[str, ...], dict]] = {}

    def walk(node: dict, path: tuple[str, ...]) -> None:
        for child in node.get("children", []):
            if child["type"] in ("group", "repeat"):
                walk(child, (*path, child["name"]))
            else:
                out[child["name"]] = (path, child)

    walk(form, ())
    return out


@pytest.fixture(scope="module")
def groups(form) -> dict[str, dict]:
    return {c["name"]: c for c in form["children"] if c["type"] == "group"}


def test_xlsx_compiles_with_pyxform_without_warnings():
    warnings: list[str] = []
    result = convert(str(XLSX), warnings=warnings)
    assert "<h:title>Community safety perception survey (core)</h:title>" in result.xform
    assert 'id="cssp_core"' in result.xform
    assert warnings == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs java")
def test_xlsx_passes_odk_validate():
    convert(str(XLSX), validate=True)


def test_xlsx_is_up_to_date_with_source():
    build = _load_build()
    assert XLSX.read_bytes() == build.build_bytes(build.load_source(SOURCE)), (
        "instruments/cssp_core.xlsx is stale: run `python instruments/build.py`")
    assert build.main(["--check"]) == 0


def test_build_is_deterministic_and_check_detects_stale_output(tmp_path):
    build = _load_build()
    source = build.load_source(SOURCE)
    assert build.build_bytes(source) == build.build_bytes(source)
    stale = tmp_path / "stale.xlsx"
    stale.write_bytes(b"not an xlsx")
    assert build.main(["--check", "--output", str(stale)]) == 1
    assert build.main(["--check", "--output", str(tmp_path / "missing.xlsx")]) == 1
    assert build.main(["--output", str(stale)]) == 0
    assert build.main(["--check", "--output", str(stale)]) == 0


def test_build_reports_every_source_problem(tmp_path):
    build = _load_build()
    source = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    source["choices"]["yn"][0]["en"] = True  # unquoted Yes in YAML
    source["survey"].append({"type": "select_one nolist", "name": "x1", "label": {"en": "X"}})
    source["survey"].append({"type": "integer", "name": "a2_age", "label": {"en": "A", "fr": "A"}, "colour": 1})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(source, allow_unicode=True), encoding="utf-8")
    with pytest.raises(build.SourceError) as info:
        build.load_source(bad)
    text = "\n".join(info.value.problems)
    assert "choices.yn[0].en: expected text" in text
    assert "unknown choice list in type 'select_one nolist'" in text
    assert "missing language 'fr'" in text
    assert "duplicate name 'a2_age'" in text
    assert "unknown key 'colour'" in text
    assert build.main(["--source", str(bad), "--output", str(tmp_path / "out.xlsx")]) == 2
    assert not (tmp_path / "out.xlsx").exists()


def test_settings(form):
    assert form["id_string"] == "cssp_core"
    assert form["default_language"] == "English (en)"
    assert re.fullmatch(r"\d{10}", form["version"])
    assert form["title"]
    xform = convert(str(XLSX)).xform
    assert "instanceName" in xform and "concat( /data/admin2" in xform


def test_questions_names_types_and_lists(leaves):
    for name, (qtype, list_name) in CORE_QUESTIONS.items():
        assert name in leaves, f"{name} missing from the instrument"
        element = leaves[name][1]
        assert element["type"] == qtype, name
        if list_name:
            assert element["list_name"] == list_name, name


def test_every_module_is_gated_on_consent(form, leaves, groups):
    assert set(MODULE_GROUPS) <= set(groups)
    for name, group in groups.items():
        if name == "meta":
            continue
        assert group["bind"]["relevant"] == "${consent} = '1'", name
    # every substantive question lives in a consent-gated group; only metadata sits at the top level
    top_level = {n for n, (path, _) in leaves.items() if not path}
    assert top_level <= {"start", "end", "today", "deviceid", "survey_round", "instrument_version", "ref12",
                         "ref24", "ref60", "enumerator_id", "admin1", "admin2", "cluster_id", "area_type",
                         "hh_adults", "note_selection", "consent", "note_no_consent"}


def test_choice_codes_follow_conventions(form):
    choices = form["choices"]
    for list_name, options in choices.items():
        codes = [c["name"] for c in options]
        assert len(codes) == len(set(codes)), list_name
        if list_name in NO_DK_RF:
            assert "98" not in codes and "99" not in codes, list_name
        elif list_name in ONLY_RF:
            assert "99" in codes and "98" not in codes, list_name
        else:
            assert codes[-2:] == ["98", "99"], f"{list_name} must end with 98, 99"
            labels = {c["name"]: c["label"]["English (en)"] for c in options}
            assert labels["98"].startswith("Don't know") and labels["99"].startswith("Refused"), list_name
    assert [c["name"] for c in choices["yn"]] == ["1", "2", "98", "99"]
    assert [c["name"] for c in choices["yesno_plain"]] == ["1", "2"]
    report_to = {c["name"] for c in choices["report_to"]}
    assert {"13", "14", "15", "16", "19", "21", "22", "23", "24", "29", "31", "0"} <= report_to
    assert "97" in {c["name"] for c in choices["threats"]}
    for four_point in ("trust4", "agree4", "likely4", "safe4", "wg", "gunshare", "freq4", "relations4"):
        assert [c["name"] for c in choices[four_point]] == ["1", "2", "3", "4", "98", "99"], four_point
    assert [c["name"] for c in choices["efficacy5"]][:5] == ["1", "2", "3", "4", "5"]
    assert {c["admin1"] for c in choices["admin2"]} == {c["name"] for c in choices["admin1"]}
    assert len(choices["admin2"]) == 8


def test_sensitive_items_are_behind_the_privacy_gate(form, leaves):
    order = [name for name in leaves]
    gate = order.index("c_private")
    for name in SENSITIVE:
        assert order.index(name) > gate, f"{name} must come after c_private"
        assert "${c_private} = '1'" in leaves[name][1]["bind"]["relevant"], name


def test_select_multiple_exclusive_codes_are_constrained(leaves):
    multiples = {n for n, (_, e) in leaves.items() if e["type"] == "select all that apply"}
    assert multiples == set(EXCLUSIVE)
    for name, codes in EXCLUSIVE.items():
        constraint = leaves[name][1]["bind"]["constraint"]
        assert "count-selected(.) = 1" in constraint, name
        for code in codes:
            assert f"selected(., '{code}')" in constraint, (name, code)
    assert "count-selected(.) <= 3" in leaves["b6_threats"][1]["bind"]["constraint"]


def test_skip_logic_of_follow_ups(leaves):
    rel = {n: e.get("bind", {}).get("relevant", "") for n, (_, e) in leaves.items()}
    assert rel["b2_safe_dark_would"] == "${b1_safe_dark} = '5'"
    assert "${c1_assault} = '1' or ${c2_robbery} = '1'" in rel["c7_rep_phys"]
    assert rel["c8_rep_threat"] == "${c3_threat} = '1'"
    assert "${rep_auth_phys} = 0" in rel["c10_noreport_reason"]
    assert rel["g2_grounds_12m"] == "${g1_discrim_5y} = '1'"
    assert rel["e4_noaccess"] == "selected(${e3_mechanism}, '0')"
    assert "selected(${f1_contact}, name)" in leaves["f2_bribe"][1]["choice_filter"]
    assert "selected(${e1_disputes}, name)" in leaves["e2_recent"][1]["choice_filter"]
    assert leaves["admin2"][1]["choice_filter"] == "admin1=${admin1}"
    for name in ("rep_auth_phys", "rep_auth_threat", "rep_auth_sexual"):
        calc = leaves[name][1]["bind"]["calculate"]
        for code in ("13", "14", "15", "16", "19", "21", "22", "23", "24", "29"):
            assert f", '{code}')" in calc, (name, code)
        assert ", '31')" not in calc and ", '0')" not in calc
    assert leaves["a2_age"][1]["bind"]["constraint"] == ". >= 18 and . <= 110"
    assert leaves["hh_adults"][1]["bind"]["constraint"] == ". >= 1 and . <= 30"


def test_every_label_has_both_languages(form, leaves, groups):
    labelled = [e for _, e in leaves.values() if "label" in e] + list(groups.values())
    labelled = [e for e in labelled if e["name"] != "meta"]
    assert len(labelled) > 80
    for element in labelled:
        label = element["label"]
        assert isinstance(label, dict) and set(label) == set(LANGS), element["name"]
        assert all(text.strip() for text in label.values()), element["name"]
        message = element.get("bind", {}).get("jr:constraintMsg")
        if message is not None:
            assert set(message) == set(LANGS), element["name"]
    for list_name, options in form["choices"].items():
        for option in options:
            assert set(option["label"]) == set(LANGS), (list_name, option["name"])
            assert all(text.strip() for text in option["label"].values()), (list_name, option["name"])


def test_every_question_except_calculates_and_notes_is_labelled(leaves):
    unlabeled = {n for n, (_, e) in leaves.items()
                 if "label" not in e and e["type"] not in ("calculate", "start", "end", "today", "deviceid", "audit")}
    assert unlabeled == set()
