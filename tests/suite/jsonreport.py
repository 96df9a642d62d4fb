"""Reading a `--json` report back, checked against its committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from qflow_contracts.suite.json_report import SCHEMA


def validated(text: str) -> list[dict[str, Any]]:
    """The report's lines, each valid against `report.schema.json`; the first a SessionStart, the
    last a SessionFinish, a TestReport per rule between."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    lines = [json.loads(line) for line in text.splitlines()]
    for line in lines:
        validator.validate(line)
    kinds = [line["$report_type"] for line in lines]
    assert kinds[0] == "SessionStart" and kinds[-1] == "SessionFinish"
    assert set(kinds[1:-1]) == {"TestReport"}
    return lines


def read_report(path: Path) -> list[dict[str, Any]]:
    """`validated` of the file at `path`."""
    return validated(path.read_text(encoding="utf-8"))
