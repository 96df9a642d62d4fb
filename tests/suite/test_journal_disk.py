"""The journal on a full disk (issue 20 item 8) and what a finished journal keeps: checked writes
stop the run before the PATCH they would describe; the restore works from memory; a proven
restore drops the records' contents unless `--keep-journal`."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qflow_contracts.exitcodes import ExitCode
from qflow_contracts.suite.journal import Journal, JournalUnwritable, read
from qflow_contracts.suite.lifecycle import Run, finish, open_run, preflight
from qflow_contracts.suite.plugin import conclude
from qflow_contracts.suite.target import Target
from tests.suite.hostile import IDS, KEY, Hostile, records, serve


def _full(journal: Journal) -> None:
    """From now on every write of the journal goes to /dev/full: ENOSPC, as on a full disk."""
    os.close(journal._fd)
    journal._fd = os.open("/dev/full", os.O_WRONLY)


@pytest.fixture
def deployment() -> Iterator[tuple[Hostile, str]]:
    hostile = Hostile()
    with serve(hostile) as url:
        yield hostile, url


def _run(url: str, tmp_path: Path, *, keep: bool = False) -> Run:
    target = Target(
        base_url=url,
        customer_ids=IDS,
        headers={"X-Api-Key": KEY},
        journal=tmp_path / "j.jsonl",
        keep_journal=keep,
    )
    run = open_run(target, out=io.StringIO())
    preflight(run)
    return run


def test_a_failed_write_raises_and_nothing_more_is_written(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.start("http://h/API", (7,), ())
    _full(journal)
    with pytest.raises(JournalUnwritable, match="No space left on device"):
        journal.change("application/json", b'{"CustomerId": 7, "FirstName": "Bo"}')
    assert journal.written.changes == []  # not on disk, so not sent, so not in memory
    assert journal.broken is not None
    with pytest.raises(JournalUnwritable):
        journal.done("x")
    journal.close()


def test_a_short_write_counts_as_a_failed_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    real = os.write
    monkeypatch.setattr(
        "qflow_contracts.suite.journal.os.write", lambda fd, data: real(fd, data[: len(data) // 2])
    )
    with pytest.raises(JournalUnwritable, match="short write"):
        journal.start("http://h/API", (7,), ())
    monkeypatch.undo()
    journal.close()


def test_on_a_full_disk_the_patch_is_not_sent_and_the_restore_works_from_memory(
    tmp_path: Path, deployment: tuple[Hostile, str], capsys: pytest.CaptureFixture[str]
) -> None:
    hostile, url = deployment
    before = records(url)
    run = _run(url, tmp_path)
    run.http.patch("Customers", json={"CustomerId": 101, "Notes": "by the run"})
    run.http.patch("Customers", json={"CustomerId": 104, "FirstName": "by the run"})
    assert run.journal is not None
    _full(run.journal)
    patches = hostile.patches
    with pytest.raises(JournalUnwritable):
        run.http.patch("Customers", json={"CustomerId": 102, "Notes": "never sent"})
    assert hostile.patches == patches  # the PATCH the journal could not describe was not sent
    with pytest.raises(JournalUnwritable):  # the run is stopped: nothing more but the restore
        run.http.get("Customers/101")
    code = conclude(run, None, None)
    out = capsys.readouterr().out
    said = run.out.getvalue()  # type: ignore[attr-defined]
    assert records(url) == before, said  # put back from memory, without the disk
    assert run.verdict is not None and run.verdict.ok and set(run.verdict.restored) == {101, 104}
    assert "cannot write the journal" in out and "worked from memory" in out, out  # in the verdict block
    assert "could not be marked done" in said
    assert code == ExitCode.INCOMPLETE
    assert "No space left on device" in out and "Traceback" not in out + said
    assert '"kind":"done"' not in (tmp_path / "j.jsonl").read_text()


@pytest.mark.parametrize("keep", [False, True])
def test_a_finished_journal_keeps_its_summary_and_drops_the_records_unless_kept(
    tmp_path: Path, deployment: tuple[Hostile, str], keep: bool
) -> None:
    _, url = deployment
    before = records(url)
    run = _run(url, tmp_path, keep=keep)
    run.http.patch("Customers", json={"CustomerId": 101, "Notes": "by the run"})
    finish(run)
    assert records(url) == before and run.info.restore_ok
    path = tmp_path / "j.jsonl"
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds[0] == "start" and kinds[-1] == "done"
    written = read(path)
    assert written.done and "read back as they were" in written.summary
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    if keep:
        assert "original" in kinds and "change" in kinds and "by the run" in path.read_text()
    else:
        assert kinds == ["start", "done"] and "by the run" not in path.read_text()
        assert json.loads(before[101])["LastName"] not in path.read_text()


def test_keep_journal_is_a_flag_of_run_and_restore() -> None:
    from qflow_contracts.cli import build_parser
    from qflow_contracts.config import settings

    parser = build_parser()
    assert vars(parser.parse_args(["restore", "--journal", "j", "--keep-journal"]))["keep_journal"] is True
    flags = vars(parser.parse_args(["run", "--keep-journal"]))
    assert settings(flags).keep_journal is True


def test_the_restore_in_doubt_of_a_patch_without_answer_reads_exactly_what_it_sent(tmp_path: Path) -> None:
    """A journal whose last PATCH has no answer (killed in flight): where the record holds exactly
    what that PATCH sent, the restore takes it for the run's own; any other value is a conflict."""
    from qflow_contracts.suite.restore import Why, restore

    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.start("http://h/API", (7,), ())
    original = {"CustomerId": 7, "FirstName": "Ann", "Notes": "n", "Sex": 1}
    journal.original(7, original, b"")
    journal.change("application/json", json.dumps({"CustomerId": 7, "FirstName": "Bo", "Sex": "2"}).encode())
    journal.close()
    current = {**original, "FirstName": "Bo", "Sex": 2}  # Sex: as Json.NET converts "2", or someone's

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            current.update({k: v for k, v in json.loads(request.content).items() if v is not None})
        return httpx.Response(200, json=current)

    with httpx.Client(base_url="http://h/API/", transport=httpx.MockTransport(handle)) as http:
        verdict = restore(http, read(path), lambda text: text, pause=0)
    assert current["FirstName"] == "Ann" and current["Sex"] == 2
    assert [(p.name, p.why) for p in verdict.problems] == [("Sex", Why.CONFLICT)]
