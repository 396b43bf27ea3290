"""Which meaning of d a gated answer was judged in, and both values where the meanings differ.

Between states of a multi-state cell, d has two readings: the step's partial (the other states'
reads held fixed; along several steps, the direct path, the product of those partials) and the
total derivative (every path). `GatedWorld.reading` picks one; this note says which, and, at the
first point where the other reading gives another value, shows both (the judge appends it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symbptt.answers.evaluate import Evaluator, ShapeError, Undefined, Unknown, to_float
from symbptt.answers.gated_world import GatedWorld, set_meaning
from symbptt.answers.instance import rounded
from symbptt.mathtext.ast import Deriv, show

__all__ = ["meaning_note"]

_WORDS = {
    "partial": "the cell's partial derivative (only step {t}'s copy of {den} moves, the step's "
    "other inputs held fixed, as LSTM texts mean it; derivative: total for every path)",
    "direct": "the direct path along {s} alone (the product of the step partials, the other "
    "states held fixed at every step: a \\prod of step Jacobians is read so; derivative: total "
    "for every path)",
    "total": "the total derivative (every path through the cell{opt})",
    "direct term": "the direct term (only {s}'s own equation's read of {den} moves, the gates held "
    "fixed, as derive prints it for a one-state cell; derivative: total for every path)",
}


def meaning_note(ctx: Any) -> str | None:
    """'d C_t/d C_{t-1} read as ...; the other reading gives ...' for a gated state-by-state
    left-hand side; None for everything else (losses, one-state cells, the vanilla model)."""
    model, lhs = ctx.model, ctx.lhs
    if model is None or not model.is_gated or not isinstance(lhs, Deriv):
        return None
    world = GatedWorld(model, ctx.defs, T=3, n=2, m=2, k=2, seed=0)
    set_meaning(world, ctx)
    ev = Evaluator(world)
    used, found = None, None
    for scope in ctx.assignments(world):
        try:
            what = world.quantity_at(lhs.num, ev, scope)
            key = world._slot(lhs.den, ev, scope)
        except (ShapeError, Unknown, Undefined):
            continue
        how = world.reading(what, key)
        other = _other(world, what, key, how)
        if other is None:
            continue
        saved = world.meaning, world.direct_products
        try:
            a = to_float(world.derivative(lhs.num, lhs.den, ev, scope))
            world.meaning = "total" if how != "total" else "partial"
            world.direct_products = other == "direct"
            b = to_float(world.derivative(lhs.num, lhs.den, ev, scope))
        except (ShapeError, Unknown, Undefined):
            continue
        finally:
            world.meaning, world.direct_products = saved
        used = used or _describe(how, lhs, key, len(world.cell.states) < 2)
        if not np.allclose(a, b, rtol=1e-5, atol=1e-7):
            at = ", ".join(f"{k} = {v}" for k, v in scope.items())
            msg = (f"{show(lhs)} read as {_describe(how, lhs, key, len(world.cell.states) < 2)}; read as {_name(other)} it "
                   f"differs: at T = 3, n = 2{', ' + at if at else ''}: {_name(how)} "
                   f"{rounded(a)}, {_name(other)} {rounded(b)}")  # fmt: skip
            if "direct" in (how, other):  # the long-range reading is the one to explain
                return msg
            found = found or msg
    if found:
        return found
    if used is None:
        return None
    return f"{show(lhs)} read as {used}; the other reading gives the same values here"


def _other(world: GatedWorld, what: tuple | None, key: tuple, how: str) -> str | None:
    """The other reading of d what / d key, or None where only one applies."""
    if how != "total":
        return "total"
    if what is None or what[0] == "loss":
        return None
    if key[0] == "param":
        return "partial"
    if key[0] not in world.cell.states:
        return None
    if len(world.cell.states) < 2:  # a one-state cell: the direct term, d h_t / d h_{t-1}
        return "direct term" if key == (what[0], what[1] - 1) else None
    if key[1] == what[1] - 1:
        return "partial"
    if key[1] < what[1] - 1 and what[0] == key[0]:
        return "direct"
    return None


def _name(how: str) -> str:
    return {"partial": "the partial", "direct": "the direct path", "total": "the total",
            "direct term": "the direct term"}[how]  # fmt: skip


def _describe(how: str, lhs: Deriv, key: tuple, one_state: bool = False) -> str:
    what = "the direct term" if one_state else "the step's partial"
    opt = f"; derivative: partial for {what}" if how == "total" else ""
    return _WORDS[how].format(t="t", den=show(lhs.den), s=key[0], opt=opt)
