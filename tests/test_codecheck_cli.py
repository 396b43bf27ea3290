"""`symbptt check` on students' code: JSON shape, exit codes, a class folder, --summary, --trusted."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

CORPUS = Path(__file__).parent / "code_corpus"


def run(*args: str) -> SimpleNamespace:
    """`symbptt check ARGS` in this process (no interpreter start-up): exit code, stdout, stderr."""
    from click.testing import CliRunner

    from symbptt.cli import cli

    r = CliRunner().invoke(cli, ["check", *args])
    return SimpleNamespace(returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr)


@pytest.mark.slow
def test_the_console_entry_point_runs_code_checks():
    r = subprocess.run([sys.executable, "-m", "symbptt", "check", str(CORPUS / "notes_right.py")],
                       capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "notes_right.py (course-notes): 4 of 4 functions correct" in r.stdout


def test_json_document_has_the_issue_shape_and_exit_1_on_a_slip():
    r = run(str(CORPUS / "cs231n_no_prev.py"), "--json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    (f,) = doc["files"]
    assert set(f) == {"path", "student", "api", "functions"}
    assert f["student"] == "cs231n_no_prev" and f["api"] == "cs231n"
    fns = {fn["name"]: fn for fn in f["functions"]}
    assert set(fns["rnn_backward"]) == {"name", "verdict", "reason", "slip", "outputs"}
    assert fns["rnn_backward"]["verdict"] == "wrong"
    assert "not passed back" in fns["rnn_backward"]["slip"]
    out = fns["rnn_backward"]["outputs"][0]
    assert set(out) == {"name", "verdict", "max_rel_error", "entry", "expected", "got"}
    assert out["name"] == "dx" and out["verdict"] == "wrong" and out["max_rel_error"] > 1e-3
    assert fns["rnn_forward"]["verdict"] == "correct" and fns["rnn_forward"]["slip"] is None


def test_right_file_exits_0_with_text_report():
    r = run(str(CORPUS / "dlai_right.py"))
    assert r.returncode == 0, r.stderr
    assert "dlai_right.py (dlai): 4 of 4 functions correct" in r.stdout
    assert "not defined (not checked): lstm_cell_forward, lstm_cell_backward" in r.stdout


def test_api_flag_overrides_inference_and_missing_functions_are_named(tmp_path):
    f = tmp_path / "only_step.py"
    f.write_text("import numpy as np\n\ndef rnn_step_forward(x, prev_h, Wx, Wh, b):\n"
                 "    return np.tanh(x @ Wx + prev_h @ Wh + b), None\n")  # fmt: skip
    r = run(str(f), "--json", "--api", "cs231n")
    assert r.returncode == 0, r.stderr
    got = {fn["name"]: fn["verdict"] for fn in json.loads(r.stdout)["files"][0]["functions"]}
    assert got == {"rnn_step_forward": "correct", "rnn_step_backward": "missing",
                   "rnn_forward": "missing", "rnn_backward": "missing",
                   "lstm_step_forward": "missing", "lstm_step_backward": "missing",
                   "lstm_forward": "missing", "lstm_backward": "missing"}  # fmt: skip


def invoke(*args: str):
    """In-process run (no interpreter start-up) for the quick input-error cases."""
    from click.testing import CliRunner

    from symbptt.cli import cli

    return CliRunner().invoke(cli, ["check", *args])


def test_input_errors_exit_2():
    r = invoke("no_such_file.py")
    assert r.exit_code == 2 and "symbptt: error:" in r.output and "no such file" in r.output
    r = invoke(str(CORPUS / "cs231n_right.py"), "--api", "keras")
    assert r.exit_code == 2 and "keras" in r.output
    answers = str(Path(__file__).parent / "answers" / "issue_example.yaml")
    r = invoke(str(CORPUS / "cs231n_right.py"), answers)
    assert r.exit_code == 2 and "cannot be checked in one run" in r.output
    r = invoke(str(CORPUS / "cs231n_right.py"), "--scores", "s.csv")
    assert r.exit_code == 2 and "--scores is for answer files" in r.output


def test_a_file_of_no_api_is_not_checked_and_exits_2(tmp_path):
    f = tmp_path / "hello.py"
    f.write_text("print('hello')\n")
    r = run(str(f))
    assert r.returncode == 2
    assert "defines none of the functions" in r.stdout


def test_class_folder_with_jobs_summary_and_broken_submissions(tmp_path):
    cls = tmp_path / "class"
    cls.mkdir()
    names = ["cs231n_right.py", "cs231n_overwrite.py", "broken_syntax.py", "hostile_fork.py",
             "dlai_no_prev.py"]  # fmt: skip
    for n in names:
        shutil.copy(CORPUS / n, cls / n)
    summary = tmp_path / "summary.csv"
    r = run(str(cls), "--jobs", "2", "--summary", str(summary), "--timeout", "2")
    assert r.returncode == 1, r.stderr
    rows = list(csv.DictReader(io.StringIO(summary.read_text())))
    assert {row["student"] for row in rows} == {n[:-3] for n in names}
    by = {(row["student"], row["function"]): row for row in rows}
    assert by[("cs231n_right", "rnn_backward")]["verdict"] == "correct"
    assert by[("cs231n_overwrite", "rnn_backward")]["verdict"] == "wrong"
    assert "overwritten" in by[("cs231n_overwrite", "rnn_backward")]["slip"]
    assert by[("broken_syntax", "rnn_step_forward")]["verdict"] == "error"
    assert by[("hostile_fork", "rnn_forward")]["verdict"] == "killed"
    assert by[("hostile_fork", "rnn_step_forward")]["verdict"] == "correct"
    assert by[("dlai_no_prev", "rnn_backward")]["verdict"] == "wrong"
    assert "5 file(s)" in r.stdout


def test_without_a_sandbox_code_runs_only_when_trusted(monkeypatch):
    from click.testing import CliRunner

    from symbptt.cli import cli
    from symbptt.codecheck import sandbox

    monkeypatch.setattr(sandbox, "available", lambda: "bwrap is not installed")
    path = str(CORPUS / "cs231n_right.py")
    r = CliRunner().invoke(cli, ["check", path, "--jobs", "1"])
    assert r.exit_code == 2
    assert "the sandbox cannot start" in r.output and "--trusted" in r.output
    r = CliRunner().invoke(cli, ["check", path, "--jobs", "1", "--trusted"])
    assert r.exit_code == 0, r.output
    assert "4 of 4 functions correct" in r.output


@pytest.mark.parametrize("name", ["cs231n_right.py", "notes_right.py"])
def test_trusted_mode_gives_the_same_verdicts(name):
    r = run(str(CORPUS / name), "--trusted", "--json")
    assert r.returncode == 0, r.stderr
    fns = json.loads(r.stdout)["files"][0]["functions"]
    assert {fn["verdict"] for fn in fns if not fn["name"].startswith("lstm")} == {"correct"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import symbptt.cli.check as check_mod

    cls = tmp_path / "class"
    cls.mkdir()
    for n in ("cs231n_right.py", "notes_right.py"):
        shutil.copy(CORPUS / n, cls / n)
    term = _Terminal()
    monkeypatch.setattr(check_mod, "_stderr", lambda: term)
    r = CliRunner().invoke(check_mod.check, [str(cls), "--jobs", "1"])
    assert r.exit_code == 0, r.output
    assert "checking" in term.getvalue() and "100%" in term.getvalue()
    assert "checking" not in r.output
    plain = io.StringIO()
    monkeypatch.setattr(check_mod, "_stderr", lambda: plain)
    r = CliRunner().invoke(check_mod.check, [str(cls), "--jobs", "1"])
    assert r.exit_code == 0 and plain.getvalue() == ""


def test_gradescope_results_one_test_per_function(tmp_path):
    out = tmp_path / "results.json"
    r = run(str(CORPUS / "cs231n_no_prev.py"), "--gradescope", str(out))
    assert r.returncode == 1, r.stderr
    doc = json.loads(out.read_text())
    tests = {t["name"]: t for t in doc["tests"]}
    assert tests["rnn_forward"]["score"] == 1.0 and tests["rnn_forward"]["status"] == "passed"
    assert (
        tests["rnn_backward"]["score"] == 0.0
        and "not passed back" in tests["rnn_backward"]["output"]
    )
    assert tests["lstm_forward"]["output"] == "not defined in the file"
    assert doc["score"] == 3.0 and all(t["max_score"] == 1.0 for t in doc["tests"])
    r = run(str(CORPUS / "cs231n_right.py"), "--gradescope", str(out))
    assert r.returncode == 2 and "--force" in r.stderr  # the file exists
