"""What this computer has for survey_toolkit: Python, the packages, the optional programs, credentials.

:func:`check_environment` returns one row per check (``what``, ``status``, ``found``, ``note``);
``status`` is ``ok``, ``missing`` (required and absent), ``optional`` (absent, only some checks need
it) or ``info``. Credentials are reported as set or not set, never shown.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from importlib import metadata

import pandas as pd

__all__ = ["check_environment", "REQUIRED_PACKAGES", "OPTIONAL_PACKAGES"]

#: Import name -> distribution name of what survey_toolkit needs.
REQUIRED_PACKAGES = {
    "numpy": "numpy",
    "pandas": "pandas",
    "scipy": "scipy",
    "statsmodels": "statsmodels",
    "pyreadstat": "pyreadstat",
    "pyxform": "pyxform",
    "python_calamine": "python-calamine",
    "openpyxl": "openpyxl",
    "xlsxwriter": "XlsxWriter",
    "yaml": "PyYAML",
    "jinja2": "Jinja2",
    "typer": "typer",
    "rich": "rich",
    "PIL": "Pillow",
    "matplotlib": "matplotlib",
    "requests": "requests",
}
OPTIONAL_PACKAGES = {
    "pyarrow": ("pyarrow", "Parquet outputs (pip install 'survey-toolkit[parquet]')"),
    "pyodk": ("pyodk", "'pull' from ODK Central (Python 3.11 or newer)"),
}
PROGRAMS = {
    "chromium": (("chromium", "chromium-browser", "google-chrome", "chrome", "msedge"),
                 "optional check that opens the HTML report in a browser"),
    "libreoffice": (("soffice", "libreoffice"), "optional check that opens the workbook"),
}
CREDENTIALS = {
    "KoBoToolbox token (KOBO_TOKEN)": ("KOBO_TOKEN", "KOBOTOOLBOX_TOKEN"),
    "ODK Central user (ODK_CENTRAL_USERNAME)": ("ODK_CENTRAL_USERNAME", "ODK_CENTRAL_EMAIL"),
    "ODK Central password (ODK_CENTRAL_PASSWORD)": ("ODK_CENTRAL_PASSWORD",),
}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _row(what: str, status: str, found: str, note: str = "") -> dict[str, str]:
    return {"what": what, "status": status, "found": found, "note": note}


def check_environment() -> pd.DataFrame:
    """One row per check: Python, each package, the optional programs and the pull credentials."""
    from . import __version__

    rows = [
        _row("survey-toolkit", "info", __version__, str(os.path.dirname(__file__))),
        _row("Python", "ok" if sys.version_info >= (3, 10) else "missing", platform.python_version(),
             "3.10 or newer is required" if sys.version_info < (3, 10) else sys.executable),
        _row("operating system", "info", f"{platform.system()} {platform.release()}", platform.machine()),
    ]
    for _module, dist in REQUIRED_PACKAGES.items():
        version = _version(dist)
        rows.append(_row(dist, "ok" if version else "missing", version or "not installed",
                         "" if version else f"pip install {dist}"))  # fmt: skip
    for _module, (dist, why) in OPTIONAL_PACKAGES.items():
        version = _version(dist)
        rows.append(_row(dist, "ok" if version else "optional", version or "not installed", why))
    for name, (commands, why) in PROGRAMS.items():
        found = next((shutil.which(c) for c in commands if shutil.which(c)), None)
        rows.append(_row(name, "ok" if found else "optional", found or "not found", why))
    for name, variables in CREDENTIALS.items():
        is_set = any(os.environ.get(v, "").strip() for v in variables)
        rows.append(_row(name, "info", "set" if is_set else "not set", "needed by 'pull' only"))
    return pd.DataFrame(rows, columns=["what", "status", "found", "note"])
