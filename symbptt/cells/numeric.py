"""The generated engine: numpy forward and backward for ANY cell, interpreted from its IR.

Contract (the hand-written fast paths are tested equal to this):

    trace = forward(cell, params, xs, states0)      # xs (T, B, m); states0 {s: (B, n)} or None
    grads = backward(cell, trace, dstates)          # dstates {s: (T, B, n)}, missing = 0

- `params` is keyed by the cell's own keys (`cell.param_keys`: lstm U_i..W_o, b_i..; gru
  U_z.., b_hn), matrices (n, m) or (n, n), biases (n,). Batch rows: x_t is (B, m) and P v is
  computed as v @ P.T.
- `Trace.values[q]` is (T, B, n) for every quantity q of the cell (gates, candidates, states),
  time first; step t = 1..T is index t-1. Missing initial states are zeros.
- `dstates[s][t-1]` is the gradient of the loss w.r.t. s_t taken directly (not through later
  steps): e.g. dL_t/dh_t. A generic per-step loss runs as L = sum_t <g_t, h_t>, i.e. dstates
  = {"h": g}. `backward` carries the rest through time by the cell's reverse step
  (`reverse.step_adjoints`) and returns every parameter's gradient (summed over t and B), the
  gradients of the initial states and of xs, and `deltas[label]` (T, B, n): the total adjoint
  of every quantity ('h', 'c', 'i', ...) and of every function's argument ('pre:i', ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from symbptt.cells.cell import Cell
from symbptt.cells.expr import (
    Add,
    Adj,
    Apply,
    Deriv,
    Expr,
    Hadamard,
    Input,
    MatMul,
    Neg,
    OneMinus,
    Outer,
    ParamRef,
    Prev,
    Ref,
    Upstream,
)
from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.heads import Head
from symbptt.cells.reverse import adj_label, step_adjoints
from symbptt.errors import InputError

__all__ = ["Grads", "Trace", "backward", "forward", "head_loss", "loss_gradient_check"]

Array = np.ndarray


@dataclass(frozen=True)
class Trace:
    """Everything the forward pass computed, time first, and what it was computed from."""

    cell: Cell
    params: Mapping[str, Array]
    xs: Array  # (T, B, m)
    states0: Mapping[str, Array]  # state -> (B, n)
    values: Mapping[str, Array]  # quantity -> (T, B, n)

    @property
    def T(self) -> int:
        """The number of time steps."""
        return int(self.xs.shape[0])

    def state(self, s: str) -> Array:
        """s_1..s_T as (T, B, n)."""
        return self.values[s]


@dataclass(frozen=True)
class Grads:
    """Gradients of the loss: per parameter key, the initial states, the inputs, every delta."""

    params: dict[str, Array]
    states0: dict[str, Array]
    xs: Array
    deltas: dict[str, Array] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Array:
        return self.params[key]


class _Step:
    """The values one step's expressions read: parameters, x_t, states at t-1, quantities."""

    def __init__(self, params: Mapping[str, Array], x: Array, prev: Mapping[str, Array]) -> None:
        self.params, self.x, self.prev = params, x, prev
        self.q: dict[str, Array] = {}
        self.adj: dict[Adj, Array] = {}
        self.up: dict[str, Array] = {}
        self._memo: dict[int, tuple[Expr, Array]] = {}

    def ev(self, e: Expr) -> Array:
        """The value of e at this step, rows (B, .) (forward sub-expressions are memoised)."""
        if isinstance(e, Ref):
            return self.q[e.name]
        if isinstance(e, Adj):
            return self.adj[e]
        if isinstance(e, Prev):
            return self.prev[e.state]
        if isinstance(e, Input):
            return self.x
        if isinstance(e, ParamRef):
            return self.params[e.key]
        if isinstance(e, Upstream):
            return self.up[e.state]
        hit = self._memo.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        v = self._compute(e)
        self._memo[id(e)] = (e, v)
        return v

    def _compute(self, e: Expr) -> Array:
        if isinstance(e, MatMul):
            P = self.params[e.matrix.key]
            v = self.ev(e.vector)
            return v @ P if e.transpose else v @ P.T
        if isinstance(e, Hadamard):
            return self.ev(e.left) * self.ev(e.right)
        if isinstance(e, Add):
            acc = self.ev(e.terms[0])
            for t in e.terms[1:]:
                acc = acc + self.ev(t)
            return acc
        if isinstance(e, OneMinus):
            return 1.0 - self.ev(e.arg)
        if isinstance(e, Neg):
            return -self.ev(e.arg)
        if isinstance(e, Apply):
            return FUNCTIONS[e.function].numpy(self.ev(e.arg))
        if isinstance(e, Deriv):
            fn = FUNCTIONS[e.function]
            if fn.d_out is not None:
                return fn.d_out(self.ev(e.out))
            return fn.d_in(self.ev(e.arg))
        if isinstance(e, Outer):  # summed over the batch rows
            return self.ev(e.left).T @ self.ev(e.right)
        raise TypeError(f"cannot evaluate {type(e).__name__}")  # pragma: no cover


def _check_params(cell: Cell, params: Mapping[str, Array], n: int, m: int) -> dict[str, Array]:
    out = {}
    for p in cell.params:
        if p.key not in params:
            raise InputError(
                f"cell {cell.name!r}: parameter {p.key!r} is missing; expected keys "
                f"{', '.join(cell.param_keys)}"
            )
        v = np.asarray(params[p.key])
        if v.shape != p.size(n, m):
            raise InputError(
                f"cell {cell.name!r}: parameter {p.key!r} has shape {v.shape}; expected "
                f"{p.size(n, m)} ({', '.join(p.shape)} with n={n}, m={m})"
            )
        out[p.key] = v
    extra = sorted(set(params) - set(cell.param_keys))
    if extra:
        raise InputError(
            f"cell {cell.name!r}: unknown parameter {extra[0]!r}; expected keys "
            f"{', '.join(cell.param_keys)}"
        )
    return out


def _hidden_size(cell: Cell, params: Mapping[str, Array]) -> int:
    for p in cell.params:
        if p.key in params and p.shape[0] == "n":
            return int(np.shape(params[p.key])[0])
    raise InputError(f"cell {cell.name!r}: no parameters given")  # pragma: no cover


def forward(
    cell: Cell,
    params: Mapping[str, Array],
    xs: Array,
    states0: Mapping[str, Array] | None = None,
) -> Trace:
    """Run the cell over xs (T, B, m) from states0 ({s: (B, n)}, zeros when missing)."""
    xs = np.asarray(xs)
    if xs.ndim != 3 or xs.shape[0] < 1:
        raise InputError(f"xs has shape {xs.shape}; expected (T, B, m) with T >= 1")
    T, B, m = xs.shape
    n = _hidden_size(cell, params)
    p = _check_params(cell, params, n, m)
    dtype = np.result_type(xs.dtype, *(v.dtype for v in p.values()), np.float32)
    prev: dict[str, Array] = {}
    for s in cell.states:
        v = np.zeros((B, n), dtype) if states0 is None or s not in states0 else states0[s]
        v = np.asarray(v, dtype=dtype)
        if v.shape != (B, n):
            raise InputError(f"initial state {s!r} has shape {v.shape}; expected {(B, n)}")
        prev[s] = v
    s0 = dict(prev)
    values = {q: np.empty((T, B, n), dtype) for q in cell.quantities}
    for t in range(T):
        step = _Step(p, xs[t], prev)
        for eq in cell.equations:
            step.q[eq.name] = values[eq.name][t] = step.ev(eq.rhs)
        prev = {s: step.q[s] for s in cell.states}
    return Trace(cell, p, xs, s0, values)


def backward(cell: Cell, trace: Trace, dstates: Mapping[str, Array] | None = None) -> Grads:
    """Every gradient of a loss whose direct gradients w.r.t. the states are dstates (T, B, n)."""
    rev = step_adjoints(cell)
    T, B, _ = trace.xs.shape
    n = trace.values[cell.readout].shape[-1]
    dstates = dict(dstates or {})
    for s, g in dstates.items():
        if s not in cell.states:
            raise InputError(f"dstates has {s!r}, not a state of {cell.name!r} ({cell.states})")
        if np.shape(g) != (T, B, n):
            raise InputError(f"dstates[{s!r}] has shape {np.shape(g)}; expected {(T, B, n)}")
    dtype = trace.values[cell.readout].dtype
    grads = {k: np.zeros_like(v, dtype=dtype) for k, v in trace.params.items()}
    deltas = {adj_label(a): np.zeros((T, B, n), dtype) for a, _ in rev.adjoints}
    dxs = np.zeros_like(trace.xs, dtype=dtype)
    carry = {s: np.zeros((B, n), dtype) for s in cell.states}
    for t in range(T - 1, -1, -1):
        prev = {s: (trace.values[s][t - 1] if t > 0 else trace.states0[s]) for s in cell.states}
        step = _Step(trace.params, trace.xs[t], prev)
        step.q = {q: v[t] for q, v in trace.values.items()}
        step.up = {
            s: carry[s] + (np.asarray(dstates[s][t]) if s in dstates else 0.0) for s in cell.states
        }
        for a, e in rev.adjoints:
            step.adj[a] = deltas[adj_label(a)][t] = step.ev(e)
        for k, e in rev.params:
            v = step.ev(e)
            grads[k] += v if v.ndim == 2 and grads[k].ndim == 2 else v.sum(axis=0)
        if rev.input is not None:
            dxs[t] = step.ev(rev.input)
        carry = {s: np.zeros((B, n), dtype) for s in cell.states}
        for s, e in rev.prev:
            carry[s] = step.ev(e)
    return Grads(grads, carry, dxs, deltas)


def loss_gradient_check(
    cell: Cell,
    params: Mapping[str, Array],
    xs: Array,
    states0: Mapping[str, Array],
    g: Mapping[str, Array],
    *,
    eps: float = 1e-6,
) -> tuple[Grads, dict[str, Array]]:
    """backward's gradients of L = sum_t sum_s <g_s[t], s_t> and central differences of L.

    For tests and `verify`: the differences are float64, step eps, for every parameter entry.
    """

    def loss(p: Mapping[str, Array]) -> float:
        tr = forward(cell, p, xs, states0)
        return float(sum((tr.values[s] * v).sum() for s, v in g.items()))

    tr = forward(cell, params, xs, states0)
    got = backward(cell, tr, g)
    fd: dict[str, Array] = {}
    for k, v in params.items():
        v = np.asarray(v, dtype=float)
        out = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, dn = v.copy(), v.copy()
            up[idx] += eps
            dn[idx] -= eps
            out[idx] = (loss({**params, k: up}) - loss({**params, k: dn})) / (2 * eps)
        fd[k] = out
    return got, fd


def head_loss(
    cell: Cell,
    head: Head,
    params: Mapping[str, Array],
    xs: Array,
    states0: Mapping[str, Array] | None,
    targets: Array,
    *,
    loss_at: str = "every",
) -> tuple[float, Grads]:
    """E = sum_t E_t(V h_t + c, y_t) (or E_T alone) for any cell with an output head, and its
    gradients: the cell's parameters plus V (k, n) and c (k,), keyed 'V' and 'c' in params.

    Any head of `heads.HEADS` with an output layer combines with any cell: the head gives
    dE_t/dz_t, z_t = V h_t + c gives dE/dV, dE/dc and dE_t/dh_t, and `backward` does the rest.
    """
    if not head.has_output_layer:
        raise InputError(
            f"head {head.name!r} has no output layer; pass dstates to backward instead"
        )
    if loss_at not in ("every", "last"):
        raise InputError(f"loss_at is {loss_at!r}; expected 'every' or 'last'")
    for key in ("V", "c"):
        if key not in params:
            raise InputError(f"head {head.name!r} needs the output parameter {key!r}")
    V, c = np.asarray(params["V"]), np.asarray(params["c"])
    tr = forward(cell, {k: v for k, v in params.items() if k not in ("V", "c")}, xs, states0)
    H = tr.values[cell.readout]
    n = H.shape[-1]
    if V.ndim != 2 or V.shape[1] != n or c.shape != (V.shape[0],):
        raise InputError(f"V has shape {V.shape} and c {c.shape}; expected (k, {n}) and (k,)")
    Y = np.asarray(targets, dtype=float)
    Z = H @ V.T + c
    if Y.shape != Z.shape:
        raise InputError(f"targets have shape {Y.shape}; expected {Z.shape} (T, B, k)")
    mask = np.ones(Z.shape[0])
    if loss_at == "last":
        mask[:-1] = 0.0
    E = float((head.numpy_loss(Z, Y) * mask[:, None]).sum())  # type: ignore[misc]
    dZ = head.numpy_grad(Z, Y) * mask[:, None, None]  # type: ignore[misc]
    grads = backward(cell, tr, {cell.readout: dZ @ V})
    grads.params["V"] = np.einsum("tbk,tbn->kn", dZ, H)
    grads.params["c"] = dZ.sum(axis=(0, 1))
    return E, grads
