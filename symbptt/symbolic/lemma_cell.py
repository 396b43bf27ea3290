"""One step of the vanilla cell as explicit SymPy matrices, with generic f, loss and rest.

The exact proof (`symbolic.steplemma.prove`) builds `_SymbolicCell`s at concrete n, m, k: the
step from the cell's IR with the functions table's generic f, a generic per-step loss L_t and a
generic rest R(h_t) (undefined functions, or linear stand-ins with the same first derivatives),
and compares SymPy expressions exactly (`_same`, `_gradient`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from symbptt.cells.functions import FUNCTIONS
from symbptt.model import ENGINE_KEY, Model, Role
from symbptt.symbolic.step_rule import Cell, net_of, param_shapes


def _mat(name: str, r: int, c: int) -> sp.Matrix:
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}{j}" if c > 1 else f"{name}_{i}"))


def _fdiff(self: sp.Function, argindex: int = 1) -> sp.Expr:
    name = type(self).__name__
    if len(self.args) == 1:
        return sp.Function(f"{name}'")(*self.args)
    return sp.Function(f"D{argindex}{name}")(*self.args)


def _generic(name: str) -> type[sp.Function]:
    """A generic differentiable function: its derivatives are undefined functions f', D_iL."""
    return type(name, (sp.Function,), {"fdiff": _fdiff})


#: The generic per-step loss L and rest R of the proof (the step's f is the table's generic f).
F_LOSS, F_REST = _generic("L"), _generic("R")
#: The proof's activation: the function table's generic f (an atom with the atom f' as derivative).
GENERIC_F = "generic"


def _grad_at(F: type[sp.Function], point: list[sp.Expr]) -> sp.Matrix:
    """The gradient of a generic scalar function at a point, in the form `diff` produces."""
    applied = F(*point)
    return sp.Matrix([applied.fdiff(i + 1) for i in range(len(point))])


def _gradient(phi: sp.Expr) -> Callable[[sp.Symbol], sp.Expr]:
    """v -> d phi / d v, by SymPy's diff of each factor and the sum and product rules.

    The same derivative as sp.diff(phi, v), but each distinct factor (such as f(net_a)) is
    differentiated once per symbol instead of once per term it appears in.
    """
    cache: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] = {}

    def d(factor: sp.Expr, v: sp.Symbol) -> sp.Expr:
        if (factor, v) not in cache:
            cache[factor, v] = sp.diff(factor, v)
        return cache[factor, v]

    acc: dict[sp.Symbol, list[sp.Expr]] = {}
    for term in sp.Add.make_args(sp.expand(phi, deep=False)):
        factors = sp.Mul.make_args(term)
        for v in term.free_symbols:
            for i, fac in enumerate(factors):
                if v in fac.free_symbols:
                    rest = factors[:i] + factors[i + 1 :]
                    acc.setdefault(v, []).append(sp.Mul(*rest, d(fac, v)))
    return lambda v: sp.Add(*acc.get(v, ()))


def _expand_mul(expr: sp.Expr) -> sp.Expr:
    """Distribute products over sums at the top level only (function arguments stay as atoms)."""
    return sp.expand(expr, deep=False, power_exp=False, power_base=False, multinomial=False,
                     log=False, basic=False)  # fmt: skip


def _zero(expr: sp.Expr) -> bool:
    return expr == 0 or _expand_mul(expr) == 0 or sp.expand(expr) == 0


def _same(a: sp.Matrix, b: sp.Matrix) -> bool:
    return a.shape == b.shape and all(_zero(u - v) for u, v in zip(a, b, strict=True))


class _SymbolicCell:
    """One cell with generic f, generic per-step loss L and a generic rest R, at concrete sizes.

    The step is the model's cell IR (`Model.cell_def`) with its function made generic:
    h_t = f(a) with a the IR's argument of f, evaluated by `cells.symbolic.to_sympy`.
    """

    def __init__(
        self, model: Model, n: int, m: int, k: int, *, loss: bool, rest: bool, generic: bool
    ) -> None:
        self.model, self.generic = model, generic
        self.P = {r: _mat(ENGINE_KEY[r], *s) for r, s in param_shapes(model, n, m, k).items()}
        self.h_prev, self.x = _mat("hp", n, 1), _mat("x", m, 1)
        self.nu = _mat("nu", n, 1)  # net_t as free symbols, for the delta definitions
        self.eta = _mat("eta", n, 1)  # h_t as free symbols, for dE_t/dh_t
        self.loss, self.rest = loss, rest
        self.fn = FUNCTIONS[GENERIC_F]
        self.net = net_of(model.cell_def, self.P, self.h_prev, self.x)

    def parts(self, net: sp.Matrix) -> tuple[sp.Expr, sp.Expr, dict[str, Any]]:
        """(E_t, R) as functions of net, with e, dE_t/dh_t and g at that point."""
        h = net.applyfunc(self.fn.sympy)
        Et, e, dEdh = self.step_loss(h)
        R, g = self._outer("R", h) if self.rest else (sp.S.Zero, sp.zeros(net.rows, 1))
        return Et, R, {"h": h, "e": e, "dEdh": dEdh, "g": g}

    def step_loss(self, h: sp.Matrix) -> tuple[sp.Expr, Any, sp.Matrix]:
        """E_t as a function of h (through z = V h + c with an output layer), e and V^T e."""
        P, n = self.P, h.rows
        e, Et, dEdh = None, sp.S.Zero, sp.zeros(n, 1)
        if Role.OUTPUT in P:
            z = P[Role.OUTPUT] * h
            if Role.OUTPUT_BIAS in P:
                z += P[Role.OUTPUT_BIAS]
            e = sp.zeros(z.rows, 1)
            if self.loss:
                Et, e = self._outer("L", z)
                dEdh = P[Role.OUTPUT].T * e
        elif self.loss:
            Et, dEdh = self._outer("L", h)
        return Et, e, dEdh

    def _outer(self, name: str, at: sp.Matrix) -> tuple[sp.Expr, sp.Matrix]:
        """A generic scalar function of `at` and its gradient there.

        generic: an undefined function F(at). linear: <a, at> with arbitrary symbols a, which
        has the same first derivatives as any F whose gradient at the point is a.
        """
        if self.generic:
            F = {"L": F_LOSS, "R": F_REST}[name]
            return F(*at), _grad_at(F, list(at))
        a = _mat(f"d{name}", at.rows, 1)
        return (a.T * at)[0, 0], a

    def cell(self, parts: dict[str, Any]) -> Cell:
        """The Cell a rule sees, at net_t = U x_t + W h_{t-1} + b."""
        fp = self.net.applyfunc(self.fn.sympy_prime)
        future = _mat("net_future", self.net.rows, 1).applyfunc(self.fn.sympy_prime)
        e = parts["e"]
        return Cell(
            self.P, self.h_prev, self.x, parts["h"], fp, e, parts["dEdh"], parts["g"], future,
            lambda a, b: a.multiply_elementwise(b),
        )  # fmt: skip
