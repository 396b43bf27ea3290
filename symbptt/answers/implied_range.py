"""The index range an answer without `for:` is judged over: the order its own text implies.

dC_t/dC_k (a sequence or the loss by a sequence quantity, two different index letters) is zero
for k > t, where \\prod_{i=k+1}^{t} is an empty product (1): judging there would call a right
answer wrong. So without `for:` the checker keeps to the left side's order (k <= t) and to
bounds that are not reversed (lo <= hi + 1 for every \\prod and \\sum whose bounds use only free
index letters, the empty range included); the reason names the range used.
"""

from __future__ import annotations

from fractions import Fraction

from symbptt.mathtext.ast import Add, Big, Deriv, Node, Num, Sym, Transpose, show, walk

__all__ = ["implied_range"]

Constraint = tuple[Node, str, Node]
ONE = Num(Fraction(1), "1")


def _letters(node: Node) -> set[str]:
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, Sym):
            out.add(n.name)
            for i in n.index:
                out |= _letters(i)
    return out


def _time_index(node: Node, names: dict) -> Node | None:
    """t in C_t, E_t: the first index of a sequence quantity or the loss, else None."""
    if isinstance(node, Sym) and node.index and names.get(node.name, ("",))[0] in ("seq", "loss"):
        return node.index[0]
    return None


def implied_range(
    parts: list[Node], names: dict, free: list[str], components: set[str]
) -> tuple[list[Constraint], str]:
    """(constraints, note) for an answer without `for:`: see the module doc; ([], "") if none."""
    time = set(free) - components
    out: list[Constraint] = []
    why: list[str] = []
    lhs = parts[0].a if isinstance(parts[0], Transpose) else parts[0]  # (dh_t/dh_k)^T
    if (
        isinstance(lhs, Deriv)
        and isinstance(lhs.den, Sym)
        and names.get(lhs.den.name, ("",))[0] == "seq"
    ):
        a, b = _time_index(lhs.num, names), _time_index(lhs.den, names)
        if a is not None and b is not None:
            la, lb = _letters(a) & time, _letters(b) & time
            if la and lb and la != lb and (_letters(a) | _letters(b)) <= time | {"T"}:
                out.append((b, "\\le", a))
                why.append(f"{show(b)} \\le {show(a)} (the order {show(lhs)} implies)")
    for part in parts:
        for node in walk(part):
            if not (isinstance(node, Big) and node.lo is not None and node.hi is not None):
                continue
            used = _letters(node.lo) | _letters(node.hi)
            if used & time and used <= time | {"T"}:
                c = (node.lo, "\\le", Add(node.hi, ONE))
                if c not in out:
                    out.append(c)
                    why.append(
                        f"{show(node.lo)} \\le {show(node.hi)} + 1 (the \\{node.op}'s range, "
                        "empty or not reversed)"
                    )
    if not out:
        return [], ""
    return out, "no for: range given, judged only where " + " and ".join(why)
