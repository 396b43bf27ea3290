"""Checking one step of an answer against its left-hand side: every random point (T = 1..4,
n = 1..3, two seeds) and every binding of the free indices where the range holds; the first
failure is the counterexample, with the point's values (`instance`)."""

from __future__ import annotations

import itertools
from typing import Any

from symbptt.answers.evaluate import (
    ComponentRange,
    Evaluator,
    NotExact,
    ShapeError,
    Undefined,
    Unknown,
)
from symbptt.answers.gated_world import make_world, set_meaning
from symbptt.answers.inequality import relation
from symbptt.answers.instance import as_text, instance, names_used, rounded, sizes
from symbptt.answers.limits import LimitExceeded
from symbptt.answers.norms import is_complex
from symbptt.answers.rounding import rounded_compare
from symbptt.answers.tolerance import Tolerance, compare, step_tolerance
from symbptt.answers.truth import Definitions, World
from symbptt.mathtext.ast import Node, Sym, walk
from symbptt.model import Model

SIZES = [(T, n) for T in range(1, 5) for n in range(1, 4)]
SEEDS = (0, 1)


class Context:
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


def _letters(*nodes: Node) -> set[str]:
    return {n.name for x in nodes for n in walk(x) if isinstance(n, Sym)}


def _holds(a: int, op: str, b: int) -> bool:
    return {"=": a == b, "\\neq": a != b, "<": a < b, "\\lt": a < b, "\\le": a <= b, "\\leq": a <= b, ">": a > b, "\\gt": a > b,
            "\\ge": a >= b, "\\geq": a >= b}[op]  # fmt: skip
