"""The survey instrument (an XLSForm) as an immutable model.

``read_instrument(path)`` parses any XLSForm with pyxform into an :class:`Instrument`: questions with
type, group path, labels per language, ``relevant``, constraint and required flag; choice lists with
codes and labels per language. Loaders use it to map export headers back to question names and to
type the columns; the indicator layer uses it to check definitions before any data is touched.

Conventions:
- choice codes are canonical strings (``"1"``, ``"98"``, ``"yes"``), never floats (``"1.0"``);
- ``type`` is the XLSForm type spelled as in the form's ``type`` column without the list name
  (``select_one``, ``select_multiple``, ``select_one_from_file``, ``select_multiple_from_file``,
  ``rank``, ``integer``, ``decimal``, ``text``, ``date``, ``dateTime``, ``time``, ``geopoint``,
  ``calculate``, ``note``, ``start``, ``end``, ...); pyxform aliases are normalised (``gps`` ->
  ``geopoint``, ``int`` -> ``integer``, ``select one`` -> ``select_one``...);
- ``path`` is the tuple of enclosing group/repeat names (the form root excluded);
- labels are a mapping language -> text; an untranslated form uses the language ``"default"``
  (or the ``default_language`` of the settings sheet when one is declared).

Example:
    >>> form = read_instrument("instruments/cssp_core.xlsx")          # doctest: +SKIP
    >>> form.question("a2_age").constraint                            # doctest: +SKIP
    '. >= 18 and . <= 110'
    >>> form.choices_for("b1_safe_dark").labels(form.language_for("fr"))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..codes import canonical_code
from .files import SUPPORTED_EXTENSIONS, _from_sheets, _read_file
from .model import Choice, ChoiceList, Group, Instrument, Question

__all__ = [
    "Choice",
    "ChoiceList",
    "Question",
    "Group",
    "Instrument",
    "read_instrument",
    "instrument_from_sheets",
    "canonical_code",
    "SUPPORTED_EXTENSIONS",
]


# ------------------------------------------------ reading (model.py: the model; build.py: pyxform; files.py)


@functools.lru_cache(maxsize=32)
def _cached(
    resolved: str, source: str, mtime_ns: int, size: int, validate: bool, encoding: str | None = None
) -> Instrument:
    return _read_file(Path(resolved), source, validate, encoding)


def read_instrument(path: str | Path, *, validate: bool = True, encoding: str | None = None) -> Instrument:
    """Parse an XLSForm (``.xlsx``, ``.xlsm``, ``.xls``, ``.csv``, ``.md``) with pyxform into an Instrument.

    A ``.csv`` may be an XLSForm CSV (sheet names in the first column) or a survey sheet saved alone,
    with its choices sheet beside it (``x_survey.csv`` + ``x_choices.csv``, or any names: the one CSV of
    the folder with ``list_name`` and ``name`` columns is the choices sheet, one with ``form_id`` the
    settings). ``encoding`` is the text encoding of such CSV sheets (default UTF-8, BOM allowed;
    ``cp1252`` for Excel on Windows). With ``validate`` the form
    is also compiled to an XForm, which catches what only pyxform's XForm builder checks (references
    to unknown ``${names}``...). Results are cached per (path, modification time, size): the model is
    immutable, so the same object may be returned twice.

    Raises:
        InstrumentError: ``instrument-not-found``, ``unsupported-instrument-format``,
            ``unreadable-instrument`` (corrupt file), ``not-an-xlsform`` (no survey sheet),
            ``missing-choices-sheet`` or ``invalid-xlsform`` (pyxform's message, with sheet and row
            when pyxform names them). pyxform's warnings are kept in ``Instrument.problems``.

    Example:
        >>> form = read_instrument("instruments/cssp_core.xlsx")   # doctest: +SKIP
        >>> form.question("consent").type                         # doctest: +SKIP
        'select_one'
    """
    p = Path(path)
    source = str(path)
    if p.is_file():
        st = p.stat()
        return _cached(str(p.resolve()), source, st.st_mtime_ns, st.st_size, validate, encoding)
    return _read_file(p, source, validate, encoding)


def instrument_from_sheets(
    survey: Sequence[Mapping[str, Any]],
    choices: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    source: str | None = None,
    validate: bool = True,
) -> Instrument:
    """An Instrument from sheets given as row dicts, parsed by pyxform (handy in tests and notebooks).

    Example:
        >>> form = instrument_from_sheets(
        ...     [{"type": "integer", "name": "age", "label": "Age", "constraint": ". >= 18"}],
        ...     settings={"form_id": "demo"})
        >>> form.question("age").constraint, form.form_id
        ('. >= 18', 'demo')
    """
    sheets: dict[str, Sequence[Mapping[str, Any]]] = {"survey": list(survey)}
    if choices:
        sheets["choices"] = list(choices)
    if settings:
        sheets["settings"] = [dict(settings)] if isinstance(settings, Mapping) else list(settings)
    return _from_sheets(sheets, source, validate)
