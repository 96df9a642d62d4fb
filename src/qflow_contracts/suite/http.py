"""How the suite talks to a server: one httpx transport every request goes through.

`SafeTransport` paces requests (contract rule 15), bounds each one in time and the size of its
answer, stops the run at its deadline, journals every PATCH before it is sent (contract rule 13),
and, on a server the suite did not start, refuses to send anything contract rule 11 forbids
(`Policy`) and withholds the record of any customer that was not given. The generated client, the
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
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from qflow_contracts.spec import customer_properties
from qflow_contracts.suite import fields
from qflow_contracts.suite.answers import Problem, screen
from qflow_contracts.suite.deadline import DeadlineTransport, exchange_deadline
from qflow_contracts.suite.journal import Journal, JournalUnwritable, documents
from qflow_contracts.suite.ownership import Caused, Ownership
from qflow_contracts.suite.targeting import Pair, Proofs
from qflow_contracts.suite.throttle import MAX_IN_A_ROW, MAX_WAIT, SLOWEST_INTERVAL, throttle_wait

INT32_MAX = 2**31 - 1
RESERVED_EXT_REF = "qflow-contracts-"
"""An idTypeExtRef starting with this names no type of any deployment: the suite uses it to look a
given PersonalId up under a type that does not exist."""
NUMBER = re.compile(r"\s*[+-]?\d+\s*")
CUSTOMER_ID_IN_TEXT = re.compile(r"customerid\W{0,3}\s*[:=]\s*\"?\s*([+-]?\d+)", re.IGNORECASE)
PERSONAL_ID_IN_TEXT = re.compile(r"personalid\W{0,3}\s*[:=]", re.IGNORECASE)


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


class Unavailable(Exception):
    """The server did not answer in time, refused the connection, or sent more than may be read.

    Never a contract finding: it ends the run with exit code 3 after the restore.
    """


class DeadlineReached(Exception):
    """The run's --max-time is over: the run stops, restores, and names the rules it did not finish."""


class UnsafeRequest(Exception):
    """The suite was about to send what contract rule 11 forbids on a deployment; it was not sent."""


def _number(text: str) -> int | None:
    return int(text) if NUMBER.fullmatch(text) and text.strip().lstrip("+-").isascii() else None


CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,39}")
"""An integer as `str(int)` writes it: no sign but a minus, no leading zero, no space, ASCII digits,
at most 40 of them (beyond 128 bits)."""


def names_nobody(value: str) -> bool:
    """Whether a CustomerId-mode `id` of digits names no customer under the contract, however a
    server reads it (contract rules 3 and 11): 0, a negative number, or one beyond 32 bits.

    CustomerIds are positive 32-bit integers. A server may cut a wider number to 32 or 64 bits
    (two's complement, signed or unsigned) or read it as a double first; the value is admitted only
    when none of those readings is a positive 32-bit integer: 2**31 (-2**31 in 32 bits) and 2**63
    (0 in 32 bits, -2**63 in 64) are, 2**32 + 5 (5 in 32 bits) is not. Only the canonical text of
    the number is admitted (`0007` or `+5` could be read as 7 or 5, and are not). A server that
    saturates a wide number to 2**31 - 1 instead of refusing it is not covered: no .NET or SQL
    Server conversion does (both throw on overflow), and the transport withholds any record of a
    customer not given that an answer carries.
    """
    if not CANONICAL_INTEGER.fullmatch(value):
        return False
    readings = {int(value)}
    for _ in range(2):  # each reading of each reading: a cut after a double, a double after a cut
        for reading in list(readings):
            readings.add(int(float(reading)))
            for bits in (32, 64):
                unsigned = reading % 2**bits
                readings |= {unsigned, unsigned - 2**bits if unsigned >= 2 ** (bits - 1) else unsigned}
    return not any(0 < reading <= INT32_MAX for reading in readings)


def _positive_int(value: object) -> int | None:
    """The integer a lenient reader (Json.NET) could take `value` for: a number, a whole float,
    a boolean (1 or 0), a string of digits; None for anything else."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        if NUMBER.fullmatch(value):
            return _number(value)
        try:
            number = float(value)
        except ValueError:
            return None
        return int(number) if number == number and number.is_integer() else None
    return None


def _ci(mapping: Mapping[str, Any], name: str) -> list[Any]:
    """Every value of `name` in `mapping`, names compared regardless of case (as Json.NET does)."""
    return [value for key, value in mapping.items() if isinstance(key, str) and key.lower() == name.lower()]


@dataclass
class Policy:
    """What may be sent to a server the suite did not start (contract rule 11).

    A GET names a given customer or witness, or an identifier that cannot name anyone: in CustomerId
    mode a text that is not a number, or a number no reading makes a positive int32 (`names_nobody`);
    in PersonalId mode a given customer's (PersonalId, type) pair, a PersonalId longer than any
    PersonalId can be, or a given PersonalId under a reserved ext ref no type has. A PATCH targets a
    given customer: by its CustomerId, or by its (PersonalId, type) pair; a CustomerId beyond 32 bits
    counts as the number it wraps to. A PATCH by a pair that changes anything is sent only once that
    pair is proven (`suite/targeting.py`): a GET and a PATCH with nothing to change by it both named
    the given customer, and no answer by a pair of its mode named anyone else.
    """

    base_path: str
    readable: frozenset[int]
    patchable: frozenset[int]
    read_only: bool = False
    personal_id_max: int = 30
    by_type: set[tuple[str, int]] = field(default_factory=set)
    by_ext: set[tuple[str, str]] = field(default_factory=set)
    personal_ids: set[str] = field(default_factory=set)
    proofs: Proofs = field(
        default_factory=lambda: Proofs(frozenset(p.name.lower() for p in customer_properties() if p.identity))
    )

    def learn(self, record: Mapping[str, Any]) -> None:
        """A given customer's record: its PersonalId pairs may be looked up and PATCHed by."""
        pid = fields.field(record, "PersonalId")
        if not isinstance(pid, str) or not pid:
            return
        self.personal_ids.add(pid)
        owner = fields.customer_id(record) or 0
        type_id = fields.field(record, "PersonalIdTypeId")
        if isinstance(type_id, int) and not isinstance(type_id, bool) and type_id > 0:
            self.by_type.add((pid, type_id))
            self.proofs.learn(owner, ("type", pid, type_id))
        ext = fields.field(record, "PersonalIdTypeExtRef")
        if isinstance(ext, str) and ext:
            self.by_ext.add((pid, ext))
            self.proofs.learn(owner, ("extref", pid, ext))

    def _relative(self, request: httpx.Request) -> str:
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")
        base = self.base_path.rstrip("/")
        if not path.lower().startswith(base.lower() + "/"):
            raise UnsafeRequest(f"{request.method} {path}: outside the base path {base or '/'}")
        return path[len(base) :]

    def check(self, request: httpx.Request) -> None:
        """Raise UnsafeRequest when `request` must not be sent."""
        relative = self._relative(request)
        segments = relative.strip("/").split("/")
        if request.method == "GET" and len(segments) == 2 and segments[0].lower() == "customers":
            self._check_get(urllib.parse.unquote(segments[1]), request)
        elif request.method == "PATCH" and relative.rstrip("/").lower() == "/customers":
            if self.read_only:
                raise UnsafeRequest("PATCH in a read-only run")
            self._check_patch(request)
        else:
            raise UnsafeRequest(f"{request.method} {relative}: not a documented operation")

    @staticmethod
    def _get_query(request: httpx.Request) -> tuple[str, int]:
        """The idTypeExtRef and idType a GET names (the last of each, as ASP.NET reads them)."""
        query = urllib.parse.parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True)
        ext = next((v for k, v in reversed(query) if k.lower() == "idtypeextref" and v), "")
        type_text = next((v for k, v in reversed(query) if k.lower() == "idtype"), "0")
        id_type = _number(type_text) or 0
        if not -(2**31) <= id_type <= INT32_MAX:
            id_type = 0  # malformed: a conformant server answers 400, none reads a PersonalId
        return ext, id_type

    def pairs(self, request: httpx.Request) -> list[Pair]:
        """The (mode, PersonalId, type) pairs a request names its record by: a GET by idType or
        idTypeExtRef, a PATCH body without a positive CustomerId; none for anything else."""
        try:
            relative = self._relative(request)
        except UnsafeRequest:
            return []
        segments = relative.strip("/").split("/")
        if request.method == "GET" and len(segments) == 2 and segments[0].lower() == "customers":
            ext, id_type = self._get_query(request)
            pid = urllib.parse.unquote(segments[1])
            if ext:
                return [("extref", pid, ext)]
            return [("type", pid, id_type)] if id_type > 0 else []
        if request.method == "PATCH":
            return [pair for body in self._bodies(request) for pair in self._body_pairs(body)]
        return []

    def _bodies(self, request: httpx.Request) -> list[dict[str, Any]]:
        content_type = request.headers.get("content-type", "")
        return documents(content_type, request.content.decode("utf-8", "replace"))

    @staticmethod
    def _body_pairs(body: Mapping[str, Any]) -> list[Pair]:
        """The pairs a PATCH body targets by, when no positive CustomerId selects its record."""
        if any((_positive_int(v) or 0) > 0 for v in _ci(body, "CustomerId")):
            return []
        pids = [str(p) for p in _ci(body, "PersonalId") if p not in (None, "")]
        types = [t for t in map(_positive_int, _ci(body, "PersonalIdTypeId")) if t is not None and t > 0]
        exts = [str(e) for e in _ci(body, "PersonalIdTypeExtRef") if e not in (None, "")]
        if types:
            return [("type", pid, t) for pid in pids for t in types]
        return [("extref", pid, e) for pid in pids for e in exts]

    def observe(self, request: httpx.Request, status: int, content: bytes) -> None:
        """Read an answer for what it proves of the targeting of a pair (`suite/targeting.py`)."""
        pairs = self.pairs(request)
        if pairs:
            self.proofs.observe(request.method, pairs, status, named_customers(content))

    def _check_get(self, id_value: str, request: httpx.Request) -> None:
        ext, id_type = self._get_query(request)
        number = _number(id_value)
        if number is not None and number in self.readable and not ext and id_type <= 0:
            return
        if ext:
            if (id_value, ext) in self.by_ext or len(id_value) > self.personal_id_max:
                return
            if ext.startswith(RESERVED_EXT_REF) and id_value in self.personal_ids:
                return
        elif id_type > 0:
            if (id_value, id_type) in self.by_type or len(id_value) > self.personal_id_max:
                return
        elif number is None:
            return  # not a number: no CustomerId
        elif names_nobody(id_value):
            return  # 0, negative or beyond 32 bits however a server cuts it: no CustomerId
        raise UnsafeRequest(
            f"GET Customers/{id_value} ({request.url.query.decode()!r}) may name a customer not given"
        )

    def _check_patch(self, request: httpx.Request) -> None:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        text = request.content.decode("utf-8", "replace")
        documents: list[Any] = []
        if content_type == "application/x-www-form-urlencoded":
            documents.append(dict(urllib.parse.parse_qsl(text, keep_blank_values=True)))
        else:
            try:
                documents.append(json.loads(text))
            except ValueError:
                self._check_text(text)
                return
        while documents:
            document = documents.pop()
            if isinstance(document, str):
                try:
                    documents.append(json.loads(document))
                except ValueError:
                    self._check_text(document)
            elif isinstance(document, list):
                documents.extend(document)
            elif isinstance(document, dict):
                self._check_body(document)
            elif isinstance(document, int) and not isinstance(document, bool):
                self._check_customer_id(document)

    def _check_customer_id(self, value: int) -> bool:
        """True when `value` targets a given customer, False when it targets nobody (<= 0); a number
        beyond 32 bits counts as the one it wraps to (a server that truncates would use that)."""
        if not -(2**31) <= value <= INT32_MAX:
            value = (value + 2**31) % 2**32 - 2**31
        if value <= 0:
            return False
        if value in self.patchable:
            return True
        raise UnsafeRequest(f"PATCH of customer {value}, who was not given")

    def _check_body(self, body: Mapping[str, Any]) -> None:
        targeted = False
        for value in _ci(body, "CustomerId"):
            number = _positive_int(value)
            if number is not None and self._check_customer_id(number):
                targeted = True
        if targeted:
            return
        pids = [p for p in _ci(body, "PersonalId") if p not in (None, "")]
        if not pids:
            return  # no identifier: a conformant server answers 400
        for pid in pids:
            pid = str(pid)
            if len(pid) > self.personal_id_max:
                continue
            types = [t for t in map(_positive_int, _ci(body, "PersonalIdTypeId")) if t is not None and t > 0]
            exts = [str(e) for e in _ci(body, "PersonalIdTypeExtRef") if e not in (None, "")]
            if types:
                if all((pid, t) in self.by_type for t in types):
                    self._check_proven(body, [("type", pid, t) for t in types])
                    continue
            elif exts and all((pid, e) in self.by_ext for e in exts):
                self._check_proven(body, [("extref", pid, e) for e in exts])
                continue
            raise UnsafeRequest(f"PATCH by PersonalId {pid!r} may target a customer not given")

    def _check_proven(self, body: Mapping[str, Any], pairs: list[Pair]) -> None:
        """A PATCH by a pair that changes something: only once the pair is proven."""
        if not self.proofs.changes(body):
            return
        pair = self.proofs.unproven(pairs)
        if pair is not None:
            why = self.proofs.revoked.get(pair[0], "no GET and PATCH by it named the given customer yet")
            raise UnsafeRequest(f"PATCH by PersonalId {pair[1]!r} ({pair[0]}) not proven to target: {why}")

    def _check_text(self, text: str) -> None:
        found = [_number(m) for m in CUSTOMER_ID_IN_TEXT.findall(text)]
        targeted = any(n is not None and self._check_customer_id(n) for n in found)
        if not targeted and PERSONAL_ID_IN_TEXT.search(text):
            raise UnsafeRequest("PATCH by a PersonalId in a body that cannot be read back: not sent")

    def withhold(self, request: httpx.Request, status: int, content: bytes) -> bytes | None:
        """A stand-in for an answer (of any status) carrying a record of a customer not given,
        at its top or nested in it, else None."""
        for number in named_customers(content):
            if number not in self.readable:
                stand_in = {
                    "CustomerId": number,
                    "Message": f"qflow-contracts: the record of customer {number}, who was not given, "
                    "is withheld (contract rule 11)",
                }
                return json.dumps(stand_in).encode("utf-8")
        return None


MAX_NESTING = 32
"""How deep `named_customers` looks into an answer."""


def named_customers(content: bytes) -> list[int]:
    """The CustomerIds an answer names: its top object's (or each listed object's), and those of
    records nested in it (an object with both a CustomerId and a PersonalId, names in any case)."""
    if b"ustomer" not in content.lower():
        return []
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return []
    found: list[int] = []
    pending: list[tuple[Any, int, bool]] = [(document, 0, True)]
    while pending:
        node, depth, top = pending.pop()
        if depth > MAX_NESTING:
            continue
        if isinstance(node, list):
            pending.extend((item, depth + 1, top) for item in node)
        elif isinstance(node, dict):
            if isinstance(node, dict):  # any object naming a CustomerId may be a record
                found += [n for n in map(_positive_int, _ci(node, "CustomerId")) if n is not None]
            # a CustomProperties dictionary's keys are the customer's data, not a record's properties
            pending.extend(
                (value, depth + 1, False)
                for key, value in node.items()
                if str(key).lower() != "customproperties"
            )
    return found


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
        policy: Policy | None = None,
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
        self._spent: list[httpx.BaseTransport] = []
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
        """New connections for the restore: the exception that stopped the run (a signal's, raised
        wherever the main thread was) may have left a pooled connection half-way through an
        exchange, which would fail every later request on it."""
        self._spent.append(self.inner)  # closed with the transport: a reader may still be on it
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
        for pool in (*self._spent, self.inner):
            with contextlib.suppress(Exception):  # a spent pool may hold a connection left half-way
                pool.close()


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
