"""The total Jacobian d s_t / d s_{t-1} of a cell as a sum of matrix products, derived from the IR.

Forward mode over the equations: a term is a signed product of factors, each diag(v) for an
elementwise step (⊙, f) or a parameter matrix (P v). For the LSTM's cell state,

    dc_t/dc_{t-1} = diag(f_t) + diag(c_{t-1} ⊙ f_t ⊙ (1 - f_t)) W_f D + diag(g_t ⊙ ...) W_i D + ...,
    D = diag(o_{t-1} ⊙ (1 - tanh^2 c_{t-1})),

where D is d h_{t-1} / d c_{t-1}: a state moved at t-1 also moves the states computed after it
in step t-1 (h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1}), o_{t-1} fixed). The first term is the direct
path (`carousel.partial`); the rest goes through the gates. `evaluate` gives the matrix at a
numeric point, so the derived formula is checked against central differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from symbptt.cells.cell import Cell, Equation
from symbptt.cells.expr import (
    Add,
    Apply,
    Deriv,
    Expr,
    Hadamard,
    MatMul,
    Neg,
    OneMinus,
    Prev,
    Ref,
    children,
)
from symbptt.cells.numeric import _Step

__all__ = ["Factor", "Term", "combine", "evaluate", "step_partial_terms", "total_jacobian_terms"]


@dataclass(frozen=True)
class Factor:
    """diag(expr) (expr a vector expression) or a parameter matrix (key)."""

    expr: Expr | None = None
    key: str | None = None


@dataclass(frozen=True)
class Term:
    """sign * (factor_1 factor_2 ...), an n x n matrix."""

    sign: int
    factors: tuple[Factor, ...]


def _shift(e: Expr) -> Expr:
    """e written one step earlier: a quantity q_t becomes q_{t-1} (Prev(q))."""
    if isinstance(e, Ref):
        return Prev(e.name)
    kids = children(e)
    if not kids:
        return e
    if isinstance(e, MatMul):
        return MatMul(e.matrix, _shift(e.vector), e.transpose)
    if isinstance(e, Hadamard):
        return Hadamard(_shift(e.left), _shift(e.right))
    if isinstance(e, Add):
        return Add(tuple(_shift(t) for t in e.terms))
    if isinstance(e, Apply):
        return Apply(e.function, _shift(e.arg))
    if isinstance(e, Deriv):
        return Deriv(e.function, _shift(e.arg), _shift(e.out))
    if isinstance(e, OneMinus):
        return OneMinus(_shift(e.arg))
    if isinstance(e, Neg):
        return Neg(_shift(e.arg))
    return e  # pragma: no cover


def _tangent(
    e: Expr, tan: Mapping[str, list[Term]], prev_tan: Mapping[str, list[Term]], out: Expr
) -> list[Term]:
    """The Jacobian of e w.r.t. the seed: tan[q] for quantities, prev_tan[s] for Prev(s)."""
    if isinstance(e, Ref):
        return list(tan.get(e.name, []))
    if isinstance(e, Prev):
        return list(prev_tan.get(e.state, []))
    if isinstance(e, MatMul):
        inner = _tangent(e.vector, tan, prev_tan, e.vector)
        return [Term(t.sign, (Factor(key=e.matrix.key), *t.factors)) for t in inner]
    if isinstance(e, Hadamard):
        left = _tangent(e.left, tan, prev_tan, e.left)
        right = _tangent(e.right, tan, prev_tan, e.right)
        return [Term(t.sign, (Factor(e.right), *t.factors)) for t in left] + [
            Term(t.sign, (Factor(e.left), *t.factors)) for t in right
        ]
    if isinstance(e, Add):
        return [t for term in e.terms for t in _tangent(term, tan, prev_tan, term)]
    if isinstance(e, OneMinus | Neg):
        return [Term(-t.sign, t.factors) for t in _tangent(e.arg, tan, prev_tan, e.arg)]
    if isinstance(e, Apply):
        inner = _tangent(e.arg, tan, prev_tan, e.arg)
        if e.function == "identity":
            return inner
        d = Factor(Deriv(e.function, e.arg, out))
        return [Term(t.sign, (d, *t.factors)) for t in inner]
    return []  # x_t and parameters do not move with a state


def _forward(
    equations: list[Equation], prev_tan: Mapping[str, list[Term]], *, earlier: bool
) -> dict[str, list[Term]]:
    """Tangents of the equations in order; `earlier`: they are step t-1's (quantities as Prev)."""
    tan: dict[str, list[Term]] = {}
    for eq in equations:
        name = Prev(eq.name) if earlier else Ref(eq.name)
        out = name if isinstance(eq.rhs, Apply) else eq.rhs
        tan[eq.name] = _tangent(eq.rhs, prev_tan if earlier else tan, prev_tan, out)
    return tan


def total_jacobian_terms(cell: Cell, state: str) -> list[Term]:
    """d state_t / d state_{t-1}, every path, as terms; the direct path's term comes first.

    state_{t-1} is the seed (the identity); the quantities computed after it in step t-1 (the
    other states, e.g. h_{t-1}) move with it, those before it are held fixed.
    """
    identity = [Term(1, ())]
    names = list(cell.quantities)
    after = names[names.index(state) + 1 :]
    # step t-1 after the state: its quantities read as Prev(q), the state the seed
    moved: dict[str, list[Term]] = {state: identity}
    for eq in cell.equations:
        if eq.name in after:
            shifted = Equation(eq.name, _shift(eq.rhs))
            moved[eq.name] = _forward([shifted], moved, earlier=True)[eq.name]
    prev_tan = {s: moved.get(s, []) for s in cell.states}
    tan = _forward(list(cell.equations), prev_tan, earlier=False)
    terms = combine(tan[state])
    direct = [t for t in terms if _is_direct(t)]
    return direct + [t for t in terms if not _is_direct(t)]


def step_partial_terms(cell: Cell, state: str) -> list[Term]:
    """The step partial d state_t / d state_{t-1} as terms: the other states at t-1 and x_t held
    fixed, every quantity of step t that reads state_{t-1} moving with it (`carousel.partial`)."""
    tan = _forward(list(cell.equations), {state: [Term(1, ())]}, earlier=False)
    terms = combine(tan[state])
    direct = sorted((t for t in terms if _is_direct(t)), key=lambda t: len(t.factors))
    return direct + [t for t in terms if not _is_direct(t)]


def combine(terms: list[Term]) -> list[Term]:
    """Terms that differ only in a leading diag factor, summed into one: diag(a) W - diag(b) W
    = diag(a - b) W (the GRU's (h_{t-1} - n_t) ⊙ z_t ⊙ (1 - z_t))."""
    groups: dict[tuple[Factor, ...], list[Term]] = {}
    order: list[tuple[Factor, ...]] = []
    out: list[Term | tuple[Factor, ...]] = []
    for t in terms:
        if t.factors and t.factors[0].key is None and len(t.factors) > 1:
            rest = t.factors[1:]
            if rest not in groups:
                groups[rest] = []
                order.append(rest)
                out.append(rest)
            groups[rest].append(t)
        else:
            out.append(t)
    result = []
    for item in out:
        if isinstance(item, Term):
            result.append(item)
            continue
        group = groups[item]
        if len(group) == 1:
            result.append(group[0])
            continue
        parts = tuple(
            g.factors[0].expr if g.sign > 0 else Neg(g.factors[0].expr)  # type: ignore[arg-type]
            for g in group
        )
        result.append(Term(1, (Factor(Add(parts)), *item)))
    return result


def _is_direct(t: Term) -> bool:
    return all(f.key is None for f in t.factors)


def evaluate(
    cell: Cell,
    terms: list[Term],
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    values_t: Mapping[str, np.ndarray],
    values_prev: Mapping[str, np.ndarray],
) -> np.ndarray:
    """The sum of the terms at a point: values_t the quantities at t, values_prev at t-1 (1-D)."""
    step = _Step(params, x[None, :], {q: v[None, :] for q, v in values_prev.items()})
    step.q = {q: v[None, :] for q, v in values_t.items()}
    n = next(iter(values_t.values())).size
    total = np.zeros((n, n))
    for t in terms:
        M = np.eye(n)
        for f in t.factors:
            if f.key is not None:
                M = M @ np.asarray(params[f.key])
            else:
                v = np.asarray(step.ev(f.expr))  # (1, n), or (n,) for a vector parameter
                M = M * (v[0] if v.ndim == 2 else v)[None, :]  # M @ diag(v): scale columns
        total += t.sign * M
    return total
