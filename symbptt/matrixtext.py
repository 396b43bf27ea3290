"""Reading matrices and numbers from text and user values, safely: a small parser, never eval.

Entries become exact sympy numbers: decimal strings and floats become the rational they spell
("-0.6" and -0.6 both give -3/5), fractions "3/5" are exact. Bad shapes or entries raise
InputError naming the place (option or argument, with [i][j]).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from symbptt.errors import InputError

__all__ = [
    "MatrixLike",
    "parse_matrix_text",
    "parse_number",
    "parse_vector_text",
    "to_exact_matrix",
    "to_float_matrix",
]

MatrixLike = Any  # nested sequences of numbers or strings, a numpy array or a sympy Matrix

_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_number(value: Any, *, where: str = "value") -> sp.Expr:
    """One entry as an exact sympy number: ints, decimals ("-0.6" -> -3/5), fractions ("3/5")."""
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", where=where)
    if isinstance(value, sp.Expr):
        if not value.is_number:
            raise InputError(f"expected a number, got the expression {value}", where=where)
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise InputError(f"expected a finite number, got {value}", where=where)
        return value
    if isinstance(value, int | np.integer):
        return sp.Integer(int(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            raise InputError(f"expected a finite number, got {value}", where=where)
        return sp.Rational(repr(float(value)))  # the decimal it prints as: 0.6 -> 3/5
    if isinstance(value, complex | np.complexfloating):
        if not np.isfinite(value):
            raise InputError(f"expected a finite number, got {value}", where=where)
        return parse_number(value.real, where=where) + sp.I * parse_number(value.imag, where=where)
    if isinstance(value, str):
        text = value.strip()
        if text.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
            raise InputError(f"expected a finite number, got {text!r}", where=where)
        parts = text.split("/")
        if len(parts) in (1, 2) and all(_NUMBER_RE.match(p.strip()) for p in parts):
            nums = [sp.Rational(p.strip()) for p in parts]
            if len(nums) == 2:
                if nums[1] == 0:
                    raise InputError(f"division by zero in {text!r}", where=where)
                return nums[0] / nums[1]
            return nums[0]
        raise InputError(
            f"expected a number such as 2, -0.6, 1e-3 or 3/5, got {text!r}", where=where
        )
    raise InputError(f"expected a number, got {type(value).__name__} {value!r}", where=where)


def _rows(M: MatrixLike, *, where: str) -> list[list[Any]]:
    """Nested rows of a square matrix-like input, validated for shape."""
    if isinstance(M, sp.MatrixBase):
        rows = M.tolist()
    elif isinstance(M, np.ndarray):
        if M.ndim != 2:
            raise InputError(f"expected a square 2-D matrix, got {M.ndim}-D array", where=where)
        rows = M.tolist()
    elif isinstance(M, Sequence) and not isinstance(M, str):
        rows = [list(r) if isinstance(r, Sequence) and not isinstance(r, str) else r for r in M]
        if not all(isinstance(r, list) for r in rows):
            raise InputError("expected a matrix as a list of rows (lists of numbers)", where=where)
    else:
        raise InputError(f"expected a matrix, got {type(M).__name__}", where=where)
    if not rows or not rows[0]:
        raise InputError("expected a non-empty square matrix", where=where)
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        lengths = [len(r) for r in rows]  # in the order written
        raise InputError(f"ragged matrix: rows have lengths {lengths}", where=where)
    n_cols = widths.pop()
    if n_cols != len(rows):
        raise InputError(f"expected a square matrix, got {len(rows)} x {n_cols}", where=where)
    return rows


def to_exact_matrix(M: MatrixLike, *, where: str = "matrix") -> sp.Matrix:
    """A square sympy Matrix of exact numbers; raises InputError on bad shape or entries."""
    rows = _rows(M, where=where)
    return sp.Matrix(
        [
            [parse_number(v, where=f"{where}[{i}][{j}]") for j, v in enumerate(r)]
            for i, r in enumerate(rows)
        ]
    )


def to_float_matrix(M: MatrixLike, *, where: str = "matrix") -> np.ndarray:
    """A square finite float64 (or complex128) array; raises InputError on bad shape or entries."""
    if isinstance(M, np.ndarray) and M.dtype.kind in "fciu":
        _rows(M, where=where)
        if not np.all(np.isfinite(M)):
            raise InputError("matrix has NaN or infinite entries", where=where)
        return M.astype(complex if M.dtype.kind == "c" else float)
    exact = to_exact_matrix(M, where=where)
    values = [[complex(v) for v in row] for row in exact.tolist()]
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if not np.isfinite(v):
                raise InputError(
                    f"{sp.N(exact[i, j], 3)} is beyond float64's range (|x| < 1.8e308); "
                    "scale the matrix down",
                    where=f"{where}[{i}][{j}]",
                )
    arr = np.array(values, dtype=complex)
    return arr.real.copy() if not np.any(arr.imag) else arr


def parse_matrix_text(text: str, *, option: str = "--matrix") -> list[list[sp.Expr]]:
    """Parse "[[0.5, 2], [0, 0.5]]" or "0.5 2; 0 0.5" into rows of exact numbers (never eval)."""
    text = text.strip()
    if not text:
        raise InputError(
            "expected a matrix such as '[[0.5, 2], [0, 0.5]]' or '0.5 2; 0 0.5'", where=option
        )
    if text.startswith("["):
        value = _parse_brackets(text, option=option)
        if not all(isinstance(r, list) for r in value):
            raise InputError("expected a list of rows, e.g. '[[0.5, 2], [0, 0.5]]'", where=option)
        rows = value
    else:
        rows = [r.replace(",", " ").split() for r in text.split(";")]
    for r in rows:
        if any(isinstance(v, list) for v in r):
            raise InputError("matrix nested more than two levels deep", where=option)
    return [
        [parse_number(v, where=f"{option}[{i}][{j}]") for j, v in enumerate(r)]
        for i, r in enumerate(rows)
    ]


def parse_vector_text(text: str, *, option: str) -> list[sp.Expr]:
    """Parse "[0.9, 0.4]" or "0.9 0.4" (or "0.9, 0.4") into exact numbers."""
    text = text.strip()
    items = (
        _parse_brackets(text, option=option)
        if text.startswith("[")
        else text.replace(",", " ").split()
    )
    if not items or any(isinstance(v, list) for v in items):
        raise InputError("expected a list of numbers such as '[0.9, 0.4]'", where=option)
    return [parse_number(v, where=f"{option}[{i}]") for i, v in enumerate(items)]


def _parse_brackets(text: str, *, option: str) -> list[Any]:
    """A tiny recursive-descent parser for nested bracketed lists of number tokens."""
    tokens = re.findall(r"\[|\]|,|[^\s\[\],]+", text)
    pos = 0

    def fail(msg: str) -> InputError:
        return InputError(f"{msg} in {text!r}", where=option)

    def parse_list() -> list[Any]:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != "[":
            raise fail("expected '['")
        pos += 1
        items: list[Any] = []
        while True:
            if pos >= len(tokens):
                raise fail("missing ']'")
            tok = tokens[pos]
            if tok == "]":
                pos += 1
                return items
            if items:
                if tok != ",":
                    raise fail(f"expected ',' or ']' before {tok!r}")
                pos += 1
                if pos >= len(tokens):
                    raise fail("missing ']'")
                tok = tokens[pos]
            if tok == "[":
                items.append(parse_list())
            elif tok in {",", "]"}:
                raise fail(f"unexpected {tok!r}")
            else:
                items.append(tok.strip("'\""))
                pos += 1

    result = parse_list()
    if pos != len(tokens):
        raise fail(f"unexpected {tokens[pos]!r} after the closing ']'")
    return result
