"""The contract's rules, by id: every check, finding and verdict names the one it is about.

The fifteen numbered rules are the sections of `spec/CONTRACT.md`; the `spec-*` clauses are what
the OpenAPI document itself says (status codes, media types, schemas), checked through Schemathesis.
"""

from __future__ import annotations

import enum

CONTRACT_DOCUMENT = "spec/CONTRACT.md"


class Rule(enum.Enum):
    """One clause of the contract: `id` is what reports and failures print."""

    SPEC_STATUS = ("spec-status", "Spec: only documented status codes")
    SPEC_CONTENT_TYPE = ("spec-content-type", "Spec: responses in a documented media type")
    SPEC_SCHEMA = ("spec-schema", "Spec: response bodies match their schema")
    SPEC_POSITIVE = ("spec-positive", "Spec: schema-valid requests are accepted")
    SPEC_NEGATIVE = ("spec-negative", "Spec: schema-invalid requests are rejected")
    DOB = ("rule-1", "DOB is an RFC 3339 date-time and reads back with its calendar date")
    WHOLE_RECORDS = ("rule-2", "Responses carry every property, CustomerId an integer")
    GET_LOOKUP = ("rule-3", "GET looks up by CustomerId, idType or idTypeExtRef")
    PATCH_TARGET = ("rule-4", "PATCH targets by CustomerId, else PersonalId within its type")
    PARTIAL_UPDATE = ("rule-5", "PATCH is partial, merges CustomProperties, never changes identity")
    PATCH_ANSWER = ("rule-6", "PATCH answers 200 with exactly what the next GET returns")
    ROUND_TRIP = ("rule-7", "Values round-trip exactly")
    ERRORS = ("rule-8", "Bad input gets 400/404/415, an ASP.NET error body, no change, no 5xx")
    UNKNOWN_AND_LIMITS = ("rule-9", "Unknown properties ignored, 32-bit integers, string lengths")
    FORM_BODIES = ("rule-10", "Form bodies, CustomProperties[key]=value")
    ONLY_GIVEN = ("rule-11", "Only documented requests; only the given customers are touched")
    AUTHENTICATION = ("rule-12", "Credentials pass through and never reach an output")
    RESTORED = ("rule-13", "A run leaves every record as it found it")
    LENIENCY = ("rule-14", "Leniency is not breakage: Json.NET conversions are warnings")
    PACED = ("rule-15", "A deployment is never hammered")

    def __init__(self, rule_id: str, title: str) -> None:
        self.id = rule_id
        self.title = title

    @property
    def number(self) -> int | None:
        """The rule's number in the contract document, or None for a spec clause."""
        return int(self.id.split("-")[1]) if self.id.startswith("rule-") else None

    @property
    def link(self) -> str:
        """Where the contract document explains this rule."""
        anchor = self.id if self.number is not None else "the-spec"
        return f"{CONTRACT_DOCUMENT}#{anchor}"

    @classmethod
    def by_id(cls, rule_id: str) -> Rule:
        """The rule whose id is `rule_id` (KeyError otherwise)."""
        for rule in cls:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"unknown rule {rule_id!r}")


PATCH_RULES: frozenset[Rule] = frozenset(
    {
        Rule.DOB,
        Rule.PATCH_TARGET,
        Rule.PARTIAL_UPDATE,
        Rule.PATCH_ANSWER,
        Rule.ROUND_TRIP,
        Rule.UNKNOWN_AND_LIMITS,
        Rule.FORM_BODIES,
        Rule.LENIENCY,
    }
)
"""The rules only a PATCH can exercise: a read-only run does not ask them."""


def why_not_asked(rule: Rule, *, owned: bool, read_only: bool, credentials: bool) -> str | None:
    """Why a run of this kind does not check `rule`, or None when it does (`spec/CONTRACT.md`,
    "What a run checks")."""
    if read_only and rule in PATCH_RULES:
        return "read-only run: no PATCH is sent"
    if rule is Rule.AUTHENTICATION and not credentials:
        return "no credentials were given, so none could leak"
    if rule is Rule.ONLY_GIVEN and owned:
        return "the embedded mock is the suite's own server: it may be sent anything"
    if rule is Rule.RESTORED and read_only:
        return "read-only run: nothing is changed, so nothing is restored"
    if rule is Rule.RESTORED and owned:
        return "the embedded mock is discarded after the run: nothing is restored"
    if rule is Rule.PACED and owned:
        return "the embedded mock is the suite's own server: its requests are not paced"
    return None
