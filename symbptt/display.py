"""Markdown building blocks for notebook display (IPython's `_repr_markdown_` protocol).

A bottom-layer helper with no knowledge of any result class: each result renders itself with
these, so no module imports a higher layer and IPython is never imported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>#|"})


def escape(text: str) -> str:
    """Plain text safe inside Markdown (no emphasis, links, HTML or table breaks)."""
    return text.translate(_MD_SPECIAL).replace("\n", " ")


def prose(text: str) -> str:
    """Text that may hold TeX commands: as a code span when it does (never raw TeX in prose)."""
    if "\\" in text:
        return "`" + text.replace("`", "'").replace("\n", " ") + "`"
    return escape(text)


def math_block(latex: str) -> str:
    """Display math for a notebook's MathJax (and the site's KaTeX)."""
    return f"$$\n{latex.strip()}\n$$"


def number(x: float | None, digits: int = 3) -> str:
    """A float for a table: '-' for none or not finite, short scientific otherwise."""
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}g}" if x != 0 else "0"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; cells are taken as written (escape plain text first)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict_badge(verdict: str) -> str:
    """'**CORRECT**' and the like, the verdict in capitals and bold."""
    return f"**{verdict.upper()}**"


def matrix(M: object, digits: int = 4) -> str:
    """LaTeX of a matrix, vector or scalar: SymPy objects exactly, numbers to `digits` digits."""
    if hasattr(M, "free_symbols"):  # a SymPy object: its own exact LaTeX
        import sympy

        return sympy.latex(M)
    import numpy as np

    a = np.asarray(M)

    def cell(v: object) -> str:
        z = complex(v)  # type: ignore[arg-type]
        if z.imag == 0:
            return f"{z.real:.{digits}g}"
        return f"{z.real:.{digits}g} {'+' if z.imag >= 0 else '-'} {abs(z.imag):.{digits}g}i"

    if a.ndim == 0:
        return cell(a.item())
    rows = a.reshape(-1, 1) if a.ndim == 1 else a
    body = r" \\ ".join(" & ".join(cell(v) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"
