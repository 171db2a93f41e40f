"""Reading and validating an indicators file: the three tiers in one place.

``load_indicators`` returns a valid :class:`~survey_toolkit.indicators.model.IndicatorSpec` or raises
:class:`~survey_toolkit.errors.SpecError` carrying every problem found; ``validate_indicators``
returns the :class:`~survey_toolkit.errors.ValidationReport` without raising.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from ..errors import Problem, SpecError, SurveyToolkitError, ValidationReport
from ..instrument import Instrument, read_instrument
from .datachecks import check_data
from .model import IndicatorSpec
from .repeatcheck import instrument_with_aggregates
from .schema import build_spec
from .semantics import check_against_instrument, check_references, instrument_kinds
from .yamlsource import ParsedYaml, SourceMap, parse_yaml, read_yaml

__all__ = ["Checked", "check_indicators", "load_indicators", "validate_indicators", "parse_indicators"]


@dataclass(frozen=True)
class Checked:
    """The outcome of checking a file: the spec (valid parts), the source map and the report."""

    spec: IndicatorSpec | None
    source: SourceMap
    report: ValidationReport
    instrument: Instrument | None = None


def _instrument(instrument: Instrument | str | Path | None) -> tuple[Instrument | None, list[Problem]]:
    if instrument is None or isinstance(instrument, Instrument):
        return instrument, []
    try:
        return read_instrument(instrument), []
    except SurveyToolkitError as exc:
        return None, list(exc.problems)


def _frame(data) -> pd.DataFrame | None:
    if data is None:
        return None
    return data if isinstance(data, pd.DataFrame) else data.frame


def _check(parsed: ParsedYaml, instrument, data) -> Checked:
    problems = list(parsed.problems)
    form, form_problems = _instrument(instrument)
    problems += form_problems
    if parsed.data is None and problems:
        return Checked(None, parsed.source, ValidationReport.of(problems), form)
    spec, tier1 = build_spec(parsed.data, parsed.source)
    problems += tier1
    if spec is not None:
        problems += check_references(spec, parsed.source)
        if form is not None:
            problems += check_against_instrument(spec, form, parsed.source)
    frame = _frame(data)
    if spec is not None and frame is not None and not any(p.is_error for p in problems):
        analysed = instrument_with_aggregates(form, spec) if form is not None else None
        kinds = instrument_kinds(analysed) if analysed is not None else None
        name = getattr(data, "source", None) or "the data"
        frame, agg_problems = _with_aggregates(frame, data, spec, kinds, analysed)
        problems += agg_problems
        respondent = replace(spec, indicators=tuple(i for i in spec.indicators if i.repeat is None))
        if not agg_problems:
            problems += check_data(respondent, frame, parsed.source, kinds, data_name=Path(str(name)).name)
    problems.sort(
        key=lambda p: (p.location.file != parsed.source.file, p.location.line or 0, p.location.column or 0)
    )
    return Checked(spec, parsed.source, ValidationReport.of(problems), form)


def _with_aggregates(
    frame: pd.DataFrame, data, spec: IndicatorSpec, kinds, form=None
) -> tuple[pd.DataFrame, list[Problem]]:
    """The frame plus the ``aggregates:`` columns (computed from ``data.children``), or the problems."""
    if not spec.aggregates:
        return frame, []
    from ..repeats import with_aggregates  # the data layer builds on the spec package

    by_repeat = {a.repeat: instrument_kinds(form, a.repeat) for a in spec.aggregates} if form is not None else None
    try:
        return with_aggregates(frame, getattr(data, "children", None) or {}, spec, kinds, by_repeat), []
    except SurveyToolkitError as exc:
        return frame, list(exc.problems)


def check_indicators(path: str | Path, instrument=None, data=None) -> Checked:
    """Run every tier that the inputs allow on the file at ``path``."""
    return _check(read_yaml(path), instrument, data)


def validate_indicators(
    path: str | Path, instrument: Instrument | str | Path | None = None, data=None
) -> ValidationReport:
    """Check an indicators file and return every problem (never raises for user mistakes).

    Tier 1 (structure) always runs; tier 2 checks references between indicators and, given
    ``instrument`` (an :class:`~survey_toolkit.instrument.Instrument` or the path of an XLSForm), the
    questions, codes and question types; tier 3 runs on ``data`` (a ``SurveyData`` or a DataFrame)
    when tiers 1-2 found no error.

    >>> report = validate_indicators("indicators.yaml", "instruments/cssp_core.xlsx")  # doctest: +SKIP
    >>> report.ok  # doctest: +SKIP
    True
    """
    return check_indicators(path, instrument, data).report


def load_indicators(path: str | Path, instrument: Instrument | str | Path | None = None) -> IndicatorSpec:
    """Read and validate an indicators file; raise :class:`SpecError` with every problem if any is an error.

    Warnings (e.g. a missing translation) do not stop loading.
    """
    checked = check_indicators(path, instrument)
    checked.report.raise_if_errors(SpecError)
    assert checked.spec is not None
    return checked.spec


def parse_indicators(text: str, file: str | None = None, instrument=None) -> Checked:
    """Check indicators given as YAML text (used by notebooks and documentation tests)."""
    return _check(parse_yaml(text, file), instrument, None)
