"""`qflow-contracts run --baseline FILE` end to end, against a deployment with two known deviations
(form bodies refused with 415, error bodies without Message): the baseline written from the first
run's report lists both and the run exits 0 naming them; with one deviation's entries removed it
exits 1 naming the other; an expired entry exits 1; an entry of a defect this server does not have
is reported fixed. Every run's `--json` file validates against the committed schema."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qflow_contracts.mock import create_app
from tests.suite.jsonreport import read_report
from tests.suite.servers import serve_app

pytestmark = pytest.mark.xdist_group("baseline-run")

BIN = Path(sys.executable).parent
DEVIATIONS = "form-unsupported,error-without-message"
IDS = [arg for cid in ("101", "102", "103", "104", "105", "106", "107") for arg in ("--customer-id", cid)]
TODAY = dt.datetime.now(dt.UTC).date()
FIXED = "rule-5/QF502/null-cleared:string"
"""The signature of a defect (null-clears) this deployment does not have."""


def _run(*args: str, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "qflow-contracts"), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "XDG_STATE_HOME": str(state)},
    )


@pytest.fixture(scope="module")
def deployment() -> Iterator[str]:
    """The mock with the two deviations, apart from the runner, as a vendor deployment would be."""
    with serve_app(create_app(prefix="/API", defect=DEVIATIONS)) as (url, _):
        yield url


@pytest.fixture(scope="module")
def first(deployment: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """The first run, without a baseline: NOT CONFORMANT; its report's lines."""
    folder = tmp_path_factory.mktemp("first")
    report = folder / "run.jsonl"
    done = _run(
        "run", "--base-url", deployment, *IDS, "--rate-limit", "1000", "--seed", "1", "--json", str(report),
        state=folder,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:]
    return report, read_report(report)


def _signatures(lines: list[dict[str, Any]], key: str = "findings") -> set[str]:
    return {f["signature"] for line in lines[1:-1] for f in line[key]}


def _write(path: Path, entries: dict[str, dt.date]) -> Path:
    path.write_text(
        "".join(
            f'[[accepted]]\nsignature = "{signature}"\nreason = "known deviation"\nexpires = {expires}\n\n'
            for signature, expires in entries.items()
        ),
        encoding="utf-8",
    )
    return path


def _with(
    deployment: str, baseline: Path, seed: str, folder: Path
) -> tuple[subprocess.CompletedProcess[str], Any]:
    report = folder / f"run-{seed}.jsonl"
    done = _run(
        "run", "--base-url", deployment, *IDS, "--rate-limit", "1000", "--seed", seed,
        "--baseline", str(baseline), "--json", str(report), state=folder,
    )  # fmt: skip
    assert "Traceback" not in done.stdout + done.stderr
    return done, read_report(report)


def test_the_first_run_finds_both_deviations(first: tuple[Path, list[dict[str, Any]]]) -> None:
    _, lines = first
    signatures = _signatures(lines)
    assert any(s.startswith("rule-10/QF1001/") for s in signatures), signatures
    assert any(s.startswith("rule-8/QF803/") for s in signatures), signatures


def test_the_starting_file_needs_filling_in_before_a_run_uses_it(
    first: tuple[Path, list[dict[str, Any]]], deployment: str, tmp_path: Path
) -> None:
    report, lines = first
    written = tmp_path / "baseline.toml"
    done = _run("baseline", "--from-report", str(report), "--output", str(written), state=tmp_path)
    assert done.returncode == 0 and written.exists(), done.stderr
    assert written.read_text(encoding="utf-8").count("[[accepted]]") == len(_signatures(lines))
    again = _run("baseline", "--from-report", str(report), "--output", str(written), state=tmp_path)
    assert again.returncode == 2 and "it is not overwritten" in again.stderr
    refused = _run("run", "--base-url", deployment, *IDS, "--baseline", str(written), state=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stdout + refused.stderr
    assert refused.stderr.strip().count("\n") == 0 and "fill in its reason and expires" in refused.stderr
    assert "requests" not in refused.stdout  # refused before any request


def test_a_baseline_listing_both_deviations_exits_0_naming_them_and_reports_a_fixed_entry(
    first: tuple[Path, list[dict[str, Any]]], deployment: str, tmp_path: Path
) -> None:
    _, lines = first
    known = _signatures(lines)
    later = TODAY + dt.timedelta(days=30)
    baseline = _write(tmp_path / "baseline.toml", {**dict.fromkeys(sorted(known), later), FIXED: later})
    done, report = _with(deployment, baseline, "2", tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "CONFORMANT except" in done.stdout and "accepted finding(s)" in done.stdout
    for signature in known:
        assert f"accepted until {later}: {signature}" in done.stdout
    assert f"baseline entry {FIXED} no longer occurs: fixed, remove it" in done.stdout
    finish = report[-1]
    assert set(finish["baseline"]["accepted"]) == known  # the same signatures under another seed
    assert [e["signature"] for e in finish["baseline"]["fixed"]] == [FIXED]
    assert not _signatures(report) and _signatures(report, "accepted") == known


def test_with_one_deviation_removed_the_run_exits_1_naming_the_other(
    first: tuple[Path, list[dict[str, Any]]], deployment: str, tmp_path: Path
) -> None:
    _, lines = first
    kept = {s for s in _signatures(lines) if not s.startswith("rule-10/")}
    baseline = _write(tmp_path / "baseline.toml", dict.fromkeys(sorted(kept), TODAY + dt.timedelta(days=30)))
    done, report = _with(deployment, baseline, "3", tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "[rule-10] QF1001" in done.stdout and "NOT CONFORMANT (besides" in done.stdout
    assert {s.split("/")[0] for s in _signatures(report)} == {"rule-10"}
    assert report[-1]["failed_rules"] == ["rule-10"]


def test_an_expired_entry_exits_1_saying_which_and_when(
    first: tuple[Path, list[dict[str, Any]]], deployment: str, tmp_path: Path
) -> None:
    _, lines = first
    known = sorted(_signatures(lines))
    form = next(s for s in known if s.startswith("rule-10/"))
    yesterday = TODAY - dt.timedelta(days=1)
    entries = {**dict.fromkeys(known, TODAY + dt.timedelta(days=30)), form: yesterday}
    done, report = _with(deployment, _write(tmp_path / "baseline.toml", entries), "4", tmp_path)
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"baseline entry {form} expired on {yesterday}" in done.stdout
    assert report[-1]["baseline"]["expired"][0]["signature"] == form
    assert _signatures(report) == {form}


ENTRY = '[[accepted]]\nsignature = "rule-8/QF803/400"\nreason = "r"\n'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (None, "cannot read it"),
        ("[[accepted]\n", "not valid TOML"),
        (ENTRY + 'expires = "31/12/2027"\n', "expires must be a date"),
        (ENTRY + 'expires = 2027-12-31\nowner = "me"\n', "unknown key 'owner'"),
    ],
)
def test_a_baseline_it_cannot_use_is_one_line_and_exit_2_before_any_request(
    text: str | None, says: str, tmp_path: Path
) -> None:
    path = tmp_path / "baseline.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    done = _run("run", "--baseline", str(path), state=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip() == done.stderr.strip().splitlines()[0] and says in done.stderr
    assert done.stderr.startswith(f"qflow-contracts: --baseline {path}: ") and not done.stdout


def test_a_report_it_cannot_read_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a report\n", encoding="utf-8")
    for source, says in (
        (tmp_path / "absent.jsonl", "cannot read it"),
        (tmp_path / "notes.txt", "not a --json report"),
    ):
        done = _run("baseline", "--from-report", str(source), state=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr and says in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
