"""The project file (``survey.yaml``): everything a round-by-round analysis needs, in one place.

:func:`load_project` reads the file with the located-YAML machinery of the indicators spec
(:mod:`survey_toolkit.indicators.yamlsource`), checks its structure (types, required keys, unknown keys
with a "did you mean" hint, files that do not exist, duplicate round ids, an output folder that is a file
or would overwrite an input file: :func:`output_problems`) and returns a frozen
:class:`Project`; every problem is reported at ``file:line:column`` and raised together in a
:class:`~survey_toolkit.errors.SpecError`. :func:`check_project` returns the problems instead of raising.

Relative paths in the file are relative to the folder holding it. The format is documented in
``docs/project-file.md``; numeric defaults are not repeated here: a key left out means "use the library
default" (:class:`~survey_toolkit.disclosure.ReportingRules`, :func:`~survey_toolkit.quality.check_quality`,
:class:`~survey_toolkit.design.Design`).

Example:
    >>> project = load_project("examples/demo/survey.yaml")     # doctest: +SKIP
    >>> [r.id for r in project.rounds]                          # doctest: +SKIP
    ['R1', 'R2', 'R3']
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .design import REPLICATE_TYPES, Replicates
from .disclosure import ReportingRules
from .errors import Location, Problem, SpecError, ValidationReport, did_you_mean
from .i18n import available_languages, has_interface
from .indicators.yamlsource import SourceMap, read_yaml
from .offlist import DEFAULT_OFF_LIST_MAX_SHARE, OFF_LIST_RULES, OffListRule
from .outputs import is_language_tag
from .weighting.margins import MARGINS_KINDS

if TYPE_CHECKING:
    from .derive import Derived

__all__ = [
    "PROJECT_FILE",
    "Project",
    "Round",
    "RemoteSource",
    "SmallAreaSettings",
    "ShareSettings",
    "PlanSettings",
    "DesignSettings",
    "BaseWeightSettings",
    "WeightingSettings",
    "QualitySettings",
    "LocationSettings",
    "ReportSettings",
    "EstimationSettings",
    "load_project",
    "check_project",
    "project_path",
    "output_problems",
    "OUTPUT_FILES",
]

PROJECT_FILE = "survey.yaml"
"""The project file's name when a folder is given."""

WEIGHTING_METHODS = ("rake", "post_stratify", "calibrate", "none")
CALFUNS = ("linear", "raking", "logit")
MISSING_WEIGHTS = ("error", "exclude", "impute")

OPTIONAL_KEYS_TEMPLATE = """\
# ---- Optional keys: uncomment what your survey needs (docs/project-file.md explains each) ----------
# na_values: [NA, 'N/A', '-99']     # cells read as missing in every export (replaces the default set)
# select_multiple_source: choices   # summary column or 0/1 columns disagree: 'choices' (default) or 'summary' wins
# off_list: missing                 # answers whose code is not in the form's list: 'missing' (default) or 'other'
# off_list_questions: {{{question}: other}}   # the same, per select question
# off_list_max_share: 0.05          # validate and run stop above this share of a question's answers off-list
# cleaning_log: cleaning_log.xlsx   # corrections: record id, question, old value, new value, reason
# extra_columns: [zone]             # export columns that are not questions of the form
# derive:                           # variables built with the indicators' condition language
#   - name: {question}_group
#     when:
#       - {{if: "{question} in [1, 2]", value: low}}
#     else: other
# estimation:                       # reproduce a partner's published tables
#   interval: wald                  # interval of percentages (default xlogit, as R svyciprop)
#   df: design                      # degrees of freedom of the whole design (default: per domain)
# In indicators.yaml: 'defaults: {{universe: all}}' when the survey has no consent question;
# 'repeat: <group>' estimates an indicator over roster or loop rows, 'aggregates:' brings them onto
# the respondent (docs/indicators.md).
"""
"""Commented YAML naming the optional project keys adopters look for; ``init`` templates end with it
(``.format(question=...)`` names a select question of the form in the examples)."""
LONELY_PSU = ("fail", "remove", "certainty", "adjust", "average")
CHART_FORMATS = ("png", "svg")

OUTPUT_FILES = (
    "quality.csv",
    "exclusions.csv",
    "cleaning_log_applied.csv",
    "weights.csv",
    "weight_diagnostics.csv",
    "results.csv",
    "comparisons.csv",
    "results.parquet",
    "comparisons.parquet",
    "report.*.html",
    "results.*.xlsx",
    "charts/*",
    "plan.csv",
    "plan.xlsx",
    "plan.svg",
    "small_areas.csv",
    "small_areas.xlsx",
    "small_areas.svg",
    "shared/*",
)
"""The files the workflow writes into the output folder (glob patterns, relative to it)."""


def _frozen(mapping: Mapping | None) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


SERVERS = ("kobo", "central")


@dataclass(frozen=True)
class RemoteSource:
    """Where ``survey-toolkit pull`` fetches a round from: a KoBoToolbox asset or an ODK Central form.

    Credentials are never part of it: they come from environment variables (docs/project-file.md).
    """

    server: str
    """``kobo`` or ``central``."""
    url: str
    """The server's address, e.g. ``https://kf.kobotoolbox.org`` or ``https://central.example.org``."""
    folder: Path
    """Where the pulled files go (default: ``<project>/<round id>/``)."""
    asset: str | None = None
    """KoBoToolbox: the asset uid (the form's id in its URL)."""
    project: int | None = None
    """ODK Central: the numeric project id."""
    form: str | None = None
    """ODK Central: the form id (xmlFormId)."""
    location: Location = field(default_factory=Location, compare=False)


@dataclass(frozen=True)
class Round:
    """One survey round: its id, label, date, export files and the renames of its form version."""

    id: str
    label: Mapping[str, str]
    files: tuple[Path, ...]
    date: _dt.date | None = None
    instrument: Path | None = None
    """The XLSForm this round was collected with, when it differs from the project's."""
    rename_questions: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    """old question name -> the project's question name."""
    rename_choices: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _frozen(None))
    """question (its name in the project's form) -> {old code -> the project's code}."""
    choice_keys: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    """question -> the key the project file wrote it under in ``rename.choices`` (old or project name)."""
    accept_changes: tuple[str, ...] = ()
    cleaning_logs: tuple[Path, ...] = ()
    """Cleaning logs of this round (record id, question, old value, new value, reason)."""
    """Questions whose type, codes or labels changed in this round's form and that are compared as they are."""
    encoding: str | None = None
    """The text encoding of the round's CSV exports (``cp1252``, ``latin-1``); None: detected."""
    delimiter: str | None = None
    """The field delimiter of the round's CSV exports; None: detected."""
    source: RemoteSource | None = None
    """The server ``survey-toolkit pull`` fetches this round from (None: files are copied by hand)."""
    na_values: tuple[str, ...] | None = None
    """Missing-value markers of the round's exports (the round's, else the project's ``na_values``);
    None: the loaders' default set (``survey_toolkit.io.values.NA_VALUES``)."""
    select_multiple_source: str | None = None
    """``choices`` or ``summary``: the side of a select_multiple kept where its summary and 0/1 columns
    disagree (the round's, else the project's); None: the loaders' default (``choices``)."""
    location: Location = field(default_factory=Location, compare=False)

    @property
    def load_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`survey_toolkit.load` this round sets (encoding, delimiter,
        na_values)."""
        options = {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "na_values": self.na_values,
            "select_multiple_source": self.select_multiple_source,
        }
        return {k: v for k, v in options.items() if v is not None}

    def label_in(self, lang: str) -> str:
        """The round's label in ``lang`` (falls back to English, then to the id)."""
        return self.label.get(lang) or self.label.get("en") or next(iter(self.label.values()), self.id)


@dataclass(frozen=True)
class BaseWeightSettings:
    """Design weights from the sample plan: ``w = population_h / prod(sample_h) x eligible``."""

    sample_frame: Path
    stratum: str = "stratum"
    """The stratum id column of the sample frame (matched with the data's stratum column)."""
    population: str = "households"
    """Sample-frame column: the stratum's population size (N_h)."""
    sample: tuple[str, ...] = ("psu_sampled", "households_per_psu")
    """Sample-frame columns multiplied into the stratum's sample size (n_h)."""
    eligible: str | None = None
    """Data column: eligible adults in the household (one adult interviewed per household)."""
    eligible_cap: int | None = None
    fpc: str | None = None
    """Sample-frame column with the number of PSUs in the stratum's frame (finite population correction)."""


@dataclass(frozen=True)
class DesignSettings:
    """The sampling design: which columns hold strata, PSUs and weights, and how to build them."""

    strata: str | None = None
    psu: str | None = None
    weights: str | None = None
    """An existing design-weight column, used as it is (any scale); when None, weights come from
    ``probabilities``, ``base_weights`` (or are all 1)."""
    probabilities: str | None = None
    """A column of selection (inclusion) probabilities, ``0 < p <= 1``: the design weight is ``1 / p``."""
    missing_weights: str = "error"
    """Rows without a design weight (or probability): ``error``, ``exclude`` (listed in exclusions.csv) or
    ``impute`` (the mean design weight of the respondent's stratum; of all respondents without strata)."""
    fpc: str | None = None
    strata_from: tuple[str, ...] = ()
    """Build the ``strata`` column by joining these columns with ``strata_separator``."""
    strata_separator: str = "-"
    lonely_psu: str | None = None
    base_weights: BaseWeightSettings | None = None
    nest: bool = False
    """PSU ids restart within each stratum (``Design(..., nest=True)``)."""
    replicates: Replicates | None = None
    """Replicate weights in the data (``Design(replicates=Replicates(...))``); no strata/psu/fpc then."""


@dataclass(frozen=True)
class WeightingSettings:
    """Calibration of each round to population margins, with optional trimming."""

    margins: Path | None = None
    method: str = "rake"
    trim_upper: float | None = None
    trim_lower: float | None = None
    trim_relative_to: str | None = None
    partial: bool = False
    """Post-stratification only: drop population cells without respondents (a warning, not an error)."""
    calfun: str = "linear"
    """``method: calibrate`` only: the distance, ``linear``, ``raking`` or ``logit`` (R ``calfun``)."""
    bounds: tuple[float, float] | None = None
    """``method: calibrate`` only: limits of the ratio new/old weight (R ``bounds``)."""
    bounds_const: bool = False
    """``method: calibrate`` only: ``bounds`` limit the weights themselves (R ``bounds.const``)."""
    margins_are: str = "auto"
    """How the margins' populations are read: ``auto``, ``shares`` or ``counts`` (``read_margins(kind=)``)."""
    margins_encoding: str | None = None
    """The margins file's text encoding (``cp1252``, ``latin-1``); None: UTF-8."""


@dataclass(frozen=True)
class QualitySettings:
    """Overrides of the data-quality checks (None: the library defaults)."""

    min_duration: float | None = None
    min_age: float | None = None
    exclude: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LocationSettings:
    """The location hierarchy, coarsest first (``admin1``, ``admin2``), and display names by code."""

    levels: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=lambda: _frozen(None))


@dataclass(frozen=True)
class EstimationSettings:
    """How intervals are made (None: the library defaults of :func:`~survey_toolkit.compute`)."""

    interval: str | None = None
    """The interval of percentages: ``xlogit`` (default), ``wald`` (estimate ± t × SE), ``logit``,
    ``korn-graubard``, ``wilson``, ``asin``."""
    df: str = "domain"
    """Degrees of freedom: ``domain`` (PSUs minus strata with members in the domain, R ``svyby``) or
    ``design`` (the whole design's, R ``degf(design)``, Stata ``svy: subpop()``)."""


@dataclass(frozen=True)
class ReportSettings:
    """What the outputs show and where they go."""

    output: Path
    title: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    languages: tuple[str, ...] | None = None
    alpha: float | None = None
    fdr: float | None = None
    compare: tuple[str, ...] | None = None
    """Rounds in time order, latest last (None: every round, by date)."""
    rules: ReportingRules = field(default_factory=ReportingRules)
    indicators: tuple[str, ...] | None = None
    disaggregate: bool = True
    chart_formats: tuple[str, ...] | None = None
    parquet: bool | None = None
    show_empty: bool = False
    """Keep locations and groups with no respondent in a round (rows with n = 0) in tables and charts."""


@dataclass(frozen=True)
class SmallAreaSettings:
    """Fay-Herriot small-area estimates by location (``survey-toolkit small-areas``)."""

    covariates: Path
    """A CSV with one row per location: the location code and numeric covariates (census, admin data)."""
    level: str
    """The location level modelled (a column of ``locations.levels``, e.g. ``admin2``)."""
    location_column: str | None = None
    """The covariates file's column holding the location code (default: the level's name)."""
    use: tuple[str, ...] | None = None
    """Covariate columns in the model (default: every other numeric column)."""
    indicators: tuple[str, ...] | None = None
    """Indicators modelled (default: every non-sensitive percentage or mean indicator)."""
    substitute: bool = False
    """In ``run``'s report, workbook and tables, show the model-based figure (labelled as such) for the
    locations whose direct estimate is withheld for a statistical reason (small base, wide interval);
    never for a sensitive indicator or a cell withheld to protect respondents."""


@dataclass(frozen=True)
class PlanSettings:
    """Planning the next round (``survey-toolkit plan`` and the report's planning section)."""

    target_change: float = 10.0
    """The change to detect, in the indicator's unit (percentage points for percentages)."""
    alpha: float = 0.05
    power: float = 0.8
    overlap: float = 0.0
    """Share of the sample interviewed again next round (a panel), 0-1."""
    correlation: float = 0.0
    """Correlation of the same respondents' answers between rounds, -1 to 1."""
    indicators: tuple[str, ...] | None = None
    """Indicators planned and shown in the report (default: the percentage indicators)."""
    in_report: bool = True
    """Add the planning section to ``run``'s report and workbook."""

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`survey_toolkit.planning.plan_next_round`."""
        return {"target_change": self.target_change, "alpha": self.alpha, "power": self.power,
                "overlap": self.overlap, "correlation": self.correlation, "indicators": self.indicators}


@dataclass(frozen=True)
class ShareSettings:
    """How ``survey-toolkit share`` de-identifies the microdata for partners."""

    quasi_identifiers: tuple[str, ...] | None = None
    """Columns an outsider could know (location, sex, age...); default: those of ``sharing.DEFAULT_QUASI``."""
    k: int = 5
    coarsen: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    """column -> ``age_bands`` or the coarser column replacing it (``admin2: admin1``)."""
    drop: tuple[str, ...] = ()
    """More columns to drop besides the direct identifiers found from the form."""


@dataclass(frozen=True, eq=False)
class Project:
    """A checked project file: paths are absolute, rounds in file order."""

    path: Path
    instrument: Path | None
    """The XLSForm; None when the project has none and the form is built from the first round's
    SPSS/Stata value and variable labels (``survey_toolkit.instrument_from_data``)."""
    indicators: Path
    rounds: tuple[Round, ...]
    design: DesignSettings
    weighting: WeightingSettings
    quality: QualitySettings
    locations: LocationSettings
    report: ReportSettings
    title: Mapping[str, str] = field(default_factory=lambda: _frozen(None))
    source: SourceMap | None = None
    small_areas: SmallAreaSettings | None = None
    share: ShareSettings | None = None
    plan: PlanSettings = field(default_factory=PlanSettings)
    estimation: EstimationSettings = field(default_factory=EstimationSettings)
    cleaning_logs: tuple[Path, ...] = ()
    """Cleaning logs for every round (each row applies to the round holding its record)."""
    derive: tuple[Derived, ...] = ()
    """Derived variables (``survey_toolkit.derive``), in declaration order."""
    extra_columns: tuple[str, ...] = ()
    """Export columns that are not questions of the form, kept as data columns."""
    off_list: OffListRule = field(default_factory=OffListRule)
    """How answers outside a question's choice list count, and the share of them that stops a run
    (``off_list``, ``off_list_questions``, ``off_list_max_share``; ``survey_toolkit.offlist``)."""

    @property
    def root(self) -> Path:
        """The folder holding the project file (relative paths start here)."""
        return self.path.parent

    @property
    def round_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rounds)

    def round(self, round_id: str) -> Round:
        """The round with this id (KeyError when absent)."""
        for r in self.rounds:
            if r.id == round_id:
                return r
        raise KeyError(round_id)

    def locate(self, *path: Any) -> Location:
        """The file:line:column of a key path of the project file (e.g. ``"rounds", 0, "files"``)."""
        if self.source is None:
            return Location(file=str(self.path), path=tuple(path))
        return self.source.locate(tuple(path))

    def with_rounds(self, round_ids: tuple[str, ...] | list[str]) -> Project:
        """A copy keeping only these rounds (in the project's order)."""
        keep = set(round_ids)
        return dataclasses.replace(self, rounds=tuple(r for r in self.rounds if r.id in keep))


# ----------------------------------------------------------------------------------------------------
# structure checking


_TOP = {
    "version": "int",
    "title": "text",
    "instrument": "file",
    "indicators": "file",
    "rounds": "list",
    "design": "mapping",
    "weighting": "mapping",
    "quality": "mapping",
    "locations": "mapping",
    "report": "mapping",
    "small_areas": "mapping",
    "share": "mapping",
    "plan": "mapping",
    "estimation": "mapping",
    "cleaning_log": "files",
    "derive": "list",
    "extra_columns": "str_list1",
    "na_values": "str_list",
    "select_multiple_source": "str",
    "off_list": "str",
    "off_list_questions": "str_map",
    "off_list_max_share": "number",
}
_SHARE = {"quasi_identifiers": "str_list", "k": "int", "coarsen": "str_map", "drop": "str_list"}
_SMALL_AREAS = {"covariates": "file", "level": "str", "location_column": "str", "use": "str_list", "indicators": "str_list",
                "substitute": "bool"}
_PLAN = {"target_change": "number", "alpha": "number", "power": "number", "overlap": "number", "correlation": "number",
         "indicators": "str_list", "in_report": "bool"}
_PLAN_RANGES = {"target_change": (0.0, float("inf"), "a positive change, e.g. 10"),
                "alpha": (0.0, 1.0, "a level between 0 and 1, e.g. 0.05"),
                "power": (0.0, 1.0, "a probability between 0 and 1, e.g. 0.8"),
                "overlap": (-1e-12, 1.0 + 1e-12, "a share between 0 and 1"),
                "correlation": (-1.0 - 1e-12, 1.0 + 1e-12, "a correlation between -1 and 1")}
_REQUIRED_TOP = ("indicators", "rounds")
#: Exports whose value and variable labels can stand in for a missing form (``instrument:`` optional)
LABELLED_EXPORTS = (".sav", ".zsav", ".por", ".dta")
_ROUND = {
    "id": "str",
    "label": "text",
    "date": "date",
    "files": "files",
    "instrument": "file",
    "rename": "mapping",
    "accept_changes": "str_list",
    "cleaning_log": "files",
    "encoding": "str",
    "delimiter": "str",
    "source": "mapping",
    "na_values": "str_list",
    "select_multiple_source": "str",
}
_SOURCE = {"server": "str", "url": "str", "asset": "str", "project": "int", "form": "str", "folder": "str"}
_RENAME = {"questions": "str_map", "choices": "mapping"}
_DESIGN = {
    "strata": "str",
    "psu": "str",
    "weights": "str",
    "probabilities": "str",
    "missing_weights": "str",
    "fpc": "str",
    "strata_from": "str_list",
    "strata_separator": "str",
    "lonely_psu": "str",
    "base_weights": "mapping",
    "nest": "bool",
    "replicates": "mapping",
}
_REPLICATES = {
    "columns": "str_list",
    "type": "str",
    "scale": "number",
    "rscales": "list",
    "rho": "number",
    "mse": "bool",
    "combined_weights": "bool",
    "df": "number",
}
_BASE = {
    "sample_frame": "file",
    "stratum": "str",
    "population": "str",
    "sample": "str_list1",
    "eligible": "str",
    "eligible_cap": "int",
    "fpc": "str",
}
_ESTIMATION = {"interval": "str", "df": "str"}
INTERVALS = ("xlogit", "wald", "logit", "korn-graubard", "wilson", "asin", "likelihood")
DF_RULES = ("domain", "design")
_WEIGHTING = {"margins": "file", "method": "str", "trim": "mapping", "partial": "bool", "calfun": "str",
              "bounds": "list", "bounds_const": "bool", "margins_are": "str", "margins_encoding": "str"}
_TRIM = {"upper": "number", "lower": "number", "relative_to": "str"}
_QUALITY = {"min_duration": "number", "min_age": "number", "exclude": "str_list"}
_LOCATIONS = {"levels": "str_list", "names": "str_map"}
_REPORT = {
    "title": "text",
    "languages": "str_list1",
    "output": "str",
    "significance": "number",
    "fdr": "number",
    "compare": "str_list1",
    "suppression": "mapping",
    "indicators": "str_list1",
    "disaggregate": "bool",
    "charts": "str_list1",
    "parquet": "bool",
    "show_empty": "bool",
}
_RULE_FIELDS = {f.name: f for f in dataclasses.fields(ReportingRules)}

_KIND_TEXT = {
    "int": "a whole number",
    "number": "a finite number",
    "bool": "true or false",
    "str": "a text value",
    "text": "a text, or a mapping of language code to text",
    "file": "the path of a file",
    "files": "a file path or a list of file paths",
    "list": "a list",
    "mapping": "a mapping of keys to values",
    "str_list": "a list of text values",
    "str_list1": "a list of one or more text values (leave the key out for the default)",
    "str_map": "a mapping of text to text",
    "date": "a date (YYYY-MM-DD)",
}


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} (not a finite number: .inf, -.inf and .nan are not bounds)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return type(value).__name__


class _Ctx:
    """Collects problems while walking the plain data, resolving paths against the project folder."""

    def __init__(self, source: SourceMap, root: Path) -> None:
        self.source = source
        self.root = root
        self.problems: list[Problem] = []
        self.round_ids: list[str] = []
        """Every round id the file declares, even of rounds with other mistakes."""
        self.pulling = False
        """True while ``pull`` reads the project: files a pull will write need not exist yet."""

    def add(self, code: str, message: str, path: tuple, *, key: bool = False, **kw: Any) -> None:
        self.problems.append(Problem(code, message, self.source.locate(path, key=key), **kw))

    def keys(self, data: Any, allowed: Mapping[str, str], path: tuple, what: str) -> dict:
        """``data`` as a dict (problem when it is not one); unknown keys reported with a close match."""
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.add("wrong-type", f"{what} must be a mapping", path, expected="key: value lines",
                     got=_type_name(data))  # fmt: skip
            return {}
        for key in data:
            if key not in allowed:
                self.add(
                    "unknown-key",
                    f"unknown key '{key}' in {what}",
                    (*path, key),
                    key=True,
                    expected=", ".join(allowed),
                    got=str(key),
                    hint=did_you_mean(str(key), allowed) or "remove it or check the spelling",
                )
        return {k: v for k, v in data.items() if k in allowed}

    def value(self, data: dict, key: str, kind: str, path: tuple) -> Any:
        """The checked value of ``data[key]`` (None when absent or wrong; problems recorded)."""
        if key not in data or data[key] is None:
            return None
        value = data[key]
        where = (*path, key)
        checker = _CHECKERS[kind]
        ok, out = checker(self, value, where)
        if not ok:
            self.add("wrong-type", f"'{key}' must be {_KIND_TEXT[kind]}", where,
                     expected=_KIND_TEXT[kind], got=_type_name(value))  # fmt: skip
            return None
        return out

    def require(self, data: dict, key: str, path: tuple, what: str) -> bool:
        if data.get(key) is None:
            self.add("missing-key", f"{what} has no '{key}'", path, key=True, expected=f"a '{key}:' line", got="none",
                     hint=f"add '{key}:' ({_KIND_TEXT.get(_ALL_KINDS.get(key, 'str'), 'a value')})")  # fmt: skip
            return False
        return True

    def file(self, value: Any, where: tuple) -> tuple[bool, Path | None]:
        if not isinstance(value, str) or not value.strip():
            return False, None
        path = (self.root / value).resolve() if not Path(value).is_absolute() else Path(value)
        if path.is_dir():
            inside = _near_files(path / "x")[:3]
            self.add(
                "not-a-file",
                f"'{value}' is a folder, not a file",
                where,
                expected="the path of a file",
                got=f"the folder {path}",
                hint="name a file inside it"
                + (f", e.g. '{value.rstrip('/')}/{inside[0]}'" if inside else "")
                + ", or remove the folder of that name",
            )
            return True, None
        if not path.is_file():
            near = [n for n in _near_files(path) if n != path.name]
            self.add(
                "missing-file",
                f"the file '{value}' does not exist",
                where,
                expected=f"a file relative to {self.root}",
                got=str(path),
                hint=did_you_mean(path.name, near) or "check the path; it is relative to the project file's folder",
            )
            return True, None
        return True, path


def _near_files(path: Path) -> list[str]:
    try:
        return sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
    except OSError:
        return []


def _check_int(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return (isinstance(v, int) and not isinstance(v, bool)), v


def _check_number(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return ok, float(v) if ok else None


def _check_bool(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return isinstance(v, bool), v


def _check_str(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        return False, None
    return True, str(v)


def _check_text(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return True, _frozen({"en": str(v)})
    if isinstance(v, dict) and v and all(isinstance(x, (str, int, float)) for x in v.values()):
        return True, _frozen({str(k): str(x) for k, x in v.items()})
    return False, None


def _check_files(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not items or not all(isinstance(x, str) for x in items):
        return False, None
    paths = []
    for i, item in enumerate(items):
        _, path = ctx.file(item, where if isinstance(v, str) else (*where, i))
        paths.append(path)
    return True, tuple(paths)


def _check_file(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return ctx.file(v, where)


def _check_list(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return isinstance(v, list), v


def _check_mapping(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    return isinstance(v, dict), v


def _check_str_list(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in items):
        return False, None
    return True, tuple(str(x) for x in items)


def _check_str_list1(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    ok, out = _check_str_list(ctx, v, where)
    return (ok and bool(out)), out


def _check_str_map(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if not isinstance(v, dict) or not all(isinstance(x, (str, int, float)) for x in v.values()):
        return False, None
    return True, _frozen({str(k): str(x) for k, x in v.items()})


def _check_date(ctx: _Ctx, v: Any, where: tuple) -> tuple[bool, Any]:
    if isinstance(v, _dt.datetime):
        return True, v.date()
    if isinstance(v, _dt.date):
        return True, v
    if isinstance(v, str):
        try:
            return True, _dt.date.fromisoformat(v)
        except ValueError:
            return False, None
    return False, None


_CHECKERS: dict[str, Callable[[_Ctx, Any, tuple], tuple[bool, Any]]] = {
    "int": _check_int,
    "number": _check_number,
    "bool": _check_bool,
    "str": _check_str,
    "text": _check_text,
    "file": _check_file,
    "files": _check_files,
    "list": _check_list,
    "mapping": _check_mapping,
    "str_list": _check_str_list,
    "str_list1": _check_str_list1,
    "str_map": _check_str_map,
    "date": _check_date,
}
_ALL_KINDS = {**_SOURCE, **_REPORT, **_BASE, **_DESIGN, **_REPLICATES, **_ROUND, **_TOP}


def _choice(ctx: _Ctx, value: str | None, allowed: tuple[str, ...], where: tuple, what: str) -> str | None:
    if value is None or value in allowed:
        return value
    ctx.add("bad-value", f"{what} '{value}' is not known", where, expected=", ".join(allowed), got=value,
            hint=did_you_mean(value, allowed) or f"use one of: {', '.join(allowed)}")  # fmt: skip
    return None


def _off_list(ctx: _Ctx, raw: Mapping[str, Any]) -> OffListRule:
    """``off_list`` (missing / other), ``off_list_questions`` (question: rule), ``off_list_max_share`` (0-1)."""
    answers = _choice(ctx, ctx.value(raw, "off_list", "str", ()), OFF_LIST_RULES, ("off_list",), "off_list")
    questions = {}
    for name, rule in (ctx.value(raw, "off_list_questions", "str_map", ()) or {}).items():
        if _choice(ctx, rule, OFF_LIST_RULES, ("off_list_questions", name), f"off_list of '{name}'") is not None:
            questions[name] = rule
    share = ctx.value(raw, "off_list_max_share", "number", ())
    if share is not None and not 0 <= share <= 1:
        ctx.add("bad-value", f"'off_list_max_share' must be a share between 0 and 1, not {share:g}",
                ("off_list_max_share",), expected="a number from 0 to 1 (0.05 = 5% of a question's answers)",
                got=f"{share:g}", hint="write the share as a fraction: 0.1 for 10%")  # fmt: skip
        share = None
    return OffListRule(answers or "missing", MappingProxyType(questions),
                       DEFAULT_OFF_LIST_MAX_SHARE if share is None else float(share))  # fmt: skip


def _above(ctx: _Ctx, value: float | None, bound: float, where: tuple, *, strict: bool = True) -> float | None:
    """``value`` when it is above ``bound`` (or at it, without ``strict``), else a located problem."""
    if value is None or value > bound or (not strict and value == bound):
        return value
    sign = ">" if strict else ">="
    ctx.add("bad-value", f"'{where[-1]}' must be {sign} {bound:g}", where, expected=f"a number {sign} {bound:g}",
            got=f"{value:g}")  # fmt: skip
    return None


QUALITY_CHECKS = ("duplicate-record-id", "duplicate-submission-id", "duplicate-row", "no-consent", "under-age",
                  "too-short", "bad-duration", "value-not-in-choices", "constraint-violated",
                  "several-form-versions", "question-not-in-export", "column-not-in-form")  # fmt: skip
"""The data-quality check codes ``quality.exclude`` may name (``docs/data-quality.md``)."""


def _estimation(ctx: _Ctx, data: Any) -> EstimationSettings:
    path = ("estimation",)
    raw = ctx.keys(data, _ESTIMATION, path, "estimation")
    interval = _choice(ctx, ctx.value(raw, "interval", "str", path), INTERVALS, (*path, "interval"), "interval")
    df = _choice(ctx, ctx.value(raw, "df", "str", path), DF_RULES, (*path, "df"), "df rule")
    return EstimationSettings(interval=interval, df=df or "domain")


_DERIVE = {"name": "str", "label": "text", "when": "list", "else": "str"}
_RULE = {"if": "str", "value": "str", "label": "text"}


def _derive(ctx: _Ctx, items: list | None) -> tuple[Derived, ...]:
    """The ``derive:`` list: each variable's rules parsed with the indicators' condition parser."""
    from .derive import Derived, Rule
    from .expressions import ConditionSyntaxError, parse_condition

    out: list[Derived] = []
    seen: set[str] = set()
    for i, item in enumerate(items or ()):
        path = ("derive", i)
        raw = ctx.keys(item, _DERIVE, path, f"derived variable {i + 1}")
        if not isinstance(item, dict):
            continue
        ok = ctx.require(raw, "name", path, f"derived variable {i + 1}") & ctx.require(raw, "when", path,
                                                                                       f"derived variable {i + 1}")  # fmt: skip
        name = ctx.value(raw, "name", "str", path)
        if name is not None and name in seen:
            ctx.add("bad-value", f"the derived variable '{name}' is declared twice", (*path, "name"), got=name)
            ok = False
        rules = []
        for j, rule in enumerate(ctx.value(raw, "when", "list", path) or ()):
            rpath = (*path, "when", j)
            rraw = ctx.keys(rule, _RULE, rpath, "a rule")
            if not isinstance(rule, dict) or not (ctx.require(rraw, "if", rpath, "the rule")
                                                  & ctx.require(rraw, "value", rpath, "the rule")):  # fmt: skip
                ok = False
                continue
            text = ctx.value(rraw, "if", "str", rpath)
            try:
                condition = parse_condition(text or "")
            except ConditionSyntaxError as exc:
                ctx.add("condition-syntax", f"the condition of {name}'s rule {j + 1} cannot be read: {exc.message} "
                        f"(at character {exc.offset + 1})", (*rpath, "if"), got=text, hint=exc.hint)  # fmt: skip
                ok = False
                continue
            rules.append(Rule(condition, ctx.value(rraw, "value", "str", rpath) or "",
                              ctx.value(rraw, "label", "text", rpath) or _frozen(None)))  # fmt: skip
        if ok and name is not None and rules:
            seen.add(name)
            out.append(Derived(name, tuple(rules), ctx.value(raw, "else", "str", path),
                               ctx.value(raw, "label", "text", path) or _frozen(None), ctx.source.locate(path)))  # fmt: skip
    return tuple(out)


def _quality(ctx: _Ctx, data: Any) -> QualitySettings:
    path = ("quality",)
    raw = ctx.keys(data, _QUALITY, path, "quality")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _QUALITY.items()}
    for key in ("min_duration", "min_age"):
        values[key] = _above(ctx, values[key], 0, (*path, key), strict=False)
    for i, code in enumerate(values["exclude"] or ()):
        _choice(ctx, code, QUALITY_CHECKS, (*path, "exclude", i), "quality check")
    return QualitySettings(**values)


def _rename(ctx: _Ctx, data: Any, path: tuple) -> tuple[Mapping, Mapping, Mapping]:
    """Question renames, choice recodes keyed by the project's question name (a question may be written
    under its old name), and the key each was written under."""
    raw = ctx.keys(data, _RENAME, path, "rename")
    questions = ctx.value(raw, "questions", "str_map", path) or _frozen(None)
    choices_raw = ctx.value(raw, "choices", "mapping", path) or {}
    choices: dict[str, Mapping] = {}
    keys: dict[str, str] = {}
    for question, codes in choices_raw.items():
        ok, mapping = _check_str_map(ctx, codes, (*path, "choices", question))
        if not ok:
            ctx.add("wrong-type", f"the choice renames of '{question}' must map old codes to new codes",
                    (*path, "choices", question), expected="old_code: new_code lines", got=_type_name(codes))  # fmt: skip
            continue
        name = questions.get(str(question), str(question))
        if name in choices:
            ctx.add("duplicate-key", f"the choice renames of '{name}' are given twice (under its old and new name)",
                    (*path, "choices", question), key=True, got=str(question),
                    hint="keep one entry per question")  # fmt: skip
            continue
        choices[name] = mapping
        keys[name] = str(question)
    return questions, _frozen(choices), _frozen(keys)


def _rounds(
    ctx: _Ctx, data: Any, na_values: tuple[str, ...] | None = None, sm_source: str | None = None
) -> tuple[Round, ...]:
    if not isinstance(data, list) or not data:
        ctx.add("no-rounds", "'rounds' must list at least one round", ("rounds",), key=True,
                expected="a list of rounds, each with 'id' and 'files'",
                got="an empty list" if data == [] else _type_name(data),
                hint="add '- id: R1' and '  files: [round1.xlsx]' under 'rounds:'")  # fmt: skip
        return ()
    rounds: list[Round] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data):
        path = ("rounds", i)
        raw = ctx.keys(item, _ROUND, path, f"round {i + 1}")
        if not isinstance(item, dict):
            continue
        has_source = isinstance(raw.get("source"), dict)
        ok = ctx.require(raw, "id", path, f"round {i + 1}")
        if not has_source:
            ok &= ctx.require(raw, "files", path, f"round {i + 1}")
        rid = ctx.value(raw, "id", "str", path)
        if rid is not None and rid in seen:
            ctx.add("duplicate-round", f"round id '{rid}' is used twice (first by round {seen[rid] + 1})",
                    (*path, "id"), expected="a different id per round", got=rid)  # fmt: skip
            ok = False
        elif rid is not None:
            seen[rid] = i
        if rid is not None:
            ctx.round_ids.append(rid)
        source = _source(ctx, raw.get("source"), (*path, "source"), rid) if has_source or "source" in raw else None
        if source is not None:
            files = _pulled_files(ctx, raw, source, path, rid)
        else:
            files = ctx.value(raw, "files", "files", path)
        label = ctx.value(raw, "label", "text", path)
        date = ctx.value(raw, "date", "date", path)
        round_form = ctx.value(raw, "instrument", "file", path)
        questions, choices, choice_keys = _rename(ctx, raw.get("rename"), (*path, "rename"))
        encoding = _encoding(ctx, ctx.value(raw, "encoding", "str", path), (*path, "encoding"))
        delimiter = _delimiter(ctx, ctx.value(raw, "delimiter", "str", path), (*path, "delimiter"))
        markers = ctx.value(raw, "na_values", "str_list", path) if "na_values" in raw else na_values
        round_sm = _sm_source(ctx, raw, path) or sm_source
        if ok and rid is not None and files and all(f is not None for f in files):
            rounds.append(
                Round(
                    id=rid,
                    label=label or _frozen({"en": rid}),
                    files=files,
                    date=date,
                    instrument=round_form,
                    rename_questions=questions,
                    rename_choices=choices,
                    choice_keys=choice_keys,
                    accept_changes=ctx.value(raw, "accept_changes", "str_list", path) or (),
                    cleaning_logs=ctx.value(raw, "cleaning_log", "files", path) or (),
                    encoding=encoding,
                    delimiter=delimiter,
                    source=source,
                    na_values=markers,
                    select_multiple_source=round_sm,
                    location=ctx.source.locate(path),
                )
            )
    return tuple(rounds)


def _source(ctx: _Ctx, data: Any, path: tuple, rid: str | None) -> RemoteSource | None:
    """The round's server source; problems for a missing url, id or an unknown server."""
    if not isinstance(data, dict):
        ctx.value({"source": data}, "source", "mapping", path[:-1])
        return None
    raw = ctx.keys(data, _SOURCE, path, "source")
    ok = ctx.require(raw, "server", path, "source") & ctx.require(raw, "url", path, "source")
    server = _choice(ctx, ctx.value(raw, "server", "str", path), SERVERS, (*path, "server"), "server")
    url = ctx.value(raw, "url", "str", path)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        ctx.add("bad-value", "the server url must start with https://", (*path, "url"),
                expected="e.g. https://kf.kobotoolbox.org", got=url)  # fmt: skip
        ok = False
    elif url is not None and ("@" in url.split("//", 1)[1].split("/", 1)[0] or "?" in url):
        ctx.add("credentials-in-project", "the server url must not carry a user name, password or token",
                (*path, "url"), expected="only the address, e.g. https://kf.kobotoolbox.org",
                got="an address with credentials (not shown)",
                hint="remove them from survey.yaml; set KOBO_TOKEN or ODK_CENTRAL_USERNAME/ODK_CENTRAL_PASSWORD "
                "in the environment instead")  # fmt: skip
        ok = False
    needs = {"kobo": ("asset",), "central": ("project", "form")}.get(server or "", ())
    for key in needs:
        ok &= ctx.require(raw, key, path, f"a {server} source")
    values = {k: ctx.value(raw, k, _SOURCE[k], path) for k in ("asset", "project", "form", "folder")}
    folder_text = values.pop("folder") or rid or "round"
    folder = (ctx.root / folder_text).resolve()
    if not ok or server is None or url is None or any(values[k] is None for k in needs):
        return None
    return RemoteSource(server=server, url=url.rstrip("/"), folder=folder, location=ctx.source.locate(path), **values)


def _pulled_files(ctx: _Ctx, raw: dict, source: RemoteSource, path: tuple, rid: str | None) -> tuple[Path, ...] | None:
    """The files of a round pulled from a server: ``files`` when given, else the file pull writes.

    Before the first pull they do not exist: a ``not-pulled`` problem says to run pull (``pull`` itself
    reads the project with ``pulling=True`` and skips it)."""
    from .pull.central import DATA_FILE as CENTRAL_FILE
    from .pull.kobo import DATA_FILE as KOBO_FILE

    given = raw.get("files")
    names = [given] if isinstance(given, str) else given if isinstance(given, list) else None
    if names is None:
        names = [str(source.folder / (KOBO_FILE if source.server == "kobo" else CENTRAL_FILE))]
    paths = tuple((ctx.root / n).resolve() if not Path(n).is_absolute() else Path(n) for n in names)
    if not ctx.pulling:
        missing = [p for p in paths if not p.is_file()]
        if missing:
            ctx.add("not-pulled", f"round {rid} has not been pulled from its server yet",
                    path, expected=str(missing[0]), got="no such file",
                    hint=f"run 'survey-toolkit pull PROJECT --round {rid}' first")  # fmt: skip
            return None
    return paths


def _sm_source(ctx: _Ctx, raw: dict, path: tuple) -> str | None:
    """``select_multiple_source``: ``choices`` or ``summary``, else a problem."""
    value = ctx.value(raw, "select_multiple_source", "str", path)
    if value is None or value in ("choices", "summary"):
        return value
    ctx.add("bad-value", f"select_multiple_source must be 'choices' or 'summary', not '{value}'",
            (*path, "select_multiple_source"), expected="choices or summary", got=value,
            hint="choices: the 0/1 columns win where they disagree with the summary column (default)")  # fmt: skip
    return None


def _encoding(ctx: _Ctx, value: str | None, where: tuple) -> str | None:
    """A text encoding Python knows (``cp1252``, ``latin-1``, ``utf-8``), else a problem."""
    if value is None:
        return None
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        known = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "cp1256", "iso-8859-15")
        ctx.add("bad-value", f"unknown text encoding '{value}'", where, expected=", ".join(known), got=value,
                hint=did_you_mean(value, known) or "use an encoding name such as cp1252 or latin-1")  # fmt: skip
        return None
    return value


def _delimiter(ctx: _Ctx, value: str | None, where: tuple) -> str | None:
    """One delimiter character (``\\t`` written as ``tab`` or ``"\\t"``), else a problem."""
    if value is None:
        return None
    value = {"tab": "\t", "\\t": "\t"}.get(value, value)
    if len(value) != 1:
        ctx.add("bad-value", f"the delimiter must be one character, got '{value}'", where,
                expected="',', ';', '|' or tab", got=value, hint="write e.g. delimiter: ';' (quoted)")  # fmt: skip
        return None
    return value


def _design(ctx: _Ctx, data: Any) -> DesignSettings:
    path = ("design",)
    raw = ctx.keys(data, _DESIGN, path, "design")
    base = None
    if raw.get("base_weights") is not None:
        bpath = (*path, "base_weights")
        braw = ctx.keys(raw["base_weights"], _BASE, bpath, "design.base_weights")
        ctx.require(braw, "sample_frame", bpath, "design.base_weights")
        frame = ctx.value(braw, "sample_frame", "file", bpath)
        given = {
            k: ctx.value(braw, k, _BASE[k], bpath)
            for k in ("stratum", "population", "sample", "eligible", "eligible_cap", "fpc")
        }
        given["eligible_cap"] = _above(ctx, given["eligible_cap"], 1, (*bpath, "eligible_cap"), strict=False)
        if frame is not None:
            base = BaseWeightSettings(frame, **{k: v for k, v in given.items() if v is not None})
    lonely = _choice(ctx, ctx.value(raw, "lonely_psu", "str", path), LONELY_PSU, (*path, "lonely_psu"),
                     "lonely_psu")  # fmt: skip
    strata_from = ctx.value(raw, "strata_from", "str_list", path) or ()
    strata = ctx.value(raw, "strata", "str", path)
    sources = [k for k in ("weights", "probabilities", "base_weights") if raw.get(k) is not None]
    if len(sources) > 1:
        ctx.add("bad-value", f"design has {' and '.join(repr(k) for k in sources)}: give one source of design weights",
                (*path, sources[1]), key=True, expected="one of weights (a weight column), probabilities (a "
                "selection-probability column) or base_weights (the sample plan)", got=", ".join(sources),
                hint=f"remove '{sources[1]}'")  # fmt: skip
    missing = _choice(ctx, ctx.value(raw, "missing_weights", "str", path), MISSING_WEIGHTS,
                      (*path, "missing_weights"), "missing_weights")  # fmt: skip
    if missing is not None and not (raw.get("weights") or raw.get("probabilities")):
        ctx.add("bad-value", "'missing_weights' applies to a weight or probability column of the data",
                (*path, "missing_weights"), expected="design.weights or design.probabilities", got=missing,
                hint="add 'weights: <column>' (or 'probabilities: <column>'), or remove 'missing_weights'")  # fmt: skip
    if strata_from and strata is None:
        ctx.add("missing-key", "design has 'strata_from' but no 'strata' column name to build", path, key=True,
                hint="add 'strata: stratum' (the name of the column to build)")  # fmt: skip
    replicates = _replicates(ctx, raw["replicates"], (*path, "replicates")) if raw.get("replicates") else None
    if replicates is not None:
        for key in ("strata", "psu", "fpc", "strata_from", "base_weights"):
            if raw.get(key) is not None:
                ctx.add("bad-value", f"a design with replicate weights takes no '{key}'", (*path, key),
                        expected="replicates alone (they carry the design)", got=key,
                        hint=f"remove '{key}', or remove 'replicates' for a Taylor design")  # fmt: skip
    return DesignSettings(
        strata=strata,
        psu=ctx.value(raw, "psu", "str", path),
        weights=ctx.value(raw, "weights", "str", path),
        probabilities=ctx.value(raw, "probabilities", "str", path),
        missing_weights=missing or "error",
        fpc=ctx.value(raw, "fpc", "str", path),
        strata_from=strata_from,
        strata_separator=ctx.value(raw, "strata_separator", "str", path) or "-",
        lonely_psu=lonely,
        base_weights=base,
        nest=bool(ctx.value(raw, "nest", "bool", path)),
        replicates=replicates,
    )


def _replicates(ctx: _Ctx, data: Any, path: tuple) -> Replicates | None:
    """``design.replicates``: the replicate weight columns and R ``svrepdesign``'s type and scales."""
    raw = ctx.keys(data, _REPLICATES, path, "design.replicates")
    ok = ctx.require(raw, "columns", path, "design.replicates")
    ok &= ctx.require(raw, "type", path, "design.replicates")
    rtype = _choice(ctx, ctx.value(raw, "type", "str", path), REPLICATE_TYPES, (*path, "type"), "replicate type")
    columns = ctx.value(raw, "columns", "str_list", path)
    options = {k: ctx.value(raw, k, _REPLICATES[k], path) for k in ("scale", "rho", "mse", "combined_weights", "df")}
    rscales = ctx.value(raw, "rscales", "list", path)
    if rscales is not None and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rscales):
        ctx.add("wrong-type", "'rscales' must be a list of numbers, one per replicate column", (*path, "rscales"),
                expected="[0.5, 0.5, ...]", got="a list with non-numbers")  # fmt: skip
        return None
    if not ok or rtype is None or not columns:
        return None
    try:
        return Replicates(tuple(columns), rtype, rscales=rscales,
                          **{k: v for k, v in options.items() if v is not None})  # fmt: skip
    except ValueError as err:
        ctx.add("bad-value", f"design.replicates: {err}", path, expected="R svrepdesign's arguments",
                got=str(rtype), hint="see 'Replicate weights' in docs/project-file.md")  # fmt: skip
        return None


def _weighting(ctx: _Ctx, data: Any) -> WeightingSettings:
    path = ("weighting",)
    raw = ctx.keys(data, _WEIGHTING, path, "weighting")
    method = _choice(ctx, ctx.value(raw, "method", "str", path), WEIGHTING_METHODS, (*path, "method"), "method")
    margins = ctx.value(raw, "margins", "file", path)
    if method in ("rake", "post_stratify", "calibrate") and "margins" not in raw:
        ctx.add("missing-key", f"weighting method '{method}' needs 'margins'", path, key=True,
                hint="add 'margins: census_margins.csv' or set 'method: none'")  # fmt: skip
    traw = ctx.keys(raw.get("trim"), _TRIM, (*path, "trim"), "weighting.trim")
    relative = _choice(ctx, ctx.value(traw, "relative_to", "str", (*path, "trim")), ("absolute", "median"),
                       (*path, "trim", "relative_to"), "relative_to")  # fmt: skip
    method = method or ("rake" if "margins" in raw else "none")
    partial = bool(ctx.value(raw, "partial", "bool", path))
    if partial and method != "post_stratify":
        ctx.add("bad-value", f"'partial' applies to post-stratification only, not to method '{method}'",
                (*path, "partial"), expected="method: post_stratify", got=method,
                hint="remove 'partial: true', or set 'method: post_stratify'")  # fmt: skip
    calfun, bounds, bounds_const = _calibration_options(ctx, raw, path, method)
    margins_are = _choice(ctx, ctx.value(raw, "margins_are", "str", path), MARGINS_KINDS, (*path, "margins_are"),
                          "margins_are")  # fmt: skip
    margins_encoding = _encoding(ctx, ctx.value(raw, "margins_encoding", "str", path), (*path, "margins_encoding"))
    tpath = (*path, "trim")
    upper = _above(ctx, ctx.value(traw, "upper", "number", tpath), 0, (*tpath, "upper"))
    lower = _above(ctx, ctx.value(traw, "lower", "number", tpath), 0, (*tpath, "lower"), strict=False)
    if upper is not None and lower is not None and lower >= upper:
        ctx.add("bad-value", f"the trimming bounds are crossed: lower {lower:g} is not below upper {upper:g}",
                (*tpath, "lower"), expected=f"lower < {upper:g}", got=f"{lower:g}")  # fmt: skip
    if traw and upper is None and lower is None and "upper" not in traw and "lower" not in traw:
        ctx.add("missing-key", "weighting.trim has no bound", tpath, key=True, expected="upper: 5 and/or lower: 0.3",
                hint="add 'upper:' (and/or 'lower:'), or remove 'trim'")  # fmt: skip
    return WeightingSettings(
        margins=margins,
        method=method,
        partial=partial,
        calfun=calfun,
        bounds=bounds,
        bounds_const=bounds_const,
        margins_are=margins_are or "auto",
        margins_encoding=margins_encoding,
        trim_upper=upper,
        trim_lower=lower,
        trim_relative_to=relative,
    )


def _replicate_weighting(ctx: _Ctx, weighting: WeightingSettings) -> None:
    """Replicate weights can be post-stratified, raked or linearly calibrated (every replicate adjusted);
    trimming and bounded or non-linear calibration cannot."""
    if weighting.trim_upper is not None or weighting.trim_lower is not None:
        ctx.add("bad-value", "trimming cannot be combined with replicate weights", ("weighting", "trim"),
                expected="no 'trim' with 'replicates'", got="trim",
                hint="trimming would leave the replicates untrimmed (not supported): remove 'trim', or trim the "
                "weights before making the replicates")  # fmt: skip
    if weighting.method == "calibrate" and (weighting.calfun != "linear" or weighting.bounds is not None):
        ctx.add("bad-value", "only linear calibration without bounds can be combined with replicate weights",
                ("weighting", "calfun" if weighting.calfun != "linear" else "bounds"),
                expected="calfun: linear, no bounds", got=f"calfun: {weighting.calfun}",
                hint="every replicate is calibrated like the full sample: use 'calfun: linear' without "
                "'bounds', or 'method: rake'")  # fmt: skip


def _calibration_options(ctx: _Ctx, raw: dict, path: tuple, method: str | None):
    """``calfun``, ``bounds`` and ``bounds_const`` of ``method: calibrate`` (checked)."""
    calfun = _choice(ctx, ctx.value(raw, "calfun", "str", path), CALFUNS, (*path, "calfun"), "calfun")
    bounds_raw = ctx.value(raw, "bounds", "list", path)
    bounds_const = bool(ctx.value(raw, "bounds_const", "bool", path))
    bounds = None
    if bounds_raw is not None:
        ok = len(bounds_raw) == 2 and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds_raw)
        if ok and bounds_raw[0] < bounds_raw[1]:
            bounds = (float(bounds_raw[0]), float(bounds_raw[1]))
        else:
            ctx.add("bad-value", "'bounds' must be two numbers, lower then upper", (*path, "bounds"),
                    expected="[lower, upper], e.g. [0.5, 3]", got=str(bounds_raw), hint="bounds: [0.5, 3]")  # fmt: skip
    given = [k for k in ("calfun", "bounds", "bounds_const") if k in raw]
    if given and method != "calibrate":
        ctx.add("bad-value", f"'{given[0]}' applies to 'method: calibrate' only, not to method '{method}'",
                (*path, given[0]), expected="method: calibrate", got=str(method),
                hint=f"remove '{given[0]}', or set 'method: calibrate'")  # fmt: skip
    if method == "calibrate" and calfun == "logit" and bounds is None and bounds_raw is None:
        ctx.add("missing-key", "calfun 'logit' needs 'bounds'", path, key=True, expected="bounds: [lower, upper]",
                got="no bounds", hint="add 'bounds: [0.5, 3]' (lower < 1 < upper)")  # fmt: skip
    return calfun or "linear", bounds, bounds_const


def _rules(ctx: _Ctx, data: Any, path: tuple) -> ReportingRules:
    if data is None:
        return ReportingRules()
    if not isinstance(data, dict):
        ctx.add("wrong-type", "'suppression' must be a mapping of rule to threshold", path,
                expected="min_n: 30 ...", got=_type_name(data))  # fmt: skip
        return ReportingRules()
    allowed = [n for n in _RULE_FIELDS if n not in ("blank_columns", "percent_units", "total_label")]
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = (*path, key)
        if key not in allowed:
            ctx.add("unknown-key", f"unknown suppression rule '{key}'", where, key=True,
                    expected=", ".join(allowed), got=str(key), hint=did_you_mean(str(key), allowed))  # fmt: skip
            continue
        default = getattr(ReportingRules(), key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif key == "percent_scale":
            ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
            if ok and isinstance(default, int):
                ok = float(value).is_integer()
                value = int(value) if ok else value
        if not ok:
            ctx.add("wrong-type", f"suppression rule '{key}' must be {_KIND_TEXT['bool' if isinstance(default, bool) else 'number']}",
                    where, got=_type_name(value), expected=f"like the default, {default}")  # fmt: skip
            continue
        values[key] = value
    return ReportingRules(**values)


def _report(ctx: _Ctx, data: Any) -> ReportSettings:
    path = ("report",)
    raw = ctx.keys(data, _REPORT, path, "report")
    get = {k: ctx.value(raw, k, kind, path) for k, kind in _REPORT.items() if k not in ("suppression",)}
    alpha = get["significance"]
    for key in ("significance", "fdr"):
        if get[key] is not None and not 0 < get[key] < 1:
            ctx.add("bad-value", f"'{key}' must be between 0 and 1", (*path, key), expected="e.g. 0.05",
                    got=str(get[key]))  # fmt: skip
    for i, lang in enumerate(get["languages"] or ()):
        if not is_language_tag(lang):  # languages name output files: never a path
            ctx.add("bad-language", f"report language {str(lang)[:40]!r} is not a language tag",
                    (*path, "languages", i), expected="a tag like en, fr or pt-BR", got=str(lang)[:40],
                    hint="use language codes, e.g. languages: [en, fr]")  # fmt: skip
        elif not has_interface(lang):
            ctx.add("unknown-language", f"no interface text in report language {lang!r}", (*path, "languages", i),
                    expected=f"one of {', '.join(available_languages())}", got=str(lang),
                    hint="pick one of those languages, or add a catalog for it (docs/languages.md)")  # fmt: skip
    charts = get["charts"]
    for i, fmt in enumerate(charts or ()):
        _choice(ctx, fmt, CHART_FORMATS, (*path, "charts", i), "chart format")
    output = ctx.root / (get["output"] or "output")
    return ReportSettings(
        output=output,
        title=get["title"] or _frozen(None),
        languages=get["languages"],
        alpha=alpha,
        fdr=get["fdr"],
        compare=get["compare"],
        rules=_rules(ctx, raw.get("suppression"), (*path, "suppression")),
        indicators=get["indicators"],
        disaggregate=True if get["disaggregate"] is None else get["disaggregate"],
        chart_formats=charts,
        parquet=get["parquet"],
        show_empty=bool(get["show_empty"]),
    )


def _small_areas(ctx: _Ctx, data: Any, locations: LocationSettings) -> SmallAreaSettings | None:
    if data is None:
        return None
    path = ("small_areas",)
    raw = ctx.keys(data, _SMALL_AREAS, path, "small_areas")
    ok = ctx.require(raw, "covariates", path, "small_areas") & ctx.require(raw, "level", path, "small_areas")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _SMALL_AREAS.items()}
    level = values["level"]
    if level is not None and level not in locations.levels:
        ctx.add("bad-value", f"small_areas.level '{level}' is not a location level", (*path, "level"),
                expected=", ".join(locations.levels) or "a level listed under locations.levels", got=level,
                hint=did_you_mean(level, locations.levels) or "add it to locations.levels, or use one of them")  # fmt: skip
        ok = False
    if not ok or values["covariates"] is None or level is None:
        return None
    return SmallAreaSettings(**{k: v for k, v in values.items() if v is not None or k not in ("substitute",)})


def _plan(ctx: _Ctx, data: Any) -> PlanSettings:
    """The ``plan:`` section; every number checked against its range (open bounds, except overlap and
    correlation which may reach theirs)."""
    if data is None:
        return PlanSettings()
    path = ("plan",)
    raw = ctx.keys(data, _PLAN, path, "plan")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _PLAN.items()}
    for key, (low, high, expected) in _PLAN_RANGES.items():
        v = values[key]
        if v is not None and not (low < float(v) < high):
            ctx.add("bad-value", f"plan.{key} is out of range", (*path, key), expected=expected, got=str(v))
            values[key] = None
    return PlanSettings(**{k: (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
                           for k, v in values.items() if v is not None})


def _share(ctx: _Ctx, data: Any) -> ShareSettings | None:
    if data is None:
        return None
    path = ("share",)
    raw = ctx.keys(data, _SHARE, path, "share")
    values = {k: ctx.value(raw, k, kind, path) for k, kind in _SHARE.items()}
    if values["k"] is not None and values["k"] < 2:
        ctx.add("bad-value", "share.k must be at least 2", (*path, "k"), expected="e.g. 5", got=str(values["k"]))
        values["k"] = None
    for col, rule in (values["coarsen"] or {}).items():
        if not rule:
            ctx.add("bad-value", f"share.coarsen.{col} has no rule", (*path, "coarsen", col),
                    expected="age_bands or the name of a coarser column", got="nothing")  # fmt: skip
    return ShareSettings(**{k: v for k, v in values.items() if v is not None})


def _cross_checks(ctx: _Ctx, report: ReportSettings) -> None:
    ids = list(dict.fromkeys(ctx.round_ids))
    for i, rid in enumerate(report.compare or ()):
        if rid not in ids:
            ctx.add("unknown-round", f"report.compare names round '{rid}', which is not in 'rounds'",
                    ("report", "compare", i), expected=", ".join(ids), got=rid,
                    hint=did_you_mean(rid, ids) or f"use round ids from 'rounds': {', '.join(ids)}")  # fmt: skip


def project_path(path: str | Path) -> Path:
    """The project file: ``path`` itself, or ``path/survey.yaml`` when ``path`` is a folder."""
    p = Path(path)
    return p / PROJECT_FILE if p.is_dir() else p


def check_project(path: str | Path, *, pulling: bool = False) -> tuple[Project | None, ValidationReport]:
    """Read and check a project file; return the project (None when it has errors) and every problem.

    ``path`` is the file or the folder holding ``survey.yaml``. Never raises for user mistakes.
    ``pulling=True`` (used by :func:`survey_toolkit.pull.pull`) accepts rounds whose server files are
    not pulled yet.
    """
    file = project_path(path)
    if not file.is_file():
        problem = Problem(
            "missing-file",
            f"no project file at '{file}'",
            Location(file=str(file)),
            hint="run 'survey-toolkit init DIR' to create one, or give the path of your survey.yaml",
        )
        return None, ValidationReport((problem,))
    parsed = read_yaml(file)
    if parsed.problems and parsed.data is None:
        return None, ValidationReport(parsed.problems)
    ctx = _Ctx(parsed.source, file.resolve().parent)
    ctx.pulling = pulling
    ctx.problems += parsed.problems
    raw = ctx.keys(parsed.data, _TOP, (), "the project file")
    if parsed.data is not None and not isinstance(parsed.data, dict):
        return None, ValidationReport.of(ctx.problems)
    for key in _REQUIRED_TOP:
        ctx.require(raw, key, (), "the project file")
    version = ctx.value(raw, "version", "int", ())
    if version is not None and version != 1:
        ctx.add("bad-value", f"project file version {version} is not supported", ("version",),
                expected="1", got=str(version))  # fmt: skip
    instrument = ctx.value(raw, "instrument", "file", ())
    indicators = ctx.value(raw, "indicators", "file", ())
    na_values = ctx.value(raw, "na_values", "str_list", ())
    sm_source = _sm_source(ctx, raw, ())
    rounds = _rounds(ctx, raw.get("rounds"), na_values, sm_source) if "rounds" in raw else ()
    design = _design(ctx, raw.get("design"))
    weighting = _weighting(ctx, raw.get("weighting"))
    if design.replicates is not None:
        _replicate_weighting(ctx, weighting)
    quality = _quality(ctx, raw.get("quality"))
    lraw = ctx.keys(raw.get("locations"), _LOCATIONS, ("locations",), "locations")
    levels = ctx.value(lraw, "levels", "str_list", ("locations",)) or ()
    for i, level in enumerate(levels):
        if level in levels[:i]:
            ctx.add("bad-value", f"locations.levels names '{level}' twice", ("locations", "levels", i),
                    expected="each location column once, coarsest first", got=level)  # fmt: skip
    locations = LocationSettings(
        levels=ctx.value(lraw, "levels", "str_list", ("locations",)) or (),
        names=ctx.value(lraw, "names", "str_map", ("locations",)) or _frozen(None),
    )
    report = _report(ctx, raw.get("report"))
    small_areas = _small_areas(ctx, raw.get("small_areas"), locations)
    share = _share(ctx, raw.get("share"))
    plan = _plan(ctx, raw.get("plan"))
    estimation = _estimation(ctx, raw.get("estimation"))
    cleaning = ctx.value(raw, "cleaning_log", "files", ())
    derive = _derive(ctx, ctx.value(raw, "derive", "list", ()))
    off_list = _off_list(ctx, raw)
    title = ctx.value(raw, "title", "text", ())
    _cross_checks(ctx, report)
    if instrument is None and "instrument" not in raw:
        _form_from_data_check(ctx, rounds)
    ordered = sorted(ctx.problems, key=lambda p: (p.location.line or 0, p.location.column or 0))
    problems = ValidationReport.of(ordered)
    if not problems.ok or indicators is None or (instrument is None and "instrument" in raw):
        return None, problems
    project = Project(
        path=file.resolve(),
        instrument=instrument,
        indicators=indicators,
        rounds=rounds,
        design=design,
        weighting=weighting,
        quality=quality,
        locations=locations,
        report=report,
        title=title or report.title,
        source=parsed.source,
        small_areas=small_areas,
        share=share,
        plan=plan,
        estimation=estimation,
        cleaning_logs=cleaning or (),
        derive=derive,
        extra_columns=ctx.value(raw, "extra_columns", "str_list1", ()) or (),
        off_list=off_list,
    )
    collisions = output_problems(project)
    if collisions:
        return None, ValidationReport.of(sorted([*problems, *collisions], key=_line_order))
    return project, problems


def _form_from_data_check(ctx: _Ctx, rounds: tuple[Round, ...]) -> None:
    """Without ``instrument:`` the form is built from the first round's export: it must carry labels."""
    if not rounds:
        return
    first = rounds[0]
    export = first.files[0]
    if first.source is None and export.suffix.lower() in LABELLED_EXPORTS:
        return
    at = first.location.path or ("rounds", 0)
    what = "is fetched from a server" if first.source is not None else f"'{export.name}' has no value labels"
    ctx.add(
        "missing-key",
        f"the project file has no 'instrument:' and the form cannot be built from the data: round {first.id}'s "
        f"export {what}",
        (*at, "source") if first.source is not None else (*at, "files", 0),
        expected="'instrument: form.xlsx' (the XLSForm), or an SPSS/Stata export (" + ", ".join(LABELLED_EXPORTS) + ")",
        got=export.name,
        hint="add 'instrument: <your XLSForm>' to survey.yaml; without a form, run "
        f"'survey-toolkit init --from {export.name} DIR' to write a starter form.xlsx from the export, check it, "
        "and name it with 'instrument:'",
    )


def _line_order(problem: Problem) -> tuple[int, int]:
    return problem.location.line or 0, problem.location.column or 0


def _inputs(project: Project) -> list[tuple[Path, str, Location]]:
    """Every input file of the project: its path, what it is, and where the project file names it."""
    out: list[tuple[Path, str, Location]] = [
        (project.path, "the project file", Location(file=str(project.path))),
        (project.indicators, "indicators", project.locate("indicators")),
    ]
    if project.instrument is not None:
        out.append((project.instrument, "instrument", project.locate("instrument")))
    for r in project.rounds:
        at = r.location.path or ("rounds",)
        out += [(f, f"round {r.id} files", project.locate(*at, "files", j)) for j, f in enumerate(r.files)]
        if r.instrument is not None:
            out.append((r.instrument, f"round {r.id} instrument", project.locate(*at, "instrument")))
        out += [(f, f"round {r.id} cleaning_log", project.locate(*at, "cleaning_log")) for f in r.cleaning_logs]
    out += [(f, "cleaning_log", project.locate("cleaning_log")) for f in project.cleaning_logs]
    base = project.design.base_weights
    if base is not None:
        out.append((base.sample_frame, "design.base_weights.sample_frame",
                    project.locate("design", "base_weights", "sample_frame")))  # fmt: skip
    if project.weighting.margins is not None:
        out.append((project.weighting.margins, "weighting.margins", project.locate("weighting", "margins")))
    if project.small_areas is not None:
        out.append((project.small_areas.covariates, "small_areas.covariates", project.locate("small_areas", "covariates")))
    return out


def _output_location(project: Project) -> Location:
    if project.source is not None and ("report", "output") in project.source.values:
        return project.locate("report", "output")
    return Location(file=str(project.path), path=("report", "output"))


def output_problems(project: Project, output: Path | None = None) -> list[Problem]:
    """Problems of the output folder: it is an existing file, or a file written there is an input.

    ``output`` replaces ``project.report.output`` (the CLI's ``--output``). Paths are compared resolved,
    so ``output: .`` next to a sample frame named ``weights.csv`` is caught before anything is written.
    """
    folder = Path(output if output is not None else project.report.output).resolve()
    where = _output_location(project) if output is None else Location(file=str(folder))
    change = "set report.output in survey.yaml (or pass --output) to a folder of its own, e.g. 'output'"
    blocking = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    if blocking.exists() and not blocking.is_dir():
        what = "is an existing file" if blocking == folder else f"is inside '{blocking.name}', which is a file"
        return [
            Problem("output-not-a-folder", f"the output folder '{folder.name}' {what}, not a folder",
                    where, expected="a folder (created when missing)", got=f"the file {blocking}",
                    hint=change)  # fmt: skip
        ]
    problems = []
    for path, what, location in _inputs(project):
        resolved = path.resolve()
        if resolved == folder:
            problems.append(Problem("output-is-input", f"the output folder is the input file '{path.name}' ({what})",
                                    where, got=str(resolved), hint=change))  # fmt: skip
            continue
        try:
            relative = resolved.relative_to(folder).as_posix()
        except ValueError:
            continue
        clash = next((pat for pat in OUTPUT_FILES if fnmatch.fnmatch(relative, pat)), None)
        if clash is not None:
            problems.append(
                Problem(
                    "output-overwrites-input",
                    f"the workflow would write '{relative}' into the output folder {folder}, "
                    f"over the input file of {what}",
                    location,
                    expected=f"no input file named like an output ({', '.join(OUTPUT_FILES)})",
                    got=str(resolved),
                    hint=f"{change}, or rename the input file",
                )
            )
    return problems


def load_project(path: str | Path) -> Project:
    """Read and check a project file (or a folder holding ``survey.yaml``); raise on any error.

    Raises:
        SpecError: every problem of the file, each at file:line:column, with a hint.
    """
    project, report = check_project(path)
    report.raise_if_errors(SpecError)
    assert project is not None
    return project
