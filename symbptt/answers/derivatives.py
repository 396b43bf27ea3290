"""Derivatives in a `World`: d A / d B as the total derivative through the graph, exact from the
engine's BPTT where `exact` provides it, else by central differences (perturb B where it is
computed, recompute downstream, read A; `fd_used` records this); \\nabla_{W,t} by step t's copy of
W; entries and layouts of the result. A mixin of `truth.World`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from symbptt.answers import exact
from symbptt.answers.evaluate import (
    ComponentRange,
    Evaluator,
    ShapeError,
    Undefined,
    Unknown,
    component,
    to_float,
)
from symbptt.answers.layout import orient
from symbptt.mathtext.ast import Node, Sym, show
from symbptt.model import Role

EPS = 1e-6
#: A vector by one of these (a matrix) is a 3-D tensor: not judged (see `_TENSOR`).
_MATRIX_ROLES = frozenset({Role.INPUT.value, Role.RECURRENT.value, Role.OUTPUT.value})
_TENSOR = (
    "d{num}/d{den} is a vector by a matrix, a 3-D tensor; whether it means the immediate "
    "partial (only the copy of {den} used at that step, as in a chain sum over k) or the total "
    "derivative decides the verdict, and this checker has no tensor contraction: not judged"
)
_TENSOR_COPY = (
    "d{num}/d{den} (the copy of {den} used at that step) is a vector by a matrix, a 3-D "
    "tensor, and this checker has no tensor contraction: not judged"
)


class Derivatives:
    """World methods for derivatives (see the module docstring); the World supplies the slots."""

    overlay: dict[tuple, np.ndarray]
    _fwd: Any
    fd_used: bool
    exact_derivatives: bool
    layout: str
    params: dict[str, np.ndarray]
    names: dict[str, tuple]
    T: int

    def laid_out(self, num: Node, den: Node, ev: Evaluator, scope: dict[str, int]) -> Any:
        """\\frac{\\partial num}{\\partial den} in this world's `layout` (see `layout.orient`)."""
        value = self.derivative(num, den, ev, scope)
        if self.layout == "mixed" or self._is_weight_matrix(den, ev, scope):
            return value  # dL/dW has W's shape in every layout (also W with one column)
        return orient(value, self._eff_shape(num, ev, scope), self._eff_shape(den, ev, scope),
                      self.layout)  # fmt: skip

    def _is_weight_matrix(self, den: Node, ev: Evaluator, scope: dict[str, int]) -> bool:
        base, comps = self._split(den, ev, scope)
        try:
            key = self._slot(base, ev, scope)
        except (ShapeError, Unknown, Undefined):
            return False
        return not comps and key[0] == "param" and self.is_matrix(key[1])

    def is_matrix(self, key: str) -> bool:
        """True for a weight matrix of the model (input, recurrent, output; not a bias)."""
        return key in _MATRIX_ROLES

    def _eff_shape(self, node: Node, ev: Evaluator, scope: dict[str, int]) -> tuple[int, int]:
        """The shape of the quantity differentiated: (1, 1) for an entry such as h_{t,j}."""
        base, comps = self._split(node, ev, scope)
        return (1, 1) if comps else to_float(ev.ev(base, scope)).shape

    def derivative(self, num: Node, den: Node, ev: Evaluator, scope: dict[str, int]) -> Any:
        """Total derivative of num by den through the graph: exact (engine BPTT) where provided."""
        (num, num_c), (den, den_c) = self._split(num, ev, scope), self._split(den, ev, scope)
        if num_c or den_c:
            return self._entry_of(self.derivative(num, den, ev, scope), num, num_c, den, den_c,
                                  ev, scope)  # fmt: skip
        key = self._slot(den, ev, scope)
        if key[0] == "param" and self.is_matrix(key[1]) and self._is_sequence(num):
            raise Unknown(_TENSOR.format(num=show(num), den=show(den)))
        if self.exact_derivatives and not self.overlay:
            what = self.quantity_at(num, ev, scope)
            value = exact.derivative(self, what, key) if what is not None else None
            if value is not None:
                return value
        return self._central(num, key, to_float(ev.ev(den, scope)).shape, den, ev, scope)

    def step_derivative(self, num: Node, wrt: Node, t: int, ev: Evaluator,
                        scope: dict[str, int]) -> Any:  # fmt: skip
        """\\nabla_{W,t} num: the derivative by the copy of parameter W used at step t only."""
        key = self._slot(wrt, ev, scope)
        if key[0] != "param":
            raise ShapeError(f"\\nabla_{{{show(wrt)},t}} needs a parameter, not {show(wrt)}")
        if not 1 <= t <= self.T:
            raise Undefined(f"step {t} does not exist for T = {self.T}")
        if self.is_matrix(key[1]) and self._is_sequence(num):  # dh_k/dW, step k's copy
            raise Unknown(_TENSOR_COPY.format(num=show(num), den=show(wrt)))
        if self.exact_derivatives and not self.overlay:
            what = self.quantity_at(num, ev, scope)
            value = exact.step_term(self, what, key[1], t) if what is not None else None
            if value is not None:
                return value
        shape = self.params[key[1]].shape
        value = self._central(num, ("param_at", key[1], t), shape, wrt, ev, scope)
        if self.layout == "mixed" or not self._is_sequence(num):
            return value
        return orient(value, self._eff_shape(num, ev, scope), shape, self.layout)  # dh_k/db

    def _central(self, num: Node, key: tuple, shape: tuple, den: Node, ev: Evaluator,
                 scope: dict[str, int]) -> Any:  # fmt: skip
        """d num / d (the slot `key`, of this shape) by central differences."""
        cols = self.differences(key, shape, lambda: to_float(ev.ev(num, scope)))
        out_shape = cols[0].shape
        if out_shape == (1, 1):
            return np.array([c[0, 0] for c in cols]).reshape(shape)
        if shape == (1, 1):
            return cols[0]
        if out_shape[1] == 1 and shape[1] == 1:
            return np.hstack(cols)
        raise ShapeError(
            f"d({show(num)})/d({show(den)}): a {out_shape[0]}x{out_shape[1]} quantity by a "
            f"{shape[0]}x{shape[1]} one is not a matrix"
        )

    def differences(self, key: tuple, shape: tuple, value: Callable[[], np.ndarray]) -> list:
        """Central differences of value() by each entry of the slot `key` (of this shape)."""
        self.fd_used = True
        saved, saved_fwd = dict(self.overlay), self._fwd
        cols = []
        try:
            for j in range(int(np.prod(shape))):
                e = np.zeros(shape)
                e.flat[j] = EPS
                vals = []
                for sign in (1.0, -1.0):
                    self.overlay = dict(saved)
                    self.overlay[key] = saved.get(key, 0.0) + sign * e
                    self._fwd = None
                    vals.append(value())
                cols.append((vals[0] - vals[1]) / (2 * EPS))
        finally:
            self.overlay, self._fwd = saved, saved_fwd
            if not saved:
                self._fwd = None
        return cols

    def _entry_of(self, full: Any, num: Node, num_c: tuple, den: Node, den_c: tuple,
                  ev: Evaluator, scope: dict[str, int]) -> Any:  # fmt: skip
        """The entries of d num / d den picked by component indices on either quantity."""
        num_v, den_v = to_float(ev.ev(num, scope)), to_float(ev.ev(den, scope))
        if num_c and num_v.shape == (1, 1) and any(c != 1 for c in num_c):
            raise ComponentRange(f"entry {num_c} of {show(num)} (size 1)")
        if num_v.shape == (1, 1):  # a scalar's gradient is shaped like den
            return component(full, den_c, f"d{show(num)}/d{show(den)}")
        full = to_float(full)
        if num_v.shape[1] != 1 or den_v.shape[1] != 1:
            raise ShapeError(f"entries of d({show(num)})/d({show(den)}) are not supported")
        if num_c:
            if len(num_c) != 1 or not 1 <= num_c[0] <= num_v.shape[0]:
                raise ComponentRange(f"entry {num_c} of {show(num)}")
            full = full[num_c[0] - 1 : num_c[0], :]
        if den_c:
            if len(den_c) != 1 or not 1 <= den_c[0] <= den_v.shape[0]:
                raise ComponentRange(f"entry {den_c} of {show(den)}")
            full = full[:, den_c[0] - 1 : den_c[0]]
        return full[0, 0] if full.shape == (1, 1) else full

    def local_to_total(self, body: Node) -> Node:
        """The same definition with a step loss L_t in a derivative numerator replaced by L."""
        from symbptt.mathtext.ast import Deriv, rebuild

        def fix(node: Node) -> Node:
            if isinstance(node, Deriv) and isinstance(node.num, Sym) and node.num.index:
                if self.names.get(node.num.name) == ("loss",):
                    return Deriv(Sym(node.num.name), node.den)
            return rebuild(node, fix)

        return fix(body)
