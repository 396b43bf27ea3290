"""The derivation document of a gated cell (lstm, homework3-lstm, gru, gru-reset-before).

Built from the cell's statement as data: its equations, the reverse step derived by
`cells.reverse` (proved by the step lemma), the step partials derived by `cells.carousel`
(d c_t / d c_{t-1} = diag(f_t) for the LSTM, whose gates do not read c_{t-1}), and the checks of `symbptt verify`. The
result is the same `Derivation` value the vanilla document is, so every format prints it.
With an output head (`cells.heads`) the head's section follows the cell, and the small-T path
sums dL_T/dP through the carried states come from `cells.paths` (`builders.gated_paths`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from symbptt import verify
from symbptt.builders.gated_paths import (
    default_path_param,
    head_section,
    paths_section,
    resolve_wrt,
)
from symbptt.cells import carousel
from symbptt.cells import checks as cells_checks
from symbptt.cells.expr import Adj, Apply
from symbptt.cells.jacobian import step_partial_terms, total_jacobian_terms
from symbptt.cells.reverse import StepAdjoints, step_adjoints
from symbptt.errors import InputError
from symbptt.latex.cell_ir import CellPrinter, printer
from symbptt.latex.steps import CheckResult, Derivation, Section, Step
from symbptt.model import Model
from symbptt.verify import large

__all__ = ["build"]

_NOTE = (
    "For a gated cell this document holds the cell, its output head (if any), its reverse step "
    "for every $T$, the derived step partials, the path sums at the derivation's $T$ and the "
    "checks; the vanilla RNN's per-entry expansions of direct differentiation are not written "
    "for a gated cell (direct = BPTT is proved exactly in the checks)."
)
#: The --form values a gated derivation prints: every section; what holds for every T (the
#: cell, the head, the reverse step, the step partials); the cell, head and reverse step; the
#: cell and the path sums.
GATED_FORMS = ("all", "general", "bptt", "paths")


def _split(line: str) -> tuple[str, str]:
    lhs, _, rhs = line.partition("&=")
    return lhs.strip(), rhs.strip()


def cell_section(model: Model) -> Section:
    """The cell's equations, one step t."""
    cell = model.cell_def
    p = printer(model)
    steps = []
    for eq, line in zip(cell.equations, p.equations(), strict=True):
        lhs, rhs = _split(line)
        if eq.name in cell.states:
            reason = f"the state ${p.at(eq.name)}$, carried to the next step"
        elif isinstance(eq.rhs, Apply) and eq.rhs.function == "sigmoid":
            reason = f"a gate: $\\sigma$ keeps every entry of ${p.at(eq.name)}$ in $(0, 1)$"
        else:
            reason = f"the candidate ${p.at(eq.name)}$"
        steps.append(Step(lhs, rhs, reason, kind="cell equation"))
    states = ", ".join(f"${p.at(s)}$" for s in cell.states)
    text = (
        f"One step ${p.t}$ of the cell `{cell.name}`, printed from its statement as data; it "
        f"carries the state{'s' if len(cell.states) > 1 else ''} {states} to the next step. "
        + (
            f"The loss is ${p.loss} = {p.step_loss}_T$, the last step's loss of "
            f"${p.name(cell.readout)}_T$. "
            if model.loss_at == "last"
            else f"The loss is ${p.loss} = \\sum_{{{p.t}}} {p.step_loss}_{{{p.t}}}$, a per-step "
            f"loss of ${p.at(cell.readout)}$. "
        )
        + _sizes(p)
    )
    return Section("The cell", tuple(steps), text)


def _sizes(p: CellPrinter) -> str:
    """The sizes: every state n entries, the input m, each parameter by its declared shape."""
    cell = p.cell
    space = {("n",): "\\mathbb{R}^{n}", ("n", "n"): "\\mathbb{R}^{n \\times n}",
             ("n", "m"): "\\mathbb{R}^{n \\times m}"}  # fmt: skip
    states = ", ".join(p.at(q) for q in cell.quantities)
    groups: dict[tuple[str, ...], list[str]] = {}
    for par in cell.params:
        groups.setdefault(tuple(par.shape), []).append(p.param(par.key))
    params = "; ".join(f"${', '.join(v)} \\in {space[shape]}$" for shape, v in groups.items())
    return (
        f"Sizes: ${states} \\in \\mathbb{{R}}^{{n}}$, ${p.x}_{{{p.t}}} \\in \\mathbb{{R}}^{{m}}$; "
        f"{params}."
    )


def _reason(a: Adj, p: CellPrinter, states: Sequence[str]) -> str:
    if a.pre:
        return (
            f"through the function that defines ${p.at(a.name)}$; its derivative written with "
            "the output, as the texts do"
        )
    if a.name in states:
        return (
            f"$\\hat{{\\delta}}^{{{p.name(a.name)}}}_{{{p.t}}}$ arrives from outside step ${p.t}$ "
            f"(the loss at ${p.t}$ and step ${p.t} + 1$), plus every equation of step ${p.t}$ "
            f"that reads ${p.at(a.name)}$"
        )
    return f"the sum over the equations of step ${p.t}$ that read ${p.at(a.name)}$"


def reverse_section(model: Model, rev: StepAdjoints) -> Section:
    """The reverse step, line by line, in the order it is evaluated."""
    cell = model.cell_def
    p = printer(model)
    lines = p.reverse(rev)
    steps = []
    reasons = [_reason(a, p, cell.states) for a, _ in rev.adjoints]
    for s, _ in rev.prev:
        last = (
            f"$\\hat{{\\delta}}^{{{p.name(s)}}}_T = \\partial {p.step_loss}_T / \\partial {p.name(s)}_T$"
            if s == cell.readout
            else f"$\\hat{{\\delta}}^{{{p.name(s)}}}_T = 0$: the loss reads "
            f"${p.name(cell.readout)}$ only"
        )
        reasons.append(f"passed back to step ${p.t} - 1$; at the last step {last}")
    if rev.input is not None:
        reasons.append(f"the adjoint of the input ${p.x}_{{{p.t}}}$")
    reasons += ["the per-step term, summed over every step" for _ in rev.params]
    for line, reason in zip(lines, reasons, strict=True):
        lhs, rhs = _split(line)
        steps.append(Step(lhs, rhs, reason, kind="reverse step"))
    text = (
        "One step of BPTT for every $T$, derived from the cell's equations by symbptt's own "
        "reverse mode and proved equal to SymPy's derivatives of one symbolic step (the step "
        f"lemma). $\\delta^{{q}}_{{{p.t}}} = \\partial {p.loss} / \\partial q_{{{p.t}}}$; "
        f"$\\delta^{{a_q}}_{{{p.t}}}$ is the adjoint of the argument of the function that defines "
        "$q$ (its pre-activation)."
    )
    return Section("For every T: one step of BPTT", tuple(steps), text)


def partials_section(model: Model) -> Section:
    """Step partials between consecutive states, derived from the equations.

    A multi-state cell's step partial d s_t / d s_{t-1} holds the other states at t-1 and x_t
    fixed; everything in step t that reads s_{t-1} moves (peephole gates too). A one-state cell
    has no other state, so its step partial is the total: the direct term (the state's own read
    of s_{t-1}, the gates held fixed) is printed and named so.
    """
    cell = model.cell_def
    p = printer(model)
    k = "k" if p.t != "k" else "j"  # the earlier step
    i = "i" if p.t != "i" else "l"  # the product's index
    steps = []
    for s in cell.states:
        part = carousel.carried(cell, s)
        terms = step_partial_terms(cell, s)
        others = [st for st in cell.states if st != s]
        lhs = f"\\frac{{\\partial {p.at(s)}}}{{\\partial {p.at(s, '-1')}}}"
        diag = part.gate is not None
        one_minus = "1 - " if part.complemented else ""  # diag(1 - z): the MGU's update
        q_name = f"{one_minus}{p.name(part.gate)}" if part.gate is not None else ""
        q_at = f"{one_minus}{p.at(part.gate)}" if part.gate is not None else ""
        if others and diag:
            held = ", ".join(p.at(o, "-1") for o in others)
            steps.append(Step(
                lhs,
                f"\\operatorname{{diag}}\\left({q_at}\\right)",
                f"the step's partial derivative: ${held}$ and the input held fixed, everything "
                f"in step ${p.t}$ that reads ${p.at(s, '-1')}$ moving with it; only the "
                f"${p.name(s)}$ equation reads it, so only the direct path remains "
                "(derivative: partial in an answer file); the total derivative also runs "
                "through the gates and differs (see the checks)",
                kind="step partial",
            ))  # fmt: skip
        elif others and terms and all(f.key is None for t in terms for f in t.factors):
            held = ", ".join(p.at(o, "-1") for o in others)
            reads = carousel.reads_own_state(cell, s, s)
            steps.append(Step(
                lhs,
                p.jacobian(terms),
                f"the step's partial derivative: ${held}$ and the input held fixed, everything "
                f"in step ${p.t}$ that reads ${p.at(s, '-1')}$ moving with it (derived by "
                "forward mode over the equations); "
                + (f"${', '.join(p.at(r) for r in reads)}$ also read ${p.at(s, '-1')}$, so it "
                   "is not the direct path's diagonal alone" if reads else "")
                + " (derivative: partial in an answer file)",
                terms=tuple(
                    t if not t.startswith("-") else f"\\left({t}\\right)"
                    for t in p.jacobian_parts(terms)
                ),
                per_line=1,
                kind="step partial",
            ))  # fmt: skip
        elif not others and diag:
            steps.append(Step(
                lhs,
                f"\\operatorname{{diag}}\\left({q_at}\\right)",
                f"the direct term only: the derivative through the ${p.name(s)}$ equation's own "
                f"read of ${p.at(s, '-1')}$, the gates and the candidate held fixed "
                "(derivative: partial in an answer file); the gates read the same state, so "
                "the step's whole derivative is the total below",
                kind="direct term",
            ))  # fmt: skip
        elif others:
            continue
        through = (
            f"${p.at(s, '-1')}$ also moves ${', '.join(p.at(o, '-1') for o in others)}$ "
            f"at step ${p.t} - 1$, and every gate at step ${p.t}$"
            if others
            else f"the gates at step ${p.t}$ read the same state"
            if diag
            else f"${p.at(s, '-1')}$ is the only state, so the step partial is the total; "
            f"every equation of step ${p.t}$ that reads it moves with it"
        )
        first = (
            f"the term $\\operatorname{{diag}}\\left({q_at}\\right)$ is "
            + ("the direct term" if not others else "the step partial (the direct path)")
            + ", the others run through the gates"
            if diag
            else "the step partial's terms come first, the others run through the other states"
            if others
            else "no gate multiplies the state, so there is no direct term to single out"
        )
        steps.append(
            Step(
                f"\\frac{{\\mathrm{{d}} {p.at(s)}}}{{\\mathrm{{d}} {p.at(s, '-1')}}}",
                p.jacobian(total_jacobian_terms(cell, s)),
                f"the total derivative, every path: {through}; {first} (derived by forward "
                "mode over the equations; the checks compare it with central differences)",
                terms=tuple(
                    t if not t.startswith("-") else f"\\left({t}\\right)"
                    for t in p.jacobian_parts(total_jacobian_terms(cell, s))
                ),
                per_line=1,
                kind="total jacobian",
            )
        )
        if others and diag and not carousel.reads_own_state(cell, s, s):
            steps.append(
                Step(
                    f"\\frac{{\\partial {p.name(s)}_{p.t}}}{{\\partial {p.name(s)}_{k}}}",
                    f"\\prod_{{{i}={k}+1}}^{{{p.t}}} "
                    f"\\operatorname{{diag}}\\left({q_name}_{i}\\right)",
                    "along the direct path (the other states held fixed at every step): the "
                    f"chain rule multiplies the step partials; equal to $I$ when every "
                    f"${q_name}_{i} = 1$",
                    kind="direct path",
                )
            )
    return Section("Step partials", tuple(steps))


def check_rows(model: Model, T: int, n: int, seed: int) -> tuple[list[CheckResult], str]:
    """The checks of `symbptt verify` at T and n as document rows, and a note naming the checks
    skipped beyond the unrolled limit ('' when none): those that scale run at any size."""
    report = verify.run_checks(model, T, n, seed=seed)
    detail = f"T = {T}, n = {n}, seed {seed}"
    ran = [c for c in report.checks if not c.skipped]
    skipped = [c for c in report.checks if c.skipped]
    note = ""
    if skipped:
        reason = skipped[0].detail.removeprefix("skipped: ")
        note = (
            f"Checks not run at T = {T}, n = {n} ({reason}): "
            + "; ".join(c.name for c in skipped)
            + f". `symbptt verify` runs them at --T {min(T, cells_checks.MAX_T)} --n "
            f"{min(n, cells_checks.MAX_N)}."
        )
    rows = [
        CheckResult(c.name, "checks", c.passed, c.max_error, detail, note=c.detail) for c in ran
    ]
    return rows, note


def check_derive_sizes(T: object, n: object, form: str, checks: bool) -> None:
    """InputError unless T and n are whole numbers >= 1 that the requested sections accept.

    The path sums (--form all, paths) unroll T steps, so they stop at a gated cell's unrolled
    limit; the cell, the reverse step and the step partials hold for every T and n; the checks
    run those that scale beyond the limit (up to `verify.large.check_bound`).
    """
    for key, v in (("--T", T), ("--n", n)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {v!r}")
    assert isinstance(T, int) and isinstance(n, int)
    hi_T, hi_n = cells_checks.MAX_T, cells_checks.MAX_N
    over = [f"{k}={v}" for k, v, hi in (("T", T, hi_T), ("n", n, hi_n)) if v > hi]
    if form in ("all", "paths") and over:
        raise InputError(
            f"{' and '.join(over)} {'is' if len(over) == 1 else 'are'} too large for a gated "
            f"cell's path sums (--form {form}): they unroll T steps at n hidden units and are "
            f"written out at T<={hi_T}, n<={hi_n}; --form general (the cell, the reverse step, "
            "the step partials) or bptt (the cell and the reverse step) prints what holds for "
            "every T and n, with the checks that scale"
        )
    if checks:
        try:
            large.check_bound(T, n)
        except InputError as exc:
            raise InputError(f"{exc}; or --no-checks leaves the checks out") from None


def build(
    model: Model,
    T: int | None = None,
    n: int | None = None,
    *,
    wrt: Sequence[str] = (),
    form: str = "all",
    seed: int = 0,
    checks: bool = True,
) -> Derivation:
    """The derivation of a gated model; T and n (default: the model's) size the checks and the
    path sums. `wrt` (parameter keys) keeps those parameters' gradient lines and path sums;
    `form` is one of GATED_FORMS."""
    if not model.is_gated:
        raise InputError(f"{model.name!r} is a vanilla model; use symbptt.builders.vanilla.build")
    if form not in GATED_FORMS:
        raise InputError(
            f"--form {form}: a gated cell's derivation prints the forms {', '.join(GATED_FORMS)} "
            "(direct differentiation is not written out for a gated cell; the checks prove "
            "direct = BPTT exactly)"
        )
    keys = resolve_wrt(model, wrt)
    T = model.sizes.T if T is None else T
    n = model.sizes.n if n is None else n
    check_derive_sizes(T, n, form, checks)
    cell = model.cell_def
    rev = step_adjoints(cell)
    if keys:
        rev = replace(rev, params=tuple((k, e) for k, e in rev.params if k in keys))
    path_keys = list(keys) if keys else [default_path_param(cell)]  # V, c too (with a head)
    head = head_section(model, model.sizes.k, keys) if form != "paths" else None
    sections = tuple(
        s
        for s in (
            cell_section(model),
            head,
            reverse_section(model, rev) if form != "paths" else None,
            partials_section(model) if form in ("all", "general") else None,
            paths_section(model, path_keys, T, n) if form in ("all", "paths") and path_keys
            else None,
        )
        if s is not None
    )  # fmt: skip
    rows, skipped = check_rows(model, T, n, seed) if checks else ([], "")
    title = f"BPTT for {model.name}: {model.description}"
    notes = (_NOTE, skipped) if skipped else (_NOTE,)
    return Derivation(model.name, title, T, n, sections, tuple(rows), notes)
