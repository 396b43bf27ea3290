"""The printable SymPy objects of the general-T statements: time-indexed vectors, parameters,
elementwise functions, ordered products, derivatives, norms, and a statement with its reason.

`sympy.latex` with the project's printer settings prints them in the model's letters
(`symbptt.latex.printer`); `symbptt.symbolic.general` builds the statements from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.precedence import PRECEDENCE

from symbptt.cells.functions import FUNCTIONS
from symbptt.model import Name, Role

__all__ = [
    "KINDS",
    "Elementwise",
    "InOrder",
    "MatProduct",
    "Norm",
    "Param",
    "Partial",
    "Reason",
    "Seq",
    "Statement",
]

_N, _M, _K = sp.symbols("n m k_out", positive=True, integer=True)  # shapes, never printed


class Seq(MatrixExpr):
    """A named vector or matrix with time indices, e.g. h_{t-1}, delta_{t,k}, E_t."""

    @classmethod
    def of(cls, name: Name, indices: tuple[Any, ...], rows: Any, cols: Any) -> Seq:
        """The symbol `name` with the given time indices and shape."""
        idx = sp.Tuple(*(sp.sympify(i) for i in indices))
        return cls(Str(name.ascii), Str(name.latex), idx, sp.sympify(rows), sp.sympify(cols))

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def indices(self) -> tuple[sp.Expr, ...]:
        return tuple(self.args[2])

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[3], self.args[4]

    def _latex(self, printer: Any) -> str:
        base = self.args[1].name
        if not self.indices:
            return base
        sub = ", ".join(printer._print(i) for i in self.indices)
        if getattr(getattr(printer, "notation", None), "time_superscript", False):
            parts = [printer._print(i) for i in self.indices]  # h^{(t-1)}, y^{(t)}_{j}
            entries = []
            while len(parts) > 1 and parts[-1] in ("i", "j"):
                entries.insert(0, parts.pop())
            out = f"{base}^{{({', '.join(parts)})}}"
            return out + (f"_{{{', '.join(entries)}}}" if entries else "")
        return f"{{{base}}}_{{{sub}}}" if "_" in base else f"{base}_{{{sub}}}"

    def _sympystr(self, printer: Any) -> str:
        if not self.indices:
            return self.name
        return f"{self.name}[{', '.join(printer._print(i) for i in self.indices)}]"


class Param(Seq):
    """A parameter matrix or bias vector: its display name and its role."""

    @classmethod
    def of_role(cls, role: Role, name: Name, rows: Any, cols: Any) -> Param:
        """The parameter playing `role`, printed as `name`."""
        args = (Str(name.ascii), Str(name.latex), sp.Tuple(), rows, cols, Str(role.value))
        return cls(*(sp.sympify(a) for a in args))

    @property
    def role(self) -> Role:
        return Role(self.args[5].name)


class Elementwise(MatrixExpr):
    """A function applied entry by entry (f, f', sigma', log) or a named vector map (softmax)."""

    @classmethod
    def of(
        cls, fname: Name, arg: Any, order: int = 0, *, output: Any = None, kind: str = ""
    ) -> Elementwise:
        """fname (differentiated `order` times) applied to arg; `output` = f(arg) and `kind`
        (tanh, sigmoid) let f' print with the output: 1 - (h_t)^2 (notation's choice)."""
        if output is not None:
            return cls(
                Str(fname.ascii), Str(fname.latex), arg, sp.Integer(order), output, Str(kind)
            )
        return cls(Str(fname.ascii), Str(fname.latex), arg, sp.Integer(order))

    @property
    def function(self) -> str:
        return self.args[0].name

    @property
    def arg(self) -> Any:
        return self.args[2]

    @property
    def order(self) -> int:
        return int(self.args[3])

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.arg.shape

    def _latex(self, printer: Any) -> str:
        with_output = getattr(getattr(printer, "notation", None), "derivative_from_output", False)
        fn = FUNCTIONS.get(self.args[5].name) if len(self.args) == 6 else None
        if with_output and self.order == 1 and fn is not None and fn.latex_d_out_of is not None:
            h = printer._print(self.args[4])  # f' of the output, as the table writes it
            hp = rf"\left({h}\right)" if "^" in h else h
            return rf"\left({fn.latex_d_out_of(h, hp + '^{2}')}\right)"
        return f"{self.args[1].name}{chr(39) * self.order}\\left({printer._print(self.arg)}\\right)"

    def _sympystr(self, printer: Any) -> str:
        return f"{self.function}{chr(39) * self.order}({printer._print(self.arg)})"


class MatProduct(MatrixExpr):
    """An ordered matrix product over i = lo..hi, with the factor for i = hi on the left."""

    @property
    def term(self) -> Any:
        return self.args[0]

    @property
    def limits(self) -> tuple[Any, Any, Any]:
        return tuple(self.args[1])

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.term.shape

    def _latex(self, printer: Any) -> str:
        i, lo, hi = (printer._print(a) for a in self.limits)
        return rf"\prod_{{{i}={lo}}}^{{{hi}}} {printer._print(self.term)}"


class Partial(MatrixExpr):
    """The derivative of a scalar (E, E_t, L_t) by a vector or matrix, shaped like the latter."""

    def __new__(cls, num: Any, den: Any) -> Partial:
        return super().__new__(cls, num, den)

    @property
    def shape(self) -> tuple[Any, Any]:
        return self.args[1].shape

    def _latex(self, printer: Any) -> str:
        num, den = (printer._print(a) for a in self.args)
        nabla = getattr(getattr(printer, "notation", None), "nabla", False)
        if nabla and tuple(self.args[0].shape) == (1, 1):  # a loss: nabla_{h^{(t)}} L (Goodfellow)
            return rf"\nabla_{{{den}}} {num}"
        return rf"\frac{{\partial {num}}}{{\partial {den}}}"


class Norm(sp.Expr):
    """The norm of a vector or matrix, a scalar."""

    def __new__(cls, arg: Any) -> Norm:
        return super().__new__(cls, arg)

    def _latex(self, printer: Any) -> str:
        return rf"\left\lVert {printer._print(self.args[0])} \right\rVert"


class InOrder(sp.Expr):
    """A scalar product printed with its factors in the order the text writes them."""

    def __new__(cls, *factors: Any) -> InOrder:
        return super().__new__(cls, *(sp.sympify(f) for f in factors))

    def _latex(self, printer: Any) -> str:
        return " ".join(printer.parenthesize(a, PRECEDENCE["Mul"]) for a in self.args)

    def _sympystr(self, printer: Any) -> str:
        return "*".join(printer.parenthesize(a, PRECEDENCE["Mul"]) for a in self.args)


_SLOT = re.compile(r"\{(\d+)\}")


@dataclass(frozen=True)
class Reason:
    """Prose with `$...$` math; a slot `{i}` is `math[i]`, printed in the model's notation.

    A `str` in `math` is LaTeX put in as it is; anything else is a SymPy object for the printer.
    """

    template: str
    math: tuple[Any, ...] = ()

    def render(self, to_tex: Callable[[Any], str]) -> str:
        """The reason with every slot printed by `to_tex` (strings are left as they are)."""
        return _SLOT.sub(lambda m: _fill(self.math[int(m.group(1))], to_tex), self.template)

    def __str__(self) -> str:
        return self.render(sp.latex)


def _fill(item: Any, to_tex: Callable[[Any], str]) -> str:
    return item if isinstance(item, str) else to_tex(item)


#: Every kind of statement `statements` and `transport` produce; tests/test_printed_truth.py
#: checks each kind numerically and fails on a kind it has no check for.
KINDS = (
    "forward", "loss", "output error", "delta definition", "delta recursion", "delta boundary",
    "delta at T", "delta at k = t", "state gradient", "state gradient at T", "gradient",
    "Jacobian product", "error transport", "Jacobian bound", "error bound",
)  # fmt: skip


@dataclass(frozen=True)
class Statement:
    """lhs relation rhs, valid for every T; `relation` is '=', ':=' (definition) or '<='.

    `kind` (one of `KINDS`) says what is stated, so a test can check every kind numerically.
    """

    name: str
    lhs: Any
    rhs: Any
    reason: Reason
    relation: str = "="
    kind: str = ""
