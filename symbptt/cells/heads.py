"""The one table of output heads and losses; a head combines with any cell.

A head reads the cell's readout state h_t through z_t = V h_t + c (its input) and gives a
per-step loss E_t(z_t, y_t): softmax + cross-entropy, identity + squared error, sigmoid + binary
cross-entropy. The `generic` head has no output layer: E_t = L_t(h_t) is any scalar function of
the state. For the algebra its gradient dL_t/dh_t is a vector of free symbols (which proves an
identity for every loss, since BPTT is linear in it); numerically it runs as the linear stand-in
L_t = <g_t, h_t> with a given g_t (the course notes' upstream-gradient case).

The SymPy forms are the unrolled graph's (`symbolic.unroll`): yhat = g(z) in SymPy's own
functions (so numpy and mpmath lambdify them) and E_t as the published formula of yhat and y,
cross-entropy written with log-sum-exp so its derivatives stay small. A generic loss on an
output layer runs numerically as squared error of yhat (`numeric_head`), decided here once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import sympy as sp

from symbptt.cells.functions import FUNCTIONS
from symbptt.errors import InputError

__all__ = ["GENERIC_LOSS_STAND_IN", "HEADS", "Head", "head", "head_for", "numeric_head"]

Array = np.ndarray


def _softmax(z: Array) -> Array:
    """softmax over the last axis (rows), max-shifted: the one numpy softmax (not elementwise,
    so not in cells.functions); other modules read it as HEADS[...].numpy_output."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_logistic = FUNCTIONS["sigmoid"].numpy
_SIGMOID_CLOSED = FUNCTIONS["sigmoid"].sympy_closed


Sym = Sequence[sp.Expr]


def _sym_softmax(z: Sym) -> list[sp.Expr]:
    den = sp.Add(*[sp.exp(v) for v in z])
    return [sp.exp(v) / den for v in z]


def _sym_logistic(z: Sym) -> list[sp.Expr]:
    return [_SIGMOID_CLOSED(v) for v in z]


def _sym_ce(z: Sym, yhat: Sym, y: Sym) -> sp.Expr:
    """-sum_j y_j log softmax_j(z), as -sum_j y_j (z_j - log sum_i e^{z_i}) (log-sum-exp)."""
    lse = sp.log(sp.Add(*[sp.exp(v) for v in z]))
    return -sp.Add(*[yj * (zj - lse) for yj, zj in zip(y, z, strict=True)])


def _sym_se(z: Sym, yhat: Sym, y: Sym) -> sp.Expr:
    """1/2 sum_j (yhat_j - y_j)^2."""
    return sp.Rational(1, 2) * sp.Add(*[(p - yj) ** 2 for p, yj in zip(yhat, y, strict=True)])


def _sym_bce(z: Sym, yhat: Sym, y: Sym) -> sp.Expr:
    """-sum_j y_j log yhat_j + (1 - y_j) log(1 - yhat_j)."""
    return -sp.Add(
        *[yj * sp.log(p) + (1 - yj) * sp.log(1 - p) for yj, p in zip(y, yhat, strict=True)]
    )


def _ce(z: Array, y: Array) -> Array:
    zs = z - z.max(axis=-1, keepdims=True)
    logp = zs - np.log(np.exp(zs).sum(axis=-1, keepdims=True))
    return -(y * logp).sum(axis=-1)


def _bce(z: Array, y: Array) -> Array:
    # -y log s(z) - (1 - y) log(1 - s(z)) = softplus(z) - y z, computed without overflow
    return (np.logaddexp(0.0, z) - y * z).sum(axis=-1)


def _real_targets(rng: np.random.Generator, T: int, k: int) -> Array:
    return rng.normal(0.0, 1.0, size=(T, k))


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
    #: dE_t/dz per row (the head's error term; yhat - y for all three matched pairs when the
    #: softmax targets sum to 1, yhat sum_j y_j - y for any targets).
    numpy_grad: Callable[[Array, Array], Array] | None
    #: yhat = g(z) as SymPy from the list z (SymPy's own functions: numpy and mpmath print them).
    sympy_output: Callable[[Sym], list[sp.Expr]] | None
    #: E_t as SymPy from the lists z, yhat = sympy_output(z) and y (the published formula).
    sympy_step_loss: Callable[[Sym, Sym, Sym], sp.Expr] | None
    #: True for a numeric stand-in (a generic loss on an output layer), not a published pair.
    stand_in: bool = False
    #: E_t(yhat, y) per row as the published formula of the output (for d E_t / d yhat_t).
    numpy_output_loss: Callable[[Array, Array], Array] | None = None
    #: Random targets (T, k) as the loss reads them: a class one-hot, 0/1 labels, reals.
    sample_targets: Callable[[np.random.Generator, int, int], Array] = _real_targets
    #: dE_t/dz as the texts write it, SymPy from the lists yhat and y (the output lemma proves it).
    sympy_grad: Callable[[Sym, Sym], list[sp.Expr]] = lambda yhat, y: [  # noqa: E731
        p - yj for p, yj in zip(yhat, y, strict=True)
    ]
    #: True when integer class labels (T,) may stand for the targets (rows of the identity).
    class_labels: bool = False

    @property
    def has_output_layer(self) -> bool:
        """True when the head reads z_t = V h_t + c (every head but the generic one)."""
        return self.numpy_output is not None

    def sympy_loss(self, z: Sym, y: Sym) -> sp.Expr:
        """E_t as SymPy from the lists z and y (yhat written out as g(z))."""
        if self.sympy_output is None or self.sympy_step_loss is None:
            raise InputError(f"head {self.name!r} has no closed-form loss (a generic L_t)")
        return self.sympy_step_loss(z, self.sympy_output(z), y)


def _numpy_se(z: Array, y: Array) -> Array:
    return 0.5 * ((z - y) ** 2).sum(axis=-1)


HEADS: Mapping[str, Head] = MappingProxyType(
    {
        "softmax_cross_entropy": Head(
            "softmax_cross_entropy",
            "softmax",
            "cross_entropy",
            r"-\sum_j y_j \log \hat{y}_j",
            _softmax,
            _ce,
            # the true gradient for any y: softmax(z) sum_j y_j - y (targets need not sum to 1)
            lambda z, y: _softmax(z) * np.sum(y, axis=-1, keepdims=True) - y,
            _sym_softmax,
            _sym_ce,
            numpy_output_loss=lambda yh, y: -(y * np.log(yh)).sum(axis=-1),
            sample_targets=lambda rng, T, k: np.eye(k)[rng.integers(0, k, size=T)],
            class_labels=True,
            # yhat sum_j y_j - y: yhat - y for targets summing to 1, the true gradient for any y
            sympy_grad=lambda yhat, y: [p * sp.Add(*y) - yj for p, yj in zip(yhat, y, strict=True)],
        ),
        "identity_squared_error": Head(
            "identity_squared_error",
            "identity",
            "squared_error",
            r"\tfrac{1}{2} \lVert \hat{y} - y \rVert^2",
            lambda z: z,
            _numpy_se,
            lambda z, y: z - y,
            list,
            _sym_se,
            numpy_output_loss=_numpy_se,
        ),
        "sigmoid_binary_cross_entropy": Head(
            "sigmoid_binary_cross_entropy",
            "sigmoid",
            "binary_cross_entropy",
            r"-\sum_j \left[ y_j \log \hat{y}_j + (1 - y_j) \log (1 - \hat{y}_j) \right]",
            _logistic,
            _bce,
            lambda z, y: _logistic(z) - y,
            _sym_logistic,
            _sym_bce,
            numpy_output_loss=lambda yh, y: (
                -(y * np.log(yh) + (1 - y) * np.log(1 - yh)).sum(axis=-1)
            ),
            sample_targets=lambda rng, T, k: rng.integers(0, 2, size=(T, k)).astype(float),
        ),
        "generic": Head("generic", "none", "generic", "L_t", None, None, None, None, None),
    }
)

#: (output, loss) as a derivation file names them -> the head.
BY_OUTPUT_LOSS: Mapping[tuple[str, str], str] = MappingProxyType(
    {(h.output, h.loss): k for k, h in HEADS.items()}
)

#: What a generic loss on an output layer runs as numerically: E_t = 1/2 ||yhat_t - y_t||^2.
GENERIC_LOSS_STAND_IN = "squared_error"


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


def numeric_head(output: str, loss: str) -> Head:
    """The head numbers run with: `head_for`, or for a generic loss on an output layer g the
    stand-in 1/2 ||g(z) - y||^2 (the generic head, without an output layer, stays generic)."""
    if loss != "generic" or output == "none":
        return head_for(output, loss)
    g = next((h for h in HEADS.values() if h.output == output and h.has_output_layer), None)
    if g is None:
        known = ", ".join(h.output for h in HEADS.values() if h.has_output_layer)
        raise InputError(f"output {output!r} is not an output layer; expected one of {known}")
    se = head_for("identity", GENERIC_LOSS_STAND_IN)
    if g.output == se.output:
        return replace(se, stand_in=True)
    out = g.numpy_output or (lambda z: z)  # found among the heads with an output layer
    return replace(
        se,
        name=f"{output}_{GENERIC_LOSS_STAND_IN}",
        output=output,
        numpy_output=out,
        numpy_loss=lambda z, y: _numpy_se(out(z), y),
        numpy_grad=None,  # dE/dz = J_g(z)^T (g(z) - y): not a head the engines run
        sympy_output=g.sympy_output,
        stand_in=True,
    )
