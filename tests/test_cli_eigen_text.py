"""`symbptt eigen` text: exact values read as numbers (no CRootOf, no -0); long work shows a timer."""

from __future__ import annotations

import io
import re
import time

import numpy as np
from click.testing import CliRunner

from symbptt.cli import cli
from symbptt.cli.progress import ticker
from symbptt.matrixreport import format_exact, format_float

NEG_ZERO = re.compile(r"(?<![\d.e])-0(?![.\d])")


def eigen(*args: str) -> str:
    r = CliRunner().invoke(cli, ["eigen", *args])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_irreducible_cubic_prints_decimals_and_its_polynomial() -> None:
    # M = companion matrix of x^3 - x^2 - 1 (irreducible over Q: +-1 are not roots)
    out = eigen("--matrix", "[[0,1,0],[0,0,1],[1,0,1]]", "--exact", "--power", "2")
    assert "CRootOf" not in out and "RootOf" not in out
    assert "x^3 - x^2 - 1" in out
    real = max(np.roots([1, -1, 0, -1]), key=lambda z: z.real).real  # 1.46557...
    assert f"≈ {real:.6g}" in out
    # the power itself is still exact: M^2 by hand is [[0,0,1],[1,0,1],[1,1,1]]
    assert "[ 0  0  1 ]" in out and "[ 1  1  1 ]" in out


def test_radicals_and_rationals_where_they_exist() -> None:
    out = eigen("--matrix", "[[1,2,0],[3,4,1],[0,1,1]]", "--exact", "--power", "2")
    # det(xI - M) = (x - 1)(x^2 - 5x - 3): 1 and (5 ± √37)/2
    assert "eigenvalues: 1, 5/2 - √37/2, 5/2 + √37/2" in out
    assert "sqrt" not in out and "**" not in out
    assert "eigenvalues: -i, i" in eigen("--matrix", "[[0,-1],[1,0]]", "--exact")


def test_never_minus_zero() -> None:
    assert format_float(-0.0) == "0" and format_float(complex(-0.0, 1.0)) == "0+1j"
    assert format_float(complex(0.5, -0.0)) == "0.5"
    for args in (
        ("--matrix", "[[0,-1],[1,0]]", "--power", "2"),
        ("--matrix", "[[-1,0],[0,1]]", "--power", "3"),
        ("--matrix", "[[0,1],[-1,0]]", "--power", "4", "--exact"),
        ("--homework",),
    ):
        out = eigen(*args)
        assert not NEG_ZERO.search(out), (args, NEG_ZERO.findall(out))


def test_exact_scalar_text() -> None:
    import sympy as sp

    assert format_exact(sp.Rational(3, 5)) == "3/5"
    assert format_exact(sp.Rational(1, 2) + 3 * sp.I / 5) == "1/2 + 3i/5"
    assert format_exact(sp.sqrt(2) ** 3 / 7) == "2√2/7"
    assert format_exact(sp.sqrt(3) * sp.I) == "√3·i"
    x = sp.Symbol("x")
    assert format_exact(x**3 - 3 * x**2 + 2 * x - 1) == "x^3 - 3x^2 + 2x - 1"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ticker_only_on_a_terminal_and_clears_its_line() -> None:
    tty, pipe = _Tty(), io.StringIO()
    with ticker("computing M^30 exactly", tty, every=0.02):
        time.sleep(0.15)
    with ticker("computing", pipe, every=0.02):
        time.sleep(0.05)
    assert tty.getvalue().startswith("computing M^30 exactly ... 0 s \r")
    assert tty.getvalue().endswith("\r") and pipe.getvalue() == ""


def test_json_root_has_its_value_and_polynomial() -> None:
    import json

    doc = json.loads(eigen("--matrix", "[[0,1,0],[0,0,1],[1,0,1]]", "--exact", "--json"))
    roots = sorted(np.roots([1, -1, 0, -1]), key=lambda z: (z.real, z.imag))
    got = sorted(doc["eigenvalues"], key=lambda e: (e["re"], e["im"]))
    assert [e["root_of"] for e in got] == ["x**3 - x**2 - 1"] * 3
    assert np.allclose([complex(e["re"], e["im"]) for e in got], roots)
