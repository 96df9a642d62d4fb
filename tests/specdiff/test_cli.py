"""`qflow-contracts spec-diff`: files and git revisions, Markdown and JSON, exit codes CI can gate on."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from qflow_contracts import cli
from qflow_contracts.spec import load_spec
from qflow_contracts.specdiff import main
from qflow_contracts.specdiff.model import parse_version

VERSION = str(load_spec()["info"]["version"])
_MAJOR, _MINOR, _ = parse_version(VERSION) or (0, 0, 0)
NEXT_MINOR = f"{_MAJOR}.{_MINOR + 1}.0"


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory, spec: dict[str, Any]) -> dict[str, Path]:
    """The spec, and three edited copies: compatible, breaking for servers, breaking for clients;
    written once for the module (dumping YAML is the slow part), and only read by the tests."""
    tmp_path = tmp_path_factory.mktemp("versions")
    minor = copy.deepcopy(spec)
    minor["info"]["version"] = NEXT_MINOR
    minor["components"]["schemas"]["CustomerUpdate"]["properties"]["PreferredName"] = {"type": "string"}
    servers = copy.deepcopy(spec)
    servers["components"]["schemas"]["CustomerUpdate"]["properties"]["Notes"]["maxLength"] = 500
    clients = copy.deepcopy(spec)
    del clients["components"]["schemas"]["Customer"]["properties"]["Notes"]
    return {
        name: _write(tmp_path / f"{name}.yaml", document)
        for name, document in (("old", spec), ("minor", minor), ("servers", servers), ("clients", clients))
    }


def test_a_compatible_change_exits_0_with_a_markdown_summary(
    versions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(versions["old"]), str(versions["minor"])]) == 0
    out = capsys.readouterr().out
    assert "**Verdict: compatible.** Code built on the client: a **minor** release." in out
    assert (
        "| `CustomerUpdate.PreferredName` | optional property added | minor | `request-property-added` |"
        in out
    )
    assert f"`info.version` {VERSION} -> {NEXT_MINOR}: enough for a minor release." in out


@pytest.mark.parametrize(
    ("version", "fail_on", "code"),
    [
        ("clients", "any", 1),
        ("clients", "clients", 1),
        ("clients", "servers", 0),
        ("clients", "never", 0),
        ("servers", "any", 1),
        ("servers", "servers", 1),
        ("servers", "clients", 0),
        ("minor", "any", 0),
    ],
)
def test_the_exit_code_gates_on_what_fail_on_names(
    versions: dict[str, Path], version: str, fail_on: str, code: int
) -> None:
    assert main([str(versions["old"]), str(versions[version]), "--fail-on", fail_on]) == code


def test_check_version_fails_a_bump_smaller_than_the_changes_call_for(
    versions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main([str(versions["old"]), str(versions["servers"]), "--fail-on", "never", "--check-version"]) == 1
    )
    assert f"a minor release calls for at least {NEXT_MINOR}" in capsys.readouterr().out
    assert main([str(versions["old"]), str(versions["minor"]), "--check-version"]) == 0


def test_json_output_to_a_file(
    versions: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "diff.json"
    code = main([str(versions["old"]), str(versions["clients"]), "--format", "json", "--output", str(target)])
    assert code == 1
    assert (
        capsys.readouterr().out.strip()
        == f"qflow-contracts spec-diff: breaking for clients, major release; see {target}"
    )
    data = json.loads(target.read_text(encoding="utf-8"))
    assert (data["verdict"], data["bump"], data["breaks_clients"]) == ("breaking for clients", "major", True)
    assert {"rule": "response-property-removed", "where": "Customer.Notes"}.items() <= data["changes"][
        0
    ].items()


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True, capture_output=True
    )


def test_git_revisions_of_the_spec(
    tmp_path: Path,
    versions: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = tmp_path / "repo"
    (repo / "spec").mkdir(parents=True)
    spec_file = repo / "spec" / "qflow-customers.openapi.yaml"
    _git(repo, "init", "-q")
    for name in ("old", "minor", "clients"):
        spec_file.write_bytes(versions[name].read_bytes())
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", name)
    monkeypatch.chdir(repo / "spec")
    assert main(["HEAD~2", "HEAD~1"]) == 0
    assert (
        "## Spec diff: `HEAD~2:spec/qflow-customers.openapi.yaml` -> "
        "`HEAD~1:spec/qflow-customers.openapi.yaml`" in (capsys.readouterr().out)
    )
    assert main(["HEAD~1", "qflow-customers.openapi.yaml"]) == 1  # a revision against a file
    assert main(["HEAD~2:spec/qflow-customers.openapi.yaml", "HEAD"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-revision", "NEW"], "no-such-revision is neither a file nor a git revision"),
        (["BAD_YAML", "NEW"], "is not valid YAML (line 2)"),
        (["NOT_OPENAPI", "NEW"], "is not an OpenAPI 3 document"),
        (["NEW", "--fail-on", "sometimes"], "argument --fail-on: invalid choice"),
        ([], "the following arguments are required: OLD"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(
    tmp_path: Path,
    versions: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    (tmp_path / "bad.yaml").write_text("a: [unclosed\n", encoding="utf-8")
    (tmp_path / "list.yaml").write_text("- 1\n", encoding="utf-8")
    names = {
        "NEW": str(versions["minor"]),
        "BAD_YAML": str(tmp_path / "bad.yaml"),
        "NOT_OPENAPI": str(tmp_path / "list.yaml"),
    }
    assert main([names.get(arg, arg) for arg in args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("qflow-contracts spec-diff: "), err
    assert message in err


def test_the_project_command_dispatches_spec_diff(
    versions: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["spec-diff", str(versions["old"]), str(versions["servers"])]) == 1
    assert "**Verdict: breaking for servers.**" in capsys.readouterr().out
    assert "spec-diff" in cli.build_parser().format_help()
