"""Matrix powers and gradient flow as plain text: what `symbptt eigen`/`flow` print and str() gives.

Exact values read as numbers (5/2 + √37/2, i); a root with no short radical form is a 6-digit
decimal with its polynomial beside it, never a raw CRootOf; no number prints as -0.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

if TYPE_CHECKING:
    from symbptt.eigen import HomeworkResult, PowerResult
    from symbptt.flow import FlowReport

_X = sp.Symbol("x")


def format_exact(v: Any) -> str:
    """An exact number as it reads: 5/2 + √37/2, 3^(1/3)·i; a root with no radical form (a
    CRootOf) as its decimal, its polynomial given once beside the eigenvalues."""
    if isinstance(v, sp.Basic) and v.has(sp.CRootOf):
        return "≈ " + format_float(complex(sp.N(v, 15)))
    text = sp.sstr(v) if isinstance(v, sp.Basic) else str(v)
    text = re.sub(r"sqrt\((\d+)\)", r"√\1", text).replace("sqrt(", "√(")
    text = text.replace("**", "^").replace("*I", "·i").replace("*", "·")
    text = re.sub(r"(?<![√\d])(\d+)·(?=[a-z√(])", r"\1", text)  # 3x^2, 2√2; √3·i stays
    return re.sub(r"\bI\b", "i", text)


def _fmt_eigenvalues(values: tuple[Any, ...], exact: bool) -> list[str]:
    """The eigenvalues line, and for roots with no radical form the polynomial they solve."""
    if not exact:
        return ["eigenvalues: " + ", ".join(format_float(v) for v in values)]
    lines = ["eigenvalues: " + ", ".join(format_exact(v) for v in values)]
    polys = dict.fromkeys(v.poly.as_expr() for v in values if isinstance(v, sp.CRootOf))
    for poly in polys:
        degree = sp.degree(poly, _X)
        why = (
            "their radical forms are long"
            if degree <= 4
            else "in general not expressible by radicals"
        )
        poly_text = format_exact(poly) if degree <= 8 else "(--json gives it)"
        lines.append(
            f"  ≈: roots of the irreducible degree-{degree} polynomial {poly_text}; {why}, "
            "so they are shown to 6 digits"
        )
    return lines


def _fmt_matrix(M: Any, exact: bool) -> str:
    """A matrix as aligned text rows."""
    if exact:
        rows = [[format_exact(v) for v in row] for row in M.tolist()]
    else:
        arr = np.asarray(M)
        rows = [[format_float(v) for v in row] for row in arr.tolist()]
    width = max(len(c) for row in rows for c in row)
    return "\n".join("  [ " + "  ".join(c.rjust(width) for c in row) + " ]" for row in rows)


def format_float(v: Any) -> str:
    """A float or complex number in short form."""
    c = complex(v)
    re_, im = c.real + 0.0, c.imag + 0.0  # -0.0 + 0.0 is 0.0: never print -0
    re_txt = f"{re_:.6g}"
    if re_txt in ("-0", "-0e+00"):
        re_txt = "0"
    if im == 0:
        return re_txt
    return f"{re_txt}{im:+.6g}j"


def format_power(r: PowerResult) -> str:
    """One PowerResult as text: route, eigenvalues, diagonalizable, each step's matrix."""
    lines = [
        f"route: {'exact (sympy)' if r.exact else 'numeric (numpy)'}, method: {r.method}",
        *_fmt_eigenvalues(r.eigenvalues, r.exact),
        "diagonalizable: "
        + {True: "yes", False: "NO (defective)"}.get(
            r.diagonalizable, "unknown (eigenvectors ill-conditioned; --exact decides)"
        ),
    ]
    for desc, M in r.steps:
        lines += [f"{desc}:", _fmt_matrix(M, isinstance(M, sp.MatrixBase))]
    if r.exact:
        lines += [
            f"M^{r.n} as floats:",
            _fmt_matrix(np.array(r.power.evalf(), dtype=complex), False),
        ]
    return "\n".join(lines)


def format_homework(hw: HomeworkResult) -> str:
    """Both routes of homework 3, Ex 2(c) and the errata of its written solution."""
    lines = [
        "Homework 3, Ex 2(c): Q = [[-0.6, -0.8], [-0.8, 0.6]], Lambda = diag(0.9, 0.4)",
        "\n== exact ==\n" + format_power(hw.exact),
        "\n== numeric ==\n" + format_power(hw.numeric),
        "\n== errata in the written solution ==",
    ]
    return "\n".join(lines + [f"- {item}" for item in hw.errata])


def format_flow(r: FlowReport) -> str:
    """A gradient-flow report as text: rho, sigma_max, the Pascanu reading, the norms table."""
    thr = 1.0 / r.gamma
    lines = [
        f"activation: {r.activation} (gamma = sup|f'| = {r.gamma:g}, 1/gamma = {thr:g})",
        "eigenvalues: " + ", ".join(format_float(v) for v in r.eigenvalues),
        "singular values: " + ", ".join(format_float(v) for v in r.singular_values),
        f"spectral radius rho(W) = {r.spectral_radius:.6g}",
        f"largest singular value sigma_max(W) = {r.largest_singular_value:.6g}",
        f"Pascanu et al. (2013): {r.pascanu} "
        + {
            "vanishing-guaranteed": f"(sigma_max < {thr:g}: sufficient for vanishing)",
            "exploding-possible": f"(sigma_max > {thr:g}: necessary, not sufficient, "
            "for exploding)",
            "bounded": f"(sigma_max = {thr:g}: ||dh_t/dh_k|| <= 1, neither guaranteed)",
        }[r.pascanu],
        f"long run of W^k (from rho): {r.long_run}",
        f"{'t-k':>4} {'||dh_t/dh_k||':>14} {'bound':>12} {'||W^k||':>12}",
    ]
    for i, (j, bd, p) in enumerate(
        zip(r.jacobian_norms, r.pascanu_bounds, r.power_norms, strict=True)
    ):
        lines.append(f"{i + 1:>4} {j:>14.6g} {bd:>12.6g} {p:>12.6g}")
    return "\n".join(lines)
