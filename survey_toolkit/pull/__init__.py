"""Pull rounds from the servers where they live: KoBoToolbox (API v2) and ODK Central (pyodk).

For each round whose ``source:`` names a server in ``survey.yaml``, :func:`pull` downloads the form
and the submissions into the round's folder (``<project>/<round id>/`` unless ``folder:`` says
otherwise), in the layout the loaders read best, and writes ``pull-manifest.json`` (server, form
version(s), submission count, time, SHA-256 of each file, what changed). A second pull fetches only
new and edited submissions. Files are replaced atomically: a failed pull leaves the previous files
whole. Credentials come from environment variables, never from the project file, and never appear in
a message.

Example:
    >>> from survey_toolkit.pull import pull                       # doctest: +SKIP
    >>> result = pull("my-survey", rounds=["R4"])                  # doctest: +SKIP
    >>> result.table()                                             # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import (
    LoadError,
    Location,
    Problem,
    Severity,
    SpecError,
    SurveyToolkitError,
    ValidationReport,
    did_you_mean,
)
from ._http import PullContext, redact_url
from ._store import MANIFEST, read_manifest, sha256, write_manifest

__all__ = ["pull", "PullResult", "RoundPull"]

Progress = Callable[[str, int, int], None]


def _noop(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RoundPull:
    """What one round's pull did."""

    round_id: str
    server: str
    folder: Path
    data_file: Path
    form_file: Path | None
    submissions: int
    new: int
    edited: int
    deleted: int
    form_versions: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.edited or self.deleted)

    def summary(self) -> str:
        if not self.changed:
            return f"round {self.round_id}: no change ({self.submissions} submissions)"
        parts = [f"{n} {what}" for n, what in ((self.new, "new"), (self.edited, "edited"), (self.deleted, "deleted")) if n]
        return f"round {self.round_id}: {', '.join(parts)} ({self.submissions} submissions in all)"


@dataclass(frozen=True)
class PullResult:
    rounds: tuple[RoundPull, ...]

    def table(self) -> pd.DataFrame:
        """One row per round pulled: server, counts, files."""
        return pd.DataFrame(
            [
                {
                    "round": r.round_id,
                    "server": r.server,
                    "submissions": r.submissions,
                    "new": r.new,
                    "edited": r.edited,
                    "deleted": r.deleted,
                    "form_versions": ", ".join(sorted(r.form_versions)),
                    "data_file": str(r.data_file),
                }
                for r in self.rounds
            ]
        )


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _check_folder(round_: Any, project: Any) -> None:
    """Before anything is downloaded: the files pull writes into the round folder never replace an input
    of the project (its form, indicators, survey.yaml, another round's export...).

    Raises:
        SpecError: the round folder would overwrite an input (``output-is-input``, naming it).
    """
    from ..outputs import safe_output_path
    from ..project import _inputs
    from .central import DATA_FILE as CENTRAL_FILE
    from .kobo import DATA_FILE as KOBO_FILE
    from .kobo import RAW_FILE

    folder = round_.source.folder
    own = {Path(f).resolve() for f in round_.files}  # this round's pulled export: rewritten by design
    inputs = {f"{what} ({path.name})": path for path, what, _ in _inputs(project) if path.resolve() not in own}
    names = (KOBO_FILE, RAW_FILE) if round_.source.server == "kobo" else (CENTRAL_FILE,)
    for name in (*names, "form.xlsx", "form.xls", MANIFEST):
        safe_output_path(folder / name, inside=folder, inputs=inputs, option=f"round {round_.id}'s source folder")


def _pull_round(round_: Any, project: Any, progress: Progress, sleep: Callable[[float], None] | None) -> RoundPull:
    from .central import pull_central
    from .kobo import pull_kobo

    source = round_.source
    folder = source.folder
    _check_folder(round_, project)
    folder.mkdir(parents=True, exist_ok=True)
    kw = {"sleep": sleep} if sleep is not None else {}
    ctx = PullContext(round_.id, source.server, source.url, source.location, **kw)
    step = lambda what, done, total: progress(f"{round_.id}: {what}", done, total)  # noqa: E731
    if source.server == "kobo":
        info = pull_kobo(ctx, source.asset, folder, progress=step)
        ident = {"asset": source.asset}
    else:
        info = pull_central(ctx, source.project, source.form, folder, progress=step)
        ident = {"project": source.project, "form": source.form}
    files = {k: v for k, v in info["files"].items() if v is not None}
    manifest = {
        "round": round_.id,
        "server": source.server,
        "url": redact_url(source.url),
        **ident,
        "pulled_at": _now(),
        "submissions": info["submissions"],
        "changes": {"new": info["new"], "edited": info["edited"], "deleted": info["deleted"]},
        "form_version": info["form_version"],
        "form_versions": info["form_versions"],
        "version_files": info["version_files"],
        "files": {k: {"path": p.relative_to(folder).as_posix(), "sha256": sha256(p)} for k, p in files.items()},
    }
    if "submission_stamps" in info:
        manifest["submission_stamps"] = info["submission_stamps"]
    previous = read_manifest(folder) or {}
    manifest["history"] = [*previous.get("history", [])[-49:],
                           {"pulled_at": manifest["pulled_at"], **manifest["changes"],
                            "submissions": info["submissions"]}]  # fmt: skip
    write_manifest(folder, manifest)
    return RoundPull(
        round_id=round_.id,
        server=source.server,
        folder=folder,
        data_file=files["data"],
        form_file=files.get("form"),
        submissions=info["submissions"],
        new=info["new"],
        edited=info["edited"],
        deleted=info["deleted"],
        form_versions=dict(info["form_versions"]),
    )


def pull(
    project: Any,
    rounds: Iterable[str] | None = None,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PullResult:
    """Pull every round of ``project`` (a :class:`~survey_toolkit.project.Project`, its file or folder)
    that names a server ``source:``, or only ``rounds``; return what changed.

    Raises:
        SpecError: the project file has mistakes, a named round does not exist or has no source.
        LoadError: every round that failed (network, credentials, unknown form, partial download), each
            located at its ``source:`` in survey.yaml; rounds pulled before a failure keep their files.
    """
    from ..project import Project, check_project

    if not isinstance(project, Project):
        project, report = check_project(project, pulling=True)
        report.raise_if_errors(SpecError)
        assert project is not None
    progress = progress or _noop
    wanted = list(rounds) if rounds is not None else None
    problems: list[Problem] = []
    ids = [r.id for r in project.rounds]
    for rid in wanted or ():
        if rid not in ids:
            problems.append(Problem("unknown-round", f"there is no round '{rid}' in the project", Location(file=str(project.path)),
                                    expected=", ".join(ids), got=rid, hint=did_you_mean(rid, ids) or "use a round id of survey.yaml"))  # fmt: skip
        elif project.round(rid).source is None:
            problems.append(Problem("no-source", f"round '{rid}' has no 'source:' to pull from", project.round(rid).location,
                                    hint="add a source (server, url and the asset or form id) to the round in survey.yaml"))  # fmt: skip
    if problems:
        raise SpecError(problems)
    targets = [r for r in project.rounds if r.source is not None and (wanted is None or r.id in wanted)]
    if not targets:
        raise SpecError(Problem("no-source", "no round of the project names a server 'source:' to pull from",
                                Location(file=str(project.path)),
                                hint="add 'source: {server: kobo, url: ..., asset: ...}' to a round (docs/project-file.md)"))  # fmt: skip
    done: list[RoundPull] = []
    failures: list[Problem] = []
    for i, round_ in enumerate(targets):
        progress("pull", i, len(targets))
        try:
            done.append(_pull_round(round_, project, progress, sleep))
        except SurveyToolkitError as err:
            failures += err.problems
        except OSError as err:
            failures.append(Problem("cannot-write", f"round {round_.id}: cannot write into {round_.source.folder}",
                                    round_.source.location, got=type(err).__name__,
                                    hint="check that the folder is writable and the disk is not full"))  # fmt: skip
    progress("pull", len(targets), len(targets))
    if failures:
        pulled = [Problem("pulled", r.summary(), Location(file=str(r.data_file)), severity=Severity.INFO) for r in done]
        raise LoadError(ValidationReport.of([*failures, *pulled]).problems)
    return PullResult(tuple(done))
