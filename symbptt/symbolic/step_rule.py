"""The vanilla cell's per-step BPTT rule as data: one step's quantities, the rule, its terms.

`rule_for` gives the model's own per-step backward rule in its delta convention (net, per_step,
step_state); `Cell` holds one step's quantities as explicit SymPy matrices (for the exact proof,
`symbolic.steplemma`) or MatrixSymbols (for the generated code, `symbolic.codegen`). The step
itself is read from the cell's one statement (`Model.cell_def`, the cell IR): h_t = f(a(x_t,
h_{t-1})) with a the argument of f, evaluated by `cells.symbolic.to_sympy` (`net_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from symbptt.cells.cell import Cell as CellDef
from symbptt.cells.expr import Add, Apply, Expr, Input, MatMul, ParamRef, Prev
from symbptt.cells.heads import BY_OUTPUT_LOSS, HEADS, Head
from symbptt.cells.symbolic import Env, to_sympy
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Role

__all__ = [
    "LOCAL",
    "REST",
    "STATE",
    "TOTAL",
    "Cell",
    "StepResult",
    "StepRule",
    "delta_kinds",
    "letters",
    "model_head",
    "net_of",
    "param_shapes",
    "rule_for",
    "sizes_for",
    "step_terms",
    "vanilla_step",
]

#: What a delta is claimed to equal: the derivative named by the model's convention.
TOTAL, LOCAL, REST, STATE = "dE_>=t/dnet_t", "dE_t/dnet_t", "dE_>t/dnet_t", "dE_t/dh_t"


@dataclass(frozen=True)
class Cell:
    """One step's quantities, explicit SymPy matrices (proof) or MatrixSymbols (code generation).

    `fp` is f'(net_t); `e` is dE_t/dz_t (None without an output layer); `dEdh` is the local
    dE_t/dh_t; `g` the incoming adjoint dE_{>t}/dh_t; `fp_future` is f'(net_s) of a later step s,
    there only so that a wrong rule can use it.
    """

    params: Mapping[Role, Any]
    h_prev: Any
    x: Any
    h: Any
    fp: Any
    e: Any
    dEdh: Any
    g: Any
    fp_future: Any
    had: Callable[[Any, Any], Any]

    def __getitem__(self, role: Role) -> Any:
        return self.params[role]


@dataclass(frozen=True)
class StepResult:
    """A rule's output for one cell: deltas with what they stand for, adjoint, per-step terms."""

    deltas: Mapping[str, tuple[Any, str]]
    adjoint: Any
    terms: Mapping[Role, Any]


@dataclass(frozen=True)
class StepRule:
    """A per-step backward rule; the model's own comes from `rule_for`, tests build wrong ones."""

    name: str
    backward: Callable[[Cell], StepResult]


def step_terms(c: Cell, d: Any, roles: tuple[Role, ...]) -> dict[Role, Any]:
    """The per-step gradient terms from the hidden delta d = dE/dnet_t and the output error e."""
    out = {Role.INPUT: d * c.x.T, Role.RECURRENT: d * c.h_prev.T, Role.HIDDEN_BIAS: d}
    if c.e is not None:
        out |= {Role.OUTPUT: c.e * c.h.T, Role.OUTPUT_BIAS: c.e}
    return {r: out[r] for r in roles}


def letters(model: Model) -> dict[str, str]:
    """The model's ASCII names for the proof's claims: loss, state, pre-activation, W, ..."""
    nt = model.notation
    return {
        "E": nt.loss.ascii,
        "Et": nt.step_loss.ascii,
        "h": nt.state.ascii,
        "net": nt.preactivation.ascii,
        "f": nt.activation.ascii,
        "d": nt.delta.ascii,
        "R": nt.param(Role.RECURRENT).ascii,
        "z": nt.output_preactivation.ascii,
    }


def delta_kinds(model: Model) -> dict[str, str]:
    """The ASCII keys `rule_for` gives its deltas -> which delta: t, tt (t,t), tk (t,k), total."""
    a = letters(model)
    return {
        f"{a['d']}_t": "t",
        f"{a['d']}_{{t,t}}": "tt",
        f"{a['d']}_{{t,k}}": "tk",
        f"{a['f']}'({a['net']}_t) (.) ({a['d']}_t + {a['R']}^T nu_{{t+1}})": "total",
    }


def rule_for(model: Model) -> StepRule:
    """The per-step BPTT rule in the model's own delta convention."""
    roles = model.roles
    d_t, d_tt, d_tk, total = delta_kinds(model)

    def net(c: Cell) -> StepResult:
        d = c.had(c.fp, c.dEdh + c.g)  # delta_t = f'(net_t) (.) (V^T e_t + W^T delta_{t+1})
        return StepResult({d_t: (d, TOTAL)}, c[Role.RECURRENT].T * d, step_terms(c, d, roles))

    def per_step(c: Cell) -> StepResult:
        dtt = c.had(c.fp, c.dEdh)  # delta_{t,t} = f'(s_t) (.) V^T (yhat_t - y_t)
        dtk = c.had(c.fp, c.g)  # delta_{t,k} = f'(s_k) (.) U^T delta_{t,k+1}
        d = dtt + dtk  # the inner sum over t >= k of the double sum
        deltas = {d_tt: (dtt, LOCAL), d_tk: (dtk, REST)}
        return StepResult(deltas, c[Role.RECURRENT].T * d, step_terms(c, d, roles))

    def step_state(c: Cell) -> StepResult:
        local = c.dEdh  # delta_t = dL_t/dh_t: local, so the total adds the incoming adjoint
        d = c.had(c.fp, local + c.g)
        deltas = {d_t: (local, STATE), total: (d, TOTAL)}
        return StepResult(deltas, c[Role.RECURRENT].T * d, step_terms(c, d, roles))

    rules = {"net": net, "per_step": per_step, "step_state": step_state}
    return StepRule(f"{model.name}:{model.delta}", rules[model.delta])


def sizes_for(model: Model, n: int, m: int | None, k: int | None) -> tuple[int, int, int]:
    """(n, m, k) checked as positive integers; m and k default to the model's sizes."""
    for key, v in (("n", n), ("m", m), ("k", k)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise InputError(f"{key} must be a positive integer; found {v!r}")
    return n, m or model.sizes.m, k or model.sizes.k


def param_shapes(model: Model, n: int, m: int, k: int) -> dict[Role, tuple[int, int]]:
    """Each parameter's shape as a matrix (biases are columns), for the proof and the codegen."""
    shapes = {r: model.shape(r, type(model.sizes)(1, n, m, k)) for r in model.roles}
    return {r: (s[0], s[1]) if len(s) == 2 else (s[0], 1) for r, s in shapes.items()}


def vanilla_step(cell: CellDef) -> tuple[str, str, Expr]:
    """(state, function, argument) of a one-equation cell h_t = f(a) with a affine in x_t,
    h_{t-1} and the parameters: the vanilla cell's one statement, read from its IR."""
    eqs = cell.equations
    if len(cell.states) != 1 or len(eqs) != 1 or eqs[0].name != cell.states[0]:
        raise InputError(f"cell {cell.name!r} is not a vanilla cell h_t = f(U x_t + W h_(t-1) + b)")
    rhs = eqs[0].rhs
    if not isinstance(rhs, Apply) or not _affine(rhs.arg):
        raise InputError(f"cell {cell.name!r}: {eqs[0].name} = {rhs} is not f of an affine map")
    return cell.states[0], rhs.function, rhs.arg


def _affine(e: Expr) -> bool:
    """True for a sum of parameter-times-(x or the previous state) products and biases."""
    terms = e.terms if isinstance(e, Add) else (e,)
    return all(
        isinstance(t, ParamRef)
        or (isinstance(t, MatMul) and not t.transpose and isinstance(t.vector, Input | Prev))
        for t in terms
    )


def net_of(cell: CellDef, params: Mapping[Role, Any], h_prev: Any, x: Any) -> Any:
    """net_t, the argument of the vanilla cell's f, evaluated from the cell's IR over explicit
    matrices or MatrixSymbols (params by role; the IR names them by `ENGINE_KEY`)."""
    state, _, arg = vanilla_step(cell)
    keyed = {ENGINE_KEY[r]: p for r, p in params.items()}
    return to_sympy(arg, Env(keyed, x, {state: h_prev}, {}, {}, {}))


def model_head(model: Model) -> Head | None:
    """The heads-table entry of the model's output and loss, or None for a pair with no entry."""
    key = BY_OUTPUT_LOSS.get((model.output, model.loss))
    return None if key is None else HEADS[key]
