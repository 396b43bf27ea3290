"""The one table of elementwise functions a cell may apply: sigmoid, tanh, relu, identity, generic f.

Each entry carries everything every layer needs, so no other module decides what a function
means: the SymPy form (with a derivative written as the texts write it, in terms of the output
where they do: sigma(1 - sigma), 1 - tanh^2), numpy f and f', the LaTeX name and the bound on
|f'|. A *generic* f is an undefined function for the algebra and runs as tanh numerically;
that stand-in is decided here, once (`NUMERIC_STAND_IN`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

import numpy as np
import sympy as sp

from symbptt.errors import InputError

__all__ = [
    "FUNCTIONS",
    "NUMERIC_STAND_IN",
    "Function",
    "GenericF",
    "GenericFPrime",
    "Relu",
    "Sigmoid",
    "Step",
    "function",
    "numeric_name",
]

Array = np.ndarray


# ---------------------------------------------------------------------- SymPy forms


class Sigmoid(sp.Function):
    """sigma(x) = 1 / (1 + e^{-x}) as an atom whose derivative is sigma (1 - sigma)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = Sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x: sp.Expr, **_: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return (1 / (1 + sp.exp(-self.args[0])))._eval_evalf(prec)

    def _latex(self, printer: object) -> str:
        return r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"  # type: ignore[attr-defined]


class Step(sp.Function):
    """The derivative of relu, 1 for x > 0 and 0 otherwise (an atom for the algebra)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Integer(0)


class Relu(sp.Function):
    """max(0, x) as an atom whose derivative is Step(x)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return Step(self.args[0])


class GenericFPrime(sp.Function):
    """f'(x) of the generic activation: an atom (its own derivative f'' is another atom)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Function("f2")(self.args[0])

    def _latex(self, printer: object) -> str:
        return r"f'\left(" + printer._print(self.args[0]) + r"\right)"  # type: ignore[attr-defined]


class GenericF(sp.Function):
    """An arbitrary differentiable f: an atom whose derivative is the atom f'(x)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return GenericFPrime(self.args[0])

    def _latex(self, printer: object) -> str:
        return r"f\left(" + printer._print(self.args[0]) + r"\right)"  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- numpy forms


def _logistic(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free


def _relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


# ---------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Function:
    """One elementwise function: how every layer computes, differentiates and prints it.

    `d_out`, when set, writes f' in terms of the output y = f(x) (sigma: y(1-y); tanh: 1-y^2);
    `d_in` always writes it in terms of the input x. `bound` is sup |f'| (None: unknown).
    """

    name: str
    latex: str
    sympy: Callable[[sp.Expr], sp.Expr]
    sympy_prime: Callable[[sp.Expr], sp.Expr]
    numpy: Callable[[Array], Array]
    d_in: Callable[[Array], Array]
    d_out: Callable[[Array], Array] | None
    sympy_d_out: Callable[[sp.Expr], sp.Expr] | None
    bound: Fraction | None
    #: f in SymPy's own functions when `sympy` is an atom of this module (sigma, relu): the
    #: form the unrolled vanilla graph uses, so numpy and mpmath lambdify it (None: `sympy`).
    closed: Callable[[sp.Expr], sp.Expr] | None = None
    #: f' in LaTeX from the output y as written (1 - (y)^2, y (.) (1 - y)), for the texts that
    #: write it so (notation `derivative: output`); None: f' is written of the input only.
    latex_d_out: Callable[[str], str] | None = None
    #: f' in LaTeX from the output y and its square y2, each as the printer writes it (sigma:
    #: y \odot (1 - y); tanh: 1 - y2); None: f' is written of the input only. Every printer reads it.
    latex_d_out_of: Callable[[str, str], str] | None = None
    #: True when that form is a difference (1 - y2): a product brackets it.
    d_out_difference: bool = False

    @property
    def generic(self) -> bool:
        """True for the generic f: an undefined function, nothing known about it."""
        return self.sympy is GenericF

    def sympy_closed(self, x: sp.Expr) -> sp.Expr:
        """f(x) in SymPy's own functions (1 / (1 + e^{-x}) for sigma, Max(0, x) for relu)."""
        return (self.closed or self.sympy)(x)

    def prime(self, x: Array, y: Array) -> Array:
        """f'(x) from the input x and the output y = f(x), by the output form when there is one."""
        return self.d_out(y) if self.d_out is not None else self.d_in(x)

    def sympy_derivative(self, x: sp.Expr, y: sp.Expr) -> sp.Expr:
        """f'(x) as SymPy, in terms of y = f(x) when the texts write it so (sigma(1-sigma))."""
        return self.sympy_d_out(y) if self.sympy_d_out is not None else self.sympy_prime(x)


#: What a generic f runs as numerically (the engine, the checks, the truth of answers).
NUMERIC_STAND_IN = "tanh"

_TANH_D_OUT: Callable[[Array], Array] = lambda y: 1.0 - y * y  # noqa: E731
_SIGMA_LATEX_D_OUT: Callable[[str, str], str] = lambda y, y2: rf"{y} \odot \left(1 - {y}\right)"  # noqa: E731
_TANH_LATEX_D_OUT: Callable[[str, str], str] = lambda y, y2: rf"1 - {y2}"  # noqa: E731

FUNCTIONS: Mapping[str, Function] = MappingProxyType(
    {
        "sigmoid": Function(
            "sigmoid",
            r"\sigma",
            Sigmoid,
            lambda x: Sigmoid(x) * (1 - Sigmoid(x)),
            _logistic,
            lambda x: _logistic(x) * (1.0 - _logistic(x)),
            lambda y: y * (1.0 - y),
            lambda y: y * (1 - y),
            Fraction(1, 4),
            closed=lambda x: 1 / (1 + sp.exp(-x)),
            latex_d_out=lambda y: _SIGMA_LATEX_D_OUT(y, ""),
            latex_d_out_of=_SIGMA_LATEX_D_OUT,
        ),
        "tanh": Function(
            "tanh",
            r"\tanh",
            sp.tanh,
            lambda x: 1 - sp.tanh(x) ** 2,
            np.tanh,
            lambda x: 1.0 - np.tanh(x) ** 2,
            _TANH_D_OUT,
            lambda y: 1 - y**2,
            Fraction(1),
            latex_d_out=lambda y: _TANH_LATEX_D_OUT(y, rf"\left({y}\right)^{{2}}"),
            latex_d_out_of=_TANH_LATEX_D_OUT,
            d_out_difference=True,
        ),
        "relu": Function(
            "relu",
            r"\operatorname{relu}",
            Relu,
            Step,
            _relu,
            lambda x: (x > 0).astype(float),
            None,
            None,
            Fraction(1),
            closed=lambda x: sp.Max(0, x),
        ),
        "identity": Function(
            "identity",
            r"\operatorname{id}",
            lambda x: x,
            lambda x: sp.Integer(1),
            lambda x: x,
            np.ones_like,
            None,
            None,
            Fraction(1),
        ),
        "generic": Function(
            "generic",
            "f",
            GenericF,
            GenericFPrime,
            np.tanh,  # NUMERIC_STAND_IN
            lambda x: 1.0 - np.tanh(x) ** 2,
            _TANH_D_OUT,
            None,  # the algebra keeps f'(x) as an atom: nothing is known about f
            None,
        ),
    }
)


def function(name: str, *, where: str = "") -> Function:
    """The table entry for name; InputError listing the known functions otherwise."""
    try:
        return FUNCTIONS[name]
    except KeyError:
        at = f" in {where}" if where else ""
        raise InputError(
            f"unknown function {name!r}{at}; expected one of {', '.join(FUNCTIONS)}"
        ) from None


def numeric_name(name: str) -> str:
    """The function numbers run with for name: itself, or NUMERIC_STAND_IN for a generic f."""
    return NUMERIC_STAND_IN if function(name).sympy is GenericF else name


#: numpy namespace for lambdify: the SymPy atoms above evaluated by their numeric forms.
LAMBDIFY_MODULE: Mapping[str, Callable[[Array], Array]] = MappingProxyType(
    {
        "Sigmoid": _logistic,
        "Relu": _relu,
        "Step": lambda x: (np.asarray(x) > 0).astype(float),
        "GenericF": np.tanh,
        "GenericFPrime": lambda x: 1.0 - np.tanh(x) ** 2,
    }
)
