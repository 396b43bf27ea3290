"""Numeric gradients for any T from code generated once out of the step rule.

The per-step backward rule (`steplemma.rule_for`, proved exactly by `steplemma.prove`) is built
once over MatrixSymbols and lambdified with cse into numpy code; `compile_gradients` runs it in a
numeric loop forward and backward over any T, so nothing symbolic grows with T. The forward step
is the cell's own statement (`Model.cell_def`, its argument of f lambdified); f and f' are the
function table's numpy forms (`cells.functions`), the output error e_t = dE_t/dz_t the head
table's `numpy_grad` (`cells.heads`), which the output lemma proves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.heads import Head
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Role
from symbptt.symbolic.steplemma import (
    Cell,
    StepRule,
    model_head,
    net_of,
    param_shapes,
    rule_for,
    sizes_for,
    vanilla_step,
)

__all__ = ["compile_gradients"]


def compile_gradients(
    model: Model,
    n: int,
    m: int | None = None,
    k: int | None = None,
    *,
    rule: StepRule | None = None,
) -> Callable[..., dict[str, np.ndarray]]:
    """Lambdify (cse) the matrix-level per-step rule once; return grads(params, xs, h0, ...).

    The returned function runs forward and backward as numeric loops over any T:
    `grads(params, xs, h0=None, *, targets=None, dh=None) -> {"U", "W", ["b", "V", "c"], "h0"}`
    with params by role key (`symbptt.model.ENGINE_KEY`). With targets the loss is the model's
    (E_t at every step or only the last); with dh it is E = sum_t <dh_t, h_t>, as in the engine.
    """
    n, m, k = sizes_for(model, n, m, k)
    rule = rule or rule_for(model)
    roles = model.roles
    P = {r: sp.MatrixSymbol(ENGINE_KEY[r], *s) for r, s in param_shapes(model, n, m, k).items()}
    hp, x, h = sp.MatrixSymbol("hp", n, 1), sp.MatrixSymbol("x", m, 1), sp.MatrixSymbol("h", n, 1)
    fp, g, dh = (sp.MatrixSymbol(s, n, 1) for s in ("fp", "g", "dh"))
    out = model.has_output_layer
    e = sp.MatrixSymbol("e", k, 1) if out else None
    dEdh = P[Role.OUTPUT].T * e + dh if out else dh
    cell = Cell(P, hp, x, h, fp, e, dEdh, g, sp.MatrixSymbol("fpf", n, 1), sp.HadamardProduct)
    res = rule.backward(cell)
    missing = [ENGINE_KEY[r] for r in roles if r not in res.terms]
    if missing:
        raise InputError(f"rule {rule.name!r} gives no per-step term for {', '.join(missing)}")
    args = [*P.values(), hp, x, h, fp, *([e] if out else []), dh, g]
    backward = sp.lambdify(args, [res.adjoint, *(res.terms[r] for r in roles)], cse=True)
    net_fn = sp.lambdify([*P.values(), hp, x], net_of(model.cell_def, P, hp, x), cse=True)
    fn = FUNCTIONS[vanilla_step(model.cell_def)[1]]  # a generic f runs as its numeric stand-in
    head = model_head(model)

    def grads(
        params: Mapping[str, Any], xs: Any, h0: Any = None, *, targets: Any = None, dh: Any = None
    ) -> dict[str, np.ndarray]:
        """dE/dP for every parameter (and h0) by the compiled step rule, looping over t."""
        Pv = _params(params, P)
        X = _array(xs, "xs", (None, m))
        T = X.shape[0]
        H = np.zeros((T + 1, n, 1))
        if h0 is not None:
            H[0] = _array(h0, "h0", (n,)).reshape(n, 1)
        FP = np.empty((T, n, 1))
        for t in range(T):
            net = np.asarray(net_fn(*Pv, H[t], X[t].reshape(m, 1)), dtype=float)
            H[t + 1] = fn.numpy(net)
            FP[t] = fn.prime(net, H[t + 1])
        E, D = _errors(model, head, Pv, H, T, n, k, targets, dh)
        total = [np.zeros(s.shape) for s in P.values()]
        adj = np.zeros((n, 1))
        for t in range(T - 1, -1, -1):
            outs = backward(*Pv, H[t], X[t].reshape(m, 1), H[t + 1], FP[t],
                            *([E[t]] if out else []), D[t], adj)  # fmt: skip
            adj = outs[0]
            for acc, term in zip(total, outs[1:], strict=True):
                acc += term
        result = {
            ENGINE_KEY[r]: _shape_like(a, params[ENGINE_KEY[r]])
            for r, a in zip(roles, total, strict=True)
        }  # noqa: E501
        result["h0"] = adj.reshape(n)
        return result

    return grads


def _array(value: Any, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim != len(shape) or any(
        s is not None and s != d for s, d in zip(shape, a.shape, strict=True)
    ):
        want = "(" + ", ".join("T" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"{name} must have shape {want}; found shape {a.shape}")
    if a.shape[0] < 1:
        raise InputError(f"{name} needs at least one time step")
    return a


def _params(params: Mapping[str, Any], P: Mapping[Role, sp.MatrixSymbol]) -> list[np.ndarray]:
    out = []
    for r, sym in P.items():
        key = ENGINE_KEY[r]
        if key not in params:
            raise InputError(f"params has no {key!r} ({r.value} weight); keys needed: "
                             f"{', '.join(ENGINE_KEY[q] for q in P)}")  # fmt: skip
        a = np.asarray(params[key], dtype=float)
        if a.size != sym.rows * sym.cols or (a.ndim == 2 and a.shape != sym.shape):
            raise InputError(f"params[{key!r}] must have shape {sym.shape}; found {a.shape}")
        out.append(a.reshape(sym.shape))
    return out


def _shape_like(a: np.ndarray, like: Any) -> np.ndarray:
    return a.reshape(np.shape(like))


def _errors(
    model: Model,
    head: Head | None,
    Pv: list[np.ndarray],
    H: np.ndarray,
    T: int,
    n: int,
    k: int,
    targets: Any,
    dh: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-step e_t = dE_t/dz_t by the head's numpy_grad (targets) or upstream dh_t: exactly
    one of them is given."""
    if (targets is None) == (dh is None):
        raise InputError("give exactly one of targets= or dh=")
    E, D = np.zeros((T, k, 1)), np.zeros((T, n, 1))
    if dh is not None:
        D[:] = _array(dh, "dh", (T, n)).reshape(T, n, 1)
        return E, D
    if not model.has_output_layer:
        raise InputError(f"model {model.name!r} has no output layer; give dh= instead of targets=")
    if head is None or head.numpy_grad is None:
        raise InputError(
            f"model {model.name!r}: output {model.output!r} with loss {model.loss!r} has no "
            "error term dE_t/dz_t in the heads table; give dh= instead of targets="
        )
    Y = np.asarray(targets)
    if Y.shape == (T,) and np.issubdtype(Y.dtype, np.integer) and head.class_labels:
        Y = np.eye(k)[Y]  # class labels for a softmax head
    Y = _array(Y, "targets", (T, k))
    V = Pv[list(model.roles).index(Role.OUTPUT)]
    c = Pv[list(model.roles).index(Role.OUTPUT_BIAS)] if Role.OUTPUT_BIAS in model.roles else 0.0
    steps = slice(None) if model.loss_at == "every" else slice(T - 1, T)
    Z = (V @ H[1:] + c)[:, :, 0]  # z_t = V h_t + c as rows (T, k)
    E[steps, :, 0] = head.numpy_grad(Z[steps], Y[steps])
    return E, D
