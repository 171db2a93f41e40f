"""Write a project N times the size of the demo (default 10x): every round's respondents replicated.

    .venv/bin/python benchmarks/scaled_project.py                 # -> benchmarks/_data/demo_x10/
    .venv/bin/python benchmarks/scaled_project.py --times 5 --out /tmp/demo_x5
    .venv/bin/python benchmarks/report.py benchmarks/_data/demo_x10 -n 3

Each demo round is loaded with survey_toolkit, its rows copied ``--times`` times (copy k gets new
record and submission ids and its own PSUs: cluster ``<id>`` becomes ``<id>-k<k>``, so the design
has ``times`` x the PSUs in the same strata) and written as a Parquet export with the form's column
names. The sample frame's PSU counts (``psu_sampled``, ``psu_total``) and population sizes are
multiplied alike, so base weights, the fpc and the census margins stay coherent. The survey.yaml is the
demo's with these files. Estimates stay close to the demo's (same answers, more PSUs); only sizes change.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "examples" / "demo"


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
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or ROOT / "benchmarks" / "_data" / f"demo_x{args.times}"
    print(write_project(out, args.times))


if __name__ == "__main__":
    main()
