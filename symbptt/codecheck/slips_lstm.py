"""The LSTM computed with known slips: loop code in the canonical layout (time first, rows).

Parameters by gate k in (i, f, o, g): U_k (H, D), W_k (H, H), b_k (H,), with
a_k = x_t U_k^T + h_{t-1} W_k^T + b_k, i, f, o = sigma(a), g = tanh(a_g),
c_t = f c_{t-1} + i g, h_t = o tanh(c_t). A gate order "ifgo" means the student read the
blocks stacked i, f, o, g as i, f, g, o: the block in position j played gate order[j].
"""

from __future__ import annotations

import itertools

import numpy as np

from symbptt.cells.functions import FUNCTIONS

__all__ = ["GATES", "PERMUTATIONS", "backward", "forward", "permuted", "tanh_prime"]

Array = np.ndarray
GATES = "ifog"  # CS231n's stacking order
PERMUTATIONS = tuple("".join(p) for p in itertools.permutations(GATES) if "".join(p) != GATES)


_sig = FUNCTIONS["sigmoid"].numpy  # the table's overflow-free sigma (no slip is about its form)
_TANH = FUNCTIONS["tanh"]


def permuted(P: dict[str, Array], order: str) -> dict[str, Array]:
    """The parameters each gate role really gets when the blocks are read in `order`."""
    out = {}
    for j, role in enumerate(order):
        src = GATES[j]
        for kind in "UWb":
            out[f"{kind}_{role}"] = P[f"{kind}_{src}"]
    return out


def _unpermute(G: dict[str, Array], order: str) -> dict[str, Array]:
    """Gradients by role back to the block positions they are stored in."""
    out = dict(G)
    for j, role in enumerate(order):
        for kind in "UWb":
            out[f"{kind}_{GATES[j]}"] = G[f"{kind}_{role}"]
    return out


def _order(slips: tuple[str, ...]) -> str:
    for s in slips:
        if s.startswith("gates:"):
            return s[6:]
    return GATES


def forward(P: dict[str, Array], xs: Array, h0: Array, c0: Array,
            slips: tuple[str, ...] = ()) -> tuple[Array, Array, dict[str, Array]]:  # fmt: skip
    """(hs, cs, per-step values) over xs (T, N, D); the values keep gates and pre-activations."""
    P = permuted(P, _order(slips))
    T, N = xs.shape[0], xs.shape[1]
    H = h0.shape[1]
    hs, cs = np.zeros((T, N, H)), np.zeros((T, N, H))
    keep: dict[str, Array] = {k: np.zeros((T, N, H)) for k in ("i", "f", "o", "g", "ag")}
    h, c = h0, c0
    for t in range(T):
        a = {k: xs[t] @ P[f"U_{k}"].T + h @ P[f"W_{k}"].T + P[f"b_{k}"] for k in GATES}
        i, f, o, g = _sig(a["i"]), _sig(a["f"]), _sig(a["o"]), np.tanh(a["g"])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[t], cs[t] = h, c
        for k, v in (("i", i), ("f", f), ("o", o), ("g", g), ("ag", a["g"])):
            keep[k][t] = v
    return hs, cs, keep


def tanh_prime(act: Array, pre: Array, slips: tuple[str, ...]) -> Array:
    """tanh' from the output act = tanh(pre), or as the slips take it: the table's f' of the
    input applied to the output (tanh_tanh), its f' of the output applied to the input (pre_act)."""
    if "tanh_tanh" in slips:
        return _TANH.d_in(act)
    if "pre_act" in slips:
        return _TANH.d_out(pre)
    return _TANH.d_out(act)


def backward(P: dict[str, Array], xs: Array, h0: Array, c0: Array, dh: Array, dcT: Array,
             slips: tuple[str, ...] = ()) -> dict[str, Array]:  # fmt: skip
    """Gradients of sum_t <dh_t, h_t> + <dcT, c_T>: xs, h0, c0 and U_k, W_k, b_k by block."""
    order = _order(slips)
    Q = permuted(P, order)
    hs, cs, v = forward(P, xs, h0, c0, slips)
    T = xs.shape[0]
    G = {f"{kind}_{k}": np.zeros_like(Q[f"{kind}_{k}"]) for kind in "UWb" for k in GATES}
    dxs = np.zeros_like(xs)
    carry_h, carry_c = np.zeros_like(h0), dcT
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else hs[t - 1]
        c_prev = c0 if t == 0 else cs[t - 1]
        i, f, o, g = v["i"][t], v["f"][t], v["o"][t], v["g"][t]
        tc = np.tanh(cs[t])
        dh_t = dh[t] if "no_prev" in slips else dh[t] + carry_h
        dc = carry_c + dh_t * o * tanh_prime(tc, cs[t], slips)
        da = {
            "i": dc * g * i * (1 - i),
            "f": dc * c_prev * f * (1 - f),
            "o": dh_t * tc * o * (1 - o),
            "g": dc * i * tanh_prime(g, v["ag"][t], slips),
        }
        for k in GATES:
            terms = (da[k].T @ xs[t], da[k].T @ h_prev, da[k].sum(axis=0))
            for kind, term in zip("UWb", terms, strict=True):
                key = f"{kind}_{k}"
                G[key] = term if "overwrite" in slips else G[key] + term
        dxs[t] = sum(da[k] @ Q[f"U_{k}"] for k in GATES)
        carry_h = sum(da[k] @ Q[f"W_{k}"] for k in GATES)
        carry_c = dc * f
    return {**_unpermute(G, order), "xs": dxs, "h0": carry_h, "c0": carry_c}
