"""Tier 3: indicator definitions checked against the data rows.

Every question an indicator reads must be a column of the data (select_multiple questions may come
as ``q/<code>`` columns only), and every indicator must have a non-empty base. Problems are located at
the indicator in the YAML file and name the data column; no respondent value is ever shown.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import Problem, Severity, did_you_mean
from .model import IndicatorSpec
from .scoring import score_all
from .yamlsource import SourceMap

__all__ = ["check_data"]


def _present(frame: pd.DataFrame, q: str) -> bool:
    if q in frame.columns:
        return True
    prefix = q + "/"
    return any(str(c).startswith(prefix) for c in frame.columns)


def _locate(source: SourceMap | None, spec: IndicatorSpec, ident: str):
    ind = spec[ident]
    if source is None:
        return ind.location
    return source.locate((*ind.location.path, "id"))


def check_data(
    spec: IndicatorSpec,
    frame: pd.DataFrame,
    source: SourceMap | None = None,
    kinds: Mapping[str, str] | None = None,
    data_name: str = "the data",
) -> list[Problem]:
    """Tier 3: questions present in ``frame`` and non-empty bases for every indicator."""
    problems: list[Problem] = []
    columns = [str(c) for c in frame.columns]
    blocked: set[str] = set()
    for ind in spec.indicators:
        for q in sorted(ind.questions() | set(ind.disaggregations)):
            if not _present(frame, q):
                blocked.add(ind.id)
                problems.append(
                    Problem(
                        "question-not-in-data",
                        f"indicator '{ind.id}' reads '{q}', which is not a column of {data_name}",
                        _locate(source, spec, ind.id),
                        hint=did_you_mean(q, columns) or "check the export and the form version",
                    )
                )
    blocked |= _dependents(spec, blocked)
    usable = IndicatorSpec(
        tuple(i for i in spec.indicators if i.id not in blocked),
        spec.defaults,
        spec.spec_version,
        spec.title,
        spec.version,
        spec.languages,
        spec.source,
    )
    if not usable.indicators:
        return problems
    scored = score_all(usable, frame, kinds)
    for ident, s in scored.items():
        n = int(s.domain.sum())
        if n == 0:
            problems.append(
                Problem(
                    "empty-denominator",
                    f"indicator '{ident}' has no respondent in its base in {data_name}",
                    _locate(source, spec, ident),
                    Severity.ERROR,
                    expected="at least one respondent in the denominator",
                    got="0 respondents",
                    hint="check the universe/denominator conditions and the codes used in the data",
                )
            )
    return problems


def _dependents(spec: IndicatorSpec, blocked: set[str]) -> set[str]:
    out = set(blocked)
    changed = True
    while changed:
        changed = False
        for ind in spec.indicators:
            if ind.id not in out and any(r in out for r in ind.references()):
                out.add(ind.id)
                changed = True
    return out
