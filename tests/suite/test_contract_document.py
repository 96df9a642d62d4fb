"""spec/CONTRACT.md and the rules enum say the same: an anchored section per rule, same titles."""

from __future__ import annotations

import re

from qflow_contracts.rules import Rule
from tests.conftest import REPO

DOCUMENT = (REPO / "spec" / "CONTRACT.md").read_text(encoding="utf-8")
SECTION = re.compile(r'^<a id="(rule-\d+)"></a>\n## (\d+)\. (.+)$', re.MULTILINE)


def test_every_rule_has_its_section_and_every_section_its_rule() -> None:
    sections = {anchor: (int(number), title) for anchor, number, title in SECTION.findall(DOCUMENT)}
    numbered = {rule.id: (rule.number, rule.title) for rule in Rule if rule.number is not None}
    assert sections == numbered
    assert sorted(number for number, _ in sections.values()) == list(range(1, 16))


def test_every_rule_link_resolves_to_an_anchor() -> None:
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', DOCUMENT))
    for rule in Rule:
        document, _, anchor = rule.link.partition("#")
        assert document == "spec/CONTRACT.md"
        assert anchor in anchors, rule


def test_the_spec_section_names_every_spec_clause_with_its_title() -> None:
    section = DOCUMENT.split('<a id="the-spec"></a>', 1)[1].split('<a id="rule-1"></a>', 1)[0]
    for rule in Rule:
        if rule.number is None:
            assert f"`{rule.id}`: **{rule.title}**" in section


def test_every_internal_link_has_its_anchor() -> None:
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', DOCUMENT))
    assert set(re.findall(r"\]\(#([^)]+)\)", DOCUMENT)) <= anchors


def test_the_document_speaks_of_the_project_alone() -> None:
    assert not re.search(r"NOTES|seeds?\b|issue \d", DOCUMENT)
