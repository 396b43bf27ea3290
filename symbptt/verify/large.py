"""The checks that scale to any T and large n, where the unrolled forms stop.

Vanilla models: the step lemma's per-step rule, compiled once into numpy code
(`symbolic.codegen.compile_gradients`), run at the requested T and n against the engine (every
gradient) and against float64 central differences of the engine's loss on sampled entries.
Gated cells: the generated engine (`cells.numeric`, the cell's reverse step interpreted) against
the hand-written fast path (`engine_gated`) and against central differences, on the file's
output head (z_t = V h_t + c, `numeric.head_loss`) when it has one, else on the linear stand-in
L_t = <g_t, h_t>. The step lemma
itself is proved symbolically at a small n by the caller (`verify`, `cells.checks.step_lemma`).
The unrolled checks come back as skipped rows naming the limit, never as passed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np

from symbptt import engine
from symbptt.cells import builtin, numeric
from symbptt.cells import checks as cells_checks
from symbptt.cells.cell import Cell
from symbptt.cells.heads import Head
from symbptt.checkrow import CheckRow, rel, skipped, timed
from symbptt.engine_gated import CELLS as FAST_CELLS
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Sizes
from symbptt.verify.stand_ins import engine_has_loss, numeric_activation, sample_targets

__all__ = [
    "FD_ENTRIES",
    "FD_FLOOR",
    "FD_STEP",
    "FD_TOLERANCE",
    "MAX_N",
    "MAX_T",
    "MAX_WORK",
    "PROOF_N",
    "TOLERANCE",
    "check_bound",
    "gated_rows",
    "gated_skipped",
    "skipped",
    "vanilla_rows",
    "vanilla_skipped",
]

#: Sizes the scaling checks accept: n*n*T at most 2^24 (4x n = 64, T = 1000), n <= 1024,
#: T <= 4096 (each step is a Python-level step of the generated code; beyond, minutes).
MAX_WORK, MAX_N, MAX_T = 2**24, 1024, 4096
#: The exact step lemma runs at this n (quick); the generated code runs at the requested n.
PROOF_N = 2
TOLERANCE = 1e-8
#: float64 central differences: step 1e-5, relative error floored at 1e-3 (the loss sums T
#: terms, so its rounding error over the step is ~1e-9 absolute), tolerance 1e-6.
FD_STEP, FD_FLOOR, FD_TOLERANCE = 1e-5, 1e-3, 1e-6
#: Sampled entries per parameter for the central differences (vanilla; gated: one per key).
FD_ENTRIES = 2

Array = np.ndarray


def check_bound(T: int, n: int) -> None:
    """InputError unless the scaling checks can run: n*n*T <= 2^24, n <= 1024, T <= 4096."""
    if n > MAX_N or T > MAX_T or n * n * T > MAX_WORK:
        raise InputError(
            f"T={T}, n={n} is too large to check: the scaling checks run up to n*n*T <= "
            f"{MAX_WORK:,} (4x n=64, T=1000), n <= {MAX_N} and T <= {MAX_T}; choose smaller sizes"
        )


def _weights(rng: np.random.Generator, shape: tuple[int, ...]) -> Array:
    """N(0, 0.6^2 / columns) for a matrix (spectral radius below 1 at any n), N(0, 0.6^2) biases."""
    cols = shape[1] if len(shape) == 2 else 1
    return rng.normal(0.0, 0.6 / np.sqrt(cols), size=shape)


def _entries(rng: np.random.Generator, params: Mapping[str, Array], per: int) -> list[tuple]:
    """`per` random distinct entries of every parameter, as (key, index)."""
    out = []
    for key, v in params.items():
        flat = rng.choice(v.size, size=min(per, v.size), replace=False)
        out += [(key, np.unravel_index(int(i), v.shape)) for i in sorted(flat)]
    return out


def _central(
    loss: Callable[[Mapping[str, Array]], float], params: Mapping[str, Array], entries: list[tuple]
) -> list[float]:
    out = []
    for key, idx in entries:
        up, dn = params[key].copy(), params[key].copy()
        up[idx] += FD_STEP
        dn[idx] -= FD_STEP
        out.append((loss({**params, key: up}) - loss({**params, key: dn})) / (2 * FD_STEP))
    return out


def _fd_row(
    name: str,
    grads: Callable[[], Mapping[str, Array]],
    loss: Callable[[Mapping[str, Array]], float],
    params: Mapping[str, Array],
    entries: list[tuple],
    scaled_floor: bool = False,
) -> CheckRow:
    """Sampled entries against central differences of loss. scaled_floor: the floor also covers
    the rounding of a large loss, 10 eps |E| / (step * tolerance) (a head's E sums T losses)."""

    def body() -> tuple[bool, float | None, str]:
        g = grads()
        got = np.array([g[key][idx] for key, idx in entries])
        fd = np.array(_central(loss, params, entries))
        floor = FD_FLOOR
        if scaled_floor:
            rounding = 10 * np.finfo(float).eps * abs(loss(params)) / (FD_STEP * FD_TOLERANCE)
            floor = max(FD_FLOOR, float(rounding))
        err = rel(got, fd, floor)
        where = ", ".join(f"{k}[{','.join(str(int(i)) for i in idx)}]" for k, idx in entries)
        detail = (
            f"entries {where}; step {FD_STEP:g}, relative error floored at {floor:.2g}, "
            f"tolerance {FD_TOLERANCE:g}"
        )
        return err < FD_TOLERANCE, err, detail

    return timed(name, "(b)", body)


# ---------------------------------------------------------------------- vanilla


def _vanilla_point(model: Model, T: int, n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    sizes = Sizes(T=T, n=n, m=model.sizes.m, k=model.sizes.k)
    params = {ENGINE_KEY[r]: _weights(rng, model.shape(r, sizes)) for r in model.roles}
    xs = rng.normal(size=(T, sizes.m))
    h0 = rng.normal(0.0, 0.5, size=n)
    targets = dh = None
    if model.has_output_layer:
        targets = sample_targets(model, rng, T, sizes.k)
    else:
        dh = rng.normal(size=(T, n))
        if model.loss_at == "last":
            dh[:-1] = 0.0  # only E_T = <a_T, h_T> is taken
    return rng, params, xs, h0, targets, dh


def vanilla_rows(model: Model, T: int, n: int, *, seed: int = 0) -> list[CheckRow]:
    """The generated per-step code at T and n against the engine and central differences."""
    from symbptt.symbolic.codegen import compile_gradients

    act = numeric_activation(model)
    output = model.output if model.has_output_layer else None
    h = model.notation.state.ascii
    t = "T" if model.loss_at == "last" else "t"
    loss = model.loss if model.has_output_layer else f"linear stand-in loss <a_{t}, {h}_{t}>"
    rng, params, xs, h0, targets, dh = _vanilla_point(model, T, n, seed)
    entries = _entries(rng, params, FD_ENTRIES)
    names = (
        f"numeric: code generated from the step rule vs engine, every gradient "
        f"({act}, {loss}; T={T}, n={n})",
        f"numeric: generated code vs float64 central differences of "
        f"{model.notation.loss.ascii}, {len(entries)} sampled entries (T={T}, n={n})",
    )
    if not engine_has_loss(model):
        why = "skipped: the engine has no loss for a generic loss on this output"
        return [skipped(names[0], "(b)", why), skipped(names[1], "(b)", why)]
    cache: dict[str, Mapping[str, Array]] = {}

    def generated() -> Mapping[str, Array]:
        if "g" not in cache:
            cache["g"] = compile_gradients(model, n)(params, xs, h0, targets=targets, dh=dh)
        return cache["g"]

    def run_engine(p: Mapping[str, Array]) -> engine.Trace:
        return engine.forward(p, xs, h0, activation=act, output=output)  # type: ignore[return-value]

    def engine_loss(p: Mapping[str, Array]) -> float:
        tr = run_engine(p)
        if targets is not None:
            return engine.loss(tr, targets, loss_at=model.loss_at)
        return float(np.vdot(dh, tr.h))

    def vs_engine() -> tuple[bool, float | None, str]:
        g = generated()
        tr = run_engine(params)
        if targets is not None:
            eg = engine.backward(tr, targets=targets, loss_at=model.loss_at)
        else:
            eg = engine.backward(tr, dh=dh, loss_at=model.loss_at)
        keys = [*params, "h0"]
        err = rel(np.concatenate([np.ravel(g[k]) for k in keys]),
                   np.concatenate([np.ravel(eg[k]) for k in keys]))  # fmt: skip
        return err < TOLERANCE, err, f"compared: {', '.join(keys)}"

    return [
        timed(names[0], "(b)", vs_engine),
        _fd_row(names[1], generated, engine_loss, params, entries),
    ]


def vanilla_skipped(model: Model, reason: str) -> list[CheckRow]:
    """The unrolled checks of `verify.run_checks`, as skipped rows."""
    E, Et = model.notation.loss.ascii, model.notation.step_loss.ascii
    rows = [
        skipped(f"exact: direct = BPTT (generic activation and {Et}_t)", "(a)=(b)", reason),
        skipped(f"exact: direct = path sums, each {Et}_t", "(a)=(c)", reason),
        skipped("exact: error terms equal their definitions", "delta", reason),
        skipped("numeric: direct, BPTT and path sums (unrolled) vs engine", "(a),(b),(c)", reason),
        skipped(
            f"numeric: BPTT (unrolled) vs central differences of {E}, 40 digits", "(b)", reason
        ),
    ]
    if model.has_output_layer:
        rows.append(skipped("numeric: upstream case, BPTT (unrolled) vs engine", "(b)", reason))
    return rows


# ---------------------------------------------------------------------- gated


def _has_fast_path(cell: Cell) -> bool:
    return cell.name in FAST_CELLS and builtin.CELLS.get(cell.name) == cell


def gated_rows(
    cell: Cell,
    T: int,
    n: int,
    *,
    seed: int = 0,
    head: Head | None = None,
    k: int = 2,
    loss_at: str = "every",
) -> list[CheckRow]:
    """The generated engine at T and n against the fast path and central differences: with a
    head (z_t = V h_t + c, k outputs) its loss and V, c too; else the linear stand-in."""
    rng = np.random.default_rng(seed)
    params = {p.key: _weights(rng, p.size(n, n)) for p in cell.params}
    xs = rng.normal(size=(T, 1, n))
    states0 = {s: rng.normal(0.0, 0.5, size=(1, n)) for s in cell.states}
    g = rng.normal(size=(T, 1, n))
    with_head = head is not None and head.has_output_layer
    if with_head:
        assert head is not None
        params |= {"V": _weights(rng, (k, n)), "c": _weights(rng, (k,))}
        targets = head.sample_targets(rng, T, k)[:, None, :]
        mask = np.ones(T) if loss_at == "every" else np.eye(T)[-1]
        stand_in = f"{cells_checks.head_label(head)} of z_t = V {cell.readout}_t + c" + (
            ", at T only" if loss_at == "last" else ""
        )
    else:
        stand_in = f"L_t = g_t . {cell.readout}_t"
    entries = _entries(rng, params, 1)
    cache: dict[str, Mapping[str, Array]] = {}

    def generated() -> Mapping[str, Array]:
        if "g" not in cache:
            if with_head:
                _, grads = numeric.head_loss(
                    cell, head, params, xs, states0, targets, loss_at=loss_at
                )
            else:
                grads = numeric.backward(
                    cell, numeric.forward(cell, params, xs, states0), {cell.readout: g}
                )
            cache["g"] = grads.params
        return cache["g"]

    def loss(p: Mapping[str, Array]) -> float:
        cell_p = {key: v for key, v in p.items() if key not in ("V", "c")}
        H = numeric.forward(cell, cell_p, xs, states0).values[cell.readout]
        if not with_head:
            return float((H * g).sum())
        per_step = head.numpy_loss(H @ p["V"].T + p["c"], targets)  # type: ignore[union-attr,misc]
        return float((per_step * mask[:, None]).sum())

    rows = []
    fast = (
        f"numeric: generated engine vs hand-written fast path, every gradient ({stand_in}; "
        f"T={T}, n={n})"
    )
    if _has_fast_path(cell):

        def vs_fast() -> tuple[bool, float | None, str]:
            got = generated()
            c0 = states0[cell.states[-1]] if len(cell.states) > 1 else None
            output = head.output if with_head else None  # type: ignore[union-attr]
            tr = engine.forward(params, xs, states0["h"], cell=cell.name, c0=c0, output=output)
            if with_head:
                eg = engine.backward(tr, targets=targets, loss_at=loss_at)
            else:
                eg = engine.backward(tr, dh=g)
            keys = [*cell.param_keys, *(("V", "c") if with_head else ())]
            err = rel(np.concatenate([np.ravel(got[k]) for k in keys]),
                      np.concatenate([np.ravel(eg[k]) for k in keys]))  # fmt: skip
            return err < TOLERANCE, err, ""

        rows.append(timed(fast, "(b)", vs_fast))
    else:  # a cell stated in a file: the generated engine is its only engine
        entries_note = f"no hand-written fast path for {cell.name!r} to compare with; "
    name = (
        f"numeric: generated engine vs float64 central differences, {len(entries)} sampled "
        f"entries ({stand_in}; T={T}, n={n})"
    )
    fd = _fd_row(name, generated, loss, params, entries, scaled_floor=with_head)
    if not rows:
        fd = replace(fd, detail=entries_note + fd.detail)
    return [*rows, fd]


def gated_skipped(cell: Cell, reason: str, head: Head | None = None) -> list[CheckRow]:
    """The unrolled and symbolic checks of `cells.checks.run`, as skipped rows."""
    exact = "exact: direct = BPTT for an arbitrary per-step loss L_t(h_t)"
    if head is not None and head.has_output_layer:
        exact = (
            f"exact: head {cells_checks.head_label(head)}, z_t = V h_t + c: direct = BPTT for "
            "every parameter, V and c"
        )
    return [
        skipped(exact, "(a)=(b)", reason),
        skipped(
            "numeric: two evaluators of the same reverse rules agree (symbolic BPTT vs "
            "generated engine)",
            "(b)",
            reason,
        ),
        skipped(
            "numeric: generated engine vs mpmath 40-digit central differences of the unrolled "
            "forward",
            "(b)",
            reason,
        ),
        skipped(
            f"derived: step partials d{cell.readout}_t/d{cell.readout}_(t-1) and the other "
            "states', direct paths and totals, where the cell has them (symbolic)",
            "derived",
            reason,
        ),
    ]
