"""The unrolled vanilla graph takes its cell, activation, outputs and losses from the tables.

Values: for every head (and the generic loss's squared-error stand-in on each output) and every
activation, yhat_t and E of `unroll` at a random point equal a plain loop over the published
formulas (softmax, sigma, -sum y log yhat, 1/2 ||yhat - y||^2, BCE), written here with floats.
Provenance: with a table entry or the cell's statement swapped, the graph changes with it, so
unroll cannot carry hand-written copies of the step, the activations or the losses.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import replace
from types import MappingProxyType

import numpy as np
import pytest
import sympy as sp

from symbptt import catalog
from symbptt.cells import heads
from symbptt.cells.builtin import rnn
from symbptt.cells.cell import Cell, Equation
from symbptt.cells.expr import Add, Apply, MatMul, ParamRef, Prev
from symbptt.model import Model, Role
from symbptt.symbolic.unroll import Unrolled
from symbptt.symbolic.unroll import unroll as unroll_fn

# the module itself (`symbptt.symbolic.unroll` as an attribute is the function)
UNROLL_MODULE = importlib.import_module("symbptt.symbolic.unroll")

ACT = {
    "tanh": math.tanh,
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
    "relu": lambda a: max(a, 0.0),
    "identity": lambda a: a,
    "generic": math.tanh,  # a generic f runs as tanh (the functions table's stand-in)
}
OUT = {
    "softmax": lambda z: [math.exp(v) / sum(math.exp(w) for w in z) for v in z],
    "sigmoid": lambda z: [1 / (1 + math.exp(-v)) for v in z],
    "identity": lambda z: list(z),
}
LOSS = {
    "cross_entropy": lambda p, y: -sum(yj * math.log(pj) for pj, yj in zip(p, y, strict=True)),
    "squared_error": lambda p, y: 0.5 * sum((pj - yj) ** 2 for pj, yj in zip(p, y, strict=True)),
    "binary_cross_entropy": lambda p, y: (
        -sum(yj * math.log(pj) + (1 - yj) * math.log(1 - pj) for pj, yj in zip(p, y, strict=True))
    ),
}
PAIRS = [
    ("softmax", "cross_entropy"),
    ("identity", "squared_error"),
    ("sigmoid", "binary_cross_entropy"),
    ("softmax", "generic"),  # the generic loss runs as 1/2 ||yhat - y||^2 (its stand-in)
    ("sigmoid", "generic"),
    ("identity", "generic"),
]


def _model(activation: str, output: str, loss: str, loss_at: str = "every") -> Model:
    return replace(
        catalog.load("elman"), activation=activation, output=output, loss=loss, loss_at=loss_at
    )


def _point(u: Unrolled, rng: np.random.Generator) -> dict[sp.Symbol, float]:
    vals: dict[sp.Symbol, float] = {}
    for s in u.inputs():
        vals[s] = float(rng.uniform(0.1, 0.9) if s.name.startswith("y") else rng.normal(0, 0.8))
    return vals


def _loop(u: Unrolled, v: dict[sp.Symbol, float], act, out, loss) -> tuple[float, list]:
    """E and yhat_t by plain loops over the published equations (entries by index)."""
    P = {r: [[v[s] for s in u.params[r].row(i)] for i in range(u.params[r].rows)] for r in u.params}
    n, k = u.n, u.k
    h = [v[s] for s in u.h0]
    E, yhats = 0.0, []
    for t in range(u.T):
        x = [v[s] for s in u.xs[t]]
        net = [
            sum(P[Role.INPUT][i][j] * x[j] for j in range(u.m))
            + sum(P[Role.RECURRENT][i][j] * h[j] for j in range(n))
            + P[Role.HIDDEN_BIAS][i][0]
            for i in range(n)
        ]
        h = [act(a) for a in net]
        z = [
            sum(P[Role.OUTPUT][i][j] * h[j] for j in range(n)) + P[Role.OUTPUT_BIAS][i][0]
            for i in range(k)
        ]
        p = out(z)
        yhats.append(p)
        if t + 1 in u.loss_steps:
            E += loss(p, [v[s] for s in u.targets[t]])
    return E, yhats


@pytest.mark.parametrize("output, loss", PAIRS)
@pytest.mark.parametrize("activation", sorted(ACT))
def test_loss_and_output_equal_the_published_formulas(activation, output, loss) -> None:
    rng = np.random.default_rng(len(activation) * 31 + len(output) * 7 + len(loss))
    for loss_at in ("every", "last"):
        u = unroll_fn(_model(activation, output, loss, loss_at), 2, 2, 2, 3)
        v = _point(u, rng)
        want_E, want_yhat = _loop(
            u, v, ACT[activation], OUT[output], LOSS.get(loss, LOSS["squared_error"])
        )
        got_E = float(u.E.xreplace(v).evalf(30))
        assert got_E == pytest.approx(want_E, rel=1e-12, abs=1e-14), (loss_at, got_E, want_E)
        for t in range(u.T):
            got = [float(e.xreplace(v).evalf(30)) for e in u.yhat[t]]
            np.testing.assert_allclose(got, want_yhat[t], rtol=1e-12)


def test_a_wrong_loss_is_told_apart() -> None:
    """Not vacuous: the loop of another published loss disagrees with the graph's E."""
    u = unroll_fn(_model("tanh", "softmax", "cross_entropy"), 2, 2, 2, 3)
    v = _point(u, np.random.default_rng(5))
    wrong, _ = _loop(u, v, math.tanh, OUT["softmax"], LOSS["squared_error"])
    assert float(u.E.xreplace(v).evalf(30)) != pytest.approx(wrong, rel=1e-6)


def test_the_losses_and_outputs_come_from_the_heads_table(monkeypatch) -> None:
    """Swap the table's softmax + cross-entropy head: unroll's yhat and E follow it."""
    a, b = sp.Symbol("swapped_output"), sp.Symbol("swapped_loss")
    entry = replace(
        heads.HEADS["softmax_cross_entropy"],
        sympy_output=lambda z: [a * zj for zj in z],
        sympy_step_loss=lambda z, yhat, y: b * sp.Add(*yhat),
    )
    table = MappingProxyType({**heads.HEADS, "softmax_cross_entropy": entry})
    monkeypatch.setattr(heads, "HEADS", table)
    u = unroll_fn(_model("tanh", "softmax", "cross_entropy"), 1, 2, 2, 2)
    z = u.z_sym[0]
    assert list(u.yhat_def[0]) == [a * z[0], a * z[1]]
    assert u.loss_def[0] == b * (a * z[0] + a * z[1])


def test_the_activation_comes_from_the_functions_table(monkeypatch) -> None:
    """Swap the table's tanh for another closed form: h_t = f(net_t) follows it."""
    fns = dict(UNROLL_MODULE.FUNCTIONS)
    fns["tanh"] = replace(fns["tanh"], closed=lambda x: x**3)
    monkeypatch.setattr(UNROLL_MODULE, "FUNCTIONS", MappingProxyType(fns))
    u = unroll_fn(_model("tanh", "softmax", "cross_entropy"), 1, 2)
    net = u.net_sym[0]
    assert list(u.h_def[0]) == [net[0] ** 3, net[1] ** 3]


def test_the_pre_activation_comes_from_the_cells_statement(monkeypatch) -> None:
    """A model whose cell states net_t = W h_{t-1} + b (no input term) unrolls without U."""
    cell = Cell(
        "rnn",
        tuple(q for q in rnn().params if q.key != "U"),
        ("h",),
        (Equation("h", Apply("tanh", Add((MatMul(ParamRef("W"), Prev("h")), ParamRef("b"))))),),
    )
    monkeypatch.setattr(Model, "cell_def", property(lambda self: cell))
    u = unroll_fn(_model("tanh", "softmax", "cross_entropy"), 2, 2)
    U = set(u.params[Role.INPUT])
    assert not (u.net_def[1].free_symbols & U)
    assert u.net_def[1] == u.params[Role.RECURRENT] * u.h_sym[0] + u.params[Role.HIDDEN_BIAS]


def test_a_gated_model_is_refused_with_the_way_to_unroll_it() -> None:
    from symbptt.errors import InputError

    with pytest.raises(InputError, match=r"cell 'lstm' is not h_t = f\(net_t\)"):
        unroll_fn(catalog.load("lstm"), 2, 2)
