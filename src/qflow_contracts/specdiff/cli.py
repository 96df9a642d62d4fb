"""`qflow-contracts spec-diff OLD [NEW]`: what changed between two versions of the spec, for whom.

OLD and NEW are files or git revisions (`main`, `HEAD~1`, `v1.0.0:spec/qflow-customers.openapi.yaml`);
NEW defaults to the spec in the working tree. Exit codes: 0 nothing breaking (as `--fail-on` counts it),
1 a breaking change (or, with `--check-version`, an `info.version` not raised enough), 2 bad usage or a
version of the spec that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from qflow_contracts.resources import spec_path
from qflow_contracts.specdiff.document import compare
from qflow_contracts.specdiff.load import SpecSourceError, load
from qflow_contracts.specdiff.model import Verdict
from qflow_contracts.specdiff.report import as_json, markdown

COMPATIBLE, BREAKING, USAGE = 0, 1, 2


class _Usage(Exception):
    """Bad usage: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Usage(message)


def build_parser() -> argparse.ArgumentParser:
    """The command line of `spec-diff`."""
    parser = _Parser(
        prog="qflow-contracts spec-diff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", metavar="OLD", help="a file or a git revision of the spec")
    parser.add_argument(
        "new", metavar="NEW", nargs="?", help="a file or a git revision (default: the working tree's spec)"
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format")
    parser.add_argument("--output", type=Path, help="write the summary here instead of standard output")
    parser.add_argument(
        "--fail-on",
        choices=("clients", "servers", "any", "never"),
        default="any",
        help="which breaking changes make the exit code 1 (default: any)",
    )
    parser.add_argument(
        "--check-version",
        action="store_true",
        help="also exit 1 when info.version is not raised as the changes call for",
    )
    return parser


def exit_code(verdict: Verdict, fail_on: str, check_version: bool) -> int:
    """0, or 1 when a change of the gated kind (or a too-small version bump) is found."""
    breaking = {
        "clients": verdict.breaks_clients,
        "servers": verdict.breaks_servers,
        "any": verdict.breaks_clients or verdict.breaks_servers,
        "never": False,
    }[fail_on]
    if check_version and verdict.version_ok is False:
        breaking = True
    return BREAKING if breaking else COMPATIBLE


def main(argv: list[str] | None = None) -> int:
    """Print the classified changes; the exit code is the gate."""
    try:
        args = build_parser().parse_args(argv)
        old, old_label = load(args.old)
        new, new_label = load(args.new) if args.new else load(str(spec_path()))
    except (_Usage, SpecSourceError) as error:
        print(f"qflow-contracts spec-diff: {error}", file=sys.stderr)
        return USAGE
    if not args.new:
        new_label = "working tree"
    verdict = compare(old, new)
    render = as_json if args.format == "json" else markdown
    text = render(verdict, old_label, new_label)
    if args.output:
        try:
            args.output.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            print(f"qflow-contracts spec-diff: cannot write {args.output}: {error.strerror}", file=sys.stderr)
            return USAGE
        print(f"qflow-contracts spec-diff: {verdict.category}, {verdict.bump} release; see {args.output}")
    else:
        print(text)
    return exit_code(verdict, args.fail_on, args.check_version)
