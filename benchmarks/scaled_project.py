"""Write a large project of the shape issue 12 names: 22 districts, 4 rounds, 20,000 respondents a round.

    .venv/bin/python benchmarks/scaled_project.py                 # -> benchmarks/_data/scaled_22x4/
    .venv/bin/python benchmarks/scaled_project.py --rounds 6      # -> benchmarks/_data/scaled_22x6/
    .venv/bin/python benchmarks/scaled_project.py --locations 40 --rounds 3 --per-round 5000 --out /tmp/p
    .venv/bin/python benchmarks/scaled_project.py --times 10      # the demo's rows replicated 10 times
    .venv/bin/python benchmarks/report.py benchmarks/_data/scaled_22x4 -n 3

The respondents are simulated by the demo's own generator (``examples/generate.py``: same latent
scales, skips, don't-know/refused, planted data-quality problems) on a larger :class:`Plan`:

- districts (admin2): the demo's 8 (same codes, names and effects), then new districts in new
  regions (admin1 ``R03``, ``R04``..., 7 districts each) with their own effects drawn from a fixed
  seed; ``--locations`` below 8 takes the first demo districts;
- strata: district x area type (urban, rural, and a camp stratum in some districts) as in the demo;
  ``--per-round`` respondents a round at about 6.75 interviews per PSU, the PSUs of a district
  allocated to its strata in proportion to households (at least 2 each); households are scaled up
  so that no stratum samples more than a third of its PSUs;
- rounds: every six months from November 2025 (``--rounds``), each a fresh PSU sample with its own
  interviews, ids and enumerators; the demo's true changes continue and three new districts get
  their own (safety up, police trust down, more guns);
- the project's own form: ``cssp_core.xlsform.yaml`` (the standard source with the extra regions and
  districts in the admin1/admin2 choice lists) built into ``cssp_core.xlsx`` by
  ``instruments/build.py``; sample frame, census margins and cells, district covariates from the
  generator's functions;
- each round written as an ODK Central table (Central's headers and ids, cells as text) in Parquet
  (default) or as Central's CSV zip (``--format central``), both read by ``survey_toolkit.load``.

``--times N`` keeps the older mode: the demo's own rounds loaded and their rows copied N times (copy
k gets new ids and its own PSUs ``<cluster>-k<k>``), the sample frame and margins multiplied alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "examples" / "demo"
SEED = 12

#: New regions after the demo's R01 (North) and R02 (South): (English, French, enumerator team letter).
REGIONS = (("East Region", "Région Est"), ("West Region", "Région Ouest"), ("Central Region", "Région Centre"),
           ("Coast Region", "Région côtière"), ("Highlands Region", "Région des hautes terres"),
           ("Lakes Region", "Région des lacs"))
TEAMS = "NSEWCKHLABDFGJMPQRTUVXYZ"  # enumerator team letter of region R01, R02...
#: Names of new districts (invented, like the demo's), English and French.
NAMES = (("Besora", "Besora"), ("Kitundu", "Kitundu"), ("Marela Plains", "Plaines de Marela"),
         ("Oshana", "Oshana"), ("Tavuro", "Tavuro"), ("Lindi Bay", "Baie de Lindi"), ("Sefoni", "Sefoni"),
         ("Amaru Heights", "Hauts d'Amaru"), ("Rukavi", "Rukavi"), ("Ebeno", "Ebeno"),
         ("Nakuri Springs", "Sources de Nakuri"), ("Vesta", "Vesta"), ("Dambala", "Dambala"),
         ("Koro Forest", "Forêt de Koro"), ("Palimo", "Palimo"), ("Zerenda", "Zerenda"),
         ("Ilunga", "Ilunga"), ("Mount Obeli", "Mont Obeli"), ("Sarafu", "Sarafu"), ("Temba", "Temba"),
         ("Gorani Coast", "Côte de Gorani"), ("Wakili", "Wakili"), ("Yaruna", "Yaruna"),
         ("Bakoro", "Bakoro"), ("Fenwa", "Fenwa"), ("Hamisi", "Hamisi"), ("Jorovo", "Jorovo"),
         ("Lusala", "Lusala"))
MONTHS = {"en": ("May", "Nov"), "fr": ("mai", "nov."), "es": ("mayo", "nov."), "pt": ("maio", "nov."),
          "ar": ("مايو", "نوفمبر")}
ROUND_WORD = {"en": "Round", "fr": "Vague", "es": "Ronda", "pt": "Ronda", "ar": "الجولة"}
PER_PSU = 6.75  # interviews achieved per PSU in the demo's simulation (6 or 7, 3:1)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve the module's annotations through sys.modules
    spec.loader.exec_module(module)
    return module


gen = _load("cssp_examples_generate", ROOT / "examples" / "generate.py")
build = _load("cssp_instruments_build", ROOT / "instruments" / "build.py")


# ---------------------------------------------------------------------------------------------
# The plan: districts, strata, effects, true changes, rounds
# ---------------------------------------------------------------------------------------------
def districts(count: int) -> list[tuple[str, str, str, str]]:
    """(code, admin1, English name, French name) of ``count`` districts: the demo's first, then new ones."""
    source = build.load_source(gen.SOURCE)["choices"]["admin2"]
    out = [(c["name"], c["admin1"], c["en"], c["fr"]) for c in source][:count]
    for k in range(count - len(out)):
        region, number = 3 + k // 7, 1 + k % 7
        en, fr = NAMES[k] if k < len(NAMES) else (f"District {len(source) + k + 1}",) * 2
        out.append((f"R{region:02d}D{number:02d}", f"R{region:02d}", en, fr))
    return out


def regions(admin1: list[str]) -> list[tuple[str, str, str, str]]:
    """(code, English name, French name, team letter) of the regions used, the demo's two first."""
    demo = {c["name"]: (c["en"], c["fr"]) for c in build.load_source(gen.SOURCE)["choices"]["admin1"]}
    out = []
    for code in dict.fromkeys(admin1):
        k = int(code[1:])
        en, fr = demo[code] if code in demo else REGIONS[k - 3] if k - 3 < len(REGIONS) else (f"Region {k}",
                                                                                                f"Région {k}")
        out.append((code, en, fr, TEAMS[k - 1]))
    return out


def _allocate(total: int, households: list[int]) -> list[int]:
    """PSUs of a district per stratum: about proportional to households, at least 2 each."""
    shares = np.asarray(households, dtype=float)
    counts = np.maximum(2, np.asarray(gen._apportion(total, shares)))
    while counts.sum() > total and (counts > 2).any():  # the minimum took PSUs from nowhere: give them back
        counts[np.argmax(np.where(counts > 2, counts - shares / shares.sum() * total, -np.inf))] -= 1
    return counts.tolist()


def strata(codes: list[tuple[str, str, str, str]], per_round: int, rng: np.random.Generator) -> tuple:
    """The plan's strata rows (stratum, admin1, admin2, area type, households, adults/household, PSUs)."""
    demo = {}
    for row in gen.STRATA:
        demo.setdefault(row[2], []).append(row)
    psus = max(6, int(round(per_round / PER_PSU / len(codes))))
    rows = []
    for code, admin1, _, _ in codes:
        if code in demo:
            areas = [(r[3], r[4], r[5]) for r in demo[code]]
        else:
            areas = [("1", int(rng.integers(40, 450)) * 100, 2.6), ("2", int(rng.integers(80, 230)) * 100, 2.9)]
            if rng.random() < 0.3:
                areas.append(("3", int(rng.integers(20, 31)) * 100, 3.4))
        sampled = _allocate(psus, [h for _, h, _ in areas])
        rows += [(f"{code}-{area}", admin1, code, area, households, ratio, m)
                 for (area, households, ratio), m in zip(areas, sampled, strict=True)]
    # scale every stratum's households alike so that none samples more than a third of its PSUs
    scale = max(1.0, max(3 * m * 150 / h for *_, h, _, m in rows))
    return tuple((s, a1, a2, area, int(round(h * scale, -2)), ratio, m) for s, a1, a2, area, h, ratio, m in rows)


def _first_monday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, 1)
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def round_month(rnd: int) -> tuple[int, int]:
    """(year, month) of round ``rnd``: November 2025, May 2026, November 2026..."""
    return 2025 + rnd // 2, 11 if rnd % 2 else 5


def true_changes(codes: list[str], rounds: int) -> dict[tuple[str, str], tuple[float, ...]]:
    """The demo's true changes carried on (the last shift holds), and three new districts' own."""
    out = {key: (*shifts, *[shifts[-1]] * (rounds - len(shifts)))[:rounds]
           for key, shifts in gen.TRUE_CHANGES.items() if key[1] in codes}
    new = [c for c in codes if c not in gen.DISTRICTS]
    for (latent, step, start), code in zip((("safety", 0.4, 2), ("police", -0.35, 3), ("guns", 0.5, 2)),
                                           new[::5], strict=False):
        out[(latent, code)] = tuple(round(step * max(0, r - start + 1), 2) for r in range(1, rounds + 1))
    return out


def plan_for(locations: int, rounds: int, per_round: int, seed: int = SEED):
    """The generator's :class:`Plan` for the scaled project, and the districts and regions it uses."""
    rng = np.random.default_rng(seed)
    codes = districts(locations)
    regs = regions([c[1] for c in codes])
    names = [c[0] for c in codes]
    rows = strata(codes, per_round, rng)
    effects = {}
    for latent, demo in gen.DEMO_PLAN.effects.items():
        extra = np.round(rng.normal(0, 0.35, max(0, len(names) - len(demo))), 1)
        effects[latent] = np.concatenate([demo, extra])[: len(names)]
    fieldwork = {r: _first_monday(*round_month(r)) for r in range(1, rounds + 1)}
    versions = {r: f"{y}{m:02d}0101" for r, (y, m) in ((r, round_month(r)) for r in range(1, rounds + 1))}
    teams = max(2, int(round(per_round / len(regs) / 115 / 4)))  # about 115 interviews per enumerator a round
    plan = gen.Plan(rows, tuple(names), effects, true_changes(names, rounds), fieldwork, versions,
                    {r[0]: r[3] for r in regs}, teams_per_region=teams)
    return plan, codes, regs


# ---------------------------------------------------------------------------------------------
# The project's files
# ---------------------------------------------------------------------------------------------
def write_form(out: Path, codes: list[tuple[str, str, str, str]], regs: list[tuple[str, str, str, str]]) -> Path:
    """The standard form with the project's regions and districts, as YAML source and built XLSForm."""
    source = build.load_source(gen.SOURCE)
    source["choices"]["admin1"] = [{"name": c, "en": en, "fr": fr} for c, en, fr, _ in regs]
    source["choices"]["admin2"] = [{"name": c, "en": en, "fr": fr, "admin1": a1} for c, a1, en, fr in codes]
    problems = build.validate_source(source)
    if problems:
        raise build.SourceError(problems)
    text = ("# The standard instrument (instruments/cssp_core.xlsform.yaml) with this project's location\n"
            "# lists; written by benchmarks/scaled_project.py.\n")
    (out / "cssp_core.xlsform.yaml").write_text(text + yaml.safe_dump(source, allow_unicode=True, sort_keys=False),
                                                encoding="utf-8")
    (out / "cssp_core.xlsx").write_bytes(build.build_bytes(source))
    return out / "cssp_core.xlsform.yaml"


def round_entry(rnd: int, files: list[str]) -> dict:
    year, month = round_month(rnd)
    label = {lang: f"{ROUND_WORD[lang]} {rnd} ({MONTHS[lang][month == 11]} {year})" for lang in MONTHS}
    return {"id": f"R{rnd}", "label": label, "date": dt.date(year, month, 15), "files": files}


def write_scaled(out: Path, locations: int = 22, rounds: int = 4, per_round: int = 20_000,
                 fmt: str = "parquet", seed: int = SEED) -> Path:
    """Write the project (survey.yaml, form, rounds, sample frame, census, covariates) into ``out``."""
    plan, codes, regs = plan_for(locations, rounds, per_round, seed)
    out.mkdir(parents=True, exist_ok=True)
    form = gen.read_form(write_form(out, codes, regs))
    frame = gen.sample_frame(plan)
    rng = np.random.default_rng(seed)
    entries = []
    for rnd in range(1, rounds + 1):
        df = gen.plant(gen.simulate(rng, frame, form, rnd, plan), rng, rnd, plan)
        if "form_version" not in df.columns:  # the generator sets it in round 2 (planted stale version)
            df["form_version"] = plan.form_version[rnd]
        if fmt == "central":
            name = f"round{rnd}_central.zip"
            gen.write_central_zip(df, form, out / name, rng)
        else:
            name = f"round{rnd}_central.parquet"
            gen.central_frame(df, form, rng).to_parquet(out / name, index=False)
        entries.append(round_entry(rnd, [name]))
        print(f"  round {rnd}: {len(df)} rows, {df['cluster_id'].nunique()} PSUs -> {name}", file=sys.stderr)
    frame.to_csv(out / "sample_frame.csv", index=False, lineterminator="\n")
    cells = gen.census_cells(frame)
    gen.census_margins(cells).to_csv(out / "census_margins.csv", index=False, lineterminator="\n")
    cells.to_csv(out / "census_cells.csv", index=False, lineterminator="\n")
    gen.district_covariates(frame).to_csv(out / "district_covariates.csv", index=False, lineterminator="\n")

    doc = yaml.safe_load((DEMO / "survey.yaml").read_text(encoding="utf-8"))
    doc["title"] = {"en": f"Community safety perception survey - scaled benchmark ({locations} districts, "
                          f"{rounds} rounds)",
                    "fr": f"Enquête de perception de la sécurité communautaire - projet de test ({locations} "
                          f"districts, {rounds} vagues)"}
    doc["instrument"] = "cssp_core.xlsx"
    doc["indicators"] = str((DEMO / doc["indicators"]).resolve())
    doc["rounds"] = entries
    doc["report"]["compare"] = [e["id"] for e in entries]
    doc["report"]["output"] = "output"
    (out / "survey.yaml").write_text(
        "# Written by benchmarks/scaled_project.py (simulated data); reference: docs/project-file.md\n"
        + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


# ---------------------------------------------------------------------------------------------
# --times: the demo's rows replicated
# ---------------------------------------------------------------------------------------------
def replicate(frame: pd.DataFrame, times: int) -> pd.DataFrame:
    """``frame`` stacked ``times`` times; copy k > 0 gets new ids and its own clusters."""
    copies = []
    for k in range(times):
        part = frame.copy()
        if k:
            for col in ("_record_id", "_uuid", "_id", "_submission_id", "instanceID", "KEY", "_index"):
                if col in part.columns:
                    part[col] = part[col].astype("string") + f"-k{k}"
            if "cluster_id" in part.columns:
                part["cluster_id"] = part["cluster_id"].astype("string") + f"-k{k}"
        copies.append(part)
    return pd.concat(copies, ignore_index=True)


def write_project(out: Path, times: int) -> Path:
    """The demo with every round's rows replicated ``times`` times (sample frame and margins scaled)."""
    from survey_toolkit import pipeline
    from survey_toolkit.project import load_project

    project = load_project(DEMO)
    inputs = pipeline.validate_inputs(project)
    data = pipeline.load_rounds(project, inputs)
    out.mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load((DEMO / "survey.yaml").read_text(encoding="utf-8"))
    doc["instrument"] = str((DEMO / doc["instrument"]).resolve())
    doc["indicators"] = str((DEMO / doc["indicators"]).resolve())
    for entry in doc["rounds"]:
        frame = data[entry["id"]].frame.drop(columns=[pipeline.ROUND_COLUMN], errors="ignore")
        frame = frame[[c for c in frame.columns if not str(c).startswith("_source")]]
        name = f"{entry['id'].lower()}.parquet"
        replicate(frame, times).to_parquet(out / name, index=False)
        entry["files"] = [name]
    sample = pd.read_csv(DEMO / "sample_frame.csv")
    for col in ("psu_total", "psu_sampled", "households", "adults"):
        sample[col] = sample[col] * times
    sample.to_csv(out / "sample_frame.csv", index=False)
    margins = pd.read_csv(DEMO / "census_margins.csv")
    margins["population"] = margins["population"] * times
    margins.to_csv(out / "census_margins.csv", index=False)
    for name in ("census_cells.csv", "district_covariates.csv"):
        shutil.copy(DEMO / name, out / name)
    doc.setdefault("report", {})["output"] = "output"
    (out / "survey.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=22, help="districts (admin2), default 22")
    parser.add_argument("--rounds", type=int, default=4, help="survey rounds, default 4")
    parser.add_argument("--per-round", type=int, default=20_000, help="respondents a round, default 20,000")
    parser.add_argument("--format", choices=("parquet", "central"), default="parquet",
                        help="round files: ODK Central table as Parquet (default) or Central's CSV zip")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--times", type=int, default=None, help="instead: the demo's rows replicated N times")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.times is not None:
        print(write_project(args.out or ROOT / "benchmarks" / "_data" / f"demo_x{args.times}", args.times))
        return
    if not 1 <= args.locations <= 99 or not 2 <= args.rounds <= 12 or args.per_round < 100:
        parser.error("--locations 1-99, --rounds 2-12, --per-round at least 100")
    out = args.out or ROOT / "benchmarks" / "_data" / f"scaled_{args.locations}x{args.rounds}"
    print(write_scaled(out, args.locations, args.rounds, args.per_round, args.format, args.seed))


if __name__ == "__main__":
    main()
