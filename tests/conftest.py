"""Fixtures shared by the project's own tests."""

from __future__ import annotations

from collections.abc import Iterator
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


def _json_reports(folder: Path) -> list[Path]:
    """The `--json` reports under `folder`: JSON Lines files whose first line is a SessionStart."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in (".jsonl", ".json"):
            continue
        with path.open("rb") as handle:
            first = handle.readline(4096)
        if b'"$report_type": "SessionStart"' in first:
            found.append(path)
    return found


@pytest.fixture(autouse=True)
def _every_json_report_validates(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that has a `tmp_path`: every `--json` report a run wrote there validates against
    the committed schema (src/qflow_contracts/suite/report.schema.json)."""
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if folder is None:
        return
    from tests.suite.jsonreport import read_report

    for path in _json_reports(folder):
        read_report(path)
