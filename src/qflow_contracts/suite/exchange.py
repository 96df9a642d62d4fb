"""One request to the server and its answer, as the checks see it: `Exchange`, and its curl line.

`Server` sends the two documented operations (`GET Customers/{id}`, `PATCH Customers`) through the
generated client's httpx client, counts each request in the ledger under the rule it serves, and
turns a transport failure into `Unavailable` (the server's availability, never a finding). Every
text an `Exchange` carries is masked with `Target.mask` before it is cut short.
"""

from __future__ import annotations

import json
import shlex
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx
from qflow_client import Client
from qflow_client.api.customers import get_customer, patch_customer
from qflow_client.models.customer_update import CustomerUpdate
from qflow_client.types import UNSET, Unset

from qflow_contracts.rules import Rule
from qflow_contracts.suite import fields
from qflow_contracts.suite.errors import Unavailable
from qflow_contracts.suite.evidence import Evidence
from qflow_contracts.suite.http import NO_CACHE, WITHHELD_HEADER
from qflow_contracts.suite.journal import documents
from qflow_contracts.suite.target import Target

NOT_JSON: Any = object()
"""The parsed body of an answer that is not JSON."""

ANSWER_LIMIT = 600
"""Characters of an answer a finding quotes."""

_SKIPPED = {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
_SHOWN = {"content-type", *(name.lower() for name, _ in NO_CACHE)}
"""Headers the suite itself sets, never a credential: shown as sent, so the line runs as pasted."""


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters (call it on masked text only)."""
    return text if len(text) <= limit else text[:limit] + "..."


def curl_line(request: httpx.Request, target: Target | None = None) -> str:
    """A curl command that repeats `request`: every header value but the suite's own (Content-Type,
    the no-cache pair) shown as `***`,
    and the whole line masked with `target.mask` (contract rule 12)."""
    parts = ["curl", "-sS", "-X", request.method, shlex.quote(str(request.url))]
    for name, value in request.headers.items():
        if name.lower() in _SKIPPED:
            continue
        shown = value if name.lower() in _SHOWN else "***"
        parts += ["-H", shlex.quote(f"{name}: {shown}")]
    content = request.content
    if content:
        parts += ["--data-binary", shlex.quote(content.decode("utf-8", "backslashreplace"))]
    line = " ".join(parts)
    return target.mask(line) if target is not None else line


@dataclass(frozen=True)
class Exchange:
    """One request and its answer: status, parsed JSON body (or NOT_JSON), masked text and curl."""

    method: str
    path: str
    status: int
    body: Any
    text: str
    curl: str
    content_type: str = ""
    sent: str = ""
    """The request body as text (masked)."""
    withheld: bool = False
    """The answer carried another customer's record, which the transport replaced by a stand-in
    naming only that customer (contract rule 11): no property of it is there to check."""
    request_type: str = ""
    """The request's Content-Type."""

    def patched(self) -> int | None:
        """The CustomerId a PATCH body names, or None (not a PATCH, or no CustomerId)."""
        if self.method != "PATCH":
            return None
        for body in documents(self.request_type or "application/json", self.sent):
            value = fields.customer_id(body)
            if value is not None and value > 0:
                return value
        return None

    def read_customer(self) -> int | None:
        """The CustomerId a GET by CustomerId reads (no query), or None."""
        if self.method != "GET" or "?" in self.path:
            return None
        last = urllib.parse.unquote(self.path.rstrip("/").rsplit("/", 1)[-1])
        return int(last) if last.isdigit() else None

    def brief(self) -> str:
        """The answer, shortened for a finding."""
        return f"HTTP {self.status}: {clip(self.text, ANSWER_LIMIT)}"

    @property
    def media(self) -> str:
        """The answer's media type, lower case, without parameters."""
        return self.content_type.split(";", 1)[0].strip().lower()


class Server:
    """Sends the two documented operations and records each request in the ledger."""

    def __init__(self, client: Client, target: Target, evidence: Evidence) -> None:
        self.http = client.get_httpx_client()
        self.target = target
        self.evidence = evidence
        self.log: list[str] = []
        self.recent: list[Exchange] = []
        """The last exchanges, the newest last (a finding's reproduction starts from them)."""
        self.sent: set[tuple[str, str]] = set()
        """(property, value as text) for every value a PATCH of this run carried; a dictionary's
        entries as `Name[key]`."""

    def ever_sent(self, name: str, value: Any) -> bool:
        """Whether some PATCH of this run carried `value` for `name` (`Name[key]` for a dictionary
        entry), compared as text as a lenient server would store it."""
        return (name.lower(), _as_text(value)) in self.sent

    def _remember(self, request: httpx.Request) -> None:
        for body in documents(
            request.headers.get("content-type", ""), request.content.decode("utf-8", "replace")
        ):
            for key, value in body.items():
                if not isinstance(key, str) or value is None:
                    continue
                if isinstance(value, dict):
                    for entry, item in value.items():
                        self.sent.add((f"{key}[{entry}]".lower(), _as_text(item)))
                else:
                    self.sent.add((key.lower(), _as_text(value)))

    def _send(self, rule: Rule, **kwargs: Any) -> Exchange:
        # the total is counted by the transport every request goes through; this says what for
        self.evidence.spent_on(rule)
        try:
            try:
                response = self.http.request(**kwargs)
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if kwargs.get("method", "").upper() != "GET":
                    raise
                # a kept-alive connection the server closed (after a 500, say): a GET is sent again
                response = self.http.request(**kwargs)
        except httpx.TransportError as error:
            raise Unavailable(
                f"{kwargs.get('method')} {kwargs.get('url')}: {type(error).__name__}"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = NOT_JSON
        request = response.request
        if request.method == "PATCH":
            self._remember(request)
        mask = self.target.mask
        sent = mask(request.content.decode("utf-8", "backslashreplace"))
        self.log.append(
            mask(f"{request.method} {request.url.raw_path.decode('ascii', 'replace')} ") + clip(sent, 160)
        )
        self.log[:] = self.log[-HISTORY:]
        exchange = Exchange(
            method=request.method,
            path=mask(request.url.raw_path.decode("ascii", "replace")),
            status=response.status_code,
            body=body,
            text=mask(response.text),
            curl=curl_line(request, self.target),
            content_type=response.headers.get("content-type", ""),
            sent=sent,
            withheld=WITHHELD_HEADER in response.headers,
            request_type=request.headers.get("content-type", ""),
        )
        self.recent.append(exchange)
        self.recent[:] = self.recent[-HISTORY:]
        return exchange

    def get(
        self, rule: Rule, id_value: str, id_type: int | Unset = UNSET, ext_ref: str | Unset = UNSET
    ) -> Exchange:
        """`GET Customers/{id}`, the query parameters absent when UNSET (the generated client's request)."""
        return self._send(
            rule, **get_customer._get_kwargs(id_value, id_type=id_type, id_type_ext_ref=ext_ref)
        )

    def get_raw_query(self, rule: Rule, id_value: str, query: str) -> Exchange:
        """`GET Customers/{id}?<query>` with a query the typed client cannot write (`idType=abc`)."""
        path = "Customers/" + urllib.parse.quote(id_value, safe="")
        return self._send(rule, method="GET", url=f"{path}?{query}")

    def patch_typed(self, rule: Rule, body: CustomerUpdate) -> Exchange:
        """`PATCH Customers` with a JSON body as the generated client writes it."""
        return self._send(rule, **patch_customer._get_kwargs(body=body))

    def patch_raw(self, rule: Rule, content: bytes, content_type: str) -> Exchange:
        """`PATCH Customers` with a body as given (text/json, forms, invalid or lenient JSON)."""
        return self._send(
            rule, method="PATCH", url="Customers", content=content, headers={"Content-Type": content_type}
        )

    def patch_json(self, rule: Rule, body: dict[str, Any]) -> Exchange:
        """`PATCH Customers` with `body` as application/json."""
        return self.patch_raw(rule, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json")


def read_line(customer_id: int, target: Target) -> str:
    """A curl command that reads `customer_id` by CustomerId, header values shown as `***`."""
    request = httpx.Request("GET", f"{target.base_url}/Customers/{customer_id}", headers=target.headers)
    return curl_line(request, target)


def snippet(steps: list[Exchange], target: Target, *, recent: list[Exchange] | None = None) -> str:
    """A reproduction to paste into a shell, one command per line, that shows the defect on its
    own: the requests of `steps` (the last one the failing one); when the failing request is a GET
    that reads what a PATCH just did, that PATCH first; when it is a PATCH, then the read of its
    customer that shows what it stored. Header values are `***`."""
    commands = [exchange.curl for exchange in steps]
    failing = steps[-1]
    reads = failing.read_customer()
    if len(steps) == 1 and reads is not None and recent:
        earlier = [e for e in recent if e is not failing]
        patch = next((e for e in reversed(earlier) if e.method == "PATCH"), None)
        if patch is not None and patch.patched() == reads:
            commands.insert(0, patch.curl)
    patched = failing.patched()
    if patched is not None:
        commands.append(read_line(patched, target))
    return "\n".join(commands)


def _as_text(value: Any) -> str:
    """A value as a server that converts types would store it: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


HISTORY = 8
"""How many of the last requests a finding lists."""
