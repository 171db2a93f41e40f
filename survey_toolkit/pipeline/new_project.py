"""A new project folder: the standard form and indicators and a commented survey.yaml."""

from __future__ import annotations

from pathlib import Path

from ..errors import Location, Problem, SpecError
from ..outputs import safe_output_path
from ..project import OPTIONAL_KEYS_TEMPLATE

_TEMPLATE = """\
# Project file of a community safety perception survey. Reference: docs/project-file.md.
# Paths are relative to this file's folder. Check it with:  survey-toolkit validate <this folder>
# then produce the report with:                              survey-toolkit run <this folder>
version: 1

title:
  en: Community safety perception survey
  fr: Enquête de perception de la sécurité communautaire

instrument: cssp_core.xlsx          # the XLSForm the data were collected with
indicators: indicators.yaml         # the indicators to compute

# One entry per round, oldest first. Put each round's export(s) in this folder: KoBo XLSX/CSV,
# ODK Central zip/CSV, SPSS .sav, Stata .dta or CSV.
rounds:
  - id: R1
    label: {en: Round 1, fr: Vague 1}
    date: 2025-11-15
    files: [round1.xlsx]
  # - id: R2
  #   label: {en: Round 2, fr: Vague 2}
  #   date: 2026-05-15
  #   files: [round2.zip]
  #   instrument: cssp_core_v2.xlsx   # only if this round used another version of the form
  #   rename:                          # questions or choice codes renamed between form versions
  #     questions: {b1_safe_night: b1_safe_dark}      # old name: name in the project's form
  #     choices: {d1_trust_police: {"5": "4"}}          # question: {old code: new code}

# The sampling design. Strata are built from the data as <admin2>-<area_type>; PSUs are the clusters.
design:
  strata: stratum
  strata_from: [admin2, area_type]
  psu: cluster_id
  lonely_psu: adjust                # what a stratum with one PSU does: fail, remove, certainty, adjust, average
  # weights: my_weight              # use an existing weight column instead of base_weights
  # missing_weights: exclude        # rows without a weight: error (default), exclude or impute
  base_weights:                     # design weight = population / (product of sample) x eligible
    sample_frame: sample_frame.csv  # one row per stratum
    stratum: stratum
    population: households
    sample: [psu_sampled, households_per_psu]
    eligible: hh_adults             # one adult interviewed per household
    fpc: psu_total                  # PSUs in the stratum's frame (finite population correction)

# Calibration of each round to census margins (CSV: variable, category, population).
weighting:
  margins: census_margins.csv
  method: rake                      # rake, post_stratify or none
  trim: {upper: 5, relative_to: median}

# quality:                          # data-quality checks (defaults in docs/data-quality.md)
#   min_duration: 10                # minutes; shorter interviews are flagged
#   min_age: 18
#   exclude: [duplicate-record-id, duplicate-submission-id, no-consent, under-age]

locations:
  levels: [admin1, admin2]          # coarsest first; display names come from the form's choices
  # names: {R01: North Region}     # override a display name

report:
  languages: [en, fr]
  output: output                    # folder for the report, workbook, tables and charts
  significance: 0.05
  # compare: [R1, R2, R3]           # rounds in time order, baseline first, latest last
  # indicators: [sdg_16_1_4, police_trust]   # only these indicators
  # suppression:                    # reporting rules (defaults: domain reference section 7.2)
  #   min_n: 30                     # unweighted base below this: not published
  #   caution_n: 50                 # below this: shown in parentheses
  #   max_ci_width: 30              # CI width in percentage points: not published at or above

""" + OPTIONAL_KEYS_TEMPLATE.format(question="b1_safe_dark")


def standard_files() -> dict[str, Path]:
    """The standard instrument (``cssp_core.xlsx``) and indicators (``indicators.yaml``) shipped with the toolkit.

    Looked up in the package's ``data`` folder, then in the source checkout (``instruments/``, the
    repository root).
    """
    here = Path(__file__).resolve().parents[1]  # the package folder (this file is in pipeline/)
    candidates = {
        "instrument": [here / "data" / "cssp_core.xlsx", here.parent / "instruments" / "cssp_core.xlsx"],
        "indicators": [here / "data" / "indicators.yaml", here.parent / "indicators.yaml"],
    }
    found = {}
    for kind, paths in candidates.items():
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            raise SpecError(
                Problem("standard-file-missing", f"the standard {kind} is not installed",
                        Location(file=str(paths[0])), hint="reinstall survey-toolkit")  # fmt: skip
            )
        found[kind] = path
    return found


def check_new_project_folder(folder: Path, targets, *, overwrite: bool) -> None:
    """Raise SpecError when ``folder`` is a file or (without ``overwrite``) one of ``targets`` exists."""
    problems = []
    if folder.exists() and not folder.is_dir():
        problems.append(Problem("not-a-folder", f"'{folder}' exists and is not a folder", Location(file=str(folder)),
                                hint="choose another name"))  # fmt: skip
    problems += [
        Problem("file-exists", f"'{path.name}' already exists in {folder}", Location(file=str(path)),
                hint="use --force to overwrite it, or choose an empty folder")  # fmt: skip
        for path in targets
        if path.exists() and not overwrite
    ]
    if problems:
        raise SpecError(problems)


def scaffold(directory: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Create a project folder: the standard form and indicators and a commented ``survey.yaml``.

    Raises:
        SpecError: a file would be overwritten (without ``overwrite``) or a path is not a folder.
    """
    from ..report._common import atomic_write_bytes

    folder = Path(directory)
    sources = standard_files()
    targets = {
        folder / "cssp_core.xlsx": sources["instrument"].read_bytes(),
        folder / "indicators.yaml": sources["indicators"].read_bytes(),
        folder / "survey.yaml": _TEMPLATE.encode("utf-8"),
    }
    check_new_project_folder(folder, targets, overwrite=overwrite)
    standard = {"the standard form": sources["instrument"], "the standard indicators": sources["indicators"]}
    for path in targets:
        safe_output_path(path, inside=folder, inputs=standard, option="DIR")
    folder.mkdir(parents=True, exist_ok=True)
    return [atomic_write_bytes(path, content) for path, content in targets.items()]
