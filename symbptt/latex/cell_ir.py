"""LaTeX for a cell stated as data (symbptt.cells): its equations and its reverse step.

A printer only: it reads the IR (`cells.expr`), the cell and the reverse step's IR handed in,
and never computes. Every name comes from the cell (`Cell.latex`: quantities and parameters as
the text writes them) and the model's notation (time, input and loss letters; `printer`), never
from a fixed list. Quantities print at step t (i_t, \\tilde{C}_t), states at t-1 as s_{t-1},
parameters without a written name with braced subscripts (W_{i}, b_{hn}), ⊙ as \\odot.
Adjoints print as
\\delta^{q}_t; the adjoint of the argument of the function that defines q (its pre-activation)
as \\delta^{a_q}_t; a state's adjoint arriving from outside the step as \\hat{\\delta}^{s}_t.
"""

from __future__ import annotations

from collections.abc import Sequence

from symbptt.cells.cell import Cell
from symbptt.cells.expr import (
    Add,
    Adj,
    Apply,
    Deriv,
    Expr,
    Hadamard,
    Input,
    MatMul,
    Neg,
    OneMinus,
    Outer,
    ParamRef,
    Prev,
    Ref,
    Upstream,
)
from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.jacobian import Term
from symbptt.cells.reverse import StepAdjoints
from symbptt.model import Model

__all__ = ["CellPrinter", "printer"]


def _key_tex(key: str) -> str:
    base, _, sub = key.partition("_")
    return f"{base}_{{{sub}}}" if sub else base


class CellPrinter:
    """Prints one cell's IR in LaTeX, with the cell's display names (`Cell.latex`)."""

    def __init__(
        self, cell: Cell, t: str = "t", *, x: str = "x", loss: str = "L", step_loss: str = ""
    ) -> None:
        self.cell = cell
        self.t = t
        self.x = x
        self.loss = loss
        self.step_loss = step_loss or loss
        self.names = dict(cell.latex)

    def param(self, key: str) -> str:
        """A parameter's LaTeX: as the text writes it, else the key with a braced subscript."""
        return self.names.get(key) or _key_tex(key)

    def name(self, q: str) -> str:
        """A quantity's or state's base LaTeX name (Ctilde -> \\tilde{C})."""
        return self.names.get(q, q)

    def at(self, q: str, shift: str = "") -> str:
        """q at step t (shift '-1': t-1)."""
        return f"{self.name(q)}_{{{self.t}{shift}}}"

    def expr(self, e: Expr) -> str:
        """e in LaTeX."""
        if isinstance(e, ParamRef):
            return self.param(e.key)
        if isinstance(e, Input):
            return f"{self.x}_{{{self.t}}}"
        if isinstance(e, Prev):
            return self.at(e.state, "-1")
        if isinstance(e, Ref):
            return self.at(e.name)
        if isinstance(e, Upstream):
            return f"\\hat{{\\delta}}^{{{self.name(e.state)}}}_{{{self.t}}}"
        if isinstance(e, Adj):
            sup = f"a_{{{self.name(e.name)}}}" if e.pre else self.name(e.name)
            return f"\\delta^{{{sup}}}_{{{self.t}}}"
        if isinstance(e, MatMul):
            mat = self.param(e.matrix.key) + ("^{\\top}" if e.transpose else "")
            return f"{mat} {self._group(e.vector, Add, Hadamard)}"
        if isinstance(e, Hadamard):
            return f"{self._group(e.left, Add)} \\odot {self._group(e.right, Add)}"
        if isinstance(e, Add):
            out = self.expr(e.terms[0])
            for term in e.terms[1:]:
                if isinstance(term, Neg):
                    out += f" - {self._group(term.arg, Add)}"
                else:
                    out += f" + {self.expr(term)}"
            return out
        if isinstance(e, OneMinus):
            return f"\\left(1 - {self.expr(e.arg)}\\right)"
        if isinstance(e, Neg):
            return f"-{self._group(e.arg, Add)}"
        if isinstance(e, Apply):
            fn = FUNCTIONS[e.function]
            if e.function == "identity":
                return self.expr(e.arg)
            return f"{fn.latex}\\left({self.expr(e.arg)}\\right)"
        if isinstance(e, Deriv):
            return self._deriv(e)
        if isinstance(e, Outer):
            left = self._group(e.left, Add, Hadamard)
            return f"{left} {self._group(e.right, Add, Hadamard)}^{{\\top}}"
        raise TypeError(f"cannot print {type(e).__name__}")  # pragma: no cover

    def _group(self, e: Expr, *kinds: type) -> str:
        text = self.expr(e)
        return f"\\left({text}\\right)" if isinstance(e, kinds) else text

    def _deriv(self, e: Deriv) -> str:
        """f'(x), from the output where the table writes it so: q ⊙ (1 - q), 1 - tanh^2."""
        fn = FUNCTIONS[e.function]
        if fn.latex_d_out_of is None:
            return f"{fn.latex}'\\left({self.expr(e.arg)}\\right)"
        y = self._group(e.out, Add, Hadamard)
        square = f"{y}^{{2}}"
        if isinstance(e.out, Apply) and e.out.function != "identity":  # tanh(x)^2 as tanh^2(x)
            out_fn = FUNCTIONS[e.out.function]
            square = f"{out_fn.latex}^{{2}}\\left({self.expr(e.out.arg)}\\right)"
        text = fn.latex_d_out_of(y, square)
        return f"\\left({text}\\right)" if fn.d_out_difference else text

    def jacobian_parts(self, terms: Sequence[Term]) -> list[str]:
        """Each term (a signed product of diag(v) and parameter matrices) in LaTeX."""
        out = []
        for t in terms:
            parts: list[str] = []
            diag: list[Expr] = []
            for f in (*t.factors, None):
                if f is not None and f.key is None:
                    diag.append(f.expr)  # type: ignore[arg-type]
                    continue
                if diag:  # consecutive diagonal factors multiply entrywise: one diag
                    inner = " \\odot ".join(self._group(d, Add) for d in diag)
                    if len(diag) == 1:  # diag(1 - z), not diag((1 - z))
                        inner = _unwrap(inner)
                    parts.append(f"\\operatorname{{diag}}\\left({inner}\\right)")
                    diag = []
                if f is not None:
                    parts.append(self.param(f.key))  # type: ignore[arg-type]
            body = " ".join(parts) or "I"
            out.append(f"-{body}" if t.sign < 0 else body)
        return out

    def jacobian(self, terms: Sequence[Term]) -> str:
        """The sum of the terms (cells.jacobian) in LaTeX."""
        parts = self.jacobian_parts(terms)
        out = parts[0] if parts else "0"
        for part in parts[1:]:
            out += f" - {part[1:]}" if part.startswith("-") else f" + {part}"
        return out

    def equations(self) -> list[str]:
        """The cell's equations, one `lhs &= rhs` line each."""
        return [f"{self.at(eq.name)} &= {self.expr(eq.rhs)}" for eq in self.cell.equations]

    def reverse(self, rev: StepAdjoints) -> list[str]:
        """The reverse step: every adjoint, what passes to t-1, x_t's adjoint, parameter terms."""
        lines = [f"{self.expr(a)} &= {self.expr(e)}" for a, e in rev.adjoints]
        t, h = self.t, self.cell.readout
        for s, e in rev.prev:
            lhs = f"\\hat{{\\delta}}^{{{self.name(s)}}}_{{{t}-1}}"
            if s == h:
                loss = f"\\frac{{\\partial {self.step_loss}_{{{t}-1}}}}{{\\partial {self.at(s, '-1')}}} + "
            else:
                loss = ""
            lines.append(f"{lhs} &= {loss}{self.expr(e)}")
        if rev.input is not None:
            lines.append(f"\\delta^{{{self.x}}}_{{{t}}} &= {self.expr(rev.input)}")
        for k, e in rev.params:
            lines.append(
                f"\\frac{{\\partial {self.loss}}}{{\\partial {self.param(k)}}} "
                f"&= \\sum_{{{t}}} {self.expr(e)}"
            )
        return lines


def printer(model: Model) -> CellPrinter:
    """The printer of a model's cell in the model's own time, input and loss letters."""
    nt = model.notation
    return CellPrinter(
        model.cell_def,
        nt.time,
        x=nt.input.latex,
        loss=nt.loss.latex,
        step_loss=nt.step_loss.latex,
    )


def _unwrap(text: str) -> str:
    """`\\left(1 - z_t\\right)` -> `1 - z_t`: one group that spans all of text loses its
    parentheses (diag's own are enough); anything else is returned unchanged."""
    left, right = "\\left(", "\\right)"
    if not (text.startswith(left) and text.endswith(right)):
        return text
    depth, i = 0, 0
    while i < len(text):
        if text.startswith(left, i):
            depth, i = depth + 1, i + len(left)
        elif text.startswith(right, i):
            depth, i = depth - 1, i + len(right)
            if depth == 0 and i < len(text):
                return text  # the first group closes before the end: (a) (b)
        else:
            i += 1
    return text[len(left) : -len(right)]
