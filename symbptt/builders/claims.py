"""Wrong formulas the source texts state for an error-term convention, checked by the symbolic core.

Homework 3 (Ex 1(b)) defines the local delta_t = dL_t/dh_t and then states
dL/dW = sum_t (sigma'(s_t) (.) delta_t) h_{t-1}^T; the dl4nlp lecture writes
delta_{t,k} = diag(f'(s_t)) U^T delta_{t,k+1} with s_t where s_k belongs. Both are
`symbolic.gradients` variants (`drop_recursive`, `wrong_index`); `verify.check_direct_equals_bptt`
is the same comparison over all parameters; here only the recurrent matrix's gradient is
compared with the direct derivative on the generic graph (any f, any L_t), as polynomials in the
graph's atoms (`symbolic.exact.same`). The verdict printed is the check's, never written by hand.

The claims belong to the built-in derivations of those texts (derivations/homework3.yaml,
derivations/dl4nlp.yaml), not to an error-term convention: a model gets one only when it is that
built-in derivation, field for field, so a user's own file never cites Homework 3 or the lecture.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbptt import catalog
from symbptt.latex.expansion import entry
from symbptt.latex.notation import Names
from symbptt.latex.steps import CheckResult, Section, Step
from symbptt.model import Model, Role
from symbptt.symbolic import gradients
from symbptt.symbolic.exact import same, sample
from symbptt.symbolic.unroll import unroll

#: The sizes the claim is checked at: T = 1 (where it holds) and T = 2 (a counterexample there is
#: one for every T >= 2: take L_t = 0 for t > 2), at one hidden unit.
CLAIM_T = (1, 2)


@dataclass(frozen=True)
class Claim:
    """A formula a text states, the variant of BPTT it amounts to, and where it is stated."""

    where: str
    variant: str
    lhs: str
    rhs: str
    what: str
    correct_lhs: str
    correct_rhs: str
    correct_why: str


def is_builtin(model: Model, name: str) -> bool:
    """True when `model` is the built-in derivations/<name>.yaml (same name and every field)."""
    if model.name != name or name not in catalog.builtin_names():
        return False
    return catalog.load_file(catalog.DERIVATIONS_DIR / f"{name}.yaml").model == model


def _claim(model: Model) -> Claim | None:
    nm = Names(model)
    t, R = nm.t, nm.param(Role.RECURRENT)
    if is_builtin(model, "homework3"):
        nu = nm._v(r"\nu", t)
        return Claim(
            where="Homework 3, Ex 1(b), states this as its final formula",
            variant="drop_recursive",
            lhs=f"\\frac{{\\partial {nm.E}}}{{\\partial {R}}}",
            rhs=f"\\sum_{{{t}=1}}^{{T}} \\left({nm.fprime(nm.net(t))} \\odot {nm.delta(t)}\\right)"
            f" {nm.h(f'{t}-1')}^\\top",
            what=f"entries ${entry(nm.delta(t), 'j')} {nm.f}'\\left({entry(nm.net(t), 'j')}\\right) "
            f"{entry(nm.h(f'{t}-1'), 'i')}$ summed over ${t}$, with the local "
            f"${nm.delta(t)} = \\partial {nm.E_t(t)} / \\partial {nm.h(t)}$; it drops "
            f"${R}^\\top \\nu_{{{t}+1}}$, the later losses reaching ${nm.h(t)}$ "
            f"through ${nm.net(f'{t}+1')}$",
            correct_lhs=f"\\frac{{\\partial {nm.E}}}{{\\partial {R}}}",
            correct_rhs=f"\\sum_{{{t}=1}}^{{T}} {nu} {nm.h(f'{t}-1')}^\\top",
            correct_why=f"with the total error term ${nu} = {nm.fprime(nm.net(t))} \\odot "
            f"\\left({nm.delta(t)} + {R}^\\top \\nu_{{{t}+1}}\\right)$, $\\nu_{{T+1}} = 0$",
        )
    if is_builtin(model, "dl4nlp"):
        return Claim(
            where="the lecture writes this in one line",
            variant="wrong_index",
            lhs=nm.delta(t, "k"),
            rhs=f"{nm.diag_fprime(nm.net(t))} {R}^\\top {nm.delta(t, 'k+1')}",
            what=f"${nm.f}'$ taken at step ${t}$ instead of step $k$",
            correct_lhs=nm.delta(t, "k"),
            correct_rhs=f"{nm.fprime(nm.net('k'))} \\odot {R}^\\top {nm.delta(t, 'k+1')}",
            correct_why=f"chain rule through ${nm.h('k')} = {nm.f}\\left({nm.net('k')}\\right)$: "
            f"the derivative is taken at step $k$",
        )
    return None


@dataclass(frozen=True)
class _Check:
    name: str
    passed: bool
    max_error: float
    detail: str
    label: str


def _check(model: Model, variant: str, T: int) -> _Check:
    """dE/dR by direct differentiation vs the variant's BPTT total, exactly, on the generic graph."""
    u = unroll(model, T, 1, generic=True)
    nt = model.notation
    R = nt.param(Role.RECURRENT).ascii
    E_t = f"{nt.step_loss.ascii}_t"
    name = f"exact: d{nt.loss.ascii}/d{R} direct = BPTT [{variant}] (generic {nt.activation.ascii} and {E_t}; T={T}, n=1)"
    nm = Names(model)
    label = (
        f"exact: $\\partial {nm.E} / \\partial {nm.param(Role.RECURRENT)}$ direct = BPTT "
        f"[`{variant}`] (an arbitrary activation in place of ${nm.f}$ and an arbitrary per-step "
        f"loss ${nm.E_t(nm.t)}$; $T = {T}$, $n = 1$)"
    )
    truth = gradients.direct(u, Role.RECURRENT)
    claim = gradients.bptt(u, Role.RECURRENT, variant=variant).total
    bad = same(truth, claim)
    if not bad:
        return _Check(name, True, 0.0, "", label)
    a, b = sample([truth[bad[0]], claim[bad[0]]], seed=0)
    err = abs(a - b) / max(abs(a) + abs(b), 1e-8)
    where = f"with every atom drawn from (-1, 1) (seed 0): direct {a:.6g}, claim {b:.6g}"
    return _Check(name, False, err, f"the polynomials differ; {where}", label)


def claims(model: Model) -> tuple[Section | None, list[CheckResult]]:
    """The section stating the text's wrong formula with the symbolic core's verdict, and its rows."""
    claim = _claim(model)
    if claim is None:
        return None, []
    results = {T: _check(model, claim.variant, T) for T in CLAIM_T}
    rows = [
        CheckResult(
            c.name,
            "the text's claim",
            c.passed,
            c.max_error,
            f"{claim.variant}, generic activation and loss",
            c.detail,
            claim=True,
            label=c.label,
        )
        for c in results.values()
    ]
    one, two = results[1], results[2]
    if one.passed and not two.passed:
        verdict = "holds for $T = 1$ but is WRONG for every $T \\ge 2$"
    elif not two.passed:
        verdict = "is WRONG"
    else:
        verdict = "holds at $T = 1$ and $T = 2$ (not refuted)"
    cite = (
        f'the check "{two.label}" '
        + ("fails: " + two.detail if not two.passed else "passes")
        + f'; at $T = 1$ "{one.label}" '
        + ("passes" if one.passed else "fails")
    )
    reason = (
        f"The text's formula ({claim.where}): {claim.what}. The symbolic core: it {verdict}; "
        f"{cite}. On the generic graph a counterexample at $T = 2$ is one for every larger $T$ "
        "(take the later losses zero)."
    )
    steps = (
        Step(claim.lhs, claim.rhs, reason, relation="\\overset{?}{=}", kind="text claim"),
        Step(
            claim.correct_lhs,
            claim.correct_rhs,
            "the correct form: " + claim.correct_why,
            kind="claim: correct form",
        ),  # fmt: skip
    )
    title = "A formula from the text, checked" + (": WRONG" if not two.passed else "")
    return Section(title, steps), rows
