"""Verdicts: every step of an answer against the true value of its left-hand side.

Numeric answers (only numbers, matrices and `given:` symbols) are evaluated exactly in rationals
and compared at the precision the student wrote. Symbolic answers are instantiated for
T = 1..4 and n = 1..3 at two random points each and compared in float64 with the truth of
`truth.World`; the first failure (smallest T, then n) is the counterexample, and a wrong step is
re-evaluated with common slips undone (`slips.py`) to name the one that fits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symbptt.answers.betas import add_betas
from symbptt.answers.evaluate import Unknown
from symbptt.answers.free_letters import (
    bodies,
    free_vars,
    is_symbolic,
    model_layout,
    range_vars,
    relations,
    size_letters_of,
)
from symbptt.answers.gated_world import gated_relabel, has_product, make_world
from symbptt.answers.implied_range import implied_range
from symbptt.answers.inequality import bound_tolerance
from symbptt.answers.instance import names_used
from symbptt.answers.layout import choose_layout
from symbptt.answers.limits import LimitExceeded
from symbptt.answers.notation import arities, component_vars, resolve
from symbptt.answers.paths import immediate_paths, step_gradients
from symbptt.answers.spec_reading import (
    model_delta,
    parse_field,
    read_constraints,
    read_definitions,
    resolve_definitions,
)
from symbptt.answers.step_check import SEEDS, SIZES, Context
from symbptt.answers.tolerance import Tolerance, data_values, step_tolerance
from symbptt.answers.truth import Definitions
from symbptt.mathtext.ast import Chain
from symbptt.mathtext.parse import ParseError, parse_latex
from symbptt.model import Model

__all__ = ["SEEDS", "SIZES", "AnswerSpec", "AnswerVerdict", "StepVerdict", "judge"]


@dataclass
class AnswerSpec:
    """One answer as read from a file (all LaTeX still text)."""

    id: str
    answer: str
    given: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    range: str | None = None
    tolerance: dict[str, float] | None = None
    question: str | None = None
    where_line: str = ""
    product_order: str = "increasing"
    layout: str | None = None  # numerator, denominator or mixed; None: the model's, or inferred
    derivative: str = "default"  # gated cells: partial or total d between states (gated_world)


@dataclass
class StepVerdict:
    """One `=` step: index 1 is the first right-hand side."""

    index: int
    verdict: str
    reason: str


@dataclass
class AnswerVerdict:
    """The verdict on one answer with its reason, tolerance, counterexample and steps."""

    id: str
    verdict: str
    reason: str
    tolerance: str = ""
    counterexample: dict[str, Any] | None = None
    steps: list[StepVerdict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of this verdict."""
        return {
            "id": self.id,
            "verdict": self.verdict,
            "reason": self.reason,
            "tolerance": self.tolerance,
            "counterexample": self.counterexample,
            "steps": [s.__dict__ for s in self.steps],
        }


def judge(spec: AnswerSpec, model: Model | None) -> AnswerVerdict:
    """Judge one answer; any problem with the answer itself becomes `undecided` with a reason."""
    try:
        return _judge(spec, model)
    except (ParseError, Unknown) as exc:
        return AnswerVerdict(spec.id, "undecided", str(exc))
    except LimitExceeded as exc:
        return AnswerVerdict(spec.id, "undecided", f"limit: {exc}")
    except RecursionError:
        return AnswerVerdict(spec.id, "undecided", "limit: expression nested too deeply")


def _judge(spec: AnswerSpec, model: Model | None) -> AnswerVerdict:
    node = parse_latex(spec.answer)
    parts = list(node.parts) if isinstance(node, Chain) else [node]
    if spec.question:
        parts.insert(0, parse_field(spec.question, "question"))
    if len(parts) < 2:
        return AnswerVerdict(spec.id, "undecided", "no '=' in the answer: nothing to compare with")
    defs = read_definitions(spec)
    if model is not None and model.is_gated:  # \\delta^C_t: a labelled error term
        parts = gated_relabel(parts, defs, spec.where, model)
    model_delta(defs, model, parts)
    arity = arities(make_world(model, Definitions()).names if model else {}, defs)
    parts = [resolve(p, arity) for p in parts]
    resolve_definitions(defs, arity)
    notes = add_betas(defs, model, [*parts, *bodies(defs)])  # derive's beta_W, beta_sigma
    if model is not None and not model.is_gated:  # derive's path sums: dh_k/dP the step-k copy
        world_names = make_world(model, Definitions()).names
        read = [immediate_paths(p, world_names) for p in parts]
        read = [(q, ns + more) for p, ns in read for q, more in [step_gradients(p, model)]]
        parts = [p for p, _ in read]
        notes += list(dict.fromkeys(n for _, ns in read for n in ns))
    constraints = read_constraints(spec.range)
    explicit = Tolerance.from_spec(spec.tolerance) if spec.tolerance else None
    size_letters = size_letters_of(parts, defs, model, constraints)  # n in \\sum_{i=1}^{n}
    ranged = range_vars(constraints, defs, parts) - size_letters  # k in W^{k}, `for: k \\le 3`
    symbolic = is_symbolic(parts, defs, model) or bool(ranged) or bool(size_letters)
    free = sorted((free_vars(parts, defs, model) | ranged) - size_letters)
    ctx = Context(parts[0], defs, model, symbolic, free, constraints)
    ctx.size_letters = size_letters
    ctx.components = component_vars(parts, arity) & set(free)
    if not constraints and free:  # no for: judge where the answer's own order holds (k <= t)
        names = make_world(model, Definitions()).names if model else {}
        ctx.constraints, range_note = implied_range(parts, names, free, ctx.components)
        ctx.range_implied = bool(ctx.constraints)
        notes.append(range_note)
    ctx.used |= names_used(parts)
    ctx.product_order = spec.product_order
    ctx.meaning, ctx.direct_products = spec.derivative, has_product(parts[1:])
    ctx.layout, layout_note = choose_layout(ctx, parts, spec.layout or model_layout(model))
    ctx.layout_declared = bool(spec.layout or model_layout(model))
    rels = relations(node, spec.question is not None, len(parts))
    approx = [r == "\\approx" for r in rels]  # '=' with a rounded right side (integers too)
    rels = ["=" if a else r for r, a in zip(rels, approx, strict=True)]
    ctx.data = data_values([parts[0], *bodies(defs)])  # decimals copied from these are exact
    ctx.explicit = explicit is not None
    steps: list[StepVerdict] = []
    tols: list[str] = []
    first_ce: dict[str, Any] | None = None
    for i, part in enumerate(parts[1:], start=1):
        ctx.approx = approx[i - 1]
        tol = explicit or step_tolerance(part, symbolic, ctx.data, ctx.approx)
        rel = rels[i - 1]
        prev = None if all(r == "=" for r in rels[:i]) else parts[i - 1]  # a <= b = c: c vs b
        status, reason, ce = ctx.check(part, tol, lhs=prev, rel=rel)
        literal = rel != "=" and not ctx.explicit  # a bound is taken as written
        tols.append(
            bound_tolerance(ctx.fd_used) if literal else tol.resolved(ctx.fd_used).describe()
        )
        if status == "wrong" and prev is None:
            from symbptt.answers.slips import find_slip

            slip = find_slip(ctx, part, tol)
            if slip:
                reason = f"{reason}; likely slip: {slip}"
        if status == "wrong":
            first_ce = first_ce or ce
        steps.append(StepVerdict(i, status, reason))
    wrong = [s for s in steps if s.verdict == "wrong"]
    undecided = [s for s in steps if s.verdict == "undecided"]
    label = (lambda s: f"step {s.index}") if len(steps) > 1 else (lambda s: "the answer")
    if wrong:
        verdict, reason = "wrong", "; ".join(f"{label(s)}: {s.reason}" for s in wrong)
    elif undecided:
        verdict, reason = "undecided", "; ".join(f"{label(s)}: {s.reason}" for s in undecided)
    else:
        verdict = "correct"
        reason = "every step equals the left-hand side" if len(steps) > 1 else steps[0].reason
        if len(steps) > 1 and any(r != "=" for r in rels):
            reason = "every step holds"
    for note in [layout_note, *notes]:
        if note:
            reason = f"{reason}; {note}"
    from symbptt.answers.gated_meaning import meaning_note

    meaning = meaning_note(ctx)  # gated cells: which d was judged, both values if they differ
    if meaning:
        reason = f"{reason}; {meaning}"
    tolerance = (
        tols[-1]
        if len(set(tols)) == 1
        else "; ".join(f"step {i}: {t}" for i, t in enumerate(tols, 1))
    )
    return AnswerVerdict(spec.id, verdict, reason, tolerance, first_ce, steps)
