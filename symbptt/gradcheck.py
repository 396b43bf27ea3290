"""Check the engine's BPTT gradients against central finite differences, entry by entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from symbptt import engine
from symbptt.errors import InputError

__all__ = ["GradCheckReport", "gradcheck", "relative_error"]


def relative_error(a: float, b: float) -> float:
    """Floored relative error |a - b| / max(|a| + |b|, 1e-8)."""
    return abs(a - b) / max(abs(a) + abs(b), 1e-8)


@dataclass(frozen=True)
class GradCheckReport:
    """Result of a gradient check: the worst entry with both numbers, and how many were checked."""

    max_error: float
    worst_name: str
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    checked: int
    eps: float

    def passed(self, tol: float = 1e-6) -> bool:
        """True when every entry's floored relative error is at most tol."""
        return self.max_error <= tol

    def __str__(self) -> str:
        where = f"{self.worst_name}[{', '.join(map(str, self.worst_index))}]"
        return (
            f"gradient check: {self.checked} entries, central differences eps={self.eps:g}\n"
            f"worst entry {where}: analytic {self.analytic:.12g}, numeric {self.numeric:.12g}, "
            f"relative error {self.max_error:.3e}"
        )


def gradcheck(
    params: Mapping[str, object],
    xs: object,
    h0: object = None,
    targets: object = None,
    dh: object = None,
    *,
    cell: object = "rnn",
    c0: object = None,
    activation: str = "tanh",
    output: str | None = "softmax",
    loss_at: str = "every",
    eps: float = 1e-6,
) -> GradCheckReport:
    """Compare backward() with central differences over every entry of the params, h0, c0, xs.

    Runs in float64, for any cell of `engine.forward` (c0 for the LSTM cells). The objective is
    loss(trace, targets, loss_at) or, with dh, sum_t <dh_t, h_t>.
    """
    if (targets is None) == (dh is None):
        raise InputError("gradcheck needs exactly one of targets= or dh=")
    if not (eps > 0):
        raise InputError(f"eps must be positive; found {eps!r}")
    kw = {"cell": cell, "activation": activation, "output": output, "dtype": "float64"}
    trace = engine.forward(params, xs, h0, c0=c0, **kw)
    grads = engine.backward(trace, targets=targets, dh=dh, loss_at=loss_at)
    dha = None if dh is None else np.asarray(dh, dtype=np.float64)

    def objective(p: Mapping[str, object], x: object, h: object) -> float:
        tr = engine.forward(p, x, h, c0=c0a, **kw)
        if dha is not None:
            return float(np.vdot(dha, tr.h))
        return engine.loss(tr, targets, loss_at=loss_at)

    # copies we perturb in place: the parameters, h0 (zeros when not given) and xs
    P = {k: np.array(v, dtype=np.float64) for k, v in trace.params.items()}
    h0a = np.array(trace.h0, dtype=np.float64)
    xa = np.array(trace.xs, dtype=np.float64)
    c0a = None if getattr(trace, "c0", None) is None else np.array(trace.c0, dtype=np.float64)
    targets_of = {**{k: P[k] for k in P}, "h0": h0a, "xs": xa}
    if c0a is not None:
        targets_of["c0"] = c0a

    worst = (-1.0, "", (), 0.0, 0.0)
    checked = 0
    for name, arr in targets_of.items():
        g = grads[name]
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            fp = objective(P, xa, h0a)
            arr[idx] = old - eps
            fm = objective(P, xa, h0a)
            arr[idx] = old
            num = (fp - fm) / (2 * eps)
            ana = float(g[idx])
            err = relative_error(ana, num)
            checked += 1
            if err > worst[0]:
                worst = (err, name, tuple(int(i) for i in idx), ana, num)
    err, name, index, ana, num = worst
    return GradCheckReport(max(err, 0.0), name, index, ana, num, checked, eps)
