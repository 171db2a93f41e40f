"""One canonical spelling of a choice code, shared by every layer; which values may be shown."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from survey_toolkit.codes import canonical_code, display_value, looks_like_code

MODULES = (
    "survey_toolkit.instrument",
    "survey_toolkit.io.spss",
    "survey_toolkit.io.values",
    "survey_toolkit.indicators.conditions",
    "survey_toolkit.weighting._common",
)


@pytest.mark.parametrize("module", MODULES)
def test_every_module_uses_the_one_implementation(module):
    assert importlib.import_module(module).canonical_code is canonical_code


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"), (1.0, "1"), ("1", "1"), ("1.0", "1"), (" 1 ", "1"), ("+2.00", "2"), (np.int64(3), "3"),
        (np.float64(2.0), "2"), (2.5, "2.5"), (True, "1"), (False, "0"), (np.bool_(True), "1"),
        ("01", "01"), ("yes", "yes"), (" a b ", "a b"), (float("nan"), None), (None, None), (pd.NA, None),
        ("", None), ("  ", None), ("nan", "nan"), ("<NA>", "<NA>"), ("none", "none"), ("n/a", "n/a"), (1e20, "100000000000000000000"),
    ],
)  # fmt: skip
def test_canonical_code_semantics(value, expected):
    assert canonical_code(value) == expected


@given(hs.integers(min_value=-(10**12), max_value=10**12))
def test_an_integer_has_one_spelling_whatever_its_type(n):
    forms = (n, float(n), np.int64(n), str(n), f"{n}.0", f" {n} ", f"{n}.00")
    assert {canonical_code(v) for v in forms} == {str(n)}


@given(hs.text(max_size=20))
def test_canonical_code_is_idempotent_and_stripped(text):
    once = canonical_code(text)
    assert once is None or (once == once.strip() and canonical_code(once) == once)


@given(hs.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_a_float_and_its_text_agree(x):
    code = canonical_code(x)
    assert float(code) == pytest.approx(x) and canonical_code(code) == code


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("5", "5"), (98, "98"), ("dk", "dk"), ("opt_2", "opt_2"), ("A", "A"), (6.0, "6.0"), (-99, "-99"),
        ("Jane Doe +237699123456", "<text, 22 characters>"), ("Jane", "<text, 4 characters>"),
        ("699123456", "<text, 9 characters>"), (699123456, "<text, 9 characters>"),
        ("1990-05-12", "<text, 10 characters>"), ("a_very_long_code_name", "<text, 21 characters>"),
        ("two words", "<text, 9 characters>"), (None, "<missing>"),
    ],
)  # fmt: skip
def test_display_value_never_shows_names_phones_or_dates(value, shown):
    assert display_value(value) == shown


@given(hs.from_regex(r"\+?[0-9]{7,15}", fullmatch=True))
def test_phone_numbers_are_never_code_like(phone):
    assert not looks_like_code(phone)
    assert display_value(phone).startswith("<text, ")
