"""Codes labelled don't know / refused / not applicable found in the value labels and recorded per variable."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from ..errors import Location, Problem, Severity
from .base import SurveyData

_NUMERIC_TYPES = frozenset({"integer", "decimal", "range"})


def _special_codes(data: SurveyData) -> SurveyData:
    """Find the codes whose labels declare don't know / refused / not applicable (every label language),
    record them in ``variables[col].special_codes`` and report them per variable in one problem."""
    from ..codes import special_code_kind

    found: dict[str, dict[str, str]] = {}
    for name, meta in data.variables.items():
        if meta.question and meta.question != name:  # q/<code> columns share the question's labels
            continue
        codes: dict[str, str] = {}
        for labels in meta.value_labels.values():
            for code, label in labels.items():
                kind = special_code_kind(label)
                if kind is not None:
                    codes.setdefault(str(code), kind)
        if codes:
            found[name] = codes
    if not found:
        return data
    variables = {
        k: replace(v, special_codes=MappingProxyType(found[k])) if k in found else v
        for k, v in data.variables.items()
    }
    numeric = [n for n in found if data.variables[n].type in _NUMERIC_TYPES]
    shown = "; ".join(
        f"{n}: " + ", ".join(f"{c} ({k})" for c, k in codes.items()) for n, codes in list(found.items())[:10]
    ) + (" ..." if len(found) > 10 else "")
    problem = Problem(
        "dk-refused-codes",
        f"{len(found)} variable(s) have codes labelled don't know / refused / not applicable: {shown}",
        Location(file=data.source or "", field=next(iter(found))),
        severity=Severity.WARNING if numeric else Severity.INFO,
        expected="don't know / refused codes declared to the indicators",
        got=", ".join(sorted({c for codes in found.values() for c in codes})),
        hint="they are kept as codes (SurveyData.variables[v].special_codes) and compute() treats them like the "
        "indicators file's dk_codes / refused_codes for their variable: never averaged, left out of bases under "
        "dk_refused: excluded; set dk_refused: counted on an indicator whose codes are real values"
        + (f" (numeric: {', '.join(numeric[:5])})" if numeric else ""),
        count=len(found),
    )
    return replace(data, variables=MappingProxyType(variables), problems=data.problems + [problem])
