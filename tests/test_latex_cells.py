"""The rendered cell functions (the engine's own steps, activation passed in) compute the engine's
forward and backward."""

from __future__ import annotations

import numpy as np
import pytest

from symbptt import catalog, engine
from symbptt.latex.cells import (
    activation_functions,
    engine_activation,
    forward_step_for,
    rnn_cell_backward_step,
    rnn_cell_forward_step,
    rnn_cell_forward_step_no_bias,
    rnn_cell_forward_step_recurrent_first,
    rnn_cell_forward_step_recurrent_first_no_bias,
)

# independent formulas for f and f' (not the engine's table)
FORMULAS = {
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
    "identity": (lambda a: a, lambda a: np.ones_like(a)),
}


def col(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, dtype=float).reshape(-1, 1)


@pytest.mark.parametrize("forward", [rnn_cell_forward_step, rnn_cell_forward_step_recurrent_first])
@pytest.mark.parametrize("name", sorted(engine.ACTIVATIONS))
def test_cell_steps_equal_engine_forward_and_backward(name: str, forward) -> None:
    rs = np.random.RandomState(3)
    n, m, T = 3, 2, 4
    p = {"U": rs.randn(n, m), "W": rs.randn(n, n) * 0.8, "b": rs.randn(n)}
    xs, h0, dh = rs.randn(T, m), rs.randn(n), rs.randn(T, n)
    tr = engine.forward(p, xs, h0, activation=name, output=None)
    g = engine.backward(tr, dh=dh)
    f, fprime = activation_functions(name)
    h = col(h0)
    for t in range(T):
        h = forward(p["U"], p["W"], col(p["b"]), col(xs[t]), h, f)
        np.testing.assert_allclose(h[:, 0], tr.h[t], rtol=1e-13, atol=1e-15)
    nu = np.zeros((n, 1))
    for t in range(T - 1, -1, -1):
        nu = rnn_cell_backward_step(p["W"], col(tr.net[t]), col(dh[t]), nu, fprime)
        np.testing.assert_allclose(nu[:, 0], g.delta[t], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(engine.ACTIVATIONS))
def test_activation_functions_are_the_named_activation(name: str) -> None:
    f, fprime = activation_functions(name)
    a = np.linspace(-3, 3, 13) + 0.01  # avoid relu's kink at 0
    want_f, want_fp = FORMULAS[name]
    np.testing.assert_allclose(f(a), want_f(a), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fprime(a), want_fp(a), rtol=1e-12, atol=1e-15)


def test_the_rendered_cells_are_the_engines_own_functions() -> None:
    """No copy of the step in latex.cells: every function it renders lives in symbptt.engine."""
    for name in catalog.builtin_names():
        model = catalog.load(name)
        if model.is_gated:
            continue
        fwd = forward_step_for(model)
        assert fwd is getattr(engine, fwd.__name__) and fwd.__module__ == "symbptt.engine"
    assert rnn_cell_backward_step is engine.rnn_cell_backward_step


def test_every_builtin_uses_its_own_activation() -> None:
    # blog and homework use sigma, the others tanh (the tutorial's generic f: the tanh stand-in)
    got = {name: engine_activation(catalog.load(name)) for name in catalog.builtin_names()}
    assert got["blog"] == got["homework3"] == "sigmoid"
    assert got["dl4nlp"] == got["course-notes"] == got["tutorial"] == "tanh"


@pytest.mark.parametrize(
    "forward", [rnn_cell_forward_step_no_bias, rnn_cell_forward_step_recurrent_first_no_bias]
)
def test_cells_without_bias_equal_the_engine_with_a_zero_bias(forward) -> None:
    rs = np.random.RandomState(5)
    n, m, T = 3, 2, 4
    p = {"U": rs.randn(n, m), "W": rs.randn(n, n) * 0.8, "b": np.zeros(n)}
    xs, h0 = rs.randn(T, m), rs.randn(n)
    tr = engine.forward(p, xs, h0, activation="sigmoid", output=None)
    f, _ = activation_functions("sigmoid")
    h = col(h0)
    for t in range(T):
        h = forward(p["U"], p["W"], col(xs[t]), h, f)
        np.testing.assert_allclose(h[:, 0], tr.h[t], rtol=1e-13, atol=1e-15)
