"""One warning line for `make generate` when the spec's `info.version` is not raised as its changes since
the last commit call for. Reads `qflow-contracts spec-diff HEAD --format json` on stdin; prints nothing
when the version is enough (or cannot be checked)."""

from __future__ import annotations

import json
import sys


def warning(verdict: dict[str, object]) -> str | None:
    """The line, or None."""
    if verdict.get("version_ok") is not False:
        return None
    return (
        f"warning: info.version {verdict['old_version']} -> {verdict['new_version']}: the changes since "
        f"HEAD call for a {verdict['bump']} release, at least {verdict['suggested_version']} "
        "(make spec-diff says why)"
    )


if __name__ == "__main__":
    line = warning(json.load(sys.stdin))
    if line:
        print(line)
