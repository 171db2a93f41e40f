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

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from .errors import Location, Problem, SpecError

__all__ = ["LANGUAGE_TAG", "is_language_tag", "safe_name", "safe_output_path", "staged_folder"]

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
