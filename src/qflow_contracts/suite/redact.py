"""Masking credentials in everything the suite writes (NOTES rule 12)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MASK = "***"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by `***`, longest first."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def redact_file(path: Path, secrets: Iterable[str]) -> None:
    """Rewrite a report file in place with its secrets masked."""
    if path.exists():
        path.write_text(redact(path.read_text(encoding="utf-8"), secrets), encoding="utf-8")
