"""Assemble a derivation document: model, general-T statements, concrete expansions, checks.

`build` is the one entry point: it gathers sections from the model (its notation), the symbolic
core (general-T statements, path sums, Jacobian products, the step-lemma proof, the text's wrong
formulas), the engine's cells via latexify, and the checks of `symbptt.verify`.
"""

from __future__ import annotations

from collections.abc import Sequence

from symbptt import verify
from symbptt.builders.claims import claims
from symbptt.builders.paths import jacobian_section, paths_section
from symbptt.latex import proof_letters
from symbptt.latex.cells import engine_cells
from symbptt.latex.expansion import check_sizes, expansion_section
from symbptt.latex.model_section import model_section
from symbptt.latex.printer import vector
from symbptt.latex.statement import statement_step
from symbptt.latex.steps import CheckResult, Derivation, Section, Step
from symbptt.model import Model, Role
from symbptt.symbolic import general, steplemma

FORMS = ("bptt", "paths", "direct", "all", "general")


def resolve_wrt(model: Model, wrt: Sequence[str] | None) -> list[Role]:
    """The roles named by `--wrt` (display names); all of the model's roles when none given."""
    if not wrt:
        return list(model.roles)
    roles = [model.notation.role_of(w) for w in wrt]
    return [r for r in model.roles if r in roles]


def general_section(model: Model) -> Section:
    """The statements that hold for every T, from `symbptt.symbolic.general`."""

    steps = tuple(statement_step(model, s) for s in general.statements(model))
    return Section("For every T: the delta recursion and the sum over time", steps)


def cells_section(model: Model) -> Section:
    """The engine's forward and backward step, rendered by latexify-py."""
    steps = tuple(  # the backward cell states the loss placement itself (latex.cells)
        Step(c.lhs, c.rhs, c.reason, kind=("cell forward", "cell backward")[i])
        for i, c in enumerate(engine_cells(model))
    )
    text = (
        "One step of the numeric engine, with this model's activation passed in "
        "(`symbptt.latex.cells`; the tests check these functions against `engine.forward` and "
        "`engine.backward` step by step). latexify-py renders their source, the arguments "
        "printed in this text's notation."
    )
    return Section("The engine's code for one step", steps, text)


def proof_checks(model: Model, n: int) -> list[CheckResult]:
    """The step-lemma proof for every T (exact, symbolic), one row per step of the proof."""
    proof = steplemma.prove(model, n)
    E = model.notation.loss
    ge, gt = vector(E, r"\ge t"), vector(E, ">t")
    detail = (
        f"n = {proof.n}, m = {proof.m}, generic activation and loss, every T; "
        f"${ge}$ is the loss taken at steps $t, \\dots, T$ and ${gt}$ the loss taken after "
        "step $t$"
    )
    if not proof.steps:
        return [CheckResult("the proof has no steps", "step-lemma proof", False, None, detail)]
    labels = proof_letters.labels(model, proof)
    return [
        CheckResult(claim, "step-lemma proof", ok, None, detail, label=labels.get(claim, ""))
        for claim, ok in proof.steps
    ]


def numeric_checks(model: Model, T: int, n: int, seed: int) -> list[CheckResult]:
    """Every check of `symbptt.verify.run_checks` at T, n and seed: name, passed, max error."""
    report = verify.run_checks(model, T, n, seed=seed)
    detail = f"T = {T}, n = {n}, seed = {seed}"
    if not report.checks:
        return [CheckResult("run_checks returned no checks", "checks", False, None, detail)]
    return [
        CheckResult(c.name, "checks", bool(c.passed), c.max_error, detail, c.detail, label=c.label)
        for c in report.checks
    ]


def build(
    model: Model,
    T: int | None = None,
    n: int | None = None,
    *,
    wrt: Sequence[str] | None = None,
    form: str = "all",
    seed: int = 0,
    checks: bool = True,
) -> Derivation:
    """The whole derivation of `model`, expanded at T steps and n hidden units."""
    if form not in FORMS:
        raise ValueError(f"form {form!r} not in {FORMS}")
    if model.is_gated:  # a cell stated as data (lstm, gru, a file's cell): its own document
        from symbptt.builders import gated

        return gated.build(model, T, n, wrt=wrt or (), form=form, seed=seed, checks=checks)
    T = model.sizes.T if T is None else T
    n = model.sizes.n if n is None else n
    roles = resolve_wrt(model, wrt)
    concrete = form != "general"
    if concrete:
        check_sizes(T, n)
    notes: list[str] = []
    sections: list[Section] = [model_section(model), general_section(model)]
    claim_section, claim_rows = claims(model)
    if claim_section is not None:
        sections.append(claim_section)
    if concrete and form in ("bptt", "all"):
        sections += [expansion_section(model, role, T, n) for role in roles]
    if concrete and form in ("paths", "all"):
        hidden = [r for r in roles if r not in (Role.OUTPUT, Role.OUTPUT_BIAS)]
        sections += [paths_section(model, role, T, n) for role in hidden]
    if concrete:
        sections.append(jacobian_section(model, T, n))
    if concrete and form in ("direct", "all"):
        notes.append(
            "Direct form: compared with BPTT in the checks; its entries are not printed "
            "(they grow exponentially with T)."
        )
    sections.append(cells_section(model))
    results: list[CheckResult] = []
    if checks:
        results += proof_checks(model, min(n, 4))
        if concrete:
            results += numeric_checks(model, T, n, seed)
        results += claim_rows
    title = f"Backpropagation through time: {model.name}"
    return Derivation(
        model=model.name,
        title=title,
        T=T if concrete else None,
        n=n if concrete else None,
        sections=tuple(sections),
        checks=tuple(results),
        notes=tuple(notes),
    )
