"""The LSTM cell of Homework 3 Ex 3, as SymPy expressions (for exact proofs) and a numpy forward.

c_t = f_t * c_{t-1} + i_t * g_t, h_t = o_t * tanh(c_t); f, i, o = sigmoid(W_. [h_{t-1}; x_t] + b_.),
g_t = c~_t = tanh(W_c [h_{t-1}; x_t] + b_c). Only what the claims need: no training, no batches.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy as sp

GATES: tuple[str, ...] = ("f", "i", "o", "c")  # "c" is the candidate c~ (tanh), the others sigmoid


def sigmoid(z: sp.Expr) -> sp.Expr:
    """The logistic function 1 / (1 + e^{-z})."""
    return 1 / (1 + sp.exp(-z))


def symbolic_weights(n: int, m: int) -> dict[str, sp.Matrix]:
    """Generic real symbols W_f, b_f, ..., W_c, b_c: W_. is n x (n + m), b_. is n x 1."""
    out: dict[str, sp.Matrix] = {}
    for g in GATES:
        out[f"W_{g}"] = sp.Matrix(
            [[sp.Symbol(f"W_{g}{r}{k}", real=True) for k in range(n + m)] for r in range(n)]
        )
        out[f"b_{g}"] = vector(f"b_{g}", n)
    return out


def vector(name: str, n: int) -> sp.Matrix:
    """An n x 1 column of real symbols name0, name1, ..."""
    return sp.Matrix(n, 1, lambda r, _: sp.Symbol(f"{name}{r}", real=True))


def cell(
    w: Mapping[str, sp.Matrix], c_prev: sp.Matrix, h_prev: sp.Matrix, x: sp.Matrix
) -> dict[str, sp.Matrix]:
    """One step as SymPy matrices: the gates f, i, o, the candidate g (= c~), and c, h."""
    z = sp.Matrix.vstack(h_prev, x)
    pre = {g: w[f"W_{g}"] * z + w[f"b_{g}"] for g in GATES}
    f, i, o = (pre[g].applyfunc(sigmoid) for g in "fio")
    g = pre["c"].applyfunc(sp.tanh)
    c = f.multiply_elementwise(c_prev) + i.multiply_elementwise(g)
    return {
        "f": f,
        "i": i,
        "o": o,
        "g": g,
        "c": c,
        "h": o.multiply_elementwise(c.applyfunc(sp.tanh)),
    }


def direct_path(n: int, m: int, steps: int) -> tuple[sp.Matrix, sp.Matrix, list[sp.Matrix]]:
    """dc_t/dc_k for t - k = steps with h_k..h_{t-1} free symbols (held fixed): the direct path.

    Returns the Jacobian, the symbol vector c_k, and the forget gates f_{k+1}..f_t.
    """
    w = symbolic_weights(n, m)
    c_k = vector("c_k", n)
    c, forget = c_k, []
    for s in range(1, steps + 1):
        step = cell(w, c, vector(f"h_k{s - 1}_", n), vector(f"x_k{s}_", m))
        c = step["c"]
        forget.append(step["f"])
    return c.jacobian(c_k), c_k, forget


def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic function on arrays."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic


def forward(
    params: Mapping[str, np.ndarray], c0: np.ndarray, h0: np.ndarray, xs: np.ndarray
) -> dict[str, np.ndarray]:
    """Numpy forward over xs (T, m): arrays f, i, o, g, c, h of shape (T, n), step t = 1..T."""
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("f", "i", "o", "g", "c", "h")}
    c, h = np.asarray(c0, dtype=float), np.asarray(h0, dtype=float)
    for x in np.asarray(xs, dtype=float):
        z = np.concatenate([h, x])
        f, i, o = (logistic(params[f"W_{g}"] @ z + params[f"b_{g}"]) for g in "fio")
        g = np.tanh(params["W_c"] @ z + params["b_c"])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip(rows, (f, i, o, g, c, h), strict=True):
            rows[k].append(v)
    return {k: np.array(v) for k, v in rows.items()}


def total_jacobian(
    params: Mapping[str, np.ndarray],
    c_k: np.ndarray,
    h_prev: np.ndarray,
    xs: np.ndarray,
    *,
    eps: float = 1e-6,
) -> np.ndarray:
    """Total dc_t/dc_k by central differences: c_k also moves h_k = o_k * tanh(c_k) and later h.

    xs holds x_k, x_{k+1}, ..., x_t; o_k comes from h_{k-1} = h_prev and x_k (not from c_k).
    """
    o_k = logistic(params["W_o"] @ np.concatenate([h_prev, xs[0]]) + params["b_o"])

    def c_t(c: np.ndarray) -> np.ndarray:
        return forward(params, c, o_k * np.tanh(c), xs[1:])["c"][-1]

    cols = []
    for j in range(c_k.size):
        e = np.zeros_like(c_k)
        e[j] = eps
        cols.append((c_t(c_k + e) - c_t(c_k - e)) / (2 * eps))
    return np.array(cols).T
