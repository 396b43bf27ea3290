"""CS231n assignment 3's `rnn_layers.py` API (rows are examples, time second) backed by the engine.

Shapes as in the assignment: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,), h (N, T, H);
the step functions take x (N, D) and prev_h (N, H). The engine's roles are U = Wx^T, W = Wh^T.
LSTM: gates stacked i, f, o, g in Wx (D, 4H), Wh (H, 4H), b (4H,); the sequence functions run
the engine's LSTM, the step functions (which take and give the cell state) are loop code here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symbptt import engine
from symbptt.cells.functions import FUNCTIONS
from symbptt.errors import InputError

__all__ = [
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
]

Array = np.ndarray


def _f64(a: Any, name: str) -> Array:
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array; {exc}") from None


def _weights(Wx: Any, Wh: Any, b: Any, gates: int = 1) -> tuple[Array, Array, Array]:
    Wx, Wh, b = _f64(Wx, "Wx"), _f64(Wh, "Wh"), _f64(b, "b")
    if Wx.ndim != 2 or Wx.shape[1] % gates:
        raise InputError(f"Wx must have shape (D, {gates}H); found {Wx.shape}")
    H = Wx.shape[1] // gates
    if Wh.shape != (H, gates * H):
        raise InputError(f"Wh must have shape (H, {gates}H) = {(H, gates * H)}; found {Wh.shape}")
    if b.shape != (gates * H,):
        raise InputError(f"b must have shape ({gates}H,) = {(gates * H,)}; found {b.shape}")
    return Wx, Wh, b


def rnn_forward(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any) -> tuple[Array, tuple]:
    """h_t = tanh(x_t Wx + h_{t-1} Wh + b) over x (N, T, D): returns h (N, T, H) and a cache."""
    Wx, Wh, b = _weights(Wx, Wh, b)
    x, h0 = _f64(x, "x"), _f64(h0, "h0")
    if x.ndim != 3 or x.shape[2] != Wx.shape[0]:
        raise InputError(f"x must have shape (N, T, D) with D = {Wx.shape[0]}; found {x.shape}")
    if h0.shape != (x.shape[0], Wx.shape[1]):
        raise InputError(
            f"h0 must have shape (N, H) = {(x.shape[0], Wx.shape[1])}; found {h0.shape}"
        )
    params = {"U": Wx.T, "W": Wh.T, "b": b}
    tr = engine.forward(params, x.transpose(1, 0, 2), h0, output=None)
    h = np.ascontiguousarray(tr.h.transpose(1, 0, 2))
    return h, (x, h0, Wx, Wh, b, h)


def rnn_backward(dh: Any, cache: tuple) -> tuple[Array, Array, Array, Array, Array]:
    """Gradients of sum <dh, h> for dh (N, T, H): returns dx, dh0, dWx, dWh, db."""
    x, h0, Wx, Wh, b, h = cache
    dh = _f64(dh, "dh")
    if dh.shape != h.shape:
        raise InputError(f"dh must have the shape of h, (N, T, H) = {h.shape}; found {dh.shape}")
    tr = engine.forward({"U": Wx.T, "W": Wh.T, "b": b}, x.transpose(1, 0, 2), h0, output=None)
    g = engine.backward(tr, dh=dh.transpose(1, 0, 2))
    dx = np.ascontiguousarray(g["xs"].transpose(1, 0, 2))
    return dx, g["h0"], np.ascontiguousarray(g["U"].T), np.ascontiguousarray(g["W"].T), g["b"]


def rnn_step_forward(x: Any, prev_h: Any, Wx: Any, Wh: Any, b: Any) -> tuple[Array, tuple]:
    """One step next_h = tanh(x Wx + prev_h Wh + b) for x (N, D), prev_h (N, H)."""
    x = _f64(x, "x")
    if x.ndim != 2:
        raise InputError(f"x must have shape (N, D); found {x.shape}")
    h, cache = rnn_forward(x[:, None, :], prev_h, Wx, Wh, b)
    return h[:, 0, :], cache


def rnn_step_backward(dnext_h: Any, cache: tuple) -> tuple[Array, Array, Array, Array, Array]:
    """One step of rnn_backward for dnext_h (N, H): returns dx, dprev_h, dWx, dWh, db."""
    dnext_h = _f64(dnext_h, "dnext_h")
    if dnext_h.ndim != 2:
        raise InputError(f"dnext_h must have shape (N, H); found {dnext_h.shape}")
    dx, dh0, dWx, dWh, db = rnn_backward(dnext_h[:, None, :], cache)
    return dx[:, 0, :], dh0, dWx, dWh, db


_sigmoid = FUNCTIONS["sigmoid"].numpy  # the functions table's sigma, not a copy


def lstm_step_forward(
    x: Any, prev_h: Any, prev_c: Any, Wx: Any, Wh: Any, b: Any
) -> tuple[Array, Array, tuple]:
    """One LSTM step, gates i, f, o, g stacked in that order: returns next_h, next_c, cache."""
    Wx, Wh, b = _weights(Wx, Wh, b, gates=4)
    x, prev_h, prev_c = _f64(x, "x"), _f64(prev_h, "prev_h"), _f64(prev_c, "prev_c")
    H = Wh.shape[0]
    if x.ndim != 2 or x.shape[1] != Wx.shape[0]:
        raise InputError(f"x must have shape (N, D) with D = {Wx.shape[0]}; found {x.shape}")
    for name, v in (("prev_h", prev_h), ("prev_c", prev_c)):
        if v.shape != (x.shape[0], H):
            raise InputError(f"{name} must have shape (N, H) = {(x.shape[0], H)}; found {v.shape}")
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H : 2 * H]), _sigmoid(a[:, 2 * H : 3 * H])
    g = np.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(
    dnext_h: Any, dnext_c: Any, cache: tuple
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """Backward of lstm_step_forward: returns dx, dprev_h, dprev_c, dWx, dWh, db."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    dnext_h, dnext_c = _f64(dnext_h, "dnext_h"), _f64(dnext_c, "dnext_c")
    if dnext_h.shape != next_c.shape or dnext_c.shape != next_c.shape:
        raise InputError(f"dnext_h and dnext_c must have shape (N, H) = {next_c.shape}")
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tc**2)
    da = np.concatenate(
        [
            dc * g * i * (1 - i),
            dc * prev_c * f * (1 - f),
            dnext_h * tc * o * (1 - o),
            dc * i * (1 - g**2),
        ],
        axis=1,
    )
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def _lstm_roles(Wx: Array, Wh: Array, b: Array) -> dict[str, Array]:
    """The stacked blocks i, f, o, g as the engine's keys U_k = Wx_k^T, W_k = Wh_k^T, b_k."""
    H = Wh.shape[0]
    P = {}
    for j, k in enumerate("ifog"):
        sl = slice(j * H, (j + 1) * H)
        P[f"U_{k}"], P[f"W_{k}"], P[f"b_{k}"] = Wx[:, sl].T, Wh[:, sl].T, b[sl]
    return P


def lstm_forward(x: Any, h0: Any, Wx: Any, Wh: Any, b: Any) -> tuple[Array, tuple]:
    """LSTM over x (N, T, D) from h0 (N, H) and c0 = 0: returns h (N, T, H) and a cache."""
    Wx, Wh, b = _weights(Wx, Wh, b, gates=4)
    x, h0 = _f64(x, "x"), _f64(h0, "h0")
    if x.ndim != 3 or x.shape[2] != Wx.shape[0]:
        raise InputError(f"x must have shape (N, T, D) with D = {Wx.shape[0]}; found {x.shape}")
    if h0.shape != (x.shape[0], Wh.shape[0]):
        raise InputError(
            f"h0 must have shape (N, H) = {(x.shape[0], Wh.shape[0])}; found {h0.shape}"
        )
    tr = engine.forward(_lstm_roles(Wx, Wh, b), x.transpose(1, 0, 2), h0, cell="lstm", output=None)
    h = np.ascontiguousarray(tr.h.transpose(1, 0, 2))
    return h, (x, h0, Wx, Wh, b, tr)


def lstm_backward(dh: Any, cache: tuple) -> tuple[Array, Array, Array, Array, Array]:
    """Backward of lstm_forward for dh (N, T, H): returns dx, dh0, dWx, dWh, db."""
    x, h0, Wx, Wh, b, tr = cache
    dh = _f64(dh, "dh")
    if dh.shape != (x.shape[0], x.shape[1], Wh.shape[0]):
        raise InputError(f"dh must have the shape of h, (N, T, H); found {dh.shape}")
    g = engine.backward(tr, dh=dh.transpose(1, 0, 2))
    dWx = np.concatenate([g[f"U_{k}"].T for k in "ifog"], axis=1)
    dWh = np.concatenate([g[f"W_{k}"].T for k in "ifog"], axis=1)
    db = np.concatenate([g[f"b_{k}"] for k in "ifog"])
    return np.ascontiguousarray(g["xs"].transpose(1, 0, 2)), g["h0"], dWx, dWh, db
