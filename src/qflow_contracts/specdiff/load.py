"""Reading one version of the spec: a file, or the spec as committed in a git revision."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

SPEC_IN_REPOSITORY = "spec/qflow-customers.openapi.yaml"


class SpecSourceError(Exception):
    """A version of the spec that cannot be read: one line for the user."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SpecSourceError(f"cannot run git: {error}") from None


def read_source(source: str, cwd: Path | None = None) -> tuple[str, str]:
    """(text, label) of `source`: a file path, `REV` (the spec as committed in that git revision)
    or `REV:path`."""
    here = cwd or Path.cwd()
    path = here / source
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8"), source
        except (OSError, UnicodeDecodeError) as error:
            raise SpecSourceError(f"cannot read {source}: {error}") from None
    top = _git(here, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise SpecSourceError(f"{source} is not a file, and {here} is not in a git repository")
    revision, colon, inner = source.partition(":")
    inner = inner if colon else SPEC_IN_REPOSITORY
    shown = _git(Path(top.stdout.strip()), "show", f"{revision}:{inner}")
    if shown.returncode != 0:
        reason = (shown.stderr.strip().splitlines() or ["unknown revision"])[-1].removeprefix("fatal: ")
        raise SpecSourceError(f"{source} is neither a file nor a git revision holding {inner}: {reason}")
    return shown.stdout, f"{revision}:{inner}"


def parse(text: str, label: str) -> dict[str, Any]:
    """The parsed OpenAPI document; one clear error when it is not YAML or not OpenAPI 3."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise SpecSourceError(f"{label} is not valid YAML{where}") from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise SpecSourceError(f"{label} is not an OpenAPI 3 document")
    return document


def load(source: str, cwd: Path | None = None) -> tuple[dict[str, Any], str]:
    """(document, label) of a file or a git revision of the spec."""
    text, label = read_source(source, cwd)
    return parse(text, label), label
