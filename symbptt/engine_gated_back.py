"""BPTT for the gated cells of `symbptt.engine_gated`: full, truncated and clipped.

Rows are batch items. Per step only the recurrent chain runs in Python: the gate deltas
dE/da_k of every gate are written into one stacked (B, G n) array and carried back by one
product with the stacked recurrent weights. Every weight gradient, dE/dxs and the bias sums are
then one matmul (or sum) over all T*B rows. Truncation runs lag by lag, all steps at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from symbptt.engine_core import (
    _add_reduce,
    _check_backward_options,
    _check_loss_at,
    _clip,
    colsum,
    empty,
    ones,
    right_operand,
    upstream,
    zeros,
)
from symbptt.engine_gated import CELLS, GatedTrace, param_keys
from symbptt.errors import InputError

Array = np.ndarray

__all__ = ["GatedGradients", "backward"]


class _Terms(Mapping):
    """Per-step parameter terms, computed on first access: key -> (T, *shape of the key)."""

    def __init__(self, trace: GatedTrace, o: dict[str, Array]) -> None:
        self._trace, self._o = trace, o
        self._src: dict[str, tuple[Array, Array | None]] | None = None
        self._cache: dict[str, Array] = {}

    @property
    def _sources(self) -> dict[str, tuple[Array, Array | None]]:
        if self._src is None:
            self._src = _sources(self._trace, self._o)
        return self._src

    def __getitem__(self, key: str) -> Array:
        if key not in self._cache:
            d, right = self._sources[key]
            self._cache[key] = (
                d.sum(axis=1) if right is None else np.matmul(d.transpose(0, 2, 1), right)
            )
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


class GatedGradients(dict):
    """Gradients by key (the cell's parameters, V, c, then h0, c0, xs) with the BPTT terms.

    `deltas`: 'h' and 'c' are the total dE/dh_t and dE/dc_t (T, [B,] n); 'a_k' is dE/da_k for
    the pre-activation a_k of gate k. `terms[key]` (T, *shape) are the per-step terms of each
    cell parameter, summed over the batch (grads[key] == terms[key].sum(0) before clipping).
    `norm` is the pre-clip global norm (None without clip), `clipped` whether it rescaled.
    """

    def __init__(
        self,
        items: dict[str, Array],
        *,
        deltas: dict[str, Array],
        terms: Mapping[str, Array],
        norm: float | None,
        clipped: bool,
    ) -> None:
        super().__init__(items)
        self.deltas = deltas
        self.terms = terms
        self.norm = norm
        self.clipped = clipped

    def as_dict(self) -> dict[str, Array]:
        """A plain dict copy of the gradients (without the per-step terms)."""
        return dict(self)


# --------------------------------------------------------------------------- one step, per cell
# Each `local` takes the total dE/dh at the steps of slice sl (and the carry into dE/dc for the
# LSTM), writes the step's deltas into `o` and returns the carries to the previous step. It runs
# on one step (B, .) in the full recursion and on many steps at once (K, B, .) when truncating.


def _per_step(G: Array) -> bool:
    """Large traces take the derivative factors step by step, in cache; small ones at once."""
    return G.size > _BIG


# above this many gate values (T*B*G n) a whole-trace pass per factor costs more in memory
# traffic than the extra per-step calls
_BIG = 1 << 20


def _lstm_factors(G: Array, TC: Array, D: Array, OT: Array) -> None:
    """D: the gate derivatives s (1 - s) (i, f, o) and 1 - g^2 (g); OT: o (1 - tanh^2 c).

    G and D are gate-major (4, ..., n)."""
    np.subtract(1.0, G, out=D)
    D *= G
    np.multiply(G[3], G[3], out=D[3])
    np.subtract(1.0, D[3], out=D[3])
    np.multiply(TC, TC, out=OT)
    np.subtract(1.0, OT, out=OT)
    OT *= G[2]


def _stack(W: Array, G: int) -> Array:
    """The stacked (G n, n) weights as (G, n, n), each W_k in the layout this BLAS runs the
    per-step products dE/da_k W_k fastest (engine_core.right_operand)."""
    n = W.shape[1]
    return right_operand(W.reshape(G, n, n))


def _back(da: Array, W: Array, scratch: Array) -> Array:
    """sum_k da_k W_k over the gate-major stack: one stacked matmul, then a sum of G blocks.

    One step (da is (G, B, n)) writes the products into scratch; many steps allocate."""
    if da.ndim == 3:
        return _add_reduce(np.matmul(da, W, out=scratch[: len(W)]), axis=0)
    return _add_reduce(np.matmul(da, W[:, None]), axis=0)


class _LSTM:
    """c_t = f c_{t-1} + i g, h_t = o tanh(c_t); stacked gates i, f, o, g."""

    def __init__(self, tr: GatedTrace) -> None:
        n, G = tr._H.shape[2], tr._G
        self.n, self.G, self.TC, self.Cp = n, G, tr._M, tr._C[:-1]  # type: ignore[index]
        if _per_step(G):
            self.D = self.OT = None
            self._d = np.empty((4, *G.shape[2:]), G.dtype)
            self._ot = np.empty(tr._M.shape[1:], G.dtype)
        else:
            self.D, self.OT = empty(G.shape, G.dtype), empty(tr._M.shape, G.dtype)
            _lstm_factors(G, self.TC, self.D, self.OT)
        self.W3 = _stack(tr._S["W"], 4)
        self.gates = 4
        self._prod = np.empty((4, *G.shape[2:]), G.dtype)

    def local(self, sl, dh: Array, dcin: Array | None, o: dict[str, Array]):
        g, da, dc = self.G[:, sl], o["a"], o["c"]
        if self.D is None:
            D, OT = (
                (self._d, self._ot)
                if isinstance(sl, int)
                else (np.empty_like(da), np.empty_like(dc))
            )
            _lstm_factors(g, self.TC[sl], D, OT)
        else:
            D, OT = self.D[:, sl], self.OT[sl]
        np.multiply(dh, OT, out=dc)
        if dcin is not None:
            dc += dcin
        np.multiply(dc, g[3], out=da[0])
        np.multiply(dc, self.Cp[sl], out=da[1])
        np.multiply(dh, self.TC[sl], out=da[2])
        np.multiply(dc, g[0], out=da[3])
        da *= D
        return _back(da, self.W3, self._prod), np.multiply(dc, g[1])


def _gru_factors(G: Array, Hp: Array, M: Array, after: bool, F: Array) -> None:
    """F[0] = (1 - z)(1 - n^2), F[1] = (h_{t-1} - n) z (1 - z), F[2] = u r (1 - r) (reset
    after) or h_{t-1} r (1 - r) (reset before); G and F are gate-major (3, ..., n)."""
    z, r, nn = G[0], G[1], G[2]
    F1, F2, F3 = F[0], F[1], F[2]
    np.multiply(nn, nn, out=F1)
    np.subtract(1.0, F1, out=F1)
    np.multiply(z, F1, out=F3)  # F3 as scratch
    F1 -= F3
    np.subtract(Hp, nn, out=F2)
    F2 *= z
    np.multiply(z, F2, out=F3)
    F2 -= F3
    np.subtract(1.0, r, out=F3)
    F3 *= r
    F3 *= M if after else Hp


class _GRU:
    """h_t = z h_{t-1} + (1 - z) n; reset after (PyTorch) or before (Cho v3, d2l) W_n."""

    def __init__(self, tr: GatedTrace, after: bool) -> None:
        P = tr.params
        G, self.Hp, self.M = tr._G, tr._H[:-1], tr._M
        self.after, self.G = after, G
        if _per_step(G):
            self.F = None
            self._f = np.empty((3, *tr._M.shape[1:]), G.dtype)
        else:
            self.F = empty((3, *tr._M.shape), G.dtype)
            _gru_factors(G, self.Hp, self.M, after, self.F)
        self.W3 = _stack(tr._S["W"], 3)
        if not after:
            self.W3 = self.W3[:2]
            self.Wn = right_operand(P["W_n"])
        self.gates = 3
        self._prod = np.empty((3, *G.shape[2:]), G.dtype)

    def local(self, sl, dh: Array, dcin: Array | None, o: dict[str, Array]):
        g, da = self.G[:, sl], o["a"]
        if self.F is None:
            F = self._f if isinstance(sl, int) else np.empty((3, *dh.shape), dh.dtype)
            _gru_factors(g, self.Hp[sl], self.M[sl], self.after, F)
        else:
            F = self.F[:, sl]
        z, r = g[0], g[1]
        an = da[2]
        np.multiply(dh, F[0], out=an)
        np.multiply(dh, F[1], out=da[0])
        carry = np.multiply(dh, z)
        if self.after:
            dr = o["r"]  # [a_z, a_r, a_n r]: what the recurrent weights see
            np.multiply(an, F[2], out=da[1])
            dr[:2] = da[:2]
            np.multiply(an, r, out=dr[2])
            carry += _back(dr, self.W3, self._prod)
        else:
            drh = np.matmul(an, self.Wn)  # dE/d(r h_{t-1})
            np.multiply(drh, F[2], out=da[1])
            drh *= r
            carry += drh
            carry += _back(da[:2], self.W3, self._prod)
        return carry, None


_STACKED = ("a", "r")  # the gate-major (G, T, B, n) entries of the per-step output


def _at(o: dict[str, Array], idx: int | slice) -> dict[str, Array]:
    """Views of every per-step output at time idx (the gate-major ones have time second)."""
    return {k: (v[:, idx] if k in _STACKED else v[idx]) for k, v in o.items()}


# --------------------------------------------------------------------------- driver


def backward(
    trace: GatedTrace,
    *,
    targets: object = None,
    dh: object = None,
    loss_at: str = "every",
    truncate: int | None = None,
    clip: float | None = None,
    grad_xs: bool = True,
) -> GatedGradients:
    """Gradients of E for every parameter, h0, c0 and xs, by BPTT (optionally truncated/clipped).

    Same options and meaning as `symbptt.engine.backward`: truncate=tau back-propagates each
    loss term at most tau steps; clip rescales the parameter gradients to that global norm.
    """
    if (targets is None) == (dh is None):
        raise InputError("backward needs exactly one of targets= or dh=")
    _check_loss_at(loss_at)
    _check_backward_options(truncate, clip)
    grads: dict[str, Array] = {}
    Dh = upstream(trace, targets, dh, loss_at, grads)  # becomes the total dE/dh_t
    cell = trace.cell
    kind = trace.kind
    lstm = kind == "lstm"
    c = _LSTM(trace) if lstm else _GRU(trace, kind == "gru")
    T, B, n = Dh.shape
    dt = Dh.dtype
    o = {"a": empty((c.gates, T, B, n), dt)}
    if lstm:
        o["c"] = empty((T, B, n), dt)
    if kind == "gru":
        o["r"] = empty((3, T, B, n), dt)

    if truncate is None or truncate >= T - 1:
        ch = cc = None
        for t in range(T - 1, -1, -1):
            if ch is not None:
                Dh[t] += ch
            ch, cc = c.local(t, Dh[t], cc, _at(o, t))
        dh0, dc0 = ch, cc
    else:
        for v in o.values():
            v.fill(0.0)
        total = zeros((T, B, n), dt)
        dh0 = np.zeros((B, n), dt)
        dc0 = np.zeros((B, n), dt) if lstm else None
        inh, inc = Dh, None
        for j in range(int(truncate) + 1):
            K = T - j
            sl = slice(0, K)
            total[sl] += inh
            acc = _at(o, sl)
            tmp = {k: np.empty_like(v) for k, v in acc.items()}
            ch, cc = c.local(sl, inh, inc, tmp)
            for k, v in tmp.items():
                acc[k] += v
            dh0 += ch[0]
            if lstm:
                dc0 += cc[0]  # type: ignore[index, operator]
            if K == 1:
                break
            inh, inc = ch[1:], (cc[1:] if lstm else None)  # type: ignore[index]
        Dh = total

    _weight_grads(trace, c, o, grads, grad_xs)
    grads["h0"] = _state_grad(trace, dh0, trace._h0_shared)
    if lstm:
        grads["c0"] = _state_grad(trace, dc0, trace._c0_shared)
    keys = (*param_keys(cell), "V", "c")
    norm, clipped = _clip(grads, keys, clip)
    order = (*keys, "h0", "c0", "xs")
    ordered = {k: grads[k] for k in order if k in grads}

    v = trace._v
    states = CELLS[cell].states
    deltas = {"h": v(Dh)}
    if lstm:
        deltas[states[1]] = v(o["c"])
    for j, g in enumerate(CELLS[cell].gates):
        deltas[f"a_{g}"] = v(o["a"][j])
    return GatedGradients(
        ordered, deltas=deltas, terms=_Terms(trace, o), norm=norm, clipped=clipped
    )


def _state_grad(trace: GatedTrace, d: Array | None, shared: bool) -> Array:
    assert d is not None
    if shared:
        return d.sum(axis=0)
    return d if trace.batched else d[0]


def _sources(trace: GatedTrace, o: dict[str, Array]) -> dict[str, tuple[Array, Array | None]]:
    """For each cell parameter: its delta (T, B, n) and what it multiplies (None for a bias)."""
    cell, P = trace.cell, trace.params
    X, Hp, M = trace._X, trace._H[:-1], trace._M
    a = o["a"]
    out: dict[str, tuple[Array, Array | None]] = {}
    for j, g in enumerate(CELLS[cell].gates):
        dj = a[j]
        out[f"U_{g}"] = (dj, X)
        rec = o["r"][j] if trace.kind == "gru" else dj
        right = M if (trace.kind == "gru-reset-before" and g == "n") else Hp
        out[f"W_{g}"] = (rec, right)
        if f"b_{g}" in P:
            out[f"b_{g}"] = (dj, None)
    if "b_hn" in P:
        out["b_hn"] = (o["r"][2], None)
    return out


def _weight_grads(
    trace: GatedTrace, c, o: dict[str, Array], grads: dict[str, Array], grad_xs: bool
) -> None:
    """Every weight gradient as one stacked matmul over all T*B rows (all gates at once)."""
    cell, P, n = trace.cell, trace.params, trace._H.shape[2]
    X, Hp = trace._X, trace._H[:-1]
    T, B, m = X.shape
    TB = T * B
    gates = CELLS[cell].gates
    G = len(gates)
    a = o["a"].reshape(G, TB, n)
    aT = a.transpose(0, 2, 1)
    Xf, Hf = X.reshape(TB, m), Hp.reshape(TB, n)
    dU = np.matmul(aT, Xf)  # (G, n, m)
    if trace.kind == "gru":
        dW = np.matmul(o["r"].reshape(G, TB, n).transpose(0, 2, 1), Hf)
    elif trace.kind == "gru-reset-before":
        dW = np.concatenate([np.matmul(aT[:2], Hf), aT[2:].dot(trace._M.reshape(TB, n))])
    else:
        dW = np.matmul(aT, Hf)
    db = np.matmul(ones(TB, a.dtype), a)  # (G, n): column sums as BLAS products
    for j, g in enumerate(gates):
        grads[f"U_{g}"] = dU[j]
        grads[f"W_{g}"] = dW[j]
        if f"b_{g}" in P:
            grads[f"b_{g}"] = db[j]
    if "b_hn" in P:
        grads["b_hn"] = colsum(o["r"][2].reshape(TB, n))
    if grad_xs:
        U3 = trace._S["U"].reshape(G, n, m)
        dxs = empty((T, B, m), a.dtype)
        dxf = dxs.reshape(TB, m)
        np.dot(a[0], U3[0], out=dxf)
        for j in range(1, G):
            dxf += a[j].dot(U3[j])
        grads["xs"] = dxs if trace.batched else dxs[:, 0]
