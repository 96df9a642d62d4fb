"""An accepted-findings baseline: a committed TOML file of the findings a vendor has accepted or
scheduled, each by its signature (`codes.mark`), with a reason and an expiry date.

    [[accepted]]
    signature = "rule-10/QF1001/PATCH:415"
    reason = "form bodies are not bound; scheduled for release 4.2"
    expires = 2027-03-31

A run whose findings are all accepted is CONFORMANT except those; a finding not in the file, or
one whose entry has expired (its `expires` day is past, in UTC), fails as without a baseline; an
entry that no longer occurs is reported as fixed, to be removed. `starting_file` writes the first
file from a `--json` report, with placeholders the person must fill in before it loads.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qflow_contracts.suite.codes import BY_CODE

FILL_IN = "FILL IN"
"""What `starting_file` writes where the person must write a reason and a date; a file holding it
does not load."""

ENTRY_KEYS = {"signature", "reason", "expires", "summary"}
"""The keys of an entry: `summary` is a note for the reader (the finding's line when written)."""


class BaselineError(Exception):
    """A baseline file that cannot be used: one line naming the file and what is wrong."""


@dataclass(frozen=True)
class Entry:
    """One accepted finding."""

    signature: str
    reason: str
    expires: dt.date
    """The last day the entry accepts its finding (UTC)."""
    summary: str = ""

    def expired(self, today: dt.date) -> bool:
        """Whether the entry no longer accepts its finding on `today`."""
        return today > self.expires


@dataclass(frozen=True)
class Baseline:
    """The entries of a baseline file, in the file's order."""

    path: str
    entries: tuple[Entry, ...]

    def entry(self, signature: str) -> Entry | None:
        """The entry for `signature`, or None."""
        return next((entry for entry in self.entries if entry.signature == signature), None)


def today_utc() -> dt.date:
    """Today's date in UTC (the day an entry's expiry is compared with)."""
    return dt.datetime.now(dt.UTC).date()


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise BaselineError(f"{where}: expires must be a date (yyyy-mm-dd), not a date-time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise BaselineError(f"{where}: expires must be a date (yyyy-mm-dd), got {value!r}")


def _signature(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BaselineError(f"{where}: signature must be a non-empty string, got {value!r}")
    parts = value.strip().split("/", 2)
    if len(parts) != 3 or parts[1] not in BY_CODE or BY_CODE[parts[1]].rule.id != parts[0]:
        raise BaselineError(
            f"{where}: signature {value!r} is not rule/code/subject with a known code of that rule "
            "(write it as the --json report or `qflow-contracts baseline --from-report` gives it)"
        )
    return value.strip()


def _entry(item: Any, where: str) -> Entry:
    if not isinstance(item, dict):
        raise BaselineError(f"{where}: an entry must be a table ([[accepted]])")
    unknown = sorted(set(item) - ENTRY_KEYS)
    if unknown:
        keys = ", ".join(sorted(ENTRY_KEYS))
        raise BaselineError(f"{where}: unknown key {unknown[0]!r} (an entry has {keys})")
    for needed in ("signature", "reason", "expires"):
        if needed not in item:
            raise BaselineError(f"{where}: {needed} is missing")
    signature = _signature(item["signature"], where)
    reason = item["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise BaselineError(f"{where} ({signature}): reason must be a non-empty string")
    if FILL_IN in reason or (isinstance(item["expires"], str) and FILL_IN in item["expires"]):
        raise BaselineError(f"{where} ({signature}): fill in its reason and expires before using the file")
    summary = item.get("summary", "")
    if not isinstance(summary, str):
        raise BaselineError(f"{where} ({signature}): summary must be a string")
    return Entry(signature, reason.strip(), _date(item["expires"], f"{where} ({signature})"), summary)


def parse(text: str, path: str) -> Baseline:
    """The baseline in `text` (TOML); BaselineError naming `path` when it is not a valid one."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BaselineError(f"--baseline {path}: not valid TOML ({error})") from None
    unknown = sorted(set(document) - {"accepted"})
    if unknown:
        raise BaselineError(
            f"--baseline {path}: unknown key {unknown[0]!r} (the file holds [[accepted]] entries)"
        )
    items = document.get("accepted", [])
    if not isinstance(items, list):
        raise BaselineError(f"--baseline {path}: accepted must be an array of tables ([[accepted]])")
    entries = []
    for number, item in enumerate(items, start=1):
        try:
            entries.append(_entry(item, f"entry {number}"))
        except BaselineError as error:
            raise BaselineError(f"--baseline {path}: {error}") from None
    seen: set[str] = set()
    for entry in entries:
        if entry.signature in seen:
            raise BaselineError(f"--baseline {path}: signature {entry.signature!r} is listed twice")
        seen.add(entry.signature)
    return Baseline(path, tuple(entries))


def load(path: Path) -> Baseline:
    """The baseline file at `path`; BaselineError (one line) when it cannot be read or used."""
    return parse(_text(path, "--baseline"), str(path))


def _text(path: Path, flag: str) -> str:
    """The UTF-8 text of the file a flag names; BaselineError (one line) when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise BaselineError(f"{flag} {path}: cannot read it ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{flag} {path}: not UTF-8 text") from None


# ---- the starting file, from a --json report ---------------------------------------------------------


def toml_string(text: str) -> str:
    """`text` as a TOML basic string: JSON's escapes, which TOML shares, and DEL escaped too; a lone
    surrogate (no Unicode scalar value, so no TOML string) replaced by U+FFFD."""
    clean = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return json.dumps(clean, ensure_ascii=False).replace("\x7f", "\\u007f")


def reported(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings a `--json` report's rule lines hold (failing ones, and the accepted ones),
    each once by signature, in the report's order."""
    found: dict[str, dict[str, Any]] = {}
    for line in lines:
        if line.get("$report_type") != "TestReport":
            continue
        for finding in [*line.get("findings", []), *line.get("accepted", [])]:
            if isinstance(finding, dict) and isinstance(finding.get("signature"), str):
                found.setdefault(finding["signature"], finding)
    return list(found.values())


def read_report(path: Path) -> list[dict[str, Any]]:
    """The lines of a `--json` report; BaselineError when it is not one."""
    text = _text(path, "--from-report")
    try:
        lines = [json.loads(line) for line in text.split("\n") if line.strip()]  # JSON Lines: \n only
    except json.JSONDecodeError as error:
        raise BaselineError(f"--from-report {path}: not a --json report ({error})") from None
    if not lines or not all(isinstance(line, dict) for line in lines):
        raise BaselineError(f"--from-report {path}: not a --json report (no JSON object a line)")
    if lines[0].get("$report_type") != "SessionStart":
        raise BaselineError(f"--from-report {path}: not a --json report (its first line is no SessionStart)")
    return lines


def starting_file(lines: list[dict[str, Any]], source: str) -> str:
    """A baseline accepting every finding of the report, each with its reason and expiry left for
    the person to fill in (the file does not load until they are)."""
    start = lines[0]
    named = start.get("target")
    target: dict[str, Any] = named if isinstance(named, dict) else {}
    out = [
        "# qflow-contracts baseline: the findings accepted for now (`qflow-contracts run --baseline FILE`).",
        f"# Written from {source} ({target.get('base_url', '?')}, {start.get('started', '?')}).",
        "#",
        f'# Before committing it, fill in every entry: replace each "{FILL_IN}" reason with why the',
        "# deviation is accepted (a ticket, a release), and each expires with the last day it is accepted",
        "# (a TOML date, 2027-03-31; compared with today's date in UTC). A file with a placeholder left",
        "# does not load. Remove the entries of findings that are not accepted: they then fail the run.",
        "# A run reports an entry that no longer occurs as fixed: remove it then.",
        "",
    ]
    findings = reported(lines)
    if not findings:
        out.append("# The report has no finding: nothing to accept.")
    for finding in findings:
        out += [
            "[[accepted]]",
            f"signature = {toml_string(finding['signature'])}",
            f"summary = {toml_string(str(finding.get('summary', ''))[:200])}",
            f'reason = "{FILL_IN}: why this finding is accepted"',
            f'expires = "{FILL_IN}: yyyy-mm-dd"',
            "",
        ]
    return "\n".join(out).rstrip("\n") + "\n"
