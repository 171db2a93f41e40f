"""Derived variables and extra export columns, declared in ``survey.yaml``, for indicators and breakdowns.

``derive:`` lists new variables, each a list of rules written in the indicators' condition language
(:mod:`survey_toolkit.expressions`: the same parser, never ``eval``). The first rule whose condition
is true gives the respondent's value; ``else`` gives the value when none is (default: missing). Recodes,
bands and combinations are all written this way::

    derive:
      - name: feels_safe
        label: {en: Feels safe after dark}
        when:
          - {if: "b1_safe_dark in [1, 2]", value: safe, label: {en: Safe}}
          - {if: "b1_safe_dark in [3, 4]", value: unsafe, label: {en: Unsafe}}
      - name: age_band
        when:
          - {if: "a2_age < 30", value: "18-29"}
          - {if: "a2_age >= 30", value: "30+"}
      - name: young_woman                       # a combination of two questions
        when:
          - {if: "a1_sex = 2 and a2_age < 30", value: "yes"}
        else: "no"

A derived variable may use the ones declared before it. ``extra_columns:`` names export columns that
are not questions of the form (an analyst's grouping column): they are kept as data columns.

Both can be used like questions of the form: in indicator conditions, as ``disaggregations`` and as
``locations.levels``. :func:`analysis_form` adds them to the form (a select_one per derived variable,
with its values as choices; a calculate per extra column) so the indicators are checked against them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from .errors import Location
from .expressions import Columns, Condition, evaluate_on
from .instrument import Choice, ChoiceList, Instrument, Question
from .io.base import SurveyData, VariableMeta
from .offlist import OffListRule

__all__ = ["Rule", "Derived", "analysis_form", "derive_columns", "derive_data"]


@dataclass(frozen=True)
class Rule:
    """``if`` condition -> ``value`` (with optional labels per language)."""

    condition: Condition
    value: str
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Derived:
    """A derived variable: its name, rules in order, the value when no rule holds, its label."""

    name: str
    rules: tuple[Rule, ...]
    otherwise: str | None = None
    label: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    location: Location = field(default_factory=Location, compare=False)

    @property
    def values(self) -> tuple[str, ...]:
        """Every value it can take, in declaration order (``else`` last)."""
        out = [r.value for r in self.rules] + ([self.otherwise] if self.otherwise is not None else [])
        return tuple(dict.fromkeys(out))


def analysis_form(form: Instrument, derived: Sequence[Derived], extra_columns: Sequence[str]) -> Instrument:
    """The form with the derived variables (select_one) and extra columns (calculate) added as questions."""
    if not derived and not extra_columns:
        return form
    lists = dict(form.choice_lists)
    added = []
    for d in derived:
        labels = {r.value: r.labels for r in d.rules}
        name = f"derived:{d.name}"
        lists[name] = ChoiceList(name, tuple(Choice(v, MappingProxyType(dict(labels.get(v) or {}))) for v in d.values))
        added.append(Question(d.name, "select_one", labels=MappingProxyType(dict(d.label)), list_name=name))
    added += [Question(c, "calculate") for c in extra_columns if c not in form]
    return dataclasses.replace(form, questions=(*form.questions, *added), choice_lists=MappingProxyType(lists))


def derive_columns(frame: pd.DataFrame, derived: Sequence[Derived], kinds: Mapping[str, str] | None = None,
                   dk_codes: Sequence[str] = ("98",), refused_codes: Sequence[str] = ("99",),
                   off_list: OffListRule | None = None) -> pd.DataFrame:  # fmt: skip
    """``frame`` with one categorical column per derived variable (vectorised: one evaluation per rule).

    Answers outside a question's choice list (``kinds.choices``, from ``instrument_kinds``) count as
    ``off_list`` says, as in the indicators: by default they are unknown, never a listed code."""
    out = frame.copy()
    rule = off_list or OffListRule()
    choices = getattr(kinds, "choices", None) or {}
    for d in derived:
        cols = Columns(out, dict(kinds or {}), tuple(dk_codes), tuple(refused_codes), choices,
                       off_list=dict(rule.questions), off_list_default=rule.answers)  # fmt: skip
        hits = [evaluate_on(r.condition, cols).fillna(False).to_numpy(dtype=bool) for r in d.rules]
        chosen = np.select(hits, [r.value for r in d.rules], default="") if hits else np.full(len(out), "")
        values = pd.Series(chosen, index=out.index, dtype=object).replace("", d.otherwise)
        out[d.name] = pd.Categorical(values, categories=list(d.values))
    return out


def derive_data(data: SurveyData, derived: Sequence[Derived], form: Instrument,
                off_list: OffListRule | None = None) -> SurveyData:  # fmt: skip
    """The round with its derived columns, their metadata, and the analysis form as its instrument."""
    if not derived:
        return data
    from .indicators.semantics import instrument_kinds

    frame = derive_columns(data.frame, derived, instrument_kinds(form), off_list=off_list)
    variables = dict(data.variables)
    languages = list(form.languages) or ["default"]
    for d in derived:
        values = {lang: MappingProxyType({r.value: r.labels.get(lang, r.value) for r in d.rules}) for lang in languages}
        variables[d.name] = VariableMeta(name=d.name, type="select_one", labels=MappingProxyType(dict(d.label)),
                                         value_labels=MappingProxyType(values), question=d.name)  # fmt: skip
    return dataclasses.replace(data, frame=frame, variables=MappingProxyType(variables), instrument=form)
