"""`symbptt check` end to end: exit codes, JSON shape, CSV summary, Markdown, a class of 20."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

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
    assert "checking" in r.stderr  # the progress bar goes to stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 19 * 2 + 1
    wrong = sorted(r["student"] for r in rows if r["verdict"] == "wrong")
    assert wrong == ["s00", "s04", "s08", "s12", "s16"]  # i % 4 == 0
    assert broken.read_text() == "model: homework3\nanswers: [oops\n"  # never touched
    again = run(*map(str, files[:2]), "--summary", str(out))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
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
