"""ODK Central exports (briefcase-style CSV and the CSV ZIP): reading and linking repeat files.

- The root CSV holds ``SubmissionDate``, the fields (groups joined by ``-`` or absent), then ``KEY``,
  ``SubmitterID``, ..., ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion`` (older servers
  write fewer of these; columns are always addressed by name).
- One CSV per repeat, ``{formId}-{repeat}.csv`` (``~n`` added on clashes), with ``PARENT_KEY`` and
  ``KEY``; a plain ``.csv`` root file picks up its sibling repeat files from the same folder.
- ``splitSelectMultiples`` columns list only observed values and write 0 for skipped questions: the
  tidy step rebuilds select_multiple answers from the summary column instead.

The record id is ``KEY`` (the first instanceID, stable across edits).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import LoadError, Location, Problem, Severity
from .archive import read_zip_members
from .base import RawExport, RawTable
from .textfile import decode, read_delimited

__all__ = ["CENTRAL_SIGNATURE", "looks_like_central", "read_central_zip", "read_central_csv", "central_links"]

#: Columns only ODK Central (and Briefcase) write (formats.md §8).
CENTRAL_SIGNATURE = frozenset({"SubmissionDate", "KEY", "ReviewState", "SubmitterID", "FormVersion"})


def looks_like_central(headers: Sequence[str]) -> bool:
    """``KEY`` plus ``SubmissionDate`` or ``PARENT_KEY`` (a root or a repeat file)."""
    hs = set(headers)
    return "KEY" in hs and bool({"SubmissionDate", "PARENT_KEY", "ReviewState"} & hs)


_TILDE = re.compile(r"~\d+$")


def _repeat_name(stem: str, root_stem: str) -> str:
    name = stem[len(root_stem) + 1 :] if stem.startswith(root_stem + "-") else stem.rsplit("-", 1)[-1]
    return _TILDE.sub("", name)


def _tables_from_members(members: dict[str, bytes], source: str, encoding: str | None) -> RawExport:
    parsed = {}
    for name, data in members.items():
        parsed[name] = read_delimited(decode(data, f"{source}:{name}", encoding), f"{source}:{name}")
    roots = [n for n, p in parsed.items() if "PARENT_KEY" not in p.frame.columns]
    if not roots:
        raise LoadError(
            Problem(
                "unknown-layout",
                "the zip has no root table (every CSV has PARENT_KEY)",
                Location(file=source),
                hint="download the submissions zip again from ODK Central",
            )
        )
    roots.sort(key=len)
    root = roots[0]
    root_stem = Path(root).stem
    children = []
    for name, p in parsed.items():
        if name == root:
            continue
        children.append(
            RawTable(
                p.frame, name=_repeat_name(Path(name).stem, root_stem), source_rows=p.source_rows, member=name
            )
        )
    r = parsed[root]
    problems = []
    for extra_root in roots[1:]:
        problems.append(
            Problem(
                "ignored-member",
                f"zip member '{extra_root}' has no PARENT_KEY and is not the root table; it was ignored",
                Location(file=source),
                severity=Severity.WARNING,
            )
        )
    return RawExport(
        main=RawTable(r.frame, None, r.source_rows, member=root),
        platform="odk",
        source_format="odk-central-zip",
        source_file=source,
        children=tuple(children),
        problems=tuple(problems),
    )


def read_central_zip(path: Path, source: str, encoding: str | None = None) -> RawExport:
    """Root and repeat tables of an ODK Central submissions zip (``media/`` and audit files skipped)."""
    members = read_zip_members(
        path,
        source,
        lambda name: (
            name.lower().endswith(".csv")
            and not name.startswith(("media/", "__MACOSX"))
            and not name.lower().endswith("audit.csv")
        ),
    )
    if not members:
        raise LoadError(
            Problem(
                "unknown-layout",
                "the zip contains no CSV file",
                Location(file=source),
                expected="ODK Central's submissions .csv.zip (one CSV per table)",
                hint="download 'All data' as CSV from ODK Central",
            )
        )
    return _tables_from_members(members, source, encoding)


def read_central_csv(path: Path, source: str, text: str, encoding: str | None = None) -> RawExport:
    """A root CSV; sibling ``{stem}-{repeat}.csv`` files in the same folder become child tables."""
    parsed = read_delimited(text, source)
    children = []
    stem = path.stem
    for sibling in sorted(path.parent.glob(f"{glob_escape(stem)}-*.csv")):
        child_source = str(sibling)
        child = read_delimited(decode(sibling.read_bytes(), child_source, encoding), child_source)
        if "PARENT_KEY" not in child.frame.columns:
            continue
        children.append(
            RawTable(
                child.frame,
                name=_repeat_name(sibling.stem, stem),
                source_rows=child.source_rows,
                member=sibling.name,
            )
        )
    return RawExport(
        main=RawTable(parsed.frame, None, parsed.source_rows),
        platform="odk",
        source_format="odk-central-csv",
        source_file=source,
        children=tuple(children),
        problems=parsed.problems,
    )


def glob_escape(text: str) -> str:
    """Escape glob metacharacters in a file stem."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def central_links(
    main: pd.DataFrame, record_ids: pd.Series, children: Sequence[tuple[str, RawTable]], source: str
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """``_record_id``/``_parent_key``/``_key`` for each child from ``PARENT_KEY`` -> ``KEY``."""
    problems: list[Problem] = []
    known = pd.Series(dtype="string")
    if "KEY" in main.columns:
        known = pd.Series(record_ids.to_numpy(), index=main["KEY"].astype("string").str.strip()).astype(
            "string"
        )
    links = {}
    for name, table in children:
        frame = table.frame
        pkey = (
            frame["PARENT_KEY"].astype("string").str.strip()
            if "PARENT_KEY" in frame.columns
            else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
        key = (
            frame["KEY"].astype("string").str.strip()
            if "KEY" in frame.columns
            else (pkey + f"/{name}[" + (pkey.groupby(pkey).cumcount() + 1).astype("string") + "]")
        )
        lookup = known[~known.index.duplicated(keep="first")]
        record = pkey.map(lookup).astype("string")
        record = record.fillna(pkey.str.split("/", n=1).str[0])
        known = pd.concat([known, pd.Series(record.to_numpy(), index=key.to_numpy()).astype("string")])
        unlinked = int(pkey.isna().sum())
        if unlinked:
            problems.append(
                Problem(
                    "unlinked-repeat-rows",
                    f"{unlinked} row(s) of repeat '{name}' have no PARENT_KEY",
                    Location(file=source, field="PARENT_KEY"),
                    severity=Severity.WARNING,
                    count=unlinked,
                )
            )
        links[name] = pd.DataFrame(
            {"_record_id": record, "_parent_key": pkey, "_key": key}, index=frame.index
        )
    return links, problems
