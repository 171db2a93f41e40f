"""Which instrument an export was collected with: the share of a form's questions among its headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import LoadError, Location, Problem
from ..instrument import Instrument
from .base import RawExport
from .headers import column_names, is_core_question, match_headers, table_questions
from .tidy import _is_platform_column


def instrument_share(headers: Sequence[str], instrument: Instrument, platform: str = "generic") -> float:
    """Share of the instrument's main-table questions found among ``headers`` (0..1)."""
    reserved = [h for h in headers if _is_platform_column(str(h), platform)]
    match = match_headers([str(h) for h in headers], instrument, None, reserved=reserved)
    wanted = table_questions(instrument, None)
    if not wanted:
        return 0.0
    by_pos = column_names(wanted)
    names = {by_pos[i] for i, q in enumerate(wanted) if is_core_question(q)} or set(by_pos.values())
    return len(match.matched_questions & names) / len(names)


def _resolve(instrument: Any) -> Instrument | None:
    if instrument is None or isinstance(instrument, Instrument):
        return instrument
    from ..instrument import read_instrument

    return read_instrument(instrument)


def _pick_instrument(raw: RawExport, instruments: Sequence[Instrument], min_match: float) -> Instrument:
    headers = [str(h) for h in raw.main.frame.columns]
    shares = [(instrument_share(headers, ins, raw.platform), i) for i, ins in enumerate(instruments)]
    best_share, best = max(shares)
    if best_share < min_match:
        closest = instruments[best]
        raise LoadError(
            Problem(
                "instrument-mismatch",
                f"the export matches none of the {len(instruments)} instruments: the closest is "
                f"'{closest.form_id}'{' (' + closest.source + ')' if closest.source else ''} with "
                f"{best_share:.0%} of its questions found",
                Location(file=raw.source_file),
                expected=f"at least {min_match:.0%} of an instrument's questions",
                got=f"{best_share:.0%}",
                hint="load the export with the XLSForm it was collected with",
            )
        )
    return instruments[best]
