"""Build the standard instrument ``cssp_core.xlsx`` from its text source ``cssp_core.xlsform.yaml``.

Usage::

    python instruments/build.py            # (re)write instruments/cssp_core.xlsx
    python instruments/build.py --check    # exit 1 if the xlsx is out of date with the source

The output is deterministic: the same source gives the same bytes on every run (fixed workbook
timestamps, fixed column order, every cell written as text). The source layout is described at the
top of the YAML file and in ``docs/instrument.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "cssp_core.xlsform.yaml"
TARGET = HERE / "cssp_core.xlsx"

#: Fixed workbook creation time, so that rebuilding never changes the bytes.
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)

#: Survey-sheet columns without a language, in output order (translated ones are added per language).
PLAIN_SURVEY_COLUMNS = ("type", "name")
TRANSLATED_SURVEY_COLUMNS = ("label", "hint", "constraint_message", "required_message")
LOGIC_SURVEY_COLUMNS = (
    "required",
    "relevant",
    "constraint",
    "choice_filter",
    "calculation",
    "appearance",
    "default",
    "read_only",
    "parameters",
)
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "instance_name", "public_key")


class SourceError(ValueError):
    """The text source is malformed; ``problems`` lists every issue found (not only the first)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("instrument source has problems:\n  " + "\n  ".join(self.problems))


def load_source(path: Path = SOURCE) -> dict[str, Any]:
    """Read and validate the YAML source; raise :class:`SourceError` listing all problems."""
    with open(path, encoding="utf-8") as fh:
        source = yaml.safe_load(fh)
    problems = validate_source(source)
    if problems:
        raise SourceError(problems)
    return source


def _check_translated(value: Any, where: str, languages: Sequence[str]) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{where}: expected a mapping of languages {list(languages)}, found {type(value).__name__}"]
    problems = [f"{where}: missing language '{lang}'" for lang in languages if lang not in value]
    problems += [f"{where}: unknown language '{lang}'" for lang in value if lang not in languages]
    problems += [
        f"{where}.{lang}: expected text, found {type(text).__name__} {text!r} (quote it in YAML)"
        for lang, text in value.items()
        if not isinstance(text, str) or not text.strip()
    ]
    return problems


def validate_source(source: Any) -> list[str]:
    """Return a list of problems with the source structure (empty when it is well formed)."""
    if not isinstance(source, Mapping):
        return ["the file must be a mapping with keys settings, languages, choices, survey"]
    problems = [f"missing top-level key '{key}'" for key in ("settings", "languages", "choices", "survey")
                if key not in source]
    if problems:
        return problems
    languages = list(source["languages"])
    for list_name, rows in source["choices"].items():
        seen: set[str] = set()
        for i, row in enumerate(rows):
            where = f"choices.{list_name}[{i}]"
            name = row.get("name")
            if not isinstance(name, str) or not name:
                problems.append(f"{where}: choice name must be a quoted string, found {name!r}")
                continue
            if name in seen:
                problems.append(f"{where}: duplicate choice name '{name}'")
            seen.add(name)
            problems += _check_translated({k: row.get(k) for k in languages if k in row}, where, languages)
    names: set[str] = set()
    depth = 0
    for i, row in enumerate(source["survey"]):
        where = f"survey[{i}]"
        qtype = row.get("type")
        if not isinstance(qtype, str):
            problems.append(f"{where}: missing type")
            continue
        if qtype.startswith("end_"):
            depth -= 1
            if depth < 0:
                problems.append(f"{where}: {qtype} without a matching begin")
            continue
        if qtype.startswith("begin_"):
            depth += 1
        name = row.get("name")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: missing name")
            continue
        if name in names:
            problems.append(f"{where}: duplicate name '{name}'")
        names.add(name)
        parts = qtype.split()
        if parts[0] in ("select_one", "select_multiple") and (len(parts) != 2 or parts[1] not in source["choices"]):
            problems.append(f"{where} ({name}): unknown choice list in type '{qtype}'")
        for key in TRANSLATED_SURVEY_COLUMNS:
            if key in row:
                problems += _check_translated(row[key], f"{where} ({name}).{key}", languages)
        unknown = set(row) - set(PLAIN_SURVEY_COLUMNS) - set(TRANSLATED_SURVEY_COLUMNS) - set(LOGIC_SURVEY_COLUMNS)
        problems += [f"{where} ({name}): unknown key '{key}'" for key in sorted(unknown)]
    if depth != 0:
        problems.append(f"{depth} group(s) not closed with end_group")
    return problems


def _cell(value: Any) -> str:
    """Render a source value as the text written into the sheet."""
    if value is True:
        return "yes"
    if value is False or value is None:
        return ""
    return str(value)


def sheets(source: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """The three XLSForm sheets as rows of text cells (header row first)."""
    langs: Mapping[str, str] = source["languages"]
    translated = [(col, key, f"{col}::{name}") for col in TRANSLATED_SURVEY_COLUMNS for key, name in langs.items()]
    used = {col for row in source["survey"] for col in row}
    translated = [t for t in translated if t[0] in used]
    logic = [col for col in LOGIC_SURVEY_COLUMNS if col in used]
    survey_header = [*PLAIN_SURVEY_COLUMNS, *(t[2] for t in translated), *logic]
    survey_rows = [survey_header]
    for row in source["survey"]:
        cells = [_cell(row.get(col)) for col in PLAIN_SURVEY_COLUMNS]
        cells += [_cell((row.get(col) or {}).get(key)) for col, key, _ in translated]
        cells += [_cell(row.get(col)) for col in logic]
        survey_rows.append(cells)

    extra: list[str] = []
    for rows in source["choices"].values():
        for row in rows:
            extra += [k for k in row if k != "name" and k not in langs and k not in extra]
    choices_rows = [["list_name", "name", *(f"label::{name}" for name in langs.values()), *extra]]
    for list_name, rows in source["choices"].items():
        for row in rows:
            choices_rows.append([list_name, row["name"], *(_cell(row.get(k)) for k in langs),
                                 *(_cell(row.get(k)) for k in extra)])

    settings = source["settings"]
    cols = [c for c in SETTINGS_COLUMNS if c in settings]
    return {"survey": survey_rows, "choices": choices_rows, "settings": [cols, [_cell(settings[c]) for c in cols]]}


def build_bytes(source: Mapping[str, Any]) -> bytes:
    """Render the source as XLSForm ``.xlsx`` bytes (deterministic)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": source["settings"].get("form_title", ""), "created": FIXED_TIME,
                             "author": "survey_toolkit instruments/build.py"})
    bold = workbook.add_format({"bold": True})
    for sheet_name, rows in sheets(source).items():
        ws = workbook.add_worksheet(sheet_name)
        ws.freeze_panes(1, 0)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value != "":
                    ws.write_string(r, c, value, bold if r == 0 else None)
    workbook.close()
    return buffer.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the xlsx is out of date")
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    try:
        data = build_bytes(load_source(args.source))
    except SourceError as exc:
        print(f"{args.source}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if not args.output.exists() or args.output.read_bytes() != data:
            print(f"{args.output} is out of date with {args.source}: run `python instruments/build.py`",
                  file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
