"""Map export headers to instrument questions by generating the headers each platform would write.

Nothing here splits a header string on separators (``formats.md`` §8): XLSForm names may contain
``-`` and ``.`` and labels may contain ``/``. Instead, for every question of a table, every header
that KoBoToolbox (XML names or labels in each form language, with or without group paths joined by
``/``, ``.`` or ``%``), ODK Central (``-`` group paths, ``/`` choice columns, ``-Latitude`` GPS
columns), SPSS/Stata (``q_code``, ``q__code``) or R (``make.names``) would write is generated, and
the export's headers are looked up in that table: exactly first, then after a loose normalisation
(case, punctuation, R's ``X`` prefix, a BOM) when the normalised candidate is unambiguous.

The header *mode* (XML names, or labels in one language) is the mode whose candidates match the most
headers; label modes also accept name candidates for questions without a label (``start``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..instrument import Instrument, Question

__all__ = [
    "Target",
    "HeaderMatch",
    "question_kind",
    "is_core_question",
    "table_questions",
    "silent_fields",
    "repeat_names",
    "match_headers",
    "normalise_header",
    "SYSTEM_QUESTIONS",
    "GEO_PARTS",
]

#: geopoint parts in output order, with the suffixes the platforms use for each.
GEO_PARTS: dict[str, tuple[str, ...]] = {
    "latitude": ("latitude", "Latitude"),
    "longitude": ("longitude", "Longitude"),
    "altitude": ("altitude", "Altitude"),
    "precision": ("precision", "Accuracy", "accuracy"),
}

#: Questions of the ``meta`` group that pyxform adds; they become metadata columns, not questions.
SYSTEM_QUESTIONS = frozenset({"instanceID", "instanceName", "rootUuid", "deprecatedID", "audit"})

#: Types that never appear as export columns.
_NOT_EXPORTED = frozenset(
    {"note", "group", "repeat", "begin_group", "end_group", "begin_repeat", "end_repeat"}
)

_GEO_TYPES = frozenset(
    {"geopoint", "start-geopoint", "background-geopoint", "start_geopoint", "background_geopoint"}
)

_GROUP_SEPARATORS = ("/", ".", "%", "-", ":")

_MEDIA = frozenset({"image", "audio", "video", "file", "background-audio", "background_audio"})


def question_kind(question: Question) -> str:
    """The XLSForm type of ``question`` normalised: ``select_one``, ``select_multiple``, ``datetime``...

    Accepts both the XLSForm spelling (``select_one``, ``dateTime``) and pyxform's internal one
    (``select one``, ``select all that apply``).
    """
    kind = str(question.type).strip().lower().replace(" ", "_")
    aliases = {
        "select_all_that_apply": "select_multiple",
        "select_multiple_from_file": "select_multiple",
        "select_one_from_file": "select_one",
        "select_one_external": "select_one",
        "select1": "select_one",
        "datetime": "datetime",
        "int": "integer",
        "geopoint": "geopoint",
        "start-geopoint": "geopoint",
        "start_geopoint": "geopoint",
        "background-geopoint": "geopoint",
        "background_geopoint": "geopoint",
    }
    return aliases.get(kind, kind)


def repeat_names(instrument: Instrument) -> list[str]:
    """Names of the instrument's repeat groups, in form order."""
    return [g.name for g in instrument.groups if g.repeat]


def _innermost_repeat(question: Question, repeats: frozenset[str]) -> str | None:
    for part in reversed(question.path):
        if part in repeats:
            return part
    return question.repeat


def is_system_question(question: Question) -> bool:
    """True for pyxform's ``meta/instanceID`` and friends (they feed the metadata columns)."""
    return question.name in SYSTEM_QUESTIONS and bool(question.path) and question.path[0] == "meta"


#: Question types that are device/system metadata or derived values: not counted when judging
#: whether an export matches an instrument (many files lack them).
_NOT_CORE = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "phonenumber",
        "email",
        "subscriberid",
        "simserial",
        "audit",
        "calculate",
        "hidden",
        "start-geopoint",
        "background-audio",
        "background_audio",
    }
)


def is_core_question(question: Question) -> bool:
    """True for questions put to the respondent (used to judge if an export matches an instrument)."""
    return question_kind(question) not in _NOT_CORE and str(question.type).lower() not in _NOT_CORE


def table_questions(instrument: Instrument, table: str | None = None) -> list[Question]:
    """The exportable questions of one table: the main table (``None``) or a repeat, in form order.

    Notes, structural rows and pyxform's ``meta`` system fields are left out.
    """
    repeats = frozenset(repeat_names(instrument))
    out = []
    for q in instrument.questions:
        if question_kind(q) in _NOT_EXPORTED or is_system_question(q):
            continue
        if _innermost_repeat(q, repeats) == table:
            out.append(q)
    return out


def silent_fields(instrument: Instrument, table: str | None = None) -> list[Question]:
    """Form fields of one table that exports may carry but that hold no answer for the tidy frame.

    ``note`` questions (ODK Central writes an empty column for each) and pyxform's ``meta`` system
    fields (``meta/audit``, ``meta-instanceName``...) that are not platform metadata columns. Their
    headers are matched (every spelling: ``meta/audit``, ``meta-audit``, ``audit``) so that they are
    never reported as columns unknown to the instrument.
    """
    repeats = frozenset(repeat_names(instrument))
    return [
        q
        for q in instrument.questions
        if (question_kind(q) == "note" or is_system_question(q)) and _innermost_repeat(q, repeats) == table
    ]


#: Roles of targets that are form fields without answers: matched, never typed nor reported.
SILENT_ROLES = frozenset({"note", "system"})


@dataclass(frozen=True)
class Target:
    """What one header holds: a question's value, one choice dummy, a GPS part or a media URL."""

    question: str  # the question's column name in the tidy frame
    role: str  # "value" | "choice" | "geo" | "media_url" | "note" | "system" (see SILENT_ROLES)
    part: str | None = None  # choice code or GPS part

    def describe(self) -> str:
        if self.role == "value":
            return self.question
        return f"{self.question}/{self.part}" if self.part else f"{self.question} ({self.role})"


@dataclass(frozen=True)
class HeaderMatch:
    """The result of matching an export's headers to one table of the instrument."""

    mode: str  # "xml" or "label"
    language: str | None  # the label language when mode == "label"
    mapping: Mapping[str, Target]  # header -> target, for every matched header
    unmatched: tuple[str, ...]  # headers that are not questions (metadata or extra columns)
    ambiguous: Mapping[str, tuple[Target, ...]] = field(default_factory=dict)
    duplicates: Mapping[Target, tuple[str, ...]] = field(default_factory=dict)  # several headers, one target
    loose: tuple[str, ...] = ()  # headers matched only after normalisation

    def columns_for(self, question: str) -> dict[tuple[str, str | None], str]:
        """(role, part) -> header for one question."""
        return {(t.role, t.part): h for h, t in self.mapping.items() if t.question == question}

    @property
    def matched_questions(self) -> set[str]:
        return {t.question for t in self.mapping.values() if t.role == "value" or t.role in ("choice", "geo")}

    @property
    def silent(self) -> tuple[str, ...]:
        """Headers of note and ``meta`` system fields (no answers: dropped or kept aside, never unknown)."""
        return tuple(h for h, t in self.mapping.items() if t.role in SILENT_ROLES)


def column_names(questions: Sequence[Question]) -> dict[int, str]:
    """Tidy column name per question (by position): the name, or the full path when names clash."""
    counts: dict[str, int] = {}
    for q in questions:
        counts[q.name] = counts.get(q.name, 0) + 1
    return {i: (q.name if counts[q.name] == 1 else "/".join(q.full_path)) for i, q in enumerate(questions)}


# ----------------------------------------------------------------------------------------------
# candidate generation


def _label(labels: Mapping[str, str] | None, language: str | None, fallback: str) -> str:
    if language is None or not labels:
        return fallback
    text = labels.get(language)
    return str(text).strip() if text else fallback


def _group_labels(instrument: Instrument) -> dict[tuple[str, ...], Mapping[str, str]]:
    out: dict[tuple[str, ...], Mapping[str, str]] = {}
    for g in instrument.groups:
        path = tuple(g.path)
        if not path or path[-1] != g.name:
            path = (*path, g.name)
        out[path] = g.labels
    return out


def _path_variants(question: Question, table: str | None) -> list[tuple[str, ...]]:
    """Full path, path relative to the table, bare name (deduplicated, most specific first)."""
    full = tuple(question.full_path)
    variants = [full]
    if table is not None and table in question.path:
        idx = len(question.path) - 1 - list(reversed(question.path)).index(table)
        variants.append(full[idx + 1 :])
        variants.append(full[idx:])
    variants.append((question.name,))
    seen: list[tuple[str, ...]] = []
    for v in variants:
        if v and v not in seen:
            seen.append(v)
    return seen


def _candidates_for(
    question: Question,
    column: str,
    table: str | None,
    instrument: Instrument,
    language: str | None,
    group_labels: Mapping[tuple[str, ...], Mapping[str, str]],
    separators: Sequence[str],
) -> Iterable[tuple[str, Target, int]]:
    """(header, target, priority) for one question in one mode (language None = XML names)."""
    kind = question_kind(question)
    choices = ()
    if question.list_name and question.list_name in instrument.choice_lists:
        choices = instrument.choice_lists[question.list_name].choices
    value = Target(column, "value")
    for variant in _path_variants(question, table):
        prefix_paths = [
            tuple(question.full_path[: len(question.full_path) - len(variant) + i + 1])
            for i in range(len(variant) - 1)
        ]
        parts = [_label(group_labels.get(p), language, p[-1]) for p in prefix_paths]
        leaf = _label(question.labels, language, question.name)
        prio = 0 if len(variant) > 1 or variant == tuple(question.full_path) else 1
        for sep in separators:
            groups = sep.join(parts)
            base = f"{groups}{sep}{leaf}" if parts else leaf
            yield base, value, prio
            if kind == "select_multiple":
                for choice in choices:
                    token = _label(choice.labels, language, choice.name)
                    for csep in dict.fromkeys((sep, "/")):
                        yield f"{base}{csep}{token}", Target(column, "choice", choice.name), prio
                    if language is None:
                        yield f"{base}_{choice.name}", Target(column, "choice", choice.name), prio + 3
                        yield f"{base}__{choice.name}", Target(column, "choice", choice.name), prio + 3
            elif kind == "geopoint":
                for part, suffixes in GEO_PARTS.items():
                    gpre = f"{groups}{sep}" if parts else ""
                    yield f"{gpre}_{leaf}_{part}", Target(column, "geo", part), prio
                    for suffix in suffixes:
                        yield f"{base}-{suffix}", Target(column, "geo", part), prio
                        yield f"{base}__{suffix}", Target(column, "geo", part), prio + 2
                        yield f"{base}_{suffix}", Target(column, "geo", part), prio + 2
            if kind in _MEDIA:
                yield f"{base}_URL", Target(column, "media_url"), prio
            if not parts:
                break  # without groups every separator gives the same header


def _candidate_table(
    instrument: Instrument,
    questions: Sequence[Question],
    table: str | None,
    language: str | None,
    separators: Sequence[str],
    silent: Sequence[Question] = (),
) -> dict[str, dict[Target, int]]:
    group_labels = _group_labels(instrument)
    names = column_names(questions)
    out: dict[str, dict[Target, int]] = {}
    for i, q in enumerate(questions):
        for header, target, prio in _candidates_for(
            q, names[i], table, instrument, language, group_labels, separators
        ):
            slot = out.setdefault(header, {})
            if prio < slot.get(target, 99):
                slot[target] = prio
    for q in silent:  # notes and meta fields: after the questions, which win any clash
        role = "note" if question_kind(q) == "note" else "system"
        for header, target, prio in _candidates_for(
            q, "/".join(q.full_path), table, instrument, language, group_labels, separators
        ):
            if target.role != "value":
                continue
            slot = out.setdefault(header, {})
            if slot and min(slot.values()) < 50:
                continue
            silent_target = Target(target.question, role)
            slot[silent_target] = min(slot.get(silent_target, 99), prio + 50)
    return out


def _best(slot: Mapping[Target, int]) -> tuple[Target, ...]:
    top = min(slot.values())
    return tuple(t for t, p in slot.items() if p == top)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(header: str) -> str:
    """Loose key for a header: lower case, punctuation runs -> ``.``, R's ``X``/BOM prefixes removed."""
    text = str(header).replace("\ufeff", "").strip()
    if re.match(r"^X\.U\.FEFF\.", text):
        text = text[len("X.U.FEFF.") :]
    if re.match(r"^X[._]", text):
        text = text[1:]
    return _NON_ALNUM.sub(".", text.lower()).strip(".")


def _match_one_mode(
    headers: Sequence[str], table: dict[str, dict[Target, int]]
) -> tuple[dict[str, Target], dict[str, tuple[Target, ...]]]:
    mapping: dict[str, Target] = {}
    ambiguous: dict[str, tuple[Target, ...]] = {}
    for h in headers:
        slot = table.get(h)
        if slot is None:
            slot = table.get(str(h).strip())
        if slot is None:
            continue
        best = _best(slot)
        if len(best) == 1:
            mapping[h] = best[0]
        else:
            ambiguous[h] = best
    return mapping, ambiguous


def match_headers(
    headers: Sequence[str],
    instrument: Instrument,
    table: str | None = None,
    *,
    group_sep: str | None = None,
    reserved: Iterable[str] = (),
) -> HeaderMatch:
    """Match ``headers`` to the questions of ``table`` (None = main table) of ``instrument``.

    ``reserved`` headers (platform metadata such as ``_uuid`` or ``KEY``) are never matched to a
    question. ``group_sep`` adds a user-declared KoBo group separator to the generated variants.
    """
    reserved_set = set(reserved)
    questions = table_questions(instrument, table)
    seps = list(_GROUP_SEPARATORS) + ([group_sep] if group_sep and group_sep not in _GROUP_SEPARATORS else [])
    heads = [h for h in headers if h not in reserved_set]
    silent = silent_fields(instrument, table)
    xml = _candidate_table(instrument, questions, table, None, seps, silent)
    best_mode: tuple[int, str | None, dict[str, dict[Target, int]]] = (-1, None, xml)
    scores = {}
    for language in (None, *instrument.languages):
        cand = (
            xml
            if language is None
            else _candidate_table(instrument, questions, table, language, seps, silent)
        )
        score = sum(1 for h in heads if h in cand or str(h).strip() in cand)
        scores[language] = score
        if score > best_mode[0]:
            best_mode = (score, language, cand)
    _, language, cand = best_mode
    if language is not None:  # label modes fall back to names (unlabelled questions, mixed files)
        merged = {h: dict(slot) for h, slot in xml.items()}
        for h, slot in cand.items():
            merged[h] = {t: p - 100 for t, p in slot.items()}
        cand = merged
    mapping, ambiguous = _match_one_mode(heads, cand)

    loose: list[str] = []
    rest = [h for h in heads if h not in mapping and h not in ambiguous]
    if rest:
        by_norm: dict[str, set[Target]] = {}
        for h, slot in cand.items():
            by_norm.setdefault(normalise_header(h), set()).update(_best(slot))
        taken = set(mapping.values())
        for h in rest:
            targets = by_norm.get(normalise_header(h))
            if targets and len(targets) == 1:
                (target,) = targets
                if target not in taken:
                    mapping[h] = target
                    taken.add(target)
                    loose.append(h)

    duplicates: dict[Target, list[str]] = {}
    for h, t in mapping.items():
        if t.role not in SILENT_ROLES:
            duplicates.setdefault(t, []).append(h)
    dups = {t: tuple(hs) for t, hs in duplicates.items() if len(hs) > 1}
    unmatched = tuple(h for h in headers if h not in mapping and h not in ambiguous)
    return HeaderMatch(
        mode="xml" if language is None else "label",
        language=language,
        mapping=mapping,
        unmatched=unmatched,
        ambiguous=ambiguous,
        duplicates=dups,
        loose=tuple(loose),
    )
