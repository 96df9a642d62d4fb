"""A run whose own code fails part-way is never reported as conformant: its verdict is INCOMPLETE
(exit 5) and it says where it stopped, whatever the ledger held by then."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from qflow_contracts.exitcodes import ExitCode

BROKEN_SUITE = """
import sys
from qflow_contracts import cli
from qflow_contracts.suite.session import Session

def lookup(self, *args, **kwargs):
    raise RuntimeError("the suite's own bug")

Session.lookup = lookup
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_suite_that_fails_part_way_is_incomplete_not_conformant(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            BROKEN_SUITE,
            "run",
            "--max-examples",
            "2",
            "--seed",
            "1",
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    assert result.returncode == ExitCode.INCOMPLETE, result.stdout[-3000:] + result.stderr[-2000:]
    assert "Verdict: INCOMPLETE" in result.stdout
    assert "the suite failed in test_customers_behave_as_the_model_predicts: RuntimeError" in result.stdout
    assert "**Verdict: INCOMPLETE**" in report.read_text()
