"""`qflow-contracts run`: the conformance suite (contracts/) against a server, as one command.

A thin layer over pytest and the suite's plugin. Exit codes: 0 conformant, 1 not conformant (or the
restore failed), 2 bad usage, 3 server unreachable or refusing credentials, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import httpx

from qflow_contracts.resources import suite_path
from qflow_contracts.suite.plugin import HEADERS_ENV
from qflow_contracts.suite.redact import redact, redact_file

CONFORMANT, NOT_CONFORMANT, USAGE, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 130


class Usage(Exception):
    """Bad usage: one line, exit 2."""


class Unreachable(Exception):
    """The server cannot be reached or refuses the credentials: one line, exit 3."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise Usage(message)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = _Parser(prog="qflow-contracts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the conformance suite")
    run.add_argument("--base-url", help="server, base path included; default: start the embedded mock")
    run.add_argument("--customer-id", type=int, action="append", help="a customer it may read and PATCH")
    run.add_argument("--header", action="append", help="'Name: value' sent with every request")
    run.add_argument("--header-env", action="append", help="NAME=ENVVAR: a header whose value is in ENVVAR")
    run.add_argument("--read-only", action="store_true", default=None, help="GETs only")
    run.add_argument("--max-examples", type=int, help="examples per test (default 25)")
    run.add_argument("--seed", type=int, help="seed of the data generation")
    run.add_argument("--workers", type=int, help="parallel workers (only 1 is supported)")
    run.add_argument("--junit-xml", help="write a JUnit XML report here")
    run.add_argument("--report", help="write a Markdown report here")
    run.add_argument("--config", help="a TOML file with the same options (per deployment)")
    spec_diff = commands.add_parser("spec-diff", help="classify the changes between two versions of the spec")
    spec_diff.add_argument("args", nargs=argparse.REMAINDER, help="OLD [NEW] [options]; see spec-diff --help")
    return parser


def _options(argv: list[str] | None) -> dict[str, Any]:
    """Command-line options over the config file's."""
    args = vars(build_parser().parse_args(argv))
    options: dict[str, Any] = {}
    if args.get("config"):
        try:
            with open(args["config"], "rb") as handle:
                loaded = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise Usage(f"cannot read config {args['config']}: {error}") from None
        for key, value in loaded.items():
            name = key.replace("-", "_")
            if name in ("customer_ids", "headers", "header_envs"):
                name = name[:-1]
            if name not in args or name in ("command", "config"):
                raise Usage(f"unknown option {key!r} in {args['config']}")
            options[name] = value
    options.update({key: value for key, value in args.items() if value is not None})
    return options


def _headers(options: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in options.get("header") or []:
        name, colon, value = str(line).partition(":")
        if not colon or not name.strip():
            raise Usage("--header wants 'Name: value'")
        headers[name.strip()] = value.strip()
    for item in options.get("header_env") or []:
        name, equals, variable = str(item).partition("=")
        if not equals or not name.strip() or not variable.strip():
            raise Usage("--header-env wants NAME=ENVVAR")
        if variable not in os.environ:
            raise Usage(f"--header-env {name}: environment variable {variable} is not set")
        headers[name.strip()] = os.environ[variable]
    return headers


def _preflight(base_url: str, customer_id: int, headers: dict[str, str]) -> None:
    """One GET, to tell an unreachable server or refused credentials from a failing one."""
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/Customers/{customer_id}", headers=headers, timeout=10)
    except httpx.HTTPError as error:
        raise Unreachable(f"cannot reach {base_url}: {type(error).__name__}") from None
    if response.status_code in (401, 403):
        raise Unreachable(f"{base_url} refused the credentials (HTTP {response.status_code})")


@contextmanager
def _server(options: dict[str, Any]) -> Iterator[tuple[str, tuple[int, ...], bool]]:
    """The target: the given server, or the embedded mock started for this run."""
    if options.get("base_url"):
        ids = tuple(options.get("customer_id") or ())
        if not ids:
            raise Usage("--customer-id is required with --base-url (the customers it may read and PATCH)")
        yield str(options["base_url"]), ids, False
        return
    from qflow_contracts.suite.embedded import serve_embedded

    with serve_embedded() as embedded:
        yield embedded.base_url, tuple(options.get("customer_id") or embedded.customer_ids), True


def _pytest_args(options: dict[str, Any], base_url: str, ids: tuple[int, ...], owned: bool) -> list[str]:
    args = [str(suite_path()), "-p", "no:cacheprovider", "-o", "addopts=", "--tb=short", "-rfE"]
    args += ["--base-url", base_url, *[f"--customer-id={cid}" for cid in ids]]
    args += ["--owned"] if owned else []
    args += ["--read-only"] if options.get("read_only") else []
    for name in ("max_examples", "seed"):
        if options.get(name) is not None:
            args.append(f"--{name.replace('_', '-')}={int(options[name])}")
    if options.get("junit_xml"):
        args.append(f"--junitxml={options['junit_xml']}")
    if options.get("report"):
        args.append(f"--qflow-report={options['report']}")
    return args


def run(options: dict[str, Any]) -> int:
    """Run the suite; the exit code says the verdict."""
    if int(options.get("workers") or 1) != 1:
        raise Usage("--workers: only 1 worker is supported")
    headers = _headers(options)
    secrets = [value for value in headers.values() if value]
    with _server(options) as (base_url, ids, owned):
        _preflight(base_url, ids[0], headers)
        env = {**os.environ, HEADERS_ENV: json.dumps(headers)}
        command = [sys.executable, "-m", "pytest", *_pytest_args(options, base_url, ids, owned)]
        child = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        interrupted = False

        def forward(signum: int, frame: Any) -> None:
            nonlocal interrupted
            interrupted = True
            child.send_signal(signal.SIGINT)

        previous = signal.signal(signal.SIGINT, forward)
        try:
            assert child.stdout is not None
            for line in child.stdout:
                sys.stdout.write(redact(line, secrets))
                sys.stdout.flush()
            code = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
    for name in ("report", "junit_xml"):
        if options.get(name):
            redact_file(Path(options[name]), secrets)
    if interrupted:
        print("qflow-contracts: interrupted; the given customers were restored (see the restore line above)")
        return INTERRUPTED
    if code == 4:
        raise Usage("pytest rejected the options")
    return CONFORMANT if code == 0 else NOT_CONFORMANT


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `qflow-contracts` console script."""
    if (sys.argv[1:] if argv is None else argv)[:1] == ["spec-diff"]:
        from qflow_contracts.specdiff import main as spec_diff

        return spec_diff((sys.argv[1:] if argv is None else argv)[1:])
    try:
        return run(_options(argv))
    except Usage as error:
        print(f"qflow-contracts: {error}", file=sys.stderr)
        return USAGE
    except Unreachable as error:
        print(f"qflow-contracts: {error}", file=sys.stderr)
        return UNREACHABLE
    except KeyboardInterrupt:
        print("qflow-contracts: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
