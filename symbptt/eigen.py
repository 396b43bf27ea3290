"""Matrix powers M^n = Q Lambda^n Q^{-1}, numerically (numpy) and exactly (sympy).

The homework's exercise 2 (W^30 from Q and Lambda) lives here as `homework_exercise()`. A
defective matrix is never pushed through an eigendecomposition: it is reported as not
diagonalizable, with its Jordan form, and its power is taken from that Jordan form (exact) or by
repeated squaring (numeric).

Exact route: entries are read by `symbptt.matrixtext` (decimal strings and floats become the
rational they spell), so rationals in give rationals out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symbptt.errors import InputError
from symbptt.matrixtext import MatrixLike, parse_number, to_exact_matrix, to_float_matrix

__all__ = [
    "COND_LIMIT",
    "EXACT_JORDAN_MAX_SIZE",
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

Step = tuple[str, Any]


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


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PowerResult:
    """M^n with how it was obtained; matrices are numpy arrays (numeric) or sympy Matrices (exact).

    `Q`, `Lambda`, `Lambda_n` are None when M is not diagonalizable; then `jordan_P`, `jordan_J`
    hold M = P J P^{-1}. `steps` is a tuple of (description, matrix) for LaTeX and doc pages.
    """

    M: Any
    n: int
    exact: bool
    power: Any
    eigenvalues: tuple[Any, ...]
    diagonalizable: bool | None  # None: numerically ill-conditioned and no exact form to decide
    Q: Any
    Lambda: Any
    Lambda_n: Any
    Q_inv: Any
    jordan_P: Any
    jordan_J: Any
    method: str  # "eigendecomposition", "jordan" or "repeated-squaring"
    steps: tuple[Step, ...]
    condition: float | None = None  # cond(Q) on the numeric route

    def __str__(self) -> str:
        """The route, the eigenvalues and each step's matrix, as `symbptt eigen` prints them."""
        from symbptt.matrixreport import format_power

        return format_power(self)

    def _repr_markdown_(self) -> str:
        """Notebook display: the route taken, then each step's matrix."""
        from symbptt import display

        kind = "exactly" if self.exact else "numerically"
        out = [f"$M^{{{self.n}}}$ {kind}, by {self.method}:"]
        for what, value in self.steps:
            if value is not None:
                out += [f"`{what}`", display.math_block(display.matrix(value))]
        return "\n\n".join(out)


def _exact_jordan(M: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """Jordan form M = P J P^{-1} (sympy)."""
    P, J = M.jordan_form()
    return P, J


def _diagonalized(
    M: Any,
    n: int,
    exact: bool,
    factors: tuple[Any, Any, Any, Any],
    power: Any,
    eigs: tuple[Any, ...],
    *,
    given: bool,
    cond: float | None = None,
) -> PowerResult:
    """The eigendecomposition route's result from factors (Q, Lambda, Q^{-1}, Lambda^n).

    given=True: Q and Lambda were the input and M = Q Lambda Q^{-1} is derived from them.
    """
    Q, Lam, Q_inv, Lam_n = factors
    if given:
        head: tuple[Step, ...] = (
            ("Q", Q),
            ("Lambda", Lam),
            ("Q^{-1}", Q_inv),
            ("M = Q Lambda Q^{-1}", M),
        )
    else:
        head = (
            ("M", M),
            ("Q (eigenvectors as columns)", Q),
            ("Lambda (eigenvalues)", Lam),
            ("Q^{-1}", Q_inv),
        )
    steps = head + ((f"Lambda^{n}", Lam_n), (f"M^{n} = Q Lambda^{n} Q^{{-1}}", power))
    return PowerResult(
        M,
        n,
        exact,
        power,
        eigs,
        True,
        Q,
        Lam,
        Lam_n,
        Q_inv,
        None,
        None,
        "eigendecomposition",
        steps,
        cond,
    )


def _not_diagonalized(
    M: Any,
    n: int,
    exact: bool,
    power: Any,
    eigs: tuple[Any, ...],
    diagonalizable: bool | None,
    jordan: tuple[Any, Any],
    method: str,
    steps: tuple[Step, ...],
    cond: float | None = None,
) -> PowerResult:
    """A result without Q, Lambda: the Jordan route or repeated squaring; jordan is (P, J)."""
    P, J = jordan
    return PowerResult(
        M, n, exact, power, eigs, diagonalizable, None, None, None, None, P, J, method, steps, cond
    )


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
