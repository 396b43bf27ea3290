"""Verdicts: every step of an answer against the true value of its left-hand side.

Numeric answers (only numbers, matrices and `given:` symbols) are evaluated exactly in rationals
and compared at the precision the student wrote. Symbolic answers are instantiated for
T = 1..4 and n = 1..3 at two random points each and compared in float64 with the truth of
`truth.World`; the first failure (smallest T, then n) is the counterexample, and a wrong step is
re-evaluated with common slips undone (`slips.py`) to name the one that fits.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from symbptt.answers.ast import (
    Apply,
    Big,
    Chain,
    Deriv,
    Entries,
    Entry,
    Nabla,
    Node,
    Sym,
    walk,
)
from symbptt.answers.betas import add_betas
from symbptt.answers.evaluate import (
    ComponentRange,
    Evaluator,
    NotExact,
    ShapeError,
    Undefined,
    Unknown,
    compound_key,
)
from symbptt.answers.gated_world import gated_relabel, has_product, make_world, set_meaning
from symbptt.answers.grammar import GREEK
from symbptt.answers.implied_range import implied_range
from symbptt.answers.inequality import bound_tolerance, relation
from symbptt.answers.instance import as_text, instance, names_used, rounded, sizes
from symbptt.answers.layout import choose_layout
from symbptt.answers.limits import LimitExceeded
from symbptt.answers.norms import is_complex
from symbptt.answers.notation import arities, bound_vars, component_vars, letter_run, resolve
from symbptt.answers.parse import ParseError, parse_index_pattern, parse_latex
from symbptt.answers.paths import immediate_paths, step_gradients
from symbptt.answers.rounding import rounded_compare
from symbptt.answers.tolerance import (
    Tolerance,
    compare,
    data_values,
    step_tolerance,
)
from symbptt.answers.truth import Definitions, World, greek_key
from symbptt.model import Model

SIZES = [(T, n) for T in range(1, 5) for n in range(1, 4)]
SEEDS = (0, 1)
_RANDOM = re.compile(r"^\s*\\in\s*\\mathbb\s*\{?\s*R\s*\}?\s*(?:\^\s*\{?(.*?)\}?)?\s*$")
_REL = re.compile(r"(\\leq?|\\geq?|\\lt|\\gt|\\neq|<|>|=)")


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
        parts.insert(0, _parse_field(spec.question, "question"))
    if len(parts) < 2:
        return AnswerVerdict(spec.id, "undecided", "no '=' in the answer: nothing to compare with")
    defs = _definitions(spec)
    if model is not None and model.is_gated:  # \\delta^C_t: a labelled error term
        parts = gated_relabel(parts, defs, spec.where, model)
    _model_delta(defs, model, parts)
    arity = arities(make_world(model, Definitions()).names if model else {}, defs)
    parts = [resolve(p, arity) for p in parts]
    _resolve_definitions(defs, arity)
    notes = add_betas(defs, model, [*parts, *_bodies(defs)])  # derive's beta_W, beta_sigma
    if model is not None and not model.is_gated:  # derive's path sums: dh_k/dP the step-k copy
        world_names = make_world(model, Definitions()).names
        read = [immediate_paths(p, world_names) for p in parts]
        read = [(q, ns + more) for p, ns in read for q, more in [step_gradients(p, model)]]
        parts = [p for p, _ in read]
        notes += list(dict.fromkeys(n for _, ns in read for n in ns))
    constraints = _constraints(spec.range)
    explicit = Tolerance.from_spec(spec.tolerance) if spec.tolerance else None
    size_letters = _size_letters(parts, defs, model, constraints)  # n in \\sum_{i=1}^{n}
    ranged = _range_vars(constraints, defs, parts) - size_letters  # k in W^{k}, `for: k \\le 3`
    symbolic = _is_symbolic(parts, defs, model) or bool(ranged) or bool(size_letters)
    free = sorted((_free_vars(parts, defs, model) | ranged) - size_letters)
    ctx = _Context(parts[0], defs, model, symbolic, free, constraints)
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
    ctx.layout, layout_note = choose_layout(ctx, parts, spec.layout or _model_layout(model))
    ctx.layout_declared = bool(spec.layout or _model_layout(model))
    rels = _relations(node, spec.question is not None, len(parts))
    approx = [r == "\\approx" for r in rels]  # '=' with a rounded right side (integers too)
    rels = ["=" if a else r for r, a in zip(rels, approx, strict=True)]
    ctx.data = data_values([parts[0], *_bodies(defs)])  # decimals copied from these are exact
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


# --------------------------------------------------------------------------- checking


class _Context:
    """Everything needed to evaluate steps of one answer against its left-hand side."""

    def __init__(self, lhs: Node, defs: Definitions, model: Model | None, symbolic: bool,
                 free: list[str], constraints: list[tuple[Node, str, Node]]) -> None:  # fmt: skip
        self.lhs, self.defs, self.model, self.symbolic = lhs, defs, model, symbolic
        self.free, self.constraints = free, constraints
        self.fd_used = False  # did the last check use a central-difference derivative?
        self.product_order = "increasing"
        self.layout = "mixed"  # of derivatives by vectors (see `layout`)
        self.layout_declared = False
        self.components: set[str] = set()  # free letters that index entries, not time
        self.size_letters: set[str] = set()  # n, m, k, T read as the instance's sizes
        self.data: frozenset = frozenset()  # |decimals| of the problem's data (exact when copied)
        self.explicit = False  # a `tolerance:` given in the answer file
        self.approx = False  # the step being checked follows \\approx
        bodies = [b for _, b, _ in defs.given.values() if b is not None]
        self.used = names_used([lhs, *bodies, *(b for _, b in defs.where.values())])

    def worlds(self, quick: bool = False):
        """(description, World) pairs in order of increasing T, then n."""
        if not self.symbolic:
            world = make_world(self.model, self.defs)  # the model fixes what \\sigma(2) means
            world.numeric = True
            set_meaning(world, self)
            world.product_order = self.product_order
            world.layout = self.layout
            yield {}, world
            return
        for T, n in SIZES:
            if quick and T > 3:
                return
            m, k = 1 + n % 3, 2 + n % 2
            for seed in SEEDS[:1] if quick else SEEDS:
                world = make_world(self.model, self.defs, T=T, n=n, m=m, k=k, seed=seed)
                set_meaning(world, self)
                world.product_order = self.product_order
                world.layout = self.layout
                yield {"sizes": sizes(world), "seed": seed}, world

    def assignments(self, world: World):
        """Every binding of the free index variables where the `for:` range holds."""
        dims = range(1, max(world.n, world.m, world.k) + 1)
        ranges = [dims if v in self.components else range(0, world.T + 2) for v in self.free]
        sized = {v: world.sizes[v] for v in self.size_letters}
        known = set(self.free) | set(sized) | {"T"}
        for values in itertools.product(*ranges):
            scope = dict(zip(self.free, values, strict=True))
            scope.update(sized)  # the sizes are read from the instance, never looped over
            ev = Evaluator(world, exact=True)
            try:
                if all(
                    _holds(ev.index(a, scope), op, ev.index(b, scope))
                    for a, op, b in self.constraints
                    if _letters(a, b) <= known  # else about a \\sum's variable
                ):
                    yield scope
            except (ShapeError, Unknown, NotExact, Undefined):
                continue

    def check(self, step: Node, tol: Tolerance, *, lhs: Node | None = None, quick: bool = False,
              local_for_total: bool = False, rel: str = "=") -> tuple[str, str, dict | None]:  # fmt: skip
        """('correct'|'wrong'|'undecided', reason, counterexample) for one step (lhs rel step)."""
        lhs = lhs or self.lhs
        if not self.explicit:  # a variant (slips) has its own rounded decimals
            tol = step_tolerance(step, self.symbolic, self.data, self.approx)
        compared = 0
        seen: set[tuple[int, int]] = set()  # (T, n) of the points compared
        self.fd_used = False
        for desc, world in self.worlds(quick):
            world.local_for_total = local_for_total
            for scope in self.assignments(world):
                try:
                    want, ev = self._eval(world, lhs, scope)
                except Undefined:
                    continue
                except (ShapeError, Unknown) as exc:
                    return "undecided", f"the left-hand side cannot be evaluated: {exc}", None
                except (FloatingPointError, OverflowError, ZeroDivisionError, ValueError) as exc:
                    return "undecided", f"numerical failure on the left-hand side: {exc}", None
                try:
                    try:
                        got = ev.ev(step, dict(scope))
                    except NotExact:  # a function or a derivative: both sides in float64
                        want, ev = self._eval(world, lhs, scope, exact=False)
                        got = ev.ev(step, dict(scope))
                except ComponentRange as exc:
                    hint = "" if not desc or self.size_letters else _SIZE_HINT
                    return "wrong", f"{exc} (the left-hand side exists){hint}", self._ce(
                        world, desc, scope, None, None)  # fmt: skip
                except Undefined as exc:
                    if (
                        not self.free
                    ):  # the left side exists, the step names something that does not
                        return (
                            "wrong",
                            f"{exc} (the left-hand side exists)",
                            self._ce(world, desc, scope, None, None),
                        )
                    continue
                except ShapeError as exc:
                    return "wrong", str(exc), self._ce(world, desc, scope, None, None)
                except Unknown as exc:
                    return "undecided", str(exc), None
                except (FloatingPointError, OverflowError, ZeroDivisionError, ValueError) as exc:
                    return "undecided", f"numerical failure: {exc}", None
                compared += 1
                seen.add((world.T, world.n))
                self.fd_used = self.fd_used or world.fd_used
                at = dict(scope)  # a rounded decimal moved within its rounding, same point
                evaluate = None
                if tol.kind == "rounded":
                    evaluate = lambda v, e=ev, at=at: e.ev(v, dict(at))  # noqa: E731
                if is_complex(got) or is_complex(want):
                    why = "a complex value (an eigenvalue): compare |\\lambda_i|"
                    return "undecided", why, None
                if rel != "=":
                    given_tol = tol if self.explicit else None  # else decimals are literal
                    ok, detail = relation(want, got, rel, given_tol, world.fd_used)
                    if ok is None:
                        return "undecided", detail, None
                elif evaluate is not None:  # a computed step with rounded decimals: `rounding`
                    ok, detail = rounded_compare(
                        step, lhs, tol.resolved(world.fd_used), evaluate, got, want
                    )
                else:
                    ok, detail = compare(got, want, tol.resolved(world.fd_used))
                if not ok:
                    where = _where_text(desc, self._indices(scope))
                    ce = self._ce(world, desc, scope, want, got)
                    if rel != "=":  # the two sides of the inequality at the failing point
                        names = {"expected": "left", "got": "right"}
                        ce = {names.get(k, k): v for k, v in ce.items()}
                    return "wrong", f"{detail}{where}", ce
        if compared == 0:
            return (
                "undecided",
                "never defined on both sides (check the indices or the for: range)",
                None,
            )
        what = "equals the left-hand side" if rel == "=" else f"holds ({rel})"
        if not self.symbolic:
            return "correct", what, None
        where = " where the for: range holds" if self.constraints else ""
        if self.constraints and getattr(self, "range_implied", False):
            where = " where the range the answer implies holds"
        return (
            "correct",
            f"{what} at {compared} points ({_span('T', seen, 0)}, {_span('n', seen, 1)}{where})",
            None,
        )

    def _indices(self, scope: dict[str, int]) -> dict[str, int]:
        """The answer's own index values (the size letters are shown with the sizes)."""
        return {k: v for k, v in scope.items() if k not in self.size_letters}

    def _eval(self, world: World, lhs: Node, scope: dict[str, int], exact: bool | None = None):
        use_exact = (not self.symbolic) if exact is None else exact
        ev = Evaluator(world, exact=use_exact)
        try:
            return ev.ev(lhs, dict(scope)), ev
        except NotExact:
            ev = Evaluator(world, exact=False)
            return ev.ev(lhs, dict(scope)), ev

    def _ce(self, world: World, desc: dict, scope: dict, want: Any, got: Any) -> dict[str, Any]:
        """{"sizes", "seed", "indices"?, "expected"?, "got"?, "instance"?} (empty keys left out)."""
        out: dict[str, Any] = dict(desc)
        scope = {k: v for k, v in scope.items() if k not in self.size_letters}
        if scope:
            out["indices"] = dict(scope)
        if want is not None:
            try:
                out["expected"], out["got"] = rounded(want), rounded(got)
            except LimitExceeded:  # a huge power (see `bignum`): no float, its text
                out["expected"], out["got"] = as_text(want), as_text(got)
        if desc:
            values = instance(world, self.used)
            if values is not None:
                out["instance"] = values
        return out


def _span(letter: str, seen: set[tuple[int, int]], i: int) -> str:
    """'T = 1..4' or 'n = 2': the sizes of the points compared."""
    values = sorted({p[i] for p in seen})
    lo, hi = values[0], values[-1]
    return f"{letter} = {lo}" if lo == hi else f"{letter} = {lo}..{hi}"


def _where_text(desc: dict, scope: dict) -> str:
    if not desc:
        return ""
    size = desc["sizes"]
    bits = [f"T = {size['T']}", f"n = {size['n']}"]
    bits += [f"{name} = {size[name]}" for name in ("m", "outputs") if name in size]
    bits += [f"{k} = {v}" for k, v in scope.items()]
    return " at " + ", ".join(bits)


_SIZE_HINT = (
    "; an answer written out for one size holds only there: declare it, as in for: 'n = 2' "
    "or for: 'T = 3, n = 2'"
)


def _size_letters(parts: list[Node], defs: Definitions, model: Model | None,
                  constraints: list[tuple[Node, str, Node]]) -> set[str]:  # fmt: skip
    """The model's size letters (n, m, and k with an output layer, as derive's Sizes line prints
    them) that the answer uses as sizes: in a bound, a value or `for:`, never as the index of a
    name (k in h_k is a step) nor bound by a \\sum; k ranged by `for:` is an index as well.
    The judge reads them from the instance."""
    if model is None:
        return set()
    letters = {"n", "m"} | ({"k"} if getattr(model, "has_output_layer", False) else set())
    letters -= defs.names() | _model_names(model)
    ranged = [x for a, _, b in constraints for x in (a, b)]
    if "k" in {n.name for r in ranged for n in walk(r) if isinstance(n, Sym)}:
        letters.discard("k")  # `for: 1 \\le k \\le 3`: k is a step or a power, as usual
    roots = [*parts, *_bodies(defs), *ranged]
    used = {n.name for r in roots for n in walk(r) if isinstance(n, Sym) and not n.index}
    return (letters & used) - _index_letters(roots) - {v for r in roots for v in bound_vars(r)}


def _index_letters(roots: list[Node]) -> set[str]:
    """Letters inside a name's subscript, an entry's components, \\nabla's step or
    \\lambda_i's index: index variables, not sizes."""
    out: set[str] = set()

    def letters(node: Node) -> None:
        out.update(n.name for n in walk(node) if isinstance(n, Sym) and not n.index)

    for root in roots:
        for node in walk(root):
            if isinstance(node, Sym):
                for i in node.index:
                    letters(i)
            elif isinstance(node, Entry):
                for c in node.comps:
                    letters(c)
            elif isinstance(node, Nabla) and node.time is not None:
                letters(node.time)
            elif isinstance(node, Apply) and node.name.endswith("_") and len(node.args) == 2:
                letters(node.args[1])
    return out


def _range_vars(constraints: list[tuple[Node, str, Node]], defs: Definitions,
                parts: list[Node]) -> set[str]:  # fmt: skip
    """Lowercase letters the `for:` range names and the answer uses unbound: index variables
    even where no subscript has them (an exponent, as in \\|W^{k} x\\| for 1 <= k <= 3)."""
    used = {n.name for p in parts for n in walk(p) if isinstance(n, Sym) and not n.index}
    bound = {n.var for p in parts for n in walk(p) if isinstance(n, Big)}
    letters = {
        n.name
        for a, _, b in constraints
        for side in (a, b)
        for n in walk(side)
        if isinstance(n, Sym) and not n.index and re.fullmatch(r"[a-z]", n.name)
    }
    return (letters & used) - bound - defs.names()


def _relations(node: Node, question: bool, count: int) -> list[str]:
    """The relation before each step ('=' unless the chain has \\le, \\ge, <, >)."""
    rels = list(node.rels) if isinstance(node, Chain) and node.rels else []
    rels = (["="] if question else []) + rels
    return rels + ["="] * (count - 1 - len(rels))


def _model_layout(model: Model | None) -> str | None:
    """The `layout:` a derivation file declares, if any."""
    return getattr(model.notation, "layout", None) or None if model is not None else None


def _letters(*nodes: Node) -> set[str]:
    return {n.name for x in nodes for n in walk(x) if isinstance(n, Sym)}


def _holds(a: int, op: str, b: int) -> bool:
    return {"=": a == b, "\\neq": a != b, "<": a < b, "\\lt": a < b, "\\le": a <= b, "\\leq": a <= b, ">": a > b, "\\gt": a > b,
            "\\ge": a >= b, "\\geq": a >= b}[op]  # fmt: skip


# --------------------------------------------------------------------------- reading specs


def _parse_field(text: str, what: str) -> Node:
    try:
        return parse_latex(text)
    except ParseError as exc:
        raise ParseError(f"{what}: {exc}") from None


def _definitions(spec: AnswerSpec) -> Definitions:
    defs = Definitions()
    for key, value in spec.given.items():
        name, vars_ = _pattern(key, "given")
        m = _RANDOM.match(str(value))
        if m:
            dims = tuple(d.strip() for d in re.split(r"\\times|,", m.group(1) or "1") if d.strip())
            defs.given[name] = (vars_, None, dims)
        else:
            body = _parse_field(str(value), f"given {key!r}")
            name, vars_ = _label_name(name, vars_, body)
            defs.given[name] = (vars_, body, None)
    for key, value in spec.where.items():
        name, vars_ = _pattern(key, "where")
        body = _parse_field(str(value), f"where {key!r}")
        name, vars_ = _label_name(name, vars_, body)
        defs.where[name] = (vars_, body)
    return defs


def _label_name(name: str, vars_: tuple[str, ...], body: Node) -> tuple[str, tuple[str, ...]]:
    """\\beta_W := \\|W\\| or \\beta_f := 1/4 is one name (a label, not an index variable): the
    subscript is not a lowercase letter, or the body never mentions it."""
    if len(vars_) != 1:
        return name, vars_
    var = vars_[0]
    used = any(isinstance(n, Sym) and n.name == var for n in walk(body))
    lower = var.islower() and (len(var) == 1 or var[1:] in GREEK)  # t, k, or \\tau
    if not lower or not used:
        return f"{name}_{var}", ()
    return name, vars_


def _model_delta(defs: Definitions, model: Model | None, parts: list[Node]) -> None:
    """The model's printed delta (derive's delta_t, in its convention) when the answer uses it
    without defining it: net dE/dnet_t, step_state dL_t/dh_t, per_step delta_{t,k} = dE_t/dnet_k.
    Built from the model's Notation (our own strings), in place."""
    if model is None or model.is_gated:  # a gated cell's deltas are defined under where:
        return
    nt = model.notation
    try:
        name = parse_latex(nt.delta.latex)
        loss, step, pre, state = (
            parse_latex(n.latex) for n in (nt.loss, nt.step_loss, nt.preactivation, nt.state)
        )
    except ParseError:  # a notation the answer grammar cannot spell: nothing to add
        return
    if not isinstance(name, Sym) or name.index or name.name in defs.names():
        return
    if not any(isinstance(n, Sym) and n.name == name.name for p in parts for n in walk(p)):
        return
    if not all(isinstance(s, Sym) and not s.index for s in (loss, step, pre, state)):
        return
    t, k = Sym("t"), Sym("k")
    body = {
        "net": (("t",), Deriv(loss, Sym(pre.name, (t,)))),  # type: ignore[union-attr]
        "step_state": (("t",), Deriv(Sym(step.name, (t,)), Sym(state.name, (t,)))),  # type: ignore[union-attr]
        "per_step": (("t", "k"), Deriv(Sym(step.name, (t,)), Sym(pre.name, (k,)))),  # type: ignore[union-attr]
    }.get(model.delta)
    if body is not None:
        defs.where[name.name] = body


def _resolve_definitions(defs: Definitions, arity: dict[str, int]) -> None:
    """Read time superscripts in `given:`/`where:` bodies (in place)."""
    for name, (vars_, body, shape) in list(defs.given.items()):
        defs.given[name] = (vars_, resolve(body, arity) if body is not None else None, shape)
    for name, (vars_, body) in list(defs.where.items()):
        defs.where[name] = (vars_, resolve(body, arity))


def _pattern(key: str, what: str) -> tuple[str, tuple[str, ...]]:
    try:
        return parse_index_pattern(greek_key(str(key)))
    except ParseError as exc:
        node = _parse_field(greek_key(str(key)), f"{what} key")
        letters = letter_run(node.index[0]) if isinstance(node, Sym) and node.index else None
        if letters and len(node.index) == 1 and len(letters) > 1:  # type: ignore[union-attr]
            return f"{node.name}_{''.join(letters)}", ()  # type: ignore[union-attr]  # W_{hh}
        one = isinstance(node, Sym) and len(node.index) == 1
        key = compound_key(node.index[0]) if one else None  # type: ignore[union-attr]
        if key is not None:  # \\beta_{W_{hh}}: one name
            return f"{node.name}_{key}", ()  # type: ignore[union-attr]
        raise ParseError(f"{what} key {key!r}: {exc}") from None


def _constraints(text: str | None) -> list[tuple[Node, str, Node]]:
    if not text:
        return []
    chains = [c for c in re.split(r",|;|\\text\{\s*and\s*\}", text) if c.strip()]
    if len(chains) > 1 and all(_REL.search(c) for c in chains):  # 'T = 3, n = 2'
        return [c for chain in chains for c in _constraints(chain)]
    pieces = _REL.split(text)
    if len(pieces) < 3:
        raise ParseError(f"for: {text!r} is not a range such as '1 \\le k < t \\le T'")
    exprs = [_parse_field(p, "for") for p in pieces[0::2]]
    ops = [o.replace("\\leq", "\\le").replace("\\geq", "\\ge") for o in pieces[1::2]]
    return [(exprs[i], ops[i], exprs[i + 1]) for i in range(len(ops))]


def _free_vars(parts: list[Node], defs: Definitions, model: Model | None = None) -> set[str]:
    """Index variables (single lowercase letters in subscripts or bounds) that no \\sum binds.

    The subscript of a compound name of the model (the x of W_x, the y of b_y) is not one."""
    out: set[str] = set()
    compounds = _model_names(model)
    time = model.notation.time if model is not None else None  # \\tau in a file that says so

    def visit(node: Node, bound: frozenset[str], in_index: bool) -> None:
        if isinstance(node, Sym):
            if (
                len(node.index) == 1
                and isinstance(node.index[0], Sym)
                and f"{node.name}_{node.index[0].name}" in compounds | defs.names()
            ):
                return
            if (
                in_index
                and not node.index
                and (re.fullmatch(r"[a-z]", node.name) or node.name == time)
                and node.name not in bound
            ):
                out.add(node.name)
            for i in node.index:
                visit(i, bound, True)
            return
        if isinstance(node, Entry):
            visit(node.base, bound, in_index)
            for c in node.comps:
                visit(c, bound, True)
            return
        if isinstance(node, Entries):
            visit(node.body, bound | set(node.vars), in_index)
            return
        if isinstance(node, Nabla):
            visit(node.num, bound, in_index)
            visit(node.wrt, bound, in_index)
            if node.time is not None:
                visit(node.time, bound, True)
            return
        if isinstance(node, Big):
            visit(node.lo, bound, True)
            visit(node.hi, bound, True)
            visit(node.body, bound | {node.var}, in_index)
            return
        if isinstance(node, Apply) and node.name.endswith("_") and len(node.args) == 2:
            visit(node.args[0], bound, in_index)  # \\lambda_i(W), \\sigma_i(W): i is an index
            visit(node.args[1], bound, True)
            return
        for c in node.children():
            visit(c, bound, in_index)

    for p in parts:
        visit(p, frozenset(), False)
    return out - defs.names()


def _compound_name(node: Sym) -> str | None:
    """'W_hh' for W_{hh} read as one name (see `notation.resolve`), 'W_h' for W_h; else None."""
    if len(node.index) == 1 and isinstance(node.index[0], Sym) and not node.index[0].index:
        return f"{node.name}_{node.index[0].name}"
    return None


def _bodies(defs: Definitions) -> list[Node]:
    """The parsed `given:` and `where:` bodies (random `given` shapes have none)."""
    return [b for _, b, _ in defs.given.values() if b is not None] + [
        b for _, b in defs.where.values()
    ]


def _model_names(model: Model | None) -> set[str]:
    return set(make_world(model, Definitions()).names) if model else set()


def _is_symbolic(parts: list[Node], defs: Definitions, model: Model | None) -> bool:
    if any(shape is not None for _, _, shape in defs.given.values()):
        return True
    if _free_vars(parts, defs, model):
        return True
    model_names = _model_names(model)
    bodies = [b for _, b, _ in defs.given.values() if b is not None] + [
        b for _, b in defs.where.values()
    ]
    for root in parts + bodies:
        for node in walk(root):
            if isinstance(node, Deriv | Nabla):
                return True
            if isinstance(node, Sym) and node.name not in defs.names():
                if node.name in model_names or node.name == "T":
                    return True
                if _compound_name(node) in model_names - defs.names():  # W_{hh}, W_h
                    return True
    return False
