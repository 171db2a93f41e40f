"""The round-by-round workflow of a project file, one small public function per step.

Each step takes and returns plain objects, so a notebook can stop anywhere and look at pandas
tables; :func:`run` chains them (``until=`` stops early) and returns a :class:`RunResult`::

    validate_inputs(project)                      -> Inputs (instrument, indicators, margins, frame)
    load_rounds(project, inputs)                  -> {round id: SurveyData} (renames applied, round set)
    check_rounds(data, project)                   -> Checked (cleaned data, quality reports, exclusion log)
    weight_rounds(cleaned, project, inputs)       -> {round id: Weighted} (base weights, calibration, design)
    compute_results(weighted, project, inputs)    -> tidy compute() table, rounds x (national, admin1, admin2)
    reporting_table(results, project, inputs)     -> the reporting table, disclosure rules applied
    compare(table, project)                       -> comparisons (latest vs previous and vs baseline, FDR)
    write_outputs(table, comparisons, meta, project) -> files written (HTML, Excel, tidy, charts)

Rounds are weighted and estimated one at a time (independent cross-sections, each calibrated to the
margins), then stacked with a ``round`` column. Every exclusion is logged; nothing is dropped
silently. Mistakes in the inputs are collected and raised together (``SpecError`` for the project,
instrument and indicators; ``LoadError``/``WeightError``/... from the steps). The library never prints:
pass ``progress=callback(step, done, total)`` to follow long steps.

One module per step: ``inputs`` (validate), ``rounds`` (load, cleaning log), ``checks`` (quality),
``weights``, ``estimates`` (compute, reporting table, compare), ``reporting`` (report texts, decision
tables and files), ``workflow`` (:func:`run`), ``new_project`` (:func:`scaffold`); ``common`` holds
what they share. Every name is importable from ``survey_toolkit.pipeline`` itself.
"""

from __future__ import annotations

from .checks import Checked, check_rounds
from .common import ROUND_COLUMN, STEPS, WEIGHT_COLUMN, Inputs, Progress
from .common import _as_project as _as_project
from .estimates import _levels as _levels
from .estimates import _time_order as _time_order
from .estimates import compare, compute_results, drop_empty_groups, reporting_table
from .inputs import _with_data_columns as _with_data_columns
from .inputs import validate_inputs
from .new_project import check_new_project_folder, scaffold, standard_files
from .reporting import decision_tables as decision_tables
from .reporting import report_meta, write_outputs
from .rounds import apply_renames, clean_rounds, combine, load_rounds
from .weights import _calibrate as _calibrate
from .weights import _design as _design
from .weights import weight_rounds, weight_summary, weights_table
from .workflow import RunResult, run, validate_project

__all__ = [
    "STEPS",
    "ROUND_COLUMN",
    "WEIGHT_COLUMN",
    "Progress",
    "Inputs",
    "Checked",
    "RunResult",
    "validate_inputs",
    "validate_project",
    "load_rounds",
    "combine",
    "clean_rounds",
    "apply_renames",
    "check_rounds",
    "weight_rounds",
    "weight_summary",
    "weights_table",
    "compute_results",
    "reporting_table",
    "drop_empty_groups",
    "compare",
    "report_meta",
    "write_outputs",
    "run",
    "scaffold",
    "standard_files",
    "check_new_project_folder",
]
