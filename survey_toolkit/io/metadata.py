"""The metadata columns every loader adds (_record_id, _submission_time...) and the platforms' own columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import Location, Problem, Severity
from .base import BLANK_ID_PREFIX, METADATA_COLUMNS
from .values import blank_mask, to_datetime, to_text

#: Export columns written by the platforms themselves (never matched to questions, never "unknown").
PLATFORM_COLUMNS: dict[str, frozenset[str]] = {
    "kobo": frozenset(
        {
            "_id",
            "_uuid",
            "_submission_time",
            "_validation_status",
            "_notes",
            "_status",
            "_submitted_by",
            "__version__",
            "_version_",
            "_tags",
            "meta/rootUuid",
            "meta/instanceID",
            "meta/deprecatedID",
            "_index",
            "_parent_table_name",
            "_parent_index",
            "formhub/uuid",
            "_xform_id_string",
            "_attachments",
            "_geolocation",
            "_duration",
            "_xform_id",
            "meta/instanceName",
            # Ona / KoBoCAT CSV exports
            "_version",
            "_total_media",
            "_media_count",
            "_media_all_received",
            "_last_edited_by",
            "_date_modified",
            "_edited",
            "_review_status",
            "_review_comment",
        }
    ),
    "odk": frozenset(
        {
            "SubmissionDate",
            "KEY",
            "PARENT_KEY",
            "SubmitterID",
            "SubmitterName",
            "AttachmentsPresent",
            "AttachmentsExpected",
            "Status",
            "ReviewState",
            "DeviceID",
            "Edits",
            "FormVersion",
            "meta-instanceID",
            "instanceID",
            "meta-instanceName",
            "instanceName",
            "meta-deprecatedID",
            "deprecatedID",
        }
    ),
    "survey_solutions": frozenset(
        {
            "interview__id",
            "interview__key",
            "sssys_irnd",
            "has__errors",
            "interview__status",
            "assignment__id",
        }
    ),
}


def platform_columns(platform: str) -> frozenset[str]:
    """Metadata column names of ``platform`` (every platform's for ``generic``)."""
    if platform in PLATFORM_COLUMNS:
        return PLATFORM_COLUMNS[platform]
    return frozenset().union(*PLATFORM_COLUMNS.values())


def _is_platform_column(header: str, platform: str) -> bool:
    known = platform_columns(platform)
    if header in known or header.startswith("_submission_"):
        return True
    return header.startswith("X_") and header[1:] in known  # R's make.names: _uuid -> X_uuid


#: Where each metadata column comes from, per platform: (export column, prefix to add when absent).
_META_SOURCES: dict[str, dict[str, tuple[tuple[str, str | None], ...]]] = {
    "kobo": {
        "_record_id": (("meta/rootUuid", None), ("_uuid", "uuid:"), ("_id", None)),
        "_submission_id": (("meta/instanceID", None), ("_uuid", "uuid:"), ("_id", None)),
        "_submission_time": (("_submission_time", None),),
        "_form_version": (("__version__", None), ("_version_", None), ("_version", None)),
        "_review_status": (("_validation_status", None),),
        "_submitted_by": (("_submitted_by", None),),
    },
    "odk": {
        "_record_id": (("KEY", None), ("meta-instanceID", None), ("instanceID", None)),
        "_submission_id": (("meta-instanceID", None), ("instanceID", None), ("KEY", None)),
        "_submission_time": (("SubmissionDate", None),),
        "_form_version": (("FormVersion", None),),
        "_review_status": (("ReviewState", None),),
        "_submitted_by": (("SubmitterName", None),),
    },
}


_KOBO_REVIEW = {
    "validation_status_approved": "approved",
    "approved": "approved",
    "validation_status_not_approved": "not_approved",
    "not approved": "not_approved",
    "validation_status_on_hold": "on_hold",
    "on hold": "on_hold",
}


def _review_status(val: pd.Series) -> pd.Series:
    """KoBo's validation statuses spelled the standard way, computed on the distinct values only."""
    codes, uniques = pd.factorize(val, use_na_sentinel=True)
    if not len(uniques):  # all missing: nothing to translate (the usual case)
        return val.astype("string")
    named = [_KOBO_REVIEW.get(str(u).lower(), u) for u in uniques]  # a handful of statuses
    lookup = pd.array([*named, None], dtype="string")
    return pd.Series(lookup[codes], index=val.index, dtype="string")


def canonical_uuid(s: pd.Series) -> pd.Series:
    """Prefix bare uuids with ``uuid:`` (KoBo ``_uuid`` -> the instanceID / rootUuid spelling)."""
    return _uuid_prefixed(to_text(s)[0])


def _uuid_prefixed(text: pd.Series) -> pd.Series:
    bare = text.notna() & ~text.str.startswith("uuid:", na=False)
    if not bare.any():
        return text
    return text.where(~bare, "uuid:" + text)


def _first_present(
    raw: pd.DataFrame, sources: Sequence[tuple[str, str | None]], id_like: bool
) -> tuple[pd.Series | None, list[str]]:
    out: pd.Series | None = None
    used = []
    for column, prefix in sources:
        if column not in raw.columns:
            continue
        values, _ = to_text(raw[column])
        if prefix is not None:
            values = _uuid_prefixed(values)
        used.append(column)
        out = values if out is None else out.fillna(values)
        if not id_like or out.notna().all():
            break
    return out, used


def build_metadata(
    raw: pd.DataFrame,
    *,
    platform: str,
    source_file: str,
    source_format: str,
    source_rows: pd.Series | None = None,
    id_column: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The root metadata columns (:data:`METADATA_COLUMNS`) for ``raw`` and the export columns used."""
    sources = _META_SOURCES.get(platform, _META_SOURCES["generic"])
    index = raw.index
    rows = (
        pd.Series(np.arange(2, len(raw) + 2), index=index)
        if source_rows is None
        else pd.Series(np.asarray(source_rows), index=index)
    ).astype("Int64")
    meta = {}
    used: list[str] = []
    rid_sources = ((id_column, None),) if id_column else sources["_record_id"]
    rid, u = _first_present(raw, rid_sources, id_like=True)
    used += u
    if rid is None:  # an export without ids: each row its own record
        rid = pd.Series("row-", index=index, dtype="string") + rows.astype("string")
    else:  # blank ids in an export with ids: still one record per row, and marked (blank-record-id)
        name = source_file.replace("\\", "/").rsplit("/", 1)[-1]
        rid = rid.fillna(f"{BLANK_ID_PREFIX}{name}:row-" + rows.astype("string"))
    meta["_record_id"] = rid.astype("string")
    sid, u = _first_present(raw, sources["_submission_id"], id_like=True)
    used += u
    meta["_submission_id"] = (sid if sid is not None else meta["_record_id"]).astype("string")
    stime = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    for column, _ in sources["_submission_time"]:
        if column in raw.columns:
            local, offset, _bad = to_datetime(raw[column], "datetime")
            utc = local - pd.to_timedelta(offset.fillna(0).astype("int64"), unit="m")
            stime = utc.dt.tz_localize("UTC")
            used.append(column)
            break
    meta["_submission_time"] = stime
    for key in ("_form_version", "_review_status", "_submitted_by"):
        val, u = _first_present(raw, sources[key], id_like=False)
        used += u
        val = pd.Series(pd.NA, index=index, dtype="string") if val is None else val
        if key == "_review_status":
            val = _review_status(val)
        meta[key] = val.astype("string")
    meta["_source_file"] = pd.Series(source_file, index=index, dtype="string")
    meta["_source_format"] = pd.Series(source_format, index=index, dtype="string")
    meta["_source_row"] = rows
    return pd.DataFrame(meta, index=index)[list(METADATA_COLUMNS)], used


def _rows_text(rows: pd.Series, limit: int = 5) -> str:
    shown = ", ".join(str(int(r)) for r in rows.iloc[:limit])
    return shown + (f" ... ({len(rows)} rows)" if len(rows) > limit else "")


def metadata_problems(
    raw: pd.DataFrame, meta: pd.DataFrame, platform: str, source_file: str, sheet: str | None,
    id_column: str | None = None,
) -> list[Problem]:  # fmt: skip
    """Warnings about the metadata of :func:`build_metadata`: rows whose id cells are all blank (kept,
    one record each, listed by row) and submission dates that are not dates (counted, with rows)."""
    sources = _META_SOURCES.get(platform, _META_SOURCES["generic"])
    problems = []
    id_columns = [c for c, _ in (((id_column, None),) if id_column else sources["_record_id"]) if c in raw.columns]
    blank = meta["_record_id"].str.startswith(BLANK_ID_PREFIX).fillna(False)
    if blank.any():
        rows = meta["_source_row"][blank]
        problems.append(
            Problem("blank-record-id", f"{int(blank.sum())} row(s) have no record id (blank {', '.join(id_columns)}): "
                    f"rows {_rows_text(rows)}; each is kept as its own respondent, with the id "
                    f"'{BLANK_ID_PREFIX}<file>:row-<row>'", Location(file=source_file, sheet=sheet, row=int(rows.iloc[0]),
                    field=id_columns[0] if id_columns else None), severity=Severity.WARNING, count=int(blank.sum()),
                    expected="an id in every row", got=f"{int(blank.sum())} blank",
                    hint="download the export again from the server (ids are never blank there), or leave these rows "
                         "out of the analysis: add 'blank-record-id' to quality.exclude in survey.yaml")  # fmt: skip
        )
    column = next((c for c, _ in sources["_submission_time"] if c in raw.columns), None)
    if column is not None:
        bad = meta["_submission_time"].isna().to_numpy() & ~blank_mask(raw[column]).to_numpy()
        if bad.any():
            rows = meta["_source_row"][bad]
            problems.append(
                Problem("bad-submission-date", f"{int(bad.sum())} value(s) of '{column}' are not dates (rows "
                        f"{_rows_text(rows)}); their submission time is missing", Location(file=source_file, sheet=sheet,
                        row=int(rows.iloc[0]), field=column), severity=Severity.WARNING, count=int(bad.sum()),
                        expected="ISO 8601 date-times (2026-05-15T10:30:00Z) or Excel dates",
                        got=f"{int(bad.sum())} other value(s)",
                        hint="download the export again, or correct the column in a copy of the file")  # fmt: skip
            )
    return problems
