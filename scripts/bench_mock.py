"""`make bench` (or `python scripts/bench.py mock`): the mock server beside Stoplight Prism.

Both serve `spec/qflow-customers.openapi.yaml` on loopback: `qflow-mock serve` (memory store) and
`prism mock` (`@stoplight/prism-cli` 5.x, installed by this script with npm into `.bench/`, with
logging turned down to `error` so logging does not slow it). `wrk` (installed with apt-get when
missing) drives each scenario for a fixed time over a fixed number of connections:

- GET   `/Customers/101`
- PATCH `/Customers` with `{"CustomerId": 101, "Notes": "bench"}` (JSON)

Rounds alternate the two servers so they share conditions; the table shows the median requests
per second and p99 latency over the rounds, errors summed (non-2xx answers and socket errors), and
the ratio mock/Prism. The target: the mock's GET throughput at least 3x Prism's, with no errors.

Options: --rounds N (3), --duration S (3), --connections C (16). Exit 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / ".bench"
SPEC = REPO / "spec" / "qflow-customers.openapi.yaml"
PRISM = BENCH_DIR / "node_modules" / ".bin" / "prism"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
PATCH_BODY = '{"CustomerId": 101, "Notes": "bench"}'
TARGET = 3.0


@dataclass
class Result:
    rps: float
    p99_ms: float
    errors: int


def _say(text: str) -> None:
    print(text, flush=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    _say("bench: wrk is missing; installing it with apt-get")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, timeout=300, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is needed (apt-get install wrk)")
    return found


def ensure_prism() -> Path:
    if not PRISM.exists():
        _say(f"bench: installing {PRISM_PACKAGE} into {BENCH_DIR.relative_to(REPO)}/ with npm")
        BENCH_DIR.mkdir(exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(BENCH_DIR),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                PRISM_PACKAGE,
            ],
            check=True,
            timeout=600,
        )
    return PRISM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"bench: {url} did not come up in {timeout:.0f}s")


def start_mock() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/Customers/101", process)
    return process, base


def start_prism(prism: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [str(prism), "mock", str(SPEC), "-h", "127.0.0.1", "-p", str(port), "-v", "error"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/Customers/101", process)
    return process, base


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> Result:
    rps_match = re.search(r"Requests/sec:\s+([0-9.]+)", output)
    p99_match = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rps_match is None or p99_match is None:
        raise SystemExit(f"bench: cannot read wrk's output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+([0-9]+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    return Result(float(rps_match.group(1)), float(p99_match.group(1)) * _UNITS[p99_match.group(2)], errors)


def run_wrk(wrk: str, url: str, script: Path | None, duration: int, connections: int) -> Result:
    command = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    completed = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=duration + 30, check=False
    )
    return parse_wrk(completed.stdout)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_mock", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    prism = ensure_prism()
    BENCH_DIR.mkdir(exist_ok=True)
    patch_script = BENCH_DIR / "patch.lua"
    patch_script.write_text(
        f"wrk.method = \"PATCH\"\nwrk.body = '{PATCH_BODY}'\n"
        'wrk.headers["Content-Type"] = "application/json"\n',
        encoding="utf-8",
    )
    version = subprocess.run(
        [str(prism), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    _say(
        f"bench: {args.rounds} rounds x {args.duration}s per scenario, {args.connections} connections, "
        f"wrk 1 thread, loopback, {os.cpu_count()} CPUs; prism-cli {version}"
    )

    servers = {"qflow-mock": start_mock(), "prism": start_prism(prism)}
    results: dict[tuple[str, str], list[Result]] = {}
    try:
        for round_number in range(args.rounds):
            order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
            for name in order:
                base = servers[name][1]
                for scenario, url, script in (
                    ("GET", f"{base}/Customers/101", None),
                    ("PATCH", f"{base}/Customers", patch_script),
                ):
                    result = run_wrk(wrk, url, script, args.duration, args.connections)
                    results.setdefault((name, scenario), []).append(result)
                    _say(
                        f"  round {round_number + 1} {name:10} {scenario:5} {result.rps:9.0f} req/s  "
                        f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}"
                    )
    finally:
        for process, _ in servers.values():
            stop(process)

    _say("")
    _say(f"{'server':10} {'scenario':8} {'req/s (median)':>15} {'p99 ms (median)':>16} {'errors':>7}")
    summary: dict[tuple[str, str], Result] = {}
    for (name, scenario), runs in results.items():
        median = Result(
            statistics.median(r.rps for r in runs),
            statistics.median(r.p99_ms for r in runs),
            sum(r.errors for r in runs),
        )
        summary[(name, scenario)] = median
        _say(f"{name:10} {scenario:8} {median.rps:15.0f} {median.p99_ms:16.2f} {median.errors:7d}")
    ratios = {
        scenario: summary[("qflow-mock", scenario)].rps / max(summary[("prism", scenario)].rps, 1e-9)
        for scenario in ("GET", "PATCH")
    }
    _say(
        f"ratio qflow-mock/prism: GET {ratios['GET']:.1f}x, PATCH {ratios['PATCH']:.1f}x "
        f"(target GET >= {TARGET}x)"
    )
    mock_errors = summary[("qflow-mock", "GET")].errors + summary[("qflow-mock", "PATCH")].errors
    ok = ratios["GET"] >= TARGET and mock_errors == 0
    _say("bench mock: " + ("target met" if ok else "TARGET MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
