"""What a model's numbers run as in the truth of answers, looked up in the cells' tables.

The activation runs as its entry of `cells.functions.FUNCTIONS` (a generic f as the table's
stand-in, `numeric_name`); output and loss as `cells.heads.numeric_head` (a generic loss on an
output layer as its squared-error stand-in); random targets are drawn where the head's loss is
defined (soft targets, the checker's own random points: not the heads' one-hot `sample_targets`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symbptt.cells.functions import numeric_name
from symbptt.cells.heads import HEADS, Head, numeric_head

__all__ = ["TARGETS", "columns", "engine_loss", "is_generic", "model_head"]

Array = np.ndarray


def columns(rows: Callable[[Array], Array]) -> Callable[[Array], Array]:
    """A function of rows (the heads' layout, (..., k)) applied to column vectors (k, 1)."""
    return lambda z: rows(z.T).T


def is_generic(activation: str) -> bool:
    """True for an activation no model fixes (its numbers run as the table's stand-in)."""
    return numeric_name(activation) != activation


def model_head(model: Any) -> Head:
    """The head the model's numbers run with (`numeric_head` of its output and loss)."""
    return numeric_head(model.output, model.loss)


def engine_loss(model: Any) -> bool:
    """True when the engine's loss for the model's output is the loss its head runs: the engine
    keys its losses by the output alone (softmax: cross-entropy, identity: squared error, ...)."""
    head = model_head(model)
    if not head.has_output_layer:
        return True
    own = next(h for h in HEADS.values() if h.output == model.output and not h.stand_in)
    return own.loss == head.loss


def _probabilities(rng: np.random.Generator, shape: tuple[int, ...]) -> Array:
    y = rng.uniform(0.1, 1.0, shape)
    return y / y.sum(axis=1, keepdims=True)


#: Random targets where a head's loss is defined, by the loss (any other: standard normal).
TARGETS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], Array]] = {
    "cross_entropy": _probabilities,  # probability vectors
    "binary_cross_entropy": lambda rng, shape: rng.uniform(0.05, 0.95, shape),
}
