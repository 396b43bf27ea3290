"""One `symbolic.general.Statement` as a document `Step`, printed in the model's notation.

A printing helper: it reads the statement's data types (`symbolic.printable`) and never calls
the algebra; the builders (`symbptt.builders`) make the statements.

The output function is printed under the text's name (the blog's sigma, not `sigmoid`), an
identity output is no function at all (o_t = v_t), and the bound on |f'| is beta of the text's f.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symbptt.latex.notation import OUTPUT_TEX
from symbptt.latex.printer import latex
from symbptt.latex.steps import Step
from symbptt.model import Model, Name
from symbptt.symbolic.printable import Elementwise, Statement

#: `general.Statement.relation` ('=', ':=' definition, '<=' bound) as LaTeX.
RELATION = {"=": "=", ":=": ":=", "<=": r"\le"}


def as_in_text(model: Model, expr: Any) -> Any:
    """`expr` with the output function and beta_f renamed to the text's letters."""
    if not isinstance(expr, sp.Basic):
        return expr
    f = model.notation.activation.latex
    if f != "f":
        expr = expr.xreplace({
            sp.Symbol(r"\beta_{f}", positive=True): sp.Symbol(rf"\beta_{{{f}}}", positive=True)
        })  # fmt: skip

    def ours(e: Any) -> bool:
        return isinstance(e, Elementwise) and e.function == model.output

    tex = OUTPUT_TEX.get(model.output)
    if tex == "":  # the table prints this output as no function at all (identity: o_t = v_t)
        return expr.replace(lambda e: ours(e) and e.order == 0, lambda e: e.arg)
    if tex is None:
        return expr
    name = Name(model.output, tex)
    return expr.replace(ours, lambda e: Elementwise.of(name, e.arg, e.order))


def statement_step(model: Model, s: Statement) -> Step:
    """The statement as a step: lhs, relation, rhs and reason in the model's notation."""

    def tex(expr: Any) -> str:
        return latex(as_in_text(model, expr), model)

    return Step(
        tex(s.lhs), tex(s.rhs), s.reason.render(tex), RELATION[s.relation], kind=s.kind, source=s
    )
