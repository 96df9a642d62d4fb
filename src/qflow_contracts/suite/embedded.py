"""The embedded mock server: a `qflow-mock serve` subprocess on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from qflow_contracts.mock.cli import served_url
from qflow_contracts.mock.fixtures import FixtureError, load_fixtures


class EmbeddedError(RuntimeError):
    """The embedded mock could not start (its fixtures no longer match the spec, say): one line."""


@dataclass(frozen=True)
class Embedded:
    """A running embedded mock: its base URL and the customers of its fixtures."""

    base_url: str
    customer_ids: tuple[int, ...]


@contextmanager
def serve_embedded(prefix: str = "/API", timeout: float = 30.0) -> Iterator[Embedded]:
    """Start the mock with its default fixtures, yield where it serves, stop it afterwards."""
    command = [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", "--prefix", prefix]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = served_url(line)
        if url is None:
            error = process.stderr.read() if process.stderr else ""
            said = (line.strip() or error.strip()).splitlines()
            raise EmbeddedError(f"the embedded mock did not start: {said[-1] if said else 'no output'}")
        try:
            ids = tuple(int(record["CustomerId"]) for record in load_fixtures().customers)
        except FixtureError as fault:
            raise EmbeddedError(f"the embedded mock's fixtures cannot be read: {fault}") from None
        yield Embedded(base_url=url, customer_ids=ids)
    finally:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
