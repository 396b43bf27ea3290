"""Gradient-flow figures of a gated cell: the direct path prod diag(q_i) against the total Jacobians.

For the state s whose step partial is diag(q) (the LSTM's c with its forget gate f, the GRU's h
with its update gate z; found by `cells.carousel.carried_state`, not typed in, and passed in by
the site's build driver `site.generate`: this module runs numbers, never the algebra), plotted against t - k
at a random point of the generated engine (`cells.numeric`): ||prod_{i=k+1}^{t} diag(q_i)||_2
(the direct path), the total ||ds_t/ds_k||_2 and, for a two-state cell, ||dh_t/dh_k||_2 (all
paths after step k, the states at k independent). Deterministic: fixed seeds, no timestamps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from symbptt.cells.cell import Cell
from symbptt.cells.numeric import backward, forward
from symbptt.model import Model
from symbptt.site.plots import Figure, _png, plt

if TYPE_CHECKING:  # the record only: this module runs numbers, never the algebra
    from symbptt.cells.carousel import CarriedGate

STEPS, N = 30, 6


def jacobian_norms(
    cell: Cell,
    params: dict[str, np.ndarray],
    xs: np.ndarray,
    states0: dict[str, np.ndarray],
    s: str,
) -> np.ndarray:
    """||d s_T / d s_k||_2 for k = T-1, ..., 0 (lag 1..T), the other states at k held as inputs."""
    T = xs.shape[0]
    tr = forward(cell, params, xs[:, None, :], {k: v[None, :] for k, v in states0.items()})
    n = tr.values[s].shape[-1]
    out = []
    for k in range(T - 1, -1, -1):
        start = {q: np.repeat((tr.values[q][k - 1] if k > 0 else states0[q][None, :]), n, 0)
                 for q in cell.states}  # fmt: skip
        sub = forward(cell, params, np.repeat(xs[k:, None, :], n, 1), start)
        d = np.zeros((T - k, n, n))
        d[-1] = np.eye(n)
        J = backward(cell, sub, {s: d}).states0[s]  # row j: d <e_j, s_T> / d s_k
        out.append(float(np.linalg.norm(J, 2)))
    return np.array(out)


def flow_figure(
    model: Model, carried: CarriedGate, *, gate_bias: float = 0.0, seed: int = 0
) -> Figure:
    """The direct path against the total Jacobians, with the carried gate's bias shifted;
    `carried` is `cells.carousel.carried_state(model.cell_def)` (state, gate, complemented, bias)."""
    cell = model.cell_def
    s, q, written = carried.state, carried.gate, carried.written
    complement = carried.complemented  # diag(1 - z): the carousel opens as z -> 0
    rng = np.random.default_rng(seed)
    params = {p.key: rng.normal(0.0, 0.5, size=p.size(N, N)) for p in cell.params}
    gate_bias_key = carried.bias
    if gate_bias_key is not None:
        params[gate_bias_key] = params[gate_bias_key] + (-gate_bias if complement else gate_bias)
    xs = rng.normal(size=(STEPS, N))
    states0 = {st: rng.normal(0.0, 0.5, size=N) for st in cell.states}
    tr = forward(cell, params, xs[:, None, :], {k: v[None, :] for k, v in states0.items()})
    gates = tr.values[q][:, 0]
    carried = 1.0 - gates if complement else gates
    lags = np.arange(1, STEPS + 1)
    direct = [float(np.abs(np.prod(carried[STEPS - lag :], axis=0)).max()) for lag in lags]
    tex = dict(cell.latex)  # the cell's own letters (\tilde{C}, \gamma), else the key
    qs, ss, hs = (tex.get(v, v) for v in (q, s, cell.readout))
    carried_tex = f"1 - {qs}" if complement else qs
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(lags, direct, "o-", ms=3, color="#2ca02c",
            label=rf"direct path $\|\prod \mathrm{{diag}}({carried_tex}_i)\|_2$")  # fmt: skip
    total = jacobian_norms(cell, params, xs, states0, s)
    ax.plot(lags, total, "s-", ms=3, color="#1f77b4",
            label=rf"total $\|\partial {ss}_t / \partial {ss}_k\|_2$")  # fmt: skip
    if s != cell.readout:
        h = jacobian_norms(cell, params, xs, states0, cell.readout)
        ax.plot(lags, h, "^-", ms=3, color="#d62728",
                label=rf"total $\|\partial {hs}_t / \partial {hs}_k\|_2$")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("t - k (steps back in time)")
    ax.set_ylabel("2-norm")
    signed = -gate_bias if complement else gate_bias
    shift = f", {gate_bias_key} shifted by {signed:+g}" if gate_bias and gate_bias_key else ""
    ax.set_title(f"{model.name}: n = {N}, weights N(0, 0.25){shift}")
    ax.legend(fontsize=8)
    name = f"{model.name}-flow{'-bias' if gate_bias else ''}.png"
    mean_gate = float(gates.mean())
    caption = (
        f"Gradient flow in {model.name} at a random point (n = {N}, {STEPS} steps{shift}; mean "
        f"{q} = {mean_gate:.2f}). Green: the direct path, the product of diag({written}_i): "
        f"d{s}_t/d{s}_(t-1) through the {s} equation alone, every gate held fixed. "
        "Blue (and red): the total Jacobians through every path, computed by the generated "
        "engine's backward pass. They differ: the carousel statement holds along the direct "
        "path only."
    )
    alt = f"{model.name}: direct-path product against total Jacobian norms"
    return Figure(name, _png(fig), alt, caption)
