"""The one table of output heads and losses; a head combines with any cell.

A head reads the cell's readout state h_t through z_t = V h_t + c (its input) and gives a
per-step loss E_t(z_t, y_t): softmax + cross-entropy, identity + squared error, sigmoid + binary
cross-entropy. The `generic` head has no output layer: E_t = L_t(h_t) is any scalar function of
the state. For the algebra its gradient dL_t/dh_t is a vector of free symbols (which proves an
identity for every loss, since BPTT is linear in it); numerically it runs as the linear stand-in
L_t = <g_t, h_t> with a given g_t (the course notes' upstream-gradient case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import sympy as sp

from symbptt.cells.functions import Sigmoid
from symbptt.errors import InputError

__all__ = ["HEADS", "Head", "head"]

Array = np.ndarray


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _logistic(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _sym_softmax(z: Sequence[sp.Expr]) -> list[sp.Expr]:
    den = sum(sp.exp(v) for v in z)
    return [sp.exp(v) / den for v in z]


def _ce(z: Array, y: Array) -> Array:
    zs = z - z.max(axis=-1, keepdims=True)
    logp = zs - np.log(np.exp(zs).sum(axis=-1, keepdims=True))
    return -(y * logp).sum(axis=-1)


def _bce(z: Array, y: Array) -> Array:
    # -y log s(z) - (1 - y) log(1 - s(z)) = softplus(z) - y z, computed without overflow
    return (np.logaddexp(0.0, z) - y * z).sum(axis=-1)


@dataclass(frozen=True)
class Head:
    """An output nonlinearity with its loss: numpy forms, the gradient w.r.t. z, SymPy forms."""

    name: str
    output: str  # the output nonlinearity's name ('none' for the generic head)
    loss: str
    latex: str
    #: yhat = g(z), rows (..., k).
    numpy_output: Callable[[Array], Array] | None
    #: E_t(z, y) per row.
    numpy_loss: Callable[[Array, Array], Array] | None
    #: dE_t/dz per row (the head's error term, yhat - y for all three matched pairs).
    numpy_grad: Callable[[Array, Array], Array] | None
    #: E_t as SymPy from the lists z and y.
    sympy_loss: Callable[[Sequence[sp.Expr], Sequence[sp.Expr]], sp.Expr] | None

    @property
    def has_output_layer(self) -> bool:
        """True when the head reads z_t = V h_t + c (every head but the generic one)."""
        return self.numpy_output is not None


HEADS: Mapping[str, Head] = MappingProxyType(
    {
        "softmax_cross_entropy": Head(
            "softmax_cross_entropy",
            "softmax",
            "cross_entropy",
            r"-\sum_j y_j \log \hat{y}_j",
            _softmax,
            _ce,
            lambda z, y: _softmax(z) - y,
            lambda z, y: -sum(yi * sp.log(p) for yi, p in zip(y, _sym_softmax(z), strict=True)),
        ),
        "identity_squared_error": Head(
            "identity_squared_error",
            "identity",
            "squared_error",
            r"\tfrac{1}{2} \lVert \hat{y} - y \rVert^2",
            lambda z: z,
            lambda z, y: 0.5 * ((z - y) ** 2).sum(axis=-1),
            lambda z, y: z - y,
            lambda z, y: sum((zi - yi) ** 2 for zi, yi in zip(z, y, strict=True)) / 2,
        ),
        "sigmoid_binary_cross_entropy": Head(
            "sigmoid_binary_cross_entropy",
            "sigmoid",
            "binary_cross_entropy",
            r"-\sum_j y_j \log \hat{y}_j + (1 - y_j) \log (1 - \hat{y}_j)",
            _logistic,
            _bce,
            lambda z, y: _logistic(z) - y,
            lambda z, y: (
                -sum(
                    yi * sp.log(Sigmoid(zi)) + (1 - yi) * sp.log(1 - Sigmoid(zi))
                    for zi, yi in zip(z, y, strict=True)
                )
            ),
        ),
        "generic": Head("generic", "none", "generic", "L_t", None, None, None, None),
    }
)

#: (output, loss) as a derivation file names them -> the head.
BY_OUTPUT_LOSS: Mapping[tuple[str, str], str] = MappingProxyType(
    {(h.output, h.loss): k for k, h in HEADS.items()}
)


def head(name: str) -> Head:
    """The table entry for name; InputError listing the known heads otherwise."""
    try:
        return HEADS[name]
    except KeyError:
        raise InputError(f"unknown head {name!r}; expected one of {', '.join(HEADS)}") from None


def head_for(output: str, loss: str) -> Head:
    """The head a derivation file's output and loss keys name; InputError for a bad pair."""
    key = BY_OUTPUT_LOSS.get((output, loss))
    if key is None:
        pairs = ", ".join(f"{o} + {lo}" for o, lo in BY_OUTPUT_LOSS)
        raise InputError(f"output {output!r} with loss {loss!r} is not a head; expected {pairs}")
    return HEADS[key]
