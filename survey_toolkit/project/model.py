"""The project file as frozen settings: Project, Round and one dataclass per section of survey.yaml."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..design import Replicates
from ..disclosure import ReportingRules
from ..errors import Location
from ..indicators.yamlsource import SourceMap
from ..offlist import OffListRule

if TYPE_CHECKING:
    from ..derive import Derived


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
    "RUN_STATUS.txt",
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
    min_match: float | None = None
    """The smallest share of the form's questions the round's exports must hold (``load(min_match=)``);
    None: the loaders' default (0.5). Lower it for an export that keeps only some of the form's columns."""
    repeats: Mapping[str, Path] = field(default_factory=lambda: _frozen(None))
    """repeat name (a ``begin_repeat`` of the form) -> the CSV file holding that repeat's rows, linked to the
    round's files by ``PARENT_KEY``/``_submission__uuid``/``_parent_index``/``KEY`` (``survey_toolkit.io.repeatfiles``)."""
    location: Location = field(default_factory=Location, compare=False)

    @property
    def load_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`survey_toolkit.load` this round sets (encoding, delimiter,
        na_values, select_multiple_source, min_match)."""
        options = {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "na_values": self.na_values,
            "select_multiple_source": self.select_multiple_source,
            "min_match": self.min_match,
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


BUILT_REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap")
"""``design.replicates.type`` of replicates built from the design (R ``as.svrepdesign`` types)."""
BOOTSTRAP_TYPES = ("bootstrap", "subbootstrap")


@dataclass(frozen=True)
class ReplicateBuild:
    """Replicate weights built from the Taylor design before weighting (``design.replicates`` without
    ``columns``): R ``as.svrepdesign(design, type=, replicates=, fay.rho=, mse=)``, then every weighting
    step adjusts every replicate. ``replicates`` and ``seed`` are for the bootstrap types only."""

    type: str
    replicates: int = 50
    seed: int | None = None
    rho: float | None = None
    mse: bool = False


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
    replicate_build: ReplicateBuild | None = None
    """Replicate weights built from this (Taylor) design before weighting (``as_replicates``)."""


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
    interviewer_cues: tuple[str, ...] = ()
    """Patterns of interviewer cues removed from published labels, besides the toolkit's
    (:data:`survey_toolkit.labels.INTERVIEWER_CUES`)."""


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
