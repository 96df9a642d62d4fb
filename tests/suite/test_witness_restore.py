"""A witness a broken server changed is journaled and put back only when asked explicitly
(`qflow-contracts restore --restore-witnesses`), byte for byte."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.suite.hostile import KEY, WITNESS, Hostile, records, serve
from tests.suite.test_safety import BIN, FAST, _env, _finish, _start, _stop


def _restore(journal: str, tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "qflow-contracts"), "restore", "--journal", journal, "--base-url", url]
    command += ["--header-env", "Authorization=QFLOW_TEST_AUTH", *extra]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=_env(tmp_path), cwd=tmp_path
    )


def test_a_damaged_witness_is_put_back_only_when_asked(tmp_path: Path) -> None:
    hostile = Hostile(defect="patch-wrong-record")
    with serve(hostile) as url:
        before = records(url, (104, WITNESS))
        process = _start(url, tmp_path, "--customer-id", "104", "--witness-id", str(WITNESS), *FAST)
        try:
            code, out, err = _finish(process)
        finally:
            _stop(process)
        assert code in (1, 4), out[-3000:] + err[-2000:]
        assert f"witness customer {WITNESS} changed" in out
        assert records(url, (WITNESS,))[WITNESS] != before[WITNESS]
        found = re.search(r"restore --journal (\S+) --base-url \S+ [^\n]*--restore-witnesses", out + err)
        assert found, out[-3000:]
        journal = found.group(1)
        lines = [json.loads(line) for line in Path(journal).read_text(encoding="utf-8").splitlines()]
        assert [e["customer_id"] for e in lines if e["kind"] == "witness"] == [WITNESS]
        assert KEY not in Path(journal).read_text(encoding="utf-8")

        plain = _restore(journal, tmp_path, url)
        assert records(url, (WITNESS,))[WITNESS] != before[WITNESS], plain.stdout + plain.stderr

        asked = _restore(journal, tmp_path, url, "--restore-witnesses")
        after = records(url, (104, WITNESS))
    assert after[104] == before[104]
    was, now = json.loads(before[WITNESS]), json.loads(after[WITNESS])
    added = sorted(set(now["CustomProperties"]) - set(was["CustomProperties"]))
    # every property back as it was; a dictionary key the wrong PATCH added cannot be removed by
    # PATCH: named, and the restore says it is incomplete
    assert {**now, "CustomProperties": was["CustomProperties"]} == was, asked.stdout
    assert {k: now["CustomProperties"][k] for k in was["CustomProperties"]} == was["CustomProperties"]
    if added:
        assert asked.returncode == 4, asked.stdout + asked.stderr
        named = [line for line in asked.stdout.splitlines() if line.startswith("restore: witness: ")]
        for k in added:
            assert any(
                f"customer {WITNESS} CustomProperties[{k}]" in line and "the key was absent" in line
                for line in named
            ), asked.stdout
    else:
        assert asked.returncode == 0, asked.stdout + asked.stderr
        assert "witnesses: 1 put back" in asked.stdout


def test_restore_witnesses_without_witnesses_is_one_line_exit_2(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text(
        json.dumps({"kind": "start", "base_url": "http://127.0.0.1:9/API", "customer_ids": [1]}) + "\n"
    )
    result = _restore(str(journal), tmp_path, "http://127.0.0.1:9/API", "--restore-witnesses")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "holds no witness" in result.stderr
