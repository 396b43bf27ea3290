"""Every check of one derivation at concrete T and n: exact identities, numbers, the step lemma.

`run_checks` picks the checks for the model and sizes: a vanilla model's exact identities on
the generic graph (`verify.exact`) and numeric checks against the engine and central
differences (`verify.numeric`); a gated cell's checks (`cells.checks`); beyond the unrolled
forms' limit (`verify.sizes`) the checks that scale (`verify.large`), the unrolled ones listed
as skipped. Every check is one row (`checkrow.CheckRow`, here `Check`) of a `Report`.
"""

from __future__ import annotations

from dataclasses import replace

from symbptt.cells import checks as cells_checks
from symbptt.cells.heads import head_for
from symbptt.model import Model
from symbptt.symbolic.unroll import unroll
from symbptt.verify import large
from symbptt.verify.exact import (
    check_delta_definitions,
    check_direct_equals_bptt,
    check_direct_equals_paths,
    check_step_lemma,
)
from symbptt.verify.numeric import (
    FD_DIGITS,
    FD_STEP,
    TOLERANCE,
    check_engine,
    check_finite_differences,
    check_upstream,
    engine_has_loss,
)
from symbptt.verify.report import Check, Report
from symbptt.verify.sizes import (
    MAX_N,
    check_gated_sizes,
    check_sizes,
    max_unrolled_T,
    unrolled_limit,
)

__all__ = [
    "FD_DIGITS",
    "FD_STEP",
    "MAX_N",
    "TOLERANCE",
    "Check",
    "Report",
    "check_delta_definitions",
    "check_direct_equals_bptt",
    "check_direct_equals_paths",
    "check_engine",
    "check_finite_differences",
    "check_gated_sizes",
    "check_sizes",
    "check_step_lemma",
    "check_upstream",
    "max_unrolled_T",
    "run_checks",
    "run_gated_checks",
    "run_large_checks",
    "unrolled_limit",
]


def run_gated_checks(model: Model, T: int, n: int, *, seed: int = 0) -> Report:
    """A gated model's checks (symbptt.cells.checks): exact direct = BPTT, the step lemma, the
    generated engine against the symbolic BPTT and central differences, the carousel statements."""
    check_gated_sizes(T, n)
    head = head_for(model.output, model.loss)  # a head (z_t = V h_t + c) or the generic loss
    rows = cells_checks.run(
        model.cell_def, T, n, seed=seed, head=head, k=model.sizes.k, loss_at=model.loss_at
    )
    return Report(model.name, T, n, [replace(r, label=r.name) for r in rows])


def run_large_checks(model: Model, T: int, n: int, reason: str, *, seed: int = 0) -> Report:
    """Beyond the unrolled limit: the step lemma at a small n, the generated code at T and n
    against the engine (or fast path) and central differences; the unrolled checks skipped."""
    small = min(n, large.PROOF_N)
    if model.is_gated:
        cell, head = model.cell_def, head_for(model.output, model.loss)
        rows = [
            cells_checks.step_lemma(cell, small),
            *large.gated_rows(
                cell, T, n, seed=seed, head=head, k=model.sizes.k, loss_at=model.loss_at
            ),
        ]
        rows += large.gated_skipped(cell, reason, head)
        checks = []
    else:
        rows = [*large.vanilla_rows(model, T, n, seed=seed)]
        rows += large.vanilla_skipped(model, reason)
        checks = [check_step_lemma(model, small)]
    checks += [replace(r, label=r.name) for r in rows]
    if checks[0].passed and small < n:
        note = (
            f"proved exactly at n={small}; at n={n} the code generated from the same rule is "
            "checked numerically (the rows below)"
        )
        checks[0] = replace(checks[0], detail=note)
    return Report(model.name, T, n, checks)


def run_checks(model: Model, T: int, n: int, *, seed: int = 0) -> Report:
    """Every check for model at T steps and n hidden units; InputError if the sizes are out of range.

    Beyond the unrolled limit the checks that scale run and the unrolled ones are listed as
    skipped (`run_large_checks`)."""
    reason = unrolled_limit(model, T, n)
    if reason is not None:
        return run_large_checks(model, T, n, reason, seed=seed)
    if model.is_gated:
        return run_gated_checks(model, T, n, seed=seed)
    check_sizes(T, n)
    checks: list[Check] = []
    ug = unroll(model, T, n, generic=True)
    checks.append(check_direct_equals_bptt(ug, seed=seed))
    checks.append(check_direct_equals_paths(ug, seed=seed))
    checks.append(check_delta_definitions(ug, seed=seed))
    uc = unroll(model, T, n)
    has_loss = engine_has_loss(model)
    for form in ("(b)", "(a)", "(c)"):
        if has_loss:
            checks.append(check_engine(uc, form, seed=seed))
        if form == "(b)" or not has_loss:
            checks.append(check_finite_differences(uc, form, seed=seed))
    if uc.has_output:
        checks.append(check_upstream(model, T, n, seed=seed))
    checks.append(check_step_lemma(model, n))
    return Report(model.name, T, n, checks)
