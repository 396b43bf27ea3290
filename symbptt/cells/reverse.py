"""Our own small reverse mode over the cell IR, for ONE step, written as IR (data, not numbers).

Input: the adjoint of every state s_t arriving from outside the step (`Upstream(s)`: the loss at
t plus what step t+1 passes back). Output (`StepAdjoints`):
- the adjoint (error term) of every quantity, delta^q = dphi/dq, in reverse evaluation order,
  plus delta^{pre q} for the argument of a function that defines q (the pre-activation's delta);
- the adjoints passed to the states at t-1 (delta^{s}_{t-1} carried);
- the adjoint of x_t;
- every parameter's per-step term (delta v^T for P v, delta for a bias),
where phi = sum_s <Upstream(s), s_t>. The expressions reuse the forward quantities (f' of a
quantity defined by f is written from its output: sigma(1 - sigma), 1 - tanh^2), so they can be
evaluated in numpy (`numeric.py`), converted to SymPy (`symbolic.py`) and printed. The step
lemma (`steplemma.py`) proves them equal to SymPy's Jacobians of one symbolic step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

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

__all__ = ["StepAdjoints", "adj_label", "step_adjoints"]


@dataclass(frozen=True)
class StepAdjoints:
    """The reverse step of a cell as IR: adjoints in evaluation order and what leaves the step."""

    cell: Cell
    #: (Adj, expression) in the order to evaluate them (each uses only earlier ones).
    adjoints: tuple[tuple[Adj, Expr], ...]
    #: state -> the adjoint passed to s_{t-1} (a state the step never reads gets none).
    prev: tuple[tuple[str, Expr], ...]
    #: the adjoint of x_t (None when the step does not read x_t).
    input: Expr | None
    #: parameter key -> its per-step term (summed over t for the gradient); a parameter that
    #: reaches no state is left out (its gradient is zero).
    params: tuple[tuple[str, Expr], ...]

    def __str__(self) -> str:
        lines = [f"reverse step of {self.cell.name}:"]
        lines += [f"  {a} = {e}" for a, e in self.adjoints]
        lines += [f"  delta[{s}[t-1]] = {e}" for s, e in self.prev]
        lines += [f"  delta[x] = {self.input}"]
        lines += [f"  d{k} += {e}" for k, e in self.params]
        return "\n".join(lines)


def adj_label(a: Adj) -> str:
    """The string key of an adjoint: the quantity's name, or 'pre:name' for its pre-activation."""
    return f"pre:{a.name}" if a.pre else a.name


def _sum(terms: list[Expr]) -> Expr:
    return terms[0] if len(terms) == 1 else Add(tuple(terms))


def _neg(e: Expr) -> Expr:
    return e.arg if isinstance(e, Neg) else Neg(e)


def _leaf(e: Expr) -> bool:
    return isinstance(e, Ref | Prev | Input | ParamRef)


@cache
def step_adjoints(cell: Cell) -> StepAdjoints:
    """The reverse mode of one step of cell (cached: cells are immutable)."""
    into: dict[str, list[Expr]] = {q: [] for q in cell.quantities}
    for s in cell.states:
        into[s].append(Upstream(s))
    prev: dict[str, list[Expr]] = {s: [] for s in cell.states}
    dx: list[Expr] = []
    dparams: dict[str, list[Expr]] = {k: [] for k in cell.param_keys}
    adjoints: list[tuple[Adj, Expr]] = []

    def back(e: Expr, a: Expr) -> None:
        if isinstance(e, Ref):
            into[e.name].append(a)
        elif isinstance(e, Prev):
            prev[e.state].append(a)
        elif isinstance(e, Input):
            dx.append(a)
        elif isinstance(e, ParamRef):
            dparams[e.key].append(a)
        elif isinstance(e, MatMul):
            dparams[e.matrix.key].append(Outer(a, e.vector))
            back(e.vector, MatMul(e.matrix, a, transpose=True))
        elif isinstance(e, Hadamard):
            back(e.left, Hadamard(a, e.right))
            back(e.right, Hadamard(a, e.left))
        elif isinstance(e, Add):
            for t in e.terms:
                back(t, a)
        elif isinstance(e, OneMinus | Neg):
            back(e.arg, _neg(a))
        elif isinstance(e, Apply):
            back(e.arg, _through(e, a, e))
        else:  # pragma: no cover - the cell's validation admits nothing else
            raise TypeError(f"no reverse rule for {type(e).__name__}")

    def _through(e: Apply, a: Expr, out: Expr) -> Expr:
        return a if e.function == "identity" else Hadamard(a, Deriv(e.function, e.arg, out))

    for eq in reversed(cell.equations):
        terms = into[eq.name]
        if not terms:
            continue  # the quantity reaches no state: its adjoint is zero
        adj = Adj(eq.name)
        adjoints.append((adj, _sum(terms)))
        rhs = eq.rhs
        if isinstance(rhs, Apply) and not _leaf(rhs.arg):
            pre = Adj(eq.name, pre=True)  # delta of the pre-activation, named for the texts
            adjoints.append((pre, _through(rhs, adj, Ref(eq.name))))
            back(rhs.arg, pre)
        elif isinstance(rhs, Apply):
            back(rhs.arg, _through(rhs, adj, Ref(eq.name)))
        else:
            back(rhs, adj)
    return StepAdjoints(
        cell,
        tuple(adjoints),
        tuple((s, _sum(v)) for s, v in prev.items() if v),
        _sum(dx) if dx else None,
        tuple((k, _sum(v)) for k, v in dparams.items() if v),
    )
