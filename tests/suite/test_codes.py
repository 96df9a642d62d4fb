"""Finding codes (suite/codes.py): one registry, pinned; every finding the suite records against
the mock's defects has a code; a signature names the defect, never a run's random values; and
spec/CONTRACT.md lists every code under its rule."""

from __future__ import annotations

import pytest

from qflow_contracts.mock.defects import CATALOGUE
from qflow_contracts.resources import contract_path
from qflow_contracts.rules import Rule
from qflow_contracts.suite.codes import BY_CODE, CODES, UNCODED, code_of, mark, with_codes
from qflow_contracts.suite.evidence import Evidence, Finding
from tests.suite.servers import describe, mock_server, run

PINNED = {
    "QF001": ("spec-status", "(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\\S*: .+)"),
    "QF011": ("spec-content-type", "media:(?P<subject>\\dxx)"),
    "QF012": ("spec-content-type", "(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\\S*: .+)"),
    "QF021": ("spec-schema", "schema:(?P<names>.+)"),
    "QF022": ("spec-schema", "(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\\S*: .+)"),
    "QF023": ("spec-schema", "hostile-answer-depth"),
    "QF031": ("spec-positive", "(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\\S*: .+)"),
    "QF032": ("spec-positive", "status:(?P<subject>.+)"),
    "QF041": ("spec-negative", "(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\\S*: .+)"),
    "QF101": ("rule-1", "schema:(?P<names>.+)"),
    "QF102": ("rule-1", "dob:(?P<subject>[a-z-]+)"),
    "QF103": ("rule-1", "rule-1:(?P<subject>date-shifted:[a-z]+)"),
    "QF104": ("rule-1", "status:(?P<subject>.+)"),
    "QF105": ("rule-1", "platform:dob-converted"),
    "QF201": ("rule-2", "missing:(?P<subject>.+)"),
    "QF202": ("rule-2", "customer-id-type"),
    "QF203": ("rule-2", "not-object"),
    "QF204": ("rule-2", "property-names-case"),
    "QF205": ("rule-2", "customerid-not-integer"),
    "QF206": ("rule-2", "rule-2:(?P<subject>not-object:[a-z]+)"),
    "QF301": ("rule-3", "lookup:(?P<subject>customer|type|extref)"),
    "QF302": ("rule-3", "lookup:stale"),
    "QF303": ("rule-3", "status:(?P<subject>.+)"),
    "QF304": ("rule-3", "malformed-idtype:wrong-record"),
    "QF305": ("rule-3", "lenient:idtype-default"),
    "QF401": ("rule-4", "patch:404"),
    "QF402": ("rule-4", "patch:wrong-record"),
    "QF403": ("rule-4", "untargeted-changed:(?P<subject>rule-\\d+)"),
    "QF404": ("rule-4", "probe:(?P<subject>type|extref)"),
    "QF405": ("rule-4", "status:(?P<subject>.+)"),
    "QF406": ("rule-4", "(?P<subject>witness)-\\d+"),
    "QF501": ("rule-5", "identity:changed"),
    "QF502": ("rule-5", "rule-5:(?P<subject>null-cleared:[a-z]+)"),
    "QF503": ("rule-5", "rule-5:(?P<subject>unsent-changed:[a-z]+)"),
    "QF504": ("rule-5", "rule-5:(?P<subject>falsy-ignored:[a-z]+)"),
    "QF505": ("rule-5", "rule-5:(?P<subject>merge:[a-z]+)"),
    "QF506": ("rule-5", "rule-5:(?P<subject>not-applied:[a-z]+)"),
    "QF507": ("rule-5", "rule-5:(?P<subject>identity:[a-z]+)"),
    "QF508": ("rule-5", "lost-update"),
    "QF601": ("rule-6", "answer-differs"),
    "QF602": ("rule-6", "status:(?P<subject>.+)"),
    "QF701": ("rule-7", "rule-7:(?P<subject>altered:[a-z]+)"),
    "QF702": ("rule-7", "hostile-answer-(?P<subject>[a-z-]+)"),
    "QF801": ("rule-8", "5xx:(?P<subject>[A-Z]+)"),
    "QF802": ("rule-8", "status:(?P<subject>.+)"),
    "QF803": ("rule-8", "error-body:(?P<subject>\\d+)"),
    "QF804": ("rule-8", "refused-changed:(?P<subject>.+)"),
    "QF805": ("rule-8", "lenient-status:(?P<subject>.+)"),
    "QF806": ("rule-8", "lenient-stored-wrong:(?P<subject>.+)"),
    "QF807": ("rule-8", "untargeted-changed:(?P<subject>rule-\\d+)"),
    "QF808": ("rule-8", "(?P<subject>(GET|PATCH|POST|PUT|DELETE|HEAD|OPTIONS) /\\S*: .+)"),
    "QF809": ("rule-8", "robustness:unclosed-bracket-query-key"),
    "QF901": ("rule-9", "length:over-code-points-accepted"),
    "QF902": ("rule-9", "status:(?P<subject>.+)"),
    "QF903": ("rule-9", "platform:utf16-lengths"),
    "QF1001": ("rule-10", "status:(?P<subject>.+)"),
    "QF1002": ("rule-10", "form-dictionary"),
    "QF1003": ("rule-10", "form-blank-field"),
    "QF1401": ("rule-14", "lenient:(?P<subject>.+)"),
    "QF1501": ("rule-15", "rate"),
}
"""Every code ever given, its rule and the finding keys it covers. A code never changes or goes:
add new codes here as they are given, never edit a line."""


def test_the_table_of_codes_is_pinned() -> None:
    assert {code.code: (code.rule.id, code.pattern) for code in CODES} == PINNED


def test_each_code_is_given_once_and_numbered_under_its_rule() -> None:
    assert len(BY_CODE) == len(CODES)
    for code in CODES:
        assert code.code != UNCODED and code.title and code.todo
        number = int(code.code[2:])
        if code.rule.number is not None:
            assert number // 100 == code.rule.number, code
        else:
            assert number < 100, code


def test_no_key_is_covered_by_two_codes_of_one_rule() -> None:
    keys = [
        "status:PATCH:415",
        "lenient:integer-as-string",
        "schema:DOB",
        "GET /Customers/{id}: Server error",
    ]
    for rule in Rule:
        for key in keys:
            assert sum(bool(code.matches(key)) for code in CODES if code.rule is rule) <= 1, (rule, key)


@pytest.mark.parametrize(
    ("rule", "key", "code", "signature"),
    [
        (Rule.PATCH_TARGET, "witness-104", "QF406", "rule-4/QF406/witness"),
        (Rule.SPEC_SCHEMA, "schema:Email,FirstName", "QF021", "spec-schema/QF021/string"),
        (Rule.SPEC_SCHEMA, "schema:Sex", "QF021", "spec-schema/QF021/integer"),
        (Rule.DOB, "schema:DOB", "QF101", "rule-1/QF101/date"),
        (Rule.ROUND_TRIP, "hostile-answer-surrogate", "QF702", "rule-7/QF702/surrogate"),
        (Rule.SPEC_SCHEMA, "hostile-answer-depth", "QF023", "spec-schema/QF023/hostile-answer-depth"),
        (
            Rule.ERRORS,
            "PATCH /Customers: Server error",
            "QF808",
            "rule-8/QF808/PATCH /Customers: Server error",
        ),
        (Rule.FORM_BODIES, "status:PATCH:415", "QF1001", "rule-10/QF1001/PATCH:415"),
        (Rule.PACED, "rate", "QF1501", "rule-15/QF1501/rate"),
        (Rule.WHOLE_RECORDS, "property-names-case", "QF204", "rule-2/QF204/property-names-case"),
        (Rule.ERRORS, "robustness:unclosed-bracket-query-key", "QF809", None),
    ],
)
def test_keys_the_run_records_outside_the_machine_have_codes(
    rule: Rule, key: str, code: str, signature: str | None
) -> None:
    """Keys written by the lifecycle (witnesses, pacing, hostile answers, the preflight) and by
    the Schemathesis phase, which the machine runs below do not reach."""
    found = mark(Finding(rule, key, "summary"))
    assert found.code == code
    if signature is not None:
        assert found.signature == signature


def test_a_finding_no_code_covers_is_shown_as_uncoded() -> None:
    assert code_of(Rule.ERRORS, "a-key-no-check-writes") is None
    assert mark(Finding(Rule.ERRORS, "a-key-no-check-writes", "s")).code == UNCODED


def _marks(evidence: Evidence) -> list[tuple[str, str, str]]:
    return [
        (finding.key, *(lambda m: (m.code, m.signature))(mark(finding)))
        for tally in evidence.tallies.values()
        for finding in (*tally.findings, *tally.leniencies)
    ]


@pytest.mark.parametrize("defect", sorted(CATALOGUE))
def test_every_finding_of_every_defect_has_a_code_and_the_same_signatures_under_two_seeds(
    defect: str,
) -> None:
    """A new check or mock defect (a new kind of finding) fails here until codes.py has its line."""
    signatures = []
    for seed in (1, 2):
        with mock_server(defect) as url:
            evidence = run(url, seed=seed, max_examples=1)
        marks = _marks(evidence)
        assert marks, describe(evidence)
        uncoded = [key for key, code, _ in marks if code == UNCODED]
        assert not uncoded, f"{defect}: no code in suite/codes.py covers {uncoded}"
        subjects = [signature.split("/", 2)[2] for _, _, signature in marks]
        assert not any(str(cid) in subject for cid in range(101, 109) for subject in subjects), subjects
        signatures.append({signature for _, _, signature in marks})
    assert signatures[0] == signatures[1], defect


def test_the_contract_lists_every_code_under_its_rule() -> None:
    document = contract_path().read_text(encoding="utf-8")
    assert with_codes(document) == document, "run: python -m qflow_contracts.suite.codes --write"
    for code in CODES:
        anchor = f'<a id="{code.rule.id}"></a>' if code.rule.number is not None else '<a id="the-spec"></a>'
        section = document.split(anchor, 1)[1].split('<a id="', 1)[0]
        assert f"- `{code.code}`" in section, code
