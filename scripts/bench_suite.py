"""`make bench` (or `python scripts/bench.py suite`): the suite's kill rate over the broken servers.

For the correct mock and every defect `qflow-mock defects` lists, a separate `qflow-mock serve
--port 0 --prefix /API --defect NAME` process (a deployment, as far as the suite knows: safe mode,
restore at the end) is checked by `qflow-contracts run --base-url ... --customer-id <fixture ids>`
with the default settings. The table gives each verdict, the time to verdict and the rules the
report names. Target: every defect killed (exit 1), no false alarm on the correct mock (exit 0),
each run under 60 s. Loopback only; each run is bounded by a timeout.

Options: --only NAME[,NAME] (a subset), --timeout S (180).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


@dataclass
class Outcome:
    """One run of the suite against one server."""

    server: str
    exit_code: int
    seconds: float
    failed_rules: list[str]

    @property
    def killed(self) -> bool:
        """Found not conformant (exit 1), or so with a restore the broken server would not let it
        prove (exit 4, some rule failed)."""
        return self.exit_code == 1 or (self.exit_code == 4 and bool(self.failed_rules))

    @property
    def correct(self) -> bool:
        return self.exit_code == 0 if self.server == "correct" else self.killed


def failed_rules(report: Path) -> list[str]:
    """The ids of the rules a run's `--json` report says failed (the verdict judged once, by the
    suite; nothing is read back out of the Markdown)."""
    if not report.exists():
        return []
    lines = report.read_text(encoding="utf-8").splitlines()
    try:
        last = json.loads(lines[-1])
    except (IndexError, ValueError):
        return ["(the run's --json report is empty or unreadable)"]  # shown, never a crash of the bench
    return [str(rule) for rule in last.get("failed_rules", [])]


def defects() -> list[str]:
    """The defect names the mock knows."""
    listing = subprocess.run([str(BIN / "qflow-mock"), "defects"], capture_output=True, text=True, check=True)
    return [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]


def run_one(defect: str | None, timeout: float) -> Outcome:
    """Start the server, run the suite against it, stop the server."""
    command = [str(BIN / "qflow-mock"), "serve", "--port", "0", "--prefix", "/API"]
    command += ["--defect", defect] if defect else []
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().rsplit(" ", 1)[-1].strip()
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
        from qflow_contracts.mock.fixtures import load_fixtures

        ids = [str(c["CustomerId"]) for c in load_fixtures().customers]
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "run.jsonl"
            run = [str(BIN / "qflow-contracts"), "run", "--base-url", base_url, "--json", str(report)]
            # a loopback mock the bench started itself: pacing (measured by the verdict bench) would
            # only stretch the kill-rate runs
            run += ["--rate-limit", "1000"]
            for cid in ids:
                run += ["--customer-id", cid]
            started = time.perf_counter()
            try:
                # journals and locks of these throwaway servers in the run's own folder: a later
                # server on the same port must not meet an unfinished journal of this one
                env = {**os.environ, "XDG_STATE_HOME": folder}
                done = subprocess.run(run, capture_output=True, text=True, timeout=timeout, env=env)
                code = done.returncode
            except subprocess.TimeoutExpired:
                code = -1
            seconds = time.perf_counter() - started
            rules = failed_rules(report)
        return Outcome(defect or "correct", code, seconds, rules)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str]) -> int:
    """Run every server, print the table; exit 1 when a defect survives or the correct mock fails."""
    parser = argparse.ArgumentParser(prog="bench_suite")
    parser.add_argument("--only", help="comma-separated defect names (and/or 'correct')")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    names: list[str | None] = [None, *defects()]
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if (n or "correct") in wanted]
    outcomes = []
    for name in names:
        outcome = run_one(name, args.timeout)
        outcomes.append(outcome)
        print(f"{outcome.server}: exit {outcome.exit_code} in {outcome.seconds:.1f} s", flush=True)
    print("\n| server | verdict | exit | time to verdict (s) | rules failed |")
    print("| --- | --- | --- | ---: | --- |")
    for o in outcomes:
        verdict = "conformant" if o.exit_code == 0 else "killed" if o.killed else "ERROR"
        mark = "" if o.correct else " (WRONG)"
        rules = ", ".join(o.failed_rules)
        print(f"| {o.server} | {verdict}{mark} | {o.exit_code} | {o.seconds:.1f} | {rules} |")
    broken = [o for o in outcomes if o.server != "correct"]
    killed = sum(o.killed for o in broken)
    false_alarms = sum(o.exit_code != 0 for o in outcomes if o.server == "correct")
    times = [o.seconds for o in outcomes]
    print(f"\nkill rate: {killed}/{len(broken)}; false alarms on the correct mock: {false_alarms}")
    if times:
        print(f"time to verdict: median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    ok = all(o.correct for o in outcomes) and all(t < 60 for t in times)
    print(f"bench suite: {'target met' if ok else 'target MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
