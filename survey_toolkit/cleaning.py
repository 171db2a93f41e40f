"""The cleaning log: corrections decided by the field team, applied to the data before any analysis.

A cleaning log is a CSV or XLSX table with one row per correction, in the layout humanitarian and
survey teams already keep (the column names are matched case-insensitively, with spaces, dots and
underscores alike):

============== ======================================================================================
column         also accepted
============== ======================================================================================
``record_id``  ``uuid``, ``_uuid``, ``KEY``, ``id``, ``instanceID`` (the submission's id)
``question``   ``variable``, ``name``, ``question.name``, ``column`` (a question, or ``q/code``)
``old_value``  ``old``, ``old value``, ``original_value`` (blank: the cell was empty)
``new_value``  ``new``, ``new value``, ``corrected_value`` (blank: the answer is removed)
``reason``     ``issue``, ``comment``, ``explanation`` (optional)
============== ======================================================================================

Every row is checked before anything changes: the record must be in the round, the question a column
of the data, the old value the value the data holds (``cleaning-old-value-mismatch`` otherwise: the log
was written for another version of the export), the new value a valid answer (a code of the question's
choice list, a number for a numeric question). All problems are raised together, each at the log's
file and row. "Other, specify" answers are recoded with the same log: one row setting the select
question (``q``: old ``96``, new ``3``), one blanking the text (``q_other``). A select_multiple
question takes the whole answer (``1 96`` -> ``1 3``) or one choice column (``q/96``: old ``1``, new
``0``); its true/false columns and its answer are kept in step.

:func:`apply_cleaning` returns the cleaned data and the audit table written as
``cleaning_log_applied.csv`` (round, record id, question, old and new value, reason, log file and row).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .codes import canonical_code
from .errors import DataError, Location, Problem, did_you_mean
from .io.base import SurveyData

__all__ = ["read_cleaning_log", "apply_cleaning", "AUDIT_COLUMNS", "LOG_COLUMNS", "record_key"]

LOG_COLUMNS = ("record_id", "question", "old_value", "new_value", "reason")
AUDIT_COLUMNS = ("round", "record_id", "question", "old_value", "new_value", "reason", "log_file", "log_row")

_ALIASES = {
    "record_id": ("record_id", "uuid", "_uuid", "key", "id", "instanceid", "submission_id", "_id"),
    "question": ("question", "variable", "name", "question_name", "column", "question_label_name"),
    "old_value": ("old_value", "old", "original_value", "old_val"),
    "new_value": ("new_value", "new", "corrected_value", "new_val"),
    "reason": ("reason", "issue", "comment", "comments", "explanation", "change_reason"),
}
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _norm(name: str) -> str:
    return re.sub(r"[\s.\-]+", "_", str(name).strip().lower()).strip("_")


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", sep=None, engine="python")


def read_cleaning_log(path: str | Path) -> pd.DataFrame:
    """The log as a table of :data:`LOG_COLUMNS` plus ``log_file`` and ``log_row`` (spreadsheet row).

    Raises:
        DataError: the file cannot be read (``cannot-read``) or lacks a required column
            (``cleaning-log-column``, naming the columns found).
    """
    path = Path(path)
    try:
        raw = _read(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(Problem("cannot-read", f"cannot read the cleaning log: {type(exc).__name__}",
                                Location(file=str(path)), hint="save it as a UTF-8 CSV or an .xlsx file")) from exc  # fmt: skip
    found = {_norm(c): c for c in raw.columns}
    columns = {}
    problems = []
    for key, aliases in _ALIASES.items():
        name = next((found[a] for a in aliases if a in found), None)
        if name is None and key != "reason":
            problems.append(
                Problem("cleaning-log-column", f"the cleaning log has no '{key}' column", Location(file=str(path), row=1),
                        expected=" or ".join(aliases[:4]), got=", ".join(map(str, raw.columns)) or "no columns",
                        hint=did_you_mean(key, list(found)) or f"name the column '{key}'")  # fmt: skip
            )
        columns[key] = name
    if problems:
        raise DataError(problems)
    out = pd.DataFrame({k: (raw[c].astype(str).str.strip() if c is not None else "") for k, c in columns.items()})
    out["log_file"] = path.name
    out["log_row"] = np.arange(2, len(raw) + 2)
    return out[out["record_id"].ne("") | out["question"].ne("")].reset_index(drop=True)


def record_key(values: pd.Series) -> pd.Series:
    """Record ids compared as the loaders write them: trimmed, lower case, without a "uuid:" prefix."""
    return values.astype("string").str.strip().str.lower().str.removeprefix("uuid:")


def _texts(values: pd.Series) -> np.ndarray:
    """Each value as its canonical text (None when missing), for comparing with the log."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values):
        return np.array([None if pd.isna(v) else v.isoformat() for v in values], dtype=object)
    return np.array([canonical_code(v) for v in values.astype(object)], dtype=object)


def _problem(code: str, message: str, rows: pd.DataFrame, source: str, **kw) -> Problem:
    first = rows.iloc[0]
    listed = ", ".join(str(r) for r in rows["log_row"].head(8)) + (" ..." if len(rows) > 8 else "")
    return Problem(code, f"{message} (log row(s) {listed})", Location(file=str(source), row=int(first["log_row"]),
                   field=str(first["question"])), count=len(rows), **kw)  # fmt: skip


def apply_cleaning(data: SurveyData, log: pd.DataFrame, *, round_id: str = "", source: str = "") -> tuple[SurveyData, pd.DataFrame]:
    """Apply the log rows to ``data``; return the cleaned data and the audit table.

    Raises:
        DataError: every log row that does not fit the data (unknown record or question, an old value
            that is not the data's, a new value that is not a valid answer), at the log's row.
    """
    frame = data.frame.copy()
    audit = pd.DataFrame(columns=list(AUDIT_COLUMNS))
    if log.empty:
        return data, audit
    ids = record_key(frame["_record_id"]) if "_record_id" in frame.columns else pd.Series(pd.NA, index=frame.index)
    position = pd.Series(np.arange(len(frame)), index=ids.to_numpy())
    position = position[~position.index.duplicated(keep="first")]
    pos = record_key(log["record_id"]).map(position)
    problems: list[Problem] = []
    unknown = log[pos.isna().to_numpy()]
    if len(unknown):
        problems.append(_problem("cleaning-unknown-record", f"{len(unknown)} cleaning-log row(s) name a record that is "
                                 f"not in round {round_id}", unknown, source, got=str(unknown["record_id"].iloc[0]),
                                 hint="check the record id (the export's _uuid / KEY) and the round the log belongs to"))  # fmt: skip
    columns = [str(c) for c in frame.columns]
    for question, rows in log[pos.notna().to_numpy()].groupby("question", sort=False):
        at = pos[rows.index].to_numpy(dtype=int)
        if question not in frame.columns:
            problems.append(_problem("cleaning-unknown-question", f"the cleaning log names '{question}', which is not a "
                                     "column of the data", rows, source, got=question,
                                     hint=did_you_mean(question, columns) or "use the question name of the form"))  # fmt: skip
            continue
        current = _texts(frame[question].iloc[at])
        old = np.array([canonical_code(v) for v in rows["old_value"]], dtype=object)
        mismatch = np.array([a != b for a, b in zip(current, old, strict=True)])
        if mismatch.any():
            bad = rows[mismatch]
            problems.append(_problem("cleaning-old-value-mismatch", f"{int(mismatch.sum())} cleaning-log row(s) of "
                                     f"'{question}' give an old value that is not the one in the data", bad, source,
                                     expected="the value the export holds for that record",
                                     hint="the log was written for another version of the export, or the record was "
                                     "already corrected: update old_value, or remove the row"))  # fmt: skip
        frame, bad_new = _set(frame, question, at, rows["new_value"].to_numpy(dtype=object), data)
        if bad_new is not None:
            problems.append(_problem("cleaning-bad-new-value", f"new value(s) of '{question}' that are not valid "
                                     f"answers: {bad_new[1]}", rows[bad_new[0]], source, expected=bad_new[1],
                                     hint="use a code of the question's choice list, or a number for a number"))  # fmt: skip
    if problems:
        raise DataError(problems)
    audit = log.assign(round=round_id)[list(AUDIT_COLUMNS)]
    return dataclasses.replace(data, frame=frame), audit


def _codes(data: SurveyData, question: str) -> tuple[str, ...] | None:
    form = data.instrument
    q = form.by_name.get(question) if form is not None else None
    if q is not None and q.list_name and q.list_name in form.choice_lists:
        return form.choice_lists[q.list_name].codes
    return None


def _set(frame: pd.DataFrame, question: str, at: np.ndarray, new: np.ndarray, data: SurveyData
         ) -> tuple[pd.DataFrame, tuple[np.ndarray, str] | None]:  # fmt: skip
    """Write the new values (typed like the column); the rows whose value cannot be, and what was expected."""
    column = frame[question]
    text = np.array([canonical_code(v) for v in new], dtype=object)
    blank = np.array([t is None for t in text])
    dummies = [c for c in frame.columns if str(c).startswith(question + "/")]
    codes = _codes(data, question)
    if "/" in question and question.split("/")[0] in frame.columns and pd.api.types.is_bool_dtype(column.dtype):
        flags = np.array([None if t is None else (True if str(t).lower() in _TRUE else False if str(t).lower() in _FALSE
                          else "bad") for t in text], dtype=object)  # fmt: skip
        bad = flags == "bad"
        if bad.any():
            return frame, (bad, "0 or 1")
        values = pd.array([pd.NA if f is None else f for f in flags], dtype="boolean")
        frame[question] = column.astype("boolean")
        frame.iloc[at, frame.columns.get_loc(question)] = values
        return _summary_from_flags(frame, question.split("/")[0], at), None
    if dummies and codes is not None:  # a select_multiple answer: "1 3"
        tokens = [[] if t is None else str(t).split() for t in text]
        bad = np.array([any(c not in codes for c in tok) for tok in tokens])
        if bad.any():
            return frame, (bad, "codes of the list: " + ", ".join(codes[:12]))
        frame[question] = column.astype("string")
        frame.iloc[at, frame.columns.get_loc(question)] = pd.array([None if b else " ".join(t) for b, t in zip(blank, tokens, strict=True)], dtype="string")  # fmt: skip
        for code in codes:
            name = f"{question}/{code}"
            if name in frame.columns:
                flags = pd.array([pd.NA if b else code in t for b, t in zip(blank, tokens, strict=True)], dtype="boolean")
                frame[name] = frame[name].astype("boolean")
                frame.iloc[at, frame.columns.get_loc(name)] = flags
        return frame, None
    if isinstance(column.dtype, pd.CategoricalDtype):
        allowed = codes if codes is not None else tuple(str(c) for c in column.cat.categories)
        bad = np.array([t is not None and t not in allowed for t in text])
        if bad.any():
            return frame, (bad, "codes of the list: " + ", ".join(allowed[:12]))
        frame.iloc[at, frame.columns.get_loc(question)] = pd.Categorical(list(text), categories=column.cat.categories)
        return frame, None
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        numbers = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce")
        bad = numbers.isna().to_numpy() & ~blank
        if pd.api.types.is_integer_dtype(column.dtype):
            bad |= (numbers.notna() & (numbers % 1 != 0)).to_numpy()
        if bad.any():
            return frame, (bad, "whole numbers" if pd.api.types.is_integer_dtype(column.dtype) else "numbers")
        frame.iloc[at, frame.columns.get_loc(question)] = numbers.to_numpy()
        return frame, None
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        stamps = pd.to_datetime(pd.Series(text, dtype=object), errors="coerce")
        bad = stamps.isna().to_numpy() & ~blank
        if bad.any():
            return frame, (bad, "dates (YYYY-MM-DD)")
        frame.iloc[at, frame.columns.get_loc(question)] = stamps.to_numpy()
        return frame, None
    frame[question] = column.astype("string")
    frame.iloc[at, frame.columns.get_loc(question)] = pd.array(list(text), dtype="string")
    return frame, None


def _summary_from_flags(frame: pd.DataFrame, question: str, at: np.ndarray) -> pd.DataFrame:
    """The select_multiple answer of the rows ``at`` rebuilt from their true/false columns."""
    names = [c for c in frame.columns if str(c).startswith(question + "/")]
    flags = frame[names].iloc[at].astype("boolean")
    codes = [str(c)[len(question) + 1 :] for c in names]
    joined = [" ".join(c for c, f in zip(codes, row, strict=True) if f is True) for row in flags.itertuples(index=False)]
    answered = flags.notna().any(axis=1).to_numpy()
    frame[question] = frame[question].astype("string")
    frame.iloc[at, frame.columns.get_loc(question)] = pd.array([j if a else None for j, a in zip(joined, answered, strict=True)],
                                                               dtype="string")  # fmt: skip
    return frame
