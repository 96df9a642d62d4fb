"""The Markdown, JUnit and HTML reports, from hand-made ledgers."""

from __future__ import annotations

import hashlib
import html.parser
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from qflow_contracts.resources import spec_path
from qflow_contracts.rules import PATCH_RULES, Rule
from qflow_contracts.suite import report
from qflow_contracts.suite.evidence import Evidence, Finding, RunInfo
from qflow_contracts.suite.facts import spec_facts, utc_now
from qflow_contracts.suite.result import RunResult, judge
from tests.suite.ledgers import DIGEST, LENIENCY, THREE, asked, exercised, finding, info

Renderer = Callable[[Evidence, RunInfo, set[Rule]], str]


def _judged(write: Callable[[RunResult], str]) -> Renderer:
    def render(evidence: Evidence, facts: RunInfo, rules: set[Rule]) -> str:
        return write(judge(evidence, facts, rules))

    render.__name__ = write.__name__
    return render


render_markdown = _judged(report.render_markdown)
render_junit = _judged(report.render_junit)
render_html = _judged(report.render_html)
RENDERERS: list[Renderer] = [render_markdown, render_junit, render_html]


def _three_findings() -> tuple[Evidence, set[Rule]]:
    rules = asked()
    evidence = exercised(rules)
    for each in THREE:
        assert evidence.failed(each)
    return evidence, rules


@pytest.mark.parametrize("render", RENDERERS, ids=lambda render: render.__name__)
def test_three_findings_of_three_rules_are_all_in_every_report(render: Renderer) -> None:
    evidence, rules = _three_findings()
    text = render(evidence, info(), rules)
    for each in THREE:
        assert each.rule.id in text
        assert "Customers" in text and "curl -X PATCH" in text
    assert "a null FirstName cleared the stored value" in text
    assert "Zoë" in text
    assert "idTypeExtRef was ignored" in text
    assert "NOT CONFORMANT" in text


def test_the_markdown_carries_the_run_facts() -> None:
    rules = asked()
    text = render_markdown(exercised(rules), info(), rules)
    assert "2026-11-23T16:00:00Z" in text
    assert "qflow-contracts 0.1.0" in text
    assert "version 1.0.0" in text and DIGEST in text
    assert "4242" in text and "12.3 s" in text
    assert f"| Requests | {len(rules)} |" in text
    assert "**Verdict: CONFORMANT**" in text
    assert "[Values round-trip exactly](#contract-rule-7)" in text
    assert '<a id="contract-rule-7"></a>' in text and "a key not sent is kept" in text


def test_the_markdown_lists_a_finding_with_detail_and_reproduction() -> None:
    evidence, rules = _three_findings()
    text = render_markdown(evidence, info(), rules)
    section = text.split("## Findings", 1)[1]
    assert "### rule-5 QF502: a null FirstName cleared the stored value" in section
    assert "sent {}\nanswered 500" in section
    assert "```sh\ncurl -X PATCH" in section


def test_a_read_only_report_never_says_a_patch_rule_passed() -> None:
    rules = asked(read_only=True)
    text = render_markdown(exercised(rules), info(read_only=True), rules)
    for rule in PATCH_RULES:
        row = next(line for line in text.splitlines() if line.startswith(f"| {rule.id} |"))
        assert "| not asked |" in row and "passed" not in row
    assert "read-only run: no PATCH is sent" in text


def test_a_markdown_fence_in_a_detail_cannot_close_its_block() -> None:
    rules = asked()
    evidence = exercised(rules)
    evidence.failed(finding(Rule.ERRORS, "fence", "500 on a body", detail="```\n# not a heading"))
    text = render_markdown(evidence, info(), rules)
    assert "````\n```\n# not a heading\n````" in text


def test_leniency_is_a_warning_and_a_failure_when_strict() -> None:
    rules = asked()
    evidence = exercised(rules)
    evidence.lenient(LENIENCY)
    text = render_markdown(evidence, info(), rules)
    assert "**Verdict: CONFORMANT**" in text and "warnings, not failures" in text
    assert "| rule-14 |" in text and "| leniency |" in text
    strict = render_markdown(evidence, info(strict=True), rules)
    assert "**Verdict: NOT CONFORMANT**" in strict and "**FAILED**" in strict


def _junit(evidence: Evidence, facts: RunInfo, rules: set[Rule]) -> ET.Element:
    return ET.fromstring(render_junit(evidence, facts, rules).encode("utf-8"))


def test_junit_has_one_testcase_per_rule_skipped_when_not_asked_or_exercised() -> None:
    rules = asked(read_only=True)
    evidence = exercised(rules - {Rule.GET_LOOKUP})
    evidence.not_exercised(Rule.GET_LOOKUP, "no given customer has a PersonalId")
    root = _junit(evidence, info(read_only=True), rules)
    cases = {case.get("classname", "").removeprefix("qflow."): case for case in root.iter("testcase")}
    assert set(cases) == {rule.id for rule in Rule}
    skipped = {rule_id for rule_id, case in cases.items() if case.find("skipped") is not None}
    assert skipped == {rule.id for rule in Rule if rule not in rules} | {Rule.GET_LOOKUP.id}
    message = cases["rule-3"].find("skipped")
    assert message is not None and "PersonalId" in message.get("message", "")
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == str(len(Rule))
    assert suite.get("skipped") == str(len(skipped)) and suite.get("failures") == "0"


def test_junit_fails_each_rule_with_findings_and_carries_leniency_as_output() -> None:
    evidence, rules = _three_findings()
    evidence.lenient(LENIENCY)
    root = _junit(evidence, info(), rules)
    failed = {case.get("classname") for case in root.iter("testcase") if case.find("failure") is not None}
    assert failed == {f"qflow.{each.rule.id}" for each in THREE}
    lenient = next(case for case in root.iter("testcase") if case.get("classname") == "qflow.rule-14")
    out = lenient.find("system-out")
    assert lenient.find("failure") is None and out is not None and "Sex" in (out.text or "")
    strict = _junit(evidence, info(strict=True), rules)
    lenient = next(case for case in strict.iter("testcase") if case.get("classname") == "qflow.rule-14")
    assert lenient.find("failure") is not None


def test_junit_escapes_markup_and_drops_what_xml_cannot_carry() -> None:
    rules = asked()
    evidence = exercised(rules)
    hostile = 'a <b> & "c" \x00\x1b[31m \ud800 ]]> end'
    evidence.failed(Finding(Rule.ERRORS, "hostile", hostile, detail=hostile, reproduction=hostile))
    text = render_junit(evidence, info(base_url="http://h/<x>&"), rules)
    root = ET.fromstring(text.encode("utf-8"))
    failure = next(case.find("failure") for case in root.iter("testcase") if case.find("failure") is not None)
    assert failure is not None
    assert 'a <b> & "c" \\x00\\x1b[31m \\ud800 ]]> end' in (failure.text or "")
    assert "\x00" not in text and "\x1b" not in text


class _Page(html.parser.HTMLParser):
    """Collects the tags and the text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_a_script_in_a_finding_and_needs_nothing_outside() -> None:
    rules = asked()
    evidence = exercised(rules)
    evidence.failed(
        finding(Rule.ROUND_TRIP, "script", "FirstName <script>alert(1)</script> read back changed")
    )
    text = render_html(evidence, info(), rules)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = _Page()
    page.feed(text)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert "style" in page.tags
    assert all(link.startswith("#") for link in page.links)
    assert "FirstName <script>alert(1)</script> read back changed" in "".join(page.text)
    assert "NOT CONFORMANT" in "".join(page.text)


def test_spec_facts_are_the_documents_version_and_digest(spec: dict[str, Any]) -> None:
    version, digest = spec_facts(spec_path())
    assert version == spec["info"]["version"]
    assert digest == hashlib.sha256(spec_path().read_bytes()).hexdigest()


def test_html_carries_each_rules_statement_and_links_to_it_in_the_page() -> None:
    rules = asked()
    text = render_html(exercised(rules), info(), rules)
    page = _Page()
    page.feed(text)
    for rule in Rule:
        assert f'href="#contract-{rule.id}"' in text and f'id="contract-{rule.id}"' in text
    assert "a key not sent is kept" in "".join(page.text)
    assert "<code>idTypeExtRef</code>" in text


def test_the_start_is_an_utc_date_time_to_the_second() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_now())


def test_requests_beside_a_rule_never_read_as_nothing_sent() -> None:
    rules = asked(owned=False)
    evidence = exercised(set())
    for _ in range(3):
        evidence.request()
    evidence.spent_on(Rule.SPEC_STATUS, Rule.SPEC_SCHEMA)  # one Schemathesis request, two rules
    evidence.held(Rule.ROUND_TRIP)  # a check riding on a request sent for another rule
    evidence.held(Rule.ONLY_GIVEN, 3)  # every request
    text = render_markdown(evidence, info(owned=False), rules)
    row = {
        line.split(" | ")[0][2:]: line
        for line in text.splitlines()
        if line.startswith("| rule-") or line.startswith("| spec-")
    }
    assert "| 1 |" in row["spec-status"] and "| 1 |" in row["spec-schema"]
    assert "| shared |" in row["rule-7"]
    assert "| all 3 |" in row["rule-11"]
    assert "`shared` for a rule whose checks ride on requests sent for other rules" in text
