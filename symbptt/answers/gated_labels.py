"""Labelled error terms of gated cells: \\delta^C_t, \\delta^{f}_t, \\delta^{\\tilde{C}}_t.

LSTM texts name one error term per quantity with the quantity's letter as a superscript. The
parser reads a superscript as a power (or, after `notation.resolve`, a time index); here, for a
gated model, a superscript that is one of the cell's quantity names on a name that is not the
model's turns into part of the name: \\delta^C_t is the name '\\delta^C' with time index t, so
\\delta^C_t and \\delta^h_t can both be defined under `where:`. Only AST nodes are rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping

from symbptt.answers.truth import Definitions
from symbptt.mathtext.ast import Node, Pow, Sym, rebuild
from symbptt.mathtext.parse import ParseError, parse_latex

__all__ = ["labelled_where", "relabel"]


def relabel(node: Node, labels: set[str], model_names: Mapping[str, tuple]) -> Node:
    """node with every X^{label}_{idx} (X not a model name) read as the name 'X^label'."""
    if isinstance(node, Pow) and isinstance(node.base, Sym) and isinstance(node.exp, Sym):
        base, exp = node.base, node.exp
        if not exp.index and exp.name in labels and base.name not in model_names:
            idx = tuple(relabel(i, labels, model_names) for i in base.index)
            return Sym(f"{base.name}^{exp.name}", idx)
    return rebuild(node, lambda c: relabel(c, labels, model_names))


def labelled_where(
    where: Mapping[str, str], defs: Definitions, labels: set[str], model_names: Mapping[str, tuple]
) -> None:
    """Re-read `where:` keys such as '\\delta^C_t' as labelled names (in place on defs)."""
    for key, text in where.items():
        try:
            node = parse_latex(str(key))
        except ParseError:
            continue
        new = relabel(node, labels, model_names)
        if new == node or not isinstance(new, Sym):
            continue
        if not all(isinstance(i, Sym) and not i.index for i in new.index):
            raise ParseError(f"where key {key!r}: the index must be letters such as t")
        old = node.base.name if isinstance(node, Pow) and isinstance(node.base, Sym) else None
        if old in defs.where:
            del defs.where[old]  # read as \\delta with indices (C, t) before
        body = relabel(parse_latex(str(text)), labels, model_names)
        defs.where[new.name] = (tuple(i.name for i in new.index), body)  # type: ignore[union-attr]
