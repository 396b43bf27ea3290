"""Every check of a cell at concrete T and n: exact identities, the step lemma, numbers, carousel.

Returns `Outcome` rows (the one row type, `symbptt.checkrow.CheckRow`) that `verify` puts in
its report, so this layer imports nothing above it. Exact checks use a generic
per-step loss L_t(h_t) (its gradient as free symbols); numeric checks use the linear stand-in
L_t = <g_t, h_t> with random g_t, the cell's own functions (a generic f as tanh).
With an output head (`heads.HEADS`) every identity and number is about the head's own loss
E = sum_t E_t(V h_t + c, y_t): the head's lemma (dE_t/dz_t as the heads table states it, by
SymPy), direct = BPTT for
every parameter and V, c, the engine (`numeric.head_loss`) against central differences of E.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symbptt.cells import carousel, jacobian, mp40, numeric
from symbptt.cells.cell import Cell
from symbptt.cells.expr import Add, Apply, Hadamard, Prev, Ref, walk
from symbptt.cells.functions import LAMBDIFY_MODULE
from symbptt.cells.heads import Head
from symbptt.cells.steplemma import prove
from symbptt.cells.symbolic import Unrolled, bptt, direct_equals_bptt, head_gradient, unroll
from symbptt.checkrow import CheckRow, rel
from symbptt.checkrow import timed as _timed

__all__ = ["MAX_N", "MAX_T", "TOLERANCE", "FD_TOLERANCE", "Outcome", "run", "step_lemma"]

#: Gated cells unroll at T <= 3, n <= 2 (the exact identity's polynomials grow fast beyond).
MAX_T, MAX_N = 3, 2
TOLERANCE = 1e-8
#: float64 central differences with step 1e-6 are good to about 1e-9 relative.
FD_TOLERANCE = 1e-6


#: One check's result (the one row type of every check, `symbptt.checkrow`).
Outcome = CheckRow


@dataclass(frozen=True)
class Point:
    """A random point: parameters by key, xs (T, 1, m), initial states (1, n), loss gradients g;
    with a head also V (k, n), c (k,) in `head_params` and targets (T, 1, k)."""

    params: dict[str, np.ndarray]
    xs: np.ndarray
    states0: dict[str, np.ndarray]
    g: np.ndarray  # (T, 1, n): dL_t/dh_t of the linear stand-in
    head_params: dict[str, np.ndarray] = field(default_factory=dict)
    targets: np.ndarray | None = None


def point(
    cell: Cell, T: int, n: int, m: int, seed: int = 0, *, head: Head | None = None, k: int = 2
) -> Point:
    """Parameters N(0, 0.6^2), inputs N(0, 1), states N(0, 0.5^2), g N(0, 1); a head's V and c
    N(0, 0.6^2) and targets as the head samples them (`Head.sample_targets`: a one-hot class,
    0/1 labels, reals)."""
    rng = np.random.default_rng(seed)
    params = {p.key: rng.normal(0.0, 0.6, size=p.size(n, m)) for p in cell.params}
    xs = rng.normal(size=(T, 1, m))
    states0 = {s: rng.normal(0.0, 0.5, size=(1, n)) for s in cell.states}
    g = rng.normal(size=(T, 1, n))
    if head is None or not head.has_output_layer:
        return Point(params, xs, states0, g)
    hp = {"V": rng.normal(0.0, 0.6, size=(k, n)), "c": rng.normal(0.0, 0.6, size=k)}
    y = np.asarray(head.sample_targets(rng, T, k), dtype=float).reshape(T, 1, k)
    return Point(params, xs, states0, g, hp, y)


def head_label(head: Head) -> str:
    """'softmax + cross-entropy' as the rows print a head."""
    return (
        f"{head.output} + {head.loss.replace('_', ' ').replace('cross entropy', 'cross-entropy')}"
    )


def _exact(cell: Cell, T: int, n: int) -> Outcome:
    def body() -> tuple[bool, float | None, str]:
        bad = direct_equals_bptt(unroll(cell, T, n))
        return not bad, 0.0 if not bad else None, f"differ at {', '.join(bad[:5])}" if bad else ""

    return _timed(
        f"exact: direct = BPTT for an arbitrary per-step loss L_t(h_t) (T={T}, n={n})",
        "(a)=(b)",
        body,
    )


def _exact_head(cell: Cell, head: Head, T: int, n: int, k: int, loss_at: str) -> Outcome:
    """The head's lemma (SymPy's dE_t/dz_t = the heads table's, for every target) and direct =
    BPTT at z_t, for every cell parameter and V, c: together direct = BPTT for the head's loss."""

    def body() -> tuple[bool, float | None, str]:
        lemma = head_gradient(head, k)
        bad = direct_equals_bptt(unroll(cell, T, n, loss_at=loss_at, head=head, k=k))
        ok = lemma.holds and not bad
        notes = []
        notes.append(
            "dE_t/dz_t = yhat_t - y_t for every y_t" if not lemma.assumption
            else f"dE_t/dz_t = yhat_t - y_t when {lemma.assumption} (a one-hot y_t)"
            if lemma.assumption != "never" else "dE_t/dz_t is not yhat_t - y_t"
        )  # fmt: skip
        if not lemma.holds:
            notes.append("SymPy's dE_t/dz_t differs from the heads table's")
        if bad:
            notes.append(f"direct and BPTT differ at {', '.join(bad[:5])}")
        return ok, 0.0 if ok else None, "; ".join(notes)

    where = "E = E_T" if loss_at == "last" else "E = sum_t E_t"
    return _timed(
        f"exact: head {head_label(head)}, z_t = V h_t + c: SymPy's dE_t/dz_t equals the heads "
        f"table's, and direct = BPTT for every parameter, V and c ({where}; T={T}, n={n}, k={k})",
        "(a)=(b)",
        body,
    )


def step_lemma(cell: Cell, n: int) -> Outcome:
    """The cell's step lemma and base case, proved exactly at n (`cells.steplemma.prove`)."""

    def body() -> tuple[bool, float | None, str]:
        proof = prove(cell, n)
        failed = [c for c, ok in proof.steps if not ok]
        detail = "" if proof.passed else "failed: " + "; ".join(failed or ["no claims"])
        return proof.passed, 0.0 if proof.passed else None, detail

    return _timed(f"exact: step lemma + base case, every T (n={n})", "step lemma", body)


def _engine_grads(cell: Cell, pt: Point, head: Head | None, loss_at: str) -> dict[str, np.ndarray]:
    """The generated engine's gradients at pt: of the head's loss (V, c too), or of the linear
    stand-in."""
    if head is not None:
        _, eg = numeric.head_loss(
            cell, head, pt.params | pt.head_params, pt.xs, pt.states0, pt.targets, loss_at=loss_at
        )  # type: ignore[arg-type]
        return eg.params
    tr = numeric.forward(cell, pt.params, pt.xs, pt.states0)
    return numeric.backward(cell, tr, {cell.readout: pt.g}).params


def _symbolic_vs_engine(
    cell: Cell, T: int, n: int, seed: int, head: Head | None = None, k: int = 2,
    loss_at: str = "every",
) -> Outcome:  # fmt: skip
    def body() -> tuple[bool, float | None, str]:
        u = unroll(cell, T, n, head=head, k=k, loss_at=loss_at if head else "every")
        pt = point(cell, T, n, u.m, seed, head=head, k=k)
        values: dict[sp.Symbol, float] = {}
        for key, P in u.all_params.items():
            values |= dict(zip(P, np.ravel((pt.params | pt.head_params)[key]), strict=True))
        for t, x in enumerate(u.xs):
            values |= dict(zip(x, pt.xs[t, 0], strict=True))
        for s, v in u.states0.items():
            values |= dict(zip(v, pt.states0[s][0], strict=True))
        named = _named_values(u, values)
        for t, g in enumerate(u.dloss):
            if head is None:
                values |= dict(zip(g, pt.g[t, 0], strict=True))
            else:  # the head's error term at the point's z_t: yhat_t - y_t
                z = np.array([named[s] for s in u.znames[t]])
                dz = head.numpy_grad(z, pt.targets[t, 0])  # type: ignore[misc,index]
                values |= {s: float(v) for s, v in zip(g, dz, strict=True) if s.is_Symbol}
        grads = bptt(u).grads
        keys = list(u.all_params)
        exprs = [e for key in keys for e in grads[key]]
        got = evaluate_named(exprs, values | named)
        eg = _engine_grads(cell, pt, head, loss_at)
        want = np.concatenate([np.ravel(eg[key]) for key in keys])
        err = rel(got, want)
        return err < TOLERANCE, err, ""

    loss = (
        f"head {head_label(head)} (z_t = V h_t + c)"
        if head is not None
        else "linear stand-in loss L_t = g_t . h_t"
    )
    return _timed(
        "numeric: two evaluators of the same reverse rules agree (symbolic BPTT vs generated "
        f"engine), {loss} (T={T}, n={n})",
        "(b)",
        body,
    )


#: the 40-digit check runs up to these sizes (about a second at T = n = 3)
MP40_MAX = 3


def _engine_vs_mp40(
    cell: Cell, T: int, n: int, seed: int, head: Head | None = None, k: int = 2,
    loss_at: str = "every",
) -> Outcome:  # fmt: skip
    """The generated engine's dL/dP against mpmath 40-digit central differences of the forward
    (with a head: of the head's own loss E, V and c included)."""

    def body() -> tuple[bool, float | None, str]:
        Tm, nm = min(T, MP40_MAX), min(n, MP40_MAX)
        pt = point(cell, Tm, nm, nm, seed, head=head, k=k)
        if head is None:
            fd = mp40.loss_gradient(cell, pt.params, pt.xs, pt.states0, pt.g)
        else:
            fd = mp40.loss_gradient(
                cell, pt.params | pt.head_params, pt.xs, pt.states0, head=head,
                targets=pt.targets, loss_at=loss_at,
            )  # fmt: skip
        eg = _engine_grads(cell, pt, head, loss_at)
        keys = [*cell.param_keys, *pt.head_params]
        err = rel(
            np.concatenate([np.ravel(eg[key]) for key in keys]),
            np.concatenate([np.ravel(fd[key]) for key in keys]),
        )
        at = f" (run at T={Tm}, n={nm})" if (Tm, nm) != (T, n) else ""
        return err < TOLERANCE, err, f"relative error {err:.1e}{at}"

    of = f" of the head's loss {head_label(head)}" if head is not None else ""
    return _timed(
        "numeric: generated engine vs mpmath 40-digit central differences of the unrolled "
        f"forward{of} (T={min(T, MP40_MAX)}, n={min(n, MP40_MAX)})",
        "(b)",
        body,
    )


def _module() -> dict[str, object]:
    return dict(LAMBDIFY_MODULE)


def _named_values(u: Unrolled, values: dict[sp.Symbol, float]) -> dict[sp.Symbol, float]:
    """Every named quantity's value at the point, definition by definition."""
    env = dict(values)
    out: dict[sp.Symbol, float] = {}
    mod = [_module(), "math"]
    for sym, d in u.definitions():
        free = sorted(d.free_symbols, key=str)
        v = float(sp.lambdify(free, d, modules=mod)(*[env[s] for s in free]))
        env[sym] = out[sym] = v
    return out


def evaluate_named(exprs: list[sp.Expr], values: dict[sp.Symbol, float]) -> np.ndarray:
    """exprs (over leaves and named quantities) at the point."""
    syms = sorted({s for e in exprs for s in sp.sympify(e).free_symbols}, key=str)
    f = sp.lambdify(syms, exprs, modules=[_module(), "numpy"], cse=True)
    return np.array(f(*[values[s] for s in syms]), dtype=float)


def _head_fd(
    cell: Cell, head: Head, pt: Point, loss_at: str, eps: float = 1e-5
) -> dict[str, np.ndarray]:
    """float64 central differences of the head's loss E for every parameter, V and c."""
    params = pt.params | pt.head_params

    def loss(p: dict[str, np.ndarray]) -> float:
        y = pt.targets
        assert y is not None  # a head's point always has targets
        return numeric.head_loss(cell, head, p, pt.xs, pt.states0, y, loss_at=loss_at)[0]

    fd: dict[str, np.ndarray] = {}
    for key, v in params.items():
        out = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            up, dn = v.copy(), v.copy()
            up[idx] += eps
            dn[idx] -= eps
            out[idx] = (loss(params | {key: up}) - loss(params | {key: dn})) / (2 * eps)
        fd[key] = out
    return fd


def _engine_vs_fd(
    cell: Cell, T: int, n: int, seed: int, head: Head | None = None, k: int = 2,
    loss_at: str = "every",
) -> Outcome:  # fmt: skip
    def body() -> tuple[bool, float | None, str]:
        pt = point(cell, T, n, n, seed, head=head, k=k)
        if head is None:
            g, fd = numeric.loss_gradient_check(
                cell, pt.params, pt.xs, pt.states0, {cell.readout: pt.g}
            )
            got = g.params
        else:
            got, fd = _engine_grads(cell, pt, head, loss_at), _head_fd(cell, head, pt, loss_at)
        keys = [*cell.param_keys, *pt.head_params]
        want = np.concatenate([np.ravel(fd[key]) for key in keys])
        got_v = np.concatenate([np.ravel(got[key]) for key in keys])
        # a head's loss E is O(1): its differences (step 1e-5) are good to about 1e-10
        # absolutely, so the error is measured against the largest entry (normwise); the
        # 40-digit row holds every entry to 1e-8 relative
        err = (
            rel(got_v, want)
            if head is None
            else float(np.abs(got_v - want).max() / max(float(np.abs(want).max()), 1e-12))
        )
        return err < FD_TOLERANCE, err, ""

    of = f" of the head's loss {head_label(head)}" if head is not None else ""
    return _timed(
        f"numeric: generated engine vs float64 central differences{of}, step "
        f"{'1e-6' if head is None else '1e-5'} (T={T}, n={n})",
        "(b)",
        body,
    )


def _carousel(cell: Cell, T: int, n: int, seed: int) -> list[Outcome]:
    """For each state: its printed step partial (or a one-state cell's direct term), the direct
    path, the total."""
    out = []
    for s in cell.states:
        p = carousel.carried(cell, s, n)
        if p.gate is None:
            terms = jacobian.step_partial_terms(cell, s)
            if (
                len(cell.states) > 1
                and terms
                and all(f.key is None for t in terms for f in t.factors)
            ):
                out.append(_total(cell, s, None, n, seed))
            elif len(cell.states) == 1:  # no gate on the state: derive prints the total alone
                out.append(_total_alone(cell, s, n, seed))
            continue
        q = p.gate
        out.append(_total(cell, s, p, n, seed))
        # the direct-path product and Ex 3(c) are stated for diag(q), q -> 1 (not diag(1 - q))
        if len(cell.states) > 1 and not p.complemented and not carousel.reads_own_state(cell, s, s):
            out.append(_direct_path(cell, s, q, T, n))
            closed = _forget_one_no_input(cell, s, q, T, n, seed)
            if closed is not None:
                out.append(closed)
    return out


def _direct_path(cell: Cell, s: str, q: str, T: int, n: int) -> Outcome:
    def body() -> tuple[bool, float | None, str]:
        ok = True
        for k in range(1, T + 1):
            d = carousel.direct_path(cell, s, k, n)
            ones = {e: sp.Integer(1) for names in d.names for e in names[q]}
            ok = ok and d.equal and d.product.xreplace(ones) == sp.eye(n)
        return ok, 0.0 if ok else None, ""

    return _timed(
        f"exact: d{s}_t/d{s}_k along the direct path = prod_(i=k+1..t) diag({q}_i), "
        f"t-k = 1..{T}; = I when every {q} = 1 (n={n})",
        "derived",
        body,
    )


def _closed_gates(cell: Cell, s: str, q: str) -> list[str] | None:
    """The sigmoid gates (other than q) multiplying the terms of s's equation that do not read
    s_{t-1}: the input gate i of c_t = f * c_{t-1} + i * g. None when the equation is not so."""
    rhs = cell.equation(s).rhs
    if not isinstance(rhs, Add):
        return None
    gates = []
    for term in rhs.terms:
        if any(isinstance(node, Prev) and node.state == s for node in walk(term)):
            continue
        refs = [t for t in (getattr(term, "left", None), getattr(term, "right", None))
                if isinstance(t, Ref) and t.name != q]  # fmt: skip
        sig = [r.name for r in refs if _is_sigmoid(cell, r.name)]
        if not isinstance(term, Hadamard) or not sig:
            return None
        gates.append(sig[0])
    return gates or None


def _is_sigmoid(cell: Cell, name: str) -> bool:
    rhs = cell.equation(name).rhs
    return isinstance(rhs, Apply) and rhs.function == "sigmoid"


def _bias_of(cell: Cell, gate: str) -> str | None:
    """The bias added inside the gate's sigmoid (b_f for f)."""
    return carousel.gate_bias(cell, gate)


def _forget_one_no_input(cell: Cell, s: str, q: str, T: int, n: int, seed: int) -> Outcome | None:
    """Homework 3 Ex 3(c): q = 1 and no input (i = 0) make the total ds_t/ds_k the identity.

    A sigmoid gate never equals 0 or 1, so the case is approached: q's bias +40 and each input
    gate's bias -40 (gates within e^-40 of 1 and 0), and the total Jacobian over T steps, by
    central differences of the generated engine, is compared with I.
    """
    closed = _closed_gates(cell, s, q)
    keys = [_bias_of(cell, g) for g in [q, *(closed or [])]]
    if not closed or any(k is None for k in keys):
        return None

    def body() -> tuple[bool, float | None, str]:
        pt = point(cell, T + 1, n, n, seed)
        params = dict(pt.params)
        params[keys[0]] = params[keys[0]] + 40.0  # type: ignore[index]
        for k in keys[1:]:
            params[k] = params[k] - 40.0  # type: ignore[index]
        prev = {st: v[0] for st, v in pt.states0.items()}
        total = carousel.total_jacobian(cell, s, params, pt.xs[:, 0], prev)
        err = float(np.abs(total - np.eye(n)).max())
        return err < 1e-8, err, f"max |total - I| = {err:.1e} over {T} steps"

    return _timed(
        f"numeric: {q} -> 1 and no input ({', '.join(closed)} -> 0) make the total "
        f"d{s}_t/d{s}_k the identity (t-k = {T}; homework 3 Ex 3(c))",
        "derived",
        body,
    )


def _step_jacobians(
    cell: Cell, s: str, n: int, seed: int
) -> tuple[Point, dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """At a random point (step 2 of a 2-step run): the point, step 2's and step 1's values, the
    total and direct ds_t/ds_(t-1) by central differences, and the derived total's formula."""
    pt = point(cell, 2, n, n, seed)
    prev = {st: v[0] for st, v in pt.states0.items()}
    total, direct = carousel.total_step_jacobian(cell, s, pt.params, pt.xs[:, 0], prev)
    tr = numeric.forward(cell, pt.params, pt.xs, pt.states0)
    at = {q: v[1, 0] for q, v in tr.values.items()}
    before = {q: v[0, 0] for q, v in tr.values.items()}
    formula = jacobian.evaluate(
        cell, jacobian.total_jacobian_terms(cell, s), pt.params, pt.xs[1, 0], at, before
    )
    return pt, at, before, total, direct, formula


def _total(cell: Cell, s: str, carried: carousel.Partial | None, n: int, seed: int) -> Outcome:
    """carried (diag(q), or None for the derived step partial's formula) against central
    differences: the step partial (other states at t-1 and x_t fixed) of a multi-state cell, the
    direct term (the gates held fixed) of a one-state cell; and the derived total."""
    multi = len(cell.states) > 1
    statement = carried.statement if carried is not None else ""

    def body() -> tuple[bool, float | None, str]:
        pt, at, before, total, direct, formula = _step_jacobians(cell, s, n, seed)
        if carried is not None and carried.gate is not None:
            v = at[carried.gate]
            diag = np.diag(1 - v if carried.complemented else v)
        else:
            terms = jacobian.step_partial_terms(cell, s)
            diag = jacobian.evaluate(cell, terms, pt.params, pt.xs[1, 0], at, before)
        direct_err = float(np.abs(direct - diag).max())
        formula_err = float(np.abs(formula - total).max())
        gap = float(np.linalg.norm(total - diag, 2))
        ok = direct_err < 1e-8 and formula_err < 1e-7 and gap > 1e-3
        detail = (
            f"at a random point the {what} matches {statement or 'the derived formula'} (error "
            f"{direct_err:.1e}); the derived total d{s}_t/d{s}_(t-1) (every path) matches central "
            f"differences (error {formula_err:.1e}) and differs from it by {gap:.3g} (2-norm)"
        )
        return ok, max(direct_err, formula_err), detail

    what = (
        f"step partial d{s}_t/d{s}_(t-1) (the other states at t-1 and x_t fixed)"
        if multi
        else f"direct term of d{s}_t/d{s}_(t-1) (the gates held fixed)"
    )
    return _timed(
        f"derived: the {what} = {statement + '_t' if statement else 'its derived formula'}; "
        f"the derived total d{s}_t/d{s}_(t-1) differs from it (central differences at a "
        "random point)",
        "derived",
        body,
    )


def _total_alone(cell: Cell, s: str, n: int, seed: int) -> Outcome:
    """A one-state cell with no diag(gate) on its state: the derived total ds_t/ds_(t-1) that
    derive prints against central differences at a random point."""

    def body() -> tuple[bool, float | None, str]:
        *_, total, _, formula = _step_jacobians(cell, s, n, seed)
        err = float(np.abs(formula - total).max())
        return err < 1e-7, err, f"max |derived - central differences| = {err:.1e}"

    return _timed(
        f"derived: the total d{s}_t/d{s}_(t-1) (the only state, no gate on it) matches central "
        "differences at a random point",
        "derived",
        body,
    )


def run(
    cell: Cell,
    T: int,
    n: int,
    *,
    seed: int = 0,
    head: Head | None = None,
    k: int = 2,
    loss_at: str = "every",
) -> list[Outcome]:
    """Every check of cell at T steps and n hidden units (sizes checked by the caller).

    With an output head (k outputs; loss_at 'every' or 'last') the identities and numbers are
    about the head's loss; the step lemma and the carousel do not depend on the loss.
    """
    if head is not None and not head.has_output_layer:
        head = None
    if head is None:
        out = [_exact(cell, T, n), step_lemma(cell, n)]
    else:
        out = [_exact_head(cell, head, T, n, k, loss_at), step_lemma(cell, n)]
    out.append(_symbolic_vs_engine(cell, T, n, seed, head, k, loss_at))
    out.append(_engine_vs_fd(cell, T, n, seed, head, k, loss_at))
    out.append(_engine_vs_mp40(cell, T, n, seed, head, k, loss_at))
    out += _carousel(cell, T, n, seed)
    return out
