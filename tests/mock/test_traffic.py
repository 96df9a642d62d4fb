"""`--latency`, `--jitter` and `--stats-file`: answers held back like a distant server's, without
holding back other requests, and every request received counted."""

from __future__ import annotations

import asyncio
import json
import random
import signal
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from qflow_contracts.mock import create_app
from qflow_contracts.mock.traffic import Delay, DelayMiddleware, parse_duration
from tests.mock.conftest import Refused, Served, running, stop_server


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("50ms", 0.05),
        ("0.05s", 0.05),
        ("50", 0.05),
        ("0", 0.0),
        (" 1.5 S ", 1.5),
        ("250MS", 0.25),
        (".5s", 0.5),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "ms", "-5ms", "5 m", "1e3", "nan", "inf", "5min", "61s", "60001"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_jitter_stays_within_the_latency() -> None:
    with pytest.raises(ValueError, match="jitter"):
        Delay(0.01, 0.02)
    with pytest.raises(ValueError):
        Delay(-0.01)
    delay, rng = Delay(0.05, 0.01), random.Random(7)
    draws = [delay.draw(rng) for _ in range(2000)]
    assert 0.04 <= min(draws) < 0.042 and 0.058 < max(draws) <= 0.06
    assert Delay(0.05).draw(rng) == 0.05


class InFlight:
    """Outside the delay: how many requests were inside it at the same time, at most."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.now = 0
        self.most = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def test_concurrent_requests_wait_side_by_side() -> None:
    """The delay is awaited, not slept: all eight requests are held back at once, on one event loop."""
    outer = InFlight(DelayMiddleware(create_app(prefix="/API"), Delay(0.2)))

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=outer)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver/API") as http:
            answers = await asyncio.gather(*(http.get(f"/Customers/{101 + i % 7}") for i in range(8)))
        return [answer.status_code for answer in answers]

    assert asyncio.run(burst()) == [200] * 8
    assert outer.most == 8


def test_every_request_is_counted_and_written_on_shutdown(tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    app = create_app(prefix="/API", api_key="k", stats_file=stats)
    with TestClient(app, base_url="http://testserver/API") as client:
        key = {"X-Api-Key": "k"}
        assert client.get("/Customers/101", headers=key).status_code == 200
        assert client.get("/Customers/999", headers=key).status_code == 404
        assert client.patch("/Customers", headers=key, json={"CustomerId": 101}).status_code == 200
        assert client.get("/Customers/101").status_code == 401
        assert client.post("/Customers", headers=key).status_code == 405
        assert app.state.counter.requests == 5
        assert not stats.exists()
    assert json.loads(stats.read_text(encoding="utf-8")) == {
        "requests": 5,
        "methods": {"GET": 3, "PATCH": 1, "POST": 1},
        "statuses": {"200": 2, "401": 1, "404": 1, "405": 1},
    }


def test_serve_with_latency_holds_each_answer_back_and_counts(tmp_path: Path) -> None:
    """Over real HTTP: each answer takes at least the latency, concurrent ones overlap, and SIGTERM
    writes the count."""
    stats = tmp_path / "stats.json"
    with running("--prefix", "/API", "--latency", "300ms", "--stats-file", str(stats)) as server:
        started = time.monotonic()
        assert httpx.get(f"{server.url}/Customers/101", timeout=10).status_code == 200
        assert time.monotonic() - started >= 0.3

        async def burst() -> float:
            limits = httpx.Limits(max_connections=8)
            async with httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as http:
                began = time.monotonic()
                answers = await asyncio.gather(*(http.get(f"/Customers/{101 + i % 7}") for i in range(8)))
                assert all(answer.status_code == 200 for answer in answers)
                return time.monotonic() - began

        # one after the other, eight answers would take at least 8 x 0.3 s
        assert 0.3 <= asyncio.run(burst()) < 8 * 0.3
        stop_server(server, signal.SIGTERM)
    assert json.loads(stats.read_text(encoding="utf-8"))["requests"] == 9


@pytest.mark.parametrize(
    "args",
    [
        ["--latency", "fast"],
        ["--latency=-5ms"],
        ["--latency", "2min"],
        ["--jitter", "10ms"],
        ["--latency", "10ms", "--jitter", "11ms"],
        ["--stats-file", "/nonexistent/dir/stats.json"],
    ],
)
def test_bad_traffic_options_exit_2_with_one_line(refused: Refused, args: list[str]) -> None:
    err = refused("serve", "--port", "0", *args)
    assert len(err.strip().splitlines()) == 1 and err.startswith("qflow-mock: "), err


def test_traffic_flags_reach_the_app(served: Served, tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    with served("--latency", "0.2s", "--jitter", "20", "--stats-file", str(stats)) as client:
        started = time.monotonic()
        assert client.get("/Customers/101").status_code == 200
        assert time.monotonic() - started >= 0.18
    assert json.loads(stats.read_text(encoding="utf-8"))["requests"] == 1
