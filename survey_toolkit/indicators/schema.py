"""Tier 1: the structure of an indicators file (types, required keys, allowed values, unknown keys).

:func:`build_spec` turns the plain data of :mod:`.yamlsource` into an
:class:`~survey_toolkit.indicators.model.IndicatorSpec`, collecting every problem with its
``file:line:col``. Indicators with structural errors are left out of the spec (so tier 2 can still
check the others); the caller decides whether to raise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..codes import canonical_code
from ..errors import Location, Problem, Severity, did_you_mean
from ..expressions import Condition, ConditionSyntaxError, parse_condition
from .model import (
    DEFAULT_UNIT,
    REQUIRED_BY_TYPE,
    SECTIONS,
    Aggregate,
    Defaults,
    FieldSpec,
    IndexItem,
    Indicator,
    IndicatorSpec,
    Text,
)
from .yamlsource import SourceMap

__all__ = ["build_spec"]

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_KIND_NAMES = {
    "str": "text",
    "text": "text or a mapping of language to text",
    "condition": "a condition (text)",
    "question": "a question name",
    "bool": "true or false",
    "int": "a whole number",
    "number": "a number",
    "codes": "a list of choice codes",
    "names": "a list of names",
    "scores": "a mapping of choice code to score",
    "range": "a list of two numbers [low, high]",
    "items": "a list of index items",
    "indicators": "a list of indicators",
    "defaults": "a mapping",
    "aggregates": "a list of aggregates",
}


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing (empty value)"
    if (
        isinstance(value, list)
        and 0 < len(value) <= 4
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value:g} (not a finite number)"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


@dataclass
class _Ctx:
    """Collects problems and resolves positions for one file."""

    source: SourceMap
    problems: list[Problem] = field(default_factory=list)
    languages: tuple[str, ...] = ("en",)

    def add(
        self,
        code: str,
        message: str,
        path: tuple,
        *,
        key: bool = False,
        severity=Severity.ERROR,
        expected: str | None = None,
        got: str | None = None,
        hint: str | None = None,
        location: Location | None = None,
    ) -> None:
        loc = location or self.source.locate(path, key=key)
        self.problems.append(Problem(code, message, loc, severity, expected, got, hint))

    def where(self, path: tuple) -> str:
        """A readable name for a spec path: ``indicator 'x'`` or ``indicators[3]``."""
        return ".".join(str(p) for p in path) or "the file"


# ---------------------------------------------------------------- generic checks


def _check_keys(
    ctx: _Ctx, data: dict, fields: dict[str, FieldSpec], path: tuple, what: str, itype: str | None = None
) -> bool:
    """Unknown keys (did you mean), keys not applicable to the type and missing required keys."""
    ok = True
    for key in data:
        spec = fields.get(key)
        if spec is None:
            hint = did_you_mean(str(key), fields) or f"allowed keys: {', '.join(fields)}"
            ctx.add(
                "unknown-key",
                f"unknown key '{key}' in {what}",
                (*path, key),
                key=True,
                expected="one of " + ", ".join(fields),
                got=str(key),
                hint=hint,
            )
            ok = False
        elif itype and spec.types and itype not in spec.types:
            ctx.add(
                "key-not-for-type",
                f"key '{key}' does not apply to an indicator of type '{itype}'",
                (*path, key),
                key=True,
                hint=f"'{key}' is used by type {' / '.join(spec.types)}",
            )
            ok = False
    for key, spec in fields.items():
        if spec.required and key not in data:
            ctx.add(
                "missing-key",
                f"{what} has no '{key}'",
                path,
                key=True,
                expected=f"'{key}': {spec.doc}",
                got="nothing",
                hint=f"add '{key}:'",
            )
            ok = False
    return ok


def _finite(v: Any) -> bool:
    """A number that is not a bool, infinite or NaN (YAML ``.inf``/``.nan`` are floats)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _has_infinite(value: Any) -> bool:
    values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
    return any(isinstance(v, float) and not math.isfinite(v) for v in values)


def _type_ok(ctx: _Ctx, value: Any, spec: FieldSpec, path: tuple, key: str) -> bool:
    kind = spec.kind
    checks: dict[str, Callable[[Any], bool]] = {
        "str": lambda v: isinstance(v, str) and v.strip() != "",
        "question": lambda v: isinstance(v, str) and v.strip() != "",
        "condition": lambda v: isinstance(v, str),
        "text": lambda v: (
            (isinstance(v, str) and v.strip() != "")
            or (isinstance(v, dict) and bool(v) and all(isinstance(t, str) for t in v.values()))
        ),
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": _finite,
        "codes": lambda v: (
            isinstance(v, list) and all(isinstance(c, (int, str)) and not isinstance(c, bool) for c in v)
        ),
        "names": lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
        "scores": lambda v: (
            isinstance(v, dict)
            and bool(v)
            and all(_finite(s) for s in v.values())
        ),
        "range": lambda v: (
            isinstance(v, list)
            and len(v) == 2
            and all(_finite(x) for x in v)
            and v[0] < v[1]
        ),
        "items": lambda v: isinstance(v, list) and bool(v),
        "indicators": lambda v: isinstance(v, list),
        "defaults": lambda v: isinstance(v, dict),
        "aggregates": lambda v: isinstance(v, list),
    }
    if not checks[kind](value):
        hint = None
        if kind == "str" and isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = f"quote it: {key}: '{value}'"
        elif kind in ("number", "range", "scores") and _has_infinite(value):
            hint = "use finite numbers: .inf, -.inf and .nan are not scores, weights or bounds"
        elif kind == "range" and isinstance(value, list) and len(value) == 2:
            hint = "the first number must be smaller than the second"
        elif kind == "bool" and isinstance(value, str):
            hint = "write true or false without quotes"
        ctx.add(
            "wrong-type",
            f"'{key}' must be {_KIND_NAMES[kind]}, not {_type_name(value)}",
            path,
            expected=_KIND_NAMES[kind],
            got=_type_name(value),
            hint=hint,
        )
        return False
    if spec.allowed and value not in spec.allowed:
        ctx.add(
            "bad-value",
            f"'{key}' is '{value}', which is not allowed",
            path,
            expected="one of " + ", ".join(spec.allowed),
            got=str(value),
            hint=did_you_mean(str(value), spec.allowed) or "allowed: " + ", ".join(spec.allowed),
        )
        return False
    return True


def _condition(ctx: _Ctx, text: str, path: tuple) -> Condition | None:
    try:
        return parse_condition(text)
    except ConditionSyntaxError as exc:
        ctx.add(
            "bad-condition",
            f"cannot read the condition: {exc.message}",
            path,
            location=ctx.source.locate_in_scalar(path, exc.offset),
            hint=exc.hint,
        )
        return None


def _text(ctx: _Ctx, value: Any, path: tuple) -> Text:
    if value is None:
        return Text()
    if isinstance(value, str):
        return Text(MappingProxyType({ctx.languages[0]: value.strip()}))
    for lang in value:
        if lang not in ctx.languages:
            ctx.add(
                "unknown-language",
                f"language '{lang}' is not in 'languages' ({', '.join(ctx.languages)})",
                (*path, lang),
                key=True,
                hint=did_you_mean(str(lang), ctx.languages) or "add it to 'languages' at the top of the file",
            )
    missing = [lang for lang in ctx.languages if lang not in value]
    if missing:
        ctx.add(
            "missing-translation",
            f"no {', '.join(missing)} text",
            path,
            severity=Severity.WARNING,
            hint=f"add {missing[0]}: ... under this key",
        )
    return Text(MappingProxyType({str(k): v.strip() for k, v in value.items()}))


def _fields(ctx: _Ctx, data: dict, fields: dict[str, FieldSpec], path: tuple) -> tuple[dict, bool]:
    """Type-check every known key; parse conditions and texts. Returns (values, all ok)."""
    out: dict[str, Any] = {}
    ok = True
    for key, value in data.items():
        spec = fields.get(key)
        if spec is None or spec.kind in ("items", "indicators", "defaults", "aggregates"):
            continue
        vpath = (*path, key)
        if not _type_ok(ctx, value, spec, vpath, key):
            ok = False
            continue
        if spec.kind == "condition":
            cond = _condition(ctx, value, vpath)
            ok = ok and cond is not None
            out[key] = cond
        elif spec.kind == "text":
            out[key] = _text(ctx, value, vpath)
        elif spec.kind == "codes":
            out[key] = tuple(canonical_code(c) for c in value)
        elif spec.kind == "names":
            out[key] = tuple(value)
        elif spec.kind == "scores":
            out[key] = MappingProxyType({canonical_code(k): float(v) for k, v in value.items()})
        elif spec.kind == "range":
            out[key] = (float(value[0]), float(value[1]))
        elif spec.kind in ("str", "question"):
            out[key] = value.strip()
        else:
            out[key] = value
    return out, ok


# ---------------------------------------------------------------- sections


def _defaults(ctx: _Ctx, data: Any) -> Defaults:
    fields = SECTIONS["defaults"]
    values: dict[str, Any] = {}
    if data is not None:
        if not isinstance(data, dict):
            ctx.add("wrong-type", f"'defaults' must be a mapping, not {_type_name(data)}", ("defaults",))
        else:
            _check_keys(ctx, data, fields, ("defaults",), "defaults")
            values, _ = _fields(ctx, data, fields, ("defaults",))
    universe = values.get("universe") or parse_condition(fields["universe"].default)
    return Defaults(
        universe=universe,
        disaggregations=values.get("disaggregations", ()),
        dk_codes=values.get("dk_codes", tuple(fields["dk_codes"].default)),
        refused_codes=values.get("refused_codes", tuple(fields["refused_codes"].default)),
        dk_refused=values.get("dk_refused", fields["dk_refused"].default),
        min_valid_items=values.get("min_valid_items", fields["min_valid_items"].default),
    )


def _item(ctx: _Ctx, data: Any, path: tuple) -> IndexItem | None:
    if not isinstance(data, dict):
        ctx.add(
            "wrong-type",
            f"an index item must be a mapping, not {_type_name(data)}",
            path,
            hint="write e.g. - {question: d1_trust_police, range: [1, 4]}",
        )
        return None
    fields = SECTIONS["item"]
    ok = _check_keys(ctx, data, fields, path, "index item")
    values, fields_ok = _fields(ctx, data, fields, path)
    forms = [f for f in ("question", "favourable", "indicator") if f in data]
    if "unfavourable" in data and "favourable" not in data:
        forms.append("unfavourable")
    if len(forms) != 1:
        found = " and ".join(forms) or "none of them"
        ctx.add(
            "bad-item",
            f"an index item needs exactly one of 'question', 'favourable' (with 'unfavourable') "
            f"or 'indicator'; found {found}",
            path,
        )
        return None
    kind = {
        "question": "question",
        "favourable": "condition",
        "unfavourable": "condition",
        "indicator": "indicator",
    }[forms[0]]
    needs = {"question": ("range",), "condition": ("favourable", "unfavourable"), "indicator": ()}[kind]
    for key in needs:
        if key not in data:
            ctx.add(
                "missing-key",
                f"index item has no '{key}'",
                path,
                key=True,
                expected=f"'{key}': {fields[key].doc}",
                got="nothing",
                hint=f"add '{key}:'",
            )
            ok = False
    extra = [k for k in ("range", "reverse") if k in data and kind != "question"]
    for key in extra:
        ctx.add("key-not-for-item", f"'{key}' only applies to a question item", (*path, key), key=True)
        ok = False
    if "weight" in values and fields_ok and not values["weight"] > 0:
        ctx.add(
            "bad-value",
            f"an item weight must be a positive number, not {values['weight']}",
            (*path, "weight"),
            expected="a number > 0",
            got=str(values["weight"]),
            hint="leave the item out of the index instead of giving it weight 0",
        )
        ok = False
    if "weight" in values:
        values["weight"] = float(values["weight"])
    if not (ok and fields_ok):
        return None
    return IndexItem(kind=kind, location=ctx.source.locate(path), **values)


def _indicator(ctx: _Ctx, data: Any, path: tuple, defaults: Defaults) -> Indicator | None:
    if not isinstance(data, dict):
        ctx.add(
            "wrong-type",
            f"an indicator must be a mapping, not {_type_name(data)}",
            path,
            hint="start each indicator with '- id: ...' followed by indented keys",
        )
        return None
    fields = SECTIONS["indicator"]
    itype = data.get("type") if data.get("type") in REQUIRED_BY_TYPE else None
    ok = _check_keys(ctx, data, fields, path, f"indicator '{data.get('id', path[-1])}'", itype)
    values, fields_ok = _fields(ctx, data, fields, path)
    if "id" in values and not _ID.match(values["id"]):
        ctx.add(
            "bad-id",
            f"id '{values['id']}' must be lower-case letters, digits and '_', starting with a letter",
            (*path, "id"),
            hint="e.g. " + re.sub(r"[^a-z0-9_]", "_", values["id"].lower()),
        )
        ok = False
    for key in REQUIRED_BY_TYPE.get(itype or "", ()):
        if key not in data:
            ctx.add(
                "missing-key",
                f"indicator '{data.get('id')}' of type '{itype}' has no '{key}'",
                path,
                key=True,
                expected=f"'{key}': {fields[key].doc}",
                got="nothing",
                hint=f"add '{key}:'",
            )
            ok = False
    items: list[IndexItem] = []
    if itype == "index" and isinstance(data.get("items"), list):
        for i, raw in enumerate(data["items"]):
            item = _item(ctx, raw, (*path, "items", i))
            ok = ok and item is not None
            if item:
                items.append(item)
    elif itype == "index" and "items" in data:
        _type_ok(ctx, data["items"], fields["items"], (*path, "items"), "items")
        ok = False
    if not (ok and fields_ok and itype):
        return None
    values.setdefault("universe", defaults.universe)
    values.setdefault("unit", DEFAULT_UNIT[itype])
    values.setdefault("dk_refused", defaults.dk_refused)
    values.setdefault("disaggregations", defaults.disaggregations)
    values.setdefault("min_valid_items", defaults.min_valid_items)
    values.setdefault("direction", fields["direction"].default)
    if "scale" not in values and itype == "index":
        values["scale"] = tuple(float(x) for x in fields["scale"].default)
    values.pop("items", None)
    return Indicator(items=tuple(items), location=ctx.source.locate(path), **values)


#: aggregate function -> (keys it needs, keys it does not take)
_AGGREGATE_KEYS = {
    "any": (("condition",), ("value",)),
    "all": (("condition",), ("value",)),
    "count": ((), ("value",)),
    "sum": (("value",), ("condition",)),
    "min": (("value",), ("condition",)),
    "max": (("value",), ("condition",)),
    "first": (("value",), ("condition",)),
}


def _aggregate(ctx: _Ctx, data: Any, path: tuple) -> Aggregate | None:
    if not isinstance(data, dict):
        ctx.add(
            "wrong-type",
            f"an aggregate must be a mapping, not {_type_name(data)}",
            path,
            hint="write e.g. - {name: n_children, repeat: hh_member, function: count, where: age < 18}",
        )
        return None
    fields = SECTIONS["aggregate"]
    ok = _check_keys(ctx, data, fields, path, f"aggregate '{data.get('name', path[-1])}'")
    values, fields_ok = _fields(ctx, data, fields, path)
    name = values.get("name")
    if name is not None and not _NAME.match(name):
        ctx.add(
            "bad-id",
            f"aggregate name '{name}' must be letters, digits and '_', starting with a letter",
            (*path, "name"),
            hint="e.g. " + re.sub(r"[^A-Za-z0-9_]", "_", name),
        )
        ok = False
    function = values.get("function")
    if function in _AGGREGATE_KEYS:
        needs, refuses = _AGGREGATE_KEYS[function]
        for key in needs:
            if key not in data:
                ctx.add(
                    "missing-key",
                    f"aggregate '{name}' with function '{function}' has no '{key}'",
                    path,
                    key=True,
                    expected=f"'{key}': {fields[key].doc}",
                    got="nothing",
                    hint=f"add '{key}:'",
                )
                ok = False
        for key in refuses:
            if key in data:
                other = "where" if key == "condition" else "function: sum, min, max or first"
                ctx.add(
                    "key-not-for-function",
                    f"'{key}' does not apply to function '{function}'",
                    (*path, key),
                    key=True,
                    hint=f"use {other}",
                )
                ok = False
    if not (ok and fields_ok and name and function and values.get("repeat")):
        return None
    return Aggregate(location=ctx.source.locate(path), **values)


def _aggregates(ctx: _Ctx, raw: Any, indicator_ids: set[str]) -> tuple[Aggregate, ...]:
    if raw is None:
        return ()
    if not _type_ok(ctx, raw, SECTIONS["top"]["aggregates"], ("aggregates",), "aggregates"):
        return ()
    out: list[Aggregate] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        agg = _aggregate(ctx, entry, ("aggregates", i))
        if agg is None:
            continue
        if agg.name in seen:
            first = ctx.source.locate(("aggregates", seen[agg.name], "name"))
            ctx.add(
                "duplicate-id",
                f"aggregate '{agg.name}' is already defined at line {first.line}",
                ("aggregates", i, "name"),
                hint=f"rename one of them, e.g. '{agg.name}_2'",
            )
            continue
        seen[agg.name] = i
        out.append(agg)
    return tuple(out)


def _duplicate_ids(ctx: _Ctx, raw: list) -> None:
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        ident = entry["id"]
        if ident in seen:
            first = ctx.source.locate(("indicators", seen[ident], "id"))
            ctx.add(
                "duplicate-id",
                f"id '{ident}' is already used by the indicator at line {first.line}",
                ("indicators", i, "id"),
                expected="unique ids",
                got=ident,
                hint=f"rename one of them, e.g. '{ident}_2'",
            )
        else:
            seen[ident] = i


def build_spec(data: Any, source: SourceMap) -> tuple[IndicatorSpec | None, list[Problem]]:
    """Tier 1: check the structure of ``data`` and build the spec from the valid parts."""
    ctx = _Ctx(source)
    if not isinstance(data, dict):
        ctx.add(
            "wrong-type",
            f"the file must be a mapping with 'indicators:', not {_type_name(data)}",
            (),
            expected="spec_version: 1 ... indicators: [...]",
            got=_type_name(data),
        )
        return None, ctx.problems
    _check_keys(ctx, data, SECTIONS["top"], (), "the file")
    langs = data.get("languages")
    if isinstance(langs, list) and langs and all(isinstance(x, str) for x in langs):
        ctx.languages = tuple(langs)
    top, _ = _fields(ctx, data, SECTIONS["top"], ())
    if top.get("spec_version", 1) != 1:
        ctx.add(
            "bad-value",
            f"spec_version {top['spec_version']} is not supported",
            ("spec_version",),
            expected="1",
            got=str(top["spec_version"]),
            hint="write spec_version: 1",
        )
    defaults = _defaults(ctx, data.get("defaults"))
    raw = data.get("indicators")
    indicators: list[Indicator] = []
    if isinstance(raw, list) and not raw:
        ctx.add("no-indicators", "the indicators file lists no indicators", ("indicators",),
                expected="at least one indicator under 'indicators:'", got="an empty list",
                hint="add an indicator (docs/indicators.md), or start from the toolkit's indicators.yaml")  # fmt: skip
    if isinstance(raw, list):
        _duplicate_ids(ctx, raw)
        for i, entry in enumerate(raw):
            ind = _indicator(ctx, entry, ("indicators", i), defaults)
            if ind is not None:
                indicators.append(ind)
    elif "indicators" in data:
        _type_ok(ctx, raw, SECTIONS["top"]["indicators"], ("indicators",), "indicators")
    aggregates = _aggregates(ctx, data.get("aggregates"), {i.id for i in indicators})
    spec = IndicatorSpec(
        aggregates=aggregates,
        indicators=tuple(indicators),
        defaults=defaults,
        spec_version=top.get("spec_version", 1),
        title=top.get("title", Text()),
        version=top.get("version"),
        languages=tuple(ctx.languages),
        source=source.file,
    )
    return spec, ctx.problems
