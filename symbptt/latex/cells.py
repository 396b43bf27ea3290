"""The engine's own cell functions rendered by latexify-py, in a model's notation.

`symbptt.engine.rnn_cell_forward_step` / `rnn_cell_backward_step` are rendered with
`latexify.get_latex`, their arguments mapped to the model's letters, so the reader sees that the
code computes the printed formula. latexify writes every product as `\\cdot` or juxtaposition and
a transpose as `\\mathbf{W}^\\intercal`; `_tidy` turns matrix products into juxtaposition, the
elementwise `*` into `\\odot` (checked against the function's syntax tree) and transposes into
`^\\top`.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import latexify

from symbptt import engine
from symbptt.latex.printer import vector
from symbptt.model import Model, Role

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
    bold = nt.bold_vectors
    t = nt.time
    bias = nt.parameters.get(Role.HIDDEN_BIAS)
    return {
        "U": nt.param(Role.INPUT).latex,
        "W": nt.param(Role.RECURRENT).latex,
        "b": vector(bias, bold_vectors=bold) if bias else vector("b", bold_vectors=bold),
        "x": vector(nt.input, t, bold_vectors=bold),
        "h_prev": vector(nt.state, f"{t}-1", bold_vectors=bold),
        "net": vector(nt.preactivation, t, bold_vectors=bold),
        "dh": r"\frac{\partial "
        + nt.loss.latex
        + r"}{\partial "
        + vector(nt.state, t, bold_vectors=bold)
        + "}",
        "delta_next": vector(nt.delta, f"{t}+1", bold_vectors=bold),
    }


def engine_cells(model: Model) -> list[RenderedCell]:
    """The engine's forward and backward step, rendered in the model's notation."""
    nt = model.notation
    names = cell_names(model)
    t = nt.time
    h_t = vector(nt.state, t, bold_vectors=nt.bold_vectors)
    delta_t = vector(nt.delta, t, bold_vectors=nt.bold_vectors)
    no_bias = (
        "" if Role.HIDDEN_BIAS in nt.parameters else "; this model has no hidden bias: $b = 0$"
    )
    fwd = engine.rnn_cell_forward_step
    bwd = engine.rnn_cell_backward_step
    return [
        RenderedCell(
            fwd.__name__,
            h_t,
            render(fwd, names),
            f"`engine.{fwd.__name__}`, rendered by latexify-py (the engine's tanh cell){no_bias}",
        ),
        RenderedCell(
            bwd.__name__,
            delta_t,
            render(bwd, names),
            f"`engine.{bwd.__name__}`, rendered by latexify-py; here ${delta_t}$ is the total "
            f"error term $\\partial {nt.loss.latex} / \\partial {names['net']}$",
        ),
    ]
