"""The engine's own step functions, rendered by latexify-py in each text's notation.

`symbptt.engine.rnn_cell_forward_step` (and its three term orders: recurrent term first, no
hidden bias) and `rnn_cell_backward_step` take the activation f and its derivative f' as
arguments; here they get the model's (from `engine.ACTIVATIONS`, so the numbers are the
engine's; tests/test_engine_steps.py holds the steps equal to the generated engine and
tests/test_latex_cells.py to `engine.forward` / `engine.backward`, step by step). They are
rendered with `latexify.get_latex`, arguments and f, f' mapped to the model's letters (sigma,
f), so the reader sees that the code computes the printed formula. latexify writes every
product as `\\cdot` or juxtaposition and a transpose as `\\mathbf{W}^\\intercal`; `_tidy` turns
matrix products into juxtaposition, the elementwise `*` into `\\odot` (checked against the
function's syntax tree) and transposes into `^\\top`.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import latexify
import numpy as np

from symbptt import engine
from symbptt.cells.functions import function, numeric_name
from symbptt.engine import (
    rnn_cell_backward_step,
    rnn_cell_forward_step,
    rnn_cell_forward_step_no_bias,
    rnn_cell_forward_step_recurrent_first,
    rnn_cell_forward_step_recurrent_first_no_bias,
)
from symbptt.latex.notation import ACTIVATION_TEX, Names
from symbptt.latex.printer import time_index, vector
from symbptt.model import Model, Role

Array = np.ndarray
Elementwise = Callable[[Array], Array]


def forward_step_for(model: Model) -> Callable[..., Array]:
    """The engine's forward step with the model's terms, in the order its text writes them."""
    first = model.notation.recurrent_first
    if Role.HIDDEN_BIAS not in model.notation.parameters:
        return (
            rnn_cell_forward_step_recurrent_first_no_bias
            if first
            else rnn_cell_forward_step_no_bias
        )
    return rnn_cell_forward_step_recurrent_first if first else rnn_cell_forward_step


def engine_activation(model: Model) -> str:
    """The engine's activation for the model (a generic f runs as the functions table's
    numeric stand-in, tanh)."""
    return numeric_name(model.activation)


def activation_functions(name: str) -> tuple[Elementwise, Elementwise]:
    """f and f' of `engine.ACTIVATIONS[name]`, as one-argument functions for the cell steps."""
    act = engine.ACTIVATIONS[name]

    def f(net: Array) -> Array:
        return act.f(net, np.empty_like(net))

    def fprime(net: Array) -> Array:
        return act.df(net, f(net))

    return f, fprime


# Each engine argument gets a placeholder identifier that latexify prints as \mathrm{<id>},
# so the model's LaTeX can be substituted exactly, never by guessing at single letters.
_PLACEHOLDER = "QQ{}"


@dataclass(frozen=True)
class RenderedCell:
    """One engine function: its Python name, the quantity it returns and its LaTeX formula."""

    function: str
    lhs: str
    rhs: str
    reason: str

    @property
    def latex(self) -> str:
        """The whole equation `lhs = rhs`."""
        return f"{self.lhs} = {self.rhs}"


def _count_ops(fn: Callable[..., Any], op: type[ast.operator]) -> int:
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    return sum(isinstance(n, ast.BinOp) and isinstance(n.op, op) for n in ast.walk(tree))


def _tidy(tex: str, fn: Callable[..., Any]) -> str:
    """Matrix products as juxtaposition, `*` as \\odot, transposes as ^\\top, plain brackets."""
    tex = tex.replace(r"\mathopen{}\left(", r"\left(").replace(r"\mathclose{}\right)", r"\right)")
    tex = tex.replace(r" \cdot ", " ")
    hadamard = _count_ops(fn, ast.Mult)
    juxtaposed = tex.count(r"\right) \left(")
    if hadamard != juxtaposed:  # a `*` latexify printed some other way: refuse to guess
        raise RuntimeError(
            f"cannot render {fn.__name__}: {hadamard} elementwise products, "
            f"{juxtaposed} found in latexify's output {tex!r}"
        )
    tex = tex.replace(r"\right) \left(", r"\right) \odot \left(")
    return tex


def _substitute(tex: str, names: dict[str, str]) -> str:
    for arg, target in names.items():
        placeholder = _PLACEHOLDER.format(arg.replace("_", ""))
        tex = tex.replace(r"\mathbf{" + placeholder + r"}^\intercal", target + r"^\top")
        tex = tex.replace(r"\mathrm{" + placeholder + "}", target)
    if "QQ" in tex:
        raise RuntimeError(f"unmapped engine argument in {tex!r}")
    return tex


def render(fn: Callable[..., Any], names: dict[str, str]) -> str:
    """latexify `fn` (right-hand side only) with each argument printed as `names[arg]`."""
    params = list(inspect.signature(fn).parameters)
    missing = [p for p in params if p not in names]
    if missing:
        raise RuntimeError(f"no notation for {fn.__name__} arguments {missing}")
    ids = {p: _PLACEHOLDER.format(p.replace("_", "")) for p in params}
    raw = latexify.get_latex(fn, identifiers=ids, use_signature=False)
    return _substitute(_tidy(raw, fn), {p: names[p] for p in params})


def cell_names(model: Model) -> dict[str, str]:
    """The engine's argument names (role keys U W b, x, h_prev, ...) in the model's notation."""
    nt = model.notation
    bold, sup = nt.bold_vectors, nt.time_superscript
    t = nt.time
    bias = nt.parameters.get(Role.HIDDEN_BIAS)
    names = {
        "f": nt.activation.latex,
        "fprime": nt.activation.latex + "'",
        "U": nt.param(Role.INPUT).latex,
        "W": nt.param(Role.RECURRENT).latex,
        "x": vector(nt.input, t, bold_vectors=bold, superscript=sup),
        "h_prev": vector(nt.state, f"{t}-1", bold_vectors=bold, superscript=sup),
        "net": vector(nt.preactivation, t, bold_vectors=bold, superscript=sup),
        "dh": _own_loss_gradient(model),
        "delta_next": vector(total_error_name(model), f"{t}+1", bold_vectors=bold, superscript=sup),
    }
    if bias is not None:  # a parameter: plain, as in the model section
        names["b"] = bias.latex
    return names


def _own_loss_gradient(model: Model) -> str:
    """The engine's dh: dE_t/dh_t with a loss at every step; with E = E_T only (loss_at last)
    it is [t = T] dE_T/dh_T, zero before T (dE_t/dh_t of the page's E_t would be false)."""
    nt = model.notation
    bold, sup, t = nt.bold_vectors, nt.time_superscript, nt.time
    last = model.loss_at == "last"
    at = "T" if last else t
    loss = time_index(nt.step_loss.latex, at) if sup else f"{nt.step_loss.latex}_{{{at}}}"
    state = vector(nt.state, at, bold_vectors=bold, superscript=sup)
    grad = r"\frac{\partial " + loss + r"}{\partial " + state + "}"
    return rf"\left[{t} = T\right] " + grad if last else grad


def total_error_name(model: Model) -> str:
    """The letter for the engine's total error dE/dnet_t: the text's delta when that is what
    its delta means (convention 'net'), else nu or a letter the notation does not use."""
    return model.notation.delta.latex if model.delta == "net" else Names(model).total_error_letter


def _activation_text(model: Model) -> str:
    """What f is in the engine, e.g. '$\\sigma$ is the engine's `sigmoid`'."""
    f = model.notation.activation.latex
    name = engine_activation(model)
    if function(model.activation).generic:
        return f"${f}$ is any activation; the engine checks it with its `{name}` stand-in"
    tex = ACTIVATION_TEX[name]
    same = f"${f}$" if tex == f else f"${f} = {tex}$"
    return f"{same} is the engine's `ACTIVATIONS['{name}']`"


def _delta_relation(model: Model) -> str:
    """How the engine's total error relates to the text's delta, when they differ."""
    nt = model.notation
    t, d = nt.time, nt.delta.latex
    if model.delta == "step_state":
        return f"; the text's ${d}_{{{t}}}$ is that local term"
    if model.delta == "per_step":
        nu = total_error_name(model)
        if model.loss_at == "last":  # E = E_T: only the last step's loss
            return f"; in the text's terms ${nu}_{{k}} = {d}_{{T,k}}$"
        return f"; in the text's terms ${nu}_{{k}} = \\sum_{{{t} \\ge k}} {d}_{{{t},k}}$"
    return ""


def engine_cells(model: Model) -> list[RenderedCell]:
    """The engine's forward and backward step with the model's activation, in its notation."""
    nt = model.notation
    names = cell_names(model)
    t = nt.time
    sup = nt.time_superscript
    h_t = vector(nt.state, t, bold_vectors=nt.bold_vectors, superscript=sup)
    delta_t = vector(total_error_name(model), t, bold_vectors=nt.bold_vectors, superscript=sup)
    no_bias = "" if Role.HIDDEN_BIAS in nt.parameters else "; this model has no hidden bias"
    fwd, bwd = forward_step_for(model), rnn_cell_backward_step
    act = _activation_text(model)
    return [
        RenderedCell(
            fwd.__name__,
            h_t,
            render(fwd, names),
            f"`{fwd.__name__}` rendered by latexify-py; {act}{no_bias}",
        ),
        RenderedCell(
            bwd.__name__,
            delta_t,
            render(bwd, names),
            f"`{bwd.__name__}` rendered by latexify-py; ${delta_t}$ is the engine's total "
            f"error term $\\partial {nt.loss.latex} / \\partial {names['net']}$ and "
            f"${names['dh']}$ the gradient of the step's own loss"
            + (
                f" (the loss is taken at step $T$ only: $[{t} = T]$ is 1 at $T$ and 0 before)"
                if model.loss_at == "last"
                else ""
            )
            + _delta_relation(model),
        ),
    ]
