"""Old name of :mod:`survey_toolkit.indicators` (the indicator definitions), kept for one release.

``import survey_toolkit.spec`` and ``from survey_toolkit.spec.<module> import ...`` give the modules of
``survey_toolkit.indicators`` themselves (the same objects, not copies), with a DeprecationWarning.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

from ._compat import deprecated

OLD, NEW = __name__, __name__.rpartition(".")[0] + ".indicators"

deprecated(OLD, NEW)

__path__: list[str] = []  # a package: its submodules are the new package's, through the finder below


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``survey_toolkit.spec.X`` -> the module ``survey_toolkit.indicators.X``."""

    aliases = OLD

    def find_spec(self, fullname: str, path: Any = None, target: Any = None):  # noqa: ANN201
        if not fullname.startswith(OLD + "."):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec) -> ModuleType:  # noqa: ANN001
        module = importlib.import_module(NEW + spec.name[len(OLD):])
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # the import system has just set the alias's spec on the real module: give it its own back
        module.__spec__ = module.__spec__.loader_state


if not any(getattr(finder, "aliases", None) == OLD for finder in sys.meta_path):  # once, even when re-imported
    sys.meta_path.insert(0, _Alias())


def __getattr__(name: str) -> Any:
    package = importlib.import_module(NEW)
    if hasattr(package, name):
        return getattr(package, name)
    try:
        return importlib.import_module(f"{NEW}.{name}")
    except ModuleNotFoundError:
        raise AttributeError(f"module {OLD!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return dir(importlib.import_module(NEW))
