"""The value a matrix power returns (`PowerResult`): M^n with the route and each step's matrix.

Both routes of `symbptt.eigen` (numeric, exact) and `power_from_factors` build it by
`_diagonalized` (Q, Lambda known) or `_not_diagonalized` (Jordan form or repeated squaring).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PowerResult", "Step"]

Step = tuple[str, Any]


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
