"""The README's worked example, on a temporary copy of the repository: a property added to the spec
flows through generation, the spec diff, the drift check, the client and the mock; a property removed
is called breaking."""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from qflow_contracts.mock.cli import served_url
from tests.conftest import REPO

pytestmark = pytest.mark.slow  # over about 20 s each: `-m 'not slow'` leaves them out

SPEC = Path("spec/qflow-customers.openapi.yaml")
PROPERTY = """        {name}:
          description: {description}
          type: string
          maxLength: 50
"""
VERSION = re.compile(r'^  version: "([0-9]+)\.([0-9]+)\.([0-9]+)"$', re.MULTILINE)


def example_name(text: str) -> str:
    """The README's MiddleName, or another new name once the spec has a MiddleName of its own."""
    return next(name for name in ("MiddleName", "PreferredName", "Nickname") if f" {name}:" not in text)


def next_minor(text: str) -> tuple[str, str]:
    """The spec's info.version, and the minor release after it."""
    match = VERSION.search(text)
    assert match is not None
    major, minor, patch = (int(part) for part in match.groups())
    return f"{major}.{minor}.{patch}", f"{major}.{minor + 1}.0"


def add_property(text: str, name: str = "MiddleName") -> str:
    """The spec with `name` after LastName in the three Customer schemas (as the README shows for
    MiddleName), not yet required in answers (servers not yet upgraded leave it out), and
    info.version raised to the next minor release."""
    blocks = list(re.finditer(r"^        LastName:\n(?:          .*\n)+", text, re.MULTILINE))
    assert len(blocks) == 3
    added = PROPERTY.format(name=name, description=re.sub(r"(?<!^)([A-Z])", r" \1", name))
    for block in reversed(blocks):  # CustomerUpdate and Customer say nullable, the form cannot
        nullable = "          nullable: true\n" if "nullable: true" in block.group(0) else ""
        text = text[: block.end()] + added + nullable + text[block.end() :]
    old, new = next_minor(text)
    return text.replace(f'  version: "{old}"', f'  version: "{new}"', 1)


def require(text: str, name: str) -> str:
    """The spec with `name` listed in the answer's `required`, once every server sends it."""
    return text.replace("        - LastName\n", f"        - LastName\n        - {name}\n", 1)


def remove_notes(text: str) -> str:
    """The spec without the Notes property."""
    text, count = re.subn(r"^        Notes:\n(?:          .*\n)+", "", text, flags=re.MULTILINE)
    assert count == 3
    return text.replace("        - Notes\n", "", 1)


def _run(cwd: Path, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def make(root: Path, target: str) -> subprocess.CompletedProcess[str]:
    """`make TARGET` in the copy, with this environment's tools."""
    return _run(root, "make", "--no-print-directory", target, f"BIN={Path(sys.executable).parent}", "STAMP=")


def git(root: Path, *args: str) -> None:
    """A git command in the copy that must succeed."""
    result = _run(root, "git", "-c", "user.name=t", "-c", "user.email=t@t", *args)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The repository's files (tracked and new, not ignored) in a fresh git repository."""
    listed = _run(REPO, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    root = tmp_path / "repo"
    for name in filter(None, listed.stdout.split("\0")):
        if (REPO / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, root / name)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def _env(root: Path) -> dict[str, str]:
    """Python that imports the copy's client and project before the installed ones."""
    return {**os.environ, "PYTHONPATH": f"{root / 'src'}{os.pathsep}{root / 'generated'}"}


@pytest.fixture
def mock_of(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Start the copy's mock (on the copy's spec); stopped at the end of the test."""
    processes: list[subprocess.Popen[str]] = []

    def start(root: Path) -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", "--prefix", "/API"],
            cwd=root,
            env=_env(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            if select.select([process.stdout], [], [], 0.2)[0]:
                line = process.stdout.readline()
                url = served_url(line)
                if url is not None:
                    return url
        raise AssertionError(f"the mock did not start: {process.stderr.read() if process.stderr else ''}")

    yield start
    for process in processes:
        process.terminate()
        process.communicate(timeout=10)


def _call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_property_added_then_one_removed(copy: Path, mock_of: Any) -> None:
    spec = copy / SPEC
    text = spec.read_text(encoding="utf-8")
    name, (old, new) = example_name(text), next_minor(text)
    spec.write_text(add_property(text, name), encoding="utf-8")

    generated = make(copy, "generate")
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith(f"generated/: qflow-client {new} ("), generated.stdout

    diff = make(copy, "spec-diff")
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "**Verdict: compatible.** Code built on the client: a **minor** release." in diff.stdout
    assert f"`info.version` {old} -> {new}: enough for a minor release." in diff.stdout
    for row in (
        f"| `CustomerUpdate.{name}` | optional property added | minor | `request-property-added` |",
        f"| `CustomerUpdateForm.{name}` | optional property added | minor | `request-property-added` |",
        f"| `Customer.{name}` | optional property added | minor | `response-property-added` |",
    ):
        assert row in diff.stdout, diff.stdout

    checked = make(copy, "check-generated")
    assert (checked.returncode, checked.stdout.strip()) == (0, "generated/ matches the spec."), checked.stderr

    field = re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()
    client = _run(
        copy,
        sys.executable,
        "-c",
        "import qflow_client; from qflow_client.models import Customer, CustomerUpdate; "
        "print(qflow_client.__version__, qflow_client.__file__); "
        f"print(CustomerUpdate(customer_id=101, {field}='Q').to_dict())",
        env=_env(copy),
    )
    assert client.returncode == 0, client.stderr
    version_line, body_line = client.stdout.splitlines()
    assert version_line == f"{new} {copy / 'generated' / 'qflow_client' / '__init__.py'}"
    assert body_line == f"{{'CustomerId': 101, '{name}': 'Q'}}"
    assert _reads_old_answer(copy) == "read", "the client must read an answer of a server not yet upgraded"

    base = mock_of(copy)
    status, record = _call(f"{base}/Customers/101")
    assert status == 200 and record[name] is None  # fixtures that do not name it: null
    status, record = _call(f"{base}/Customers", "PATCH", {"CustomerId": 101, name: "Quincy"})
    assert (status, record[name]) == (200, "Quincy")
    status, error = _call(f"{base}/Customers", "PATCH", {"CustomerId": 101, name: "x" * 51})
    assert status == 400 and list(error["ModelState"]) == [name]

    git(copy, "commit", "-qam", name)
    spec.write_text(require(spec.read_text(encoding="utf-8"), name), encoding="utf-8")
    required = make(copy, "spec-diff")
    assert required.returncode != 0
    assert (
        f"| `Customer.{name}` | became required: breaking for clients talking to servers not yet upgraded "
        "(the regenerated client raises on an answer without it) (breaks servers too) | major |"
        in required.stdout
    ), required.stdout
    assert make(copy, "generate").returncode == 0
    assert _reads_old_answer(copy).startswith("raised KeyError"), "spec-diff's word must match the client"
    git(copy, "checkout", "-q", "--", ".")

    spec.write_text(remove_notes(spec.read_text(encoding="utf-8")), encoding="utf-8")
    removed = make(copy, "spec-diff")
    assert removed.returncode != 0
    assert (
        "**Verdict: breaking for clients.** Code built on the client: a **major** release." in removed.stdout
    )
    major = int(new.split(".")[0]) + 1
    assert f"`info.version` {new} -> {new}: a major release calls for at least {major}.0.0." in removed.stdout
    assert (
        "| `Customer.Notes` | property removed (the client's model loses its field) | major |"
        in removed.stdout
    )
    assert make(copy, "check-generated").returncode != 0  # and generated/ has to follow
    regenerated = make(copy, "generate")  # still works, and says the version is too small
    assert regenerated.returncode == 0, regenerated.stderr
    assert (
        f"warning: info.version {new} -> {new}: the changes since HEAD call for a major release, at least "
        f"{major}.0.0 (make spec-diff says why)" in regenerated.stdout.splitlines()
    ), regenerated.stdout


def _reads_old_answer(root: Path) -> str:
    """What the copy's generated client does with a record of a server not yet upgraded: one that
    carries the 16 properties of today's spec and not the new one."""
    spec = yaml.safe_load((REPO / SPEC).read_text(encoding="utf-8"))
    record: dict[str, Any] = {name: None for name in spec["components"]["schemas"]["Customer"]["properties"]}
    record["CustomerId"] = 101
    program = (
        "import json, sys\n"
        "from qflow_client.models import Customer\n"
        "try:\n"
        "    Customer.from_dict(json.loads(sys.argv[1]))\n"
        "    print('read')\n"
        "except Exception as error:\n"
        "    print('raised', type(error).__name__)\n"
    )
    result = _run(root, sys.executable, "-c", program, json.dumps(record), env=_env(root))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_fixture_naming_a_property_the_spec_lacks_stops_the_mock_with_one_line(copy: Path) -> None:
    spec = copy / SPEC
    spec.write_text(remove_notes(spec.read_text(encoding="utf-8")), encoding="utf-8")
    started = _run(copy, sys.executable, "-m", "qflow_contracts.mock", "serve", "--port", "0", env=_env(copy))
    assert started.returncode == 2
    fixtures = copy / "src" / "qflow_contracts" / "mock" / "fixtures.json"
    assert started.stderr.count("\n") == 1 and "Traceback" not in started.stderr, started.stderr
    assert f"fixtures {fixtures}: customer #1 names 'Notes'" in started.stderr
