"""Stand-in deployments that break what the restore must prove, on loopback: the mock
(`create_app`) behind an ASGI wrapper.

- `Clearing`: a PATCH clears (sets to null) every property it was not sent, as a server that maps
  the body onto a fresh entity does; its answer shows the cleared record (contract rule 5 broken).
- `Cached`: an output cache in front of GET that a PATCH does not invalidate; it either honours
  `Cache-Control: no-cache` / `Pragma: no-cache` (then asks the server again) or ignores it.

`truth` reads the store behind the wrapper, byte for byte as the server would answer, with no
cache in the way.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from qflow_contracts.mock import create_app
from tests.suite.hostile import KEY


async def _body(receive: Any) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


def sent_names(content_type: str, body: bytes) -> set[str] | None:
    """The property names (lower case) a PATCH body sends, None when it cannot be read."""
    text = body.decode("utf-8", "replace")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {key.partition("[")[0].lower() for key, _ in urllib.parse.parse_qsl(text)}
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return {str(key).lower() for key in document} if isinstance(document, dict) else None


@dataclass
class _Wrapper:
    """The mock with an API key, and its store."""

    fixtures: Any = None
    key: str = KEY

    def __post_init__(self) -> None:
        self.inner = create_app(prefix="/API", api_key=self.key, fixtures=self.fixtures)
        self.api = self.inner.state.api
        self.lock = threading.Lock()

    def truth(self, cid: int) -> bytes:
        """Customer `cid` as the server stores it, encoded as it answers (no cache in the way)."""
        return bytes(orjson.dumps(self.api.store.get(cid)))

    async def forward(
        self, scope: dict[str, Any], body: bytes, send: Any
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """Send the request to the mock; its answer (status, headers, body), not yet sent on."""
        answer: dict[str, Any] = {"status": 0, "headers": [], "body": b""}

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.inner(scope, replay, keep)
        return int(answer["status"]), answer["headers"], bytes(answer["body"])

    @staticmethod
    async def answer(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Clearing(_Wrapper):
    """A PATCH that took clears every property it was not sent (the identity excepted)."""

    cleared: list[tuple[int, str]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        body = await _body(receive)
        status, headers, content = await self.forward(scope, body, send)
        if scope["method"] == "PATCH" and status == 200:
            content_type = dict(scope["headers"]).get(b"content-type", b"").decode()
            sent = sent_names(content_type, body)
            record = json.loads(content)
            if sent is not None and isinstance(record, dict):
                with self.lock:
                    stored = dict(self.api.store.get(record["CustomerId"]))
                    for name in self.api.updatable:
                        if name.lower() not in sent and stored[name] is not None:
                            stored[name] = None
                            self.cleared.append((record["CustomerId"], name))
                    self.api.store.put([stored])
                content = bytes(orjson.dumps(stored))
        await self.answer(send, status, headers, content)


@dataclass
class Cached(_Wrapper):
    """An output cache in front of GET, keyed by path and query, never invalidated by PATCH.
    Switched on by `on`; `honours_no_cache` decides whether a request's no-cache asks the server."""

    honours_no_cache: bool = True
    on: bool = True
    cache: dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]] = field(default_factory=dict)
    hits: int = 0
    bypassed: int = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        body = await _body(receive)
        key = scope["raw_path"].decode() + "?" + scope["query_string"].decode()
        if scope["method"] == "GET" and self.on:
            headers = {k.lower(): v.lower() for k, v in scope["headers"]}
            fresh = b"no-cache" in headers.get(b"cache-control", b"") or headers.get(b"pragma") == b"no-cache"
            if key in self.cache and not (fresh and self.honours_no_cache):
                self.hits += 1
                await self.answer(send, *self.cache[key])
                return
            self.bypassed += key in self.cache
            answer = await self.forward(scope, body, send)
            if answer[0] == 200:
                self.cache[key] = answer
            await self.answer(send, *answer)
            return
        await self.answer(send, *await self.forward(scope, body, send))
