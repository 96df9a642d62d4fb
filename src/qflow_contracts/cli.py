"""`qflow-contracts run`: the conformance suite against a server, in this process.
`qflow-contracts restore --journal PATH`: finish the restore of a run that was killed.

Exit codes (`qflow_contracts.exitcodes.ExitCode`): 0 conformant, 1 not conformant, 2 bad usage or
set-up, 3 server unavailable, 4 restore incomplete (the journal named), 5 incomplete, 129/130/143
stopped by SIGHUP/SIGINT/SIGTERM after the restore.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from qflow_contracts import __version__
from qflow_contracts.config import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_REQUEST_TIMEOUT,
    OPTIONS,
    ConfigError,
    Option,
    Settings,
    check,
    parse_headers,
    settings,
)
from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.resources import suite_path
from qflow_contracts.suite.console import MaskedStream
from qflow_contracts.suite.journal import Journal, JournalError, read, state_folder
from qflow_contracts.suite.lifecycle import SIGNALS, Interrupted, SetupError, open_run, start_run
from qflow_contracts.suite.outcome import conclude
from qflow_contracts.suite.pending import pending
from qflow_contracts.suite.plugin import QflowPlugin
from qflow_contracts.suite.restore import restore
from qflow_contracts.suite.restore_notes import notes
from qflow_contracts.suite.target import Target


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def _add(parser: argparse.ArgumentParser, option: Option) -> None:
    if option.kind == "bool":
        parser.add_argument(
            option.option, dest=option.name, action="store_true", default=None, help=option.help
        )
    elif option.kind in ("ids", "strings"):
        parser.add_argument(
            option.option, dest=option.name, action="append", metavar="VALUE", help=option.help
        )
    else:
        parser.add_argument(option.option, dest=option.name, metavar="VALUE", help=option.help)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = _Parser(prog="qflow-contracts", description="Conformance suite of the QFlow Customers API.")
    parser.add_argument("--version", action="version", version=f"qflow-contracts {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = commands.add_parser("run", help="run the conformance suite against a server")
    run.add_argument("--config", metavar="FILE", help="a TOML file of these options (keys without --)")
    for option in OPTIONS:
        _add(run, option)
    back = commands.add_parser(
        "restore", help="finish the restore of a run that was killed, from its journal"
    )
    which = back.add_mutually_exclusive_group(required=True)
    which.add_argument("--journal", metavar="PATH", help="the journal the run printed at its start")
    which.add_argument(
        "--latest", action="store_true", help="the newest unfinished journal in the per-user state folder"
    )
    which.add_argument(
        "--list", action="store_true", help="list the unfinished journals (path, base URL, customers, age)"
    )
    for key in ("headers", "header-envs", "rate-limit", "request-timeout"):
        _add(back, next(o for o in OPTIONS if o.key == key))
    spec_diff = commands.add_parser("spec-diff", help="classify the changes between two versions of the spec")
    spec_diff.add_argument("args", nargs=argparse.REMAINDER, help="OLD [NEW] [options]; see spec-diff --help")
    return parser


def _pytest_args() -> list[str]:
    return [
        str(suite_path()),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:anyio",
        "--assert=plain",  # the suite reports through its ledger, not bare asserts: no rewriting cost
        "-o",
        "addopts=",
        "-q",
        "--tb=short",
        "-rfE",
    ]


def run_suite(chosen: Settings, command: str = "qflow-contracts run") -> int:
    """Run the suite in this process; the exit code says the verdict."""
    with ExitStack() as stack:
        try:
            run = start_run(chosen, stack, out=sys.stderr, command=command)
        except Interrupted as interrupted:
            return int(SIGNALS.get(signal.Signals(interrupted.signum).name, ExitCode.INTERRUPTED))
        plugin = QflowPlugin(run, chosen, quiet=True)
        streams = sys.stdout, sys.stderr
        sys.stdout = cast(TextIO, MaskedStream(sys.stdout, run.target))
        sys.stderr = cast(TextIO, MaskedStream(sys.stderr, run.target))
        try:
            code = int(pytest_main(_pytest_args(), plugin))
        except Interrupted:
            code = int(ExitCode.INTERRUPTED)
        finally:
            sys.stdout, sys.stderr = streams
        if not run.finished:
            code = int(conclude(run, chosen, plugin.console))
        return plugin.exit_code if plugin.exit_code is not None else code


def pytest_main(args: list[str], plugin: QflowPlugin) -> int:
    """pytest, in this process, with the plugin instance."""
    import pytest

    return int(pytest.main(args, plugins=[plugin]))


def list_journals() -> int:
    """`restore --list`: every unfinished journal, one a line."""
    folder = state_folder()
    found = pending(folder)
    if not found:
        print(f"qflow-contracts: no unfinished journal in {folder}")
    for item in found:
        print(item.line())
    return int(ExitCode.CONFORMANT)


def restore_journal(flags: dict[str, Any]) -> int:
    """Finish a killed run's restore from its journal (`--journal`, or `--latest`), or list the
    unfinished journals (`--list`)."""
    if flags.get("list"):
        return list_journals()
    if flags.get("latest"):
        found = pending(state_folder())
        if not found:
            raise JournalError(f"restore --latest: no unfinished journal in {state_folder()}")
        flags = {**flags, "journal": str(found[-1].path)}
    path = Path(flags["journal"])
    written = read(path)
    if written.done:
        print(f"qflow-contracts: {path}: this run's restore was already proven; nothing to do")
        return int(ExitCode.CONFORMANT)
    headers = parse_headers(flags.get("headers") or [], flags.get("header_envs") or [], os.environ)
    by_key = {o.key: o for o in OPTIONS}
    rate = check(by_key["rate-limit"], flags["rate_limit"], text=True) if flags.get("rate_limit") else None
    timeout = (
        check(by_key["request-timeout"], flags["request_timeout"], text=True)
        if flags.get("request_timeout")
        else None
    )
    ids = written.customer_ids or tuple(written.originals)
    target = Target(
        base_url=written.base_url,
        customer_ids=ids,
        witness_ids=written.witness_ids,
        headers=headers,
        rate_limit=rate or DEFAULT_RATE_LIMIT,
        request_timeout=timeout or DEFAULT_REQUEST_TIMEOUT,
        journal=path,
    )
    run = open_run(target, out=sys.stderr)
    run.restoring = True
    run.transport.restoring()
    if run.transport.policy is not None:
        for record in written.originals.values():
            run.transport.policy.learn(record)
    run.install_signals()
    try:
        print(
            f"qflow-contracts: restoring {len(written.originals)} customers of "
            f"{target.mask(written.base_url)} from {path}"
        )
        verdict = restore(run.http, written, target.mask)
        for note in notes(verdict):
            print(target.mask(note.line()))
        print(target.mask(verdict.summary()))
        if verdict.ok:
            journal = Journal(path, existing=True)
            journal.done(verdict.summary())
            journal.close()
            return int(ExitCode.CONFORMANT)
        return int(ExitCode.RESTORE_INCOMPLETE)
    finally:
        run.uninstall_signals()
        run.http.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `qflow-contracts` console script."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["spec-diff"]:
        from qflow_contracts.specdiff import main as spec_diff

        return spec_diff(arguments[1:])
    parser = build_parser()
    try:
        args = vars(parser.parse_args(argv))
        if args.get("command") is None:
            print(f"qflow-contracts: no command; {parser.format_usage().strip()}", file=sys.stderr)
            return int(ExitCode.USAGE)
        if args["command"] == "restore":
            return restore_journal(args)
        command = " ".join(shlex.quote(arg) for arg in ["qflow-contracts", *arguments])
        return run_suite(settings(args), command)
    except (ConfigError, JournalError) as error:
        print(f"qflow-contracts: {error}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except SetupError as error:
        print(f"qflow-contracts: {error.line}", file=sys.stderr)
        return int(error.code)


if __name__ == "__main__":
    sys.exit(main())
