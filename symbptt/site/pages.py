"""Markdown for the generated pages: one per derivation and the index, from the checked objects.

Math is written for pymdownx.arithmatex: `$$` blocks on their own lines, `$...$` inline. Parts
that need a module not present in this checkout say so on the page instead of being left blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from symbptt.catalog import Entry
from symbptt.cells.functions import function
from symbptt.checkrow import CheckRow
from symbptt.latex.formats import display_math
from symbptt.latex.model_section import DELTA_KIND
from symbptt.latex.steps import Section as DocumentSection
from symbptt.latex.steps import Step
from symbptt.model import Role

_ROLE_TEXT = {
    Role.INPUT: "input weight (multiplies the input)",
    Role.RECURRENT: "recurrent weight (multiplies the previous state)",
    Role.HIDDEN_BIAS: "hidden bias",
    Role.OUTPUT: "output weight",
    Role.OUTPUT_BIAS: "output bias",
}


@dataclass(frozen=True)
class Section:
    """A titled piece of Markdown on a derivation page."""

    title: str
    markdown: str


def math_block(tex: str) -> str:
    """A display-math block for arithmatex."""
    return f"\n$$\n{tex}\n$$\n"


def steps_markdown(text: str, steps: Sequence[Step]) -> str:
    """A document section's prose and steps: each equation a math block, its reason below it."""
    body = [text, ""] if text else []
    for step in steps:
        body += [math_block(display_math(step)), f"*{step.reason}*", ""]
    return "\n".join(body)


def notation_section(entry: Entry, model: DocumentSection | None) -> Section:
    """Model and notation: the document's model section as printed by `derive`, roles, conventions.

    `model` is the first section of the derivation (`latex.model_section`), the one statement of
    the model's equations and its error term; None when the derivation builder is absent.
    """
    m = entry.model
    nt = m.notation
    rows = ["| role | name in this text | shape |", "|---|---|---|"]
    for role in m.roles:
        shape = " x ".join(str(s) for s in m.shape(role))
        rows.append(f"| {_ROLE_TEXT[role]} | ${nt.param(role).latex}$ | {shape} |")
    act = m.activation
    generic = function(act).generic
    act_text = "an arbitrary differentiable function (generic)" if generic else f"`{act}`"
    s = m.sizes
    if model is None:
        equations = (
            '!!! warning "Not available"\n    symbptt.builders.vanilla is not in this build.'
        )
        delta = ""
    else:
        equations = steps_markdown(model.text, model.steps)
        (step,) = [st for st in model.steps if st.kind == DELTA_KIND]
        delta = f": ${step.latex}$"
    md = [
        equations,
        "\n".join(rows),
        "",
        f"- activation ${nt.activation.latex}$: {act_text}; output: `{m.output}`; "
        f"loss: `{m.loss}`, taken at {'every step' if m.loss_at == 'every' else 'the last step only'}.",
        f"- error term (convention `{m.delta}`){delta}",
        f"- default sizes: T = {s.T}, n = {s.n}, m = {s.m}"
        + (f", k = {s.k}" if m.has_output_layer else "")
        + ".",
        f"- derivation file: `derivations/{entry.path.name}`",
    ]
    return Section("Model and notation", "\n".join(md))


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
