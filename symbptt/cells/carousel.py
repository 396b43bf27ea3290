"""Jacobian statements between states of consecutive steps, derived from a cell's IR.

- `partial(cell, of, wrt)`: the step's partial derivative d of_t / d wrt_{t-1}: the step map
  (states at t-1, x_t) -> of_t with the other states at t-1 and x_t held fixed; every quantity of
  step t that reads wrt_{t-1} moves with it (a peephole gate f_t = sigma(... + p ⊙ c_{t-1})).
  For the LSTM, d c_t / d c_{t-1} = diag(f_t); for the peephole LSTM it is not diag(f_t). For a
  one-state cell (GRU) it is the total one-step Jacobian.
- `direct_term(cell, of, wrt)`: the derivative through `of`'s own equation alone, the quantities
  it reads at t (gates, candidate) held fixed: the GRU's direct term diag(z_t) of d h_t / d h_{t-1}.
  `describe` recognises diag(q) and diag(1 - q).
- `carried(cell, state)`: the statement printed and checked for a state: the step partial of a
  multi-state cell, the direct term of a one-state cell (`Partial.kind` says which).
- `carried_gate(cell)`: the state whose carried statement is diag(q) or diag(1 - q), as a
  `CarriedGate` record (state, gate key, complemented, the gate's bias key from its equation),
  or None for a cell without one (a plain tanh cell); `carried_state` raises instead.
- `direct_path(cell, state, steps)`: d state_t / d state_k along the direct path (the other
  states at every step held fixed), proved equal to the product of the per-step partials.
- `total_step_jacobian`: the total d state_t / d state_{t-1} (the other states at t-1 recomputed
  from the perturbed one by their own equations, e.g. h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1})), by
  central differences of the numeric engine at a point, with the carried statement's matrix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symbptt.cells.cell import Cell
from symbptt.cells.expr import Add, Apply, ParamRef, Prev, Ref, walk
from symbptt.cells.numeric import _Step
from symbptt.cells.symbolic import Env, param_symbols, to_sympy, vector
from symbptt.errors import InputError
from symbptt.symbolic.exact import same

__all__ = [
    "CarriedGate",
    "Partial",
    "carried",
    "carried_gate",
    "carried_state",
    "describe",
    "diagonal",
    "direct_term",
    "direct_path",
    "gate_bias",
    "partial",
    "reads_own_state",
    "total_jacobian",
    "total_step_jacobian",
]


@dataclass(frozen=True)
class Partial:
    """d of_t / d wrt_{t-1} (the step partial or the direct term), in named quantities."""

    of: str
    wrt: str
    matrix: sp.Matrix
    #: the named quantities the matrix is written in: name -> its symbols at t
    names: dict[str, sp.Matrix]
    #: 'diag(f)', 'diag(1 - z)', 'I', '0' or '' when the matrix is none of those.
    statement: str
    #: 'partial' (the step map, other states at t-1 fixed) or 'direct term' (gates held fixed)
    kind: str = "partial"
    #: the named q of a diag(q) or diag(1 - q) statement, else None
    gate: str | None = None
    #: True for diag(1 - q)
    complemented: bool = False


@dataclass(frozen=True)
class CarriedGate:
    """A state s whose d s_t / d s_{t-1} along the direct path is diag(gate) or diag(1 - gate)."""

    state: str
    #: the gate's quantity key ('f' for the LSTM, 'z' for the GRU and the MGU)
    gate: str
    #: True for diag(1 - gate): the carousel opens as the gate goes to 0 (the MGU's update)
    complemented: bool
    #: the parameter added inside the gate's affine argument (b_f in sigma(... + b_f)), or None
    bias: str | None

    @property
    def written(self) -> str:
        """The diagonal's entries as the statement writes them: 'f' or '1 - z'."""
        return f"1 - {self.gate}" if self.complemented else self.gate


def _check_states(cell: Cell, of: str, wrt: str) -> None:
    if of not in cell.quantities:
        raise InputError(f"cell {cell.name!r} defines no quantity {of!r}")
    if wrt not in cell.states:
        raise InputError(f"{wrt!r} is not a state of cell {cell.name!r} ({', '.join(cell.states)})")


def direct_term(cell: Cell, of: str, wrt: str, n: int = 2, m: int | None = None) -> Partial:
    """d of_t / d wrt_{t-1} through `of`'s own equation alone, the quantities it reads held fixed."""
    _check_states(cell, of, wrt)
    m = n if m is None else m
    names = {q: vector(f"{q}_t", n) for q in cell.quantities}
    prev = {s: vector(f"{s}_t-1", n) for s in cell.states}
    env = Env(param_symbols(cell, n, m), vector("x_t", m), prev, dict(names), {}, {})
    rhs = to_sympy(cell.equation(of).rhs, env)
    J = rhs.jacobian(prev[wrt])
    return _partial(of, wrt, J, names, "direct term")


def _partial(of: str, wrt: str, J: sp.Matrix, names: dict[str, sp.Matrix], kind: str) -> Partial:
    gate = diagonal(J, names)
    statement = describe(J, names)
    if gate is None:
        return Partial(of, wrt, J, names, statement, kind)
    return Partial(of, wrt, J, names, statement, kind, gate[0], gate[1])


def partial(cell: Cell, of: str, wrt: str, n: int = 2, m: int | None = None) -> Partial:
    """The step's partial d of_t / d wrt_{t-1}: the other states at t-1 and x_t held fixed, every
    quantity of step t that reads wrt_{t-1} moving with it (forward mode over the equations)."""
    _check_states(cell, of, wrt)
    m = n if m is None else m
    names = {q: vector(f"{q}_t", n) for q in cell.quantities}
    prev = {s: vector(f"{s}_t-1", n) for s in cell.states}
    env = Env(param_symbols(cell, n, m), vector("x_t", m), prev, dict(names), {}, {})
    tangent: dict[str, sp.Matrix] = {}
    for eq in cell.equations:
        rhs = to_sympy(eq.rhs, env)
        J = rhs.jacobian(prev[wrt])
        for q, D in tangent.items():
            J += rhs.jacobian(names[q]) * D
        # the chain rule's derivatives are taken at the named values: f_t for sigma(a_f)
        back = {a: b for a, b in zip(rhs, names[eq.name], strict=True)}
        tangent[eq.name] = J.xreplace(back)
        if eq.name == of:
            break
    J = sp.Matrix(tangent[of]).applyfunc(sp.expand)
    return _partial(of, wrt, J, names, "partial")


def carried(cell: Cell, state: str, n: int = 2, m: int | None = None) -> Partial:
    """d state_t / d state_{t-1} as derive prints it: the step partial of a multi-state cell, the
    direct term (gates held fixed) of a one-state cell, whose step partial is the total."""
    if len(cell.states) > 1:
        return partial(cell, state, state, n, m)
    return direct_term(cell, state, state, n, m)


def carried_gate(cell: Cell) -> CarriedGate | None:
    """The state whose carried statement (`carried`) is diag(q) or diag(1 - q), with its gate q
    and q's bias; else the first whose direct term is (peepholes: the gates read c_{t-1}, the
    c equation's own term is plotted); None when no state has one (a plain tanh cell)."""
    for find in (carried, lambda c, s: direct_term(c, s, s)):
        for s in cell.states:
            p = find(cell, s)
            if p.gate is not None:
                return CarriedGate(s, p.gate, p.complemented, gate_bias(cell, p.gate))
    return None


def carried_state(cell: Cell) -> CarriedGate:
    """`carried_gate`, or InputError (a ValueError) naming the cell when it has no such state."""
    found = carried_gate(cell)
    if found is None:
        raise InputError(f"cell {cell.name!r} has no state with a diag(gate) step partial")
    return found


def gate_bias(cell: Cell, gate: str) -> str | None:
    """The parameter added as a term of the gate's affine argument (b_f in sigma(W_f h_{t-1} +
    U_f x_t + b_f)), read from the gate's equation; None when there is none or several."""
    rhs = cell.equation(gate).rhs
    arg = rhs.arg if isinstance(rhs, Apply) else rhs
    terms = arg.terms if isinstance(arg, Add) else (arg,)
    keys = [t.key for t in terms if isinstance(t, ParamRef)]
    return keys[0] if len(keys) == 1 else None


def diagonal(J: sp.Matrix, names: Mapping[str, sp.Matrix]) -> tuple[str, bool] | None:
    """(q, complemented) when J is diag(q) or diag(1 - q) for a named q, else None."""
    n = J.shape[0]
    if any(J[r, c] != 0 for r in range(n) for c in range(n) if r != c):
        return None
    diag = [J[r, r] for r in range(n)]
    for q, v in names.items():
        if all(sp.expand(d - e) == 0 for d, e in zip(diag, v, strict=True)):
            return q, False
        if all(sp.expand(d - (1 - e)) == 0 for d, e in zip(diag, v, strict=True)):
            return q, True
    return None


def describe(J: sp.Matrix, names: Mapping[str, sp.Matrix]) -> str:
    """'diag(q)' or 'diag(1 - q)' when J is that diagonal matrix for a named q; 'I', '0', or ''."""
    n = J.shape[0]
    if J == sp.zeros(n, n):
        return "0"
    if J == sp.eye(n):
        return "I"
    gate = diagonal(J, names)
    if gate is None:
        return ""
    return f"diag(1 - {gate[0]})" if gate[1] else f"diag({gate[0]})"


def reads_own_state(cell: Cell, of: str, state: str) -> list[str]:
    """The quantities read by `of`'s equation that themselves depend on state_{t-1} (within the
    step): a peephole gate f_t = sigma(... + p ⊙ c_{t-1}). When there are any, the direct path
    d state_t / d state_k is not the product of diag(q_i) and no such statement is made."""
    depends: dict[str, bool] = {}
    for eq in cell.equations:
        depends[eq.name] = any(
            (isinstance(node, Prev) and node.state == state)
            or (isinstance(node, Ref) and depends.get(node.name, False))
            for node in walk(eq.rhs)
        )
    refs = {node.name for node in walk(cell.equation(of).rhs) if isinstance(node, Ref)}
    return sorted(q for q in refs if depends.get(q, False))


@dataclass(frozen=True)
class DirectPath:
    """d state_t / d state_k along the direct path, and whether it equals the product of partials."""

    state: str
    steps: int
    jacobian: sp.Matrix
    product: sp.Matrix
    #: per step i = k+1..t: the named quantities (symbols) the partials are written in
    names: list[dict[str, sp.Matrix]]
    equal: bool


def direct_path(cell: Cell, state: str, steps: int, n: int = 2, m: int | None = None) -> DirectPath:
    """Run `steps` steps from a free state_k with every other state a free symbol at each step
    (held fixed), differentiate state_t w.r.t. state_k, and compare with the product of the
    per-step partials d state_i / d state_{i-1} (each in step i's named quantities)."""
    _check_states(cell, state, state)
    m = n if m is None else m
    params = param_symbols(cell, n, m)
    start = vector(f"{state}_k", n)
    cur = start
    sub: dict[sp.Symbol, sp.Expr] = {}
    product = sp.eye(n)
    per_step = []
    for i in range(1, steps + 1):
        prev = {s: (cur if s == state else vector(f"{s}_k{i - 1}", n)) for s in cell.states}
        env = Env(params, vector(f"x_k{i}", m), prev, {}, {}, {})
        for eq in cell.equations:
            env.q[eq.name] = to_sympy(eq.rhs, env)
        p = partial(cell, state, state, n, m)
        names = {q: vector(f"{q}_k{i}", n) for q in cell.quantities}
        rename = {a: b for q in cell.quantities for a, b in zip(p.names[q], names[q], strict=True)}
        rename |= {a: b for a, b in zip(vector(f"{state}_t-1", n), prev[state], strict=True)}
        rename |= {
            a: b
            for s in cell.states
            if s != state
            for a, b in zip(vector(f"{s}_t-1", n), prev[s], strict=True)
        }
        product = p.matrix.xreplace(rename) * product
        for q in cell.quantities:
            sub |= dict(zip(names[q], env.q[q], strict=True))
        per_step.append(names)
        cur = env.q[state]
    J = cur.jacobian(start)
    return DirectPath(state, steps, J, product, per_step, same(J, product.xreplace(sub)) == [])


def _run(
    cell: Cell,
    params: Mapping[str, np.ndarray],
    x: np.ndarray,
    prev: Mapping[str, np.ndarray],
    override: tuple[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """One numeric step on one row; override (q, value) replaces q and recomputes what follows."""
    step = _Step(params, x[None, :], {s: v[None, :] for s, v in prev.items()})
    for eq in cell.equations:
        if override is not None and eq.name == override[0]:
            step.q[eq.name] = override[1][None, :]
        else:
            step.q[eq.name] = step.ev(eq.rhs)
    # a quantity of parameters only is (n,)
    return {q: np.atleast_2d(v)[0] for q, v in step.q.items()}


def total_jacobian(
    cell: Cell,
    state: str,
    params: Mapping[str, np.ndarray],
    xs: np.ndarray,
    prev: Mapping[str, np.ndarray],
    *,
    eps: float = 1e-6,
) -> np.ndarray:
    """Total d state_t / d state_k at a point, by central differences.

    xs holds x_k, x_{k+1}, ..., x_t; prev the states at k-1. state_k is perturbed inside step k
    and what follows it there (h_k = o_k ⊙ tanh(c_k)) is recomputed; then steps k+1..t run.
    """
    base = _run(cell, params, xs[0], prev)
    n = base[state].size
    total = np.zeros((n, n))
    for j in range(n):
        ends = []
        for sign in (1.0, -1.0):
            v = base[state].copy()
            v[j] += sign * eps
            cur = _run(cell, params, xs[0], prev, (state, v))
            for x in xs[1:]:
                cur = _run(cell, params, x, {s: cur[s] for s in cell.states})
            ends.append(cur[state])
        total[:, j] = (ends[0] - ends[1]) / (2 * eps)
    return total


def total_step_jacobian(
    cell: Cell,
    state: str,
    params: Mapping[str, np.ndarray],
    xs: np.ndarray,
    prev: Mapping[str, np.ndarray],
    *,
    eps: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """(total, carried) d state_t / d state_{t-1} at a point, by central differences.

    xs holds x_{t-1}, x_t; prev the states at t-2. Total: state_{t-1} is perturbed inside step
    t-1 and what follows it there (h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1})) is recomputed, then step
    t runs. Carried (`carried`): for a multi-state cell the step partial, step t run with only
    state_{t-1} moved (the other states at t-1 and x_t fixed, every gate recomputed); for a
    one-state cell the direct term, only state's own equation at t re-evaluated, every quantity
    it reads at t (gates, candidate) held at its value.
    """
    base = _run(cell, params, xs[0], prev)
    s_prev = base[state]
    here = _run(cell, params, xs[1], {s: base[s] for s in cell.states})
    rhs = cell.equation(state).rhs
    n = s_prev.size
    total = np.zeros((n, n))
    direct = np.zeros((n, n))
    for j in range(n):
        cols = []
        for sign in (1.0, -1.0):
            v = s_prev.copy()
            v[j] += sign * eps
            moved = _run(cell, params, xs[0], prev, (state, v))
            tot = _run(cell, params, xs[1], {s: moved[s] for s in cell.states})[state]
            held = {s: (v if s == state else base[s]) for s in cell.states}
            if len(cell.states) > 1:
                cols.append((tot, _run(cell, params, xs[1], held)[state]))
                continue
            step = _Step(params, xs[1][None, :], {s: w[None, :] for s, w in held.items()})
            step.q = {q: val[None, :] for q, val in here.items()}
            cols.append((tot, step.ev(rhs)[0]))
        total[:, j] = (cols[0][0] - cols[1][0]) / (2 * eps)
        direct[:, j] = (cols[0][1] - cols[1][1]) / (2 * eps)
    return total, direct
