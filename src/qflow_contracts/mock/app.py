"""The Starlette application: `GET Customers/{id}` and `PATCH Customers`, as the contract decides.

Handlers are async and never await between reading a record and storing its update, so on one
event loop every PATCH is atomic. Bodies are parsed with orjson, or as form fields, then validated
against the spec's own schemas (`validation.py`); the defect hooks (`defects.py`) are applied at
the marked points and do nothing on the correct server.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from qflow_contracts.int32 import INT32_MAX
from qflow_contracts.lenient_json import LenientJsonError, read_lenient_json
from qflow_contracts.mock.defects import Defect, get_defect
from qflow_contracts.mock.fixtures import load_fixtures
from qflow_contracts.mock.records import (
    normalize_dob,
    to_local,
    utc_date_at_local_midnight,
    wall_as_utc_to_local,
)
from qflow_contracts.mock.store import MemoryStore, Record, open_store
from qflow_contracts.mock.traffic import CountingMiddleware, Delay, DelayMiddleware, RequestCounter
from qflow_contracts.mock.validation import (
    INTEGER_TEXT,
    ModelState,
    Validators,
    jsonnet_convert,
    load_spec,
    read_int,
)

MAX_BODY = 1024 * 1024
JSON = "application/json; charset=utf-8"
TEXT_JSON = "text/json; charset=utf-8"
JSON_TYPES = frozenset({"application/json", "text/json"})
FORM_TYPE = "application/x-www-form-urlencoded"
INVALID = "The request is invalid."
LOST_UPDATE_WINDOW = 0.25
"""Seconds defect `lost-update` waits between reading a record and writing it back: a slow
transaction without a lock, longer than the suite's paced gap between two requests (0.1 s)."""


def answer_type(accept: str | None) -> str:
    """`text/json` when the client prefers it to `application/json` (by q-value, then by order)."""
    if not accept or "text/json" not in accept.lower():
        return JSON
    return _negotiate(accept)


@lru_cache(maxsize=256)
def _negotiate(accept: str) -> str:
    best: dict[str, tuple[float, int]] = {}
    for position, part in enumerate(accept.lower().split(",")):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if media in ("text/json", "application/json") and media not in best:
            best[media] = (quality, -position)
    text = best.get("text/json", (0.0, 0))
    application = best.get("application/json", (0.0, -999))
    if text[0] > 0 and text > application:
        return TEXT_JSON
    return JSON


class Problem(Exception):
    """An error answer: status, message, optional ModelState and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        state: ModelState | None = None,
        headers: dict[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.state = state
        self.headers = headers
        self.detail = detail


@dataclass(frozen=True)
class Platform:
    """How far the server behaves as ASP.NET Web API does where the contract lets a server choose
    (`qflow-mock serve --timezone/--utf16-lengths/--lenient`, all of them with `--platform aspnet`).

    `timezone`: minutes east of UTC of the server's local time, in which Json.NET stores a DOB
    sent with an offset (None: DOB kept as sent). `utf16_lengths`: lengths counted in UTF-16 code
    units, as DataAnnotations count `string.Length`. `lenient`: Json.NET's conversions (contract
    rule 14). `idtype_default`: a malformed `idType` read as 0, as Web API's model binding does for
    an action that does not check ModelState (contract rule 3).
    """

    timezone: int | None = None
    utf16_lengths: bool = False
    lenient: bool = False
    idtype_default: bool = False


ASPNET = Platform(timezone=600, utf16_lengths=True, lenient=True, idtype_default=True)
"""`--platform aspnet`: a Web API server at +10:00, as the vendor's samples show."""

PLATFORMS = {"aspnet": ASPNET}


def utf16_length(text: str) -> int:
    """The length .NET's `string.Length` gives: UTF-16 code units (two for an astral character)."""
    return len(text.encode("utf-16-le")) // 2


class CustomersApi:
    """The two operations over one store, one validator set and one (possibly absent) defect."""

    def __init__(
        self,
        store: MemoryStore,
        validators: Validators,
        defect: Defect,
        *,
        lenient: bool = False,
        platform: Platform | None = None,
    ) -> None:
        self.store = store
        self.platform = platform or Platform()
        self.lenient = lenient or self.platform.lenient
        self.timezone = self.platform.timezone if defect.timezone is None else defect.timezone
        self.utf16 = self.platform.utf16_lengths or defect.has("utf16-lengths")
        self.validators = validators
        self.model = validators.model
        self.defect = defect
        self.updatable = tuple(p for p in self.model.properties if p not in self.model.identity)
        self._encoded: dict[int, tuple[Record, bytes]] = {}

    # -- answers ------------------------------------------------------------------------------

    def _media(self, request: Request) -> str:
        return self.defect.media_type or answer_type(request.headers.get("accept"))

    def encode(self, record: Record) -> bytes:
        """The answer body for a record; the bytes of an unchanged record are reused."""
        if self.defect.render is not None:
            return orjson.dumps(self.defect.render(record))
        cached = self._encoded.get(record["CustomerId"])
        if cached is not None and cached[0] is record:
            return cached[1]
        body = orjson.dumps(record)
        self._encoded[record["CustomerId"]] = (record, body)
        return body

    def ok(self, request: Request, record: Record) -> Response:
        return Response(self.encode(record), 200, media_type=self._media(request))

    def problem(self, request: Request, problem: Problem) -> Response:
        body: dict[str, Any] = {"Message": problem.message}
        if problem.detail:
            body["MessageDetail"] = problem.detail
        if problem.state:
            body["ModelState"] = problem.state
        if self.defect.error is not None and problem.status in (400, 404):
            body = self.defect.error(body)
        return Response(orjson.dumps(body), problem.status, problem.headers, media_type=self._media(request))

    # -- GET Customers/{id} ---------------------------------------------------------------------

    async def get_customer(self, request: Request) -> Response:
        try:
            return self.ok(request, self.lookup(request.path_params["id"], request.query_params))
        except Problem as problem:
            return self.problem(request, problem)

    def lookup(self, key: str, query: Mapping[str, str]) -> Record:
        """The record GET answers for `id` = key and the query parameters (contract rule 3)."""
        id_type = 0
        raw_type = query.get("idType")
        if raw_type is not None:
            id_type, state = self.validators.parse_id_type(raw_type)
            if state and self.defect.has("idtype-malformed-404"):
                raise Problem(404, f"No customer matches id {key!r}.")
            if state and not self.platform.idtype_default:
                raise Problem(400, INVALID, state)
        ext_ref = "" if self.defect.has("extref-ignored") else query.get("idTypeExtRef", "")
        record: Record | None = None
        if ext_ref:
            id_type_found = self.store.type_by_ext_ref(ext_ref)
            record = None if id_type_found is None else self._find(id_type_found.id, key)
        elif id_type > 0:
            if self.defect.has("personalid-ignores-type"):
                record = self.store.find_any_type(key)
            else:
                record = self._find(id_type, key)
        else:
            text = key.strip()
            if INTEGER_TEXT.match(text):
                number = read_int(text)
                if self.defect.has("nobody-id-500") and not 0 < number <= INT32_MAX:
                    raise RuntimeError(f"Arithmetic overflow or no row for CustomerId {number}")
                record = self.store.get(number)
        if record is None:
            raise Problem(404, f"No customer matches id {key!r}.")
        return record

    def _find(self, type_id: int, personal_id: str) -> Record | None:
        """The record of this PersonalId in this type (defect `personalid-case-insensitive`: the
        first one SQL Server's default collation matches)."""
        if self.defect.has("personalid-case-insensitive"):
            return self.store.find_collated(type_id, personal_id)
        return self.store.find(type_id, personal_id)

    # -- PATCH Customers ------------------------------------------------------------------------

    async def patch_customer(self, request: Request) -> Response:
        try:
            body = await self._read_body(request)
            if self.defect.has("lost-update"):
                return self.ok(request, await self._update_unlocked(body))
            return self.ok(request, self._update(body))
        except Problem as problem:
            return self.problem(request, problem)

    async def _read_body(self, request: Request) -> dict[str, Any]:
        """The body as a dict of typed values, validated; a Problem for anything else."""
        content_type = request.headers.get("content-type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        is_form = media == FORM_TYPE
        unsupported = (
            self.defect.has("form-unsupported")
            if is_form
            else media not in JSON_TYPES and not self.defect.has("no-415")
        )
        if unsupported:
            raise Problem(
                415, f"The request entity's media type '{media}' is not supported for this resource."
            )
        length = request.headers.get("content-length")
        declared = (length or "").strip()
        if declared.isascii() and declared.isdigit() and (len(declared) > 12 or int(declared) > MAX_BODY):
            raise Problem(413, f"The request body is larger than {MAX_BODY} bytes.")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY:
                raise Problem(413, f"The request body is larger than {MAX_BODY} bytes.")
        body = self._parse_form(bytes(raw)) if is_form else self._parse_json(bytes(raw))
        if self.lenient and not is_form:
            body = jsonnet_convert(body, self.model.update_schema.get("properties", {}))
        if self.defect.prepare is not None:
            body = self.defect.prepare(body, self.model)
        state = self.validators.check_form(body) if is_form else self.validators.check_update(body)
        if not state and self.utf16:
            state = self._utf16_lengths(body, is_form)
        if state:
            if self.defect.has("partial-write-on-error"):
                self._partial_write(body, state)
            raise Problem(400, INVALID, state)
        return body

    def _utf16_lengths(self, body: dict[str, Any], is_form: bool) -> ModelState:
        """Strings over their `maxLength` in UTF-16 code units, as DataAnnotations count them."""
        schema = self.model.form_schema if is_form else self.model.update_schema
        state: ModelState = {}
        for name, prop in schema.get("properties", {}).items():
            value, limit = body.get(name), prop.get("maxLength")
            if isinstance(value, str) and isinstance(limit, int) and utf16_length(value) > limit:
                state[name] = [f"The field {name} must be a string with a maximum length of {limit}."]
        return state

    def _dob(self, value: str) -> str:
        """DOB as stored: .NET's form, in the server's local time when it has a time zone."""
        text = normalize_dob(value)
        if self.defect.has("dob-before-1753-500") and text[:10] < "1753-01-01":
            raise RuntimeError("SqlDateTime overflow: must be between 1/1/1753 and 12/31/9999")
        if self.timezone is None:
            return text
        if self.defect.has("dob-instant-moved"):
            return wall_as_utc_to_local(text, self.timezone)
        if self.defect.has("dob-date-moved-in-own-offset"):
            return utc_date_at_local_midnight(text, self.timezone)
        return to_local(text, self.timezone)

    def _parse_json(self, raw: bytes) -> dict[str, Any]:
        try:
            value = read_lenient_json(raw) if self.lenient else orjson.loads(raw)
        except (orjson.JSONDecodeError, LenientJsonError) as error:
            if self.defect.has("invalid-json-500"):
                raise RuntimeError("unparsed body") from error
            raise Problem(400, INVALID, detail=f"The body is not valid JSON: {error}") from None
        if not isinstance(value, dict):
            if self.defect.has("non-object-500") and isinstance(value, list):
                raise RuntimeError("array body")
            raise Problem(400, INVALID, detail="The body must be a JSON object (a Customer record).")
        return value

    def _parse_form(self, raw: bytes) -> dict[str, Any]:
        try:
            text = raw.decode("utf-8")
            fields = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise Problem(400, INVALID, detail="The form body is not valid UTF-8 form data.") from None
        ignored = self.defect.has("form-ignores-key-fields")
        body, state = self.validators.parse_form(fields, keyed=not ignored, indexed=not ignored)
        if state:
            raise Problem(400, INVALID, state)
        return body

    def _target(self, body: dict[str, Any]) -> tuple[Record, bool]:
        """The record PATCH updates (contract rule 4), and whether CustomerId selected it."""
        customer_id = body.get("CustomerId")
        if isinstance(customer_id, int) and customer_id > 0:
            record = self.store.get(customer_id)
            if record is None:
                raise Problem(404, f"No customer matches CustomerId {customer_id}.")
            return record, True
        personal_id = body.get("PersonalId")
        if not personal_id:
            if self.defect.has("no-identifier-accepted") and self.store.customer_ids():
                lowest = self.store.get(self.store.customer_ids()[0])
                if lowest is not None:
                    return lowest, False
            raise Problem(
                400, INVALID, {"customer": ["A CustomerId greater than 0 or a PersonalId is required."]}
            )
        if self.defect.has("patch-personalid-ignores-type"):
            found = self.store.find_any_type(personal_id)
            if found is None:
                raise Problem(404, f"No customer matches PersonalId {personal_id!r}.")
            return found, False
        type_id = body.get("PersonalIdTypeId")
        ext_ref = body.get("PersonalIdTypeExtRef")
        if isinstance(type_id, int) and type_id > 0:
            pass
        elif ext_ref:
            id_type = self.store.type_by_ext_ref(ext_ref)
            if id_type is None:
                raise Problem(404, f"No customer-id type has the external reference {ext_ref!r}.")
            type_id = id_type.id
        else:
            lowest_type = self.store.lowest_type()
            if lowest_type is None:
                raise Problem(404, "No customer-id type is defined.")
            type_id = lowest_type.id
        record = self._find(type_id, personal_id)
        if record is None:
            raise Problem(404, f"No customer matches PersonalId {personal_id!r} in type {type_id}.")
        return record, False

    def _string(self, name: str, value: str) -> str:
        hook = self.defect.store_string
        return value if hook is None else hook(name, value)

    def _apply(self, record: Record, body: dict[str, Any]) -> Record:
        """The record with the body's changes (contract rule 5)."""
        updated = dict(record)
        nulls_clear = self.defect.has("null-clears")
        falsy_ignored = self.defect.has("falsy-ignored")
        newest = self.model.properties[-1] if self.defect.has("newest-property-not-stored") else None
        for name in self.updatable:
            if name not in body or name == newest:
                continue
            value = body[name]
            if value is None:
                if nulls_clear:
                    updated[name] = None
                continue
            if falsy_ignored and (value is False or value == "" or (type(value) is int and value == 0)):
                continue
            if name == "CustomProperties":
                merged = {} if self.defect.has("custom-properties-replace") else dict(record[name] or {})
                merged.update({k: self._string(name, v) for k, v in value.items()})
                updated[name] = merged
            elif name == "DOB":
                updated[name] = self._string(name, self._dob(value))
            elif isinstance(value, str):
                updated[name] = self._string(name, value)
            else:
                updated[name] = value
        return updated

    def _update(self, body: dict[str, Any]) -> Record:
        record, by_customer_id = self._target(body)
        updated = self._apply(record, body)
        writes = [updated]
        if by_customer_id and self.defect.has("identity-changed"):
            personal_id = body.get("PersonalId")
            if isinstance(personal_id, str) and personal_id:
                updated["PersonalId"] = personal_id
        if by_customer_id and self.defect.has("patch-wrong-record"):
            later = [i for i in self.store.customer_ids() if i > record["CustomerId"]]
            neighbour = self.store.get(later[0]) if later else None
            if neighbour is not None:
                writes.append(self._apply(neighbour, body))
        self.store.put(writes)
        return record if self.defect.has("stale-patch-response") else updated

    async def _update_unlocked(self, body: dict[str, Any]) -> Record:
        """Defect `lost-update`: read the record, wait as a slow transaction does, and write the
        record read with this body's changes over whatever another PATCH stored meanwhile."""
        record, _ = self._target(body)
        await asyncio.sleep(LOST_UPDATE_WINDOW)
        updated = self._apply(record, body)
        self.store.put([updated])
        return updated

    def _partial_write(self, body: dict[str, Any], state: ModelState) -> None:
        """Defect `partial-write-on-error`: store the valid properties of an invalid body."""
        valid = {k: v for k, v in body.items() if k not in state}
        try:
            record, _ = self._target(valid)
        except Problem:
            return
        self.store.put([self._apply(record, valid)])


class FastGet:
    """`GET {prefix}/Customers/{id}` answered straight from the ASGI scope, without building a
    Starlette Request or routing: the same `lookup` and `encode` as the routed handler, which
    still serves HEAD, every other method and path, and every error answer."""

    def __init__(self, app: ASGIApp, api: CustomersApi, base: str) -> None:
        self.app = app
        self.api = api
        self.start = f"{base}/Customers/"
        self.media = api.defect.media_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] != "GET" or not path.startswith(self.start):
            await self.app(scope, receive, send)
            return
        raw_query: bytes = scope["query_string"]
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)) if raw_query else {}
        try:
            record = self.api.lookup(path[len(self.start) :], query)
        except Problem:
            await self.app(scope, receive, send)  # the routed handler writes the error answer
            return
        media = self.media
        if media is None:
            accept = None
            for name, value in scope["headers"]:
                if name == b"accept":
                    accept = value.decode("latin-1")
                    break
            media = answer_type(accept)
        body = self.api.encode(record)
        headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class ApiKeyMiddleware:
    """401 for every request without `Authorization: Bearer KEY` or `X-Api-Key: KEY`."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.bearer = f"Bearer {key}".encode()
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            authorization = headers.get(b"authorization", b"")
            api_key = headers.get(b"x-api-key", b"")
            if not (
                hmac.compare_digest(authorization, self.bearer) or hmac.compare_digest(api_key, self.key)
            ):
                accept = headers.get(b"accept", b"").decode("latin-1")
                body = orjson.dumps({"Message": "Authorization has been denied for this request."})
                response = Response(
                    body, 401, {"WWW-Authenticate": 'Bearer, ApiKey header="X-Api-Key"'}, answer_type(accept)
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _normalize_prefix(prefix: str) -> str:
    prefix = prefix.strip()
    if not prefix or prefix == "/":
        return ""
    return "/" + prefix.strip("/")


def create_app(
    *,
    prefix: str = "",
    fixtures: Path | None = None,
    db: Path | None = None,
    api_key: str | None = None,
    defect: str | None = None,
    delay: Delay | None = None,
    stats_file: Path | None = None,
    lenient: bool = False,
    platform: Platform | None = None,
) -> Starlette:
    """The mock server as an ASGI app. Raises ValueError (or FixtureError) for bad arguments.

    `delay` holds every answer back like a distant server; with `stats_file`, the requests received
    are counted (`app.state.counter`) and written there as JSON when the app shuts down. `lenient`
    reads JSON bodies as ASP.NET Web API's Json.NET does (contract rule 14): comments and single
    quotes, property names in any case, and its conversions of mismatched values. `platform` makes
    it behave as ASP.NET Web API does where the contract lets a server choose (`Platform`); with a
    time zone, the starting customers' DOBs are stored in it too, as such a server writes them.
    """
    broken = get_defect(defect)
    spec = load_spec()
    validators = Validators(spec, broken.schema)
    data = load_fixtures(fixtures, spec)
    api_platform = platform or Platform()
    timezone = api_platform.timezone if broken.timezone is None else broken.timezone
    if timezone is not None:
        for customer in data.customers:
            if isinstance(customer.get("DOB"), str):
                customer["DOB"] = to_local(normalize_dob(customer["DOB"]), timezone)
    store = open_store(data, db)
    api = CustomersApi(store, validators, broken, lenient=lenient, platform=api_platform)
    base = _normalize_prefix(prefix)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            message = f"The requested resource does not support http method '{request.method}'."
        else:
            message = f"No HTTP resource was found that matches the request URI '{request.url.path}'."
        headers = dict(exc.headers or {})
        if "Allow" in headers:
            allowed = {m.strip() for m in headers["Allow"].split(",")}
            headers["Allow"] = ", ".join(m for m in ("GET", "HEAD", "PATCH") if m in allowed)
        return api.problem(request, Problem(exc.status_code, message, headers=headers))

    counter = RequestCounter() if stats_file is not None else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            try:
                if counter is not None and stats_file is not None:
                    counter.write(stats_file)
            finally:
                store.close()

    routes = [
        Route(f"{base}/Customers", api.patch_customer, methods=["PATCH"]),
        Route(f"{base}/Customers/{{id:path}}", api.get_customer, methods=["GET"]),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Any]] = {HTTPException: http_error}
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=lifespan)
    app.state.api = api
    app.state.store = store
    app.add_middleware(FastGet, api=api, base=base)
    if api_key:
        app.add_middleware(ApiKeyMiddleware, key=api_key)
    if delay is not None and delay.latency > 0:
        app.add_middleware(DelayMiddleware, delay=delay)
    if counter is not None:
        app.state.counter = counter
        app.add_middleware(CountingMiddleware, counter=counter)  # outermost: every request counts
    return app
