"""A slow link in front of a stand-in deployment: a TCP proxy on loopback that passes each request
to the server behind it and, once `trickling` is set, sends the answer back one byte at a time,
`interval` seconds apart, headers first, as a congested or hostile link does. Every read of such an
answer arrives well within any per-read timeout; only a deadline per exchange ends it."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Trickle:
    """The proxy's switches and what it saw."""

    upstream: tuple[str, int]
    interval: float = 0.5
    trickling: bool = False
    requests: int = 0
    trickled: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, client: socket.socket) -> None:
        """Serve one connection: request by request until the client closes it."""
        with client:
            client.settimeout(60)
            pending = b""
            while not self._stop.is_set():
                head, pending = _read_head(client, pending)
                if head is None:
                    return
                length = _content_length(head)
                while len(pending) < length:
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    pending += chunk
                body, pending = pending[:length], pending[length:]
                answer = self._forward(head, body)
                with self._lock:
                    self.requests += 1
                    slow = self.trickling
                    self.trickled += slow
                try:
                    if slow:
                        for index in range(len(answer)):
                            if self._stop.wait(self.interval):
                                return
                            client.sendall(answer[index : index + 1])
                    else:
                        client.sendall(answer)
                except OSError:
                    return
                if b"connection: close" in answer.split(b"\r\n\r\n", 1)[0].lower():
                    return

    def _forward(self, head: bytes, body: bytes) -> bytes:
        """The upstream's whole answer to one request (sent with `Connection: close`)."""
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        request = b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body
        with socket.create_connection(self.upstream, timeout=60) as upstream:
            upstream.sendall(request)
            chunks = []
            while True:
                chunk = upstream.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        answer = b"".join(chunks)
        # keep the client's connection open: drop the upstream's "Connection: close"
        top, _, rest = answer.partition(b"\r\n\r\n")
        kept = [line for line in top.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        return b"\r\n".join(kept) + b"\r\n\r\n" + rest

    def stop(self) -> None:
        self._stop.set()


def _read_head(client: socket.socket, pending: bytes) -> tuple[bytes | None, bytes]:
    while b"\r\n\r\n" not in pending:
        try:
            chunk = client.recv(65536)
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        pending += chunk
    head, _, rest = pending.partition(b"\r\n\r\n")
    return head, rest


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


@contextmanager
def trickle_proxy(url: str, interval: float = 0.5) -> Iterator[tuple[Trickle, str]]:
    """A proxy in front of `url` (`http://127.0.0.1:PORT/API`): the switches, and its own base URL."""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    proxy = Trickle((host, int(port)), interval=interval)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)

    def accept() -> None:
        while not proxy._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=proxy.handle, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield proxy, f"http://127.0.0.1:{listener.getsockname()[1]}/API"
    finally:
        proxy.stop()
        thread.join(timeout=5)
        with contextlib.suppress(OSError):
            listener.close()
