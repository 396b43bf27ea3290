"""Graders' tools: points and partial credit, the per-student CSV, Gradescope's results.json,
--shard. Every verdict here is plain arithmetic worked by hand (0.9^2 = 0.81, 0.4^2 = 0.16)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from symbptt.answers.grade import parse_shard, select_shard
from symbptt.answers.points import Points, read_points, read_rubric, score_answer
from symbptt.cli import main
from symbptt.errors import InputError

LAMBDA = r"given: {Lambda: '\operatorname{diag}(0.9, 0.4)'}"

# alice: a1 right, a2 right in step 1 (0.9^2, 0.4^2 exactly) and wrong in step 2 (0.4^2 != 0.19)
ALICE = f"""model: homework3
student: alice
answers:
  - id: a1
    {LAMBDA}
    answer: '\\Lambda^{{2}} = \\operatorname{{diag}}(0.81, 0.16)'
  - id: a2
    {LAMBDA}
    answer: |
      \\Lambda^{{2}} &= \\operatorname{{diag}}(0.9^{{2}}, 0.4^{{2}}) \\\\
                  &= \\operatorname{{diag}}(0.81, 0.19)
"""
# bob: a1 wrong (0.9^2 = 0.81, not 0.72), no a2
BOB = f"""model: homework3
student: bob
answers:
  - id: a1
    {LAMBDA}
    answer: '\\Lambda^{{2}} = \\operatorname{{diag}}(0.72, 0.16)'
"""
# carol: the student is on the first line, a later answer is broken (no 'answer')
CAROL = """model: homework3
student: carol
answers:
  - id: a1
"""
RUBRIC = """points:
  a1: 2
  a2: {total: 3, steps: [1, 2]}
"""


@pytest.fixture()
def klass(tmp_path: Path) -> Path:
    for name, text in (("alice.yaml", ALICE), ("bob.yaml", BOB), ("carol.yaml", CAROL)):
        (tmp_path / name).write_text(text)
    (tmp_path / "rubric.yaml").write_text(RUBRIC)
    return tmp_path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_points_values_and_their_errors() -> None:
    assert read_points(2, "a", "f:1") == Points(2.0)
    assert read_points({"steps": [1, 2]}, "a", "f:1") == Points(3.0, (1.0, 2.0))
    assert read_points({"total": 4, "partial": "proportional"}, "a", "f:1").proportional
    for bad, words in (
        (-1, "must not be negative"),
        ("two", "must be a number"),
        ({"total": 3, "steps": [1, 1]}, "add up to 2, not the total 3"),
        ({"total": 3, "bonus": 1}, "unknown points key 'bonus'"),
        ({"total": 3, "partial": "half"}, "partial must be 'proportional'"),
        ({"steps": []}, "non-empty list"),
    ):
        with pytest.raises(InputError, match=words) as err:
            read_points(bad, "answer 'a1'", "rubric.yaml:3")
        assert "rubric.yaml:3" in str(err.value)


def test_partial_credit_follows_the_steps() -> None:
    steps = [{"index": 1, "verdict": "correct"}, {"index": 2, "verdict": "wrong"}]
    wrong = {"id": "a", "verdict": "wrong", "steps": steps}
    assert score_answer(wrong, Points(3.0, (1.0, 2.0))).score == 1.0
    assert score_answer(wrong, Points(3.0, None, True)).score == 1.5
    assert score_answer(wrong, Points(3.0)).score == 0.0
    mismatch = score_answer(wrong, Points(3.0, (1.0, 1.0, 1.0)))
    assert mismatch.score == 0.0 and "need 3 steps; the answer has 2" in mismatch.note
    undecided = score_answer({"id": "a", "verdict": "undecided", "steps": steps}, Points(2.0))
    assert undecided.score == 0.0 and "by hand" in undecided.note
    assert score_answer({"id": "a", "verdict": "correct", "steps": steps}, Points(2.5)).score == 2.5


def test_rubric_file_errors_name_the_place(tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text("points:\n  a1: 2\n  a2: {total: 3, steps: [1, 1]}\n")
    with pytest.raises(InputError, match=r"r\.yaml:3.*add up to 2") as err:
        read_rubric(p)
    assert "answer 'a2'" in str(err.value)
    p.write_text("points: {a1: 1}\nvisibility: secret\n")
    with pytest.raises(InputError, match="visibility must be one of"):
        read_rubric(p)


def test_scores_csv_one_row_per_student(klass: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(klass / f) for f in ("alice.yaml", "bob.yaml", "carol.yaml")]
    code, out, _ = _run(
        ["check", *files, "--rubric", str(klass / "rubric.yaml"),
         "--scores", str(klass / "scores.csv"), "--summary", str(klass / "answers.csv")],
        capsys,
    )  # fmt: skip
    assert code == 2  # carol's file is unreadable, which outranks wrong answers
    rows = {
        r["student"]: r for r in csv.DictReader(io.StringIO((klass / "scores.csv").read_text()))
    }
    assert list(rows) == ["alice", "bob", "carol"]  # carol's id survives her broken file
    # alice: a1 2 of 2, a2 step 1 only: 1 of 3 -> 3 of 5
    assert (rows["alice"]["score"], rows["alice"]["max_score"]) == ("3", "5")
    assert (rows["alice"]["correct"], rows["alice"]["wrong"], rows["alice"]["missing"]) == (
        "1", "1", "0",
    )  # fmt: skip
    # bob: a1 wrong, a2 missing -> 0 of 5
    assert (rows["bob"]["score"], rows["bob"]["max_score"], rows["bob"]["missing"]) == (
        "0",
        "5",
        "1",
    )
    assert rows["carol"]["score"] == "0" and rows["carol"]["max_score"] == "5"
    assert "answer" in rows["carol"]["error"]
    answers = list(csv.DictReader(io.StringIO((klass / "answers.csv").read_text())))
    by = {(r["student"], r["id"]): r for r in answers}
    assert by[("alice", "a2")]["points"] == "1" and by[("alice", "a2")]["max_points"] == "3"
    assert by[("bob", "a2")]["verdict"] == "missing"
    assert "score 3/5" in out


def test_gradescope_file_has_the_published_fields(
    klass: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (klass / "rubric.yaml").write_text(RUBRIC + "visibility: after_due_date\n")
    target = klass / "results.json"
    code, _, _ = _run(
        ["check", str(klass / "alice.yaml"), "--rubric", str(klass / "rubric.yaml"),
         "--gradescope", str(target)],
        capsys,
    )  # fmt: skip
    assert code == 1
    doc = json.loads(target.read_text())
    # Gradescope's autograder specification: the top-level and per-test fields and their values
    top = {"score", "execution_time", "output", "output_format", "test_output_format",
           "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
           "leaderboard"}  # fmt: skip
    per_test = {"score", "max_score", "status", "name", "name_format", "number", "output",
                "output_format", "tags", "visibility", "extra_data"}  # fmt: skip
    visibility = {"visible", "hidden", "after_due_date", "after_published"}
    assert set(doc) <= top
    assert isinstance(doc["score"], float) and doc["visibility"] in visibility
    assert doc["stdout_visibility"] in visibility
    assert isinstance(doc["execution_time"], int | float)
    for t in doc["tests"]:
        assert set(t) <= per_test
        assert isinstance(t["name"], str) and isinstance(t["output"], str)
        assert isinstance(t["score"], float) and isinstance(t["max_score"], float)
        assert t["status"] in {"passed", "failed"} and t["visibility"] == "after_due_date"
    tests = {t["name"]: t for t in doc["tests"]}
    assert (tests["a1"]["score"], tests["a1"]["max_score"], tests["a1"]["status"]) == (
        2.0, 2.0, "passed",
    )  # fmt: skip
    assert (tests["a2"]["score"], tests["a2"]["max_score"], tests["a2"]["status"]) == (
        1.0, 3.0, "failed",
    )  # fmt: skip
    assert "step 2: wrong" in tests["a2"]["output"]
    assert doc["score"] == 3.0


def test_file_points_without_a_rubric(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ALICE.replace(
        "  - id: a2\n", "  - id: a2\n    points: {total: 4, partial: proportional}\n"
    )
    (tmp_path / "a.yaml").write_text(text)
    code, out, _ = _run(["check", str(tmp_path / "a.yaml"), "--json"], capsys)
    doc = json.loads(out)["files"][0]
    # a1 has no points key: worth 1; a2: half its steps right -> 2 of 4
    assert (doc["score"], doc["max_score"]) == (3.0, 5.0)


def test_shards_cover_the_class_once() -> None:
    paths = [f"s{i:02d}.yaml" for i in range(10)][::-1]
    slices = [select_shard(paths, i, 3) for i in (1, 2, 3)]
    assert [len(s) for s in slices] == [4, 3, 3]
    assert sum(slices, []) == sorted(paths)
    assert select_shard(paths, 5, 12) == ["s04.yaml"] and select_shard(paths, 12, 12) == []
    assert parse_shard(" 2/8 ") == (2, 8)
    for bad in ("0/3", "4/3", "2", "a/b", "1/0"):
        with pytest.raises(InputError, match="--shard"):
            parse_shard(bad)


def test_shard_option_grades_only_its_slice(
    klass: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(klass / f) for f in ("carol.yaml", "bob.yaml", "alice.yaml")]
    code, out, _ = _run(["check", *files, "--shard", "1/2", "--json"], capsys)
    got = [Path(f["path"]).name for f in json.loads(out)["files"]]
    assert got == ["alice.yaml", "bob.yaml"] and code == 1
    code, _, err = _run(["check", *files, "--shard", "3/2"], capsys)
    assert code == 2 and "symbptt: error: --shard '3/2'" in err


def test_outputs_must_differ_and_never_overwrite(
    klass: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = str(klass / "out.csv")
    code, _, err = _run(
        ["check", str(klass / "alice.yaml"), "--scores", same, "--summary", same], capsys
    )
    assert code == 2 and "different files" in err
    code, _, err = _run(
        ["check", str(klass / "alice.yaml"), "--gradescope", str(klass / "rubric.yaml")], capsys
    )
    assert code == 2 and "exists" in err
    assert (klass / "rubric.yaml").read_text() == RUBRIC
