"""Numbers for the printed-statement test: one model instance run from its own equations.

`Net` is a numpy loop of the published forward equations with central differences for every
derivative; `Evaluator` gives numbers to the SymPy statement trees of `symbptt.symbolic.general`.
Neither uses the engine, the symbolic core's algebra or its output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symbptt.model import Model, Role
from symbptt.symbolic import general

EPS = 1e-6

# ---------------------------------------------------------------- the model's own equations


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-a))


#: f and f' from their definitions; 'generic' is any f: here sin(a) + a/2 (not the engine's tanh)
ACT: dict[str, tuple[Callable, Callable]] = {
    "tanh": (np.tanh, lambda a: 1 / np.cosh(a) ** 2),
    "sigmoid": (_sigmoid, lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0).astype(float)),
    "identity": (lambda a: a, np.ones_like),
    "generic": (lambda a: np.sin(a) + a / 2, lambda a: np.cos(a) + 0.5),
}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


OUT: dict[str, Callable] = {"softmax": _softmax, "sigmoid": _sigmoid, "identity": lambda z: z}


class Net:
    """One random instance: parameters, inputs, targets; forward runs with perturbations."""

    def __init__(self, model: Model, T: int, n: int, m: int, k: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.model, self.T, self.n, self.m, self.k = model, T, n, m, k
        shapes = {Role.INPUT: (n, m), Role.RECURRENT: (n, n), Role.HIDDEN_BIAS: (n, 1),
                  Role.OUTPUT: (k, n), Role.OUTPUT_BIAS: (k, 1)}  # fmt: skip
        self.P = {r: rng.normal(0, 0.7, shapes[r]) for r in model.roles}
        self.x = {t: rng.normal(0, 1, (m, 1)) for t in range(1, T + 1)}
        self.h0 = rng.normal(0, 0.5, (n, 1))
        rows = k if model.has_output_layer else n
        y = {t: rng.uniform(0.1, 1, (rows, 1)) for t in range(1, T + 1)}
        if model.loss == "cross_entropy":
            y = {t: v / v.sum() for t, v in y.items()}
        self.y = y  # targets, or the weights a_t of a generic loss
        self.f, self.fp = ACT[model.activation]
        self._memo: dict[tuple, Any] = {}

    def run(self, bump: tuple | None = None, params: dict | None = None,
            copy: tuple | None = None) -> dict[str, dict[int, np.ndarray]]:  # fmt: skip
        """net, h, z, yhat by t; `bump` = (quantity, t, d) adds d where it is computed; `copy` =
        (role, t, d) perturbs only the copy of a parameter used at step t."""
        P = params or self.P
        out: dict[str, dict[int, np.ndarray]] = {"net": {}, "h": {}, "z": {}, "yhat": {}}

        def add(q: str, t: int, v: np.ndarray) -> np.ndarray:
            return v + bump[2] if bump and bump[0] == q and bump[1] == t else v

        def par(role: Role, t: int) -> np.ndarray:
            base = P[role]
            return base + copy[2] if copy and copy[0] == role and copy[1] == t else base

        h = add("h", 0, self.h0)
        out["h"][0] = h
        for t in range(1, self.T + 1):
            a = par(Role.RECURRENT, t) @ h + par(Role.INPUT, t) @ self.x[t]
            if Role.HIDDEN_BIAS in P:
                a = a + par(Role.HIDDEN_BIAS, t)
            a = add("net", t, a)
            h = add("h", t, self.f(a))
            out["net"][t], out["h"][t] = a, h
            if self.model.has_output_layer:
                z = par(Role.OUTPUT, t) @ h
                if Role.OUTPUT_BIAS in P:
                    z = z + par(Role.OUTPUT_BIAS, t)
                z = add("z", t, z)
                out["z"][t], out["yhat"][t] = z, OUT[self.model.output](z)
        return out

    def step_loss(self, r: dict, t: int) -> float:
        """E_t from its definition (a generic loss: sum_j a_j sin(v_j) of the output or state)."""
        loss, y = self.model.loss, self.y[t]
        if loss == "cross_entropy":
            return float(-(y * np.log(r["yhat"][t])).sum())
        if loss == "squared_error":
            return float(0.5 * ((r["yhat"][t] - y) ** 2).sum())
        if loss == "binary_cross_entropy":
            p = r["yhat"][t]
            return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum())
        v = r["yhat"][t] if self.model.has_output_layer else r["h"][t]
        return float((y * np.sin(v)).sum())

    def loss(self, r: dict, of: int | None) -> float:
        """E (of=None: every step, or E_T) or the step loss E_of."""
        if of is not None:
            return self.step_loss(r, of)
        steps = range(1, self.T + 1) if self.model.loss_at == "every" else [self.T]
        return sum(self.step_loss(r, t) for t in steps)

    # central differences -----------------------------------------------------------------
    def _fd(self, value: Callable[[np.ndarray], Any], shape: tuple) -> list:
        cols = []
        for j in range(int(np.prod(shape))):
            e = np.zeros(shape)
            e.flat[j] = EPS
            cols.append((np.asarray(value(e)) - np.asarray(value(-e))) / (2 * EPS))
        return cols

    def d_loss(self, q: str, t: int, of: int | None) -> np.ndarray:
        """d E (or E_of) / d q_t, q in net, h, z; zero where q_t does not exist."""
        key = ("dl", q, t, of)
        if key not in self._memo:
            rows = self.k if q == "z" else self.n
            low = 0 if q == "h" else 1
            if not low <= t <= self.T or (q == "z" and not self.model.has_output_layer):
                self._memo[key] = np.zeros((rows, 1))
            else:
                cols = self._fd(lambda e: self.loss(self.run(bump=(q, t, e)), of), (rows, 1))
                self._memo[key] = np.array(cols).reshape(rows, 1)
        return self._memo[key]

    def d_param(self, role: Role, of: int | None, copy: int | None = None) -> np.ndarray:
        """d E (or E_of) / d P, through every step or only the copy used at step `copy`."""
        key = ("dp", role, of, copy)
        if key not in self._memo:
            shape = self.P[role].shape

            def value(e: np.ndarray) -> float:
                if copy is not None:
                    return self.loss(self.run(copy=(role, copy, e)), of)
                return self.loss(self.run(params={**self.P, role: self.P[role] + e}), of)

            self._memo[key] = np.array(self._fd(value, shape)).reshape(shape)
        return self._memo[key]

    def jac(self, t: int, k: int) -> np.ndarray:
        """d h_t / d h_k (rows: entries of h_t), by central differences."""
        key = ("jac", t, k)
        if key not in self._memo:
            cols = self._fd(lambda e: self.run(bump=("h", k, e))["h"][t], (self.n, 1))
            self._memo[key] = np.hstack(cols)
        return self._memo[key]

    def delta(self, *idx: int) -> np.ndarray:
        """The text's error term by its declared convention (docs/architecture.md)."""
        conv = self.model.delta
        if conv == "net":  # dE/dnet_t
            return self.d_loss("net", idx[0], None)
        if conv == "per_step":  # dE_t/dnet_k
            return self.d_loss("net", idx[1], idx[0])
        return self.d_loss("h", idx[0], idx[0])  # dL_t/dh_t, local

    def total_error(self, t: int) -> np.ndarray:
        return self.d_loss("net", t, None)

    def output_error(self, t: int) -> np.ndarray:
        return self.d_loss("z", t, t)

    def betas(self) -> tuple[float, float]:
        """||W||_2 and the largest |f'| on this run (valid bounds for this instance)."""
        r = self.run()
        return (float(np.linalg.norm(self.P[Role.RECURRENT], 2)),
                max(float(np.abs(self.fp(r["net"][t])).max()) for t in r["net"]))  # fmt: skip


# ---------------------------------------------------------------- evaluating general statements


class Undefined(Exception):
    """A quantity outside 0..T (h_{T+1}): the statement is not claimed there."""


class Evaluator:
    """Numbers for the SymPy statement trees of `symbptt.symbolic.general` on one `Net`."""

    def __init__(self, net: Net) -> None:
        self.net, self.nt = net, net.model.notation
        self.run = net.run()
        self.bW, self.bf = net.betas()

    def idx(self, e: Any, scope: dict) -> int:
        return int(sp.sympify(e).subs({sp.Symbol(k, integer=True, positive=True): v
                                       for k, v in scope.items()}))  # fmt: skip

    def seq(self, s: general.Seq, scope: dict) -> Any:
        nt, net = self.nt, self.net
        idx = [self.idx(i, scope) for i in s.indices]
        names = {nt.input.ascii: "x", nt.state.ascii: "h", nt.preactivation.ascii: "net",
                 nt.output_preactivation.ascii: "z", nt.output.ascii: "yhat",
                 nt.target.ascii: "y"}  # fmt: skip
        if s.name == nt.delta.ascii:
            if s.name in names:
                raise AssertionError("the delta shares a name")
            if net.model.delta == "net" and idx[0] == net.T + 1:
                return net.delta(idx[0])  # dE/dnet_{T+1}: nothing depends on it, zero
            if not all(1 <= i <= net.T for i in idx):
                raise Undefined(s)
            return net.delta(*idx)
        if s.name in (nt.loss.ascii, nt.step_loss.ascii) and s.shape == (1, 1):
            if not idx:
                return net.loss(self.run, None)
            if not 1 <= idx[0] <= net.T:
                raise Undefined(s)
            return net.step_loss(self.run, idx[0])
        q = names[s.name]
        if q == "x":
            table = net.x
        elif q == "y":
            table = net.y
        else:
            table = self.run[q]
        if idx[0] not in table:
            raise Undefined(s)
        return table[idx[0]]

    def partial(self, p: general.Partial, scope: dict) -> np.ndarray:
        num, den = p.args
        net, nt = self.net, self.nt
        if isinstance(den, general.Param):
            assert not num.indices, "a step loss by a parameter is not printed"
            return net.d_param(den.role, None)
        q = {nt.state.ascii: "h", nt.preactivation.ascii: "net",
             nt.output_preactivation.ascii: "z"}[den.name]  # fmt: skip
        (t,) = (self.idx(i, scope) for i in den.indices)
        if num.name == nt.state.ascii:  # d h_t / d h_k
            assert q == "h"
            (tt,) = (self.idx(i, scope) for i in num.indices)
            if not (0 <= t <= net.T and 0 <= tt <= net.T):
                raise Undefined(p)
            return net.jac(tt, t)
        of = self.idx(num.indices[0], scope) if num.indices else None
        if of is not None and not 1 <= of <= net.T:
            raise Undefined(p)
        return net.d_loss(q, t, of)

    def func(self, e: general.Elementwise, scope: dict) -> np.ndarray:
        arg = self.ev(e.arg, scope)
        if e.function == self.nt.activation.ascii:
            return (self.net.f, self.net.fp)[e.order](arg)
        assert e.function == self.net.model.output and e.order == 0, e
        return OUT[e.function](arg)

    def ev(self, e: Any, scope: dict) -> Any:  # noqa: C901, PLR0911, PLR0912 - one case a node
        if isinstance(e, general.Param):
            return self.net.P[e.role]
        if isinstance(e, general.Seq):
            return self.seq(e, scope)
        if isinstance(e, general.Partial):
            return self.partial(e, scope)
        if isinstance(e, general.Elementwise):
            return self.func(e, scope)
        if isinstance(e, general.Norm):
            return float(np.linalg.norm(self.ev(e.args[0], scope), 2))
        if isinstance(e, general.InOrder):
            return float(np.prod([self.ev(a, scope) for a in e.args]))
        if isinstance(e, general.MatProduct):
            i, lo, hi = e.limits
            lo, hi = self.idx(lo, scope), self.idx(hi, scope)
            out = np.eye(self.net.n)
            for v in range(hi, lo - 1, -1):  # the factor for i = hi leftmost
                out = out @ self.ev(e.term, {**scope, str(i): v})
            return out
        if isinstance(e, sp.Sum):
            return self._sum(e.function, list(e.limits), scope)
        if isinstance(e, sp.Transpose):
            return self.ev(e.arg, scope).T
        if isinstance(e, DiagMatrix):
            return np.diagflat(self.ev(e.args[0], scope))
        if isinstance(e, sp.HadamardProduct):
            return np.prod([self.ev(a, scope) for a in e.args], axis=0)
        if isinstance(e, sp.MatMul | sp.Mul):
            out = 1.0
            for a in e.args:
                v = self.ev(a, scope)
                out = out @ v if np.ndim(out) and np.ndim(v) else out * v
            return out
        if isinstance(e, sp.MatAdd | sp.Add):
            return sum(self.ev(a, scope) for a in e.args)
        if isinstance(e, sp.ZeroMatrix):
            return 0.0
        if isinstance(e, sp.Pow):
            return self.ev(e.base, scope) ** self.ev(e.exp, scope)
        if isinstance(e, sp.Symbol):
            if e.name.startswith("\\beta_"):
                return self.bf if e.name == r"\beta_{f}" else self.bW
            return scope[e.name]
        if isinstance(e, sp.Number):
            return float(e)
        raise TypeError(f"no numeric meaning in this test for {type(e).__name__}: {e}")

    def _sum(self, body: Any, limits: list, scope: dict) -> Any:
        (var, lo, hi), inner = limits[-1], limits[:-1]  # SymPy lists the innermost first
        total = 0.0
        for v in range(self.idx(lo, scope), self.idx(hi, scope) + 1):
            s = {**scope, str(var): v}
            total = total + (self._sum(body, inner, s) if inner else self.ev(body, s))
        return total
