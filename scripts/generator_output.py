"""Summarise openapi-python-client's output for `make generate`: what was generated, in a few lines.

Reads the generator's combined output on stdin. Warnings the project accepts (see ACCEPTED) are
reduced to one line each; any other warning, and any other line, is printed in full, so nothing new
is hidden. Usage: `generator_output.py OUTPUT_DIR < generator.log`.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

# detail line of an accepted warning -> why it is accepted
ACCEPTED = {
    "Unsupported content type text/json": "JSON bodies go as application/json, which servers accept too",
}
_HEADER = "Warning(s) encountered while generating"
_FOOTER = "If you believe this was a mistake"
_BLOCK = re.compile(r"^(WARNING|ERROR) ")


@dataclass
class GeneratorWarning:
    """One warning block: its title line and the lines after it."""

    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def detail(self) -> str:
        """The first non-empty line after the title."""
        return next((line.strip() for line in self.lines if line.strip()), "")


def parse(text: str) -> tuple[list[GeneratorWarning], list[str]]:
    """The warning blocks, and the other non-empty lines (the progress line dropped)."""
    warnings: list[GeneratorWarning] = []
    other: list[str] = []
    current: GeneratorWarning | None = None
    for line in text.splitlines():
        if _BLOCK.match(line):
            current = GeneratorWarning(line.strip())
            warnings.append(current)
        elif line.startswith((_HEADER, _FOOTER)) or line.startswith("Generating "):
            current = None if line.startswith(_FOOTER) else current
        elif current is not None:
            current.lines.append(line)
        elif line.strip():
            other.append(line)
    return warnings, other


def summary(output_dir: Path, text: str) -> tuple[list[str], list[str]]:
    """Lines for stdout (what was done, accepted warnings) and for stderr (anything else)."""
    warnings, other = parse(text)
    package = output_dir / "qflow_client"
    files = sorted(package.rglob("*.py"))
    meta = tomllib.loads((output_dir / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    out = [
        f"{output_dir}/: {meta['name']} {meta['version']} ({len(files)} modules), "
        f"openapi-python-client {version('openapi-python-client')}"
    ]
    err: list[str] = list(other)
    for warning in warnings:
        reason = ACCEPTED.get(warning.detail)
        if reason is not None:
            where = re.sub(r" within \S+$", "", warning.title.removeprefix("WARNING parsing ").rstrip("."))
            out.append(f"accepted warning: {where}: {warning.detail.lower()} ({reason})")
        else:
            err += [warning.title, *warning.lines]
    if len(err) > len(other):
        err.insert(len(other), "openapi-python-client warned (the client may lack what is named here):")
    return out, err


def main(argv: list[str]) -> int:
    """Print the summary; exit 0 (the generator itself succeeded)."""
    if len(argv) != 2:
        print("usage: generator_output.py OUTPUT_DIR < generator.log", file=sys.stderr)
        return 2
    out, err = summary(Path(argv[1]), sys.stdin.read())
    print("\n".join(out))
    if err:
        print("\n".join(err).rstrip(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
