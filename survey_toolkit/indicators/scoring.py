"""Respondent-level values of each indicator: who is in the base and what each respondent contributes.

:func:`score` turns one :class:`~survey_toolkit.indicators.model.Indicator` and a frame into a
:class:`Scored`: a boolean ``domain`` (rows in the base; never NA) and numeric ``values`` (one column
per reported category, or ``value``), all aligned to the full frame. Nothing is dropped: the
estimation step uses the domain as zero weights over the full design (statistics.md §3, §12).

Rules (documented in ``docs/indicators.md``):

- **proportion** — base = universe and denominator both True. Respondents whose numerator is
  unknown (NA: a question in it was skipped) leave the base and are counted in ``n_missing``.
  "DK/RF non-positives" are base respondents whose numerator is not True while a numerator question
  holds a don't-know/refused code: ``counted`` keeps them (as "no"), ``excluded`` removes them,
  ``own_share`` keeps them and also reports their share as category ``dk_refused``.
- **mean / median** — numeric question, or select_one mapped through ``scores`` (unscored codes,
  e.g. 98/99, are missing); base = universe, ``where`` and a value present. On a numeric
  question (and both questions of a **ratio**) a value equal to a DK/refused code
  (``defaults.dk_codes`` + ``defaults.refused_codes`` read as numbers, 98 and 99) leaves the base
  and counts in ``dk_share``, unless ``dk_refused: counted`` keeps it as a number.
- **distribution / shares** — one 0/1 column per code; DK/RF categories and respondents answering
  DK/RF leave the base under ``excluded``.
- **index** — items rescaled to 0-1 (question items by ``range``, reversed if asked; condition items
  1/0/missing; indicator items from the referenced indicator); a respondent is scored when at least
  ``min_valid_items`` items are valid. ``method: mean`` maps the mean of valid items onto ``scale``,
  ``method: count`` counts favourable items. Items may carry a ``weight`` (a weighted composite
  score, :func:`composite_scores`): the mean is then weighted, renormalised over the valid items,
  and the count adds the weights of the favourable items. Under ``dk_refused: counted`` (Gallup-compatible mode)
  a don't-know/refused item scores 0 and counts as valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..expressions import Columns, Condition, evaluate_on, parse_condition
from ..offlist import OFF_LIST_CATEGORY, OffListRule
from .model import Indicator, IndicatorSpec

__all__ = ["Scored", "score", "score_all", "numeric_dk_codes", "composite_scores"]


@dataclass(frozen=True)
class Scored:
    """Respondent-level contributions of one indicator, aligned to the whole frame."""

    indicator: Indicator
    domain: pd.Series  # bool, never NA
    values: pd.DataFrame  # float, one column per category ("value" for a single estimate)
    statistic: str = "mean"  # mean | median | ratio
    denominator: pd.Series | None = None  # ratio only
    missing: pd.Series | None = None  # bool: universe rows left out because an answer was missing
    dk_refused: pd.Series | None = None  # bool: DK/RF respondents of the base (before exclusion)
    extra: Mapping[str, object] = field(default_factory=dict)
    invalid: pd.Series | None = None  # bool: universe rows with an answer (or token) outside a choice list

    @property
    def n_missing(self) -> int:
        return 0 if self.missing is None else int(self.missing.sum())

    @property
    def n_invalid(self) -> int:
        """Universe respondents whose answer to a question of the indicator is not in its choice list."""
        return 0 if self.invalid is None else int(self.invalid.sum())


class _Ctx:
    def __init__(self, spec: IndicatorSpec, frame: pd.DataFrame, kinds: Mapping[str, str],
                 special: Mapping[str, Mapping[str, str]] | None = None, off_list: OffListRule | None = None,
                 ) -> None:  # fmt: skip
        self.spec = spec
        self.frame = frame
        self.kinds = dict(kinds)
        self.choices: Mapping[str, tuple[str, ...]] = getattr(kinds, "choices", None) or {}
        rule = off_list or OffListRule()
        self.cols = Columns(
            frame, self.kinds, spec.defaults.dk_codes, spec.defaults.refused_codes, self.choices, dict(special or {}),
            off_list=dict(rule.questions), off_list_default=rule.answers,
        )  # fmt: skip
        self.cache: dict[str, Scored] = {}
        self._dk: dict[str, pd.Series] = {}
        self._masks: dict[str | None, pd.Series] = {}

    def mask(self, cond: Condition | None) -> pd.Series:
        """True/False/NA per row; a missing condition is True. Evaluated once per condition text
        (many indicators share a universe); callers never modify the Series."""
        key = None if cond is None else cond.text
        if key not in self._masks:
            self._masks[key] = (pd.Series(True, index=self.frame.index, dtype="boolean") if cond is None
                                else evaluate_on(cond, self.cols))  # fmt: skip
        return self._masks[key]

    def true(self, cond: Condition | None) -> pd.Series:
        return self.mask(cond).fillna(False).astype(bool)

    def dk_any(self, questions: set[str]) -> pd.Series:
        out = pd.Series(False, index=self.frame.index)
        for q in sorted(questions):
            if q not in self._dk:
                self._dk[q] = self.true(parse_condition(f"dk({q}) or refused({q})"))
            out = out | self._dk[q]
        return out


def _proportion(ctx: _Ctx, ind: Indicator) -> Scored:
    base = ctx.true(ind.universe) & ctx.true(ind.denominator)
    num = ctx.mask(ind.numerator)
    dk = base & ~num.fillna(False).astype(bool) & ctx.dk_any(ind.numerator.questions())
    unknown = base & num.isna() & ~dk
    domain = base & ~unknown
    if ind.dk_refused == "excluded":
        domain &= ~dk
    values = pd.DataFrame({"value": num.fillna(False).astype(float)}, index=ctx.frame.index)
    if ind.dk_refused == "own_share":
        values["dk_refused"] = dk.astype(float)
    return Scored(ind, domain, values, missing=unknown, dk_refused=dk & base)


def _scored_values(ctx: _Ctx, ind: Indicator) -> pd.Series:
    q = ind.question
    if ind.scores:
        codes = ctx.cols.codes(q)
        return codes.map(dict(ind.scores)).astype("Float64")
    return ctx.cols.numbers(q)


def numeric_dk_codes(spec: IndicatorSpec) -> tuple[float, ...]:
    """The DK/refused codes of numeric items: ``defaults.dk_codes`` + ``refused_codes`` read as numbers."""
    out = []
    for code in (*spec.defaults.dk_codes, *spec.defaults.refused_codes):
        number = pd.to_numeric(pd.Series([code]), errors="coerce").iloc[0]
        if pd.notna(number):
            out.append(float(number))
    return tuple(out)


def _numeric_dk(ctx: _Ctx, ind: Indicator, values: pd.Series) -> pd.Series:
    """Rows whose numeric value is a DK/refused code, when the rule excludes them (else all False).

    Applies to numeric items only (not to ``scores``, which already leave 98/99 unscored): under
    ``dk_refused: counted`` the codes stay as numbers (use it when 98/99 are real values, e.g.
    ages); otherwise (``excluded``; ``own_share`` cannot apply to a mean and is rejected by
    validation when set on the indicator) they leave the base and count in ``dk_share``.
    """
    none = pd.Series(False, index=ctx.frame.index)
    if ind.dk_refused == "counted":
        return none
    declared = pd.to_numeric(pd.Series([*ctx.cols.dk_of(ind.question), *ctx.cols.refused_of(ind.question)],
                                       dtype="object"), errors="coerce").dropna()  # fmt: skip
    codes = tuple(dict.fromkeys((*numeric_dk_codes(ctx.spec), *declared.astype(float).tolist())))
    if not codes:
        return none
    return values.isin(codes).fillna(False).astype(bool)


def _mean(ctx: _Ctx, ind: Indicator) -> Scored:
    base = ctx.true(ind.universe) & ctx.true(ind.where)
    values = _scored_values(ctx, ind)
    dk = pd.Series(False, index=ctx.frame.index)
    if not ind.scores:
        dk = _numeric_dk(ctx, ind, values)
        values = values.mask(dk, pd.NA)
    answered = ctx.cols.answered(ind.question).fillna(False).astype(bool)
    domain = base & values.notna().astype(bool)
    missing = base & ~values.notna().astype(bool) & ~answered
    frame = pd.DataFrame({"value": values.astype(float).fillna(0.0)}, index=ctx.frame.index)
    return Scored(
        ind,
        domain,
        frame,
        statistic="median" if ind.type == "median" else "mean",
        missing=missing,
        dk_refused=None if ind.scores else base & dk,
    )


def _categories(ctx: _Ctx, ind: Indicator, codes: list[str]) -> Scored:
    q = ind.question
    base = ctx.true(ind.universe) & ctx.true(ind.where)
    answered = ctx.cols.answered(q).fillna(False).astype(bool)
    dkr = set(ctx.cols.dk_of(q)) | set(ctx.cols.refused_of(q))
    dk = ctx.dk_any({q}) & base
    domain = base & answered
    if ind.dk_refused == "excluded":
        domain &= ~dk
        codes = [c for c in codes if c not in dkr]
    values = pd.DataFrame(
        {c: ctx.cols.any_of(q, [c]).fillna(False).astype(float) for c in codes}, index=ctx.frame.index
    )
    if q in ctx.choices and ctx.cols.off_list_rule(q) == "other" and not ind.codes:
        off = ctx.cols.off_list_answers(q) & domain
        if off.any():  # an explicit category: the answers outside the list stay in the base
            values[OFF_LIST_CATEGORY] = off.astype(float)
    return Scored(ind, domain, values, missing=base & ~answered, dk_refused=dk)


def _codes_of(ctx: _Ctx, ind: Indicator) -> list[str]:
    if ind.codes:
        return list(ind.codes)
    q = ind.question
    if ctx.cols.kind(q) == "select_multiple":
        prefix = q + "/"
        return [str(c)[len(prefix) :] for c in ctx.frame.columns if str(c).startswith(prefix)]
    if q in ctx.choices:  # the form's list only: values outside it are never categories
        return list(ctx.choices[q])
    col = ctx.frame[q]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return sorted(ctx.cols.codes(q).dropna().unique().tolist())


def _ratio(ctx: _Ctx, ind: Indicator) -> Scored:
    base = ctx.true(ind.universe) & ctx.true(ind.where)
    num = ctx.cols.numbers(ind.numerator_question)
    den = ctx.cols.numbers(ind.denominator_question)
    dk = _numeric_dk(ctx, ind, num) | _numeric_dk(ctx, ind, den)
    ok = num.notna().astype(bool) & den.notna().astype(bool)
    domain = base & ok & ~dk
    values = pd.DataFrame({"value": num.astype(float).fillna(0.0)}, index=ctx.frame.index)
    return Scored(
        ind,
        domain,
        values,
        statistic="ratio",
        denominator=den.astype(float).fillna(0.0),
        missing=base & ~ok,
        dk_refused=base & dk & ok if ind.dk_refused != "counted" else None,
    )


def _item_matrix(ctx: _Ctx, ind: Indicator) -> np.ndarray:
    counted = ind.dk_refused == "counted"
    cols = []
    for item in ind.items:
        if item.kind == "question":
            x = ctx.cols.numbers(item.question).astype(float).to_numpy(na_value=np.nan)
            lo, hi = item.range
            r = np.where((x >= lo) & (x <= hi), (x - lo) / (hi - lo), np.nan)
            if item.reverse:
                r = 1.0 - r
            if counted:
                r = np.where(ctx.dk_any({item.question}).to_numpy() & np.isnan(r), 0.0, r)
        elif item.kind == "condition":
            fav = ctx.true(item.favourable).to_numpy()
            unf = ctx.true(item.unfavourable).to_numpy()
            r = np.where(fav, 1.0, np.where(unf, 0.0, np.nan))
            if counted:
                qs = item.favourable.questions() | item.unfavourable.questions()
                r = np.where(ctx.dk_any(qs).to_numpy() & np.isnan(r), 0.0, r)
        else:
            r = _indicator_item(ctx, item.indicator)
        cols.append(r)
    return np.column_stack(cols)


def _indicator_item(ctx: _Ctx, ident: str) -> np.ndarray:
    sub = _score(ctx, ctx.spec[ident])
    v = sub.values["value"].to_numpy(dtype=float)
    if sub.indicator.type == "index":
        target = sub.indicator
        if target.method == "count":
            v = v / _item_weights(target).sum()
        else:
            lo, hi = target.scale
            v = (v - lo) / (hi - lo)
    return np.where(sub.domain.to_numpy(), v, np.nan)


def _item_weights(ind: Indicator) -> np.ndarray:
    return np.array([item.weight for item in ind.items], dtype=float)


def composite_scores(r: np.ndarray, weights: np.ndarray, method: str, scale: tuple[float, float]) -> np.ndarray:
    """Respondent scores from the item matrix ``r`` (rows x items, values 0-1, NaN = missing item).

    ``mean``: ``lo + (hi - lo) * sum_j w_j r_j / sum_j w_j`` over the valid items only (the weights
    are renormalised over the items a respondent has); ``count``: ``sum_j w_j r_j`` over the valid
    items (with every weight 1, the number of favourable items). NaN where no item is valid.
    """
    valid = ~np.isnan(r)
    weighted = np.where(valid, r, 0.0) @ weights
    if method == "count":
        return np.where(valid.any(axis=1), weighted, np.nan)
    total = valid.astype(float) @ weights
    lo, hi = scale
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, lo + (hi - lo) * weighted / total, np.nan)


def _index(ctx: _Ctx, ind: Indicator) -> Scored:
    base = ctx.true(ind.universe) & ctx.true(ind.where)
    r = _item_matrix(ctx, ind)
    m = (~np.isnan(r)).sum(axis=1)
    scored = m >= ind.min_valid_items
    s = composite_scores(r, _item_weights(ind), ind.method, ind.scale)
    domain = base & pd.Series(scored, index=ctx.frame.index)
    values = pd.DataFrame({"value": np.where(scored, s, 0.0)}, index=ctx.frame.index)
    items = pd.DataFrame(r, index=ctx.frame.index, columns=[it.name for it in ind.items])
    return Scored(
        ind,
        domain,
        values,
        missing=base & ~domain,
        extra={"items": items, "n_valid_items": pd.Series(m, index=ctx.frame.index)},
    )


def _components(ctx: _Ctx, ind: Indicator) -> Scored:
    subs = [_score(ctx, ctx.spec[c]) for c in ind.components]
    domain = pd.concat([s.domain for s in subs], axis=1).any(axis=1)
    values = pd.DataFrame({s.indicator.id: s.values["value"] for s in subs}, index=ctx.frame.index)
    return Scored(ind, domain, values, statistic="mean_of_proportions", extra={"components": tuple(subs)})


_BY_TYPE = {
    "proportion": _proportion,
    "mean": _mean,
    "median": _mean,
    "ratio": _ratio,
    "index": _index,
    "mean_of_proportions": _components,
}


def _invalid_any(ctx: _Ctx, ind: Indicator) -> pd.Series | None:
    """Universe rows answering a question of ``ind`` outside its choice list (None when none can)."""
    questions = sorted(q for q in ind.questions() if q in ctx.choices and q in ctx.frame.columns)
    if not questions:
        return None
    hit = np.logical_or.reduce([ctx.cols.off_list_answers(q).to_numpy(dtype=bool) for q in questions])
    return pd.Series(hit, index=ctx.frame.index) & ctx.true(ind.universe)


def _score(ctx: _Ctx, ind: Indicator) -> Scored:
    if ind.id in ctx.cache:
        return ctx.cache[ind.id]
    if ind.type in ("distribution", "shares"):
        out = _categories(ctx, ind, _codes_of(ctx, ind))
    else:
        out = _BY_TYPE[ind.type](ctx, ind)
    invalid = _invalid_any(ctx, ind)
    if invalid is not None:
        out = replace(out, invalid=invalid)
    ctx.cache[ind.id] = out
    return out


def score(
    spec: IndicatorSpec,
    indicator: Indicator | str,
    frame: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
) -> Scored:
    """Respondent-level base and values of one indicator of ``spec`` on ``frame``.

    ``kinds`` (question -> select_one / select_multiple / numeric) comes from the instrument when
    known (:func:`survey_toolkit.indicators.semantics.instrument_kinds`); otherwise it is inferred.
    """
    ind = spec[indicator] if isinstance(indicator, str) else indicator
    return _score(_Ctx(spec, frame, kinds or {}), ind)


def score_all(
    spec: IndicatorSpec,
    frame: pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    special: Mapping[str, Mapping[str, str]] | None = None,
    off_list: OffListRule | None = None,
) -> dict[str, Scored]:
    """:func:`score` for every indicator, sharing work between indicators that reference others.

    ``special``: question -> {code: dk / refused / not_applicable} declared by the export's labels
    (``SurveyData.variables[q].special_codes``); they count as don't know / refused like the defaults.
    ``off_list``: how answers outside a question's choice list count (``missing`` unless it says
    ``other``; :mod:`survey_toolkit.offlist`)."""
    ctx = _Ctx(spec, frame, kinds or {}, special, off_list)
    return {ind.id: _score(ctx, ind) for ind in spec.indicators}
