"""One error style for every command: `symbptt: error: ...` on stderr, exit 2, never a traceback.

Covers click's own usage errors, files that are missing or are folders, unknown model names,
and the numeric edge cases of eigen and flow (entries beyond float64, overflow, bad seeds).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbptt.cli import cli


def run(*args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args))


def assert_input_error(result, *fragments: str) -> str:  # noqa: ANN001
    """Exit 2, the first stderr line in the one style, no traceback; returns stderr."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    assert result.stderr.splitlines()[0].startswith("symbptt: error: "), result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    return result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("eigen", "--power", "x", "--matrix", "1"), "Invalid value for '--power'"),
        (("verify",), "Missing argument 'MODEL'"),
        (("verify", "elman", "--bogus"), "No such option '--bogus'"),
        (("--bogus",), "No such option '--bogus'"),
        (("nosuchcommand",), "No such command 'nosuchcommand'"),
        (("derive", "elman", "--form", "nope"), "Invalid value for '--form'"),
        (("flow", "--matrix", "1", "--steps", "ten"), "Invalid value for '--steps'"),
        (("docs", "nosuch"), "No such command 'nosuch'"),
    ],
)
def test_click_usage_errors_in_the_one_style(args: tuple[str, ...], fragment: str) -> None:
    stderr = assert_input_error(run(*args), fragment)
    assert "Error: " not in stderr  # click's own "Error: ..." line is replaced
    assert "--help' for help." in stderr  # the usage hint is kept, after the error line


def test_usage_error_in_a_real_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "symbptt", "verify", "elman", "--seed", "-1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("symbptt: error: Invalid value for '--seed': -1")
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("command", ["verify", "derive"])
def test_missing_file_and_folder(command: str, tmp_path: Path) -> None:
    assert_input_error(run(command, str(tmp_path / "MISSING.yaml")), "MISSING.yaml: file not found")
    assert_input_error(run(command, str(tmp_path)), f"{tmp_path} is a directory")
    assert_input_error(
        run(command, "homework99"),
        "unknown model 'homework99'; built-in names are",
        "homework3",
    )


def test_check_missing_file_is_named(tmp_path: Path) -> None:
    result = run("check", "--jobs", "1", str(tmp_path / "MISSING.yaml"))
    assert result.exit_code == 2
    assert "MISSING.yaml: file not found" in result.output
    assert "Traceback" not in result.output + result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.yaml", 'model: homework99\nanswers:\n  - id: a\n    answer: "1 = 1"\n'),
        ("b.md", "---\nmodel: homework99\n---\n## a\n$1 = 1$\n"),
    ],
)
def test_answer_file_unknown_model_is_a_name_not_a_path(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = run("check", "--jobs", "1", str(path))
    assert result.exit_code == 2, result.output
    assert "unknown model 'homework99'; built-in names are" in result.output
    assert "homework3" in result.output
    assert str(tmp_path / "homework99") not in result.output  # not reported as a path


# ------------------------------------------------------------------- eigen and flow edges


@pytest.mark.parametrize("command", ["eigen", "flow"])
def test_entry_beyond_float64_names_the_entry(command: str) -> None:
    extra = ["--power", "2"] if command == "eigen" else []
    result = run(command, "--matrix", "[[1e400,0],[0,1]]", *extra)
    assert_input_error(result, "--matrix[0][0]", "beyond float64")


def test_eigen_exact_takes_an_entry_beyond_float64() -> None:
    # (10^400)^2 = 10^800 exactly: the exact route has no float64 limit.
    result = run("eigen", "--matrix", "[[1e400,0],[0,1]]", "--power", "2", "--exact", "--json")
    assert result.exit_code == 0, result.stderr
    assert '"1' + "0" * 800 + '"' in result.output


def test_flow_huge_matrix_is_an_input_error() -> None:
    # W = 1e300 * ones: W^2 = 2e600 * ones overflows float64 at t - k = 2 (by hand).
    stderr = assert_input_error(run("flow", "--matrix", "[[1e300,1e300],[1e300,1e300]]"))
    assert "--matrix" in stderr or "--steps" in stderr
    assert "LinAlgError" not in stderr


def test_flow_overflow_names_the_step() -> None:
    # identity activation, W = [[10]]: ||W^k|| = 10^k overflows float64 first at k = 309.
    result = run("flow", "--matrix", "[[10]]", "--activation", "identity", "--steps", "400")
    assert_input_error(result, "--steps", "t - k = 309", "at most 308")
    ok = run("flow", "--matrix", "[[10]]", "--activation", "identity", "--steps", "308")
    assert ok.exit_code == 0, ok.stderr


@pytest.mark.parametrize("command", [["flow", "--matrix", "1"], ["verify", "elman"]])
def test_negative_seed_is_an_input_error(command: list[str]) -> None:
    assert_input_error(run(*command, "--seed", "-1"), "--seed", "-1")


@pytest.mark.parametrize("args", [["--n", "9"], ["--n", "100"], ["--T", "50"], ["--n", "0"]])
def test_verify_size_messages_name_no_internal_function(args: list[str]) -> None:
    result = run("verify", "elman", *args)
    assert result.exit_code in (0, 1, 2)
    text = result.output + result.stderr
    assert "Traceback" not in text
    assert "steplemma" not in text and "compile_gradients" not in text


@pytest.mark.parametrize("args", [[], ["docs"]])
def test_a_group_without_its_command_shows_help_then_the_error(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: ")  # the group's help, as click prints it
    assert result.stderr.rstrip().splitlines()[-1].startswith("symbptt: error: missing a command")
