"""Published labels without the interviewer's instructions.

Forms carry cues for the interviewer inside question and answer labels: ``Refused (do not read)``,
``[OBSERVE] Sex of the respondent``, ``Other (please specify)``, ``Ne sait pas (ne pas lire)``,
``No sabe [NO LEER]``, ``رفض (لا تقرأ)``. A report reader should see ``Refused``. The rule,
applied to every label the outputs publish (indicator, answer, group and location names), never to
the form itself:

    a bracketed part of a label — ``( )``, ``[ ]`` or ``{ }`` — whose whole text, compared without
    case, accents or final punctuation, matches one of the patterns, is removed with the space
    before it (or after it, at the start of the label).

The patterns (:data:`INTERVIEWER_CUES`, regular expressions matched against the whole bracketed text)
cover reading instructions, answer-mode notes, observation and probing notes and notes addressed to
the interviewer, in English, French, Spanish, Portuguese and Arabic. A project adds its own with
``report.interviewer_cues`` in ``survey.yaml`` (``docs/languages.md``). A label that would be left
empty keeps its text.

Example:
    >>> strip_cues("Refused (do not read)"), strip_cues("[OBSERVE] Sex of the respondent")
    ('Refused', 'Sex of the respondent')
    >>> strip_cues("Yes (soap is shown)")          # an ordinary bracket stays
    'Yes (soap is shown)'
    >>> strip_cues("Checkpoint (roadblock)", extra=("roadblock",))
    'Checkpoint'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

__all__ = ["INTERVIEWER_CUES", "strip_cues", "cue_pattern_errors"]

_WHO = r"(the )?(interviewer|enumerator|surveyor|data collector)s?"
_QUI = r"(l'? ?)?(enqueteur|enqueteur\.?rice|enqueteur\(rice\)|enqueteur/enquetrice|enquetrice)s?"

INTERVIEWER_CUES: tuple[str, ...] = (
    # English: reading, answer mode, observation and probing, notes to the interviewer, skips
    r"(do not|don'?t|never) read( (it|out|aloud|out loud))?( (the )?(options|answers|responses|list|categories))?",
    r"not read( (out|aloud))?",
    r"read( (out|aloud|out loud))?",
    r"read (out |aloud )?(the )?(response |answer )?(options|answers|responses|list|categories|choices)"
    r"( (out|aloud|out loud))?",
    r"(do not|don'?t) (prompt|probe|suggest)",
    r"(prompt|probe|probe for more|unprompted|prompted|spontaneous)",
    r"(single|one|multiple|several) (answer|response|choice|option)s?( only| possible| allowed)?",
    r"(select|tick|circle|check|mark) (one|only one|one only|all that apply|all|up to \d+)( (answers?|options?))?",
    r"(one answer|one response|multiple answers|multiple responses)( only| possible)?",
    r"(select all that apply|all that apply)",
    r"show (the )?card( [a-z0-9]+)?",
    r"show .*(card|sheet)",
    r"(observe|observation|observed|do not ask|don'?t ask|ask only if .*|if necessary)",
    rf"(for|to) {_WHO}( only)?",
    rf"{_WHO}( note| instruction| only)?( ?:.*)?",
    r"note( to {_WHO})?".replace("{_WHO}", _WHO),
    r"(please )?specify",
    r"introduce yourself",
    r"(skip|go|continue) to .*",
    r"(end|terminate|stop|continue) (the )?(interview|survey)",
    # French
    r"ne (pas|jamais) lire( (a haute voix|les (options|reponses|modalites|choix)))?",
    r"lire( (a haute voix|les (options|reponses|modalites|choix)( a haute voix)?))?",
    r"ne pas (suggerer|citer|proposer)",
    r"(spontane|spontanee|suggere|relancer|relancez)",
    r"(une seule|plusieurs|reponses?) (reponses?|possibles?|multiples?|unique)( possibles?)?",
    r"(reponse unique|choix multiples?|choix unique)",
    r"(cochez|entourez|selectionnez) (une|une seule|tout ce qui s'applique|toutes les reponses.*)",
    r"(observez|observer|observation|a observer|ne pas demander)",
    rf"(pour|a) {_QUI}( (seulement|uniquement))?",
    rf"{_QUI}( ?:.*)?",
    r"(veuillez )?(preciser|precisez)",
    r"montrer (la )?(carte|fiche).*",
    r"(passez|allez|aller) (a|au) .*",
    r"(poursuivez|terminez|arretez) (l'?)? ?(enquete|entretien)",
    # Spanish
    r"no (leer|lea|leerle|sugerir|mencionar)( (las |los )?(opciones|respuestas|alternativas|categorias))?",
    r"(leer|lea|leerle)( (las |los )?(opciones|respuestas|alternativas|categorias))?( en voz alta)?",
    r"(espontanea|espontaneo|sondear|indagar)",
    r"(una|varias|multiples) respuestas?( posibles?)?",
    r"respuesta (unica|multiple)",
    r"(marque|seleccione|circule) (una|una sola|todas las que apliquen|todo lo que aplique)",
    r"(observar|observe|no preguntar)",
    r"(para (el |la )?)?(encuestador|encuestadora|entrevistador|entrevistadora)( ?:.*)?",
    r"(por favor )?(especifique|especificar)",
    r"mostrar (la )?tarjeta.*",
    r"(pase|ir|vaya) a .*",
    r"(termine|finalice|continue) (la )?(encuesta|entrevista)",
    # Portuguese
    r"nao (ler|leia|sugerir)( (as |os )?(opcoes|respostas|alternativas))?",
    r"(ler|leia)( (as |os )?(opcoes|respostas|alternativas))?( em voz alta)?",
    r"(uma|varias|multiplas) respostas?( possiveis?)?",
    r"resposta (unica|multipla)",
    r"(para o |para a )?(entrevistador|entrevistadora|inquiridor|inquiridora)( ?:.*)?",
    r"(especifique|especificar)",
    r"(observar|observe)",
    # Arabic
    r"لا (تقرأ|تقرا|تقرئ|يقرأ|يقرا)( .*)?",
    r"(اقرأ|اقرا|يقرأ|يقرا)( .*)?",
    r"(للباحث|للباحثة|للعداد|للمقابل|ملاحظة للباحث|ملاحظة للعداد)( .*)?",
    r"(إجابة|اجابة) واحدة( فقط)?",
    r"(إجابات|اجابات) متعددة",
    r"(حدد|اختر) (كل ما ينطبق|إجابة واحدة|اجابة واحدة)",
    r"(لاحظ|بالملاحظة)",
    r"(يرجى )?(التحديد|حدد)",
)
"""The default cue patterns (regular expressions, matched ignoring case and accents against the whole
text inside one pair of brackets; written here without accents). ``docs/languages.md`` lists them in words."""

_BRACKETED = re.compile(r"\s*(\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\})")


def _plain(text: str) -> str:
    """``text`` lower-cased, without accents (Latin) or short vowels (Arabic), spaces collapsed, without
    final punctuation or the closing colon of a note."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.split()).strip(" .!:;،؛*-–—").strip()


@lru_cache(maxsize=64)
def _matcher(patterns: tuple[str, ...]) -> re.Pattern[str]:
    plain = [_plain_pattern(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in plain))


def _plain_pattern(pattern: str) -> str:
    """A pattern with its literal letters lower-cased and without accents, like the text it meets."""
    decomposed = unicodedata.normalize("NFKD", pattern.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def cue_pattern_errors(patterns: Iterable[str]) -> list[tuple[int, str]]:
    """``(index, message)`` for each pattern that is not a valid regular expression."""
    errors = []
    for i, pattern in enumerate(patterns):
        try:
            re.compile(_plain_pattern(str(pattern)))
        except re.error as exc:
            errors.append((i, str(exc)))
    return errors


def strip_cues(text: str, patterns: Sequence[str] = INTERVIEWER_CUES, *, extra: Sequence[str] = ()) -> str:
    """``text`` without its bracketed interviewer cues (module doc); ``extra`` patterns add to ``patterns``.

    Returns the text unchanged when it has no cue, or when removing the cues would leave it empty.
    """
    if not isinstance(text, str) or not any(b in text for b in "([{"):
        return text
    return _strip(text, tuple(patterns) + tuple(extra))


@lru_cache(maxsize=8192)
def _strip(text: str, patterns: tuple[str, ...]) -> str:
    matcher = _matcher(patterns)

    def drop(match: re.Match[str]) -> str:
        inner = match.group(1)[1:-1]
        return "" if matcher.fullmatch(_plain(inner)) else match.group(0)

    out = _BRACKETED.sub(drop, text)
    if out == text:
        return text
    out = out.strip()
    return out if out else text
