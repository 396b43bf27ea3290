"""The site page of a gated derivation (cell: lstm, gru, ...): the cell, its reverse step, checks.

Printed in the model's own letters by `latex.cell_ir.printer`, with the texts of the derivation
`symbptt derive` prints (`latex.gated_document`). Small-T expansions, path sums and Jacobian
products exist for the vanilla cell only so far; the page says so instead of leaving them out.
"""

from __future__ import annotations

from symbptt.catalog import Entry
from symbptt.cells.reverse import StepAdjoints
from symbptt.latex import gated_document
from symbptt.latex.cell_ir import printer
from symbptt.site import pages

NOT_YET = (
    '!!! note "Not generated yet for gated cells"\n'
    "    The written-out derivation for small T (expansions, path sums, Jacobian products) is "
    "generated for the vanilla RNN only so far. The equations above are printed from the "
    "cell's statement as data (`symbptt.cells`), every check in the table was run on it, and "
    "`symbptt derive NAME --format tex` prints the same derivation as a LaTeX document."
)


def _aligned(lines: list[str]) -> str:
    return pages.math_block("\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}")


def cell_section(entry: Entry) -> pages.Section:
    """The cell's equations, one step t, as stated in symbptt.cells.builtin."""
    cell, p = entry.model.cell_def, printer(entry.model)
    text = [
        f"One step of the cell; states {', '.join(f'${p.at(s)}$' for s in cell.states)}. "
        + gated_document.cell_section(entry.model).text,
        _aligned(p.equations()),
    ]
    return pages.Section("The cell", "\n".join(text))


def reverse_section(entry: Entry, rev: StepAdjoints) -> pages.Section:
    """The reverse step as derived by symbptt.cells.reverse (proved by the step lemma)."""
    cell = entry.model.cell_def
    p = printer(entry.model)
    t, L = p.t, p.step_loss
    intro = (
        "One step of BPTT, derived from the cell's equations by symbptt's own reverse mode "
        "and proved equal to SymPy's derivatives of one symbolic step (the step lemma, in the "
        f"checks below). Here $\\hat{{\\delta}}^{{s}}_{{{t}}}$ is the whole adjoint of the state "
        f"$s_{{{t}}}$ arriving from outside step ${t}$ (the loss at ${t}$ and step ${t}+1$), "
        f"$\\delta^{{q}}_{{{t}}} = \\partial {p.loss} / \\partial q_{{{t}}}$ and "
        f"$\\delta^{{a_q}}_{{{t}}}$ is the adjoint of the argument of the function that defines "
        "q (its pre-activation); at the last step "
        f"$\\hat{{\\delta}}^{{{p.name(cell.readout)}}}_{{T}} = \\partial {L}_T / \\partial "
        f"{p.name(cell.readout)}_T$."
    )
    return pages.Section(
        "Derivation for every T (one step)", intro + "\n" + _aligned(p.reverse(rev))
    )


def sections(
    entry: Entry,
    rev: StepAdjoints,
    checks: pages.Section,
    figures: pages.Section,
    partials: pages.Section,
) -> list[pages.Section]:
    """Every section of a gated derivation's page."""
    return [
        cell_section(entry),
        reverse_section(entry, rev),
        partials,
        checks,
        figures,
        pages.Section("Not yet on this page", NOT_YET),
    ]
