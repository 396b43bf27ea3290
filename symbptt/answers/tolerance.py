"""How close is right: the precision the student wrote, or an explicit tolerance.

A decimal the student wrote is right when it is the true value rounded (to nearest, a tie
either way) or truncated (toward zero) to the digits written: 0.0424 and 0.0423 for
0.9^30 = 0.042391...; a written zero (0, 0.0, 0.00) only for an exact zero. A number or matrix
written out is a result: each entry gets its rounding, even when the same digits appear in the
data; after \\approx an integer is rounded too (24 for 23.59). Inside a computed step, numbers
copied from the problem's data (any decimal that also appears in the left-hand side, the
question, `given` or `where`), the base and exponent of a power (0.9 in 0.9^{29}), arguments of
functions (2 in \\sigma(2)), integers and fractions of them are exact inputs; the other decimals
are rounded, and `rounding.rounded_compare` decides whether the step can be the truth. Without
a rounded decimal: exact (rationals) for numeric answers, float64 for symbolic ones: relative
1e-9 when every derivative came from the engine's exact BPTT, 1e-6 when one fell back to
central differences. `relative`, `absolute` and `sigfigs` given in the answer file override all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers.bignum import LogNumber
from symbptt.answers.limits import LimitExceeded
from symbptt.errors import InputError
from symbptt.mathtext.ast import (
    Apply,
    Big,
    Entry,
    Matrix,
    Mul,
    Neg,
    Node,
    Num,
    Pow,
    Sym,
    rebuild,
    walk,
)

FLOAT_RELATIVE = 1e-6  # truth with a central-difference derivative (error about 1e-8 .. 1e-10)
FLOAT_FLOOR = 1e-9
EXACT_RELATIVE = 1e-9  # truth from exact BPTT and float64 algebra (error about 1e-15)
EXACT_FLOOR = 1e-12
MAX_ROUNDED = 24  # rounded decimals inside one computed step (each costs two evaluations)
#: Constructors, not functions: their arguments are entries written out, not data.
_CONSTRUCTORS = {"diag"}


@dataclass(frozen=True)
class Tolerance:
    """kind: 'entries' (per-entry units), 'rounded' (units carried through a computed step),
    'relative', 'absolute', 'sigfigs', 'exact' or 'float'.

    For 'float', value is 'exact' (every derivative exact) or 'fd' (central differences used).
    For 'rounded', value is (units, data, base): the units of the step's rounded decimals (for the
    report), the data values that are exact, and the base for float64 ('exact', 'fd' or 'float')."""

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
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not value > 0
            or not math.isfinite(value)
        ):
            raise InputError(f"tolerance {kind} must be a positive finite number, found {value!r}")
        if kind == "sigfigs" and (int(value) != value or value > 30):
            raise InputError(f"tolerance sigfigs must be a whole number up to 30, found {value!r}")
        return Tolerance(kind, float(value), "given")

    def describe(self) -> str:
        """The tolerance in words, for the report."""
        src = f" ({self.note})" if self.note else ""
        if self.kind == "entries":
            units = sorted({u for u in np.asarray(self.value, dtype=object).flat if u})
            shown = ", ".join(dict.fromkeys(_unit(u) for u in units)) if units else "exact"
            return f"as written: rounded or truncated to the last digit ({shown})"
        if self.kind == "rounded":
            shown = ", ".join(dict.fromkeys(_unit(u) for u in sorted(set(self.value[0]))))
            return (
                f"as written: each computed decimal rounded or truncated to its last digit "
                f"({shown}), carried through the step (its range, exact parts exact)"
            )
        if self.kind == "relative":
            return f"relative {self.value:.3g}{src}"
        if self.kind == "absolute":
            return f"absolute {self.value:.3g}{src}"
        if self.kind == "sigfigs":
            figures = "figure" if int(self.value) == 1 else "figures"
            return f"{int(self.value)} significant {figures}, last digit +-1{src}"
        if self.kind == "exact":
            return "exact (rational arithmetic)"
        if self.value == "exact":
            return f"float64: relative {EXACT_RELATIVE:g} (truth by exact BPTT)"
        return f"float64: relative {FLOAT_RELATIVE:g} (a derivative by central differences)"

    def resolved(self, fd_used: bool) -> Tolerance:
        """A 'float' tolerance made definite by how the truth was computed; others unchanged."""
        if self.kind == "rounded" and self.value[2] != "exact-numeric":
            units, data, _ = self.value
            return Tolerance("rounded", (units, data, "fd" if fd_used else "exact"), self.note)
        if self.kind != "float":
            return self
        return Tolerance("float", "fd" if fd_used else "exact")


def data_values(nodes: Any) -> frozenset[Fraction]:
    """The absolute values of the decimals in the problem's data (left-hand side, question,
    `given`/`where` bodies): the same number written in a step is copied, not rounded."""
    return frozenset(
        abs(n.value) for root in nodes for n in walk(root) if isinstance(n, Num) and n.ulp
    )


def step_tolerance(
    step: Node, symbolic: bool, data: frozenset[Fraction] = frozenset(), approx: bool = False
) -> Tolerance:
    """The default tolerance of one step, from the decimals the student computed and wrote.

    approx: the step follows \\approx, so an integer written out (24) is rounded too."""
    units = _literal_units(step, approx)
    if units is not None:
        if any(u for u in np.asarray(units, dtype=object).flat):
            return Tolerance("entries", units)
        return Tolerance("float" if symbolic else "exact")
    found = rounded_literals(step, data)
    if found:
        if len(found) > MAX_ROUNDED:
            raise LimitExceeded(
                f"{len(found)} rounded decimals inside one computed step (limit {MAX_ROUNDED}); "
                "give a tolerance"
            )
        base = "float" if symbolic else "exact-numeric"
        return Tolerance("rounded", (tuple(n.ulp for _, n in found), data, base))
    return Tolerance("float" if symbolic else "exact")


def rounded_literals(step: Node, data: frozenset[Fraction]) -> list[tuple[int, Num]]:
    """(position, literal) of every decimal in the step that the student rounded: not data, not
    in a power, a function's argument or an index. Positions count the step's Num nodes."""
    out: list[tuple[int, Num]] = []
    mantissas = _mantissas(step)

    def visit(num: Num, pos: int, exact: bool) -> Num:
        if not exact and id(num) in mantissas:  # 2 \\times 10^{-45757490561}: unit 1 of the 2
            num = Num(num.value, num.text, 1, Fraction(1))
        if not exact and num.ulp and num.value != 0 and abs(num.value) not in data:
            out.append((pos, num))
        return num

    _map_nums(step, visit)
    return out


def _mantissas(step: Node) -> set[int]:
    """ids of the integer mantissas of scientific notation the parser left unfolded (an
    exponent past the limit): rounded to their last digit like 2 \\times 10^{-5} is."""
    out = set()
    for n in walk(step):
        if (
            isinstance(n, Mul)
            and isinstance(n.a, Num)
            and n.a.ulp is None
            and n.a.value != 0
            and isinstance(n.b, Pow)
            and isinstance(n.b.base, Num)
            and n.b.base.value == 10
            and isinstance(n.b.exp.a if isinstance(n.b.exp, Neg) else n.b.exp, Num)
        ):
            out.add(id(n.a))
    return out


def perturbed(step: Node, pos: int, delta: Fraction) -> Node:
    """The step with its literal number `pos` (see `rounded_literals`) moved by delta."""

    def visit(num: Num, at: int, exact: bool) -> Num:
        if at != pos:
            return num
        return Num(num.value + delta, num.text, num.sig, num.ulp)

    return _map_nums(step, visit)


def _map_nums(step: Node, fn: Any) -> Node:
    """Rebuild step with fn(num, position, exact_context) for each Num, in one fixed order."""
    counter = [0]

    def go(node: Node, exact: bool) -> Node:
        if isinstance(node, Num):
            pos = counter[0]
            counter[0] += 1
            return fn(node, pos, exact)
        if isinstance(node, Pow):
            return Pow(go(node.base, True), go(node.exp, True))
        if isinstance(node, Apply) and node.name not in _CONSTRUCTORS:
            return rebuild(node, lambda c: go(c, True))
        if isinstance(node, Sym):  # indices are integers anyway
            return rebuild(node, lambda c: go(c, True))
        if isinstance(node, Entry):
            return Entry(go(node.base, exact), tuple(go(c, True) for c in node.comps))
        if isinstance(node, Big):
            lo, hi = go(node.lo, True), go(node.hi, True)
            return replace(node, lo=lo, hi=hi, body=go(node.body, exact))
        return rebuild(node, lambda c: go(c, exact))

    return go(step, False)


def _literal_units(step: Node, approx: bool = False) -> Any:
    """Per-entry last-digit units if the step is a number, a matrix or a diag(...) of numbers.

    A value written out is a result, never an input: each decimal gets its rounding even when
    the same digits appear in the data. A written zero (0.00) is exact; after \\approx an
    integer is rounded to its last digit (unit 1)."""

    def unit(n: Node) -> Fraction | None:
        if isinstance(n, Neg):
            n = n.a
        if isinstance(n, Num):
            if n.value == 0:
                return Fraction(0)
            if n.ulp is None:
                return Fraction(1) if approx and n.value.denominator == 1 else Fraction(0)
            return n.ulp
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


def compare(got: Any, want: Any, tol: Tolerance, extra: Any = None) -> tuple[bool, str]:
    """(True, '') if got is within tol of want, else (False, why) with both values.

    extra: an extra entry-wise bound added to the tolerance (None: none)."""
    g, w = _as2d(got), _as2d(want)
    if g.shape != w.shape:
        return False, f"shape {g.shape[0]}x{g.shape[1]}, expected {w.shape[0]}x{w.shape[1]}"
    exact = g.dtype == object and w.dtype == object
    if not exact:
        g, w = g.astype(float), w.astype(float)
        if not (np.isfinite(g).all() and np.isfinite(w).all()):
            return False, "not finite (overflow)"
    if tol.kind == "entries":
        return _compare_written(g, w, tol.value, exact)
    diff = np.abs(g - w)
    bound = _bound(w, tol, exact)
    if extra is not None:
        e = _as2d(extra)
        if e.shape == w.shape:
            bound = bound + (e if exact and e.dtype == object else e.astype(float))
    ok = bool(np.all(diff <= bound))
    if ok:
        return True, ""
    return False, f"value {_fmt(g)}, expected {_fmt(w)}{_sign_note(g, w) or _huge_note(g, w)}"


def _huge_note(g: np.ndarray, w: np.ndarray) -> str:
    """For huge powers that print alike: the exact difference of the first differing entry."""
    if not any(isinstance(x, LogNumber) for a in (g, w) for x in a.flat):
        return ""
    for x, y in zip(g.flat, w.flat, strict=True):
        d = LogNumber.of(x) - LogNumber.of(y)
        if d.sign:
            return f" (they differ by {d}, exactly: the terms do not cancel)"
    return ""


def _compare_written(g: np.ndarray, w: np.ndarray, units: Any, exact: bool) -> tuple[bool, str]:
    """Numbers written out: each entry is the truth rounded (to nearest, ties either way) or
    truncated (toward zero) to its last digit; an entry with unit 0 is exact."""
    if units.shape != w.shape:
        units = np.full(w.shape, max(units.flat), dtype=object)
    noise = 0 if exact else 1e-12 * float(max(abs(x) for x in w.flat))
    for idx, x in np.ndenumerate(w):
        if not written_ok(g[idx], x, units[idx], noise):
            why = f"value {_fmt(g)}, expected {_fmt(w)}{_sign_note(g, w)}"
            if units[idx]:
                why += f" (entry {_fmt(np.array([[g[idx]]]))} is not {_fmt(np.array([[x]]))}"
                why += f" rounded or truncated to {_unit(units[idx])})"
            elif g[idx] == 0 and not _sign_note(g, w):
                why += " (a written zero is right only for an exact zero)"
            return False, why
    return True, ""


def written_ok(v: Any, x: Any, u: Any, noise: Any = 0) -> bool:
    """True if v, written with last-digit unit u (0: exact), is x rounded or truncated."""
    if not u:
        return bool(abs(x - v) <= noise)
    if not exact_types(v, x, u):
        v, x, u = float(v), float(x), float(u)
    if abs(x - v) <= u / 2 + noise:  # rounded to nearest (a tie either way)
        return True
    if v > 0:  # truncated toward zero: v <= x < v + u
        return bool(v - noise <= x < v + u + noise)
    return bool(v - u - noise < x <= v + noise)


def exact_types(*xs: Any) -> bool:
    """True if all are exact numbers (int, Fraction or a huge power)."""
    return all(isinstance(x, int | Fraction | LogNumber) for x in xs)


def _sign_note(g: np.ndarray, w: np.ndarray) -> str:
    """For a huge or tiny power (see `bignum`): say so when the sign alone settles it."""
    if g.shape != (1, 1) or not any(isinstance(x, LogNumber) for x in (g[0, 0], w[0, 0])):
        return ""
    sg, sw = LogNumber.of(g[0, 0]).sign, LogNumber.of(w[0, 0]).sign
    if sg == sw:
        return ""
    word = {1: "positive", -1: "negative", 0: "zero"}[sw]
    return f" (the sign alone settles it: the left-hand side is {word})"


def _bound(w: np.ndarray, tol: Tolerance, exact: bool) -> Any:
    scale = max(abs(x) for x in w.flat)
    if tol.kind == "entries":
        units = tol.value
        if units.shape != w.shape:
            units = np.full(w.shape, max(units.flat), dtype=object)
        return units if exact else units.astype(float) + 1e-12 * float(scale)
    if tol.kind == "rounded":
        if exact:
            return 0
        rel = FLOAT_RELATIVE if tol.value[2] == "fd" else EXACT_RELATIVE
        return rel * float(scale) + (FLOAT_FLOOR if tol.value[2] == "fd" else EXACT_FLOOR)
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


def _unit(u: Any) -> str:
    """One last-digit unit in short form, also beyond float64 (10^400 as text)."""
    try:
        return f"{float(u):g}"
    except OverflowError:
        return str(LogNumber.of(u))


def _as2d(v: Any) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    exact = isinstance(v, Fraction | int | LogNumber)
    return np.array([[v]], dtype=object if exact else float)


def _fmt(a: np.ndarray) -> str:
    def one(x: Any, digits: int) -> str:
        if isinstance(x, LogNumber):
            return str(x)
        try:
            return f"{float(x):.{digits}g}"
        except OverflowError:  # an exact value beyond float64, such as 3 \times 10^{400}
            return str(LogNumber.of(x))

    if a.shape == (1, 1):
        return one(a[0, 0], 6)
    rows = ["[" + ", ".join(one(x, 4) for x in row) + "]" for row in a]
    return "[" + ", ".join(rows) + "]"
