"""`make bench` (or `python scripts/bench.py verdict`): time to verdict and requests per run.

Four runs side by side, in alternating rounds (3 by default), medians:

- `embedded`: plain `qflow-contracts run` (the embedded mock);
- `deployment-50ms`: `qflow-contracts run --base-url ... --customer-id <the fixture ids>` against a
  separate `qflow-mock serve --latency 50ms` under /API, as the suite treats a vendor deployment;
- `st-run` and `st-run-50ms`: plain `st run` (the Schemathesis CLI) on the same spec, against the same
  two mocks, with the suite's number of examples.

Requests are counted by the mock itself (`--stats-file`; for the embedded mock through the
QFLOW_MOCK_STATS_FILE variable its runner passes on). Loopback only; every run is bounded by a
timeout, and a run that hits it is reported as such. Extra flags for `qflow-contracts run` go in
RUNNER_FLAGS, or `--runner-args '...'` on the command line.

Options: --rounds N (3), --timeout S (900), --only NAME[,NAME], --latency 50ms, --runner-args '...'.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qflow_contracts.mock.cli import served_url

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "spec" / "qflow-customers.openapi.yaml"
STATS_ENV = "QFLOW_MOCK_STATS_FILE"
EXAMPLES = 25  # the suite's default --max-examples, given to st run as well
SEED = 20261123
RUNNER_FLAGS: list[str] = []  # extra `qflow-contracts run` flags for every run of the suite


@dataclass
class Run:
    """One run: exit code (None when it hit the timeout), wall time, requests the mock received."""

    scenario: str
    exit_code: int | None
    seconds: float
    requests: int | None


@dataclass
class Mock:
    """A `qflow-mock serve` process and the file its request count goes to."""

    process: subprocess.Popen[str]
    url: str
    stats: Path


def fixture_ids() -> list[str]:
    """The customer ids of the mock's default fixtures."""
    sys.path.insert(0, str(REPO / "src"))
    from qflow_contracts.mock.fixtures import load_fixtures

    return [str(customer["CustomerId"]) for customer in load_fixtures().customers]


def read_requests(stats: Path) -> int | None:
    try:
        return int(json.loads(stats.read_text(encoding="utf-8"))["requests"])
    except (OSError, ValueError, KeyError):
        return None


@contextmanager
def mock(folder: Path, latency: str | None) -> Iterator[Mock]:
    """A fresh mock under /API (with the latency, if any), stopped with SIGTERM so it writes its count."""
    stats = folder / "mock-stats.json"
    command = [
        str(BIN / "qflow-mock"),
        "serve",
        "--port",
        "0",
        "--prefix",
        "/API",
        "--stats-file",
        str(stats),
    ]
    command += ["--latency", latency] if latency else []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = served_url(line)
        if url is None:
            raise RuntimeError(f"the mock did not start: {line!r}")
        yield Mock(process, url, stats)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def timed(
    command: list[str], timeout: float, cwd: Path, env: dict[str, str] | None = None
) -> tuple[int | None, float]:
    """Exit code (None on timeout) and wall time of a command, its output discarded. The command runs
    in a process group of its own, which is stopped whole when the timeout is reached."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    try:
        code: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
        for sig, grace in ((signal.SIGTERM, 30.0), (signal.SIGKILL, None)):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=grace)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
    return code, time.perf_counter() - started


def run_embedded(folder: Path, timeout: float, latency: str, runner: list[str]) -> Run:
    stats = folder / "embedded-stats.json"
    env = {**os.environ, STATS_ENV: str(stats)}
    code, seconds = timed([str(BIN / "qflow-contracts"), "run", *runner], timeout, folder, env)
    return Run("embedded", code, seconds, read_requests(stats))


def run_deployment(folder: Path, timeout: float, latency: str, runner: list[str]) -> Run:
    command = [str(BIN / "qflow-contracts"), "run", *runner]
    with mock(folder, latency) as server:
        command += ["--base-url", server.url, *[f"--customer-id={cid}" for cid in fixture_ids()]]
        # journals and locks of the bench's own mock in its folder: a later mock on the same port
        # must not meet an unfinished journal of this one
        env = {**os.environ, "XDG_STATE_HOME": str(folder / "state")}
        code, seconds = timed(command, timeout, folder, env)
    return Run(f"deployment-{latency}", code, seconds, read_requests(server.stats))


def st_run(folder: Path, timeout: float, latency: str | None) -> Run:
    with mock(folder, latency) as server:
        command = [str(BIN / "st"), "run", str(SPEC), "--url", server.url, "--max-examples", str(EXAMPLES)]
        command += ["--seed", str(SEED), "--generation-database", "none", "--request-timeout", "15"]
        code, seconds = timed(command, timeout, folder)
    return Run("st-run" + (f"-{latency}" if latency else ""), code, seconds, read_requests(server.stats))


Scenario = Callable[[Path, float, str, list[str]], Run]
SCENARIOS: dict[str, Scenario] = {
    "embedded": run_embedded,
    "deployment": run_deployment,
    "st-run": lambda folder, timeout, latency, runner: st_run(folder, timeout, None),
    "st-run-latency": lambda folder, timeout, latency, runner: st_run(folder, timeout, latency),
}


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def table(runs: list[Run]) -> list[str]:
    """The Markdown table: one row per scenario, medians over its rounds."""
    lines = [
        "| run | rounds | exit codes | time to verdict, median (min-max) s | requests, median | requests/s |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name in dict.fromkeys(run.scenario for run in runs):
        mine = [run for run in runs if run.scenario == name]
        codes = ", ".join("timeout" if run.exit_code is None else str(run.exit_code) for run in mine)
        seconds = [run.seconds for run in mine]
        counted = [float(run.requests) for run in mine if run.requests is not None]
        time_median, requests = median(seconds), median(counted)
        spread = (
            f"{time_median:.1f} ({min(seconds):.1f}-{max(seconds):.1f})" if time_median is not None else "-"
        )
        rate = f"{requests / time_median:.0f}" if requests is not None and time_median else "-"
        shown = f"{requests:.0f}" if requests is not None else "n/a"
        lines.append(f"| {name} | {len(mine)} | {codes} | {spread} | {shown} | {rate} |")
    return lines


def main(argv: list[str]) -> int:
    """Run the rounds, print the table; exit 1 when a suite run of the correct mock is not a pass."""
    parser = argparse.ArgumentParser(prog="bench_verdict")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900.0, help="bound on each run, in seconds")
    parser.add_argument("--only", help=f"comma-separated scenarios among {', '.join(SCENARIOS)}")
    parser.add_argument("--latency", default="50ms", help="the distant mock's --latency")
    parser.add_argument("--runner-args", default="", help="extra qflow-contracts run flags, as one string")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {unknown[0]!r}")
    runner = [*RUNNER_FLAGS, *shlex.split(args.runner_args)]
    runs: list[Run] = []
    for round_number in range(1, args.rounds + 1):
        for name in names:  # alternating: one run of each scenario per round
            with tempfile.TemporaryDirectory(prefix="bench-verdict-") as folder:
                run = SCENARIOS[name](Path(folder), args.timeout, args.latency, runner)
            runs.append(run)
            code = "timeout" if run.exit_code is None else f"exit {run.exit_code}"
            counted = f"{run.requests} requests"
            print(
                f"round {round_number}: {run.scenario}: {code} in {run.seconds:.1f} s, {counted}", flush=True
            )
    print(f"\nqflow-contracts run {' '.join(runner)}".rstrip() + f"; st run --max-examples {EXAMPLES}")
    print("\n" + "\n".join(table(runs)))
    suite_ok = all(run.exit_code == 0 for run in runs if not run.scenario.startswith("st-run"))
    print(
        f"\nbench verdict: {'every suite run conformant' if suite_ok else 'a suite run FAILED or timed out'}"
    )
    return 0 if suite_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
