"""KoBoToolbox (KPI API v2): the deployed XLSForm and the submissions of one asset, incrementally.

Submissions come from ``/api/v2/assets/{uid}/data.json`` (JSON, paged with ``limit``/``start`` and the
``next`` link). A first pull fetches every page, keeping each in ``.pull/staging`` so an interrupted
pull resumes from the last page; later pulls list ``_id``/``_uuid`` only, then fetch just the new and
edited submissions (an edit in KoBo keeps ``_id`` and changes ``_uuid``) and drop the deleted ones.

The raw JSON is kept as ``submissions.kobo.json``; the export the toolkit reads is written beside it
as ``submissions.xlsx`` in KoBo's own XLSX layout (XML names and values, ``/`` group separator, one
sheet per repeat linked by ``_index``/``_parent_index``), which :func:`survey_toolkit.load` reads like a
downloaded KoBo export. Authentication: ``Authorization: Token <KOBO_TOKEN>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import LoadError
from ._http import PullContext, env_secret, request
from ._store import Staging, atomic_write, atomic_write_with, in_folder

__all__ = ["TOKEN_VARIABLES", "pull_kobo", "kobo_tables", "write_kobo_xlsx", "DATA_FILE", "RAW_FILE"]

TOKEN_VARIABLES = ("KOBO_TOKEN", "KOBOTOOLBOX_TOKEN")
DATA_FILE = "submissions.xlsx"
RAW_FILE = "submissions.kobo.json"
PAGE = 1000
"""Records per page: the API's maximum."""
ID_CHUNK = 300
"""Submission ids per query when fetching new and edited submissions."""

#: Columns of the JSON that are not answers and do not fit a cell (lists of attachments, notes...).
_SKIP = {"_attachments", "_geolocation", "_notes", "_supplementalDetails", "_tags", "_downloads"}


def _session(ctx: PullContext) -> Any:
    import requests

    token = env_secret(TOKEN_VARIABLES)
    if token is None:
        raise ctx.fail("server-credentials", "no KoBoToolbox API token is set",
                       "set the KOBO_TOKEN environment variable to your API token (KoBoToolbox: Account "
                       "settings > Security > API key); it is never written to survey.yaml")  # fmt: skip
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
    session.trust_env = False
    return session


def _api(url: str, *parts: str) -> str:
    return url.rstrip("/") + "/api/v2/" + "/".join(p.strip("/") for p in parts)


def _json(ctx: PullContext, response: Any, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ctx.fail("server-bad-answer", f"the server's answer for {what} is not JSON",
                       "check that the url in survey.yaml is the KoBoToolbox server (e.g. "
                       "https://kf.kobotoolbox.org), not a web page") from None  # fmt: skip


def _same_host(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def _pages(ctx: PullContext, session: Any, url: str, params: dict[str, Any], what: str,
           staging: Staging | None = None, on_page: Callable[[int, int], None] | None = None) -> list[dict]:
    """Every record of a paged ``data.json`` answer, following ``next`` on the same server only."""
    records: list[dict] = []
    n, next_url, next_params = 0, url, dict(params)
    while next_url:
        page = staging.load(n) if staging is not None else None
        if page is None:
            response = request(ctx, session, "GET", next_url, params=next_params, what=what)
            page = _json(ctx, response, what)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise ctx.fail("server-bad-answer", f"the answer for {what} has no 'results' list",
                               "check the asset uid and the server url in survey.yaml")  # fmt: skip
            if staging is not None:
                staging.save(n, page)
        records += [r for r in page["results"] if isinstance(r, dict)]
        if on_page is not None:
            on_page(len(records), int(page.get("count") or len(records)))
        following = page.get("next")
        if following and not _same_host(following, ctx.url):
            raise ctx.fail("server-bad-answer", "the server sent a next-page link to another host",
                           "check the server url in survey.yaml")  # fmt: skip
        next_url, next_params, n = following, None, n + 1
    return records


def _listing(ctx: PullContext, session: Any, uid: str) -> dict[int, str]:
    url = _api(ctx.url, "assets", uid, "data.json")
    params = {"limit": PAGE, "start": 0, "fields": json.dumps(["_id", "_uuid"])}
    rows = _pages(ctx, session, url, params, "the list of submissions")
    return {int(r["_id"]): str(r.get("_uuid", "")) for r in rows if "_id" in r}


def _fetch_ids(ctx: PullContext, session: Any, uid: str, ids: list[int]) -> list[dict]:
    url = _api(ctx.url, "assets", uid, "data.json")
    out: list[dict] = []
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        params = {"limit": PAGE, "start": 0, "query": json.dumps({"_id": {"$in": chunk}})}
        out += _pages(ctx, session, url, params, "new and edited submissions")
    return out


def _form(ctx: PullContext, session: Any, uid: str, folder: Path) -> Path:
    response = request(ctx, session, "GET", _api(ctx.url, "assets", f"{uid}.xls"), what="the form (XLSForm)")
    body = response.content
    suffix = ".xlsx" if body[:2] == b"PK" else ".xls"
    if body[:2] != b"PK" and body[:4] != b"\xd0\xcf\x11\xe0":
        raise ctx.fail("server-bad-answer", "the form the server sent is not a spreadsheet",
                       "check the asset uid in survey.yaml: it must be a deployed form (survey)")  # fmt: skip
    return atomic_write(folder / f"form{suffix}", body)


def _versions(ctx: PullContext, session: Any, uid: str, folder: Path, seen: Iterable[str], deployed: str | None) -> list[str]:
    """Fetch the content of every form version the submissions use besides the deployed one."""
    written = []
    for vid in sorted({v for v in seen if v and v != deployed}):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", vid):
            continue
        url = _api(ctx.url, "assets", uid, "versions", vid) + "/"
        try:
            response = request(ctx, session, "GET", url, params={"format": "json"}, what=f"form version {vid}")
        except LoadError as err:
            if err.problems[0].code == "server-not-found":
                continue  # a version deleted on the server: its count stays in the manifest
            raise
        payload = _json(ctx, response, f"form version {vid}")
        atomic_write(in_folder(folder, "form_versions", f"{vid}.json"),
                     json.dumps(payload, indent=1, ensure_ascii=False).encode("utf-8"))  # fmt: skip
        written.append(vid)
    return written


def _read_raw(folder: Path) -> dict[int, dict]:
    try:
        rows = json.loads((folder / RAW_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {int(r["_id"]): r for r in rows if isinstance(r, dict) and "_id" in r}


def pull_kobo(ctx: PullContext, uid: str, folder: Path, *, progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    """Pull one KoBo asset into ``folder``; return the manifest entries (files, counts, versions)."""
    session = _session(ctx)
    asset = _json(ctx, request(ctx, session, "GET", _api(ctx.url, "assets", uid) + "/", params={"format": "json"},
                               what=f"asset {uid}"), f"asset {uid}")  # fmt: skip
    if not isinstance(asset, dict):
        raise ctx.fail("server-bad-answer", f"the answer for asset {uid} is not an asset", "check the asset uid")
    deployed = asset.get("deployed_version_id") or asset.get("version_id")
    form_file = _form(ctx, session, uid, folder)

    stored = _read_raw(folder)
    if stored:
        listing = _listing(ctx, session, uid)
        new = [i for i in listing if i not in stored]
        edited = [i for i in listing if i in stored and str(stored[i].get("_uuid", "")) != listing[i]]
        deleted = [i for i in stored if i not in listing]
        fetched = _fetch_ids(ctx, session, uid, sorted(new + edited)) if new or edited else []
    else:
        staging = Staging(folder, {"server": "kobo", "asset": uid, "what": "all submissions"})
        url = _api(ctx.url, "assets", uid, "data.json")
        fetched = _pages(ctx, session, url, {"limit": PAGE, "start": 0}, "the submissions", staging,
                         on_page=lambda done, total: progress("download", done, total))  # fmt: skip
        listing = {int(r["_id"]): str(r.get("_uuid", "")) for r in fetched if "_id" in r}
        new, edited, deleted = sorted(listing), [], []
    merged = {i: r for i, r in stored.items() if i not in set(deleted)}
    got = {int(r["_id"]): r for r in fetched if "_id" in r}
    missing = sorted(set(new + edited) - set(got))
    if missing:
        raise ctx.fail("partial-download", f"{len(missing)} submission(s) listed by the server were not sent",
                       "run pull again; nothing was changed in the round folder")  # fmt: skip
    merged.update(got)
    records = [merged[i] for i in sorted(merged)]
    atomic_write(folder / RAW_FILE, json.dumps(records, ensure_ascii=False, indent=0).encode("utf-8"))
    name = str(asset.get("name") or uid)
    data_file = atomic_write_with(folder / DATA_FILE, lambda tmp: write_kobo_xlsx(records, name, tmp))
    if not stored:
        Staging(folder, {"server": "kobo", "asset": uid, "what": "all submissions"}).clear()
    seen = [str(r.get("__version__", "")) for r in records]
    versions = _versions(ctx, session, uid, folder, seen, deployed)
    counts: dict[str, int] = {}
    for v in seen:
        counts[v or "(none)"] = counts.get(v or "(none)", 0) + 1
    return {
        "files": {"data": data_file, "raw": folder / RAW_FILE, "form": form_file},
        "submissions": len(records),
        "new": len(new),
        "edited": len(edited),
        "deleted": len(deleted),
        "form_version": deployed,
        "form_versions": counts,
        "version_files": [f"form_versions/{v}.json" for v in versions],
    }


# ----------------------------------------------------------------------------------------------------
# JSON -> KoBo XLSX layout


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "data"
    base = clean if len(clean) <= 31 else clean[:28] + "..."
    out, k = base, 1
    while out.lower() in taken:
        k += 1
        suffix = f" ({k})"
        out = base[: 31 - len(suffix)] + suffix
    taken.add(out.lower())
    return out


def kobo_tables(records: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """KoBo JSON submissions as the tables of KoBo's XLSX export: ``""`` is the main table, every other
    key a repeat's XML path; repeat rows carry ``_index``, ``_parent_index``, ``_parent_table_name`` and
    the submission's ``_submission__id``/``_submission__uuid``/``_submission__submission_time``."""
    tables: dict[str, list[dict[str, Any]]] = {"": []}
    counters: dict[str, int] = {}

    def visit(record: Mapping[str, Any], table: str, extra: dict[str, Any], submission: Mapping[str, Any]) -> None:
        counters[table] = counters.get(table, 0) + 1
        row: dict[str, Any] = {}
        index = counters[table]
        children: list[tuple[str, list]] = []
        for key, value in record.items():
            if key in _SKIP:
                continue
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                children.append((key, value))
            elif key == "_validation_status" and isinstance(value, dict):
                row[key] = value.get("uid")
            elif isinstance(value, list):
                row[key] = " ".join(str(v) for v in value if v is not None) or None
            else:
                row[key] = _cell(value)
        row.update(extra)
        row["_index"] = index
        tables.setdefault(table, []).append(row)
        for key, items in children:
            parent_name = table or "__main__"
            link = {
                "_parent_table_name": parent_name,
                "_parent_index": index,
                "_submission__id": submission.get("_id"),
                "_submission__uuid": submission.get("_uuid"),
                "_submission__submission_time": submission.get("_submission_time"),
            }
            for item in items:
                visit(item, key, link, submission)

    for record in records:
        visit(record, "", {}, record)
    return tables


def write_kobo_xlsx(records: list[Mapping[str, Any]], title: str, path: Path) -> Path:
    """Write KoBo JSON submissions as a KoBo-layout XLSX (text stays text: no formulas, no URLs)."""
    import xlsxwriter

    tables = kobo_tables(records)
    taken: set[str] = set()
    names = {"": _sheet_name(title, taken)}
    for key in tables:
        if key:
            names[key] = _sheet_name(key.rsplit("/", 1)[-1], taken)
    main_name = names[""]
    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(str(path), options) as book:
        for key, rows in tables.items():
            sheet = book.add_worksheet(names[key])
            columns: dict[str, None] = {}
            for row in rows:
                columns.update(dict.fromkeys(row))
            header = [c for c in columns if c != "_index"] + ["_index"]
            sheet.write_row(0, 0, header)
            for r, row in enumerate(rows, start=1):
                for c, name in enumerate(header):
                    value = row.get(name)
                    if name == "_parent_table_name" and value == "__main__":
                        value = main_name
                    elif name == "_parent_table_name" and value in names:
                        value = names[value]
                    if value is None:
                        continue
                    if isinstance(value, str):
                        sheet.write_string(r, c, value)
                    else:
                        sheet.write(r, c, value)
    return path
