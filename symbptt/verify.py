"""Every check of one derivation at concrete T and n: exact identities, numbers, the step lemma.

Exact checks run on the generic graph (undefined f, undefined per-step losses L_t), so a pass
holds for every activation and loss; equality is decided on polynomials in the atoms
(`symbolic.exact`), never at a point. Numeric checks use the model's own activation and loss
(the stand-ins for generic ones, see `unroll`), lambdified with cse over the named graph and
compared with the numpy engine and with central differences, by the floored relative error
|a - b| / max(|a| + |b|, 1e-8).
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from symbptt import display, engine, verify_large
from symbptt.cells import checks as cells_checks
from symbptt.cells.functions import NUMERIC_STAND_IN
from symbptt.cells.heads import head_for
from symbptt.errors import InputError
from symbptt.latex.notation import UPSTREAM_CHOICES, Names, fresh_letter
from symbptt.model import ENGINE_KEY, Model, Role, Sizes
from symbptt.symbolic import gradients as G
from symbptt.symbolic.exact import same, sample
from symbptt.symbolic.unroll import Unrolled, unroll

__all__ = [
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

TOLERANCE = 1e-8
#: The unrolled forms expand into about n^(T+1) products per entry; this bounds that work.
MAX_N = 8
_BUDGET = 4096
_MAX_T = 12
#: Central differences in 40-digit arithmetic: step 1e-15, truncation error ~1e-30.
FD_DIGITS, FD_STEP = 40, "1e-15"


@dataclass(frozen=True)
class Check:
    """One check: what was compared (form), whether it passed, the worst error and its time."""

    name: str
    form: str
    passed: bool
    max_error: float | None
    seconds: float
    detail: str = ""
    #: The same name for documents: prose with `$...$` math in the model's own LaTeX names.
    label: str = ""
    #: Not run at these sizes (passed is False); detail gives the reason.
    skipped: bool = False

    def __str__(self) -> str:
        """`ok  name  (max error 1.2e-15)`, FAIL with the check's detail, or skip with the reason."""
        if self.skipped:
            return f"skip  {self.name}: {self.detail.removeprefix('skipped: ')}"
        err = "" if self.max_error is None else f"  (max error {self.max_error:.2g})"
        detail = f": {self.detail}" if self.detail and not self.passed else ""
        return f"{'ok  ' if self.passed else 'FAIL'}  {self.name}{err}{detail}"

    def as_json(self) -> dict[str, object]:
        """The JSON row: name, passed, max_error (null when not measured), seconds, form;
        a skipped row adds "skipped": true and "reason"."""
        err = self.max_error
        row: dict[str, object] = {
            "name": self.name,
            "passed": self.passed,
            "max_error": None if err is None or not math.isfinite(err) else err,
            "seconds": round(self.seconds, 4),
            "form": self.form,
        }
        if self.skipped:
            row |= {"skipped": True, "reason": self.detail}
        return row


@dataclass(frozen=True)
class Report:
    """Every check run for one model at sizes T and n."""

    model: str
    T: int
    n: int
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when at least one check ran and every check that ran passed (skips aside)."""
        ran = [c for c in self.checks if not c.skipped]
        return bool(ran) and all(c.passed for c in ran)

    def counts(self) -> str:
        """`7 passed, 3 skipped (beyond the unrolled limit)`, with `, 1 FAILED` when one failed."""
        ran = [c for c in self.checks if not c.skipped]
        failed = sum(not c.passed for c in ran)
        skipped = len(self.checks) - len(ran)
        out = f"{len(ran) - failed} passed"
        if failed:
            out += f", {failed} FAILED"
        if skipped:
            out += f", {skipped} skipped (beyond the unrolled limit)"
        return out

    def as_json(self) -> dict[str, object]:
        """{"model", "T", "n", "checks": [...]} as the CLI prints it."""
        return {
            "model": self.model,
            "T": self.T,
            "n": self.n,
            "checks": [c.as_json() for c in self.checks],
        }

    def __str__(self) -> str:
        """A line with the outcome (as `symbptt verify` counts), then a line per check."""
        failed = sum(not c.passed for c in self.checks)
        outcome = "all passed" if not failed else f"{failed} FAILED"
        if any(c.skipped for c in self.checks):
            outcome = self.counts()
        head = f"{self.model} at T={self.T}, n={self.n}: {len(self.checks)} checks, {outcome}"
        return "\n".join([head, *(f"  {c}" for c in self.checks)])

    def _repr_markdown_(self) -> str:
        """Notebook display: a line with the outcome, then a row per check."""
        failed = sum(1 for c in self.checks if not c.passed)
        outcome = "all passed" if not failed else f"**{failed} failed**"
        if any(c.skipped for c in self.checks):
            outcome = self.counts()
        head = f"**{self.model}**, T = {self.T}, n = {self.n}: {len(self.checks)} checks, {outcome}"
        rows = [
            (display.escape(c.name), display.escape(c.form), "passed" if c.passed else "**FAILED**",
             display.number(c.max_error), f"{c.seconds:.2f} s")
            if not c.skipped else
            (display.escape(c.name), display.escape(c.form), display.escape(c.detail),
             display.number(None), "-")
            for c in self.checks
        ]  # fmt: skip
        return head + "\n\n" + display.table(("check", "form", "result", "max error", "time"), rows)


# ---------------------------------------------------------------------- sizes


def max_unrolled_T(n: int) -> int:
    """The largest T the unrolled forms accept at n hidden units (n^(T+1) <= budget)."""
    T = 1
    while T < _MAX_T and n ** (T + 2) <= _BUDGET:
        T += 1
    return T


def check_sizes(T: object, n: object) -> None:
    """InputError unless 1 <= n <= MAX_N and 1 <= T <= max_unrolled_T(n), naming the limit."""
    for key, v in (("T", T), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {v!r}")
    assert isinstance(T, int) and isinstance(n, int)
    if n > MAX_N:
        raise InputError(
            f"n={n} is too large for the unrolled forms (limit n<={MAX_N}); choose a smaller n"
        )
    limit = max_unrolled_T(n)
    if T > limit:
        raise InputError(
            f"T={T} is too large for the unrolled forms (limit T<={limit} at n={n}); "
            "the step-lemma form covers any T"
        )


# ---------------------------------------------------------------------- helpers


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=float).reshape(-1)
    b = np.asarray(b, dtype=float).reshape(-1)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def _timed(
    name: str, form: str, body: Callable[[], tuple[bool, float | None, str]], label: str = ""
) -> Check:
    start = time.perf_counter()
    passed, err, detail = body()
    return Check(name, form, passed, err, time.perf_counter() - start, detail, label)


def _sizes_tex(T: int, n: int) -> str:
    return f"($T = {T}$, $n = {n}$)"


def _counterexample(a: sp.Expr, b: sp.Expr, seed: int) -> tuple[float, str]:
    """The floored relative error of a and b at random values of their atoms."""
    va, vb = sample([a, b], seed)
    err = _rel(np.array([va]), np.array([vb]))
    return err, f"at a random point of the atoms: {va:.6g} vs {vb:.6g}"


def _compare_exact(
    u: Unrolled, pairs: Sequence[tuple[str, sp.Matrix, sp.Matrix]], seed: int
) -> tuple[bool, float | None, str]:
    for label, a, b in pairs:
        bad = same(a, b)
        if bad:
            i = bad[0]
            err, where = _counterexample(a[i], b[i], seed)
            names = ", ".join(str(i) for i in bad[:4])
            return False, err, f"{label}: {len(bad)} entries differ (flat indices {names}); {where}"
    return True, 0.0, ""


def _roles(u: Unrolled) -> list[Role]:
    return list(u.params)


def _pname(u: Unrolled, role: Role) -> str:
    return u.model.notation.param(role).ascii


# ---------------------------------------------------------------------- exact checks


def check_direct_equals_bptt(u: Unrolled, *, variant: str = "correct", seed: int = 0) -> Check:
    """(a) = (b) for every parameter on a graph (generic for a proof); variant: see gradients.VARIANTS."""
    nt, nm = u.model.notation, Names(u.model)
    label = f"generic {nt.activation.ascii} and {nt.step_loss.ascii}_t" if u.generic else "concrete"
    name = f"exact: direct = BPTT ({label}; T={u.T}, n={u.n})"
    tex = (
        f"an arbitrary activation in place of ${nm.f}$ and an arbitrary per-step loss "
        f"${nm.E_t(nm.t)}$"
        if u.generic
        else "this model's activation and loss"
    )
    tex = f"exact: direct = BPTT for {tex} {_sizes_tex(u.T, u.n)}"
    if variant != "correct":
        name += f" [{variant}]"
        tex += f" [`{variant}`]"

    def body() -> tuple[bool, float | None, str]:
        pairs = [
            (_pname(u, r), G.direct(u, r), G.bptt(u, r, variant=variant).total) for r in _roles(u)
        ]
        return _compare_exact(u, pairs, seed)

    return _timed(name, "(a)=(b)", body, tex)


def check_direct_equals_paths(u: Unrolled, *, seed: int = 0) -> Check:
    """(a) = (c): for every E_t and parameter, the path terms sum to dE_t/dP."""
    nm = Names(u.model)
    name = (
        f"exact: direct = path sums, each {u.model.notation.step_loss.ascii}_t (T={u.T}, n={u.n})"
    )
    tex = f"exact: direct = path sums, each ${nm.E_t(nm.t)}$ {_sizes_tex(u.T, u.n)}"

    def body() -> tuple[bool, float | None, str]:
        pairs = []
        for r in _roles(u):
            direct = G.direct_steps(u, r)
            for t in u.loss_steps:
                paths = G.path_sums(u, r, t)
                total = paths[0].term
                for p in paths[1:]:
                    total = total + p.term
                pairs.append((f"{_pname(u, r)}, E_{t}", direct[t], total))
        return _compare_exact(u, pairs, seed)

    return _timed(name, "(a)=(c)", body, tex)


def check_delta_definitions(u: Unrolled, *, variant: str = "correct", seed: int = 0) -> Check:
    """The error terms equal their definition (dE/dnet_t, dE_t/dnet_k, or dL_t/dh_t locally)."""
    nt = u.model.notation
    d, a, e = nt.delta.ascii, nt.preactivation.ascii, nt.loss.ascii
    conv = u.model.delta
    what = {
        "net": f"{d}_t = d{e}/d{a}_t",
        "per_step": f"{d}_(t,k) = d{nt.step_loss.ascii}_t/d{a}_k",
        "step_state": f"{d}_t = d{nt.step_loss.ascii}_t/d{nt.state.ascii}_t (local)",
    }[conv]
    name = f"exact: error terms {what} (T={u.T}, n={u.n})"
    nm, t = Names(u.model), Names(u.model).t
    what_tex = {
        "net": f"{nm.delta(t)} = \\partial {nm.E} / \\partial {nm.net(t)}",
        "per_step": f"{nm.delta(t, 'k')} = \\partial {nm.E_t(t)} / \\partial {nm.net('k')}",
        "step_state": f"{nm.delta(t)} = \\partial {nm.E_t(t)} / \\partial {nm.h(t)}",
    }[conv]
    tex = f"exact: error terms ${what_tex}$" + (" (local)" if conv == "step_state" else "")
    tex += f" {_sizes_tex(u.T, u.n)}"

    def body() -> tuple[bool, float | None, str]:
        b = G.bptt(u, _roles(u)[0], variant=variant)
        pairs = []
        if conv == "per_step":
            for lab, dl in zip(b.delta_labels, b.deltas, strict=True):
                pairs.append((f"{d}_{lab}", dl, G.delta_definition(u, lab[1], t=lab[0])))
        else:
            for k in range(1, u.T + 1):
                pairs.append((f"d{e}/d{a}_{k}", b.total_deltas[k - 1], G.delta_definition(u, k)))
            if conv == "step_state":
                for t in u.loss_steps:
                    pairs.append((f"{d}_{t}", *_local_state_error(u, t, b.deltas[t - 1])))
        return _compare_exact(u, pairs, seed)

    return _timed(name, "delta", body, tex)


def _local_state_error(u: Unrolled, t: int, value: sp.Matrix) -> tuple[sp.Matrix, sp.Matrix]:
    """(value, dE_t/dh_t by diff) on common atoms; E_t is differentiated through z_t = V h_t + c.

    With an output layer E_t is written in z_t's symbols, so it is differentiated with z_t's
    definition put in; on the generic graph dL_t/dz_t is then named back as in BPTT's e_t.
    """
    e, hs = u.loss_def[t - 1], u.h_sym[t - 1]
    if not u.has_output:
        return value, sp.Matrix([sp.diff(e, h) for h in hs])
    zsub = dict(zip(u.z_sym[t - 1], u.z_def[t - 1], strict=True))
    through = e.xreplace(zsub)
    if u.generic:
        return value, sp.Matrix([u.to_named(sp.diff(through, h)) for h in hs])
    return value.xreplace(zsub), sp.Matrix([sp.diff(through, h) for h in hs])


def check_step_lemma(model: Model, n: int) -> Check:
    """The step lemma and base case (symbolic.steplemma), which prove the sum-over-time form for every T."""
    name = f"exact: step lemma + base case, every T (n={n})"
    tex = f"exact: step lemma + base case, every $T$ ($n = {n}$)"
    start = time.perf_counter()
    try:
        steplemma = importlib.import_module("symbptt.symbolic.steplemma")
    except ImportError as exc:
        return Check(name, "step lemma", False, None, 0.0, f"step lemma not available: {exc}", tex)
    try:
        proof = steplemma.prove(model, n)
    except Exception as exc:  # a failure of the other module is a failed check, not a crash
        secs = time.perf_counter() - start
        return Check(name, "step lemma", False, None, secs, f"{type(exc).__name__}: {exc}", tex)
    failed = [claim for claim, ok in getattr(proof, "steps", []) if not ok]
    passed = bool(getattr(proof, "passed", False))
    detail = "" if passed else "failed: " + "; ".join(failed or ["no claims"])
    secs = time.perf_counter() - start
    return Check(name, "step lemma", passed, 0.0 if passed else None, secs, detail, tex)


# ---------------------------------------------------------------------- numbers


@dataclass
class _Point:
    """Random values for one unrolled graph, in the engine's layout."""

    params: dict[Role, np.ndarray]
    xs: np.ndarray
    h0: np.ndarray
    targets: np.ndarray | None
    upstream: np.ndarray | None

    def flat(self, u: Unrolled) -> list[float]:
        return u.values(self.params, self.xs, self.h0, self.targets, self.upstream)


def _point(u: Unrolled, seed: int) -> _Point:
    rng = np.random.default_rng(seed)
    params = {}
    for role in u.params:
        shape = u.model.shape(role, _sizes(u))
        params[role] = rng.normal(0.0, 0.6, size=shape)
    xs = rng.normal(0.0, 1.0, size=(u.T, u.m))
    h0 = rng.normal(0.0, 0.5, size=u.n)
    targets = upstream = None
    if u.targets:
        if u.model.loss == "cross_entropy":
            targets = np.eye(u.k)[rng.integers(0, u.k, size=u.T)]
        elif u.model.loss == "binary_cross_entropy":
            targets = rng.integers(0, 2, size=(u.T, u.k)).astype(float)
        else:
            targets = rng.normal(0.0, 1.0, size=(u.T, u.k))
    if u.upstream_grads:
        upstream = rng.normal(0.0, 1.0, size=(u.T, u.n))
    return _Point(params, xs, h0, targets, upstream)


def _sizes(u: Unrolled) -> Sizes:
    return Sizes(T=u.T, n=u.n, m=u.m, k=max(u.k, 1))


def _numeric_activation(model: Model) -> str:
    """The activation numbers run with: a generic f as the function table's stand-in (tanh)."""
    return NUMERIC_STAND_IN if model.activation == "generic" else model.activation


def _engine_grads(u: Unrolled, pt: _Point) -> engine.Gradients | None:
    """The engine's gradients at pt, or None when the engine has no such loss."""
    model = u.model
    act = _numeric_activation(model)
    output = None if not u.has_output else model.output
    if u.has_output and model.loss == "generic" and model.output != "identity":
        return None  # the squared-error stand-in on a non-identity output is not an engine loss
    params = {ENGINE_KEY[r]: v for r, v in pt.params.items()}
    trace = engine.forward(params, pt.xs, pt.h0, activation=act, output=output)
    if u.has_output:
        return engine.backward(trace, targets=pt.targets, loss_at=model.loss_at)
    dh = pt.upstream
    if model.loss_at == "last" and dh is not None:
        dh = dh.copy()
        dh[:-1] = 0.0  # only E_T = <a_T, h_T> is taken
    return engine.backward(trace, dh=dh, loss_at=model.loss_at)


def _flat(mats: Sequence[sp.Matrix]) -> list[sp.Expr]:
    return [e for m in mats for e in m]


_LABEL = {"(a)": "direct", "(b)": "BPTT", "(c)": "path sums"}


def _form_exprs(u: Unrolled, form: str, variant: str = "correct") -> list[sp.Matrix]:
    if form == "(a)":
        return [G.direct(u, r) for r in _roles(u)]
    if form == "(b)":
        return [G.bptt(u, r, variant=variant).total for r in _roles(u)]
    out = []
    for r in _roles(u):
        acc = sp.zeros(*u.params[r].shape)
        for t in u.loss_steps:
            for p in G.path_sums(u, r, t):
                acc += p.term
        out.append(acc)
    return out


def check_engine(
    u: Unrolled, form: str = "(b)", *, variant: str = "correct", seed: int = 0
) -> Check:
    """A form's gradient, lambdified, against the engine at a random point (and dE/dnet_t for (b))."""
    model = u.model
    act = _numeric_activation(model)
    loss = _loss_label(u)
    name = f"numeric: {_LABEL[form]} vs engine ({act}, {loss}; T={u.T}, n={u.n})"
    tex = f"numeric: {_LABEL[form]} vs engine ({act}, {_loss_tex(u)}) {_sizes_tex(u.T, u.n)}"
    if variant != "correct":
        name += f" [{variant}]"
        tex += f" [`{variant}`]"

    def body() -> tuple[bool, float | None, str]:
        pt = _point(u, seed)
        eg = _engine_grads(u, pt)
        if eg is None:
            return False, None, "the engine has no such loss (use check_finite_differences)"
        exprs = _flat(_form_exprs(u, form, variant))
        want = [np.asarray(eg[ENGINE_KEY[r]]).reshape(-1) for r in _roles(u)]
        if form == "(b)":
            exprs += _flat(G.bptt(u, _roles(u)[0], variant=variant).total_deltas)
            want.append(np.asarray(eg.delta).reshape(-1))
        got = np.array(u.lambdify(exprs)(*pt.flat(u)), dtype=float)
        err = _rel(got, np.concatenate(want))
        return err < TOLERANCE, err, ""

    return _timed(name, form, body, tex)


def check_finite_differences(
    u: Unrolled, form: str = "(b)", *, variant: str = "correct", seed: int = 0
) -> Check:
    """A form's gradient, lambdified in float64, against central differences of E (40 digits)."""
    E = u.model.notation.loss
    name = (
        f"numeric: {_LABEL[form]} vs central differences of {E.ascii}, {FD_DIGITS} digits "
        f"(T={u.T}, n={u.n})"
    )
    tex = (
        f"numeric: {_LABEL[form]} vs central differences of ${E.latex}$, {FD_DIGITS} digits "
        f"{_sizes_tex(u.T, u.n)}"
    )
    if variant != "correct":
        name += f" [{variant}]"
        tex += f" [`{variant}`]"

    def body() -> tuple[bool, float | None, str]:
        pt = _point(u, seed)
        x = pt.flat(u)
        exprs = _flat(_form_exprs(u, form, variant))
        got = np.array(u.lambdify(exprs)(*x), dtype=float)
        fE = u.lambdify([u.E_named], modules="mpmath")
        inputs = u.inputs()
        index = {s: i for i, s in enumerate(inputs)}
        with mpmath.workdps(FD_DIGITS):
            h = mpmath.mpf(FD_STEP)
            base = [mpmath.mpf(v) for v in x]
            fd = []
            for r in _roles(u):
                for p in u.params[r]:
                    i = index[p]
                    up, dn = list(base), list(base)
                    up[i] += h
                    dn[i] -= h
                    fd.append(float((fE(*up)[0] - fE(*dn)[0]) / (2 * h)))
        err = _rel(got, np.array(fd))
        return err < TOLERANCE, err, ""

    return _timed(name, form, body, tex)


def check_upstream(model: Model, T: int, n: int, *, seed: int = 0) -> Check:
    """The course notes' rnn_backward case: E = sum_t <ds_t, s_t>; BPTT vs the engine's dh mode."""
    nt, nm = model.notation, Names(model)
    s, E, t = nt.state.ascii, nt.loss.ascii, nm.t
    g = fresh_letter(model, UPSTREAM_CHOICES)
    if model.loss_at == "last":
        ascii_loss = f"{E} = <d{s}_T, {s}_T>"
        tex_loss = f"{nm.E} = \\langle {nm._v(g, 'T')}, {nm.h('T')} \\rangle"
        fixed = f"a fixed random vector ${nm._v(g, 'T')}$"
    else:
        ascii_loss = f"{E} = sum_t <d{s}_t, {s}_t>"
        tex_loss = f"{nm.E} = \\sum_{{{t}}} \\langle {nm._v(g, t)}, {nm.h(t)} \\rangle"
        fixed = f"fixed random vectors ${nm._v(g, t)}$"
    name = f"numeric: upstream case {ascii_loss}, BPTT vs engine (T={T}, n={n})"
    tex = f"numeric: upstream case ${tex_loss}$ with {fixed}, BPTT vs engine {_sizes_tex(T, n)}"

    def body() -> tuple[bool, float | None, str]:
        u = unroll(model, T, n, upstream=True)
        pt = _point(u, seed)
        act = _numeric_activation(model)
        params = {ENGINE_KEY[r]: v for r, v in pt.params.items()}
        trace = engine.forward(params, pt.xs, pt.h0, activation=act, output=None)
        dh = pt.upstream.copy()  # type: ignore[union-attr]
        if model.loss_at == "last":
            dh[:-1] = 0.0
        eg = engine.backward(trace, dh=dh)
        roles = _roles(u)
        b = G.bptt(u, roles[0])
        W = u.params[Role.RECURRENT]
        U = u.params[Role.INPUT]
        dh0 = W.T * b.total_deltas[0]
        dxs = [U.T * d for d in b.total_deltas]
        exprs = _flat([G.bptt(u, r).total for r in roles] + [dh0, *dxs])
        want = [np.asarray(eg[ENGINE_KEY[r]]).reshape(-1) for r in roles]
        want += [np.asarray(eg["h0"]).reshape(-1), np.asarray(eg["xs"]).reshape(-1)]
        got = np.array(u.lambdify(exprs)(*pt.flat(u)), dtype=float)
        err = _rel(got, np.concatenate(want))
        return err < TOLERANCE, err, ""

    return _timed(name, "(b)", body, tex)


def _loss_tex(u: Unrolled) -> str:
    """`_loss_label` with the stand-in loss written in the model's names."""
    if not u.has_output and u.model.loss == "generic":
        nm = Names(u.model)
        g = fresh_letter(u.model, UPSTREAM_CHOICES)
        t = nm.t
        return f"linear stand-in loss ${nm.E_t(t)} = \\langle {nm._v(g, t)}, {nm.h(t)} \\rangle$"
    return _loss_label(u)


def _loss_label(u: Unrolled) -> str:
    model = u.model
    if not u.has_output:
        if model.loss == "generic":
            s = model.notation.state.ascii
            return f"linear stand-in loss <d{s}_t, {s}_t>"
        return model.loss
    loss = "squared_error stand-in" if model.loss == "generic" else model.loss
    return f"{model.output} + {loss}".replace("_", "-")


# ---------------------------------------------------------------------- all


def check_gated_sizes(T: object, n: object) -> None:
    """InputError unless 1 <= T <= 3 and 1 <= n <= 2: a gated cell's unrolled limit."""
    for key, v, hi in (("T", T, cells_checks.MAX_T), ("n", n, cells_checks.MAX_N)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {v!r}")
        if v > hi:
            raise InputError(
                f"{key}={v} is too large for a gated cell's unrolled forms (limit {key}<={hi}); "
                "the step lemma covers every T"
            )


def run_gated_checks(model: Model, T: int, n: int, *, seed: int = 0) -> Report:
    """A gated model's checks (symbptt.cells.checks): exact direct = BPTT, the step lemma, the
    generated engine against the symbolic BPTT and central differences, the carousel statements."""
    check_gated_sizes(T, n)
    head = head_for(model.output, model.loss)  # a head (z_t = V h_t + c) or the generic loss
    rows = cells_checks.run(
        model.cell_def, T, n, seed=seed, head=head, k=model.sizes.k, loss_at=model.loss_at
    )
    checks = [
        Check(r.name, r.form, r.passed, r.max_error, r.seconds, r.detail, r.name) for r in rows
    ]
    return Report(model.name, T, n, checks)


def unrolled_limit(model: Model, T: object, n: object) -> str | None:
    """None when the unrolled forms run at T and n, else the reason they are skipped.

    InputError for sizes that are not whole numbers >= 1 or beyond the scaling checks' bound.
    """
    for key, v in (("T", T), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(f"{key} must be a whole number >= 1; found {v!r}")
    assert isinstance(T, int) and isinstance(n, int)
    if model.is_gated:
        hi_T, hi_n = cells_checks.MAX_T, cells_checks.MAX_N
        if T <= hi_T and n <= hi_n:
            return None
        why = f"skipped: unrolled forms stop at T<={hi_T}, n<={hi_n} for a gated cell"
    elif n <= MAX_N and T <= max_unrolled_T(n):
        return None
    elif n <= MAX_N:
        why = f"skipped: unrolled forms stop at T<={max_unrolled_T(n)} at n={n}"
    else:
        why = (
            f"skipped: unrolled forms stop at n<={MAX_N} "
            f"(T<={max_unrolled_T(MAX_N)} at n={MAX_N}, T<={max_unrolled_T(2)} at n=2)"
        )
    verify_large.check_bound(T, n)
    return why


def run_large_checks(model: Model, T: int, n: int, reason: str, *, seed: int = 0) -> Report:
    """Beyond the unrolled limit: the step lemma at a small n, the generated code at T and n
    against the engine (or fast path) and central differences; the unrolled checks skipped."""
    small = min(n, verify_large.PROOF_N)
    if model.is_gated:
        cell = model.cell_def
        rows = [
            verify_large.gated_lemma(cell, small),
            *verify_large.gated_rows(cell, T, n, seed=seed),
        ]
        rows += verify_large.gated_skipped(cell, reason)
        checks = []
    else:
        rows = [*verify_large.vanilla_rows(model, T, n, seed=seed)]
        rows += verify_large.vanilla_skipped(model, reason)
        checks = [check_step_lemma(model, small)]
    checks += [Check(r.name, r.form, r.passed, r.max_error, r.seconds, r.detail, r.name,
                     r.skipped) for r in rows]  # fmt: skip
    lemma_note = (
        f"proved exactly at n={small}; at n={n} the code generated from the same rule is "
        "checked numerically (the rows below)"
    )
    if checks[0].passed and small < n:
        checks[0] = Check(checks[0].name, checks[0].form, True, checks[0].max_error,
                          checks[0].seconds, lemma_note, checks[0].label)  # fmt: skip
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
    engine_has_loss = _engine_grads(uc, _point(uc, seed)) is not None
    for form in ("(b)", "(a)", "(c)"):
        if engine_has_loss:
            checks.append(check_engine(uc, form, seed=seed))
        if form == "(b)" or not engine_has_loss:
            checks.append(check_finite_differences(uc, form, seed=seed))
    if uc.has_output:
        checks.append(check_upstream(model, T, n, seed=seed))
    checks.append(check_step_lemma(model, n))
    return Report(model.name, T, n, checks)
