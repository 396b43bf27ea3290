"""BPTT statements valid for every T, in the model's own notation, as printable SymPy objects.

Time-indexed vectors are `Seq` (h_{t-1}, delta_{t,k}), parameters are `Param` (with their role),
sums over time are SymPy `Sum`, the Jacobian product is an ordered `MatProduct`, Hadamard
products, transposes and diag are SymPy's own `HadamardProduct`, `Transpose` and `DiagMatrix`,
so `sympy.latex` with the project's printer settings prints them in the model's letters.
The step lemma (`steplemma.prove`) is what makes the sum-over-time statements true for every T.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from symbptt.cells.functions import FUNCTIONS
from symbptt.model import Model, Name, Role
from symbptt.symbolic.printable import (
    _K,
    _M,
    _N,
    KINDS,
    Elementwise,
    InOrder,
    MatProduct,
    Norm,
    Param,
    Partial,
    Reason,
    Seq,
    Statement,
)

__all__ = [
    "Elementwise",
    "InOrder",
    "MatProduct",
    "Norm",
    "Param",
    "Partial",
    "Reason",
    "Seq",
    "KINDS",
    "Statement",
    "bounds",
    "jacobian",
    "statements",
    "transport",
]


class _Letters:
    """The model's symbols: parameters by role, time-indexed vectors, indices and functions."""

    def __init__(self, model: Model) -> None:
        nt = model.notation
        self.model, self.nt = model, nt
        self.t = sp.Symbol(nt.time, integer=True, positive=True)
        self.T, self.k, self.i = sp.symbols("T k i", integer=True, positive=True)
        shapes = {
            Role.INPUT: (_N, _M),
            Role.RECURRENT: (_N, _N),
            Role.HIDDEN_BIAS: (_N, 1),
            Role.OUTPUT: (_K, _N),
            Role.OUTPUT_BIAS: (_K, 1),
        }
        self.P = {r: Param.of_role(r, nt.param(r), *shapes[r]) for r in model.roles}

    def vec(self, name: Name, *idx: Any, rows: Any = _N) -> Seq:
        return Seq.of(name, idx, rows, 1)

    def x(self, t: Any) -> Seq:
        return self.vec(self.nt.input, t, rows=_M)

    def h(self, t: Any) -> Seq:
        return self.vec(self.nt.state, t)

    def net(self, t: Any) -> Seq:
        return self.vec(self.nt.preactivation, t)

    def fp(self, t: Any) -> Elementwise:
        kind = self.model.activation
        if FUNCTIONS[kind].sympy_d_out is not None:  # f' of the output: 1 - h_t^2 (tanh, sigma)
            return Elementwise.of(self.nt.activation, self.net(t), 1, output=self.h(t), kind=kind)
        return Elementwise.of(self.nt.activation, self.net(t), 1)

    def delta(self, *idx: Any) -> Seq:
        return self.vec(self.nt.delta, *idx)

    def out(self, t: Any) -> tuple[Seq, Seq, Seq]:
        """(z_t, yhat_t, y_t)."""
        nt = self.nt
        return tuple(
            self.vec(q, t, rows=_K) for q in (nt.output_preactivation, nt.output, nt.target)
        )

    def loss(self, *idx: Any) -> Seq:
        name = self.nt.step_loss if idx else self.nt.loss
        return Seq.of(name, idx, 1, 1)

    def e(self, t: Any) -> Any:
        """dE_t/dz_t: yhat_t - y_t for the paired losses, else the derivative itself."""
        z, yhat, y = self.out(t)
        return yhat - y if self.model.loss != "generic" else Partial(self.loss(t), z)

    def local(self, t: Any) -> Any:
        """dE_t/dh_t: V^T e_t with an output layer, else the derivative of the state loss."""
        if self.model.has_output_layer:
            return self.P[Role.OUTPUT].T * self.e(t)
        return Partial(self.loss(t), self.h(t))


def _R(template: str, *math: Any) -> Reason:
    return Reason(template, math)


#: What the hidden activation is, said in words after its name.
_ACTIVATION_WORDS = {
    "tanh": r"$\tanh$",
    "sigmoid": "the logistic sigmoid",
    "relu": "ReLU",
    "identity": "the identity",
    "generic": "any differentiable function",
}


_OUTPUT_WORDS = {
    "softmax": "softmax",
    "sigmoid": "the logistic sigmoid",
    "identity": "the identity",
}


def net_rhs(L: _Letters, t: Any) -> Any:
    """The pre-activation's right-hand side at step t, its terms in the text's order."""
    P = L.P
    rec, inp = P[Role.RECURRENT] * L.h(t - 1), P[Role.INPUT] * L.x(t)
    terms = [rec, inp] if L.nt.recurrent_first else [inp, rec]
    if Role.HIDDEN_BIAS in P:  # last, or first as b + W h_{t-1} + U x_t (bias_first)
        terms.insert(0 if L.nt.bias_first else len(terms), P[Role.HIDDEN_BIAS])
    return sp.MatAdd(*terms, evaluate=False)


def _forward(L: _Letters) -> list[Statement]:
    m, t, P = L.model, L.t, L.P
    first = "recurrent" if L.nt.recurrent_first else "input"
    second = "input" if first == "recurrent" else "recurrent"
    bias = ", then the bias" if Role.HIDDEN_BIAS in P else ""
    f = L.nt.activation.latex
    words = _ACTIVATION_WORDS[m.activation]
    what = f"${f}$" + ("" if words == f"${f}$" else f" is {words}")
    out = [
        Statement("forward: pre-activation", L.net(t), net_rhs(L, t),
                  _R(f"definition of the cell: the bias, then the {first} term, then the {second} "
                     "term" if bias and L.nt.bias_first else
                     f"definition of the cell: the {first} term, then the {second} term{bias}"),
                  kind="forward"),
        Statement("forward: state", L.h(t), Elementwise.of(L.nt.activation, L.net(t)),
                  _R(f"{what}, applied entry by entry"), kind="forward"),
    ]  # fmt: skip
    if m.has_output_layer:
        z, yhat, _ = L.out(t)
        zr = P[Role.OUTPUT] * L.h(t)
        if Role.OUTPUT_BIAS in P:  # c + V h_t when the text writes biases first
            pair = (P[Role.OUTPUT_BIAS], zr) if L.nt.bias_first else (zr, P[Role.OUTPUT_BIAS])
            zr = sp.MatAdd(*pair, evaluate=False)
        g = Name(m.output, rf"\operatorname{{{m.output}}}")
        out += [
            Statement("forward: output pre-activation", z, zr, _R("the output layer"),
                      kind="forward"),
            Statement("forward: output", yhat, Elementwise.of(g, z),
                      _R("the output function: " + _OUTPUT_WORDS[m.output]), kind="forward"),
        ]  # fmt: skip
    if m.loss_at == "every":
        total, why = sp.Sum(L.loss(t), (t, 1, L.T)), _R("the per-step losses add up")
    else:
        total, why = L.loss(L.T), _R("only the last step's loss, at $T$")
    out.append(Statement("loss", L.loss(), total, why, kind="loss"))
    if m.has_output_layer and m.loss != "generic":
        _, yhat, y = L.out(t)
        y_j = Seq.of(L.nt.target, (t, sp.Symbol("j")), 1, 1)
        why = {
            "cross_entropy": _R(r"softmax with cross-entropy and $\sum_j {0} = 1$ (the output lemma)",
                                y_j),
            "squared_error": _R("identity output with squared error (the output lemma)"),
            "binary_cross_entropy": _R("sigmoid output with binary cross-entropy "
                                       "(the output lemma)"),
        }[m.loss]  # fmt: skip
        out.append(Statement("output error", Partial(L.loss(t), L.out(t)[0]), yhat - y, why,
                             kind="output error"))  # fmt: skip
    return out


def _recursion(L: _Letters) -> list[Statement]:
    m, t, k, T, P = L.model, L.t, L.k, L.T, L.P
    Wt = P[Role.RECURRENT].T
    had = sp.HadamardProduct
    f = Elementwise.of(L.nt.activation, L.net(t))
    fp = L.nt.activation.latex + "'"
    last = m.loss_at == "last"
    if m.delta == "per_step":
        return [
            Statement("delta definition", L.delta(t, k), Partial(L.loss(t), L.net(k)),
                      _R("the loss at step ${0}$ differentiated at the pre-activation of step "
                         "$k \\le {0}$", t), ":=", kind="delta definition"),
            Statement("delta at k = t", L.delta(t, t), had(L.fp(t), L.local(t)),
                      _R("chain rule through ${0} = {1}$ into the step's own loss ${2}$",
                         L.h(t), f, L.loss(t)), kind="delta at k = t"),
            Statement("delta recursion (k < t)", L.delta(t, k), had(L.fp(k), Wt * L.delta(t, k + 1)),
                      _R("for $k < {3}$: chain rule through ${0} = {1}$, with ${2}$ taken at step "
                         "$k$, not ${3}$", L.net(k + 1), net_rhs(L, k + 1), fp, t),
                      kind="delta recursion"),
        ]  # fmt: skip
    if m.delta == "step_state":
        total = Partial(L.loss(), L.h(t))
        nxt = Partial(L.loss(), L.h(t + 1))
        carried = Wt * had(L.fp(t + 1), nxt)
        body = carried if last else sp.MatAdd(L.delta(t), carried, evaluate=False)
        why = (
            _R("for ${0} < T$: ${1}$ reaches the loss only through ${2}$ (no loss before $T$)",
               t, L.h(t), L.net(t + 1))
            if last
            else _R("for ${3} < T$: ${0}$ also feeds ${1}$: the local ${2}$ alone misses the "
                    "later losses", L.h(t), L.net(t + 1), L.delta(t), t)
        )  # fmt: skip
        return [
            Statement("delta definition", L.delta(t), Partial(L.loss(t), L.h(t)),
                      _R("local: only the loss at step ${0}$, through ${1}$ directly", t, L.h(t)),
                      ":=", kind="delta definition"),
            Statement("total state gradient", total, body, why, kind="state gradient"),
            Statement("total state gradient at T", Partial(L.loss(), L.h(T)), L.delta(T),
                      _R("nothing after $T$: only ${0}$ reaches ${1}$", L.loss(T), L.h(T)),
                      kind="state gradient at T"),
        ]  # fmt: skip
    body = (
        Wt * L.delta(t + 1) if last else sp.MatAdd(L.local(t), Wt * L.delta(t + 1), evaluate=False)
    )
    out = [
        Statement("delta definition", L.delta(t), Partial(L.loss(), L.net(t)),
                  _R("the total error at the pre-activation of step ${0}$", t), ":=",
                  kind="delta definition"),
        Statement("delta recursion", L.delta(t), had(L.fp(t), body),
                  _R("chain rule through ${0}$, which feeds ${1}$ and ${2}$",
                     L.h(t), L.loss(t), L.net(t + 1)) if not last
                  else _R("for ${2} < T$: chain rule through ${0}$ into ${1}$ (no loss before $T$)",
                          L.h(t), L.net(t + 1), t), kind="delta recursion"),
    ]  # fmt: skip
    if last:
        out.append(Statement("delta at T", L.delta(T), had(L.fp(T), L.local(T)),
                             _R("the loss is taken at step $T$ only"), kind="delta at T"))  # fmt: skip
    else:
        out.append(Statement("delta boundary", L.delta(T + 1), sp.ZeroMatrix(_N, 1),
                             _R("no step after $T$"), kind="delta boundary"))  # fmt: skip
    if L.nt.state_gradient:
        out += _state_gradient(L)
    return out


def _state_gradient(L: _Letters) -> list[Statement]:
    """The total gradient by the state and its recursion (Goodfellow et al.'s error term)."""
    t, T, P, last = L.t, L.T, L.P, L.model.loss_at == "last"
    nxt = Partial(L.loss(), L.h(t + 1))
    carried = P[Role.RECURRENT].T * DiagMatrix(L.fp(t + 1)) * nxt
    body = carried if last else sp.MatAdd(carried, L.local(t), evaluate=False)
    why = (
        _R("for ${0} < T$: ${1}$ reaches the loss only through ${2}$", t, L.h(t), L.net(t + 1))
        if last
        else _R("for ${0} < T$: ${1}$ feeds ${2}$ and ${3}$", t, L.h(t), L.net(t + 1), L.loss(t))
    )
    return [
        Statement("total state gradient", Partial(L.loss(), L.h(t)), body, why,
                  kind="state gradient"),
        Statement("total state gradient at T", Partial(L.loss(), L.h(T)), L.local(T),
                  _R("nothing after $T$: only ${0}$ reaches ${1}$", L.loss(T), L.h(T)),
                  kind="state gradient at T"),
    ]  # fmt: skip


def _sums(L: _Letters) -> list[Statement]:
    m, t, k, T, P = L.model, L.t, L.k, L.T, L.P
    lim = (t, 1, T)
    if m.delta == "per_step" and m.loss_at == "last":
        hidden = {Role.RECURRENT: sp.Sum(L.delta(T, k) * L.h(k - 1).T, (k, 1, T)),
                  Role.INPUT: sp.Sum(L.delta(T, k) * L.x(k).T, (k, 1, T)),
                  Role.HIDDEN_BIAS: sp.Sum(L.delta(T, k), (k, 1, T))}  # fmt: skip
        why = _R(
            "only ${0}$ is taken: it reaches the parameter at every step $k \\le T$", L.loss(T)
        )
    elif m.delta == "per_step":

        def dbl(f: Any) -> Any:  # noqa: E306
            return sp.Sum(sp.Sum(f, (k, 1, t)), lim)

        hidden = {Role.RECURRENT: dbl(L.delta(t, k) * L.h(k - 1).T),
                  Role.INPUT: dbl(L.delta(t, k) * L.x(k).T), Role.HIDDEN_BIAS: dbl(L.delta(t, k))}  # fmt: skip
        why = _R(
            "${0}$ reaches the parameter at every step $k \\le {1}$ (${2}$ depends on it too)",
            L.loss(t),
            t,
            L.h(k - 1),
        )
    else:
        d = L.delta(t)
        if m.delta == "step_state":
            d = sp.HadamardProduct(L.fp(t), Partial(L.loss(), L.h(t)))
        hidden = {Role.RECURRENT: sp.Sum(d * L.h(t - 1).T, lim),
                  Role.INPUT: sp.Sum(d * L.x(t).T, lim), Role.HIDDEN_BIAS: sp.Sum(d, lim)}  # fmt: skip
        why = _R("the parameter is shared by every step; its gradient sums the steps' terms")
    out = []
    for role, rhs in hidden.items():
        if role in P:
            out.append(Statement(f"gradient {P[role].name}", Partial(L.loss(), P[role]), rhs, why,
                                 kind="gradient"))  # fmt: skip
    if m.has_output_layer:
        e_terms = {Role.OUTPUT: lambda s: L.e(s) * L.h(s).T, Role.OUTPUT_BIAS: L.e}
        for role, term in e_terms.items():
            if role in P:
                rhs = sp.Sum(term(t), lim) if m.loss_at == "every" else term(T)
                why_out = (
                    _R("the output layer at step ${0}$ sees only ${1}$", t, L.loss(t))
                    if m.loss_at == "every"
                    else _R("only ${0}$ is taken, and the output layer reaches it only at step $T$",
                            L.loss(T))
                )  # fmt: skip
                out.append(Statement(f"gradient {P[role].name}", Partial(L.loss(), P[role]), rhs,
                                     why_out, kind="gradient"))  # fmt: skip
    return out


#: The largest |f'| of each activation (None: any differentiable f, no bound known).
_BETA_F = {"sigmoid": "1/4", "tanh": "1", "relu": "1", "identity": "1"}


def _betas(L: _Letters) -> tuple[sp.Symbol, sp.Symbol]:
    W = L.P[Role.RECURRENT]
    return tuple(sp.Symbol(rf"\beta_{{{s}}}", positive=True) for s in (W.args[1].name, "f"))


def jacobian(model: Model) -> Statement:
    """dh_t/dh_k as the ordered product of diag(f'(net_i)) W, i = k+1..t."""
    L = _Letters(model)
    t, k, i = L.t, L.k, L.i
    W = L.P[Role.RECURRENT]
    jac = MatProduct(DiagMatrix(L.fp(i)) * W, sp.Tuple(i, k + 1, t))
    return Statement("Jacobian product", Partial(L.h(t), L.h(k)), jac,
                     _R("chain rule through ${0} \\to {1} \\to {2}$ for $i = k+1, \\dots, {3}$, the "
                        "factor for $i = {3}$ leftmost", L.h(i - 1), L.net(i), L.h(i), t),
                     kind="Jacobian product")  # fmt: skip


def _error_pair(L: _Letters) -> tuple[Any, Any, str]:
    """(near, far, note): the error at step k that flows back from the loss at step t, and at t.

    Only the part from one step's loss obeys the bound: with a loss at every step the total
    delta_k also sums the losses between k and t, so ||delta_k|| <= ||delta_t|| (...) is false.
    """
    m, t, k = L.model, L.t, L.k
    if m.delta == "per_step":
        return L.delta(t, k), L.delta(t, t), ""
    if m.delta == "step_state":
        return Partial(L.loss(t), L.h(k)), L.delta(t), ""
    if m.loss_at == "last":
        return (
            L.delta(k),
            L.delta(t),
            "; no loss before $T$, so all of ${D}$ passes through step ${S}$",
        )
    return (
        Partial(L.loss(t), L.net(k)),
        Partial(L.loss(t), L.net(t)),
        "; the total error ${D}$ adds such a part for every loss from step $k$ on, so ${D}$ "
        "itself has no such bound",
    )


def transport(model: Model) -> list[Statement]:
    """How the error from the loss at step t reaches step k <= t, and its norm bound."""
    L = _Letters(model)
    t, k, i, P = L.t, L.k, L.i, L.P
    W = P[Role.RECURRENT]
    near, far, note = _error_pair(L)
    if model.delta == "step_state":  # a gradient by the state: the Jacobian product itself
        prod = MatProduct(DiagMatrix(L.fp(i)) * W, sp.Tuple(i, k + 1, t))
        first = t
    else:  # by the pre-activation: d net_{i+1} / d net_i = W diag f'(net_i)
        prod = MatProduct(W * DiagMatrix(L.fp(i)), sp.Tuple(i, k, t - 1))
        first = t - 1
    note = note.split(", so ${D}$ itself")[0].replace("{D}", "{2}").replace("{S}", "{0}")
    why = _R("for $k \\le {0}$, the factor for $i = {1}$ leftmost" + note, t, first, L.delta(k))
    return [Statement("error transport", near.T, far.T * prod, why, kind="error transport")]


def bounds(model: Model) -> list[Statement]:
    """||dh_t/dh_k|| and the error flowing back from step t, bounded by (beta_W beta_f)^(t-k)."""
    L = _Letters(model)
    t, k = L.t, L.k
    W = L.P[Role.RECURRENT]
    bW, bf = _betas(L)
    fp = L.nt.activation.latex + "'"
    near, far, note = _error_pair(L)
    beta = _BETA_F.get(model.activation)
    known = f"; ${{3}} = {beta}$ for this activation" if beta else ""
    norms = ("$\\left\\lVert {0} \\right\\rVert \\le {1}$, "
             "$\\left\\lVert \\operatorname{diag} {2} \\right\\rVert \\le {3}$")  # fmt: skip
    return [
        Statement("Jacobian bound", Norm(Partial(L.h(t), L.h(k))), (bW * bf) ** (t - k),
                  _R("for $k \\le {4}$: the product has $" + "{4} - k$ factors, each of norm at most "
                     "${1} {3}$; " + norms + known, W, bW, fp, bf, t), "<=",
                  kind="Jacobian bound"),
        Statement("vanishing/exploding bound", Norm(near), InOrder(Norm(far), (bW * bf) ** (t - k)),
                  _R("the part flowing back from step ${4}$, for $k \\le {4}$; " + norms
                     + ", and norms are sub-multiplicative" + known
                     + note.replace("{D}", "{5}").replace("{S}", "{4}"),
                     W, bW, fp, bf, t, L.delta(k)), "<=", kind="error bound"),
    ]  # fmt: skip


def statements(model: Model) -> list[Statement]:
    """Forward equations, delta recursion, sums over time, Jacobian product and bound, for any T."""
    L = _Letters(model)
    return _forward(L) + _recursion(L) + _sums(L) + [jacobian(model)] + bounds(model)
