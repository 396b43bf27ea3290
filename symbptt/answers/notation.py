"""Model-aware reading of superscript time indices and component indices, after parsing.

The parser cannot know which letters carry a time index, so `h^{t-1}` leaves it as a power. Here,
knowing the model and the answer's definitions: a superscript on a quantity declared with a time
index (the model's sequences x, h, s, ..., the losses L/E, a `where:`/`given:` name with index
variables) is its time index, unless the superscript is a number (`s_t^2` stays a square) or T /
\\top (a transpose). `h^{t-1}_i` is then h_{t-1,i}: time first, then components. Indices beyond a
name's time indices are components, 1-based (`W_{j,i}`, `W_{ji}` for a parameter). Nothing
here evaluates text: it only rewrites AST nodes built by `parse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from symbptt.answers.evaluate import EXTENT
from symbptt.mathtext.ast import (
    Apply,
    Big,
    Entries,
    Entry,
    Mul,
    Neg,
    Node,
    Num,
    Pow,
    Sym,
    rebuild,
    walk,
)


def arities(world_names: Mapping[str, tuple], defs: object) -> dict[str, int]:
    """Name -> number of time indices: 1 for sequences and losses, 0 for parameters, the number
    of index variables for `given:`/`where:` names (which take precedence)."""
    out: dict[str, int] = {}
    for name, kind in world_names.items():
        out[name] = 0 if kind[0] == "param" else 1
    for table in (defs.given, defs.where):  # type: ignore[attr-defined]
        for name, entry in table.items():
            out[name] = len(entry[0])
    return out


def resolve(node: Node, arity: Mapping[str, int]) -> Node:
    """The node with time superscripts turned into indices and `W_{ji}` split into two indices;
    a compound name the model prints (`W_{hh}`, `W_{xh}`) stays one name."""
    if isinstance(node, Big) and node.implicit and node.var in component_vars([node.body], arity):
        # \\sum_j over an entry index: j runs over the entries of the quantity it indexes
        body = resolve(node.body, arity)
        return Big(node.op, node.var, Num(Fraction(1), "1"), Sym(EXTENT), body, True)
    if isinstance(node, Pow):
        base, exp = resolve(node.base, arity), resolve(node.exp, arity)
        if isinstance(base, Sym) and arity.get(base.name, 0) >= 1 and not _numeric(exp):
            return Sym(base.name, (exp,) + base.index)
        if base == Sym("e") and "e" not in arity:  # e^{-2}: Euler's number, where no e is named
            return Apply("exp", 0, (exp,))
        return Pow(base, exp)
    if isinstance(node, Sym):
        compound = _compound(node, arity)
        if compound is not None:
            return compound
        if arity.get(node.name, -1) == 0 and len(node.index) == 1:
            pair = _two_letters(node.index[0])
            if pair is not None:
                return Sym(node.name, pair)
        return Sym(node.name, tuple(resolve(i, arity) for i in node.index))
    return rebuild(node, lambda c: resolve(c, arity))


def component_vars(parts: list[Node], arity: Mapping[str, int]) -> set[str]:
    """Index letters used as components (beyond a name's time indices, or in [A]_{ji})."""
    out: set[str] = set()
    for root in parts:
        for node in walk(root):
            comps: tuple[Node, ...] = ()
            if isinstance(node, Sym) and node.name in arity:
                comps = node.index[arity[node.name] :]
            elif isinstance(node, Entry):
                comps = node.comps
            for c in comps:
                out |= {n.name for n in walk(c) if isinstance(n, Sym) and not n.index}
    return out


def bound_vars(node: Node) -> set[str]:
    """Letters bound inside node by \\sum/\\prod or by an entries form."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, Big):
            out.add(n.var)
        elif isinstance(n, Entries):
            out.update(n.vars)
    return out


def _compound(node: Sym, arity: Mapping[str, int]) -> Sym | None:
    """W_{hh} -> Sym('W', (Sym('hh'),)) when W_hh is a name of the model or the answer (the
    evaluator then reads it as one name, like W_h); None otherwise."""
    if len(node.index) != 1:
        return None
    idx = node.index[0]
    letters = letter_run(idx)
    if letters is None or len(letters) < 2:
        return None
    joined = "".join(letters)
    if f"{node.name}_{joined}" in arity and arity.get(f"{node.name}_{joined}") == 0:
        return Sym(node.name, (Sym(joined),))
    return None


def letter_run(node: Node) -> list[str] | None:
    """`hh`, `xh` (a product of bare one-letter names) -> ['h', 'h']; None for anything else."""
    if isinstance(node, Mul):
        a, b = letter_run(node.a), letter_run(node.b)
        return a + b if a is not None and b is not None else None
    if isinstance(node, Sym) and not node.index and len(node.name) == 1:
        return [node.name]
    return None


def _numeric(node: Node) -> bool:
    if isinstance(node, Neg):
        node = node.a
    return isinstance(node, Num)


def _two_letters(node: Node) -> tuple[Node, Node] | None:
    if isinstance(node, Mul) and all(
        isinstance(x, Sym) and not x.index and len(x.name) == 1 for x in (node.a, node.b)
    ):
        return (node.a, node.b)
    return None
