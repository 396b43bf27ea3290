"""Sections of a gated derivation beyond the cell and its reverse step: the output head (z_t =
V h_t + c, yhat_t, E_t, the head's error term and the gradients of V and c) and the small-T path
sums dL_T/dP through the carried states (`cells.paths`), and with a head those of V and c
(E_T -> z_T -> V; the paths on through the states are zero and listed).

Built from data: the head is `cells.heads`' entry, its error term proved by
`cells.symbolic.head_gradient`; each path is one `cells.paths.GatedPath`, and the sum's exact
comparison with direct differentiation is the result `cells.paths.path_sums` returns.
"""

from __future__ import annotations

from collections.abc import Sequence

from symbptt.cells import carousel
from symbptt.cells.cell import Cell
from symbptt.cells.expr import MatMul, walk
from symbptt.cells.heads import Head, head_for
from symbptt.cells.paths import GatedPath, path_sums
from symbptt.cells.symbolic import head_gradient
from symbptt.errors import InputError
from symbptt.latex.cell_ir import CellPrinter, printer
from symbptt.latex.notation import OUTPUT_TEX
from symbptt.latex.steps import Section, Step
from symbptt.model import Model

__all__ = ["default_path_param", "head_of", "head_section", "paths_section", "resolve_wrt"]

#: The keys of the head's parameters (z_t = V h_t + c).
HEAD_KEYS = ("V", "c")


def head_of(model: Model) -> Head | None:
    """The model's output head, None for a per-step loss L_t(h_t)."""
    h = head_for(model.output, model.loss)
    return h if h.has_output_layer else None


def resolve_wrt(model: Model, wrt: Sequence[str]) -> list[str]:
    """The parameter keys --wrt names (a key such as W_f or its LaTeX W_{f}); InputError naming
    the cell's keys (and V, c with a head) for any other name."""
    cell = model.cell_def
    p = printer(model)
    keys = [*cell.param_keys, *(HEAD_KEYS if head_of(model) else ())]
    by_name = {k: k for k in keys} | {p.param(k): k for k in keys}
    out = []
    for w in wrt:
        if w in HEAD_KEYS and w not in by_name:
            raise InputError(
                f"--wrt {w}: not a parameter of {model.name!r}: {' and '.join(HEAD_KEYS)} "
                "(z_t = V h_t + c) exist only with an output head, which it has not (set the "
                "derivation file's output and loss, e.g. output: softmax, loss: cross_entropy); "
                f"its parameters are {', '.join(keys)}"
            )
        if w not in by_name:
            raise InputError(
                f"--wrt {w}: not a parameter of {model.name!r}; its parameters are "
                f"{', '.join(keys)}"
            )
        if by_name[w] not in out:
            out.append(by_name[w])
    return out


def default_path_param(cell: Cell) -> str:
    """The parameter whose path sums are printed without --wrt: the recurrent matrix of the gate
    on the carried state's direct path (W_f for the LSTM, W_z for the GRU), else the first
    n x n parameter, else the first."""
    square = [p.key for p in cell.params if tuple(p.shape) == ("n", "n")]
    carried = carousel.carried_gate(cell)  # None for a cell with no gate on its state
    if carried is not None:
        for node in walk(cell.equation(carried.gate).rhs):
            if isinstance(node, MatMul) and node.matrix.key in square:
                return node.matrix.key
    return square[0] if square else cell.param_keys[0]


def _node(p: CellPrinter, state: str, step: int) -> str:
    return f"{p.name(state)}_{{{step}}}"


def _head_node(model: Model, T: int) -> str:
    return f"{model.notation.output_preactivation.latex}_{{{T}}}"


def _chain(p: CellPrinter, path: GatedPath, T: int, model: Model) -> str:
    head = [_head_node(model, T)] if path.head_step else []
    tex = [f"{p.step_loss}_{{{T}}}", *head, *(_node(p, s, i) for s, i in path.states)]
    tex.append(p.param(path.param))
    return " ".join(
        f"\\frac{{\\partial {a}}}{{\\partial {b}}}" for a, b in zip(tex, tex[1:], strict=False)
    )


def _carried_factors(cell: Cell, paths: Sequence[GatedPath], p: CellPrinter) -> str:
    """'the factors dc_i/dc_(i-1) are diag(f_i)' for a multi-state cell's carried state whose
    step partial is a diagonal (`carousel.carried`), when some path runs along it."""
    if len(cell.states) < 2:
        return ""
    out = []
    for s in cell.states:
        part = carousel.carried(cell, s)
        runs = any((a[0], b[0]) == (s, s) for path in paths
                   for a, b in zip(path.states, path.states[1:], strict=False))  # fmt: skip
        if runs and part.gate is not None:
            gate = f"{'1 - ' if part.complemented else ''}{p.name(part.gate)}_i"
            out.append(
                f"each factor $\\partial {p.name(s)}_i / \\partial {p.name(s)}_{{i-1}}$ is "
                f"$\\operatorname{{diag}}\\left({gate}\\right)$ (its step partial)"
            )
    return "; ".join(out)


def paths_section(model: Model, params: Sequence[str], T: int, n: int) -> Section:
    """dL_T/dP for each P as the sum over the paths through the carried states, at T and n."""
    cell = model.cell_def
    p = printer(model)
    head = head_of(model)
    steps = []
    for key in params:
        via = key in HEAD_KEYS
        ps = path_sums(cell, key, T, n, head=head, k=model.sizes.k)
        chains = tuple(_chain(p, path, T, model) for path in ps.paths)
        start = [_head_node(model, T)] if via else []
        zero = ", ".join(
            "$"
            + " \\to ".join([*start, *(_node(p, s, i) for s, i in z)])
            + f" \\to {p.param(key)}$"
            for z in ps.zero
        )
        states = " and ".join(f"${p.name(s)}$" for s in cell.states)
        if via:
            reason = (
                f"the chain rule from ${p.step_loss}_{{{T}}}$ through the head's "
                f"${_head_node(model, T)} = V {_node(p, cell.readout, T)} + c$ to "
                f"${p.param(key)}$'s use at step {T} (the loss at {T} reads no other step's "
                f"head); the paths on through ${_node(p, cell.readout, T)}$ and the carried "
                f"state{'s' if len(cell.states) > 1 else ''} {states} end at a state's "
                f"immediate partial by ${p.param(key)}$"
            )
            if key in cell.quantities:  # lstm-softmax: c is the head's bias, c_t the state
                reason += f" (here ${p.param(key)}$ is the head's bias, not the cell's state)"
        else:
            reason = (
                f"the chain rule over the {len(chains)} path{'s' if len(chains) != 1 else ''} "
                f"from ${p.step_loss}_{{{T}}}$ back to ${p.param(key)}$ through the carried state"
                f"{'s' if len(cell.states) > 1 else ''} {states}: each factor "
                "$\\partial s_i / \\partial s'_{i-1}$ holds the other states at $i-1$ and the "
                f"input fixed, and the last is ${p.param(key)}$'s use at that step alone"
            )
        if zero:
            reason += f"; left out as zero (the state does not read ${p.param(key)}$): {zero}"
        carried = _carried_factors(cell, ps.paths, p)
        if carried:
            reason += f"; {carried}"
        reason += (
            f"; {'equal' if ps.equal else 'NOT equal'} to direct differentiation of "
            f"${p.step_loss}_{{{T}}}$ (exact, every entry, $n = {n}$)"
        )
        steps.append(
            Step(
                f"\\frac{{\\partial {p.step_loss}_{{{T}}}}}{{\\partial {p.param(key)}}}",
                " + ".join(chains),
                reason,
                terms=chains,
                per_line=1,
                kind="path sum",
            )
        )
    names = ", ".join(f"${p.param(k)}$" for k in params)
    text = (
        f"At $T = {T}$ the gradient of the last step's loss by {names}, written out as a sum "
        "over paths through the states carried across time (`cells.paths`); the sum over every "
        f"${p.t}$ adds such sums for each $T$. Other parameters: `--wrt`."
    )
    return Section(f"Path sums at $T = {T}$", tuple(steps), text)


def head_section(model: Model, k: int, wrt: Sequence[str] = ()) -> Section | None:
    """The output head on the readout state: z_t, yhat_t, E_t, dE_t/dz_t (proved), dE_t/dh_t and
    the gradients of V and c (those in wrt, when given). None without a head."""
    head = head_of(model)
    if head is None:
        return None
    nt, p, h = model.notation, printer(model), model.cell_def.readout
    t, E, Et = p.t, p.loss, f"{p.step_loss}_{{{p.t}}}"
    z, yhat, y = (f"{s.latex}_{{{t}}}" for s in (nt.output_preactivation, nt.output, nt.target))
    g = OUTPUT_TEX[head.output]
    out = f"{g}\\left({z}\\right)" if g else z
    lemma = head_gradient(head, k)
    err = f"{yhat} - {y}"
    target = f"\\sum_{{j}} {nt.target.latex}_{{{t},j}} = 1"
    if not lemma.holds or lemma.assumption == "never":
        proved = f"NOT shown: SymPy's derivative of ${Et}$ by ${z}$ is not ${err}$"
    elif lemma.assumption:
        proved = (
            f"SymPy's derivative of ${Et}$ by ${z}$ is ${yhat} \\sum_{{j}} "
            f"{nt.target.latex}_{{{t},j}} - {y}$ exactly (k = {k}), so ${err}$ for a target "
            f"that sums to 1 (${target}$, one-hot included)"
        )
    else:
        proved = (
            f"SymPy's derivative of ${Et}$ by ${z}$ equals ${err}$ exactly (k = {k}, any ${y}$)"
        )
    steps = [
        Step(z, f"V {p.at(h)} + c", "the head's input: a linear readout of the state",
             kind="output head"),
        Step(yhat, out, f"the output nonlinearity ({head.output})", kind="output head"),
        Step(Et, head.latex, f"the loss at step ${t}$ ({head.loss.replace('_', ' ')}), with "
             f"$\\hat{{y}} = {yhat}$ and $y = {y}$", kind="output head"),
        Step(f"\\frac{{\\partial {Et}}}{{\\partial {z}}}", err, proved, kind="output head"),
        Step(f"\\frac{{\\partial {Et}}}{{\\partial {p.at(h)}}}",
             f"V^\\top \\left({err}\\right)",
             "through $z_t = V h_t + c$: the loss's part of "
             f"$\\hat{{\\delta}}^{{{p.name(h)}}}_{{{t}}}$ in the reverse step below",
             kind="output head"),
    ]  # fmt: skip
    if model.loss_at == "last":  # E = E_T: only the last step's error term
        T = "T"
        eT = f"{nt.output.latex}_{{{T}}} - {nt.target.latex}_{{{T}}}"
        grads = {
            "V": (
                f"\\left({eT}\\right) {p.name(h)}_{{{T}}}^\\top",
                "the last step's outer product",
            ),
            "c": (eT, "the last step's error term"),
        }
    else:
        grads = {
            "V": (
                f"\\sum_{{{t}}} \\left({err}\\right) {p.at(h)}^\\top",
                "every step's outer product",
            ),
            "c": (f"\\sum_{{{t}}} \\left({err}\\right)", "every step's error term"),
        }
    for key, (rhs, why) in grads.items():
        if not wrt or key in wrt:
            steps.append(
                Step(f"\\frac{{\\partial {E}}}{{\\partial {key}}}", rhs, why, kind="output head")
            )
    where = "the last step's" if model.loss_at == "last" else "every step's"
    text = (
        f"The head {head.output} + {head.loss.replace('_', ' ')} reads ${p.at(h)}$; ${E}$ sums "
        f"{where} ${Et}$. It is the same for every cell: only "
        f"$\\partial {Et} / \\partial {p.at(h)}$ enters the cell's BPTT."
    )
    return Section("The output head", tuple(steps), text)
