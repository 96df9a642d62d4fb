"""Every command the README and the docs/ pages show is one the project has: a `make` target that
exists (`make -n`), a `qflow-contracts` or `qflow-mock` command line its own parser accepts, and every
file of the repository a command names is there (or made by a command before it in the same block).

What they do is tested elsewhere (the worked example, the CI recipes, the runner's tests); this test
catches a page that names a flag, a target or a file that is gone."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from qflow_contracts.cli import build_parser as contracts_parser
from qflow_contracts.config import ConfigError
from qflow_contracts.mock.cli import build_parser as mock_parser
from tests.conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(sh|console|bash)\n(.*?)^```", re.MULTILINE | re.DOTALL)
TOOLS = ("make", "qflow-contracts", "qflow-mock", "st", "cp")
REPO_PATH = re.compile(r"^(spec|examples|deployments|scripts|docs|tests|contracts)/[\w./-]+$")


def _lines(text: str) -> Iterator[list[str]]:
    """Each block's commands: continuation lines joined, the console prompt and comments dropped."""
    for match in FENCE.finditer(text):
        console = match.group(1) == "console"
        block = match.group(2).replace("\\\n", " ")
        commands: list[list[str]] = []
        for line in block.splitlines():
            if console:
                if not line.startswith("$ "):
                    continue  # output, not a command
                line = line[2:]
            words = shlex.split(line, comments=True)
            if words:
                commands.append(words)
        yield from [["--block--"], *commands]


def _commands() -> list[tuple[str, list[str], set[str]]]:
    """(page, words, the files made before it in its block) of every command of a known tool."""
    found = []
    for page in PAGES:
        made: set[str] = set()
        for words in _lines(page.read_text(encoding="utf-8")):
            if words == ["--block--"]:
                made = set()
                continue
            tool = Path(words[0]).name
            if tool in TOOLS and not any(("[" in w and "]" in w) or w == "|" for w in words):
                found.append((page.name, [tool, *words[1:]], set(made)))
            if tool == "cp" and len(words) == 3:
                made.add(words[2])
    return found


COMMANDS = _commands()


def test_the_pages_show_commands() -> None:
    assert {words[0] for _, words, _ in COMMANDS} >= {"make", "qflow-contracts", "qflow-mock"}


@pytest.mark.parametrize(("page", "words", "made"), COMMANDS, ids=[" ".join(w) for _, w, _ in COMMANDS])
def test_a_command_the_docs_show_is_one_the_project_has(page: str, words: list[str], made: set[str]) -> None:
    tool, args = words[0], words[1:]
    for word in args[:1] if tool == "cp" else args:  # cp's last word is what it makes
        value = word.split("=", 1)[-1]
        if REPO_PATH.match(value) and value not in made:
            assert (REPO / value).exists(), f"{page}: `{' '.join(words)}` names {value}, which is not there"
    if tool == "make":
        targets = [a for a in args if "=" not in a and not a.startswith("-")]
        dry = subprocess.run(["make", "-n", *targets], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert dry.returncode == 0, f"{page}: `{' '.join(words)}`: {dry.stderr.strip()}"
    elif tool == "qflow-contracts":
        try:
            contracts_parser().parse_args(args)
        except ConfigError as error:
            pytest.fail(f"{page}: `{' '.join(words)}`: {error}")
    elif tool == "qflow-mock":
        try:
            mock_parser().parse_args(args)
        except SystemExit as error:
            pytest.fail(f"{page}: `{' '.join(words)}`: exit {error.code}")
