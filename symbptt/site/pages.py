"""Markdown for the generated pages: one per derivation and the index, from the checked objects.

Math is written for pymdownx.arithmatex: `$$` blocks on their own lines, `$...$` inline. Parts
that need a module not present in this checkout say so on the page instead of being left blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from symbptt.catalog import Entry
from symbptt.latex.notation import OUTPUT_TEX
from symbptt.latex.printer import vector
from symbptt.model import Model, Role

_ROLE_TEXT = {
    Role.INPUT: "input weight (multiplies the input)",
    Role.RECURRENT: "recurrent weight (multiplies the previous state)",
    Role.HIDDEN_BIAS: "hidden bias",
    Role.OUTPUT: "output weight",
    Role.OUTPUT_BIAS: "output bias",
}


@dataclass(frozen=True)
class CheckRow:
    """One check as shown on a page (from verify.Check)."""

    name: str
    form: str
    passed: bool
    max_error: float | None
    seconds: float


@dataclass(frozen=True)
class Section:
    """A titled piece of Markdown on a derivation page."""

    title: str
    markdown: str


def math_block(tex: str) -> str:
    """A display-math block for arithmatex."""
    return f"\n$$\n{tex}\n$$\n"


def model_equations(model: Model) -> list[str]:
    """The model's defining equations in its own notation, one LaTeX line each."""
    nt = model.notation
    t = nt.time
    bold = nt.bold_vectors

    def v(name, index=t):  # noqa: ANN001, ANN202
        return vector(name, index, bold_vectors=bold)

    p = nt.parameters
    net_rhs = (
        f"{p[Role.INPUT].latex} {v(nt.input)} + {p[Role.RECURRENT].latex} {v(nt.state, f'{t}-1')}"
    )
    if Role.HIDDEN_BIAS in p:
        net_rhs += " + " + vector(p[Role.HIDDEN_BIAS], bold_vectors=bold)
    act = nt.activation.latex
    lines = [f"{v(nt.preactivation)} = {net_rhs}", f"{v(nt.state)} = {act}({v(nt.preactivation)})"]
    if model.has_output_layer:
        z_rhs = f"{p[Role.OUTPUT].latex} {v(nt.state)}"
        if Role.OUTPUT_BIAS in p:
            z_rhs += " + " + vector(p[Role.OUTPUT_BIAS], bold_vectors=bold)
        lines.append(f"{v(nt.output_preactivation)} = {z_rhs}")
        g = OUTPUT_TEX[model.output]
        lines.append(
            f"{v(nt.output)} = {g}({v(nt.output_preactivation)})"
            if g
            else f"{v(nt.output)} = {v(nt.output_preactivation)}"
        )
    step, y, yhat = v(nt.step_loss), v(nt.target), v(nt.output)
    loss_rhs = {
        "cross_entropy": f"-{y}^\\top \\log {yhat}",
        "squared_error": rf"\tfrac{{1}}{{2}} \lVert {yhat} - {y} \rVert^2",
        "binary_cross_entropy": rf"-{y}^\top \log {yhat} - (1 - {y})^\top \log(1 - {yhat})",
        "generic": (f"{nt.step_loss.latex}({yhat})" if model.has_output_layer else None),
    }[model.loss]
    if loss_rhs is None:  # a generic loss of the state
        loss_rhs = rf"\text{{any scalar function of }} {v(nt.state)}"
    lines.append(f"{step} = {loss_rhs}")
    T = "T"
    total = (
        f"{nt.loss.latex} = \\sum_{{{t}=1}}^{{{T}}} {step}"
        if model.loss_at == "every"
        else f"{nt.loss.latex} = {vector(nt.step_loss, T, bold_vectors=bold)}"
    )
    lines.append(total)
    return lines


def delta_definition(model: Model) -> str:
    """The error term's definition in the model's convention (LaTeX)."""
    nt = model.notation
    t = nt.time
    d, net, h = nt.delta.latex, nt.preactivation.latex, nt.state.latex
    if model.delta == "net":
        return rf"{d}_{{{t}}} = \frac{{\partial {nt.loss.latex}}}{{\partial {net}_{{{t}}}}}"
    if model.delta == "per_step":
        return (
            rf"{d}_{{{t},k}} = \frac{{\partial {nt.step_loss.latex}_{{{t}}}}}"
            rf"{{\partial {net}_{{k}}}}"
        )
    return rf"{d}_{{{t}}} = \frac{{\partial {nt.step_loss.latex}_{{{t}}}}}{{\partial {h}_{{{t}}}}}"


def notation_section(entry: Entry, document_md: str | None = None) -> Section:
    """Model and notation: the equations (from symbptt.latex if given), roles, conventions."""
    model = entry.model
    nt = model.notation
    rows = ["| role | name in this text | shape |", "|---|---|---|"]
    for role in model.roles:
        shape = " x ".join(str(s) for s in model.shape(role))
        rows.append(f"| {_ROLE_TEXT[role]} | ${nt.param(role).latex}$ | {shape} |")
    act = model.activation
    act_text = "an arbitrary differentiable function (generic)" if act == "generic" else f"`{act}`"
    s = model.sizes
    equations = document_md or (
        "The model, written as this text writes it:\n"
        + math_block(
            r"\begin{aligned} " + r" \\ ".join(_aligned(model_equations(model))) + r" \end{aligned}"
        )
    )
    md = [
        equations,
        "\n".join(rows),
        "",
        f"- activation ${nt.activation.latex}$: {act_text}; output: `{model.output}`; "
        f"loss: `{model.loss}`, taken at {'every step' if model.loss_at == 'every' else 'the last step only'}.",
        f"- error term (convention `{model.delta}`): ${delta_definition(model)}$",
        f"- default sizes: T = {s.T}, n = {s.n}, m = {s.m}"
        + (f", k = {s.k}" if model.has_output_layer else "")
        + ".",
        f"- derivation file: `derivations/{entry.path.name}`",
    ]
    return Section("Model and notation", "\n".join(md))


def _aligned(lines: Sequence[str]) -> list[str]:
    """Put an alignment mark before the first top-level '=' of each line."""
    out = []
    for line in lines:
        head, sep, tail = line.partition(" = ")
        out.append(f"{head} &= {tail}" if sep else line)
    return out


def checks_section(
    rows: Sequence[CheckRow] | None, T: int, n: int, why_missing: str = ""
) -> Section:
    """The check results as a table (exact proofs show no error; numeric ones their max error)."""
    if rows is None:
        return Section("Checks", f'!!! warning "Checks not run"\n    {why_missing}')
    lines = [
        f"Checks run while building this page at the derivation's default sizes (T = {T}, "
        f"n = {n}, seed 0); a failing check stops the build, so every row below passed.",
        "",
        *([why_missing, ""] if why_missing else []),
        "| check | form | result | max error | time |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        err = "exact (symbolic identity)" if r.max_error is None else f"{r.max_error:.2e}"
        lines.append(
            f"| {r.name} | {r.form} | {'passed' if r.passed else '**FAILED**'} | {err} | {r.seconds:.2f} s |"
        )
    return Section("Checks", "\n".join(lines))


def figure_markdown(src: str, alt: str, caption: str) -> str:
    """An image with its caption below it."""
    return f'<figure markdown="span">\n  ![{alt}]({src})\n  <figcaption>{caption}</figcaption>\n</figure>\n'


def derivation_page(entry: Entry, sections: Sequence[Section]) -> str:
    """The whole page for one derivation."""
    model = entry.model
    parts = [f"# {model.name}", "", model.description, ""]
    if model.source:
        parts += ['!!! quote "Source"', f"    {model.source}", ""]
    for s in sections:
        parts += [f"## {s.title}", "", s.markdown, ""]
    return "\n".join(parts)


def index_page(entries: Sequence[tuple[Entry, str]], intro: str, more: str = "") -> str:
    """The home page: what the site is, every derivation with its check status, then `more`."""
    lines = [
        "# symbptt: Backpropagation Through Time, derived, printed and checked",
        "",
        intro,
        "",
        "| derivation | description | checks |",
        "|---|---|---|",
    ]
    for entry, status in entries:
        desc = entry.description.replace("|", "/")
        lines.append(f"| [{entry.name}](derivations/{entry.name}.md) | {desc} | {status} |")
    if more:
        lines += ["", more]
    return "\n".join(lines) + "\n"
