"""What may be sent to a server the suite did not start (contract rule 11), decided before sending.

`Guard` admits a GET of a given customer or witness, or of an identifier that can name nobody
(`names_nobody`), and a PATCH that can only target a given customer; it learns each given
customer's PersonalId pairs from its records, and replaces an answer that carries a stranger's
record. `SafeTransport` (`suite/http.py`) asks it about every request. What a PATCH body names
its record by is read by `suite/targets.py` (`identifiers`); the longest PersonalId is the spec's.
Safety-critical: a change here decides which real people's records a run may read or change.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from qflow_contracts.int32 import INT32_MAX, is_int32, wrap32
from qflow_contracts.spec import customer_properties
from qflow_contracts.suite import fields
from qflow_contracts.suite.errors import UnsafeRequest
from qflow_contracts.suite.journal import documents
from qflow_contracts.suite.targeting import Pair, Proofs
from qflow_contracts.suite.targets import identifiers, identity, lenient_int, read_integer, values_of

RESERVED_EXT_REF = "qflow-contracts-"
"""An idTypeExtRef starting with this names no type of any deployment: the suite uses it to look a
given PersonalId up under a type that does not exist."""
CUSTOMER_ID_IN_TEXT = re.compile(r"customerid\W{0,3}\s*[:=]\s*\"?\s*([+-]?\d+)", re.IGNORECASE)
PERSONAL_ID_IN_TEXT = re.compile(r"personalid\W{0,3}\s*[:=]", re.IGNORECASE)


def personal_id_limit() -> int | None:
    """The spec's `maxLength` of PersonalId (None: the spec does not bound it)."""
    return next((p.max_length for p in customer_properties() if p.name == "PersonalId"), None)


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


@dataclass
class Guard:
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
    personal_id_max: int | None = field(default_factory=personal_id_limit)
    """The spec's longest PersonalId: a longer one names nobody (None: the spec bounds none)."""
    by_type: set[tuple[str, int]] = field(default_factory=set)
    by_ext: set[tuple[str, str]] = field(default_factory=set)
    personal_ids: set[str] = field(default_factory=set)
    proofs: Proofs = field(default_factory=lambda: Proofs(frozenset(name.lower() for name in identity())))

    def _too_long(self, personal_id: str) -> bool:
        """Whether `personal_id` is longer than any PersonalId can be, so it names nobody."""
        return self.personal_id_max is not None and len(personal_id) > self.personal_id_max

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
        id_type = read_integer(type_text) or 0
        if not is_int32(id_type):
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
        named = identifiers(body)
        if named.by_customer_id:
            return []
        return [pair for pid in named.personal_ids for pair in named.pairs(pid)]

    def observe(self, request: httpx.Request, status: int, content: bytes) -> None:
        """Read an answer for what it proves of the targeting of a pair (`suite/targeting.py`)."""
        pairs = self.pairs(request)
        if pairs:
            self.proofs.observe(request.method, pairs, status, named_customers(content))

    def _check_get(self, id_value: str, request: httpx.Request) -> None:
        ext, id_type = self._get_query(request)
        as_number = read_integer(id_value)
        if as_number is not None and as_number in self.readable and not ext and id_type <= 0:
            return
        if ext:
            if (id_value, ext) in self.by_ext or self._too_long(id_value):
                return
            if ext.startswith(RESERVED_EXT_REF) and id_value in self.personal_ids:
                return
        elif id_type > 0:
            if (id_value, id_type) in self.by_type or self._too_long(id_value):
                return
        elif as_number is None:
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
        value = wrap32(value)
        if value <= 0:
            return False
        if value in self.patchable:
            return True
        raise UnsafeRequest(f"PATCH of customer {value}, who was not given")

    def _check_body(self, body: Mapping[str, Any]) -> None:
        named = identifiers(body)
        targeted = [self._check_customer_id(cid) for cid in named.customer_ids]
        if any(targeted):
            return
        for pid in named.personal_ids:  # none: no identifier, a conformant server answers 400
            if self._too_long(pid):
                continue
            pairs = named.pairs(pid)
            if pairs and all(self._known(pair) for pair in pairs):
                self._check_proven(body, pairs)
                continue
            raise UnsafeRequest(f"PATCH by PersonalId {pid!r} may target a customer not given")

    def _known(self, pair: Pair) -> bool:
        """Whether `pair` is one of a given customer's (PersonalId, type) pairs."""
        mode, pid, key = pair
        return (pid, key) in (self.by_type if mode == "type" else self.by_ext)

    def _check_proven(self, body: Mapping[str, Any], pairs: list[Pair]) -> None:
        """A PATCH by a pair that changes something: only once the pair is proven."""
        if not self.proofs.changes(body):
            return
        pair = self.proofs.unproven(pairs)
        if pair is not None:
            why = self.proofs.revoked.get(pair[0], "no GET and PATCH by it named the given customer yet")
            raise UnsafeRequest(f"PATCH by PersonalId {pair[1]!r} ({pair[0]}) not proven to target: {why}")

    def _check_text(self, text: str) -> None:
        found = [read_integer(m) for m in CUSTOMER_ID_IN_TEXT.findall(text)]
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
                found += [n for n in map(lenient_int, values_of(node, "CustomerId")) if n is not None]
            # a CustomProperties dictionary's keys are the customer's data, not a record's properties
            pending.extend(
                (value, depth + 1, False)
                for key, value in node.items()
                if str(key).lower() != "customproperties"
            )
    return found
