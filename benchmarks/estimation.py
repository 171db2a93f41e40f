"""Benchmark of the estimation engine (run on demand; not part of the test suite).

    .venv/bin/python benchmarks/estimation.py [--rows 1000000] [--no-r] [--repeat 3]

Generates a stratified cluster sample of 1,000,000 respondents (20 strata, ~2,000 PSUs, 50 locations
x 4 rounds, 20 binary indicators with 5% missing values) and times:

1. ``survey_toolkit.estimate``: all 20 proportions with SE, CI (xlogit, t on per-domain df), deff,
   counts, by location x round (200 domains);
2. the numpy floor: a bare computation of the same 4,000 SEs with ``np.bincount`` (no CI, no deff,
   no checks);
3. R ``survey``: ``svyby(~i<k>, ~location+round, design, svymean, na.rm=TRUE)`` for each indicator
   (one call per indicator, because ``na.rm=TRUE`` on several variables at once drops the rows missing
   any of them) via Rscript on a written CSV, timing only the ``svyby`` calls inside R (``--no-r``
   skips it); the first SE is printed beside the engine's as a check;
4. the ``svy`` and ``samplics`` Python packages when they are installed.

Prints the timings, their ratios measured in the same run and the peak resident memory. It also
checks that the engine's SEs equal the numpy floor's.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from survey_toolkit import Design, estimate  # noqa: E402

N_STRATA, N_PSU, N_LOC, N_ROUNDS, N_IND = 20, 2000, 50, 4, 20


def generate(n: int, seed: int = 20261121) -> pd.DataFrame:
    """Synthetic survey: PSUs nested in strata, each PSU in one location, rounds at random."""
    rng = np.random.default_rng(seed)
    psu = rng.integers(0, N_PSU, n)
    stratum = psu % N_STRATA
    location = psu % N_LOC
    rnd = rng.integers(1, N_ROUNDS + 1, n)
    w = rng.uniform(50, 400, n) * (1 + stratum / 10)
    psu_effect = rng.normal(0, 0.6, N_PSU)[psu]
    cols = {"stratum": stratum, "psu": psu, "location": location, "round": rnd, "w": w}
    for i in range(N_IND):
        p = 1 / (1 + np.exp(-(-1 + 0.1 * i + psu_effect)))
        y = (rng.random(n) < p).astype(float)
        y[rng.random(n) < 0.05] = np.nan
        cols[f"i{i + 1}"] = y
    return pd.DataFrame(cols)


def numpy_floor(frame: pd.DataFrame, indicators: list[str]) -> np.ndarray:
    """The same SEs with nothing but bincounts (with-replacement, ultimate cluster): the floor."""
    w = frame["w"].to_numpy()
    psu = frame["psu"].to_numpy()
    strat_of_psu = np.zeros(N_PSU, dtype=np.int64)
    strat_of_psu[psu] = frame["stratum"].to_numpy()
    n_h = np.bincount(strat_of_psu, minlength=N_STRATA).astype(float)
    dom = frame["location"].to_numpy() * N_ROUNDS + frame["round"].to_numpy() - 1
    D = N_LOC * N_ROUNDS
    key = psu * D + dom
    g = np.repeat(strat_of_psu, D) * D + np.tile(np.arange(D), N_PSU)
    out = np.empty((len(indicators), D))
    for j, col in enumerate(indicators):
        y = frame[col].to_numpy()
        valid = ~np.isnan(y)
        wv = np.where(valid, w, 0.0)
        wy = np.where(valid, w * y, 0.0)
        sy = np.bincount(key, wy, N_PSU * D)
        sw = np.bincount(key, wv, N_PSU * D)
        Y = sy.reshape(N_PSU, D).sum(0)
        X = sw.reshape(N_PSU, D).sum(0)
        p = Y / X
        z = (sy - np.tile(p, N_PSU) * sw) / np.tile(X, N_PSU)
        S = np.bincount(g, z, N_STRATA * D).reshape(N_STRATA, D)
        SS = np.bincount(g, z * z, N_STRATA * D).reshape(N_STRATA, D)
        nh = n_h[:, None]
        out[j] = np.sqrt((nh / (nh - 1) * (SS - S * S / nh)).sum(0))
    return out


def time_it(fn, repeat: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


R_SCRIPT = """
suppressMessages(library(survey))
d <- read.csv("{csv}")
des <- svydesign(id=~psu, strata=~stratum, weights=~w, data=d)
# one svyby per indicator: with several variables, na.rm=TRUE would drop rows missing ANY of them
t <- system.time(b <- lapply(paste0("i", 1:{k}), function(v)
  svyby(as.formula(paste0("~", v)), ~location+round, des, svymean, na.rm=TRUE)))[["elapsed"]]
cat("SVYBY_SECONDS", t, "\\n")
cat("R_SE_FIRST", format(SE(b[[1]])[1], digits=10), "\\n")
"""


def time_r(frame: pd.DataFrame, k: int) -> tuple[float | None, str]:
    if shutil.which("Rscript") is None:
        return None, "Rscript not installed"
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "bench.csv"
        frame.to_csv(csv, index=False, na_rep="NA")
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT.format(csv=csv.as_posix(), k=k))
        proc = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    seconds = [ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("SVYBY_SECONDS")]
    if not seconds:
        return None, "R failed: " + proc.stderr.strip()[-300:]
    first = [ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("R_SE_FIRST")]
    return float(seconds[0]), f"first SE {first[0] if first else '?'}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true", help="skip the R svyby timing")
    ap.add_argument("--r-indicators", type=int, default=N_IND, help="indicators in the R run")
    args = ap.parse_args()

    t0 = time.perf_counter()
    frame = generate(args.rows)
    indicators = [f"i{i + 1}" for i in range(N_IND)]
    print(f"generated {len(frame):,} rows x {frame.shape[1]} columns in {time.perf_counter() - t0:.2f} s")
    design = Design(weights="w", strata="stratum", psu="psu")

    def engine():
        return estimate(frame, design, indicators, "proportion", category=1.0, by=["location", "round"])

    # interleaved, best of `repeat` each, so that a load spike on a shared machine hits both alike
    t_engine = t_prep = t_floor = np.inf
    for _ in range(args.repeat):
        t, out = time_it(engine, 1)
        t_engine = min(t_engine, t)
        t_prep = min(t_prep, time_it(lambda: design.prepare(frame), 1)[0])
        t, floor = time_it(lambda: numpy_floor(frame, indicators), 1)
        t_floor = min(t_floor, t)
    se = out["se"].to_numpy().reshape(N_IND, -1)
    max_rel = float(np.nanmax(np.abs(se - floor) / floor))
    print(f"rows out: {len(out):,} (20 indicators x {se.shape[1]} domains); max rel. SE diff vs floor {max_rel:.1e}")
    print(f"survey_toolkit.estimate : {t_engine:7.3f} s  (of which design.prepare {t_prep:.3f} s)")
    print(f"numpy floor (SEs only)  : {t_floor:7.3f} s  -> engine / floor = {t_engine / t_floor:.2f}x")

    if not args.no_r:
        sub = frame[["stratum", "psu", "location", "round", "w"] + indicators[: args.r_indicators]]
        t_r, note = time_r(sub, args.r_indicators)
        if t_r is None:
            print(f"R survey svyby          : not run ({note})")
        else:
            scale = N_IND / args.r_indicators
            note += f", engine {float(out['se'].iloc[0]):.7g}"
            print(f"R survey svyby          : {t_r:7.3f} s for {args.r_indicators} indicators ({note}); "
                  f"R / engine = {t_r * scale / t_engine:.1f}x (scaled to 20 indicators)")
    for pkg in ("svy", "samplics"):
        if importlib.util.find_spec(pkg) is None:
            print(f"{pkg:<24}: not installed")
        else:
            print(f"{pkg:<24}: installed, but no timing harness here (see the README of this benchmark)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory    : {peak:,.0f} MB")


if __name__ == "__main__":
    main()
