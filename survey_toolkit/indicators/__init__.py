"""Indicators defined in YAML: the language, its three validation tiers, JSON Schema and codebook.

Public entry points: :func:`load_indicators`, :func:`validate_indicators`, :func:`parse_indicators`;
the model classes live in :mod:`.model`, the condition language in :mod:`.conditions`.
"""

from __future__ import annotations

from ..expressions import Condition, ConditionSyntaxError, evaluate, parse_condition
from .loader import Checked, check_indicators, load_indicators, parse_indicators, validate_indicators
from .model import IndexItem, Indicator, IndicatorSpec, Text

__all__ = [
    "load_indicators",
    "validate_indicators",
    "check_indicators",
    "parse_indicators",
    "Checked",
    "IndicatorSpec",
    "Indicator",
    "IndexItem",
    "Text",
    "Condition",
    "ConditionSyntaxError",
    "parse_condition",
    "evaluate",
]
