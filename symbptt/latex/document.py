"""Assemble a derivation document: model, general-T statements, concrete expansions, checks.

`build` is the one entry point: it gathers sections from the model (its notation), the symbolic
core (general-T statements, path sums, Jacobian products, the step-lemma proof), the engine's
cells via latexify, and the numeric checks. Parts of the symbolic core that are not installed
are named in `Derivation.notes`, never replaced by hand-written content.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from symbptt.latex.cells import engine_cells
from symbptt.latex.expansion import check_sizes, expansion_section
from symbptt.latex.model_section import model_section
from symbptt.latex.paths import jacobian_section, paths_section
from symbptt.latex.printer import latex
from symbptt.latex.steps import CheckResult, Derivation, Section, Step
from symbptt.model import Model, Role

FORMS = ("bptt", "paths", "direct", "all", "general")


def _optional(module: str):  # noqa: ANN202 - a module or None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def resolve_wrt(model: Model, wrt: Sequence[str] | None) -> list[Role]:
    """The roles named by `--wrt` (display names); all of the model's roles when none given."""
    if not wrt:
        return list(model.roles)
    roles = [model.notation.role_of(w) for w in wrt]
    return [r for r in model.roles if r in roles]


#: `general.Statement.relation` ('=', ':=' definition, '<=' bound) as LaTeX.
_RELATION = {"=": "=", ":=": ":=", "<=": r"\le"}


def general_section(model: Model, notes: list[str]) -> Section | None:
    """The statements that hold for every T, from `symbptt.symbolic.general`."""
    general = _optional("symbptt.symbolic.general")
    if general is None:
        notes.append(
            "General-T statements: not included, `symbptt.symbolic.general` is not available."
        )
        return None
    steps = tuple(
        Step(latex(s.lhs, model), latex(s.rhs, model), str(s.reason), _RELATION[s.relation])
        for s in general.statements(model)
    )
    return Section("For every T: the delta recursion and the sum over time", steps)


def cells_section(model: Model) -> Section:
    """The engine's forward and backward step, rendered by latexify-py."""
    steps = tuple(Step(c.lhs, c.rhs, c.reason) for c in engine_cells(model))
    text = (
        "The numeric engine computes one step with the functions below; latexify-py renders "
        "their source, with the engine's arguments printed in this text's notation."
    )
    return Section("The engine's code for one step", steps, text)


def proof_checks(model: Model, n: int, notes: list[str]) -> list[CheckResult]:
    """The step-lemma proof for every T (exact, symbolic), one result per claim."""
    steplemma = _optional("symbptt.symbolic.steplemma")
    if steplemma is None:
        notes.append("Exact proof: not run, `symbptt.symbolic.steplemma` is not available.")
        return []
    proof = steplemma.prove(model, n)
    detail = f"n = {proof.n}, generic activation and loss"
    return [CheckResult(claim, "exact proof", ok, None, detail) for claim, ok in proof.steps]


def numeric_checks(model: Model, T: int, n: int, seed: int, notes: list[str]) -> list[CheckResult]:
    """The three-way numeric and exact checks of `symbptt.verify.run_checks`."""
    verify = _optional("symbptt.verify")
    if verify is None:
        notes.append("Numeric check: not run, `symbptt.verify` is not available.")
        return []
    report = verify.run_checks(model, T, n, seed=seed)
    detail = f"T = {T}, n = {n}, seed = {seed}"
    return [CheckResult(c.name, c.form, bool(c.passed), c.max_error, detail) for c in report.checks]


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
    T = model.sizes.T if T is None else T
    n = model.sizes.n if n is None else n
    roles = resolve_wrt(model, wrt)
    concrete = form != "general"
    if concrete:
        check_sizes(T, n)
    notes: list[str] = []
    sections: list[Section] = [model_section(model)]
    general = general_section(model, notes)
    if general is not None:
        sections.append(general)
    if concrete and form in ("bptt", "all"):
        sections += [expansion_section(model, role, T, n) for role in roles]
    if concrete and form in ("paths", "all"):
        if _optional("symbptt.symbolic.gradients") is None:
            notes.append("Path sums: not included, `symbptt.symbolic.gradients` is not available.")
        else:
            hidden = [r for r in roles if r not in (Role.OUTPUT, Role.OUTPUT_BIAS)]
            sections += [paths_section(model, role, T, n) for role in hidden]
    if concrete and _optional("symbptt.symbolic.gradients") is not None:
        sections.append(jacobian_section(model, T, n))
    if concrete and form in ("direct", "all"):
        notes.append(
            "Direct form: compared with BPTT in the checks; its entries are not printed "
            "(they grow exponentially with T)."
        )
    sections.append(cells_section(model))
    results: list[CheckResult] = []
    if checks:
        results += proof_checks(model, min(n, 4), notes)
        if concrete:
            results += numeric_checks(model, T, n, seed, notes)
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
