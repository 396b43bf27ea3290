"""The course notes' RNN API (column vectors, keys U, W, V, ba, by) backed by symbptt.engine.

Shapes as in the notes: x (m, B, T), s0 (n, B), s (n, B, T), y_pred (k, B, T), ds (n, B, T);
the notes use B = 1. `caches` is the notes' `(list of (s_next, s_prev, xt, parameters), x)`,
so caches built by the notes' own code work here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from symbptt import engine
from symbptt.errors import InputError

__all__ = ["rnn_backward", "rnn_cell_backward", "rnn_cell_forward", "rnn_forward"]

Array = np.ndarray
Cache = tuple[Array, Array, Array, Mapping[str, Array]]


def _roles(parameters: Mapping[str, Any]) -> dict[str, Array]:
    """Translate the notes' keys (U, W, V, ba, by) to engine roles (U, W, V, b, c)."""
    missing = [k for k in ("U", "W", "V", "ba", "by") if k not in parameters]
    if missing:
        raise InputError(f"parameters needs keys U, W, V, ba, by; missing {missing}")
    return {
        "U": np.asarray(parameters["U"], dtype=np.float64),
        "W": np.asarray(parameters["W"], dtype=np.float64),
        "b": np.asarray(parameters["ba"], dtype=np.float64).reshape(-1),
        "V": np.asarray(parameters["V"], dtype=np.float64),
        "c": np.asarray(parameters["by"], dtype=np.float64).reshape(-1),
    }


def _check_3d(a: Array, name: str, first: int, what: str) -> None:
    if a.ndim != 3 or a.shape[0] != first:
        raise InputError(f"{name} must have shape {what} with {what[1]} = {first}; found {a.shape}")


def rnn_forward(
    x: Array, s0: Array, parameters: Mapping[str, Any]
) -> tuple[Array, Array, tuple[list[Cache], Array]]:
    """s_t = tanh(U x_t + W s_{t-1} + ba), y_t = softmax(V s_t + by); returns (s, y_pred, caches)."""
    P = _roles(parameters)
    x = np.asarray(x, dtype=np.float64)
    _check_3d(x, "x", P["U"].shape[1], "(m, B, T)")
    s0 = np.asarray(s0, dtype=np.float64)
    if s0.shape != (P["U"].shape[0], x.shape[1]):
        raise InputError(
            f"s0 must have shape (n, B) = {(P['U'].shape[0], x.shape[1])}; found {s0.shape}"
        )
    tr = engine.forward(P, x.transpose(2, 1, 0), s0.T, activation="tanh", output="softmax")
    s = np.ascontiguousarray(tr.h.transpose(2, 1, 0))  # (n, B, T)
    y_pred = np.ascontiguousarray(tr.yhat.transpose(2, 1, 0))  # type: ignore[union-attr]
    caches: list[Cache] = []
    s_prev = s0
    for t in range(x.shape[2]):
        caches.append((s[:, :, t], s_prev, x[:, :, t], parameters))
        s_prev = s[:, :, t]
    return s, y_pred, (caches, x)


def rnn_cell_forward(
    xt: Array, s_prev: Array, parameters: Mapping[str, Any]
) -> tuple[Array, Array, Cache]:
    """One step of rnn_forward on xt (m, B): returns (s_next, yt_pred, cache)."""
    xt = np.asarray(xt, dtype=np.float64)
    if xt.ndim != 2:
        raise InputError(f"xt must have shape (m, B); found {xt.shape}")
    s, y, (caches, _) = rnn_forward(xt[:, :, None], s_prev, parameters)
    return s[:, :, 0], y[:, :, 0], caches[0]


def rnn_backward(ds: Array, caches: tuple[list[Cache], Array]) -> dict[str, Array]:
    """Gradients of E = sum_t <ds_t, s_t>: dict with dx, ds0, dU, dW, dba (the notes' shapes)."""
    cache_list, x = caches
    if not cache_list:
        raise InputError("caches holds no time steps")
    s0 = np.asarray(cache_list[0][1], dtype=np.float64)
    parameters = cache_list[0][3]
    P = _roles(parameters)
    x = np.asarray(x, dtype=np.float64)
    ds = np.asarray(ds, dtype=np.float64)
    n = P["W"].shape[0]
    if ds.shape != (n, x.shape[1], x.shape[2]):
        raise InputError(
            f"ds must have shape (n, B, T) = {(n, x.shape[1], x.shape[2])}; found {ds.shape}"
        )
    hidden = {k: P[k] for k in ("U", "W", "b")}
    tr = engine.forward(hidden, x.transpose(2, 1, 0), s0.T, activation="tanh", output=None)
    g = engine.backward(tr, dh=ds.transpose(2, 1, 0))
    return {
        "dx": np.ascontiguousarray(g["xs"].transpose(2, 1, 0)),
        "ds0": np.ascontiguousarray(g["h0"].T),
        "dU": g["U"],
        "dW": g["W"],
        "dba": g["b"].reshape(n, 1),
    }


def rnn_cell_backward(ds_next: Array, cache: Cache) -> dict[str, Array]:
    """One step of rnn_backward for the upstream gradient ds_next (n, B) of one cell's output."""
    s_next, s_prev, xt, parameters = cache
    g = rnn_backward(
        np.asarray(ds_next)[:, :, None],
        ([(s_next, s_prev, xt, parameters)], np.asarray(xt)[:, :, None]),
    )
    return {
        "dxt": g["dx"][:, :, 0],
        "ds_prev": g["ds0"],
        "dU": g["dU"],
        "dW": g["dW"],
        "dba": g["dba"],
    }
