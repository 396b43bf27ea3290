"""The output head of a gated model in the checker's truth: z_t = V h_t + c, yhat_t, y_t, E_t.

A gated cell with `output`/`loss` set (a head of `cells.heads`) reads its readout state through
the head as the vanilla `World` does (`World.head_step`, `World.draw_targets`: one code path for
every cell). Here: the head's names in a gated world (V, c, z_t, yhat_t, y_t in the model's
notation; a bare c or V is the head's parameter where the cell has a quantity of that letter, as
the LSTM's cell state c_t) and the exact gradients through the head: dE_t/dz_t from the heads
table's `numpy_grad`, dE/dV and dE/dc as sums of outer products, and the cell's own gradients
from `cells.numeric.backward` seeded with dE_t/dh_t = V^T dE_t/dz_t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symbptt.answers.spellings import name_keys
from symbptt.cells.numeric import Grads, Trace, backward
from symbptt.cells.numeric import forward as cell_forward

__all__ = ["HEAD_KINDS", "HEAD_PARAMS", "add_head", "head_seed", "head_values"]

#: The world's internal kinds of z_t, yhat_t, y_t (apart from any cell quantity named z or y).
HEAD_KINDS = ("out_z", "out_yhat", "out_y")
#: The head's parameters: the letter derive prints -> the world's parameter key (a `Role` value).
HEAD_PARAMS = {"V": "output", "c": "output_bias"}


def add_head(world: Any, rng: np.random.Generator) -> None:
    """Draw V (k x n), c (k x 1) and the targets, and name V, c, z_t, yhat_t, y_t in `world`."""
    n, k, nt = world.n, world.k, world.model.notation
    world.params["output"] = rng.normal(0.0, 0.7, (k, n))
    world.params["output_bias"] = rng.normal(0.0, 0.7, (k, 1))
    world.targets = world.draw_targets(rng)
    for letter, role in HEAD_PARAMS.items():
        if letter in world.names:  # the cell's own quantity (c_t): a bare c is the head's bias
            world.bare_params[letter] = role
        else:
            world.names[letter] = ("param", role)
    names = (nt.output_preactivation, nt.output, nt.target)
    for name, kind in zip(names, HEAD_KINDS, strict=True):
        for key in name_keys(name):
            world.names.setdefault(key, ("seq", kind))


def head_seed(world: Any, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, Trace]:
    """(H, dZ, seed, trace) at the world's point: the readout states H (T, 1, n), the head's
    error terms dZ (T, 1, k) = dE_t/dz_t of the counted steps (mask, T), the cell's seed dZ V."""
    cell, head = world.cell, world.head
    xs = world.xs[1:, :, 0][:, None, :]
    s0 = {s: v.T for s, v in world.s0.items()}
    trace = cell_forward(cell, world.cell_params(None), xs, s0)
    H = trace.values[cell.readout]
    V, c = world.params["output"], world.params["output_bias"]
    Z = H @ V.T + c.T
    Y = world.targets[1:, :, 0][:, None, :]
    dZ = head.numpy_grad(Z, Y) * mask[:, None, None]  # type: ignore[misc]
    return H, dZ, dZ @ V, trace


def head_values(world: Any, key: tuple, mask: np.ndarray) -> np.ndarray | Grads | None:
    """dE/d(key) for a head slot (V, c, z_k) from the heads table, or the cell's `Grads` seeded
    through the head for every other slot; None where the head gives no exact value."""
    if world.head.numpy_grad is None:
        return None
    if key[0] in HEAD_KINDS[1:]:  # yhat_t, y_t: central differences
        return None
    H, dZ, seed, trace = head_seed(world, mask)
    if key == ("param", "output"):
        return np.einsum("tbk,tbn->kn", dZ, H)
    if key == ("param", "output_bias"):
        return dZ.sum(axis=(0, 1)).reshape(-1, 1)
    if key[0] == HEAD_KINDS[0]:
        return dZ[key[1] - 1].T
    return backward(world.cell, trace, {world.cell.readout: seed})
