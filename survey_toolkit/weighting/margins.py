"""Population margins: the targets of post-stratification, raking and calibration.

A margins file is a tidy CSV with one row per category::

    variable,category,population
    sex,1,10450
    sex,2,11020
    region,north,0.42
    region,south,0.58

- ``population`` is a **count** or a **share**. A variable whose populations are all <= 1 and sum to 1
  (within 1e-6) is read as shares; any other variable as counts. Shares are turned into counts with the
  common total of the count variables, or ``population_total=``, or (when every variable is given as
  shares) the sum of the starting weights.
- ``category`` is matched to the data as a canonical string (``1``, ``1.0`` and ``"1"`` are the same
  code; text keeps its case).
- Extra columns are ignored; blank lines and lines starting with ``#`` are skipped.

:func:`read_margins` reports every mistake with the file, line and column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import Location, Problem, Severity, SurveyToolkitError, WeightError, did_you_mean
from ._common import canonical_code, describe_codes, is_numeric_code, row_location

__all__ = ["MARGINS_KINDS", "Margin", "Margins", "read_margins", "MatchedMargin", "match_margins"]

REQUIRED_COLUMNS = ("variable", "category", "population")
SHARE_TOLERANCE = 1e-6
#: ``kind="shares"``: a variable's shares may sum to 1 (or 100) within this relative rounding.
SHARES_ROUNDING = 0.01

MarginsKind = Literal["auto", "shares", "counts"]
#: How :func:`read_margins` reads the populations (``weighting.margins_are`` in survey.yaml).
MARGINS_KINDS: tuple[str, ...] = ("auto", "shares", "counts")


@dataclass(frozen=True)
class Margin:
    """The population of each category of one variable (counts or shares)."""

    variable: str
    categories: tuple[str, ...]
    population: tuple[float, ...]
    kind: Literal["count", "share"] = "count"
    file: str | None = None
    lines: tuple[int | None, ...] = ()

    @property
    def total(self) -> float:
        return math.fsum(self.population)

    def location(self, category: str | None = None) -> Location:
        """Where this margin (or one of its categories) was written."""
        line = None
        if category is not None and category in self.categories and self.lines:
            line = self.lines[self.categories.index(category)]
        elif self.lines:
            line = self.lines[0]
        return Location(file=self.file, line=line, field=None if self.file else self.variable)


@dataclass(frozen=True)
class Margins:
    """An ordered set of :class:`Margin`, one per variable."""

    margins: tuple[Margin, ...] = field(default_factory=tuple)

    def __iter__(self):
        return iter(self.margins)

    def __len__(self) -> int:
        return len(self.margins)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(m.variable for m in self.margins)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Mapping[object, float]]) -> Margins:
        """``{"sex": {1: 4800, 2: 5200}, ...}``; shares are recognised as in a CSV."""
        return cls(
            tuple(
                _make_margin(
                    str(var), [(canonical_code(c) or "", float(p), None) for c, p in cats.items()], None
                )
                for var, cats in mapping.items()
            )
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str | None = None) -> Margins:
        """A tidy frame with columns ``variable``, ``category``, ``population`` (as in the CSV)."""
        rows = [
            {k: ("" if pd.isna(v) else str(v)) for k, v in rec.items()} for rec in frame.to_dict("records")
        ]
        header = [str(c) for c in frame.columns]
        return _parse_rows(header, [(i + 2, r) for i, r in enumerate(rows)], source)

    def get(self, variable: str) -> Margin | None:
        for m in self.margins:
            if m.variable == variable:
                return m
        return None

    def to_frame(self) -> pd.DataFrame:
        """The margins as a tidy frame (variable, category, population, kind)."""
        return pd.DataFrame(
            [
                (m.variable, c, p, m.kind)
                for m in self.margins
                for c, p in zip(m.categories, m.population, strict=False)
            ],
            columns=["variable", "category", "population", "kind"],
        )


def _encoding_fix(suggestion: str) -> str:
    return (f"give the margins file's encoding: 'margins_encoding: {suggestion}' under weighting in survey.yaml "
            f"(read_margins(path, encoding='{suggestion}') in Python); or re-save it as CSV UTF-8")  # fmt: skip


def read_margins(path: str | Path, *, encoding: str | None = None, kind: MarginsKind = "auto") -> Margins:
    """Read a margins CSV (``variable, category, population``); raise WeightError listing every mistake.

    ``encoding``: the file's text encoding (``cp1252``, ``latin-1``); None: UTF-8 (with or without a
    BOM), with a located error naming the likely encoding otherwise. ``kind``: how to read the
    populations (:data:`MARGINS_KINDS`): ``auto`` (shares when a variable's values are <= 1 and sum
    to 1, else counts), ``shares`` (each variable's values are shares, or percentages summing to
    100; a sum off by more than rounding is an error) or ``counts`` (counts of persons).
    """
    from ..io.textfile import decode

    path = Path(path)
    source = str(path)
    if kind not in MARGINS_KINDS:
        raise ValueError(f"kind must be one of {MARGINS_KINDS}, not {kind!r}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WeightError(
            Problem(
                "margins-not-found",
                f"the margins file '{source}' does not exist",
                Location(file=source),
                hint="check the path",
            )
        ) from None
    except OSError as exc:
        raise WeightError(
            Problem("cannot-read", f"cannot read the margins file: {exc.strerror or type(exc).__name__}",
                    Location(file=source), hint="give the path of a CSV file")  # fmt: skip
        ) from None
    try:
        text = decode(data, source, encoding, fix=_encoding_fix)
    except SurveyToolkitError as exc:
        raise WeightError(list(exc.problems)) from None
    lines = [
        (i + 1, line)
        for i, line in enumerate(text.splitlines())
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise WeightError(
            Problem(
                "empty-margins",
                "the margins file has no header and no rows",
                Location(file=source),
                expected="variable,category,population",
            )
        )
    reader = csv.reader([line for _, line in lines])
    parsed = list(reader)
    header = [h.strip().lower() for h in parsed[0]]
    rows = []
    for (line_no, _), values in zip(lines[1:], parsed[1:], strict=False):
        rows.append(
            (line_no, {h: (values[j].strip() if j < len(values) else "") for j, h in enumerate(header)})
        )
    return _parse_rows(header, rows, source, header_line=lines[0][0], kind=kind)


def _parse_rows(
    header: list[str],
    rows: list[tuple[int, dict[str, str]]],
    source: str | None,
    header_line: int = 1,
    kind: MarginsKind = "auto",
) -> Margins:
    header = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise WeightError(
            Problem(
                "margins-missing-column",
                f"the margins header lacks {describe_codes(missing)}",
                Location(file=source, line=header_line),
                expected=",".join(REQUIRED_COLUMNS),
                got=",".join(header),
                hint=_rename_hint(missing, header),
            )
        )
    column_no = {c: header.index(c) + 1 for c in REQUIRED_COLUMNS}
    problems: list[Problem] = []
    by_variable: dict[str, list[tuple[str, float, int]]] = {}
    seen: dict[tuple[str, str], int] = {}
    if not rows:
        problems.append(
            Problem(
                "empty-margins",
                "the margins file has a header but no rows",
                Location(file=source, line=header_line),
            )
        )
    for line_no, row in rows:

        def loc(col: str, line_no: int = line_no) -> Location:
            return Location(file=source, line=line_no, column=column_no[col], field=col)

        variable, category, raw_pop = (
            row.get("variable", ""),
            row.get("category", ""),
            row.get("population", ""),
        )
        if not variable:
            problems.append(
                Problem(
                    "margins-blank-variable",
                    "the variable is blank",
                    loc("variable"),
                    hint="every row names the data column it constrains",
                )
            )
            continue
        code = canonical_code(category)
        if code and ":" in variable:
            code = ":".join(canonical_code(part) or "" for part in category.split(":"))
        if not code:
            problems.append(
                Problem(
                    "margins-blank-category",
                    f"the category of '{variable}' is blank",
                    loc("category"),
                    hint="write the data's code of the category",
                )
            )
            continue
        try:
            population = float(raw_pop.replace(" ", ""))
        except ValueError:
            problems.append(
                Problem(
                    "margins-bad-population",
                    f"the population of {variable}={code} is not a number",
                    loc("population"),
                    expected="a count or a share >= 0",
                    got=repr(raw_pop),
                )
            )
            continue
        if not math.isfinite(population) or population < 0:
            problems.append(
                Problem(
                    "margins-bad-population",
                    f"the population of {variable}={code} is {raw_pop}",
                    loc("population"),
                    expected="a finite count or share >= 0",
                    got=raw_pop,
                )
            )
            continue
        if (variable, code) in seen:
            problems.append(
                Problem(
                    "margins-duplicate-category",
                    f"{variable}={code} is given twice (first on line {seen[(variable, code)]})",
                    loc("category"),
                    hint="give each category once; '1' and '1.0' are the same code",
                )
            )
            continue
        seen[(variable, code)] = line_no
        by_variable.setdefault(variable, []).append((code, population, line_no))
    margins = []
    for variable, entries in by_variable.items():
        margin = _make_margin(variable, entries, source, kind)
        if kind == "shares" and margin.total > 0 and margin.kind != "share":
            problems.append(
                Problem(
                    "margins-shares-sum",
                    f"the shares of '{variable}' sum to {margin.total:.6g}, not 1 (nor 100 for percentages)",
                    margin.location(),
                    expected=f"shares summing to 1 (within {SHARES_ROUNDING:g}) or percentages summing to 100",
                    got=f"{margin.total:.6g}",
                    hint="add the missing category (or correct the value) so that the shares sum to 1; or, if "
                    "the numbers are counts of persons, set 'margins_are: counts'",
                )
            )
            continue
        if margin.total <= 0:
            problems.append(
                Problem(
                    "margins-zero-total",
                    f"the populations of '{variable}' sum to 0",
                    margin.location(),
                    hint="give positive counts or shares",
                )
            )
        margins.append(margin)
    if problems:
        raise WeightError(problems)
    return Margins(tuple(margins))


def _rename_hint(missing: list[str], header: list[str]) -> str:
    import difflib

    renames = []
    for name in missing:
        close = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
        if close:
            renames.append(f"rename column '{close[0]}' to '{name}'")
    return "; ".join(renames) or "the first line must be: variable,category,population"


def _make_margin(
    variable: str, entries: Iterable[tuple[str, float, int | None]], source: str | None, kind: MarginsKind = "auto"
) -> Margin:
    entries = list(entries)
    pops = tuple(p for _, p, _ in entries)
    total = math.fsum(pops)
    if kind == "counts":
        is_share = False
    elif kind == "shares":  # shares or percentages, rounded: rescaled to sum to exactly 1
        scale = next((s for s in (1.0, 100.0) if abs(total - s) <= SHARES_ROUNDING * s), None)
        is_share = scale is not None
        if is_share:
            pops = tuple(p / total for p in pops)
    else:
        is_share = all(p <= 1 for p in pops) and abs(total - 1) <= SHARE_TOLERANCE
    return Margin(
        variable,
        tuple(c for c, _, _ in entries),
        pops,
        "share" if is_share else "count",
        source,
        tuple(line for _, _, line in entries),
    )


# ------------------------------------------------------------------ matching margins to the data


@dataclass(frozen=True, eq=False)
class MatchedMargin:
    """One margin matched to the rows: integer codes per row and a count target per category."""

    variable: str
    categories: tuple[str, ...]
    codes: np.ndarray  # (n,) index into categories; -1 for zero-weight rows outside every category
    targets: np.ndarray  # (K,) population counts
    margin: Margin


def resolve_totals(
    margins: Margins, fallback_total: float, population_total: float | None, tolerance: float
) -> tuple[dict[str, np.ndarray], list[Problem], float]:
    """Count targets per variable; shares scaled to the common total; problems when totals differ."""
    counts = [m for m in margins if m.kind == "count"]
    problems: list[Problem] = []
    if population_total is not None:
        total = float(population_total)
    elif counts:
        total = counts[0].total
    else:
        total = float(fallback_total)
    reference = [(m.variable, m.total) for m in counts]
    if population_total is not None:
        reference.insert(0, ("population_total", total))
    if reference:
        spread = max(t for _, t in reference) - min(t for _, t in reference)
        if spread > tolerance * max(abs(total), 1.0):
            listing = "; ".join(f"{v} {t:.10g}" for v, t in reference)
            first = counts[0] if counts else margins.margins[0]
            problems.append(
                Problem(
                    "margin-totals-differ",
                    f"the margins do not sum to the same population total: {listing}",
                    first.location(),
                    expected="every margin summing to the same total",
                    got=f"totals differing by {spread:.6g}",
                    hint="fix the counts (one census table), give shares instead, or raise total_tolerance",
                )
            )
    targets = {}
    for m in margins:
        pops = np.asarray(m.population, dtype=float)
        targets[m.variable] = pops * total if m.kind == "share" else pops
    return targets, problems, total


def _fewer_than_sample(margins: Margins, total: float, n: int, population_total: float | None) -> Problem:
    """The error of margins whose population total is below the number of respondents weighted."""
    looks = "shares (they sum to about 1)" if total <= 1.5 else (
        "percentages (they sum to about 100)" if abs(total - 100) <= 1 else "shares or a sample, not a population")
    first = next((m for m in margins if m.kind == "count"), margins.margins[0])
    source = "population_total" if population_total is not None else f"the margins of '{first.variable}'"
    return Problem(
        "margins-look-like-shares",
        f"{source} give a population of {total:.6g}, fewer than the {n} respondents weighted: "
        f"the numbers look like {looks}, and the weights would sum to {total:.6g} persons",
        first.location(),
        expected=f"counts of persons (a population of at least {n})",
        got=f"a total of {total:.6g}",
        hint="give counts of persons (a census table), or declare the numbers as shares: 'margins_are: shares' "
        "under weighting in survey.yaml (read_margins(path, kind='shares') in Python)",
    )  # fmt: skip


def _data_location(frame: pd.DataFrame, positions: np.ndarray, column: str, source: str | None) -> Location:
    """The first row's location, naming the export it came from (the loader's ``_source_file``)."""
    if source is None and len(positions) and "_source_file" in frame.columns:
        value = frame["_source_file"].iloc[int(positions[0])]
        source = None if pd.isna(value) else str(value)
    return row_location(frame, positions, column, source)


def match_margins(
    frame: pd.DataFrame,
    margins: Margins,
    weights: np.ndarray,
    *,
    population_total: float | None = None,
    total_tolerance: float = 1e-6,
    partial: bool = False,
    source: str | None = None,
) -> tuple[list[MatchedMargin], list[Problem]]:
    """Match each margin's categories to the data's codes and check targets against the sample.

    Errors (collected, never the first only): a margin variable missing from the data; rows with a
    positive weight and a missing value; sample categories without a population (*category-not-in-margins*);
    population categories without any weighted respondent (*category-not-in-sample*, a warning and ignored
    when ``partial``); margins summing to different totals. Codes whose types differ (``1`` vs
    ``"female"``) get a hint saying so.
    """
    from ._common import canonical_codes

    problems: list[Problem] = []
    if len(margins) == 0:
        return [], [Problem("no-margins", "no margins were given", hint="read them with read_margins(path)")]
    positive = weights > 0
    targets, total_problems, total = resolve_totals(
        margins, float(weights.sum()), population_total, total_tolerance
    )
    problems += total_problems
    given = population_total is not None or any(m.kind == "count" for m in margins)
    if given and total < int(positive.sum()):  # a population smaller than its sample: not counts of persons
        problems.append(_fewer_than_sample(margins, total, int(positive.sum()), population_total))
    matched = []
    for margin in margins:
        var = margin.variable
        column = margin_column(frame, var)
        if column is None:
            problems.append(
                Problem(
                    "unknown-margin-variable",
                    f"the margin variable '{var}' is not a column of the data (nor 'a:b' joining columns)",
                    margin.location(),
                    hint=did_you_mean(var, [str(c) for c in frame.columns])
                    or "the margins' variable column names a data column",
                )
            )
            continue
        row_codes, data_labels = canonical_codes(column)
        missing = np.flatnonzero((row_codes < 0) & positive)
        if len(missing):
            problems.append(
                Problem(
                    "missing-margin-value",
                    f"'{var}' is missing for {len(missing)} weighted respondent(s)",
                    _data_location(frame, missing, var, source),
                    count=len(missing),
                    expected=f"one of {describe_codes(margin.categories)}",
                    hint="impute the value, add a category for it to the margins, or set the weight to 0",
                )
            )
        counts_by_label = np.bincount(row_codes[row_codes >= 0], minlength=len(data_labels))
        weight_by_label = np.bincount(
            row_codes[row_codes >= 0], weights=weights[row_codes >= 0], minlength=len(data_labels)
        )
        in_sample = {lab for lab, wt in zip(data_labels, weight_by_label, strict=False) if wt > 0}
        margin_cats = list(margin.categories)
        not_in_margins = [lab for lab in data_labels if lab in in_sample and lab not in margin_cats]
        target = targets[var]
        not_in_sample = [c for c, t in zip(margin_cats, target, strict=False) if t > 0 and c not in in_sample]
        type_hint = _type_hint(var, [lab for lab in data_labels if lab in in_sample], margin_cats)
        if not_in_margins:
            n_rows = int(sum(counts_by_label[data_labels.index(lab)] for lab in not_in_margins))
            where = np.flatnonzero(
                np.isin(row_codes, [data_labels.index(lab) for lab in not_in_margins]) & positive
            )
            hint = (
                type_hint
                or _close_hint(not_in_margins, margin_cats)
                or (f"add the categories to the margins of '{var}' or recode the data")
            )
            problems.append(
                Problem(
                    "category-not-in-margins",
                    f"'{var}' categories {describe_codes(not_in_margins)} are in the sample ({n_rows} row(s)) "
                    f"but not in the margins",
                    _data_location(frame, where, var, source),
                    count=n_rows,
                    expected=f"categories {describe_codes(margin_cats)}",
                    got=describe_codes(not_in_margins),
                    hint=hint,
                )
            )
        if not_in_sample:
            hint = (
                type_hint
                or _close_hint(not_in_sample, list(in_sample))
                or (
                    "collapse the category with a neighbour in the data and the margins"
                    + ("" if partial else ", or drop it: with 'method: post_stratify', add 'partial: true' to the "
                       "weighting section of survey.yaml (Python: post_stratify(..., partial=True))")
                )
            )
            problem = Problem(
                "category-not-in-sample",
                f"'{var}' categories {describe_codes(not_in_sample)} have a population but no weighted "
                f"respondent in the sample",
                margin.location(not_in_sample[0]),
                expected=f"sample categories {describe_codes(sorted(in_sample))}",
                got=describe_codes(not_in_sample),
                hint=hint,
                severity=Severity.WARNING if partial else Severity.ERROR,
            )
            problems.append(problem)
        # integer codes into the margin's categories
        label_to_margin = np.array(
            [margin_cats.index(lab) if lab in margin_cats else -1 for lab in data_labels] + [-1],
            dtype=np.int64,
        )
        codes = label_to_margin[np.where(row_codes < 0, len(data_labels), row_codes)]
        matched.append(MatchedMargin(var, tuple(margin_cats), codes, np.asarray(target, dtype=float), margin))
    return matched, problems


def margin_column(frame: pd.DataFrame, variable: str) -> pd.Series | None:
    """The data values of a margin variable; ``"sex:age"`` joins the codes of two columns (``"1:3"``)."""
    if variable in frame.columns:
        return frame[variable]
    parts = variable.split(":")
    if len(parts) < 2 or not all(p in frame.columns for p in parts):
        return None
    from ._common import joint_codes

    codes, labels = joint_codes(frame, parts)
    uniq, inverse = np.unique(np.array(labels, dtype=object), return_inverse=True)  # codes containing ':'
    codes = np.where(codes < 0, -1, np.append(inverse, -1)[codes])
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(uniq)), index=frame.index)


def _type_hint(variable: str, data_codes: list[str], margin_codes: list[str]) -> str | None:
    """Explain a numeric-vs-label mismatch such as data 1/2 against margins 'female'/'male'."""
    data_numeric = bool(data_codes) and all(is_numeric_code(c) for c in data_codes)
    margin_numeric = bool(margin_codes) and all(is_numeric_code(c) for c in margin_codes)
    if data_numeric and margin_codes and not margin_numeric:
        return (
            f"the data column '{variable}' holds numeric codes ({describe_codes(data_codes, 4)}) but the "
            f"margins use labels ({describe_codes(margin_codes, 4)}): write the margins with the data's "
            "codes (codes are matched as text, so 1, 1.0 and '1' are the same)"
        )
    if margin_numeric and data_codes and not data_numeric:
        return (
            f"the margins of '{variable}' use numeric codes ({describe_codes(margin_codes, 4)}) but the "
            f"data holds labels ({describe_codes(data_codes, 4)}): write the margins with the data's "
            "labels, or load the data as codes"
        )
    lower_data = {c.lower() for c in data_codes}
    if any(c not in data_codes and c.lower() in lower_data for c in margin_codes):
        return "codes are matched case-sensitively: write them exactly as in the data"
    return None


def _close_hint(codes: list[str], candidates: list[str]) -> str | None:
    pairs = [(c, did_you_mean(c, candidates)) for c in codes[:3]]
    hints = [f"for '{c}': {h}" for c, h in pairs if h]
    return "; ".join(hints) if hints else None
