"""The report's charts, drawn once as shapes on a :class:`~survey_toolkit.report.canvas.Canvas`.

Each builder returns a ``Canvas``; :func:`figure_bytes` writes it as SVG (the HTML report and the
chart files) or PNG (on request, for slides). No plotting library is involved: a chart is a few
dozen shapes written from string templates, so the demo's charts take milliseconds, and the same
inputs give the same bytes. Text from the data (place names, labels) is XML-escaped.

Colours: every location has **one colour in every chart of a report** (:func:`location_colours`),
fixed from the project's location list (``ReportMeta.location_order``, else the order of
``ReportMeta.location_names``), so "the orange line" is the same place in every chart; the overall
row is always near-black. Trend charts draw one panel with a line per location when there are at
most :data:`SINGLE_PANEL_MAX` locations, else small multiples (one small panel per location, on a
shared scale, with the overall as a dashed reference), so 22 locations x 6 rounds stay readable.

Suppressed estimates are NaN in the input (see :mod:`survey_toolkit.disclosure`), so they do not
appear: trend lines break, bars are replaced by a dash and "not published", heatmap cells are white.

Example:
    >>> import pandas as pd
    >>> from survey_toolkit.report.charts import trend_chart, figure_bytes
    >>> r = pd.DataFrame({"indicator_id": "a", "round": ["R1", "R2"], "location": "All",
    ...                   "estimate": [40.0, 45.0], "se": 2.0, "ci_low": [36.0, 41.0],
    ...                   "ci_high": [44.0, 49.0], "n": 400, "unit": "percent"})
    >>> figure_bytes(trend_chart(r, "a"), "svg")[:4]
    b'<svg'
"""

from __future__ import annotations

from ...i18n import RTL_LANGUAGES, is_rtl  # noqa: F401 - kept importable from here
from .axes import (  # noqa: F401 - the names of the old module
    _draw_line,
    _nice_ticks,
    _panel,
    _round_ticks,
    _segments,
    _title,
    _y_range,
)
from .bars import (  # noqa: F401 - the names of the old module
    _draw_bars,
    location_bars,
)
from .files import (  # noqa: F401 - the names of the old module
    _matplotlib_bytes,
    build_charts,
    chart_plan,
    chart_stem,
    figure_bytes,
    save_charts,
)
from .heatmap import (  # noqa: F401 - the names of the old module
    _heatmap_cells,
    _heatmap_matrix,
    change_heatmap,
)
from .rows import (  # noqa: F401 - the names of the old module
    _axis_label,
    _direct_only,
    _headline_rows,
    _indicator_rows,
    _is_percent,
    _labels,
    _model_based,
    _scale,
    _series,
    _short,
)
from .style import (  # noqa: F401 - the names of the old module
    _AXIS,
    _GRID,
    CHANGE_COLOURS,
    HEAT_KEYS,
    PALETTE,
    SINGLE_PANEL_MAX,
    TOTAL_COLOUR,
    WIDTH,
    _is_total,
    _key,
    _locations,
    _total,
    location_colours,
    ordered_locations,
)
from .trend import (  # noqa: F401 - the names of the old module
    PANEL_COLUMNS,
    _draw_trend,
    _trend_multiples,
    _trend_single,
    trend_chart,
)

__all__ = [
    "PALETTE",
    "TOTAL_COLOUR",
    "CHANGE_COLOURS",
    "SINGLE_PANEL_MAX",
    "location_colours",
    "trend_chart",
    "location_bars",
    "change_heatmap",
    "figure_bytes",
    "save_charts",
    "build_charts",
    "chart_plan",
    "chart_stem",
]
