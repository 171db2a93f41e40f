"""Benchmark of the estimation engine (run on demand; not part of the test suite).

    .venv/bin/python benchmarks/estimation.py [--rows 1000000] [--repeat 5] [--no-r] [--r-indicators K]
        [--svy-indicators K] [--samplics-indicators K] [--svy-timeout S] [--samplics-timeout S]

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
4. ``svy`` (``Sample(...).estimation.prop([...], by=["location", "round"], drop_nulls=True)``: the
   missing rows leave each indicator's estimate but stay in the design) on the first
   ``--svy-indicators`` indicators (default 2; 0 skips);
5. raked designs: the same 20 indicators on the design raked to location, sex and age margins,
   against the plain design in the same run (``raked / plain``), at the given rows x 200 domains and at
   100,000 rows x 1,600 domains (location x round x sex x age; ``--no-raked`` skips);
6. ``samplics`` (``TaylorEstimator(PopParam.prop).estimate(..., domain=<location x round>,
   remove_nan=True)``, one call per indicator) on the first ``--samplics-indicators`` indicators
   (default 2; 0 skips). ``remove_nan`` physically drops the rows missing the indicator (the SE is
   unchanged as long as every PSU keeps a row, which the harness checks and reports), and the CI uses
   the whole design's df rather than the domain's, so only the SEs are expected to agree.

The svy and samplics harnesses each run in a child process (the same data, regenerated from the same
seed) under a timeout (``--svy-timeout`` / ``--samplics-timeout``, seconds), so that a slow or
memory-hungry package neither stalls the run nor inflates the engine's peak memory. Only the
package's own work is timed (design object, estimation, results table), not the pandas -> polars
conversion. Times on a subset of indicators are scaled linearly to 20 for the ratios.

Prints the timings, their ratios measured in the same run and the peak resident memory (of this
process, which runs the engine, and of each child). It also checks that the engine's SEs equal the
numpy floor's and each package's.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
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
    extra = np.random.default_rng(seed + 1)  # own stream: the columns above do not change
    cols["sex"] = extra.integers(1, 3, n)
    cols["age"] = extra.integers(1, 5, n)
    return pd.DataFrame(cols)


RAKE_MARGINS = ("location", "sex", "age")


def rake_targets(frame: pd.DataFrame) -> dict:
    """Census-like margins: every other category 10 % above its weighted sample share, all summing to N."""
    total = frame["w"].sum()
    margins = {}
    for col in RAKE_MARGINS:
        sums = frame.groupby(col)["w"].sum()
        shifted = sums * np.where(np.arange(sums.size) % 2, 1.1, 0.9)
        margins[col] = {k: float(v) for k, v in (shifted * total / shifted.sum()).items()}
    return margins


def rake_weights(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with ``w`` replaced by the raked weight (for the other tools' raked runs)."""
    from survey_toolkit.weighting import rake

    raked = rake(frame, rake_targets(frame), Design(weights="w", strata="stratum", psu="psu"))
    return frame.assign(w=raked.frame[raked.weight_column].to_numpy())


def raked_ratio(frame: pd.DataFrame, by: list[str], repeat: int) -> tuple[float, float, float, pd.DataFrame]:
    """Best-of-``repeat`` times of ``estimate`` on the plain and on the raked design (interleaved, same
    indicators and domains), and the raking time. The variance of the raked design uses the
    calibration residuals of every domain (R ``rake()``'s)."""
    from survey_toolkit.weighting import rake

    design = Design(weights="w", strata="stratum", psu="psu")
    t_rake, raked = time_it(lambda: rake(frame, rake_targets(frame), design), 1)
    indicators = [f"i{i + 1}" for i in range(N_IND)]
    t_plain = t_raked = np.inf
    for _ in range(repeat):
        t_plain = min(t_plain, time_it(
            lambda: estimate(frame, design, indicators, "proportion", category=1.0, by=by), 1)[0])
        t, out = time_it(
            lambda: estimate(raked.frame, raked.design, indicators, "proportion", category=1.0, by=by), 1)
        t_raked = min(t_raked, t)
    return t_plain, t_raked, t_rake, out


def report_raked(frame: pd.DataFrame, repeat: int) -> tuple[float, pd.DataFrame]:
    """Raked / plain time ratios: the given rows x 200 domains, and 100,000 rows x 1,600 domains.
    Returns the engine's time and output on the raked design of the first case (for the other tools)."""
    cases = [(frame, ["location", "round"]), (generate(min(len(frame), 100_000)), ["location", "round", "sex", "age"])]
    first = None
    for data, by in cases:
        t_plain, t_raked, t_rake, out = raked_ratio(data, by, repeat)
        first = first or (t_raked, out)
        domains = int(np.prod([data[c].nunique() for c in by]))
        print(
            f"raked design             : {len(data):,} rows x {domains:,} domains, 20 indicators: plain "
            f"{t_plain:.3f} s, raked {t_raked:.3f} s -> raked / plain = {t_raked / t_plain:.2f}x "
            f"(rake on {', '.join(RAKE_MARGINS)}: {t_rake:.2f} s, not included)"
        )
    return first


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


R_RAKE = """
pop <- lapply(c({margins}), function(m) read.csv(file.path("{tmp}", paste0("margin_", m, ".csv"))))
des <- rake(des, lapply(c({margins}), function(m) as.formula(paste0("~", m))), pop,
            control=list(maxit=100, epsilon=1e-10))
"""


def time_r(frame: pd.DataFrame, k: int, raked: bool = False) -> tuple[float | None, str]:
    """R ``svyby`` per indicator (only the svyby calls timed); ``raked``: on ``rake(des, ...)`` to the
    benchmark's margins (R then uses the calibration residuals, as the engine does)."""
    if shutil.which("Rscript") is None:
        return None, "Rscript not installed"
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "bench.csv"
        frame.to_csv(csv, index=False, na_rep="NA")
        script = Path(tmp) / "bench.R"
        text = R_SCRIPT.format(csv=csv.as_posix(), k=k)
        if raked:
            for m, targets in rake_targets(frame).items():
                pd.DataFrame({m: list(targets), "Freq": list(targets.values())}).to_csv(
                    Path(tmp) / f"margin_{m}.csv", index=False)
            names = ", ".join(f'"{m}"' for m in RAKE_MARGINS)
            text = text.replace("# one svyby", R_RAKE.format(margins=names, tmp=Path(tmp).as_posix()) + "# one svyby")
        script.write_text(text)
        proc = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=False)
    seconds = [ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("SVYBY_SECONDS")]
    if not seconds:
        return None, "R failed: " + proc.stderr.strip()[-300:]
    first = [ln.split()[1] for ln in proc.stdout.splitlines() if ln.startswith("R_SE_FIRST")]
    return float(seconds[0]), f"first SE {first[0] if first else '?'}"


DOMAIN_COLS = ["location", "round"]


def _domain_index(frame: pd.DataFrame) -> pd.MultiIndex:
    """All location x round domains in the engine's output order."""
    return pd.MultiIndex.from_product([np.unique(frame[c]) for c in DOMAIN_COLS], names=DOMAIN_COLS)


def run_svy(frame: pd.DataFrame, indicators: list[str]) -> dict:
    """``svy``: proportions by location x round through the public API; returns seconds, SEs, CIs."""
    import polars as pl
    import svy

    data = pl.from_pandas(frame[["stratum", "psu", "w", *DOMAIN_COLS, *indicators]])  # NaN -> null
    t0 = time.perf_counter()
    sample = svy.Sample(data, svy.Design(stratum="stratum", psu="psu", wgt="w"))
    results = sample.estimation.prop(indicators, by=DOMAIN_COLS, drop_nulls=True)
    tables = [r.to_polars() for r in results]
    seconds = time.perf_counter() - t0
    index = _domain_index(frame)
    se, low = [], []
    for var, table in zip(indicators, tables, strict=True):
        ones = table.filter(pl.col(var) == 1.0).to_pandas().set_index(DOMAIN_COLS).reindex(index)
        se.append(ones["se"].tolist())
        low.append(ones["lci"].tolist())
    note = "drop_nulls=True: missing rows leave the estimate, stay in the design; CI logit on domain df"
    return {"seconds": seconds, "se": se, "ci_low": low, "note": note}


def run_samplics(frame: pd.DataFrame, indicators: list[str]) -> dict:
    """``samplics``: one ``TaylorEstimator`` per indicator with a location x round ``domain``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # "samplics is archived"
        from samplics import PopParam, TaylorEstimator

    index = _domain_index(frame)
    cols = {c: frame[c].to_numpy() for c in ["stratum", "psu", "w", *DOMAIN_COLS]}
    all_psus = np.unique(cols["psu"]).size
    t0 = time.perf_counter()
    domain = cols["location"] * N_ROUNDS + cols["round"] - 1
    tables = []
    for var in indicators:
        est = TaylorEstimator(PopParam.prop)
        est.estimate(
            y=frame[var].to_numpy(),
            samp_weight=cols["w"],
            stratum=cols["stratum"],
            psu=cols["psu"],
            domain=domain,
            remove_nan=True,
        )
        tables.append(est.to_dataframe())
    seconds = time.perf_counter() - t0
    codes = index.get_level_values(0).to_numpy() * N_ROUNDS + index.get_level_values(1).to_numpy() - 1
    se, low, lost = [], [], 0
    for var, table in zip(indicators, tables, strict=True):
        ones = table[table["_level"] == 1.0].set_index("_domain").reindex(codes)
        se.append(ones["_stderror"].tolist())
        low.append(ones["_lci"].tolist())
        lost += all_psus - np.unique(cols["psu"][~np.isnan(frame[var].to_numpy())]).size
    note = (
        f"remove_nan=True drops the rows missing the indicator ({lost} PSU(s) lost entirely, so the "
        "SE is "
        + ("unchanged" if lost == 0 else "NOT the full-design one")
        + "); CI logit on the whole design's df, not the domain's"
    )
    return {"seconds": seconds, "se": se, "ci_low": low, "note": note}


HARNESSES = {"svy": run_svy, "samplics": run_samplics}


def harness_child(name: str, rows: int, k: int, raked: bool = False) -> None:
    """Child-process entry: regenerate the data, run one package, print one JSON line. ``raked``: the
    weights raked by survey_toolkit (not timed), used as the package's design weights."""
    frame = generate(rows)
    if raked:
        frame = rake_weights(frame)
    result = HARNESSES[name](frame, [f"i{i + 1}" for i in range(k)])
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("HARNESS_RESULT " + json.dumps(result))


def time_package(name: str, rows: int, k: int, timeout: float, raked: bool = False) -> tuple[dict | None, str]:
    """Run one package's harness in a child process under ``timeout`` seconds."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--harness",
        name,
        "--rows",
        str(rows),
        "--harness-indicators",
        str(k),
        *(["--harness-raked"] if raked else []),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:.0f} s (data generation included)"
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("HARNESS_RESULT ")]
    if proc.returncode != 0 or not lines:
        return None, f"failed (exit {proc.returncode}): " + proc.stderr.strip()[-300:]
    return json.loads(lines[-1].removeprefix("HARNESS_RESULT ")), ""


def report_package(
    name: str, args: argparse.Namespace, out: pd.DataFrame, t_engine: float, raked: bool = False
) -> float | None:
    """Time one package on its subset of indicators, print the line (with the SE check) and return the
    ratio package / engine (scaled to 20 indicators). ``raked``: on the raked weights, against the
    engine on the raked design (the package's SEs then leave out the calibration: no SE match expected)."""
    k = min(getattr(args, f"{name}_indicators"), N_IND)
    label = f"{name + (' (raked)' if raked else ''):<24}:"
    if k <= 0:
        print(f"{label} skipped (--{name}-indicators 0)")
        return None
    if importlib.util.find_spec(name) is None:
        print(f"{label} not installed")
        return None
    timeout = getattr(args, f"{name}_timeout")
    res, why = time_package(name, args.rows, k, timeout, raked)
    if res is None:
        print(
            f"{label} not timed: {why}; so roughly > {timeout / k * N_IND / t_engine:.0f}x the engine "
            "(scaled to 20 indicators)"
        )
        return None
    se = np.array(res["se"], dtype=float)
    low = np.array(res["ci_low"], dtype=float)
    eng = out[out["variable"].isin([f"i{i + 1}" for i in range(k)])]
    eng_se = eng["se"].to_numpy().reshape(k, -1)
    eng_low = eng["ci_low"].to_numpy().reshape(k, -1)
    se_diff = float(np.nanmax(np.abs(se - eng_se) / eng_se))
    ci_diff = float(np.nanmax(np.abs(low - eng_low)))
    scale = N_IND / k
    print(
        f"{label} {res['seconds']:7.3f} s for {k} indicators (first SE {se[0, 0]:.10g}, engine "
        f"{eng_se[0, 0]:.10g}; max rel. SE diff {se_diff:.1e}, max abs. CI-low diff {ci_diff:.1e}); "
        f"{name} / engine = {res['seconds'] * scale / t_engine:.1f}x (scaled to 20 indicators); "
        f"child peak memory {res['peak_mb']:,.0f} MB"
    )
    note = res["note"] + ("; raked weights used as design weights (its SEs leave out the calibration)"
                          if raked else "")
    print(f"{'':<24}  ({name} {importlib.metadata.version(name)}) {note}")
    return res["seconds"] * scale / t_engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-r", action="store_true", help="skip the R svyby timing")
    ap.add_argument("--no-raked", action="store_true", help="skip the raked / plain design ratios")
    ap.add_argument("--r-indicators", type=int, default=N_IND, help="indicators in the R run")
    ap.add_argument("--svy-indicators", type=int, default=2, help="indicators in the svy run (0 skips)")
    ap.add_argument(
        "--samplics-indicators", type=int, default=2, help="indicators in the samplics run (0 skips)"
    )
    ap.add_argument("--svy-timeout", type=float, default=900, help="seconds before the svy run is stopped")
    ap.add_argument(
        "--samplics-timeout", type=float, default=900, help="seconds before the samplics run is stopped"
    )
    ap.add_argument("--harness", choices=sorted(HARNESSES), help=argparse.SUPPRESS)
    ap.add_argument("--harness-indicators", type=int, default=2, help=argparse.SUPPRESS)
    ap.add_argument("--harness-raked", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.harness:
        harness_child(args.harness, args.rows, args.harness_indicators, args.harness_raked)
        return

    import warnings

    warnings.simplefilter("ignore", UserWarning)  # p = 0 / 1 interval notes in small domains
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
    print(
        f"rows out: {len(out):,} (20 indicators x {se.shape[1]} domains); max rel. SE diff vs floor {max_rel:.1e}"
    )
    print(f"survey_toolkit.estimate : {t_engine:7.3f} s  (of which design.prepare {t_prep:.3f} s)")
    print(f"numpy floor (SEs only)  : {t_floor:7.3f} s  -> engine / floor = {t_engine / t_floor:.2f}x")

    raked = None if args.no_raked else report_raked(frame, args.repeat)
    ratios: dict[str, list] = {}
    for label, t_eng, out_eng, is_raked in [("plain", t_engine, out, False)] + (
        [("raked", raked[0], raked[1], True)] if raked else []
    ):
        row = ratios.setdefault(label, [])
        if not args.no_r:
            sub = frame[["stratum", "psu", "location", "round", "w", *RAKE_MARGINS[1:]] + indicators[: args.r_indicators]]
            t_r, note = time_r(sub, args.r_indicators, raked=is_raked)
            if t_r is None:
                print(f"R survey svyby ({label})  : not run ({note})")
                row.append(None)
            else:
                scale = N_IND / args.r_indicators
                note += f", engine {float(out_eng['se'].iloc[0]):.7g}"
                print(
                    f"R survey svyby ({label})  : {t_r:7.3f} s for {args.r_indicators} indicators ({note}); "
                    f"R / engine = {t_r * scale / t_eng:.1f}x (scaled to 20 indicators)"
                )
                row.append(t_r * scale / t_eng)
        else:
            row.append(None)
        for pkg in ("svy", "samplics"):
            row.append(report_package(pkg, args, out_eng, t_eng, raked=is_raked))
    if any(v is not None for row in ratios.values() for v in row):
        print(f"\nratios tool / engine, same run ({len(frame):,} rows x 200 domains, 20 indicators):")
        print(f"{'design':<8} {'R survey':>10} {'svy':>10} {'samplics':>10}")
        for label, row in ratios.items():
            print(f"{label:<8} " + " ".join(f"{v:>9.1f}x" if v is not None else f"{'-':>10}" for v in row))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory    : {peak:,.0f} MB (this process; svy and samplics ran in children)")


if __name__ == "__main__":
    main()
