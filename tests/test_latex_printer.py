"""The notation printer and the latexify-rendered engine cells, against formulas from the texts."""

from __future__ import annotations

import re

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symbptt import catalog
from symbptt.latex.cells import engine_cells
from symbptt.latex.printer import PrintSettings, latex, settings_for


def norm(tex: str) -> str:
    """Whitespace-free, with single-character braces dropped (x_{t} == x_t)."""
    tex = re.sub(r"\s+", "", tex)
    return re.sub(r"([_^])\{(\\?\w)\}", r"\1\2", tex)


U = sp.MatrixSymbol("U", 2, 2)
h = sp.MatrixSymbol("h_{t-1}", 2, 1)
d = sp.MatrixSymbol(r"\delta_{t}", 2, 1)


def test_transpose_prints_top() -> None:
    assert norm(latex(U.T * d)) == norm(r"U^\top \delta_{t}")


def test_transpose_of_a_product_is_parenthesised_or_expanded() -> None:
    out = latex(sp.Transpose(U * h), PrintSettings())
    # either (U h)^T kept whole or SymPy's h^T U^T; never U h^\top
    assert norm(out) in {norm(r"\left(U h_{t-1}\right)^\top"), norm(r"h_{t-1}^\top U^\top")}


def test_hadamard_prints_odot() -> None:
    assert r"\odot" in latex(sp.hadamard_product(h, d))
    assert r"\circ" not in latex(sp.hadamard_product(h, d))


def test_diag_prints_operatorname() -> None:
    assert norm(latex(DiagMatrix(h))) == norm(r"\operatorname{diag}\left(h_{t-1}\right)")


def test_bold_vectors_bold_only_vectors() -> None:
    out = latex(U * h, PrintSettings(bold_vectors=True))
    assert norm(out) == norm(r"U \bm{h}_{t-1}")


def test_plain_vectors_stay_plain() -> None:
    assert r"\bm" not in latex(U * h, PrintSettings(bold_vectors=False))


def test_partial_derivative_as_fraction() -> None:
    # tutorial / dl4nlp: \frac{\partial E}{\partial U}
    assert norm(latex(sp.Derivative(sp.Symbol("E"), U))) == norm(r"\frac{\partial E}{\partial U}")


def test_model_names_map_ascii_to_latex() -> None:
    blog = catalog.load("blog")
    s = settings_for(blog)
    assert latex(sp.MatrixSymbol("W_h", 2, 2), s) == "W_{h}"


# ---- engine cells via latexify, in the text's notation


def test_dl4nlp_forward_cell_prints_u_as_recurrent() -> None:
    fwd, _ = engine_cells(catalog.load("dl4nlp"))
    # dl4nlp: s_t = U h_{t-1} + W x_t, h_t = f(s_t); no bias, so the rendered cell has no b
    assert norm(fwd.latex) == norm(r"h_{t} = f\left( U h_{t-1} + W x_{t} \right)")
    assert fwd.function == "rnn_cell_forward_step_recurrent_first_no_bias"


def test_dl4nlp_backward_cell_has_odot_and_transpose() -> None:
    _, bwd = engine_cells(catalog.load("dl4nlp"))
    # the engine's total error nu_t = dE/ds_t = f'(s_t) (.) (dE_t/dh_t + U^T nu_{t+1});
    # dl4nlp's own delta has two indices, so the total gets another letter
    expected = (
        r"\nu_{t} = f'\left( s_{t} \right) \odot "
        r"\left( \frac{\partial E_t}{\partial h_{t}} + U^\top \nu_{t+1} \right)"
    )
    assert norm(bwd.latex) == norm(expected)


def test_blog_cells_use_subscripted_names_and_sigma() -> None:
    fwd, bwd = engine_cells(catalog.load("blog"))
    # blog: h_t = sigma(W_h h_{t-1} + W_x x_t + b_h)
    assert norm(fwd.rhs) == norm(r"\sigma\left( W_{h} h_{t-1} + W_{x} x_{t} + b_{h} \right)")
    assert norm(r"\sigma'\left( a_{t} \right) \odot") in norm(bwd.rhs)
    assert norm(r"W_{h}^\top \delta_{t+1}") in norm(bwd.rhs)
    for bad in (r"\cdot", r"\intercal", r"\mathbf", "QQ", r"\mathrm{h\_prev}", r"\tanh"):
        assert bad not in fwd.rhs + bwd.rhs


def test_homework3_cells_are_sigmoid_and_keep_the_local_delta_apart() -> None:
    fwd, bwd = engine_cells(catalog.load("homework3"))
    # homework: h_t = sigma(W h_{t-1} + U x_t), no bias; its delta_t = dL_t/dh_t is local
    assert norm(fwd.rhs) == norm(r"\sigma\left( W h_{t-1} + U x_{t} \right)")
    assert "b = 0" not in fwd.reason
    assert "tanh" not in fwd.reason + bwd.reason and r"\delta" not in bwd.latex
    assert norm(bwd.lhs) == norm(r"\nu_t")


# ---- sums in the source's order


def _general(name: str) -> dict[str, str]:
    from symbptt.builders.vanilla import general_section
    from symbptt.symbolic import general

    model = catalog.load(name)
    names = [s.name for s in general.statements(model)]
    return dict(zip(names, (s.latex for s in general_section(model).steps), strict=True))


def test_output_error_prints_yhat_minus_y() -> None:
    g = _general("dl4nlp")
    # dl4nlp: dE_t/dz_t = yhat_t - y_t, dE/dV = sum_t (yhat_t - y_t) h_t^T
    assert norm(g["output error"]) == norm(r"\frac{\partial E_t}{\partial z_t} = \hat{y}_t - y_t")
    assert norm(r"\left(\hat{y}_t - y_t\right) h_t^\top") in norm(g["gradient V"])


def test_bound_exponent_prints_t_minus_k_and_negatives_stay_negative() -> None:
    # tutorial: (beta_W beta_f)^{t-k}
    assert norm("^{t-k}") in norm(_general("tutorial")["vanishing/exploding bound"])
    a, b = sp.symbols("a b")
    assert norm(latex(-a - b)) == norm("-a - b") and norm(latex(b - a)) == norm("b - a")


def test_blog_output_is_sigma_in_every_section() -> None:
    # blog: y_t = sigma(W_y h_t + b_y)
    assert norm(_general("blog")["forward: output"]) == norm(r"y_t = \sigma\left(o_t\right)")


def test_tutorial_cell_keeps_the_input_term_first() -> None:
    fwd, _ = engine_cells(catalog.load("tutorial"))
    # tutorial: net_t = U x_t + W s_{t-1}, s_t = f(net_t)
    assert norm(fwd.latex) == norm(r"s_t = f\left( U x_t + W s_{t-1} \right)")
