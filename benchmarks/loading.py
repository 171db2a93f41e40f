"""Benchmark: loading a large KoBo XLSX export of the standard instrument, next to a raw read.

Usage::

    python benchmarks/loading.py            # 100,000 rows (generated once into benchmarks/_data/)
    python benchmarks/loading.py --rows 20000 --repeat 3

The export imitates KoBo's XLSX with the UI defaults (XML headers, no group paths, select_multiple
summary plus one dummy per choice, numbers and dates as typed cells, the ``_``-metadata columns).
Three timings are printed: python-calamine reading the main sheet into Python lists (the fastest raw
read), pandas building a DataFrame from it, and the full ``survey_toolkit.load`` (parse, match the
headers to the instrument, type every column, metadata). Target: ``load`` within 1.5x of the raw read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "_data"
INSTRUMENT = ROOT / "instruments" / "cssp_core.xlsx"


def _columns(instrument, n: int, rng: np.random.Generator) -> dict[str, list]:
    from survey_toolkit.io.headers import question_kind, table_questions

    cols: dict[str, list] = {}
    start = np.datetime64("2024-05-01T08:00:00") + rng.integers(0, 30 * 86400, n).astype("timedelta64[s]")
    for q in table_questions(instrument, None):
        kind = question_kind(q)
        codes = (
            list(instrument.choice_lists[q.list_name].codes) if q.list_name in instrument.choice_lists else []
        )
        skipped = rng.random(n) < 0.15
        if kind == "select_one":
            vals = rng.choice(codes, n).astype(object)
            vals = np.array([float(v) if v.lstrip("-").isdigit() else v for v in vals], dtype=object)
            vals[skipped] = ""
            cols[q.name] = vals.tolist()
        elif kind == "select_multiple":
            picks = rng.random((n, len(codes))) < 0.35
            picks[:, 0] |= ~picks.any(axis=1)
            picks[skipped] = False
            summary = [" ".join(c for c, p in zip(codes, row, strict=True) if p) for row in picks]
            cols[q.name] = summary
            for j, c in enumerate(codes):
                d = picks[:, j].astype(float).astype(object)
                d[skipped] = ""
                cols[f"{q.name}/{c}"] = d.tolist()
        elif kind == "integer":
            cols[q.name] = rng.integers(18, 90, n).astype(float).tolist()
        elif kind in ("start", "end"):
            offset = 0 if kind == "start" else 1500
            cols[q.name] = (start + np.timedelta64(offset, "s")).astype(dt.datetime).tolist()
        elif kind == "today":
            cols[q.name] = start.astype("datetime64[D]").astype(dt.date).tolist()
        elif kind == "calculate":
            cols[q.name] = rng.integers(0, 5, n).astype(str).tolist()
        else:
            cols[q.name] = [f"{kind}-{i % 97}" for i in range(n)]
    ids = [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, n)]
    cols["_id"] = (np.arange(n) + 1000.0).tolist()
    cols["_uuid"] = ids
    cols["_submission_time"] = (start + np.timedelta64(3600, "s")).astype(dt.datetime).tolist()
    cols["_validation_status"] = [""] * n
    cols["_notes"] = [""] * n
    cols["_status"] = ["submitted_via_web"] * n
    cols["_submitted_by"] = ["enum1"] * n
    cols["__version__"] = ["vBench1"] * n
    cols["_tags"] = [""] * n
    cols["meta/rootUuid"] = ["uuid:" + i for i in ids]
    cols["_index"] = (np.arange(n) + 1.0).tolist()
    return cols


def generate(path: Path, rows: int, seed: int = 7) -> Path:
    """Write a KoBo-style XLSX export of ``rows`` submissions of the standard instrument."""
    import xlsxwriter

    from survey_toolkit import read_instrument

    instrument = read_instrument(INSTRUMENT)
    cols = _columns(instrument, rows, np.random.default_rng(seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet("Community safety survey")
    names = list(cols)
    ws.write_row(0, 0, names)
    for r, row in enumerate(zip(*cols.values(), strict=True), start=1):
        ws.write_row(r, 0, row)
    wb.close()
    return path


def _time(fn, repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds over ``repeat`` runs (CPU time is steadier on busy machines)."""
    best, best_cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    import pandas as pd
    from python_calamine import CalamineWorkbook

    import survey_toolkit as st

    path = DATA / f"kobo_standard_{args.rows}.xlsx"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {path.name} in {time.perf_counter() - t0:.1f} s")
    instrument = st.read_instrument(INSTRUMENT)

    def raw_read():
        wb = CalamineWorkbook.from_path(str(path))
        return wb.get_sheet_by_name(wb.sheet_names[0]).to_python()

    def raw_frame():
        rows = raw_read()
        return pd.DataFrame(rows[1:], columns=rows[0], dtype=object)

    t_raw, c_raw, rows = _time(raw_read, args.repeat)
    t_frame, c_frame, _ = _time(raw_frame, args.repeat)
    t_load, c_load, data = _time(lambda: st.load(path, instrument), args.repeat)
    print(f"\n{len(rows) - 1:,} rows x {len(rows[0])} columns  ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"{'step':<44}{'wall s':>9}{'x raw':>7}{'cpu s':>9}{'x raw':>7}")
    for label, t, c in [
        ("python-calamine to_python (raw read)", t_raw, c_raw),
        ("raw read + pandas DataFrame", t_frame, c_frame),
        ("survey_toolkit.load (parse, match, type)", t_load, c_load),
    ]:
        print(f"{label:<44}{t:>9.2f}{t / t_raw:>7.2f}{c:>9.2f}{c / c_raw:>7.2f}")
    print(f"\nloaded frame: {data.frame.shape}, problems: {len(data.problems)}")


if __name__ == "__main__":
    main()
