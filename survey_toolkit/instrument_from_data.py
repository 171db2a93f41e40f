"""No form at hand: an instrument built from an export's own metadata (SPSS/Stata labels, or a CSV).

A survey firm often delivers an SPSS or Stata file and no XLSForm. Its variable labels and value
labels carry what the form would: :func:`instrument_from_data` turns them into an
:class:`~survey_toolkit.instrument.Instrument` (a labelled variable -> select_one with its value labels
as choices; an SPSS multiple-response set -> select_multiple; numbers -> integer/decimal; dates ->
date/dateTime; the rest -> text). A plain CSV has no metadata: its columns are typed conservatively
(numbers stay numbers; a text column becomes a select_one only when it has few distinct values, its
codes are the observed values and it has no labels) and every guess is reported.

:func:`write_xlsform` writes the instrument as an editable XLSForm (survey, choices, settings), so that a
project made with ``survey-toolkit init --from export.sav`` uses the ordinary ``instrument:`` key and
the user can correct labels and types in a spreadsheet.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from .errors import Location, Problem, Severity, ValidationReport
from .instrument import Choice, ChoiceList, Instrument, Question
from .io.base import SurveyData
from .report.tidy import excel_safe_text

__all__ = ["instrument_from_data", "instrument_from_export", "write_xlsform", "MAX_INFERRED_CODES"]

#: a CSV text column becomes a select_one only with at most this many distinct values ...
MAX_INFERRED_CODES = 12
#: ... and when at most this share of its answers are distinct
_MAX_DISTINCT_SHARE = 0.5
_LANGUAGE = "default"


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


def _numeric_type(series: pd.Series) -> str:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return "integer" if len(values) and bool((values == values.round()).all()) else "decimal"


def _choices(value_labels: Mapping[str, Mapping[str, str]], observed: list[str]) -> tuple[Choice, ...]:
    codes: list[str] = []
    for labels in value_labels.values():
        codes += [c for c in labels if c not in codes]
    codes += [c for c in observed if c not in codes]
    return tuple(
        Choice(code, _frozen({lang: labels[code] for lang, labels in value_labels.items() if code in labels}))
        for code in codes
    )


def _observed(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return sorted(series.dropna().astype(str).unique().tolist())


def _guess_text(name: str, series: pd.Series, source: str) -> tuple[str, list[str], Problem | None]:
    values = series.dropna().astype(str)
    values = values[values.str.strip() != ""]
    distinct = values.unique().tolist()
    if 0 < len(distinct) <= MAX_INFERRED_CODES and len(distinct) <= _MAX_DISTINCT_SHARE * len(values):
        note = Problem(
            "inferred-type",
            f"column '{name}' was read as a select_one with the {len(distinct)} codes found in the data "
            "(no labels: a CSV has no metadata)",
            Location(file=source, field=name),
            Severity.INFO,
            hint="check the type and add labels in the written form.xlsx (survey and choices sheets)",
        )
        return "select_one", sorted(distinct), note
    return "text", [], None


def _question_type(name: str, series: pd.Series, meta, has_metadata: bool) -> str:
    if meta is not None and meta.type in ("select_one", "select_multiple"):
        return meta.type
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "dateTime" if meta is None or meta.type != "date" else "date"
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return _numeric_type(series)
    if isinstance(series.dtype, pd.CategoricalDtype) and has_metadata:
        return "select_one"
    return "text"


def instrument_from_data(data: SurveyData, form_id: str | None = None) -> tuple[Instrument, ValidationReport]:
    """An instrument from the columns and metadata of a loaded export (loaded without a form).

    Returns the instrument and the report of every guess it made (``inferred-type`` info problems for
    CSV columns typed from their values). Variable labels become question labels and value labels the
    choices (every label language the file has). SPSS/Stata user-missing codes stay choices or
    numbers, as the file declares them; the labels make them visible to ``inspect``.
    """
    source = str(data.source or "the export")
    frame = data.frame
    has_metadata = (data.format or "") in ("spss", "stata", "sav", "zsav", "por", "dta") or any(
        v.labels or v.value_labels for v in data.variables.values()
    )
    questions: list[Question] = []
    lists: dict[str, ChoiceList] = {}
    notes: list[Problem] = []
    multiple = data.select_multiple_columns
    dummies = {c for cols in multiple.values() for c in cols}
    for name in data.question_columns:
        name = str(name)
        if name in dummies or "/" in name:
            continue
        meta = data.variables.get(name)
        series = frame[name]
        kind = _question_type(name, series, meta, has_metadata)
        codes: list[str] = []
        if kind == "text" and not has_metadata:
            kind, codes, note = _guess_text(name, series, source)
            notes += [note] if note else []
        labels = _frozen(dict(meta.labels) if meta is not None else None)
        list_name = None
        if kind == "select_one":
            value_labels = dict(meta.value_labels) if meta is not None else {}
            choices = _choices(value_labels, codes or _observed(series))
            list_name = name
            lists[name] = ChoiceList(name, choices)
        elif kind == "select_multiple":
            list_name = name
            prefix = name + "/"
            codes = [c[len(prefix):] for c in multiple.get(name, [])]
            lists[name] = ChoiceList(
                name, tuple(Choice(c, _frozen(_dummy_label(data, name, c))) for c in codes)
            )
        questions.append(Question(name, kind, labels=labels, list_name=list_name))
    form = Instrument(
        title=Path(source).stem,
        form_id=form_id or _identifier(Path(source).stem),
        version=None,
        default_language=None,
        languages=tuple(sorted({lang for q in questions for lang in q.labels})),
        questions=tuple(questions),
        choice_lists=MappingProxyType(lists),
        source=source,
    )
    return form, ValidationReport.of(notes)


def instrument_from_export(path: str | Path, **load_options) -> tuple[Instrument, ValidationReport]:
    """The instrument of an export read on its own (no form): :func:`instrument_from_data` of ``load(path)``.

    Used for a project without ``instrument:`` (its first round's SPSS/Stata file). Raises the
    loader's errors when the export cannot be read.
    """
    from .io import load

    return instrument_from_data(load(path, **load_options))


def _dummy_label(data: SurveyData, question: str, code: str) -> dict[str, str]:
    meta = data.variables.get(f"{question}/{code}")
    if meta is None or not meta.labels:
        return {}
    return {lang: text.rsplit("::", 1)[-1].strip() for lang, text in meta.labels.items()}


def _identifier(text: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text).strip("_") or "survey"
    return out if out[0].isalpha() else f"f_{out}"


def _label_columns(languages: tuple[str, ...]) -> list[tuple[str, str | None]]:
    if not languages or languages == (_LANGUAGE,):
        return [("label", languages[0] if languages else None)]
    return [(f"label::{lang}", lang) for lang in languages]


def _safe_labels(table: pd.DataFrame) -> pd.DataFrame:
    """Labels from an export, made safe for a spreadsheet and for pyxform.

    A label may start with ``=`` (read as a formula: escaped with ``'``) or contain ``${`` (a
    truncated XLSForm reference, which pyxform would resolve: written ``$ {``). Codes and names are
    left exactly as they are.
    """
    out = table.copy()
    cols = [c for c in out.columns if str(c).startswith("label") or c == "form_title"]
    if cols:
        text = out[cols].astype(str).apply(lambda s: s.str.replace("${", "$ {", regex=False))
        out[cols] = excel_safe_text(text)
    return out


def write_xlsform(instrument: Instrument, path: str | Path) -> Path:
    """Write ``instrument`` as an XLSForm (survey, choices, settings sheets), atomically."""
    path = Path(path)
    label_cols = _label_columns(instrument.languages)
    survey = pd.DataFrame(
        [
            {
                "type": f"{q.type} {q.list_name}" if q.list_name else q.type,
                "name": q.name,
                **{col: q.labels.get(lang, q.name) if lang else q.name for col, lang in label_cols},
            }
            for q in instrument.questions
        ]
    )
    choices = pd.DataFrame(
        [
            {"list_name": cl.name, "name": c.name, **{col: c.labels.get(lang, c.name) for col, lang in label_cols}}
            for cl in instrument.choice_lists.values()
            for c in cl.choices
        ],
        columns=["list_name", "name", *[col for col, _ in label_cols]],
    )
    settings = pd.DataFrame([{"form_title": instrument.title, "form_id": instrument.form_id}])
    survey, choices, settings = (_safe_labels(t) for t in (survey, choices, settings))
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            survey.to_excel(writer, sheet_name="survey", index=False)
            choices.to_excel(writer, sheet_name="choices", index=False)
            settings.to_excel(writer, sheet_name="settings", index=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
