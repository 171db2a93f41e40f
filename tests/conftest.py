"""Shared test helpers: where the project and ../shared live, and skips when shared is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/fixtures, skipping the test with a reason when it is absent."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared/fixtures/{'/'.join(parts)} is not available (shared/ sits beside the checkout)")
    return path


@pytest.fixture
def shared():
    """Callable fixture: ``shared('exports', 'kobo_xml.csv')`` -> Path, or skip."""
    return shared_path
