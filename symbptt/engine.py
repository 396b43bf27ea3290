"""Vectorised numpy BPTT for a vanilla RNN: forward, loss, backward (full, truncated, clipped).

Model, with parameters named by role (U input, W recurrent, b hidden bias, V output, c output
bias)::

    net_t = U x_t + W h_{t-1} + b,  h_t = f(net_t),  z_t = V h_t + c,  yhat_t = g(z_t),
    E = sum_t E_t(yhat_t, y_t)

Arrays are time first: xs is (T, m) or (T, B, m). Internally everything is batched (T, B, .);
the input projection, the output layer and every weight gradient are one matmul over all T*B
rows, and only the recurrent chain is a Python loop over t. Large working arrays come from a
pool (`engine_core.empty`) that reuses a buffer only once nothing refers to it; a trace or
gradients the caller keeps are never overwritten. `release_buffers()` frees the pool.

`forward(..., cell="lstm" | "gru" | "gru-reset-before")` runs the gated cells of
`symbptt.engine_gated` (parameters keyed by the cell's own keys); `backward` and `loss` take
either kind of trace. Any other `symbptt.cells.Cell` (a cell stated in a derivation file) runs
on the generated engine behind the same contract (`symbptt.engine_generic`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from symbptt import engine_gated, engine_gated_back
from symbptt.engine_core import (
    ACTIVATIONS,
    OUTPUTS,
    Activation,
    Output,
    _as_array,
    _check_backward_options,
    _check_finite,
    _check_loss_at,
    _check_shape,
    _clip,
    _dtype,
    _lookup,
    _sumsq,
    _targets,
    colsum,
    empty,
    release_buffers,
    right_operand,
    upstream,
)
from symbptt.engine_gated import CELLS, GatedTrace
from symbptt.engine_gated_back import GatedGradients
from symbptt.errors import InputError

Array = np.ndarray
CELL_NAMES = ("rnn", *CELLS)


def _is_other_cell(cell: object) -> bool:
    """True for a `symbptt.cells.Cell` with a name of its own (a cell stated in a file)."""
    if getattr(cell, "name", None) in CELL_NAMES:
        return False
    from symbptt.cells.cell import Cell

    return isinstance(cell, Cell)


def _cell_name(cell: object, activation: object) -> str:
    """A built-in cell's name, from the name or from a `symbptt.cells.Cell` equal to a built-in."""
    name = cell if isinstance(cell, str) else getattr(cell, "name", None)
    if name not in CELL_NAMES:
        known = ", ".join(repr(k) for k in CELL_NAMES)
        shown = name if isinstance(cell, str) else type(cell).__name__
        raise InputError(f"unknown cell {shown!r}; the engine knows: {known}")
    if not isinstance(cell, str):
        # loaded only for cell objects (symbptt.cells brings SymPy along)
        from symbptt.cells import builtin

        if name == "rnn":
            same = any(
                cell == builtin.rnn(str(activation), bias=b, recurrent_first=r)
                for b in (True, False)
                for r in (False, True)
            )
        else:
            same = cell == builtin.CELLS[name]
        if not same:
            raise InputError(
                f"cell object {name!r} is not the built-in {name!r} (with activation "
                f"{activation!r}); the engine's fast paths run the built-in cells, "
                "symbptt.cells.numeric runs any cell"
            )
    return name  # type: ignore[return-value]


__all__ = [
    "ACTIVATIONS",
    "CELL_NAMES",
    "OUTPUTS",
    "Activation",
    "GatedGradients",
    "GatedTrace",
    "Gradients",
    "Output",
    "Trace",
    "backward",
    "forward",
    "global_norm",
    "loss",
    "release_buffers",
    "rnn_cell_backward_step",
    "rnn_cell_forward_step",
    "transpose",
]


_PARAM_KEYS = ("U", "W", "b", "V", "c")
_PARAM_SET = frozenset(_PARAM_KEYS)
_GRAD_KEYS = (*_PARAM_KEYS, "h0", "xs")
# above this many hidden values (T*B*n) backward takes f'(net_t) step by step, in cache: a
# fresh full-size f' array costs more in page faults (freed memory goes back to the OS between
# calls) than the extra per-step calls; below it one vectorised call is cheaper
_BIG = 1 << 12


# --------------------------------------------------------------------------- cell formulas


def transpose(a: Array) -> Array:
    """Matrix transpose, spelled as a function so latexify renders it as a superscript."""
    return np.transpose(a)


# One step on column vectors, the activation f (or f') passed in; latexify renders these in
# each text's notation and term order (symbptt.latex.cells), and tests/test_engine_steps.py
# holds them equal to the generated engine (symbptt.cells.numeric) step by step.


def rnn_cell_forward_step(
    U: Array, W: Array, b: Array, x: Array, h_prev: Array, f: Callable[[Array], Array]
) -> Array:
    """One RNN step h_t = f(U x_t + W h_{t-1} + b)."""
    return f(U @ x + W @ h_prev + b)


def rnn_cell_forward_step_recurrent_first(
    U: Array, W: Array, b: Array, x: Array, h_prev: Array, f: Callable[[Array], Array]
) -> Array:
    """The same step as the recurrent-first texts write it: h_t = f(W h_{t-1} + U x_t + b)."""
    return f(W @ h_prev + U @ x + b)


def rnn_cell_forward_step_no_bias(
    U: Array, W: Array, x: Array, h_prev: Array, f: Callable[[Array], Array]
) -> Array:
    """The step of a cell without a hidden bias: h_t = f(U x_t + W h_{t-1})."""
    return f(U @ x + W @ h_prev)


def rnn_cell_forward_step_recurrent_first_no_bias(
    U: Array, W: Array, x: Array, h_prev: Array, f: Callable[[Array], Array]
) -> Array:
    """Without a hidden bias, recurrent term first: h_t = f(W h_{t-1} + U x_t)."""
    return f(W @ h_prev + U @ x)


def rnn_cell_backward_step(
    W: Array, net: Array, dh: Array, delta_next: Array, fprime: Callable[[Array], Array]
) -> Array:
    """One BPTT step delta_t = f'(net_t) (.) (dE_t/dh_t + W^T delta_{t+1})."""
    return fprime(net) * (dh + transpose(W) @ delta_next)


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
    cell: object = "rnn",
    c0: object = None,
    activation: str = "tanh",
    output: str | None = "softmax",
    dtype: object = None,
) -> Trace | GatedTrace:
    """Run the cell over xs (T, m) or (T, B, m) from h0 (zeros if None); keep what backward needs.

    cell: 'rnn' (parameters U, W, b), or a gated cell of `symbptt.engine_gated` ('lstm', 'gru',
    'gru-reset-before', with the parameter keys of `engine_gated.param_keys`; c0 for 'lstm'),
    given by name or as a cell object with that name.
    """
    if not isinstance(cell, str) and _is_other_cell(cell):
        from symbptt import engine_generic  # any other cell: the generated engine (slower)

        s0 = None if c0 is None else {cell.states[-1]: c0}  # type: ignore[attr-defined]
        dt = _dtype(dtype)
        return engine_generic.forward(cell, params, xs, h0, states0=s0, output=output, dt=dt)  # type: ignore[arg-type,return-value]
    name = cell if cell == "rnn" else _cell_name(cell, activation)
    dt = _dtype(dtype)
    if name != "rnn":
        return engine_gated.forward(
            params, xs, h0, cell=name, c0=c0, activation=activation, output=output, dt=dt
        )
    if c0 is not None:
        raise InputError(
            "c0 is only for the LSTM cells (lstm, homework3-lstm); cell 'rnn' has no cell state"
        )
    act = _lookup(ACTIVATIONS, activation, "activation")
    out = None if output is None else _lookup(OUTPUTS, output, "output")
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

    H = empty((T + 1, B, n), dt)
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
    net = empty((T, B, n), dt)
    np.dot(X.reshape(T * B, m), U.T, out=net.reshape(T * B, n))
    if "b" in P:
        net += P["b"]
    # W^T in the layout this BLAS multiplies fastest (engine_core.right_operand)
    WT = right_operand(W.T)
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
        Zf = empty((T * B, V.shape[0]), dt)
        np.dot(H[1:].reshape(T * B, n), V.T, out=Zf)
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

    @property
    def terms(self) -> dict[str, Array]:
        """Per-step parameter terms by key, as for the gated cells: U, W (and b) -> (T, ...)."""
        out = {"U": self.dU_terms, "W": self.dW_terms}
        if "b" in self:
            out["b"] = self._delta.sum(axis=1)
        return out

    @property
    def deltas(self) -> dict[str, Array]:
        """Per-step error terms by name, as for the gated cells: 'net' is `delta`."""
        return {"net": self.delta}

    def as_dict(self) -> dict[str, Array]:
        """A plain dict copy of the gradients (without the per-step terms)."""
        return dict(self)


def global_norm(grads: Mapping[str, Array], keys: tuple[str, ...] = _PARAM_KEYS) -> float:
    """Euclidean norm of all parameter gradients together (h0 and xs excluded)."""
    return float(np.sqrt(sum(float(np.vdot(grads[k], grads[k])) for k in keys if k in grads)))


def backward(
    trace: Trace | GatedTrace,
    *,
    targets: object = None,
    dh: object = None,
    loss_at: str = "every",
    truncate: int | None = None,
    clip: float | None = None,
    grad_xs: bool = True,
) -> Gradients | GatedGradients:
    """Gradients of E for every parameter, h0 and xs, by BPTT (optionally truncated / clipped).

    Exactly one of `targets` (loss E = sum_t E_t, or E_T for loss_at='last') or `dh` (upstream
    dE/dh_t for every t, i.e. E = sum_t <dh_t, h_t>; shaped like trace.h) must be given.

    truncate=tau: each loss term E_t (or <dh_t, h_t>) is back-propagated at most tau steps:
    it reaches net_k only for t - tau <= k <= t, and h_{t-tau-1} is treated as a constant.
    tau=0 keeps only the immediate term; tau >= T - 1 is full BPTT.

    clip=threshold: when the global norm of the parameter gradients (U, W, b, V, c) exceeds
    threshold, they are all rescaled by threshold / norm; h0, xs and the per-step terms are not.

    grad_xs=False leaves out dE/dxs (one matmul over all T*B rows, about a tenth of the work),
    as torch does for an input without requires_grad; the result then has no 'xs' key.
    """
    if (targets is None) == (dh is None):
        raise InputError("backward needs exactly one of targets= or dh=")
    if not isinstance(grad_xs, bool):
        raise InputError(f"grad_xs must be True or False; found {grad_xs!r}")
    if not isinstance(trace, Trace | GatedTrace):
        from symbptt import engine_generic

        if isinstance(trace, engine_generic.GenericTrace):
            g = engine_generic.backward(
                trace, targets=targets, dh=dh, loss_at=loss_at, truncate=truncate, clip=clip
            )
            if not grad_xs:
                g.pop("xs", None)
            return g  # type: ignore[return-value]
    if isinstance(trace, GatedTrace):
        return engine_gated_back.backward(
            trace,
            targets=targets,
            dh=dh,
            loss_at=loss_at,
            truncate=truncate,
            clip=clip,
            grad_xs=grad_xs,
        )
    _check_loss_at(loss_at)
    _check_backward_options(truncate, clip)

    P = trace.params
    net, H, X = trace._net, trace._H, trace._X
    T, B, n = net.shape
    m = X.shape[2]
    TB = T * B
    dt = net.dtype
    grads: dict[str, Array] = {}

    # delta starts as the upstream dE/dh_t (a fresh array of our own, updated in place below):
    # from the output layer (one matmul over all T*B rows), or given directly
    delta = upstream(trace, targets, dh, loss_at, grads)

    # delta_t = f'(net_t) (.) (dE/dh_t + W^T delta_{t+1}); rows are batch items, so W^T v -> v W
    W = P["W"]
    WF = right_operand(W)  # the faster layout for the per-step product, as forward
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
            d.dot(WF, out=buf)
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
        grads["b"] = colsum(deltaf)
    dh0 = delta[0].dot(W)
    if trace._h0_shared:
        dh0 = dh0.sum(axis=0)
    elif not trace.batched:
        dh0 = dh0[0]
    grads["h0"] = dh0
    if grad_xs:
        dxs = empty((T, B, m), dt)
        np.dot(deltaf, P["U"], out=dxs.reshape(TB, m))
        grads["xs"] = dxs if trace.batched else dxs[:, 0]

    norm, clipped = _clip(grads, _PARAM_KEYS, clip)

    # keep the role order stable: parameters first, then h0 and xs
    ordered = {k: grads[k] for k in _GRAD_KEYS if k in grads}
    return Gradients(
        ordered, delta=delta, hprev=H[:-1], X=X, batched=trace.batched, norm=norm, clipped=clipped
    )
