"""A path sum's last factor dh_k/dP is the immediate partial, as derive prints and defines it.

`derive` prints dE_3/db_h as a sum over paths, each ending in dh_k/db_h: the derivative by the
copy of b_h used at step k only (the immediate partial), since the other copies are reached by
the other paths. The same text read with the total derivative counts paths twice. So inside a
sum over paths (two or more product terms, or a \\sum over a product) a factor dh_k/dP of a
chain product (another factor differentiates by a state or pre-activation) is read as
\\nabla_{P,k} h_k; a single product keeps the total derivative (dE_3/dh_3 dh_3/db_h is the
chain rule through h_3 alone). Nothing here evaluates text: it rewrites AST nodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from symbptt.answers.evaluate import compound_key
from symbptt.mathtext.ast import (
    Add,
    Big,
    Deriv,
    Mul,
    Nabla,
    Neg,
    Node,
    Sub,
    Sym,
    rebuild,
    show,
    walk,
)
from symbptt.model import Model


def immediate_paths(node: Node, names: Mapping[str, tuple]) -> tuple[Node, list[str]]:
    """The node with each path sum's dh_k/dP made \\nabla_{P,k} h_k; notes naming what was read."""
    notes: list[str] = []

    def fix(n: Node) -> Node:
        if _over_copies(n, names):
            return _rewrite(n, names, notes)
        return rebuild(n, fix)

    out = fix(node)
    if not notes:
        return out, []
    shown = ", ".join(dict.fromkeys(notes))
    return out, [
        f"{shown} in the sum over paths read as the immediate partial (only the copy of the "
        "parameter used at that step), as derive's path sums define it"
    ]


def _over_copies(n: Node, names: Mapping[str, tuple]) -> bool:
    """A sum over the copies of a parameter: chains from one start (the same loss) that end in
    dh_k/dP at different steps k. \\sum_t dL_t/dh_t dh_t/dP starts at L_t, which moves with t:
    that is the chain rule per loss, with the total derivative."""
    if isinstance(n, Big) and n.op == "sum":
        end, start = _chain_end(n.body, names), _start(n.body)
        if end is None or start is None:
            return False
        step = end.num.index[0]  # type: ignore[attr-defined]
        return n.var in _letters(step) and n.var not in _letters(start)
    terms = _terms(n)
    chains = [t for t in terms if _chain_end(t, names) is not None]
    if len(terms) < 2 or len(chains) < 2:
        return False
    starts = {_start(t) for t in chains}
    ends = {_chain_end(t, names) for t in chains}
    return len(starts) == 1 and len(ends) >= 2


def _start(n: Node) -> Node | None:
    """The numerator of a product's first derivative factor (E_3 in dE_3/dy_3 ...)."""
    if isinstance(n, Neg):
        n = n.a
    first = next((f for f in _factors(n) if isinstance(f, Deriv)), None)
    return first.num if first is not None else None


def _letters(n: Node) -> set[str]:
    return {x.name for x in walk(n) if isinstance(x, Sym) and not x.index}


def _rewrite(n: Node, names: Mapping[str, tuple], notes: list[str]) -> Node:
    """Every chain product in n with its dh_k/dP factor made the step-k copy's derivative."""
    if isinstance(n, Mul) and _is_chain(n, names):
        factors = _factors(n)
        out: list[Node] = []
        for f in factors:
            if _is_state_by_param(f, names):
                notes.append(f"\\partial {show(f.num)}/\\partial {show(f.den)}")  # type: ignore[attr-defined]
                f = Nabla(f.num, f.den, f.num.index[0])  # type: ignore[attr-defined]
            out.append(f)
        acc = out[0]
        for f in out[1:]:
            acc = Mul(acc, f)
        return acc
    return rebuild(n, lambda c: _rewrite(c, names, notes))


def _terms(n: Node) -> list[Node]:
    if isinstance(n, Add | Sub):
        return _terms(n.a) + _terms(n.b)
    if isinstance(n, Neg):
        return _terms(n.a)
    return [n]


def _factors(n: Node) -> list[Node]:
    return _factors(n.a) + _factors(n.b) if isinstance(n, Mul) else [n]


def _is_chain(n: Node, names: Mapping[str, tuple]) -> bool:
    """A product with a dh_k/dP factor and another derivative by a sequence (h, a, s, ...)."""
    if isinstance(n, Neg):
        return _is_chain(n.a, names)
    if not isinstance(n, Mul):
        return False
    factors = _factors(n)
    ends = [f for f in factors if _is_state_by_param(f, names)]
    links = [f for f in factors if isinstance(f, Deriv) and _kind(f.den, names)[:1] == ("seq",)]
    return len(ends) == 1 and bool(links)


def _chain_end(n: Node, names: Mapping[str, tuple]) -> Node | None:
    if isinstance(n, Neg):
        return _chain_end(n.a, names)
    if isinstance(n, Mul) and _is_chain(n, names):
        return next(f for f in _factors(n) if _is_state_by_param(f, names))
    return None


def _is_state_by_param(f: Node, names: Mapping[str, tuple]) -> bool:
    return (
        isinstance(f, Deriv)
        and isinstance(f.num, Sym)
        and len(f.num.index) == 1
        and _kind(f.num, names) == ("seq", "h")
        and _kind(f.den, names)[:1] == ("param",)
    )


def _kind(n: Node, names: Mapping[str, tuple]) -> tuple:
    """The model's kind of a name node (('seq', 'h'), ('param', role), ...); () otherwise."""
    if not isinstance(n, Sym):
        return ()
    if len(n.index) == 1:
        key = compound_key(n.index[0])
        if key is not None and f"{n.name}_{key}" in names:
            return tuple(names[f"{n.name}_{key}"])
    return tuple(names.get(n.name, ()))


def step_gradients(node: Node, model: Model) -> tuple[Node, list[str]]:
    """\\nabla_{P,t} E as the model defines it: with dl4nlp's per-step error terms derive prints
    it as dE_t/dP (the step-t loss; P is used at every step k <= t), elsewhere it stays the
    step-t copy's term of dE/dP. Notes for the reason."""
    if model.delta != "per_step":
        return node, []
    loss, step = model.notation.loss.latex, model.notation.step_loss.latex
    notes: list[str] = []

    def fix(n: Node) -> Node:
        if (
            isinstance(n, Nabla)
            and n.time is not None
            and isinstance(n.num, Sym)
            and n.num.name == loss
            and not n.num.index
        ):
            notes.append(
                f"\\nabla_{{{show(n.wrt)},t}} {loss} read as this model defines it: "
                f"\\partial {step}_t/\\partial {show(n.wrt)} (the step-t loss; the parameter is "
                "used at every step k \\le t)"
            )
            return Deriv(Sym(step, (n.time,)), n.wrt)
        return rebuild(n, fix)

    out = fix(node)
    return out, list(dict.fromkeys(notes))
