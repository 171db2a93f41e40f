"""Interface languages: the catalogs match the source text, are complete, and numbers follow each language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from survey_toolkit.i18n import (
    DOMAIN,
    LOCALE_DIR,
    available_languages,
    catalog,
    catalog_path,
    fmt_datetime,
    fmt_decimal,
    percent_affixes,
)
from survey_toolkit.report._common import t
from survey_toolkit.report.texts import MESSAGES

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"N_": ((1, "c"), 2), "pgettext": ((1, "c"), 2), "gettext": None}
TRANSLATED = [lang for lang in available_languages() if lang != "en"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def _source_messages() -> dict[tuple[str | None, str], str]:
    """What ``pybabel extract -F babel.cfg`` finds (context, msgid), read with Babel's own extractor."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found[(context, message)] = message
    return found


def _po(lang: str):
    with catalog_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang.replace("-", "_"), domain=DOMAIN)


@pytest.fixture(scope="module")
def source():
    return _source_messages()


def test_every_source_string_is_extracted(source):
    assert {(key, text) for key, text in MESSAGES.items()} <= set(source)
    assert len(source) >= 200


def test_template_is_current(source):
    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as fh:
        pot = read_po(fh)
    assert {(m.context, m.id) for m in pot if m.id} == set(source), "run pybabel extract (docs/languages.md)"


def test_languages_listed():
    assert available_languages()[0] == "en"
    assert {"fr", "es", "ar", "pt"} <= set(available_languages())


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_complete_and_placeholders_kept(lang, source):
    """Every interface string is translated (not empty, not fuzzy), with the same {placeholders}; nothing obsolete."""
    po = _po(lang)
    entries = {(m.context, m.id): m for m in po if m.id}
    missing = sorted(str(k) for k in set(source) - set(entries))
    assert not missing, f"{lang}: untranslated (run pybabel update): {missing[:5]}"
    assert not sorted(str(k) for k in set(entries) - set(source)), f"{lang}: obsolete entries"
    for key, m in entries.items():
        assert m.string and not m.fuzzy, f"{lang}: {key} is empty or fuzzy"
        assert set(PLACEHOLDER.findall(m.string)) == set(PLACEHOLDER.findall(m.id)), f"{lang}: {key} placeholders"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_is_used(lang):
    tr = catalog(lang)
    assert t(lang, "key_findings") == tr.pgettext("key_findings", MESSAGES["key_findings"])
    assert t(lang, "key_findings") != MESSAGES["key_findings"]


def test_lookup_fallbacks():
    assert t("en", "since", round="R1") == "Since R1"
    assert t("fr", "since", round="R1") == "Depuis R1"
    assert t("fr-CA", "key_findings") == t("fr", "key_findings")  # a regional tag uses its language's catalog
    assert t("fr", "reason:a-new-code", default="a-new-code") == "a-new-code"
    assert t("fr", "not-a-key") == "not-a-key"


@pytest.mark.parametrize(
    ("lang", "value", "digits", "signed", "expected"),
    [
        ("en", 12.345, 1, False, "12.3"),
        ("fr", 12.35, 2, False, "12,35"),
        ("es", -3.25, 1, False, "−3,2"),  # round half to even, as Python rounds
        ("pt", 7.0, 1, True, "+7,0"),
        ("ar", 7.5, 1, True, "\u200e+7.5"),  # a left-to-right mark keeps the sign before the number in RTL text
        ("en", 0.0, 1, True, "0.0"),
        ("en", -0.04, 1, False, "0.0"),  # no negative zero
        ("en", 1834, 0, False, "1834"),
        ("en", 12345.6, 1, False, "12,345.6"),
        ("fr", 12345.6, 1, False, "12\u202f345,6"),
        ("es", 12345.6, 1, False, "12.345,6"),
    ],
)
def test_numbers_per_language(lang, value, digits, signed, expected):
    assert fmt_decimal(value, digits, lang, signed=signed) == expected


def test_percent_sign_per_language():
    assert percent_affixes("en") == ("", "%")
    assert percent_affixes("fr") == ("", "\u00a0%")
    assert percent_affixes("es") == ("", "\u00a0%")
    assert percent_affixes("xx-unknown") == ("", "%")


def test_dates_per_language():
    from datetime import datetime, timezone

    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert fmt_datetime(moment, "en") == "January 2, 2026, 3:04:05\u202fAM UTC"
    assert fmt_datetime(moment, "fr").startswith("2 janvier 2026")
    assert fmt_datetime(moment, "es").startswith("2 de enero de 2026")


# ----------------------------------------------------------------------------------- unknown languages
def test_render_refuses_a_language_without_interface_text(tmp_path):
    import pandas as pd

    from survey_toolkit.errors import SpecError
    from survey_toolkit.report import render

    table = pd.DataFrame({"indicator_id": ["a"], "round": ["R1"], "estimate": [50.0], "n": [400]})
    with pytest.raises(SpecError) as err:
        render(table, tmp_path / "out", languages=("en", "xx", "fr-CA"))
    [problem] = err.value.problems
    assert problem.code == "unknown-language" and "'xx'" in problem.message
    assert problem.expected == "one of " + ", ".join(available_languages()) and "fr" in problem.expected
    assert "docs/languages.md" in problem.hint
    assert not (tmp_path / "out").exists()


def test_project_with_a_language_without_interface_text_is_a_located_error(tmp_path):
    from typer.testing import CliRunner

    from survey_toolkit import cli
    from survey_toolkit.project import check_project

    text = (ROOT / "examples" / "demo" / "survey.yaml").read_text(encoding="utf-8")
    text = text.replace("languages: [en, fr]", "languages: [en, tlh]")
    text = text.replace("../../instruments", str(ROOT / "instruments"))
    text = text.replace("../../indicators.yaml", str(ROOT / "indicators.yaml"))
    (tmp_path / "survey.yaml").write_text(text, encoding="utf-8")
    _, report = check_project(tmp_path)
    [bad] = [p for p in report.errors if p.code == "unknown-language"]
    assert bad.location.line is not None and "tlh" in bad.message and "fr" in bad.expected
    cli._register_commands()
    result = CliRunner().invoke(cli.app, ["validate", str(tmp_path), "--no-data"])
    assert result.exit_code == 1 and "unknown-language" in result.output


def test_a_pip_install_ships_every_catalog_and_the_rtl_stylesheet():
    """pyproject's package data covers every .po, the template and the right-to-left CSS (no build step:
    the catalogs are compiled in memory, so no .mo is needed)."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["survey_toolkit"]
    package = ROOT / "survey_toolkit"
    wanted = [p.relative_to(package).as_posix() for p in (LOCALE_DIR.rglob("*.po*"))]
    wanted.append("report/templates/report.rtl.css")
    assert wanted and all(any(fnmatch.fnmatch(w, g) for g in globs) for w in wanted), (wanted, globs)
    assert not list(LOCALE_DIR.rglob("*.mo"))


def test_command_line_findings_have_no_bidi_marks():
    from survey_toolkit.comparison import compare_rounds
    from survey_toolkit.i18n import LRM
    from survey_toolkit.report.findings import finding_sentences
    from tests.report.conftest import make_meta, make_results

    results = make_results()
    sentences = finding_sentences(results, compare_rounds(results), make_meta(), lang="ar", factor=100.0)
    assert sentences and not any(LRM in s for s in sentences)
    assert any("تحسّن" in s or "تراجع" in s or "ارتفاع" in s or "انخفاض" in s for s in sentences)
