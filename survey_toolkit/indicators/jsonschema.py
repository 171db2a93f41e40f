"""JSON Schema (draft 2020-12) of the indicators language, generated from the field tables of
:mod:`survey_toolkit.indicators.model` so that editors (VS Code YAML, JetBrains) can autocomplete and check
``indicators.yaml``. The schema covers structure only; conditions, questions and codes are checked by
``survey-toolkit indicators check``.
"""

from __future__ import annotations

import json
from typing import Any

from ..expressions import FUNCTIONS
from .model import INDICATOR_TYPES, REQUIRED_BY_TYPE, SECTIONS, FieldSpec

__all__ = ["json_schema", "json_schema_text", "SCHEMA_ID"]

SCHEMA_ID = "https://survey-toolkit.example.org/schemas/indicators-1.json"

_TEXT = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1},
    ]
}
_CODE = {"type": ["integer", "string"]}
_KINDS: dict[str, dict[str, Any]] = {
    "str": {"type": "string", "minLength": 1},
    "question": {"type": "string", "minLength": 1, "pattern": r"^[A-Za-z_][\w.\-]*$"},
    "condition": {"type": "string", "minLength": 1},
    "text": _TEXT,
    "bool": {"type": "boolean"},
    "int": {"type": "integer", "minimum": 1},
    "number": {"type": "number"},
    "codes": {"type": "array", "items": _CODE},
    "names": {"type": "array", "items": {"type": "string"}},
    "scores": {"type": "object", "additionalProperties": {"type": "number"}, "minProperties": 1},
    "range": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
    "items": {"type": "array", "items": {"$ref": "#/$defs/item"}, "minItems": 1},
    "indicators": {"type": "array", "items": {"$ref": "#/$defs/indicator"}},
    "defaults": {"$ref": "#/$defs/defaults"},
    "aggregates": {"type": "array", "items": {"$ref": "#/$defs/aggregate"}},
}


def _property(spec: FieldSpec) -> dict[str, Any]:
    prop = dict(_KINDS[spec.kind])
    desc = spec.doc
    if spec.kind == "condition":
        desc += " Functions: " + ", ".join(FUNCTIONS) + "."
    prop["description"] = desc
    if spec.allowed:
        prop = {"enum": list(spec.allowed), "description": desc}
    if spec.default is not None and spec.kind not in ("items", "indicators", "aggregates"):
        prop["default"] = spec.default
    return prop


def _object(fields: dict[str, FieldSpec], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {name: _property(spec) for name, spec in fields.items()},
        "required": [name for name, spec in fields.items() if spec.required],
        "additionalProperties": False,
    }


def _indicator() -> dict[str, Any]:
    schema = _object(SECTIONS["indicator"], "One indicator.")
    rules = []
    for itype, needed in REQUIRED_BY_TYPE.items():
        allowed = [k for k, s in SECTIONS["indicator"].items() if not s.types or itype in s.types]
        rules.append(
            {
                "if": {"properties": {"type": {"const": itype}}, "required": ["type"]},
                "then": {
                    "required": list(needed),
                    "propertyNames": {"enum": allowed},
                    "description": INDICATOR_TYPES[itype],
                },
            }
        )
    schema["allOf"] = rules
    return schema


def _item() -> dict[str, Any]:
    schema = _object(
        SECTIONS["item"], "One index item: a rescaled question, a condition pair or an indicator."
    )
    schema["oneOf"] = [
        {"required": ["question", "range"]},
        {"required": ["favourable", "unfavourable"]},
        {"required": ["indicator"]},
    ]
    return schema


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``indicators.yaml`` as a dict."""
    top = _object(SECTIONS["top"], "An indicators file for survey_toolkit.")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "survey_toolkit indicators",
        **top,
        "$defs": {
            "defaults": _object(SECTIONS["defaults"], "Defaults applied to every indicator."),
            "indicator": _indicator(),
            "item": _item(),
            "aggregate": _object(SECTIONS["aggregate"], "A respondent-level column aggregated from a repeat."),
        },
    }


def json_schema_text() -> str:
    """The schema as indented JSON text (stable key order), ending with a newline."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def reference_markdown() -> str:
    """The key reference of the language as Markdown tables (the block in ``docs/indicators.md``)."""
    titles = {
        "top": "Top level",
        "defaults": "`defaults:`",
        "indicator": "Each entry of `indicators:`",
        "item": "Each entry of an index's `items:`",
        "aggregate": "Each entry of `aggregates:`",
    }
    lines: list[str] = []
    for section, fields in SECTIONS.items():
        lines += [
            f"#### {titles[section]}",
            "",
            "| Key | Required | Allowed values / default | Meaning |",
            "|---|---|---|---|",
        ]
        for key, spec in fields.items():
            if spec.allowed:
                allowed = ", ".join(f"`{a}`" for a in spec.allowed)
            elif spec.default not in (None, [], False):
                allowed = f"default `{spec.default}`"
            else:
                allowed = ""
            types = f" Types: {', '.join(spec.types)}." if spec.types else ""
            lines.append(f"| `{key}` | {'yes' if spec.required else ''} | {allowed} | {spec.doc}{types} |")
        lines.append("")
    return "\n".join(lines)
