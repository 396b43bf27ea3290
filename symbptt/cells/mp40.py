"""dL/dP of a cell by 40-digit central differences of its forward pass (mpmath), a truth that
shares nothing with the reverse rules: the unrolled forward definitions evaluated at 50 digits.

Used by `cells.checks` to hold the generated engine's gradient against an independent value
for gated cells at small sizes (the issue's "40-digit central differences").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import mpmath
import numpy as np
import sympy as sp

from symbptt.cells.cell import Cell
from symbptt.cells.heads import Head
from symbptt.cells.symbolic import unroll

__all__ = ["DIGITS", "loss_gradient"]

#: working precision; the difference step is 10^-20, so the error is about 10^-40 + 10^-30
DIGITS = 50
STEP = mpmath.mpf(10) ** -20

_MP: dict[str, Callable] = {
    "Sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "Relu": lambda x: x if x > 0 else 0 * x,
    "GenericF": mpmath.tanh,  # the numeric stand-in for a generic f (cells.functions)
}


def loss_gradient(
    cell: Cell,
    params: Mapping[str, np.ndarray],
    xs: np.ndarray,
    states0: Mapping[str, np.ndarray],
    g: np.ndarray | None = None,
    *,
    head: Head | None = None,
    targets: np.ndarray | None = None,
    loss_at: str = "every",
) -> dict[str, np.ndarray]:
    """d/dP of E = sum_t <g_t, readout_t> by central differences at DIGITS digits; with an
    output head, of E = sum_t E_t(V h_t + c, y_t), the head's own loss (params then hold V
    (k, n) and c (k,), targets are (T, 1, k); loss_at 'last' keeps E_T alone).

    xs (T, 1, m), states0 {s: (1, n)}, g (T, 1, n), as `cells.numeric` takes them.
    """
    T, _, m = xs.shape
    n = next(iter(states0.values())).shape[1]
    if head is not None and not head.has_output_layer:
        head = None
    k = 0 if head is None else int(np.shape(params["V"])[0])
    u = unroll(cell, T, n, m, head=head, k=max(k, 1))
    with mpmath.workdps(DIGITS):
        leaves: dict[sp.Symbol, mpmath.mpf] = {}
        for key, P in u.all_params.items():
            leaves |= dict(zip(P, map(mpmath.mpf, np.ravel(params[key])), strict=True))
        for t, x in enumerate(u.xs):
            leaves |= dict(zip(x, map(mpmath.mpf, xs[t, 0]), strict=True))
        for s, v in u.states0.items():
            leaves |= dict(zip(v, map(mpmath.mpf, states0[s][0]), strict=True))
        steps = []
        for sym, d in u.definitions():
            free = sorted(d.free_symbols, key=str)
            steps.append((sym, free, sp.lambdify(free, d, modules=[_MP, "mpmath"])))
        readout = [u.loss_reads(t) for t in range(1, T + 1)]
        if head is None:
            weights = [list(map(mpmath.mpf, g[t, 0])) for t in range(T)]  # type: ignore[index]

            def step_loss(t: int, env: dict[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
                return mpmath.fsum(w * env[h] for w, h in zip(weights[t], readout[t], strict=True))

        else:
            zs = [sp.Symbol(f"z[{j}]", real=True) for j in range(k)]
            ys = [sp.Symbol(f"y[{j}]", real=True) for j in range(k)]
            E = head.sympy_loss(zs, ys)  # type: ignore[misc]
            f_loss = sp.lambdify([*zs, *ys], E, modules=[_MP, "mpmath"])
            Y = [list(map(mpmath.mpf, targets[t, 0])) for t in range(T)]  # type: ignore[index]

            def step_loss(t: int, env: dict[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
                return f_loss(*[env[z] for z in readout[t]], *Y[t])

        kept = range(T) if loss_at == "every" else range(T - 1, T)

        def loss(values: dict[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
            env = dict(values)
            for sym, free, f in steps:
                env[sym] = f(*[env[s] for s in free])
            return mpmath.fsum(step_loss(t, env) for t in kept)

        out = {}
        for key, P in u.all_params.items():
            grad = []
            for sym in P:
                up, down = dict(leaves), dict(leaves)
                up[sym] += STEP
                down[sym] -= STEP
                grad.append(float((loss(up) - loss(down)) / (2 * STEP)))
            out[key] = np.array(grad).reshape(np.shape(params[key]))
    return out
