"""Answers outside a question's choice list (off-list codes): how they count, and how many there were.

A select answer whose code is not in the question's list in the form (a code ``5`` on a 1-4 scale, a
choice added on the phones but not in the form, free text typed into a select question) is an
*off-list answer*. ``off_list`` in ``survey.yaml`` says how indicators count it:

- ``missing`` (default): the answer is unknown; the respondent leaves the base of every indicator that
  reads the question (as a skipped question would), and is counted in ``n_missing``;
- ``other``: the respondent answered "something else": it stays in the base of proportions and
  distributions and is never counted as any listed choice (``q in [1, 2]`` and ``q = 1`` are false,
  ``q != 1`` is true); distributions and shares get an explicit category ``off_list``.

A select_multiple answer follows the same rule token by token: its off-list tokens are dropped
(``missing``: an answer left with no listed code is unanswered) or kept as "something else"
(``other``: the row stays answered, its listed codes count as usual). Means (``scores``) never average an
off-list answer: it has no score.

Every run reports, per round and question, how many answers were off-list and what was done with them
(warning ``off-list-answers``, table ``off_list.csv``); more than ``off_list_max_share`` of a question's
answers off-list is an error (``off-list-share``): such a share is a wrong form or a broken export, not
a few typing mistakes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .codes import canonical_code, display_value
from .errors import Location, Problem, Severity

if TYPE_CHECKING:  # pragma: no cover
    from .io.base import SurveyData

__all__ = [
    "OFF_LIST_RULES",
    "OFF_LIST_CATEGORY",
    "DEFAULT_OFF_LIST_MAX_SHARE",
    "OffListRule",
    "off_list_mask",
    "off_list_table",
    "off_list_problems",
    "TABLE_COLUMNS",
]

OFF_LIST_RULES = ("missing", "other")
"""How an off-list answer counts: ``missing`` (leaves the base; the default) or ``other`` (stays in it)."""

OFF_LIST_CATEGORY = "off_list"
"""The category of distributions and shares holding the off-list answers under ``off_list: other``."""

DEFAULT_OFF_LIST_MAX_SHARE = 0.05
"""Above this share of a question's answers off-list (in one round), ``validate`` and ``run`` stop."""

TABLE_COLUMNS = ["round", "question", "list", "select_multiple", "answers", "off_list", "share", "rule", "codes",
                 "record_ids", "source_file", "source_row"]  # fmt: skip
"""Columns of :func:`off_list_table` (``off_list.csv``); ``source_row`` is the first off-list answer's row."""


@dataclass(frozen=True)
class OffListRule:
    """The project's ``off_list`` (all questions), ``off_list_questions`` (per question) and
    ``off_list_max_share``."""

    answers: str = "missing"
    questions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    max_share: float = DEFAULT_OFF_LIST_MAX_SHARE

    def __post_init__(self) -> None:
        for rule in (self.answers, *self.questions.values()):
            if rule not in OFF_LIST_RULES:
                raise ValueError(f"off_list must be one of {OFF_LIST_RULES}, not {rule!r}")
        if not 0.0 <= self.max_share <= 1.0:
            raise ValueError(f"off_list_max_share must be between 0 and 1, not {self.max_share!r}")

    def for_question(self, question: str) -> str:
        """``missing`` or ``other`` for ``question``."""
        return self.questions.get(question, self.answers)


def _per_distinct(values: pd.Series, func) -> np.ndarray:
    """``func`` applied once per distinct value of ``values`` (booleans, NA -> False), spread back."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = np.array([bool(func(u)) for u in uniques] + [False], dtype=bool)
    return mapped[codes]


def off_list_mask(values: pd.Series, codes: Collection[str], multiple: bool = False) -> pd.Series:
    """True on rows whose answer holds a code that is not in ``codes`` (any token of a select_multiple).

    Computed once per distinct answer, never per row.
    """
    allowed = set(codes)

    def off(value: Any) -> bool:
        text = canonical_code(value)
        if text is None:
            return False
        parts = text.split() if multiple else [text]
        return any(canonical_code(p) not in allowed for p in parts)

    if isinstance(values.dtype, pd.CategoricalDtype):  # a select_one: one test per category, not per row
        per_category = np.array([off(c) for c in values.cat.categories] + [False], dtype=bool)
        return pd.Series(per_category[values.cat.codes.to_numpy()], index=values.index)
    return pd.Series(_per_distinct(values, off), index=values.index)


def _off_codes(values: pd.Series, codes: Collection[str], multiple: bool) -> list[str]:
    allowed = set(codes)
    found: set[str] = set()
    for value in pd.unique(values.dropna().astype(object)):  # distinct answers only
        text = canonical_code(value)
        for part in (text.split() if multiple else [text]) if text else []:
            if canonical_code(part) not in allowed:
                found.add(part)
    return sorted(found)


def _tables(data: SurveyData):
    """(question, frame) for every select question with a choice list whose column is in the data."""
    form = data.instrument
    for q in form.leaves if form is not None else ():  # per question, never per row
        cl = form.choices_for(q)
        if cl is None or q.list_name not in form.choice_lists:  # select_one_from_file: codes live elsewhere
            continue
        frame = data.frame if q.repeat is None else (data.children or {}).get(q.repeat)
        if frame is not None and q.name in frame.columns:
            yield q, cl, frame


def off_list_table(
    data: SurveyData, rule: OffListRule | None = None, round_id: str | None = None
) -> pd.DataFrame:
    """One row per question with off-list answers: answers, off-list count and share, the rule applied,
    the off-list codes (shown only when they look like codes) and the first record ids."""
    rule = rule or OffListRule()
    rows = []
    for q, cl, frame in _tables(data):
        answer = frame[q.name]
        mask = off_list_mask(answer, cl.codes, multiple=q.is_select_multiple)
        n_off = int(mask.sum())
        if not n_off:
            continue
        n_answers = int(answer.notna().sum())
        ids = frame["_record_id"][mask] if "_record_id" in frame.columns else pd.Series(frame.index[mask])
        source = frame["_source_file"][mask].iloc[0] if "_source_file" in frame.columns else data.source
        first_row = frame["_source_row"][mask].iloc[0] if "_source_row" in frame.columns else None
        rows.append({
            "round": round_id,
            "question": q.name,
            "list": cl.name,
            "answers": n_answers,
            "off_list": n_off,
            "share": n_off / n_answers if n_answers else 0.0,
            "rule": rule.for_question(q.name),
            "codes": ", ".join(display_value(c) for c in _off_codes(answer[mask], cl.codes, q.is_select_multiple)[:6]),
            "record_ids": ", ".join(str(v) for v in ids.head(5)),
            "source_file": None if source is None or pd.isna(source) else str(source),
            "source_row": None if first_row is None or pd.isna(first_row) else int(first_row),
            "select_multiple": bool(q.is_select_multiple),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


_DONE = {
    "missing": "counted as missing (they leave the base of every indicator reading the question)",
    "other": "counted as 'other' (they stay in the base and never count as a listed choice)",
}
_DONE_MULTIPLE = {
    "missing": "their off-list codes are dropped (an answer left without a listed code is missing)",
    "other": "their off-list codes count as 'other' (the answer stays in the base; listed codes count as usual)",
}


def off_list_problems(table: pd.DataFrame, rule: OffListRule | None = None) -> list[Problem]:
    """A warning ``off-list-answers`` per row of ``table``; ``off-list-share`` (an error) above the share."""
    rule = rule or OffListRule()
    out = []
    for r in table.itertuples(index=False):  # one per question with off-list answers, never per row
        over = r.share > rule.max_share
        done = (_DONE_MULTIPLE if r.select_multiple else _DONE)[r.rule]
        where = f"round {r.round}: " if r.round else ""
        more = " ..." if r.off_list > 5 else ""
        message = (
            f"{where}'{r.question}' has {r.off_list} answer(s) outside its choice list '{r.list}' "
            f"({r.share:.1%} of {r.answers} answers; code(s) {r.codes}; records {r.record_ids}{more}): {done}"
        )
        other = "other" if r.rule == "missing" else "missing"
        hint = (
            f"correct the answers (a cleaning log) or add the code(s) to the list '{r.list}' in the form; "
            f"'off_list_questions: {{{r.question}: {other}}}' in survey.yaml counts them as {other}"
        )
        if over:
            message += f"; more than off_list_max_share ({rule.max_share:.1%}) of its answers"
            hint += f"; 'off_list_max_share: {min(1.0, math.ceil(r.share * 100) / 100)}' in survey.yaml accepts this share"
        out.append(Problem(
            "off-list-share" if over else "off-list-answers",
            message,
            Location(file=r.source_file, row=None if pd.isna(r.source_row) else int(r.source_row), field=r.question,
                     record_id=r.record_ids.split(", ")[0]),
            severity=Severity.ERROR if over else Severity.WARNING,
            expected=f"at most {rule.max_share:.1%} of the answers outside the choice list (off_list_max_share)",
            got=f"{r.off_list} of {r.answers} ({r.share:.1%})",
            hint=hint,
            count=int(r.off_list),
        ))  # fmt: skip
    return out
