"""`symbptt verify` and `symbptt list` through the click group: output, JSON and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbptt.catalog import builtin_names
from symbptt.cli import cli
from symbptt.verify import Check, Report


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args))


def test_verify_table() -> None:
    result = run("verify", "homework3", "--T", "2", "--n", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "symbptt verify homework3 (T=2, n=2)"
    assert lines[1].split()[:4] == ["check", "form", "max", "error"]
    assert "exact: direct = BPTT" in result.output
    assert lines[-1].endswith("all passed")


def test_verify_json_uses_the_model_default_sizes() -> None:
    result = run("verify", "dl4nlp", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["model"], data["T"], data["n"]) == ("dl4nlp", 3, 2)
    assert data["checks"] and all(c["passed"] for c in data["checks"])
    for c in data["checks"]:
        assert set(c) == {"name", "passed", "max_error", "seconds", "form"}


def test_exit_1_when_a_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(model, T, n, *, seed=0):  # noqa: ANN001, ANN202
        return Report(model.name, T, n, [Check("a wrong form", "(b)", False, 0.5, 0.0, "differs")])

    monkeypatch.setattr("symbptt.cli.verify.run_checks", fake)
    result = run("verify", "elman")
    assert result.exit_code == 1
    assert "FAIL" in result.output and "1 FAILED" in result.output
    result = run("verify", "elman", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["checks"][0]["passed"] is False


@pytest.mark.parametrize(
    "args, message",
    [
        (("--T", "5000"), "T=5000, n=2 is too large to check: the scaling checks run up to"),
        (("--n", "2000"), "n <= 1024 and T <= 4096"),
        (("--n", "0"), "n must be a whole number >= 1"),
    ],
)
def test_exit_2_on_sizes_out_of_range(args: tuple[str, ...], message: str) -> None:
    result = run("verify", "elman", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_exit_2_on_unknown_model_and_bad_file(tmp_path: Path) -> None:
    result = run("verify", "no-such-model")
    assert result.exit_code == 2 and "unknown model 'no-such-model'" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndescription: x\nparameters: {input: U}\n")
    result = run("verify", str(bad))
    assert result.exit_code == 2 and "bad.yaml" in result.stderr


def test_list_table_and_json() -> None:
    result = run("list")
    assert result.exit_code == 0
    for name in builtin_names():
        assert any(line.startswith(name + " ") for line in result.output.splitlines())
    data = json.loads(run("list", "--json").output)
    rows = data["derivations"]
    assert {r["name"] for r in rows} == {
        "tutorial",
        "course-notes",
        "blog",
        "homework3",
        "dl4nlp",
        "elman",
        "lstm",
        "homework3-lstm",
        "gru",
        "gru-reset-before",
        "goodfellow",
    }
    for r in rows:
        assert set(r) == {"name", "description", "path"}
        assert Path(r["path"]).is_file() and r["description"]


def test_verify_runs_as_a_user_runs_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "symbptt", "verify", "tutorial", "--T", "5000"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "the scaling checks run up to n*n*T <= 16,777,216" in proc.stderr
    assert "Traceback" not in proc.stderr
