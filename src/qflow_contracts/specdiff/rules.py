"""The registry of spec-diff's rules: every kind of change it classifies, under a stable id in
oasdiff's style (`request-property-max-length-decreased`), with what it means.

A rule's id is written as a pattern whose `{placeholders}` stand for the parts that vary (where
the schema is: `{direction}`, `{subject}`; which bound or keyword moved); `rule_of` finds the rule
an id belongs to, and `model.classified` refuses an id no rule here covers, so a new kind of change
is one new line here. The ids never change meaning: a CI job or a changelog may key on them.
"""

# ruff: noqa: E501
# (the table of rules keeps one rule a line)
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

PLACEHOLDERS = {
    "direction": "request|response",
    "subject": "property|parameter|body|header",
    "bound": "max-length|max|max-items|max-props|min-length|min|min-items|min-props",
    "exclusive": "exclusive-max|exclusive-min",
    "keyword": "[a-z][a-z-]*",
    "attribute": "style|explode|allowemptyvalue|allowreserved|content",
}
"""What each placeholder of a rule's pattern stands for."""


@dataclass(frozen=True)
class ChangeRule:
    """One kind of spec change: the pattern of its ids and what it means."""

    pattern: str
    title: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The ids this rule covers."""
        parts = re.split(r"\{(\w+)\}", self.pattern)
        text = "".join(
            f"(?:{PLACEHOLDERS[part]})" if number % 2 else re.escape(part)
            for number, part in enumerate(parts)
        )
        return re.compile(text)

    def covers(self, rule_id: str) -> bool:
        """Whether `rule_id` is one of this rule's ids."""
        return self.regex.fullmatch(rule_id) is not None


# fmt: off
RULES: tuple[ChangeRule, ...] = (
    # ---- operations and the document ----------------------------------------------------------------
    ChangeRule("api-operation-removed", "an operation is gone"),
    ChangeRule("api-operation-added", "a new operation"),
    ChangeRule("api-operation-id-changed", "an operationId changed: the client's function is renamed"),
    ChangeRule("api-tag-changed", "an operation's tags changed: the client's module is renamed"),
    ChangeRule("api-deprecation-changed", "an operation was deprecated or undeprecated"),
    ChangeRule("api-security-alternative-added", "a way to authenticate added; all accepted before still is"),
    ChangeRule("api-security-alternative-removed", "a way to authenticate removed; requests using it are refused"),
    ChangeRule("api-security-changed", "the security requirements changed otherwise"),
    ChangeRule("documentation-changed", "a description, summary, title or example changed"),
    ChangeRule("info-changed", "the document's title or description changed"),
    ChangeRule("examples-changed", "the document's named examples changed"),
    ChangeRule("servers-changed", "the document's servers changed"),
    ChangeRule("other-edits", "descriptions, examples or unused components changed, and nothing else"),
    # ---- parameters ----------------------------------------------------------------------------------
    ChangeRule("request-parameter-removed", "a parameter is gone"),
    ChangeRule("new-required-request-parameter", "a new parameter every request must send"),
    ChangeRule("new-optional-request-parameter", "a new optional parameter"),
    ChangeRule("request-parameter-became-required", "a parameter every request must now send"),
    ChangeRule("request-parameter-became-optional", "a parameter a request may now leave out"),
    ChangeRule("request-parameter-{attribute}-changed", "a parameter is written differently (style, explode...)"),
    # ---- bodies, media types, statuses, headers --------------------------------------------------------
    ChangeRule("request-body-removed", "the request body is gone"),
    ChangeRule("request-body-added-required", "a request body every request must send"),
    ChangeRule("request-body-added", "an optional request body"),
    ChangeRule("request-body-became-required", "the request body must now be sent"),
    ChangeRule("request-body-became-optional", "the request body may now be left out"),
    ChangeRule("{direction}-media-type-removed", "a media type is gone"),
    ChangeRule("{direction}-media-type-added", "a new media type"),
    ChangeRule("{direction}-encoding-changed", "a form's field encoding changed"),
    ChangeRule("response-status-removed", "a documented status is gone"),
    ChangeRule("response-status-added", "a new documented status"),
    ChangeRule("response-header-removed", "a response header is gone"),
    ChangeRule("response-header-added", "a new response header"),
    # ---- schemas -----------------------------------------------------------------------------------------
    ChangeRule("schema-renamed", "a schema's name changed: the client's class is renamed"),
    ChangeRule("{direction}-{subject}-schema-changed", "a schema replaced by one of another shape"),
    ChangeRule("{direction}-{subject}-type-changed", "a value's type changed"),
    ChangeRule("{direction}-{subject}-type-generalized", "a value's type widened (integer to number, or any)"),
    ChangeRule("{direction}-{subject}-format-changed", "a value's format changed (the client's Python type, for dates)"),
    ChangeRule("{direction}-{subject}-format-widened", "a number's format widened (int32 to int64)"),
    ChangeRule("{direction}-{subject}-format-narrowed", "a number's format narrowed (int64 to int32)"),
    ChangeRule("{direction}-{subject}-became-nullable", "a value may now be null"),
    ChangeRule("{direction}-{subject}-became-not-nullable", "a value may no longer be null"),
    ChangeRule("{direction}-{subject}-{bound}-set", "a bound set where there was none"),
    ChangeRule("{direction}-{subject}-{bound}-unset", "a bound removed"),
    ChangeRule("{direction}-{subject}-{bound}-increased", "a bound raised"),
    ChangeRule("{direction}-{subject}-{bound}-decreased", "a bound lowered"),
    ChangeRule("{direction}-{subject}-{exclusive}-set", "a bound made exclusive"),
    ChangeRule("{direction}-{subject}-{exclusive}-unset", "a bound made inclusive"),
    ChangeRule("{direction}-{subject}-enum-set", "an enum set: only its values are allowed"),
    ChangeRule("{direction}-{subject}-enum-unset", "an enum removed: any value of the type is allowed"),
    ChangeRule("{direction}-{subject}-enum-value-removed", "values removed from an enum"),
    ChangeRule("{direction}-{subject}-enum-value-added", "values added to an enum"),
    ChangeRule("{direction}-{subject}-default-set", "a default set where there was none"),
    ChangeRule("{direction}-{subject}-default-unset", "a default removed: code that relied on it behaves otherwise"),
    ChangeRule("{direction}-{subject}-default-changed", "a default changed: code that relied on it behaves otherwise"),
    ChangeRule("{direction}-property-removed", "a property is gone: the client's model loses its field"),
    ChangeRule("{direction}-property-added", "an optional property added"),
    ChangeRule("request-property-added-required", "a property every request must send"),
    ChangeRule("response-property-added-required", "a property every answer carries, new"),
    ChangeRule("{direction}-property-became-required", "a property must now be present"),
    ChangeRule("{direction}-property-became-optional", "a property may now be left out"),
    ChangeRule("{direction}-schema-additional-properties-changed", "which properties an object may carry beside its own changed"),
    ChangeRule("{direction}-{subject}-{keyword}-set", "a constraint keyword added (pattern, multipleOf, not...)"),
    ChangeRule("{direction}-{subject}-{keyword}-unset", "a constraint keyword removed"),
    ChangeRule("{direction}-{subject}-{keyword}-changed", "a constraint keyword changed"),
)
# fmt: on


def rule_of(rule_id: str) -> ChangeRule:
    """The registered rule `rule_id` belongs to (the first that covers it)."""
    for rule in RULES:
        if rule.covers(rule_id):
            return rule
    raise KeyError(f"spec-diff has no registered rule for {rule_id!r} (specdiff/rules.py)")
