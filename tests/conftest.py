"""Fixtures shared by the project's own tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from qflow_contracts.resources import spec_path

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The OpenAPI document, parsed."""
    with spec_path().open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document
