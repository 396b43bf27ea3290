"""Exact equality of SymPy expressions as polynomials in their atoms, without `expand`.

Gradient expressions built on the named graph are sums and products of atoms (parameter and
state symbols, f'(net) and dL_t/dh_t as Derivative objects) nested deeply, with subtrees shared
in memory. Converting them to sparse polynomials with rational coefficients, one *shared* subexpression at a time,
turns the identity check into polynomial arithmetic: linear in the DAG, not in the tree.

Anything that is not a sum, a product or a non-negative integer power (a Derivative, exp, a
negative power) is a generator of the ring. Equal polynomials in such atoms are equal
expressions, so `same` is a proof; it may miss identities that need the atoms' meaning
(e.g. tanh^2 = 1 - sech^2), which the generic forms never use.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from fractions import Fraction

import sympy as sp

__all__ = ["Polys", "same", "sample", "to_polys"]


def _atoms(exprs: Iterable[sp.Expr]) -> list[sp.Expr]:
    seen: set[sp.Expr] = set()
    atoms: dict[sp.Expr, None] = {}
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if e.is_Add or e.is_Mul:
            stack.extend(e.args)
        elif e.is_Pow and e.exp.is_Integer and e.exp >= 0:
            stack.append(e.base)
        elif not e.is_Number:
            atoms[e] = None
    return sorted(atoms, key=sp.default_sort_key)


Poly = dict[
    tuple[int, ...], int | Fraction
]  # monomial (sorted generator indices, repeated) -> coeff


def _add(a: Poly, b: Poly) -> Poly:
    out = dict(a)
    for mono, c in b.items():
        v = out.get(mono, 0) + c
        if v:
            out[mono] = v
        else:
            out.pop(mono, None)
    return out


def _mul(a: Poly, b: Poly) -> Poly:
    if len(a) > len(b):
        a, b = b, a
    out: Poly = {}
    get = out.get
    for ma, ca in a.items():
        for mb, cb in b.items():
            mono = tuple(sorted(ma + mb)) if ma and mb else (ma or mb)
            out[mono] = get(mono, 0) + ca * cb
    return {m: c for m, c in out.items() if c}


class Polys:
    """Converts expressions to sparse polynomials in their atoms, memoised on shared subtrees.

    A monomial is the sorted tuple of its generators' indices (with repetition): products of
    gradient terms have few factors but the ring has many atoms, so this beats dense exponents.
    """

    def __init__(self, exprs: Iterable[sp.Expr]) -> None:
        atoms = _atoms(sp.sympify(e) for e in exprs)
        self.atoms = atoms
        self._memo: dict[sp.Expr, Poly] = {a: {(i,): 1} for i, a in enumerate(atoms)}

    def __call__(self, e: sp.Expr) -> Poly:
        """The polynomial of e (iterative, so deep expressions do not hit the recursion limit)."""
        memo = self._memo
        e = sp.sympify(e)
        stack = [(e, False)]
        while stack:
            node, ready = stack.pop()
            if node in memo:
                continue
            if node.is_Number:
                q = int(node.p) if node.q == 1 else Fraction(int(node.p), int(node.q))
                memo[node] = {(): q} if q else {}
                continue
            kids = [node.base] if node.is_Pow else list(node.args)
            if not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in kids if c not in memo)
                continue
            if node.is_Add:
                acc: Poly = {}
                for c in kids:
                    acc = _add(acc, memo[c])
            elif node.is_Mul:
                acc = {(): 1}
                for c in kids:
                    acc = _mul(acc, memo[c])
            else:  # a non-negative integer power
                acc = {(): 1}
                for _ in range(int(node.exp)):
                    acc = _mul(acc, memo[node.base])
            memo[node] = acc
        return memo[e]


def to_polys(exprs: Iterable[sp.Expr]) -> list[Poly]:
    """Every expression as a polynomial in one shared ring of their atoms."""
    exprs = [sp.sympify(e) for e in exprs]
    conv = Polys(exprs)
    return [conv(e) for e in exprs]


def same(a: sp.Matrix, b: sp.Matrix) -> list[int]:
    """Flat indices where a and b differ as polynomials in their atoms ([] proves a == b)."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    pa = to_polys([*a, *b])
    n = len(a)
    return [i for i in range(n) if pa[i] != pa[n + i]]


def sample(exprs: Iterable[sp.Expr], seed: int = 0) -> list[float]:
    """Each expression's value with every atom drawn uniformly from (-1, 1): a counterexample."""
    exprs = [sp.sympify(e) for e in exprs]
    conv = Polys(exprs)
    rng = random.Random(seed)
    vals = [rng.uniform(-1.0, 1.0) for _ in conv.atoms]
    out = []
    for e in exprs:
        total = 0.0
        for mono, c in conv(e).items():
            term = float(c)
            for g in mono:
                term *= vals[g]
            total += term
        out.append(total)
    return out
