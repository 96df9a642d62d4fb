"""Mock servers in this process for the engine's tests, and a run of the machine against one."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn
from qflow_client import Client

from qflow_contracts.mock import create_app
from qflow_contracts.mock.app import Platform
from qflow_contracts.mock.fixtures import load_fixtures
from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.machine import run_machine
from qflow_contracts.suite.target import Target

CUSTOMER_IDS = tuple(customer["CustomerId"] for customer in load_fixtures().customers)
APIS: dict[str, Any] = {}
"""Each running mock's `CustomersApi`, by base URL (tests may change its answers)."""
APPS: dict[str, Any] = {}
"""Each running mock's ASGI app, by base URL (`connect` hands it the requests in this thread)."""
_LOOPS = threading.local()


class InProcess(httpx.BaseTransport):
    """An httpx transport that hands each request to an ASGI app in the calling thread, as uvicorn
    would once it has read the request off a socket, and answers what uvicorn answers when the app
    raises. The machine's runs go through it: the loopback socket and the server thread cost about
    as much as the machine itself, and what they do is checked over real HTTP elsewhere (every
    run of the runner's tests, the mock's own tests)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @staticmethod
    def _loop() -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = getattr(_LOOPS, "loop", None)
        if loop is None:
            loop = _LOOPS.loop = asyncio.new_event_loop()
        return loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Call the app with the request; its answer as an httpx response."""
        body = request.read()
        raw_path = request.url.raw_path.split(b"?", 1)[0]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": request.url.scheme,
            "path": urllib.parse.unquote(raw_path.decode("ascii")),
            "raw_path": raw_path,
            "query_string": request.url.query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (request.url.host, request.url.port),
            "state": {},
        }
        received, done = False, False
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:
                return {"type": "http.disconnect"}
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal done
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                done = not message.get("more_body", False)

        try:
            self._loop().run_until_complete(self.app(scope, receive, send))
        except Exception as error:
            # an answer sent in full stands (Starlette sends its 500, then raises); uvicorn drops the
            # connection of an answer the app broke off, and answers 500 when it had not started one
            if start and not done:
                raise httpx.RemoteProtocolError(f"the app raised {error!r}", request=request) from error
            if not start:
                return self._internal_error(request)
        else:
            if not start:  # the app returned without answering
                return self._internal_error(request)
        return httpx.Response(
            start["status"], headers=start.get("headers", []), content=b"".join(chunks), request=request
        )

    @staticmethod
    def _internal_error(request: httpx.Request) -> httpx.Response:
        """uvicorn's answer when the app answered nothing."""
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        return httpx.Response(500, headers=headers, content=b"Internal Server Error", request=request)


class ThreadServer(uvicorn.Server):
    """uvicorn on a thread of this process, which says when it is up and when it holds no connection."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then tell the waiting test (also when the start failed)."""
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Whether every connection to the server is closed (and its last request handled) within
        `timeout` seconds: once a client process is gone, the kernel closes its sockets."""
        deadline = time.monotonic() + timeout
        while self.server_state.connections:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True


@contextmanager
def serve_app(app: Any, *, lifespan: Literal["on", "off"] = "on") -> Iterator[tuple[str, ThreadServer]]:
    """`app` on a free port of 127.0.0.1 in a thread of this process: its base URL (under /API) and
    the server, once it is ready to answer."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan=lifespan, timeout_graceful_shutdown=1)
    server = ThreadServer(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert server.ready.wait(timeout=30) and server.started, "the server in a thread did not start"
        yield f"http://127.0.0.1:{port}/API", server
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def mock_server(
    defect: str | None = None,
    *,
    api_key: str | None = None,
    lenient: bool = False,
    fixtures: Path | None = None,
    platform: Platform | None = None,
) -> Iterator[str]:
    """The mock under /API in a thread of this process, on a free port of 127.0.0.1: its base URL."""
    app = create_app(
        prefix="/API", defect=defect, api_key=api_key, lenient=lenient, fixtures=fixtures, platform=platform
    )
    with serve_app(app) as (url, _):
        APIS[url], APPS[url] = app.state.api, app
        try:
            yield url
        finally:
            APIS.pop(url, None)
            APPS.pop(url, None)


def mock_server_api(url: str) -> Any:
    """The `CustomersApi` of the mock serving `url`."""
    return APIS[url]


def connect(
    base_url: str, headers: dict[str, str] | None = None, transport: httpx.BaseTransport | None = None
) -> Client:
    """A generated client for `base_url`, as the runner's `client` fixture builds it; to a mock of
    `mock_server` without a `transport`, through `InProcess`."""
    if transport is None and base_url in APPS:
        transport = InProcess(APPS[base_url])
    client = Client(base_url=base_url, headers=headers or {}, timeout=httpx.Timeout(10.0))
    if transport is not None:
        client.set_httpx_client(
            httpx.Client(base_url=base_url, headers=headers or {}, transport=transport, timeout=10.0)
        )
    return client


def read_originals(client: Client, ids: tuple[int, ...]) -> dict[int, dict[str, Any]]:
    """Each customer as first read by GET, as the runner's `originals` fixture holds them."""
    http = client.get_httpx_client()
    return {cid: http.get(f"Customers/{cid}").json() for cid in ids}


def run(
    base_url: str,
    *,
    owned: bool = True,
    read_only: bool = False,
    strict: bool = False,
    seed: int | None = 1,
    max_examples: int = 4,
    steps: int = 10,
    ids: tuple[int, ...] = CUSTOMER_IDS,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Evidence:
    """Run the machine against `base_url`: the ledger it filled."""
    target = Target(
        base_url=base_url,
        customer_ids=ids,
        headers=headers or {},
        owned=owned,
        read_only=read_only,
        strict=strict,
        seed=seed,
        max_examples=max_examples,
    )
    client = connect(base_url, headers, transport)
    evidence = Evidence()
    run_machine(target, client, read_originals(client, ids), evidence, stateful_step_count=steps)
    return evidence


def rules_failed(evidence: Evidence) -> set[str]:
    """The ids of the rules the ledger has a finding for."""
    return {finding.rule.id for finding in evidence.findings()}


def describe(evidence: Evidence) -> str:
    """The findings, one line each, for an assertion message."""
    return "\n".join(f"[{f.rule.id}] {f.key}: {f.summary}" for f in evidence.findings()) or "no finding"


class Recorder(httpx.BaseTransport):
    """An httpx transport that keeps every request, then sends it: to a mock of `mock_server` through
    `InProcess`, to any other server over HTTP."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Keep the request, then send it."""
        request.read()
        self.requests.append(request)
        for base, app in APPS.items():
            if str(request.url).startswith(base + "/"):
                return InProcess(app).handle_request(request)
        return self.inner.handle_request(request)
