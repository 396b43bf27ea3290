"""A cell unrolled with SymPy for small T and n: direct differentiation, BPTT, and their identity.

Every parameter entry, input, initial state and loss gradient is a real symbol. The generic
per-step loss L_t(h_t) enters through its gradient: the atoms `dL_t/dh_t[j]` (free symbols).
Since both sides of direct = BPTT are linear in dL_t/dh_t, the identity with free symbols holds
for every differentiable per-step loss; E is then written as sum_t <dL_t/dh_t, h_t>, whose
derivative w.r.t. a parameter is sum_t (dL_t/dh_t)^T dh_t/dP, the chain rule's direct form.
Functions are the atoms of `functions` (sigma, tanh, a generic f and f'), so equality is
decided exactly as polynomials in those atoms (`symbolic.exact.same`), never at a point.

With an output head (`heads.HEADS`: softmax + cross-entropy, identity + squared error, sigmoid
+ BCE) the loss reads z_t = V h_t + c: the unroll adds z_t as named quantities and V, c as
parameters, and the free gradient is dE_t/dz_t. `head_gradient` proves, exactly, that the
head's loss differentiated by SymPy is the head's error term yhat_t - y_t; with that lemma,
direct = BPTT at z (both linear in dE_t/dz_t) is direct = BPTT for that head's loss.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symbptt.cells.cell import Cell
from symbptt.cells.expr import (
    Add,
    Adj,
    Apply,
    Deriv,
    Expr,
    Hadamard,
    Input,
    MatMul,
    Neg,
    OneMinus,
    Outer,
    ParamRef,
    Prev,
    Ref,
    Upstream,
)
from symbptt.cells.functions import FUNCTIONS, LAMBDIFY_MODULE
from symbptt.cells.heads import Head
from symbptt.cells.reverse import StepAdjoints, adj_label, step_adjoints
from symbptt.errors import InputError
from symbptt.symbolic.exact import same

__all__ = [
    "Env",
    "Unrolled",
    "bptt",
    "direct",
    "direct_equals_bptt",
    "evaluate",
    "head_gradient",
    "param_symbols",
    "to_sympy",
    "unroll",
    "vector",
]


def vector(name: str, n: int) -> sp.Matrix:
    """An n x 1 column of real symbols name[0], name[1], ..."""
    return sp.Matrix(n, 1, lambda r, _: sp.Symbol(f"{name}[{r}]", real=True))


def param_symbols(cell: Cell, n: int, m: int) -> dict[str, sp.Matrix]:
    """A matrix of real symbols per parameter (biases as n x 1 columns)."""
    out = {}
    for p in cell.params:
        rows, *cols = p.size(n, m)
        ncols = cols[0] if cols else 1
        out[p.key] = sp.Matrix(
            rows,
            ncols,
            lambda r, c, k=p.key, mat=p.is_matrix: sp.Symbol(
                f"{k}[{r},{c}]" if mat else f"{k}[{r}]", real=True
            ),
        )
    return out


@dataclass
class Env:
    """The values an IR expression reads at one step, as SymPy column matrices."""

    params: Mapping[str, sp.Matrix]
    x: sp.Matrix
    prev: Mapping[str, sp.Matrix]
    q: dict[str, sp.Matrix]
    adj: dict[Adj, sp.Matrix]
    up: Mapping[str, sp.Matrix]


def to_sympy(e: Expr, env: Env) -> sp.Matrix:
    """The SymPy value of an IR expression (a column; an n x k matrix for `Outer`)."""
    if isinstance(e, Ref):
        return env.q[e.name]
    if isinstance(e, Adj):
        return env.adj[e]
    if isinstance(e, Prev):
        return env.prev[e.state]
    if isinstance(e, Input):
        return env.x
    if isinstance(e, ParamRef):
        return env.params[e.key]
    if isinstance(e, Upstream):
        return env.up[e.state]
    if isinstance(e, MatMul):
        P = env.params[e.matrix.key]
        return (P.T if e.transpose else P) * to_sympy(e.vector, env)
    if isinstance(e, Hadamard):
        return to_sympy(e.left, env).multiply_elementwise(to_sympy(e.right, env))
    if isinstance(e, Add):
        acc = to_sympy(e.terms[0], env)
        for t in e.terms[1:]:
            acc = acc + to_sympy(t, env)
        return acc
    if isinstance(e, OneMinus):
        return to_sympy(e.arg, env).applyfunc(lambda v: 1 - v)
    if isinstance(e, Neg):
        return -to_sympy(e.arg, env)
    if isinstance(e, Apply):
        return to_sympy(e.arg, env).applyfunc(FUNCTIONS[e.function].sympy)
    if isinstance(e, Deriv):
        fn = FUNCTIONS[e.function]
        if fn.sympy_d_out is not None:
            return to_sympy(e.out, env).applyfunc(fn.sympy_d_out)
        return to_sympy(e.arg, env).applyfunc(fn.sympy_prime)
    if isinstance(e, Outer):
        return to_sympy(e.left, env) * to_sympy(e.right, env).T
    raise TypeError(f"cannot convert {type(e).__name__}")  # pragma: no cover


def step(cell: Cell, env: Env) -> dict[str, sp.Matrix]:
    """One forward step: every quantity's value (also stored in env.q)."""
    for eq in cell.equations:
        env.q[eq.name] = to_sympy(eq.rhs, env)
    return env.q


@dataclass(frozen=True)
class Unrolled:
    """The cell unrolled for T steps on a graph of *named* quantities (i_2[0], c_3[1], ...).

    Each quantity at each step is a symbol with a definition over leaves and earlier names, so
    expressions stay small and shared (polynomials in named atoms, not exponential trees).
    """

    cell: Cell
    T: int
    n: int
    m: int
    params: dict[str, sp.Matrix]
    xs: list[sp.Matrix]
    states0: dict[str, sp.Matrix]
    #: names[t-1][q]: the symbols of quantity q at step t; defs[t-1][q] their definitions.
    names: list[dict[str, sp.Matrix]]
    defs: list[dict[str, sp.Matrix]]
    #: The loss's gradient at what it reads, t = 1..T (free symbols; zero except at T when
    #: loss_at == 'last'): dL_t/dh_t for the generic loss, dE_t/dz_t (k x 1) with a head.
    dloss: list[sp.Matrix]
    #: The output head (None: the generic per-step loss L_t(h_t)), its size k, its parameters
    #: {'V': k x n, 'c': k x 1}, and z_t = V h_t + c as named symbols with their definitions.
    head: Head | None = None
    k: int = 0
    head_params: dict[str, sp.Matrix] = field(default_factory=dict)
    znames: list[sp.Matrix] = field(default_factory=list)
    zdefs: list[sp.Matrix] = field(default_factory=list)

    @property
    def all_params(self) -> dict[str, sp.Matrix]:
        """The cell's parameters, then the head's V and c."""
        return {**self.params, **self.head_params}

    def loss_reads(self, t: int) -> sp.Matrix:
        """What the loss at step t (1-based) reads: h_t, or z_t with a head."""
        return self.znames[t - 1] if self.head is not None else self.names[t - 1][self.cell.readout]

    @property
    def E(self) -> sp.Expr:
        """sum_t <dL_t/dh_t, h_t> (or sum_t <dE_t/dz_t, z_t>) on the named graph: it
        differentiates like the loss."""
        return sp.Add(
            *[(g.T * self.loss_reads(t))[0, 0] for t, g in enumerate(self.dloss, start=1)]
        )

    def _param_set(self) -> set[sp.Symbol]:
        return {s for P in self.all_params.values() for s in P}

    def leaves(self) -> list[sp.Symbol]:
        """Every free symbol in a fixed order: parameters (V, c last), inputs, initial states,
        the loss gradients."""
        out: list[sp.Symbol] = [s for k in self.cell.param_keys for s in self.params[k]]
        out += [s for P in self.head_params.values() for s in P]
        out += [s for x in self.xs for s in x]
        out += [s for st in self.cell.states for s in self.states0[st]]
        out += [s for g in self.dloss for s in g if isinstance(s, sp.Symbol)]
        return out

    def definitions(self) -> list[tuple[sp.Symbol, sp.Expr]]:
        """Every named quantity (z_t after step t's, with a head) with its definition, in
        evaluation order."""
        out = []
        for t, (names, defs) in enumerate(zip(self.names, self.defs, strict=True)):
            for q in self.cell.quantities:
                out += list(zip(names[q], defs[q], strict=True))
            if self.head is not None:
                out += list(zip(self.znames[t], self.zdefs[t], strict=True))
        return out


#: The head's parameter keys: z_t = V h_t + c.
HEAD_KEYS = ("V", "c")


def unroll(
    cell: Cell,
    T: int,
    n: int,
    m: int | None = None,
    *,
    loss_at: str = "every",
    head: Head | None = None,
    k: int = 2,
) -> Unrolled:
    """Unroll cell for T steps (m defaults to n) with a generic per-step loss of the readout,
    or with an output head of k outputs (z_t = V h_t + c; `heads.HEADS`)."""
    m = n if m is None else m
    if head is not None and not head.has_output_layer:
        head = None  # the generic head: a per-step loss of h_t
    if head is not None:
        clash = [key for key in HEAD_KEYS if key in cell.param_keys]
        if clash:
            raise InputError(
                f"cell {cell.name!r} has a parameter {clash[0]!r}, which the output head "
                "z_t = V h_t + c uses; rename it or use output 'none' with loss 'generic'"
            )
    params = param_symbols(cell, n, m)
    xs = [vector(f"x_{t}", m) for t in range(1, T + 1)]
    states0 = {s: vector(f"{s}_0", n) for s in cell.states}
    prev = dict(states0)
    names: list[dict[str, sp.Matrix]] = []
    defs: list[dict[str, sp.Matrix]] = []
    for t in range(1, T + 1):
        env = Env(params, xs[t - 1], prev, {}, {}, {})
        dt: dict[str, sp.Matrix] = {}
        for eq in cell.equations:
            dt[eq.name] = to_sympy(eq.rhs, env)
            env.q[eq.name] = vector(f"{eq.name}_{t}", n)
        names.append(env.q)
        defs.append(dt)
        prev = {s: env.q[s] for s in cell.states}
    h = cell.readout
    if head is None:
        dloss = [
            vector(f"dL_{t}/d{h}_{t}", n) if loss_at == "every" or t == T else sp.zeros(n, 1)
            for t in range(1, T + 1)
        ]
        return Unrolled(cell, T, n, m, params, xs, states0, names, defs, dloss)
    V = sp.Matrix(k, n, lambda r, c: sp.Symbol(f"V[{r},{c}]", real=True))
    c = vector("c", k)
    znames = [vector(f"z^out_{t}", k) for t in range(1, T + 1)]
    zdefs = [V * names[t][h] + c for t in range(T)]
    dloss = [
        vector(f"dE_{t}/dz_{t}", k) if loss_at == "every" or t == T else sp.zeros(k, 1)
        for t in range(1, T + 1)
    ]
    return Unrolled(
        cell, T, n, m, params, xs, states0, names, defs, dloss,
        head, k, {"V": V, "c": c}, znames, zdefs,
    )  # fmt: skip


def _local(definition: sp.Expr, name: sp.Symbol, s: sp.Symbol) -> sp.Expr:
    """d definition / d s, with the definition itself written back as its name (sigma(1-sigma))."""
    return sp.diff(definition, s).xreplace({definition: name})


def direct(u: Unrolled) -> dict[str, sp.Matrix]:
    """dE/dP entry by entry by forward-mode chain rule on the named graph (not via BPTT)."""
    defs = u.definitions()
    named = {sym for sym, _ in defs}
    local: dict[tuple[sp.Symbol, sp.Symbol], sp.Expr] = {}
    deps = {
        sym: [s for s in d.free_symbols if s in named or s in u._param_set()] for sym, d in defs
    }
    for sym, d in defs:
        for s in deps[sym]:
            local[(sym, s)] = _local(d, sym, s)
    out = {}
    reads = [u.loss_reads(t) for t in range(1, u.T + 1)]
    for k, P in u.all_params.items():
        M = sp.zeros(*P.shape)
        for idx, p in enumerate(P):
            tan: dict[sp.Symbol, sp.Expr] = {p: sp.S.One}
            for sym, _ in defs:
                terms = [local[(sym, s)] * tan[s] for s in deps[sym] if s in tan]
                if terms:
                    tan[sym] = sp.Add(*terms)
            M[idx] = sp.Add(
                *[
                    g[j] * tan[v[j]]
                    for g, v in zip(u.dloss, reads, strict=True)
                    for j in range(len(v))
                    if v[j] in tan
                ]
            )
        out[k] = M
    return out


@dataclass(frozen=True)
class Bptt:
    """BPTT from the reverse step: gradients, every delta per step, the initial states' adjoints."""

    grads: dict[str, sp.Matrix]
    #: deltas[t-1][label]: the total adjoint of a quantity ('h', 'c', 'pre:i', ...) at step t.
    deltas: list[dict[str, sp.Matrix]]
    states0: dict[str, sp.Matrix]
    xs: list[sp.Matrix]


def bptt(u: Unrolled, rev: StepAdjoints | None = None) -> Bptt:
    """Run the cell's reverse step (reverse.step_adjoints, or rev) backwards through time."""
    cell = u.cell
    rev = step_adjoints(cell) if rev is None else rev
    grads = {k: sp.zeros(*P.shape) for k, P in u.all_params.items()}
    carry = {s: sp.zeros(u.n, 1) for s in cell.states}
    deltas: list[dict[str, sp.Matrix]] = [{} for _ in range(u.T)]
    dxs: list[sp.Matrix] = [sp.zeros(u.m, 1) for _ in range(u.T)]
    for t in range(u.T - 1, -1, -1):
        prev = {s: (u.names[t - 1][s] if t > 0 else u.states0[s]) for s in cell.states}
        up = dict(carry)
        if u.head is None:
            up[cell.readout] = up[cell.readout] + u.dloss[t]
        else:  # z_t = V h_t + c: dE_t/dh_t = V^T dE_t/dz_t, dV += dE_t/dz_t h_t^T, dc += dE_t/dz_t
            V, dz = u.head_params["V"], u.dloss[t]
            up[cell.readout] = up[cell.readout] + V.T * dz
            grads["V"] += dz * u.names[t][cell.readout].T
            grads["c"] += dz
        env = Env(u.params, u.xs[t], prev, dict(u.names[t]), {}, up)
        for a, e in rev.adjoints:
            env.adj[a] = deltas[t][adj_label(a)] = to_sympy(e, env)
        for k, e in rev.params:
            grads[k] += to_sympy(e, env)
        if rev.input is not None:
            dxs[t] = to_sympy(rev.input, env)
        carry = {s: sp.zeros(u.n, 1) for s in cell.states}
        for s, e in rev.prev:
            carry[s] = to_sympy(e, env)
    return Bptt(grads, deltas, carry, dxs)


def direct_equals_bptt(u: Unrolled, rev: StepAdjoints | None = None) -> list[str]:
    """Exact direct = BPTT for every parameter entry: the entries that differ ([] proves it).

    `rev` replaces the cell's reverse step (to show that a wrong rule is refuted).
    """
    d, b = direct(u), bptt(u, rev).grads
    keys = list(u.all_params)
    lhs = sp.Matrix([e for k in keys for e in d[k]])
    rhs = sp.Matrix([e for k in keys for e in b[k]])
    bad = same(lhs, rhs)
    labels = [f"{k}[{i}]" for k in keys for i in range(len(u.all_params[k]))]
    return [labels[i] for i in bad]


def sympy_output(head: Head, z: Sequence[sp.Expr]) -> list[sp.Expr]:
    """yhat = g(z) in SymPy for a head with an output layer (the heads table's form)."""
    if head.sympy_output is None:
        raise InputError(f"head {head.name!r} has no output layer")
    return list(head.sympy_output(z))


@dataclass(frozen=True)
class HeadGradient:
    """The head's lemma at k outputs: dE/dz by SymPy against the heads table's dE/dz
    (`Head.sympy_grad`), and when that equals the textbook yhat - y."""

    head: Head
    k: int
    #: dE/dz_j by SymPy's differentiation of the head's loss, and the table's dE/dz_j.
    derived: tuple[sp.Expr, ...]
    stated: tuple[sp.Expr, ...]
    #: True when derived == stated for every target y
    holds: bool
    #: when the table's dE/dz is yhat - y: '' always, 'sum_j y_j = 1' (softmax + cross-entropy:
    #: yhat sum_j y_j - y), 'never' when no such assumption makes it so
    assumption: str


def _zero(e: sp.Expr, sub: Mapping[sp.Symbol, sp.Expr] | None = None) -> bool:
    e = sp.expand_log(e, force=True)
    return sp.simplify(e.xreplace(dict(sub or {})).rewrite(sp.exp)) == 0


def head_gradient(head: Head, k: int) -> HeadGradient:
    """Prove dE(z, y)/dz = the table's sympy_grad(g(z), y) exactly for the head's loss E and
    output g (k outputs, any y), and say when it is the textbook g(z) - y: always for squared
    error and BCE, for a target summing to 1 (one-hot included) for softmax + cross-entropy."""
    if not head.has_output_layer or head.sympy_loss is None:
        raise InputError(f"head {head.name!r} has no output layer")
    z = [sp.Symbol(f"z[{j}]", real=True) for j in range(k)]
    y = [sp.Symbol(f"y[{j}]", real=True) for j in range(k)]
    E = head.sympy_loss(z, y)
    yhat = sympy_output(head, z)
    derived = [sp.diff(E, zj) for zj in z]
    stated = list(head.sympy_grad(yhat, y))
    ok = all(_zero(d - s) for d, s in zip(derived, stated, strict=True))
    textbook = [a - b for a, b in zip(yhat, y, strict=True)]
    if all(_zero(s - t) for s, t in zip(stated, textbook, strict=True)):
        assumption = ""
    elif all(
        _zero(s - t, {y[-1]: 1 - sp.Add(*y[:-1])}) for s, t in zip(stated, textbook, strict=True)
    ):
        assumption = "sum_j y_j = 1"
    else:
        assumption = "never"
    return HeadGradient(head, k, tuple(derived), tuple(stated), ok, assumption)


def evaluate(u: Unrolled, exprs: list[sp.Expr], values: Mapping[sp.Symbol, float]) -> np.ndarray:
    """exprs at a point (every leaf given), lambdified with the function table's numpy forms."""
    leaves = u.leaves()
    f = sp.lambdify(leaves, exprs, modules=[dict(LAMBDIFY_MODULE), "numpy"], cse=True)
    return np.array(f(*[values[s] for s in leaves]), dtype=float)
