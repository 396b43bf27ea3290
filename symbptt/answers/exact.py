"""Exact graph derivatives for `truth.World` from the engine's BPTT in float64 (about 1e-15).

Covers what BPTT texts differentiate: the total loss E or a step loss E_t by a parameter, by h_k,
net_k, x_k or z_k, and the Jacobians dh_t/dh_k, dh_t/dnet_k, dh_t/dx_k. Anything else returns
None and the caller falls back to central differences. A step loss E_t is the loss of the prefix
x_1..x_t taken at its last step; h_t is the upstream-gradient loss <e_j, h_t>, one row per j.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symbptt import engine
from symbptt.answers.model_numbers import engine_loss
from symbptt.cells.functions import numeric_name
from symbptt.model import ENGINE_KEY, Role


def available(model: Any) -> bool:
    """True when the vanilla engine computes this model's loss as the checker's forward pass
    does (a gated cell's exact loss gradients come from `gated_world.GatedWorld.exact_loss`)."""
    return model is not None and not model.is_gated and engine_loss(model)


def derivative(world: Any, num: tuple, den: tuple) -> np.ndarray | None:
    """d num / d den at the world's point, or None when the engine does not provide it.

    num: ("loss", None) for E, ("loss", t) for E_t, ("h", t) for the state; den: a slot key of
    `World._slot` such as ("param", "recurrent"), ("h", k), ("net", k), ("x", k), ("z", k).
    """
    model = world.model
    if not available(model):
        return None
    kind, t = num
    if kind == "loss":
        L = world.T if t is None else t
        if not 1 <= L <= world.T:
            return None
        return _by(world, _run(world, L, "loss", t is None), den)
    if kind == "h" and den[0] in ("h", "net", "x") and 1 <= t <= world.T:
        rows = []
        for j in range(world.n):
            col = _by(world, _run(world, t, ("h", j), False), den)
            if col is None:
                return None
            rows.append(col.reshape(-1))
        return np.array(rows)
    return None


class _Run:
    """One engine backward pass over the prefix x_1..x_L with its per-step direct dE/dh_k."""

    def __init__(self, grads: engine.Gradients, direct: np.ndarray, dz: np.ndarray | None,
                 counted: set[int], L: int) -> None:  # fmt: skip
        self.grads, self.direct, self.dz, self.counted, self.L = grads, direct, dz, counted, L


def _run(world: Any, L: int, mode: Any, total: bool) -> _Run:
    key = ("exact", L, mode, total)
    hit = world._cache.get(key)
    if hit is not None:
        return hit
    model = world.model
    act = numeric_name(model.activation)
    params = {ENGINE_KEY[Role(r)]: v for r, v in world.params.items()}
    params = {k: (v.reshape(-1) if k in ("b", "c") else v) for k, v in params.items()}
    xs, h0 = world.xs[1 : L + 1, :, 0], world.h0[:, 0]
    loss_at = model.loss_at if total else "last"
    counted = set(range(1, L + 1)) if loss_at == "every" else {L}
    dz = None
    if mode == "loss" and model.has_output_layer:
        tr = engine.forward(params, xs, h0, activation=act, output=model.output, dtype=np.float64)
        targets = world.targets[1 : L + 1, :, 0]
        grads = engine.backward(tr, targets=targets, loss_at=loss_at)
        dz = engine.OUTPUTS[model.output].dz(tr.yhat, targets)  # (L, k): dE_k/dz_k
        direct = dz @ params["V"]
    else:
        params = {k: v for k, v in params.items() if k not in ("V", "c")}
        direct = np.zeros((L, world.n))
        if mode == "loss":
            for s in counted:
                direct[s - 1] = world.loss_weights[s][:, 0]
        else:
            direct[L - 1, mode[1]] = 1.0
            counted = {L}
        tr = engine.forward(params, xs, h0, activation=act, output=None, dtype=np.float64)
        grads = engine.backward(tr, dh=direct)
    out = _Run(grads, direct, dz, counted, L)
    world._cache[key] = out
    return out


def _by(world: Any, run: _Run, den: tuple) -> np.ndarray | None:
    """The derivative of the run's scalar loss by one slot, shaped like the slot's value."""
    g, L = run.grads, run.L
    kind = den[0]
    if kind == "param":
        ek = ENGINE_KEY[Role(den[1])]
        if ek not in g:
            return None
        return np.asarray(g[ek], dtype=float).reshape(world.params[den[1]].shape)
    k = den[1]
    if kind == "net":
        return np.zeros((world.n, 1)) if k > L else g.delta[k - 1].reshape(-1, 1)
    if kind == "x":
        return np.zeros((world.m, 1)) if k > L else g["xs"][k - 1].reshape(-1, 1)
    if kind == "h":
        if k == 0:
            return np.asarray(g["h0"]).reshape(-1, 1)
        if k > L:
            return np.zeros((world.n, 1))
        out = run.direct[k - 1].copy()
        if k < L:
            out += g.delta[k] @ world.params["recurrent"]  # W^T delta_{k+1}, as a row
        return out.reshape(-1, 1)
    if kind == "z" and run.dz is not None:
        if k > L or k not in run.counted:
            return np.zeros((world.k, 1))
        return run.dz[k - 1].reshape(-1, 1)
    return None


#: The engine's per-step BPTT terms by parameter role: term t of the sum over time.
_STEP_TERMS = {"recurrent": "dW_terms", "input": "dU_terms"}


def step_term(world: Any, num: tuple, role: str, t: int) -> np.ndarray | None:
    """Term t of d num / d param in the sum over time (the engine's dW_terms / dU_terms), or None.

    num is ("loss", None) for E or ("loss", L) for E_L; terms past the loss's last step are 0."""
    model = world.model
    if not available(model) or num[0] != "loss":
        return None
    L = world.T if num[1] is None else num[1]
    if not 1 <= L <= world.T:
        return None
    shape = world.params[role].shape
    if t > L:
        return np.zeros(shape)
    grads = _run(world, L, "loss", num[1] is None).grads
    if role == "hidden_bias":
        return np.asarray(grads.delta[t - 1], dtype=float).reshape(shape)
    if role not in _STEP_TERMS:
        return None
    return np.asarray(getattr(grads, _STEP_TERMS[role])[t - 1], dtype=float).reshape(shape)
