"""A readable codebook of an indicator set: what is counted, out of whom, from which questions.

:func:`codebook_entries` builds a plain description of every indicator (shared by both formats);
:func:`render_markdown` and :func:`render_html` turn it into text. Every value coming from the
YAML file or the form is escaped for its format (Markdown punctuation, HTML entities).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..instrument import Instrument
from .model import INDICATOR_TYPES, Indicator, IndicatorSpec

__all__ = ["CodebookEntry", "codebook_entries", "render_markdown", "render_html", "render_codebook"]

_DK_TEXT = {
    "counted": "Don't know / refused stay in the denominator (counted as not meeting the numerator).",
    "excluded": "Don't know / refused are excluded from the denominator.",
    "own_share": "Don't know / refused stay in the denominator and their share is reported separately.",
}
_DIRECTION = {
    "higher_is_better": "higher is better",
    "higher_is_worse": "higher is worse",
    "neutral": "neutral",
}


@dataclass(frozen=True)
class CodebookEntry:
    """One indicator as label/value rows plus an optional table of index items or questions."""

    id: str
    title: str
    rows: tuple[tuple[str, str, bool], ...]  # (label, value, value is code)
    questions: tuple[tuple[str, str, str], ...] = ()  # (name, type, label)
    items: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (item, how scored)


def _question_rows(ind: Indicator, instrument: Instrument | None, language: str | None) -> tuple:
    names = sorted(ind.questions())
    if instrument is None:
        return ()
    by_name = {q.name: q for q in instrument.questions}
    lang = _form_language(instrument, language)
    out = []
    for n in names:
        q = by_name.get(n)
        out.append((n, q.type if q else "?", q.label(lang) if q else ""))
    return tuple(out)


def _form_language(instrument: Instrument, language: str | None) -> str | None:
    """The form language matching ``language`` ('fr' matches 'Français (fr)')."""
    if not language:
        return instrument.default_language
    for lang in instrument.languages:
        if lang == language or lang.endswith(f"({language})"):
            return lang
    return instrument.default_language


def _item_rows(ind: Indicator, language: str | None) -> tuple:
    rows = []
    for item in ind.items:
        if item.kind == "question":
            lo, hi = item.range or (0, 0)
            how = f"rescaled from {lo:g}-{hi:g}" + (", reversed" if item.reverse else "")
            rows.append((item.question or "", how))
        elif item.kind == "condition":
            how = f"1 if {item.favourable}; 0 if {item.unfavourable}; otherwise missing"
            rows.append((item.label.get(language) or "condition", how))
        else:
            rows.append((item.indicator or "", "per-respondent value of indicator"))
    if ind.weighted:
        rows = [(name, f"{how}; weight {item.weight:g}") for (name, how), item in zip(rows, ind.items, strict=True)]
    return tuple(rows)


def _rows(spec: IndicatorSpec, ind: Indicator, language: str | None) -> list[tuple[str, str, bool]]:
    rows: list[tuple[str, str, bool]] = []
    add = rows.append
    if ind.description:
        add(("Definition", ind.description.get(language), False))
    if ind.sdg:
        add(("SDG indicator", ind.sdg + " (official computation)", False))
    if ind.variant_of:
        add(("Variant of", f"{ind.variant_of} (toolkit variant, not the SDG value)", False))
    add(("Type", f"{ind.type}: {INDICATOR_TYPES[ind.type]}", False))
    add(("Unit", ind.unit, False))
    add(("Direction", _DIRECTION[ind.direction], False))
    add(("Universe", str(ind.universe), True))
    for role in ("numerator", "denominator", "where"):
        cond = getattr(ind, role)
        if cond is not None:
            add(
                (
                    {"numerator": "What is counted", "denominator": "Out of whom", "where": "Among"}[role],
                    str(cond),
                    True,
                )
            )
    if ind.question:
        add(("Question", ind.question, True))
    if ind.scores:
        add(("Scores", ", ".join(f"{k} = {v:g}" for k, v in ind.scores.items()), True))
    if ind.type in ("ratio",):
        add(("Ratio", f"{ind.numerator_question} / {ind.denominator_question}", True))
    if ind.components:
        add(("Average of", ", ".join(ind.components), True))
    if ind.type == "index":
        scale = "count of favourable items" if ind.method == "count" else f"{ind.scale[0]:g}-{ind.scale[1]:g}"
        if ind.weighted:
            scale = ("total weight of favourable items" if ind.method == "count" else
                     f"weighted mean of the valid items on {ind.scale[0]:g}-{ind.scale[1]:g}")
        add(
            (
                "Score",
                f"{scale}; scored with at least {ind.min_valid_items} of {len(ind.items)} valid items",
                False,
            )
        )
    if ind.type in ("proportion", "distribution", "shares", "index"):
        text = _DK_TEXT[ind.dk_refused]
        if ind.type == "index":
            text = (
                "Don't know / refused items score 0 (Gallup-compatible mode)."
                if ind.dk_refused == "counted"
                else "Don't know / refused items are missing."
            )
        add(("Don't know / refused", text, False))
    add(("Questions read", ", ".join(sorted(ind.questions())), True))
    if ind.disaggregations:
        add(("Disaggregations", ", ".join(ind.disaggregations), True))
    if ind.sensitive:
        add(("Sensitive", "yes: small-cell suppression applies; not mapped below admin1 by default", False))
    if ind.notes:
        add(("Notes", ind.notes.get(language), False))
    return rows


def codebook_entries(
    spec: IndicatorSpec, instrument: Instrument | None = None, language: str | None = None
) -> list[CodebookEntry]:
    """The codebook content of every indicator, in file order."""
    return [
        CodebookEntry(
            id=ind.id,
            title=ind.label.get(language),
            rows=tuple(_rows(spec, ind, language)),
            questions=_question_rows(ind, instrument, language),
            items=_item_rows(ind, language),
        )
        for ind in spec.indicators
    ]


# ---------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def md_escape(text: str) -> str:
    """Escape Markdown punctuation (and HTML angle brackets) in plain text."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _md_code(text: str) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    ticks = "``" if "`" in text else "`"
    return f"{ticks}{text}{ticks}"


def render_markdown(
    spec: IndicatorSpec, instrument: Instrument | None = None, language: str | None = None
) -> str:
    """The codebook as Markdown (GitHub flavour)."""
    title = spec.title.get(language) or "Indicators"
    lines = [f"# {md_escape(title)}", ""]
    if spec.version:
        lines += [f"Indicator set version: {md_escape(spec.version)}", ""]
    lines += [f"{len(spec.indicators)} indicators.", ""]
    for e in codebook_entries(spec, instrument, language):
        lines += [f"## {md_escape(e.title)}", "", f"`{e.id}`", "", "| | |", "|---|---|"]
        for label, value, code in e.rows:
            cell = _md_code(value) if code else md_escape(value)
            lines.append(f"| {label} | {cell} |")
        lines.append("")
        if e.items:
            lines += ["| Item | How it is scored |", "|---|---|"]
            lines += [f"| {md_escape(a)} | {md_escape(b)} |" for a, b in e.items]
            lines.append("")
        if e.questions:
            lines += ["| Question | Type | Wording |", "|---|---|---|"]
            lines += [f"| `{n}` | {md_escape(t)} | {md_escape(w)} |" for n, t, w in e.questions]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- HTML

_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}code{background:#f6f6f6;padding:0 .2rem}
section{border-top:2px solid #345;margin-top:1.5rem}"""


def _h(text: str) -> str:
    return html.escape(str(text), quote=True)


def render_html(
    spec: IndicatorSpec, instrument: Instrument | None = None, language: str | None = None
) -> str:
    """The codebook as a standalone HTML page; every value is HTML-escaped."""
    title = spec.title.get(language) or "Indicators"
    lang = _h(language or (spec.languages[0] if spec.languages else "en"))
    out = [
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">',
        f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>",
        f"<h1>{_h(title)}</h1>",
    ]
    if spec.version:
        out.append(f"<p>Indicator set version: {_h(spec.version)}</p>")
    for e in codebook_entries(spec, instrument, language):
        out.append(
            f'<section id="{_h(e.id)}">\n<h2>{_h(e.title)}</h2>\n<p><code>{_h(e.id)}</code></p>\n<table>'
        )
        for label, value, code in e.rows:
            cell = f"<code>{_h(value)}</code>" if code else _h(value)
            out.append(f"<tr><th>{_h(label)}</th><td>{cell}</td></tr>")
        out.append("</table>")
        if e.items:
            out.append("<table><tr><th>Item</th><th>How it is scored</th></tr>")
            out += [f"<tr><td>{_h(a)}</td><td>{_h(b)}</td></tr>" for a, b in e.items]
            out.append("</table>")
        if e.questions:
            out.append("<table><tr><th>Question</th><th>Type</th><th>Wording</th></tr>")
            out += [
                f"<tr><td><code>{_h(n)}</code></td><td>{_h(t)}</td><td>{_h(w)}</td></tr>"
                for n, t, w in e.questions
            ]
            out.append("</table>")
        out.append("</section>")
    out.append("</body>\n</html>\n")
    return "\n".join(out)


def render_codebook(
    spec: IndicatorSpec,
    instrument: Instrument | None = None,
    *,
    format: str = "md",
    language: str | None = None,
) -> str:
    """The codebook in ``format`` ``md`` or ``html``."""
    if format not in ("md", "html"):
        raise ValueError(f"format must be 'md' or 'html', not {format!r}")
    render = render_markdown if format == "md" else render_html
    return render(spec, instrument, language)
