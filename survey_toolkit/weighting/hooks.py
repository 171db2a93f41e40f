"""The link to the estimation engine: a design that carries the new weights and the calibration."""

from __future__ import annotations

import dataclasses
from typing import Any

from .variance import Calibration

__all__ = ["attach_calibration", "WEIGHT_FIELDS"]

#: the names a design may give its weight column, in the order they are looked for
WEIGHT_FIELDS = ("weight", "weights", "wgt", "weight_column")


def attach_calibration(design: Any, weight: str, calibration: Calibration | None) -> Any:
    """A copy of ``design`` whose weight column is ``weight`` and whose calibration is ``calibration``.

    Works with any frozen dataclass design that has a weight field (``weight``/``weights``/``wgt``) and,
    optionally, a ``calibration`` field; the design passed in is never changed.
    """
    if not dataclasses.is_dataclass(design):
        raise TypeError(f"cannot attach weights to a {type(design).__name__}: expected the Design dataclass")
    names = {f.name for f in dataclasses.fields(design)}
    changes: dict[str, Any] = {}
    for attr in WEIGHT_FIELDS:
        if attr in names:
            changes[attr] = weight
            break
    if "probs" in names:
        changes["probs"] = None
    if "calibration" in names:
        changes["calibration"] = calibration
    return dataclasses.replace(design, **changes)
