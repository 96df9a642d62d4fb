"""A hostile stand-in for a vendor deployment, on loopback: the mock (`create_app`) behind an ASGI
wrapper that logs every request and can misbehave the way a production server does.

- `edit`: another user changes a given customer while the suite runs (after the N-th PATCH);
- `echo`: error pages quote the credential (whole, after its scheme, JSON-, URL- and XML-escaped,
  and once straddling the 600th character, where the suite cuts long answers);
- `silent_after`: the server stops answering after N requests (each later request hangs);
- `stall_at`: one request is answered late, once (a timeout mid-run);
- `defect`: one of the mock's deliberate bugs (`patch-wrong-record` writes a second record);
- `throttle_at` / `throttle_next`: answer chosen requests (by number) or the next N requests with
  429 or 503 and a Retry-After, as a gateway's rate limit does (nothing is stored);
- `mangle`: rewrite chosen answers' bodies (deeply nested JSON, a lone surrogate).

The server runs on a thread of the test process (uvicorn), so the tests read its log directly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import html
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from qflow_contracts.mock import create_app
from tests.suite.servers import ThreadServer, serve_app

KEY = 's3cr3t"T0k/Qz+9xW='
"""The credential: a quote and a slash, so its JSON, URL and XML forms differ from it."""
AUTH = f"Bearer {KEY}"
IDS = (101, 102, 103, 104)
WITNESS = 105
DISPLAY_LIMIT = 600


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    body: bytes
    at: float


@dataclass
class Edit:
    """Another user's PATCH, made before the N-th PATCH of the suite reaches the server."""

    customer_id: int
    changes: dict[str, Any]
    after_patches: int = 3
    done: bool = False


@dataclass
class Hostile:
    """The wrapper: the mock plus the misbehaviours switched on."""

    defect: str | None = None
    echo: bool = False
    silent_after: int | None = None
    stall_at: int | None = None
    """The first GET from the N-th request on is answered only after `stall_for` seconds, once."""
    stall_for: float = 0.0
    edit: Edit | None = None
    throttle_at: dict[int, tuple[int, str]] = field(default_factory=dict)
    """Request number (1-based) -> (status, Retry-After value) answered instead of the mock's
    (`date+N`: an HTTP date N seconds after the answer)."""
    throttle_next: int = 0
    """The next this many requests are answered 429 with `Retry-After: 1`."""
    throttled: list[tuple[Seen, int, str]] = field(default_factory=list)
    mangle: Callable[[Seen, bytes], bytes | None] | None = None
    """Called with each answer's body: a replacement, or None to keep it."""
    log: list[Seen] = field(default_factory=list)
    answers: list[tuple[Seen, int, bytes]] = field(default_factory=list)
    server: ThreadServer | None = field(default=None, repr=False)
    """The server it runs on, once `serve` started it."""

    def __post_init__(self) -> None:
        self.inner = create_app(prefix="/API", api_key=KEY, defect=self.defect)
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)

    @property
    def patches(self) -> int:
        return sum(1 for seen in self.log if seen.method == "PATCH")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        seen = Seen(
            scope["method"],
            scope["raw_path"].decode(),
            scope["query_string"].decode(),
            body,
            time.monotonic(),
        )
        with self._seen:
            self.log.append(seen)
            count = len(self.log)
            self._seen.notify_all()
        if self.silent_after is not None and count > self.silent_after:
            await asyncio.sleep(3600)  # no answer, ever
            return
        throttle = self.throttle_at.get(count)
        if throttle is None and self.throttle_next > 0:
            self.throttle_next -= 1
            throttle = (429, "1")
        if throttle is not None:
            await self._throttle(send, seen, *throttle)
            return
        if self.stall_at is not None and count >= self.stall_at and seen.method == "GET":
            self.stall_at = None
            await asyncio.sleep(self.stall_for)
        if (
            self.edit is not None
            and not self.edit.done
            and seen.method == "PATCH"
            and self.patches >= self.edit.after_patches
        ):
            self.edit.done = True
            await self._other_user(self.edit)
        if self.echo and seen.method == "GET" and not seen.path.rstrip("/").split("/")[-1].isdigit():
            payload = await self._echo(send)
            with self._lock:
                self.answers.append((seen, 500, payload))
            return

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        answer: dict[str, Any] = {"status": 0, "body": b"", "start": None}

        async def keep(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                if self.mangle is not None:
                    answer["start"] = message
                    return
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if self.mangle is not None:
                    if not message.get("more_body", False):
                        await self._mangled(send, seen, answer)
                    return
            await send(message)

        await self.inner(scope, replay, keep)
        with self._lock:
            self.answers.append((seen, int(answer["status"]), bytes(answer["body"])))

    async def _mangled(self, send: Any, seen: Seen, answer: dict[str, Any]) -> None:
        assert self.mangle is not None
        replaced = self.mangle(seen, bytes(answer["body"]))
        if replaced is not None:
            answer["body"] = replaced
        start = dict(answer["start"])
        start["headers"] = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        start["headers"].append((b"content-length", str(len(answer["body"])).encode()))
        await send(start)
        await send({"type": "http.response.body", "body": answer["body"]})

    async def _throttle(self, send: Any, seen: Seen, status: int, retry_after: str) -> None:
        """Answer a throttle; `date+N` sends an HTTP date N seconds from now."""
        if retry_after.startswith("date+"):
            when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=int(retry_after[5:]))
            retry_after = email.utils.format_datetime(when, usegmt=True)
        payload = b'{"Message": "Too many requests"}'
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(payload)).encode()),
            (b"retry-after", retry_after.encode()),
        ]
        with self._lock:
            self.throttled.append((seen, status, retry_after))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _other_user(self, edit: Edit) -> None:
        transport = httpx.ASGITransport(app=self.inner)
        async with httpx.AsyncClient(transport=transport, base_url="http://deployment") as other:
            body = {"CustomerId": edit.customer_id, **edit.changes}
            answer = await other.patch("/API/Customers", json=body, headers={"X-Api-Key": KEY})
            assert answer.status_code == 200, answer.text

    async def _echo(self, send: Any) -> bytes:
        """A 500 error page that quotes the request's credential in every form."""
        start = '{"Message": "'
        pad = "x" * (DISPLAY_LIMIT - len(start) - 6)
        document = {
            "Message": pad + KEY + " (the header, cut by a display limit)",
            "ExceptionMessage": f"Authorization: {AUTH}; token {KEY}",
            "Url": urllib.parse.quote(KEY, safe=""),
            "Xml": html.escape(KEY),
        }
        payload = json.dumps(document).encode()
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(payload)).encode()),
        ]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        return payload

    # ---- what the tests read ---------------------------------------------------------------------

    def wait_until(self, condition: Callable[[Hostile], bool], what: str, timeout: float = 120) -> None:
        """Return as soon as `condition` holds, checked at each request received; fail after `timeout`."""
        with self._seen:
            if not self._seen.wait_for(lambda: condition(self), timeout=timeout):
                raise AssertionError(f"never happened within {timeout:g} s: {what}")

    def gets(self) -> list[Seen]:
        return [seen for seen in self.log if seen.method == "GET"]

    def busiest_second(self) -> int:
        times = sorted(seen.at for seen in self.log)
        best, low = 0, 0
        for high, at in enumerate(times):
            while at - times[low] > 1.0:
                low += 1
            best = max(best, high - low + 1)
        return best


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """`app` on a free port of 127.0.0.1 in a thread: its base URL (under /API). A `Hostile` app is
    told its server, so a test can wait until the server holds no connection."""
    with serve_app(app, lifespan="off") as (url, server):
        if isinstance(app, Hostile):
            app.server = server
        yield url


def records(url: str, ids: tuple[int, ...] = (*IDS, WITNESS, 106, 107)) -> dict[int, bytes]:
    """Each customer's answer, byte for byte, read straight from the server."""
    found = {}
    for cid in ids:
        request = urllib.request.Request(f"{url}/Customers/{cid}", headers={"X-Api-Key": KEY})
        with urllib.request.urlopen(request, timeout=10) as response:
            found[cid] = response.read()
    return found


def same_records(before: dict[int, bytes], after: dict[int, bytes]) -> list[str]:
    """What differs: every property compared as read, DOB by calendar date."""
    differences = []
    for cid, raw in before.items():
        one, two = json.loads(raw), json.loads(after[cid])
        for name, value in one.items():
            other = two.get(name)
            if name == "DOB" and isinstance(value, str) and isinstance(other, str):
                if value[:10] != other[:10]:
                    differences.append(f"{cid}.{name}")
            elif value != other:
                differences.append(f"{cid}.{name}")
    return differences
