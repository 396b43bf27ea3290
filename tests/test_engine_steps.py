"""The engine's step functions (the ones latexify renders) equal the generated engine, step by step.

`symbptt.engine.rnn_cell_forward_step` and its three term orders, and `rnn_cell_backward_step`,
are what the documents print; `symbptt.cells.numeric` interprets the vanilla cell's one
statement (`cells.builtin.rnn`). Both run on one random point for every activation of the
functions table (a generic f with its numeric stand-in) and every bias / term order, and must
agree on every h_t and every total error delta_t = dE/dnet_t.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from symbptt import catalog, engine
from symbptt.cells import numeric
from symbptt.cells.builtin import rnn
from symbptt.cells.functions import FUNCTIONS
from symbptt.latex import cells as latex_cells
from symbptt.model import Role

STEPS = {  # (bias, recurrent_first) -> the engine's forward step
    (True, False): engine.rnn_cell_forward_step,
    (True, True): engine.rnn_cell_forward_step_recurrent_first,
    (False, False): engine.rnn_cell_forward_step_no_bias,
    (False, True): engine.rnn_cell_forward_step_recurrent_first_no_bias,
}


def col(v: np.ndarray) -> np.ndarray:
    return np.asarray(v, dtype=float).reshape(-1, 1)


@pytest.mark.parametrize("bias, first", sorted(STEPS))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_engine_steps_equal_the_generated_engine(name: str, bias: bool, first: bool) -> None:
    cell = rnn(name, bias=bias, recurrent_first=first)
    rs = np.random.RandomState(7)
    n, m, T = 3, 2, 4
    p = {q.key: rs.uniform(-0.9, 0.9, q.size(n, m)) for q in cell.params}
    xs, h0, dh = rs.randn(T, 1, m), rs.randn(1, n), rs.randn(T, 1, n)
    gen = numeric.forward(cell, p, xs, {"h": h0})
    grads = numeric.backward(cell, gen, {"h": dh})
    fn = FUNCTIONS[name]  # the table's numpy f and f' (a generic f: its numeric stand-in)

    step = STEPS[(bias, first)]
    args = (p["U"], p["W"], col(p["b"])) if bias else (p["U"], p["W"])
    h = col(h0)
    nets = []
    for t in range(T):
        nets.append(args[0] @ col(xs[t]) + args[1] @ h + (args[2] if bias else 0.0))
        h = step(*args, col(xs[t]), h, fn.numpy)
        np.testing.assert_allclose(h[:, 0], gen.values["h"][t, 0], rtol=1e-13, atol=1e-15)
    delta = np.zeros((n, 1))
    for t in range(T - 1, -1, -1):
        delta = engine.rnn_cell_backward_step(p["W"], nets[t], col(dh[t]), delta, fn.d_in)
        np.testing.assert_allclose(delta[:, 0], grads.deltas["pre:h"][t, 0], rtol=1e-12, atol=1e-14)


def test_the_backward_step_is_not_the_forward_steps_identity() -> None:
    """Not vacuous: a backward step without W^T delta_{t+1} disagrees with the generated one."""
    cell = rnn("tanh")
    rs = np.random.RandomState(8)
    p = {q.key: rs.uniform(-0.9, 0.9, q.size(3, 2)) for q in cell.params}
    xs, h0, dh = rs.randn(3, 1, 2), rs.randn(1, 3), rs.randn(3, 1, 3)
    gen = numeric.forward(cell, p, xs, {"h": h0})
    want = numeric.backward(cell, gen, {"h": dh}).deltas["pre:h"][0, 0]
    fp = FUNCTIONS["tanh"].d_in
    nets = [gen.values["h"][t, 0] for t in range(3)]  # wrong on purpose: h_t for net_t
    delta = np.zeros((3, 1))
    for t in (2, 1, 0):
        delta = engine.rnn_cell_backward_step(p["W"], col(nets[t]), col(dh[t]), delta, fp)
    assert not np.allclose(delta[:, 0], want, rtol=1e-6)


@pytest.mark.parametrize("bias, first", sorted(STEPS))
def test_latexify_renders_the_engines_own_step(bias: bool, first: bool) -> None:
    """latex.cells keeps no step of its own: what it renders is the engine's function object."""
    model = catalog.load("elman")  # U x_t + W h_{t-1} + b: every variant made from it
    params = {r: v for r, v in model.notation.parameters.items() if bias or r != Role.HIDDEN_BIAS}
    notation = replace(model.notation, parameters=params, recurrent_first=first)
    model = replace(model, notation=notation)
    fwd = latex_cells.forward_step_for(model)
    assert fwd is STEPS[(bias, first)] and fwd.__module__ == "symbptt.engine"
    rendered = latex_cells.engine_cells(model)
    assert [c.function for c in rendered] == [fwd.__name__, "rnn_cell_backward_step"]
    defined_here = [
        v.__name__
        for v in vars(latex_cells).values()
        if callable(v) and getattr(v, "__module__", "") == latex_cells.__name__
    ]
    assert not [d for d in defined_here if d.startswith("rnn_cell")]
