"""What a model's numbers run with, looked up in the function and head tables.

A generic f runs as `cells.functions.numeric_name` says; a generic loss of the state as the
linear E_t = <a_t, h_t> (the engine's dh mode); a generic loss on an output layer as the head
table's stand-in (`cells.heads.numeric_head`), which the engine runs only where the stand-in has
an error term. Targets are drawn as the head's loss reads them.
"""

from __future__ import annotations

import numpy as np

from symbptt.cells.functions import numeric_name
from symbptt.cells.heads import Head, numeric_head
from symbptt.model import Model

__all__ = ["engine_has_loss", "head", "numeric_activation", "sample_targets"]


def numeric_activation(model: Model) -> str:
    """The activation the numbers run with (a generic f as the function table's stand-in)."""
    return numeric_name(model.activation)


def head(model: Model) -> Head:
    """The head the numbers run with: the model's own, or the table's stand-in for a generic
    loss (`stand_in`; without an output layer the generic head, run as <a_t, h_t>)."""
    return numeric_head(model.output, model.loss)


def engine_has_loss(model: Model) -> bool:
    """True when the engine runs the model's loss (or its stand-in): always without an output
    layer (dh mode), else when the head has an error term dE_t/dz_t."""
    h = head(model)
    return not h.has_output_layer or h.numpy_grad is not None


def sample_targets(model: Model, rng: np.random.Generator, T: int, k: int) -> np.ndarray:
    """Random targets y_t (T, k) as the model's (stand-in) loss reads them."""
    return head(model).sample_targets(rng, T, k)
