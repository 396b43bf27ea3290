"""`symbptt check` end to end: exit codes, JSON shape, CSV summary, Markdown, a class of 20."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "answers"
RIGHT = "0.9^{30} \\approx 0.0424"  # 0.9^30 = 0.0423911...
WRONG = "0.9^{30} \\approx 0.0426"  # two units off in the last digit


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symbptt", "check", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)  # fmt: skip


def write(path: Path, student: str, answers: list[tuple[str, str]]) -> Path:
    lines = ["model: homework3", f"student: {student}", "answers:"]
    for ident, tex in answers:
        lines += [f"  - id: {ident}", f"    answer: '{tex}'"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_issue_example_is_all_correct_exit_0() -> None:
    r = run(str(HERE / "issue_example.yaml"), "--json", "--jobs", "2")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (f,) = doc["files"]
    assert f["student"] == "s1234" and [a["verdict"] for a in f["answers"]] == [
        "correct",
        "correct",
    ]
    a = f["answers"][0]
    assert set(a) == {"id", "verdict", "reason", "tolerance", "counterexample", "steps"}
    assert [s["index"] for s in a["steps"]] == [1, 2] and "0.0001" in a["tolerance"]


@pytest.mark.slow
def test_exit_1_on_wrong_and_3_on_undecided(tmp_path: Path) -> None:
    assert run(str(write(tmp_path / "w.yaml", "w", [("a", RIGHT), ("b", WRONG)]))).returncode == 1
    assert run(str(write(tmp_path / "u.yaml", "u", [("a", RIGHT), ("b", "q = 1")]))).returncode == 3


def test_markdown_submission(tmp_path: Path) -> None:
    r = run(str(HERE / "markdown.md"), "--json")
    assert r.returncode == 1, r.stderr
    (f,) = json.loads(r.stdout)["files"]
    got = {a["id"]: a["verdict"] for a in f["answers"]}
    # dE/dV with h_t^T is right; diag(f'(s_t)) in the delta recursion is the text's wrong index.
    assert got == {"exdv": "correct", "exdelta": "wrong"}
    assert f["student"] == "md-student"


@pytest.mark.slow
def test_class_of_twenty_with_one_broken_file(tmp_path: Path) -> None:
    files = []
    for i in range(20):
        answers = [("ninety", RIGHT if i % 4 else WRONG), ("pow", "2^{10} = 1024")]
        files.append(write(tmp_path / f"s{i:02}.yaml", f"s{i:02}", answers))
    broken = tmp_path / "s07.yaml"
    broken.write_text("model: homework3\nanswers: [oops\n")  # not YAML
    out = tmp_path / "summary.csv"
    r = run(*map(str, files), "--jobs", "2", "--summary", str(out))
    assert r.returncode == 2  # an input error outranks the wrong answers
    assert "s07.yaml:" in r.stdout and "not valid YAML" in r.stdout
    assert r.stderr == ""  # stderr is a pipe here, not a terminal: no progress bar, no label
    # 19 files read, 2 answers each; the 5 with i % 4 == 0 have one wrong answer.
    assert "20 files, 1 unreadable; answers: 33 correct, 5 wrong, 0 undecided" in r.stdout
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 19 * 2 + 1
    wrong = sorted(r["student"] for r in rows if r["verdict"] == "wrong")
    assert wrong == ["s00", "s04", "s08", "s12", "s16"]  # i % 4 == 0
    assert broken.read_text() == "model: homework3\nanswers: [oops\n"  # never touched
    again = run(*map(str, files[:2]), "--summary", str(out))
    assert again.returncode == 2 and "the file exists; pass --force" in again.stderr
    assert run(*map(str, files[1:3]), "--summary", str(out), "--force").returncode == 0


def test_missing_file_is_reported_and_the_rest_graded(tmp_path: Path) -> None:
    good = write(tmp_path / "g.yaml", "g", [("a", RIGHT)])
    r = run(str(good), str(tmp_path / "nope.yaml"))
    assert r.returncode == 2 and "file not found" in r.stdout and "a: CORRECT" in r.stdout


def test_each_file_is_read_once_for_bar_and_grading(tmp_path: Path, monkeypatch) -> None:
    # The progress bar's length and the grading share one read of each file.
    import importlib

    from click.testing import CliRunner

    from symbptt.cli.check import check

    grade_mod = importlib.import_module("symbptt.answers.grade")  # the package exports grade()

    calls: list[str] = []
    real = grade_mod.read_submission

    def counting(path):  # noqa: ANN001, ANN202 - a thin spy
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(grade_mod, "read_submission", counting)
    files = [str(write(tmp_path / f"s{i}.yaml", f"s{i}", [("a", RIGHT)])) for i in range(3)]
    r = CliRunner().invoke(check, [*files, "--jobs", "1"])
    assert r.exit_code == 0, r.output
    assert sorted(calls) == sorted(files)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    from symbptt.cli.check import show_progress

    assert show_progress(_Terminal()) is True
    assert show_progress(io.StringIO()) is False
    closed = io.StringIO()
    closed.close()
    assert show_progress(closed) is False  # isatty() on a closed stream raises ValueError
    assert show_progress(object()) is False  # type: ignore[arg-type]  # no isatty at all


def test_progress_bar_drawn_on_a_terminal(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    import symbptt.cli.check as check_mod

    term = _Terminal()
    monkeypatch.setattr(check_mod, "_stderr", lambda: term)
    files = [
        str(write(tmp_path / f"s{i}.yaml", f"s{i}", [("a", RIGHT), ("b", WRONG)])) for i in range(2)
    ]
    r = CliRunner().invoke(check_mod.check, [*files, "--jobs", "1"])
    assert r.exit_code == 1, r.output
    drawn = term.getvalue()
    assert "checking" in drawn and "100%" in drawn  # 4 answers, the bar filled
    assert "checking" not in r.output


def test_help_says_an_input_error_outranks_wrong_answers() -> None:
    r = run("--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "An input error outranks wrong answers" in text
    assert text.index("2 an input error") < text.index("1 some answer is wrong")


DOC = Path(__file__).parents[1] / "docs" / "checking-homework.md"


def _doc_block(title: str) -> str:
    import re

    m = re.search(rf'```\w+ title="{re.escape(title)}"\n(.*?)```', DOC.read_text(), re.S)
    assert m, f"no block {title!r} in {DOC.name}"
    return m.group(1)


@pytest.mark.slow
def test_documented_markdown_and_tex_examples_are_checked(tmp_path: Path) -> None:
    # Both examples state homework 3's Ex 1(a) (diag(sigma'(s_1)) W, the chain rule through
    # h_1 = sigma(W h_0 + U x_1)); the Markdown one also Ex 1(b) with the total delta, and the
    # .tex one 0.9^30 = 0.04239... to four places.
    for title, ids in (("hw3.md", ["ex1a", "ex1b"]), ("hw3.tex", ["ex1a", "ex2c"])):
        path = tmp_path / title
        path.write_text(_doc_block(title))
        r = run(str(path), "--json")
        assert r.returncode == 0, r.stdout + r.stderr
        (f,) = json.loads(r.stdout)["files"]
        assert f["student"] == "s1234" and [a["id"] for a in f["answers"]] == ids


def test_documented_report_lines_are_real_output() -> None:
    # The page's example is homework 3 with h_t^T for h_{t-1}^T (tests/answers, ex1b-h-t).
    import re

    block = re.search(r"```text\n(.*?)```", DOC.read_text(), re.S)
    assert block
    r = run(str(HERE / "homework3.yaml"))
    first, *rest = block.group(1).splitlines()
    assert first.endswith("...")  # the reason is shortened on the page
    assert any(out.startswith(first[:-3]) for out in r.stdout.splitlines()), first
    for line in rest:
        assert line in r.stdout.splitlines(), line


def test_summary_in_a_missing_folder_fails_before_grading(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("model: homework3\nanswers:\n  - id: x\n    answer: '1 = 1'\n")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "symbptt",
            "check",
            str(answers),
            "--summary",
            str(tmp_path / "no" / "x.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "cannot write, the folder" in r.stderr and "does not exist" in r.stderr
    assert r.stdout == ""  # nothing was graded
