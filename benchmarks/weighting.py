"""Raking benchmark (on demand): 1,000,000 respondents raked to sex x 2, age group x 5, region x 20.

Run: ``python benchmarks/weighting.py [--n 1000000] [--repeat 3] [--skip-r]``. The target is under 2 s
for survey_toolkit. The same raking is timed, in the same run, with the tools a user might otherwise
pick when they are installed: ``weightipy`` (starts from weights of 1: it cannot start from design
weights), ``balance`` (``balance.weighting_methods.rake``), and R ``survey::rake`` via ``Rscript``
(tight control ``maxit=100, epsilon=1e-10``; only the ``rake()`` call is timed, inside R). Ratios are
other tool / survey_toolkit (larger = survey_toolkit faster). Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from survey_toolkit.weighting import rake

SEX = {1: 0.49, 2: 0.51}
AGE = {1: 0.22, 2: 0.24, 3: 0.21, 4: 0.18, 5: 0.15}
REGION = {r: (10 + r) / sum(10 + q for q in range(1, 21)) for r in range(1, 21)}


def make_sample(n: int, seed: int = 20261121) -> pd.DataFrame:
    """A sample that over-represents women, the old and the first regions, with design weights."""
    rng = np.random.default_rng(seed)
    region = rng.choice(np.arange(1, 21), size=n, p=np.linspace(2, 1, 20) / np.linspace(2, 1, 20).sum())
    sex = np.where(rng.random(n) < 0.45 + 0.01 * (region % 3), 1, 2)
    age = rng.choice(np.arange(1, 6), size=n, p=[0.12, 0.18, 0.22, 0.24, 0.24])
    weight = rng.uniform(0.5, 2.0, size=n) * (1 + region / 20)
    return pd.DataFrame({"sex": sex, "age_group": age, "region": region, "design_weight": weight})


def margins(total: float) -> dict[str, dict[int, float]]:
    return {
        "sex": {k: v * total for k, v in SEX.items()},
        "age_group": {k: v * total for k, v in AGE.items()},
        "region": {k: v * total for k, v in REGION.items()},
    }


def best_of(repeat: int, func) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_survey_toolkit(df: pd.DataFrame, repeat: int) -> tuple[float, str]:
    targets = margins(float(df["design_weight"].sum()))
    seconds, out = best_of(repeat, lambda: rake(df, targets, weights="design_weight"))
    conv = out.report.convergence
    return (
        seconds,
        f"converged={conv.converged} iterations={conv.iterations} max gap={conv.max_margin_gap:.2e}",
    )


def bench_weightipy(df: pd.DataFrame, repeat: int) -> tuple[float, str] | None:
    if importlib.util.find_spec("weightipy") is None:
        return None
    import weightipy

    scheme = weightipy.scheme_from_dict(
        {
            "sex": {k: 100 * v for k, v in SEX.items()},
            "age_group": {k: 100 * v for k, v in AGE.items()},
            "region": {k: 100 * v for k, v in REGION.items()},
        }
    )
    data = df[["sex", "age_group", "region"]]
    seconds, _ = best_of(repeat, lambda: weightipy.weight(data, scheme))
    return seconds, "starts from weights of 1 (design weights ignored)"


def bench_balance(df: pd.DataFrame, repeat: int) -> tuple[float, str] | None:
    if importlib.util.find_spec("balance") is None:
        return None
    from balance.weighting_methods import rake as balance_rake  # type: ignore[import-not-found]

    total = float(df["design_weight"].sum())
    target = make_sample(len(df), seed=7)
    sample = df[["sex", "age_group", "region"]].astype(str)
    seconds, _ = best_of(
        1,
        lambda: balance_rake.rake(
            sample,
            df["design_weight"],
            target[["sex", "age_group", "region"]].astype(str),
            pd.Series(np.full(len(target), total / len(target))),
        ),
    )
    return seconds, "target given as a sample (its API), single run"


R_SCRIPT = """
suppressMessages(library(survey))
d <- read.csv("{csv}")
des <- svydesign(id=~1, weights=~design_weight, data=d)
tot <- sum(d$design_weight)
m <- list(data.frame(sex=c({sex_k}), Freq=c({sex_v})*tot),
          data.frame(age_group=c({age_k}), Freq=c({age_v})*tot),
          data.frame(region=c({reg_k}), Freq=c({reg_v})*tot))
t <- system.time(r <- rake(des, list(~sex, ~age_group, ~region), m, control=list(maxit=100, epsilon=1e-10)))
cat(t[["elapsed"]], "\\n")
"""


def bench_r(df: pd.DataFrame) -> tuple[float, str] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "sample.csv"
        df.to_csv(csv, index=False)

        def vec(d: dict) -> tuple[str, str]:
            return ",".join(str(k) for k in d), ",".join(repr(v) for v in d.values())

        (sk, sv), (ak, av), (rk, rv) = vec(SEX), vec(AGE), vec(REGION)
        script = R_SCRIPT.format(
            csv=csv.as_posix(), sex_k=sk, sex_v=sv, age_k=ak, age_v=av, reg_k=rk, reg_v=rv
        )
        done = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None
        version = subprocess.run(
            ["Rscript", "-e", "cat(as.character(packageVersion('survey')))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return float(done.stdout.split()[-1]), f"survey {version}, rake() only, maxit=100, epsilon=1e-10"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-r", action="store_true")
    args = parser.parse_args()
    df = make_sample(args.n)
    ours, note = bench_survey_toolkit(df, args.repeat)
    rows = [("survey_toolkit.rake", ours, 1.0, note)]
    others = [("weightipy.weight", bench_weightipy(df, args.repeat)), ("balance rake", bench_balance(df, 1))]
    if not args.skip_r:
        others.append(("R survey::rake", bench_r(df)))
    for label, result in others:
        if result is None:
            rows.append((label, float("nan"), float("nan"), "not installed (or failed)"))
        else:
            rows.append((label, result[0], result[0] / ours, result[1]))
    print(f"raking {args.n:,} respondents to sex x 2, age group x 5, region x 20 (best of {args.repeat})")
    print(f"{'tool':24} {'seconds':>9} {'ratio':>8}  note")
    for label, seconds, ratio, text in rows:
        print(f"{label:24} {seconds:9.3f} {ratio:8.2f}  {text}")
    print("target: survey_toolkit under 2 s:", "OK" if ours < 2 else "TOO SLOW")


if __name__ == "__main__":
    main()
