"""Where the project's data files are, in a checkout or in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _find(packaged: str, in_checkout: str) -> Path:
    """The packaged copy (wheel install) if present, else the file in the checkout."""
    for candidate in (_PACKAGE / "_data" / packaged, _CHECKOUT / in_checkout):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{in_checkout} is not in this installation")


def spec_path() -> Path:
    """The OpenAPI document, the single source of truth."""
    return _find("qflow-customers.openapi.yaml", "spec/qflow-customers.openapi.yaml")


def suite_path() -> Path:
    """The conformance suite's folder (contracts/)."""
    return _find("contracts", "contracts")


def contract_path() -> Path:
    """The contract document (spec/CONTRACT.md) that findings and reports cite."""
    return _find("CONTRACT.md", "spec/CONTRACT.md")
