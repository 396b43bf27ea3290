"""The engine's fallback for any other cell (a cell stated in a derivation file): the generated
engine `symbptt.cells.numeric` behind the contract of `symbptt.engine.forward` / `backward`.

    trace = engine.forward(params, xs, cell=load("my.yaml").cell_def, output=None)
    grads = engine.backward(trace, dh=dh)       # or targets= with params V (and c)

xs is (T, m) or (T, B, m); h0 the readout state's start, states0 the others' ({"c": ...}).
Parameters are keyed by the cell's own keys, plus V (k, n) and c (k,) for an output head on
the readout state. Full BPTT (truncate is refused) and clip as in the vanilla engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from symbptt.cells import numeric
from symbptt.cells.cell import Cell
from symbptt.engine_core import (
    OUTPUTS,
    TraceViews,
    _as_array,
    _check_backward_options,
    _check_finite,
    _check_loss_at,
    _clip,
    _lookup,
    _targets,
)
from symbptt.errors import InputError

__all__ = ["GenericGradients", "GenericTrace", "backward", "forward"]

Array = np.ndarray
HEAD_KEYS = ("V", "c")


@dataclass(eq=False)
class GenericTrace(TraceViews):
    """What forward computed for a cell without a fast path: every quantity, time first."""

    cell: Cell
    xs: Array
    params: dict[str, Array]
    output: str | None
    batched: bool
    _run: numeric.Trace = field(repr=False)
    _Z: Array | None = field(repr=False)
    _Y: Array | None = field(repr=False)
    _shared: frozenset[str] = field(default=frozenset(), repr=False)

    @property
    def T(self) -> int:
        """Number of time steps."""
        return self._run.T

    @property
    def h(self) -> Array:
        """The readout state s_1..s_T (the cell's first state)."""
        return self._v(self._run.values[self.cell.readout])

    @property
    def states(self) -> dict[str, Array]:
        """The states carried across time, by the cell's keys."""
        return {s: self._v(self._run.values[s]) for s in self.cell.states}

    @property
    def values(self) -> dict[str, Array]:
        """Every quantity of the cell (gates, candidates, states), by key."""
        return {q: self._v(v) for q, v in self._run.values.items()}


class GenericGradients(dict):
    """Gradients by parameter key (and V, c), 'h0', the other initial states, 'xs'; `deltas`."""

    def __init__(
        self, items: dict[str, Array], deltas: dict[str, Array], norm: float | None, clipped: bool
    ) -> None:
        super().__init__(items)
        self.deltas = deltas
        self.norm = norm
        self.clipped = clipped


def forward(
    cell: Cell,
    params: Mapping[str, object],
    xs: object,
    h0: object = None,
    *,
    states0: Mapping[str, object] | None = None,
    output: str | None = "softmax",
    dt: np.dtype,
) -> GenericTrace:
    """Run any cell over xs (T, m) or (T, B, m) from h0 and states0 (zeros where missing)."""
    clash = [k for k in HEAD_KEYS if k in cell.param_keys]
    P: dict[str, Array] = {}
    for k, v in params.items():
        if k not in cell.param_keys and k not in HEAD_KEYS:
            raise InputError(
                f"params has {k!r}, not a parameter of cell {cell.name!r} "
                f"({', '.join(cell.param_keys)}) nor of the output head (V, c)"
            )
        P[k] = _as_array(v, dt, f"params[{k!r}]")
        _check_finite(P[k], f"params[{k!r}]")
    out = None if output is None else _lookup(OUTPUTS, output, "output")
    if out is not None and ("V" not in P or clash):
        raise InputError(
            f"output {output!r} needs the head's params 'V' (k, n) (and 'c'); "
            + (
                f"cell {cell.name!r} uses V or c itself: pass output=None and dh= to backward"
                if clash
                else "pass output=None to run the cell alone"
            )
        )
    xa = _as_array(xs, dt, "xs")
    if xa.ndim not in (2, 3) or xa.shape[0] < 1:
        raise InputError(f"xs must have shape (T, m) or (T, B, m) with T >= 1; found {xa.shape}")
    _check_finite(xa, "xs")
    batched = xa.ndim == 3
    X = xa if batched else xa[:, None, :]
    B = X.shape[1]
    cell_p = {k: v for k, v in P.items() if k in cell.param_keys}
    n = next((int(v.shape[0]) for k, v in cell_p.items() if cell.param(k).shape[0] == "n"), None)
    if n is None:
        raise InputError(f"params gives none of cell {cell.name!r}'s parameters")
    given = dict(states0 or {})
    if h0 is not None:
        given[cell.readout] = h0
    s0: dict[str, Array] = {}
    shared: set[str] = set()  # initial states given as (n,) for every batch row
    for s, v in given.items():
        if s not in cell.states:
            raise InputError(f"an initial state {s!r}: cell {cell.name!r} has {cell.states}")
        a = _as_array(v, dt, s + "0")
        if a.shape == (n,):
            a = np.broadcast_to(a, (B, n)).copy()
            shared.add(s)
        if a.shape != (B, n):
            raise InputError(f"initial state {s!r} must have shape ({n},) or ({B}, {n})")
        s0[s] = a
    run = numeric.forward(cell, cell_p, X, s0)
    Z = Y = None
    if out is not None:
        H = run.values[cell.readout]
        V = P["V"]
        if V.ndim != 2 or V.shape[1] != n:
            raise InputError(f"params['V'] must have shape (k, {n}); found {V.shape}")
        Z = H @ V.T + P.get("c", 0.0)
        Y = out.g(Z)
    name = None if out is None else out.name
    return GenericTrace(cell, xa, P, name, batched, run, Z, Y, frozenset(shared))


def backward(
    trace: GenericTrace,
    *,
    targets: object = None,
    dh: object = None,
    loss_at: str = "every",
    truncate: int | None = None,
    clip: float | None = None,
) -> GenericGradients:
    """Gradients of E (from targets through the head, or E = sum_t <dh_t, h_t>) by full BPTT."""
    if (targets is None) == (dh is None):
        raise InputError("backward needs exactly one of targets= or dh=")
    _check_loss_at(loss_at)
    _check_backward_options(truncate, clip)
    if truncate is not None:
        raise InputError(
            f"truncate is not available for cell {trace.cell.name!r}: the generated engine "
            "(symbptt.cells.numeric) runs full BPTT"
        )
    cell, run, P = trace.cell, trace._run, trace.params
    H = run.values[cell.readout]
    T, B, n = H.shape
    grads: dict[str, Array] = {}
    if targets is not None:
        Y = _targets(trace, targets)
        out = OUTPUTS[trace.output]  # type: ignore[index]
        dZ = out.dz(trace._Y, Y)
        if loss_at == "last":
            dZ = dZ.copy()
            dZ[:-1] = 0.0
        D = dZ @ P["V"]
        grads["V"] = np.einsum("tbk,tbn->kn", dZ, H)
        if "c" in P:
            grads["c"] = dZ.sum(axis=(0, 1))
    else:
        dha = _as_array(dh, H.dtype, "dh")
        if dha.shape != trace.h.shape:
            raise InputError(f"dh must have shape {trace.h.shape} like trace.h; found {dha.shape}")
        _check_finite(dha, "dh")
        D = dha if trace.batched else dha[:, None, :]
    g = numeric.backward(cell, run, {cell.readout: D})
    items = {k: g.params[k] for k in cell.param_keys if k in g.params}
    items.update(grads)
    norm, clipped = _clip(items, (*cell.param_keys, *HEAD_KEYS), clip)
    for s, v in g.states0.items():  # like the vanilla engine: a shared start sums the rows
        v = v.sum(axis=0) if trace.batched and s in trace._shared else v
        items["h0" if s == cell.readout else f"{s}0"] = v if trace.batched else v[0]
    items["xs"] = g.xs if trace.batched else g.xs[:, 0]
    deltas = {k: trace._v(v) for k, v in g.deltas.items()}
    return GenericGradients(items, deltas, norm, clipped)
