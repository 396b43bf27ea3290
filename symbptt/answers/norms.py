"""Norms and spectra of answer values: \\|x\\|, \\|A\\|_2, \\rho(A), \\sigma_{\\max}(A), \\lambda_i(A).

Conventions (documented in docs/checking-homework.md): a vector's norm is the 2-norm unless a
subscript says 1, \\infty (or 2); F on a vector is its 2-norm. A matrix's \\|A\\| is the spectral
norm (the largest singular value, = \\|A\\|_2); \\|A\\|_F Frobenius, \\|A\\|_1 the largest column
sum, \\|A\\|_\\infty the largest row sum. Eigenvalues \\lambda_1, \\lambda_2, ... are ordered by
decreasing modulus (ties: larger real part, then larger imaginary part first); singular values
\\sigma_1 >= \\sigma_2 >= .... Values come as exact Fractions where the norm is rational in the
entries (1 and \\infty norms, absolute values), else float64.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


class SpectralError(ValueError):
    """A norm or spectrum that does not exist (non-square matrix, non-finite entries)."""


class NeedsFloat(Exception):
    """The exact (rational) value is not available: evaluate in float64."""


def to_float(v: Any) -> np.ndarray:
    """A value as a 2-D float64 array."""
    if isinstance(v, np.ndarray):
        return np.asarray(v.astype(float) if v.dtype == object else v, dtype=float)
    return np.array([[float(v)]])


#: Apply names of the spectral functions (built by `parse_forms._spectral`).
SPECTRAL_NAMES = {"\\rho", "\\sigma_{\\max}", "\\sigma_{\\min}", "\\lambda_{\\max}",
                  "\\lambda_{\\min}", "\\lambda_", "\\sigma_"}  # fmt: skip


def _dims(v: np.ndarray) -> str:
    return f"{v.shape[0]}x{v.shape[1]}"


def norm(value: Any, p: str | None, *, exact: bool) -> Any:
    """\\|value\\|_p (p None, '1', '2', 'inf' or 'F'); a number's norm is its absolute value."""
    if not isinstance(value, np.ndarray) or value.shape == (1, 1):
        v = value[0, 0] if isinstance(value, np.ndarray) else value
        return abs(v)
    vector = 1 in value.shape
    if exact:
        if p in ("1", "inf") and value.dtype == object:
            cells = [[abs(Fraction(x)) for x in row] for row in value.tolist()]
            if vector:
                flat = [c for row in cells for c in row]
                return sum(flat, Fraction(0)) if p == "1" else max(flat)
            sums = (
                [sum(col, Fraction(0)) for col in zip(*cells, strict=True)]
                if p == "1"
                else [sum(row, Fraction(0)) for row in cells]
            )
            return max(sums)
        raise NeedsFloat
    a = to_float(value)
    if vector:
        flat = a.reshape(-1)
        order = {"1": 1, "inf": np.inf}.get(p or "2", 2)
        return float(np.linalg.norm(flat, order))
    order = {None: 2, "2": 2, "1": 1, "inf": np.inf, "F": "fro"}[p]
    return float(np.linalg.norm(a, order))


def _square(value: Any, what: str) -> np.ndarray:
    a = to_float(value)
    if a.shape[0] != a.shape[1]:
        raise SpectralError(f"{what} of a non-square {_dims(a)} matrix")
    if not np.isfinite(a).all():
        raise SpectralError(f"{what} of a matrix with non-finite entries")
    return a


def eigenvalues(value: Any) -> list[complex | float]:
    """Eigenvalues by decreasing modulus (real ones as floats)."""
    a = _square(value, "eigenvalues")
    vals = np.linalg.eigvals(a)
    scale = max(1.0, float(np.abs(vals).max()))
    out: list[complex | float] = []
    for z in sorted(vals, key=lambda z: (-abs(z), -z.real, -z.imag)):
        out.append(float(z.real) if abs(z.imag) <= 1e-12 * scale else complex(z))
    return out


def singular_values(value: Any) -> list[float]:
    """Singular values, largest first."""
    a = to_float(value)
    if not np.isfinite(a).all():
        raise SpectralError("singular values of a matrix with non-finite entries")
    return [float(s) for s in np.linalg.svd(a, compute_uv=False)]


def spectral(name: str, value: Any, index: int | None = None) -> Any:
    """\\rho, \\sigma_{\\max}, \\sigma_{\\min}, \\lambda_{\\max}, \\lambda_{\\min}, \\lambda_i, \\sigma_i."""
    if name == "\\rho":
        return max(abs(z) for z in eigenvalues(value))
    if name in ("\\sigma_{\\max}", "\\sigma_{\\min}"):
        s = singular_values(value)
        return s[0] if name.endswith("max}") else s[-1]
    if name in ("\\lambda_{\\max}", "\\lambda_{\\min}"):
        vals = eigenvalues(value)
        if any(isinstance(z, complex) for z in vals):
            raise SpectralError(
                f"{name}: the matrix has complex eigenvalues (use \\rho or |\\lambda_i|)"
            )
        return max(vals) if name.endswith("max}") else min(vals)  # type: ignore[type-var]
    vals = eigenvalues(value) if name == "\\lambda_" else singular_values(value)
    if index is None or not 1 <= index <= len(vals):
        return None  # out of range: the caller raises ComponentRange
    return vals[index - 1]


def is_complex(value: Any) -> bool:
    """True for a value with a non-zero imaginary part (an eigenvalue of a rotation)."""
    if isinstance(value, complex):
        return value.imag != 0
    return isinstance(value, np.ndarray) and np.iscomplexobj(value) and bool(np.any(value.imag))
