"""Schemathesis, driven by the spec, made safe for a server the suite did not start.

Every Schemathesis request (its checks' probes included) goes through the suite's paced, bounded,
guarded transport: `session_for` gives Schemathesis a `requests` session whose adapter sends through
the run's httpx client. Headers are the client's, so Schemathesis never holds a credential.
On a deployment only GETs are sent, each re-aimed (`aim`) at a given customer (positive cases) or at
an identifier that cannot name anyone (every other case), contract rule 11. Failures are recorded in
the evidence ledger by rule, and the run goes on.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import httpx
import requests
import requests.adapters
import schemathesis
from schemathesis import GenerationMode
from urllib3 import HTTPResponse
from urllib3._collections import HTTPHeaderDict

from qflow_contracts.resources import spec_path
from qflow_contracts.rules import Rule
from qflow_contracts.suite.evidence import Evidence, Finding
from qflow_contracts.suite.policy import safe_path_segment
from qflow_contracts.suite.target import Target
from qflow_contracts.suite.targets import patch_selector

DOCUMENTED = {("GET", "/Customers/{id}"), ("PATCH", "/Customers")}
NOBODY = "qflow-contracts-no-such-customer-identifier"
"""Not a number (no CustomerId) and longer than a PersonalId may be: it names nobody."""
CHECK_RULES = {
    "not_a_server_error": Rule.ERRORS,
    "status_code_conformance": Rule.SPEC_STATUS,
    "content_type_conformance": Rule.SPEC_CONTENT_TYPE,
    "response_schema_conformance": Rule.SPEC_SCHEMA,
    "response_headers_conformance": Rule.SPEC_SCHEMA,
    "negative_data_rejection": Rule.SPEC_NEGATIVE,
    "positive_data_acceptance": Rule.SPEC_POSITIVE,
}


class HttpxAdapter(requests.adapters.HTTPAdapter):
    """A `requests` adapter that sends through an httpx client (the suite's transport)."""

    def __init__(self, http: httpx.Client) -> None:
        super().__init__()
        self.http = http

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        body = request.body or b""
        content = body.encode("utf-8") if isinstance(body, str) else bytes(body)  # type: ignore[arg-type]
        headers = {
            k: str(v) for k, v in request.headers.items() if k.lower() not in ("content-length", "host")
        }
        outgoing = self.http.build_request(
            str(request.method), str(request.url), headers=headers, content=content
        )
        answer = self.http.send(outgoing)
        raw = HTTPResponse(
            body=io.BytesIO(answer.content),
            headers=HTTPHeaderDict(list(answer.headers.multi_items())),
            status=answer.status_code,
            reason=answer.reason_phrase,
            version=11,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)


def session_for(http: httpx.Client) -> requests.Session:
    """A requests session whose every request goes through `http`."""
    session = requests.Session()
    session.trust_env = False  # no ~/.netrc credential, no proxy variables: the client's headers only
    adapter = HttpxAdapter(http)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def load_schema(target: Target) -> Any:
    """The spec as a Schemathesis schema aimed at `target`; GET only unless the suite started the server."""
    schema: Any = schemathesis.openapi.from_path(str(spec_path()))
    schema.config.update(base_url=target.base_url)
    if target.seed is not None:
        schema.config.seed = target.seed  # the run's one seed: --seed N replays Schemathesis' cases too
    schema.config.output.truncation.update(enabled=False)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=target.max_examples,
        allow_x00=True,
        database="none",
    )
    if target.read_only or not target.owned:
        # against a deployment, PATCH bodies are the stateful test's: it PATCHes given customers only
        schema = schema.include(method="GET")
    return schema


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and bool(meta.generation.mode.is_positive)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def aim(case: Any, target: Target, originals: dict[int, dict[str, Any]]) -> bool:
    """Point the case at what it may name; False when it must not be sent at all (contract rule 11)."""
    method = case.method.upper()
    if (method, case.path) not in DOCUMENTED:
        return target.owned  # never an undocumented method or path to a deployment
    if method != "GET" and (target.read_only or not target.owned):
        return False  # a deployment's PATCHes are the stateful test's, to given customers only
    if method == "PATCH":
        if _positive(case) and isinstance(case.body, dict) and patch_selector(case.body).kind == "none":
            case.body = {**case.body, "CustomerId": target.customer_ids[0]}  # rule 4 needs one
        return True
    drawn = str((case.path_parameters or {}).get("id", ""))
    pick = zlib.crc32(drawn.encode("utf-8", "surrogatepass"))
    if target.owned:
        if _positive(case) and pick % 2 == 0:
            query = case.query or {}
            if not query.get("idTypeExtRef") and _int(query.get("idType", 0)) <= 0:
                ids = target.customer_ids
                case.path_parameters = {**case.path_parameters, "id": str(ids[pick % len(ids)])}
        return True
    _aim_at_given(case, target, originals, pick)
    return True


def _aim_at_given(case: Any, target: Target, originals: dict[int, dict[str, Any]], pick: int) -> None:
    """On a deployment: a positive case reads a given customer in the lookup mode it drew; any other
    case names nobody."""
    query = dict(case.query or {})
    if not _positive(case):
        case.path_parameters = {**(case.path_parameters or {}), "id": NOBODY}
        return
    ids = [cid for cid in target.customer_ids if cid in originals]
    cid = ids[pick % len(ids)]
    record = originals[cid]
    pid, type_id, ext = (
        record.get("PersonalId"),
        record.get("PersonalIdTypeId"),
        record.get("PersonalIdTypeExtRef"),
    )
    if not safe_path_segment(pid):
        pid = None  # a PersonalId that cannot be a path segment on every server is read by CustomerId
    if query.get("idTypeExtRef"):
        if isinstance(pid, str) and pid and isinstance(ext, str) and ext:
            query["idTypeExtRef"], new_id = ext, pid
        else:
            query["idTypeExtRef"], new_id = ext or "", NOBODY
            if not query["idTypeExtRef"] or pid is None:
                query.pop("idTypeExtRef")
                query["idType"], new_id = 0, str(cid)
    elif _int(query.get("idType", 0)) > 0:
        if isinstance(pid, str) and pid and isinstance(type_id, int) and type_id > 0:
            query["idType"], new_id = type_id, pid
        else:
            query["idType"], new_id = 0, str(cid)
    else:
        new_id = str(cid)
    case.query = query
    case.path_parameters = {**(case.path_parameters or {}), "id": new_id}


def check(case: Any, target: Target, evidence: Evidence, session: requests.Session) -> None:
    """Send the case through the suite's transport and run Schemathesis' checks; each failure is a
    finding under the rule its check serves, and the run goes on."""
    from schemathesis.core.failures import FailureGroup

    response = case.call(session=session)
    first, *rest = sorted(_checked(case), key=lambda rule: rule.id)
    evidence.spent_on(first, *rest)  # one request checks each of these rules
    try:
        case.validate_response(response, transport_kwargs={"session": session})
    except FailureGroup as group:
        robustness = response.status_code >= 500 and bool(unclosed_bracket_keys(case))
        failed: set[Rule] = set()
        for failure in group.exceptions:
            names = getattr(failure, "checks", ()) or ("",)
            rule = CHECK_RULES.get(names[0], Rule.SPEC_STATUS)
            failed.add(rule)
            title = str(getattr(failure, "title", type(failure).__name__))
            summary = target.mask(f"{case.method} {case.path}: {title}")
            detail = target.mask(str(getattr(failure, "message", "")))
            curl = case.as_curl_command(headers={name: "***" for name in target.headers})
            if robustness:
                keys = ", ".join(map(repr, unclosed_bracket_keys(case)))
                summary = target.mask(
                    f"robustness: {case.method} {case.path} answered {response.status_code} for the "
                    f"undocumented query key {keys} (an unclosed '['), which ASP.NET Web API throws on. "
                    "A client must send only the documented query parameters"
                )
                evidence.lenient(
                    Finding(
                        Rule.ERRORS,
                        key="robustness:unclosed-bracket-query-key",
                        summary=summary,
                        detail=detail,
                        reproduction=target.mask(curl),
                        kind="robustness",
                    )
                )
                continue
            evidence.failed(
                Finding(rule, key=summary, summary=summary, detail=detail, reproduction=target.mask(curl))
            )
        for rule in _checked(case) - failed:
            evidence.held(rule)
        return
    for rule in _checked(case):
        evidence.held(rule)


def documented_query_keys() -> frozenset[str]:
    """The query parameters the spec documents for `GET Customers/{id}`."""
    from qflow_contracts.suite.model import load_facts

    operation = load_facts().document["paths"]["/Customers/{id}"]["get"]
    return frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")


def unclosed_bracket_keys(case: Any) -> list[str]:
    """The case's query keys the spec does not document that hold a `[` never closed (contract
    rule 8: ASP.NET Web API throws on them, a framework bug no client that follows the spec reaches)."""
    documented = documented_query_keys()
    keys = [str(key) for key in (case.query or {})]
    return [k for k in keys if k not in documented and k.rfind("[") > k.rfind("]")]


def _checked(case: Any) -> set[Rule]:
    rules = {Rule.ERRORS, Rule.SPEC_STATUS, Rule.SPEC_CONTENT_TYPE, Rule.SPEC_SCHEMA}
    rules.add(Rule.SPEC_POSITIVE if _positive(case) else Rule.SPEC_NEGATIVE)
    return rules
