"""Named slips for gated cells: undo one mistake typical of LSTM/GRU answers and re-check.

Each candidate is the student's step with one repair; the slip is named when the repaired step
holds. The repairs are read from the cell's statement (which quantities are gates, which
function each equation applies, which state tanh reads), not from a hand-typed LSTM:
tanh' missing on C_t, sigma' of the gate's value instead of its pre-activation (also written
out: sigma(f_t)(1 - sigma(f_t)), 1 - tanh^2(C~_t)), or of another
gate's pre-activation (W_i for W_f), sigma(1 - sigma)
applied to a pre-activation, z and 1 - z swapped, a gate's own derivative missing, an extra factor
at the end of a \\prod (or inside its body, where it repeats); with an output head, the error
term's sign (y_t - yhat_t for yhat_t - y_t) and the factor V^T missing. One more compares with
a changed truth: the recursive term through h dropped (h's reads at the next step frozen). Index slips (C_t for C_{t-1}, f_t for f_{t+1}) are
the general `slips` module's. f' written from a function's output (sigma's v (1 - v), tanh's
1 - v^2) is the function table's `latex_d_out`, parsed; relu, the identity and a generic f have
none, so no repair writes one for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from functools import cache
from typing import Any

from symbptt.answers.tolerance import Tolerance
from symbptt.cells.cell import Cell
from symbptt.cells.expr import Apply as CellApply
from symbptt.cells.expr import Ref, walk
from symbptt.cells.functions import FUNCTIONS
from symbptt.mathtext.ast import (
    Add,
    Apply,
    Big,
    Hop,
    Mul,
    Node,
    Num,
    Pow,
    Sub,
    Sym,
    Transpose,
    rebuild,
    show,
)
from symbptt.mathtext.parse import parse_latex

__all__ = ["gated_slip"]

Edit = tuple[str, Node]
ONE = Num(Fraction(1), "1")
_Y = Sym("y")  # the output y = f(a) in the table's f' forms


def gated_slip(ctx: Any, step: Node, tol: Tolerance) -> str | None:
    """A phrase naming the gated-cell slip that explains the wrong step, or None."""
    cell: Cell = ctx.model.cell_def
    for desc, variant in _candidates(ctx, cell, step):
        if ctx.check(variant, tol, quick=True)[0] == "correct":
            return desc
    if "h" in cell.states and len(cell.states) > 1:
        ctx.freeze = ("h",)
        try:
            if ctx.check(step, tol, quick=True)[0] == "correct":
                return (
                    "the recursive term through h dropped: h_t also feeds step t+1's gates and "
                    "candidate, a path this answer leaves out (it holds with h's reads frozen)"
                )
        finally:
            ctx.freeze = ()
    return None


def _gates(cell: Cell) -> dict[str, str]:
    """Quantity -> the function its equation applies on the outside (sigmoid, tanh)."""
    return {e.name: e.rhs.function for e in cell.equations if isinstance(e.rhs, CellApply)}


def _inner(cell: Cell) -> list[tuple[str, str]]:
    """(function, quantity) for every function the equations apply to a quantity: (tanh, C)."""
    out = []
    for e in cell.equations:
        for node in walk(e.rhs):
            if isinstance(node, CellApply) and isinstance(node.arg, Ref):
                out.append((node.function, node.arg.name))
    return out


def _names(ctx: Any) -> dict[str, str]:
    """Every spelling of a quantity -> its key (Ctilde, \\tilde{C} -> Ctilde)."""
    from symbptt.answers.gated_world import GatedWorld
    from symbptt.answers.truth import Definitions

    world = GatedWorld(ctx.model, Definitions())
    return {k: v[1] for k, v in world.names.items() if v[0] == "seq"}


@cache
def _table(fn: str) -> tuple[str | None, Node | None]:
    """fn as an answer applies it (\\sigma, tanh, relu, f; None for the identity, which has no
    name of its own) and f' written from the output y, both parsed from the function table's
    LaTeX (`latex`, `latex_d_out`; None where the table writes f' of the input only)."""
    entry = FUNCTIONS[fn]  # the table's own LaTeX is parsed, never a student's
    applied = parse_latex(f"{entry.latex}(x)")
    name = applied.name if isinstance(applied, Apply) else None
    d_out = entry.latex_d_out
    return name, parse_latex(d_out(_Y.name)) if d_out is not None else None


def _deriv_of(fn: str, value: Node) -> Node | None:
    """f'(a) written from f's value v = f(a) as the table writes it: sigma -> v \\odot (1 - v),
    tanh -> 1 - v^2; None for a function whose f' the table writes of the input only."""
    form = _table(fn)[1]
    return None if form is None else _replace(form, _Y, value)


def _fname(fn: str) -> str:
    """fn as an answer writes it (\\sigma, tanh, relu, f)."""
    return _table(fn)[0] or FUNCTIONS[fn].latex


def _written(fn: str, y: str) -> str:
    """f' from the output y as a phrase writes it: sigma(1 - sigma), 1 - tanh^2 (y = f)."""

    def plain(n: Node) -> str:
        if isinstance(n, Sub):
            return f"{plain(n.a)} - {plain(n.b)}"
        if isinstance(n, Pow):
            return f"{plain(n.base)}^{plain(n.exp)}"
        if isinstance(n, Hop | Mul):
            return "".join(f"({plain(c)})" if isinstance(c, Sub) else plain(c) for c in (n.a, n.b))
        return n.name if isinstance(n, Sym) else n.text if isinstance(n, Num) else show(n)

    return plain(_deriv_of(fn, Sym(y)))  # type: ignore[arg-type]


def _function_of(name: str) -> str | None:
    """The table's function an answer's function name means (\\sigma, sigmoid -> sigmoid)."""
    return next((fn for fn in FUNCTIONS if name in (fn, _table(fn)[0])), None)


def _match(pattern: Node, node: Node, bound: dict[str, Node]) -> bool:
    """True when node is pattern with y bound to one subexpression (in bound['y']); a product
    matches written with or without \\odot."""
    if pattern == _Y:
        return bound.setdefault("y", node) == node
    if isinstance(pattern, Hop) and isinstance(node, Mul | Hop):
        return _match(pattern.a, node.a, bound) and _match(pattern.b, node.b, bound)
    if type(pattern) is not type(node) or isinstance(pattern, Sym | Num):
        return pattern == node
    pc, nc = pattern.children(), node.children()
    return len(pc) == len(nc) and all(_match(p, n, bound) for p, n in zip(pc, nc, strict=True))


def _candidates(ctx: Any, cell: Cell, step: Node) -> Iterator[Edit]:
    if ctx.model.has_output_layer:
        yield from _head_slips(step)
    names, gates, inner = _names(ctx), _gates(cell), _inner(cell)
    syms = [n for n in _nodes(step) if isinstance(n, Sym) and n.name in names and n.index]
    for fn, q in inner:  # tanh' missing on C_t
        if _table(fn)[0] is None:
            continue  # the identity: nothing to miss
        for s in {x for x in syms}:
            arg = Sym(q, s.index[:1])
            if names.get(s.name) == q:
                continue
            fixed = Hop("\\odot", s, Apply(_fname(fn), 1, (arg,)))
            yield (f"{fn}' missing on {show(arg)} ({show(s)} needs the factor "
                   f"{_fname(fn)}'({show(arg)}))", _replace(step, s, fixed))  # fmt: skip
    functions = sorted({*gates.values(), *(fn for fn, _ in inner)})
    for node in _nodes(step):
        yield from _wrong_argument(node, step, names, gates)
        yield from _function_of_value(node, step, names, gates)
        yield from _other_gate(node, step, cell)
        yield from _preactivation(node, step, functions)
        yield from _extra_factor(node, step)
    for q, fn in gates.items():  # z and 1 - z swapped
        if fn == "sigmoid" and any(names.get(s.name) == q for s in syms):
            swapped = _swap(step, q, names)
            if swapped != step:
                yield f"{q}_t and 1 - {q}_t swapped", swapped
    for q, fn in gates.items():  # a gate's own derivative missing
        for var in _time_vars(ctx, step):
            g = _deriv_of(fn, Sym(q, (Sym(var),)))
            if g is None:
                break  # f' of the input only (relu, a generic f): not writable from q's value
            for target in _vector_spots(step):
                yield (f"the gate's own derivative missing: {_fname(fn)}' of {q}'s "
                       f"pre-activation, {show(g)}", _replace(step, target, Hop("\\odot", target, g)))  # fmt: skip


def _head_slips(step: Node) -> Iterator[Edit]:
    """Slips through the output head z_t = V h_t + c: y_t - yhat_t written for yhat_t - y_t
    (any difference of two quantities swapped), and the factor V^T left out."""
    subs = [n for n in _nodes(step) if isinstance(n, Sub)]
    for node in subs:
        if not isinstance(node.a, Num) and not isinstance(node.b, Num):
            fixed = Sub(node.b, node.a)
            yield (f"the sign of the error term: {show(node)} written where {show(fixed)} is "
                   "needed", _replace(step, node, fixed))  # fmt: skip
    V = Sym("V")
    if V in _nodes(step):
        return  # V written: its transpose is the general `slips` module's
    for spot in list(dict.fromkeys(subs + [step])):
        yield (
            "the factor V^T missing: the loss reaches h_t through z_t = V h_t + c, so "
            "dE_t/dh_t = V^T dE_t/dz_t",
            _replace(step, spot, Mul(Transpose(V), spot)),
        )


def _wrong_argument(node: Node, step: Node, names: dict, gates: dict) -> Iterator[Edit]:
    """sigma'(f_t): the derivative applied to the gate's value instead of its pre-activation."""
    if isinstance(node, Apply) and node.deriv == 1 and len(node.args) == 1:
        arg = node.args[0]
        fn = _function_of(node.name)
        fixed = _deriv_of(fn, arg) if fn is not None else None
        if fixed is not None and isinstance(arg, Sym) and gates.get(names.get(arg.name, "")) == fn:
            yield (f"{show(node)}: the derivative applied to the gate's value {show(arg)}, not to "
                   f"its pre-activation ({_fname(fn)}'(a) = {show(fixed)} with {show(arg)} = "
                   f"{_fname(fn)}(a))", _replace(step, node, fixed))  # fmt: skip


def _function_of_value(node: Node, step: Node, names: dict, gates: dict) -> Iterator[Edit]:
    """sigma(f_t)(1 - sigma(f_t)): sigma' written out but applied to the gate's value f_t (which
    is sigma(a) already); the repair reads every sigma(f_t) as f_t."""
    if not (isinstance(node, Apply) and node.deriv == 0 and len(node.args) == 1):
        return
    arg = node.args[0]
    fn = _function_of(node.name)
    if fn is None or not isinstance(arg, Sym) or gates.get(names.get(arg.name, "")) != fn:
        return
    form = _deriv_of(fn, node)  # f' written out of f(f_t): sigma(f_t)(1 - sigma(f_t))
    if form is None:
        return
    fixed = _replace(step, node, arg)  # and f_t (1 - f_t) of two columns as f_t \\odot (1 - f_t)
    fixed = _replace(fixed, Mul(arg, Sub(ONE, arg)), Hop("\\odot", arg, Sub(ONE, arg)))
    written = {n for n in _nodes(form) if isinstance(n, Sub)} & set(_nodes(step))
    what = _written(fn, _fname(fn)) if written else _fname(fn)
    yield (f"{what} applied to the gate's value {show(arg)}, not to its pre-activation "
           f"({show(arg)} = {_fname(fn)}(a) already: {_fname(fn)}'(a) = {show(_deriv_of(fn, arg))})",  # type: ignore[arg-type]
           fixed)  # fmt: skip


def _other_gate(node: Node, step: Node, cell: Cell) -> Iterator[Edit]:
    """sigma'(W_i h + U_i x + b_i) where f's pre-activation (W_f, U_f, b_f) is needed."""
    if not (isinstance(node, Apply) and node.deriv == 1 and len(node.args) == 1):
        return
    keys = set(cell.param_keys)
    used = {n.index[0].name for n in _nodes(node.args[0]) if _param_key(n, keys)}  # type: ignore[union-attr]
    if len(used) != 1:
        return
    (gate,) = used
    suffixes = {k.split("_", 1)[1] for k in keys if "_" in k} - {gate}
    for other in sorted(suffixes):
        arg = _resuffix(node.args[0], gate, other, keys)
        if arg != node.args[0]:
            fixed = Apply(node.name, 1, (arg,))
            yield (f"{show(node)}: the derivative of the wrong gate's pre-activation ({gate} "
                   f"written where {other} is needed)", _replace(step, node, fixed))  # fmt: skip


def _param_key(node: Node, keys: set[str]) -> bool:
    """True for W_f, b_{hn}: a Sym whose name and one-symbol subscript form a parameter key."""
    return (isinstance(node, Sym) and len(node.index) == 1 and isinstance(node.index[0], Sym)
            and f"{node.name}_{node.index[0].name}" in keys)  # fmt: skip


def _resuffix(node: Node, old: str, new: str, keys: set[str]) -> Node:
    """Every parameter X_old -> X_new where X_new is a parameter too."""
    if _param_key(node, keys) and node.index[0].name == old:  # type: ignore[union-attr]
        if f"{node.name}_{new}" in keys:  # type: ignore[union-attr]
            return Sym(node.name, (Sym(new),))  # type: ignore[union-attr]
        return node
    if isinstance(node, Sym):
        return node
    return rebuild(node, lambda c: _resuffix(c, old, new, keys))


def _preactivation(node: Node, step: Node, functions: list[str]) -> Iterator[Edit]:
    """a (1 - a) with a a pre-activation: sigma(1 - sigma) applied to a instead of sigma(a); so
    for every function of the cell the table writes f' of the output of (1 - a^2 for tanh)."""
    for fn in functions:
        form, bound = _table(fn)[1], {}
        if form is None or not _match(form, node, bound) or isinstance(bound["y"], Sym):
            continue
        a, f = bound["y"], _fname(fn)
        fixed = Apply(f, 1, (a,))
        yield (f"{_written(fn, f)} applied to the pre-activation {show(a)} itself: "
               f"{f}'(a) = {_written(fn, f + '(a)')}", _replace(step, node, fixed))  # fmt: skip


def _extra_factor(node: Node, step: Node) -> Iterator[Edit]:
    """\\prod_{i=k}^{t} for \\prod_{i=k+1}^{t}, or a factor written after the product."""
    if isinstance(node, Big) and node.op == "prod":
        lo = Big(node.op, node.var, Add(node.lo, ONE), node.hi, node.body, node.implicit)
        yield (
            f"an extra factor at the end of the product: it runs from {show(lo.lo)}",
            _replace(step, node, lo),
        )
        hi = Big(node.op, node.var, node.lo, Sub(node.hi, ONE), node.body, node.implicit)
        yield (
            f"an extra factor at the end of the product: it runs to {show(hi.hi)}",
            _replace(step, node, hi),
        )
    if isinstance(node, Big) and node.op == "prod" and isinstance(node.body, Mul | Hop):
        for keep, extra in ((node.body.a, node.body.b), (node.body.b, node.body.a)):
            if not _mentions(extra, node.var):  # \\prod_i A_i B_k: B_k is not the product's
                inside = Big(node.op, node.var, node.lo, node.hi, keep, node.implicit)
                yield (f"an extra factor {show(extra)} at the end of the product (the product's "
                       f"body runs to the next + or -, so it is repeated at every {node.var})",
                       _replace(step, node, inside))  # fmt: skip
    if isinstance(node, Mul | Hop):
        for keep, extra in ((node.a, node.b), (node.b, node.a)):
            if isinstance(keep, Big) and keep.op == "prod":
                yield (f"an extra factor {show(extra)} at the end of the product",
                       _replace(step, node, keep))  # fmt: skip


def _mentions(node: Node, var: str) -> bool:
    """True when the letter var appears anywhere in node, indices included."""
    if isinstance(node, Sym):
        return node.name == var or any(_mentions(i, var) for i in node.index)
    return any(_mentions(c, var) for c in node.children())


def _swap(node: Node, q: str, names: dict) -> Node:
    """Every q_e -> 1 - q_e and every 1 - q_e -> q_e."""
    if isinstance(node, Sub) and node.a == ONE and isinstance(node.b, Sym):
        if names.get(node.b.name) == q:
            return node.b
    if isinstance(node, Sym):
        return Sub(ONE, node) if names.get(node.name) == q and node.index else node
    return rebuild(node, lambda c: _swap(c, q, names))


def _time_vars(ctx: Any, step: Node) -> list[str]:
    bound = [n.var for n in _nodes(step) if isinstance(n, Big)]
    return list(dict.fromkeys(bound + [v for v in ctx.free if v not in ctx.components]))


def _vector_spots(step: Node) -> list[Node]:
    """Where an elementwise factor may go: outermost \\odot products, \\sum bodies, the step."""
    spots: list[Node] = []

    def visit(node: Node, in_hop: bool) -> None:
        if isinstance(node, Hop) and not in_hop:
            spots.append(node)
        if isinstance(node, Big):
            spots.append(node.body)
        if isinstance(node, Sym):
            return
        for c in node.children():
            visit(c, in_hop or isinstance(node, Hop))

    visit(step, False)
    return list(dict.fromkeys(spots + [step]))


def _nodes(node: Node) -> Iterator[Node]:
    """Every node outside indices (a subscript is not an expression to repair)."""
    yield node
    if isinstance(node, Sym):
        return
    for c in node.children():
        yield from _nodes(c)


def _replace(node: Node, old: Node, new: Node) -> Node:
    """node with every occurrence of old replaced by new (indices untouched)."""
    if node == old:
        return new
    if isinstance(node, Sym):
        return node
    return rebuild(node, lambda c: _replace(c, old, new))
