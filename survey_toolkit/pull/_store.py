"""The round folder a pull writes: atomic files, the manifest, and the staging area used to resume.

Everything is written to a temporary name and moved into place in one step, so an interrupted pull
never leaves a half-written export; pages already downloaded wait in ``.pull/staging`` for the next
pull to resume from.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST", "atomic_write", "in_folder", "read_manifest", "write_manifest", "sha256", "Staging"]

MANIFEST = "pull-manifest.json"
"""The manifest's file name, in the round folder."""
STATE_DIR = ".pull"


def in_folder(folder: Path, *parts: str) -> Path:
    """``folder / parts`` when it stays inside ``folder`` (names from the server, such as a form version, are
    never a way out of the round folder); else the located error of :func:`~survey_toolkit.outputs.safe_output_path`."""
    from ..outputs import safe_output_path

    return safe_output_path(folder.joinpath(*parts), inside=folder, option="the pulled file")


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` in one step (temporary file beside it, then rename)."""
    with _atomic(path) as tmp:
        tmp.write_bytes(data)
    return path


def atomic_write_with(path: Path, writer: Any) -> Path:
    """Call ``writer(tmp)`` and move the file it wrote onto ``path`` in one step."""
    with _atomic(path) as tmp:
        writer(tmp)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of the last pull into ``folder`` (None when there was none or it is unreadable)."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return atomic_write(folder / MANIFEST, text.encode("utf-8"))


class Staging:
    """Pages of one download kept between attempts, keyed by what was asked (so a changed query starts over)."""

    def __init__(self, folder: Path, key: dict[str, Any]) -> None:
        self.dir = folder / STATE_DIR / "staging"
        self.key = json.dumps(key, sort_keys=True)
        stamp = self.dir / "request.json"
        if stamp.is_file() and stamp.read_text(encoding="utf-8") != self.key:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write(stamp, self.key.encode("utf-8"))

    def page(self, n: int) -> Path:
        return self.dir / f"page-{n:06d}.json"

    def load(self, n: int) -> Any | None:
        try:
            return json.loads(self.page(n).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, n: int, data: Any) -> None:
        atomic_write(self.page(n), json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def resumed_pages(self) -> int:
        return len(list(self.dir.glob("page-*.json")))

    def clear(self) -> None:
        shutil.rmtree(self.dir.parent, ignore_errors=True)
