"""The cell IR: validation errors one by one, printing, the function and head tables."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from symbptt.cells import CELLS, Cell, Equation, Param
from symbptt.cells.expr import Add, Apply, Hadamard, Input, MatMul, OneMinus, ParamRef, Prev, Ref
from symbptt.cells.functions import FUNCTIONS, NUMERIC_STAND_IN, function
from symbptt.cells.heads import HEADS, head, head_for
from symbptt.errors import InputError

U, W, b = ParamRef("U"), ParamRef("W"), ParamRef("b")
PARAMS = (Param("U", ("n", "m")), Param("W", ("n", "n")), Param("b", ("n",)))
PRE = Add((MatMul(U, Input()), MatMul(W, Prev("h")), b))


def make(
    *eqs: Equation, params: tuple[Param, ...] = PARAMS, states: tuple[str, ...] = ("h",)
) -> Cell:
    return Cell("test", params, states, eqs)


def test_a_well_formed_cell_prints_its_equations() -> None:
    cell = make(Equation("h", Apply("tanh", PRE)))
    assert str(cell).splitlines()[-1] == "  h = tanh(U x + W h[t-1] + b)"
    assert cell.readout == "h" and cell.quantities == ("h",)


@pytest.mark.parametrize(
    ("eqs", "params", "states", "message"),
    [
        ((Equation("h", Apply("tanh", PRE)), Equation("h", Apply("tanh", PRE))), PARAMS, ("h",),
         r"equation 'h': 'h' is defined twice"),
        ((Equation("h", Apply("tanh", Add((Ref("a"), PRE)))), Equation("a", Apply("tanh", PRE))),
         PARAMS, ("h",), r"equation 'h': 'a' is used before it is defined"),
        ((Equation("a", Apply("tanh", PRE)),), PARAMS, ("h",),
         r"state 'h' is never updated"),
        ((Equation("h", Apply("tanh", Add((MatMul(U, Input()), b)))),),
         (Param("U", ("n", "m")), Param("b", ("n",))), ("h",),
         r"equation 'h': state 'h' does not depend on any state at t-1"),
        ((Equation("h", Apply("tanh", Add((MatMul(W, Input()), MatMul(U, Prev("h")), b)))),),
         PARAMS, ("h",), r"equation 'h': W \(n, n\) times x \(m entries\): shapes do not agree"),
        ((Equation("h", Apply("tanh", Add((PRE, Input())))),), PARAMS, ("h",),
         r"equation 'h': \+ of vectors with n and m entries"),
        ((Equation("h", Apply("tanh", Add((PRE, W)))),), PARAMS, ("h",),
         r"equation 'h': matrix 'W' \(n, n\) must multiply a vector"),
        ((Equation("h", Apply("tanh", Add((PRE, ParamRef("V"))))),), PARAMS, ("h",),
         r"equation 'h': 'V' is not a declared parameter"),
        ((Equation("h", Apply("softplus", PRE)),), PARAMS, ("h",),
         r"equation 'h': unknown function 'softplus'"),
        ((Equation("h", Apply("tanh", Add((PRE, Prev("c"))))),), PARAMS, ("h",),
         r"equation 'h': c\[t-1\] is not a state"),
        ((Equation("h", Apply("tanh", PRE)),), (*PARAMS, Param("V", ("n", "n"))), ("h",),
         r"parameter 'V' is declared but never used"),
        ((Equation("h", Apply("tanh", PRE)),), (*PARAMS, Param("b", ("n",))), ("h",),
         r"parameter 'b' declared twice"),
        ((Equation("h", Apply("tanh", PRE)),), (Param("U", ("m", "n")), *PARAMS[1:]), ("h",),
         r"parameter 'U' has shape \('m', 'n'\)"),
        ((Equation("U", Apply("tanh", PRE)),), PARAMS, ("U",),
         r"equation 'U': 'U' is already a parameter's key"),
        ((Equation("h", Apply("tanh", MatMul(b, Prev("h")))),), PARAMS, ("h",),
         r"'b' is a vector \(n,\); it cannot multiply"),
        ((Equation("h", Apply("tanh", PRE)),), PARAMS, (),
         r"no states"),
    ],
)  # fmt: skip
def test_validation_names_the_equation_and_symbol(
    eqs: tuple[Equation, ...], params: tuple[Param, ...], states: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        make(*eqs, params=params, states=states)


def test_builtin_cells_have_the_issue_keys() -> None:
    lstm = {f"{k}_{g}" for g in "ifgo" for k in "UWb"}
    gru = {f"{k}_{g}" for g in "zrn" for k in "UWb"}
    assert set(CELLS["lstm"].param_keys) == lstm
    assert set(CELLS["gru"].param_keys) == gru | {"b_hn"}
    assert set(CELLS["gru-reset-before"].param_keys) == gru
    assert set(CELLS["homework3-lstm"].param_keys) == {f"{k}_{g}" for g in "fiCo" for k in "UWb"}
    assert CELLS["lstm"].states == ("h", "c") and CELLS["homework3-lstm"].states == ("h", "C")
    for name in ("lstm", "homework3-lstm", "gru", "gru-reset-before"):
        for p in CELLS[name].params:
            want = {"U": ("n", "m"), "W": ("n", "n"), "b": ("n",)}[p.key[0]]
            assert p.shape == want, p.key


def test_gru_update_and_candidate_as_published() -> None:
    h_eq = CELLS["gru"].equation("h").rhs
    assert str(h_eq) == "z * h[t-1] + (1 - z) * n"
    assert isinstance(h_eq, Add) and isinstance(h_eq.terms[1], Hadamard)
    assert isinstance(h_eq.terms[1].left, OneMinus)
    assert str(CELLS["gru"].equation("n").rhs) == "tanh(U_n x + b_n + r * (W_n h[t-1] + b_hn))"
    assert (
        str(CELLS["gru-reset-before"].equation("n").rhs) == "tanh(W_n (r * h[t-1]) + U_n x + b_n)"
    )


def test_function_table() -> None:
    assert set(FUNCTIONS) == {"sigmoid", "tanh", "relu", "identity", "generic"}
    bounds = {k: f.bound for k, f in FUNCTIONS.items()}
    assert bounds == {
        "sigmoid": Fraction(1, 4),
        "tanh": 1,
        "relu": 1,
        "identity": 1,
        "generic": None,
    }
    x = np.linspace(-3, 3, 13)
    for name, f in FUNCTIONS.items():
        y = f.numpy(x)
        fd = (f.numpy(x + 1e-6) - f.numpy(x - 1e-6)) / 2e-6
        mask = np.abs(x) > 1e-3  # relu's kink
        np.testing.assert_allclose(
            f.prime(x, y)[mask], fd[mask], rtol=1e-6, atol=1e-9, err_msg=name
        )
        if f.bound is not None:
            assert np.all(np.abs(f.d_in(x)) <= float(f.bound) + 1e-15)
    # the output forms the texts write: sigma(1 - sigma), 1 - tanh^2
    s = sp.Symbol("s")
    assert FUNCTIONS["sigmoid"].sympy_d_out(s) == s * (1 - s)
    assert FUNCTIONS["tanh"].sympy_d_out(s) == 1 - s**2
    z = sp.Symbol("z", real=True)
    sigma = FUNCTIONS["sigmoid"].sympy(z)
    assert (
        sp.simplify(sp.diff(sigma.rewrite(sp.exp), z) - (sigma * (1 - sigma)).rewrite(sp.exp)) == 0
    )
    assert NUMERIC_STAND_IN == "tanh"
    np.testing.assert_allclose(FUNCTIONS["generic"].numpy(x), np.tanh(x))
    with pytest.raises(InputError, match="unknown function 'elu'"):
        function("elu")


def test_heads_table_gradients_by_central_differences() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4))
    targets = {
        "softmax_cross_entropy": np.eye(4)[[0, 2, 3]],
        "identity_squared_error": rng.normal(size=(3, 4)),
        "sigmoid_binary_cross_entropy": rng.integers(0, 2, size=(3, 4)).astype(float),
    }
    for name, y in targets.items():
        h = HEADS[name]
        fd = np.zeros_like(z)
        for idx in np.ndindex(z.shape):
            up, dn = z.copy(), z.copy()
            up[idx] += 1e-6
            dn[idx] -= 1e-6
            fd[idx] = (h.numpy_loss(up, y).sum() - h.numpy_loss(dn, y).sum()) / 2e-6
        np.testing.assert_allclose(h.numpy_grad(z, y), fd, rtol=1e-6, atol=1e-9, err_msg=name)
        zs = sp.symbols("z0:4")
        loss = h.sympy_loss(list(zs), list(y[0]))
        val = float(loss.subs(dict(zip(zs, z[0], strict=True))).evalf())
        assert abs(val - h.numpy_loss(z[:1], y[:1])[0]) < 1e-12, name
    assert not head("generic").has_output_layer
    assert head_for("softmax", "cross_entropy").name == "softmax_cross_entropy"
    with pytest.raises(InputError, match="is not a head"):
        head_for("softmax", "squared_error")


def test_every_vanilla_derivation_is_the_rnn_cell_with_its_activation_bias_and_order() -> None:
    """Model.cell_def of each shipped vanilla file runs like the engine's vanilla fast path."""
    from symbptt import catalog, engine
    from symbptt.cells.numeric import forward
    from symbptt.model import Role

    rng = np.random.default_rng(0)
    for name in catalog.builtin_names():
        model = catalog.load(name)
        cell = model.cell_def
        (eq,) = cell.equations
        has_bias = Role.HIDDEN_BIAS in model.notation.parameters
        assert ("b" in cell.param_keys) == has_bias, name
        first = "W h[t-1]" if model.notation.recurrent_first else "U x"
        assert str(eq.rhs.arg).startswith(first), name  # type: ignore[attr-defined]
        n, m, T = 3, 2, 4
        p = {q.key: rng.normal(0, 0.6, size=q.size(n, m)) for q in cell.params}
        xs, h0 = rng.normal(size=(T, 1, m)), rng.normal(size=(1, n))
        act = FUNCTIONS[eq.rhs.function]  # type: ignore[attr-defined]
        fast = engine.forward(
            p | ({} if has_bias else {"b": np.zeros(n)}),
            xs,
            h0,
            activation="tanh" if model.activation == "generic" else model.activation,
            output=None,
        )
        got = forward(cell, p, xs, {"h": h0}).values["h"]
        np.testing.assert_allclose(got, np.asarray(fast.h), rtol=1e-12, atol=1e-14, err_msg=name)
        assert act.name == model.activation
