"""The progress a person sees during a run at the default pacing, against a stand-in deployment
50 ms away: in CI mode a plain line at least every 5 s, on a terminal (a pseudo-terminal here) a
live line whose figures change; pytest's own output never shown; the verdict block last."""

from __future__ import annotations

import itertools
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qflow_contracts.mock import create_app
from qflow_contracts.mock.traffic import Delay
from tests.suite.servers import CUSTOMER_IDS, serve_app

pytestmark = pytest.mark.slow  # over about 20 s each: `-m 'not slow'` leaves them out

BIN = Path(sys.executable).parent
SILENCE = 5.0
"""The longest a run at the default pacing may stay silent."""
BOUNDED = ["--max-examples", "1", "--max-time", "14"]
"""Default pacing (10 requests a second), the run cut at 14 s: enough to see the progress."""


@pytest.fixture
def paced() -> Iterator[str]:
    """A mock apart from the runner, every answer 50 ms away, as a deployment across the internet."""
    with serve_app(create_app(prefix="/API", delay=Delay(0.05))) as (url, _):
        yield url


def _command(url: str, tmp_path: Path) -> list[str]:
    ids = [arg for cid in CUSTOMER_IDS for arg in ("--customer-id", str(cid))]
    return [str(BIN / "qflow-contracts"), "run", "--base-url", url, *ids, *BOUNDED,
            "--journal", str(tmp_path / "j.jsonl")]  # fmt: skip


def test_in_ci_a_line_comes_at_least_every_5_s_and_the_verdict_is_last(paced: str, tmp_path: Path) -> None:
    env = {**os.environ, "CI": "true", "XDG_STATE_HOME": str(tmp_path / "state")}  # stderr as CI logs it, too
    process = subprocess.Popen(
        _command(paced, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    stamps: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stamps.append((time.monotonic(), line.rstrip("\n")))

    started = time.monotonic()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=10)
    # from the run's first line on (the interpreter's start is the machine's, not the run's: on
    # this shared 2-core machine under load it alone can take seconds)
    assert stamps and stamps[0][0] - started < 60, stamps[:3]
    times = [at for at, _ in stamps]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    progress = [text for _, text in stamps if " requests · " in text and "finding(s)" in text]
    assert len(progress) >= 2, stamps
    assert max(gaps) < SILENCE, [
        (round(gap, 1), text) for gap, (_, text) in zip(gaps, stamps[1:], strict=False)
    ]
    text = "\n".join(line for _, line in stamps)
    assert "\x1b" not in text and "passed" in text
    for pytest_says in ("[100%]", "FAILURES", "short test summary", "Captured stdout"):
        assert pytest_says not in text
    last = [line for _, line in stamps if line.strip()]
    verdict_at = max(i for i, line in enumerate(last) if line.startswith("Verdict: "))
    assert all(line.startswith("  - ") for line in last[verdict_at + 1 :]), last[-5:]


def test_on_a_terminal_the_live_line_changes(paced: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), COLUMNS="200", TERM="xterm")
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        _command(paced, tmp_path), stdout=terminal, stderr=terminal, stdin=subprocess.DEVNULL, env=env
    )
    os.close(terminal)
    seen = bytearray()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # the run ended and closed its side
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        os.close(controller)
    screen = seen.decode("utf-8", "replace")
    counts = {
        part.split(" requests")[0].rsplit("] ", 1)[-1]
        for part in screen.split("[")
        if " requests · " in part and "finding(s)" in part
    }
    assert len(counts) >= 3, screen[-3000:]  # the line was redrawn with new figures
    assert "Verdict: " in screen and "[100%]" not in screen
