"""The grammar and the AST: what the LaTeX subset means (golden readings written by hand)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.answers.tolerance import Tolerance, compare, step_tolerance
from symbptt.mathtext.ast import (
    Apply,
    Big,
    Chain,
    Deriv,
    Hop,
    Matrix,
    Mul,
    Num,
    Pow,
    Sym,
    Transpose,
    show,
)
from symbptt.mathtext.parse import ParseError, parse_latex


@pytest.mark.parametrize(
    "tex",
    ["W^T", "W^\\top", "W^{\\top}", "W^\\intercal", "W^{T}", "W'"],
    ids=["T", "top", "top-braced", "intercal", "T-braced", "prime"],
)
def test_every_transpose_spelling(tex: str) -> None:
    assert parse_latex(tex) == Transpose(Sym("W"))


def test_prime_on_a_function_is_a_derivative() -> None:
    node = parse_latex("\\sigma'(s_t)")
    assert node == Apply("\\sigma", 1, (Sym("s", (Sym("t"),)),))
    assert parse_latex("f'(x)") == Apply("f", 1, (Sym("x"),))


def test_scientific_number_keeps_its_significant_figures() -> None:
    n = parse_latex("1.153\\times10^{-12}")
    assert isinstance(n, Num) and n.value == Fraction(1153, 10**15)
    assert n.sig == 4 and n.ulp == Fraction(1, 10**15)
    assert parse_latex("0.0424").sig == 3 and parse_latex("30").sig is None  # integers are exact


def test_indexed_symbols_and_accents() -> None:
    assert parse_latex("h_{t-1}").index[0] == parse_latex("t - 1")
    assert parse_latex("\\delta_{t,k}") == Sym("\\delta", (Sym("t"), Sym("k")))
    assert parse_latex("\\hat{y}_t") == Sym("\\hat{y}", (Sym("t"),))


def test_sum_body_runs_to_the_next_plus() -> None:
    node = parse_latex("\\sum_{t=1}^{T} a_t b_t^T + c")
    assert show(node.a) == "\\sum_{t=1}^{T} a_t b_t^\\top" and node.b == Sym("c")
    assert isinstance(node.a, Big) and isinstance(node.a.body, Mul)


def test_hadamard_binds_looser_than_the_matrix_product() -> None:
    node = parse_latex("f'(s_k) \\odot U^T d")
    assert isinstance(node, Hop) and isinstance(node.b, Mul)


def test_derivative_frac_and_chain() -> None:
    node = parse_latex("\\frac{\\partial L}{\\partial W} &= A \\\\ &= B")
    assert isinstance(node, Chain) and node.parts[0] == Deriv(Sym("L"), Sym("W"))
    assert len(node.parts) == 3


def test_function_of_a_list_then_a_power() -> None:
    node = parse_latex("\\operatorname{diag}(0.0424, 1.153\\times10^{-12})^{30}")
    assert isinstance(node, Pow) and isinstance(node.base, Apply) and len(node.base.args) == 2


def test_layout_is_ignored() -> None:
    a = parse_latex("\\left( \\mathbf{W}\\, x \\right)^{-1}")
    assert a == Pow(Mul(Sym("W"), Sym("x")), parse_latex("-1"))
    assert isinstance(parse_latex("\\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix}"), Matrix)


@pytest.mark.parametrize(
    "bad",
    ["\\frac{\\partial L}{W}", "(a, b)", "\\unknown{x}", "", "f'"],
    ids=["partial-one-side", "bare-tuple", "unknown-command", "empty", "prime-no-arg"],
)
def test_unparseable_answers_raise_parse_error(bad: str) -> None:
    with pytest.raises(ParseError):
        parse_latex(bad)


def test_unbraced_power_reads_like_latex() -> None:
    # LaTeX typesets x^30 as x^3 0, so that is what it means here too.
    assert parse_latex("x^30") == Mul(Pow(Sym("x"), Num(Fraction(3), "3")), Num(Fraction(0), "0"))


def test_written_precision_is_the_truth_rounded_or_truncated() -> None:
    # issue 9 review: 0.0424 is right for a truth in [0.04235, 0.0425) (rounded to nearest,
    # a tie either way, or truncated toward zero), no longer for anything one unit away
    tol = step_tolerance(parse_latex("0.0424"), symbolic=False)
    assert compare(Fraction("0.0424"), Fraction("0.04235"), tol)[0]  # a tie, rounded up
    assert compare(Fraction("0.0424"), Fraction("0.04249"), tol)[0]  # truncated
    assert not compare(Fraction("0.0424"), Fraction("0.0425"), tol)[0]  # one unit off
    assert not compare(Fraction("0.0424"), Fraction("0.04234"), tol)[0]
    assert not compare(Fraction("0.0426"), Fraction("0.0424"), tol)[0]  # two units off
    assert "0.0001" in tol.describe()


def test_written_diag_is_a_matrix_written_out_each_entry_to_its_last_digit() -> None:
    # 0.4^30 = 1.1529...e-12: 1.153e-12 is within one unit (1e-15) of its last digit, 1.156e-12
    # three units off. The loose 0.0424 beside it must not widen that entry's tolerance.
    assert abs(Fraction(2, 5) ** 30 - Fraction("1.153e-12")) < Fraction("1e-15")
    assert abs(Fraction(2, 5) ** 30 - Fraction("1.156e-12")) > 3 * Fraction("1e-15")
    given = {"Lambda": "\\operatorname{diag}(0.9, 0.4)"}
    for last, verdict in (("1.153", "correct"), ("1.156", "wrong")):
        tex = f"\\Lambda^{{30}} = \\operatorname{{diag}}(0.0424, {last}\\times10^{{-12}})"
        assert judge(AnswerSpec("lam", tex, given=given), None).verdict == verdict, last
    tol = step_tolerance(parse_latex("\\operatorname{diag}(0.0424, 1.153\\times10^{-12})"), False)
    assert "1e-15, 0.0001" in tol.describe()


def test_explicit_tolerances() -> None:
    rel = Tolerance.from_spec({"relative": "1e-3"})  # YAML 1.1 reads 1e-3 as text
    assert rel.value == 1e-3 and compare(1.0009, 1.0, rel)[0] and not compare(1.002, 1.0, rel)[0]
    sig = Tolerance.from_spec({"sigfigs": 2})
    assert compare(0.0431, 0.04239, sig)[0] and not compare(0.0441, 0.04239, sig)[0]
    ab = Tolerance.from_spec({"absolute": 0.01})
    assert compare(0.05, 0.0424, ab)[0] and not compare(0.06, 0.0424, ab)[0]


def test_matrix_minus_number_is_a_shape_error_not_broadcast() -> None:
    v = judge(
        AnswerSpec("x", "A = A - 1", given={"A": "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}"}), None
    )
    assert v.verdict == "wrong" and "cannot add a number and a 2x2 matrix" in v.reason


def test_product_order_must_be_increasing_or_decreasing(tmp_path) -> None:
    from symbptt.answers.files import read_submission
    from symbptt.errors import InputError

    p = tmp_path / "sub.yaml"
    p.write_text("answers:\n  - id: p\n    answer: 'x = 1'\n    product_order: backwards\n")
    with pytest.raises(InputError, match=r"sub.yaml:4: answer 'p': product_order must be"):
        read_submission(p)


def test_product_order_reverses_a_matrix_product() -> None:
    # A_1 = [[1,1],[0,1]], A_2 = [[1,0],[1,1]]: A_1 A_2 = [[2,1],[1,1]], A_2 A_1 = [[1,1],[1,2]].
    given = {
        "A": "\\begin{bmatrix}1&1\\\\0&1\\end{bmatrix}",
        "B": "\\begin{bmatrix}1&0\\\\1&1\\end{bmatrix}",
    }
    prod = "\\prod_{i=1}^{2} A^{2-i} B^{i-1}"  # factor i = 1 is A, factor i = 2 is B
    inc = AnswerSpec("inc", prod + " = \\begin{bmatrix}2&1\\\\1&1\\end{bmatrix}", given=given)
    dec = AnswerSpec("dec", prod + " = \\begin{bmatrix}1&1\\\\1&2\\end{bmatrix}", given=given,
                     product_order="decreasing")  # fmt: skip
    assert judge(inc, None).verdict == "correct" and judge(dec, None).verdict == "correct"
    dec.product_order = "increasing"
    assert judge(dec, None).verdict == "wrong"
