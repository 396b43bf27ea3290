"""The step lemma: one cell's backward rule is exactly the chain rule, so BPTT holds for every T.

Write E_{>=t}(h_{t-1}; P) = sum_{s=t}^{T} E_s for the loss from step t on, seen as a function of
the state entering step t (inputs fixed). One cell maps h_{t-1} to h_t = f(net_t),
net_t = U x_t + W h_{t-1} + b, so E_{>=t} = E_t(h_t) + E_{>t}(h_t; P) with E_t the (generic)
per-step loss, present at every step or only at t = T.

Lemma (proved exactly by `prove` for concrete n, m, k, generic f, generic L_t and a generic rest
R(h_t) standing for E_{>t}, plus arbitrary symbols Gamma_P for its direct dependence on P): with
the incoming adjoint g = dR/dh_t, the model's per-step rule returns (a) dE_{>=t}/dh_{t-1}, and
(b) dE_{>=t}/dP = term_t(P) + Gamma_P, where Gamma_P = dE_{>t}/dP at fixed h_t; its deltas
equal their definitions (dE/dnet_t, dE_t/dnet_k, or dL_t/dh_t).

Induction: C(t) says BPTT from T down to t gives dE_{>=t}/dh_{t-1} and dE_{>=t}/dP =
sum_{s>=t} term_s(P). C(T+1) is empty (E_{>T} = 0, g = 0). The lemma with g, Gamma_P taken from
C(t+1) gives C(t); C(1) is dE/dP = sum_t term_t(P). The base case T = 1 is also checked by
differentiating E = E_1 directly. Because g, Gamma and f, L, R are arbitrary, no T is special.

The cell's step is read from its one statement (`Model.cell_def`, the cell IR: h_t =
f(a(x_t, h_{t-1})) with a the argument of f, evaluated by `cells.symbolic.to_sympy`), with f made
generic; the output lemma reads the head's SymPy loss and output from `cells.heads.HEADS`.
The proof returns ASCII claims with their content as data (`Claim`); a printer words them in a
text's LaTeX (`symbptt.latex.proof_letters`). The same rule, written once over matrices, is
lambdified into numpy code by `symbptt.symbolic.codegen.compile_gradients` for any T.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symbptt.cells.cell import Cell as CellDef
from symbptt.cells.expr import Add, Apply, Expr, Input, MatMul, ParamRef, Prev
from symbptt.cells.functions import FUNCTIONS
from symbptt.cells.heads import BY_OUTPUT_LOSS, HEADS, Head
from symbptt.cells.symbolic import Env, to_sympy
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Role

__all__ = [
    "Cell",
    "Claim",
    "Proof",
    "StepResult",
    "StepRule",
    "delta_kinds",
    "letters",
    "model_head",
    "net_of",
    "param_shapes",
    "prove",
    "rule_for",
    "sizes_for",
    "step_terms",
    "vanilla_step",
]

#: What a delta is claimed to equal: the derivative named by the model's convention.
TOTAL, LOCAL, REST, STATE = "dE_>=t/dnet_t", "dE_t/dnet_t", "dE_>t/dnet_t", "dE_t/dh_t"
#: The same derivatives written in a model's letters ({E} loss, {net} pre-activation, ...).
_MEANING_TEXT = {
    TOTAL: "d{E}_>=t/d{net}_t",
    LOCAL: "d{Et}_t/d{net}_t",
    REST: "d{E}_>t/d{net}_t",
    STATE: "d{Et}_t/d{h}_t",
}
#: The kinds of claim a proof makes (`Claim.kind`).
ADJOINT, PARAM, DELTA, JACOBIAN, OUTPUT, INDUCTION = (
    "adjoint", "param", "delta", "jacobian", "output", "induction",
)  # fmt: skip
#: Which one-step situation a claim is about (`Claim.case`).
BASE, STEP, STEP_NO_LOSS = "base", "step", "step_no_loss"
#: The two forms of the output lemma: yhat - y, and yhat (sum_j y_j) - y (cross-entropy).
PLAIN, SUMMED = "plain", "summed"
MAX_PROOF_N = 8
GENERIC_MAX_N = 3


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


# --------------------------------------------------------------------------- exact proof


@dataclass(frozen=True)
class Claim:
    """What one claim of a proof says, as data a printer words in a text's letters.

    kind: ADJOINT (dE_>=t/dh_(t-1) = the rule's adjoint), PARAM (dE_>=t/dP = term + rest),
    DELTA (a delta = its definition), JACOBIAN, OUTPUT (the output lemma), INDUCTION.
    case: BASE, STEP or STEP_NO_LOSS for the first three; generic: L_t (and E_>t) undefined
    functions rather than their arbitrary gradients. delta: the rule's key for a delta,
    `which` its kind from `delta_kinds` ('' for a key of another rule), meaning: TOTAL, LOCAL,
    REST or STATE. form: PLAIN or SUMMED for the output lemma, with the head and k.
    """

    kind: str
    case: str = ""
    generic: bool = False
    role: Role | None = None
    delta: str = ""
    which: str = ""
    meaning: str = ""
    form: str = ""
    output: str = ""
    loss: str = ""
    k: int = 0


@dataclass
class Proof:
    """The claims checked for one model and size, each (claim, passed), and the time taken."""

    model: str
    n: int
    m: int
    k: int
    steps: list[tuple[str, bool]] = field(default_factory=list)
    seconds: float = 0.0
    #: What each claim says, as data (`symbptt.latex.proof_letters` words it in LaTeX).
    claims: dict[str, Claim] = field(default_factory=dict)

    def add(self, claim: str, ok: bool, data: Claim) -> None:
        """Record one claim, its verdict and what it says."""
        self.steps.append((claim, ok))
        self.claims[claim] = data

    @property
    def passed(self) -> bool:
        """True when every claim holds."""
        return bool(self.steps) and all(ok for _, ok in self.steps)


def _mat(name: str, r: int, c: int) -> sp.Matrix:
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}{j}" if c > 1 else f"{name}_{i}"))


def _fdiff(self: sp.Function, argindex: int = 1) -> sp.Expr:
    name = type(self).__name__
    if len(self.args) == 1:
        return sp.Function(f"{name}'")(*self.args)
    return sp.Function(f"D{argindex}{name}")(*self.args)


def _generic(name: str) -> type[sp.Function]:
    """A generic differentiable function: its derivatives are undefined functions f', D_iL."""
    return type(name, (sp.Function,), {"fdiff": _fdiff})


#: The generic per-step loss L and rest R of the proof (the step's f is the table's generic f).
F_LOSS, F_REST = _generic("L"), _generic("R")
#: The proof's activation: the function table's generic f (an atom with the atom f' as derivative).
GENERIC_F = "generic"


def _grad_at(F: type[sp.Function], point: list[sp.Expr]) -> sp.Matrix:
    """The gradient of a generic scalar function at a point, in the form `diff` produces."""
    applied = F(*point)
    return sp.Matrix([applied.fdiff(i + 1) for i in range(len(point))])


def _gradient(phi: sp.Expr) -> Callable[[sp.Symbol], sp.Expr]:
    """v -> d phi / d v, by SymPy's diff of each factor and the sum and product rules.

    The same derivative as sp.diff(phi, v), but each distinct factor (such as f(net_a)) is
    differentiated once per symbol instead of once per term it appears in.
    """
    cache: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] = {}

    def d(factor: sp.Expr, v: sp.Symbol) -> sp.Expr:
        if (factor, v) not in cache:
            cache[factor, v] = sp.diff(factor, v)
        return cache[factor, v]

    acc: dict[sp.Symbol, list[sp.Expr]] = {}
    for term in sp.Add.make_args(sp.expand(phi, deep=False)):
        factors = sp.Mul.make_args(term)
        for v in term.free_symbols:
            for i, fac in enumerate(factors):
                if v in fac.free_symbols:
                    rest = factors[:i] + factors[i + 1 :]
                    acc.setdefault(v, []).append(sp.Mul(*rest, d(fac, v)))
    return lambda v: sp.Add(*acc.get(v, ()))


def _expand_mul(expr: sp.Expr) -> sp.Expr:
    """Distribute products over sums at the top level only (function arguments stay as atoms)."""
    return sp.expand(expr, deep=False, power_exp=False, power_base=False, multinomial=False,
                     log=False, basic=False)  # fmt: skip


def _zero(expr: sp.Expr) -> bool:
    return expr == 0 or _expand_mul(expr) == 0 or sp.expand(expr) == 0


def _same(a: sp.Matrix, b: sp.Matrix) -> bool:
    return a.shape == b.shape and all(_zero(u - v) for u, v in zip(a, b, strict=True))


class _SymbolicCell:
    """One cell with generic f, generic per-step loss L and a generic rest R, at concrete sizes.

    The step is the model's cell IR (`Model.cell_def`) with its function made generic:
    h_t = f(a) with a the IR's argument of f, evaluated by `cells.symbolic.to_sympy`.
    """

    def __init__(
        self, model: Model, n: int, m: int, k: int, *, loss: bool, rest: bool, generic: bool
    ) -> None:
        self.model, self.generic = model, generic
        self.P = {r: _mat(ENGINE_KEY[r], *s) for r, s in param_shapes(model, n, m, k).items()}
        self.h_prev, self.x = _mat("hp", n, 1), _mat("x", m, 1)
        self.nu = _mat("nu", n, 1)  # net_t as free symbols, for the delta definitions
        self.eta = _mat("eta", n, 1)  # h_t as free symbols, for dE_t/dh_t
        self.loss, self.rest = loss, rest
        self.fn = FUNCTIONS[GENERIC_F]
        self.net = net_of(model.cell_def, self.P, self.h_prev, self.x)

    def parts(self, net: sp.Matrix) -> tuple[sp.Expr, sp.Expr, dict[str, Any]]:
        """(E_t, R) as functions of net, with e, dE_t/dh_t and g at that point."""
        h = net.applyfunc(self.fn.sympy)
        Et, e, dEdh = self.step_loss(h)
        R, g = self._outer("R", h) if self.rest else (sp.S.Zero, sp.zeros(net.rows, 1))
        return Et, R, {"h": h, "e": e, "dEdh": dEdh, "g": g}

    def step_loss(self, h: sp.Matrix) -> tuple[sp.Expr, Any, sp.Matrix]:
        """E_t as a function of h (through z = V h + c with an output layer), e and V^T e."""
        P, n = self.P, h.rows
        e, Et, dEdh = None, sp.S.Zero, sp.zeros(n, 1)
        if Role.OUTPUT in P:
            z = P[Role.OUTPUT] * h
            if Role.OUTPUT_BIAS in P:
                z += P[Role.OUTPUT_BIAS]
            e = sp.zeros(z.rows, 1)
            if self.loss:
                Et, e = self._outer("L", z)
                dEdh = P[Role.OUTPUT].T * e
        elif self.loss:
            Et, dEdh = self._outer("L", h)
        return Et, e, dEdh

    def _outer(self, name: str, at: sp.Matrix) -> tuple[sp.Expr, sp.Matrix]:
        """A generic scalar function of `at` and its gradient there.

        generic: an undefined function F(at). linear: <a, at> with arbitrary symbols a, which
        has the same first derivatives as any F whose gradient at the point is a.
        """
        if self.generic:
            F = {"L": F_LOSS, "R": F_REST}[name]
            return F(*at), _grad_at(F, list(at))
        a = _mat(f"d{name}", at.rows, 1)
        return (a.T * at)[0, 0], a

    def cell(self, parts: dict[str, Any]) -> Cell:
        """The Cell a rule sees, at net_t = U x_t + W h_{t-1} + b."""
        fp = self.net.applyfunc(self.fn.sympy_prime)
        future = _mat("net_future", self.net.rows, 1).applyfunc(self.fn.sympy_prime)
        e = parts["e"]
        return Cell(
            self.P, self.h_prev, self.x, parts["h"], fp, e, parts["dEdh"], parts["g"], future,
            lambda a, b: a.multiply_elementwise(b),
        )  # fmt: skip


def _check_step(
    sc: _SymbolicCell, rule: StepRule, case: str, head: str
) -> list[tuple[str, bool, Claim]]:
    """Claims (a) adjoint, (b) per-parameter terms, (c) delta definitions for one cell, each
    (ASCII claim, passed, what it says); `head` is the cell's ASCII heading."""
    Et, R, parts = sc.parts(sc.net)
    gamma = {r: _mat(f"Gamma{ENGINE_KEY[r]}", *p.shape) for r, p in sc.P.items()}
    direct = sum((sum(g.multiply_elementwise(sc.P[r])) for r, g in gamma.items()), sp.S.Zero)
    phi = Et + R + direct
    res = rule.backward(sc.cell(parts))
    steps = []
    grad = _gradient(phi)
    adj = sc.h_prev.applyfunc(grad)
    a = letters(sc.model)
    E, h = a["E"], a["h"]
    steps.append((
        f"{head}: d{E}_>=t/d{h}_(t-1) = rule's adjoint",
        _same(adj, res.adjoint),
        Claim(ADJOINT, case, sc.generic),
    ))  # fmt: skip
    for r, p in sc.P.items():
        truth = p.applyfunc(grad)
        term = res.terms.get(r)
        ok = term is not None and _same(truth, term + gamma[r])
        P = sc.model.notation.param(r).ascii
        steps.append((
            f"{head}: d{E}_>=t/d{P} = per-step term + d{E}_>t/d{P} at fixed {h}_t",
            ok,
            Claim(PARAM, case, sc.generic, role=r),
        ))  # fmt: skip
    # delta definitions: differentiate with net_t as free symbols, then put net_t back
    Et_nu, R_nu, parts_nu = sc.parts(sc.nu)
    back = dict(zip(sc.nu, sc.net, strict=True))
    wrt = {
        TOTAL: Et_nu + R_nu,
        LOCAL: Et_nu,
        REST: R_nu,
    }
    # dE_t/dh_t: differentiate E_t with h_t as free symbols, then put h_t = f(net_t) back
    Et_eta = sc.step_loss(sc.eta)[0]
    at_h = dict(zip(sc.eta, parts["h"], strict=True))
    kinds = delta_kinds(sc.model)
    for name, (value, meaning) in res.deltas.items():
        if meaning == STATE:
            truth = sp.Matrix([sp.diff(Et_eta, v) for v in sc.eta]).xreplace(at_h)
        else:
            truth = sp.Matrix([sp.diff(wrt[meaning], v) for v in sc.nu]).subs(back)
        says = _MEANING_TEXT[meaning].format(**a)
        steps.append((
            f"{head}: {name} = {says}",
            _same(truth, value),
            Claim(DELTA, case, sc.generic, delta=name, which=kinds.get(name, ""), meaning=meaning),
        ))  # fmt: skip
    return steps


def _output_lemma(model: Model, k: int) -> tuple[str, bool, Claim] | None:
    """dE_t/dz_t = yhat_t - y_t (or yhat_t (sum_j y_tj) - y_t) for the model's head, by direct
    differentiation of the head's SymPy loss (`cells.heads`); None for a head without one."""
    head = model_head(model)
    if head is None or not head.has_output_layer:
        return None
    z, y = _mat("z", k, 1), _mat("y", k, 1)
    E = head.sympy_loss(list(z), list(y))
    yhat = list(head.sympy_output(list(z)))
    grad = [sp.diff(E, v) for v in z]
    forms = {
        PLAIN: [yh - yv for yh, yv in zip(yhat, y, strict=True)],
        SUMMED: [yh * sum(y) - yv for yh, yv in zip(yhat, y, strict=True)],
    }
    # the strongest form that holds for every y: yhat - y; else yhat (sum_j y_j) - y (equal to
    # it for targets that sum to 1); a head satisfying neither fails the plain claim
    holds = {f: all(_zero_lemma(g - c) for g, c in zip(grad, claim, strict=True))
             for f, claim in forms.items()}  # fmt: skip
    form = PLAIN if holds[PLAIN] or not holds[SUMMED] else SUMMED
    a, nt = letters(model), model.notation
    yh, yt = nt.output.ascii, nt.target.ascii
    rhs = f"{yh}_t - {yt}_t" if form == PLAIN else f"{yh}_t (sum_j {yt}_tj) - {yt}_t"
    return (
        f"output lemma: d{a['Et']}_t/d{a['z']}_t = {rhs} for {head.output} + {head.loss} (k={k})",
        holds[form],
        Claim(OUTPUT, form=form, output=head.output, loss=head.loss, k=k),
    )


def _zero_lemma(expr: sp.Expr) -> bool:
    """expr == 0 for a difference of derivatives of logs, exps and sigmoids (exact)."""
    expr = sp.expand_log(expr.rewrite(sp.exp), force=True)
    return sp.expand(sp.numer(sp.together(expr))) == 0


def prove(
    model: Model,
    n: int,
    m: int | None = None,
    k: int | None = None,
    *,
    rule: StepRule | None = None,
    generic: bool | None = None,
) -> Proof:
    """Prove the per-step rule equal to one cell's chain rule (step) and to d E_1 (base case).

    generic=True keeps the loss L_t and the rest R as undefined functions; False uses their
    arbitrary symbolic gradients (same first derivatives, much faster); default: n <= 3.
    """
    n, m, k = sizes_for(model, n, m, k)
    if n > MAX_PROOF_N:
        raise InputError(
            f"n = {n} is above the exact proof's limit n <= {MAX_PROOF_N}; the proof holds for "
            "every T already"
        )
    vanilla_step(model.cell_def)  # InputError for a cell that is not the vanilla one
    rule = rule or rule_for(model)
    generic = n <= GENERIC_MAX_N if generic is None else generic
    a = letters(model)
    Et, E = a["Et"], a["E"]
    arb = "arbitrary" if generic else "arbitrary gradients of"
    how = (
        f"{arb} per-step loss {Et}_t",
        f"{arb} per-step loss {Et}_t and the loss of later steps {E}_>t",
    )
    start = time.perf_counter()
    proof = Proof(model.name, n, m, k)
    base = _SymbolicCell(model, n, m, k, loss=True, rest=False, generic=generic)
    for claim in _check_step(base, rule, BASE, f"base case T=1 ({how[0]})"):
        proof.add(*claim)
    jac = f"d{a['h']}_t/d{a['h']}_(t-1) = diag({a['f']}'({a['net']}_t)) {a['R']}"
    proof.add(f"cell Jacobian: {jac}", _jacobian_claim(base), Claim(JACOBIAN))
    kinds = [("step, loss at t", STEP, True)]
    if model.loss_at == "last":
        kinds.append(("step, no loss at t < T", STEP_NO_LOSS, False))
    for label, case, has_loss in kinds:
        sc = _SymbolicCell(model, n, m, k, loss=has_loss, rest=True, generic=generic)
        for claim in _check_step(sc, rule, case, f"{label} ({how[1]})"):
            proof.add(*claim)
    if model.has_output_layer:
        lemma = _output_lemma(model, k)
        if lemma is not None:
            proof.add(*lemma)
    proof.add(
        f"induction on t from T down to 1: after step T, {E}_>T = 0; the step gives the claims "
        f"at t from those at t+1 for any {E}_>t; so the gradient of {E} is the sum over t of the "
        "rule's step-t terms, for every T",
        all(ok for _, ok in proof.steps),
        Claim(INDUCTION),
    )
    proof.seconds = time.perf_counter() - start
    return proof


def _jacobian_claim(sc: _SymbolicCell) -> bool:
    c = sc.cell(sc.parts(sc.net)[2])
    return _same(c.h.jacobian(sc.h_prev), sp.diag(*c.fp) * sc.P[Role.RECURRENT])
