"""The exact route of matrix powers (sympy): diagonalize, or the Jordan form, never an invalid Q.

Also the limits every route checks its power against (`_check_power`) and the exact route's
size limits (`MAX_EXACT_POWER`, `MAX_EXACT_DIGITS`): exact entries grow with n.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from symbptt.eigen_result import PowerResult, Step, _diagonalized, _not_diagonalized
from symbptt.errors import InputError

__all__ = ["MAX_EXACT_DIGITS", "MAX_EXACT_POWER"]

#: Exact powers grow without bound in size (rational entries with ~n digits): cap them.
MAX_EXACT_POWER = 5000


def _check_power(n: Any, *, where: str = "n", exact: bool = False) -> int:
    """n must be a non-negative int (at most MAX_EXACT_POWER on the exact route)."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise InputError(f"expected a non-negative integer power, got {n!r}", where=where)
    if n < 0:
        raise InputError(f"expected a non-negative integer power, got {n}", where=where)
    if exact and n > MAX_EXACT_POWER:
        raise InputError(
            f"power {n} is above the exact route's limit of {MAX_EXACT_POWER} (exact entries "
            "grow with n); drop --exact for a float64 power",
            where=where,
        )
    return int(n)


#: Exact entries of M^n have about n * (digits of the common denominator and of the largest
#: scaled entry) digits; beyond this the radical algebra takes minutes (and Python refuses to
#: print integers of more than 4300 digits).
MAX_EXACT_DIGITS = 1000


def _check_exact_digits(entries: Sequence[Any], size: int, n: int, *, where: str = "n") -> None:
    """InputError when exact entries of an n-th power of a size x size matrix would be too long."""
    rationals = [sp.Rational(e) for e in entries if isinstance(e, sp.Rational)]
    if n < 2 or not rationals:
        return
    denominator = math.lcm(*(int(r.q) for r in rationals))
    largest = max(abs(int(r.p)) * (denominator // int(r.q)) for r in rationals)
    digits = n * (math.log10(denominator) + math.log10(max(1, size * largest)))
    if digits > MAX_EXACT_DIGITS:
        raise InputError(
            f"exact entries of the power {n} would have about {digits:.0f} digits, above the "
            f"exact route's limit of {MAX_EXACT_DIGITS}; drop --exact for a float64 power or "
            "use a smaller power",
            where=where,
        )


def _exact_jordan(M: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """Jordan form M = P J P^{-1} (sympy)."""
    P, J = M.jordan_form()
    return P, J


_X = sp.Symbol("x")


def _clean_exact(e: sp.Expr) -> sp.Expr:
    """Bring an algebraic-number expression to canonical form (radicals out of denominators)."""
    return sp.expand(sp.radsimp(sp.expand(e)))


def _char_factors(M: sp.Matrix) -> list[tuple[sp.Expr, int]] | None:
    """Irreducible factors (with multiplicity) of det(xI - M) over Q; None if M is not rational."""
    if not all(e.is_Rational for e in M):
        return None
    _, factors = sp.factor_list(M.charpoly(_X).as_expr(), _X)
    return factors


def _poly_at(f: sp.Expr, M: sp.Matrix) -> sp.Matrix:
    """f(M) for a polynomial f in x, by Horner's rule in exact arithmetic."""
    acc = sp.zeros(M.rows, M.cols)
    for c in sp.Poly(f, _X).all_coeffs():
        acc = acc * M + c * sp.eye(M.rows)
    return acc


def _is_diagonalizable(M: sp.Matrix, factors: list[tuple[sp.Expr, int]] | None) -> bool:
    """Diagonalizable over C iff the product of the distinct irreducible factors annihilates M."""
    if factors is None:
        return bool(M.is_diagonalizable())
    product = sp.eye(M.rows)
    for f, _ in factors:
        product = product * _poly_at(f, M)
    return product.is_zero_matrix


def _has_short_radicals(factors: list[tuple[sp.Expr, int]] | None) -> bool:
    """True if every eigenvalue is rational or a quadratic surd (no Cardano-style expressions)."""
    return factors is None or all(sp.degree(f, _X) <= 2 for f, _ in factors)


def _exact_power(M: sp.Matrix, n: int) -> PowerResult:
    """Exact route: diagonalize if possible, else use the Jordan form; never an invalid Q."""
    direct = M**n  # repeated squaring in exact arithmetic: the reference value
    factors = _char_factors(M)
    diagonalizable = _is_diagonalizable(M, factors)
    if not _has_short_radicals(factors):
        # An irreducible factor of degree >= 3: sympy's radical forms explode (minutes even for
        # 3 x 3), so report exact eigenvalues as CRootOf and take the power by repeated squaring.
        eigs = tuple(sp.Poly(M.charpoly(_X).as_expr(), _X).all_roots())
        degree = max(sp.degree(f, _X) for f, _ in factors or [])
        steps: tuple[Step, ...] = (
            ("M", M),
            (
                f"eigenvalues include roots of an irreducible cubic or higher (degree {degree}); "
                f"M^{n} by exact repeated squaring",
                direct,
            ),
        )
        return _not_diagonalized(
            M, n, True, direct, eigs, diagonalizable, (None, None), "repeated-squaring", steps
        )
    if diagonalizable:
        Q, Lam = M.diagonalize()
        Q_inv = Q.inv()
        Lam_n = Lam**n
        power = (Q * Lam_n * Q_inv).applyfunc(_clean_exact)
        if power != direct:
            # Same value in another radical form: check it, then report the canonical (rational
            # when M is rational) form.
            if not all(sp.simplify(d) == 0 for d in (power - direct)):  # pragma: no cover
                raise ArithmeticError("Q Lambda^n Q^{-1} disagrees with M^n")
            power = direct
        eigs = tuple(Lam[i, i] for i in range(Lam.rows))
        return _diagonalized(M, n, True, (Q, Lam, Q_inv, Lam_n), power, eigs, given=False)
    P, J = _exact_jordan(M)
    J_n = J**n
    power = (P * J_n * P.inv()).applyfunc(_clean_exact)
    if power != direct:
        power = direct
    eigs = tuple(J[i, i] for i in range(J.rows))
    steps = (
        ("M", M),
        ("M is not diagonalizable; Jordan form M = P J P^{-1}: P", P),
        ("J", J),
        (f"J^{n}", J_n),
        (f"M^{n} = P J^{n} P^{{-1}}", power),
    )
    return _not_diagonalized(M, n, True, power, eigs, False, (P, J), "jordan", steps)
