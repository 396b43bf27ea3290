"""SymPy to LaTeX in one text's notation: `sympy.latex` plus the few rules its settings lack.

`sympy.latex` has no setting for `^\\top` transposes, `\\odot` Hadamard products,
`\\operatorname{diag}`, bold *vectors* (its `mat_symbol_style` bolds matrices too) or the
`\\frac{\\partial E}{\\partial W}` form of a derivative, so `NotationPrinter` overrides exactly those
printers and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from symbptt.model import Model, Name

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class PrintSettings:
    """How one notation prints: bold or plain vectors, and symbol name -> LaTeX overrides."""

    bold_vectors: bool = False
    names: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    #: Time indices as superscripts, h^{(t-1)} (a notation's time_index: superscript).
    time_superscript: bool = False
    #: tanh'(net_t) printed as 1 - (h_t)^2 (a notation's activation_derivative: output).
    derivative_from_output: bool = False
    #: dL/dh_t printed as nabla_{h_t} L (a notation's gradient_style: nabla).
    nabla: bool = False


def settings_for(model: Model) -> PrintSettings:
    """The print settings of a model's notation: its vector style and its parameter letters."""
    nt = model.notation
    names = {n.ascii: n.latex for n in nt.parameters.values()}
    if nt.steps != "T":  # the number of steps as the text writes it (\tau)
        names["T"] = nt.steps
    return PrintSettings(
        bold_vectors=nt.bold_vectors,
        names=MappingProxyType(names),
        time_superscript=nt.time_superscript,
        derivative_from_output=nt.derivative_from_output,
        nabla=nt.nabla,
    )


def bold(tex: str) -> str:
    """Bold a vector's letter with `bm` (loaded by our documents, supported by KaTeX)."""
    return r"\bm{" + tex + "}"


def vector(
    name: Name | str,
    index: str | None = None,
    *,
    bold_vectors: bool = False,
    superscript: bool = False,
) -> str:
    """A vector such as h_{t-1} or \\bm{h}_{t-1}; `index` is the time subscript (superscript:
    h^{(t-1)}; an entry index i or j after the time stays below, y^{(t)}_{j})."""
    tex = name.latex if isinstance(name, Name) else name
    base = bold(tex) if bold_vectors else tex
    if index is None:
        return base
    if superscript:
        return time_index(base, index)
    if "_" in tex:  # W_{h} with a time index: keep both, W_{h,t}
        head, _, sub = tex.partition("_")
        sub = sub[1:-1] if sub.startswith("{") and sub.endswith("}") else sub
        base = bold(head) if bold_vectors else head
        return f"{base}_{{{sub},{index}}}"
    return f"{base}_{{{index}}}"


def time_index(base: str, index: str) -> str:
    """base^{(index)}: time as a superscript; trailing entry indices i, j stay as a subscript."""
    parts = index.split(",")
    entries = []
    while len(parts) > 1 and parts[-1].strip() in ("i", "j"):
        entries.insert(0, parts.pop().strip())
    head = f"{{{base}}}" if "^" in base else base
    out = f"{head}^{{({','.join(parts)})}}"
    return out + (f"_{{{','.join(entries)}}}" if entries else "")


def transposed(tex: str) -> str:
    """tex^\\top, or \\left(h^{(t)}\\right)^\\top when tex has a superscript already."""
    return rf"\left({tex}\right)^\top" if "^" in tex else tex + r"^\top"


def _one_group(tex: str) -> bool:
    """True when tex is one \\left( ... \\right) group from its first to its last character."""
    if not (tex.startswith(r"\left(") and tex.endswith(r"\right)")):
        return False
    depth = 0
    for m in re.finditer(r"\\left\(|\\right\)", tex):
        depth += 1 if m.group().startswith(r"\left") else -1
        if depth == 0 and m.end() != len(tex):
            return False
    return True


def _is_time_vector(expr: Any) -> bool:
    """A time-indexed column vector of `symbolic.general` (h_{t-1}, delta_{t,k}), not a parameter."""
    from symbptt.symbolic.general import Param, Seq

    if not isinstance(expr, Seq) or isinstance(expr, Param):
        return False
    rows, cols = expr.shape
    return cols == 1 and rows != 1


class NotationPrinter(LatexPrinter):
    """`sympy.latex` with ^\\top, \\odot, \\operatorname{diag}, bold vectors and partial fractions."""

    printmethod = "_latex"

    def __init__(self, settings: PrintSettings | None = None, **sympy_settings: Any) -> None:
        self.notation = settings or PrintSettings()
        sympy_settings.setdefault("mat_delim", "(")
        super().__init__(sympy_settings)

    def _print(self, expr: Any, **kwargs: Any) -> str:  # noqa: D102
        if self.notation.bold_vectors and _is_time_vector(expr):
            sub = ", ".join(self._print(i) for i in expr.indices) or None
            return vector(
                expr.args[1].name,
                sub,
                bold_vectors=True,
                superscript=self.notation.time_superscript,
            )
        return super()._print(expr, **kwargs)

    # names ------------------------------------------------------------------------------
    def _name(self, name: str) -> str | None:
        if name in self.notation.names:
            return self.notation.names[name]
        if "\\" in name or "{" in name:  # already LaTeX, e.g. h_{t-1} or \delta_{t,k}
            return name
        return None

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:  # noqa: D102
        given = self._name(expr.name)
        return given if given is not None else super()._print_Symbol(expr, style=style)

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:  # noqa: D102
        given = self._name(expr.name)
        tex = given if given is not None else self._deal_with_super_sub(expr.name)
        if self.notation.bold_vectors and expr.shape[1] == 1 and expr.shape[0] != 1:
            head, sep, tail = tex.partition("_")
            return bold(head) + sep + tail
        return tex

    # sums: the texts write yhat_t - y_t and t - k, positive terms first ---------------------
    def _as_ordered_terms(self, expr: Any, order: str | None = None) -> list[Any]:
        terms = super()._as_ordered_terms(expr, order=order)
        negative = [t.could_extract_minus_sign() for t in terms]
        return [t for t, neg in zip(terms, negative, strict=True) if not neg] + [
            t for t, neg in zip(terms, negative, strict=True) if neg
        ]

    def _print_MatAdd(self, expr: Any) -> str:  # noqa: D102
        terms = [self._print(t) for t in expr.args]
        terms = [t for t in terms if not t.startswith("-")] + [
            t for t in terms if t.startswith("-")
        ]
        out = terms[0]
        for t in terms[1:]:
            out += " - " + t[1:].lstrip() if t.startswith("-") else " + " + t
        return out

    # a double sum as the texts write it: outer limit first, no stacked \substack ----------
    def _print_Sum(self, expr: sp.Sum) -> str:  # noqa: D102
        if len(expr.limits) == 1:
            return super()._print_Sum(expr)
        out = ""
        for var, lo, hi in reversed(expr.limits):  # SymPy stores the innermost limit first
            out += rf"\sum_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}} "
        return out + self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)

    # operators --------------------------------------------------------------------------
    def _print_Transpose(self, expr: sp.Transpose) -> str:  # noqa: D102
        inner = self._print(expr.arg)
        if not isinstance(expr.arg, sp.MatrixSymbol) or "^" in inner:
            inner = self.parenthesize(expr.arg, PRECEDENCE["Pow"], strict=True)
            if ("^" in inner or inner.startswith(r"\frac")) and not inner.startswith(r"\left("):
                inner = r"\left(" + inner + r"\right)"
        return inner + r"^\top"

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:  # noqa: D102
        prec = PRECEDENCE["Mul"]
        return r" \odot ".join(self.parenthesize(a, prec, strict=True) for a in expr.args)

    def _print_DiagMatrix(self, expr: Any) -> str:  # noqa: D102
        inner = self._print(expr.args[0])
        if _one_group(inner):  # diag(1 - h^2), not diag((1 - h^2))
            inner = inner[len(r"\left(") : -len(r"\right)")]
        return r"\operatorname{diag}\left(" + inner + r"\right)"

    def _print_Derivative(self, expr: sp.Derivative) -> str:  # noqa: D102
        (var, count), *rest = expr.variable_count
        if rest or count != 1:
            return super()._print_Derivative(expr)
        top = self._print(expr.expr)
        if not isinstance(expr.expr, sp.Symbol | sp.MatrixSymbol | sp.Indexed):
            return r"\frac{\partial}{\partial " + self._print(var) + "} " + top
        return r"\frac{\partial " + top + r"}{\partial " + self._print(var) + "}"


def latex(expr: Any, settings: PrintSettings | Model | None = None, **sympy_settings: Any) -> str:
    """LaTeX for a SymPy object in a notation (a `Model` or explicit `PrintSettings`)."""
    if isinstance(settings, Model):
        settings = settings_for(settings)
    return NotationPrinter(settings, **sympy_settings).doprint(expr)
