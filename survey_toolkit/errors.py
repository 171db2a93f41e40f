"""Problems as data: where, what was expected, what was found, and how to fix it.

Every layer of survey_toolkit reports mistakes in user input (a form, an export, a YAML spec, a
design) as :class:`Problem` objects with a :class:`Location`. Problems are collected into a
:class:`ValidationReport` and, when they are errors, raised together inside a
:class:`SurveyToolkitError` subclass. Rendering lives in the CLI and report layers, never here.

Example:
    >>> p = Problem("unknown-question", "question 'b1_safe_drak' is not in the form",
    ...             Location(file="indicators.yaml", line=14, column=10),
    ...             hint="did you mean 'b1_safe_dark'?")
    >>> str(p)
    "indicators.yaml:14:10: error[unknown-question] question 'b1_safe_drak' is not in the form (hint: did you mean 'b1_safe_dark'?)"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "Severity",
    "Location",
    "Problem",
    "ValidationReport",
    "SurveyToolkitError",
    "InstrumentError",
    "LoadError",
    "DataError",
    "SpecError",
    "DesignError",
    "EstimationError",
    "WeightError",
    "did_you_mean",
]


class Severity(str, Enum):
    """How serious a problem is: errors stop the work, warnings are reported and the work goes on."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    """Where a problem is. All fields are optional; fill in what is known.

    ``line``/``column`` are 1-based positions in a text file (YAML spec, CSV). ``row`` is the
    spreadsheet-style data row (the header is row 1, so the first respondent is row 2), ``field``
    the column name, ``record_id`` the submission id (KoBo ``_uuid``/rootUuid, ODK ``KEY``).
    ``path`` is a spec path such as ``("indicators", 3, "numerator")``; ``sheet`` a workbook sheet.
    """

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: tuple[Any, ...] = ()
    sheet: str | None = None
    row: int | None = None
    field: str | None = None
    record_id: str | None = None

    def __str__(self) -> str:
        head = self.file or ""
        if self.line is not None:
            head += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        parts = []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.record_id:
            parts.append(f"record {self.record_id}")
        if self.field:
            parts.append(f"column '{self.field}'")
        if self.path and self.line is None:
            parts.append("at " + ".".join(str(p) for p in self.path))
        tail = ", ".join(parts)
        if head and tail:
            return f"{head}: {tail}"
        return head or tail


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input, as data.

    ``code`` is a stable kebab-case identifier (``unknown-question``, ``negative-weight``);
    ``message`` one sentence naming the offending value (never a respondent's free-text answer);
    ``count`` how many rows share the problem when one problem summarises many.
    """

    code: str
    message: str
    location: Location = field(default_factory=Location)
    severity: Severity = Severity.ERROR
    expected: str | None = None
    got: str | None = None
    hint: str | None = None
    count: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        """One line; control characters (terminal escapes read from a file) are shown as ``\\xNN``."""
        from .codes import printable

        where = str(self.location)
        text = f"{self.severity.value}[{self.code}] {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return printable(f"{where}: {text}" if where else text)

    def to_dict(self) -> dict[str, Any]:
        """Flat dict, one key per field (location fields prefixed by nothing), for tables and JSON."""
        loc = self.location
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "path": ".".join(str(p) for p in loc.path) or None,
            "sheet": loc.sheet,
            "row": loc.row,
            "field": loc.field,
            "record_id": loc.record_id,
            "expected": self.expected,
            "got": self.got,
            "hint": self.hint,
            "count": self.count,
        }


_PROBLEM_COLUMNS = list(Problem("x", "x").to_dict())


@dataclass(frozen=True)
class ValidationReport:
    """An ordered, immutable collection of problems; nothing stops at the first one."""

    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> ValidationReport:
        return cls(tuple(problems))

    def __iter__(self):
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def __add__(self, other: ValidationReport | Sequence[Problem]) -> ValidationReport:
        return ValidationReport(self.problems + tuple(other))

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    def to_frame(self):
        """The problems as a pandas DataFrame, one row per problem."""
        import pandas as pd

        return pd.DataFrame([p.to_dict() for p in self.problems], columns=_PROBLEM_COLUMNS)

    def raise_if_errors(self, error_class: type[SurveyToolkitError] | None = None) -> None:
        """Raise ``error_class`` (default :class:`DataError`) carrying every problem when any is an error."""
        if self.errors:
            raise (error_class or DataError)(self.problems)

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems) or "no problems"


class SurveyToolkitError(Exception):
    """Base of every error about user input. Carries one or more :class:`Problem` objects.

    The CLI renders ``.problems`` and exits with code 1; a notebook sees them in ``str(err)``.
    """

    default_code = "error"

    def __init__(self, problems: Problem | str | Iterable[Problem], **kwargs: Any) -> None:
        if isinstance(problems, str):
            problems = Problem(kwargs.pop("code", self.default_code), problems, **kwargs)
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def report(self) -> ValidationReport:
        return ValidationReport(self.problems)


class InstrumentError(SurveyToolkitError):
    """The XLSForm instrument cannot be read or is not valid."""

    default_code = "bad-instrument"


class LoadError(SurveyToolkitError):
    """An export cannot be read: missing, corrupt, unknown layout, wrong encoding, bad headers."""

    default_code = "cannot-load"


class DataError(SurveyToolkitError):
    """The data values break a rule (codes outside lists, duplicate ids, bad weights...)."""

    default_code = "bad-data"


class SpecError(SurveyToolkitError):
    """The indicators YAML or the project file has mistakes."""

    default_code = "bad-spec"


class DesignError(SurveyToolkitError):
    """The survey design (weights, strata, PSUs, fpc) is not valid for the data."""

    default_code = "bad-design"


class EstimationError(SurveyToolkitError):
    """An estimate cannot be computed (for example a stratum with a single PSU under ``fail``)."""

    default_code = "cannot-estimate"


class WeightError(SurveyToolkitError):
    """Weighting targets do not match the data or the weighting did not converge."""

    default_code = "cannot-weight"


def did_you_mean(word: str, candidates: Iterable[str], n: int = 1, cutoff: float = 0.6) -> str | None:
    """A ``did you mean 'x'?`` hint for ``word`` among ``candidates``, or None when nothing is close.

    >>> did_you_mean("b1_safe_drak", ["b1_safe_dark", "a2_age"])
    "did you mean 'b1_safe_dark'?"
    """
    matches = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=n, cutoff=cutoff)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"
