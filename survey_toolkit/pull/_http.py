"""HTTP for the server clients: one session, bounded retries, and every failure as a located problem.

Credentials come from environment variables (or the clients' own configuration files) and are never
put in a message: errors name the server, the round and what to check, not the token or password.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import LoadError, Location, Problem

__all__ = ["PullContext", "HttpFailure", "request", "env_secret", "redact_url"]

#: Attempts for a request that failed transiently (rate limit, 502/503/504, dropped connection).
MAX_ATTEMPTS = 4
#: Longest wait between two attempts, in seconds, whatever the server's Retry-After says.
MAX_WAIT = 30.0
#: Seconds to wait for the server to answer (connect, read).
TIMEOUT = (15.0, 120.0)


@dataclass(frozen=True)
class PullContext:
    """Where a round's source is declared (for located problems) and how to wait between retries."""

    round_id: str
    server: str
    url: str
    location: Location
    sleep: Callable[[float], None] = time.sleep

    def problem(self, code: str, message: str, hint: str, **kw: Any) -> Problem:
        return Problem(code, f"round {self.round_id}: {message}", self.location, hint=hint, **kw)

    def fail(self, code: str, message: str, hint: str, **kw: Any) -> LoadError:
        return LoadError(self.problem(code, message, hint, **kw))


class HttpFailure(Exception):
    """A response that is not a success, kept for the caller to turn into a problem."""

    def __init__(self, status: int, url: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.url = url


def redact_url(url: str) -> str:
    """The URL without user, password or query string (query strings can carry tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def env_secret(names: tuple[str, ...]) -> str | None:
    """The first non-empty environment variable among ``names`` (stripped), else None."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _retry_after(response: Any, attempt: int) -> float:
    header = response.headers.get("Retry-After") if response is not None else None
    try:
        wait = float(header) if header is not None else 2.0**attempt
    except ValueError:
        wait = 2.0**attempt
    return min(max(wait, 0.0), MAX_WAIT)


def request(
    ctx: PullContext,
    session: Any,
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    stream: bool = False,
    what: str = "the server",
) -> Any:
    """``session.request`` with bounded retries on transient failures; any failure raises a LoadError.

    Retried: 429 (rate limit, honouring Retry-After up to :data:`MAX_WAIT`), 502/503/504 and dropped
    connections, at most :data:`MAX_ATTEMPTS` times. Not retried: 401/403 (credentials), 404 (unknown
    form or asset) and other errors, each reported with what to check.
    """
    import requests

    last_status: int | None = None
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = session.request(method, url, params=params, stream=stream, timeout=TIMEOUT)
        except (requests.ConnectionError, requests.Timeout) as err:
            if attempt + 1 < MAX_ATTEMPTS:
                ctx.sleep(_retry_after(None, attempt))
                continue
            kind = "timed out" if isinstance(err, requests.Timeout) else "could not connect"
            raise ctx.fail(
                "server-unreachable",
                f"{kind} to {redact_url(ctx.url)} while fetching {what}",
                "check the internet connection and the server url in survey.yaml, then run pull again "
                "(files already pulled are kept; a pull resumes where it stopped)",
                got=redact_url(url),
            ) from None
        except requests.RequestException as err:
            raise ctx.fail("server-error", f"the request for {what} failed ({type(err).__name__})",
                           "check the server url in survey.yaml", got=redact_url(url)) from None  # fmt: skip
        status = response.status_code
        if status < 400:
            return response
        last_status = status
        if status in (429, 502, 503, 504) and attempt + 1 < MAX_ATTEMPTS:
            ctx.sleep(_retry_after(response, attempt))
            continue
        response.close()
        raise _status_error(ctx, status, url, what)
    raise _status_error(ctx, last_status or 0, url, what)  # pragma: no cover - loop always returns or raises


def _status_error(ctx: PullContext, status: int, url: str, what: str) -> LoadError:
    creds = {
        "kobo": "set the KOBO_TOKEN environment variable to your KoBoToolbox API token "
        "(Account settings > Security > API key)",
        "central": "set ODK_CENTRAL_USERNAME and ODK_CENTRAL_PASSWORD (or PYODK_CONFIG_FILE) for "
        "a Central web user who may read this form",
    }[ctx.server]
    where = redact_url(url)
    if status in (401, 403):
        return ctx.fail("server-credentials", f"the server refused the credentials ({status}) for {what}",
                        creds, got=where)  # fmt: skip
    if status == 404:
        ident = "asset uid" if ctx.server == "kobo" else "project id and form id"
        return ctx.fail("server-not-found", f"the server does not know {what} (404)",
                        f"check the {ident} under 'source:' in survey.yaml (and that your account can see it)",
                        got=where)  # fmt: skip
    if status == 429:
        return ctx.fail("server-rate-limit", f"the server kept refusing requests (rate limit) for {what}",
                        "wait a few minutes and run pull again; files already pulled are kept", got=where)  # fmt: skip
    return ctx.fail("server-error", f"the server answered with an error ({status}) for {what}",
                    "try again later; if it persists, check the server's status page", got=where)  # fmt: skip
