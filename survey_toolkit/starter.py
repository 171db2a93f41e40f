"""``survey-toolkit init --from EXPORT DIR``: a starter project for an export that came without its form.

:func:`scaffold_from_export` loads the export without a form, builds the instrument from its metadata
(:mod:`survey_toolkit.instrument_from_data`), and writes three files:

- ``form.xlsx``: that instrument as an editable XLSForm (question labels from the variable labels,
  choices from the value labels);
- ``indicators.yaml``: one starter indicator per usable question (a ``distribution`` for a labelled
  question, a ``mean`` for a number, ``shares`` for a multiple-response set), checked against the form;
- ``survey.yaml``: one round reading the export in place, no design yet (equal weights) and a comment
  naming candidate weight columns.

The export is never modified or copied. Existing files are only replaced with ``overwrite``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .codes import is_number_text
from .errors import ValidationReport
from .instrument import Instrument
from .instrument_from_data import instrument_from_data, write_xlsform
from .io import load
from .project import LABELLED_EXPORTS, OPTIONAL_KEYS_TEMPLATE

__all__ = ["scaffold_from_export", "starter_indicators"]

_WEIGHT_WORDS = ("weight", "wgt", "wt", "poids", "ponder", "pondera", "peso")
_MAX_STARTERS = 60


def _yaml_text(text: str) -> str:
    """A YAML double-quoted scalar (labels come from the export: never trust their characters)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{escaped}"'


def _label(q, fallback: str) -> str:
    return next(iter(q.labels.values()), fallback) if q.labels else fallback


def _code_list(codes: list[str]) -> str:
    return "[" + ", ".join(c if is_number_text(c) else _yaml_text(c).replace('"', "'") for c in codes) + "]"


def starter_indicators(
    instrument: Instrument, export_name: str, special: dict[str, list[str]] | None = None
) -> str:
    """The text of a starter ``indicators.yaml`` for ``instrument`` (valid against it).

    ``special``: numeric question -> its labelled or declared-missing codes (``-99 "Refused"``), which
    the starter means leave out with a ``where:`` so that they are never averaged as numbers.
    """
    special = special or {}
    anchor = next((q.name for q in instrument.questions), None)
    lines = [
        f"# Starter indicators written by 'survey-toolkit init --from {export_name}'.",
        "# One entry per question that could be summarised; keep the ones you need, then define your own",
        "# (docs/indicators.md). Types were taken from the export's labels: check them in form.xlsx.",
        "spec_version: 1",
        "defaults:",
        "  # everyone: replace with your eligibility condition, e.g. consent = 1",
        f"  universe: {anchor} is missing or {anchor} is not missing" if anchor else "  universe: consent = 1",
        "indicators:",
    ]
    count = 0
    for q in instrument.questions:
        if count >= _MAX_STARTERS:
            lines.append(f"  # ... {len(instrument.questions) - count} more questions not listed")
            break
        kind = {"select_one": "distribution", "select_multiple": "shares", "integer": "mean", "decimal": "mean"}
        itype = kind.get(q.type)
        if itype is None:
            continue
        ident = "".join(ch if ch.isalnum() else "_" for ch in q.name.lower()).strip("_")
        ident = ident if ident and ident[0].isalpha() else f"q_{ident}"
        lines += [
            f"  - id: {ident}_{itype}",
            f"    type: {itype}",
            f"    label: {_yaml_text(_label(q, q.name))}",
            f"    question: {q.name}",
        ]
        codes = [c for c in special.get(q.name, []) if is_number_text(c)]
        if itype == "mean" and codes:
            lines.append(f"    where: {q.name} not in {_code_list(codes)}   # labelled codes (refused, don't know...)")
        count += 1
    if count == 0:
        lines[-1] = "indicators: []"
    return "\n".join(lines) + "\n"


def _survey_yaml(instrument: Instrument, export: Path, folder: Path, weights: list[str]) -> str:
    try:
        rel = Path(os.path.relpath(export.resolve(), folder.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        rel = export.resolve().as_posix()
    weight_lines = (
        [f"#   weights: {weights[0]}      # candidate weight column(s) in the export: {', '.join(weights)}"]
        if weights
        else ["#   weights: my_weight      # no column looked like a weight: equal weights until you set one"]
    )
    return "\n".join(
        [
            f"# Starter project written by 'survey-toolkit init --from {export.name}'.",
            "# The export came without its XLSForm: form.xlsx was built from its variable and value labels.",
            "# Check it with:  survey-toolkit validate <this folder>   Reference: docs/project-file.md",
            "version: 1",
            f"title: {_yaml_text(instrument.title)}",
            "instrument: form.xlsx" + (
                "       # or delete this line: the form is then rebuilt from the export's labels at each run"
                if export.suffix.lower() in LABELLED_EXPORTS
                else ""
            ),
            "indicators: indicators.yaml",
            "rounds:",
            "  - id: R1",
            f"    files: [{_yaml_text(rel)}]",
            "# design:                       # the sampling design (docs/project-file.md)",
            *weight_lines,
            "#   strata: stratum",
            "#   psu: cluster",
            "#   missing_weights: exclude  # rows without a weight: error (default), exclude or impute",
            "",
            OPTIONAL_KEYS_TEMPLATE.format(question=_example_question(instrument)),
        ]
    )


def _example_question(instrument: Instrument) -> str:
    """A select question's name for the commented examples (a plain name, else a placeholder)."""
    for q in instrument.questions:
        if instrument.choices_for(q) is not None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]{0,40}", q.name):
            return q.name
    return "my_question"


def _weight_columns(instrument: Instrument) -> list[str]:
    return [
        q.name
        for q in instrument.questions
        if q.type == "decimal" and any(w in q.name.lower() for w in _WEIGHT_WORDS)
    ]


def scaffold_from_export(
    export: str | Path, directory: str | Path, *, overwrite: bool = False, **load_options
) -> tuple[list[Path], ValidationReport]:
    """Write ``form.xlsx``, ``indicators.yaml`` and ``survey.yaml`` for ``export`` into ``directory``.

    Returns the written paths and the report of what was inferred (``inferred-type`` notes for CSV
    columns). Raises :class:`SpecError` when a file would be overwritten or the folder is a file, and
    the loader's errors when the export cannot be read.
    """
    from .report._common import atomic_write_bytes

    export = Path(export)
    folder = Path(directory)
    targets = [folder / "form.xlsx", folder / "indicators.yaml", folder / "survey.yaml"]
    from .pipeline import check_new_project_folder

    check_new_project_folder(folder, targets, overwrite=overwrite)
    data = load(export, **load_options)
    instrument, report = instrument_from_data(data)
    folder.mkdir(parents=True, exist_ok=True)
    written = [write_xlsform(instrument, targets[0])]
    special = {
        name: sorted({c for labels in meta.value_labels.values() for c in labels} | set(meta.missing_codes))
        for name, meta in data.variables.items()
        if meta.value_labels or meta.missing_codes
    }
    text = starter_indicators(instrument, export.name, special)
    written.append(atomic_write_bytes(targets[1], text.encode("utf-8")))
    text = _survey_yaml(instrument, export, folder, _weight_columns(instrument))
    written.append(atomic_write_bytes(targets[2], text.encode("utf-8")))
    return written, report
