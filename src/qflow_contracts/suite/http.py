"""How the suite talks to a server: one httpx transport every request goes through.

`SafeTransport` paces requests (contract rule 15), bounds each one in time and the size of its
answer, stops the run at its deadline, journals every PATCH before it is sent (contract rule 13),
and, on a server the suite did not start, refuses to send anything contract rule 11 forbids
(`suite/guard.py`) and withholds the record of any customer that was not given. The generated client, the
restore and Schemathesis (through `suite/stateless.py`) all use it, so no code path escapes it.
Reads that do not depend on each other go out side by side (`side_by_side`) on a small connection
pool, their starts still paced.

Each exchange (connect, headers and body) ends by its own deadline, however slowly the server
sends (`suite/deadline.py`). A throttled answer (429, or 503 with Retry-After) is waited out,
bounded, and sent again, and the pace is halved for the rest of the run (`suite/throttle.py`).
Answers nested too deep or holding lone surrogates are made readable before anyone parses them,
and reported as the server's (`suite/answers.py`). The restore has its own bounded time.

Errors that are the server's availability (`Unavailable`, `DeadlineReached`) are never findings: the
machine and checks let them propagate; the runner turns them into an "incomplete" verdict.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from qflow_contracts.suite.answers import Problem, screen
from qflow_contracts.suite.deadline import DeadlineTransport, exchange_deadline
from qflow_contracts.suite.errors import DeadlineReached, Unavailable, UnsafeRequest
from qflow_contracts.suite.guard import Guard
from qflow_contracts.suite.journal import Journal, JournalUnwritable, documents
from qflow_contracts.suite.ownership import Caused, Ownership
from qflow_contracts.suite.throttle import MAX_IN_A_ROW, MAX_WAIT, SLOWEST_INTERVAL, throttle_wait

NO_CACHE = (("Cache-Control", "no-cache"), ("Pragma", "no-cache"))
"""Sent with every GET: a cache between the suite and the server must ask the server again, so a
read proves what the server holds (issue 20 item 2)."""
WITHHELD_HEADER = "X-Qflow-Contracts-Withheld"
"""Set on an answer whose body the transport replaced by a stand-in (another customer's record)."""

POOL = 4
"""The most requests a run has in flight at once, and the connections it keeps open."""

T = TypeVar("T")


def side_by_side(calls: Sequence[Callable[[], T]], workers: int = POOL) -> list[T]:
    """Run independent calls (reads) at once on at most `workers` threads; their results in order.

    The transport still paces their starts. Once all are done, the first failure in order is
    raised, as if they had run one after the other.
    """
    if len(calls) <= 1 or workers <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls)), thread_name_prefix="qflow-read") as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]


class Pacer:
    """At most `rate` request starts per second: each start at least 1/rate after the one before."""

    def __init__(self, rate: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def hold(self, until: float) -> None:
        """No start before `until` (a server asked to wait)."""
        with self._lock:
            self._next = max(self._next, until)

    def slow(self) -> None:
        """Halve the rate from now on (an unpaced run starts at 10 a second), never below one start
        every `SLOWEST_INTERVAL` seconds."""
        with self._lock:
            self.interval = min(SLOWEST_INTERVAL, self.interval * 2 if self.interval else 0.1)

    @property
    def rate(self) -> float | None:
        """Starts per second now (None: unpaced)."""
        return 1.0 / self.interval if self.interval else None

    def slot(self) -> float:
        """Reserve the next start; the monotonic time it may happen at."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
            return start


@dataclass
class Traffic:
    """What went through the transport: requests sent, refused, withheld, the busiest second."""

    sent: int = 0
    patches: int = 0
    refused: list[str] = field(default_factory=list)
    withheld: list[int] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    throttled: int = 0
    """Answers that asked the suite to wait (429, or 503 with Retry-After)."""
    waited: float = 0.0
    """Seconds spent waiting as those answers asked."""

    def busiest_second(self) -> int:
        """The most requests started within any one second."""
        best, low = 0, 0
        for high, start in enumerate(self.starts):
            while start - self.starts[low] > 1.0:
                low += 1
            best = max(best, high - low + 1)
        return best


class SafeTransport(httpx.BaseTransport):
    """Paced, bounded, journaled; guarded by `policy` on a server the suite did not start."""

    def __init__(
        self,
        *,
        rate_limit: float | None,
        request_timeout: float,
        max_answer_bytes: int,
        deadline: float | None = None,
        restore_time: float = 120.0,
        policy: Guard | None = None,
        journal: Journal | None = None,
        ownership: Ownership | None = None,
        on_request: Callable[[], None] | None = None,
        on_malformed: Callable[[httpx.Request, Problem], None] | None = None,
        inner: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pacer = Pacer(rate_limit, clock)
        self.request_timeout = request_timeout
        self.max_answer_bytes = max_answer_bytes
        self.deadline = deadline
        self.restore_time = restore_time
        self.restore_deadline: float | None = None
        """When the restore's own time is over (set by `restoring`)."""
        self.policy = policy
        self.journal = journal
        self.ownership = ownership
        """What each PATCH made the server store (set with the journal, once the originals are read)."""
        self.on_request = on_request
        self.on_malformed = on_malformed
        self._own_pool = inner is None
        self.inner = inner or _pool()
        self.clock = clock
        self.traffic = Traffic()
        self.stopped: BaseException | None = None
        """Set when the run must send nothing more (deadline, server lost, signal): every request
        then raises it, until `restoring()` lets the restore through."""
        self.restoring_now = False
        self.closed = False
        self.patch_in_doubt = False
        """A PATCH got no answer: the server may still apply it."""
        self._lock = threading.Lock()
        self._shield_depth = 0

    def stop(self, reason: BaseException) -> None:
        """Send nothing more but the restore: every later request raises `reason`."""
        if self.stopped is None:
            self.stopped = reason

    def restoring(self) -> None:
        """From now on only the restore sends: the run's deadline no longer applies, the restore's
        own time (`restore_time` from now) does."""
        if not self.restoring_now:
            self.restoring_now = True
            self.restore_deadline = self.clock() + self.restore_time
            if self.stopped is not None and self._own_pool:
                self._fresh_pool()

    def _fresh_pool(self) -> None:
        """New connections for the restore: an exception that stopped the run may have left a
        pooled connection half-way through an exchange (a signal's, before the shield; one raised
        in a worker), which would fail every later request on it. The spent pool is dropped, not
        closed: a worker may still be on it, and its lock may be held."""
        self.inner = _pool()

    def time_left(self) -> float | None:
        """Seconds left before the current deadline (the restore's while restoring), or None."""
        end = self.restore_deadline if self.restoring_now else self.deadline
        return None if end is None else max(0.0, end - self.clock())

    def shut(self) -> None:
        """Nothing at all is sent any more (the run is over)."""
        self.closed = True

    @property
    def shielded(self) -> bool:
        """Whether the main thread is inside an exchange or its journaling now: a signal's
        exception raised there could leave httpcore's locks or a connection half-way, or the journal
        without the answer. The run's signal handler then only stops the transport, which raises
        once the exchange is settled."""
        return self._shield_depth > 0

    @contextlib.contextmanager
    def _shield(self) -> Iterator[None]:
        main = threading.current_thread() is threading.main_thread()
        self._shield_depth += main
        try:
            yield
        finally:
            self._shield_depth -= main

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._admit(request)
        number, response, content = self._send(request)
        with self._shield():
            content, withheld = self._settle(request, number, response, content)
        if self.stopped is not None and not self.restoring_now:
            raise self.stopped  # stopped during the exchange (a signal): its answer is journaled
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower()
            not in ("content-length", "transfer-encoding", "content-encoding", WITHHELD_HEADER.lower())
        ]
        if withheld:
            headers.append((WITHHELD_HEADER, "1"))
        headers.append(("Content-Length", str(len(content))))
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=httpx.ByteStream(content),
            request=request,
            extensions={
                k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
            },
        )

    def _admit(self, request: httpx.Request) -> None:
        """Refuse what must not be sent now: anything once the run is over or stopped (but the
        restore), and on a deployment whatever the guard forbids (contract rule 11)."""
        if self.closed:
            raise Unavailable("the run is over: nothing more is sent")
        if self.stopped is not None and not self.restoring_now:
            raise self.stopped
        if self.policy is not None:
            try:
                self.policy.check(request)
            except UnsafeRequest as error:
                self.traffic.refused.append(str(error))
                self.stop(error)
                raise
        request.read()
        if request.method == "GET":
            for name, value in NO_CACHE:
                request.headers[name] = value

    def _send(self, request: httpx.Request) -> tuple[int | None, httpx.Response, bytes]:
        """Send at the paced time, the PATCH journaled first; a throttled answer is waited out and
        sent again. The journal's number of the change, the answer and its body."""
        number: int | None = None
        journaled, in_a_row = False, 0
        while True:
            self._wait_for_slot()
            with self._shield():
                if not journaled:
                    number = self._journal_change(request)
                    journaled = True
                response, content = self._exchange(request)
            wait = throttle_wait(response.status_code, response.headers.get("retry-after"), in_a_row + 1)
            if wait is None:
                return number, response, content
            in_a_row += 1
            self._throttled(request, response.status_code, wait, in_a_row)

    def _settle(
        self, request: httpx.Request, number: int | None, response: httpx.Response, content: bytes
    ) -> tuple[bytes, bool]:
        """The answer made safe to read and journaled, the guard told what it named; another
        customer's record is replaced by a stand-in. The body to hand on, and whether it was withheld."""
        content, problem = screen(content)
        if problem is not None and self.on_malformed is not None:
            self.on_malformed(request, problem)
        self._journal_answer(request, number, response.status_code, content)
        if self.policy is None:
            return content, False
        self.policy.observe(request, response.status_code, content)
        stand_in = self.policy.withhold(request, response.status_code, content)
        if stand_in is None:
            return content, False
        self.traffic.withheld.append(json.loads(stand_in)["CustomerId"])
        return stand_in, True

    def _wait_for_slot(self) -> None:
        """Wait for the next paced start; past the run's deadline (or the restore's) nothing is sent."""
        start = self.pacer.slot()
        if self.restoring_now:
            if self.restore_deadline is not None and start >= self.restore_deadline:
                raise DeadlineReached(f"the restore's own time ({self.restore_time:g} s) is over")
        elif self.deadline is not None and start >= self.deadline:
            reason = DeadlineReached("--max-time reached")
            self.stop(reason)
            raise reason
        delay = start - self.clock()
        if delay > 0:
            time.sleep(delay)
        if self.closed:
            raise Unavailable("the run is over: nothing more is sent")

    def _exchange(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        """Send `request` once: the answer and its body, read in whole within --request-timeout
        (connect, headers and body together)."""
        request.headers["Accept-Encoding"] = "identity"
        timeout = self.request_timeout
        request.extensions["timeout"] = {
            "connect": timeout,
            "read": timeout,
            "write": timeout,
            "pool": timeout,
        }
        with self._lock:
            self.traffic.sent += 1
            self.traffic.patches += request.method == "PATCH"
            self.traffic.starts.append(self.clock())
        if self.on_request is not None:
            self.on_request()
        began = self.clock()
        try:
            with exchange_deadline(time.monotonic() + timeout):
                response = self.inner.handle_request(request)
                try:
                    content = self._read(response, began)
                finally:
                    response.close()
        except httpx.TimeoutException:
            raise self._lost(
                Unavailable(f"no answer within {timeout:g} s ({request.method} {request.url.path})"), request
            ) from None
        except httpx.TransportError as error:
            raise self._lost(
                Unavailable(
                    f"connection failed ({type(error).__name__}): {request.method} {request.url.path}"
                ),
                request,
            ) from None
        except Unavailable as error:
            raise self._lost(error, request) from None
        return response, content

    def _throttled(self, request: httpx.Request, status: int, wait: float, in_a_row: int) -> None:
        """A throttled answer (contract rule 15): wait as asked (bounded), halve the pace for the rest
        of the run; the server is unavailable when it asks for too long, or too often in a row."""
        what = f"{request.method} {request.url.path} answered HTTP {status}"
        if in_a_row > MAX_IN_A_ROW:
            raise self._lost(Unavailable(f"{what} {in_a_row} times in a row (throttled)"))
        if wait > MAX_WAIT:
            raise self._lost(
                Unavailable(f"{what} asking to wait {wait:g} s (Retry-After), more than {MAX_WAIT:g} s")
            )
        left = self.time_left()
        if left is not None and wait >= left:
            reason = DeadlineReached(
                f"{what} asking to wait {wait:g} s, past "
                + ("the restore's own time" if self.restoring_now else "--max-time")
            )
            if not self.restoring_now:
                self.stop(reason)
            raise reason
        with self._lock:
            self.traffic.throttled += 1
            self.traffic.waited += wait
        self.pacer.hold(self.clock() + wait)
        self.pacer.slow()

    def _journal_change(self, request: httpx.Request) -> int | None:
        """Journal a PATCH body before it is sent; its number. A journal that cannot take it stops
        the run before the PATCH (during the restore, which works from memory, the PATCH still goes)."""
        if request.method != "PATCH" or self.journal is None:
            return None
        content_type = request.headers.get("content-type", "")
        try:
            number = self.journal.change(content_type, request.content)
        except JournalUnwritable as error:
            if self.restoring_now:
                return None
            self.stop(error)
            raise
        if self.ownership is not None:
            self.ownership.sending(number, _bodies(content_type, request.content))
        return number

    def _journal_answer(
        self, request: httpx.Request, number: int | None, status: int, content: bytes
    ) -> None:
        """Journal that a PATCH was answered and what it (or the read after it) shows was stored."""
        if self.journal is None or (request.method == "PATCH" and number is None):
            return
        entries: list[Caused] = []
        if request.method == "PATCH" and number is not None:
            record = _record(content) if 200 <= status < 300 else None
            entries = self.ownership.answered(number, record) if self.ownership is not None else []
        elif request.method == "GET" and status == 200 and self.ownership is not None:
            entries = self.ownership.read(_record(content))
        try:
            if number is not None:
                self.journal.answered(number, status, entries)
            for entry in entries if number is None else ():  # a read after a PATCH
                self.journal.stored(entry)
        except JournalUnwritable as error:
            if not self.restoring_now:
                self.stop(error)  # kept in memory; nothing more is changed without a journal

    def _lost(self, error: Unavailable, request: httpx.Request | None = None) -> Unavailable:
        if request is not None and request.method == "PATCH":
            self.patch_in_doubt = True
        if not self.restoring_now:
            self.stop(error)
        return error

    def _read(self, response: httpx.Response, began: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.stream:  # type: ignore[union-attr]
            size += len(chunk)
            if size > self.max_answer_bytes:
                raise Unavailable(f"an answer larger than {self.max_answer_bytes} bytes (not read further)")
            if self.clock() - began > self.request_timeout:
                raise Unavailable(f"an answer not read in whole within {self.request_timeout:g} s")
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.inner.close()


def _pool() -> httpx.BaseTransport:
    """The connection pool a run's requests go through."""
    return DeadlineTransport(limits=httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL))


def _record(content: bytes) -> Any:
    """An answer's JSON document, None when it is not JSON."""
    try:
        return json.loads(content)
    except ValueError:
        return None


def _bodies(content_type: str, content: bytes) -> list[dict[str, Any]]:
    """The documents a PATCH body carries, as a server reads them."""
    return documents(content_type, content.decode("utf-8", "replace"))
