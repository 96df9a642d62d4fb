"""The contract's rules, by id: every failure names the one it breaks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One clause of the contract (the spec or a NOTES rule)."""

    id: str
    title: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("spec-status", "Spec: only documented status codes"),
        Rule("spec-content-type", "Spec: responses in a documented media type"),
        Rule("spec-schema", "Spec: response bodies match their schema"),
        Rule("spec-positive", "Spec: schema-valid requests are accepted"),
        Rule("spec-negative", "Spec: schema-invalid requests are rejected"),
        Rule("rule-1", "NOTES 1: DOB is an RFC 3339 date-time and reads back with its calendar date"),
        Rule("rule-2", "NOTES 2: responses carry all 16 properties, CustomerId an integer"),
        Rule("rule-3", "NOTES 3: GET looks up by CustomerId, idType or idTypeExtRef"),
        Rule("rule-4", "NOTES 4: PATCH targets by CustomerId, else PersonalId within its type"),
        Rule("rule-5", "NOTES 5: PATCH is partial, merges CustomProperties, never changes identity"),
        Rule("rule-6", "NOTES 6: PATCH answers 200 with exactly what the next GET returns"),
        Rule("rule-7", "NOTES 7: values round-trip exactly"),
        Rule("rule-8", "NOTES 8: bad input gets 400/404/415, an ASP.NET error body, no change, no 5xx"),
        Rule("rule-9", "NOTES 9: unknown properties ignored, 32-bit integers, lengths in code points"),
        Rule("rule-10", "NOTES 10: form bodies, CustomProperties[key]=value"),
        Rule("rule-13", "NOTES 13: a run leaves every record as it found it"),
    )
}


class ContractViolation(AssertionError):
    """A server broke a rule of the contract; `reproduction` is a curl line with secrets masked."""

    def __init__(self, rule: str, message: str, reproduction: str | None = None) -> None:
        if rule not in RULES:
            raise KeyError(f"unknown rule {rule!r}")
        self.rule = RULES[rule]
        self.detail = message
        self.reproduction = reproduction
        text = f"[{self.rule.id}] {self.rule.title}: {message}"
        if reproduction:
            text += f"\nReproduce with:\n  {reproduction}"
        super().__init__(text)
