"""Cells stated as LaTeX equations: read into the IR, run numerically against loop code written
here from the same equations, and every format error named with its file, line and symbol."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt.cells import numeric
from symbptt.cells.builtin import gru_reset_before
from symbptt.cells.from_latex import CellSource, cell_from_latex, key_of
from symbptt.errors import InputError

MGU = [
    r"z_t = \sigma(W_z h_{t-1} + U_z x_t + b_z)",
    r"\tilde{h}_t = \tanh(W h_{t-1} + U x_t + b)",
    r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde{h}_t",
]
PEEPHOLE = [
    r"i_t = \sigma(W_i h_{t-1} + U_i x_t + P_i \odot c_{t-1} + b_i)",
    r"f_t = \sigma(W_f h_{t-1} + U_f x_t + P_f \odot c_{t-1} + b_f)",
    r"g_t = \tanh(W_g h_{t-1} + U_g x_t + b_g)",
    r"c_t = f_t \odot c_{t-1} + i_t \odot g_t",
    r"o_t = \sigma(W_o h_{t-1} + U_o x_t + P_o \odot c_t + b_o)",
    r"h_t = o_t \odot \tanh(c_t)",
]


def _cell(eqs: list[str], states: list[str], **kw: object):
    return cell_from_latex("user", [CellSource(e, f"my.yaml:{i + 5}") for i, e in enumerate(eqs)],
                           states, where="my.yaml:3", **kw)  # type: ignore[arg-type]  # fmt: skip


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _params(cell, n: int, m: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {p.key: rng.normal(size=p.size(n, m)) * 0.7 for p in cell.params}


def test_keys_of_written_names() -> None:
    assert key_of(r"\tilde{h}") == "h_tilde" and key_of(r"\alpha") == "alpha"
    assert key_of(r"\mathbf{h}") == "h" and key_of("C") == "C"


def test_minimal_gated_unit_runs_as_its_equations() -> None:
    cell = _cell(MGU, ["h"])
    shapes = {p.key: p.shape for p in cell.params}
    assert shapes == {"W_z": ("n", "n"), "U_z": ("n", "m"), "b_z": ("n",), "W": ("n", "n"),
                      "U": ("n", "m"), "b": ("n",)}  # fmt: skip
    assert dict(cell.latex)["h_tilde"] == r"\tilde{h}"
    rng = np.random.default_rng(1)
    n, m, T = 3, 2, 4
    P = _params(cell, n, m, rng)
    xs = rng.normal(size=(T, 1, m))
    trace = numeric.forward(cell, P, xs, None)
    h = np.zeros(n)  # the loop, written from the three equations above
    for t in range(T):
        x = xs[t, 0]
        z = _sig(P["W_z"] @ h + P["U_z"] @ x + P["b_z"])
        ht = np.tanh(P["W"] @ h + P["U"] @ x + P["b"])
        h = (1 - z) * h + z * ht
        np.testing.assert_allclose(trace.values["h"][t, 0], h, rtol=1e-12, atol=1e-12)


def test_peephole_lstm_gradient_matches_central_differences() -> None:
    cell = _cell(PEEPHOLE, ["h", "c"])
    assert {p.key: p.shape for p in cell.params}["P_o"] == ("n",)
    rng = np.random.default_rng(2)
    n, m, T = 2, 2, 3
    P = _params(cell, n, m, rng)
    xs = rng.normal(size=(T, 1, m))
    a = rng.normal(size=(T, 1, n))

    def loss(p: dict[str, np.ndarray]) -> float:  # L = sum_t <a_t, h_t>, by a loop from above
        h, c, total = np.zeros(n), np.zeros(n), 0.0
        for t in range(T):
            x = xs[t, 0]
            i = _sig(p["W_i"] @ h + p["U_i"] @ x + p["P_i"] * c + p["b_i"])
            f = _sig(p["W_f"] @ h + p["U_f"] @ x + p["P_f"] * c + p["b_f"])
            g = np.tanh(p["W_g"] @ h + p["U_g"] @ x + p["b_g"])
            c = f * c + i * g
            o = _sig(p["W_o"] @ h + p["U_o"] @ x + p["P_o"] * c + p["b_o"])
            h = o * np.tanh(c)
            total += float(a[t, 0] @ h)
        return total

    grads = numeric.backward(cell, numeric.forward(cell, P, xs, None), {"h": a})
    eps = 1e-6
    for key in ("P_i", "P_o", "W_f", "U_g"):
        fd = np.zeros_like(P[key])
        for idx in np.ndindex(P[key].shape):
            up = {k: v.copy() for k, v in P.items()}
            dn = {k: v.copy() for k, v in P.items()}
            up[key][idx] += eps
            dn[key][idx] -= eps
            fd[idx] = (loss(up) - loss(dn)) / (2 * eps)
        np.testing.assert_allclose(grads.params[key], fd, rtol=1e-6, atol=1e-8)


def test_gru_written_in_latex_is_the_builtin_reset_before_gru() -> None:
    cell = _cell(
        [
            r"z_t = \sigma(U_z x_t + W_z h_{t-1} + b_z)",
            r"r_t = \sigma(U_r x_t + W_r h_{t-1} + b_r)",
            r"n_t = \tanh(W_n (r_t \odot h_{t-1}) + U_n x_t + b_n)",
            r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot n_t",
        ],
        ["h"],
    )
    assert cell.equations == gru_reset_before().equations
    assert {p.key: p.shape for p in cell.params} == {
        p.key: p.shape for p in gru_reset_before().params
    }


def test_time_as_a_superscript_and_the_bias_first() -> None:
    cell = _cell([r"a^{(t)} = b + W h^{(t-1)} + U x^{(t)}", r"h^{(t)} = \tanh(a^{(t)})"], ["h"])
    assert str(cell.equation("a").rhs) == "b + W h[t-1] + U x"


def test_stated_shapes_and_function_names() -> None:
    cell = _cell([r"h_t = g(W h_{t-1} + U x_t)"], ["h"], functions={"g": "relu"},
                 shapes={"W": ("n", "n")})  # fmt: skip
    assert str(cell.equation("h").rhs).startswith("relu(")
    with pytest.raises(InputError, match=r"my\.yaml:5.*stated shape \(n, m\) but its use needs"):
        _cell([r"h_t = \tanh(W h_{t-1} + U x_t)"], ["h"], shapes={"W": ("n", "m")})


@pytest.mark.parametrize(
    ("eqs", "states", "place", "words"),
    [
        ([r"h_t = \tanh(W h_{t-1} + U x_t + q_t)"], ["h"], "my.yaml:5", "q_t is not defined"),
        ([r"h_t = \tanh(W h_{t-1})", r"h_t = U x_t"], ["h"], "my.yaml:6",
         "h is defined twice (first at my.yaml:5)"),
        ([r"a_t = W h_{t-1} + b_t", r"b_t = U x_t", r"h_t = \tanh(a_t)"], ["h"], "my.yaml:5",
         "b_t is defined only later: a cycle within one step"),
        ([r"h_t = \tanh(W h_{t-1}) + h_t"], ["h"], "my.yaml:5", "defined by itself"),
        ([r"h_t = g(W h_{t-1})"], ["h"], "my.yaml:5", "unknown function g"),
        ([r"h_t = \tanh(U x_t)"], ["h"], "my.yaml:5", "does not depend on any state at t-1"),
        ([r"a_t = \tanh(W h_{t-1})"], ["h"], "my.yaml:3", "state h is never updated"),
        ([r"h_t = \tanh(W h_{t-1} + W x_t)"], ["h"], "my.yaml:5",
         "parameter W: used in two shapes"),
        ([r"h_t = \tanh(W c_{t-1})"], ["h"], "my.yaml:5", "c is not a state"),
        ([r"h_t = \tanh(W h_{t-2})"], ["h"], "my.yaml:5", "a step sees only t and t-1"),
        ([r"h_t = z_t h_{t-1}", r"z_t = W x_t"], ["h"], "my.yaml:5",
         "only a parameter matrix may multiply a vector"),
        ([r"h_t = 2 \tanh(W h_{t-1})"], ["h"], "my.yaml:5", "the number 2"),
        ([r"h_t + 1 = W h_{t-1}"], ["h"], "my.yaml:5", "the left side must be a quantity"),
        ([r"h_t = \tanh(W h_{t-1}"], ["h"], "my.yaml:5", "cannot read it"),
    ],
)  # fmt: skip
def test_format_errors_name_file_line_and_symbol(
    eqs: list[str], states: list[str], place: str, words: str
) -> None:
    with pytest.raises(InputError) as err:
        _cell(eqs, states)
    assert words in str(err.value) and str(err.value).startswith(place)
