"""Matrix powers M^n = Q Lambda^n Q^{-1}, numerically (numpy) and exactly (sympy).

The homework's exercise 2 (W^30 from Q and Lambda) lives here as `homework_exercise()`. A
defective matrix is never pushed through an eigendecomposition: it is reported as not
diagonalizable, with its Jordan form, and its power is taken from that Jordan form (exact) or by
repeated squaring (numeric).

Exact route: entries are read by `symbptt.matrixtext` (decimal strings and floats become the
rational they spell), so rationals in give rationals out.

The result value is in `eigen_result`, the exact route and the power limits in `eigen_exact`;
this module holds the numeric route, the entry points and the homework's exercises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symbptt.eigen_exact import (
    _X,
    MAX_EXACT_DIGITS,
    MAX_EXACT_POWER,
    _char_factors,
    _check_exact_digits,
    _check_power,
    _clean_exact,
    _exact_jordan,
    _exact_power,
    _has_short_radicals,
)
from symbptt.eigen_result import PowerResult, Step, _diagonalized, _not_diagonalized
from symbptt.errors import InputError
from symbptt.matrixtext import MatrixLike, parse_number, to_exact_matrix, to_float_matrix

__all__ = [
    "COND_LIMIT",
    "EXACT_JORDAN_MAX_SIZE",
    "MAX_EXACT_DIGITS",
    "MAX_EXACT_POWER",
    "HomeworkResult",
    "PowerResult",
    "UnitEigenvalueDemo",
    "homework_exercise",
    "matrix_power_eig",
    "numeric_eigenvalues",
    "power_from_factors",
    "unit_eigenvalue_counterexample",
]

# Numerically, a matrix counts as diagonalizable when its eigenvector matrix has a condition
# number below this (about 1/sqrt(machine epsilon)): beyond it Q Lambda^n Q^{-1} loses half the
# digits, so the power is taken by repeated squaring instead.
COND_LIMIT = 1e8
# The numeric route reports an exact Jordan form (sympy) only for matrices up to this size.
EXACT_JORDAN_MAX_SIZE = 4


def numeric_eigenvalues(values: np.ndarray) -> tuple[complex | float, ...]:
    """Numpy eigenvalues as a tuple: floats when real, complex otherwise (for results and JSON)."""
    return tuple(complex(v) if abs(v.imag) > 0 else float(v.real) for v in np.asarray(values))


def _numeric_power(M: np.ndarray, n: int, source: MatrixLike | None) -> PowerResult:
    """Numeric route: numpy eig; a (numerically) defective matrix uses repeated squaring."""
    vals, Q = np.linalg.eig(M)
    cond = float(np.linalg.cond(Q))
    eigs = numeric_eigenvalues(vals)
    if np.isfinite(cond) and cond < COND_LIMIT:
        Q_inv = np.linalg.inv(Q)
        Lam = np.diag(vals)
        Lam_n = np.diag(vals**n)
        power = Q @ Lam_n @ Q_inv
        if np.isrealobj(M):
            power = power.real
        if not np.any(np.iscomplex(Q)):
            Q, Lam, Lam_n, Q_inv = Q.real, Lam.real, Lam_n.real, Q_inv.real
        factors = (Q, Lam, Q_inv, Lam_n)
        return _diagonalized(M, n, False, factors, power, eigs, given=False, cond=cond)
    power = np.linalg.matrix_power(M, n)
    P = J = None
    steps: tuple[Step, ...] = (("M", M),)
    exact_M = None
    if source is not None and M.shape[0] <= EXACT_JORDAN_MAX_SIZE:
        exact_M = to_exact_matrix(source, where="matrix")
        if not _has_short_radicals(_char_factors(exact_M)):
            exact_M = None
    # An ill-conditioned Q says nothing certain about M: decide from the exact Jordan form when
    # we have it, else report "unknown" (None) rather than a false "defective".
    diagonalizable: bool | None = None
    if exact_M is not None:
        P, J = _exact_jordan(exact_M)
        diagonalizable = J.is_diagonal()
        if diagonalizable:
            steps += (("M is diagonalizable, but its eigenvector matrix is ill-conditioned; "
                       "exact Jordan form M = P J P^{-1}: P", P), ("J", J))  # fmt: skip
        else:
            steps += (("M is not diagonalizable; Jordan form M = P J P^{-1}: P", P), ("J", J))
    steps += ((f"M^{n} by repeated squaring (eigenvector matrix has cond {cond:.3g})", power),)
    return _not_diagonalized(
        M, n, False, power, eigs, diagonalizable, (P, J), "repeated-squaring", steps, cond
    )


def matrix_power_eig(M: MatrixLike, n: int, exact: bool = False) -> PowerResult:
    """M^n via M = Q Lambda Q^{-1} (Jordan form / repeated squaring if M is defective)."""
    n = _check_power(n, exact=exact)
    if exact:
        Mx = to_exact_matrix(M, where="matrix")
        _check_exact_digits(list(Mx), Mx.rows, n)
        return _exact_power(Mx, n)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported by _finite
        Mf = to_float_matrix(M, where="matrix")
        try:
            return _finite(_numeric_power(Mf, n, M))
        except np.linalg.LinAlgError as exc:
            raise InputError(
                f"the eigenvalue routines fail on this matrix ({exc}); scale it down or use "
                "--exact",
                where="matrix",
            ) from None


def _finite(result: PowerResult) -> PowerResult:
    """A float64 power that overflowed is an error, not a matrix of inf and NaN."""
    if not np.all(np.isfinite(np.asarray(result.power, dtype=complex))):
        raise InputError(
            f"M^{result.n} overflows float64 (entries are inf or NaN); use --exact for exact "
            "rationals or a smaller power",
            where="power",
        )
    return result


def _lambda_entries(Lam: MatrixLike) -> list[Any]:
    """Diagonal entries of Lambda given as a list of numbers or as a diagonal matrix."""
    if isinstance(Lam, sp.MatrixBase | np.ndarray):
        Lam = Lam.tolist()
    if isinstance(Lam, Sequence) and not isinstance(Lam, str):
        items = list(Lam)
        if items and all(isinstance(r, Sequence) and not isinstance(r, str) for r in items):
            rows = to_exact_matrix(items, where="Lambda")
            off = [
                (i, j)
                for i in range(rows.rows)
                for j in range(rows.cols)
                if i != j and rows[i, j] != 0
            ]
            if off:
                i, j = off[0]
                raise InputError(
                    f"Lambda must be diagonal; entry [{i}][{j}] is {rows[i, j]}", where="Lambda"
                )
            return [rows[i, i] for i in range(rows.rows)]
        if not items:
            raise InputError("expected the diagonal entries of Lambda", where="Lambda")
        return [parse_number(v, where=f"Lambda[{i}]") for i, v in enumerate(items)]
    raise InputError("expected a list of diagonal entries or a diagonal matrix", where="Lambda")


def power_from_factors(Q: MatrixLike, Lam: MatrixLike, n: int, exact: bool = False) -> PowerResult:
    """M = Q Lambda Q^{-1} and M^n = Q Lambda^n Q^{-1} from given factors (Q must be invertible)."""
    n = _check_power(n, exact=exact)
    Qx = to_exact_matrix(Q, where="Q")
    diag = _lambda_entries(Lam)
    if len(diag) != Qx.rows:
        raise InputError(
            f"Lambda has {len(diag)} diagonal entries but Q is {Qx.rows} x {Qx.rows}",
            where="Lambda",
        )
    if exact:
        _check_exact_digits(diag, 1, n)
        if Qx.det() == 0:
            raise InputError(
                "Q is singular (determinant 0); expected an invertible matrix", where="Q"
            )
        L = sp.diag(*diag)
        Q_inv = Qx.inv()
        M = (Qx * L * Q_inv).applyfunc(_clean_exact)
        L_n = L**n
        power = (Qx * L_n * Q_inv).applyfunc(_clean_exact)
        return _diagonalized(M, n, True, (Qx, L, Q_inv, L_n), power, tuple(diag), given=True)
    Qf = to_float_matrix(Q, where="Q")
    try:
        cond = float(np.linalg.cond(Qf))
    except np.linalg.LinAlgError:  # the SVD behind cond did not converge
        cond = float("inf")
    if not np.isfinite(cond) or cond >= 1 / np.finfo(float).eps:
        raise InputError(
            f"Q is singular (condition number {cond:.3g}); expected an invertible matrix", where="Q"
        )
    vals = np.array([complex(v) for v in diag])
    vals = vals.real if not np.any(vals.imag) else vals
    L = np.diag(vals)
    Q_inv = np.linalg.inv(Qf)
    M = Qf @ L @ Q_inv
    L_n = np.diag(vals**n)
    power = Qf @ L_n @ Q_inv
    eigs = numeric_eigenvalues(vals)
    return _finite(
        _diagonalized(M, n, False, (Qf, L, Q_inv, L_n), power, eigs, given=True, cond=cond)
    )


# --------------------------------------------------------------------------- homework


HOMEWORK_Q: tuple[tuple[str, str], ...] = (("-0.6", "-0.8"), ("-0.8", "0.6"))
HOMEWORK_LAMBDA: tuple[str, str] = ("0.9", "0.4")
HOMEWORK_N = 30

HOMEWORK_ERRATA: tuple[str, ...] = (
    "The written solution's middle step shows diag(0.0424, 1.153e-12)^30: Lambda^30 is "
    "diag(0.9^30, 0.4^30) = diag(0.0424, 1.153e-12) itself; raising it to the 30th power again "
    "is wrong (it would give about diag(6.6e-42, 7.1e-359), which underflows to 0 in float64).",
    "The written solution writes 'Q - 1' for Q^{-1}; it means the inverse (here Q^{-1} = Q, "
    "because this Q is symmetric and orthogonal).",
    "The final matrix of the written solution is nevertheless right to four places.",
)


@dataclass(frozen=True)
class HomeworkResult:
    """Homework 3, Ex 2(c): W = Q Lambda Q^{-1} and W^30, numerically and exactly, with errata."""

    numeric: PowerResult
    exact: PowerResult
    errata: tuple[str, ...]

    @property
    def W(self) -> np.ndarray:
        """W = Q Lambda Q^{-1} (numeric)."""
        return self.numeric.M

    @property
    def W_n(self) -> np.ndarray:
        """W^30 (numeric)."""
        return self.numeric.power

    def __str__(self) -> str:
        """Both routes and the errata, as `symbptt eigen --homework` prints them."""
        from symbptt.matrixreport import format_homework

        return format_homework(self)

    def _repr_markdown_(self) -> str:
        """Notebook display: the exact result, the numeric one, and the homework's errata."""
        errata = "\n".join(f"- {e}" for e in self.errata)
        return "\n\n".join(
            ["**Exactly**", self.exact._repr_markdown_(), "**Numerically**",
             self.numeric._repr_markdown_(), "**Errata in the homework's solution**", errata]
        )  # fmt: skip


def homework_exercise() -> HomeworkResult:
    """Homework 3, Ex 2(c): Q = [[-0.6,-0.8],[-0.8,0.6]], Lambda = diag(0.9,0.4), W^30 both ways."""
    return HomeworkResult(
        numeric=power_from_factors(HOMEWORK_Q, HOMEWORK_LAMBDA, HOMEWORK_N, exact=False),
        exact=power_from_factors(HOMEWORK_Q, HOMEWORK_LAMBDA, HOMEWORK_N, exact=True),
        errata=HOMEWORK_ERRATA,
    )


# --------------------------------------------------------------------------- unit eigenvalues


@dataclass(frozen=True)
class UnitEigenvalueDemo:
    """Tests the claim "all eigenvalues equal 1 => M^n = M" on one matrix (exactly)."""

    M: sp.Matrix
    n: int
    power: sp.Matrix
    eigenvalues: tuple[sp.Expr, ...]
    diagonalizable: bool
    jordan_J: sp.Matrix
    claim_holds: bool  # M^n == M
    explanation: str


def unit_eigenvalue_counterexample(M: MatrixLike | None = None, n: int = 5) -> UnitEigenvalueDemo:
    """Check "all eigenvalues 1 => M^n = M"; default M = [[1,1],[0,1]] gives [[1,n],[0,1]] != M."""
    n = _check_power(n)
    Mx = to_exact_matrix([[1, 1], [0, 1]] if M is None else M, where="matrix")
    if sp.expand(Mx.charpoly(_X).as_expr() - (_X - 1) ** Mx.rows) != 0:
        raise InputError(
            f"expected a matrix whose eigenvalues all equal 1; det(xI - M) = "
            f"{sp.factor(Mx.charpoly(_X).as_expr())}",
            where="matrix",
        )
    eigs = (sp.Integer(1),) * Mx.rows
    result = _exact_power(Mx, n)
    _, J = _exact_jordan(Mx)
    holds = result.power == Mx
    if result.diagonalizable:
        why = (
            "diagonalizable with all eigenvalues 1 means M = Q I Q^{-1} = I, so M^n = I = M: "
            "the claim holds, but only for the identity"
        )
    else:
        why = (
            f"not diagonalizable (Jordan form J = {J.tolist()}): M^{n} = {result.power.tolist()}"
            f"{' equals' if holds else ' differs from'} M, so the claim fails for defective "
            "matrices"
        )
    return UnitEigenvalueDemo(Mx, n, result.power, eigs, result.diagonalizable, J, holds, why)
