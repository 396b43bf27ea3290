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

The rule and one step's quantities are in `symbolic.step_rule`, the symbolic cell the proof
builds in `symbolic.lemma_cell`; this module proves the rule (their names are re-exported here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import sympy as sp

from symbptt.cells.symbolic import head_gradient
from symbptt.errors import InputError
from symbptt.model import ENGINE_KEY, Model, Role
from symbptt.symbolic.lemma_cell import (
    F_LOSS,
    F_REST,
    GENERIC_F,
    _gradient,
    _mat,
    _same,
    _SymbolicCell,
)
from symbptt.symbolic.step_rule import (
    LOCAL,
    REST,
    STATE,
    TOTAL,
    Cell,
    StepResult,
    StepRule,
    delta_kinds,
    letters,
    model_head,
    net_of,
    param_shapes,
    rule_for,
    sizes_for,
    step_terms,
    vanilla_step,
)

__all__ = [
    "F_LOSS",
    "F_REST",
    "GENERIC_F",
    "LOCAL",
    "REST",
    "STATE",
    "TOTAL",
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
    """dE_t/dz_t = yhat_t - y_t (or yhat_t (sum_j y_tj) - y_t) for the model's head: the heads
    table's dE/dz proved by direct differentiation of its loss (`cells.symbolic.head_gradient`,
    the same lemma the gated cells use); None for a head without an output layer."""
    head = model_head(model)
    if head is None or not head.has_output_layer:
        return None
    lemma = head_gradient(head, k)
    # the table's dE/dz is yhat - y for every y, or yhat (sum_j y_j) - y (softmax + CE: equal to
    # yhat - y for targets summing to 1); a table entry that is neither fails the plain claim
    form = PLAIN if lemma.assumption in ("", "never") else SUMMED
    a, nt = letters(model), model.notation
    yh, yt = nt.output.ascii, nt.target.ascii
    rhs = f"{yh}_t - {yt}_t" if form == PLAIN else f"{yh}_t (sum_j {yt}_tj) - {yt}_t"
    return (
        f"output lemma: d{a['Et']}_t/d{a['z']}_t = {rhs} for {head.output} + {head.loss} (k={k})",
        lemma.holds and lemma.assumption != "never",
        Claim(OUTPUT, form=form, output=head.output, loss=head.loss, k=k),
    )


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
