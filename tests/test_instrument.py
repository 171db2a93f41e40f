"""read_instrument: real forms from ../shared/fixtures, the project's own form, and every error path."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import openpyxl
import pytest

from survey_toolkit import InstrumentError, read_instrument
from survey_toolkit.errors import Severity
from survey_toolkit.instrument import (
    Choice,
    ChoiceList,
    Instrument,
    Question,
    canonical_code,
    instrument_from_sheets,
)

from .conftest import ROOT, shared_path

MSNA = ("real", "reach_humind_msna2024_tool", "REACH_2024_MSNA-kobo-tool_draft_v11.xlsx")
KOBOCRUNCHER = ("real", "kobo_xlsx_export_kobocruncher", "sample_xlsform.xlsx")
LIKERT = ("real", "kobo_xlsx_export_kobocruncher", "form_likert.xlsx")
PERCEPTION = ("exports", "perception_survey.xlsx")
ANALYSISTOOLS = ("real", "reach_analysistools_msna_template", "csv", "analysistools_MSNA_template_survey.csv")


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with one sheet per key, rows given as lists (the first row is the header)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def only_problem(exc: pytest.ExceptionInfo[InstrumentError]):
    assert len(exc.value.problems) == 1
    return exc.value.problems[0]


# ----------------------------------------------------------------------------- real forms


@pytest.fixture(scope="module")
def perception() -> Instrument:
    return read_instrument(shared_path(*PERCEPTION))


@pytest.fixture(scope="module")
def msna() -> Instrument:
    return read_instrument(shared_path(*MSNA))


def test_perception_survey_settings_and_languages(perception):
    assert perception.title == "Perception survey"
    assert perception.form_id == "perception_survey"
    assert perception.version == "2024010101"
    assert perception.default_language == "English (en)"
    assert perception.languages == ("English (en)", "Français (fr)")
    assert len(perception.problems) == 0


def test_perception_survey_questions(perception):
    assert perception.names == (
        "start", "end", "today", "deviceid", "age", "feels_safe", "services",
        "location", "member_name", "member_age", "instanceID",
    )  # fmt: skip
    age = perception.question("age")
    assert (age.type, age.path, age.required) == ("integer", ("resp",), True)
    assert age.constraint == ". >= 18 and . <= 120"
    assert dict(age.labels) == {"English (en)": "Age", "Français (fr)": "Âge"}
    services = perception.question("resp/services")
    assert services.type == "select_multiple" and services.is_select_multiple
    assert services.relevant == "${age} >= 18"
    assert services.xpath == "resp/services"
    assert perception.question("location").type == "geopoint"
    assert perception.question("member_age").repeat == "hh_member"
    assert perception.question("age").repeat is None


def test_perception_survey_choices_and_groups(perception):
    yes_no = perception.choices_for("feels_safe")
    assert yes_no.name == "yes_no" and yes_no.codes == ("yes", "no")
    assert yes_no.labels("Français (fr)") == {"yes": "Oui", "no": "Non"}
    assert perception.choices_for("age") is None
    assert [g.name for g in perception.repeats] == ["hh_member"]
    assert perception.group("resp").label(perception.language_for("fr")) == "Répondant"
    assert [q.name for q in perception.questions_in("hh_member")] == ["member_name", "member_age"]


def test_language_lookup_by_code_name_or_label(perception):
    assert perception.language_for("fr") == "Français (fr)"
    assert perception.language_for("French") == "Français (fr)"
    assert perception.language_for("english") == "English (en)"
    assert perception.language_for("Français (fr)") == "Français (fr)"
    assert perception.question("age").label("fr") == "Âge"
    assert perception.choices_for("feels_safe").labels("French") == {"yes": "Oui", "no": "Non"}
    assert perception.question("age").label("Swahili") == "Age"  # falls back to the first language
    with pytest.raises(InstrumentError) as exc:
        perception.language_for("Swahili")
    problem = only_problem(exc)
    assert problem.code == "unknown-language"
    assert problem.expected == "English (en), Français (fr)"


def test_unknown_question_is_located_with_did_you_mean(perception):
    with pytest.raises(InstrumentError) as exc:
        perception.question("feel_safe")
    problem = only_problem(exc)
    assert problem.code == "unknown-question"
    assert problem.hint == "did you mean 'feels_safe'?"
    assert problem.location.file.endswith("perception_survey.xlsx")
    assert "feel_safe" in str(exc.value)


def test_msna_2024_tool(msna):
    assert msna.languages == ("english", "french")
    assert msna.default_language == "english"
    assert len(msna.questions) == 276 and len(msna.leaves) == 252
    assert sum(q.type == "select_one" for q in msna.questions) == 94
    assert sum(q.type == "select_multiple" for q in msna.questions) == 19
    assert [g.name for g in msna.repeats] == ["roster", "edu_ind", "health_ind", "nut_ind"]
    assert len(msna.choice_lists) == 58
    age = msna.question("resp_age")
    assert age.path == ("consented", "demographics")
    assert dict(age.labels) == {"english": "How old are you?", "french": "Quel âge avez-vous ?"}
    assert age.constraint == ".>= 18 and .<= 120" and age.required
    assert age.constraint_message["french"] == "L'âge doit être compris entre 18 et 120 ans"
    assert age.extra["module"] == "Répondant.e et chef.fe de ménage"
    assert msna.question("household_geopoint").type == "geopoint"  # pyxform's 'gps' alias
    assert msna.question("ind_age").repeat == "roster"
    person_id = msna.question("person_id")
    assert (person_id.type, person_id.calculation) == ("calculate", "uuid()")
    assert person_id.path == ("consented", "demographics", "roster")
    assert msna.group("roster").repeat_count == "${hh_size}"


def test_msna_relevant_chain_and_choice_filter(msna):
    hoh_age = msna.question("hoh_age")
    assert hoh_age.relevant == "selected(${resp_hoh_yn},'no')"
    assert msna.relevant_chain(hoh_age) == ("selected(${consent},'yes')", "selected(${resp_hoh_yn},'no')")
    assert (
        msna.effective_relevant("hoh_age")
        == "(selected(${consent},'yes')) and (selected(${resp_hoh_yn},'no'))"
    )
    assert msna.effective_relevant("consent") is None
    assert msna.effective_relevant("resp_age") == "selected(${consent},'yes')"
    admin2 = msna.question("admin2")
    assert admin2.choice_filter == "filter_admin1=${admin1}"
    first = msna.choices_for(admin2).choices[0]
    assert first.name == "PCODE11" and first.extra["filter_admin1"] == "PCODE1"
    assert first.label("french") == "À mettre à jour par le pays"


def test_msna_pyxform_warnings_are_kept_as_located_problems(msna):
    warnings = [p for p in msna.problems if p.code == "xlsform-warning"]
    assert all(p.severity is Severity.WARNING for p in warnings)
    roster = next(p for p in warnings if "roster" in p.message)
    assert (roster.location.sheet, roster.location.row) == ("survey", 32)
    assert msna.problems.ok


def test_kobocruncher_sample_form():
    form = read_instrument(shared_path(*KOBOCRUNCHER))
    assert (form.title, form.form_id, form.languages) == (
        "Sample Dataset KoboloadeR",
        "koboloadeR",
        ("default",),
    )
    assert form.names == (
        "today", "date", "location", "country", "occupation", "reason", "HHSize", "age", "sex", "instanceID",
    )  # fmt: skip
    assert form.question("reason").path == ("profile",)
    assert form.question("reason").hints["default"] == "this is a hint"
    assert form.question("sex").repeat == "members"
    assert form.choices_for("country").codes == ("COL", "CUB", "SLV", "GTM", "HND", "NIC", "VEN")
    assert form.choices_for("location").labels() == {
        "home": "Home", "subcenter": "Community Center", "private_facility": "Private facility",
    }  # fmt: skip
    assert form.choice_lists["reasons"].choice("safety").label() == (
        "I did not feel safe and/or I faced security threats"
    )


def test_kobocruncher_likert_form_untranslated_with_default_language():
    form = read_instrument(shared_path(*LIKERT))
    assert form.default_language == "Español (es)" and form.languages == ("Español (es)",)
    assert sum(q.type == "select_one" for q in form.questions) == 18
    violence = form.question("violence")
    assert violence.path == ("group_ei8jz33",) and violence.required
    assert form.choices_for(violence).codes == ("likely", "neutral", "unlikely")
    assert form.choice_lists["country"].choices[0].extra["labelQ"] == "Argentina"
    assert form.language_for("es") == "Español (es)"


def test_analysistools_survey_csv_is_rejected_with_pyxform_row():
    with pytest.raises(InstrumentError) as exc:
        read_instrument(shared_path(*ANALYSISTOOLS))
    problem = only_problem(exc)
    assert problem.code == "invalid-xlsform"
    assert "Question with no type" in problem.message
    assert (problem.location.sheet, problem.location.row) == ("survey", 66)


def test_project_standard_instrument():
    path = ROOT / "instruments" / "cssp_core.xlsx"
    if not path.exists():
        pytest.skip("instruments/cssp_core.xlsx is not built yet")
    form = read_instrument(path)
    assert form.problems.ok
    assert form.question("a2_age").type == "integer"
    assert form.question("consent").type == "select_one"
    assert form.choices_for("consent").codes[:2] == ("1", "2")
    assert form.question("b1_safe_dark").type == "select_one"
    assert form.language_for("fr") in form.languages and form.language_for("en") in form.languages
    assert "admin1" in form.choices_for("admin2").choices[0].extra


# ------------------------------------------------------------------------ model behaviour


def test_model_is_immutable(perception):
    with pytest.raises(dataclasses.FrozenInstanceError):
        perception.title = "x"  # type: ignore[misc]
    q = perception.question("age")
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.name = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        q.labels["English (en)"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        perception.choice_lists["new"] = ChoiceList("new")  # type: ignore[index]
    with pytest.raises(TypeError):
        perception.by_name["x"] = q  # type: ignore[index]
    assert isinstance(perception.questions, tuple) and isinstance(
        perception.choice_lists["yes_no"].choices, tuple
    )


def test_model_objects_are_hashable(perception):
    age = perception.question("age")
    assert {age, perception.question("age")} == {age}
    assert len({perception, perception.choices_for("feels_safe"), perception.groups[0], Choice("1")}) == 4


def test_parsing_is_cached_per_path_and_mtime(tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", {"survey": [["type", "name", "label"], ["integer", "n", "N"]]})
    first = read_instrument(path)
    assert read_instrument(path) is first
    write_xlsx(path, {"survey": [["type", "name", "label"], ["integer", "n2", "N"]]})
    assert read_instrument(path).names == ("n2", "instanceID")


def test_canonical_codes():
    assert [canonical_code(v) for v in (1, 1.0, "1.0", " 98 ", "yes", 2.5, None, float("nan"), "")] == [
        "1", "1", "1", "98", "yes", "2.5", None, None, None,
    ]  # fmt: skip


def test_types_translations_and_numeric_codes_from_sheets():
    form = instrument_from_sheets(
        survey=[
            {"type": "select_one_from_file places.csv", "name": "place", "label": "Place"},
            {
                "type": "select_multiple yn",
                "name": "many",
                "label": "Many",
                "label::French (fr)": "Plusieurs",
            },
            {"type": "begin_group", "name": "g", "label": "G", "relevant": "${place} != ''"},
            {"type": "range", "name": "rg", "label": "R", "parameters": "start=0 end=10 step=1"},
            {"type": "integer", "name": "age", "label": "Age", "required": "${place} = 'x'"},
            {"type": "end_group"},
            {"type": "note", "name": "nb", "label": "Note"},
        ],
        choices=[
            {"list_name": "yn", "name": "1.0", "label": "Yes", "label::French (fr)": "Oui"},
            {"list_name": "yn", "name": 2, "label": "No", "label::French (fr)": "Non"},
        ],
        settings={"form_id": "t", "version": "7"},
    )
    place = form.question("place")
    # the list is named after its file (read from beside the form; absent here: no list)
    assert (place.type, place.list_name, place.itemset_file) == ("select_one_from_file", "places.csv", "places.csv")
    assert form.choices_for(place) is None
    assert form.choices_for("many").codes == ("1", "2")
    assert "1.0" in form.choices_for("many") and 1 in form.choices_for("many")
    assert form.languages == ("default", "French (fr)")
    assert dict(form.question("many").labels) == {"default": "Many", "French (fr)": "Plusieurs"}
    assert dict(form.question("rg").parameters) == {"start": "0", "end": "10", "step": "1"}
    age = form.question("age")
    assert (age.required, age.required_if) == (False, "${place} = 'x'")
    assert form.effective_relevant(age) == "${place} != ''"
    assert "nb" not in form.names and form.question("nb").type == "note"
    assert form.version == "7"


def test_duplicate_names_in_different_groups_warn():
    form = instrument_from_sheets(
        survey=[
            {"type": "begin_group", "name": "g1", "label": "G1"},
            {"type": "integer", "name": "age", "label": "Age"},
            {"type": "end_group"},
            {"type": "begin_group", "name": "g2", "label": "G2"},
            {"type": "integer", "name": "age", "label": "Age"},
            {"type": "end_group"},
        ]
    )
    assert form.duplicate_names == ("age",)
    assert form.question("age").path == ("g1",) and form.question("g2/age").path == ("g2",)
    problem = next(p for p in form.problems if p.code == "duplicate-question-name")
    assert problem.severity is Severity.WARNING and problem.location.field == "age"


def test_choice_and_question_label_fallbacks():
    c = Choice("1")
    assert c.label("fr") == "1"
    q = Question("x", "text")
    assert q.label() == "x" and q.full_path == ("x",)


# ----------------------------------------------------------------------------- error paths


def test_missing_file_suggests_nearby_form(tmp_path):
    write_xlsx(tmp_path / "cssp_core.xlsx", {"survey": [["type", "name"], ["integer", "n"]]})
    with pytest.raises(InstrumentError) as exc:
        read_instrument(tmp_path / "cssp_cor.xlsx")
    problem = only_problem(exc)
    assert problem.code == "instrument-not-found"
    assert problem.hint == "did you mean 'cssp_core.xlsx'?"
    assert "cssp_cor.xlsx" in problem.message


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(InstrumentError) as exc:
        read_instrument(tmp_path)
    assert only_problem(exc).code == "instrument-not-found"


def test_unsupported_extension(tmp_path):
    path = tmp_path / "form.json"
    path.write_text("{}")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "unsupported-instrument-format"
    assert problem.got == ".json" and ".xlsx" in problem.expected


def test_an_xform_as_instrument_asks_for_the_xlsform(tmp_path):
    path = tmp_path / "form.xml"
    path.write_text("<h:html/>")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "unsupported-instrument-format"
    assert "XLSForm itself" in problem.hint and "Download XLS" in problem.hint
    (tmp_path / "form.txt").write_text("x")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(tmp_path / "form.txt")
    assert "Save as" in only_problem(exc).hint


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("renamed.xlsx", b"type,name\ninteger,age\n", "not a zip container"),
        ("truncated.xls", b"\x00\x01garbage", "not a valid .xls"),
        ("empty.csv", b"", "the file is empty"),
    ],
)
def test_corrupt_files(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "unreadable-instrument"
    assert reason in problem.message and problem.location.file == str(path)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "form.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "unreadable-instrument" and "does not recognise" in problem.message


def test_export_given_instead_of_form(tmp_path):
    path = write_xlsx(
        tmp_path / "export.xlsx", {"data": [["start", "age", "_uuid"], ["2024-01-01", 30, "a"]]}
    )
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "not-an-xlsform"
    assert "survey" in problem.message and "export" in problem.hint


def test_csv_export_given_instead_of_form(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("start;end;age;_uuid\n2024-01-01;2024-01-01;30;a\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    assert only_problem(exc).code == "not-an-xlsform"


def test_form_pyxform_rejects_is_located(tmp_path):
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        {
            "survey": [["type", "name", "label"], ["integer", "age", "Age"], ["select_one yn", None, "Q"]],
            "choices": [["list_name", "name", "label"], ["yn", "1", "Yes"]],
        },
    )
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "invalid-xlsform"
    assert "no name" in problem.message
    assert problem.location.file == str(path) and problem.location.sheet == "survey"
    assert problem.location.row == 3


def test_unknown_reference_is_rejected_with_row(tmp_path):
    path = write_xlsx(
        tmp_path / "ref.xlsx",
        {
            "survey": [
                ["type", "name", "label", "relevant"],
                ["integer", "age", "Age", ""],
                ["text", "t", "T", "${agee} > 1"],
            ]
        },
    )
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path, validate=False)
    problem = only_problem(exc)
    assert problem.code == "unknown-reference" and "${agee}" in problem.message
    assert (problem.location.sheet, problem.location.row, problem.location.field) == ("survey", 3, "relevant")
    assert problem.hint == "did you mean 'age'?"


def test_validate_false_skips_xform_build_but_gives_the_same_model(tmp_path):
    path = write_xlsx(
        tmp_path / "ok.xlsx", {"survey": [["type", "name", "label"], ["integer", "age", "Age"]]}
    )
    assert read_instrument(path, validate=False) == read_instrument(path, validate=True)


def test_markdown_xlsform(tmp_path):
    path = tmp_path / "form.md"
    path.write_text(
        "| survey |                  |      |       |\n"
        "|        | type             | name | label |\n"
        "|        | select_one yn    | q    | Q     |\n"
        "| choices |                 |      |       |\n"
        "|         | list_name       | name | label |\n"
        "|         | yn              | 1    | Yes   |\n"
        "|         | yn              | 2    | No    |\n",
        encoding="utf-8",
    )
    form = read_instrument(path)
    assert form.question("q").type == "select_one" and form.choices_for("q").codes == ("1", "2")


def test_survey_csv_without_choices_sheet(tmp_path):
    path = tmp_path / "form_survey.csv"
    path.write_text("type,name,label\nselect_one yn,q,Q\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    problem = only_problem(exc)
    assert problem.code == "missing-choices-sheet"
    assert "form_choices.csv" in problem.expected


def test_survey_csv_in_a_legacy_encoding(tmp_path):
    (tmp_path / "f_survey.csv").write_bytes("type,name,label\ninteger,age,Âge\n".encode("latin-1"))
    (tmp_path / "f_choices.csv").write_text("list_name,name,label\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as exc:
        read_instrument(tmp_path / "f_survey.csv")
    problem = only_problem(exc)
    assert problem.code == "unreadable-instrument" and "UTF-8" in problem.hint


def test_survey_csv_with_choices_sheet_beside_it(tmp_path):
    (tmp_path / "form_survey.csv").write_text(
        "type,name,label::english\nselect_one yn,q,Q\n", encoding="utf-8"
    )
    (tmp_path / "form_choices.csv").write_text(
        "list_name,name,label::english\nyn,1,Yes\nyn,2,No\n", encoding="utf-8"
    )
    form = read_instrument(tmp_path / "form_survey.csv")
    assert form.form_id == "form_survey" and form.choices_for("q").codes == ("1", "2")
    assert form.languages == ("english",)


def test_every_repeated_name_is_reported_at_once_each_at_its_sheet_row_and_column(tmp_path):
    # pyxform stops at the first repeated name: fixing it and rerunning gave the next one, form after form.
    # A KoBo-style form (spaced 'begin group', a blank row, a repeat) with three repeated names and two
    # repeated choice names; 'age' inside and outside the household roster is allowed (different groups).
    path = write_xlsx(
        tmp_path / "kobo_form.xlsx",
        {
            "survey": [
                ["type", "name", "label::English (en)", "relevant"],
                ["integer", "age", "Age", None],  # row 2
                ["select_one yn", "consent", "Consent", None],
                [None, None, None, None],  # row 4: blank, counted as pyxform counts it
                ["begin group", "safety", "Safety", "${consent} = '1'"],  # row 5
                ["select_one yn", "safe_day", "Safe by day?", None],
                ["select_one yn", "safe_day", "Safe at night?", None],  # row 7: repeated in the group
                ["end group", None, None, None],
                ["begin repeat", "roster", "Household members", None],  # row 9
                ["integer", "age", "Member's age", None],  # allowed: another group
                ["text", "member", "Name", None],
                ["text", "member", "Relation", None],  # row 12: repeated in the repeat
                ["end repeat", None, None, None],
                ["integer", "age", "Age again", None],  # row 14: repeated at the top level
            ],
            "choices": [
                ["list_name", "name", "label::English (en)"],
                ["yn", "1", "Yes"],
                ["yn", "0", "No"],
                ["yn", "1", "Don't know"],  # row 4
                ["yn", "0", "Refused"],  # row 5
                ["other", "1", "Yes"],  # another list: allowed
            ],
        },
    )
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    found = [(p.code, p.location.sheet, p.location.row, p.location.field) for p in exc.value.problems]
    assert found == [
        ("duplicate-name-in-group", "survey", 7, "name"),
        ("duplicate-name-in-group", "survey", 12, "name"),
        ("duplicate-name-in-group", "survey", 14, "name"),
        ("duplicate-choice-name", "choices", 4, "name"),
        ("duplicate-choice-name", "choices", 5, "name"),
    ]
    first = exc.value.problems[0]
    assert first.location.file == str(path)
    assert first.message == "the name 'safe_day' is used again in the group or repeat of row 5 (first at row 6)"
    assert "rename one of the two" in first.hint
    assert "allow_choice_duplicates" in exc.value.problems[3].hint


def test_repeated_choice_names_are_accepted_when_the_settings_allow_them():
    form = instrument_from_sheets(
        [{"type": "select_one yn", "name": "q", "label": "Q"}],
        [{"list_name": "yn", "name": "1", "label": "Yes"}, {"list_name": "yn", "name": "1", "label": "Oui"}],
        settings={"form_id": "f", "allow_choice_duplicates": "Yes"},
    )
    assert form.question("q").type == "select_one"


def test_every_unknown_list_and_reference_is_reported_at_once(tmp_path):
    # pyxform stops at the first list missing from the choices sheet and the first unknown ${name}
    path = write_xlsx(
        tmp_path / "refs.xlsx",
        {
            "survey": [
                ["type", "name", "label::English (en)", "relevant", "constraint"],
                ["select_one yes_no", "consent", "Consent", None, None],  # row 2: the list is 'yn'
                ["integer", "age", "Age of ${nme}", "${consent} = '1'", ". < ${max_age}"],  # row 3: two unknown
                ["select_multiple  services or_other", "used", "Services", "${consnt} = '1'", None],  # row 4
                ["begin_group", "hh", "Household", None, None],
                ["integer", "age", "Age of the head", None, None],  # 'age' twice (other group): allowed...
                ["end_group", "hh", None, None, None],  # a name on the end row is not a second 'hh'
                ["text", "note_age", "You said ${age}", "${last-saved#hh} != ''", None],  # ...but not referred to
                ["select_one_from_file towns.csv", "town", "Town", None, None],  # a list in a file: not checked
            ],
            "choices": [["list_name", "name", "label::English (en)"], ["yn", "1", "Yes"], ["yn", "0", "No"]],
        },
    )
    with pytest.raises(InstrumentError) as exc:
        read_instrument(path)
    found = [(p.code, p.location.row, p.location.field, p.hint) for p in exc.value.problems]
    assert found == [
        ("unknown-choice-list", 2, "type", "add the list to the choices sheet, or use one of its lists: yn"),
        ("unknown-choice-list", 4, "type", "add the list to the choices sheet, or use one of its lists: yn"),
        ("unknown-reference", 3, "label::English (en)", "correct the name, or add the question it refers to"),
        ("unknown-reference", 3, "constraint", "did you mean 'age'?"),
        ("unknown-reference", 4, "relevant", "did you mean 'consent'?"),
        ("ambiguous-reference", 8, "label::English (en)",
         "rename one of them: a ${name} reference needs a name used once in the form"),
    ]
    assert exc.value.problems[1].message == (
        "the select_multiple question 'used' uses the list 'services', which is not on the choices sheet"
    )
    assert exc.value.problems[5].message == (
        "the label::English (en) of 'note_age' refers to ${age}, but 'age' names more than one element (rows 3, 6)"
    )
