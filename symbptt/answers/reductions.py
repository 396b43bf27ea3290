"""The evaluator's reductions: \\sum and \\prod, \\max and \\min, entries (a_{ij}) and how far an
index runs, norms, |...| and spectra (\\rho, \\lambda_i, \\sigma_{\\max}).

A mixin of `Evaluator`: its methods call the evaluator's ev, index, _plus, _times and _check.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symbptt.answers import norms
from symbptt.answers.limits import MAX_DIM, LimitExceeded
from symbptt.answers.values import (
    EXTENT,
    ComponentRange,
    NotExact,
    ShapeError,
    Undefined,
    Unknown,
    Value,
    component,
    dims,
    identity,
    is_array,
    is_spectral,
    scalar,
    scalar_like,
)
from symbptt.mathtext.ast import (
    Abs,
    Apply,
    Big,
    Entries,
    Entry,
    Node,
    Norm,
    Sym,
    show,
)


class Reductions:
    """Evaluator methods over a range of an index or the entries of a value (see `Evaluator`)."""

    env: Any
    exact: bool
    _complex_ok: bool

    def _Big(self, node: Big, scope: dict[str, int]) -> Value:
        if node.op in ("max", "min"):
            return self._extreme(node, scope)
        lo = self.index(node.lo, scope)
        hi = self._run(node, scope) if node.hi == Sym(EXTENT) else self.index(node.hi, scope)
        if hi - lo > 1000:
            raise LimitExceeded(f"\\{node.op} over {hi - lo + 1} terms (limit 1000)")
        acc: Value = None
        order = range(lo, hi + 1)
        if node.op == "prod" and getattr(self.env, "product_order", "increasing") == "decreasing":
            order = range(hi, lo - 1, -1)
        for i in order:
            inner = dict(scope)
            inner[node.var] = i
            v = self.ev(node.body, inner)
            if acc is None:
                acc = v
            elif node.op == "sum":
                acc = self._plus(acc, v, node, 1)
            else:
                acc = self._times(acc, v, node)
        if acc is None:
            if node.op == "sum":
                return Fraction(0) if self.exact else 0.0
            return identity(self.env.n, self.exact)
        return acc

    def _Entry(self, node: Entry, scope: dict[str, int]) -> Value:
        comps = tuple(self.index(c, scope) for c in node.comps)
        return component(self.ev(node.base, scope), comps, show(node.base))

    def _Entries(self, node: Entries, scope: dict[str, int]) -> Value:
        sizes = [self._extent(node, v, scope) for v in node.vars]
        cells: list[list[Value]] = []
        for r in range(1, sizes[0] + 1):
            row = []
            for c in range(1, (sizes[1] if len(sizes) > 1 else 1) + 1):
                inner = dict(scope)
                inner[node.vars[0]] = r
                if len(sizes) > 1:
                    inner[node.vars[1]] = c
                v = self.ev(node.body, inner)
                if not scalar_like(v):
                    raise ShapeError(f"{show(node)}: an entry must be a number, found {dims(v)}")
                row.append(scalar(v))
            cells.append(row)
        return self._check(np.array(cells, dtype=object if self.exact else float))

    def _run(self, node: Big, scope: dict[str, int]) -> int:
        """How far an entry index of a \\sum without limits runs: the extent of its entries."""
        return self._last(node, node.body, node.var, dict(scope))

    def _extent(self, node: Entries, var: str, scope: dict[str, int]) -> int:
        """How far `var` runs: the first value at which an entry index leaves its quantity."""
        probe = dict(scope)
        probe.update({v: 1 for v in node.vars})
        return self._last(node, node.body, var, probe)

    def _last(self, node: Node, body: Node, var: str, probe: dict[str, int]) -> int:
        """The last value of var (from 1) at which body's entry indices stay in range."""
        for size in range(1, MAX_DIM + 2):
            probe[var] = size
            try:
                self.ev(body, dict(probe))
            except ComponentRange:
                if size == 1:
                    raise
                return size - 1
        raise LimitExceeded(f"{show(node)}: {var} runs past {MAX_DIM}")

    def _modulus_arg(self, node: Node, scope: dict[str, int]) -> Value:
        """The argument of |...| or \\|...\\|: an eigenvalue there may be complex."""
        saved = self._complex_ok
        self._complex_ok = is_spectral(node)
        try:
            return self.ev(node, scope)
        finally:
            self._complex_ok = saved

    def _Norm(self, node: Norm, scope: dict[str, int]) -> Value:
        v = self._modulus_arg(node.a, scope)
        if norms.is_complex(v):
            if is_array(v):
                raise ShapeError(f"{show(node)}: a norm of complex entries")
            return abs(v)
        try:
            return norms.norm(v, node.p, exact=self.exact)
        except norms.NeedsFloat:
            raise NotExact from None

    def _Abs(self, node: Abs, scope: dict[str, int]) -> Value:
        v = self._modulus_arg(node.a, scope)
        if not scalar_like(v):
            raise ShapeError(
                f"{show(node)}: |...| of a {dims(v)} value (write \\|...\\| for a norm)"
            )
        return abs(scalar(v))

    def _spectral(self, node: Apply, scope: dict[str, int]) -> Value:
        """\\rho(A), \\sigma_{\\max}(A), \\lambda_i(A), ...; a bare \\lambda_i is of the model's W."""
        if node.name == "\\rho" and self.env.has("\\rho"):  # \\rho defined by the answer: a product
            rho = self.env.lookup("\\rho", (), self)
            return self._times(rho, self.ev(node.args[0], scope), node)
        if self.exact:
            raise NotExact
        target = node.args[0]
        if target == Sym("\\lambda"):
            matrix = getattr(self.env, "spectral_matrix", None)
            if matrix is None:
                raise Unknown("\\lambda_i: eigenvalues of which matrix? write \\lambda_i(W)")
            value = matrix(self)
        else:
            value = self.ev(target, scope)
        index = self.index(node.args[1], scope) if len(node.args) > 1 else None
        try:
            out = norms.spectral(node.name, value, index)
        except norms.SpectralError as exc:
            raise ShapeError(f"{show(node)}: {exc}") from None
        if out is None:
            raise ComponentRange(f"{show(node)}: index {index} out of range")
        if isinstance(out, complex) and not self._complex_ok:
            raise Unknown(f"{show(node)} is complex here; compare its modulus |...| instead")
        return out

    def _extreme(self, node: Big, scope: dict[str, int]) -> Value:
        """\\max_i / \\min_i body: over lo..hi, or (hi = \\infty) while body's index exists."""
        lo = self.index(node.lo, scope)
        bounded = node.hi != Sym("\\infty")
        hi = self.index(node.hi, scope) if bounded else lo + MAX_DIM
        if hi - lo > 1000:
            raise LimitExceeded(f"\\{node.op} over {hi - lo + 1} values (limit 1000)")
        vals = []
        for i in range(lo, hi + 1):
            inner = dict(scope)
            inner[node.var] = i
            try:
                v = scalar(self.ev(node.body, inner))
            except (ComponentRange, Undefined):  # past the end of the index's range
                if bounded:
                    raise
                break
            if is_array(v) or norms.is_complex(v):
                raise ShapeError(
                    f"{show(node)}: \\{node.op} of numbers only (found a {dims(v)} value)"
                )
            vals.append(v)
        if not vals:
            raise Undefined(f"{show(node)}: no value of {node.var}")
        if not bounded and len(vals) == hi - lo + 1:  # the body never left its range
            how = f"\\{node.op}_{{{node.var}=1}}^{{n}}"
            raise Unknown(f"{show(node)}: {node.var} has no range here; write {how}")
        return max(vals) if node.op == "max" else min(vals)
