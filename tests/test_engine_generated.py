"""The engine's hand-written fast paths equal the generated engine (`symbptt.cells.numeric`).

The generated engine interprets each cell's one statement (its IR); the fast paths in
`symbptt.engine` (vanilla) and `symbptt.engine_gated` (lstm, homework3-lstm, gru,
gru-reset-before) state the same cells by hand. Here both run on the same random point and
must agree on every state, gate, gradient and delta. (Each side is also tested on its own
against loop code and central differences.)
"""

from __future__ import annotations

import numpy as np
import pytest

from symbptt import engine
from symbptt.cells import CELLS, numeric

# the engine's name for a gate's delta, by the generated engine's quantity name
GATE = {"Ctilde": "C"}


@pytest.mark.parametrize("name", ["rnn", "lstm", "homework3-lstm", "gru", "gru-reset-before"])
@pytest.mark.parametrize("batch", [1, 3])
def test_fast_path_equals_generated_engine(name, batch):
    cell = CELLS[name]
    rs = np.random.RandomState(len(name) * 7 + batch)
    T, n, m = 5, 4, 3
    P = {p.key: rs.uniform(-0.8, 0.8, p.size(n, m)) for p in cell.params}
    xs = rs.uniform(-1, 1, (T, batch, m))
    s0 = {s: rs.uniform(-0.5, 0.5, (batch, n)) for s in cell.states}
    dh = rs.uniform(-1, 1, (T, batch, n))

    gen = numeric.forward(cell, P, xs, s0)
    ggen = numeric.backward(cell, gen, {"h": dh})

    c0 = s0[cell.states[1]] if len(cell.states) > 1 else None
    tr = engine.forward(P, xs, s0["h"], cell=cell, c0=c0, output=None)
    g = engine.backward(tr, dh=dh)

    def same(a, b, what):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, err_msg=f"{name}: {what}")

    same(tr.h, gen.values["h"], "h")
    for k in P:
        same(g[k], ggen[k], f"gradient {k}")
    same(g["h0"], ggen.states0["h"], "gradient h0")
    same(g["xs"], ggen.xs, "gradient xs")
    same(
        g.deltas["h"] if name != "rnn" else g.delta,
        ggen.deltas["pre:h" if name == "rnn" else "h"],
        "delta",
    )
    if name == "rnn":
        return
    if c0 is not None:
        c = cell.states[1]
        same(tr.c, gen.values[c], c)
        same(g["c0"], ggen.states0[c], "gradient c0")
        same(g.deltas[c], ggen.deltas[c], f"delta {c}")
    for q in gen.values:
        if q not in cell.states:
            same(tr.gates[GATE.get(q, q)], gen.values[q], f"gate {q}")
            same(g.deltas["a_" + GATE.get(q, q)], ggen.deltas["pre:" + q], f"delta pre:{q}")
