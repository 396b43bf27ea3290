"""Shared pieces of the numpy engines: activations and heads as data, input checks, buffers.

The vanilla engine (`symbptt.engine`) and the gated one (`symbptt.engine_gated`,
`symbptt.engine_gated_back`) both use these; keeping them here keeps the engines free of an
import cycle. `empty` / `zeros` hand out pooled working arrays (see the buffer pool below).
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from symbptt.cells.heads import HEADS
from symbptt.errors import InputError

Array = np.ndarray

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
    out = np.multiply(h, h, out=empty(h.shape, h.dtype))
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


# exp(-x) for x below this stays a normal number (float64 from -708, float32 from -87)
_EXP_RANGE = {np.dtype(np.float64): 700.0, np.dtype(np.float32): 80.0}


_SMALL = 1 << 13  # below this many values a plain reduce beats making a ones vector
_ones_cache: dict[tuple[int, np.dtype], Array] = {}


def ones(k: int, dtype: np.dtype) -> Array:
    """A read-only vector of k ones, cached (sums as BLAS products with it)."""
    v = _ones_cache.get((k, dtype))
    if v is None:
        if len(_ones_cache) > 64:
            _ones_cache.clear()
        v = np.ones(k, dtype)
        v.flags.writeable = False
        _ones_cache[(k, dtype)] = v
    return v


def rowsum(a: Array) -> Array:
    """Sums over the last axis, kept as a trailing axis of 1, by one BLAS product with ones.

    A reduction along a short contiguous axis is slow in numpy (one inner loop per row): at
    (1600, 64) the product takes 21 us where `np.add.reduce` takes 35 us."""
    if a.size < _SMALL:
        return _add_reduce(a, axis=-1, keepdims=True)
    return a.dot(ones(a.shape[-1], a.dtype))[..., None]


def colsum(a: Array) -> Array:
    """Sums over the rows of a matrix by one BLAS product (19 us where a reduce takes 42 us at
    (1600, 128))."""
    if a.size < _SMALL:
        return _add_reduce(a, axis=0)
    return ones(a.shape[0], a.dtype).dot(a)


def _softmax(z: Array) -> Array:
    """softmax over the last axis, stable: shifted by the global max when the whole range of z
    fits the exponent range (no entry underflows, so each row is as exact as with its own max),
    else by each row's max."""
    e = empty(z.shape, z.dtype)
    flat = z.reshape(-1)
    hi = flat.max()
    if hi - flat.min() < _EXP_RANGE[z.dtype]:
        np.subtract(z, hi, out=e)
    else:
        np.subtract(z, _max_reduce(z, axis=-1, keepdims=True), out=e)
    np.exp(e, out=e)
    s = rowsum(e)
    np.reciprocal(s, out=s)
    e *= s
    return e


def _softmax_dz(yh: Array, y: Array) -> Array:
    """dE/dz = yhat sum_j y_j - y for softmax + cross-entropy, with one full-size temporary."""
    d = np.multiply(yh, rowsum(y), out=empty(yh.shape, yh.dtype))
    d -= y
    return d


def _log_softmax(z: Array) -> Array:
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _diff(yh: Array, y: Array) -> Array:
    """dE/dz = yhat - y (squared error after identity; BCE after sigmoid)."""
    return np.subtract(yh, y, out=empty(yh.shape, yh.dtype))


def _sigmoid(z: Array) -> Array:
    return _sigmoid_into(z, empty(z.shape, z.dtype))


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
            _diff,
        ),
        # sigmoid + binary cross-entropy, written as softplus(z) - y z for stability
        Output(
            "sigmoid",
            _sigmoid,
            lambda z, yh, y: float((np.logaddexp(0.0, z) - y * z).sum()),
            _diff,
        ),
    )
}

_LOSS_AT = ("every", "last")


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


def _targets(trace: Any, targets: object) -> Array:
    """Targets as a (T, B, k) array: same shape as yhat, or integer class labels for softmax.

    Any trace with `output`, `_Y`, `yhat` and `batched` (vanilla or gated) will do.
    """
    if trace.output is None:
        raise InputError("targets need an output layer; this trace has output=None (use dh=)")
    Yh = trace._Y
    assert Yh is not None
    T, B, k = Yh.shape
    ya = np.asarray(targets)
    lead = trace.yhat.shape[:-1]  # type: ignore[union-attr]
    # integer class labels may stand for the targets where the heads table says so (softmax + CE)
    labels_ok = any(h.class_labels for h in HEADS.values() if h.output == trace.output)
    if labels_ok and ya.shape == lead and np.issubdtype(ya.dtype, np.integer):
        if ya.size and (ya.min() < 0 or ya.max() >= k):
            raise InputError(f"targets as class labels must lie in 0..{k - 1}")
        onehot = zeros((T * B, k), Yh.dtype)
        onehot[np.arange(T * B), ya.reshape(-1)] = 1.0
        return onehot.reshape(T, B, k)
    want = trace.yhat.shape  # type: ignore[union-attr]
    if ya.shape != want:
        note = ""
        if ya.ndim >= 1 and ya.shape[0] != T:
            note = f" (T differs: xs has T = {T}, targets have {ya.shape[0]})"
        labels = " or integer labels of shape " + str(lead) if labels_ok else ""
        raise InputError(
            f"targets must have shape {want} like yhat{labels}; found shape {ya.shape}{note}"
        )
    ya = _as_array(ya, Yh.dtype, "targets")
    _check_finite(ya, "targets")
    return ya if trace.batched else ya[:, None, :]


def upstream(trace: Any, targets: object, dh: object, loss_at: str, grads: dict) -> Array:
    """dE/dh_t from the head (one matmul over all rows) or as given, as a fresh (T, B, n).

    Shared by every engine: the trace has `params`, `_H` (T + 1, B, n), `_Y`, `output`, `h`
    and `batched`. The head's gradients (V, c) go into `grads`."""
    P, H = trace.params, trace._H
    T, B, n = H.shape[0] - 1, H.shape[1], H.shape[2]
    dt = H.dtype
    if targets is not None:
        Y = _targets(trace, targets)
        out = OUTPUTS[trace.output]  # type: ignore[index]
        V, Yh = P["V"], trace._Y
        if loss_at == "last":
            dZl = out.dz(Yh[-1], Y[-1])  # type: ignore[index]
            D = zeros((T, B, n), dt)
            dZl.dot(V, out=D[-1])
            grads["V"] = dZl.T.dot(H[-1])
            if "c" in P:
                grads["c"] = _add_reduce(dZl, axis=0)
        else:
            dZf = out.dz(Yh, Y).reshape(T * B, -1)
            D = empty((T, B, n), dt)
            np.dot(dZf, V, out=D.reshape(T * B, n))
            grads["V"] = dZf.T.dot(H[1:].reshape(T * B, n))
            if "c" in P:
                grads["c"] = colsum(dZf)
        return D
    dha = _as_array(dh, dt, "dh")
    if dha.shape != trace.h.shape:
        note = ""
        if dha.ndim >= 1 and dha.shape[0] != T:
            note = f" (T differs: xs has T = {T}, dh has {dha.shape[0]})"
        raise InputError(
            f"dh must have shape {trace.h.shape} like trace.h; found shape {dha.shape}{note}"
        )
    _check_finite(dha, "dh")
    D = empty((T, B, n), dt)
    D[...] = dha if trace.batched else dha[:, None, :]
    for k in ("V", "c"):
        if k in P:
            grads[k] = np.zeros_like(P[k])
    return D


def _check_loss_at(loss_at: str) -> None:
    if loss_at not in _LOSS_AT:
        raise InputError(f"loss_at must be one of {list(_LOSS_AT)}; found {loss_at!r}")


def _check_backward_options(truncate: object, clip: object) -> None:
    """truncate: a non-negative int or None; clip: a positive finite real or None."""
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


def _norm_of(grads: Mapping[str, Array], keys: tuple[str, ...] | Any) -> float:
    return float(np.sqrt(sum(float(np.vdot(grads[k], grads[k])) for k in keys if k in grads)))


def _clip(grads: dict[str, Array], keys: Any, clip: float | None) -> tuple[float | None, bool]:
    """Rescale the parameter gradients in place when their global norm exceeds clip."""
    if clip is None:
        return None, False
    norm = _norm_of(grads, keys)
    if norm <= clip:
        return norm, False
    scale = clip / norm
    for k in keys:
        if k in grads:
            grads[k] *= scale
    return norm, True


class TraceViews:
    """What the gated and generic traces share: arrays kept (T, B, ...) shown without the batch
    axis for an unbatched call, and the output head's z_t and yhat_t (None without a head)."""

    batched: bool
    _Z: Array | None
    _Y: Array | None

    def _v(self, a: Array) -> Array:
        return a if self.batched else a[:, 0]

    @property
    def z(self) -> Array | None:
        """Output pre-activations V h_t + c."""
        return None if self._Z is None else self._v(self._Z)

    @property
    def yhat(self) -> Array | None:
        """Outputs g(z_t)."""
        return None if self._Y is None else self._v(self._Y)


# --------------------------------------------------------------------------- operand layout

# The per-step recurrent products (B, n) x (n, n) are a third to a half of the engines' time,
# and which layout of the right operand BLAS runs faster depends on its kernels: OpenBLAS
# 0.3.31's AVX-512 (SkylakeX) kernels run it 1.3-1.8x faster C-contiguous (an NN GEMM), its
# AVX2 (Haswell) kernels ~1.25x faster F-contiguous in float64 (measured 2026-11-28, B = 32,
# n = 128). The layout is decided from the kernels OpenBLAS runs (OPENBLAS_CORETYPE, else the
# CPU's AVX-512 flag), not timed, so one host always gets the same bits;
# SYMBPTT_RIGHT_OPERAND=C or F overrides it.
_AVX512_CORES = {"skylakex", "cooperlake", "sapphirerapids"}
_layout_c: dict[np.dtype, bool] = {}


def _avx512_kernels() -> bool:
    """Whether OpenBLAS runs its AVX-512 kernels: the core it is pinned to, else the CPU flags."""
    core = os.environ.get("OPENBLAS_CORETYPE", "").strip().lower()
    if core:
        return core in _AVX512_CORES
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return any(line.startswith("flags") and " avx512f" in line for line in f)
    except OSError:
        return False


def _c_is_faster(dt: np.dtype) -> bool:
    """Whether per-step products take their right operand C-contiguous (else F-contiguous)."""
    if dt not in _layout_c:
        choice = os.environ.get("SYMBPTT_RIGHT_OPERAND", "").strip().upper()
        _layout_c[dt] = choice == "C" if choice in ("C", "F") else _avx512_kernels()
    return _layout_c[dt]


def right_operand(w: Array) -> Array:
    """A matrix (or a stack (G, n, n) of matrices) that per-step products take on the right, in
    the layout this BLAS multiplies fastest (C or F order per matrix); values unchanged."""
    if _c_is_faster(w.dtype):
        return np.ascontiguousarray(w)
    if w.ndim == 2:
        return np.asfortranarray(w)
    return np.ascontiguousarray(w.transpose(0, 2, 1)).transpose(0, 2, 1)


# --------------------------------------------------------------------------- buffer pool

# Fresh arrays of a few MB cost page faults on every call (glibc hands freed memory back to the
# OS), about 30% of the vanilla engine's CPU time at the medium size. The pool keeps buffers
# that were handed out before and reuses one only when nothing else refers to it any more: no
# trace, gradient, view or slice of it is alive (its reference count is the pool's own), so a
# trace kept by the caller is never overwritten.
_POOL_MIN = 1 << 16  # bytes; smaller arrays are cheap to allocate
# bytes: when a new buffer would take the pool beyond this, the oldest free buffers are dropped
# (buffers in use are kept, so one large call can leave more than this pooled until the next
# allocation or release_buffers())
_POOL_MAX = 1 << 28
_pool: list[Array] = []
_pool_lock = threading.Lock()


def _free_refcount() -> int:
    """The reference count `empty` sees for a buffer only the pool holds (same loop form)."""
    count = -1
    _pool.append(np.empty(1))
    for a in _pool:
        count = sys.getrefcount(a)
    _pool.clear()
    return count


_FREE = _free_refcount()


def empty(shape: tuple[int, ...], dtype: np.dtype) -> Array:
    """An uninitialised array, reusing a pooled buffer of that shape and dtype nobody holds."""
    size = math.prod(shape) * dtype.itemsize
    if size < _POOL_MIN:
        return np.empty(shape, dtype)
    with _pool_lock:
        for a in _pool:
            if a.shape == shape and a.dtype == dtype and sys.getrefcount(a) == _FREE:
                return a
        a = np.empty(shape, dtype)
        _pool.append(a)
        total = sum(b.nbytes for b in _pool)
        i = 0
        while total > _POOL_MAX and i < len(_pool) - 1:
            b = _pool[i]
            if sys.getrefcount(b) == _FREE:
                total -= b.nbytes
                del _pool[i]
            else:
                i += 1
            del b
        return a


def zeros(shape: tuple[int, ...], dtype: np.dtype) -> Array:
    """Like `empty`, filled with zeros."""
    a = empty(shape, dtype)
    a.fill(0.0)
    return a


def release_buffers() -> None:
    """Drop every pooled buffer (memory held by live traces stays with them)."""
    with _pool_lock:
        _pool.clear()
