"""Interviewer cues are stripped from published labels by the documented rule, never from the form."""

from __future__ import annotations

import re

import pytest
from python_calamine import CalamineWorkbook

from survey_toolkit.labels import INTERVIEWER_CUES, cue_pattern_errors, strip_cues
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("label", "published"),
    [
        ("Refused (do not read)", "Refused"),
        ("Don't know [DO NOT READ]", "Don't know"),
        ("How safe do you feel? (read options)", "How safe do you feel?"),
        ("How safe (READ OUT)?", "How safe?"),
        ("Ne sait pas (ne pas lire)", "Ne sait pas"),
        ("Refus (Ne Pas Lire)", "Refus"),
        ("No sabe (no leer)", "No sabe"),
        ("Sexo [NO LEER OPCIONES]", "Sexo"),
        ("Não sabe (não ler)", "Não sabe"),
        ("رفض (لا تقرأ)", "رفض"),
        ("لا أعرف [لا تقرأ الخيارات]", "لا أعرف"),
        ("Other (please specify)", "Other"),
        ("Autre (préciser)", "Autre"),
        ("Otro (especifique)", "Otro"),
        ("Where? (multiple answers possible)", "Where?"),
        ("[INTERVIEWER: observe] Sex of respondent", "Sex of respondent"),
        ("Trust (single answer) in the police (do not read)", "Trust in the police"),
    ],
)
def test_cues_are_stripped(label, published):
    assert strip_cues(label) == published


@pytest.mark.parametrize(
    "label",
    [
        "Yes (soap is shown)",  # real REACH MSNA choice labels: ordinary brackets stay
        "Missing (left and no news)",
        "None (no kitchen)",
        "Age (in years)",
        "Police (PNC)",
        "le/la participant(e)",
        "Youth (18–29)",
        "Reading the news (daily)",
        "(do not read)",  # a label that is only a cue keeps its text rather than vanish
        "",
    ],
)
def test_ordinary_labels_are_kept(label):
    assert strip_cues(label) == label


def test_project_patterns_add_to_the_defaults():
    assert strip_cues("Checkpoint (roadblock)") == "Checkpoint (roadblock)"
    assert strip_cues("Checkpoint (roadblock)", extra=("road ?block",)) == "Checkpoint"
    assert strip_cues("Refused (do not read)", ()) == "Refused (do not read)"  # no patterns: nothing stripped
    assert cue_pattern_errors(["no leer", "(unclosed"]) == [(1, cue_pattern_errors(["(unclosed"])[0][1])]
    assert not cue_pattern_errors(INTERVIEWER_CUES)


def _labels(path, sheets=("survey", "choices")) -> list[str]:
    """Every label cell (any language) of the survey and choices sheets of a real form, read directly."""
    book = CalamineWorkbook.from_path(str(path))
    out = []
    for name in book.sheet_names:
        if name.lower() not in sheets:
            continue
        rows = book.get_sheet_by_name(name).to_python()
        head = [str(h).lower() for h in rows[0]]
        cols = [i for i, h in enumerate(head) if h.startswith("label")]
        out += [str(r[i]) for r in rows[1:] for i in cols if i < len(r) and isinstance(r[i], str) and r[i]]
    return out


@pytest.mark.shared
def test_real_forms_cues(shared):
    """Cues as real organisations wrote them (CEAT Abidjan 2022 in French, Nairobi 2021 in English)."""
    abidjan = _labels(shared("real", "ceat_wash_abidjan_nairobi", "questionnaires", "Abidjan_2022.xls"))
    nairobi = _labels(shared("real", "ceat_wash_abidjan_nairobi", "questionnaires", "Nairobi_2021.xls"))
    observez = [lab for lab in abidjan if lab.startswith("[OBSERVEZ]")]
    assert observez and all(not strip_cues(lab).startswith("[") for lab in observez)
    assert strip_cues("[OBSERVEZ] Quel est le sexe de ${Name_bio} ?") == "Quel est le sexe de ${Name_bio} ?"
    pour = [lab for lab in abidjan if lab.startswith("[POUR ENQUETEUR]")]
    assert pour and all("ENQUETEUR" not in strip_cues(lab) for lab in pour)
    skips = [lab for lab in abidjan if "(POURSUIVEZ l'enquête)" in lab or "(TERMINEZ l'enquête)" in lab]
    assert len(skips) == 2 and all("enquête)" not in strip_cues(lab) for lab in skips)
    for cue in ("[OBSERVE]", "[FOR SURVEYOR ONLY]", "[INTRODUCE YOURSELF]"):
        found = [lab for lab in nairobi if lab.startswith(cue)]
        assert found and all(not strip_cues(lab).startswith(cue) for lab in found), cue
    # the CEAT labels with ordinary brackets are kept as written
    kept = [lab for lab in abidjan + nairobi if "(e)" in lab or "(optionnel)" in lab]
    assert kept and all("(e)" in strip_cues(lab) or "(optionnel)" in strip_cues(lab) for lab in kept)


@pytest.mark.shared
def test_real_reach_form_specify_and_ordinary_brackets(shared):
    """REACH MSNA 2024 tool (English and French labels): '(please specify)' goes, descriptions stay."""
    labels = _labels(shared("real", "reach_humind_msna2024_tool", "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx"))
    specify = [lab for lab in labels if lab.endswith("(please specify)") or lab.endswith("(préciser)")]
    assert len(specify) >= 10
    assert all(not strip_cues(lab).endswith(")") for lab in specify)
    described = [lab for lab in labels if lab in ("Yes (soap is shown)", "Missing (left and no news)")]
    assert len(described) >= 2 and all(strip_cues(lab) == lab for lab in described)
    changed = [lab for lab in labels if strip_cues(lab) != lab]
    # only cues go: every stripped part was a 'specify' note, an observation or an interviewer's note
    assert all(any(w in lab.lower() for w in ("specify", "préciser", "précisez", "observ", "enquêt", "enumerator"))
               for lab in changed), [lab for lab in changed][:5]


def test_standard_instrument_cues_are_stripped_in_published_labels_but_not_in_the_form():
    from survey_toolkit.instrument import read_instrument
    from survey_toolkit.results import group_labels_from_instrument

    form = read_instrument(ROOT / "instruments" / "cssp_core.xlsx")
    raw = {c.name: c.labels for lst in form.choice_lists.values() for c in lst.choices}
    assert any("(do not read)" in text for labels in raw.values() for text in labels.values())
    questions = [q.name for q in form.questions if getattr(q, "list_name", None)]
    for lang in ("en", "fr"):
        published = group_labels_from_instrument(form, questions, lang)
        texts = [t for names in published.values() for t in names.values()]
        assert texts and not [t for t in texts if "(do not read)" in t or "(ne pas lire)" in t]
    # the form object is unchanged
    again = {c.name: c.labels for lst in form.choice_lists.values() for c in lst.choices}
    assert again == raw


def _demo_project(tmp_path, report_extra: str):
    text = (ROOT / "examples" / "demo" / "survey.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  languages: \[en, fr\].*\n", lambda m: m.group(0) + report_extra, text)
    text = text.replace("../../instruments", str(ROOT / "instruments"))
    text = text.replace("../../indicators.yaml", str(ROOT / "indicators.yaml"))
    for name in ("round1_kobo.xlsx", "round2_central.zip", "round3_spss.sav", "sample_frame.csv",
                 "census_margins.csv", "district_covariates.csv"):  # fmt: skip
        text = text.replace(f" {name}", f" {ROOT / 'examples' / 'demo' / name}").replace(
            f"[{name}]", f"[{ROOT / 'examples' / 'demo' / name}]")
    (tmp_path / "survey.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_project_cue_patterns_are_checked_and_used(tmp_path):
    from survey_toolkit.pipeline.estimates import cues_of
    from survey_toolkit.project import check_project, load_project

    bad = _demo_project(tmp_path, '  interviewer_cues: ["ok", "(unclosed"]\n')
    _, report = check_project(bad)
    [problem] = [p for p in report.errors if p.code == "bad-value" and "interviewer cue" in p.message]
    assert problem.location.line is not None and problem.got == "(unclosed"
    good = _demo_project(tmp_path, '  interviewer_cues: ["solo para (el )?supervisor"]\n')
    project = load_project(good)
    assert project.report.interviewer_cues == ("solo para (el )?supervisor",)
    cues = cues_of(project)
    assert strip_cues("Comentarios (SOLO PARA EL SUPERVISOR)", cues) == "Comentarios"
    assert strip_cues("Refused (do not read)", cues) == "Refused"  # the defaults still apply


def _arabic_form(path):
    """A small XLSForm with English and Arabic labels, cues in both (written at test time)."""
    import openpyxl

    wb = openpyxl.Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Arabic (ar)"])
    survey.append(["select_one sex", "sex", "Sex of respondent", "جنس المستجيب"])
    survey.append(["select_one district", "district", "District", "المديرية"])
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Arabic (ar)"])
    choices.append(["sex", "1", "Man", "رجل"])
    choices.append(["sex", "2", "Woman", "امرأة"])
    choices.append(["sex", "99", "Refused (do not read)", "رفض (لا تقرأ)"])
    choices.append(["district", "D1", "Old Town", "المدينة القديمة"])
    choices.append(["district", "D2", "Riverside [READ OUT]", "ضفة النهر [اقرأ الخيارات]"])
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "default_language"])
    settings.append(["arabic_demo", "English (en)"])
    wb.save(path)
    return path


def test_labels_come_from_the_form_in_the_report_language(tmp_path):
    from types import SimpleNamespace

    from survey_toolkit.instrument import read_instrument
    from survey_toolkit.pipeline.reporting import _form_has_language, _label_fallback
    from survey_toolkit.results import group_labels_from_instrument

    form = read_instrument(_arabic_form(tmp_path / "form.xlsx"))
    ar = group_labels_from_instrument(form, ["sex", "district"], "ar")
    assert ar["sex"]["1"] == "رجل" and ar["sex"]["99"] == "رفض"
    assert ar["district"]["D2"] == "ضفة النهر"
    en = group_labels_from_instrument(form, ["sex", "district"], "en")
    assert en["sex"]["99"] == "Refused" and en["district"]["D2"] == "Riverside"
    assert _form_has_language(form, "ar") and not _form_has_language(form, "es")
    inputs = SimpleNamespace(indicators=SimpleNamespace(languages=("en", "ar")), analysis=None, instrument=form)
    # Spanish: neither the form nor the indicators have it -> English labels, with the report's note
    assert _label_fallback(inputs, ["en", "ar", "es"]) == {"es": "en"}
    # the indicators file without Arabic: the Arabic report says some labels are in English
    inputs = SimpleNamespace(indicators=SimpleNamespace(languages=("en",)), analysis=None, instrument=form)
    assert _label_fallback(inputs, ["en", "ar"]) == {"ar": "en"}
