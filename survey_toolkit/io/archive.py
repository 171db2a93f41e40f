"""Reading members of zip archives (ODK Central submissions zips, XLSX workbooks) within limits.

A zip member is decompressed in chunks and reading stops as soon as the archive's members together
exceed :data:`MAX_UNZIPPED_BYTES`, so a "zip bomb" (a few megabytes that inflate to gigabytes) is a
clear error instead of exhausting memory. Damaged, truncated and password-protected members, and
compression methods Python cannot read, are :class:`~survey_toolkit.errors.LoadError` problems
naming the archive and the member.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from ..errors import LoadError, Location, Problem

__all__ = ["MAX_UNZIPPED_BYTES", "read_zip_members", "check_zip_sizes"]

#: The most a zip archive may inflate to (all members read together): 500 MB.
MAX_UNZIPPED_BYTES = 500_000_000
_CHUNK = 1 << 20


def _too_large(source: str, member: str, limit: int) -> LoadError:
    return LoadError(
        Problem(
            "archive-too-large",
            f"the zip archive inflates to more than {limit // 1_000_000:,} MB (member '{member}')",
            Location(file=source),
            expected=f"at most {limit // 1_000_000:,} MB of uncompressed data",
            got="more (a damaged archive or a 'zip bomb')",
            hint="download the export again; a genuine export this large should be split by date "
            "or downloaded as CSV without media",
        )
    )


def _unreadable(source: str, member: str | None, reason: str, hint: str) -> LoadError:
    where = f" (member '{member}')" if member else ""
    return LoadError(
        Problem(
            "unreadable-file",
            f"the zip archive cannot be read{where}: {reason}",
            Location(file=source),
            hint=hint,
        )
    )


def check_zip_sizes(path: Path, source: str, limit: int = MAX_UNZIPPED_BYTES) -> None:
    """Refuse an archive whose members declare more than ``limit`` bytes in total (cheap; headers only)."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                total += info.file_size
                if total > limit:
                    raise _too_large(source, info.filename, limit)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _unreadable(
            source, None, f"it is damaged or truncated ({type(exc).__name__})", "download the file again"
        ) from None


def read_zip_members(
    path: Path, source: str, keep: Callable[[str], bool], limit: int = MAX_UNZIPPED_BYTES
) -> dict[str, bytes]:
    """The bytes of every member whose name passes ``keep``, streamed with a total size cap."""
    out: dict[str, bytes] = {}
    budget = limit
    member: str | None = None
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir() or not keep(info.filename):
                    continue
                member = info.filename
                if info.flag_bits & 0x1:
                    raise _unreadable(
                        source,
                        member,
                        "the member is protected by a password",
                        "export the data again without a password (or unzip it and give the CSV file)",
                    )
                if info.file_size > budget:
                    raise _too_large(source, member, limit)
                parts: list[bytes] = []
                with zf.open(info) as fh:
                    while chunk := fh.read(_CHUNK):
                        budget -= len(chunk)
                        if budget < 0:
                            raise _too_large(source, member, limit)
                        parts.append(chunk)
                out[member] = b"".join(parts)
    except LoadError:
        raise
    except NotImplementedError as exc:
        raise _unreadable(
            source,
            member,
            f"it uses a compression method this program cannot read ({exc})",
            "re-create the zip with standard (deflate) compression, or give the CSV file itself",
        ) from None
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required"
        if "encrypted" not in str(exc):
            raise
        raise _unreadable(
            source,
            member,
            "the member is protected by a password",
            "export the data again without a password (or unzip it and give the CSV file)",
        ) from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, zipfile.LargeZipFile) as exc:
        raise _unreadable(
            source,
            member,
            "it is damaged or truncated ("
            + ("corrupt compressed data" if isinstance(exc, zlib.error) else type(exc).__name__)
            + ")",
            "download the export again",
        ) from None
    return out
