"""The journal of a run against a server the suite did not start (contract rule 13).

One JSON document per line, written, flushed and fsynced before what it describes happens:

- `start`: the base URL, the given customers and witnesses (never a header value);
- `original`: a given customer as first read (the parsed record and the exact bytes of the answer);
- `witness`: a witness as first read, the same way (never restored unless asked explicitly);
- `change`: a PATCH body, before it is sent;
- `stored`: what the answer to that PATCH says was stored, for the properties it sent;
- `done`: the restore was proven, nothing is left to do.

A run that was killed outright leaves a journal without `done`: `qflow-contracts restore --journal
PATH` reads it and finishes the restore. The file is created with mode 0600 in a folder of mode 0700.
"""

from __future__ import annotations

import datetime as dt
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

VERSION = 1


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


class Journal:
    """An open journal, appended to line by line; each line on disk before the call returns."""

    def __init__(self, path: Path, *, existing: bool = False) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            if existing:
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            else:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        except OSError as error:
            raise JournalError(
                f"--journal {path}: cannot {'open' if existing else 'create'} it ({error.strerror})"
            ) from None
        os.fchmod(self._fd, 0o600)

    def _write(self, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            os.write(self._fd, line)
            os.fsync(self._fd)

    def start(self, base_url: str, customer_ids: tuple[int, ...], witness_ids: tuple[int, ...]) -> None:
        """The run's target (base URL and customers; never a header)."""
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
        self._write({"kind": "original", "customer_id": customer_id, "record": record, "raw": text})

    def witness(self, customer_id: int, record: dict[str, Any], raw: bytes) -> None:
        """Witness `customer_id` as first read: `restore --restore-witnesses` can put it back."""
        text = raw.decode("utf-8", "surrogateescape")
        self._write({"kind": "witness", "customer_id": customer_id, "record": record, "raw": text})

    def change(self, content_type: str, body: bytes) -> None:
        """A PATCH body about to be sent."""
        self._write(
            {
                "kind": "change",
                "content_type": content_type,
                "body": body.decode("utf-8", "surrogateescape"),
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            }
        )

    def stored(self, customer_id: int, values: dict[str, Any]) -> None:
        """What a PATCH answer says was stored for the properties that PATCH sent (a server may store
        a value in another form than sent: the restore still knows it as this run's)."""
        self._write({"kind": "stored", "customer_id": customer_id, "values": values})

    def done(self, summary: str) -> None:
        """The restore was proven: nothing is left to do."""
        self._write({"kind": "done", "summary": summary})

    def close(self) -> None:
        """Close the file (what was written stays)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


@dataclass
class Written:
    """What a journal holds: the target, the originals, and each value sent per property."""

    path: Path
    base_url: str = ""
    customer_ids: tuple[int, ...] = ()
    witness_ids: tuple[int, ...] = ()
    originals: dict[int, dict[str, Any]] = field(default_factory=dict)
    raw: dict[int, str] = field(default_factory=dict)
    witnesses: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Each witness as first read (none in a journal of an older version)."""
    changes: list[tuple[str, str]] = field(default_factory=list)
    """(content type, body) of each PATCH, in the order sent."""
    stored: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """(customer, values) a PATCH answer said were stored."""
    done: bool = False


def read(path: Path) -> Written:
    """Read a journal; a last line cut short by a kill is ignored."""
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
        elif kind == "witness":
            written.witnesses[int(entry["customer_id"])] = dict(entry["record"])
        elif kind == "change":
            written.changes.append((str(entry["content_type"]), str(entry["body"])))
        elif kind == "stored":
            written.stored.append((int(entry["customer_id"]), dict(entry["values"])))
        elif kind == "done":
            written.done = True
    if not written.base_url:
        raise JournalError(f"--journal {path}: not a qflow-contracts journal (no start line)")
    return written


def documents(content_type: str, body: str) -> list[dict[str, Any]]:
    """The JSON objects (or the form) a PATCH body carries; none when it cannot be read."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return [_form(urllib.parse.parse_qsl(body, keep_blank_values=True))]
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


_INDEXED = re.compile(r"^([A-Za-z]+)\[([0-9]+)\]\.(key|value)$", re.IGNORECASE)


def _form(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """Form fields as one document; MVC's indexed dictionary fields (`Name[0].Key=k`,
    `Name[0].Value=v`) read as the `Name[k]=v` they mean (contract rule 10)."""
    document: dict[str, Any] = {}
    slots: dict[tuple[str, str], dict[str, str]] = {}
    for key, value in fields:
        found = _INDEXED.match(key)
        if found:
            slots.setdefault((found.group(1), found.group(2)), {})[found.group(3).lower()] = value
        else:
            document[key] = value
    for (name, _), slot in slots.items():
        if "key" in slot and "value" in slot:
            document[f"{name}[{slot['key']}]"] = slot["value"]
    return document


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
