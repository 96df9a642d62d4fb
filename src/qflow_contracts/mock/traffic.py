"""What the mock does to traffic besides answering it: an added network delay, and a request count.

- `Delay` and `parse_duration`: `--latency 50ms --jitter 10ms`, each answer delayed by 40..60 ms.
- `DelayMiddleware`: the delay, awaited on the event loop, so concurrent requests wait side by side
  as they would against a distant server.
- `RequestCounter` and `CountingMiddleware`: every HTTP request the server received, by method and
  by answer status, written as JSON (`--stats-file`) when the server stops.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DELAY = 60.0
_DURATION = re.compile(r"^\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds for `50ms`, `0.05s` or `50` (a bare number is milliseconds). ValueError otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (examples: 50ms, 0.05s, 50)")
    number = float(match["number"])
    seconds = number if (match["unit"] or "ms").lower() == "s" else number / 1000
    if not math.isfinite(seconds) or seconds > MAX_DELAY:
        raise ValueError(f"{text!r} is longer than {MAX_DELAY:g} s")
    return seconds


@dataclass(frozen=True)
class Delay:
    """A delay of `latency` seconds, plus or minus up to `jitter` seconds (uniformly drawn)."""

    latency: float
    jitter: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.latency <= MAX_DELAY:
            raise ValueError(f"the latency must be between 0 and {MAX_DELAY:g} s")
        if not 0 <= self.jitter <= self.latency:
            raise ValueError(f"the jitter ({self.jitter:g} s) exceeds the latency ({self.latency:g} s)")

    def draw(self, rng: random.Random) -> float:
        """One request's delay, in seconds."""
        if not self.jitter:
            return self.latency
        return rng.uniform(self.latency - self.jitter, self.latency + self.jitter)


class DelayMiddleware:
    """Every HTTP request waits its delay (asyncio.sleep) before it is answered."""

    def __init__(self, app: ASGIApp, delay: Delay) -> None:
        self.app = app
        self.delay = delay
        self.rng = random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.delay.draw(self.rng))
        await self.app(scope, receive, send)


@dataclass
class RequestCounter:
    """The HTTP requests a server received, by method and by answer status."""

    methods: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(self.methods.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "methods": dict(sorted(self.methods.items())),
            "statuses": dict(sorted(self.statuses.items())),
        }

    def write(self, path: Path) -> None:
        """The counts as JSON, replacing `path` in one step."""
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)


class CountingMiddleware:
    """Counts every HTTP request, those refused with 401 included; one whose handler raised before
    answering counts under the status `error`."""

    def __init__(self, app: ASGIApp, counter: RequestCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.counter.methods[scope["method"]] += 1
        status = "error"

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            self.counter.statuses[status] += 1
