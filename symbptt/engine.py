"""Vectorised numpy BPTT for a vanilla RNN: forward, loss, backward (full, truncated, clipped).

Model, with parameters named by role (U input, W recurrent, b hidden bias, V output, c output
bias)::

    net_t = U x_t + W h_{t-1} + b,  h_t = f(net_t),  z_t = V h_t + c,  yhat_t = g(z_t),
    E = sum_t E_t(yhat_t, y_t)

Arrays are time first: xs is (T, m) or (T, B, m). Internally everything is batched (T, B, .);
the input projection, the output layer and every weight gradient are one matmul over all T*B
rows, and only the recurrent chain is a Python loop over t.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symbptt.errors import InputError

Array = np.ndarray

__all__ = [
    "ACTIVATIONS",
    "OUTPUTS",
    "Activation",
    "Gradients",
    "Output",
    "Trace",
    "backward",
    "forward",
    "global_norm",
    "loss",
    "rnn_cell_backward_step",
    "rnn_cell_forward_step",
    "transpose",
]


# --------------------------------------------------------------------------- rules as data

_add_reduce = np.add.reduce
_max_reduce = np.maximum.reduce


def _sigmoid_into(a: Array, out: Array) -> Array:
    """Logistic sigmoid written as 0.5 (1 + tanh(a / 2)): stable for any a, no overflow."""
    np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _one_minus_sq(h: Array) -> Array:
    """tanh' from h = tanh(net): 1 - h^2, computed with one temporary."""
    out = np.multiply(h, h)
    np.subtract(1.0, out, out=out)
    return out


def _copy_into(a: Array, out: Array) -> Array:
    np.copyto(out, a)
    return out


@dataclass(frozen=True)
class Activation:
    """A hidden activation f: `f(net, out)` fills out with f(net); `df(net, h)` returns f'(net)."""

    name: str
    f: Callable[[Array, Array], Array]
    df: Callable[[Array, Array], Array]


ACTIVATIONS: Mapping[str, Activation] = {
    a.name: a
    for a in (
        Activation("tanh", lambda net, out: np.tanh(net, out=out), lambda net, h: _one_minus_sq(h)),
        Activation("sigmoid", _sigmoid_into, lambda net, h: h * (1.0 - h)),
        Activation(
            "relu",
            lambda net, out: np.maximum(net, 0.0, out=out),
            lambda net, h: (net > 0).astype(net.dtype),
        ),
        Activation("identity", _copy_into, lambda net, h: np.ones_like(net)),
    )
}


def _softmax(z: Array) -> Array:
    e = np.subtract(z, _max_reduce(z, axis=-1, keepdims=True))
    np.exp(e, out=e)
    e /= _add_reduce(e, axis=-1, keepdims=True)
    return e


def _softmax_dz(yh: Array, y: Array) -> Array:
    """dE/dz = yhat sum_j y_j - y for softmax + cross-entropy, with one full-size temporary."""
    d = np.multiply(yh, _add_reduce(y, axis=-1, keepdims=True))
    d -= y
    return d


def _log_softmax(z: Array) -> Array:
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _sigmoid(z: Array) -> Array:
    return _sigmoid_into(z, np.empty_like(z))


@dataclass(frozen=True)
class Output:
    """An output g with its loss: `loss(z, yhat, y)` sums E over rows; `dz` returns dE/dz."""

    name: str
    g: Callable[[Array], Array]
    loss: Callable[[Array, Array, Array], float]
    dz: Callable[[Array, Array], Array]


OUTPUTS: Mapping[str, Output] = {
    o.name: o
    for o in (
        # softmax + cross-entropy E = -sum_j y_j log yhat_j; dE/dz = yhat sum_j y_j - y
        Output(
            "softmax",
            _softmax,
            lambda z, yh, y: float(-(y * _log_softmax(z)).sum()),
            _softmax_dz,
        ),
        # identity + squared error E = 0.5 ||yhat - y||^2; dE/dz = yhat - y
        Output(
            "identity",
            lambda z: z,
            lambda z, yh, y: float(0.5 * np.square(yh - y).sum()),
            lambda yh, y: yh - y,
        ),
        # sigmoid + binary cross-entropy, written as softplus(z) - y z for stability
        Output(
            "sigmoid",
            _sigmoid,
            lambda z, yh, y: float((np.logaddexp(0.0, z) - y * z).sum()),
            lambda yh, y: yh - y,
        ),
    )
}

_PARAM_KEYS = ("U", "W", "b", "V", "c")
_PARAM_SET = frozenset(_PARAM_KEYS)
_GRAD_KEYS = (*_PARAM_KEYS, "h0", "xs")
_LOSS_AT = ("every", "last")
# above this many hidden values (T*B*n) backward takes f'(net_t) step by step, in cache: a
# fresh full-size f' array costs more in page faults (freed memory goes back to the OS between
# calls) than the extra per-step calls; below it one vectorised call is cheaper
_BIG = 1 << 12


# --------------------------------------------------------------------------- cell formulas


def transpose(a: Array) -> Array:
    """Matrix transpose, spelled as a function so latexify renders it as a superscript."""
    return np.transpose(a)


def rnn_cell_forward_step(U: Array, W: Array, b: Array, x: Array, h_prev: Array) -> Array:
    """One tanh RNN step h_t = tanh(U x_t + W h_{t-1} + b) on column vectors (for rendering)."""
    return np.tanh(U @ x + W @ h_prev + b)


def rnn_cell_backward_step(W: Array, net: Array, dh: Array, delta_next: Array) -> Array:
    """One tanh BPTT step delta_t = tanh'(net_t) (.) (dE/dh_t + W^T delta_{t+1}) (for rendering)."""
    return (1 - np.tanh(net) ** 2) * (dh + transpose(W) @ delta_next)


# --------------------------------------------------------------------------- validation


def _lookup(table: Mapping[str, Any], name: object, what: str) -> Any:
    try:
        return table[name]  # type: ignore[index]
    except (KeyError, TypeError):
        known = ", ".join(repr(k) for k in table)
        raise InputError(f"unknown {what} {name!r}; known: {known}") from None


_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)
_DTYPES = {None: _F64, "float64": _F64, "float32": _F32, _F64: _F64, _F32: _F32}


def _dtype(dtype: object) -> np.dtype:
    try:
        return _DTYPES[dtype]  # the common spellings without a np.dtype() call
    except (KeyError, TypeError):
        pass
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        dt = None
    if dt not in (_F64, _F32):
        raise InputError(f"dtype must be 'float64' or 'float32'; found {dtype!r}")
    return dt


def _as_array(value: object, dt: np.dtype, name: str) -> Array:
    try:
        return np.asarray(value, dtype=dt)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric array; {exc}") from None


def _sumsq(a: Array) -> float:
    """Sum of squares by one BLAS dot: NaN or inf anywhere makes it non-finite (so can overflow)."""
    r = a.ravel()
    return float(r.dot(r))


def _check_finite(a: Array, name: str) -> None:
    # The cheap test first; on overflow the exact elementwise test decides.
    if not math.isfinite(_sumsq(a)) and not np.isfinite(a).all():
        raise InputError(f"{name} contains NaN or inf")


def _check_shape(a: Array, expected: tuple[int, ...], name: str, what: str) -> None:
    if a.shape != expected:
        raise InputError(f"{name} must have shape {what} = {expected}; found shape {a.shape}")


def _check_params(params: Mapping[str, object], dt: np.dtype, need_v: bool) -> dict[str, Array]:
    if type(params) is not dict and not isinstance(params, Mapping):
        raise InputError(
            f"params must be a mapping of role -> array; found {type(params).__name__}"
        )
    if not params.keys() <= _PARAM_SET and (unknown := [k for k in params if k not in _PARAM_KEYS]):
        raise InputError(f"params has unknown key(s) {unknown}; known: {list(_PARAM_KEYS)}")
    for key in ("U", "W"):
        if key not in params:
            raise InputError(
                f"params needs {key!r} (the {'input' if key == 'U' else 'recurrent'} weight)"
            )
    P = {}
    for k in _PARAM_KEYS:
        if k in params:
            try:  # _as_array inlined: the name is formatted only on error
                P[k] = np.asarray(params[k], dtype=dt)
            except (TypeError, ValueError) as exc:
                raise InputError(f"params[{k!r}] must be a numeric array; {exc}") from None
    U, W = P["U"], P["W"]
    if U.ndim != 2:
        raise InputError(f"params['U'] must be a matrix (n, m); found shape {U.shape}")
    n, m = U.shape
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise InputError(f"params['W'] must be square (n, n); found shape {W.shape}")
    _check_shape(W, (n, n), "params['W']", "(n, n) with n = rows of U")
    if "b" in P:
        _check_shape(P["b"], (n,), "params['b']", "(n,)")
    if "V" in P:
        V = P["V"]
        if V.ndim != 2 or V.shape[1] != n:
            raise InputError(f"params['V'] must have shape (k, n) with n = {n}; found {V.shape}")
        if "c" in P:
            _check_shape(P["c"], (V.shape[0],), "params['c']", "(k,)")
    elif need_v:
        raise InputError(
            "params needs 'V' (the output weight) when output is not None; "
            "pass output=None for a hidden-state-only model"
        )
    elif "c" in P:
        raise InputError("params has 'c' (output bias) but no 'V' (output weight)")
    # one cheap test for the hot path; name the culprit only when it is not finite
    if not math.isfinite(sum([_sumsq(a) for a in P.values()])):
        for k, a in P.items():
            _check_finite(a, f"params[{k!r}]")
    return P


# --------------------------------------------------------------------------- forward


@dataclass(eq=False, slots=True)
class Trace:
    """Everything forward computed, time first: h, net, z, yhat (None without an output layer)."""

    h: Array
    net: Array
    z: Array | None
    yhat: Array | None
    xs: Array
    h0: Array
    params: dict[str, Array]
    activation: str
    output: str | None
    batched: bool
    # batched working arrays (T, B, .) and the hidden buffer (T + 1, B, n) with h0 at index 0
    _X: Array = field(repr=False)
    _H: Array = field(repr=False)
    _net: Array = field(repr=False)
    _Z: Array | None = field(repr=False)
    _Y: Array | None = field(repr=False)
    _h0_shared: bool = field(repr=False)

    @property
    def T(self) -> int:
        """Number of time steps."""
        return self._net.shape[0]


def forward(
    params: Mapping[str, object],
    xs: object,
    h0: object = None,
    *,
    activation: str = "tanh",
    output: str | None = "softmax",
    dtype: object = None,
) -> Trace:
    """Run the RNN over xs (T, m) or (T, B, m) from h0 (zeros if None) and keep what backward needs."""
    act = _lookup(ACTIVATIONS, activation, "activation")
    out = None if output is None else _lookup(OUTPUTS, output, "output")
    dt = _dtype(dtype)
    P = _check_params(params, dt, out is not None)
    U, W = P["U"], P["W"]
    n, m = U.shape

    xa = _as_array(xs, dt, "xs")
    if xa.ndim not in (2, 3) or xa.shape[-1] != m or xa.shape[0] < 1:
        raise InputError(
            f"xs must have shape (T, m) or (T, B, m) with T >= 1 and m = {m} (columns of U); "
            f"found shape {xa.shape}"
        )
    batched = xa.ndim == 3
    X = xa if batched else xa[:, None, :]
    T, B = X.shape[0], X.shape[1]
    _check_finite(xa, "xs")

    H = np.empty((T + 1, B, n), dtype=dt)
    shared = False
    if h0 is None:
        H[0] = 0.0
        h0a = H[0] if batched else H[0, 0]
    else:
        h0a = _as_array(h0, dt, "h0")
        if h0a.shape == (n,):
            shared = batched
        elif not (batched and h0a.shape == (B, n)):
            want = f"(n,) = ({n},) or (B, n) = ({B}, {n})" if batched else f"(n,) = ({n},)"
            raise InputError(f"h0 must have shape {want}; found shape {h0a.shape}")
        _check_finite(h0a, "h0")
        H[0] = h0a

    # input projection for all T*B rows at once, then the sequential recurrent chain
    net = X.reshape(T * B, m).dot(U.T).reshape(T, B, n)
    if "b" in P:
        net += P["b"]
    # W^T copied to C order: the per-step GEMM runs ~20% faster than on the F-order view W.T
    WT = np.ascontiguousarray(W.T)
    f = np.tanh if act.name == "tanh" else act.f
    hp = H[0]
    for t in range(T):
        ht, nt = H[t + 1], net[t]
        hp.dot(WT, out=ht)
        nt += ht
        f(nt, ht)
        hp = ht

    Z = Y = None
    if out is not None:
        V = P["V"]
        Zf = H[1:].reshape(T * B, n).dot(V.T)
        if "c" in P:
            Zf += P["c"]
        Z = Zf.reshape(T, B, V.shape[0])
        Y = out.g(Z)

    if batched:
        h, net_, z, yhat = H[1:], net, Z, Y
    else:
        h, net_ = H[1:, 0], net[:, 0]
        z, yhat = (None, None) if Z is None else (Z[:, 0], Y[:, 0])  # type: ignore[index]
    return Trace(
        h=h,
        net=net_,
        z=z,
        yhat=yhat,
        xs=xa,
        h0=h0a,
        params=P,
        activation=act.name,
        output=None if out is None else out.name,
        batched=batched,
        _X=X,
        _H=H,
        _net=net,
        _Z=Z,
        _Y=Y,
        _h0_shared=shared,
    )


# --------------------------------------------------------------------------- loss


def _targets(trace: Trace, targets: object) -> Array:
    """Targets as a (T, B, k) array: same shape as yhat, or integer class labels for softmax."""
    if trace.output is None:
        raise InputError("targets need an output layer; this trace has output=None (use dh=)")
    Yh = trace._Y
    assert Yh is not None
    T, B, k = Yh.shape
    ya = np.asarray(targets)
    lead = trace.yhat.shape[:-1]  # type: ignore[union-attr]
    if trace.output == "softmax" and ya.shape == lead and np.issubdtype(ya.dtype, np.integer):
        if ya.size and (ya.min() < 0 or ya.max() >= k):
            raise InputError(f"targets as class labels must lie in 0..{k - 1}")
        onehot = np.zeros((T * B, k), dtype=Yh.dtype)
        onehot[np.arange(T * B), ya.reshape(-1)] = 1.0
        return onehot.reshape(T, B, k)
    want = trace.yhat.shape  # type: ignore[union-attr]
    if ya.shape != want:
        note = ""
        if ya.ndim >= 1 and ya.shape[0] != T:
            note = f" (T differs: xs has T = {T}, targets have {ya.shape[0]})"
        labels = " or integer labels of shape " + str(lead) if trace.output == "softmax" else ""
        raise InputError(
            f"targets must have shape {want} like yhat{labels}; found shape {ya.shape}{note}"
        )
    ya = _as_array(ya, Yh.dtype, "targets")
    _check_finite(ya, "targets")
    return ya if trace.batched else ya[:, None, :]


def _check_loss_at(loss_at: str) -> None:
    if loss_at not in _LOSS_AT:
        raise InputError(f"loss_at must be one of {list(_LOSS_AT)}; found {loss_at!r}")


def loss(trace: Trace, targets: object, *, loss_at: str = "every") -> float:
    """Total loss E = sum_t E_t (or E_T alone for loss_at='last'); with a batch, summed over it."""
    _check_loss_at(loss_at)
    Y = _targets(trace, targets)
    out = OUTPUTS[trace.output]  # type: ignore[index]
    Z, Yh = trace._Z, trace._Y
    if loss_at == "last":
        return out.loss(Z[-1], Yh[-1], Y[-1])  # type: ignore[index]
    return out.loss(Z, Yh, Y)  # type: ignore[arg-type]


def _dh_loss(trace: Trace, dh: Array) -> float:
    return float(np.vdot(dh, trace.h))


# --------------------------------------------------------------------------- backward


class Gradients(dict):
    """Gradients by role ('U', 'W', 'b', 'V', 'c', 'h0', 'xs') plus the per-step BPTT terms.

    `delta` (T, [B,] n) is dE/dnet_t (total derivative, recursive term included); `dW_terms`
    (T, n, n) = sum_b delta_t h_{t-1}^T and `dU_terms` (T, n, m) = sum_b delta_t x_t^T, so
    grads['W'] == dW_terms.sum(0) before clipping. `norm` is the pre-clip global norm (None
    unless clip was given) and `clipped` says whether rescaling happened.
    """

    def __init__(
        self,
        items: dict[str, Array],
        *,
        delta: Array,
        hprev: Array,
        X: Array,
        batched: bool,
        norm: float | None,
        clipped: bool,
    ) -> None:
        super().__init__(items)
        self._delta, self._hprev, self._X, self._batched = delta, hprev, X, batched
        self.norm = norm
        self.clipped = clipped

    @property
    def delta(self) -> Array:
        """Per-step error terms dE/dnet_t, time first."""
        return self._delta if self._batched else self._delta[:, 0]

    @property
    def dW_terms(self) -> Array:
        """Per-step recurrent-weight terms delta_t h_{t-1}^T, summed over the batch: (T, n, n)."""
        return np.matmul(self._delta.transpose(0, 2, 1), self._hprev)

    @property
    def dU_terms(self) -> Array:
        """Per-step input-weight terms delta_t x_t^T, summed over the batch: (T, n, m)."""
        return np.matmul(self._delta.transpose(0, 2, 1), self._X)

    def as_dict(self) -> dict[str, Array]:
        """A plain dict copy of the gradients (without the per-step terms)."""
        return dict(self)


def global_norm(grads: Mapping[str, Array], keys: tuple[str, ...] = _PARAM_KEYS) -> float:
    """Euclidean norm of all parameter gradients together (h0 and xs excluded)."""
    return float(np.sqrt(sum(float(np.vdot(grads[k], grads[k])) for k in keys if k in grads)))


def backward(
    trace: Trace,
    *,
    targets: object = None,
    dh: object = None,
    loss_at: str = "every",
    truncate: int | None = None,
    clip: float | None = None,
) -> Gradients:
    """Gradients of E for every parameter, h0 and xs, by BPTT (optionally truncated / clipped).

    Exactly one of `targets` (loss E = sum_t E_t, or E_T for loss_at='last') or `dh` (upstream
    dE/dh_t for every t, i.e. E = sum_t <dh_t, h_t>; shaped like trace.h) must be given.

    truncate=tau: each loss term E_t (or <dh_t, h_t>) is back-propagated at most tau steps:
    it reaches net_k only for t - tau <= k <= t, and h_{t-tau-1} is treated as a constant.
    tau=0 keeps only the immediate term; tau >= T - 1 is full BPTT.

    clip=threshold: when the global norm of the parameter gradients (U, W, b, V, c) exceeds
    threshold, they are all rescaled by threshold / norm; h0, xs and the per-step terms are not.
    """
    if (targets is None) == (dh is None):
        raise InputError("backward needs exactly one of targets= or dh=")
    _check_loss_at(loss_at)
    if truncate is not None and (
        isinstance(truncate, bool) or not isinstance(truncate, int | np.integer) or truncate < 0
    ):
        raise InputError(
            f"truncate must be a non-negative integer number of steps; found {truncate!r}"
        )
    if clip is not None and (
        isinstance(clip, bool)
        or not isinstance(clip, int | float | np.integer | np.floating)
        or not (math.isfinite(clip) and clip > 0)
    ):
        raise InputError(f"clip must be a positive finite threshold; found {clip!r}")

    P = trace.params
    net, H, X = trace._net, trace._H, trace._X
    T, B, n = net.shape
    m = X.shape[2]
    TB = T * B
    dt = net.dtype
    grads: dict[str, Array] = {}

    # delta starts as the upstream dE/dh_t (a fresh array of our own, updated in place below):
    # from the output layer (one matmul over all T*B rows), or given directly
    if targets is not None:
        Y = _targets(trace, targets)
        out = OUTPUTS[trace.output]  # type: ignore[index]
        V = P["V"]
        Yh = trace._Y
        assert Yh is not None
        if loss_at == "last":
            dZl = out.dz(Yh[-1], Y[-1])  # (B, k)
            delta = np.zeros((T, B, n), dtype=dt)
            dZl.dot(V, out=delta[-1])
            grads["V"] = dZl.T.dot(H[-1])
            if "c" in P:
                grads["c"] = _add_reduce(dZl, axis=0)
        else:
            dZf = out.dz(Yh, Y).reshape(TB, -1)
            delta = dZf.dot(V).reshape(T, B, n)
            grads["V"] = dZf.T.dot(H[1:].reshape(TB, n))
            if "c" in P:
                grads["c"] = _add_reduce(dZf, axis=0)
    else:
        dha = _as_array(dh, dt, "dh")
        if dha.shape != trace.h.shape:
            note = ""
            if dha.ndim >= 1 and dha.shape[0] != T:
                note = f" (T differs: xs has T = {T}, dh has {dha.shape[0]})"
            raise InputError(
                f"dh must have shape {trace.h.shape} like trace.h; found shape {dha.shape}{note}"
            )
        _check_finite(dha, "dh")
        delta = (dha if trace.batched else dha[:, None, :]).copy()
        for k in ("V", "c"):
            if k in P:
                grads[k] = np.zeros_like(P[k])

    # delta_t = f'(net_t) (.) (dE/dh_t + W^T delta_{t+1}); rows are batch items, so W^T v -> v W
    W = P["W"]
    act = ACTIVATIONS[trace.activation]
    big = TB * n > _BIG
    if truncate is None:
        # small: f' for all steps in one vectorised call; big: f'(net_t) per step, in cache
        fp = None if big else act.df(net, H[1:])
        df = act.df
        buf = np.empty((B, n), dtype=dt)
        d = delta[-1]
        d *= df(net[-1], H[-1]) if big else fp[-1]  # type: ignore[index]
        for t in range(T - 2, -1, -1):
            d.dot(W, out=buf)
            d = delta[t]
            d += buf
            d *= df(net[t], H[t + 1]) if big else fp[t]  # type: ignore[index]
    else:
        # D_j[k]: the part of delta_k coming from the loss at step k + j (lag j <= tau)
        fp = act.df(net, H[1:])
        delta *= fp
        D = delta
        for j in range(1, min(int(truncate), T - 1) + 1):
            D = np.matmul(D[1:], W)
            D *= fp[: T - j]
            delta[: T - j] += D

    # every weight gradient is one matmul over all T*B rows
    deltaf = delta.reshape(TB, n)
    Xf = X.reshape(TB, m)
    if big and m < n:
        # X^T delta (m rows) runs faster in OpenBLAS than delta^T X (n rows); same numbers
        grads["U"] = np.ascontiguousarray(Xf.T.dot(deltaf).T)
    else:
        grads["U"] = deltaf.T.dot(Xf)
    grads["W"] = deltaf.T.dot(H[:-1].reshape(TB, n))
    if "b" in P:
        grads["b"] = _add_reduce(deltaf, axis=0)
    dh0 = delta[0].dot(W)
    if trace._h0_shared:
        dh0 = dh0.sum(axis=0)
    elif not trace.batched:
        dh0 = dh0[0]
    grads["h0"] = dh0
    dxs = deltaf.dot(P["U"]).reshape(T, B, m)
    grads["xs"] = dxs if trace.batched else dxs[:, 0]

    norm = None
    clipped = False
    if clip is not None:
        norm = global_norm(grads)
        if norm > clip:
            scale = clip / norm
            for k in _PARAM_KEYS:
                if k in grads:
                    grads[k] *= scale
            clipped = True

    # keep the role order stable: parameters first, then h0 and xs
    ordered = {k: grads[k] for k in _GRAD_KEYS if k in grads}
    return Gradients(
        ordered, delta=delta, hprev=H[:-1], X=X, batched=trace.batched, norm=norm, clipped=clipped
    )
