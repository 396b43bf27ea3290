"""Vectorised numpy BPTT for gated cells (LSTM, GRU): forward, backward, truncation, clipping.

The hand-written fast path of the engine for the built-in gated cells, in PyTorch's equations::

    lstm: i, f, o = sigma(U_k x_t + W_k h_{t-1} + b_k), g = tanh(U_g x_t + W_g h_{t-1} + b_g),
          c_t = f (.) c_{t-1} + i (.) g,  h_t = o (.) tanh(c_t)
    gru:  z, r = sigma(U_k x_t + W_k h_{t-1} + b_k),
          n = tanh(U_n x_t + b_n + r (.) (W_n h_{t-1} + b_hn)),  h_t = z (.) h_{t-1} + (1 - z) (.) n
    gru-reset-before: n = tanh(U_n x_t + W_n (r (.) h_{t-1}) + b_n)

Rows are batch items, time first (T, B, .). The gates are stacked gate-major, (G, T, B, n):
each gate's (B, n) block of a step is contiguous, so the gate arithmetic runs on whole blocks
(a column slice of a (B, G n) row layout made every elementwise call 2-3x slower). One stacked
matmul per step serves all gates ((B, n) x (G, n, n), as fast as one (B, n) x (n, G n) GEMM), and
every input projection and weight gradient is one stacked matmul over all T*B rows. Sigmoid gates
run as 0.5 (1 + tanh(a / 2)) with the 1/2 folded into their stacked weights (exact in binary), so
one tanh call serves every gate of a step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from symbptt.engine_core import (
    OUTPUTS,
    TraceViews,
    _as_array,
    _check_finite,
    _sumsq,
    empty,
    right_operand,
)
from symbptt.errors import InputError

Array = np.ndarray

__all__ = ["CELLS", "GatedTrace", "forward", "param_keys"]


@dataclass(frozen=True)
class _Cell:
    """A built-in gated cell: gate letters in stack order (sigmoid gates first), extra keys."""

    name: str
    kind: str  # which fast path: lstm, gru or gru-reset-before
    gates: tuple[str, ...]
    order: tuple[str, ...]  # the gates in the order the parameter keys are documented
    n_sigmoid: int
    extra: tuple[str, ...] = ()
    states: tuple[str, ...] = ("h",)


CELLS: Mapping[str, _Cell] = {
    c.name: c
    for c in (
        _Cell("lstm", "lstm", ("i", "f", "o", "g"), ("i", "f", "g", "o"), 3, states=("h", "c")),
        # homework 3's letters: C_t = f C_{t-1} + i Ctilde, Ctilde from U_C, W_C, b_C
        _Cell(
            "homework3-lstm",
            "lstm",
            ("i", "f", "o", "C"),
            ("f", "i", "C", "o"),
            3,
            states=("h", "C"),
        ),
        _Cell("gru", "gru", ("z", "r", "n"), ("z", "r", "n"), 2, extra=("b_hn",)),
        _Cell("gru-reset-before", "gru-reset-before", ("z", "r", "n"), ("z", "r", "n"), 2),
    )
}


@cache
def param_keys(cell: str) -> tuple[str, ...]:
    """The cell's own parameter keys: U_k (n, m), W_k (n, n), b_k (n,) per gate, then extras."""
    gs = CELLS[cell].order
    return (
        *(f"U_{g}" for g in gs),
        *(f"W_{g}" for g in gs),
        *(f"b_{g}" for g in gs),
        *CELLS[cell].extra,
    )


_HEAD = ("V", "c")


def _check_params(
    params: Mapping[str, object], cell: _Cell, dt: np.dtype, need_v: bool
) -> tuple[dict[str, Array], dict[str, Array]]:
    """The parameters as arrays of dt, and the gates' U, W, b stacked in gate order."""
    if not isinstance(params, Mapping):
        raise InputError(f"params must be a mapping of key -> array; found {type(params).__name__}")
    keys = param_keys(cell.name)
    known = (*keys, *_HEAD)
    if unknown := [k for k in params if k not in known]:
        raise InputError(
            f"params has unknown key(s) {unknown} for cell {cell.name!r}; known: {list(known)}"
        )
    for g in cell.gates:
        for w in ("U", "W"):
            if f"{w}_{g}" not in params:
                what = "input" if w == "U" else "recurrent"
                raise InputError(f"params needs '{w}_{g}' (the {what} weight of gate {g})")
    P: dict[str, Array] = {}
    for k in known:
        if k in params:
            try:  # _as_array inlined: the name is formatted only on error
                P[k] = np.asarray(params[k], dtype=dt)
            except (TypeError, ValueError) as exc:
                raise InputError(f"params[{k!r}] must be a numeric array; {exc}") from None
    first = f"U_{cell.gates[0]}"
    U0 = P[first]
    if U0.ndim != 2:
        raise InputError(f"params[{first!r}] must be a matrix (n, m); found shape {U0.shape}")
    n, m = U0.shape
    wants = {"U": (n, m), "W": (n, n), "b": (n,)}
    if any(P[k].shape != wants.get(k[0], (n,)) for k in keys if k in P):
        _shape_error(P, keys, U0.shape)
    if "V" in P:
        V = P["V"]
        if V.ndim != 2 or V.shape[1] != n:
            raise InputError(f"params['V'] must have shape (k, n) with n = {n}; found {V.shape}")
        if "c" in P and P["c"].shape != (V.shape[0],):
            raise InputError(
                f"params['c'] must have shape (k,) = ({V.shape[0]},); found shape {P['c'].shape}"
            )
    elif need_v:
        raise InputError(
            "params needs 'V' (the output weight) when output is not None; "
            "pass output=None for a hidden-state-only model"
        )
    elif "c" in P:
        raise InputError("params has 'c' (output bias) but no 'V' (output weight)")
    S = {
        w: np.concatenate([P[f"{w}_{g}"] for g in cell.gates])
        for w in ("U", "W") + (("b",) if all(f"b_{g}" in P for g in cell.gates) else ())
    }
    if "b" not in S:
        S["b"] = np.concatenate([P.get(f"b_{g}", np.zeros(n, dt)) for g in cell.gates])
    # one cheap test on the stacks for the hot path; name the culprit only when not finite
    rest = [P[k] for k in ("V", "c", "b_hn") if k in P]
    if not math.isfinite(sum([_sumsq(a) for a in (*S.values(), *rest)])):
        for k, a in P.items():
            _check_finite(a, f"params[{k!r}]")
    return P, S


def _shape_error(P: dict[str, Array], keys: tuple[str, ...], u0: tuple[int, ...]) -> None:
    """Name the parameter whose shape is wrong, with n, m from the shape most U_k share."""
    inputs = [k for k in keys if k[0] == "U" and k in P and P[k].ndim == 2]
    shapes = [P[k].shape for k in inputs]  # n, m: the shape most input weights share (a wrong
    n, m = max(shapes, key=lambda s: (shapes.count(s), s == u0))  # U_z is not U_r's fault)
    agree = ", ".join(k for k in inputs if P[k].shape == (n, m))
    for k in keys:
        if k not in P:
            continue
        want = {"U": (n, m), "W": (n, n)}.get(k[0], (n,))
        what = {"U": "(n, m)", "W": "(n, n)"}.get(k[0], "(n,)")
        if P[k].shape != want:
            raise InputError(
                f"params[{k!r}] must have shape {what} = {want} (n, m from {agree}); "
                f"found shape {P[k].shape}"
            )


def _state0(value: object, name: str, n: int, B: int, batched: bool, dt: np.dtype) -> Array:
    a = _as_array(value, dt, name)
    if not (a.shape == (n,) or (batched and a.shape == (B, n))):
        want = f"(n,) = ({n},) or (B, n) = ({B}, {n})" if batched else f"(n,) = ({n},)"
        raise InputError(f"{name} must have shape {want}; found shape {a.shape}")
    _check_finite(a, name)
    return a


# --------------------------------------------------------------------------- trace


@dataclass(eq=False)
class GatedTrace(TraceViews):
    """Everything forward computed, time first: states h (and c), gates, intermediates, outputs.

    `h`, `c` are (T, [B,] n) (the initial states are `h0`, `c0`); `gates[k]` the gate values
    (i, f, g, o or z, r, n); `intermediates` adds tanh(c_t) (lstm), u_t = W_n h_{t-1} + b_hn
    (gru) or r_t (.) h_{t-1} (gru-reset-before); `pre[k]` the gate pre-activations, computed on
    first use. `z` and `yhat` are the output head's, None without one.
    """

    cell: str
    xs: Array
    h0: Array
    c0: Array | None
    params: dict[str, Array]
    output: str | None
    batched: bool
    activation: str
    _X: Array = field(repr=False)
    _H: Array = field(repr=False)  # (T + 1, B, n), h0 at index 0
    _C: Array | None = field(repr=False)  # lstm: (T + 1, B, n)
    _G: Array = field(repr=False)  # (G, T, B, n) gate values in stack order, gate-major
    _M: Array = field(repr=False)  # (T, B, n): tanh(c), u or r (.) h_{t-1}
    _Z: Array | None = field(repr=False)
    _Y: Array | None = field(repr=False)
    _h0_shared: bool = field(repr=False)
    _c0_shared: bool = field(repr=False)
    _S: dict[str, Array] = field(repr=False)  # U, W, b stacked in gate order (unscaled)

    @property
    def T(self) -> int:
        """Number of time steps."""
        return self._G.shape[1]

    @property
    def kind(self) -> str:
        """The fast path that ran: lstm, gru or gru-reset-before."""
        return CELLS[self.cell].kind

    @property
    def h(self) -> Array:
        """Hidden states h_1..h_T."""
        return self._v(self._H[1:])

    @property
    def c(self) -> Array | None:
        """Cell states c_1..c_T (lstm), else None."""
        return None if self._C is None else self._v(self._C[1:])

    @property
    def states(self) -> dict[str, Array]:
        """The states carried across time, by name."""
        out = {"h": self.h}
        if self._C is not None:
            out[CELLS[self.cell].states[1]] = self.c  # type: ignore[assignment]
        return out

    @property
    def gates(self) -> dict[str, Array]:
        """Gate values by letter."""
        return {g: self._v(self._G[j]) for j, g in enumerate(CELLS[self.cell].gates)}

    @property
    def intermediates(self) -> dict[str, Array]:
        """Gates plus the cell's other intermediate: tanh_c, u (= W_n h + b_hn) or rh."""
        name = {"lstm": "tanh_c", "gru": "u", "gru-reset-before": "rh"}[self.kind]
        return {**self.gates, name: self._v(self._M)}

    @property
    def pre(self) -> dict[str, Array]:
        """Gate pre-activations a_k = U_k x_t + W_k h_{t-1} + b_k (gru n: as in its equation)."""
        P, X, Hp = self.params, self._X, self._H[:-1]
        out = {}
        for g in CELLS[self.cell].gates:
            a = X @ P[f"U_{g}"].T + P.get(f"b_{g}", 0.0)
            if self.kind == "gru" and g == "n":
                a = a + self._G[1] * self._M
            elif self.kind == "gru-reset-before" and g == "n":
                a = a + self._M @ P["W_n"].T
            else:
                a = a + Hp @ P[f"W_{g}"].T
            out[g] = self._v(a)
        return out


def _halved(a: Array, rows: int) -> Array:
    """A copy of a stack with its first rows (the sigmoid gates') halved (exact in binary)."""
    out = a.copy()
    out[:rows] *= 0.5
    return out


def forward(
    params: Mapping[str, object],
    xs: object,
    h0: object = None,
    *,
    cell: str,
    c0: object = None,
    activation: str = "tanh",
    output: str | None = "softmax",
    dt: np.dtype,
) -> GatedTrace:
    """Run a gated cell over xs (T, m) or (T, B, m) from h0 (and c0; zeros if None)."""
    spec = CELLS[cell]
    if activation != "tanh":
        raise InputError(
            f"activation must be 'tanh' for cell {cell!r} (its gates are fixed); "
            f"found {activation!r}"
        )
    if c0 is not None and spec.kind != "lstm":
        raise InputError(
            f"c0 is only for the LSTM cells (lstm, homework3-lstm); cell {cell!r} has no cell state"
        )
    out = None
    if output is not None:
        if output not in OUTPUTS:
            known = ", ".join(repr(k) for k in OUTPUTS)
            raise InputError(f"unknown output {output!r}; known: {known}")
        out = OUTPUTS[output]
    P, S = _check_params(params, spec, dt, out is not None)
    n, m = P[f"U_{spec.gates[0]}"].shape
    xa = _as_array(xs, dt, "xs")
    if xa.ndim not in (2, 3) or xa.shape[-1] != m or xa.shape[0] < 1:
        raise InputError(
            f"xs must have shape (T, m) or (T, B, m) with T >= 1 and m = {m} "
            f"(columns of U_{spec.gates[0]}); found shape {xa.shape}"
        )
    batched = xa.ndim == 3
    X = xa if batched else xa[:, None, :]
    T, B = X.shape[0], X.shape[1]
    _check_finite(xa, "xs")
    G = len(spec.gates)
    ns = spec.n_sigmoid

    H = empty((T + 1, B, n), dt)
    h0a, h0_shared = _init(H, h0, "h0", n, B, batched, dt)
    C = None
    c0a, c0_shared = None, False
    if spec.kind == "lstm":
        C = empty((T + 1, B, n), dt)
        c0a, c0_shared = _init(C, c0, "c0", n, B, batched, dt)

    # input projection of every gate for all T*B rows at once (one stacked matmul), biases added
    Gs = empty((G, T, B, n), dt)
    UT = _halved(S["U"], ns * n).reshape(G, n, m).transpose(0, 2, 1)
    np.matmul(X.reshape(T * B, m), UT, out=Gs.reshape(G, T * B, n))
    Gs += _halved(S["b"], ns * n).reshape(G, 1, 1, n)
    M = empty((T, B, n), dt)
    # W_k^T in the layout this BLAS multiplies fastest (engine_core.right_operand)
    WT = right_operand(_halved(S["W"], ns * n).reshape(G, n, n).transpose(0, 2, 1))
    if spec.kind == "lstm":
        _lstm_forward(WT, H, C, Gs, M, dt)  # type: ignore[arg-type]
    else:
        _gru_forward(P, WT, H, Gs, M, dt, spec.kind == "gru")

    Z = Y = None
    if out is not None:
        V = P["V"]
        Zf = H[1:].reshape(T * B, n).dot(V.T)
        if "c" in P:
            Zf += P["c"]
        Z = Zf.reshape(T, B, V.shape[0])
        Y = out.g(Z)
    return GatedTrace(
        cell=cell,
        xs=xa,
        h0=h0a,
        c0=c0a,
        params=P,
        output=None if out is None else out.name,
        batched=batched,
        activation="tanh",
        _X=X,
        _H=H,
        _C=C,
        _G=Gs,
        _M=M,
        _Z=Z,
        _Y=Y,
        _h0_shared=h0_shared,
        _c0_shared=c0_shared,
        _S=S,
    )


def _init(S: Array, v: object, name: str, n: int, B: int, batched: bool, dt) -> tuple[Array, bool]:
    """Write the initial state into S[0]; return it as given (or a zero view) and if shared."""
    if v is None:
        S[0] = 0.0
        return (S[0] if batched else S[0, 0]), False
    a = _state0(v, name, n, B, batched, dt)
    S[0] = a
    return a, batched and a.shape == (n,)


def _lstm_forward(WT: Array, H, C, Gs, M, dt) -> None:
    # The step's gates are worked on in a contiguous scratch and copied into the gate-major
    # store once: a ufunc call on the strided (G, B, n) view costs ~1 us against ~0.3 us
    # (tiny sizes), and the copy costs no more than the strided calls it saves (medium).
    B, n = H.shape[1], H.shape[2]
    tmp = np.empty((4, B, n), dt)
    ig = np.empty((B, n), dt)
    sig = tmp[:3]
    gi, gf, go, gg = tmp
    for t in range(H.shape[0] - 1):
        g = Gs[:, t]
        np.matmul(H[t], WT, out=tmp)
        tmp += g
        np.tanh(tmp, out=tmp)  # sigmoid gates hold tanh(a / 2) here
        sig += 1.0
        sig *= 0.5
        np.copyto(g, tmp)
        c = C[t + 1]
        np.multiply(gf, C[t], out=c)
        np.multiply(gi, gg, out=ig)
        c += ig
        m = M[t]
        np.tanh(c, out=m)
        np.multiply(go, m, out=H[t + 1])


def _gru_forward(P, WT: Array, H, Gs, M, dt, after: bool) -> None:
    B, n = H.shape[1], H.shape[2]
    rows = 3 if after else 2
    WT = WT[:rows]
    WnT = None if after else right_operand(P["W_n"].T)
    bhn = P.get("b_hn")
    tmp = np.empty((rows, B, n), dt)
    tn = np.empty((B, n), dt)
    zr = tmp[:2]  # z and r worked on contiguously, then copied once (as _lstm_forward)
    z, r = tmp[0], tmp[1]
    Gn = Gs[2]
    for t in range(H.shape[0] - 1):
        hp = H[t]
        np.matmul(hp, WT, out=tmp)
        gzr = Gs[:2, t]
        zr += gzr
        np.tanh(zr, out=zr)
        zr += 1.0
        zr *= 0.5
        np.copyto(gzr, zr)
        gn = Gn[t]
        if after:
            u = M[t]
            if bhn is None:
                np.copyto(u, tmp[2])
            else:
                np.add(tmp[2], bhn, out=u)
            np.multiply(r, u, out=tn)
        else:
            np.multiply(r, hp, out=M[t])
            np.dot(M[t], WnT, out=tn)
        gn += tn
        np.tanh(gn, out=gn)
        h = H[t + 1]
        np.subtract(hp, gn, out=h)
        h *= z
        h += gn
