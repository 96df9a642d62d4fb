"""`qflow-mock serve ...` and `qflow-mock defects`."""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import sys
from pathlib import Path

from qflow_contracts import __version__
from qflow_contracts.mock.defects import CATALOGUE, get_defect
from qflow_contracts.mock.traffic import Delay, parse_duration

STATS_ENV = "QFLOW_MOCK_STATS_FILE"


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag on one line of stderr and exits 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"qflow-mock: {message}", file=sys.stderr)
        raise SystemExit(2)


READY = "qflow-mock: serving on "
"""The line the served mock prints once it listens, its base URL after it: what the runner, the
tests and the benchmarks wait for."""


def served_url(line: str) -> str | None:
    """The base URL of the mock's readiness line, or None for any other line."""
    return line[len(READY) :].strip() if line.startswith(READY) else None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="qflow-mock", description="The reference mock server of the QFlow Customers API.")
    parser.add_argument("--version", action="version", version=f"qflow-mock {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    serve = commands.add_parser("serve", help="serve the API over HTTP")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default 8000)")
    serve.add_argument("--prefix", default="", help="base path, e.g. /API (default: the root)")
    serve.add_argument("--fixtures", type=Path, default=None, help="JSON file of starting data")
    serve.add_argument("--db", type=Path, default=None, help="SQLite file that keeps data across restarts")
    serve.add_argument("--api-key", default=None, help="require Authorization: Bearer KEY or X-Api-Key: KEY")
    serve.add_argument(
        "--defect", default=None, help="switch on one deliberate bug (see `qflow-mock defects`)"
    )
    serve.add_argument(
        "--latency",
        type=_duration,
        default=0.0,
        help="delay every answer like a distant server: 50ms, 0.05s, or 50 (milliseconds)",
    )
    serve.add_argument(
        "--jitter", type=_duration, default=0.0, help="vary the latency by up to this much either way"
    )
    serve.add_argument(
        "--stats-file",
        type=Path,
        default=os.environ.get(STATS_ENV) or None,
        help=f"count the requests received; write them here as JSON on shutdown (default: ${STATS_ENV})",
    )
    serve.add_argument(
        "--lenient",
        action="store_true",
        help="read JSON as ASP.NET's Json.NET does (its conversions, any case)",
    )
    serve.add_argument(
        "--timezone",
        default=None,
        help="store DOB as Json.NET does on a server in this offset (+10:00): the same instant, local time",
    )
    serve.add_argument(
        "--utf16-lengths",
        action="store_true",
        help="count lengths in UTF-16 code units, as .NET does (an astral character counts twice)",
    )
    serve.add_argument(
        "--platform",
        choices=["aspnet"],
        default=None,
        help="behave as ASP.NET Web API: --timezone +10:00 --utf16-lengths --lenient, bad idType read as 0",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    commands.add_parser("defects", help="list the deliberate bugs --defect can switch on")
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from qflow_contracts.mock.app import PLATFORMS, Platform, create_app
    from qflow_contracts.mock.fixtures import FixtureError
    from qflow_contracts.mock.records import parse_offset

    if not 0 <= args.port <= 65535:
        print(f"qflow-mock: --port {args.port} is not a port number", file=sys.stderr)
        return 2
    stats_file: Path | None = Path(args.stats_file) if args.stats_file else None
    if stats_file is not None and not stats_file.parent.is_dir():
        print(f"qflow-mock: --stats-file: no folder {stats_file.parent}", file=sys.stderr)
        return 2
    platform = PLATFORMS[args.platform] if args.platform else Platform()
    try:
        timezone = platform.timezone if args.timezone is None else parse_offset(args.timezone)
    except ValueError as error:
        print(f"qflow-mock: --timezone: {error}", file=sys.stderr)
        return 2
    platform = dataclasses.replace(
        platform,
        timezone=timezone,
        utf16_lengths=platform.utf16_lengths or args.utf16_lengths,
        lenient=platform.lenient or args.lenient,
    )
    try:
        get_defect(args.defect)
        delay = Delay(args.latency, args.jitter)
        app = create_app(
            prefix=args.prefix,
            fixtures=args.fixtures,
            db=args.db,
            api_key=args.api_key,
            defect=args.defect,
            delay=delay,
            stats_file=stats_file,
            platform=platform,
        )
    except (ValueError, FixtureError) as error:
        print(f"qflow-mock: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a database that cannot be opened, for one
        print(f"qflow-mock: cannot start: {error}", file=sys.stderr)
        return 2
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        sock.listen(2048)  # connections queue from now on, so the printed URL is usable at once
    except OSError as error:
        print(
            f"qflow-mock: cannot listen on {args.host}:{args.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = "/" + args.prefix.strip().strip("/") if args.prefix.strip().strip("/") else ""
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=args.access_log,
        loop="auto",
        http="auto",
        lifespan="on",
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    print(f"{READY}http://{host}:{port}{base}", flush=True)
    server.run(sockets=[sock])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `qflow-mock` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        print(f"qflow-mock: no command; {parser.format_usage().strip()}", file=sys.stderr)
        return 2
    if args.command == "defects":
        for name, defect in CATALOGUE.items():
            rule = defect.rule.id if defect.rule else ""
            print(f"{name:32} {rule:18} {defect.category:20} {defect.description}")
        return 0
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
