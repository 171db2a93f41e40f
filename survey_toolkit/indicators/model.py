"""The indicator specification as immutable objects, and the field tables of the YAML language.

The YAML vocabulary is declared once, in :data:`SECTIONS` (one :class:`FieldSpec` per key, with its
type, allowed values, default and documentation). Tier-1 validation (:mod:`.schema`), the JSON Schema
for editors (:mod:`.jsonschema`) and the language reference all read these tables, so they cannot
drift apart. Numeric defaults live here only.

Objects built from a valid file are frozen dataclasses: :class:`IndicatorSpec` holds
:class:`Indicator` objects; an index indicator holds :class:`IndexItem` objects. Conditions are parsed
:class:`~survey_toolkit.expressions.Condition` objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import Location
from ..expressions import Condition

__all__ = [
    "INDICATOR_TYPES",
    "UNITS",
    "DIRECTIONS",
    "DK_RULES",
    "INDEX_METHODS",
    "FieldSpec",
    "SECTIONS",
    "Text",
    "IndexItem",
    "Indicator",
    "Aggregate",
    "AGGREGATE_FUNCTIONS",
    "Defaults",
    "IndicatorSpec",
]

#: indicator type -> one-line meaning (the YAML ``type`` values)
INDICATOR_TYPES: dict[str, str] = {
    "proportion": "share of the denominator (a condition) for whom the numerator condition holds",
    "mean": "weighted mean of a numeric question, or of a select_one with declared scores",
    "median": "weighted median of a numeric question, or of a select_one with declared scores",
    "distribution": "share of each answer of a select_one question",
    "shares": "share selecting each option of a select_multiple question",
    "ratio": "ratio of the weighted totals of two numeric questions",
    "mean_of_proportions": "simple average of other proportion indicators (SDG 16.7.2, 16.6.2)",
    "index": "composite index scored per respondent, then averaged",
}
UNITS = ("percent", "proportion", "mean", "median", "index_score", "ratio", "count")
DIRECTIONS = ("higher_is_better", "higher_is_worse", "neutral")
#: what happens to don't know / refused answers (see docs/indicators.md)
DK_RULES = ("counted", "excluded", "own_share")
INDEX_METHODS = ("mean", "count")
#: aggregate function -> one-line meaning (the ``aggregates:`` ``function`` values)
AGGREGATE_FUNCTIONS: dict[str, str] = {
    "any": "1 if the condition holds for at least one row, 0 if it is false for every row (also no row)",
    "all": "1 if the condition holds for every row (also no row), 0 if it is false for one",
    "count": "number of rows for which the condition holds (every row without a condition)",
    "sum": "sum of a numeric value over the rows (0 for no row)",
    "min": "smallest numeric value over the rows (missing for no row)",
    "max": "largest numeric value over the rows (missing for no row)",
    "first": "the value of the first row, in roster order (e.g. the sex of the member who is the head)",
}

#: default unit per type
DEFAULT_UNIT = {
    "proportion": "percent",
    "mean": "mean",
    "median": "median",
    "distribution": "percent",
    "shares": "percent",
    "ratio": "ratio",
    "mean_of_proportions": "percent",
    "index": "index_score",
}
DEFAULT_UNIVERSE = "consent = 1"
DEFAULT_DK_CODES = ("98",)
DEFAULT_REFUSED_CODES = ("99",)
DEFAULT_INDEX_SCALE = (0.0, 10.0)


@dataclass(frozen=True)
class FieldSpec:
    """One YAML key: its kind, whether it is required, allowed values, default and documentation.

    ``kind`` is one of ``str``, ``text`` (a string or a mapping language -> string), ``condition``,
    ``question`` (a question name), ``bool``, ``int``, ``number``, ``codes`` (list of choice codes),
    ``names`` (list of names), ``scores`` (mapping code -> number), ``range`` (two numbers),
    ``items`` (list of index items), ``indicators`` (list of indicators), ``defaults``.
    """

    kind: str
    doc: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    default: Any = None
    types: tuple[str, ...] = ()  # indicator types the key applies to (empty = all)


_ALL = ()
_INDICATOR_FIELDS: dict[str, FieldSpec] = {
    "id": FieldSpec(
        "str", "Unique identifier: lower-case letters, digits and '_', starting with a letter.", True
    ),
    "type": FieldSpec("str", "What is computed.", True, tuple(INDICATOR_TYPES)),
    "label": FieldSpec("text", "Short label, per language (`{en: ..., fr: ...}`) or one string.", True),
    "description": FieldSpec("text", "Longer definition for the codebook, per language."),
    "sdg": FieldSpec(
        "str",
        "SDG indicator code, e.g. '16.1.4' (quote it). Only for the official computation "
        "or a variant declared with `variant_of`.",
    ),
    "variant_of": FieldSpec(
        "str", "Id of the indicator this one is a toolkit variant of (never labelled as the SDG value)."
    ),
    "unit": FieldSpec("str", "Unit of the estimate (default from the type).", allowed=UNITS),
    "direction": FieldSpec(
        "str", "Whether a higher value is better, worse or neither.", allowed=DIRECTIONS, default="neutral"
    ),
    "universe": FieldSpec("condition", "Who is eligible at all (default: `defaults.universe`)."),
    "numerator": FieldSpec(
        "condition",
        "Condition counted in the numerator, evaluated within the denominator.",
        types=("proportion",),
    ),
    "denominator": FieldSpec(
        "condition",
        "Condition defining the base within the universe (default: everyone in the universe).",
        types=("proportion",),
    ),
    "where": FieldSpec(
        "condition",
        "Restricts the base (domain) within the universe.",
        types=("mean", "median", "distribution", "shares", "ratio", "index"),
    ),
    "question": FieldSpec(
        "question", "The question summarised.", types=("mean", "median", "distribution", "shares")
    ),
    "scores": FieldSpec(
        "scores",
        "Score of each choice code, required for a mean or median of a select_one "
        "(codes without a score are excluded).",
        types=("mean", "median"),
    ),
    "codes": FieldSpec(
        "codes", "Choice codes to report (default: all codes of the list).", types=("distribution", "shares")
    ),
    "numerator_question": FieldSpec(
        "question", "Numeric question summed in the numerator.", types=("ratio",)
    ),
    "denominator_question": FieldSpec(
        "question", "Numeric question summed in the denominator.", types=("ratio",)
    ),
    "components": FieldSpec(
        "names", "Ids of the proportion indicators averaged.", types=("mean_of_proportions",)
    ),
    "method": FieldSpec(
        "str",
        "`mean`: (weighted) mean of the valid rescaled items mapped onto `scale`; `count`: number "
        "(or total weight) of favourable items.",
        allowed=INDEX_METHODS,
        default="mean",
        types=("index",),
    ),
    "scale": FieldSpec(
        "range",
        "Range of the respondent score for `method: mean`, e.g. [0, 10] or [0, 100].",
        default=list(DEFAULT_INDEX_SCALE),
        types=("index",),
    ),
    "min_valid_items": FieldSpec(
        "int", "A respondent is scored only with at least this many valid items.", types=("index",)
    ),
    "items": FieldSpec("items", "The index items.", types=("index",)),
    "dk_refused": FieldSpec(
        "str",
        "Don't know / refused: `counted` in the base, `excluded` from it, or kept and "
        "reported as their `own_share`.",
        allowed=DK_RULES,
    ),
    "repeat": FieldSpec(
        "str",
        "Estimate over the rows of this repeat group (household members, incidents) instead of "
        "respondents, with the respondents' design: the rows of one submission share its weight, stratum "
        "and PSU. Conditions may read the repeat's questions and the respondent's.",
        types=("proportion", "mean", "distribution", "shares", "ratio", "index"),
    ),
    "disaggregations": FieldSpec(
        "names", "Columns to break the estimate down by (default: `defaults.disaggregations`)."
    ),
    "sensitive": FieldSpec(
        "bool", "Sensitive indicator: small-cell suppression and no admin2 maps.", default=False
    ),
    "notes": FieldSpec("text", "Free notes for the codebook (deviations from the metadata, caveats)."),
}

_ITEM_FIELDS: dict[str, FieldSpec] = {
    "question": FieldSpec("question", "A scored question: its value is rescaled from `range` to 0-1."),
    "range": FieldSpec(
        "range",
        "The lowest and highest valid value of the question, e.g. [1, 4]; other values (98, 99) are missing.",
    ),
    "reverse": FieldSpec("bool", "Reverse the item (higher answer = less favourable).", default=False),
    "favourable": FieldSpec("condition", "Binary item: condition scored 1."),
    "unfavourable": FieldSpec("condition", "Binary item: condition scored 0 (anything else is missing)."),
    "indicator": FieldSpec(
        "str",
        "Use another indicator per respondent: a proportion (1 numerator, 0 rest of the "
        "denominator) or an index (its score rescaled to 0-1).",
    ),
    "weight": FieldSpec(
        "number",
        "Weight of the item in a weighted composite score (> 0; default 1). `method: mean` averages the "
        "valid items with these weights (renormalised over the valid items); `method: count` adds the "
        "weights of the favourable items.",
        default=1,
    ),
    "label": FieldSpec("text", "Item label for the codebook."),
}

_AGGREGATE_FIELDS: dict[str, FieldSpec] = {
    "name": FieldSpec(
        "str", "Name of the new respondent-level column, usable in conditions and as a disaggregation.", True
    ),
    "repeat": FieldSpec("str", "The repeat group whose rows are aggregated (e.g. the household roster).", True),
    "function": FieldSpec("str", "How the rows are combined.", True, tuple(AGGREGATE_FUNCTIONS)),
    "condition": FieldSpec(
        "condition", "Condition tested on each row: required by `any` and `all`, optional for `count`."
    ),
    "value": FieldSpec("question", "Question of the repeat taken by `sum`, `min`, `max` and `first`."),
    "where": FieldSpec("condition", "Only these rows of the repeat are aggregated (default: every row)."),
    "label": FieldSpec("text", "Label of the new column, per language."),
}

_DEFAULTS_FIELDS: dict[str, FieldSpec] = {
    "universe": FieldSpec("condition", "Who is eligible for every indicator.", default=DEFAULT_UNIVERSE),
    "disaggregations": FieldSpec("names", "Default disaggregation columns.", default=[]),
    "dk_codes": FieldSpec("codes", "Codes meaning don't know.", default=list(DEFAULT_DK_CODES)),
    "refused_codes": FieldSpec("codes", "Codes meaning refused.", default=list(DEFAULT_REFUSED_CODES)),
    "dk_refused": FieldSpec(
        "str", "Default don't know / refused rule.", allowed=DK_RULES, default="excluded"
    ),
    "min_valid_items": FieldSpec("int", "Default minimum number of valid index items.", default=3),
}

_TOP_FIELDS: dict[str, FieldSpec] = {
    "spec_version": FieldSpec("int", "Version of the indicator language (1).", True, default=1),
    "title": FieldSpec("text", "Title of the indicator set."),
    "version": FieldSpec("str", "Version of this indicator set (change it when definitions change)."),
    "languages": FieldSpec("names", "Label languages; the first is the default.", default=["en"]),
    "defaults": FieldSpec("defaults", "Defaults applied to every indicator."),
    "aggregates": FieldSpec(
        "aggregates", "Respondent-level columns computed from the rows of a repeat group."
    ),
    "indicators": FieldSpec("indicators", "The indicators.", True),
}

#: section name -> its keys (top, defaults, indicator, item)
SECTIONS: dict[str, dict[str, FieldSpec]] = {
    "top": _TOP_FIELDS,
    "defaults": _DEFAULTS_FIELDS,
    "indicator": _INDICATOR_FIELDS,
    "item": _ITEM_FIELDS,
    "aggregate": _AGGREGATE_FIELDS,
}

#: keys each indicator type needs
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "proportion": ("numerator",),
    "mean": ("question",),
    "median": ("question",),
    "distribution": ("question",),
    "shares": ("question",),
    "ratio": ("numerator_question", "denominator_question"),
    "mean_of_proportions": ("components",),
    "index": ("items",),
}


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Text:
    """A text per language; :meth:`get` falls back to the first language given."""

    values: Mapping[str, str] = field(default_factory=lambda: _frozen(None))

    def get(self, language: str | None = None) -> str:
        if language and language in self.values:
            return self.values[language]
        return next(iter(self.values.values()), "")

    def __bool__(self) -> bool:
        return bool(self.values)

    def __str__(self) -> str:
        return self.get()


@dataclass(frozen=True)
class IndexItem:
    """One item of a composite index: a rescaled question, a binary condition pair, or an indicator."""

    kind: str  # "question" | "condition" | "indicator"
    label: Text = field(default_factory=Text)
    question: str | None = None
    range: tuple[float, float] | None = None
    reverse: bool = False
    favourable: Condition | None = None
    unfavourable: Condition | None = None
    indicator: str | None = None
    weight: float = 1.0
    location: Location = field(default_factory=Location, compare=False)

    @property
    def name(self) -> str:
        """A short name for tables: the question, the indicator or the label."""
        return self.question or self.indicator or self.label.get() or "condition"


@dataclass(frozen=True)
class Indicator:
    """One indicator definition (see :data:`SECTIONS` ``indicator`` for the meaning of each field)."""

    id: str
    type: str
    label: Text
    universe: Condition
    description: Text = field(default_factory=Text)
    sdg: str | None = None
    variant_of: str | None = None
    unit: str = "percent"
    direction: str = "neutral"
    numerator: Condition | None = None
    denominator: Condition | None = None
    where: Condition | None = None
    question: str | None = None
    scores: Mapping[str, float] = field(default_factory=lambda: _frozen(None))
    codes: tuple[str, ...] = ()
    numerator_question: str | None = None
    denominator_question: str | None = None
    components: tuple[str, ...] = ()
    method: str = "mean"
    scale: tuple[float, float] = DEFAULT_INDEX_SCALE
    min_valid_items: int = 3
    items: tuple[IndexItem, ...] = ()
    dk_refused: str = "excluded"
    repeat: str | None = None
    disaggregations: tuple[str, ...] = ()
    sensitive: bool = False
    notes: Text = field(default_factory=Text)
    location: Location = field(default_factory=Location, compare=False)

    def conditions(self) -> dict[str, Condition]:
        """Every condition of the indicator by role (universe, numerator, item 2 favourable...)."""
        out = {"universe": self.universe}
        for role in ("numerator", "denominator", "where"):
            cond = getattr(self, role)
            if cond is not None:
                out[role] = cond
        for i, item in enumerate(self.items):
            for role in ("favourable", "unfavourable"):
                cond = getattr(item, role)
                if cond is not None:
                    out[f"items[{i}].{role}"] = cond
        return out

    def questions(self) -> set[str]:
        """Every question the indicator reads (conditions, summarised questions, items)."""
        names = set().union(*(c.questions() for c in self.conditions().values()))
        names |= {q for q in (self.question, self.numerator_question, self.denominator_question) if q}
        names |= {item.question for item in self.items if item.question}
        return names

    @property
    def weighted(self) -> bool:
        """An index whose items carry weights other than 1 (a weighted composite score)."""
        return any(item.weight != 1.0 for item in self.items)

    def references(self) -> tuple[str, ...]:
        """Ids of other indicators this one is built from (components, indicator items)."""
        return tuple(self.components) + tuple(i.indicator for i in self.items if i.indicator)


@dataclass(frozen=True)
class Aggregate:
    """A respondent-level column computed from the rows of a repeat (see ``aggregates:``)."""

    name: str
    repeat: str
    function: str
    condition: Condition | None = None
    value: str | None = None
    where: Condition | None = None
    label: Text = field(default_factory=Text)
    location: Location = field(default_factory=Location, compare=False)

    def questions(self) -> set[str]:
        """The repeat's (and respondent's) questions the aggregate reads."""
        names = {self.value} if self.value else set()
        for cond in (self.condition, self.where):
            if cond is not None:
                names |= cond.questions()
        return names


@dataclass(frozen=True)
class Defaults:
    universe: Condition
    disaggregations: tuple[str, ...] = ()
    dk_codes: tuple[str, ...] = DEFAULT_DK_CODES
    refused_codes: tuple[str, ...] = DEFAULT_REFUSED_CODES
    dk_refused: str = "excluded"
    min_valid_items: int = 3


@dataclass(frozen=True)
class IndicatorSpec:
    """A whole indicators file: metadata, defaults and the ordered indicators."""

    indicators: tuple[Indicator, ...]
    defaults: Defaults
    spec_version: int = 1
    title: Text = field(default_factory=Text)
    version: str | None = None
    languages: tuple[str, ...] = ("en",)
    source: str | None = None
    aggregates: tuple[Aggregate, ...] = ()

    def __iter__(self):
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def questions(self) -> set[str]:
        """Every question any indicator reads, plus the disaggregation columns (aggregates excluded)."""
        out: set[str] = set()
        for ind in self.indicators:
            out |= ind.questions() | set(ind.disaggregations)
        return out - {a.name for a in self.aggregates}
