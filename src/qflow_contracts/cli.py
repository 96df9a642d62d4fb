"""`qflow-contracts run`: the conformance suite against a server, in this process.
`qflow-contracts restore --journal PATH --base-url URL`: finish the restore of a run that was killed.
`qflow-contracts baseline --from-report REPORT.json --output FILE`: the starting accepted-findings
baseline (`run --baseline FILE`) from a run's `--json` report.

Exit codes (`qflow_contracts.exitcodes.ExitCode`): 0 conformant, 1 not conformant, 2 bad usage or
set-up, 3 server unavailable, 4 restore incomplete (the journal named), 5 incomplete, 128 + N
stopped by signal N (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM) after the restore.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from qflow_contracts import __version__
from qflow_contracts.config import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RESTORE_TIME,
    HEADER_WARNING,
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
from qflow_contracts.suite.baseline import BaselineError, read_report, starting_file
from qflow_contracts.suite.console import MaskedStream
from qflow_contracts.suite.journal import Journal, JournalError, Written, read, state_folder
from qflow_contracts.suite.lifecycle import Interrupted, SetupError, open_run, start_run
from qflow_contracts.suite.outcome import conclude
from qflow_contracts.suite.ownership import Ownership
from qflow_contracts.suite.pending import pending
from qflow_contracts.suite.plugin import QflowPlugin
from qflow_contracts.suite.restore import RestoreVerdict, restore
from qflow_contracts.suite.runlock import Locked, RunLock, deployment_key, lock_folder
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.witnesses import restore_witnesses


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
    back.add_argument(
        "--base-url",
        metavar="URL",
        help="the deployment to restore, named again: credentials are sent only there",
    )
    back.add_argument(
        "--trust-journal-base-url",
        action="store_true",
        help="send the credentials to the base URL the journal names, without naming it again",
    )
    for key in ("headers", "header-envs", "rate-limit", "request-timeout", "restore-time", "keep-journal"):
        _add(back, next(o for o in OPTIONS if o.key == key))
    back.add_argument(
        "--restore-witnesses",
        action="store_true",
        help="also put back the witnesses a PATCH of the run changed (their originals are journaled)",
    )
    accept = commands.add_parser(
        "baseline", help="write the starting accepted-findings file (run --baseline) from a --json report"
    )
    accept.add_argument("--from-report", metavar="REPORT", required=True, help="a run's --json report")
    accept.add_argument(
        "--output",
        metavar="FILE",
        help="write it here (never over an existing file); default: print it",
    )
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
        "-o",
        "log_file=",  # no log file from an ini file in the working directory
    ]


@contextmanager
def _without_pytest_environment() -> Iterator[None]:
    """pytest reads options and plugins from `PYTEST_*` variables (`PYTEST_ADDOPTS=--debug` writes
    every hook call, the credential included, to a file): the runner's pytest reads none of them."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("PYTEST_")}
    for name in saved:
        del os.environ[name]
    try:
        yield
    finally:
        for added in [name for name in os.environ if name.startswith("PYTEST_")]:
            del os.environ[added]
        os.environ.update(saved)


def run_suite(chosen: Settings, command: str = "qflow-contracts run") -> int:
    """Run the suite in this process; the exit code says the verdict."""
    with ExitStack() as stack:
        try:
            run = start_run(chosen, stack, out=sys.stderr, command=command)
        except Interrupted as interrupted:
            return _signal_exit(interrupted.signum)
        plugin = QflowPlugin(run, chosen, quiet=True)
        streams = sys.stdout, sys.stderr
        sys.stdout = cast(TextIO, MaskedStream(sys.stdout, run.target))
        sys.stderr = cast(TextIO, MaskedStream(sys.stderr, run.target))
        try:
            with _without_pytest_environment():
                code = int(pytest_main(_pytest_args(), plugin))
        except Interrupted:
            code = int(ExitCode.INTERRUPTED)
        finally:
            sys.stdout, sys.stderr = streams
        if not run.finished:
            code = int(conclude(run, chosen, plugin.console))
        return plugin.exit_code if plugin.exit_code is not None else code


def _signal_exit(signum: int) -> int:
    """128 + the signal's number, as a run stopped by that signal exits."""
    try:
        return int(ExitCode(128 + signum))
    except ValueError:
        return int(ExitCode.TERMINATED)


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
    with_witnesses = bool(flags.get("restore_witnesses"))
    if with_witnesses and not written.witnesses:
        raise JournalError(f"--journal {path}: --restore-witnesses, but the journal holds no witness")
    if written.done and not with_witnesses:
        print(f"qflow-contracts: {path}: this run's restore was already proven; nothing to do")
        return int(ExitCode.CONFORMANT)
    headers = parse_headers(flags.get("headers") or [], flags.get("header_envs") or [], os.environ)
    by_key = {o.key: o for o in OPTIONS}
    named = check(by_key["base-url"], flags["base_url"], text=True) if flags.get("base_url") else None
    if named is not None and deployment_key(named) != deployment_key(written.base_url):
        raise ConfigError(
            f"--base-url {named} is not the deployment the journal {path} was written for "
            f"({written.base_url}): its records are restored only there"
        )
    if headers and named is None and not flags.get("trust_journal_base_url"):
        raise ConfigError(
            f"the journal {path} names the base URL {written.base_url}: name it again with "
            f"--base-url {written.base_url} (or pass --trust-journal-base-url) before the credentials "
            "are sent there"
        )
    numbers = {}
    for key in ("rate-limit", "request-timeout", "restore-time"):
        option = by_key[key]
        numbers[key] = check(option, flags[option.name], text=True) if flags.get(option.name) else None
    ids = written.customer_ids or tuple(written.originals)
    target = Target(
        base_url=written.base_url,
        customer_ids=ids,
        witness_ids=written.witness_ids,
        headers=headers,
        rate_limit=numbers["rate-limit"] or DEFAULT_RATE_LIMIT,
        request_timeout=numbers["request-timeout"] or DEFAULT_REQUEST_TIMEOUT,
        restore_time=numbers["restore-time"] or DEFAULT_RESTORE_TIME,
        journal=path,
    )
    try:
        lock = RunLock(lock_folder(state_folder()), target.base_url, ids, target.witness_ids, path).acquire()
    except Locked as error:
        raise SetupError(ExitCode.USAGE, str(error)) from None
    try:
        return _restore_locked(
            target, written, path, keep=bool(flags.get("keep_journal")), with_witnesses=with_witnesses
        )
    finally:
        lock.release()


def _restore_locked(
    target: Target, written: Written, path: Path, *, keep: bool, with_witnesses: bool = False
) -> int:
    """The restore of `written`, its customers locked."""
    run = open_run(target, out=sys.stderr)
    run.restoring = True
    run.transport.restoring()
    if run.transport.policy is not None:
        for record in written.originals.values():
            run.transport.policy.learn(record)
        if with_witnesses:  # asked explicitly: the witnesses may be PATCHed back, by CustomerId
            run.transport.policy.patchable |= frozenset(written.witnesses)
    notes: list[str] = []
    try:
        run.journal = Journal(path, existing=True)
    except JournalError as error:  # the restore works from what was read; it cannot mark it done
        notes.append(f"restore: {error}; the restore goes on without writing it")
    else:
        run.transport.journal, run.transport.ownership = run.journal, Ownership(written.originals)
    run.install_signals()
    try:
        print(
            f"qflow-contracts: restoring {len(written.originals)} customers of "
            f"{target.mask(written.base_url)} from {path}"
        )
        verdict = RestoreVerdict() if written.done else restore(run.http, written, target.mask)
        verdict.notes += notes
        if run.journal is not None and run.journal.broken is not None:
            verdict.notes.append(f"restore: {run.journal.broken}; the restore went on from memory")
        if not written.done:
            for line in verdict.lines():
                print(line)
        witnesses = restore_witnesses(run.http, written, target.mask) if with_witnesses else None
        if witnesses is not None:
            for line in witnesses.lines()[:-1]:
                print(line.replace("restore: ", "restore: witness: ", 1))
            put_back, unchanged = len(witnesses.restored), len(witnesses.untouched)
            print(f"restore: witnesses: {put_back} put back, {unchanged} unchanged")
        if verdict.ok and not written.done and run.journal is not None:
            trouble = run.journal.finish(verdict.summary(), keep=keep)
            if trouble is not None:
                print(f"qflow-contracts: {trouble}")
        if verdict.ok and (witnesses is None or witnesses.ok):
            return int(ExitCode.CONFORMANT)
        return int(ExitCode.RESTORE_INCOMPLETE)
    finally:
        if run.journal is not None:
            run.journal.close()
        run.uninstall_signals()
        run.http.close()


def write_baseline(flags: dict[str, Any]) -> int:
    """`baseline --from-report REPORT`: the starting baseline, every finding of the report listed
    with a reason and an expiry to fill in, printed or written to `--output` (never over a file)."""
    source = Path(flags["from_report"])
    text = starting_file(read_report(source), str(source))
    output = flags.get("output")
    if not output:
        sys.stdout.write(text)
        return int(ExitCode.CONFORMANT)
    path = Path(output)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise BaselineError(f"--output {path}: the file exists; it is not overwritten") from None
    except OSError as error:
        raise BaselineError(f"--output {path}: cannot write it ({error.strerror or error})") from None
    count = text.count("[[accepted]]")
    print(
        f"qflow-contracts: wrote {path}: {count} finding(s); fill in each reason and expires before using it"
    )
    return int(ExitCode.CONFORMANT)


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
        if args.get("headers"):
            print(HEADER_WARNING, file=sys.stderr)
        if args["command"] == "restore":
            return restore_journal(args)
        if args["command"] == "baseline":
            return write_baseline(args)
        command = " ".join(shlex.quote(arg) for arg in ["qflow-contracts", *arguments])
        return run_suite(settings(args), command)
    except (ConfigError, JournalError, BaselineError) as error:
        print(f"qflow-contracts: {error}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except SetupError as error:
        print(f"qflow-contracts: {error.line}", file=sys.stderr)
        return int(error.code)
    except KeyboardInterrupt as error:
        # a signal that arrived while another was being handled, outside the run's own handling
        signum = error.signum if isinstance(error, Interrupted) else 2
        return 128 + signum


if __name__ == "__main__":
    sys.exit(main())
