"""Tier-1 edge cases written inline: empty files, index items, type-specific keys, references."""

from __future__ import annotations

import pytest

from survey_toolkit.indicators import parse_indicators

HEAD = "spec_version: 1\nindicators:\n"


def problems(text: str):
    return [(p.location.line, p.location.column, p.code, p.message) for p in parse_indicators(text, "t.yaml").report]


def test_empty_file():
    assert problems("") == [(None, None, "wrong-type", "the file must be a mapping with 'indicators:', not nothing "
                                                       "(empty value)")]


def test_top_level_list():
    assert problems("- a\n- b\n")[0][2:] == ("wrong-type", "the file must be a mapping with 'indicators:', not a list")


def test_unknown_top_key_and_bad_version():
    got = problems("spec_versoin: 2\nindicators: []\n")
    assert got == [
        (1, 1, "unknown-key", "unknown key 'spec_versoin' in the file"),
        (1, 1, "missing-key", "the file has no 'spec_version'"),
        (2, 13, "no-indicators", "the indicators file lists no indicators"),
    ]
    assert problems("spec_version: 2\nindicators: []\n") == [
        (1, 15, "bad-value", "spec_version 2 is not supported"),
        (2, 13, "no-indicators", "the indicators file lists no indicators")]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("{range: [1, 4]}", (7, 9, "bad-item", "an index item needs exactly one of 'question', 'favourable' (with "
                                               "'unfavourable') or 'indicator'; found none of them")),
        ("{question: x}", (7, 9, "missing-key", "index item has no 'range'")),
        ("{favourable: x = 1}", (7, 9, "missing-key", "index item has no 'unfavourable'")),
        ("{indicator: a, reverse: true}", (7, 24, "key-not-for-item", "'reverse' only applies to a question item")),
        ("{question: x, range: [1, 4], wieght: 2}", (7, 38, "unknown-key", "unknown key 'wieght' in index item")),
        ("{favourable: x = , unfavourable: x = 2}", (7, 25, "bad-condition", "cannot read the condition: expected "
                                                     "a number or a quoted code but found the end of the condition")),
        ("5", (7, 9, "wrong-type", "an index item must be a mapping, not a number")),
    ],
)
def test_index_item_errors(item, expected):
    text = HEAD + ("  - id: idx\n    type: index\n    label: I\n    items:\n"
                   f"      - {item}\n      - {{question: y, range: [1, 4]}}\n")
    assert problems(text)[0] == expected


def test_key_for_another_type():
    text = HEAD + "  - id: a\n    type: mean\n    label: A\n    question: q\n    numerator: q = 1\n"
    assert problems(text) == [(7, 5, "key-not-for-type", "key 'numerator' does not apply to an indicator of type 'mean'")]


def test_bad_id_and_unknown_language():
    text = "spec_version: 1\nlanguages: [en, fr]\nindicators:\n  - id: Trust-Police\n    type: proportion\n" \
           "    label: {en: T, de: V, fr: F}\n    numerator: q = 1\n"
    assert problems(text) == [
        (4, 9, "bad-id", "id 'Trust-Police' must be lower-case letters, digits and '_', starting with a letter"),
        (6, 20, "unknown-language", "language 'de' is not in 'languages' (en, fr)"),
    ]


def test_component_and_item_references():
    text = HEAD + (
        "  - id: avg\n    type: mean_of_proportions\n    label: A\n    components: [p, m, nope]\n"
        "  - id: p\n    type: proportion\n    label: P\n    numerator: q = 1\n"
        "  - id: m\n    type: mean\n    label: M\n    question: age\n"
        "  - id: idx\n    type: index\n    label: I\n    min_valid_items: 2\n    items:\n"
        "      - indicator: m\n      - indicator: avg\n"
    )
    assert problems(text) == [
        (6, 21, "bad-component", "component 'm' of 'avg' is a mean, not a proportion"),
        (6, 24, "unknown-indicator", "component 'nope' of 'avg' is not an indicator in this file"),
        (20, 20, "bad-item", "index item 'm' is a mean; an item must be a proportion or an index"),
        (21, 20, "bad-item", "index item 'avg' is a mean_of_proportions; an item must be a proportion or an index"),
    ]


def test_self_reference_is_circular():
    text = HEAD + "  - id: a\n    type: mean_of_proportions\n    label: A\n    components: [a]\n"
    assert problems(text) == [(6, 18, "circular-reference", "circular reference: a -> a")]


def test_variants_never_carry_the_sdg_code():
    text = HEAD + (
        "  - id: official\n    type: proportion\n    sdg: '16.1.4'\n    label: O\n    numerator: q = 1\n"
        "  - id: variant\n    type: proportion\n    sdg: '16.1.4'\n    variant_of: oficial\n    label: V\n"
        "    numerator: q = 1\n"
    )
    assert problems(text) == [
        (10, 10, "sdg-on-variant", "'variant' is a toolkit variant and cannot carry the SDG code 16.1.4"),
        (11, 17, "unknown-indicator", "'variant' is a variant of 'oficial', which is not an indicator in this file"),
    ]
