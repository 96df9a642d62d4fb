"""The template overrides stay small edits of the pinned generator's own templates."""

from __future__ import annotations

import difflib
from pathlib import Path

import openapi_python_client
import pytest

from tests.conftest import REPO

OVERRIDES = sorted((REPO / "scripts" / "client-templates").glob("*.jinja"))
UPSTREAM = Path(openapi_python_client.__file__).parent / "templates"


def test_there_are_overrides() -> None:
    assert {p.name for p in OVERRIDES} >= {"client.py.jinja", "endpoint_module.py.jinja", "errors.py.jinja"}


@pytest.mark.parametrize("override", OVERRIDES, ids=[p.name for p in OVERRIDES])
def test_an_override_is_a_documented_small_edit_of_the_generators_template(override: Path) -> None:
    upstream = UPSTREAM / override.name
    assert upstream.is_file(), f"the generator has no template {override.name} to override"
    text = override.read_text(encoding="utf-8")
    assert "{# qflow-contracts:" in text, "an override says what it changes and why"
    diff = difflib.unified_diff(upstream.read_text(encoding="utf-8").splitlines(), text.splitlines(), n=0)
    changed = [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) <= 60, "\n".join(changed)
