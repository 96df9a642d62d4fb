"""Where a run's requests go (contract rule 15; the request budget): every request is counted under
one kind of work, the kinds add up to the total, the reports show them, and the opening is sent
once per run however many examples follow."""

from __future__ import annotations

import functools
import threading

import httpx

from qflow_contracts.rules import Rule
from qflow_contracts.suite.evidence import KINDS, Evidence, RunInfo
from qflow_contracts.suite.http import SafeTransport, side_by_side
from qflow_contracts.suite.machine import run_machine
from qflow_contracts.suite.report import render_html, render_markdown
from qflow_contracts.suite.result import judge
from qflow_contracts.suite.target import Target
from tests.suite.servers import CUSTOMER_IDS, connect, mock_server, read_originals


def _counted_run(url: str, *, max_examples: int, seed: int) -> Evidence:
    """The machine against `url`, every request counted by the transport as in a real run."""
    evidence = Evidence()
    transport = SafeTransport(
        rate_limit=None, request_timeout=10, max_answer_bytes=1 << 20, on_request=evidence.request
    )
    client = connect(url, transport=transport)
    originals = read_originals(client, CUSTOMER_IDS)
    target = Target(base_url=url, customer_ids=CUSTOMER_IDS, owned=True, seed=seed, max_examples=max_examples)
    run_machine(target, client, originals, evidence)
    return evidence


def test_every_request_is_counted_under_one_kind_and_the_kinds_add_up() -> None:
    with mock_server() as url:
        evidence = _counted_run(url, max_examples=4, seed=11)
    assert evidence.requests > 0
    assert sum(evidence.spent.values()) == evidence.requests
    assert set(evidence.spent) <= set(KINDS)
    for kind in ("preflight", "opening", "steps", "checking reads"):
        assert evidence.spent[kind] > 0, kind
    rows = evidence.where_spent()
    assert sum(count for _, count, _ in rows) == evidence.requests
    assert round(sum(share for _, _, share in rows)) == 100


def test_the_opening_is_sent_once_per_run_however_many_examples_follow() -> None:
    with mock_server() as url:
        short = _counted_run(url, max_examples=2, seed=5)
    with mock_server() as url:
        long = _counted_run(url, max_examples=8, seed=5)
    assert short.spent["opening"] == long.spent["opening"] > 0
    assert long.spent["steps"] > short.spent["steps"]


def test_the_reports_say_where_the_requests_went() -> None:
    evidence = Evidence()
    with evidence.spending("opening"):
        for _ in range(3):
            evidence.request(Rule.GET_LOOKUP)
    evidence.request()
    assert evidence.spent == {"opening": 3, "preflight": 1}
    info = RunInfo(base_url="http://127.0.0.1:1/API")
    markdown = render_markdown(judge(evidence, info, set(Rule)))
    assert "## Where the requests went" in markdown
    assert f"| {KINDS['opening']} | 3 | 75 % |" in markdown
    page = render_html(judge(evidence, info, set(Rule)))
    assert "<h2>Where the requests went</h2>" in page
    assert '<td class="n">3</td><td class="n">75 %</td>' in page


def test_independent_reads_go_out_side_by_side_and_come_back_in_order() -> None:
    inside, most = 0, 0
    lock = threading.Lock()
    both = threading.Barrier(2, timeout=5)

    def read(number: int) -> int:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        if number < 2:
            both.wait()  # the first two only return once both are in flight at once
        with lock:
            inside -= 1
        return number

    assert side_by_side([functools.partial(read, n) for n in range(6)]) == list(range(6))
    assert most >= 2


def test_side_by_side_raises_the_first_failure_in_order_once_all_are_done() -> None:
    done: list[int] = []

    def call(number: int) -> int:
        done.append(number)
        if number in (1, 3):
            raise httpx.ReadError(f"read {number} failed")
        return number

    try:
        side_by_side([functools.partial(call, n) for n in range(5)])
    except httpx.ReadError as error:
        assert str(error) == "read 1 failed"
    else:
        raise AssertionError("no failure raised")
    assert sorted(done) == [0, 1, 2, 3, 4]
