"""The rounds: section of survey.yaml: each round's files, server source, renames, encoding and delimiter."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import did_you_mean
from ..outputs import safe_name
from .keys import _RENAME, _ROUND, _SOURCE, _check_str_map, _choice, _Ctx, _type_name
from .model import SERVERS, RemoteSource, Round, _frozen


def _rename(ctx: _Ctx, data: Any, path: tuple) -> tuple[Mapping, Mapping, Mapping]:
    """Question renames, choice recodes keyed by the project's question name (a question may be written
    under its old name), and the key each was written under."""
    raw = ctx.keys(data, _RENAME, path, "rename")
    questions = ctx.value(raw, "questions", "str_map", path) or _frozen(None)
    choices_raw = ctx.value(raw, "choices", "mapping", path) or {}
    choices: dict[str, Mapping] = {}
    keys: dict[str, str] = {}
    for question, codes in choices_raw.items():
        ok, mapping = _check_str_map(ctx, codes, (*path, "choices", question))
        if not ok:
            ctx.add("wrong-type", f"the choice renames of '{question}' must map old codes to new codes",
                    (*path, "choices", question), expected="old_code: new_code lines", got=_type_name(codes))  # fmt: skip
            continue
        name = questions.get(str(question), str(question))
        if name in choices:
            ctx.add("duplicate-key", f"the choice renames of '{name}' are given twice (under its old and new name)",
                    (*path, "choices", question), key=True, got=str(question),
                    hint="keep one entry per question")  # fmt: skip
            continue
        choices[name] = mapping
        keys[name] = str(question)
    return questions, _frozen(choices), _frozen(keys)


def _rounds(
    ctx: _Ctx, data: Any, na_values: tuple[str, ...] | None = None, sm_source: str | None = None
) -> tuple[Round, ...]:
    if not isinstance(data, list) or not data:
        ctx.add("no-rounds", "'rounds' must list at least one round", ("rounds",), key=True,
                expected="a list of rounds, each with 'id' and 'files'",
                got="an empty list" if data == [] else _type_name(data),
                hint="add '- id: R1' and '  files: [round1.xlsx]' under 'rounds:'")  # fmt: skip
        return ()
    rounds: list[Round] = []
    seen: dict[str, int] = {}
    owners: dict[object, str] = {}  # a file (by inode, else resolved path) -> the first round reading it
    for i, item in enumerate(data):
        path = ("rounds", i)
        raw = ctx.keys(item, _ROUND, path, f"round {i + 1}")
        if not isinstance(item, dict):
            continue
        has_source = isinstance(raw.get("source"), dict)
        ok = ctx.require(raw, "id", path, f"round {i + 1}")
        if not has_source:
            ok &= ctx.require(raw, "files", path, f"round {i + 1}")
        rid = ctx.value(raw, "id", "str", path)
        if rid is not None and rid in seen:
            ctx.add("duplicate-round", f"round id '{rid}' is used twice (first by round {seen[rid] + 1})",
                    (*path, "id"), expected="a different id per round", got=rid)  # fmt: skip
            ok = False
        elif rid is not None:
            seen[rid] = i
        if rid is not None:
            ctx.round_ids.append(rid)
        source = _source(ctx, raw.get("source"), (*path, "source"), rid) if has_source or "source" in raw else None
        if source is not None:
            files = _pulled_files(ctx, raw, source, path, rid)
        else:
            files = ctx.value(raw, "files", "files", path)
        if rid is not None:
            _same_files(ctx, files or (), rid, owners, (*path, "files"), listed=isinstance(raw.get("files"), list))
        label = ctx.value(raw, "label", "text", path)
        date = ctx.value(raw, "date", "date", path)
        round_form = ctx.value(raw, "instrument", "file", path)
        questions, choices, choice_keys = _rename(ctx, raw.get("rename"), (*path, "rename"))
        encoding = _encoding(ctx, ctx.value(raw, "encoding", "str", path), (*path, "encoding"))
        delimiter = _delimiter(ctx, ctx.value(raw, "delimiter", "str", path), (*path, "delimiter"))
        markers = ctx.value(raw, "na_values", "str_list", path) if "na_values" in raw else na_values
        round_sm = _sm_source(ctx, raw, path) or sm_source
        min_match = _min_match(ctx, raw, path)
        repeats = ctx.value(raw, "repeats", "file_map", path) or _frozen(None)
        ok &= all(f is not None for f in repeats.values())
        if ok and rid is not None and files and all(f is not None for f in files):
            rounds.append(
                Round(
                    id=rid,
                    label=label or _frozen({"en": rid}),
                    files=files,
                    date=date,
                    instrument=round_form,
                    rename_questions=questions,
                    rename_choices=choices,
                    choice_keys=choice_keys,
                    accept_changes=ctx.value(raw, "accept_changes", "str_list", path) or (),
                    cleaning_logs=ctx.value(raw, "cleaning_log", "files", path) or (),
                    encoding=encoding,
                    delimiter=delimiter,
                    source=source,
                    na_values=markers,
                    select_multiple_source=round_sm,
                    min_match=min_match,
                    repeats=repeats,
                    location=ctx.source.locate(path),
                )
            )
    return tuple(rounds)


def _file_key(path: Path) -> object:
    """What identifies a file: its device and inode (a copy by link or another spelling is the same), else its path."""
    try:
        stat = path.stat()
        return (stat.st_dev, stat.st_ino)
    except OSError:
        return str(path.resolve())


def _same_files(ctx: _Ctx, files: tuple, rid: str, owners: dict[object, str], where: tuple, *, listed: bool) -> None:
    """A file already read by another round: the same export analysed as two rounds is not a change."""
    for j, file in enumerate(files):
        if file is None:
            continue
        other = owners.setdefault(_file_key(file), rid)
        if other != rid:
            ctx.add("same-file-in-rounds", f"round '{rid}' reads {file.name}, which round '{other}' reads too: the "
                    "same export would be analysed as two rounds and compared with itself", (*where, j) if listed
                    else where, expected="each round's own export", got=str(file),
                    hint=f"give round '{rid}' the export of its own fieldwork (or remove one of the two rounds)")  # fmt: skip


def _source(ctx: _Ctx, data: Any, path: tuple, rid: str | None) -> RemoteSource | None:
    """The round's server source; problems for a missing url, id or an unknown server."""
    if not isinstance(data, dict):
        ctx.value({"source": data}, "source", "mapping", path[:-1])
        return None
    raw = ctx.keys(data, _SOURCE, path, "source")
    ok = ctx.require(raw, "server", path, "source") & ctx.require(raw, "url", path, "source")
    server = _choice(ctx, ctx.value(raw, "server", "str", path), SERVERS, (*path, "server"), "server")
    url = ctx.value(raw, "url", "str", path)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        ctx.add("bad-value", "the server url must start with https://", (*path, "url"),
                expected="e.g. https://kf.kobotoolbox.org", got=url)  # fmt: skip
        ok = False
    elif url is not None and ("@" in url.split("//", 1)[1].split("/", 1)[0] or "?" in url):
        ctx.add("credentials-in-project", "the server url must not carry a user name, password or token",
                (*path, "url"), expected="only the address, e.g. https://kf.kobotoolbox.org",
                got="an address with credentials (not shown)",
                hint="remove them from survey.yaml; set KOBO_TOKEN or ODK_CENTRAL_USERNAME/ODK_CENTRAL_PASSWORD "
                "in the environment instead")  # fmt: skip
        ok = False
    needs = {"kobo": ("asset",), "central": ("project", "form")}.get(server or "", ())
    for key in needs:
        ok &= ctx.require(raw, key, path, f"a {server} source")
    values = {k: ctx.value(raw, k, _SOURCE[k], path) for k in ("asset", "project", "form", "folder")}
    folder_text = values.pop("folder") or safe_name(rid or "round", "round")  # a round id is never a path
    folder = (ctx.root / folder_text).resolve()
    if not ok or server is None or url is None or any(values[k] is None for k in needs):
        return None
    return RemoteSource(server=server, url=url.rstrip("/"), folder=folder, location=ctx.source.locate(path), **values)


def _pulled_files(ctx: _Ctx, raw: dict, source: RemoteSource, path: tuple, rid: str | None) -> tuple[Path, ...] | None:
    """The files of a round pulled from a server: ``files`` when given, else the file pull writes.

    Before the first pull they do not exist: a ``not-pulled`` problem says to run pull (``pull`` itself
    reads the project with ``pulling=True`` and skips it)."""
    from ..pull.central import DATA_FILE as CENTRAL_FILE
    from ..pull.kobo import DATA_FILE as KOBO_FILE

    given = raw.get("files")
    names = [given] if isinstance(given, str) else given if isinstance(given, list) else None
    if names is None:
        names = [str(source.folder / (KOBO_FILE if source.server == "kobo" else CENTRAL_FILE))]
    paths = tuple((ctx.root / n).resolve() if not Path(n).is_absolute() else Path(n) for n in names)
    if not ctx.pulling:
        missing = [p for p in paths if not p.is_file()]
        if missing:
            ctx.add("not-pulled", f"round {rid} has not been pulled from its server yet",
                    path, expected=str(missing[0]), got="no such file",
                    hint=f"run 'survey-toolkit pull PROJECT --round {rid}' first")  # fmt: skip
            return None
    return paths


def _sm_source(ctx: _Ctx, raw: dict, path: tuple) -> str | None:
    """``select_multiple_source``: ``choices`` or ``summary``, else a problem."""
    value = ctx.value(raw, "select_multiple_source", "str", path)
    if value is None or value in ("choices", "summary"):
        return value
    ctx.add("bad-value", f"select_multiple_source must be 'choices' or 'summary', not '{value}'",
            (*path, "select_multiple_source"), expected="choices or summary", got=value,
            hint="choices: the 0/1 columns win where they disagree with the summary column (default)")  # fmt: skip
    return None


def _min_match(ctx: _Ctx, raw: dict, path: tuple) -> float | None:
    """``min_match``: a share above 0 and at most 1, else a problem."""
    value = ctx.value(raw, "min_match", "number", path)
    if value is None or 0 < value <= 1:
        return value
    ctx.add("bad-value", f"'min_match' must be a share above 0 and at most 1, not {value:g}",
            (*path, "min_match"), expected="a number above 0 and at most 1 (0.2 = 20% of the form's questions)",
            got=f"{value:g}", hint="leave the key out for the default, 0.5")  # fmt: skip
    return None


def _encoding(ctx: _Ctx, value: str | None, where: tuple) -> str | None:
    """A text encoding Python knows (``cp1252``, ``latin-1``, ``utf-8``), else a problem."""
    if value is None:
        return None
    import codecs

    try:
        codecs.lookup(value)
    except LookupError:
        known = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "cp1256", "iso-8859-15")
        ctx.add("bad-value", f"unknown text encoding '{value}'", where, expected=", ".join(known), got=value,
                hint=did_you_mean(value, known) or "use an encoding name such as cp1252 or latin-1")  # fmt: skip
        return None
    return value


def _delimiter(ctx: _Ctx, value: str | None, where: tuple) -> str | None:
    """One delimiter character (``\\t`` written as ``tab`` or ``"\\t"``), else a problem."""
    if value is None:
        return None
    value = {"tab": "\t", "\\t": "\t"}.get(value, value)
    if len(value) != 1:
        ctx.add("bad-value", f"the delimiter must be one character, got '{value}'", where,
                expected="',', ';', '|' or tab", got=value, hint="write e.g. delimiter: ';' (quoted)")  # fmt: skip
        return None
    return value
