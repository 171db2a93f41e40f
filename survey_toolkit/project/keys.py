"""The keys survey.yaml accepts, and the typed check of one value at its file:line:col."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..disclosure import ReportingRules
from ..errors import Problem, did_you_mean
from ..indicators.yamlsource import SourceMap
from .model import _frozen

_TOP = {
    "version": "int",
    "title": "text",
    "instrument": "file",
    "indicators": "file",
    "rounds": "list",
    "design": "mapping",
    "weighting": "mapping",
    "quality": "mapping",
    "locations": "mapping",
    "report": "mapping",
    "small_areas": "mapping",
    "share": "mapping",
    "plan": "mapping",
    "estimation": "mapping",
    "cleaning_log": "files",
    "derive": "list",
    "extra_columns": "str_list1",
    "na_values": "str_list",
    "select_multiple_source": "str",
    "off_list": "str",
    "off_list_questions": "str_map",
    "off_list_max_share": "number",
}
_SHARE = {"quasi_identifiers": "str_list", "k": "int", "coarsen": "str_map", "drop": "str_list"}
_SMALL_AREAS = {"covariates": "file", "level": "str", "location_column": "str", "use": "str_list", "indicators": "str_list",
                "substitute": "bool"}
_PLAN = {"target_change": "number", "alpha": "number", "power": "number", "overlap": "number", "correlation": "number",
         "indicators": "str_list", "in_report": "bool"}
_PLAN_RANGES = {"target_change": (0.0, float("inf"), "a positive change, e.g. 10"),
                "alpha": (0.0, 1.0, "a level between 0 and 1, e.g. 0.05"),
                "power": (0.0, 1.0, "a probability between 0 and 1, e.g. 0.8"),
                "overlap": (-1e-12, 1.0 + 1e-12, "a share between 0 and 1"),
                "correlation": (-1.0 - 1e-12, 1.0 + 1e-12, "a correlation between -1 and 1")}
_REQUIRED_TOP = ("indicators", "rounds")
#: Exports whose value and variable labels can stand in for a missing form (``instrument:`` optional)
LABELLED_EXPORTS = (".sav", ".zsav", ".por", ".dta")
_ROUND = {
    "id": "str",
    "label": "text",
    "date": "date",
    "files": "files",
    "instrument": "file",
    "rename": "mapping",
    "accept_changes": "str_list",
    "cleaning_log": "files",
    "encoding": "str",
    "delimiter": "str",
    "source": "mapping",
    "na_values": "str_list",
    "select_multiple_source": "str",
    "min_match": "number",
    "repeats": "file_map",
}
_SOURCE = {"server": "str", "url": "str", "asset": "str", "project": "int", "form": "str", "folder": "str"}
_RENAME = {"questions": "str_map", "choices": "mapping"}
_DESIGN = {
    "strata": "str",
    "psu": "str",
    "weights": "str",
    "probabilities": "str",
    "missing_weights": "str",
    "fpc": "str",
    "strata_from": "str_list",
    "strata_separator": "str",
    "lonely_psu": "str",
    "base_weights": "mapping",
    "nest": "bool",
    "replicates": "mapping",
}
_REPLICATES = {
    "columns": "str_list",
    "type": "str",
    "scale": "number",
    "rscales": "list",
    "rho": "number",
    "mse": "bool",
    "combined_weights": "bool",
    "df": "number",
    "replicates": "int",
    "seed": "int",
}
_BASE = {
    "sample_frame": "file",
    "stratum": "str",
    "population": "str",
    "sample": "str_list1",
    "eligible": "str",
    "eligible_cap": "int",
    "fpc": "str",
}
_ESTIMATION = {"interval": "str", "df": "str"}
INTERVALS = ("xlogit", "wald", "logit", "korn-graubard", "wilson", "asin", "likelihood")
DF_RULES = ("domain", "design")
_WEIGHTING = {"margins": "file", "method": "str", "trim": "mapping", "partial": "bool", "calfun": "str",
              "bounds": "list", "bounds_const": "bool", "margins_are": "str", "margins_encoding": "str"}
_TRIM = {"upper": "number", "lower": "number", "relative_to": "str"}
_QUALITY = {"min_duration": "number", "min_age": "number", "exclude": "str_list"}
_LOCATIONS = {"levels": "str_list", "names": "str_map"}
_REPORT = {
    "title": "text",
    "languages": "str_list1",
    "output": "str",
    "significance": "number",
    "fdr": "number",
    "compare": "str_list1",
    "suppression": "mapping",
    "indicators": "str_list1",
    "disaggregate": "bool",
    "charts": "str_list1",
    "parquet": "bool",
    "show_empty": "bool",
    "interviewer_cues": "str_list1",
}
_RULE_FIELDS = {f.name: f for f in dataclasses.fields(ReportingRules)}

_KIND_TEXT = {
    "int": "a whole number",
    "number": "a finite number",
    "bool": "true or false",
    "str": "a text value",
    "text": "a text, or a mapping of language code to text",
    "file": "the path of a file",
    "files": "a file path or a list of file paths",
    "file_map": "a mapping of names to file paths",
    "list": "a list",
    "mapping": "a mapping of keys to values",
    "str_list": "a list of text values",
    "str_list1": "a list of one or more text values (leave the key out for the default)",
    "str_map": "a mapping of text to text",
    "date": "a date (YYYY-MM-DD)",
}


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} (not a finite number: .inf, -.inf and .nan are not bounds)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return type(value).__name__


class _Ctx:
    """Collects problems while walking the plain data, resolving paths against the project folder."""

    def __init__(self, source: SourceMap, root: Path) -> None:
        self.source = source
        self.root = root
        self.problems: list[Problem] = []
        self.round_ids: list[str] = []
        """Every round id the file declares, even of rounds with other mistakes."""
        self.pulling = False
        """True while ``pull`` reads the project: files a pull will write need not exist yet."""

    def add(self, code: str, message: str, path: tuple, *, key: bool = False, **kw: Any) -> None:
        self.problems.append(Problem(code, message, self.source.locate(path, key=key), **kw))

    def keys(self, data: Any, allowed: Mapping[str, str], path: tuple, what: str) -> dict:
        """``data`` as a dict (problem when it is not one); unknown keys reported with a close match."""
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.add("wrong-type", f"{what} must be a mapping", path, expected="key: value lines",
                     got=_type_name(data))  # fmt: skip
            return {}
        for key in data:
            if key not in allowed:
                self.add(
                    "unknown-key",
                    f"unknown key '{key}' in {what}",
                    (*path, key),
                    key=True,
                    expected=", ".join(allowed),
                    got=str(key),
                    hint=did_you_mean(str(key), allowed) or "remove it or check the spelling",
                )
        return {k: v for k, v in data.items() if k in allowed}

    def value(self, data: dict, key: str, kind: str, path: tuple) -> Any:
        """The checked value of ``data[key]`` (None when absent or wrong; problems recorded)."""
        if key not in data or data[key] is None:
            return None
        value = data[key]
        where = (*path, key)
        checker = _CHECKERS[kind]
        ok, out = checker(self, value, where)
        if not ok:
            self.add("wrong-type", f"'{key}' must be {_KIND_TEXT[kind]}", where,
                     expected=_KIND_TEXT[kind], got=_type_name(value))  # fmt: skip
            return None
        return out

    def require(self, data: dict, key: str, path: tuple, what: str) -> bool:
        if data.get(key) is None:
            self.add("missing-key", f"{what} has no '{key}'", path, key=True, expected=f"a '{key}:' line", got="none",
                     hint=f"add '{key}:' ({_KIND_TEXT.get(_ALL_KINDS.get(key, 'str'), 'a value')})")  # fmt: skip
            return False
        return True

    def file(self, value: Any, where: tuple) -> tuple[bool, Path | None]:
        if not isinstance(value, str) or not value.strip():
            return False, None
        path = (self.root / value).resolve() if not Path(value).is_absolute() else Path(value)
        if path.is_dir():
            inside = _near_files(path / "x")[:3]
            self.add(
                "not-a-file",
                f"'{value}' is a folder, not a file",
                where,
                expected="the path of a file",
                got=f"the folder {path}",
                hint="name a file inside it"
                + (f", e.g. '{value.rstrip('/')}/{inside[0]}'" if inside else "")
                + ", or remove the folder of that name",
            )
            return True, None
        if not path.is_file():
            near = [n for n in _near_files(path) if n != path.name]
            self.add(
                "missing-file",
                f"the file '{value}' does not exist",
                where,
                expected=f"a file relative to {self.root}",
                got=str(path),
                hint=did_you_mean(path.name, near) or "check the path; it is relative to the project file's folder",
            )
            return True, None
        return True, path


def _near_files(path: Path) -> list[str]:
    try:
        return sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
    except OSError:
        return []


def _check_int(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return (isinstance(v, int) and not isinstance(v, bool)), v


def _check_number(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return ok, float(v) if ok else None


def _check_bool(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return isinstance(v, bool), v


def _check_str(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return False, None
    return True, str(v)


def _check_text(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return True, _frozen({"en": str(v)})
    if isinstance(v, dict) and v and all(isinstance(x, (str, int, float)) for x in v.values()):
        return True, _frozen({str(k): str(x) for k, x in v.items()})
    return False, None


def _check_files(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
        return False, None
    paths = []
    for i, item in enumerate(items):
        _, path = ctx.file(item, where if isinstance(v, str) else (*where, i))
        paths.append(path)
    return True, tuple(paths)


def _check_file(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return ctx.file(v, where)


def _check_file_map(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    """name -> file (each file checked and located at its own line)."""
    if not isinstance(v, dict) or not v or not all(isinstance(x, str) for x in v.values()):
        return False, None
    paths = {str(name): ctx.file(item, (*where, name))[1] for name, item in v.items()}
    return True, MappingProxyType(paths)


def _check_list(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return isinstance(v, list), v


def _check_mapping(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return isinstance(v, dict), v


def _check_str_list(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in items):
        return False, None
    return True, tuple(str(x) for x in items)


def _check_str_list1(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    ok, out = _check_str_list(ctx, v, where)
    return (ok and bool(out)), out


def _check_str_map(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if not isinstance(v, dict) or not all(isinstance(x, (str, int, float)) for x in v.values()):
        return False, None
    return True, _frozen({str(k): str(x) for k, x in v.items()})


def _check_date(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if isinstance(v, _dt.datetime):
        return True, v.date()
    if isinstance(v, _dt.date):
        return True, v
    if isinstance(v, str):
        try:
            return True, _dt.date.fromisoformat(v)
        except ValueError:
            return False, None
    return False, None


_CHECKERS: dict[str, Callable[[_Ctx, Any, tuple], tuple[bool, Any]]] = {
    "int": _check_int,
    "number": _check_number,
    "bool": _check_bool,
    "str": _check_str,
    "text": _check_text,
    "file": _check_file,
    "files": _check_files,
    "file_map": _check_file_map,
    "list": _check_list,
    "mapping": _check_mapping,
    "str_list": _check_str_list,
    "str_list1": _check_str_list1,
    "str_map": _check_str_map,
    "date": _check_date,
}
_ALL_KINDS = {**_SOURCE, **_REPORT, **_BASE, **_DESIGN, **_REPLICATES, **_ROUND, **_TOP}


def _choice(ctx: _Ctx, value: str | None, allowed: tuple[str, ...], where: tuple, what: str) -> str | None:
    if value is None or value in allowed:
        return value
    ctx.add("bad-value", f"{what} '{value}' is not known", where, expected=", ".join(allowed), got=value,
            hint=did_you_mean(value, allowed) or f"use one of: {', '.join(allowed)}")  # fmt: skip
    return None


def _above(ctx: _Ctx, value: float | None, bound: float, where: tuple, *, strict: bool = True) -> float | None:
    """``value`` when it is above ``bound`` (or at it, without ``strict``), else a located problem."""
    if value is None or value > bound or (not strict and value == bound):
        return value
    sign = ">" if strict else ">="
    ctx.add("bad-value", f"'{where[-1]}' must be {sign} {bound:g}", where, expected=f"a number {sign} {bound:g}",
            got=f"{value:g}")  # fmt: skip
    return None


QUALITY_CHECKS = ("duplicate-record-id", "duplicate-submission-id", "blank-record-id",
                  "duplicate-row", "no-consent", "under-age",
                  "too-short", "bad-duration", "value-not-in-choices", "constraint-violated", "answered-when-skipped",
                  "several-form-versions", "question-not-in-export", "column-not-in-form")  # fmt: skip
"""The data-quality check codes ``quality.exclude`` may name (``docs/data-quality.md``)."""


_DERIVE = {"name": "str", "label": "text", "when": "list", "else": "str"}
_RULE = {"if": "str", "value": "str", "label": "text"}
