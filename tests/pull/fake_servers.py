"""Local stand-ins for KoBoToolbox (KPI API v2) and ODK Central, served on 127.0.0.1 by the tests.

They answer in the documented formats (KPI: ``data.json`` pages with ``count``/``next``/``results``,
``{uid}.xls``, asset and version JSON, ``Token`` auth; Central: ``POST /v1/sessions``, ``Bearer`` auth,
form JSON, ``.xlsx``, OData ``Submissions`` with ``$select``/``$top``/``$skip``, and
``submissions.csv.zip`` with ``$filter`` on ``__system`` dates), count what they serve, and fail on
demand (status codes, a dropped page) so the tests can check every failure path. No internet needed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "kobo-secret-token-123"
CENTRAL_USER = "analyst@example.org"
CENTRAL_PASSWORD = "central-secret-pw-456"


@dataclass
class KoboState:
    uid: str = "aDemoAsset1"
    name: str = "CSSP demo round 1"
    deployed: str = "vQ3fTz8HkLm2WcR9pXa7Ds"
    records: list[dict[str, Any]] = field(default_factory=list)
    form: bytes = b""
    versions: dict[str, dict] = field(default_factory=dict)
    served_records: int = 0
    fail: list[tuple[str, int]] = field(default_factory=list)
    """(path substring, status) answered once each, in order, before normal service."""
    drop_page_from: int | None = None
    """start offset from which full-data pages answer 500 (a dropped download)."""
    requests: list[str] = field(default_factory=list)


@dataclass
class CentralState:
    project: int = 7
    form_id: str = "cssp_core"
    version: str = "2026050101"
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    stamps: dict[str, tuple[str, str]] = field(default_factory=dict)
    """KEY -> (submissionDate, updatedAt or '')."""
    children: dict[str, tuple[list[str], list[list[str]]]] = field(default_factory=dict)
    form: bytes = b""
    served_rows: int = 0
    fail: list[tuple[str, int]] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    kobo: KoboState | None = None
    central: CentralState | None = None
    base = ""

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    # -- helpers
    def _send(self, status: int, body: bytes, ctype: str = "application/json", headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _failure(self, state: Any) -> bool:
        for i, (needle, status) in enumerate(state.fail):
            if needle in self.path:
                state.fail.pop(i)
                self._json(status, {"detail": "injected"}, headers={"Retry-After": "0"} if status == 429 else None)
                return True
        return False

    def do_POST(self) -> None:  # noqa: N802
        if self.path.startswith("/v1/sessions") and self.central is not None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if body.get("email") == CENTRAL_USER and body.get("password") == CENTRAL_PASSWORD:
                return self._json(200, {"token": "central-session-token"})
            return self._json(401, {"message": "Could not authenticate with the provided credentials."})
        self._json(404, {})

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/api/v2/") and self.kobo is not None:
            return self._kobo(url.path, q)
        if url.path.startswith("/v1/") and self.central is not None:
            return self._central(url.path, q)
        self._json(404, {"detail": "Not found."})

    # -- KoBo
    def _kobo(self, path: str, q: dict[str, str]) -> None:
        s = self.kobo
        assert s is not None
        s.requests.append(self.path)
        if self.headers.get("Authorization") != f"Token {TOKEN}":
            return self._json(401, {"detail": "Invalid token."})
        if self._failure(s):
            return None
        prefix = f"/api/v2/assets/{s.uid}"
        if path == prefix + "/":
            return self._json(200, {"uid": s.uid, "name": s.name, "deployed_version_id": s.deployed,
                                    "deployment__submission_count": len(s.records)})
        if path == prefix + ".xls":
            return self._send(200, s.form, "application/vnd.ms-excel")
        m = re.fullmatch(prefix + r"/versions/([^/]+)/", path)
        if m and m.group(1) in s.versions:
            return self._json(200, s.versions[m.group(1)])
        if path == prefix + "/data.json":
            rows = s.records
            if "query" in q:
                wanted = set(json.loads(q["query"])["_id"]["$in"])
                rows = [r for r in rows if r["_id"] in wanted]
            start, limit = int(q.get("start", 0)), min(int(q.get("limit", 100)), 1000)
            if "fields" in q:
                keep = json.loads(q["fields"])
                rows = [{k: r[k] for k in keep if k in r} for r in rows]
            elif s.drop_page_from is not None and start >= s.drop_page_from and "query" not in q:
                return self._json(500, {"detail": "dropped"})
            page = rows[start : start + limit]
            if "fields" not in q:
                s.served_records += len(page)
            nxt = None
            if start + limit < len(rows):
                params = dict(q, start=str(start + limit), limit=str(limit))
                from urllib.parse import urlencode

                nxt = f"{self.base}{path}?{urlencode(params)}"
            return self._json(200, {"count": len(rows), "next": nxt, "previous": None, "results": page})
        return self._json(404, {"detail": "Not found."})

    # -- Central
    def _central(self, path: str, q: dict[str, str]) -> None:
        s = self.central
        assert s is not None
        if path == "/v1/users/current":
            ok = self.headers.get("Authorization") == "Bearer central-session-token"
            return self._json(200 if ok else 401, {"id": 1})
        if self.headers.get("Authorization") != "Bearer central-session-token":
            return self._json(401, {"message": "unauthorized"})
        if self._failure(s):
            return None
        form = f"/v1/projects/{s.project}/forms/{s.form_id}"
        if path == form:
            return self._json(200, {"xmlFormId": s.form_id, "version": s.version})
        if path == form + ".xlsx" or re.fullmatch(re.escape(form) + r"/versions/[^/]+\.xlsx", path):
            return self._send(200, s.form, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if path == form + ".svc/Submissions":
            key = s.header.index("KEY")
            allrows = [{"__id": r[key], "__system": {"submissionDate": s.stamps[r[key]][0],
                                                     "updatedAt": s.stamps[r[key]][1] or None}} for r in s.rows]
            skip, top = int(q.get("$skip", 0)), int(q.get("$top", 1000))
            return self._json(200, {"value": allrows[skip : skip + top]})
        if path == form + "/submissions.csv.zip":
            rows = s.rows
            if "$filter" in q:
                s.filters.append(q["$filter"])
                since = re.findall(r"gt (\S+)", q["$filter"])[0]
                key = s.header.index("KEY")
                rows = [r for r in rows if max(s.stamps[r[key]][0], s.stamps[r[key]][1] or "") > since]
            s.served_rows += len(rows)
            return self._send(200, _zip(s, rows), "application/zip")
        return self._json(404, {"message": "not found"})


def _zip(s: CentralState, rows: list[list[str]]) -> bytes:
    buf = io.BytesIO()
    key = s.header.index("KEY")
    keys = {r[key] for r in rows}
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{s.form_id}.csv", _csv(s.header, rows))
        for name, (header, child_rows) in s.children.items():
            k = header.index("KEY")
            zf.writestr(name, _csv(header, [r for r in child_rows if r[k].split("/")[0] in keys]))
    return buf.getvalue()


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


class FakeServer:
    """``with FakeServer(kobo=..., central=...) as url:`` serves both APIs on a free local port."""

    def __init__(self, kobo: KoboState | None = None, central: CentralState | None = None) -> None:
        handler = type("Handler", (_Handler,), {"kobo": kobo, "central": central})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        handler.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = handler.base
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
