"""`symbptt eigen` (matrix powers via Q Lambda^n Q^{-1}) and `symbptt flow` (gradient flow).

Matrices are given as "[[0.5, 2], [0, 0.5]]" or "0.5 2; 0 0.5" (entries: integers, decimals,
exponents, fractions like 3/5); they are parsed by a small parser, never eval'd.

`--json` for eigen: `power` is a nested list of floats on the numeric route and of exact strings
("3/5") with --exact, where `power_float` carries the floats as well; eigenvalues likewise (a
complex value is {"re": ..., "im": ...} as a float, a sympy string like "3/5 + 4*I/5" if exact;
an exact root with no short radical form is {"re", "im", "root_of": "x**3 - x**2 - 1"}).
The text output is made by `symbptt.matrixreport`, which str() of the results uses too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import numpy as np
import sympy as sp

from symbptt.cli.progress import ticker
from symbptt.eigen import (
    HomeworkResult,
    PowerResult,
    homework_exercise,
    matrix_power_eig,
    power_from_factors,
)
from symbptt.errors import InputError
from symbptt.flow import gradient_flow
from symbptt.matrixreport import format_flow, format_homework, format_power
from symbptt.matrixtext import parse_matrix_text, parse_vector_text, to_exact_matrix

# Library argument names -> the CLI option a user typed, for error messages.
_OPTION_OF = {
    "matrix": "--matrix",
    "W": "--matrix",
    "Q": "--Q",
    "Lambda": "--Lambda",
    "n": "--power",
    "activation": "--activation",
    "steps": "--steps",
    "seed": "--seed",
}


@contextmanager
def _options_named() -> Iterator[None]:
    """Re-raise library InputErrors with the CLI option name in place of the argument name."""
    try:
        yield
    except InputError as exc:
        where = exc.where or ""
        base = where.split("[", 1)[0]
        if base in _OPTION_OF:
            raise InputError(exc.message, where=_OPTION_OF[base] + where[len(base) :]) from None
        raise


@contextmanager
def _no_ticker() -> Iterator[None]:
    yield


def _matrix_option(text: str, option: str) -> sp.Matrix:
    """Parse and shape-check one matrix option (square, finite, numeric)."""
    return to_exact_matrix(parse_matrix_text(text, option=option), where=option)


def _lambda_option(text: str) -> list[Any]:
    """--Lambda as diagonal entries "[0.9, 0.4]" / "0.9 0.4", or as a (diagonal) matrix."""
    stripped = text.strip()
    if stripped.startswith("[[") or ";" in stripped:
        return parse_matrix_text(stripped, option="--Lambda")
    return parse_vector_text(stripped, option="--Lambda")


def _scalar_json(v: Any, exact: bool) -> Any:
    """One number for JSON: exact -> sympy string; float -> float; complex -> {"re", "im"}.

    An exact root with no radical form is {"re", "im", "root_of"}: its value and its polynomial.
    """
    if exact and isinstance(v, sp.Basic) and not v.has(sp.CRootOf):
        return str(v)
    c = complex(v)
    c = complex(c.real + 0.0, c.imag + 0.0)  # no -0.0
    if exact and isinstance(v, sp.CRootOf):
        return {"re": c.real, "im": c.imag, "root_of": str(v.poly.as_expr())}
    return {"re": c.real, "im": c.imag} if c.imag != 0 else c.real


def _matrix_json(M: Any, exact: bool) -> list[list[Any]] | None:
    """A matrix as nested lists for JSON (None stays None)."""
    if M is None:
        return None
    rows = M.tolist() if isinstance(M, sp.MatrixBase | np.ndarray) else M
    return [[_scalar_json(v, exact) for v in row] for row in rows]


def _result_json(r: PowerResult) -> dict[str, Any]:
    """The JSON document for one PowerResult."""
    out: dict[str, Any] = {
        "n": r.n,
        "exact": r.exact,
        "matrix": _matrix_json(r.M, r.exact),
        "power": _matrix_json(r.power, r.exact),
        "eigenvalues": [_scalar_json(v, r.exact) for v in r.eigenvalues],
        "diagonalizable": r.diagonalizable,
        "method": r.method,
        "Q": _matrix_json(r.Q, r.exact),
        "Lambda": _matrix_json(r.Lambda, r.exact),
        "Lambda_n": _matrix_json(r.Lambda_n, r.exact),
        "Q_inv": _matrix_json(r.Q_inv, r.exact),
        "jordan_P": _matrix_json(r.jordan_P, True),
        "jordan_J": _matrix_json(r.jordan_J, True),
        "steps": [{"description": d, "matrix": _matrix_json(m, r.exact)} for d, m in r.steps],
    }
    if r.exact:
        out["power_float"] = _matrix_json(r.power, False)
        out["eigenvalues_float"] = [_scalar_json(v, False) for v in r.eigenvalues]
    return out


@click.command("eigen")
@click.option("--matrix", "matrix_text", help='The matrix M, e.g. "[[0.5, 2], [0, 0.5]]".')
@click.option("--Q", "Q_text", help="Eigenvector matrix Q (with --Lambda): M = Q Lambda Q^-1.")
@click.option("--Lambda", "Lambda_text", help='Eigenvalues: "[0.9, 0.4]" or a diagonal matrix.')
@click.option(
    "--power", "power", type=int, default=None, help="The power n (default 1; 30 with --homework)."
)
@click.option("--exact", is_flag=True, help="Exact rational arithmetic (sympy).")
@click.option("--homework", is_flag=True, help="Homework 3, Ex 2(c): W^30 from Q and Lambda.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def eigen(
    matrix_text: str | None,
    Q_text: str | None,
    Lambda_text: str | None,
    power: int | None,
    exact: bool,
    homework: bool,
    as_json: bool,
) -> None:
    """Matrix power M^n = Q Lambda^n Q^-1 with its steps; defective matrices get a Jordan form."""
    if power is not None and power < 0:
        raise InputError(f"expected a non-negative integer, got {power}", where="--power")
    sources = [homework, matrix_text is not None, Q_text is not None or Lambda_text is not None]
    if sum(sources) != 1:
        raise InputError(
            "give exactly one of --matrix, --Q with --Lambda, or --homework", where="eigen"
        )
    if homework:
        if power not in (None, 30):
            raise InputError("the homework exercise is fixed at n = 30", where="--power")
        _print_homework(homework_exercise(), as_json)
        return
    n = 1 if power is None else power
    label = f"computing M^{n} exactly (sympy)" if exact else "computing"
    with _options_named(), ticker(label) if exact else _no_ticker():
        if matrix_text is not None:
            result = matrix_power_eig(_matrix_option(matrix_text, "--matrix"), n, exact=exact)
        else:
            if Q_text is None or Lambda_text is None:
                raise InputError("--Q and --Lambda must be given together", where="--Q")
            Q = _matrix_option(Q_text, "--Q")
            result = power_from_factors(Q, _lambda_option(Lambda_text), n, exact=exact)
    if as_json:
        click.echo(json.dumps(_result_json(result), indent=2))
    else:
        click.echo(format_power(result))


def _print_homework(hw: HomeworkResult, as_json: bool) -> None:
    """Both routes of the homework exercise and its errata."""
    if as_json:
        doc = _result_json(hw.exact)
        doc["numeric"] = _result_json(hw.numeric)
        doc["errata"] = list(hw.errata)
        click.echo(json.dumps(doc, indent=2))
        return
    click.echo(format_homework(hw))


@click.command("flow")
@click.option("--matrix", "matrix_text", required=True, help="The recurrent matrix W.")
@click.option(
    "--activation", default="tanh", show_default=True, help="tanh, sigmoid, relu or identity."
)
@click.option("--steps", type=int, default=10, show_default=True, help="K: t - k = 1..K.")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed for U and the inputs.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def flow(matrix_text: str, activation: str, steps: int, seed: int, as_json: bool) -> None:
    """Gradient flow through W: rho, sigma_max, Pascanu reading, ||dh_t/dh_k|| on a trajectory."""
    with _options_named():
        W = _matrix_option(matrix_text, "--matrix")
        report = gradient_flow(W, activation, steps=steps, seed=seed)
    if as_json:
        doc = report.to_dict()
        doc["matrix"] = report.W.tolist()
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(format_flow(report))
