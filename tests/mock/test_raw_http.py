"""Bytes no HTTP client library would send, over a real socket: still never a 5xx."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.mock.conftest import Server, running

REQUESTS = [
    b"GET /API/Customers/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /API/Customers/%F0%9F%98%80?idType=%ff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /API/Customers/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /API/Customers/101?idTypeExtRef=%ed%a0%80&idType=1&idType=x HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PATCH /API/Customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n"
    b'{"a":',
    b"PATCH /API/Customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"Cus\r\n0\r\n\r\n',
    b"PATCH /API/Customers HTTP/1.1\r\nHost: x\r\nContent-Type: \xff\xfe\r\nContent-Length: 2\r\n\r\n{}",
    b"PATCH /API/Customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 2\r\n\r\n\xff\xfe",
    b"PATCH /API/Customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 12\r\n\r\nCustomerId=\xff",
    b"PATCH /API/Customers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 99999999999\r\n\r\n{}",
    b"BREW /API/Customers HTTP/1.1\r\nHost: x\r\n\r\n",
]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running("--prefix", "/API") as live:
        yield live


def _status(server: Server, raw: bytes) -> int:
    host, port = server.url.split("//", 1)[1].split("/", 1)[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ", 2)[1])


@pytest.mark.parametrize("raw", REQUESTS)
def test_odd_bytes_get_4xx(server: Server, raw: bytes) -> None:
    assert 400 <= _status(server, raw) < 500


def test_the_server_still_answers(server: Server) -> None:
    assert _status(server, b"GET /API/Customers/101 HTTP/1.1\r\nHost: x\r\n\r\n") == 200
    odd_accept = b"GET /API/Customers/101 HTTP/1.1\r\nHost: x\r\nAccept: \xff text/json;q=\xff\r\n\r\n"
    assert _status(server, odd_accept) == 200
