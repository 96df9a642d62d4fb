"""`make bench`: every benchmark of the project, one after the other, each printing its own table.

- scripts/bench_mock.py: the mock server's GET/PATCH throughput and p99 latency beside Stoplight Prism.
- scripts/bench_suite.py: the suite's kill rate and time to verdict over the catalogue of broken servers.
- scripts/bench_verdict.py: time to verdict and requests per run, on the embedded mock, on a mock 50 ms
  away, and for plain `st run` beside them.

`python scripts/bench.py mock`, `... suite` or `... verdict` runs one of them.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCHES = {"mock": "bench_mock", "suite": "bench_suite", "verdict": "bench_verdict"}


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all by default); the exit code is the worst of theirs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    names = argv or list(BENCHES)
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(f"bench: unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    worst = 0
    for name in names:
        print(f"\n== bench {name} ==", flush=True)
        module = importlib.import_module(BENCHES[name])
        worst = max(worst, int(module.main([]) or 0))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
