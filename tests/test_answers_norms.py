"""Norms, inequalities and spectra in answers (issue 9).

Expected values come from numpy written here (eigvals, svd, norms) or by hand; a false bound's
counterexample is re-checked here with a plain BPTT loop from the published equations
(h_t = sigma(W h_{t-1} + U x_t), L_t = a_t^T h_t for homework 3's generic loss).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import load
from symbptt.mathtext.bars import pair_bars
from symbptt.mathtext.parse import ParseError, parse_latex

HW3 = load("homework3")
# homework 3, Ex 2: W = Q Lambda Q^{-1} (derivations/claims/homework3.yaml)
Q_TEX = r"\begin{bmatrix}-0.6&-0.8\\-0.8&0.6\end{bmatrix}"
HW3_GIVEN = {"Q": Q_TEX, "Lambda": r"\operatorname{diag}(0.9, 0.4)", "W": r"Q\Lambda Q^{-1}"}
Q = np.array([[-0.6, -0.8], [-0.8, 0.6]])
W_HW3 = Q @ np.diag([0.9, 0.4]) @ np.linalg.inv(Q)


def _v(answer: str, model=None, **kw):  # noqa: ANN001, ANN003
    return judge(AnswerSpec("a", answer, **kw), model)


def test_homework3_w_by_numpy() -> None:
    # the facts the next test's verdicts rest on, computed independently
    eig = sorted(np.abs(np.linalg.eigvals(W_HW3)), reverse=True)
    assert np.allclose(eig, [0.9, 0.4])
    assert np.isclose(np.linalg.norm(W_HW3, 2), 0.9)  # W symmetric: spectral norm = rho
    assert np.isclose(np.linalg.norm(W_HW3, "fro") ** 2, 0.97)


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (r"\rho(W) = 0.9", "correct"),
        (r"\|W\|_2 = 0.9", "correct"),
        (r"\|W\| = 0.9", "correct"),  # a matrix's norm is the spectral norm by default
        (r"\left\lVert W \right\rVert = 0.9", "correct"),
        (r"\sigma_{\max}(W) = 0.9", "correct"),
        (r"\sigma_{\min}(W) = 0.4", "correct"),
        (r"\max_i |\lambda_i| = 0.9", "correct"),
        (r"\lambda_1 = 0.9", "correct"),
        (r"\lambda_2 = 0.4", "correct"),
        (r"\lambda_2(W) = 0.4", "correct"),
        (r"\lambda_{\min}(W) = 0.4", "correct"),
        (r"\|W\|_F^2 = 0.97", "correct"),
        (r"\rho(W) = 0.4", "wrong"),
        (r"\|W\|_2 = 1.3", "wrong"),  # 1.3 = 0.9 + 0.4 is the trace, not the norm
        (r"\rho(W) < 1", "correct"),
        (r"\rho(W) \leq 1", "correct"),
        (r"\|W\|_2 \ge 1", "wrong"),
        (r"\|W\|_2 \geq 0.9", "correct"),  # equal: >= holds
        (r"\|W\|_2 > \rho(W)", "wrong"),  # equal (W symmetric): not strictly greater
        (r"\rho(W) \le \|W\|_2 = 0.9 < 1", "correct"),
        (r"\rho(W) \lt 1 \gt 0", "correct"),
    ],
)
def test_homework3_numbers_and_numeric_inequalities(answer: str, verdict: str) -> None:
    v = _v(answer, given=HW3_GIVEN)
    assert v.verdict == verdict, v.reason


def test_norms_of_a_nonsquare_matrix_and_a_vector_by_hand() -> None:
    given = {
        "A": r"\begin{bmatrix}1 & -2 & 3\\ -4 & 5 & 0.5\end{bmatrix}",
        "x": r"\begin{bmatrix}3 \\ -4\end{bmatrix}",
    }
    # column sums 5, 7, 3.5 -> 7; row sums 6, 9.5 -> 9.5; |x| = 5; |x|_1 = 7; |x|_inf = 4
    assert _v(r"\|A\|_1 = 7", given=given).verdict == "correct"
    assert _v(r"\|A\|_{\infty} = 9.5", given=given).verdict == "correct"
    assert _v(r"\|A\|_\infty = 7", given=given).verdict == "wrong"
    assert _v(r"\|x\| = 5", given=given).verdict == "correct"
    assert _v(r"||x||_2 = 5", given=given).verdict == "correct"
    assert _v(r"\|x\|_1 = 7", given=given).verdict == "correct"
    assert _v(r"\|x\|_\infty = 4", given=given).verdict == "correct"
    assert _v(r"\|x\|^2 = 25", given=given).verdict == "correct"
    a = np.array([[1, -2, 3], [-4, 5, 0.5]])
    two = np.linalg.norm(a, 2)
    assert _v(rf"\|A\|_2 = {two:.6f}", given=given).verdict == "correct"
    assert _v(rf"\|A\|_F = {np.linalg.norm(a, 'fro'):.6f}", given=given).verdict == "correct"
    # sigma_max = spectral norm; rho of a non-square matrix is a shape error
    assert _v(r"\sigma_{\max}(A) = \|A\|_2", given=given).verdict == "correct"
    v = _v(r"\|A\|_2 = \rho(A)", given=given)
    assert v.verdict == "wrong" and "non-square" in v.reason


def test_complex_eigenvalues() -> None:
    # a rotation by 90 degrees scaled by 1/2: eigenvalues +-i/2, rho = 1/2
    given = {"R": r"\begin{bmatrix}0 & -0.5\\ 0.5 & 0\end{bmatrix}"}
    assert np.allclose(np.abs(np.linalg.eigvals(np.array([[0, -0.5], [0.5, 0]]))), 0.5)
    assert _v(r"\rho(R) = 0.5", given=given).verdict == "correct"
    assert _v(r"|\lambda_1(R)| = 0.5", given=given).verdict == "correct"
    v = _v(r"\lambda_1(R) = 0.5", given=given)
    assert v.verdict == "undecided" and "complex" in v.reason


# --------------------------------------------------------------------------- random instances

W_NONNORMAL = np.array([[0.5, 2.0], [0.0, 0.5]])  # rho = 0.5, but ||W|| > 2
NONNORMAL = {"W": r"\begin{bmatrix}0.5 & 2\\ 0 & 0.5\end{bmatrix}", "x": r"\in \mathbb{R}^{2}"}


def test_nonnormal_w_by_numpy() -> None:
    assert np.isclose(max(abs(np.linalg.eigvals(W_NONNORMAL))), 0.5)
    assert np.linalg.norm(W_NONNORMAL, 2) > 2.0
    assert not np.allclose(W_NONNORMAL @ W_NONNORMAL.T, W_NONNORMAL.T @ W_NONNORMAL)


def test_power_bound_with_the_norm_holds_and_with_rho_fails() -> None:
    # ||W^k x|| <= ||W||^k ||x|| (submultiplicativity): true at every point
    true = _v(r"\|W^{k} x\| \le \|W\|^{k} \|x\|", given=NONNORMAL, range=r"1 \le k \le 3")
    assert true.verdict == "correct", true.reason
    # with rho(W) in place of ||W|| the bound fails for this non-normal W
    false = _v(r"\|W^{k} x\| \le \rho(W)^{k} \|x\|", given=NONNORMAL, range=r"1 \le k \le 3")
    assert false.verdict == "wrong"
    ce = false.counterexample
    x = np.array(ce["instance"]["x"], dtype=float).reshape(-1)
    k = ce["indices"]["k"]
    left = np.linalg.norm(np.linalg.matrix_power(W_NONNORMAL, k) @ x)
    right = 0.5**k * np.linalg.norm(x)
    assert left > right  # the reported point really breaks the bound
    assert np.isclose(ce["left"], left, rtol=1e-4) and np.isclose(ce["right"], right, rtol=1e-4)
    assert "left side" in false.reason and ">" in false.reason


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _deltas(inst: dict, T: int) -> tuple[np.ndarray, dict]:
    """Plain BPTT loop for homework 3 (L_t = a_t^T h_t): s_t, and d L_t / d h_k for k <= t."""
    W, U = np.array(inst["W"]), np.array(inst["U"])
    h = {0: np.array(inst["h_0"])}
    s = {}
    for t in range(1, T + 1):
        s[t] = W @ h[t - 1] + U @ np.array(inst[f"x_{t}"])
        h[t] = _sigmoid(s[t])
    local = {}
    for t in range(1, T + 1):
        d = {t: np.array(inst[f"a_{t}"])}
        for k in range(t - 1, 0, -1):  # d L_t/d h_k = W^T diag(sigma'(s_{k+1})) d L_t/d h_{k+1}
            sp = _sigmoid(s[k + 1]) * (1 - _sigmoid(s[k + 1]))
            d[k] = W.T @ (sp * d[k + 1])
        local[t] = d
    return W, local


BOUND_WHERE = {
    r"\beta_W": r"\|W\|",
    r"\beta_f": "1/4",  # sigma' <= 1/4
    r"\delta_{t,k}": r"\frac{\partial L_t}{\partial h_k}",
}
BOUND_FOR = r"1 \le k \le t \le T"


def test_gradient_bound_holds_with_the_norm_and_fails_with_rho() -> None:
    bound = r"\|\delta_{t,k}\| \le \|\delta_{t,t}\| (\beta_W \beta_f)^{t-k}"
    v = _v(bound, HW3, where=BOUND_WHERE, range=BOUND_FOR)
    assert v.verdict == "correct", v.reason
    false = r"\|\delta_{t,k}\| \le \|\delta_{t,t}\| (\rho(W) \beta_f)^{t-k}"
    v = _v(false, HW3, where=BOUND_WHERE, range=BOUND_FOR)
    assert v.verdict == "wrong"
    ce = v.counterexample
    T, t, k = ce["sizes"]["T"], ce["indices"]["t"], ce["indices"]["k"]
    W, local = _deltas(ce["instance"], T)
    rho = max(abs(np.linalg.eigvals(W)))
    left = np.linalg.norm(local[t][k])
    right = np.linalg.norm(local[t][t]) * (rho / 4) ** (t - k)
    assert left > right  # the instance breaks the rho bound, by the loop above
    assert np.isclose(ce["left"], left, rtol=1e-3) and np.isclose(ce["right"], right, rtol=1e-3)


def test_bound_for_the_total_error_term_fails() -> None:
    # with a loss at every step, d L/d h_k carries the direct term a_k: the bound of the local
    # (one-loss) term does not hold for the total one
    where = {**BOUND_WHERE, r"\delta_k": r"\frac{\partial L}{\partial h_k}"}
    del where[r"\delta_{t,k}"]
    v = _v(r"\|\delta_k\| \le \|\delta_T\| (\beta_W \beta_f)^{T-k}", HW3, where=where,
           range=r"1 \le k \le T")  # fmt: skip
    assert v.verdict == "wrong"
    ce = v.counterexample
    T, k = ce["sizes"]["T"], ce["indices"]["k"]
    W, local = _deltas(ce["instance"], T)
    total = {j: sum(local[t][j] for t in range(j, T + 1)) for j in range(1, T + 1)}
    left = np.linalg.norm(total[k])
    right = np.linalg.norm(total[T]) * (np.linalg.norm(W, 2) / 4) ** (T - k)
    assert left > right


def test_max_over_entries_and_inequality_on_vectors() -> None:
    given = {"x": r"\in \mathbb{R}^{3}"}
    assert _v(r"\max_j |x_j| = \|x\|_\infty", given=given).verdict == "correct"
    assert _v(r"\max_{j=1}^{3} |x_j| = \|x\|_\infty", given=given).verdict == "correct"
    assert _v(r"\min_j |x_j| = \|x\|_\infty", given=given).verdict == "wrong"
    assert _v(r"\|x\|_\infty \le \|x\| \le \|x\|_1", given=given).verdict == "correct"
    assert _v(r"\|x\|_1 \le \|x\|", given=given).verdict == "wrong"
    v = _v(r"x \le \|x\|", given=given)
    assert v.verdict == "undecided" and "compares numbers" in v.reason


# --------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (r"|a||b|", r"\lvert a\rvert \lvert b\rvert "),
        (r"\|x\|", r"\lVert x\rVert "),
        (r"||x||", r"\lVert x\rVert "),
        (r"|a \cdot |b||", r"\lvert a \cdot \lvert b\rvert \rvert "),
        (r"\Vert x \Vert", r"\lVert  x \rVert "),
    ],
)
def test_bars_are_paired(text: str, want: str) -> None:
    assert pair_bars(text) == want


def test_relations_are_kept_in_the_chain() -> None:
    node = parse_latex(r"a \le b = c < d \geq e > f \lt g \gt h")
    assert node.rels == ("\\le", "=", "<", "\\ge", ">", "<", ">")


def test_bad_norm_subscript_and_max_index_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="norm subscript"):
        parse_latex(r"\|x\|_3 = 1")
    with pytest.raises(ParseError, match="one index letter"):
        parse_latex(r"\max_{2} x = 1")


def test_rho_defined_by_the_answer_is_a_number_not_a_function() -> None:
    v = _v(r"\rho (W) = 2 W", given={"W": r"\begin{bmatrix}1 & 0\\ 0 & 1\end{bmatrix}", "rho": "2"})
    assert v.verdict == "correct", v.reason


def test_exact_one_norm_is_rational() -> None:
    v = _v(
        r"\|A\|_1 = \frac{7}{3}",
        given={"A": r"\begin{bmatrix}1 & \frac{1}{3}\\ -\frac{4}{3} & 2\end{bmatrix}"},
    )
    assert v.verdict == "correct", v.reason
    assert "exact" in v.tolerance
    assert Fraction(1) + Fraction(4, 3) == Fraction(7, 3)


def test_documented_bounds_example(tmp_path: Path) -> None:
    import re

    from symbptt.answers.files import read_submission

    doc = (Path(__file__).parents[1] / "docs" / "checking-homework.md").read_text()
    block = re.search(r'```yaml title="bounds.yaml"\n(.*?)```', doc, re.S)
    assert block
    path = tmp_path / "bounds.yaml"
    path.write_text(block.group(1))
    # the ||W|| bound holds (see test_gradient_bound_holds_with_the_norm_and_fails_with_rho)
    verdicts = [judge(a, HW3).verdict for a in read_submission(path).answers]
    assert verdicts == ["correct", "wrong"]


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (r"\frac{1}{3} \le 0.333", "wrong"),  # a bound is literal: 1/3 = 0.3333... > 0.333
        (r"\frac{1}{3} \le 0.334", "correct"),
        (r"\frac{1}{3} \ge \frac{1}{3}", "correct"),
        (r"\frac{1}{3} < \frac{1}{3}", "wrong"),
    ],
)
def test_a_written_bound_is_taken_literally(answer: str, verdict: str) -> None:
    assert _v(answer).verdict == verdict


def test_explicit_tolerance_applies_to_an_inequality() -> None:
    v = _v(r"\frac{1}{3} \le 0.333", tolerance={"absolute": 0.001})
    assert v.verdict == "correct", v.reason


@pytest.mark.parametrize(
    "answer",
    [
        r"\begin{bmatrix}\lambda_1(R)\end{bmatrix} = 1",
        r"\operatorname{diag}(\lambda_1(R), 1) = 1",
        r"\tanh(\lambda_1(R)) = 1",
        r"\lambda_1(R)^2 = 1",
        r"\max_i \lambda_i(R) = 1",
        r"\lambda_{\max}(R) = 1",
        r"\max_i i = 1",  # \max_i over nothing indexed: no range
        r"|R| = 1",
    ],
)
def test_complex_values_and_rangeless_max_are_undecided_not_a_crash(answer: str) -> None:
    v = _v(answer, given={"R": r"\begin{bmatrix}0 & -0.5\\ 0.5 & 0\end{bmatrix}"})
    assert v.verdict == "undecided", v.reason


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (r"|\lambda_i(W)| \le \|W\|", "correct"),  # |lambda| <= rho <= ||W|| for every i
        (r"|\lambda_i(W)| \le \rho(W)", "correct"),
        (r"|\lambda_i(W)| < \rho(W)", "wrong"),  # i = 1 is rho itself
        (r"\sigma_i(W) \le \|W\|_F", "correct"),  # sigma_i^2 <= sum of all sigma^2
        (r"\sigma_i(W) > \sigma_{\max}(W)", "wrong"),
    ],
)
def test_an_index_of_a_spectrum_is_a_free_variable(answer: str, verdict: str) -> None:
    v = _v(answer, HW3)
    assert v.verdict == verdict, v.reason
    if verdict == "wrong":
        assert v.counterexample["indices"]["i"] == 1


def test_max_over_a_written_range() -> None:
    # |lambda_1| = rho by the eigenvalue order; |lambda_2| alone is smaller for homework 3's W
    given = HW3_GIVEN
    assert _v(r"\max_{1 \le i \le 2} |\lambda_i| = 0.9", given=given).verdict == "correct"
    assert _v(r"\max_{1 < i \le 2} |\lambda_i| = 0.4", given=given).verdict == "correct"
    assert _v(r"\min_{0 < i < 3} |\lambda_i| = 0.9", given=given).verdict == "wrong"
    with pytest.raises(ParseError, match="takes"):
        parse_latex(r"\max_{1 \ge i \ge 2} x_i = 1")


def test_the_tolerance_line_of_a_bound_says_it_is_literal() -> None:
    v = _v(r"\frac{1}{3} \le 0.334")
    assert v.tolerance.startswith("the bound as written")
    v = _v(r"\frac{1}{3} = 0.333 \le 0.334")  # the = step keeps its rounding, the bound does not
    assert v.verdict == "correct", v.reason
    assert "step 2: the bound as written" in v.tolerance


def test_pasted_bars_and_square_roots() -> None:
    # U+2016 (double bar) is a norm, U+2223 an absolute value; ||W||_F^2 = 0.81 + 0.16 = 0.97
    assert _v("\u2016W\u2016 = 0.9", given=HW3_GIVEN).verdict == "correct"
    assert _v("\u2223\\lambda_2\u2223 = 0.4", given=HW3_GIVEN).verdict == "correct"
    assert _v(r"\|W\|_F = \sqrt{0.97}", given=HW3_GIVEN).verdict == "correct"
    assert _v(r"\|W\|_F = \sqrt{0.98}", given=HW3_GIVEN).verdict == "wrong"
    assert _v(r"\|W\|_F \le \sqrt{2} \|W\|_2", given=HW3_GIVEN).verdict == "correct"  # rank 2
