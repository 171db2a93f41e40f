"""ODK Central: the form (XLSForm) and the submissions of one form, incrementally, through ``pyodk``.

pyodk (ODK's maintained client) logs in and keeps the session; the toolkit asks Central for its own
CSV export (``submissions.csv.zip``: the main table and one CSV per repeat, group paths kept), which
:func:`survey_toolkit.load` reads like a downloaded export. A later pull lists the submissions
(``__id`` and their ``__system`` dates through OData), asks the export for those created or updated
since the last pull (``$filter`` on ``__system/submissionDate`` and ``__system/updatedAt``), replaces
them in the stored zip by ``KEY`` (repeat rows follow their submission) and drops deleted ones.

Credentials: ``ODK_CENTRAL_USERNAME``/``ODK_CENTRAL_PASSWORD``, else pyodk's own configuration file
(``PYODK_CONFIG_FILE`` or ``~/.pyodk_config.toml``) when its ``base_url`` is the project's server.
The session token lives in a private temporary folder for the pull and is deleted after it.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._http import PullContext, env_secret, redact_url, request
from ._store import atomic_write, atomic_write_with, in_folder

__all__ = ["USER_VARIABLES", "PASSWORD_VARIABLES", "pull_central", "merge_csv_zip", "DATA_FILE"]

USER_VARIABLES = ("ODK_CENTRAL_USERNAME", "ODK_CENTRAL_EMAIL")
PASSWORD_VARIABLES = ("ODK_CENTRAL_PASSWORD",)
DATA_FILE = "submissions.csv.zip"
PAGE = 1000
EXPORT_OPTIONS = {"attachments": "false", "groupPaths": "true", "splitSelectMultiples": "false", "deletedFields": "false"}


def _credentials(ctx: PullContext) -> tuple[str, str]:
    user, password = env_secret(USER_VARIABLES), env_secret(PASSWORD_VARIABLES)
    if user and password:
        return user, password
    try:
        from pyodk._utils import config as pyodk_config

        config = pyodk_config.read_config()
        if redact_url(config.central.base_url).rstrip("/") == redact_url(ctx.url).rstrip("/"):
            return config.central.username, config.central.password
    except Exception:  # noqa: BLE001 - pyodk's config is optional; any failure means "not configured"
        pass
    raise ctx.fail("server-credentials", "no ODK Central credentials are set",
                   "set ODK_CENTRAL_USERNAME and ODK_CENTRAL_PASSWORD (a Central web user who may read the "
                   "form), or a pyodk config file whose base_url is this server; never in survey.yaml")  # fmt: skip


class _Client:
    """A logged-in pyodk client whose token cache is a private temporary file, removed on exit."""

    def __init__(self, ctx: PullContext) -> None:
        self.ctx = ctx
        self._tmp = tempfile.TemporaryDirectory(prefix="survey-toolkit-pull-")

    def __enter__(self) -> Any:
        import requests

        try:
            from pyodk._utils.config import CentralConfig, Config
            from pyodk.client import Client
            from pyodk.errors import PyODKError
        except ImportError:
            self._tmp.cleanup()
            raise self.ctx.fail("missing-package", "pulling from ODK Central needs the pyodk package",
                                "install it with 'pip install pyodk' (Python 3.11 or newer)") from None  # fmt: skip
        user, password = _credentials(self.ctx)
        config = Config(central=CentralConfig(base_url=self.ctx.url, username=user, password=password))
        self.client = Client(config=config, cache_path=Path(self._tmp.name) / "token.toml")
        try:
            self.client.open()
        except PyODKError as err:
            self._tmp.cleanup()
            response = err.args[1] if len(err.args) > 1 else None
            status = getattr(response, "status_code", None)
            if status in (401, 403):
                raise self.ctx.fail("server-credentials", "ODK Central refused the username or password",
                                    "check ODK_CENTRAL_USERNAME and ODK_CENTRAL_PASSWORD") from None  # fmt: skip
            raise self.ctx.fail("server-error", f"ODK Central refused the login ({status or 'no status'})",
                                "check the server url in survey.yaml") from None  # fmt: skip
        except (requests.ConnectionError, requests.Timeout):
            self._tmp.cleanup()
            raise self.ctx.fail("server-unreachable", f"could not connect to {redact_url(self.ctx.url)}",
                                "check the internet connection and the server url in survey.yaml") from None  # fmt: skip
        return self.client.session

    def __exit__(self, *exc: Any) -> None:
        try:
            self.client.close(*exc)
        finally:
            self._tmp.cleanup()


def _form_path(project_id: int, form_id: str) -> str:
    return f"projects/{int(project_id)}/forms/{quote(form_id, safe='')}"


def _json(ctx: PullContext, response: Any, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ctx.fail("server-bad-answer", f"the answer for {what} is not JSON",
                       "check that the url in survey.yaml is the ODK Central server") from None  # fmt: skip


def _listing(ctx: PullContext, session: Any, base: str) -> dict[str, str]:
    """``{instance id: last change}`` of every submission, through OData, ``$top``/``$skip`` pages."""
    out: dict[str, str] = {}
    skip = 0
    while True:
        params = {"$select": "__id,__system", "$top": PAGE, "$skip": skip}
        page = _json(ctx, request(ctx, session, "GET", f"{base}.svc/Submissions", params=params,
                                  what="the list of submissions"), "the list of submissions")  # fmt: skip
        rows = page.get("value") if isinstance(page, dict) else None
        if not isinstance(rows, list):
            raise ctx.fail("server-bad-answer", "the list of submissions has no 'value'", "check the form id")
        for row in rows:
            system = row.get("__system") or {}
            out[str(row.get("__id"))] = str(system.get("updatedAt") or system.get("submissionDate") or "")
        if len(rows) < PAGE:
            return out
        skip += PAGE


def _download(ctx: PullContext, session: Any, url: str, params: dict[str, str], target: Path, what: str) -> None:
    response = request(ctx, session, "GET", url, params=params, stream=True, what=what)
    with target.open("wb") as fh:
        for block in response.iter_content(1 << 16):
            fh.write(block)
    if not zipfile.is_zipfile(target):
        raise ctx.fail("partial-download", f"{what} arrived incomplete or is not a zip",
                       "run pull again; nothing was changed in the round folder")  # fmt: skip


def _form(ctx: PullContext, session: Any, base: str, folder: Path, version: str | None = None) -> Path | None:
    """The XLSForm (``.xlsx``, else ``.xls``); None when the form was published as XML only."""
    stem = f"{base}/versions/{quote(version, safe='')}" if version else base
    name = f"form_versions/{_safe(version)}" if version else "form"
    for suffix in (".xlsx", ".xls"):
        try:
            response = request(ctx, session, "GET", stem + suffix, what="the form (XLSForm)")
        except Exception as err:  # noqa: BLE001 - a 404 here means "not this format"
            if getattr(err, "problems", None) and err.problems[0].code == "server-not-found":
                continue
            raise
        return atomic_write(in_folder(folder, f"{name}{suffix}"), response.content)
    return None


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:80] or "version"


def _rows(zf: zipfile.ZipFile, name: str) -> tuple[list[str], list[list[str]]]:
    with zf.open(name) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        rows = list(reader)
    return (rows[0], rows[1:]) if rows else ([], [])


def _root(key: str) -> str:
    return key.split("/", 1)[0]


def merge_csv_zip(old: Path, delta: Path, drop: set[str], target: Path) -> None:
    """Write ``target``: the rows of ``old`` whose submission (root ``KEY``) is not in ``drop`` or
    ``delta``, then every row of ``delta``; headers are unions (old order first); members of both."""
    with zipfile.ZipFile(old) as zo, zipfile.ZipFile(delta) as zd:
        names = list(dict.fromkeys([*(n for n in zo.namelist() if n.endswith(".csv")),
                                    *(n for n in zd.namelist() if n.endswith(".csv"))]))  # fmt: skip
        tables = {}
        replaced: set[str] = set(drop)
        for name in names:
            if name in zd.namelist():
                header, rows = _rows(zd, name)
                if "KEY" in header:
                    k = header.index("KEY")
                    replaced |= {_root(r[k]) for r in rows if len(r) > k}
        for name in names:
            old_h, old_r = _rows(zo, name) if name in zo.namelist() else ([], [])
            new_h, new_r = _rows(zd, name) if name in zd.namelist() else ([], [])
            header = list(dict.fromkeys([*old_h, *new_h]))
            kept = []
            if "KEY" in old_h:
                k = old_h.index("KEY")
                old_r = [r for r in old_r if len(r) > k and _root(r[k]) not in replaced]
            for h, rows in ((old_h, old_r), (new_h, new_r)):
                pos = [h.index(c) if c in h else None for c in header]
                kept += [[r[p] if p is not None and p < len(r) else "" for p in pos] for r in rows]
            tables[name] = (header, kept)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, (header, rows) in tables.items():
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
            out.writestr(name, buf.getvalue())


def _main_keys(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            header, rows = _rows(zf, name) if name.endswith(".csv") else ([], [])
            if "KEY" in header and "PARENT_KEY" not in header:
                k = header.index("KEY")
                return {r[k] for r in rows if len(r) > k}
    return set()


def pull_central(ctx: PullContext, project_id: int, form_id: str, folder: Path, *,
                 progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    """Pull one Central form into ``folder``; return the manifest entries (files, counts, versions)."""
    from ._store import read_manifest

    base = _form_path(project_id, form_id)
    previous = read_manifest(folder) or {}
    data_file = folder / DATA_FILE
    with _Client(ctx) as session:
        meta = _json(ctx, request(ctx, session, "GET", base, what=f"form '{form_id}'"), f"form '{form_id}'")
        version = str(meta.get("version") or "") if isinstance(meta, dict) else ""
        form_file = _form(ctx, session, base, folder)
        progress("list", 0, 1)
        listing = _listing(ctx, session, base)
        progress("list", 1, 1)
        stored: dict[str, str] = previous.get("submission_stamps", {}) if data_file.is_file() else {}
        new = sorted(set(listing) - set(stored))
        edited = sorted(i for i in listing if i in stored and stored[i] != listing[i])
        deleted = sorted(set(stored) - set(listing))
        with tempfile.TemporaryDirectory(dir=folder, prefix=".pull-") as tmp:
            delta = Path(tmp) / "delta.zip"
            if not stored:
                _download(ctx, session, f"{base}/submissions.csv.zip", EXPORT_OPTIONS, delta, "the submissions")
                atomic_write(data_file, delta.read_bytes())
            elif new or edited or deleted:
                since = max(stored.values(), default="")
                params = dict(EXPORT_OPTIONS)
                if since:
                    params["$filter"] = (f"__system/submissionDate gt {since} or __system/updatedAt gt {since}")
                _download(ctx, session, f"{base}/submissions.csv.zip", params, delta, "new and edited submissions")
                atomic_write_with(data_file, lambda t: merge_csv_zip(data_file, delta, set(deleted), t))
        have = _main_keys(data_file)
        if have != set(listing):
            gap = len(set(listing) - have)
            raise ctx.fail("partial-download",
                           f"the pulled export has {len(have)} submission(s), the server lists {len(listing)}"
                           + (f" ({gap} missing)" if gap else ""),
                           "run pull again; if it persists, delete the round's submissions.csv.zip and "
                           "pull-manifest.json to start over")  # fmt: skip
        versions_used = {}
        for v in _versions_of(data_file):
            versions_used[v or "(none)"] = versions_used.get(v or "(none)", 0) + 1
        version_files = []
        for v in sorted(k for k in versions_used if k not in ("(none)", version)):
            written = _form(ctx, session, base, folder, v)
            if written is not None:
                version_files.append(written.relative_to(folder).as_posix())
    return {
        "files": {"data": data_file, "form": form_file},
        "submissions": len(listing),
        "new": len(new) if stored else len(listing),
        "edited": len(edited),
        "deleted": len(deleted),
        "form_version": version,
        "form_versions": versions_used,
        "version_files": version_files,
        "submission_stamps": listing,
    }


def _versions_of(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            header, rows = _rows(zf, name) if name.endswith(".csv") else ([], [])
            if "KEY" in header and "PARENT_KEY" not in header:
                col = next((c for c in ("FormVersion", "meta-formVersion", "__version__") if c in header), None)
                if col is None:
                    return [""] * len(rows)
                k = header.index(col)
                return [r[k] if len(r) > k else "" for r in rows]
    return []

