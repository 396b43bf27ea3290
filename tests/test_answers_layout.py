"""Layout conventions (issue 9): derivatives by vectors read in numerator, denominator or mixed layout.

Expected verdicts are worked out by hand from the chain rule (J = dy/dx, rows = outputs):
numerator layout dL/dx is a row and dh_3/dh_2 = J; denominator layout dL/dx is a column and
dh_3/dh_2 = J^T; mixed (the default) dL/dx a column and dh_3/dh_2 = J. Numbers for explicit
matrices come from central differences written here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from symbptt.answers.files import read_submission
from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import DERIVATIONS_DIR, load
from symbptt.errors import InputError, SymbpttError

HW3 = load("homework3")
# homework 3: h_t = sigma(W h_{t-1} + U x_t), s_t the pre-activation, a loss L_t at every step
CHAIN_NUM = (
    r"\frac{\partial L_3}{\partial h_1} = \frac{\partial L_3}{\partial h_3}"
    r"\frac{\partial h_3}{\partial h_2}\frac{\partial h_2}{\partial h_1}"
)
CHAIN_DEN = (
    r"\frac{\partial L_3}{\partial h_1} = \frac{\partial h_2}{\partial h_1}"
    r"\frac{\partial h_3}{\partial h_2}\frac{\partial L_3}{\partial h_3}"
)
CHAIN_MIXED = (
    r"\frac{\partial L_3}{\partial h_1} = \left(\frac{\partial h_2}{\partial h_1}\right)^T"
    r"\left(\frac{\partial h_3}{\partial h_2}\right)^T\frac{\partial L_3}{\partial h_3}"
)
JAC = r"\frac{\partial h_2}{\partial h_1} = \operatorname{diag}(\sigma'(s_2))\, W"
JAC_T = r"\frac{\partial h_2}{\partial h_1} = W^T \operatorname{diag}(\sigma'(s_2))"


def _judge(answer: str, layout: str | None = None, model=HW3, **kw):  # noqa: ANN001, ANN003
    return judge(AnswerSpec("a", answer, layout=layout, **kw), model)


def test_issue_chain_in_numerator_layout_is_inferred_and_correct() -> None:
    # (1 x n)(n x n)(n x n) fits only numerator layout; there it is the chain rule.
    v = _judge(CHAIN_NUM)
    assert v.verdict == "correct", v.reason
    assert "numerator layout" in v.reason and "cannot multiply" not in v.reason


def test_issue_chain_declared_numerator_is_correct_without_inference_note() -> None:
    v = _judge(CHAIN_NUM, "numerator")
    assert v.verdict == "correct", v.reason
    assert "read in" not in v.reason


def test_chain_in_the_declared_wrong_layout_is_wrong_and_says_layout() -> None:
    # declared denominator: dL_3/dh_3 is a column, dh_3/dh_2 = J^T: (n x 1)(n x n) cannot multiply
    v = _judge(CHAIN_NUM, "denominator")
    assert v.verdict == "wrong"
    assert "cannot multiply" in v.reason


def test_denominator_chain_right_to_left() -> None:
    # denominator: dL_3/dh_1 = J_21^T J_32^T g_3 = dh_2/dh_1 dh_3/dh_2 dL_3/dh_3
    assert _judge(CHAIN_DEN, "denominator").verdict == "correct"
    # undeclared, the shapes also fit the default (mixed) reading, where it is J_21 J_32 g:
    # wrong, and the reason says that only the layout differs
    v = _judge(CHAIN_DEN)
    assert v.verdict == "wrong"
    assert "only the layout differs" in v.reason and "denominator layout" in v.reason
    assert "declare layout: denominator" in v.reason


def test_mixed_chain_with_transposed_jacobians_is_the_default() -> None:
    assert _judge(CHAIN_MIXED).verdict == "correct"
    assert _judge(CHAIN_MIXED, "mixed").verdict == "correct"
    # in numerator layout dL_3/dh_3 is a row: J^T J^T (row) cannot multiply
    assert _judge(CHAIN_MIXED, "numerator").verdict == "wrong"


@pytest.mark.parametrize(
    ("layout", "jac", "jac_t"),
    [
        (None, "correct", "wrong"),
        ("mixed", "correct", "wrong"),
        ("numerator", "correct", "wrong"),
        ("denominator", "wrong", "correct"),
    ],
)
def test_one_step_jacobian_in_each_layout(layout: str | None, jac: str, jac_t: str) -> None:
    # h_2 = sigma(W h_1 + U x_2): J = dh_2/dh_1 = diag(sigma'(s_2)) W; denominator: J^T
    assert _judge(JAC, layout).verdict == jac
    v = _judge(JAC_T, layout)
    assert v.verdict == jac_t
    if jac_t == "wrong":
        assert "only the layout differs: this holds in denominator layout" in v.reason


def test_derivative_by_a_matrix_keeps_its_shape_in_every_layout() -> None:
    # dL/dU = sum_t delta_t x_t^T with delta_t = dL/ds_t a column (n x m, U's shape);
    # in numerator layout dL/ds_t is a row, so the student transposes it.
    mixed = r"\frac{\partial L}{\partial U} = \sum_{t=1}^{T} \frac{\partial L}{\partial s_t} x_t^T"
    num = (
        r"\frac{\partial L}{\partial U} = \sum_{t=1}^{T} (\frac{\partial L}{\partial s_t})^T x_t^T"
    )
    assert _judge(mixed).verdict == "correct"
    assert _judge(mixed, "denominator").verdict == "correct"
    assert _judge(num, "numerator").verdict == "correct"
    assert _judge(mixed, "numerator").verdict == "wrong"


def test_nabla_is_a_column_in_every_layout() -> None:
    answer = r"\nabla_{h_3} L_3 = \left(\frac{\partial L_3}{\partial h_3}\right)^T"
    assert _judge(answer, "numerator").verdict == "correct"
    assert _judge(answer, "denominator").verdict == "wrong"


# --------------------------------------------------------------------------- explicit numbers

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])  # 2 x 3: J (2 x 3) and J^T (3 x 2) differ
X = np.array([0.3, -0.2, 0.1])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _jacobian_by_central_differences() -> np.ndarray:
    eps = 1e-6
    cols = []
    for j in range(3):
        e = np.zeros(3)
        e[j] = eps
        cols.append((_sigmoid(A @ (X + e)) - _sigmoid(A @ (X - e))) / (2 * eps))
    return np.array(cols).T  # J[i, j] = dy_i/dx_j


def _bmatrix(m: np.ndarray) -> str:
    rows = " \\\\ ".join(" & ".join(f"{v:.6f}" for v in row) for row in m)
    return f"\\begin{{bmatrix}}{rows}\\end{{bmatrix}}"


GIVEN = {
    "A": _bmatrix(A).replace("0.500000", "0.5"),
    "x": r"\begin{bmatrix}0.3 \\ -0.2 \\ 0.1\end{bmatrix}",
    "y": r"\sigma(A x)",
}


@pytest.mark.parametrize(
    ("layout", "want_transposed"), [("numerator", False), ("mixed", False), ("denominator", True)]
)
def test_numbers_of_a_nonsquare_jacobian(layout: str, want_transposed: bool) -> None:
    J = _jacobian_by_central_differences()
    right, other = (J.T, J) if want_transposed else (J, J.T)
    ok = _judge(
        rf"\frac{{\partial y}}{{\partial x}} = {_bmatrix(right)}", layout, None, given=GIVEN
    )
    assert ok.verdict == "correct", ok.reason
    bad = _judge(
        rf"\frac{{\partial y}}{{\partial x}} = {_bmatrix(other)}", layout, None, given=GIVEN
    )
    assert bad.verdict == "wrong"
    assert "only the layout differs" in bad.reason


def test_scalar_gradient_is_a_row_only_in_numerator_layout() -> None:
    # q = c^T sigma(A x): dq/dx = c^T J (a 1 x 3 row in numerator layout, else J^T c)
    J = _jacobian_by_central_differences()
    c = np.array([1.0, -2.0])
    given = {**GIVEN, "c": r"\begin{bmatrix}1 \\ -2\end{bmatrix}", "q": r"c^T \sigma(A x)"}
    row = c @ J
    answer_row = rf"\frac{{\partial q}}{{\partial x}} = {_bmatrix(row[None, :])}"
    answer_col = rf"\frac{{\partial q}}{{\partial x}} = {_bmatrix(row[:, None])}"
    assert _judge(answer_row, "numerator", None, given=given).verdict == "correct"
    assert _judge(answer_col, "denominator", None, given=given).verdict == "correct"
    assert _judge(answer_col, "mixed", None, given=given).verdict == "correct"
    assert _judge(answer_row, "denominator", None, given=given).verdict == "wrong"


# --------------------------------------------------------------------------- declaring it


def test_yaml_file_and_answer_layout(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "model: homework3\nlayout: numerator\nanswers:\n"
        f"  - id: a\n    answer: '{CHAIN_NUM}'\n"
        f"  - id: b\n    layout: denominator\n    answer: '{CHAIN_DEN}'\n"
    )
    sub = read_submission(path)
    assert [a.layout for a in sub.answers] == ["numerator", "denominator"]
    assert [judge(a, HW3).verdict for a in sub.answers] == ["correct", "correct"]


def test_bad_layout_value_names_file_line_and_answer(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("answers:\n  - id: a\n    layout: sideways\n    answer: 'x = x'\n")
    with pytest.raises(InputError, match=r"answer 'a': layout must be numerator.*sideways") as exc:
        read_submission(path)
    assert "s.yaml:3" in str(exc.value)
    path.write_text("layout: rows\nanswers:\n  - id: a\n    answer: 'x = x'\n")
    with pytest.raises(InputError, match=r"the file: layout must be") as exc:
        read_submission(path)
    assert "s.yaml:1" in str(exc.value)


def test_markdown_front_matter_and_tex_comment_state_the_layout(tmp_path: Path) -> None:
    md = tmp_path / "s.md"
    md.write_text(
        "---\nmodel: homework3\nlayout: denominator\nanswers:\n  b: {layout: numerator}\n---\n"
        f"## a\n$${CHAIN_DEN}$$\n## b\n$${CHAIN_NUM}$$\n"
    )
    sub = read_submission(md)
    assert [a.layout for a in sub.answers] == ["denominator", "numerator"]
    assert [judge(a, HW3).verdict for a in sub.answers] == ["correct", "correct"]
    tex = tmp_path / "s.tex"
    tex.write_text(
        f"% model: homework3\n% layout: denominator\n\\section{{a}}\n\\[{CHAIN_DEN}\\]\n"
    )
    (answer,) = read_submission(tex).answers
    assert answer.layout == "denominator" and judge(answer, HW3).verdict == "correct"


def _derivation(tmp_path: Path, layout: str) -> Path:
    text = (DERIVATIONS_DIR / "homework3.yaml").read_text()
    path = tmp_path / "hw3.yaml"
    path.write_text(text.replace("name: homework3", "name: hw3num") + f"layout: {layout}\n")
    return path


def test_derivation_file_states_the_layout(tmp_path: Path) -> None:
    model = load(str(_derivation(tmp_path, "numerator")))
    assert model.notation.layout == "numerator"
    v = _judge(CHAIN_NUM, model=model)
    assert v.verdict == "correct" and "read in" not in v.reason
    v = _judge(JAC_T, model=model)  # J^T is the denominator-layout Jacobian
    assert v.verdict == "wrong" and "as declared" in v.reason
    # an answer's own layout overrides the derivation's
    assert _judge(JAC_T, "denominator", model=model).verdict == "correct"


def test_derivation_file_bad_layout_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(SymbpttError, match=r"key 'layout': found 'upside'") as exc:
        load(str(_derivation(tmp_path, "upside")))
    assert "hw3.yaml:" in str(exc.value)


def test_documented_layout_example(tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).parents[1] / "docs" / "checking-homework.md").read_text()
    block = re.search(r'```yaml title="layout.yaml"\n(.*?)```', doc, re.S)
    assert block
    path = tmp_path / "layout.yaml"
    path.write_text(block.group(1))
    # both by hand: the numerator chain rule, and J^T = W^T diag(sigma'(s_2)) in denominator layout
    assert [judge(a, HW3).verdict for a in read_submission(path).answers] == ["correct", "correct"]


def test_a_broken_later_step_does_not_hide_the_layout_of_the_chain() -> None:
    # step 1 is the numerator chain rule; step 2 drops dh_2/dh_1 (a row times one Jacobian:
    # the right shape, the wrong value). Read in numerator layout, only step 2 is wrong.
    answer = CHAIN_NUM + r" = \frac{\partial L_3}{\partial h_3}\frac{\partial h_3}{\partial h_2}"
    v = _judge(answer)
    assert v.verdict == "wrong"
    assert [s.verdict for s in v.steps] == ["correct", "wrong"]
    assert "numerator layout" in v.reason


def test_check_answer_takes_a_layout() -> None:
    import symbptt

    assert symbptt.check_answer(CHAIN_DEN, model="homework3", layout="denominator").verdict == (
        "correct"
    )
    with pytest.raises(InputError, match="layout must be numerator"):
        symbptt.check_answer(CHAIN_DEN, model="homework3", layout="rows")


@pytest.mark.parametrize(
    ("layout", "row_of_j", "column_of_j"),
    [("numerator", "row", "column"), ("denominator", "column", "row"), ("mixed", "row", "column")],
)
def test_entries_of_a_jacobian_in_each_layout(layout: str, row_of_j: str, column_of_j: str) -> None:
    # dy_1/dx is a number by a vector (row 1 of J as a row in numerator layout, a column in
    # denominator layout); dy/dx_2 a vector by a number (column 2 of J: column / row)
    J = _jacobian_by_central_differences()

    def written(v: np.ndarray, how: str) -> str:
        return _bmatrix(v[None, :] if how == "row" else v[:, None])

    for lhs, vec, how in (("y_1", J[0], row_of_j), ("y", J[:, 1], column_of_j)):
        den = "x" if lhs == "y_1" else "x_2"
        right = rf"\frac{{\partial {lhs}}}{{\partial {den}}} = {written(vec, how)}"
        other = "column" if how == "row" else "row"
        wrong = rf"\frac{{\partial {lhs}}}{{\partial {den}}} = {written(vec, other)}"
        assert _judge(right, layout, None, given=GIVEN).verdict == "correct", (lhs, layout)
        assert _judge(wrong, layout, None, given=GIVEN).verdict == "wrong", (lhs, layout)
