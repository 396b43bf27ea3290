"""The first section of every document: the model in its text's notation.

Forward equations, sizes, which matrix is recurrent and how the error term is defined, all
written from the `Model` (no derivation happens here).
"""

from __future__ import annotations

from collections.abc import Callable

from symbptt.cells.functions import function
from symbptt.cells.heads import BY_OUTPUT_LOSS
from symbptt.latex.notation import ACTIVATION_TEX, OUTPUT_TEX, Names
from symbptt.latex.printer import transposed
from symbptt.latex.steps import Section, Step
from symbptt.model import Model, Role

_FWD = "model: forward"  # `Step.kind` of the forward equations
#: `Step.kind` of the error term's definition (the site prints it again beside the conventions).
DELTA_KIND = "model: delta definition"


def _forward(nm: Names) -> list[Step]:
    model, t = nm.model, nm.t
    terms = [f"{nm.param(Role.INPUT)} {nm.x(t)}", f"{nm.param(Role.RECURRENT)} {nm.h(f'{t}-1')}"]
    order = ["input term", "recurrent term"]
    if model.notation.recurrent_first:  # the text writes W h_{t-1} first
        terms.reverse()
        order.reverse()
    if nm.has(Role.HIDDEN_BIAS):  # last, or first: b + W h_{t-1} + U x_t (bias_first)
        at = 0 if model.notation.bias_first else len(terms)
        terms.insert(at, nm.param(Role.HIDDEN_BIAS))
        order.insert(at, "bias")
    f_is = (
        "an arbitrary differentiable activation"
        if function(model.activation).generic
        else f"${nm.f} = {ACTIVATION_TEX[model.activation]}$ elementwise"
        if ACTIVATION_TEX[model.activation] != nm.f
        else f"${nm.f}$ applied elementwise"
    )
    steps = [
        Step(nm.net(t), " + ".join(terms), "pre-activation: " + ", ".join(order), kind=_FWD),
        Step(nm.h(t), f"{nm.f}\\left({nm.net(t)}\\right)", f"state; {f_is}", kind=_FWD),
    ]  # fmt: skip
    if model.has_output_layer:
        zt = f"{nm.param(Role.OUTPUT)} {nm.h(t)}"
        if nm.has(Role.OUTPUT_BIAS):  # c + V h_t when the text writes biases first
            c = nm.param(Role.OUTPUT_BIAS)
            zt = f"{c} + {zt}" if model.notation.bias_first else f"{zt} + {c}"
        g = OUTPUT_TEX[model.output]
        steps.append(Step(nm.z(t), zt, "output pre-activation", kind=_FWD))
        yhat = f"{g}\\left({nm.z(t)}\\right)" if g else nm.z(t)
        steps.append(Step(nm.yhat(t), yhat, f"output: {model.output}", kind=_FWD))
    steps.append(_step_loss(nm))
    if model.loss_at == "every":
        total = f"\\sum_{{{t}=1}}^{{{nm.T}}} {nm.E_t(t)}"
        steps.append(Step(nm.E, total, "the loss is taken at every step", kind="model: loss"))
    else:
        steps.append(
            Step(nm.E, nm.E_t(nm.T), "the loss is taken at the last step only", kind="model: loss")
        )
    return steps


def _cross_entropy(nm: Names, t: str) -> tuple[str, str]:
    y, yh = nm.y(t), nm.yhat(t)
    return f"-{transposed(y)} \\log {yh}", "cross-entropy with a one-hot target"


def _squared_error(nm: Names, t: str) -> tuple[str, str]:
    y, yh = nm.y(t), nm.yhat(t)
    return f"\\tfrac{{1}}{{2}} \\left\\lVert {yh} - {y} \\right\\rVert^{{2}}", "squared error"


def _binary_cross_entropy(nm: Names, t: str) -> tuple[str, str]:
    yj, yhj = nm.y(f"{t},j"), nm.yhat(f"{t},j")
    rhs = (
        f"-\\sum_{{j}} \\left[ {yj} \\log {yhj} + "
        f"\\left(1 - {yj}\\right) \\log\\left(1 - {yhj}\\right) \\right]"
    )
    return rhs, "binary cross-entropy, the loss that goes with a sigmoid output"


#: E_t of each head of `cells.heads.HEADS` in the text's letters, and what it is (the generic
#: head, and a generic loss on an output layer, print as an arbitrary l_t).
_STEP_LOSS_TEX: dict[str, Callable[[Names, str], tuple[str, str]]] = {
    "softmax_cross_entropy": _cross_entropy,
    "identity_squared_error": _squared_error,
    "sigmoid_binary_cross_entropy": _binary_cross_entropy,
}


def _step_loss(nm: Names) -> Step:
    model, t = nm.model, nm.t
    yh = nm.yhat(t)
    head = BY_OUTPUT_LOSS.get((model.output, model.loss), "generic")
    if head in _STEP_LOSS_TEX:
        rhs, why = _STEP_LOSS_TEX[head](nm, t)
    else:
        arg = yh if model.has_output_layer else nm.h(t)
        rhs = f"\\ell_{{{t}}}\\left({arg}\\right)"
        why = (
            "any scalar, differentiable function $\\ell_{"
            + t
            + "}$ of the step's "
            + ("output" if model.has_output_layer else "state")
        )
    return Step(nm.E_t(t), rhs, why, kind="model: step loss")


def _sizes_text(nm: Names) -> str:
    model, t = nm.model, nm.t
    s = model.sizes
    parts = [f"${nm.x(t)} \\in \\mathbb{{R}}^{{m}}$", f"${nm.h(t)} \\in \\mathbb{{R}}^{{n}}$"]
    dims = {
        Role.INPUT: "n \\times m",
        Role.RECURRENT: "n \\times n",
        Role.HIDDEN_BIAS: "n",
        Role.OUTPUT: "k \\times n",
        Role.OUTPUT_BIAS: "k",
    }
    roles = list(model.roles)
    if model.notation.recurrent_first:  # list the matrices in the order the text writes them
        roles.remove(Role.RECURRENT)
        roles.insert(roles.index(Role.INPUT), Role.RECURRENT)
    parts += [f"${nm.param(r)} \\in \\mathbb{{R}}^{{{dims[r]}}}$" for r in roles]
    rec = nm.param(Role.RECURRENT)
    inp = nm.param(Role.INPUT)
    return (
        "Sizes: "
        + ", ".join(parts)
        + f" (the text's example: $m = {s.m}$, $n = {s.n}$"
        + (f", $k = {s.k}$" if model.has_output_layer else "")
        + f", $T = {s.T}$). "
        + f"${rec}$ is the recurrent matrix (it multiplies ${nm.h(f'{t}-1')}$); "
        + f"${inp}$ is the input matrix (it multiplies ${nm.x(t)}$)."
    )


def delta_definition(nm: Names) -> Step:
    """The text's error term and its definition (dE/dnet_t, dE_t/dnet_k or dL_t/dh_t)."""
    t = nm.t
    conv = nm.model.delta
    if conv == "net":
        return Step(
            nm.delta(t),
            f"\\frac{{\\partial {nm.E}}}{{\\partial {nm.net(t)}}}",
            "the error term: the total derivative of the loss with respect to the pre-activation",
            kind=DELTA_KIND,
        )
    if conv == "per_step":
        return Step(
            nm.delta(t, "k"),
            f"\\frac{{\\partial {nm.E_t(t)}}}{{\\partial {nm.net('k')}}}",
            f"two indices: the loss at step ${t}$ with respect to the pre-activation at step "
            f"$k \\le {t}$",
            kind=DELTA_KIND,
        )
    return Step(
        nm.delta(t),
        f"\\frac{{\\partial {nm.E_t(t)}}}{{\\partial {nm.h(t)}}}",
        "local: only the loss at step $" + t + "$, through the state directly",
        kind=DELTA_KIND,
    )


def model_section(model: Model) -> Section:
    """The model: forward equations, sizes, the recurrent matrix and the error term."""
    nm = Names(model)
    steps = (*_forward(nm), delta_definition(nm))
    return Section("The model in the text's notation", steps, _sizes_text(nm))
