"""How close is right: the precision the student wrote, or an explicit tolerance.

Default for a number or matrix written out: each entry may be off by one unit in its last digit
(0.0424 is right for 0.9^30 = 0.042391...). For a computed step that contains decimals, the
relative precision of its least precise decimal, norm-wise. Without decimals: exact (rationals)
for numeric answers, float64 for symbolic ones: relative 1e-9 when every derivative came from the
engine's exact BPTT, 1e-6 when one fell back to central differences. `relative`, `absolute` and
`sigfigs` given in the answer file override all this.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers.ast import Apply, Matrix, Neg, Node, Num, walk
from symbptt.errors import InputError

FLOAT_RELATIVE = 1e-6  # truth with a central-difference derivative (error about 1e-8 .. 1e-10)
FLOAT_FLOOR = 1e-9
EXACT_RELATIVE = 1e-9  # truth from exact BPTT and float64 algebra (error about 1e-15)
EXACT_FLOOR = 1e-12


@dataclass(frozen=True)
class Tolerance:
    """kind: 'entries' (per-entry units), 'relative', 'absolute', 'sigfigs', 'exact' or 'float'.

    For 'float', value is 'exact' (every derivative exact) or 'fd' (central differences used)."""

    kind: str
    value: Any = None
    note: str = ""

    @staticmethod
    def from_spec(spec: dict[str, Any]) -> Tolerance:
        """From an answer file's `tolerance: {relative: 1e-3}` (or absolute / sigfigs)."""
        if not isinstance(spec, dict) or len(spec) != 1:
            raise InputError("tolerance must be one of {relative: r}, {absolute: a}, {sigfigs: N}")
        ((kind, value),) = spec.items()
        if kind not in ("relative", "absolute", "sigfigs"):
            raise InputError(f"tolerance kind {kind!r}; expected relative, absolute or sigfigs")
        if isinstance(value, str) and re.fullmatch(r"\s*\d+(\.\d*)?([eE][+-]?\d+)?\s*", value):
            value = float(value)  # YAML 1.1 reads 1e-3 (no dot) as text
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InputError(f"tolerance {kind} must be a positive number, found {value!r}")
        if kind == "sigfigs" and (int(value) != value or value > 30):
            raise InputError(f"tolerance sigfigs must be a whole number up to 30, found {value!r}")
        return Tolerance(kind, float(value), "given")

    def describe(self) -> str:
        """The tolerance in words, for the report."""
        src = f" ({self.note})" if self.note else ""
        if self.kind == "entries":
            units = sorted({float(u) for u in np.asarray(self.value, dtype=object).flat if u})
            shown = ", ".join(f"{u:g}" for u in units) if units else "exact"
            return f"as written: +-1 in the last digit ({shown})"
        if self.kind == "relative":
            return f"relative {self.value:.3g}{src}"
        if self.kind == "absolute":
            return f"absolute {self.value:.3g}{src}"
        if self.kind == "sigfigs":
            return f"{int(self.value)} significant figures, last digit +-1{src}"
        if self.kind == "exact":
            return "exact (rational arithmetic)"
        if self.value == "exact":
            return f"float64: relative {EXACT_RELATIVE:g} (truth by exact BPTT)"
        return f"float64: relative {FLOAT_RELATIVE:g} (a derivative by central differences)"

    def resolved(self, fd_used: bool) -> Tolerance:
        """A 'float' tolerance made definite by how the truth was computed; others unchanged."""
        if self.kind != "float":
            return self
        return Tolerance("float", "fd" if fd_used else "exact")


def step_tolerance(step: Node, symbolic: bool) -> Tolerance:
    """The default tolerance of one step, from the decimals the student wrote in it."""
    units = _literal_units(step)
    if units is not None and any(u for u in np.asarray(units, dtype=object).flat):
        return Tolerance("entries", units)
    worst = 0.0
    for node in walk(step):
        if isinstance(node, Num) and node.ulp is not None and node.value:
            worst = max(worst, float(node.ulp / abs(node.value)))
    if worst:
        return Tolerance("relative", worst, "as written: the least precise decimal in the step")
    return Tolerance("float" if symbolic else "exact")


def _literal_units(step: Node) -> Any:
    """Per-entry last-digit units if the step is a number, a matrix or a diag(...) of numbers."""

    def unit(n: Node) -> Fraction | None:
        if isinstance(n, Neg):
            n = n.a
        if isinstance(n, Num):
            return n.ulp if n.ulp is not None else Fraction(0)
        return None

    if isinstance(step, Matrix):
        cells = [[unit(c) for c in row] for row in step.rows]
        if any(u is None for row in cells for u in row):
            return None
        return np.array(cells, dtype=object)
    if isinstance(step, Apply) and step.name == "diag" and not step.deriv and len(step.args) > 1:
        # diag(0.0424, 1.153e-12) is a matrix written out: each diagonal entry to its own last
        # digit, the zeros off the diagonal exact
        diag = [unit(a) for a in step.args]
        if any(u is None for u in diag):
            return None
        out = np.full((len(diag), len(diag)), Fraction(0), dtype=object)
        for i, u in enumerate(diag):
            out[i, i] = u
        return out
    u = unit(step)
    return None if u is None else np.array([[u]], dtype=object)


def compare(got: Any, want: Any, tol: Tolerance) -> tuple[bool, str]:
    """(True, '') if got is within tol of want, else (False, why) with both values."""
    g, w = _as2d(got), _as2d(want)
    if g.shape != w.shape:
        return False, f"shape {g.shape[0]}x{g.shape[1]}, expected {w.shape[0]}x{w.shape[1]}"
    exact = g.dtype == object and w.dtype == object
    if not exact:
        g, w = g.astype(float), w.astype(float)
        if not (np.isfinite(g).all() and np.isfinite(w).all()):
            return False, "not finite (overflow)"
    diff = np.abs(g - w)
    bound = _bound(w, tol, exact)
    ok = bool(np.all(diff <= bound))
    if ok:
        return True, ""
    return False, f"value {_fmt(g)}, expected {_fmt(w)}"


def _bound(w: np.ndarray, tol: Tolerance, exact: bool) -> Any:
    scale = max(abs(x) for x in w.flat)
    if tol.kind == "entries":
        units = tol.value
        if units.shape != w.shape:
            units = np.full(w.shape, max(units.flat), dtype=object)
        return units if exact else units.astype(float) + 1e-12 * float(scale)
    if tol.kind == "relative":
        return (Fraction(str(tol.value)) if exact else tol.value) * scale
    if tol.kind == "absolute":
        return Fraction(str(tol.value)) if exact else tol.value
    if tol.kind == "sigfigs":
        N = int(tol.value)
        out = np.empty(w.shape, dtype=object)
        for idx, x in np.ndenumerate(w):
            e = math.floor(math.log10(abs(float(x)))) if x else -300
            out[idx] = Fraction(10) ** (e - N + 1) if exact else 10.0 ** (e - N + 1)
        return out if exact else out.astype(float)
    if tol.kind == "exact":
        return 0 if exact else 1e-12 * float(scale)
    if tol.value == "exact":
        return EXACT_RELATIVE * float(scale) + EXACT_FLOOR
    return FLOAT_RELATIVE * float(scale) + FLOAT_FLOOR


def _as2d(v: Any) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    return np.array([[v]], dtype=object if isinstance(v, Fraction | int) else float)


def _fmt(a: np.ndarray) -> str:
    vals = a.astype(float)
    if vals.shape == (1, 1):
        return f"{vals[0, 0]:.6g}"
    rows = ["[" + ", ".join(f"{x:.4g}" for x in row) + "]" for row in vals]
    return "[" + ", ".join(rows) + "]"
