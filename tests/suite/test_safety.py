"""`qflow-contracts run` against a hostile stand-in for a production deployment (`hostile.py`):
each promise of contract rules 11, 12, 13 and 15 checked end to end, the runner as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from ctypes import c_int32, c_int64, c_uint32, c_uint64
from pathlib import Path

import pytest

from tests.suite.hostile import AUTH, IDS, KEY, WITNESS, Edit, Hostile, records, same_records, serve
from tests.suite.jsonreport import read_report

BIN = Path(sys.executable).parent
FAST = ["--rate-limit", "1000", "--max-examples", "1"]
"""Paced at the most a run allows, the smallest budget: these tests check safety, not coverage."""


def _ids(ids: tuple[int, ...] = IDS) -> list[str]:
    return [arg for cid in ids for arg in ("--customer-id", str(cid))]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"), "QFLOW_TEST_AUTH": AUTH}


def _start(url: str, tmp_path: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    command = [
        str(BIN / "qflow-contracts"),
        "run",
        "--base-url",
        url,
        "--header-env",
        "Authorization=QFLOW_TEST_AUTH",
    ]
    process: subprocess.Popen[str] = subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(tmp_path),
        **popen,  # type: ignore[call-overload]
    )
    return process


def _finish(process: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


def _restore(journal: Path, tmp_path: Path, url: str, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        [
            str(BIN / "qflow-contracts"),
            "restore",
            "--journal",
            str(journal),
            "--base-url",
            url,
            "--header-env",
            "Authorization=QFLOW_TEST_AUTH",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    return result.returncode, result.stdout + result.stderr


def _quiet_afterwards(hostile: Hostile) -> None:
    """Nothing more reaches the server once the runner is gone: every connection to it gets closed
    (a process left behind would hold one, or open another), and no request came in the meantime."""
    count = len(hostile.log)
    assert hostile.server is not None
    assert hostile.server.wait_idle(timeout=10), "a connection to the server stayed open"
    assert len(hostile.log) == count


@pytest.fixture
def deployment() -> Iterator[tuple[Hostile, str]]:
    hostile = Hostile()
    with serve(hostile) as url:
        yield hostile, url


@pytest.mark.slow
def test_a_concurrent_edit_survives_and_is_reported_as_a_conflict(tmp_path: Path) -> None:
    hostile = Hostile(edit=Edit(103, {"Notes": "set by another user during the run"}, after_patches=2))
    with serve(hostile) as url:
        before = records(url)
        report, junit = tmp_path / "report.md", tmp_path / "junit.xml"
        data = tmp_path / "run.jsonl"
        process = _start(
            url,
            tmp_path,
            *_ids(),
            *FAST,
            "--report",
            str(report),
            "--junit-xml",
            str(junit),
            "--json",
            str(data),
        )
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        after = records(url)
    assert hostile.edit is not None and hostile.edit.done
    assert code == 4, out[-3000:] + err[-2000:]
    # named, not counted: the customer, the property, its values, why, and what to do, in every writer
    conflict = [line for line in out.splitlines() if "restore: conflict: customer 103 Notes: " in line]
    assert len(conflict) == 1 and "conflict with another user" in conflict[0], out[-3000:]
    assert '-> "set by another user during the run"' in conflict[0]
    assert "what to do: someone else changed it after this run did" in conflict[0]
    assert "--base-url" in out and "--header-env Authorization=QFLOW_TEST_AUTH" in out  # the restore command
    assert "**conflict**: customer 103, Notes: " in report.read_text()
    assert "restore: conflict: customer 103 Notes: " in junit.read_text()
    restored = read_report(data)[-1]["restore"]
    assert restored["ok"] is False and [(n["customer"], n["property"]) for n in restored["notes"]] == [
        (103, "Notes")
    ]
    assert "stopped early" not in out and "not exercised" not in next(
        line for line in out.splitlines() if line.startswith("  rule-13 ")
    )
    assert out.rstrip().splitlines()[-1].startswith("  - ")  # the verdict's reasons are the last lines
    assert json.loads(after[103])["Notes"] == "set by another user during the run"
    assert same_records(before, after) == ["103.Notes"]


def test_sigterm_to_the_runner_alone_restores_every_record(
    tmp_path: Path, deployment: tuple[Hostile, str]
) -> None:
    hostile, url = deployment
    before = records(url)
    process = _start(url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(tmp_path / "j.jsonl"))
    try:
        hostile.wait_until(lambda seen: seen.patches >= 5, "five PATCHes")
        process.send_signal(signal.SIGTERM)
        code, out, err = _finish(process)
    finally:
        _stop(process)
    assert code == 143, out[-3000:] + err[-2000:]
    assert "SIGTERM received" in err
    _quiet_afterwards(hostile)
    assert records(url) == before
    assert '"kind":"done"' in (tmp_path / "j.jsonl").read_text()


def test_sigkill_to_the_process_group_then_restore_from_the_journal(
    tmp_path: Path, deployment: tuple[Hostile, str]
) -> None:
    hostile, url = deployment
    before = records(url)
    journal = tmp_path / "j.jsonl"
    process = _start(
        url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(journal), start_new_session=True
    )
    try:
        hostile.wait_until(lambda seen: seen.patches >= 6, "six PATCHes")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        _stop(process)
    _quiet_afterwards(hostile)
    assert oct(journal.stat().st_mode & 0o777) == "0o600"
    assert KEY not in journal.read_text() and "Authorization" not in journal.read_text()
    code, output = _restore(journal, tmp_path, url)
    assert code == 0, output
    assert records(url) == before
    _quiet_afterwards(hostile)
    code, output = _restore(journal, tmp_path, url)
    assert code == 0 and "already proven" in output


def test_a_second_signal_during_the_restore_does_not_abandon_it(
    tmp_path: Path, deployment: tuple[Hostile, str]
) -> None:
    hostile, url = deployment
    before = records(url)
    process = _start(url, tmp_path, *_ids(), "--rate-limit", "15")
    try:
        hostile.wait_until(lambda seen: seen.patches >= 3, "three PATCHes")
        process.send_signal(signal.SIGINT)
        assert process.stderr is not None
        for line in process.stderr:
            if "stopping, then restoring" in line:
                break
        process.send_signal(signal.SIGINT)
        code, out, err = _finish(process)
    finally:
        _stop(process)
    assert code == 130, out[-3000:] + err[-2000:]
    assert "finishing the restore first" in err
    assert records(url) == before


def test_a_run_started_with_sigint_ignored_still_stops_on_sigint(
    tmp_path: Path, deployment: tuple[Hostile, str]
) -> None:
    hostile, url = deployment
    before = records(url)

    def ignore_sigint() -> None:  # what `cmd &` in a non-interactive shell does
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = _start(url, tmp_path, *_ids(), "--rate-limit", "50", preexec_fn=ignore_sigint)
    try:
        hostile.wait_until(lambda seen: seen.patches >= 3, "three PATCHes")
        process.send_signal(signal.SIGINT)
        code, out, err = _finish(process, timeout=120)
    finally:
        _stop(process)
    assert code == 130, out[-3000:] + err[-2000:]
    assert records(url) == before


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('customer-ids = "12"', "customer-ids"),
        ("customer-ids = [101, 0]", "customer-ids"),
        ('customer-ids = [101]\nread-only = "no"', "read-only"),
        ('customer-ids = [101]\nmax-examples = "ten"', "max-examples"),
        ("customer-ids = [101]\nmax-examples = 0", "max-examples"),
        ("customer-ids = [101]\nrate-limit = -1", "rate-limit"),
        ("customer-ids = [101]\nwitness-ids = [true]", "witness-ids"),
        ("customer-ids = [101]\nno-such-key = 1", "no-such-key"),
    ],
)
def test_a_wrong_config_value_sends_no_request(
    tmp_path: Path, deployment: tuple[Hostile, str], toml: str, key: str
) -> None:
    hostile, url = deployment
    config = tmp_path / "deployment.toml"
    config.write_text(f'base-url = "{url}"\n{toml}\n')
    result = subprocess.run(
        [str(BIN / "qflow-contracts"), "run", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(tmp_path),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], result.stderr
    assert hostile.log == []


def _leaks(text: str) -> list[str]:
    """Pieces of the credential (six characters or more, in any of its encodings) found in `text`."""
    import html
    import urllib.parse

    forms = {KEY, json.dumps(KEY)[1:-1], urllib.parse.quote(KEY, safe=""), html.escape(KEY)}
    windows = {form[i : i + 6] for form in forms for i in range(len(form) - 5)}
    windows = {w for w in windows if "&" not in w and ";" not in w}  # an entity alone is no part of it
    return sorted(w for w in windows if w in text)


@pytest.mark.slow
def test_a_server_echoing_the_token_leaks_no_part_of_it(tmp_path: Path) -> None:
    hostile = Hostile(echo=True)
    with serve(hostile) as url:
        outputs = [tmp_path / "out" / name for name in ("report.md", "junit.xml", "report.html")]
        process = _start(
            url, tmp_path, *_ids((101, 104)), *FAST,
            "--report", str(outputs[0]), "--junit-xml", str(outputs[1]), "--html", str(outputs[2]),
        )  # fmt: skip
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        contracts = str(Path(__file__).parents[2] / "contracts")
        pytest_run = subprocess.run(
            [sys.executable, "-m", "pytest", contracts, "-p", "no:cacheprovider", "--qflow-base-url", url,
             "--qflow-customer-id", "101", "--qflow-header", f"Authorization: {AUTH}", "--qflow-rate-limit",
             "1000", "--qflow-max-examples", "1", f"--junitxml={tmp_path / 'pytest.xml'}"],
            capture_output=True, text=True, timeout=240, cwd=tmp_path, env=_env(tmp_path),
        )  # fmt: skip
    assert code == 1, out[-3000:] + err[-2000:]
    assert any(status == 500 for _, status, _ in hostile.answers)
    assert "[rule-8]" in out
    texts = [out, err, pytest_run.stdout, pytest_run.stderr]
    texts += [path.read_text(errors="replace") for path in tmp_path.rglob("*") if path.is_file()]
    for text in texts:
        assert _leaks(text) == []
    assert "***" in outputs[0].read_text()


@pytest.mark.slow
def test_no_get_names_a_customer_that_was_not_given(tmp_path: Path, deployment: tuple[Hostile, str]) -> None:
    hostile, url = deployment
    given = (101, 104)
    process = _start(url, tmp_path, *_ids(given), "--witness-id", str(WITNESS), *FAST)
    try:
        code, out, err = _finish(process)
    finally:
        _stop(process)
    assert code == 0, out[-3000:] + err[-2000:]
    readable = {*given, WITNESS}
    gets = hostile.gets()
    assert len(gets) > 20
    for seen in gets:
        name = seen.path.rsplit("/", 1)[-1]
        if name.strip().lstrip("+-").isdigit() and int(name) not in readable:
            # a number that names nobody: its own text (no sign but "-", no leading zero, no
            # space), and no positive int32 once cut to 32 or 64 bits, signed or unsigned
            number = int(name)
            assert name == str(number), seen
            readings = {number} | {kind(number).value for kind in (c_int32, c_uint32, c_int64, c_uint64)}
            assert not any(0 < reading < 2**31 for reading in readings), seen
    for seen, status, body in hostile.answers:
        if status == 200 and body.startswith(b"{"):
            assert json.loads(body)["CustomerId"] in readable, seen
    for other in (102, 103, 106, 107):
        assert f'"CustomerId": {other}' not in out and f'"CustomerId":{other}' not in out


def test_a_witness_changed_by_a_wrong_record_defect_fails_the_run(tmp_path: Path) -> None:
    hostile = Hostile(defect="patch-wrong-record")
    with serve(hostile) as url:
        process = _start(url, tmp_path, "--customer-id", "104", "--witness-id", str(WITNESS), *FAST)
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
    assert code == 1, out[-3000:] + err[-2000:]
    assert f"witness customer {WITNESS} changed" in out


@pytest.mark.slow
def test_rate_limit_10_never_sends_more_than_11_requests_in_a_second(
    tmp_path: Path, deployment: tuple[Hostile, str]
) -> None:
    hostile, url = deployment
    process = _start(
        url, tmp_path, *_ids((101, 104)), "--rate-limit", "10", "--max-examples", "1", "--max-time", "15"
    )
    try:
        code, out, err = _finish(process)
    finally:
        _stop(process)
    assert code in (0, 5), out[-3000:] + err[-2000:]
    if code == 5:  # the deadline came first; every rule may have been exercised by then
        assert "rules not finished" in err or "stopped early: --max-time" in out, out[-3000:] + err[-2000:]
    assert len(hostile.log) > 30
    assert hostile.busiest_second() <= 11


def test_a_server_that_stops_answering_ends_the_run_within_max_time_and_the_timeout(tmp_path: Path) -> None:
    hostile = Hostile(silent_after=25)
    journal = tmp_path / "j.jsonl"
    max_time, timeout = 20, 2
    with serve(hostile) as url:
        before = records(url)
        hostile.log.clear()
        started = time.monotonic()
        process = _start(
            url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(journal),
            "--max-time", str(max_time), "--request-timeout", str(timeout),
        )  # fmt: skip
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        ended = time.monotonic()
        assert code == 4, out[-3000:] + err[-2000:]
        assert ended - started <= max_time + timeout + 30  # the interpreter's start, however loaded
        # the run's own clock starts before its first request: from there, max-time and one timeout
        assert ended - hostile.log[0].at <= max_time + timeout + 5, ended - hostile.log[0].at
        stopped = [line for line in err.splitlines() if "stopped answering" in line]
        assert len(stopped) == 1 and str(journal) in stopped[0]
        hostile.silent_after = None
        code, output = _restore(journal, tmp_path, url)
        assert code == 0, output
        assert records(url) == before


def test_a_timeout_mid_run_is_availability_not_a_finding(tmp_path: Path) -> None:
    hostile = Hostile(stall_at=40, stall_for=3.0)
    with serve(hostile) as url:
        before = records(url)
        hostile.log.clear()
        process = _start(url, tmp_path, *_ids(), "--rate-limit", "100", "--request-timeout", "1")
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        assert code == 3, out[-3000:] + err[-2000:]
        assert "stopped answering" in err and "Traceback" not in out + err
        assert "NOT CONFORMANT" not in out
        assert records(url) == before
