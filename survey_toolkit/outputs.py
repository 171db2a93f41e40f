"""Where outputs may be written: never over an input, never outside the output folder.

Every command that writes (``run``, ``report``, ``inspect -o``, ``indicators docs -o``, ``init``)
passes its target through :func:`safe_output_path`; file names built from settings or data (a
report language, an indicator id) go through :func:`safe_name`, and report languages must be
language tags (:func:`is_language_tag`), so ``../../x`` can never become a path.

Example:
    >>> from pathlib import Path
    >>> safe_name("../../etc/passwd"), is_language_tag("fr"), is_language_tag("../x")
    ('.._.._etc_passwd', True, False)
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import Location, Problem, SpecError

__all__ = [
    "LANGUAGE_TAG",
    "RUN_STATUS",
    "is_language_tag",
    "safe_name",
    "safe_output_path",
    "staged_folder",
    "stale_outputs",
    "write_run_status",
]

#: The file of an output folder saying what the last run wrote and which files are left from an earlier run.
RUN_STATUS = "RUN_STATUS.txt"

#: A BCP-47-like language tag: a 2-3 letter language, then subtags of 1-8 letters or digits
#: (``en``, ``fr``, ``pt-BR``, ``zh-Hans``, ``es-419``).
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def is_language_tag(code: object) -> bool:
    """True when ``code`` is a language tag such as ``en`` or ``pt-BR`` (and so a safe file-name part)."""
    return isinstance(code, str) and bool(LANGUAGE_TAG.fullmatch(code))


def safe_name(text: str, default: str = "file") -> str:
    """``text`` as one file-name component: letters, digits, ``.``, ``_`` and ``-`` only, never ``.``/``..``."""
    name = _UNSAFE.sub("_", str(text))
    return default if name.strip(".") == "" else name


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def safe_output_path(
    path: str | os.PathLike[str],
    *,
    inside: str | os.PathLike[str] | None = None,
    inputs: Mapping[str, str | os.PathLike[str] | None] | None = None,
    option: str = "--output",
    folder: bool = False,
) -> Path:
    """``path`` when writing there is safe; otherwise raise :class:`SpecError`.

    Unsafe: ``path`` resolves outside the folder ``inside`` (``..`` parts, a symbolic link), or is
    one of the ``inputs`` (``{"the export": path, ...}``; compared resolved and by inode, so a hard
    link or another spelling of the same file is caught), or is an existing folder (unless ``folder``,
    when ``path`` is a folder to write into).

    Raises:
        SpecError: one located problem naming the option to change.
    """
    target = Path(path)
    where = Location(file=str(target))
    if inside is not None:
        root = Path(inside).resolve()
        resolved = target.resolve()
        if resolved != root and root not in resolved.parents:
            raise SpecError(Problem("output-outside-folder", f"'{target}' is outside the output folder {root}",
                                    where, expected=f"a file inside {root}", got=str(resolved),
                                    hint="file names come from the project's settings (report.languages, "
                                         "indicator ids): use plain names such as 'en' or 'fr'"))  # fmt: skip
    for what, source in (inputs or {}).items():
        if source is not None and _same_file(target, Path(source)):
            raise SpecError(Problem("output-is-input", f"{option} '{target}' is {what}: writing would overwrite it",
                                    where, expected="a new file, not an input", got=str(Path(source).resolve()),
                                    hint=f"give {option} another file name"))  # fmt: skip
    if target.is_dir() and not folder:
        raise SpecError(Problem("output-is-a-folder", f"{option} '{target}' is a folder, not a file", where,
                                hint=f"give {option} the path of a file inside it"))  # fmt: skip
    return target


@contextmanager
def staged_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """A fresh staging folder beside ``folder``; its files move into ``folder`` only when the block succeeds.

    The staging folder (``.<name>.partial-*``) sits in ``folder``'s parent, on the same file system,
    so each move is an atomic rename. When the block raises, the staging folder is removed and
    ``folder`` is left exactly as it was: a failed run never mixes new files with a previous run's.
    """
    target = Path(folder)
    parent = target.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{safe_name(target.name)}.partial-", dir=parent))
    try:
        yield staging
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        target.mkdir(parents=True, exist_ok=True)
        for path in files:
            destination = target / path.relative_to(staging)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stale_outputs(folder: str | os.PathLike[str], written: Collection[Path], patterns: Sequence[str]) -> list[str]:
    """The output files in ``folder`` (names matching ``patterns``) that the last run did not write, sorted."""
    root = Path(folder)
    if not root.is_dir():
        return []
    fresh = {Path(p).resolve() for p in written}
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and path.resolve() not in fresh and any(fnmatch.fnmatch(relative, p) for p in patterns):
            found.append(relative)
    return sorted(found)


def write_run_status(
    folder: str | os.PathLike[str],
    *,
    until: str,
    written: Collection[Path] = (),
    stale: Sequence[str] = (),
    errors: Sequence[Problem] = (),
) -> Path:
    """Write :data:`RUN_STATUS` into ``folder``: what the last run wrote, and the files left from an earlier run.

    ``errors``: the last run failed with these problems (only their codes are written: never a
    respondent's value); then it wrote nothing and every output file in the folder is from an earlier run.
    """
    root = Path(folder)
    if errors:
        codes = Counter(p.code for p in errors if p.is_error) or Counter(p.code for p in errors)
        lines = [f"THE LAST RUN FAILED (steps up to '{until}'): "
                 + ", ".join(f"{code} x{n}" if n > 1 else code for code, n in sorted(codes.items())) + ".",
                 "It wrote nothing here. Every file below is from an earlier run and may not match the current",
                 "inputs: fix the problems and run again (survey-toolkit validate lists them).", ""]  # fmt: skip
    else:
        names = sorted(os.path.relpath(Path(p).resolve(), root.resolve()).replace(os.sep, "/") for p in written)
        lines = [f"The last run succeeded (steps up to '{until}') and wrote:", *(f"  {n}" for n in names), ""]
        if stale:
            lines += ["Left from an earlier run, NOT updated by the last one (they may not match the current inputs;",
                      "run again up to the 'report' step, or delete them):"]  # fmt: skip
    lines += [f"  {name}" for name in stale]
    from .report._common import atomic_write_bytes  # (report imports this module)

    return atomic_write_bytes(root / RUN_STATUS, ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8"))
