"""Which letters of an answer are what: free index variables, the model's sizes (n, m, k), letters
a `for:` range names; whether the answer is symbolic (judged at random points) at all."""

from __future__ import annotations

import re

from symbptt.answers.gated_world import make_world
from symbptt.answers.notation import bound_vars
from symbptt.answers.truth import Definitions
from symbptt.mathtext.ast import Apply, Big, Chain, Deriv, Entries, Entry, Nabla, Node, Sym, walk
from symbptt.model import Model


def size_letters_of(parts: list[Node], defs: Definitions, model: Model | None,
                  constraints: list[tuple[Node, str, Node]]) -> set[str]:  # fmt: skip
    """The model's size letters (n, m, and k with an output layer, as derive's Sizes line prints
    them) that the answer uses as sizes: in a bound, a value or `for:`, never as the index of a
    name (k in h_k is a step) nor bound by a \\sum; k ranged by `for:` is an index as well.
    The judge reads them from the instance."""
    if model is None:
        return set()
    letters = {"n", "m"} | ({"k"} if getattr(model, "has_output_layer", False) else set())
    letters -= defs.names() | _model_names(model)
    ranged = [x for a, _, b in constraints for x in (a, b)]
    if "k" in {n.name for r in ranged for n in walk(r) if isinstance(n, Sym)}:
        letters.discard("k")  # `for: 1 \\le k \\le 3`: k is a step or a power, as usual
    roots = [*parts, *bodies(defs), *ranged]
    used = {n.name for r in roots for n in walk(r) if isinstance(n, Sym) and not n.index}
    return (letters & used) - _index_letters(roots) - {v for r in roots for v in bound_vars(r)}


def _index_letters(roots: list[Node]) -> set[str]:
    """Letters inside a name's subscript, an entry's components, \\nabla's step or
    \\lambda_i's index: index variables, not sizes."""
    out: set[str] = set()

    def letters(node: Node) -> None:
        out.update(n.name for n in walk(node) if isinstance(n, Sym) and not n.index)

    for root in roots:
        for node in walk(root):
            if isinstance(node, Sym):
                for i in node.index:
                    letters(i)
            elif isinstance(node, Entry):
                for c in node.comps:
                    letters(c)
            elif isinstance(node, Nabla) and node.time is not None:
                letters(node.time)
            elif isinstance(node, Apply) and node.name.endswith("_") and len(node.args) == 2:
                letters(node.args[1])
    return out


def range_vars(constraints: list[tuple[Node, str, Node]], defs: Definitions,
                parts: list[Node]) -> set[str]:  # fmt: skip
    """Lowercase letters the `for:` range names and the answer uses unbound: index variables
    even where no subscript has them (an exponent, as in \\|W^{k} x\\| for 1 <= k <= 3)."""
    used = {n.name for p in parts for n in walk(p) if isinstance(n, Sym) and not n.index}
    bound = {n.var for p in parts for n in walk(p) if isinstance(n, Big)}
    letters = {
        n.name
        for a, _, b in constraints
        for side in (a, b)
        for n in walk(side)
        if isinstance(n, Sym) and not n.index and re.fullmatch(r"[a-z]", n.name)
    }
    return (letters & used) - bound - defs.names()


def relations(node: Node, question: bool, count: int) -> list[str]:
    """The relation before each step ('=' unless the chain has \\le, \\ge, <, >)."""
    rels = list(node.rels) if isinstance(node, Chain) and node.rels else []
    rels = (["="] if question else []) + rels
    return rels + ["="] * (count - 1 - len(rels))


def model_layout(model: Model | None) -> str | None:
    """The `layout:` a derivation file declares, if any."""
    return getattr(model.notation, "layout", None) or None if model is not None else None


def free_vars(parts: list[Node], defs: Definitions, model: Model | None = None) -> set[str]:
    """Index variables (single lowercase letters in subscripts or bounds) that no \\sum binds.

    The subscript of a compound name of the model (the x of W_x, the y of b_y) is not one."""
    out: set[str] = set()
    compounds = _model_names(model)
    time = model.notation.time if model is not None else None  # \\tau in a file that says so

    def visit(node: Node, bound: frozenset[str], in_index: bool) -> None:
        if isinstance(node, Sym):
            if (
                len(node.index) == 1
                and isinstance(node.index[0], Sym)
                and f"{node.name}_{node.index[0].name}" in compounds | defs.names()
            ):
                return
            if (
                in_index
                and not node.index
                and (re.fullmatch(r"[a-z]", node.name) or node.name == time)
                and node.name not in bound
            ):
                out.add(node.name)
            for i in node.index:
                visit(i, bound, True)
            return
        if isinstance(node, Entry):
            visit(node.base, bound, in_index)
            for c in node.comps:
                visit(c, bound, True)
            return
        if isinstance(node, Entries):
            visit(node.body, bound | set(node.vars), in_index)
            return
        if isinstance(node, Nabla):
            visit(node.num, bound, in_index)
            visit(node.wrt, bound, in_index)
            if node.time is not None:
                visit(node.time, bound, True)
            return
        if isinstance(node, Big):
            visit(node.lo, bound, True)
            visit(node.hi, bound, True)
            visit(node.body, bound | {node.var}, in_index)
            return
        if isinstance(node, Apply) and node.name.endswith("_") and len(node.args) == 2:
            visit(node.args[0], bound, in_index)  # \\lambda_i(W), \\sigma_i(W): i is an index
            visit(node.args[1], bound, True)
            return
        for c in node.children():
            visit(c, bound, in_index)

    for p in parts:
        visit(p, frozenset(), False)
    return out - defs.names()


def _compound_name(node: Sym) -> str | None:
    """'W_hh' for W_{hh} read as one name (see `notation.resolve`), 'W_h' for W_h; else None."""
    if len(node.index) == 1 and isinstance(node.index[0], Sym) and not node.index[0].index:
        return f"{node.name}_{node.index[0].name}"
    return None


def bodies(defs: Definitions) -> list[Node]:
    """The parsed `given:` and `where:` bodies (random `given` shapes have none)."""
    return [b for _, b, _ in defs.given.values() if b is not None] + [
        b for _, b in defs.where.values()
    ]


def _model_names(model: Model | None) -> set[str]:
    return set(make_world(model, Definitions()).names) if model else set()


def is_symbolic(parts: list[Node], defs: Definitions, model: Model | None) -> bool:
    """True if the answer needs random points: indices, derivatives, the model's names, T."""
    if any(shape is not None for _, _, shape in defs.given.values()):
        return True
    if free_vars(parts, defs, model):
        return True
    model_names = _model_names(model)
    bodies = [b for _, b, _ in defs.given.values() if b is not None] + [
        b for _, b in defs.where.values()
    ]
    for root in parts + bodies:
        for node in walk(root):
            if isinstance(node, Deriv | Nabla):
                return True
            if isinstance(node, Sym) and node.name not in defs.names():
                if node.name in model_names or node.name == "T":
                    return True
                if _compound_name(node) in model_names - defs.names():  # W_{hh}, W_h
                    return True
    return False
