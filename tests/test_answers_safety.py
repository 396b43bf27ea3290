"""Hostile answers: nothing runs, every limit is named, and the rest of the class goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from symbptt.answers.files import read_submission
from symbptt.answers.grade import _model, grade
from symbptt.answers.judge import AnswerSpec, judge
from symbptt.errors import InputError

HERE = Path(__file__).parent / "answers"
PWNED = Path("/tmp/symbptt-pwned")


@pytest.fixture(scope="module")
def hostile() -> dict[str, object]:
    PWNED.unlink(missing_ok=True)
    sub = read_submission(HERE / "hostile.yaml")
    return {s.id: judge(s, _model(sub.model)) for s in sub.answers}


@pytest.mark.parametrize(
    ("ident", "words"),
    [
        ("input", "\\input is not allowed"),  # file inclusion refused before parsing
        ("write18", "\\immediate is not allowed"),  # shell escape refused before parsing
        ("python", "cannot parse"),  # Python is not in the grammar, and nothing evaluates text
        # 10^(10^50) is past the logarithm scale (see `bignum`): refused before any power
        ("tower", "a number beyond 10^(10^40)"),
    ],
    ids=["input", "write18", "python", "tower"],
)
def test_hostile_answer_is_undecided_with_the_limit_named(hostile, ident: str, words: str) -> None:
    v = hostile[ident]
    assert v.verdict == "undecided" and words in v.reason
    assert not PWNED.exists()


def test_the_honest_answer_next_to_them_is_still_graded(hostile) -> None:
    assert hostile["fine"].verdict == "correct"


def test_ten_thousand_nested_braces() -> None:
    v = judge(AnswerSpec("deep", "x = " + "{" * 10_000 + "1" + "}" * 10_000), None)
    assert v.verdict == "undecided" and "20005 characters (limit 4000)" in v.reason
    v = judge(AnswerSpec("deep", "x = " + "{" * 1000 + "1" + "}" * 1000), None)  # short enough
    assert v.verdict == "undecided" and "nested 1000 deep (limit 40)" in v.reason


def test_huge_matrix_is_refused_before_parsing() -> None:
    row = " & ".join(["1"] * 40)
    body = " \\\\ ".join([row] * 40)
    v = judge(AnswerSpec("big", f"A = \\begin{{bmatrix}}{body}\\end{{bmatrix}}"), None)
    assert v.verdict == "undecided" and "limit" in v.reason


def test_long_numbers_are_refused() -> None:
    v = judge(AnswerSpec("digits", "x = " + "9" * 500), None)
    assert v.verdict == "undecided" and "a number with 500 digits" in v.reason


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"model: homework3\nanswers:\n  - id: a\n    answer: 'x\x00 = 1'\n", "NUL byte"),
        (b"model: homework3\nanswers:\n  - id: a\n    answer: '\xff\xfe = 1'\n", "invalid UTF-8"),
        (b"answers: [" + b"1, " * 4_000_000 + b"1]\n", "more than the limit"),  # a 12 MB file
    ],
    ids=["nul-byte", "invalid-utf8", "12mb-file"],
)
def test_bad_bytes_are_input_errors(tmp_path: Path, content: bytes, words: str) -> None:
    p = tmp_path / "sub.yaml"
    p.write_bytes(content)
    t0 = time.monotonic()
    with pytest.raises(InputError, match=words):
        read_submission(p)
    assert time.monotonic() - t0 < 2


def test_yaml_bomb_is_refused_at_the_first_alias() -> None:
    with pytest.raises(InputError, match="aliases"):
        read_submission(HERE / "bomb.yaml")


def test_errors_name_file_line_and_answer(tmp_path: Path) -> None:
    p = tmp_path / "sub.yaml"
    p.write_text(
        "model: homework3\nanswers:\n  - id: ex1b\n    answer: 'x = 1'\n    tolerence: {relative: 0.1}\n"
    )
    with pytest.raises(InputError, match=r"sub.yaml:5: answer 'ex1b': unknown key 'tolerence'"):
        read_submission(p)


def test_bare_yaml_float_is_refused_because_it_loses_digits(tmp_path: Path) -> None:
    p = tmp_path / "sub.yaml"
    p.write_text("answers:\n  - id: a\n    question: '0.9^{30}'\n    answer: 0.0150\n")
    with pytest.raises(InputError, match="in quotes"):
        read_submission(p)


def test_slow_answer_hits_the_wall_clock_and_others_go_on(tmp_path: Path) -> None:
    slow = "\\sum_{i=1}^{1000} \\sum_{j=1}^{1000} \\sum_{l=1}^{1000} 1 = 1"
    p = tmp_path / "slow.yaml"
    p.write_text(
        f"answers:\n  - id: slow\n    answer: '{slow}'\n  - id: ok\n    answer: '2^{{10}} = 1024'\n"
    )
    t0 = time.monotonic()
    (res,) = grade([str(p)], jobs=2, seconds=1.0)
    assert time.monotonic() - t0 < 6
    assert (
        res.answers[0]["verdict"] == "undecided" and "time limit (1 s" in res.answers[0]["reason"]
    )
    assert res.answers[1]["verdict"] == "correct"


def test_memory_hungry_worker_is_contained() -> None:
    from symbptt.answers.limits import run_limited

    (out,) = list(
        run_limited(_allocate, [("k", 3 * 1024**3)], jobs=1, seconds=5, memory=512 * 1024**2)
    )
    assert out.limit is not None and "memory" in out.limit


def _allocate(nbytes: int) -> int:
    return len(bytearray(nbytes))
