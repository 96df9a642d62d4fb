"""`make bench` (or `python scripts/bench.py suite`): the suite's kill rate over the broken servers.

For the correct mock and every defect `qflow-mock defects` lists, a separate `qflow-mock serve
--port 0 --prefix /API --defect NAME` process (a deployment, as far as the suite knows: safe mode,
restore at the end) is checked by `qflow-contracts run --base-url ... --customer-id <fixture ids>`
with the default settings, once per seed (`--seed 1` .. `--seed N`). The table gives each
server's verdict, the seeds in which it was found (or, for the correct mock, passed), the exit
codes, the median time to verdict and the rules the reports name. Target: every defect killed
(exit 1) in every seed, no false alarm on the correct mock (exit 0), each run under 60 s. Loopback
only; each run is bounded by a timeout.

Options: --only NAME[,NAME] (a subset), --seeds N (5), --jobs J (1: runs side by side),
--timeout S (180).
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
from concurrent.futures import ThreadPoolExecutor
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
    seed: int | None = None

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
    lines = [line for line in report.read_text(encoding="utf-8").split("\n") if line.strip()]
    try:
        last = json.loads(lines[-1])
    except (IndexError, ValueError):
        return ["(the run's --json report is empty or unreadable)"]  # shown, never a crash of the bench
    return [str(rule) for rule in last.get("failed_rules", [])]


def defects() -> list[str]:
    """The defect names the mock knows."""
    listing = subprocess.run([str(BIN / "qflow-mock"), "defects"], capture_output=True, text=True, check=True)
    return [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]


def run_one(defect: str | None, timeout: float, seed: int | None = None) -> Outcome:
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
            run += [] if seed is None else ["--seed", str(seed)]
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
        return Outcome(defect or "correct", code, seconds, rules, seed)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str]) -> int:
    """Run every server once per seed, print the table; exit 1 when a defect survives a seed or
    the correct mock fails one."""
    parser = argparse.ArgumentParser(prog="bench_suite")
    parser.add_argument("--only", help="comma-separated defect names (and/or 'correct')")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    names: list[str | None] = [None, *defects()]
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if (n or "correct") in wanted]
    seeds = list(range(1, max(1, args.seeds) + 1))
    work = [(name, seed) for name in names for seed in seeds]

    def one(item: tuple[str | None, int]) -> Outcome:
        outcome = run_one(item[0], args.timeout, item[1])
        print(
            f"{outcome.server} seed {outcome.seed}: exit {outcome.exit_code} in {outcome.seconds:.1f} s",
            flush=True,
        )
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(one, work))
    print("\n| server | verdict | found in seeds | exit codes | time to verdict, median (s) | rules failed |")
    print("| --- | --- | ---: | --- | ---: | --- |")
    rows: dict[str, list[Outcome]] = {}
    for o in outcomes:
        rows.setdefault(o.server, []).append(o)
    for server, runs in rows.items():
        right = sum(o.correct for o in runs)
        if server == "correct":
            verdict = "conformant" if right == len(runs) else "FALSE ALARM"
        else:
            verdict = "killed" if right == len(runs) else "SURVIVED" if right == 0 else "killed in some seeds"
        rules = sorted({rule for o in runs for rule in o.failed_rules})
        codes = ", ".join(str(o.exit_code) for o in runs)
        median = statistics.median(o.seconds for o in runs)
        print(f"| {server} | {verdict} | {right}/{len(runs)} | {codes} | {median:.1f} | {', '.join(rules)} |")
    broken = [runs for server, runs in rows.items() if server != "correct"]
    always = sum(all(o.killed for o in runs) for runs in broken)
    false_alarms = sum(o.exit_code != 0 for o in outcomes if o.server == "correct")
    times = [o.seconds for o in outcomes]
    print(
        f"\nkilled in every one of {len(seeds)} seeds: {always}/{len(broken)}; "
        f"false alarms on the correct mock: {false_alarms} of {len(rows.get('correct', []))} runs"
    )
    if times:
        print(f"time to verdict: median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    ok = all(o.correct for o in outcomes) and all(t < 60 for t in times)
    print(f"bench suite: {'target met' if ok else 'target MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
