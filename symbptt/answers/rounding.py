"""A computed step with rounded decimals (Q diag(0.0424, 0.4^{30}) Q^{-1}): is it the truth?

Each decimal the student computed stands for a true value that it rounds (to nearest) or
truncates (toward zero) to the digits written: 0.0424 for any x in [0.04235, 0.0425). The
step is right when the truth is a value the step takes with each decimal somewhere in its own
interval, and nothing else absorbs an error:

1. Range: the truth lies, entry by entry, between the least and greatest values the step takes
   at the corners of the box of intervals (exact for steps monotone in each decimal, as sums,
   products and quotients of positive intervals are; past 8 decimals, 4 in a symbolic answer,
   the signed first-order range, exact for a step affine in its decimals). A sum of magnitudes is never used, so a wrong sign is never reached.
2. Exact parts: when the step is affine in its decimals (checked exactly), the difference
   between the truth and the step as written must be a combination of the decimals' own
   directions, exactly: Q diag(0.0424, 0.4^{29}) Q^{-1} for W^{30} leaves 0.4^{30} - 0.4^{29}
   in a direction no decimal moves, so it is wrong however small. When the directions are
   independent the combination is unique, and each decimal's value in it must lie in that
   decimal's own interval (Q diag(0.0424, 1.163e-12) Q^{-1} is wrong: 0.4^{30} = 1.1529e-12).
3. Exact terms, like bases: the terms of the step without a rounded decimal that are powers
   of some numbers (sums and products multiplied out) must add up exactly to a part of the left
   side's terms in powers of the same numbers: for 0.9^{30} + 0.4^{30}, 0.0424 + 0.4^{29} is
   wrong (0.4^{29} is no term in 0.4 of it), and 0.9^{10^{12}} = 0.9^{30} - 0.0424 is wrong.
   Exact terms in numbers the left side has no power of are free (1.9^{2} = 1 + 2 * 0.9 + 0.81
   is a fair expansion), and so is everything in a left side that is a name (W^{30}).
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers.bignum import LogNumber
from symbptt.answers.limits import LimitExceeded
from symbptt.answers.tolerance import (
    EXACT_FLOOR,
    EXACT_RELATIVE,
    FLOAT_FLOOR,
    FLOAT_RELATIVE,
    Tolerance,
    _as2d,
    _fmt,
    perturbed,
    rounded_literals,
)
from symbptt.mathtext.ast import Add, Div, Mul, Neg, Node, Num, Pow, Sub

MAX_CORNERS = 8  # decimals whose 2^k corners are all evaluated (numeric answers: one point)
MAX_CORNERS_FLOAT = 4  # the same at each of a symbolic answer's random points
MAX_LHS_TERMS = 12  # terms of a left-hand sum searched for the step's exact terms


#: The open end of truncation (0.24 stands for values below 0.25, not 0.25) is taken this far
#: inside, in units of the last digit, so that the range's corners stay within the interval.
OPEN_END = Fraction(1, 10**6)


def interval(num: Num) -> tuple[Fraction, Fraction]:
    """The values a written decimal may stand for: rounded to nearest (a tie either way, both
    ends closed) or truncated toward 0 (the far end open)."""
    v, u = num.value, num.ulp
    if u is None:
        return v, v
    return (v - u / 2, v + u * (1 - OPEN_END)) if v > 0 else (v - u * (1 - OPEN_END), v + u / 2)


def rounded_compare(
    step: Node, lhs: Node, tol: Tolerance, evaluate: Any, got: Any, want: Any
) -> tuple[bool, str]:
    """(True, '') if the step with its rounded decimals can be the truth, else (False, why)."""
    g, w = _as2d(got), _as2d(want)
    if g.shape != w.shape:
        return False, f"shape {g.shape[0]}x{g.shape[1]}, expected {w.shape[0]}x{w.shape[1]}"
    found = rounded_literals(step, tol.value[1])
    exact = g.dtype == object and w.dtype == object
    if not exact:
        g, w = g.astype(float), w.astype(float)
        if not (np.isfinite(g).all() and np.isfinite(w).all()):
            return False, "not finite (overflow)"
    ok, why = _in_range(step, found, evaluate, g, w, tol, exact)
    if not ok:
        return False, why
    if exact:
        why = "" if _has_huge(g, w) else _exact_parts(step, found, evaluate, g, w)
        why = why or _exact_terms(step, lhs, tol, evaluate)
        if why:
            return False, why
    return True, ""


def _in_range(step, found, evaluate, g, w, tol, exact) -> tuple[bool, str]:  # noqa: ANN001
    values = [g]
    k = len(found)
    if k <= (MAX_CORNERS if exact else MAX_CORNERS_FLOAT):
        for corner in itertools.product((0, 1), repeat=k):
            node = step
            for (pos, num), end in zip(found, corner, strict=True):
                target = interval(num)[end]
                node = perturbed(node, pos, target - num.value)
            v = _try(evaluate, node, g.shape, exact)
            if v is not None:
                values.append(v)
        lo = _reduce(values, min)
        hi = _reduce(values, max)
    else:  # many decimals: exact as a sum of each decimal's own range if the step is affine
        lo, hi = _affine_range(step, found, evaluate, g, exact)
    noise: Any = 0
    if not exact:
        base = tol.value[2]
        rel, floor = (
            (FLOAT_RELATIVE, FLOAT_FLOOR) if base == "fd" else (EXACT_RELATIVE, EXACT_FLOOR)
        )
        noise = rel * float(np.max(np.abs(w))) + floor
    for idx, x in np.ndenumerate(w):
        if not (lo[idx] - noise <= x <= hi[idx] + noise):
            return False, (
                f"value {_fmt(g)}, expected {_fmt(w)}: with each rounded decimal anywhere in its "
                f"rounding the step stays in [{_fmt(_one(lo[idx]))}, {_fmt(_one(hi[idx]))}] "
                f"at entry {idx[0] + 1},{idx[1] + 1}, which misses {_fmt(_one(x))}"
            )
    return True, ""


def _affine_range(step, found, evaluate, g, exact) -> tuple[Any, Any]:  # noqa: ANN001
    """The range of a step affine in its decimals: g plus each decimal's signed change at its
    two ends, added up. A step that is not affine (a product of decimals) is not judged."""
    lo, hi = g.copy(), g.copy()
    ends = []
    for pos, num in found:
        a, b = interval(num)
        va = _try(evaluate, perturbed(step, pos, a - num.value), g.shape, exact)
        vb = _try(evaluate, perturbed(step, pos, b - num.value), g.shape, exact)
        if va is None or vb is None:
            raise LimitExceeded("a rounded decimal's interval leaves the step's domain")
        da, db = va - g, vb - g
        sa, sb = (
            (a - num.value, b - num.value)
            if exact
            else (float(a - num.value), float(b - num.value))
        )
        if not _close(da * sb, db * sa, exact):
            raise _not_affine(len(found))
        lo, hi = (
            lo + _pick(_pick(da, db, min), 0 * g, min),
            hi + _pick(_pick(da, db, max), 0 * g, max),
        )
        ends.append((pos, b - num.value, db))
    for (pi, ei, di), (pj, ej, dj) in itertools.combinations(ends, 2):
        both = _try(evaluate, perturbed(perturbed(step, pi, ei), pj, ej), g.shape, exact)
        if both is None or not _close(both - g, di + dj, exact):
            raise _not_affine(len(found))
    return lo, hi


def _not_affine(k: int) -> LimitExceeded:
    return LimitExceeded(
        f"{k} rounded decimals in a step that is not linear in them (corners are tried up to "
        f"{MAX_CORNERS}, {MAX_CORNERS_FLOAT} in a symbolic answer); give a tolerance"
    )


def _close(a: np.ndarray, b: np.ndarray, exact: bool) -> bool:
    if exact:
        return _equal(a, b)
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
    return bool(np.all(np.abs(a - b) <= 1e-9 * scale))


def _exact_parts(step, found, evaluate, g, w) -> str:  # noqa: ANN001
    """'' if truth - step is a combination of the decimals' directions (or not affine)."""
    dirs = []
    for pos, num in found:
        up = _try(evaluate, perturbed(step, pos, num.ulp), g.shape, True)
        down = _try(evaluate, perturbed(step, pos, -num.ulp), g.shape, True)
        if up is None or down is None or _has_huge(up, down):
            return ""
        d = up - g
        if not _equal(g - down, d):
            return ""  # not affine in this decimal: the range decides alone
        dirs.append(d)
    if len(found) <= 6:
        for (i, (pi, ni)), (j, (pj, nj)) in itertools.combinations(enumerate(found), 2):
            both = _try(evaluate, perturbed(perturbed(step, pi, ni.ulp), pj, nj.ulp), g.shape, True)
            if both is None or not _equal(both - g, dirs[i] + dirs[j]):
                return ""
    else:
        return ""
    diff = w - g
    solved = _solve([d.flatten() for d in dirs], diff.flatten())
    if solved is None:
        return (
            f"value {_fmt(g)}, expected {_fmt(w)}: the difference is not in the direction of any "
            "rounded decimal, so an exact part of the step is wrong (a rounding absorbs only its "
            "own decimal's error)"
        )
    if solved is _MANY:
        return ""  # the decimals' directions are dependent: the range decides
    for (_, num), steps in zip(found, solved, strict=True):
        lo, hi = interval(num)
        value = num.value + steps * num.ulp
        if not lo <= value <= hi:
            return (
                f"value {_fmt(g)}, expected {_fmt(w)}: the truth needs {_fmt(_one(value))} where "
                f"{num.text} is written, which does not round or truncate to it"
            )
    return ""


def _exact_terms(step: Node, lhs: Node, tol: Tolerance, evaluate: Any) -> str:
    """'' unless the step's exact terms with a power of some numbers (0.4^{29}) differ from the
    left side's terms with powers of the same numbers (0.4^{30}): like bases are compared
    exactly. Exact terms of other bases (the 1 of an expansion 1 + 2 * 0.9 + 0.81) are free."""
    lhs_terms = _terms(lhs)
    if len(lhs_terms) > MAX_LHS_TERMS:
        return ""
    data = tol.value[1]
    exact_terms = []
    has_rounded = False
    for sign, term in _terms(step):
        if _rounded_inside(term, data):
            has_rounded = True
        else:
            exact_terms.append((sign, term))
    if not exact_terms or not has_rounded:
        return ""
    for key in {_bases(t) for _, t in exact_terms} - {frozenset()}:
        mine = [(s, t) for s, t in exact_terms if _bases(t) == key]
        theirs = [(s, t) for s, t in lhs_terms if _bases(t) == key]
        if not theirs:
            continue  # no power of these numbers on the left: part of an expansion
        try:
            total = sum((s * _as2d(evaluate(t)) for s, t in mine), start=Fraction(0))
            parts = [s * _as2d(evaluate(t)) for s, t in theirs]
        except Exception:  # noqa: BLE001 - a term alone may not evaluate (a shape): no claim
            continue
        if not any(
            _equal(_as2d(sum(pick, start=Fraction(0))), _as2d(total))
            for r in range(len(parts) + 1)
            for pick in itertools.combinations(parts, r)
        ):
            shown = ", ".join(sorted(f"{float(b):g}" for b in key))
            return (
                f"the step's exact terms in powers of {shown} are not the left-hand side's "
                "terms in powers of the same numbers: a rounded decimal absorbs only its own "
                "rounding, not a wrong exact term"
            )
    return ""


def _bases(term: Node) -> frozenset[Fraction]:
    """The numbers raised to a power in a term (0.4 in 2 \\cdot 0.4^{29}), not inside exponents."""
    out: set[Fraction] = set()

    def go(n: Node) -> None:
        if isinstance(n, Pow):
            if isinstance(n.base, Num):
                out.add(abs(n.base.value))
            go(n.base)
            return
        for c in n.children():
            go(c)

    go(term)
    return frozenset(out)


def _rounded_inside(term: Node, data: frozenset) -> bool:
    return bool(rounded_literals(term, data))


def _terms(node: Node, sign: int = 1) -> list[tuple[int, Node]]:
    """The summands of a sum with their signs, products and quotients multiplied out:
    a - (b + c) -> +a, -b, -c; \\frac{1}{2}(a + b) -> +(1/2)a, +(1/2)b."""
    if isinstance(node, Add):
        return _terms(node.a, sign) + _terms(node.b, sign)
    if isinstance(node, Sub):
        return _terms(node.a, sign) + _terms(node.b, -sign)
    if isinstance(node, Neg):
        return _terms(node.a, -sign)
    if isinstance(node, Mul):
        left, right = _terms(node.a), _terms(node.b)
        if 1 < len(left) * len(right) <= 2 * MAX_LHS_TERMS:
            return [(sign * s * r, Mul(a, b)) for s, a in left for r, b in right]
    if isinstance(node, Div):
        top = _terms(node.a)
        if 1 < len(top) <= 2 * MAX_LHS_TERMS:
            return [(sign * s, Div(a, node.b)) for s, a in top]
    return [(sign, node)]


_MANY = object()  # a solution exists but is not unique


def _solve(vectors: list[np.ndarray], target: np.ndarray) -> Any:
    """Exactly (Fractions): the coefficients x with sum x_j vectors_j = target; None if there
    are none, _MANY if there are many."""
    t = [Fraction(x) for x in target]
    if not vectors:
        return [] if all(x == 0 for x in t) else None
    m = [[Fraction(x) for x in col] + [tx] for col, tx in zip(zip(*vectors, strict=True), t,
                                                              strict=True)]  # fmt: skip
    ncols = len(vectors)
    pivots: list[int] = []
    r = 0
    for c in range(ncols):
        piv = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        m[r] = [x / m[r][c] for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r], strict=True)]
        pivots.append(c)
        r += 1
    if any(row[-1] != 0 for row in m[r:]):
        return None
    if r < ncols:
        return _MANY
    return [m[i][-1] for i in range(ncols)]


def _try(evaluate: Any, node: Node, shape: tuple, exact: bool) -> Any:
    try:
        v = _as2d(evaluate(node))
    except Exception:  # noqa: BLE001 - a corner outside the domain (1/(0.1 - 0.1)): skipped
        return None
    if v.shape != shape:
        return None
    return v if exact else v.astype(float)


def _reduce(values: list[np.ndarray], fn: Any) -> np.ndarray:
    out = values[0].copy()
    for v in values[1:]:
        out = _pick(out, v, fn)
    return out


def _pick(a: np.ndarray, b: np.ndarray, fn: Any) -> np.ndarray:
    out = a.copy()
    for idx, x in np.ndenumerate(b):
        out[idx] = fn(out[idx], x)
    return out


def _equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and all(x == y for x, y in zip(a.flat, b.flat, strict=True))


def _has_huge(*arrays: Any) -> bool:
    return any(isinstance(x, LogNumber) for a in arrays for x in np.asarray(a, dtype=object).flat)


def _one(x: Any) -> np.ndarray:
    return np.array([[x]], dtype=object if isinstance(x, Fraction | int | LogNumber) else float)
