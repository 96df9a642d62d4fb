"""One run at a time per deployment and customer (contract rule 13).

A run that may change records holds an exclusive lock on each of its customers (and a shared one on
each witness) for the whole of its life, in the per-user state folder
(`$XDG_STATE_HOME/qflow-contracts/locks/`): one file per base URL and customer, locked with
`flock`, so a run killed outright holds nothing. The file says which process and journal hold it;
the next run reads that to name the other run, and to find a journal a killed run left unfinished
wherever `--journal` put it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Locked(Exception):
    """Another run holds one of the customers: one line, exit 2."""


def deployment_key(base_url: str) -> str:
    """The deployment a base URL names: scheme and host in lower case, the path without a final /."""
    parts = urllib.parse.urlsplit(base_url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def lock_folder(journals: Path) -> Path:
    """The locks' folder, beside the journals' folder of the state folder."""
    return journals.parent / "locks"


def lock_path(folder: Path, base_url: str, customer_id: int) -> Path:
    """The lock file of one customer of one deployment."""
    digest = hashlib.sha256(f"{deployment_key(base_url)}\n{customer_id}".encode()).hexdigest()
    return folder / f"{digest[:32]}.lock"


def _holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace")
        found = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


@dataclass
class RunLock:
    """The locks of one run: acquired together, or not at all."""

    folder: Path
    base_url: str
    customer_ids: tuple[int, ...]
    witness_ids: tuple[int, ...] = ()
    journal: Path | None = None
    previous: dict[int, Path] = field(default_factory=dict)
    """Per customer, the journal the last run that held its lock named (it may be unfinished)."""
    _fds: list[int] = field(default_factory=list)

    def acquire(self) -> RunLock:
        """Lock every customer (exclusive) and witness (shared); Locked, holding nothing, when
        another run holds one."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise Locked(f"cannot create the lock folder {self.folder} ({error.strerror})") from None
        wanted = [(cid, fcntl.LOCK_EX) for cid in sorted(self.customer_ids)]
        wanted += [(cid, fcntl.LOCK_SH) for cid in sorted(self.witness_ids)]
        for cid, mode in wanted:
            path = lock_path(self.folder, self.base_url, cid)
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                self.release()
                raise Locked(f"cannot open the lock {path} ({error.strerror})") from None
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                self.release()
                who = f"pid {holder['pid']}" if "pid" in holder else "another process"
                journal = f", journal {holder['journal']}" if holder.get("journal") else ""
                raise Locked(
                    f"customer {cid} of {self.base_url} is in use by another run ({who}{journal}): "
                    "one run at a time per customer; wait for it to end"
                ) from None
            self._fds.append(fd)
            previous = _holder(fd).get("journal")
            if mode == fcntl.LOCK_EX and isinstance(previous, str) and previous:
                self.previous[cid] = Path(previous)
            if mode == fcntl.LOCK_EX:
                record = {"pid": os.getpid(), "journal": str(self.journal) if self.journal else None}
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, json.dumps(record).encode("utf-8"))
        return self

    def release(self) -> None:
        """Let go of every lock (the files stay: they name the last journal)."""
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
