"""The transport's and the run's safety in small (issue 20 items 4 to 7): the deadline per exchange
on real sockets, throttles and Retry-After, hostile answers, the lock, the base URL's userinfo, a
record withheld whatever the status, and the command-line credential warning."""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from qflow_contracts.cli import main
from qflow_contracts.config import ConfigError, has_userinfo, settings
from qflow_contracts.suite.answers import MAX_DEPTH, depth, screen
from qflow_contracts.suite.deadline import DeadlineTransport
from qflow_contracts.suite.errors import DeadlineReached, Unavailable
from qflow_contracts.suite.guard import Guard
from qflow_contracts.suite.http import Pacer, SafeTransport
from qflow_contracts.suite.journal import Journal, state_folder
from qflow_contracts.suite.lifecycle import SetupError, open_run, preflight
from qflow_contracts.suite.model import load_facts
from qflow_contracts.suite.policy import Policy as MachinePolicy
from qflow_contracts.suite.runlock import Locked, RunLock, lock_folder
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.throttle import MAX_WAIT, SLOWEST_INTERVAL, retry_after, throttle_wait

# ---- a deadline per exchange ---------------------------------------------------------------------


def _trickling_server(interval: float) -> Iterator[int]:
    """A socket server that answers every request with headers sent one byte per `interval` s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with client:
                client.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}":
                    if stop.wait(interval):
                        return
                    try:
                        client.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture
def trickling() -> Iterator[int]:
    yield from _trickling_server(0.2)


def test_headers_trickling_byte_by_byte_end_at_the_exchanges_deadline(trickling: int) -> None:
    transport = SafeTransport(
        rate_limit=None,
        request_timeout=1.0,
        max_answer_bytes=1024,
        inner=DeadlineTransport(httpx.Limits(max_connections=1)),
    )
    started = time.monotonic()
    with httpx.Client(transport=transport) as http, pytest.raises(Unavailable, match="no answer within 1 s"):
        http.get(f"http://127.0.0.1:{trickling}/API/Customers/1")
    # 40 bytes at 0.2 s each would take 8 s; every read arrives well within the 1 s timeout
    assert time.monotonic() - started < 2.5


# ---- signals ------------------------------------------------------------------------------------


def test_a_signal_arriving_while_a_line_is_printed_is_no_traceback(tmp_path: Path) -> None:
    """A second signal whose handler runs while the first one's line is being written to the same
    buffered stream: printing there again would raise "reentrant call" (a traceback, not exit 130)."""
    terminal = os.open(tmp_path / "terminal", os.O_WRONLY | os.O_CREAT, 0o600)
    fired: list[bool] = []

    class Raw(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            if not fired:
                fired.append(True)  # the second signal arrives now, mid-write
                run._on_signal(signal.SIGINT, None)
            return len(data)

        def fileno(self) -> int:
            return terminal

    out = io.TextIOWrapper(io.BufferedWriter(Raw()), line_buffering=True)
    run = open_run(Target(base_url="http://h/API", customer_ids=(1,)), out=out)
    run.install_signals()
    try:
        run.signum = signal.SIGINT  # the first signal was received: its line is being printed
        run.say("qflow-contracts: SIGINT received: stopping, then restoring")
    finally:
        run.uninstall_signals()
        os.close(terminal)
    assert fired
    assert "SIGINT received: finishing the restore first" in (tmp_path / "terminal").read_text()


def test_every_signal_that_ends_a_run_politely_is_handled_and_core_dumps_are_off() -> None:
    import resource

    run = open_run(Target(base_url="http://h/API", customer_ids=(1,)), out=io.StringIO())
    try:
        run.install_signals()
        for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"):
            assert signal.getsignal(getattr(signal, name)) == run._on_signal, name
        assert resource.getrlimit(resource.RLIMIT_CORE) == (0, 0)
    finally:
        run.uninstall_signals()


def test_the_restore_never_goes_through_a_connection_the_signal_left_half_way() -> None:
    """A signal's exception is raised wherever the main thread is, inside httpcore too: a pooled
    connection may be left half-way through an exchange (CI saw h11's `assert writer is not None`,
    a traceback instead of the restore). The restore gets a pool of its own."""
    import http.server

    class Answer(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/API/Customers/1"
    transport = SafeTransport(rate_limit=None, request_timeout=5.0, max_answer_bytes=1024)
    try:
        with httpx.Client(transport=transport) as client:
            assert client.get(url).status_code == 200
            interrupted = transport.inner

            def left_half_way(request: httpx.Request) -> httpx.Response:
                raise AssertionError("a connection left half-way through an exchange")

            interrupted.handle_request = left_half_way  # type: ignore[method-assign]
            transport.stop(KeyboardInterrupt("SIGQUIT"))
            transport.restoring()
            assert client.get(url).status_code == 200
            assert transport.inner is not interrupted
    finally:
        server.shutdown()
        server.server_close()


def test_a_signal_during_an_exchange_stops_the_run_once_the_exchange_is_settled() -> None:
    """The handler only stops the transport while the main thread is inside an exchange (an
    exception raised inside httpcore can leave a lock held: the run then hangs, no restore); the
    transport raises the stop once the answer is read and settled, and nothing is sent after it."""
    run = open_run(Target(base_url="http://h/API", customer_ids=(1,)), out=io.StringIO())
    sent: list[str] = []
    settled: list[bool] = []

    class Signalled(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append(request.url.path)
            if len(sent) == 1:
                assert run.transport.shielded
                run._on_signal(signal.SIGTERM, None)
                settled.append(True)  # no exception inside the exchange: it goes on to its answer
            return httpx.Response(200, json={"CustomerId": 1}, request=request)

    transport = SafeTransport(rate_limit=None, request_timeout=5.0, max_answer_bytes=1024, inner=Signalled())
    run.transport = transport
    with httpx.Client(transport=transport) as client:
        with pytest.raises(KeyboardInterrupt):
            client.get("http://h/API/Customers/1")
        assert not transport.shielded and run.signum == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            client.get("http://h/API/Customers/1")
    assert sent == ["/API/Customers/1"] and settled
    with pytest.raises(KeyboardInterrupt):  # outside an exchange the handler raises at once
        open_run(Target(base_url="http://h/API", customer_ids=(1,)), out=io.StringIO())._on_signal(
            signal.SIGTERM, None
        )


# ---- throttles -----------------------------------------------------------------------------------


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = dt.datetime(2026, 12, 2, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after("7") == 7.0
    assert retry_after(email.utils.format_datetime(now + dt.timedelta(seconds=12), usegmt=True), now) == 12.0
    assert retry_after(email.utils.format_datetime(now - dt.timedelta(seconds=5), usegmt=True), now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None and retry_after("") is None


def test_what_counts_as_a_throttle() -> None:
    assert throttle_wait(429, "3", 1) == 3.0
    assert throttle_wait(429, None, 1) == 1.0 and throttle_wait(429, None, 3) == 4.0
    assert throttle_wait(503, "2", 1) == 2.0
    assert throttle_wait(503, None, 1) is None  # a server error, for the checks to judge
    assert throttle_wait(200, "2", 1) is None and throttle_wait(500, "2", 1) is None


def _throttling(answers: list[httpx.Response], **kwargs: Any) -> tuple[SafeTransport, list[float]]:
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        return answers.pop(0) if answers else httpx.Response(200, json={"CustomerId": 1})

    options: dict[str, Any] = {"rate_limit": 100, "request_timeout": 5, "max_answer_bytes": 1024}
    transport = SafeTransport(**{**options, **kwargs}, inner=httpx.MockTransport(handler))
    return transport, sent


def test_a_throttled_request_waits_is_sent_again_and_the_pace_halves() -> None:
    transport, sent = _throttling(
        [httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(503, headers={"Retry-After": "0"})]
    )
    with httpx.Client(transport=transport) as http:
        answer = http.get("http://h/API/Customers/1")
    assert answer.status_code == 200 and len(sent) == 3
    assert sent[1] - sent[0] >= 0.95
    assert transport.traffic.throttled == 2 and transport.traffic.waited == pytest.approx(1.0)
    assert transport.pacer.rate == pytest.approx(25.0)  # 100, halved twice


def test_a_throttle_asking_too_much_is_unavailable_never_a_finding() -> None:
    transport, _ = _throttling([httpx.Response(429, headers={"Retry-After": str(int(MAX_WAIT) + 1)})])
    with httpx.Client(transport=transport) as http, pytest.raises(Unavailable, match="Retry-After"):
        http.get("http://h/API/Customers/1")
    assert transport.stopped is not None
    transport, _ = _throttling([httpx.Response(429, headers={"Retry-After": "0"})] * 10)
    with httpx.Client(transport=transport) as http, pytest.raises(Unavailable, match="in a row"):
        http.get("http://h/API/Customers/1")


def test_a_throttle_past_the_deadline_stops_the_run_and_past_the_restores_time_the_restore() -> None:
    transport, _ = _throttling(
        [httpx.Response(429, headers={"Retry-After": "20"})], deadline=time.monotonic() + 5
    )
    with httpx.Client(transport=transport) as http, pytest.raises(DeadlineReached, match="--max-time"):
        http.get("http://h/API/Customers/1")
    transport, _ = _throttling([httpx.Response(429, headers={"Retry-After": "20"})], restore_time=5)
    transport.restoring()
    with httpx.Client(transport=transport) as http, pytest.raises(DeadlineReached, match="restore"):
        http.get("http://h/API/Customers/1")


def test_halving_the_pace_stops_at_the_slowest() -> None:
    pacer = Pacer(10)
    for _ in range(20):
        pacer.slow()
    assert pacer.interval == SLOWEST_INTERVAL
    unpaced = Pacer(None)
    unpaced.slow()
    assert unpaced.rate == pytest.approx(10.0)


# ---- hostile answers -----------------------------------------------------------------------------


def test_deep_nesting_is_replaced_by_a_readable_stand_in() -> None:
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    assert depth(deep) > MAX_DEPTH
    content, problem = screen(deep)
    assert problem is not None and problem.kind == "depth" and "Message" in json.loads(content)
    brackets_in_a_string = json.dumps({"Notes": "[" * 500, "CustomProperties": {"k": "v"}}).encode()
    assert screen(brackets_in_a_string) == (brackets_in_a_string, None)


def test_a_lone_surrogate_is_read_as_a_replacement_character() -> None:
    content, problem = screen(b'{"CustomerId": 1, "Notes": "a\\ud800b", "FirstName": "\\ud83d\\ude00"}')
    assert problem is not None and problem.kind == "surrogate" and "1 string" in problem.text
    record = json.loads(content)
    assert record["Notes"] == "a\ufffdb" and record["FirstName"] == "\U0001f600"
    content.decode("utf-8")  # encodable: nothing downstream breaks on it
    pair = b'{"Notes": "\\ud83d\\ude00"}'
    assert screen(pair) == (pair, None)


def test_a_hostile_answer_goes_through_the_transport_as_a_finding() -> None:
    seen: list[str] = []
    transport = SafeTransport(
        rate_limit=None,
        request_timeout=5,
        max_answer_bytes=1 << 20,
        on_malformed=lambda request, problem: seen.append(problem.kind),
        inner=httpx.MockTransport(lambda request: httpx.Response(200, content=b"[" * 3000 + b"]" * 3000)),
    )
    with httpx.Client(transport=transport) as http:
        answer = http.get("http://h/API/Customers/1")
    assert seen == ["depth"] and "Message" in answer.json()


# ---- a record withheld whatever the status ------------------------------------------------------


def test_a_non_2xx_answer_quoting_another_customers_record_is_withheld() -> None:
    policy = Guard(base_path="/API", readable=frozenset({101}), patchable=frozenset({101}))
    request = httpx.Request("PATCH", "http://h/API/Customers", json={"CustomerId": 101})
    clash = json.dumps({"Message": "conflict", "Existing": {"CustomerId": 102, "Notes": "a medical note"}})
    stand_in = policy.withhold(request, 409, clash.encode())
    assert stand_in is not None and b"medical" not in stand_in and b"102" in stand_in
    plain = json.dumps({"Message": "The request is invalid.", "ModelState": {"customer.Sex": ["bad"]}})
    assert policy.withhold(request, 400, plain.encode()) is None
    own = json.dumps({"CustomerId": 101, "CustomProperties": {"CustomerId": "102"}})  # the customer's data
    assert policy.withhold(request, 200, own.encode()) is None


# ---- one run at a time ---------------------------------------------------------------------------


def test_a_customer_locked_by_one_run_refuses_another_until_released(tmp_path: Path) -> None:
    journal = tmp_path / "one.jsonl"
    first = RunLock(tmp_path / "locks", "http://h/API", (101, 102), (105,), journal).acquire()
    with pytest.raises(Locked) as refused:
        RunLock(tmp_path / "locks", "HTTP://H/API/", (102,), (), tmp_path / "two.jsonl").acquire()
    assert "customer 102 of HTTP://H/API/ is in use by another run" in str(refused.value)
    assert f"(pid {os.getpid()}, journal {journal})" in str(refused.value)
    # another deployment, or sharing only a witness, is no clash
    RunLock(tmp_path / "locks", "http://other/API", (102,), ()).acquire().release()
    RunLock(tmp_path / "locks", "http://h/API", (103,), (105,)).acquire().release()
    first.release()
    again = RunLock(tmp_path / "locks", "http://h/API", (102,), (), tmp_path / "two.jsonl").acquire()
    assert again.previous == {102: journal}  # the last run's journal, to check it was finished
    again.release()


# ---- credentials on the command line --------------------------------------------------------------


def test_userinfo_in_a_base_url_is_refused_and_never_echoed() -> None:
    assert has_userinfo("http://user:pass@host/API") and has_userinfo("https://token@host")
    assert not has_userinfo("http://host:8080/API?next=a@b") and not has_userinfo("http://host/API/a@b")
    with pytest.raises(ConfigError) as error:
        settings({"base_url": "http://user:s3cret-pw@host/API", "customer_ids": ["1"]}, environ={})
    assert "--header-env" in str(error.value) and "s3cret" not in str(error.value)


def test_a_header_given_on_the_command_line_is_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--header", "Authorization: Bearer abcdefgh", "--max-examples", "0"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 2
    assert "use --header-env" in lines[0] and "abcdefgh" not in lines[0]


def _killed_runs_journal(path: Path, base_url: str, ids: tuple[int, ...]) -> None:
    journal = Journal(path)
    journal.start(base_url, ids, ())
    for cid in ids:
        journal.original(cid, {"CustomerId": cid, "Notes": "before"}, b"{}")
    journal.change("application/json", json.dumps({"CustomerId": ids[0], "Notes": "run's"}).encode())
    journal.close()


def test_an_unfinished_journal_refuses_the_run_before_any_request_and_lets_go_of_the_locks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    old = state_folder() / "run-old.jsonl"
    _killed_runs_journal(old, "http://127.0.0.1:9/API", (1, 2))

    def refusal(**kwargs: Any) -> str:
        target = Target(base_url="http://127.0.0.1:9/API", journal=tmp_path / "new.jsonl", **kwargs)
        run = open_run(target, out=io.StringIO())
        with pytest.raises(SetupError) as refused:
            preflight(run)
        assert run.transport.traffic.sent == 0 and refused.value.code == 2
        again = RunLock(lock_folder(state_folder()), target.base_url, target.customer_ids).acquire()
        again.release()  # the refused run holds no lock
        return refused.value.line

    line = refusal(customer_ids=(2, 3))
    assert f"{old} unfinished for customer(s) 2" in line
    assert f"`qflow-contracts restore --journal {old} --base-url http://127.0.0.1:9/API`" in line
    assert "also holds customer(s) 2" in refusal(customer_ids=(1,), over_journal=old)
    elsewhere = tmp_path / "elsewhere.jsonl"
    _killed_runs_journal(elsewhere, "http://127.0.0.1:8/API", (1,))
    assert "not of http://127.0.0.1:9/API" in refusal(customer_ids=(1, 2), over_journal=elsewhere)


def test_a_property_read_with_a_replacement_character_is_never_written_on_a_deployment() -> None:
    record = {"CustomerId": 1, "PersonalId": "P1", "Notes": "a\ufffdb", "FirstName": "Ann"}
    policy = MachinePolicy(Target(base_url="http://h/API", customer_ids=(1,)), load_facts(), {1: record})
    assert not policy.may_set(1, "Notes") and policy.may_set(1, "FirstName")
    assert not policy.allowed({"CustomerId": 1, "Notes": "x"})
    mock = Target(base_url="http://h/API", customer_ids=(1,), owned=True)
    owned = MachinePolicy(mock, load_facts(), {1: record})
    assert owned.may_set(1, "Notes")


@pytest.mark.parametrize(
    ("name", "value"),
    [("Sex", 64), ("Sex", True), ("FirstName", "x" * 51), ("FirstName", "\U0001f600" * 26), ("IsActive", 1)],
)
def test_a_value_a_patch_could_not_put_back_is_never_written_on_a_deployment(
    name: str, value: object
) -> None:
    """A server may hold a value outside the spec (a Sex of 64, a name over its length in UTF-16
    units): the restore's PATCH would be refused, so the run never changes it."""
    record = {"CustomerId": 1, "PersonalId": "P1", "FirstName": "Ann", "LastName": "Lee", "IsActive": True}
    record[name] = value
    policy = MachinePolicy(Target(base_url="http://h/API", customer_ids=(1,)), load_facts(), {1: record})
    assert not policy.may_set(1, name)
    assert name not in policy.settable(1)
    assert not policy.allowed({"CustomerId": 1, name: record[name]})
    other = "LastName" if name == "FirstName" else "FirstName"
    assert policy.may_set(1, other)  # the record's other values stay writable
