"""dE/dP on an unrolled graph in three forms, plus the Jacobian products dh_t/dh_k.

(a) `direct`: the chain rule applied to the graph itself (forward mode over the named DAG:
    each node's derivative is the sum over its arguments of local partial x argument's derivative,
    every local partial taken by `sympy.diff`). It knows nothing about deltas or BPTT.
    `direct_naive` differentiates the fully substituted E (exponential; a baseline).
(b) `bptt`: the textbook recursion in the model's error-term convention and the per-step terms
    dE/dW = sum_t delta_t h_{t-1}^T, dE/dU = sum_t delta_t x_t^T, dE/db = sum_t delta_t,
    dE/dV = sum_t e_t h_t^T, dE/dc = sum_t e_t (the dl4nlp text: a double sum over t and k).
(c) `path_sums`: each path from E_t back through h_t, ..., h_k to P's use at step k, with its
    product of Jacobians dE_t/dh_t prod dh_i/dh_{i-1} dh_k/dP.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sympy as sp

from symbptt.cells.heads import numeric_head
from symbptt.errors import InputError
from symbptt.model import Role
from symbptt.symbolic.unroll import Unrolled, entry_latex

__all__ = [
    "VARIANTS",
    "Bptt",
    "Path",
    "bptt",
    "delta_definition",
    "delta_symbols",
    "direct",
    "direct_naive",
    "direct_steps",
    "jacobian_product",
    "local_jacobians",
    "output_error",
    "path_sums",
    "state_error",
    "step_term",
]

#: "correct" is the recursion; the others are known mistakes, kept so checks can be shown to catch them:
#: drop_recursive -- delta_t without the W^T delta_{t+1} term (homework 3's local delta for step_state);
#: wrong_index -- the dl4nlp line delta_{t,k} = f'(s_t) (.) U^T delta_{t,k+1} (s_t instead of s_k).
VARIANTS = ("correct", "drop_recursive", "wrong_index")


def _param(u: Unrolled, role: Role) -> sp.Matrix:
    if role not in u.params:
        have = ", ".join(u.model.notation.param(r).ascii for r in u.params)
        raise InputError(f"this unrolled graph has no {role.value} parameter; it has {have}")
    return u.params[role]


def _emul(a: sp.Matrix, b: sp.Matrix) -> sp.Matrix:
    return a.multiply_elementwise(b)


# ---------------------------------------------------------------------- (a) direct


_PARTIALS: weakref.WeakKeyDictionary[Unrolled, tuple[dict, list]] = weakref.WeakKeyDictionary()


def _local_partials(u: Unrolled) -> tuple[dict, list]:
    """Every node's local partials d(definition)/d(argument), by sympy.diff, once per graph."""
    if u not in _PARTIALS:

        def partials(d: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
            out = {v: sp.diff(d, v) for v in sorted(d.free_symbols, key=str)}
            return {v: p for v, p in out.items() if p != 0}

        nodes = {s: partials(d) for s, d in u.definitions}
        losses = [{} if e is None else partials(e) for e in u.loss_def]
        _PARTIALS[u] = (nodes, losses)
    return _PARTIALS[u]


class _Forward:
    """Forward-mode chain rule over the named DAG, local partials by sympy.diff (computed once)."""

    def __init__(self, u: Unrolled, *, expand: bool) -> None:
        self.u = u
        self.expand = expand
        self.partials, self.loss_partials = _local_partials(u)

    def _combine(self, pairs: dict[sp.Symbol, sp.Expr], tan: dict) -> sp.Expr:
        # products and sums are built unevaluated: canonicalising each one (Mul.flatten) is
        # what made this slow, and every consumer (cse, exact.same, printing) accepts them
        acc = []
        for v, p in pairs.items():
            t = tan.get(v)
            if t is None or t == 0:
                continue
            acc.append(t if p == 1 else (p if t == 1 else sp.Mul(p, t, evaluate=False)))
        if not acc:
            return sp.S.Zero
        out = acc[0] if len(acc) == 1 else sp.Add(*acc, evaluate=False)
        return sp.expand_mul(out) if self.expand else out

    def tangents(self, seed: dict[sp.Symbol, sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
        """d(node)/d(theta) for every node, given d(symbol)/d(theta) for some symbols (seed)."""
        tan = dict(seed)
        for s, _ in self.u.definitions:
            if s in seed:
                continue
            val = self._combine(self.partials[s], tan)
            if val != 0:
                tan[s] = val
        return tan

    def loss(self, tan: dict, t: int) -> sp.Expr:
        """d E_t / d(theta) from the node tangents (t is 1-based)."""
        return self._combine(self.loss_partials[t - 1], tan)


def direct_steps(u: Unrolled, role: Role, *, expand: bool = False) -> dict[int, sp.Matrix]:
    """dE_t/dP for every step t whose loss is taken, by the chain rule on the graph."""
    P = _param(u, role)
    fw = _Forward(u, expand=expand)
    out = {t: sp.zeros(*P.shape) for t in u.loss_steps}
    for idx in range(len(P)):
        tan = fw.tangents({P[idx]: sp.S.One})
        for t in u.loss_steps:
            out[t][idx] = fw.loss(tan, t)
    return out


def direct(u: Unrolled, role: Role, *, t: int | None = None, expand: bool = False) -> sp.Matrix:
    """dE/dP (or dE_t/dP when t is given) entry by entry by the chain rule on the graph; shape of P.

    Sums and products are left unevaluated, nested as the chain rule builds them (cheap, and
    shared across entries); `sympy.expand` turns an entry into its sum over paths.
    """
    if t is not None:
        _check_step(u, t)
    steps = direct_steps(u, role, expand=expand)
    if t is not None:
        return steps[t]
    out = sp.zeros(*u.params[role].shape)
    for idx in range(len(out)):
        out[idx] = _usum(m[idx] for m in steps.values())
    return out


def direct_naive(u: Unrolled, role: Role) -> sp.Matrix:
    """dE/dP by sympy.diff of the fully substituted E: exponential in T (benchmark baseline)."""
    P = _param(u, role)
    E = u.E
    return P.applyfunc(lambda p: sp.diff(E, p))


def delta_definition(u: Unrolled, k: int, *, t: int | None = None) -> sp.Matrix:
    """dE/dnet_k (t given: dE_t/dnet_k) by the chain rule on the graph: delta's definition."""
    if not 1 <= k <= u.T:
        raise InputError(f"need 1 <= k <= T={u.T}; found k={k}")
    steps = [s for s in u.loss_steps if s >= k] if t is None else [_check_step(u, t)]
    fw = _Forward(u, expand=False)
    col = []
    for j in range(u.n):
        seed = {s: sp.S.Zero for s in u.net_sym[k - 1]}
        seed[u.net_sym[k - 1][j]] = sp.S.One
        tan = fw.tangents(seed)
        col.append(sp.Add(*[fw.loss(tan, s) for s in steps]))
    return sp.Matrix(col)


def _check_step(u: Unrolled, t: int) -> int:
    if t not in u.loss_steps:
        where = "only at the last step" if u.model.loss_at == "last" else "at every step"
        raise InputError(
            f"t={t}: no loss E_t at that step (T={u.T}; this model's loss is taken {where})"
        )
    return t


# ---------------------------------------------------------------------- (b) BPTT


def output_error(u: Unrolled, t: int) -> sp.Matrix:
    """e_t = dE_t/dz_t: the textbook form (yhat - y, or dL_t/dz_t for a generic loss)."""
    e = u.loss_def[t - 1]
    z = u.z_sym[t - 1]
    if e is None:
        return sp.zeros(u.k, 1)
    head = numeric_head(u.model.output, u.model.loss)
    if u.generic or head.stand_in:  # dL_t/dz_t itself (a generic loss, or its stand-in)
        return sp.Matrix([sp.diff(e, zj) for zj in z])
    yhat, y = u.yhat_def[t - 1], u.targets[t - 1]
    return sp.Matrix(head.sympy_grad(list(yhat), list(y)))


def state_error(u: Unrolled, t: int) -> sp.Matrix:
    """dE_t/dh_t through h_t directly (the local term): V^T e_t, dL_t/dh_t, or a_t."""
    e = u.loss_def[t - 1]
    if e is None:
        return sp.zeros(u.n, 1)
    if u.has_output:
        return u.params[Role.OUTPUT].T * output_error(u, t)
    if u.upstream_grads:
        return u.upstream_grads[t - 1]
    return sp.Matrix([sp.diff(e, hj) for hj in u.h_sym[t - 1]])


@dataclass(frozen=True, eq=False)
class Bptt:
    """BPTT for one parameter: error terms in the model's convention and per-step terms.

    `deltas[i]` has index `delta_labels[i]`: (t,) for the conventions net (dE/dnet_t) and
    step_state (dL_t/dh_t, local), (t, k) for per_step (dE_t/dnet_k). `terms[i]` (index
    `term_labels[i]`) sum to `total`. `total_deltas` are dE/dnet_t (with the recursive term)
    in every convention, `local_deltas` dE_t/dh_t, `output_errors` e_t = dE_t/dz_t.
    """

    role: Role
    convention: str
    variant: str
    deltas: list[sp.Matrix]
    delta_labels: list[tuple[int, ...]]
    terms: list[sp.Matrix]
    term_labels: list[tuple[int, ...]]
    total: sp.Matrix
    total_deltas: list[sp.Matrix]
    local_deltas: list[sp.Matrix]
    output_errors: list[sp.Matrix]


def _use(u: Unrolled, role: Role, k: int) -> sp.Matrix:
    """The row vector P multiplies at step k: h_{k-1}^T, x_k^T, 1 (or h_k^T for V)."""
    if role is Role.RECURRENT:
        return (u.h0 if k == 1 else u.h_sym[k - 2]).T
    if role is Role.INPUT:
        return u.xs[k - 1].T
    if role is Role.OUTPUT:
        return u.h_sym[k - 1].T
    return sp.Matrix([[1]])


@dataclass(frozen=True, eq=False)
class _Errors:
    """The parameter-independent part of BPTT for one graph and variant."""

    fp: list[sp.Matrix]
    local: list[sp.Matrix]
    errors: list[sp.Matrix]
    total: list[sp.Matrix]
    deltas: list[sp.Matrix]
    labels: list[tuple[int, ...]]
    hidden: list[tuple[tuple[int, ...], sp.Matrix]]


_ERRORS: weakref.WeakKeyDictionary[Unrolled, dict[str, _Errors]] = weakref.WeakKeyDictionary()


def _errors(u: Unrolled, variant: str) -> _Errors:
    cache = _ERRORS.setdefault(u, {})
    if variant in cache:
        return cache[variant]
    W = u.params[Role.RECURRENT]
    T = u.T
    fp = [sp.Matrix([u.fprime(s) for s in u.net_sym[t]]) for t in range(T)]
    local = [state_error(u, t) for t in range(1, T + 1)]
    errors = [output_error(u, t) for t in range(1, T + 1)] if u.has_output else []

    # total delta_t = f'(net_t) (.) (dE_t/dh_t + W^T delta_{t+1})
    total: list[sp.Matrix] = [sp.zeros(u.n, 1)] * T
    for t in range(T - 1, -1, -1):
        back = local[t]
        if t + 1 < T and variant != "drop_recursive":
            back = back + W.T * total[t + 1]
        total[t] = _emul(fp[t], back)

    labels: list[tuple[int, ...]]
    if u.model.delta == "per_step":
        # delta_{t,t} = f'(s_t) (.) dE_t/dh_t; delta_{t,k} = f'(s_k) (.) U^T delta_{t,k+1}
        found: dict[tuple[int, ...], sp.Matrix] = {}
        for t in u.loss_steps:
            d = _emul(fp[t - 1], local[t - 1])
            found[(t, t)] = d
            for k in range(t - 1, 0, -1) if variant != "drop_recursive" else ():
                f_at = fp[t - 1] if variant == "wrong_index" else fp[k - 1]
                d = _emul(f_at, W.T * d)
                found[(t, k)] = d
        labels = sorted(found)
        deltas = [found[lab] for lab in labels]
        hidden = [(lab, found[lab]) for lab in labels]
    else:
        deltas = local if u.model.delta == "step_state" else total
        labels = [(t,) for t in range(1, T + 1)]
        hidden = [((t,), total[t - 1]) for t in range(1, T + 1)]
    cache[variant] = _Errors(fp, local, errors, total, deltas, labels, hidden)
    return cache[variant]


def bptt(u: Unrolled, role: Role, *, variant: str = "correct") -> Bptt:
    """The BPTT form of dE/dP in the model's error-term convention (see `VARIANTS`)."""
    if variant not in VARIANTS:
        raise InputError(f"variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    if variant == "wrong_index" and u.model.delta != "per_step":
        raise InputError(
            "variant 'wrong_index' is the per_step (dl4nlp) mistake; this model uses "
            f"delta convention {u.model.delta!r}"
        )
    P = _param(u, role)
    er = _errors(u, variant)
    terms: list[sp.Matrix] = []
    term_labels: list[tuple[int, ...]] = []
    if role in (Role.OUTPUT, Role.OUTPUT_BIAS):
        for t in u.loss_steps:
            terms.append(er.errors[t - 1] * _use(u, role, t))
            term_labels.append((t,))
    else:
        for lab, d in er.hidden:
            terms.append(d * _use(u, role, lab[-1]))
            term_labels.append(lab)
    out = sp.zeros(*P.shape)
    for term in terms:
        out += term
    return Bptt(
        role=role,
        convention=u.model.delta,
        variant=variant,
        deltas=list(er.deltas),
        delta_labels=list(er.labels),
        terms=terms,
        term_labels=term_labels,
        total=out,
        total_deltas=list(er.total),
        local_deltas=list(er.local),
        output_errors=list(er.errors),
    )


def delta_symbols(u: Unrolled, label: Sequence[int], *, total: bool = False) -> sp.Matrix:
    """Named symbols for one error term, e.g. delta_2[1] (LaTeX \\delta_{2,1}), for printing.

    total=True names dE/dnet_t in a step_state model (LaTeX \\bar{\\delta}), since there the
    convention's delta is the local dL_t/dh_t.
    """
    d = u.model.notation.delta
    suffix = "_".join(str(i) for i in label)
    ascii_name, tex = d.ascii, d.latex
    if total:
        ascii_name, tex = f"{d.ascii}bar", rf"\bar{{{d.latex}}}"
    base = rf"{tex}_{{{','.join(str(i) for i in label)}}}"
    out = []
    for j in range(1, u.n + 1):
        s = sp.Symbol(f"{ascii_name}_{suffix}[{j}]")
        u.latex[s] = entry_latex(base, j) if len(label) > 1 else f"{tex}_{{{label[0]},{j}}}"
        out.append(s)
    return sp.Matrix(out)


def step_term(u: Unrolled, role: Role, label: Sequence[int]) -> sp.Matrix:
    """One step's term with named error symbols, e.g. entries delta_{t,j} h_{t-1,i} for W.

    For the output roles the error is e_t = dE_t/dz_t, named from the output pre-activation.
    """
    _param(u, role)
    if role in (Role.OUTPUT, Role.OUTPUT_BIAS):
        t = label[0]
        z = u.model.notation.output_preactivation
        e = []
        for j in range(1, u.k + 1):
            s = sp.Symbol(f"d{z.ascii}_{t}[{j}]")
            u.latex[s] = entry_latex(rf"e_{{{t}}}", j)
            e.append(s)
        return sp.Matrix(e) * _use(u, role, t)
    total = u.model.delta == "step_state"
    return delta_symbols(u, label, total=total) * _use(u, role, label[-1])


# ---------------------------------------------------------------------- (c) path sums


@dataclass(frozen=True, eq=False)
class Path:
    """One path from E_t to a parameter: node names in the model's notation and its term."""

    nodes: list[str]
    term: sp.Matrix


def _umul(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """a * b kept unevaluated (the chain rule's product as built), zeros and ones dropped."""
    if a == 0 or b == 0:
        return sp.S.Zero
    if a == 1:
        return b
    return a if b == 1 else sp.Mul(a, b, evaluate=False)


def _usum(terms: Iterable[sp.Expr]) -> sp.Expr:
    """A sum kept unevaluated, zeros dropped."""
    kept = [x for x in terms if x != 0]
    if not kept:
        return sp.S.Zero
    return kept[0] if len(kept) == 1 else sp.Add(*kept, evaluate=False)


def _row_times(row: list[sp.Expr], M: sp.Matrix) -> list[sp.Expr]:
    return [_usum(_umul(row[a], M[a, b]) for a in range(M.rows)) for b in range(M.cols)]


def _partial(u: Unrolled, node: sp.Symbol, wrt: sp.Symbol) -> sp.Expr:
    """d(node's definition)/d(wrt), from the cached local partials (0 if wrt is not used)."""
    return _local_partials(u)[0][node].get(wrt, sp.S.Zero)


def _loss_partial(u: Unrolled, t: int, wrt: sp.Symbol) -> sp.Expr:
    return _local_partials(u)[1][t - 1].get(wrt, sp.S.Zero)


def local_jacobians(u: Unrolled, i: int) -> tuple[sp.Matrix, sp.Matrix]:
    """(diag f'(net_i), dnet_i/dh_{i-1}) by differentiating step i's definitions (1-based)."""
    h_prev = u.h0 if i == 1 else u.h_sym[i - 2]
    net, h = u.net_sym[i - 1], u.h_sym[i - 1]
    D = sp.diag(*[_partial(u, h[j], net[j]) for j in range(u.n)])
    A = sp.Matrix(u.n, u.n, lambda a, b: _partial(u, net[a], h_prev[b]))
    return D, A


def jacobian_product(u: Unrolled, t: int, k: int) -> sp.Matrix:
    """dh_t/dh_k = prod_{i=t}^{k+1} diag(f'(net_i)) W (the identity when k = t)."""
    if not 0 <= k <= t <= u.T:
        raise InputError(f"need 0 <= k <= t <= T={u.T}; found t={t}, k={k}")
    out = sp.eye(u.n)
    for i in range(t, k, -1):
        D, A = local_jacobians(u, i)
        out = out * D * A
    return out


def _head(u: Unrolled, t: int) -> sp.Matrix:
    """dE_t/dh_t as a row, by differentiating the loss (and output layer) definitions."""
    if u.has_output:
        z, h = u.z_sym[t - 1], u.h_sym[t - 1]
        dz = sp.Matrix([[_loss_partial(u, t, zj) for zj in z]])
        return dz * sp.Matrix(u.k, u.n, lambda a, b: _partial(u, z[a], h[b]))
    return sp.Matrix([[_loss_partial(u, t, hj) for hj in u.h_sym[t - 1]]])


def path_sums(u: Unrolled, role: Role, t: int) -> list[Path]:
    """Every path from E_t to P: for hidden parameters one per k = t, ..., 1 (nearest first)."""
    P = _param(u, role)
    _check_step(u, t)
    nt = u.model.notation
    e_name = f"{nt.step_loss.ascii}_{t}"
    out_nodes = [f"{nt.output.ascii}_{t}"] if u.has_output else []
    p_name = nt.param(role).ascii

    def immediate(row: list[sp.Expr], nodes: sp.Matrix) -> sp.Matrix:
        # row . d(nodes)/dP_ab for every entry ab: P's use at this step only
        return P.applyfunc(
            lambda p: _usum(_umul(row[j], _partial(u, nodes[j], p)) for j in range(len(nodes)))
        )

    if role in (Role.OUTPUT, Role.OUTPUT_BIAS):
        z = u.z_sym[t - 1]
        dz = [_loss_partial(u, t, zj) for zj in z]
        return [Path([e_name, *out_nodes, p_name], immediate(dz, z))]
    paths = []
    row = list(_head(u, t))
    states = [f"{nt.state.ascii}_{t}"]
    for k in range(t, 0, -1):
        if k < t:
            D, A = local_jacobians(u, k + 1)
            row = _row_times([_umul(row[a], D[a, a]) for a in range(u.n)], A)
            states.append(f"{nt.state.ascii}_{k}")
        D, _ = local_jacobians(u, k)
        rd = [_umul(row[a], D[a, a]) for a in range(u.n)]
        paths.append(Path([e_name, *out_nodes, *states, p_name], immediate(rd, u.net_sym[k - 1])))
    return paths
