"""deeplearning.ai's "Building your Recurrent Neural Network Step by Step" API, backed by the engine.

Column vectors, the batch in the second axis, time last: x (n_x, m, T_x), a0 (n_a, m),
a (n_a, m, T_x), y_pred (n_y, m, T_x). `parameters` has keys Wax (n_a, n_x), Waa (n_a, n_a),
Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1); a cache is the assignment's tuple
(a_next, a_prev, xt, parameters) and `caches` is (list of caches, x), so caches built by the
assignment's own code work here too. The engine's roles are U = Wax, W = Waa, V = Wya.
The LSTM acts on the stacked [a_prev; xt] with Wf, Wi, Wc, Wo of shape (n_a, n_a + n_x).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from symbptt import engine
from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.heads import HEADS
from symbptt.errors import InputError

__all__ = [
    "lstm_backward",
    "lstm_cell_backward",
    "lstm_cell_forward",
    "lstm_forward",
    "rnn_backward",
    "rnn_cell_backward",
    "rnn_cell_forward",
    "rnn_forward",
]

Array = np.ndarray


def _get(parameters: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Array]:
    if not isinstance(parameters, Mapping):
        raise InputError(f"parameters must be a dict; found {type(parameters).__name__}")
    missing = [k for k in keys if k not in parameters]
    if missing:
        raise InputError(f"parameters needs keys {', '.join(keys)}; missing {missing}")
    try:
        return {k: np.asarray(parameters[k], dtype=np.float64) for k in keys}
    except (TypeError, ValueError) as exc:
        raise InputError(f"parameters must hold numeric arrays; {exc}") from None


def _roles(parameters: Mapping[str, Any], output: bool) -> dict[str, Array]:
    """The assignment's keys as engine roles: Wax -> U, Waa -> W, ba -> b, Wya -> V, by -> c."""
    p = _get(parameters, ("Wax", "Waa", "ba", "Wya", "by") if output else ("Wax", "Waa", "ba"))
    roles = {"U": p["Wax"], "W": p["Waa"], "b": p["ba"].reshape(-1)}
    if output:
        roles.update(V=p["Wya"], c=p["by"].reshape(-1))
    return roles


def _x3(x: Any, n_x: int) -> Array:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[0] != n_x:
        raise InputError(f"x must have shape (n_x, m, T_x) with n_x = {n_x}; found {x.shape}")
    return x


def _a0(a0: Any, n_a: int, m: int, name: str = "a0") -> Array:
    a0 = np.asarray(a0, dtype=np.float64)
    if a0.shape != (n_a, m):
        raise InputError(f"{name} must have shape (n_a, m) = {(n_a, m)}; found {a0.shape}")
    return a0


def rnn_forward(x: Any, a0: Any, parameters: Mapping[str, Any]) -> tuple[Array, Array, tuple]:
    """a_t = tanh(Wax x_t + Waa a_{t-1} + ba), y_t = softmax(Wya a_t + by): a, y_pred, caches."""
    P = _roles(parameters, output=True)
    x = _x3(x, P["U"].shape[1])
    a0 = _a0(a0, P["W"].shape[0], x.shape[1])
    tr = engine.forward(P, x.transpose(2, 1, 0), a0.T, output="softmax")
    a = np.ascontiguousarray(tr.h.transpose(2, 1, 0))
    y_pred = np.ascontiguousarray(tr.yhat.transpose(2, 1, 0))  # type: ignore[union-attr]
    caches = []
    a_prev = a0
    for t in range(x.shape[2]):
        caches.append((a[:, :, t], a_prev, x[:, :, t], parameters))
        a_prev = a[:, :, t]
    return a, y_pred, (caches, x)


def rnn_cell_forward(
    xt: Any, a_prev: Any, parameters: Mapping[str, Any]
) -> tuple[Array, Array, tuple]:
    """One step of rnn_forward on xt (n_x, m): returns a_next, yt_pred, cache."""
    xt = np.asarray(xt, dtype=np.float64)
    if xt.ndim != 2:
        raise InputError(f"xt must have shape (n_x, m); found {xt.shape}")
    a, y, (caches, _) = rnn_forward(xt[:, :, None], a_prev, parameters)
    return a[:, :, 0], y[:, :, 0], caches[0]


def rnn_backward(da: Any, caches: tuple) -> dict[str, Array]:
    """Gradients of sum <da_t, a_t> for da (n_a, m, T_x): dict dx, da0, dWax, dWaa, dba."""
    try:
        cache_list, x = caches
        a1, a0, x1, parameters = cache_list[0]
    except (TypeError, ValueError, IndexError):
        raise InputError("caches must be (list of (a_next, a_prev, xt, parameters), x)") from None
    P = _roles(parameters, output=False)
    n_a = P["W"].shape[0]
    x = _x3(x, P["U"].shape[1])
    a0 = _a0(a0, n_a, x.shape[1], "a_prev of the first cache")
    da = np.asarray(da, dtype=np.float64)
    if da.shape != (n_a, x.shape[1], x.shape[2]):
        raise InputError(
            f"da must have shape (n_a, m, T_x) = {(n_a, *x.shape[1:])}; found {da.shape}"
        )
    tr = engine.forward(P, x.transpose(2, 1, 0), a0.T, output=None)
    g = engine.backward(tr, dh=da.transpose(2, 1, 0))
    return {
        "dx": np.ascontiguousarray(g["xs"].transpose(2, 1, 0)),
        "da0": np.ascontiguousarray(g["h0"].T),
        "dWax": g["U"],
        "dWaa": g["W"],
        "dba": g["b"].reshape(n_a, 1),
    }


def rnn_cell_backward(da_next: Any, cache: tuple) -> dict[str, Array]:
    """One step of rnn_backward for da_next (n_a, m): dict dxt, da_prev, dWax, dWaa, dba."""
    try:
        a_next, a_prev, xt, parameters = cache
    except (TypeError, ValueError):
        raise InputError("cache must be (a_next, a_prev, xt, parameters)") from None
    xt = np.asarray(xt, dtype=np.float64)
    g = rnn_backward(np.asarray(da_next)[:, :, None], ([cache], xt[:, :, None]))
    return {
        "dxt": g["dx"][:, :, 0],
        "da_prev": g["da0"],
        "dWax": g["dWax"],
        "dWaa": g["dWaa"],
        "dba": g["dba"],
    }


# --------------------------------------------------------------------------- LSTM

_LSTM_KEYS = ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo", "Wy", "by")


_sigmoid = FUNCTIONS["sigmoid"].numpy  # the functions table's sigma, not a copy
_softmax_rows = HEADS["softmax_cross_entropy"].numpy_output  # the heads table's softmax


def _softmax(z: Array) -> Array:
    """softmax down each column (the assignment's layout): the table's row softmax of z^T."""
    return _softmax_rows(z.T).T


def lstm_cell_forward(
    xt: Any, a_prev: Any, c_prev: Any, parameters: Mapping[str, Any]
) -> tuple[Array, Array, Array, tuple]:
    """One LSTM step on concat = [a_prev; xt]: returns a_next, c_next, yt_pred, cache."""
    p = _get(parameters, _LSTM_KEYS)
    xt, a_prev, c_prev = (np.asarray(v, dtype=np.float64) for v in (xt, a_prev, c_prev))
    n_a = p["Wf"].shape[0]
    if xt.ndim != 2 or p["Wf"].shape != (n_a, n_a + xt.shape[0]):
        raise InputError(
            f"Wf must have shape (n_a, n_a + n_x); found {p['Wf'].shape} for xt {xt.shape}"
        )
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = _sigmoid(p["Wf"] @ concat + p["bf"])
    it = _sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = _sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = ot * np.tanh(c_next)
    yt_pred = _softmax(p["Wy"] @ a_next + p["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


_ROLE = {"f": "f", "i": "i", "c": "g", "o": "o"}  # the assignment's letters -> the engine's


def _lstm_roles(p: Mapping[str, Array], n_a: int) -> dict[str, Array]:
    """W_k acting on [a_prev; xt] split into the engine's W_k (on a_prev) and U_k (on xt)."""
    P = {}
    for k, e in _ROLE.items():
        P[f"W_{e}"], P[f"U_{e}"], P[f"b_{e}"] = (
            p[f"W{k}"][:, :n_a],
            p[f"W{k}"][:, n_a:],
            p[f"b{k}"][:, 0],
        )
    return P


def lstm_forward(
    x: Any, a0: Any, parameters: Mapping[str, Any]
) -> tuple[Array, Array, Array, tuple]:
    """LSTM over x (n_x, m, T_x) from a0 and c0 = 0: returns a, y, c, caches (engine-backed)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise InputError(f"x must have shape (n_x, m, T_x); found {x.shape}")
    p = _get(parameters, _LSTM_KEYS)
    n_a, m, T = p["Wf"].shape[0], x.shape[1], x.shape[2]
    if p["Wf"].shape != (n_a, n_a + x.shape[0]):
        raise InputError(
            f"Wf must have shape (n_a, n_a + n_x); found {p['Wf'].shape} for x {x.shape}"
        )
    a0 = _a0(a0, n_a, m)
    P = {**_lstm_roles(p, n_a), "V": p["Wy"], "c": p["by"][:, 0]}
    tr = engine.forward(P, x.transpose(2, 1, 0), a0.T, cell="lstm", output="softmax")

    def cols(v: Array) -> Array:  # (T, m, n) -> (n, m, T)
        return np.ascontiguousarray(v.transpose(2, 1, 0))

    a, c, y = cols(tr.h), cols(tr.c), cols(tr.yhat)  # type: ignore[arg-type]
    gates = {k: cols(v) for k, v in tr.gates.items()}
    caches = []
    a_prev, c_prev = a0, np.zeros((n_a, m))
    for t in range(T):
        f, i, g, o = (gates[k][:, :, t] for k in "figo")
        caches.append((a[:, :, t], c[:, :, t], a_prev, c_prev, f, i, g, o, x[:, :, t], parameters))
        a_prev, c_prev = a[:, :, t], c[:, :, t]
    return a, y, c, (caches, x)


def lstm_cell_backward(da_next: Any, dc_next: Any, cache: tuple) -> dict[str, Array]:
    """Backward of lstm_cell_forward: dict dxt, da_prev, dc_prev, dWf, dWi, dWc, dWo, dbf, ..."""
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    p = _get(parameters, _LSTM_KEYS)
    n_a = a_next.shape[0]
    da_next, dc_next = np.asarray(da_next, float), np.asarray(dc_next, float)
    tc = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tc**2)
    dot = da_next * tc * ot * (1 - ot)
    dcct = dc * it * (1 - cct**2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    concat = np.concatenate([a_prev, xt], axis=0)
    g: dict[str, Array] = {}
    dconcat = np.zeros_like(concat)
    for key, d in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)):
        g["dW" + key] = d @ concat.T
        g["db" + key] = d.sum(axis=1, keepdims=True)
        dconcat += p["W" + key].T @ d
    return {
        "dxt": dconcat[n_a:],
        "da_prev": dconcat[:n_a],
        "dc_prev": dc * ft,
        **{k: g[k] for k in ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")},
    }


def lstm_backward(da: Any, caches: tuple) -> dict[str, Array]:
    """Backward of lstm_forward for da (n_a, m, T_x): dict dx, da0, dWf, dbf, dWi, ... (engine)."""
    try:
        cache_list, x = caches
        _, _, a0, c0, *_, parameters = cache_list[0]
    except (TypeError, ValueError, IndexError):
        raise InputError("caches must be (list of the cells' caches, x)") from None
    p = _get(parameters, _LSTM_KEYS)
    x = np.asarray(x, dtype=np.float64)
    n_a = p["Wf"].shape[0]
    da = np.asarray(da, dtype=np.float64)
    if da.shape != (n_a, x.shape[1], x.shape[2]):
        raise InputError(
            f"da must have shape (n_a, m, T_x) = {(n_a, *x.shape[1:])}; found {da.shape}"
        )
    tr = engine.forward(_lstm_roles(p, n_a), x.transpose(2, 1, 0), np.asarray(a0).T,
                        cell="lstm", c0=np.asarray(c0).T, output=None)  # fmt: skip
    g = engine.backward(tr, dh=da.transpose(2, 1, 0))
    out = {
        "dx": np.ascontiguousarray(g["xs"].transpose(2, 1, 0)),
        "da0": np.ascontiguousarray(g["h0"].T),
    }
    for k, e in _ROLE.items():
        out[f"dW{k}"] = np.concatenate([g[f"W_{e}"], g[f"U_{e}"]], axis=1)
        out[f"db{k}"] = g[f"b_{e}"][:, None]
    return {
        k: out[k] for k in ("dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
    }
