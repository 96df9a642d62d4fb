"""The runner's settings: command-line flags over a TOML file, every value checked by type and range
before any request is sent. A wrong value is one line naming the key, exit code 2."""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qflow_contracts.int32 import INT32_MAX
from qflow_contracts.redact import MIN_SECRET, too_short

DEFAULT_RATE_LIMIT = 10.0
"""Requests per second to a server the suite did not start. A production ASP.NET deployment serves
ten requests a second from one client without noticing (common gateway quotas per client are
10 to 100 a second), and a default run still ends in minutes."""
DEFAULT_REQUEST_TIMEOUT = 10.0
"""Seconds one request may take (the answer read in whole) before the server counts as unavailable."""
DEFAULT_MAX_TIME = 900.0
"""Seconds a run against a server the suite did not start may take before it stops and restores."""
DEFAULT_RESTORE_TIME = 120.0
"""Seconds the restore may take after the run stopped (its own clock): four customers need about
twelve requests, and a throttling server's waits fit too."""
DEFAULT_MAX_ANSWER_BYTES = 1 << 20
"""The most bytes of one answer that are read: a Customer record is a few kilobytes."""


HEADER_WARNING = (
    "qflow-contracts: warning: --header puts the credential on the command line (shell history, "
    "the process list); use --header-env NAME=ENVVAR"
)


class ConfigError(Exception):
    """A flag or a config value that is not what the key wants: one line, exit 2."""


@dataclass(frozen=True)
class Option:
    """One setting: its TOML key (the flag is `--` + the key, singular for lists), its kind, its help."""

    key: str
    kind: str
    help: str
    flag: str = ""

    @property
    def name(self) -> str:
        """The attribute of `Settings` it fills."""
        return self.key.replace("-", "_")

    @property
    def option(self) -> str:
        """The command-line flag."""
        return self.flag or f"--{self.key}"


OPTIONS: tuple[Option, ...] = (
    Option("base-url", "url", "the server, base path included; without it the embedded mock is started"),
    Option("customer-ids", "ids", "a customer the suite may read and PATCH (repeatable)", "--customer-id"),
    Option(
        "witness-ids", "ids", "a customer read before and after, never changed (repeatable)", "--witness-id"
    ),
    Option("headers", "strings", "'Name: value' sent with every request (repeatable)", "--header"),
    Option(
        "header-envs",
        "strings",
        "NAME=ENVVAR: a header whose value is in ENVVAR (repeatable)",
        "--header-env",
    ),
    Option("read-only", "bool", "GETs only"),
    Option("strict", "bool", "leniency (contract rule 14) fails the run"),
    Option("max-examples", "examples", "size of the generated data (default 25)"),
    Option("seed", "seed", "seed of the generated data"),
    Option(
        "rate-limit", "rate", f"requests per second at most (default {DEFAULT_RATE_LIMIT:g} on a deployment)"
    ),
    Option(
        "request-timeout", "seconds", f"seconds one request may take (default {DEFAULT_REQUEST_TIMEOUT:g})"
    ),
    Option(
        "max-time",
        "seconds",
        f"seconds the whole run may take (default {DEFAULT_MAX_TIME:g} on a deployment)",
    ),
    Option(
        "restore-time",
        "seconds",
        f"seconds the restore may take after the run stopped (default {DEFAULT_RESTORE_TIME:g})",
    ),
    Option(
        "max-answer-bytes", "bytes", f"the most bytes of one answer read (default {DEFAULT_MAX_ANSWER_BYTES})"
    ),
    Option("journal", "path", "the journal file (default: a new file in the per-user state folder)"),
    Option(
        "over-unfinished-journal",
        "path",
        "take over this unfinished journal of a killed run: its originals are this run's",
    ),
    Option("keep-journal", "bool", "keep the records in the journal after a proven restore"),
    Option("junit-xml", "path", "write the JUnit XML report (one testcase per rule) here"),
    Option("report", "path", "write the Markdown report here"),
    Option("html", "path", "write the self-contained HTML report here"),
    Option("json", "path", "write the JSON report (the whole verdict, pytest-reportlog's shape) here"),
    Option(
        "baseline",
        "path",
        "a TOML file of accepted findings (signature, reason, expires): they fail nothing until they expire",
    ),
    Option("workers", "workers", "parallel workers (only 1)"),
)
BY_KEY = {option.key: option for option in OPTIONS}


@dataclass(frozen=True)
class Settings:
    """Everything `qflow-contracts run` was asked, checked."""

    base_url: str | None = None
    customer_ids: tuple[int, ...] = ()
    witness_ids: tuple[int, ...] = ()
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    read_only: bool = False
    strict: bool = False
    max_examples: int = 25
    seed: int | None = None
    rate_limit: float | None = None
    request_timeout: float | None = None
    max_time: float | None = None
    restore_time: float | None = None
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    journal: Path | None = None
    over_unfinished_journal: Path | None = None
    keep_journal: bool = False
    junit_xml: Path | None = None
    report: Path | None = None
    html: Path | None = None
    json: Path | None = None
    credential_flags: tuple[str, ...] = ()
    """The credential flags as a restore command repeats them, shell-quoted: `--header-env
    NAME=ENVVAR` as given, `--header 'NAME: ***'` (the value is never kept here)."""
    workers: int = 1
    baseline: Path | None = None
    """The accepted-findings file (`suite/baseline.py`), read and checked before any request."""


def credential_flags(lines: Sequence[str], envs: Sequence[str]) -> tuple[str, ...]:
    """`--header` and `--header-env` flags that name the run's credentials without their values."""
    import shlex

    flags: list[str] = []
    for item in envs:
        flags += ["--header-env", shlex.quote(item.strip())]
    for line in lines:
        name = line.partition(":")[0].strip()
        flags += ["--header", shlex.quote(f"{name}: ***")]
    return tuple(flags)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(text: bool, value: Any, parse: Callable[[str], Any]) -> Any:
    if text and isinstance(value, str):
        try:
            return parse(value)
        except ValueError:
            return value
    return value


def check(option: Option, value: Any, *, text: bool) -> Any:
    """`value` for `option`, converted from flag text when `text`; ConfigError when it is not one."""
    kind, where = option.kind, option.key if not text else option.option
    if kind == "ids":
        values = value if isinstance(value, list) else None
        if values is not None:
            values = [_number(text, item, int) for item in values]
        if values is None or not all(_is_int(v) and 1 <= v <= INT32_MAX for v in values):
            raise ConfigError(f"{where} must be a list of positive 32-bit integers, got {value!r}")
        return tuple(dict.fromkeys(values))
    if kind == "strings":
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where} must be a list of strings")
        return list(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if kind in ("url", "path"):
        if kind == "url" and isinstance(value, str) and has_userinfo(value):
            raise ConfigError(
                f"{where} must not carry a user or password (user:***@host): "
                "pass credentials with --header-env NAME=ENVVAR"
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} must be a non-empty string, got {value!r}")
        if kind == "url" and not value.startswith(("http://", "https://")):
            raise ConfigError(f"{where} must be an http:// or https:// URL, got {value!r}")
        return value if kind == "url" else Path(value)
    bounds: dict[str, tuple[float, float, bool]] = {
        "examples": (1, 10_000, True),
        "seed": (0, 2**64 - 1, True),
        "workers": (1, 1, True),
        "bytes": (1024, 1 << 30, True),
        "rate": (0.1, 1000, False),
        "seconds": (0.1, 7 * 24 * 3600, False),
    }
    low, high, integer = bounds[kind]
    number = _number(text, value, int if integer else float)
    ok = _is_int(number) if integer else (_is_int(number) or isinstance(number, float))
    if not ok or not math.isfinite(number) or not low <= number <= high:
        what = "an integer" if integer else "a number"
        limit = "only 1 is supported" if kind == "workers" else f"from {low:g} to {high:g}"
        raise ConfigError(f"{where} must be {what} {limit}, got {value!r}")
    return number


def has_userinfo(url: str) -> bool:
    """Whether `url` carries a user or password before its host (`http://user:pass@host/API`)."""
    authority = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return "@" in authority


def _load_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"--config {path}: cannot read it ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"--config {path}: not valid TOML ({error})") from None


def parse_headers(lines: Sequence[str], envs: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """The headers from `Name: value` lines and `NAME=ENVVAR` references; every value long enough to
    mask (contract rule 12). Error messages name the header, never its value."""
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
            raise ConfigError("--header wants 'Name: value'")
        headers[name.strip()] = value.strip()
    for item in envs:
        name, equals, variable = item.partition("=")
        if not equals or not name.strip() or not variable.strip():
            raise ConfigError("--header-env wants NAME=ENVVAR")
        if variable.strip() not in environ:
            raise ConfigError(
                f"--header-env {name.strip()}: environment variable {variable.strip()} is not set"
            )
        headers[name.strip()] = environ[variable.strip()].strip()
    for name, value in headers.items():
        if too_short(value) is not None:
            raise ConfigError(
                f"header {name}: its value (or the part after its auth scheme) is under {MIN_SECRET} "
                "characters, too short to keep out of the output (contract rule 12)"
            )
    return headers


def settings(flags: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from parsed flags (strings, as typed; None when absent) over `flags["config"]`'s TOML."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config = flags.get("config")
    if config:
        for key, value in _load_toml(str(config)).items():
            if key not in BY_KEY:
                raise ConfigError(f"--config {config}: unknown key {key!r}")
            try:
                values[BY_KEY[key].name] = check(BY_KEY[key], value, text=False)
            except ConfigError as error:
                raise ConfigError(f"--config {config}: {error}") from None
    for option in OPTIONS:
        value = flags.get(option.name)
        if value is None or value is False:
            continue
        values[option.name] = check(option, value, text=True)
    lines, envs = values.pop("headers", []), values.pop("header_envs", [])
    headers = parse_headers(lines, envs, environ)
    values["credential_flags"] = credential_flags(lines, envs)
    if values.get("base_url") and not values.get("customer_ids"):
        raise ConfigError("--customer-id is required with --base-url (the customers it may read and PATCH)")
    overlap = set(values.get("customer_ids", ())) & set(values.get("witness_ids", ()))
    if overlap:
        raise ConfigError(f"--witness-id {min(overlap)} is also a --customer-id: a witness is never changed")
    return Settings(headers=headers, **values)
