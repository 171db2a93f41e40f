"""Fixtures for the loader tests: the example instrument and the shared export fixtures.

``instrument_from_xlsform`` uses :func:`survey_toolkit.read_instrument` when it is implemented and
otherwise builds the :class:`Instrument` from pyxform's survey dict here, so the loader tests do not
depend on the instrument parser being finished.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey_toolkit.instrument import Choice, ChoiceList, Group, Instrument, Question
from tests.conftest import shared_path  # noqa: I001

_TYPES = {"select one": "select_one", "select all that apply": "select_multiple"}


def _labels(value) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {"default": str(value)}


def instrument_from_pyxform(survey: dict, source: str | None = None) -> Instrument:
    """An Instrument from pyxform's survey dict (``parse_file_to_json`` output)."""
    questions: list[Question] = []
    groups: list[Group] = []
    lists: dict[str, ChoiceList] = {}
    languages: list[str] = []

    def note_langs(labels: dict[str, str]) -> None:
        for lang in labels:
            if lang not in languages:
                languages.append(lang)

    def add_list(name: str, choices: list[dict]) -> None:
        if name in lists:
            return
        items = []
        for c in choices:
            labels = _labels(c.get("label"))
            note_langs(labels)
            extra = {k: str(v) for k, v in c.items() if k not in ("name", "label")}
            items.append(Choice(str(c["name"]), labels, extra))
        lists[name] = ChoiceList(name, tuple(items))

    def walk(children: list[dict], path: tuple[str, ...], repeat: str | None) -> None:
        for child in children:
            ctype = child.get("type")
            labels = _labels(child.get("label"))
            note_langs(labels)
            bind = child.get("bind") or {}
            if ctype in ("group", "repeat"):
                is_rep = ctype == "repeat"
                groups.append(
                    Group(child["name"], (*path, child["name"]), labels, bind.get("relevant"), is_rep)
                )
                walk(child.get("children", []), (*path, child["name"]), child["name"] if is_rep else repeat)
                continue
            qtype = _TYPES.get(ctype, ctype)
            list_name = child.get("list_name") or child.get("itemset")
            if list_name and child.get("choices"):
                add_list(list_name, child["choices"])
            questions.append(
                Question(
                    name=child["name"],
                    type=qtype,
                    path=path,
                    labels=labels,
                    list_name=list_name if qtype.startswith("select") else None,
                    relevant=bind.get("relevant"),
                    constraint=bind.get("constraint"),
                    required=str(bind.get("required", "")).lower() in ("yes", "true", "true()"),
                    calculation=bind.get("calculate"),
                    repeat=repeat,
                )
            )

    for name, choices in (survey.get("choices") or {}).items():
        add_list(name, choices)
    walk(survey.get("children", []), (), None)
    return Instrument(
        title=str(survey.get("title", "")),
        form_id=str(survey.get("id_string", survey.get("name", ""))),
        version=survey.get("version"),
        default_language=survey.get("default_language"),
        languages=tuple(languages),
        questions=tuple(questions),
        choice_lists=lists,
        groups=tuple(groups),
        source=source,
    )


def instrument_from_xlsform(path: Path) -> Instrument:
    """``read_instrument(path)`` when implemented, else pyxform's dict converted here."""
    from survey_toolkit import read_instrument

    try:
        return read_instrument(path)
    except NotImplementedError:
        from pyxform.xls2json import parse_file_to_json

        return instrument_from_pyxform(parse_file_to_json(str(path)), str(path))


@pytest.fixture(scope="session")
def perception() -> Instrument:
    """The example form of ``../shared/fixtures/exports`` (read_instrument, else its pyxform JSON)."""
    try:
        return instrument_from_xlsform(shared_path("exports", "perception_survey.xlsx"))
    except Exception:  # the instrument parser is another module: fall back to pyxform's saved dict
        path = shared_path("exports", "perception_survey.pyxform.json")
        return instrument_from_pyxform(json.loads(path.read_text(encoding="utf-8")), str(path))


@pytest.fixture
def exports():
    """Callable: ``exports('kobo_xml.csv')`` -> Path under ../shared/fixtures/exports (or skip)."""
    return lambda name: shared_path("exports", name)
