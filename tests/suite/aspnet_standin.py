"""The QFlow stand-in on Mono's ASP.NET Web API (`tests/aspnet/`): built by `make aspnet-standin`,
started as `mono standin.exe` on a free loopback port in a +10:00 time zone, and stopped again."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / "build" / "aspnet" / "standin.exe"
SEED = ROOT / "tests" / "aspnet" / "seed.json"
ZONE = "Etc/GMT-10"
"""The process's time zone: UTC+10:00 without daylight saving (POSIX names it with the sign flipped),
the offset of the vendor pages' DOB samples."""
OFFSET = "+10:00"
READY = re.compile(r"serving on (?P<url>http://\S+/API) \(UTC offset (?P<offset>[+-]\d\d:\d\d)\)")
START_TIMEOUT = 60.0


def seed() -> dict[str, Any]:
    """The stand-in's seed data (customer-id types and customers)."""
    data: dict[str, Any] = json.loads(SEED.read_text(encoding="utf-8"))
    return data


def customer_ids() -> tuple[int, ...]:
    """Every CustomerId of the seed, in its order."""
    return tuple(int(customer["CustomerId"]) for customer in seed()["Customers"])


def build() -> None:
    """`make aspnet-standin`: installs Mono's Web API when missing, compiles when the C# changed."""
    result = subprocess.run(
        ["make", "-s", "aspnet-standin"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"make aspnet-standin failed:\n{result.stdout}{result.stderr}"
    assert EXE.is_file(), f"make aspnet-standin did not produce {EXE}"


@dataclass(frozen=True)
class Standin:
    """A running stand-in: its base URL (under /API) and the UTC offset it said it runs in."""

    url: str
    offset: str


@contextmanager
def running(log: Path) -> Iterator[Standin]:
    """Build the stand-in, start it on a free port of 127.0.0.1 in `ZONE` (what it writes to stderr
    goes to `log`), and stop it afterwards."""
    build()
    env = {**os.environ, "TZ": ZONE}
    command = ["mono", str(EXE), "--seed", str(SEED), "--host", "127.0.0.1", "--port", "0"]
    with log.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8", env=env
        )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: lines.put(process.stdout.readline() if process.stdout else ""))
    reader.start()
    try:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            line = ""
        ready = READY.search(line)
        if ready is None:
            process.kill()
            process.wait(timeout=10)
            told = log.read_text(encoding="utf-8")[-2000:]
            raise AssertionError(f"the stand-in did not say it was serving: {line!r} {told}")
        yield Standin(url=ready["url"], offset=ready["offset"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)
        process.stdout.close()
