"""One question's export columns typed from the form (codes, numbers, dates, dummies) and their problems."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..codes import display_value
from ..errors import Location, Problem, Severity
from ..instrument import Instrument, Question
from .base import VariableMeta
from .headers import HeaderMatch, question_kind
from .metadata import _rows_text
from .values import (
    blank_mask,
    dates_outside_range,
    reconcile_select_multiple,
    to_datetime,
    to_geopoint,
    to_number,
    to_select_multiple,
    to_select_one,
    to_text,
)


def _value_labels(instrument: Instrument, question: Question) -> dict[str, dict[str, str]]:
    if not question.list_name or question.list_name not in instrument.choice_lists:
        return {}
    cl = instrument.choice_lists[question.list_name]
    langs = list(instrument.languages) or ["default"]
    return {lang: cl.labels(lang) for lang in langs}


def _codes(instrument: Instrument, question: Question) -> list[str]:
    if question.list_name and question.list_name in instrument.choice_lists:
        return list(instrument.choice_lists[question.list_name].codes)
    return []


def _bad_problem(
    code: str, what: str, header: str, bad: pd.Series, rows: pd.Series, ctx: dict,
    hint: str = "check the column in the export (first bad cell at the row given)",
) -> Problem:  # fmt: skip
    where = rows[bad.to_numpy()]
    first = int(where.iloc[0])
    return Problem(
        code,
        f"{int(bad.sum())} value(s) of column '{header}' are not {what} (rows {_rows_text(where)}); they were set "
        "to missing",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=first, field=header),
        severity=Severity.WARNING,
        expected=what,
        got=f"{int(bad.sum())} other value(s), first at row {first}",
        count=int(bad.sum()),
        hint=hint,
    )


def _far_dates_problem(header: str, far: pd.Series, rows: pd.Series, ctx: dict) -> Problem:
    """Dates the column holds but pandas cannot (before 1678 or after 2261): read as missing, never shifted."""
    first = int(rows[far.to_numpy()].iloc[0])
    n = int(far.sum())
    return Problem(
        "date-out-of-range",
        f"{n} date(s) of column '{header}' are outside the years 1678-2261 that can be analysed; "
        "they were read as missing",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=first, field=header),
        severity=Severity.WARNING,
        expected="dates between 1678 and 2261",
        got=f"{n} date(s) outside that range, first at row {first}",
        count=n,
        hint="such dates are usually typing mistakes or placeholder dates (SPSS's 1582 epoch): correct them "
        "in the export, or leave them missing",
    )


def _fraction_problem(header: str, fraction: pd.Series, rows: pd.Series, ctx: dict) -> Problem:
    where = rows[fraction.to_numpy()]
    return Problem(
        "not-whole-number",
        f"{int(fraction.sum())} value(s) of column '{header}' are not whole numbers (rows {_rows_text(where)}), "
        "but the form's question is an integer; they are kept as they are",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=int(where.iloc[0]), field=header),
        severity=Severity.WARNING,
        expected="whole numbers (the question's type is integer)",
        got=f"{int(fraction.sum())} value(s) with a fraction",
        count=int(fraction.sum()),
        hint="correct them with the field team (an age of 34.5 is 34), or make the question 'decimal' in the form "
        "if fractions are valid answers",
    )


def _disagree_problem(column: str, disagree: pd.Series, rows: pd.Series, ctx: dict, source: str) -> Problem:
    """Rows whose select_multiple summary and 0/1 choice columns name different choices."""
    mask = disagree.to_numpy(dtype=bool)
    n = int(mask.sum())
    ids = ctx.get("record_ids")
    where = (
        [str(v) for v in ids[mask].head(10)]
        if ids is not None
        else [f"row {int(r)}" for r in rows[mask].head(10)]
    )
    other = "summary" if source == "choices" else "choices"
    return Problem(
        "select-multiple-disagree",
        f"select_multiple '{column}': in {n} row(s) the summary column and the 0/1 choice columns name "
        f"different choices; the {source} were used: " + ", ".join(where) + (" ..." if n > 10 else ""),
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=int(rows[mask].iloc[0]), field=column),
        severity=Severity.WARNING,
        expected="the same choices in the summary and in the 0/1 columns",
        got=f"{n} disagreeing row(s)",
        hint=f"a cleaning step probably edited one side only; to use the {other} instead set "
        f"'select_multiple_source: {other}' in survey.yaml or load(..., select_multiple_source='{other}')",
        count=n,
    )


def _unknown_codes_problem(
    header: str,
    list_name: str | None,
    codes: Sequence[str],
    unknown: Sequence[str],
    bad: pd.Series,
    rows: pd.Series,
    ctx: dict,
    multiple: bool = False,
) -> Problem:
    """Codes outside the choice list: which codes, how many rows, the first row, and what to do."""
    mask = bad.fillna(False).to_numpy(dtype=bool)
    n_rows = int(mask.sum())
    first = int(rows[mask].iloc[0]) if n_rows else None
    safe = [display_value(u) for u in unknown[:5]]  # a few distinct values; free text is never shown
    shown = ", ".join(f"'{u}'" for u in safe) + (" ..." if len(unknown) > 5 else "")
    where = f" ({n_rows} row(s), first at row {first})" if n_rows else ""
    kept = (
        "the answers are kept in the raw column, with no true/false column for those codes"
        if multiple
        else "the values are kept in the column but are never a listed answer (indicators count them as missing, "
        "or as 'other' with 'off_list: other' in survey.yaml)"
    )
    return Problem(
        "value-not-in-choices",
        f"column '{header}' has code(s) {shown} that are not in the choice list '{list_name}'{where}",
        Location(file=ctx["file"], sheet=ctx.get("sheet"), row=first, field=header),
        severity=Severity.WARNING,
        expected="one of " + ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else ""),
        got=", ".join(safe),
        hint=f"{kept}; correct the value(s) with the field team (survey-toolkit inspect lists every row), or "
        f"add the code to the list '{list_name}' if it is a valid answer",
        count=n_rows or len(unknown),
    )


def _type_question(
    q: Question,
    column: str,
    raw: pd.DataFrame,
    cols: Mapping[tuple[str, str | None], str],
    instrument: Instrument,
    match: HeaderMatch,
    rows: pd.Series,
    ctx: dict,
) -> tuple[dict[str, pd.Series], dict[str, VariableMeta], list[Problem]]:
    kind = question_kind(q)
    index = raw.index
    out: dict[str, pd.Series] = {}
    variables: dict[str, VariableMeta] = {}
    problems: list[Problem] = []
    value_header = cols.get(("value", None))
    value = raw[value_header] if value_header is not None else None
    labels = MappingProxyType(dict(q.labels))
    vlabels = _value_labels(instrument, q)
    frozen_vl = MappingProxyType({k: MappingProxyType(v) for k, v in vlabels.items()})

    def meta(name: str, vtype: str, with_values: bool = False) -> None:
        variables[name] = VariableMeta(
            name=name,
            type=vtype,
            labels=labels,
            value_labels=frozen_vl if with_values else MappingProxyType({}),
            question=column,
        )

    if kind == "select_one":
        codes = _codes(instrument, q)
        lab = {}
        if match.mode == "label" and match.language:
            lab = {v: k for k, v in vlabels.get(match.language, {}).items()}
        if value is None:
            s = pd.Series(
                pd.Categorical([None] * len(index), categories=pd.Index(codes, dtype=object)), index=index
            )
        else:
            s, unknown = to_select_one(value, codes, lab)
            external = (
                q.list_name not in instrument.choice_lists
            )  # select_one_from_file: codes live elsewhere
            if unknown and not external:
                problems.append(
                    _unknown_codes_problem(
                        value_header, q.list_name, codes, unknown, s.isin(unknown), rows, ctx
                    )
                )
        out[column] = s
        meta(column, "select_one", True)
    elif kind == "select_multiple":
        codes = _codes(instrument, q)
        dummies = {t_part: raw[h] for (role, t_part), h in cols.items() if role == "choice" and t_part}
        label_pairs = None
        if match.mode == "label" and match.language:
            pairs = [(lbl, code) for code, lbl in vlabels.get(match.language, {}).items()]
            label_pairs = sorted(pairs, key=lambda p: -len(p[0]))
        summary = value
        if summary is not None and label_pairs and dummies:
            summary = None  # label summaries cannot always be split back: trust the dummies
            answered = ~blank_mask(value)
        else:
            answered = None
        if summary is not None and dummies and not label_pairs:
            source = ctx.get("select_multiple_source") or "choices"
            raw_s, flags, unknown, bad, disagree = reconcile_select_multiple(
                summary, dummies, codes, index, source
            )
            if disagree.any():
                problems.append(_disagree_problem(column, disagree, rows, ctx, source))
        else:
            raw_s, flags, unknown, bad = to_select_multiple(
                summary, dummies, codes, index, label_pairs=label_pairs
            )
        if answered is not None:  # an answered label summary keeps its row answered
            for code in codes:
                f = flags[code].copy()
                f[answered & f.isna()] = False
                f[~answered] = pd.NA
                flags[code] = f
        if value is None and not dummies:
            raw_s = pd.Series(pd.NA, index=index, dtype="string")
        out[column] = raw_s
        meta(column, "select_multiple", True)
        for code in codes:
            out[f"{column}/{code}"] = flags[code]
            meta(f"{column}/{code}", "select_multiple", True)
        if unknown:
            tokens = sorted(unknown)
            padded = " " + raw_s.fillna("") + " "
            hit = np.zeros(len(raw_s), dtype=bool)
            for token in tokens[:20]:  # the unknown codes (a few), not the rows
                hit |= padded.str.contains(f" {token} ", regex=False).to_numpy(dtype=bool)
            problems.append(
                _unknown_codes_problem(
                    value_header or column, q.list_name, codes, tokens, pd.Series(hit, index=index), rows, ctx,
                    multiple=True,
                )
            )  # fmt: skip
        if bad.any():
            problems.append(_bad_problem("bad-value", "0/1 or True/False", column, bad, rows, ctx))
    elif kind == "geopoint":
        parts = {t_part: raw[h] for (role, t_part), h in cols.items() if role == "geo" and t_part}
        joined, nums, bad = to_geopoint(value, parts, index)
        out[column] = joined
        meta(column, "geopoint")
        for part, s in nums.items():
            out[f"{column}/{part}"] = s
            meta(f"{column}/{part}", "geopoint")
        if bad.any():
            problems.append(_bad_problem("bad-value", "numbers", column, bad, rows, ctx))
    elif kind in ("integer", "decimal", "range"):
        if value is None:
            s = pd.Series(pd.NA, index=index, dtype="Int64" if kind == "integer" else "Float64")
        else:
            s, bad = to_number(value, integer=kind == "integer")
            if bad.any():
                problems.append(_bad_problem("bad-number", "numbers", value_header, bad, rows, ctx))
            if kind == "integer" and s.dtype == "Float64":  # an integer question answered 34.5
                fraction = (s.notna() & (s != s.round())).fillna(False).astype(bool)
                problems.append(_fraction_problem(value_header, fraction, rows, ctx))
        out[column] = s
        meta(column, kind)
    elif kind in ("date", "today", "datetime", "start", "end"):
        dkind = "date" if kind in ("date", "today") else "datetime"
        if value is None:
            s = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
            off = pd.Series(pd.NA, index=index, dtype="Int64")
        else:
            s, off, bad = to_datetime(value, dkind)
            far = bad & dates_outside_range(value)
            if far.any():
                problems.append(_far_dates_problem(value_header, far, rows, ctx))
            if (bad & ~far).any():
                problems.append(
                    _bad_problem(
                        "bad-date", "ISO 8601 dates or Excel serial numbers", value_header, bad & ~far, rows, ctx,
                        hint="check the column at the rows given: impossible dates (2026-02-30), words, and dates "
                        "written as 15/05/2026 (day and month order is never guessed) are not read; export the "
                        "dates as ISO 8601 (2026-05-15) or as Excel date cells",
                    )
                )
        out[column] = s
        meta(column, dkind)
        if dkind == "datetime":
            out[f"{column}/utc_offset"] = off
            meta(f"{column}/utc_offset", "utc_offset")
    else:
        if value is None:
            s = pd.Series(pd.NA, index=index, dtype="string")
        else:
            s, _ = to_text(value)
        out[column] = s
        meta(column, kind)
    return out, variables, problems
