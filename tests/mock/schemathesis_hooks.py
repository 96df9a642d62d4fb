"""Schemathesis hooks for the mock's run (loaded through SCHEMATHESIS_HOOKS by test_schemathesis.py).

Two pieces of test data that JSON Schema cannot carry, and nothing else:

- contract rule 4: a PATCH with neither a positive CustomerId nor a PersonalId is refused with 400, a rule
  outside the body's schema. A *positive* PATCH case without an identifier gets the PersonalId of a
  fixture customer added (every generated property is kept), so the positive-data check holds the
  server to accepting it.
- Drawn GET ids rarely exist: half of the positive CustomerId-mode GET cases read a fixture customer,
  so the response checks see 200 answers too.
"""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis

FIXTURE_IDS = ("101", "102", "103", "104", "105", "106", "107")


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and bool(meta.generation.mode.is_positive)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    """Runs before every request of every phase (examples, coverage, fuzzing, stateful)."""
    if not _positive(case):
        return
    if case.method.upper() == "PATCH" and isinstance(case.body, dict):
        customer_id = case.body.get("CustomerId")
        has_id = isinstance(customer_id, int) and not isinstance(customer_id, bool) and customer_id > 0
        if not has_id and not case.body.get("PersonalId"):
            case.body = {**case.body, "PersonalId": "A1234567"}
    elif case.method.upper() == "GET" and case.path_parameters:
        query = case.query or {}
        drawn = str(case.path_parameters.get("id", ""))
        by_customer_id = not query.get("idTypeExtRef") and int(query.get("idType", 0) or 0) <= 0
        if by_customer_id and zlib.crc32(drawn.encode("utf-8", "surrogatepass")) % 2 == 0:
            pick = FIXTURE_IDS[zlib.crc32(drawn.encode("utf-8", "surrogatepass")) % len(FIXTURE_IDS)]
            case.path_parameters = {**case.path_parameters, "id": pick}
