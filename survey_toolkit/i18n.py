"""Interface languages: gettext message catalogs and each language's number and date conventions.

The report's fixed text (headings, notes, table headers, reasons) is written once, in English, in
:mod:`survey_toolkit.report.texts`, each string marked with :func:`N_` and a context (its key). The
translations are gettext catalogs managed with Babel: ``survey_toolkit/locale/<lang>/LC_MESSAGES/
survey_toolkit.po``, one per language, made from the template ``survey_toolkit/locale/survey_toolkit.pot``
(``pybabel extract``, see ``docs/languages.md``). A catalog is compiled in memory by Babel the first time a
language is used in a process, so nothing needs compiling at install or in CI, and an installed package
carries only its ``.po`` files (``pyproject.toml`` package data).

Numbers and dates follow the language's conventions from Babel's CLDR data: decimal comma in French,
Spanish and Portuguese, the percent sign's spacing (``12,5 %`` in French), digit grouping for numbers
of five digits or more, Latin digits in every language.

Example:
    >>> from survey_toolkit.i18n import available_languages, fmt_decimal, gettext_in
    >>> "fr" in available_languages()
    True
    >>> fmt_decimal(-1234.56, 1, "fr"), fmt_decimal(12345.6, 1, "en"), fmt_decimal(2.5, 1, "en", signed=True)
    ('−1234,6', '12,345.6', '+2.5')
    >>> gettext_in("fr", "report_title", "Community safety perception survey")
    'Enquête de perception sur la sécurité communautaire'
"""

from __future__ import annotations

import gettext
import io
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "SOURCE_LANGUAGE",
    "N_",
    "RTL_LANGUAGES",
    "LRM",
    "RLM",
    "is_rtl",
    "available_languages",
    "has_interface",
    "catalog",
    "catalog_path",
    "gettext_in",
    "fmt_decimal",
    "percent_affixes",
    "fmt_datetime",
    "language_name",
]

DOMAIN = "survey_toolkit"
"""The gettext domain: the catalogs are ``<lang>/LC_MESSAGES/survey_toolkit.po``."""

LOCALE_DIR = Path(__file__).parent / "locale"
"""Where the catalogs live inside the package."""

SOURCE_LANGUAGE = "en"
"""The language the texts are written in (it needs no catalog)."""


RTL_LANGUAGES = frozenset({"ar", "fa", "prs", "ps", "ur", "he", "ckb", "sd", "ug", "yi"})
"""Languages written right to left (base language of a tag): Arabic, Persian and Dari, Pashto, Urdu, Hebrew,
Central Kurdish, Sindhi, Uyghur, Yiddish. The HTML report is mirrored and charts' text runs right to left."""

LRM = "\u200e"
"""Left-to-right mark: put before a number in a right-to-left text so that its sign, digits, range dash and
percent sign keep their order (``−5.2``, ``40.0–55.0``), as CLDR's own Arabic number formats do."""

RLM = "\u200f"
"""Right-to-left mark: starts an item of a right-to-left list so that its number reads first (on the right)."""


def is_rtl(lang: str) -> bool:
    """True when ``lang`` (or its base language) is written right to left."""
    return lang.split("-")[0].lower() in RTL_LANGUAGES


def N_(context: str, text: str) -> tuple[str, str]:
    """Mark ``text`` for extraction with its context (``pybabel extract -k N_:1c,2``); returns both."""
    return context, text


def _folder(lang: str) -> str:
    return lang.replace("-", "_")


def catalog_path(lang: str) -> Path:
    """The ``.po`` file of ``lang`` (``pt-BR`` -> ``pt_BR``), whether it exists or not."""
    return LOCALE_DIR / _folder(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> tuple[str, ...]:
    """The interface languages: English, then every language with a catalog, sorted (``pt_BR`` -> ``pt-BR``)."""
    found = sorted(p.parent.parent.name.replace("_", "-") for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *(lang for lang in found if lang != SOURCE_LANGUAGE))


def has_interface(lang: str) -> bool:
    """True when the report can be written in ``lang``: English, or a language (or its base language,
    ``es`` for ``es-CO``) with a catalog."""
    return lang.split("-")[0] == SOURCE_LANGUAGE or _catalog_language(lang) is not None


def _catalog_language(lang: str) -> str | None:
    """The catalog serving ``lang``: its own, else its base language's (``es-CO`` -> ``es``), else None."""
    for candidate in (lang, lang.split("-")[0]):
        if catalog_path(candidate).is_file():
            return candidate
    return None


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The translations of ``lang``, compiled in memory from its ``.po`` by Babel (once per process).

    English, or a language without a catalog, gets the identity (:class:`gettext.NullTranslations`).
    Fuzzy and empty entries are not used: they read as the English text.
    """
    found = _catalog_language(lang) if lang != SOURCE_LANGUAGE else None
    if found is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(found).open("rb") as fh:
        messages = read_po(fh, locale=found.replace("-", "_"), domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, messages, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gettext_in(lang: str, context: str, text: str) -> str:
    """``text`` (English, with its ``context``) in ``lang``; the English text when not translated."""
    return catalog(lang).pgettext(context, text)


@cache
def _symbols(lang: str) -> tuple[str, str]:
    """Decimal and group symbols of ``lang`` (Latin digits); English's for an unknown language."""
    from babel import Locale, UnknownLocaleError
    from babel.numbers import get_decimal_symbol, get_group_symbol

    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(SOURCE_LANGUAGE)
    return get_decimal_symbol(locale), get_group_symbol(locale)


GROUPING_FROM = 10_000
"""Numbers below this are written without a group separator (``1834``, ``12,345``): CLDR's minimum
grouping in Spanish and Portuguese, and easier to scan in tables in every language."""


def fmt_decimal(value: float, digits: int = 1, lang: str = SOURCE_LANGUAGE, signed: bool = False) -> str:
    """``value`` with ``digits`` decimals in ``lang``'s conventions; the minus sign is ``−`` (U+2212) and
    ``signed=True`` writes ``+`` before a positive value (never before zero). In a right-to-left language
    the number starts with a left-to-right mark (:data:`LRM`), invisible, which keeps it in reading order."""
    rounded = round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    size = abs(rounded)
    body = f"{size:,.{digits}f}" if size >= GROUPING_FROM else f"{size:.{digits}f}"
    decimal, group = _symbols(lang)
    body = body.replace(",", "\x00").replace(".", decimal).replace("\x00", group)
    sign = "−" if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return (LRM if is_rtl(lang) else "") + sign + body


@cache
def percent_affixes(lang: str) -> tuple[str, str]:
    """What goes before and after a number to make it a percentage in ``lang`` (``("", "\\u00a0%")`` in French)."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse(SOURCE_LANGUAGE)
    pattern = locale.percent_formats[None].pattern.split(";")[0]
    start, end = pattern.find("#"), pattern.rfind("0")
    if start < 0 or end < 0:
        return "", "%"
    strip = "\u200e\u200f\u061c"  # bidi marks: the report sets the direction itself
    return pattern[:start].strip(strip), pattern[end + 1 :].strip(strip)


def language_name(code: str, lang: str = SOURCE_LANGUAGE) -> str:
    """The name of language ``code`` written in ``lang`` (``language_name("en", "fr")`` -> ``anglais``); the
    code itself when Babel does not know it."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(lang.replace("-", "_")) or code
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(code.replace("-", "_")).get_display_name(SOURCE_LANGUAGE) or code
        except (UnknownLocaleError, ValueError):
            return code


def fmt_datetime(moment: datetime, lang: str = SOURCE_LANGUAGE) -> str:
    """A date and time in ``lang``, Babel's long format in the moment's own time zone (UTC when it has
    none): ``January 2, 2026, 3:04:05 AM UTC``, ``2 janvier 2026, 03:04:05 TU``."""
    from babel import UnknownLocaleError
    from babel.dates import format_datetime

    zone = moment.tzinfo or timezone.utc
    try:
        return format_datetime(moment, "long", tzinfo=zone, locale=lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return format_datetime(moment, "long", tzinfo=zone, locale=SOURCE_LANGUAGE)
