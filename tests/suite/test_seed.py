"""`--seed N` replays a run: two runs with the same seed send the same requests, Schemathesis'
cases included (its seed is the run's), compared in the server's own request log."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from qflow_contracts.mock import create_app
from tests.suite.servers import CUSTOMER_IDS, serve_app

BIN = Path(sys.executable).parent


class Logged:
    """An ASGI app that logs every request it receives (method, path and query, body)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log: list[tuple[str, str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        messages: list[Any] = []
        while True:
            message = await receive()
            messages.append(message)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        target = scope["path"] + ("?" + scope["query_string"].decode() if scope["query_string"] else "")
        self.log.append((scope["method"], target, b"".join(chunks)))

        async def replay() -> Any:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        await self.app(scope, replay, send)


def _run(url: str, tmp_path: Path, name: str, seed: str) -> None:
    ids = [arg for cid in CUSTOMER_IDS[:3] for arg in ("--customer-id", str(cid))]
    result = subprocess.run(
        [str(BIN / "qflow-contracts"), "run", "--base-url", url, *ids, "--seed", seed,
         "--rate-limit", "1000", "--max-examples", "2", "--journal", str(tmp_path / f"{name}.jsonl")],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-1000:]


def test_the_same_seed_sends_the_same_requests_schemathesis_included(tmp_path: Path) -> None:
    app = Logged(create_app(prefix="/API"))
    with serve_app(app) as (url, _):
        _run(url, tmp_path, "one", "7")
        first = list(app.log)
        app.log.clear()
        _run(url, tmp_path, "two", "7")
        second = list(app.log)
        app.log.clear()
        _run(url, tmp_path, "three", "8")
        other = list(app.log)
    # side-by-side reads may arrive in another order: the same requests, as many times each
    assert Counter(first) == Counter(second)
    assert Counter(first) != Counter(other)  # the seed is what decides them
    queries = [target for method, target, _ in first if method == "GET" and "?" in target]
    assert queries  # Schemathesis' drawn lookups are among the requests compared
