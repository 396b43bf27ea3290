"""The table fields the printers, the slips and the engines read (issue 10, "cells as data"):
`Function.latex_d_out_of`, `Function.d_out_difference`, `Head.class_labels`. Each entry is held
against a formula written here (sigma' = sigma (1 - sigma), tanh' = 1 - tanh^2 by central
differences; cross-entropy of a class label as -log softmax at the label by a plain loop).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from symbptt.answers import gated_slips
from symbptt.answers.judge import AnswerSpec, judge
from symbptt.catalog import load
from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.heads import HEADS
from symbptt.errors import InputError
from symbptt.mathtext.ast import Hop, Num, Pow, Sub, Sym
from symbptt.symbolic.codegen import compile_gradients

# f written from its definition, independent of the table; None: no output form expected.
DEFINITIONS = {
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "tanh": math.tanh,
}
NO_OUTPUT_FORM = ("relu", "identity", "generic")


def _as_python(latex: str) -> str:
    """Our own table's LaTeX (never a student's) as Python arithmetic of Y and Y2."""
    return latex.replace(r"\odot", "*").replace(r"\left(", "(").replace(r"\right)", ")")


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_latex_d_out_of_is_the_derivative_from_the_output(name: str) -> None:
    """The printed form, read as arithmetic of y = f(x) and y2 = f(x)^2, is f'(x)."""
    form = FUNCTIONS[name].latex_d_out_of
    assert form is not None
    code = _as_python(form("Y", "Y2"))
    f = DEFINITIONS[name]
    for x in (-2.0, -0.3, 0.0, 0.7, 1.9):
        y = f(x)
        got = eval(code, {}, {"Y": y, "Y2": y * y})  # noqa: S307 - the table's text, not input
        want = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
        assert abs(got - want) < 1e-8


def test_latex_d_out_of_as_the_texts_write_it() -> None:
    """sigma' = y (.) (1 - y) and tanh' = 1 - y^2, with the printer's own square."""
    assert FUNCTIONS["sigmoid"].latex_d_out_of("q", "ignored") == r"q \odot \left(1 - q\right)"
    assert FUNCTIONS["tanh"].latex_d_out_of("h", "h^{2}") == "1 - h^{2}"
    # the one-argument form the notation prints is the same form with a bracketed square
    assert FUNCTIONS["tanh"].latex_d_out("h") == r"1 - \left(h\right)^{2}"
    assert FUNCTIONS["sigmoid"].latex_d_out("h") == r"h \odot \left(1 - h\right)"


@pytest.mark.parametrize("name", NO_OUTPUT_FORM)
def test_functions_without_an_output_form_print_of_the_input(name: str) -> None:
    fn = FUNCTIONS[name]
    assert fn.latex_d_out_of is None and fn.latex_d_out is None and not fn.d_out_difference


def test_d_out_difference_marks_the_forms_a_product_brackets() -> None:
    """1 - y^2 is a difference (a product needs brackets round it); y (1 - y) is a product."""
    assert FUNCTIONS["tanh"].d_out_difference
    assert not FUNCTIONS["sigmoid"].d_out_difference
    for name, fn in FUNCTIONS.items():
        if fn.latex_d_out_of is not None:  # a top-level ' - ' outside brackets: a difference
            text = fn.latex_d_out_of("y", "y^{2}")
            depth, top_minus = 0, False
            for i in range(len(text)):
                depth += text.startswith(r"\left(", i) - text.startswith(r"\right)", i)
                top_minus |= depth == 0 and text.startswith(" - ", i)
            assert fn.d_out_difference == top_minus, name


# ------------------------------------------------------------------ Head.class_labels


def _loop_ce_of_label(z: np.ndarray, label: int) -> float:
    total = sum(math.exp(v) for v in z)
    return -(z[label] - math.log(total))


@pytest.mark.parametrize("name", sorted(HEADS))
def test_class_labels_only_where_a_label_is_a_one_hot_target(name: str) -> None:
    head = HEADS[name]
    assert head.class_labels == (name == "softmax_cross_entropy")
    if head.class_labels:  # the loss of the row e_label is -log softmax at the label (loop)
        rng = np.random.default_rng(3)
        z = rng.normal(size=(4, 5))
        for label in range(5):
            y = np.eye(5)[[label] * 4]
            got = head.numpy_loss(z, y)
            assert np.allclose(got, [_loop_ce_of_label(row, label) for row in z])


def test_codegen_reads_integer_labels_by_the_head_field() -> None:
    """Integer labels (T,) give the one-hot rows' gradients for softmax + CE; the same model
    with sigmoid + BCE (no class labels) refuses them, naming targets."""
    rng = np.random.default_rng(0)
    n, m, k, T = 3, 2, 2, 4
    P = {"U": rng.normal(size=(n, m)), "W": rng.normal(size=(n, n)) * 0.5,
         "b": rng.normal(size=n), "V": rng.normal(size=(k, n)), "c": rng.normal(size=k)}  # fmt: skip
    xs, labels = rng.normal(size=(T, m)), rng.integers(0, k, size=T)
    model = load("elman")
    grads = compile_gradients(model, n, m, k)
    by_label = grads(P, xs, targets=labels)
    by_rows = grads(P, xs, targets=np.eye(k)[labels])
    for key in by_rows:
        assert np.array_equal(by_label[key], by_rows[key])
    bce = dataclasses.replace(model, output="sigmoid", loss="binary_cross_entropy")
    with pytest.raises(InputError, match="targets"):
        compile_gradients(bce, n, m, k)(P, xs, targets=labels)


# ------------------------------------------------------------------ gated slips read the table


def test_gated_slips_write_f_prime_of_the_output_as_the_table_does() -> None:
    v = Sym("f", (Sym("t"),))
    one, two = Num(Fraction(1), "1"), Num(Fraction(2), "2")
    assert gated_slips._deriv_of("sigmoid", v) == Hop("\\odot", v, Sub(one, v))
    assert gated_slips._deriv_of("tanh", v) == Sub(one, Pow(v, two))
    for name in NO_OUTPUT_FORM:  # relu' is a step of the input, not v (1 - v)
        assert gated_slips._deriv_of(name, v) is None
    assert [gated_slips._function_of(s) for s in ("\\sigma", "sigmoid", "tanh", "relu", "f")] == [
        "sigmoid", "sigmoid", "tanh", "relu", "generic"]  # fmt: skip


RELU_CELL = r"""name: relu-mgu
description: a user's gated cell whose candidate is a relu
cell:
  states: [h]
  equations:
    - 'z_t = \sigma(W_z h_{t-1} + U_z x_t + b_z)'
    - 'n_t = \operatorname{relu}(W_n h_{t-1} + U_n x_t + b_n)'
    - 'h_t = (1 - z_t) \odot h_{t-1} + z_t \odot n_t'
symbols:
  loss: L
  step_loss: L
output: none
loss: generic
loss_at: every
sizes: {T: 2, n: 2, m: 2}
"""


def test_relu_derivative_in_a_users_cell_is_relus(tmp_path: Path) -> None:
    """dn_t/db_n = diag(relu'(a_t)) (a step of the pre-activation: checked here on a loop by
    central differences); sigma's output form written for it is wrong and named as no sigma slip."""
    rng = np.random.default_rng(1)
    W, U, b, h, x = (rng.normal(size=s) for s in ((2, 2), (2, 2), 2, 2, 2))
    a = W @ h + U @ x + b
    relu = lambda v: np.maximum(v, 0.0)  # noqa: E731
    cols = [(relu(a + e) - relu(a - e)) / 2e-6 for e in np.eye(2) * 1e-6]
    assert np.allclose(np.array(cols).T, np.diag((a > 0).astype(float)))

    path = tmp_path / "relu-mgu.yaml"
    path.write_text(RELU_CELL)
    model = load(str(path))
    ok = r"\frac{\partial n_t}{\partial b_n} = \operatorname{diag}(\operatorname{relu}'(W_n h_{t-1} + U_n x_t + b_n))"
    v = judge(AnswerSpec(id="a", answer=ok), model).as_dict()
    assert v["verdict"] == "correct", v["reason"]
    bad = r"\frac{\partial n_t}{\partial b_n} = \operatorname{diag}(n_t \odot (1 - n_t))"
    v = judge(AnswerSpec(id="b", answer=bad), model).as_dict()
    assert v["verdict"] == "wrong", v["reason"]
    assert "likely slip" not in v["reason"], v["reason"]


def test_tanh_output_form_on_a_pre_activation_is_named_from_the_table() -> None:
    """Homework 3's C~_t = tanh(a), a = W_C h_{t-1} + U_C x_t + b_C: dC~_t/db_C = diag(1 -
    tanh(a)^2) (central differences here), so 1 - a^2 is tanh's output form applied to a."""
    rng = np.random.default_rng(2)
    a = rng.normal(size=3)
    cols = [(np.tanh(a + e) - np.tanh(a - e)) / 2e-6 for e in np.eye(3) * 1e-6]
    assert np.allclose(np.array(cols).T, np.diag(1 - np.tanh(a) ** 2))
    assert not np.allclose(np.diag(1 - a**2), np.diag(1 - np.tanh(a) ** 2), atol=1e-2)
    pre = r"W_C h_{t-1} + U_C x_t + b_C"
    answer = (
        rf"\frac{{\partial \tilde{{C}}_t}}{{\partial b_C}} = \operatorname{{diag}}(1 - ({pre})^2)"
    )
    v = judge(AnswerSpec(id="a", answer=answer), load("homework3-lstm")).as_dict()
    assert v["verdict"] == "wrong"
    assert "likely slip: 1 - tanh^2 applied to the pre-activation" in v["reason"], v["reason"]
