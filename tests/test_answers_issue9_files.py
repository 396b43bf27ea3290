"""Issue 9, answer files: Markdown front matter and the .tex comment front matter carry `given`,
`where`, `for` (for every answer or per answer id); an id that matches no answer is an error.

Expected verdicts are worked out by hand in the comments (W^30 with exact Fractions here).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from symbptt.answers.files import read_submission
from symbptt.answers.grade import _model
from symbptt.answers.judge import judge
from symbptt.cli import cli
from symbptt.errors import InputError

Q = "\\begin{bmatrix}-0.6&-0.8\\\\-0.8&0.6\\end{bmatrix}"


def _w30() -> list[list[Fraction]]:
    """W = Q diag(0.9, 0.4) Q^{-1}, Q symmetric orthogonal: W^30 = 0.9^30 q1 q1^T + 0.4^30 q2 q2^T."""
    q1, q2 = (Fraction(-3, 5), Fraction(-4, 5)), (Fraction(-4, 5), Fraction(3, 5))
    a, b = Fraction(9, 10) ** 30, Fraction(2, 5) ** 30
    return [[a * q1[i] * q1[j] + b * q2[i] * q2[j] for j in range(2)] for i in range(2)]


def _bmatrix(m: list[list[Fraction]], places: int) -> str:
    rows = [" & ".join(f"{float(x):.{places}f}" for x in row) for row in m]
    return "\\begin{bmatrix}" + " \\\\ ".join(rows) + "\\end{bmatrix}"


def _verdicts(path: Path) -> dict[str, str]:
    sub = read_submission(path)
    model = _model(sub.model)
    return {a.id: judge(a, model).verdict for a in sub.answers}


TEX = r"""% ---
% model: homework3
% student: s1234
% given:
%   Q: '{Q}'
%   Lambda: '\operatorname{{diag}}(0.9, 0.4)'
%   W: 'Q \Lambda Q^{{-1}}'
% answers:
%   Ex 2(c)-slip:
%     for: 'T = 1'
% ---
\documentclass{{article}}
\begin{{document}}
\section*{{Ex 2(c)}}
\begin{{align*}}
  W^{{30}} &= Q \Lambda^{{30}} Q^{{-1}} \\ &= {right}
\end{{align*}}
\section*{{Ex 2(c) slip}}
\begin{{equation*}}
  W^{{30}} = Q \operatorname{{diag}}(0.9^{{29}}, 0.4^{{30}}) Q^{{-1}}
\end{{equation*}}
% \begin{{equation*}} W^{{30}} = 0 \end{{equation*}}
\end{{document}}
"""


def test_tex_front_matter_gives_w30_its_given(tmp_path: Path) -> None:
    # 4 places as written: entries within 1e-4 of W^30 (hand values 0.01526, 0.02035, 0.02713).
    right = _bmatrix(_w30(), 4)
    path = tmp_path / "hw.tex"
    path.write_text(TEX.format(Q=Q, right=right))
    sub = read_submission(path)
    assert sub.model == "homework3" and sub.student == "s1234"
    assert [a.id for a in sub.answers] == ["ex2c", "ex2cslip"]  # the commented math is skipped
    assert sub.answers[0].given["Lambda"] == "\\operatorname{diag}(0.9, 0.4)"
    assert sub.answers[1].range == "T = 1"
    assert _verdicts(path) == {"ex2c": "correct", "ex2cslip": "wrong"}  # 0.9^29 is not 0.9^30


def test_tex_without_front_matter_keeps_comment_lines(tmp_path: Path) -> None:
    path = tmp_path / "hw.tex"
    path.write_text("% model: homework3\n% student: s9\n\\section*{A}\n\\[ 0.9^{30} = 0.0424 \\]\n")
    sub = read_submission(path)
    assert (sub.model, sub.student) == ("homework3", "s9")
    assert _verdicts(path) == {"a": "correct"}  # 0.9^30 = 0.042391..., one unit of 1e-4


MD = """---
model: homework3
given:
  Lambda: '\\operatorname{{diag}}(0.9, 0.4)'
answers:
  {key}:
    given: {{Q: '{Q}', W: 'Q \\Lambda Q^{{-1}}'}}
---
# Homework

## Lambda

$$\\Lambda^{{30}} = \\operatorname{{diag}}(0.9^{{30}}, 0.4^{{30}})$$

## W 30

$$W^{{30}} = Q \\Lambda^{{30}} Q^{{-1}} = {right}$$
"""


def test_markdown_global_and_per_answer_given_merge(tmp_path: Path) -> None:
    path = tmp_path / "hw.md"
    path.write_text(MD.format(key="w30", Q=Q, right=_bmatrix(_w30(), 4)))
    sub = read_submission(path)
    assert set(sub.answers[1].given) == {"Lambda", "Q", "W"}  # the file's, then the answer's
    assert set(sub.answers[0].given) == {"Lambda"}
    assert _verdicts(path) == {"lambda": "correct", "w30": "correct"}


def test_markdown_front_matter_key_matching_no_heading_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "hw.md"
    path.write_text(MD.format(key="w31", Q=Q, right="0"))
    with pytest.raises(InputError) as err:
        read_submission(path)
    assert "'w31' matches no answer" in str(err.value) and "lambda, w30" in str(err.value)
    assert f"{path}:6" in str(err.value)  # the line of the key in the file (front matter line 6)
    r = CliRunner().invoke(cli, ["check", "--jobs", "1", str(path)])
    assert r.exit_code == 2 and "'w31' matches no answer" in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)


@pytest.mark.parametrize(
    "front, words",
    [
        ("model: homework3\ngiven: 3\n", "'given' must be a mapping"),
        ("model: homework3\ntolerence: {relative: 0.1}\n", "unknown key 'tolerence'"),
        ("model: homework3\nanswers:\n  a:\n    answer: 'x = 1'\n", "'answer' comes from"),
        ("model: homework3\ngiven: {Lambda: 0.9}\n", "must be LaTeX text in quotes"),
    ],
)
def test_markdown_front_matter_errors_name_the_key(tmp_path: Path, front: str, words: str) -> None:
    path = tmp_path / "hw.md"
    path.write_text(f"---\n{front}---\n# A\n\n$$0.9^{{30}} = 0.0424$$\n")
    with pytest.raises(InputError) as err:
        read_submission(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_tex_equation_bookkeeping_is_layout(tmp_path: Path) -> None:
    # \label, \tag, \nonumber and \notag number equations; they say nothing about the value.
    # 0.9^30 = 0.042391...: 0.0424 is right, 0.0426 two units off.
    path = tmp_path / "hw.tex"
    path.write_text(
        "% model: homework3\n\\section*{A}\n\\begin{align}\n"
        "  0.9^{30} &= 0.9^{30} \\nonumber \\\\ &\\approx 0.0424 \\label{eq:a} \\tag{2a}\n"
        "\\end{align}\n\\section*{B}\n\\begin{equation}\n"
        "  0.9^{30} \\approx 0.0426 \\notag\n\\end{equation}\n"
    )
    assert _verdicts(path) == {"a": "correct", "b": "wrong"}
