"""Safe on production, round two (issue 20 items 4 to 7, and its "Also" list): `qflow-contracts
run` as the user runs it, against stand-ins that behave as real deployments do: a slow link, a
password in the base URL, a throttling gateway, two runs at once and a run after a killed one,
answers no parser should be trusted with, credentials offered by the environment, and every
signal that ends a process politely."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.suite.hostile import AUTH, KEY, Hostile, records, same_records, serve
from tests.suite.test_safety import BIN, FAST, _env, _finish, _ids, _leaks, _quiet_afterwards, _start, _stop
from tests.suite.trickle import trickle_proxy


def _restore(journal: Path, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        [str(BIN / "qflow-contracts"), "restore", "--journal", str(journal),
         "--header-env", "Authorization=QFLOW_TEST_AUTH", *args],
        capture_output=True, text=True, timeout=120, env=_env(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


# ---- item 4: time -------------------------------------------------------------------------------


def test_a_server_trickling_its_answers_ends_the_run_within_max_time_and_the_timeout(tmp_path: Path) -> None:
    hostile = Hostile()
    journal = tmp_path / "j.jsonl"
    max_time, timeout = 20, 2
    with serve(hostile) as upstream, trickle_proxy(upstream, interval=0.5) as (proxy, url):
        before = records(upstream)
        started = time.monotonic()
        process = _start(
            url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(journal),
            "--max-time", str(max_time), "--request-timeout", str(timeout),
        )  # fmt: skip
        try:
            hostile.wait_until(lambda seen: seen.patches >= 3, "three PATCHes")
            proxy.trickling = True  # from now on every answer comes one byte every 0.5 s
            trickling_since = time.monotonic()
            code, out, err = _finish(process, timeout=120)
        finally:
            _stop(process)
        elapsed, since = time.monotonic() - started, time.monotonic() - trickling_since
        assert proxy.trickled >= 1
        assert code == 4, out[-3000:] + err[-2000:]
        # per read, 0.5 s is well within the 2 s timeout: only a deadline per exchange stops it. Then
        # the exchange in flight, the wait for a PATCH without answer, the restore's read and its one
        # repeat after a pause (restore.py)
        assert since <= 4 * timeout + 10, (since, err[-3000:])
        assert elapsed <= max_time + timeout + 15, elapsed  # 15: the interpreter's start, under load
        assert "Traceback" not in out + err
        stopped = [line for line in err.splitlines() if "stopped answering" in line]
        assert len(stopped) == 1 and str(journal) in stopped[0], err
        proxy.trickling = False
        code, output = _restore(journal, tmp_path, "--base-url", url)
        assert code == 0, output
        assert records(upstream) == before


def test_sigterm_then_a_second_one_over_a_trickling_link_ends_within_bounds(tmp_path: Path) -> None:
    hostile = Hostile()
    journal = tmp_path / "j.jsonl"
    timeout = 2
    with serve(hostile) as upstream, trickle_proxy(upstream, interval=0.5) as (proxy, url):
        before = records(upstream)
        process = _start(
            url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(journal),
            "--request-timeout", str(timeout),
        )  # fmt: skip
        try:
            hostile.wait_until(lambda seen: seen.patches >= 5, "five PATCHes")
            proxy.trickling = True
            stopped_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.stderr is not None
            for line in process.stderr:
                if "stopping, then restoring" in line:
                    break
            process.send_signal(signal.SIGTERM)
            code, out, err = _finish(process, timeout=120)
        finally:
            _stop(process)
        took = time.monotonic() - stopped_at
        # the exchange in flight, the wait for a PATCH without answer, one attempt of the restore
        assert took <= 3 * timeout + 10, took
        assert code == 4, out[-3000:] + err[-2000:]
        assert "Traceback" not in out + err
        second = [line for line in err.splitlines() if "SIGTERM received: finishing the restore" in line]
        assert len(second) == 1, err
        assert "the journal finishes it: qflow-contracts restore --journal" in second[0]
        proxy.trickling = False
        code, output = _restore(journal, tmp_path, "--base-url", url)
        assert code == 0, output
        assert records(upstream) == before


@pytest.mark.parametrize("name", ["SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"])
def test_other_signals_restore_as_sigterm_does_and_core_dumps_are_off(tmp_path: Path, name: str) -> None:
    hostile = Hostile()
    number = getattr(signal, name)
    with serve(hostile) as url:
        before = records(url)
        process = _start(url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(tmp_path / "j.jsonl"))
        try:
            hostile.wait_until(lambda seen: seen.patches >= 3, "three PATCHes")
            limits = Path(f"/proc/{process.pid}/limits").read_text()
            process.send_signal(number)
            code, out, err = _finish(process)
        finally:
            _stop(process)
        core = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"], core
        assert code == 128 + number, out[-3000:] + err[-2000:]
        assert f"{name} received" in err and "Traceback" not in out + err
        _quiet_afterwards(hostile)
        assert records(url) == before
        assert '"kind":"done"' in (tmp_path / "j.jsonl").read_text()


# ---- item 5 and "Also": credentials ----------------------------------------------------------


def test_a_password_in_the_base_url_is_refused_before_any_request(tmp_path: Path) -> None:
    hostile = Hostile()
    with serve(hostile) as url:
        secret_url = url.replace("http://", "http://qflow-user:Pa55word-in-url@")
        process = _start(secret_url, tmp_path, *_ids())
        code, out, err = _finish(process, timeout=60)
        restored = subprocess.run(
            [str(BIN / "qflow-contracts"), "restore", "--journal", str(tmp_path / "none.jsonl"),
             "--base-url", secret_url],
            capture_output=True, text=True, timeout=60, env=_env(tmp_path),
        )  # fmt: skip
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--header-env" in lines[0], err
    assert "Pa55word" not in out + err + restored.stdout + restored.stderr
    assert hostile.log == []
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").rglob("*.jsonl"))
    assert restored.returncode == 2


def test_netrc_proxy_variables_and_pytest_addopts_change_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    netrc = home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login intruder password netrc-password-xyz\n")
    netrc.chmod(0o600)
    hostile = Hostile()
    with serve(hostile) as url:
        env = {
            **_env(tmp_path),
            "HOME": str(home),
            "NETRC": str(netrc),
            "http_proxy": "http://127.0.0.1:9",  # a proxy honoured would fail every request
            "HTTP_PROXY": "http://127.0.0.1:9",
            "ALL_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "",
            "PYTEST_ADDOPTS": "--debug --junitxml=leaked.xml",
        }
        process = subprocess.Popen(
            [str(BIN / "qflow-contracts"), "run", "--base-url", url, "--header-env",
             "Authorization=QFLOW_TEST_AUTH", *_ids((101, 104)), *FAST],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
        )  # fmt: skip
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
    assert code == 0, out[-3000:] + err[-2000:]
    assert hostile.log and all(status != 401 for _, status, _ in hostile.answers)
    assert not (tmp_path / "pytestdebug.log").exists() and not (tmp_path / "leaked.xml").exists()
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != netrc:
            assert _leaks(path.read_text(errors="replace")) == [], path


def test_restore_sends_credentials_only_to_the_base_url_named_again(tmp_path: Path) -> None:
    hostile = Hostile()
    journal = tmp_path / "j.jsonl"
    with serve(hostile) as url:
        before = records(url)
        process = _start(
            url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(journal), start_new_session=True
        )
        try:
            hostile.wait_until(lambda seen: seen.patches >= 4, "four PATCHes")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            _stop(process)
        _quiet_afterwards(hostile)
        count = len(hostile.log)
        code, output = _restore(journal, tmp_path)
        assert code == 2 and "--base-url" in output and len(output.strip().splitlines()) == 1, output
        code, output = _restore(journal, tmp_path, "--base-url", "http://127.0.0.1:9/API")
        assert code == 2 and "not the deployment" in output, output
        assert len(hostile.log) == count  # nothing was sent, the credential least of all
        code, output = _restore(journal, tmp_path, "--trust-journal-base-url")
        assert code == 0, output
        assert records(url) == before


# ---- item 6: throttling --------------------------------------------------------------------------


def test_429_and_503_with_retry_after_are_waited_out_never_findings(tmp_path: Path) -> None:
    hostile = Hostile()
    with serve(hostile) as url:
        before = records(url)
        hostile.log.clear()
        hostile.throttle_at = {30: (429, "1"), 60: (503, "1"), 90: (429, "date+2")}
        report = tmp_path / "report.md"
        process = _start(url, tmp_path, *_ids(), *FAST, "--report", str(report))
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        assert code == 0, out[-3000:] + err[-2000:]
        assert len(hostile.throttled) == 3
        for seen, _, retry_after in hostile.throttled:
            again = [
                s
                for s in hostile.log
                if s.at > seen.at
                and (s.method, s.path, s.query, s.body) == (seen.method, seen.path, seen.query, seen.body)
            ]
            assert again, f"{seen} was not sent again"
            waited = again[0].at - seen.at
            assert waited >= 0.9, (seen, retry_after, waited)
        line = next(line for line in err.splitlines() if "throttled the run" in line)
        assert "3 throttled answer(s)" in line
        assert "rule-15" in out and "NOT CONFORMANT" not in out
        assert "3 throttled answer(s)" in report.read_text()
        assert records(url) == before


def test_the_restore_waits_for_a_throttle_too(tmp_path: Path) -> None:
    hostile = Hostile()
    journal = tmp_path / "j.jsonl"
    with serve(hostile) as url:
        before = records(url)
        process = _start(url, tmp_path, *_ids(), "--rate-limit", "50", "--journal", str(journal))
        try:
            hostile.wait_until(lambda seen: seen.patches >= 5, "five PATCHes")
            hostile.throttle_next = 3  # the restore meets a throttle
            process.send_signal(signal.SIGTERM)
            code, out, err = _finish(process)
        finally:
            _stop(process)
        assert hostile.throttle_next == 0 and len(hostile.throttled) == 3
        assert code == 143, out[-3000:] + err[-2000:]
        assert records(url) == before
        assert '"kind":"done"' in journal.read_text()


# ---- item 7: one run at a time ---------------------------------------------------------------


def test_one_run_at_a_time_and_none_over_a_killed_runs_unfinished_journal(tmp_path: Path) -> None:
    hostile = Hostile()
    journal = tmp_path / "elsewhere" / "first.jsonl"  # not in the state folder: the lock knows it
    with serve(hostile) as url:
        before = records(url)
        first = _start(
            url, tmp_path, *_ids(), "--rate-limit", "30", "--journal", str(journal), start_new_session=True
        )
        try:
            hostile.wait_until(lambda seen: seen.patches >= 4, "four PATCHes")
            second = _start(url, tmp_path, "--customer-id", "102", *FAST)
            code, out, err = _finish(second, timeout=60)
            assert code == 2, out[-3000:] + err[-2000:]
            lines = err.strip().splitlines()
            assert len(lines) == 1 and f"pid {first.pid}" in lines[0] and str(journal) in lines[0], err
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            _stop(first)
        _quiet_afterwards(hostile)
        changed = records(url)
        assert same_records(before, changed), "the killed run changed nothing: the test proves nothing"
        count = len(hostile.log)
        third = _start(url, tmp_path, *_ids((101, 103)), *FAST)
        code, out, err = _finish(third, timeout=60)
        assert code == 2, out[-3000:] + err[-2000:]
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(journal) in lines[0], err
        assert f"qflow-contracts restore --journal {journal}" in lines[0]
        assert len(hostile.log) == count  # refused before any request
        over = _start(url, tmp_path, *_ids(), *FAST, "--over-unfinished-journal", str(journal))
        code, out, err = _finish(over)
        assert code == 0, out[-3000:] + err[-2000:]
        assert records(url) == before  # the killed run's originals, not the changed records
        assert '"kind":"done"' in journal.read_text()


# ---- "Also": hostile answers -------------------------------------------------------------------


def test_deep_nesting_and_a_lone_surrogate_are_findings_and_the_run_goes_on(tmp_path: Path) -> None:
    mangled: list[str] = []

    def mangle(seen: object, body: bytes) -> bytes | None:
        path = getattr(seen, "path", "")
        if getattr(seen, "method", "") != "GET" or len(mangled) >= 4 or hostile.patches < 3:
            return None
        if path.endswith("/Customers/103"):
            mangled.append("surrogate")
            record = json.loads(body)
            record["Notes"] = "LONE-SURROGATE"
            return json.dumps(record).encode().replace(b"LONE-SURROGATE", b"a\\ud800b")
        if path.endswith("/Customers/104"):
            mangled.append("depth")
            return b"[" * 50_000 + b"]" * 50_000
        return None

    hostile = Hostile(mangle=mangle)
    journal = tmp_path / "j.jsonl"
    with serve(hostile) as url:
        before = records(url)
        process = _start(url, tmp_path, *_ids(), *FAST, "--journal", str(journal))
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        assert {"surrogate", "depth"} <= set(mangled), mangled
        assert code == 1, out[-3000:] + err[-2000:]
        assert "Traceback" not in out + err
        assert "lone surrogate" in out and "nested deeper than" in out
        assert records(url) == before
        assert '"kind":"done"' in journal.read_text()
        assert KEY not in journal.read_text() and AUTH not in out + err
