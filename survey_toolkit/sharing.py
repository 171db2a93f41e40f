"""Microdata for partners: a de-identified export with k-anonymity on the quasi-identifiers, individual
re-identification risk, local suppression, and a disclosure report.

:func:`share_frame` works on one weighted data frame; :func:`share_project` runs a project up to the
weights and writes ``shared/microdata.csv``, ``shared/removed_columns.csv`` and
``shared/disclosure_report.html``. The rules (``docs/guide-programme-designer.md``, "Sharing data"):

1. **Direct identifiers are dropped**, found from the form (free text, GPS, media, barcodes, device,
   phone, e-mail and user metadata, audit logs) and from column names (name, phone, gps, email,
   address...), plus any column the project lists; each is listed with its reason. Record ids, PSU
   and stratum ids are replaced by sequential codes (the design still works; the villages do not show).
2. **Quasi-identifiers are coarsened** by project rules: ages banded (and top-coded at 80), a finer
   location replaced by its parent.
3. **k-anonymity** is measured on the declared quasi-identifiers (a suppressed value counts as its own
   category, which never overstates k), with each record's **individual risk** (Benedetti-Franconi
   approximation used by sdcMicro: ``p = f/F`` with ``f`` the sample count of the record's key and ``F``
   the sum of weights; risk ``p/(1-p) log(1/p)`` for ``f = 1``, ``p/(1-p) - (p/(1-p))^2 log(1/p)`` for
   ``f = 2``, ``p / (f - (1 - p))`` otherwise).
4. **Local suppression** until k is met: quasi-identifier values of records in keys smaller than k
   are blanked, the most identifying variable first (most categories), until every record is in a key
   of at least k records or has no quasi-identifier left.
5. **The weights are kept**, and the headline indicators are estimated on both the full data and the
   export, so the report shows what the protection costs.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._compat import renamed_keywords
from .instrument import Instrument

__all__ = ["ShareResult", "share_frame", "share_project", "direct_identifiers", "individual_risk", "DEFAULT_QUASI"]

DEFAULT_QUASI = ("admin2", "a1_sex", "age_group", "a2_age", "disability", "a4_displacement")
"""Quasi-identifiers used when the project declares none (those present), after domain.md §8.4."""

_IDENT_TYPES = {
    "text": "free text", "geopoint": "GPS", "geotrace": "GPS", "geoshape": "GPS", "image": "photo or media",
    "audio": "photo or media", "video": "photo or media", "file": "attached file", "barcode": "barcode",
    "deviceid": "device id", "subscriberid": "device id", "simserial": "device id", "phonenumber": "phone number",
    "username": "user name", "email": "e-mail", "audit": "audit log", "background-audio": "photo or media",
}  # fmt: skip
_IDENT_NAMES = re.compile(
    r"(^|[_/.\-])(name|names|nom|first_?name|last_?name|surname|phone|tel|telephone|mobile|msisdn|gps|lat|"
    r"latitude|lon|long|longitude|altitude|precision|email|e_?mail|address|adresse|national_?id|nid|"
    r"passport|id_?number|deviceid|imei|simserial|subscriberid|username|photo|signature)($|[_/.\-])",
    re.IGNORECASE,
)
_PLATFORM_DROP = {
    "_submission_time", "_submitted_by", "_uuid", "_id", "meta/instanceID", "meta/rootUuid", "start", "end",
    "today", "instanceID", "KEY", "SubmissionDate", "_source_file", "_source_row", "_source_format",
    "_submission_id", "_review_status", "_form_version", "enumerator_id", "_validation_status", "_status",
    "_notes", "_tags", "__version__", "_index", "_parent_key", "_key", "_instance_name", "instanceName",
    "meta/instanceName", "deviceid", "audit",
}  # fmt: skip
AGE_BANDS = (18, 25, 35, 50, 65, 80)


@dataclass(frozen=True)
class ShareResult:
    data: pd.DataFrame
    """The export: no direct identifier, quasi-identifiers coarsened and locally suppressed, weights kept."""
    removed: pd.DataFrame
    """Columns dropped or replaced, with the reason."""
    suppressed: pd.DataFrame
    """Per quasi-identifier: values blanked by local suppression."""
    risk: pd.DataFrame
    """Summary: k reached, records below k before/after, expected re-identifications, max risk."""
    quasi: tuple[str, ...]
    k: int
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Headline indicators estimated on the full data and on the export (filled by :func:`share_project`)."""


def direct_identifiers(columns: Sequence[str], instrument: Instrument | None, extra: Sequence[str] = ()) -> dict[str, str]:
    """``{column: reason}`` for every column to drop: by the form's question type, by name, or listed."""
    types = {}
    if instrument is not None:
        for q in instrument.questions:
            types[q.name] = q.type.split(" ")[0]
    out: dict[str, str] = {}
    for col in columns:
        base = str(col).split("/")[0]
        qtype = types.get(base)
        if col in extra:
            out[col] = "listed in share.drop"
        elif qtype in _IDENT_TYPES:
            out[col] = f"direct identifier: {_IDENT_TYPES[qtype]} (form type '{qtype}')"
        elif str(col).endswith("_other") or (qtype is None and str(col).endswith("/other_text")):
            out[col] = "direct identifier: free text ('other, specify')"
        elif _IDENT_NAMES.search(str(col)):
            out[col] = "direct identifier: the column name says it identifies people"
        elif col in _PLATFORM_DROP or base in _PLATFORM_DROP:
            out[col] = "platform metadata (times, ids, interviewer, source file)"
    return out


def individual_risk(f: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Benedetti-Franconi individual re-identification risk (sdcMicro's approximation), elementwise."""
    f = np.asarray(f, dtype=float)
    F = np.maximum(np.asarray(F, dtype=float), f)
    p = np.clip(f / F, 1e-12, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(p < 1, p / (1 - p), np.inf)
        r1 = odds * np.log(1 / p)
        r2 = odds - odds**2 * np.log(1 / p)
        r3 = p / (f - (1 - p))
        risk = np.where(f <= 1, r1, np.where(f == 2, r2, r3))
    return np.where(p >= 1, 1.0, np.clip(risk, 0.0, 1.0))


def _keys(frame: pd.DataFrame, quasi: Sequence[str]) -> pd.Series:
    """One key per record: its quasi-identifier values joined (a blank counts as its own value)."""
    parts = [frame[c].astype("string").fillna("\x00") for c in quasi]
    key = parts[0]
    for p in parts[1:]:
        key = key + "\x1f" + p
    return key


def _key_sizes(frame: pd.DataFrame, quasi: Sequence[str], weight: str | None) -> tuple[pd.Series, pd.Series]:
    key = _keys(frame, quasi)
    f = key.map(key.value_counts())
    F = key.map(frame[weight].groupby(key).sum()) if weight else f.astype(float)
    return f, F


def _band_age(values: pd.Series, bands: Sequence[int] = AGE_BANDS) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    edges = [-np.inf, *bands, np.inf]
    labels = [f"<{bands[0]}"] + [f"{a}-{b - 1}" for a, b in zip(bands[:-1], bands[1:], strict=True)] + [f"{bands[-1]}+"]
    return pd.cut(num, edges, right=False, labels=labels).astype("string")


@renamed_keywords(weight="weights")
def share_frame(
    frame: pd.DataFrame,
    *,
    instrument: Instrument | None = None,
    quasi: Sequence[str] | None = None,
    k: int = 5,
    weights: str | None = None,
    coarsen: Mapping[str, str] | None = None,
    drop: Sequence[str] = (),
    recode: Sequence[str] = ("_record_id",),
    protect: Sequence[str] = (),
) -> ShareResult:
    """De-identify one data frame (see the module doc). ``coarsen`` maps a quasi-identifier to a rule:
    ``"age_bands"`` or the name of a coarser column that replaces it (``{"admin2": "admin1"}``);
    ``recode`` columns get sequential codes; ``protect`` columns are never dropped (design columns)."""
    if k < 2:
        raise ValueError("k must be at least 2")
    removed_rows = []
    drops = direct_identifiers(list(frame.columns), instrument, drop)
    for col in protect:
        drops.pop(col, None)
    out = frame.drop(columns=list(drops))
    removed_rows += [{"column": c, "action": "dropped", "reason": r} for c, r in drops.items()]
    for col in recode:
        if col in out.columns:
            codes, _ = pd.factorize(out[col], sort=False)
            out[col] = pd.array(np.where(codes >= 0, codes + 1, 0)).astype("Int64").astype("string")
            removed_rows.append({"column": col, "action": "replaced by sequential codes", "reason": "ids can be linked to lists"})
    quasi = [c for c in (quasi if quasi is not None else DEFAULT_QUASI) if c in out.columns]
    for col, rule in (coarsen or {}).items():
        if col not in out.columns:
            continue
        if rule == "age_bands":
            out[col] = _band_age(out[col])
            removed_rows.append({"column": col, "action": "coarsened", "reason": "age in bands, top-coded at 80"})
        elif rule in out.columns:
            out[col] = out[rule]
            removed_rows.append({"column": col, "action": "coarsened", "reason": f"replaced by its parent '{rule}'"})
    f_before, _ = _key_sizes(out, quasi, weights) if quasi else (pd.Series(dtype=float), None)
    below_before = int((f_before < k).sum()) if quasi else 0
    # local suppression: the most identifying quasi-identifier first
    order = sorted(quasi, key=lambda c: -out[c].nunique(dropna=True))
    blanked = dict.fromkeys(quasi, 0)
    for _round in range(len(quasi) + 1):
        f, _ = _key_sizes(out, quasi, weights)
        any_left = out[quasi].notna().any(axis=1)
        violating = (f < k) & any_left
        if not violating.any():
            break
        col = next((c for c in order if out.loc[violating, c].notna().any()), None)
        if col is None:
            break
        hit = violating & out[col].notna()
        blanked[col] += int(hit.sum())
        out.loc[hit, col] = pd.NA
    f, F = _key_sizes(out, quasi, weights) if quasi else (pd.Series(np.inf, index=out.index), None)
    informative = out[quasi].notna().any(axis=1) if quasi else pd.Series(False, index=out.index)
    risk = individual_risk(f.to_numpy(), F.to_numpy()) if quasi else np.zeros(len(out))
    risk = np.where(informative.to_numpy(), risk, 0.0)
    k_reached = int(f[informative].min()) if informative.any() else len(out)
    summary = pd.DataFrame(
        [
            {"measure": "quasi-identifiers", "value": ", ".join(quasi) or "(none)"},
            {"measure": "k required", "value": k},
            {"measure": "k reached (smallest key with a quasi-identifier)", "value": k_reached},
            {"measure": "records in keys smaller than k, before suppression", "value": below_before},
            {"measure": "records in keys smaller than k, after", "value": int(((f < k) & informative).sum())},
            {"measure": "values blanked by local suppression", "value": int(sum(blanked.values()))},
            {"measure": "expected re-identifications (sum of individual risks)", "value": round(float(risk.sum()), 3)},
            {"measure": "highest individual risk", "value": round(float(risk.max()) if len(risk) else 0.0, 4)},
            {"measure": "records with individual risk above 0.1", "value": int((risk > 0.1).sum())},
        ]
    )
    suppressed = pd.DataFrame({"quasi_identifier": list(blanked), "values_blanked": list(blanked.values())})
    return ShareResult(out, pd.DataFrame(removed_rows, columns=["column", "action", "reason"]), suppressed, summary,
                       tuple(quasi), k)  # fmt: skip


def _report_html(result: ShareResult, title: str) -> str:
    def table(frame: pd.DataFrame) -> str:
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else (f'{v:.4g}' if isinstance(v, float) else str(v)))}</td>" for v in row) + "</tr>"
            for row in frame.itertuples(index=False)
        )  # fmt: skip
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        f"<h1>{html.escape(title)}</h1>",
        "<p>This file describes how the shared microdata were protected. The export has no direct "
        "identifier, its quasi-identifiers were coarsened and locally suppressed until every record shares "
        f"its combination with at least {result.k} records, and the survey weights are kept.</p>",
        "<h2>Disclosure risk</h2>", table(result.risk),
        "<h2>Columns removed or replaced</h2>", table(result.removed),
        "<h2>Local suppression</h2>", table(result.suppressed),
    ]  # fmt: skip
    if not result.comparison.empty:
        parts += ["<h2>Headline indicators: full data and export</h2>",
                  "<p>Differences come from suppressed quasi-identifiers used in an indicator's base.</p>",
                  table(result.comparison)]  # fmt: skip
    style = "body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    return f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{style}</style></head><body>{"".join(parts)}</body></html>'


def share_project(project, *, k: int | None = None, output: str | Path | None = None, write: bool = True,
                  progress=None) -> tuple[ShareResult, list[Path]]:
    """Run a project up to the weights, de-identify every round (stacked, one ``round`` column),
    compare the headline indicators, and write the export and its disclosure report into
    ``<output>/shared/``."""
    from . import pipeline
    from .compute import compute
    from .report._common import atomic_write_bytes
    from .report.tidy import write_csv

    project = pipeline._as_project(project)
    settings = getattr(project, "share", None)
    run = pipeline.run(project, until="weight", write=False, progress=progress)
    frames = [w.data.frame if hasattr(w.data, "frame") else w.data for w in run.weighted.values()]
    full = pd.concat(frames, ignore_index=True)
    design_cols = [c for c in (project.design.strata, project.design.psu, pipeline.WEIGHT_COLUMN, project.design.fpc,
                               pipeline.ROUND_COLUMN) if c]  # fmt: skip
    coarsen = dict(settings.coarsen) if settings and settings.coarsen else {"a2_age": "age_bands"}
    result = share_frame(
        full,
        instrument=run.inputs.instrument,
        quasi=list(settings.quasi_identifiers) if settings and settings.quasi_identifiers else None,
        k=k or (settings.k if settings else 5),
        weights=pipeline.WEIGHT_COLUMN,
        coarsen=coarsen,
        drop=list(settings.drop) if settings else (),
        recode=[c for c in ("_record_id", project.design.psu, project.design.strata) if c],
        protect=design_cols,
    )
    # headline indicators, national by round, on the full data and on the export
    ids = [i.id for i in run.inputs.indicators.indicators if i.id.startswith("sdg_")][:8] or None
    design = pipeline._design(project, pipeline.WEIGHT_COLUMN)  # the same plain design for both
    comparison = pd.DataFrame()
    try:
        a = compute(full, run.inputs.indicators, design, by=[pipeline.ROUND_COLUMN], ids=ids, disaggregate=False)
        b = compute(result.data, run.inputs.indicators, design, by=[pipeline.ROUND_COLUMN], ids=ids, disaggregate=False)
        key = ["indicator_id", pipeline.ROUND_COLUMN, "category"]
        comparison = a[key + ["estimate"]].merge(b[key + ["estimate"]], on=key, suffixes=("_full", "_export"))
        comparison["difference"] = comparison["estimate_export"] - comparison["estimate_full"]
    except Exception:  # noqa: BLE001 - the comparison is informative; the export stands without it
        comparison = pd.DataFrame({"note": ["the headline indicators could not be estimated on the export"]})
    result = ShareResult(result.data, result.removed, result.suppressed, result.risk, result.quasi, result.k, comparison)
    files: list[Path] = []
    if write:
        from .planning import _check_output

        _check_output(project, project.report.output if output is None else output)
        out = Path(project.report.output if output is None else output) / "shared"
        files.append(write_csv(out / "microdata.csv", result.data))
        files.append(write_csv(out / "removed_columns.csv", result.removed))
        title = "Disclosure report: shared microdata"
        files.append(atomic_write_bytes(out / "disclosure_report.html", _report_html(result, title).encode("utf-8")))
    return result, files
