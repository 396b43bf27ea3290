"""The step lemma for any cell: BPTT is right for every T, proved once per cell and n.

Step lemma (generic in t): for one symbolic step with free symbols for the parameters, x_t,
the states at t-1 and the upstream adjoints u_s of the states at t, put phi = sum_s <u_s, s_t>.
Every expression of the reverse step (`reverse.step_adjoints`) equals SymPy's derivative of phi:
each parameter's per-step term = dphi/dP, the adjoint passed to s_{t-1} = dphi/ds_{t-1}, the
adjoint of x_t = dphi/dx_t, and the adjoint of every quantity q (and of its function's
argument) = dphi/dq with the equations after q recomputed from a free q. Equality is decided
exactly, as polynomials in the function atoms (`symbolic.exact.same`).

Base case: direct = BPTT exactly at T = 1 (`symbolic.direct_equals_bptt`). Induction: the loss
E_{T+1} = E_T + L_{T+1} reaches the steps up to T only through the states s_T, and the
upstream adjoint BPTT gives s_T is dL_T/ds_T plus step T+1's reverse output, which by the lemma
is the vector-Jacobian product of step T+1; so the chain rule gives direct = BPTT for T + 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy as sp

from symbptt.cells.cell import Cell
from symbptt.cells.expr import Adj
from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.reverse import StepAdjoints, adj_label, step_adjoints
from symbptt.cells.symbolic import Env, direct_equals_bptt, param_symbols, to_sympy, unroll, vector
from symbptt.symbolic.exact import same

__all__ = ["StepProof", "prove"]


@dataclass(frozen=True)
class StepProof:
    """The step lemma's claims for one cell at n, each with its outcome, and the base case."""

    cell: str
    n: int
    steps: list[tuple[str, bool]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """True when there are claims and every one holds."""
        return bool(self.steps) and all(ok for _, ok in self.steps)


def _grad(phi: sp.Expr, v: sp.Matrix) -> sp.Matrix:
    return v.applyfunc(lambda s: sp.diff(phi, s))


def _phi(cell: Cell, q: dict[str, sp.Matrix], up: dict[str, sp.Matrix]) -> sp.Expr:
    return sp.Add(*[(up[s].T * q[s])[0, 0] for s in cell.states])


def _after(cell: Cell, env: Env, name: str, value: sp.Matrix) -> dict[str, sp.Matrix]:
    """The step's quantities with `name` replaced by value and every later equation recomputed."""
    q: dict[str, sp.Matrix] = {}
    seen = False
    for eq in cell.equations:
        if seen:
            q[eq.name] = to_sympy(eq.rhs, Env(env.params, env.x, env.prev, q, {}, {}))
        else:
            q[eq.name] = env.q[eq.name]
        if eq.name == name:
            q[name], seen = value, True
    return q


def prove(
    cell: Cell,
    n: int,
    m: int | None = None,
    *,
    base_case: bool = True,
    rev: StepAdjoints | None = None,
) -> StepProof:
    """Prove the step lemma for cell at n hidden units (m inputs, default n) and the base case.

    `rev` replaces the cell's reverse step (to show that a wrong rule is refuted); the base
    case always uses the cell's own.
    """
    start = time.perf_counter()
    m = n if m is None else m
    params = param_symbols(cell, n, m)
    x = vector("x_t", m)
    prev = {s: vector(f"{s}_t-1", n) for s in cell.states}
    up = {s: vector(f"u_{s}", n) for s in cell.states}
    env = Env(params, x, prev, {}, {}, up)
    for eq in cell.equations:
        env.q[eq.name] = to_sympy(eq.rhs, env)
    phi = _phi(cell, env.q, up)
    rev = step_adjoints(cell) if rev is None else rev
    for a, e in rev.adjoints:
        env.adj[a] = to_sympy(e, env)
    claims: list[tuple[str, sp.Matrix, sp.Matrix]] = []
    # every parameter, state and the input is claimed, whether or not rev writes a term for it
    # (a missing term is 0): a dropped carry is a failed claim, not a skipped one
    terms = dict(rev.params)
    for k in cell.param_keys:
        P = params[k]
        got = to_sympy(terms[k], env) if k in terms else sp.zeros(*P.shape)
        claims.append((f"d{k} term = dphi/d{k}", got, _grad(phi, P)))
    carried = dict(rev.prev)
    for s in cell.states:
        got = to_sympy(carried[s], env) if s in carried else sp.zeros(n, 1)
        claims.append((f"delta[{s}[t-1]] = dphi/d{s}_(t-1)", got, _grad(phi, prev[s])))
    got = to_sympy(rev.input, env) if rev.input is not None else sp.zeros(m, 1)
    claims.append(("delta[x] = dphi/dx_t", got, _grad(phi, x)))
    for a, _ in rev.adjoints:
        claims.append(
            (f"delta[{adj_label(a)}] = dphi/d{adj_label(a)}", env.adj[a], _free(cell, env, a))
        )
    steps = []
    for label, got, want in claims:
        steps.append((label, same(sp.Matrix(got), sp.Matrix(want)) == []))
    if base_case:
        bad = direct_equals_bptt(unroll(cell, 1, n, m))
        steps.append(("base case: direct = BPTT at T = 1", bad == []))
    return StepProof(cell.name, n, steps, time.perf_counter() - start)


def _free(cell: Cell, env: Env, a: Adj) -> sp.Matrix:
    """dphi/dq with q (or the argument of q's function, for a 'pre' adjoint) a free vector."""
    n = env.q[a.name].shape[0]
    free = vector(f"free_{adj_label(a)}", n)
    if a.pre:
        rhs = cell.equation(a.name).rhs
        value = free.applyfunc(FUNCTIONS[rhs.function].sympy)  # type: ignore[attr-defined]
        actual = to_sympy(rhs.arg, env)  # type: ignore[attr-defined]
    else:
        value, actual = free, env.q[a.name]
    phi = _phi(cell, _after(cell, env, a.name, value), env.up)  # type: ignore[arg-type]
    g = _grad(phi, free)
    return g.xreplace(dict(zip(free, actual, strict=True)))
