"""Reading the given customers first and putting every one back at the end (NOTES rule 13)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qflow_client import Client

from qflow_contracts.suite.rules import ContractViolation
from qflow_contracts.suite.stateful import sendable_dob

IDENTITY = ("CustomerId", "PersonalId", "PersonalIdTypeId", "PersonalIdTypeExtRef")
NOT_RESTORED = ("CustomerId", "PersonalIdTypeId", "PersonalIdTypeExtRef")  # they select the record


class UnreadableCustomer(Exception):
    """A given customer could not be read before the run."""


def read_customer(client: Client, customer_id: int) -> dict[str, Any]:
    """GET one customer by CustomerId, as the plain JSON the server sent."""
    response = client.get_httpx_client().get(f"/Customers/{customer_id}")
    if response.status_code != 200:
        raise UnreadableCustomer(f"GET Customers/{customer_id} answered {response.status_code}")
    try:
        record = json.loads(response.content)
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("CustomerId") != customer_id:
        raise ContractViolation(
            "rule-2",
            f"GET Customers/{customer_id} did not answer a record whose CustomerId is {customer_id}: "
            f"{response.text[:300]}",
        )
    return record


def restore_body(original: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The PATCH that puts back what changed and PATCH can put back: non-null values only, and of
    CustomProperties only the original keys whose values differ."""
    body: dict[str, Any] = {"CustomerId": original["CustomerId"]}
    for key, value in original.items():
        # PersonalId too: PATCH by CustomerId ignores it on a conformant server, and puts it back on
        # one that changed it
        if value is None or key in NOT_RESTORED or current.get(key) == value:
            continue
        if key == "CustomProperties" and isinstance(value, dict):
            now: dict[str, Any] = current[key] if isinstance(current.get(key), dict) else {}
            value = {k: v for k, v in value.items() if now.get(k) != v}
        if key == "DOB" and not sendable_dob(value):
            continue  # answered without an offset: a request cannot carry it (NOTES rule 1)
        body[key] = value
    return body


def same_record(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Equal, DOB compared by calendar date (a server may rewrite its form, NOTES rule 1)."""
    if set(before) - set(after):
        return False
    for key, value in before.items():
        other = after.get(key)
        if key == "DOB" and isinstance(value, str) and isinstance(other, str):
            if value[:10] != other[:10]:
                return False
        elif value != other:
            return False
    return True


@dataclass
class RestoreVerdict:
    """What the restore at the end of a run found, customer by customer."""

    restored: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        if self.ok:
            return f"restore: all {len(self.restored)} customers read back as they were before the run"
        details = "; ".join(f"{cid}: {why}" for cid, why in sorted(self.failed.items()))
        return f"restore: FAILED for {len(self.failed)} customer(s): {details}"


def restore_all(client: Client, originals: dict[int, dict[str, Any]]) -> RestoreVerdict:
    """PATCH each customer back to its original values, then GET it again to prove it."""
    verdict = RestoreVerdict()
    for customer_id, original in originals.items():
        try:
            body = restore_body(original, read_customer(client, customer_id))
            if len(body) > 1:
                # raw JSON: the model would re-write DOB through datetime (six digits, +00:00)
                client.get_httpx_client().patch("/Customers", json=body)
            now = read_customer(client, customer_id)
        except Exception as error:  # a network failure must not stop the other restores
            verdict.failed[customer_id] = f"{type(error).__name__}: {error}"
            continue
        if same_record(original, now):
            verdict.restored.append(customer_id)
        else:
            changed = sorted(k for k in original if not same_record({k: original[k]}, {k: now.get(k)}))
            verdict.failed[customer_id] = f"differs in {', '.join(changed)}"
    return verdict
