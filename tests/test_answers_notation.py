"""Superscript time indices and entries: the homework's notation, read by hand-written rules."""

from __future__ import annotations

from fractions import Fraction

import pytest

from symbptt.answers.judge import AnswerSpec, judge
from symbptt.answers.notation import resolve
from symbptt.mathtext.ast import Entries, Entry, Mul, Num, Pow, Sub, Sym, Transpose
from symbptt.mathtext.parse import ParseError, parse_index_pattern, parse_latex

# homework3's names: h, s, x carry one time index, L is the loss (L or L_t), W and U none.
ARITY = {"h": 1, "s": 1, "x": 1, "L": 1, "W": 0, "U": 0, "\\delta": 1}
t, i, j = Sym("t"), Sym("i"), Sym("j")
ONE = Num(Fraction(1), "1")


def read(tex: str):
    return resolve(parse_latex(tex), ARITY)


def test_superscript_on_a_timed_quantity_is_its_time_index() -> None:
    assert read("h^{t-1}") == Sym("h", (Sub(t, ONE),))
    assert read("h^{t-1}_i") == Sym("h", (Sub(t, ONE), i))  # time first, then the component
    assert read("s^t_j") == read("s_j^t") == Sym("s", (t, j))
    assert read("\\delta^t_j") == Sym("\\delta", (t, j))


def test_powers_transposes_and_parameters_stay_what_they_were() -> None:
    assert read("W^{30}") == Pow(Sym("W"), Num(Fraction(30), "30"))  # W has no time index
    assert read("W^{t-k}") == Pow(Sym("W"), Sub(t, Sym("k")))
    assert read("s_t^2") == Pow(Sym("s", (t,)), Num(Fraction(2), "2"))  # a number: a square
    assert read("h^T") == Transpose(Sym("h"))  # ^T is always a transpose
    assert read("h^{(T)}") == Sym("h", (Sym("T"),))  # time T spelled in parentheses


def test_parameter_entries_with_or_without_comma() -> None:
    assert read("W_{ji}") == read("W_{j,i}") == Sym("W", (j, i))
    assert read("h_{ji}") == Sym("h", (Mul(j, i),))  # not a parameter: left alone


def test_bracket_subscript_is_an_entry_or_the_entries_form() -> None:
    # E does not use j, i: the (j, i) entry of E.
    assert parse_latex("[W U]_{ji}") == Entry(Mul(Sym("W"), Sym("U")), (j, i))
    # E uses j and i: the matrix whose (j, i) entry is E.
    node = parse_latex("\\left[\\delta_j h_i\\right]_{j,i}")
    assert node == Entries(Mul(Sym("\\delta", (j,)), Sym("h", (i,))), ("j", "i"))
    with pytest.raises(ParseError, match="each of its index letters"):
        parse_latex("[\\delta_j h_1]_{ji}")


def test_where_key_with_superscript_time() -> None:
    assert parse_index_pattern("\\delta^t_j") == ("\\delta", ("t", "j"))
    assert parse_index_pattern("\\delta^t") == ("\\delta", ("t",))


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        # dL/dh^t by its entries is dL/dh_t (a column vector of n entries).
        (
            "\\frac{\\partial L}{\\partial h^t} = \\left[\\frac{\\partial L}{\\partial h^t_j}\\right]_{j}",
            "correct",
        ),
        # W's (j, i) entry, 1-based, against the whole matrix read entrywise.
        ("[W]_{ji} = W_{j,i}", "correct"),
        ("[W]_{ji} = W_{i,j}", "wrong"),  # transposed: wrong once n = 2
    ],
)
def test_entries_against_the_truth(answer: str, verdict: str) -> None:
    v = judge(AnswerSpec("e", answer, range="1 \\le t \\le T"), _hw())
    assert v.verdict == verdict, v.reason


def _hw():
    from symbptt.answers.grade import _model

    return _model("homework3")


def test_continuation_lines_join_but_matrix_rows_do_not() -> None:
    from symbptt.mathtext.ast import Add, Chain, Matrix, Neg

    a, b, c, d = (Sym(x) for x in "ABCD")
    assert parse_latex("A &= B \\\\ &\\quad + C \\\\ &= D") == Chain((a, Add(b, c), d))
    assert parse_latex("A &= B \\\\ &- C") == Chain((a, Sub(b, c)))
    m = parse_latex("A = \\begin{bmatrix}1 & 2\\\\-3 & 4\\end{bmatrix}")
    assert isinstance(m, Chain) and isinstance(m.parts[1], Matrix)
    assert m.parts[1].rows[1][0] == Neg(Num(Fraction(3), "3"))


def test_per_step_gradient_exact_terms_equal_perturbing_one_step(monkeypatch) -> None:
    # Two independent readings of \nabla_{W,t} E: the engine's per-step BPTT term dW_terms[t-1]
    # and central differences that perturb only the W used at step t of the forward pass.
    from symbptt.answers import exact
    from symbptt.answers.evaluate import Evaluator
    from symbptt.answers.grade import _model
    from symbptt.answers.truth import Definitions, World

    model = _model("tutorial")
    node = parse_latex("\\nabla_{W,t} E")
    for t in (1, 2, 3):
        world = World(model, Definitions(), T=3, n=2, m=2, k=2, seed=4)
        exact_term = Evaluator(world)(node, {"t": t})
        assert not world.fd_used
        monkeypatch.setattr(exact, "step_term", lambda *a: None)
        world = World(model, Definitions(), T=3, n=2, m=2, k=2, seed=4)
        fd_term = Evaluator(world)(node, {"t": t})
        monkeypatch.undo()
        assert world.fd_used
        assert abs(exact_term - fd_term).max() < 1e-7 * max(1.0, abs(exact_term).max())
