"""Naming the slip in a wrong step: undo one common mistake and see whether the step then fits.

Each candidate is the student's step with one edit (or, for numeric steps, two): drop or add a
transpose, shift an index (h_t for h_{t-1}), swap the index inside f' (s_t for s_k), restore a
missing f', read `Q - 1` as Q^{-1}, drop a power applied twice. Two more compare the step with a
changed truth: a local error term where the total is needed, and a dropped recursive term.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from symbptt.answers.tolerance import Tolerance
from symbptt.mathtext.ast import (
    Add,
    Apply,
    Big,
    Deriv,
    Mul,
    Neg,
    Node,
    Num,
    Pow,
    Sub,
    Sym,
    Transpose,
    rebuild,
    show,
    walk,
)

Edit = tuple[str, Node]
MAX_PAIRS = 300


def find_slip(ctx: Any, step: Node, tol: Tolerance) -> str | None:
    """A phrase naming the slip that explains the wrong step, or None if none fits."""
    if ctx.model is not None and ctx.model.is_gated:  # a gated cell's own slips first
        from symbptt.answers.gated_slips import gated_slip

        found = gated_slip(ctx, step, tol)
        if found:
            return found
    layout = _other_layout(ctx, step, tol)  # before the transposes: it explains them all
    if layout is not None:
        return layout
    singles = list(_candidates(ctx, step))
    for desc, variant in singles:
        if ctx.check(variant, tol, quick=True)[0] == "correct":
            return desc
    if (
        _uses_local_delta(ctx)
        and ctx.check(step, tol, quick=True, local_for_total=True)[0] == "correct"
    ):
        return "a local error term (the loss at step t only) where the total derivative is needed"
    order = _other_product_order(ctx, step, tol)
    if order is not None:
        return (
            f"the \\prod holds with its factors in {order} order of the index, left to right "
            f"(the default reading is increasing; declare product_order: {order} if meant)"
        )
    local_lhs = _total_to_local(ctx, ctx.lhs)
    if local_lhs is not None and ctx.check(step, tol, lhs=local_lhs, quick=True)[0] == "correct":
        return (
            "dropped recursive term: this is the direct (local) part only; the total derivative "
            "also carries the terms from later steps"
        )
    if not ctx.symbolic:
        tried = 0
        for d1, v1 in singles:
            for d2, v2 in _candidates(ctx, v1):
                tried += 1
                if tried > MAX_PAIRS:
                    return None
                if ctx.check(v2, tol)[0] == "correct":
                    return f"{d1}, and {d2}"
    return None


def _candidates(ctx: Any, step: Node) -> Iterator[Edit]:
    vars_ = set(ctx.free) | {n.var for n in walk(step) if isinstance(n, Big)}
    for edit in (_power_twice, _minus_one, _extra_transpose, _missing_transpose(vars_),
                 _index_shift, _fprime_index(vars_), _missing_fprime(ctx)):  # fmt: skip
        yield from _edits(step, edit)
    for v in ctx.free:
        yield from _wrap_fprime(ctx, step, v)


def _edits(node: Node, edit: Callable[[Node], Iterator[Edit]]) -> Iterator[Edit]:
    """Every way to apply `edit` at one place in the tree (indices are not entered)."""
    yield from edit(node)
    if isinstance(node, Sym):
        return
    kids = node.children()
    for i, child in enumerate(kids):
        for desc, new in _edits(child, edit):
            yield desc, _replace_child(node, i, new)


def _replace_child(node: Node, i: int, new: Node) -> Node:
    counter = itertools.count()
    return rebuild(node, lambda c: new if next(counter) == i else c)


def _power_twice(node: Node) -> Iterator[Edit]:
    if isinstance(node, Pow) and isinstance(node.exp, Num) and node.exp.value > 1:
        yield f"{show(node)} applies the power {node.exp.text} a second time", node.base


def _minus_one(node: Node) -> Iterator[Edit]:
    if isinstance(node, Sub) and isinstance(node.b, Num) and node.b.value == 1:
        a = node.a
        if isinstance(a, Mul):
            yield (f"'{show(a.b)} - 1' written for {show(a.b)}^{{-1}}",
                   Mul(a.a, Pow(a.b, Neg(Num(node.b.value, "1")))))  # fmt: skip
        else:
            yield (
                f"'{show(a)} - 1' written for {show(a)}^{{-1}}",
                Pow(a, Neg(Num(node.b.value, "1"))),
            )


def _extra_transpose(node: Node) -> Iterator[Edit]:
    if isinstance(node, Transpose):
        yield f"extra transpose on {show(node.a)}", node.a


def _missing_transpose(vars_: set[str]) -> Callable[[Node], Iterator[Edit]]:
    def edit(node: Node) -> Iterator[Edit]:
        if isinstance(node, Sym) and node.name not in vars_ and node.name != "T":
            yield f"missing transpose on {show(node)}", Transpose(node)

    return edit


def _index_shift(node: Node) -> Iterator[Edit]:
    if not isinstance(node, Sym) or not node.index:
        return
    for p, e in enumerate(node.index):
        for new in _shifts(e):
            idx = node.index[:p] + (new,) + node.index[p + 1 :]
            fixed = Sym(node.name, idx)
            yield f"{show(node)} written where {show(fixed)} is needed", fixed


def _shifts(e: Node) -> Iterator[Node]:
    one = Num(Fraction(1), "1")
    if isinstance(e, Sym) and not e.index:
        yield Sub(e, one)
        yield Add(e, one)
    elif isinstance(e, Sub | Add) and isinstance(e.b, Num) and isinstance(e.a, Sym):
        yield e.a


def _fprime_index(vars_: set[str]) -> Callable[[Node], Iterator[Edit]]:
    def edit(node: Node) -> Iterator[Edit]:
        if not isinstance(node, Apply) or node.name == "diag":
            return
        used = {
            n.name for a in node.args for n in walk(a) if isinstance(n, Sym) and n.name in vars_
        }
        for a in sorted(used):
            for b in sorted(vars_ - {a}):
                new = _rename(node, a, b)
                yield f"wrong index inside {show(node)}: it should be {show(new)}", new

    return edit


def _rename(node: Node, a: str, b: str) -> Node:
    if isinstance(node, Sym) and node.name == a and not node.index:
        return Sym(b)
    return rebuild(node, lambda c: _rename(c, a, b))


def _preact(ctx: Any) -> str | None:
    return ctx.model.notation.preactivation.ascii if ctx.model is not None else None


def _fprime(ctx: Any, v: str) -> Node:
    return Apply("diag", 0, (Apply("f", 1, (Sym(_preact(ctx) or "s", (Sym(v),)),)),))


def _missing_fprime(ctx: Any) -> Callable[[Node], Iterator[Edit]]:
    def edit(node: Node) -> Iterator[Edit]:
        if ctx.model is None or not isinstance(node, Big) or node.op != "sum":
            return
        fp = _fprime(ctx, node.var)
        yield (f"missing f' factor: diag(f'({_preact(ctx)}_{node.var})) in the sum",
               Big(node.op, node.var, node.lo, node.hi, Mul(fp, node.body)))  # fmt: skip

    return edit


def _wrap_fprime(ctx: Any, step: Node, v: str) -> Iterator[Edit]:
    if ctx.model is not None:
        yield f"missing f' factor: diag(f'({_preact(ctx)}_{v}))", Mul(_fprime(ctx, v), step)


def _uses_local_delta(ctx: Any) -> bool:
    for _, body in ctx.defs.where.values():
        for n in walk(body):
            if isinstance(n, Deriv) and isinstance(n.num, Sym) and n.num.index:
                return True
    return False


def _other_layout(ctx: Any, step: Node, tol: Tolerance) -> str | None:
    """'right in denominator layout ...' if the step holds in another layout (see `layout`)."""
    if not any(isinstance(n, Deriv) for n in walk(step)) and not any(
        isinstance(n, Deriv) for n in walk(ctx.lhs)
    ):
        return None
    from symbptt.answers.layout import DESCRIBE, LAYOUTS

    saved = ctx.layout
    try:
        for other in LAYOUTS:
            if other == saved:
                continue
            ctx.layout = other
            if ctx.check(step, tol)[0] == "correct":  # every point: quick ones may not tell
                read = DESCRIBE[saved].split(" (")[0]
                how = (
                    "as declared"
                    if ctx.layout_declared
                    else ("the default" if saved == "mixed" else "inferred from its shapes")
                )
                return (f"only the layout differs: this holds in {DESCRIBE[other]}, but the answer "
                        f"is read in {read} ({how}; declare layout: {other} if that is meant)")  # fmt: skip
        return None
    finally:
        ctx.layout = saved


def _other_product_order(ctx: Any, step: Node, tol: Tolerance) -> str | None:
    """The other \\prod order if the step holds in it (matrix products do not commute)."""
    if not any(isinstance(n, Big) and n.op == "prod" for n in walk(step)):
        return None
    saved = ctx.product_order
    other = "decreasing" if saved == "increasing" else "increasing"
    ctx.product_order = other
    try:
        return other if ctx.check(step, tol, quick=True)[0] == "correct" else None
    finally:
        ctx.product_order = saved


def _substitute(node: Node, values: dict[str, Node]) -> Node:
    if isinstance(node, Sym) and not node.index and node.name in values:
        return values[node.name]
    return rebuild(node, lambda c: _substitute(c, values))


def _total_to_local(ctx: Any, lhs: Node) -> Node | None:
    """d E / d X_v -> d E_v / d X_v: the truth without the recursive (later-step) terms.

    A `where:`-defined left-hand side such as \\delta_t := dE/da_t is resolved first."""
    if isinstance(lhs, Sym) and lhs.name in ctx.defs.where:
        vars_, body = ctx.defs.where[lhs.name]
        if len(vars_) != len(lhs.index):
            return None
        lhs = _substitute(body, dict(zip(vars_, lhs.index, strict=True)))
    if not isinstance(lhs, Deriv) or not isinstance(lhs.num, Sym) or lhs.num.index:
        return None
    den = lhs.den
    if not isinstance(den, Sym) or len(den.index) != 1:
        return None
    if ctx.model is None or not re.fullmatch(r"[A-Za-z\\]+", lhs.num.name):
        return None
    return Deriv(Sym(lhs.num.name, den.index), den)
