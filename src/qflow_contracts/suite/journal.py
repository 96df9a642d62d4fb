"""The journal of a run against a server the suite did not start (contract rule 13).

One JSON document per line, written, flushed and fsynced before what it describes happens:

- `start`: the base URL, the given customers and witnesses (never a header value);
- `original`: a given customer as first read (the parsed record and the exact bytes of the answer);
- `change`: a PATCH body, numbered, before it is sent;
- `answered`: that PATCH got an answer (its status): a change without one is in doubt;
- `stored`: what that PATCH made the server store in a given customer's record, slot by slot, as
  its answer (or the next read) showed it, and which of those slots it did not send
  (`ownership.py`): the only values the restore may take for the run's own;
- `done`: the restore was proven, nothing is left to do.

Every write is checked: a failed or short write (a full disk) raises `JournalUnwritable`, so the
PATCH it would describe is not sent. The journal also keeps what it wrote in memory (`written`),
so the restore never needs the disk. After a proven restore `finish` drops the records' contents
(the originals, the bodies, the stored values) and keeps the start and the summary, unless asked to
keep them. A run that was killed outright leaves a journal without `done`: `qflow-contracts restore
--journal PATH` reads it and finishes the restore. The file is created with mode 0600 in a folder
of mode 0700.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qflow_contracts.lenient_json import LenientJsonError, read_lenient_json
from qflow_contracts.suite.ownership import Caused
from qflow_contracts.suite.slots import ABSENT, DICTIONARY, key_slot

VERSION = 2
"""2: changes numbered, `answered` lines, `stored` slot by slot; version 1 journals still read."""


class JournalError(Exception):
    """A journal that cannot be written or read: one line, exit 2."""


def state_folder(environ: Mapping[str, str] | None = None) -> Path:
    """Where journals go by default: `$XDG_STATE_HOME/qflow-contracts/journals`, else
    `~/.local/state/qflow-contracts/journals`."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "qflow-contracts" / "journals"


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """A fresh journal path in the state folder, named by the time and the process."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return state_folder(environ) / f"run-{stamp}-{os.getpid()}.jsonl"


class JournalUnwritable(JournalError):
    """A journal line could not be written whole (a full disk, an I/O error): what it would
    describe must not happen."""


@dataclass
class Change:
    """A PATCH body as journaled before it was sent."""

    number: int | None
    content_type: str
    body: str


@dataclass
class Written:
    """What a journal holds: the target, the originals, each PATCH, and what each one stored."""

    path: Path
    base_url: str = ""
    customer_ids: tuple[int, ...] = ()
    witness_ids: tuple[int, ...] = ()
    originals: dict[int, dict[str, Any]] = field(default_factory=dict)
    raw: dict[int, str] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    """Each PATCH, in the order sent."""
    answered: set[int] = field(default_factory=set)
    """The numbers of the PATCHes that got an answer."""
    stored: list[Caused] = field(default_factory=list)
    """What each PATCH made the server store, in the order seen."""
    done: bool = False
    summary: str = ""

    def in_doubt(self) -> list[Change]:
        """The PATCHes that were sent but whose answer was never journaled (a kill, a lost
        server): the server may have stored them."""
        return [c for c in self.changes if c.number is not None and c.number not in self.answered]


def _stored_entry(entry: Caused) -> dict[str, Any]:
    return {
        "kind": "stored",
        "customer_id": entry.customer_id,
        "change": entry.change,
        "values": {k: v for k, v in entry.values.items() if v is not ABSENT},
        "removed": [k for k, v in entry.values.items() if v is ABSENT],
        "unsent": list(entry.unsent),
        "by": entry.by,
    }


def _caused(entry: dict[str, Any]) -> Caused:
    values: dict[str, Any] = {}
    for name, value in dict(entry["values"]).items():
        if name == DICTIONARY and isinstance(value, dict):  # a journal written before slots
            values.update({key_slot(str(k)): v for k, v in value.items()})
        else:
            values[str(name)] = value
    values.update(dict.fromkeys(map(str, entry.get("removed", ())), ABSENT))
    change = entry.get("change")
    return Caused(
        int(entry["customer_id"]),
        int(change) if isinstance(change, int) else None,
        values,
        [str(s) for s in entry.get("unsent", ())],
        str(entry.get("by", "answer")),
    )


class Journal:
    """An open journal, appended to line by line; each line on disk before the call returns, and
    kept in memory (`written`) whether or not the disk took it."""

    def __init__(self, path: Path, *, existing: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.written = Written(path=path)
        self.broken: str | None = None
        """Why the journal could not be written, once a write failed (nothing is written after)."""
        self._number = 0
        try:
            if existing:
                self.written = read(path)
                self._number = max((c.number or 0 for c in self.written.changes), default=0)
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            else:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except OSError as error:
            raise JournalError(
                f"--journal {path}: cannot {'open' if existing else 'create'} it ({error.strerror})"
            ) from None
        os.fchmod(self._fd, 0o600)

    def _write(self, *entries: dict[str, Any]) -> None:
        """Append lines in one write and one fsync, checked: a short or failed write raises
        JournalUnwritable."""
        text = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in entries)
        line = text.encode("utf-8")
        with self._lock:
            if self.broken is not None:
                raise JournalUnwritable(self.broken)
            try:
                if self._fd < 0:
                    raise OSError(errno.EBADF, "the journal is closed")
                count = os.write(self._fd, line)
                if count != len(line):
                    raise OSError(errno.ENOSPC, f"short write, {count} of {len(line)} bytes")
                os.fsync(self._fd)
            except OSError as error:
                self.broken = f"cannot write the journal {self.path} ({error.strerror or error})"
                raise JournalUnwritable(self.broken) from None

    def start(self, base_url: str, customer_ids: tuple[int, ...], witness_ids: tuple[int, ...]) -> None:
        """The run's target (base URL and customers; never a header)."""
        self.written.base_url = base_url
        self.written.customer_ids, self.written.witness_ids = customer_ids, witness_ids
        self._write(
            {
                "kind": "start",
                "version": VERSION,
                "base_url": base_url,
                "customer_ids": list(customer_ids),
                "witness_ids": list(witness_ids),
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "pid": os.getpid(),
            }
        )

    def original(self, customer_id: int, record: dict[str, Any], raw: bytes) -> None:
        """`customer_id` as first read, before any change."""
        text = raw.decode("utf-8", "surrogateescape")
        self.written.originals[customer_id], self.written.raw[customer_id] = dict(record), text
        self._write({"kind": "original", "customer_id": customer_id, "record": record, "raw": text})

    def change(self, content_type: str, body: bytes) -> int:
        """A PATCH body about to be sent: its number. Only once it is on disk is it kept in memory
        (a change that could not be written is not sent)."""
        with self._lock:
            self._number += 1
            number = self._number
        text = body.decode("utf-8", "surrogateescape")
        self._write(
            {
                "kind": "change",
                "n": number,
                "content_type": content_type,
                "body": text,
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            }
        )
        self.written.changes.append(Change(number, content_type, text))
        return number

    def answered(self, number: int, status: int, stored: list[Caused] | None = None) -> None:
        """PATCH `number` got an answer with `status`, and made the server store `stored`: the
        stored lines first, all in one write (a cut write leaves the PATCH in doubt, never lost)."""
        self.written.stored += stored or []
        self.written.answered.add(number)
        self._write(
            *(_stored_entry(e) for e in stored or []),
            {"kind": "answered", "change": number, "status": status},
        )

    def stored(self, entry: Caused) -> None:
        """What a PATCH made the server store in a given customer's record (`ownership.py`)."""
        self.written.stored.append(entry)
        self._write(_stored_entry(entry))

    def done(self, summary: str) -> None:
        """The restore was proven: nothing is left to do."""
        self.written.done, self.written.summary = True, summary
        self._write({"kind": "done", "summary": summary})

    def finish(self, summary: str, *, keep: bool = False) -> str | None:
        """Mark the restore proven and, unless `keep`, drop the records' contents: the file keeps
        its start and the summary. None when all went to disk, else the one line saying what did
        not."""
        try:
            self.done(summary)
        except JournalUnwritable as error:
            return f"{error}: the restore was proven, but the journal could not be marked done"
        if keep:
            return None
        return trim(self.path)

    def close(self) -> None:
        """Close the file (what was written stays)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def trim(path: Path) -> str | None:
    """Rewrite a finished journal as its start and done lines only (records, bodies and stored
    values dropped), in place and atomically. None when done, else the line saying it was not."""
    try:
        kept = [
            line
            for line in path.read_bytes().split(b"\n")
            if line.startswith((b'{"kind":"start"', b'{"kind":"done"'))
        ]
        temporary = path.with_name(path.name + ".trim")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            data = b"\n".join(kept) + b"\n"
            if os.write(fd, data) != len(data):
                raise OSError(errno.ENOSPC, "short write")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            path.with_name(path.name + ".trim").unlink()
        return (
            f"the journal {path} could not drop the records' contents ({error.strerror or error}); "
            "it holds customers' records: delete it"
        )
    return None


def read(path: Path) -> Written:
    """Read a journal; a last line cut short by a kill (or a full disk) is ignored."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as error:
        raise JournalError(f"--journal {path}: cannot read it ({error.strerror})") from None
    written = Written(path=path)
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError:
            if number >= len(lines) - 1:
                break  # the line being written when the run was killed
            raise JournalError(f"--journal {path}: line {number} is not JSON") from None
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind == "start":
            written.base_url = str(entry["base_url"])
            written.customer_ids = tuple(int(c) for c in entry["customer_ids"])
            written.witness_ids = tuple(int(c) for c in entry.get("witness_ids", ()))
        elif kind == "original":
            written.originals[int(entry["customer_id"])] = dict(entry["record"])
            written.raw[int(entry["customer_id"])] = str(entry.get("raw", ""))
        elif kind == "change":
            n = entry.get("n")
            written.changes.append(
                Change(int(n) if isinstance(n, int) else None, str(entry["content_type"]), str(entry["body"]))
            )
        elif kind == "answered":
            written.answered.add(int(entry["change"]))
        elif kind == "stored":
            written.stored.append(_caused(entry))
        elif kind == "done":
            written.done, written.summary = True, str(entry.get("summary", ""))
    if not written.base_url:
        raise JournalError(f"--journal {path}: not a qflow-contracts journal (no start line)")
    return written


def documents(content_type: str, body: str) -> list[dict[str, Any]]:
    """The JSON objects (or the form) a PATCH body carries; none when it cannot be read."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return [dict(urllib.parse.parse_qsl(body, keep_blank_values=True))]
    try:
        pending: list[Any] = [json.loads(body)]
    except ValueError:
        try:
            # as a lenient server reads it: JSON with comments or single quotes is a change too
            pending = [read_lenient_json(body.encode("utf-8", "surrogatepass"))]
        except (ValueError, LenientJsonError):
            return []
    found: list[dict[str, Any]] = []
    while pending:
        document = pending.pop()
        if isinstance(document, dict):
            found.append(document)
        elif isinstance(document, list):
            pending.extend(document)
        elif isinstance(document, str):
            try:
                pending.append(json.loads(document))
            except ValueError:
                continue
    return found


def unfinished(folder: Path, base_url: str) -> list[Path]:
    """Journals in `folder` for `base_url` whose restore was never proven."""
    found = []
    pattern = re.compile(r"run-.*\.jsonl$")
    for path in sorted(folder.glob("run-*.jsonl")) if folder.is_dir() else []:
        if not pattern.search(path.name):
            continue
        try:
            written = read(path)
        except (JournalError, KeyError, TypeError, ValueError):
            continue
        if written.base_url == base_url and not written.done and written.changes:
            found.append(path)
    return found
